/**
 * Metrics that restate another metric of the same cell: one measurement reported twice. They are
 * shown, but counted once (a claim never sees the pair as two points). Pure, no I/O.
 *
 * Analysis knows no workload code (layers), so the rules name the workloads' metric patterns here.
 */
import { numericParam } from "./params";

interface Rule {
    /** The workloads it applies to; undefined for all. */
    readonly workloads?: readonly string[];
    readonly metric: RegExp;
    /** The metric this one restates, from the match; undefined when it does not restate one at these params. */
    readonly of: (m: RegExpExecArray, params: string) => string | undefined;
    readonly why: string;
}

const RULES: readonly Rule[] = [
    {
        workloads: ["fio"],
        metric: /^(.+)_bw_mb_s$/,
        of: (m) => `${m[1]}_iops`,
        why: "a fio job's bandwidth is its IOPS times its fixed block size",
    },
    {
        workloads: ["sysbench-fileio", "sysbench-memory"],
        metric: /^(.+)_ops_per_s$/,
        of: (m) => `${m[1]}_mib_per_s`,
        why: "sysbench's operations per second are its MiB/s over its fixed block size",
    },
    {
        workloads: ["netperf"],
        metric: /^(.+_rr)_latency_us$/,
        of: (m) => `${m[1]}_tps`,
        why: "a netperf round trip's latency is 10⁶ over its transactions per second (workloads/netperf.ts: one transaction in flight)",
    },
    {
        metric: /^(.+)_aggregate$/,
        of: (m, params) => (numericParam(params, "instances") === 1 ? m[1] : undefined),
        why: "the sum over one instance is that instance's value",
    },
];

/** The metric that `metric` restates at this point, with why; undefined when it stands on its own. */
export function restates(workload: string, params: string, metric: string): { of: string; why: string } | undefined {
    for (const r of RULES) {
        if (r.workloads && !r.workloads.includes(workload)) continue;
        const m = r.metric.exec(metric);
        const of = m ? r.of(m, params) : undefined;
        if (of) return { of, why: r.why };
    }
    return undefined;
}

/** `{ duplicateOf }` for a group that restates another metric, `{}` otherwise. */
export function duplicateField(g: { workload: string; params: string; metric: string }): { duplicateOf?: string } {
    const d = restates(g.workload, g.params, g.metric);
    return d ? { duplicateOf: d.of } : {};
}

/** Where a row was measured, as far as restating goes: a restatement and its original share all but the metric. */
type MeasuredRow = { readonly environment: string; readonly workload: string; readonly params: string; readonly metric: string; readonly duplicateOf?: string };

/**
 * The rows without those that restate another row present among them (same environment, workload
 * and point): one measurement, one vote. A restatement whose original is absent stands on its own.
 */
export function countedOnce<T extends MeasuredRow>(rows: readonly T[]): T[] {
    const id = (r: MeasuredRow, metric: string) => JSON.stringify([r.environment, r.workload, r.params, metric]);
    const present = new Set(rows.map((r) => id(r, r.metric)));
    return rows.filter((r) => !r.duplicateOf || !present.has(id(r, r.duplicateOf)));
}
