/**
 * Start and stop time of an environment (Flux7 2014 "Start and stop times": containers < 50 ms,
 * VMs 30–45 s start and 5–10 s stop; KEK HEPiX 2015 "boot and delete" under 1…32 concurrent
 * requests). Measured on the host: fresh throwaway instances equivalent to the cell's environment
 * (environments/clone.ts: same image, network, mounts, limits, runtime; same domain XML with a new
 * name, MAC and qcow2 overlay) are created and removed, and each one's two phases are timed:
 *
 * - create_ready_s: Docker: volume create + `docker run` until `docker exec true` answers;
 *   KVM: overlay + define + start until SSH answers.
 * - ready_removed_s: Docker: `docker rm -f` + volume removal; KVM: destroy + undefine + overlay removal.
 *
 * `instances` (a count or a sweep such as "1,2,4") creates that many instances at the same time;
 * each instance is one sample with point {instances: N}. Native: an "instance" is one process
 * (start a `sleep`, see it alive; kill it, see it gone) — the zero-isolation baseline that the
 * overhead table compares against, measured, not assumed.
 */
import type { Clones } from "../core/clones";
import { HOST_TOOLS_VERSION_COMMAND, parseHostToolsVersion } from "./host-tools";
import { INSTANCES_PARAM, INSTANCES_SCHEMA, background, instanceSweep, instancesPrologue } from "./instances";
import { SECONDS_PARAM } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";

export type LifecycleParams = {
    /** Simultaneous instances: a count or a comma-separated sweep ("1,2,4"); KEK swept 1…32. */
    instances: number | string;
    /** Bound of one instance's create → ready, in seconds (software-emulated guests boot in ~45 s). */
    readyTimeoutS: number;
};

const NAME = "lifecycle";

export const LIFECYCLE_METRICS = {
    createReady: "create_ready_s",
    readyRemoved: "ready_removed_s",
} as const;

/** The host script: for each count N, N instances created and removed simultaneously, one result line each. */
export function lifecycleScript(clones: Clones, sweep: readonly number[], readyTimeoutS: number): string {
    const lines = [instancesPrologue(clones, Math.max(...sweep), readyTimeoutS)];
    for (const n of sweep) {
        lines.push(`# ---- instances=${n}`);
        for (let k = 1; k <= n; k++) {
            const c = clones.scripts(k, readyTimeoutS);
            const err = `"$ISOBENCH_TMP/lc_${n}_${k}.err"`;
            lines.push(
                background(
                    [
                        `t0=$(now)`,
                        `( set -e\n${c.create}\n) >/dev/null 2>${err} || { echo "isobench: creating ${c.name} (instances=${n}) failed:" >&2; cat ${err} >&2; exit 1; }`,
                        `t1=$(now)`,
                        `( set -e\n${c.remove}\n) >/dev/null 2>>${err} || { echo "isobench: removing ${c.name} (instances=${n}) failed:" >&2; cat ${err} >&2; exit 1; }`,
                        `t2=$(now)`,
                        `echo "lifecycle instances=${n} instance=${k} create_ready_s=$(elapsed $t0 $t1) ready_removed_s=$(elapsed $t1 $t2)" >"$ISOBENCH_TMP/lc_${n}_${k}"`,
                    ].join("\n"),
                ),
            );
        }
        lines.push(`wait_all || exit 1`);
        for (let k = 1; k <= n; k++) lines.push(`cat "$ISOBENCH_TMP/lc_${n}_${k}"`);
    }
    return lines.join("\n") + "\n";
}

const LINE = /^lifecycle instances=(\d+) instance=(\d+) create_ready_s=([0-9]+\.[0-9]{3}) ready_removed_s=([0-9]+\.[0-9]{3})$/;

/** One create_ready_s and one ready_removed_s sample per instance and count; checks every instance of the sweep is there. */
export function parseLifecycle(raw: string, params?: LifecycleParams): Measurement[] {
    const rows = raw
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("lifecycle "));
    const seen = new Map<string, [number, number]>();
    for (const l of rows) {
        const m = LINE.exec(l);
        if (!m) throw new ParseError(NAME, LIFECYCLE_METRICS.createReady, `malformed result line ${JSON.stringify(l)} (truncated?)`);
        seen.set(`${m[1]}/${m[2]}`, [Number(m[3]), Number(m[4])]);
    }
    const sweep = params ? (instanceSweep(NAME, params) ?? [1]) : [...new Set(rows.map((l) => Number(LINE.exec(l)![1])))];
    if (sweep.length === 0) throw new ParseError(NAME, LIFECYCLE_METRICS.createReady, 'no "lifecycle instances=… instance=…" result line in the output');
    const out: Measurement[] = [];
    for (const n of sweep) {
        for (let k = 1; k <= n; k++) {
            const v = seen.get(`${n}/${k}`);
            if (!v)
                throw new ParseError(
                    NAME,
                    LIFECYCLE_METRICS.createReady,
                    `no result line for instance ${k} of instances=${n} (truncated, or an instance failed?)`,
                );
            const point = { [INSTANCES_PARAM]: n };
            out.push({ metric: LIFECYCLE_METRICS.createReady, value: v[0], unit: "s", better: "lower", point });
            out.push({ metric: LIFECYCLE_METRICS.readyRemoved, value: v[1], unit: "s", better: "lower", point });
        }
    }
    return out;
}

export const lifecycle: Workload<LifecycleParams> = {
    name: NAME,
    tool: "docker/libvirt",
    defaults: { instances: 1, readyTimeoutS: 600 },
    paramSchema: { instances: INSTANCES_SCHEMA, readyTimeoutS: SECONDS_PARAM },
    versionCommand: HOST_TOOLS_VERSION_COMMAND,
    versionPlacement: "host",
    parseVersion: (out) => parseHostToolsVersion(NAME, out),
    // Each count waits at most readyTimeoutS for its instances, which bounds it.
    // Booting and stopping guests or containers: readyTimeoutS only bounds it.
    lengthFixedBy: () => "work",
    expectedS: (p: LifecycleParams) => (instanceSweep(NAME, p) ?? [1]).length * p.readyTimeoutS,
    clientPlacement: "host",
    needsClones: true,
    clientCommand(p: LifecycleParams, ctx: RunContext): string {
        if (!ctx.clones) throw new Error(`${NAME}: needs the environment's clones (the runner provides them for workloads with needsClones)`);
        if (!Number.isInteger(p.readyTimeoutS) || p.readyTimeoutS < 1)
            throw new Error(`${NAME}: parameter readyTimeoutS must be a positive integer, got ${JSON.stringify(p.readyTimeoutS)}`);
        return lifecycleScript(ctx.clones, instanceSweep(NAME, p) ?? [1], p.readyTimeoutS);
    },
    parse: parseLifecycle,
};
