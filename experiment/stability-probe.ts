/**
 * `isobench doctor --stability [seconds]`: how steady the machine's CPU-to-CPU round trip is
 * (analysis/host-stability.ts says why it matters and what was measured). netserver and netperf run
 * on the machine through its transport, over loopback, alternating one-second TCP_RR samples with
 * client and server on CPUs of two different cores and on one CPU. netserver listens on 127.0.0.1
 * only, and dies with the probe: the script kills it on exit, and `timeout` ends it by itself
 * should the script be killed first.
 */
import type { Transport } from "../environments/transport";
import { combinedOutput } from "../environments/process";
import { readHostTopology } from "./host-shape-read";
import { ProbeRates, Stability, judgeStability, parseProbeRates } from "../analysis/host-stability";

/** Seconds of one netperf sample. */
export const SAMPLE_S = 1;
/** 30 samples of each placement: on the development host 10 samples gave a CV of 3.2 % between CPUs, 40 over two minutes 5.9 %. */
export const DEFAULT_PROBE_S = 60;

/** Two CPUs of different cores (the first CPU of the first two cores); undefined on a one-core machine. */
export function probeCpus(cpuSiblings: readonly (readonly number[])[]): [number, number] | undefined {
    return cpuSiblings.length < 2 ? undefined : [cpuSiblings[0][0], cpuSiblings[1][0]];
}

/** The probe's shell script: `rounds` pairs of samples, "across <rate>" then "same <rate>". */
export function probeScript(cpus: readonly [number, number], rounds: number, port: number): string {
    const [a, b] = cpus;
    const rr = (pin: string) => `netperf -H 127.0.0.1 -p ${port} -T ${pin} -t TCP_RR -l ${SAMPLE_S} -P 0 -- -o THROUGHPUT | tail -n 1`;
    const life = rounds * 2 * SAMPLE_S + 30;
    return [
        "set -u",
        `timeout ${life} netserver -D -4 -L 127.0.0.1,inet -p ${port} >/dev/null 2>&1 &`,
        "s=$!",
        "trap 'kill $s 2>/dev/null; wait $s 2>/dev/null' EXIT",
        // The first sample waits for netserver to listen and warms both CPUs; it is not reported.
        "i=0",
        `until ${rr(`${a},${b}`)} >/dev/null 2>&1; do i=$((i+1)); if [ $i -ge 25 ]; then echo "netserver did not answer on 127.0.0.1:${port}" >&2; exit 3; fi; sleep 0.2; done`,
        "r=0",
        `while [ $r -lt ${rounds} ]; do`,
        `  x=$(${rr(`${a},${b}`)}) || exit 4; echo "across $x"`,
        `  y=$(${rr(`${a},${a}`)}) || exit 4; echo "same $y"`,
        "  r=$((r+1))",
        "done",
    ].join("\n");
}

export type ProbeOutcome = { readonly ok: true; readonly stability: Stability } | { readonly ok: false; readonly why: string };

/** Runs the probe for about `seconds` on `machine`. Never throws: what stopped it is in `why`. */
export function probeStability(machine: Transport, seconds: number = DEFAULT_PROBE_S): ProbeOutcome {
    const cpus = probeCpus(readHostTopology(machine).cpuSiblings);
    if (!cpus) return { ok: false, why: "one core: there is no round trip between cores to measure" };
    const rounds = Math.max(2, Math.floor(seconds / (2 * SAMPLE_S)));
    const port = 20000 + Math.floor(Math.random() * 10000);
    const c = machine.attempt(["/bin/sh", "-c", probeScript(cpus, rounds, port)], rounds * 2 * SAMPLE_S + 60);
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
    return stability ? { ok: true, stability } : { ok: false, why: "the probe printed no sample" };
}
