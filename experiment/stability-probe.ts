/**
 * `isobench doctor --stability [seconds]`: how steady the machine's CPU-to-CPU round trip is
 * (analysis/host-stability.ts says why it matters). netserver and netperf run on the machine through
 * its transport, over loopback, alternating one-second TCP_RR samples with client and server on CPUs
 * of two different cores and on one CPU. netserver listens on 127.0.0.1 only and is ended with the
 * probe: on exit, on INT, TERM, HUP and PIPE (Ctrl-C, a dropped SSH connection), and by its own
 * `timeout` should the script be killed outright. The caller holds the machine's measurement lock
 * (experiment/cli.ts): a probe during a run would disturb the run and measure it.
 */
import type { Transport } from "../environments/transport";
import { combinedOutput } from "../environments/process";
import { readHostTopology } from "./host-shape-read";
import { DEFAULT_STABILITY_PROBE_S } from "./spec";
import { ProbeRates, Stability, judgeStability, parseProbeRates } from "../analysis/host-stability";

/** Seconds of one netperf sample. */
export const SAMPLE_S = 1;
/** The probe script's exit status when netserver could not listen (the port taken): another port is tried. */
const NO_LISTENER = 3;
const PORT_TRIES = 3;
/** The probe script's exit status when netperf or netserver is not installed on the machine. */
const NO_NETPERF = 5;

/**
 * Two CPUs of different cores: the first CPU of the first core, and the first CPU of the next core
 * in the same socket where sysfs names sockets (a round trip across sockets is another quantity),
 * else of the next core. Undefined on a one-core machine.
 */
export function probeCpus(cpuSiblings: readonly (readonly number[])[], cpuPackages?: readonly number[]): [number, number] | undefined {
    if (cpuSiblings.length < 2) return undefined;
    const a = cpuSiblings[0][0];
    const sameSocket = cpuPackages && cpuSiblings.slice(1).find((core) => cpuPackages[core[0]] === cpuPackages[a]);
    return [a, (sameSocket ?? cpuSiblings[1])[0]];
}

/** Seconds after which netserver ends by itself: the samples with a second each for netperf's start-up, and a margin. */
export const netserverLifeS = (rounds: number) => rounds * 2 * (SAMPLE_S + 1) + 30;

/** The probe's shell script: `rounds` pairs of samples, "across <rate>" then "same <rate>". */
export function probeScript(cpus: readonly [number, number], rounds: number, port: number): string {
    const [a, b] = cpus;
    const rr = (pin: string) => `netperf -H 127.0.0.1 -p ${port} -T ${pin} -t TCP_RR -l ${SAMPLE_S} -P 0 -- -o THROUGHPUT`;
    const sample = (name: string, pin: string) =>
        `  o=$(${rr(pin)}) || { echo "netperf -T ${pin} failed (exit $?)" >&2; exit 4; }; echo "${name} $(printf '%s\\n' "$o" | tail -n 1)"`;
    const listening = `kill -0 $s 2>/dev/null || { echo "netserver could not listen on 127.0.0.1:${port}" >&2; exit ${NO_LISTENER}; }`;
    return [
        "set -u",
        `command -v netserver >/dev/null 2>&1 && command -v netperf >/dev/null 2>&1 || { echo "netperf and netserver are not installed there (Debian: apt-get install netperf, from non-free; scripts/setup.sh installs it)" >&2; exit ${NO_NETPERF}; }`,
        `timeout ${netserverLifeS(rounds)} netserver -D -4 -L 127.0.0.1,inet -p ${port} >/dev/null 2>&1 &`,
        "s=$!",
        "trap 'kill $s 2>/dev/null; wait $s 2>/dev/null' EXIT",
        "trap 'exit 1' INT TERM HUP PIPE",
        "sleep 0.2",
        listening,
        // The first sample waits for netserver to answer and warms both CPUs; it is not reported.
        "i=0",
        `until ${rr(`${a},${b}`)} >/dev/null 2>&1; do`,
        `  i=$((i+1)); if [ $i -ge 25 ]; then echo "netserver did not answer on 127.0.0.1:${port}" >&2; exit ${NO_LISTENER}; fi`,
        `  ${listening}`,
        "  sleep 0.2",
        "done",
        "r=0",
        `while [ $r -lt ${rounds} ]; do`,
        sample("across", `${a},${b}`),
        sample("same", `${a},${a}`),
        "  r=$((r+1))",
        "done",
    ].join("\n");
}

/** A probe that measured: its judgement, the two CPUs it ran on and netperf's lines as printed (a run keeps them as raw output). */
export type ProbeOutcome =
    | { readonly ok: true; readonly stability: Stability; readonly cpus: readonly [number, number]; readonly raw: string }
    | { readonly ok: false; readonly why: string };

/** Runs the probe for about `seconds` on `machine`. Never throws: what stopped it is in `why`. */
export function probeStability(machine: Transport, seconds: number = DEFAULT_STABILITY_PROBE_S): ProbeOutcome {
    let cpus: [number, number] | undefined;
    try {
        const t = readHostTopology(machine);
        cpus = probeCpus(t.cpuSiblings, t.cpuPackages);
    } catch (e) {
        return { ok: false, why: `the CPUs could not be read: ${(e as Error).message}` };
    }
    if (!cpus) return { ok: false, why: "one core: there is no round trip between cores to measure" };
    const rounds = Math.max(2, Math.floor(seconds / (2 * SAMPLE_S)));
    for (let tries = 1; ; tries++) {
        const port = 20000 + Math.floor(Math.random() * 10000);
        const c = machine.attempt(["/bin/sh", "-c", probeScript(cpus, rounds, port)], netserverLifeS(rounds) + 30);
        if (c.status === NO_LISTENER && !c.error && tries < PORT_TRIES) continue;
        if (c.status !== 0 || c.error) {
            return {
                ok: false,
                why: `the probe failed (${c.error ?? `exit ${c.status}`}): ${combinedOutput(c).trim().split("\n").slice(-2).join(" ") || "no output"}`,
            };
        }
        let rates: ProbeRates;
        try {
            rates = parseProbeRates(c.stdout);
        } catch (e) {
            return { ok: false, why: (e as Error).message };
        }
        const stability = judgeStability(rates, cpus, SAMPLE_S);
        return stability ? { ok: true, stability, cpus, raw: c.stdout } : { ok: false, why: "the probe printed no sample" };
    }
}
