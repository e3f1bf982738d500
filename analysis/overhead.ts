/**
 * Groups samples and expresses every environment relative to native. Pure functions, no I/O.
 *
 * A group is all repetitions of one (environment, workload, params, metric). Its overhead is
 * computed against the group of the environment named "native" with the same (workload, params,
 * metric), as a signed percentage in the style of Felter et al. (Table I: "-22%"):
 *
 *   NEGATIVE MEANS WORSE THAN NATIVE, positive means better, 0% means equal.
 *
 *   better = higher (throughput, events/s, req/s):  overhead = (env / native - 1) · 100
 *   better = lower  (latency, run time):            overhead = (native / env - 1) · 100
 *
 * For lower-is-better metrics this is the throughput-equivalent view: a latency twice native's
 * gives -50%, exactly like half native's throughput, so the percentages of both kinds of metric
 * are on one scale and never fall below -100%. It is NOT "latency increase": the paper's
 * "KVM adds 80% latency" (67.9 µs vs 37.6 µs) appears here as -45%. Every row also carries the
 * plain ratio env/native of the means (summary.csv `ratio_vs_native`), from which the
 * latency-increase view is (ratio - 1) · 100.
 *
 * The 95 % interval of the overhead is approximate: delta method on the log of the ratio of the
 * two means, sqrt(s_e²/(n_e·m_e²) + s_n²/(n_n·m_n²)), with Welch–Satterthwaite degrees of
 * freedom, mapped through the same formula; it needs n >= 2 on both sides.
 */
import type { Accel, Better, Sample } from "../experiment/samples";
import { describe, Interval, Stats, tCritical95 } from "./statistics";

export const BASELINE_ENVIRONMENT = "native";

export interface Group {
    readonly environment: string;
    /** The env_kind of the group's samples, or "mixed". */
    readonly env_kind: string;
    /** The variant of the group's samples, or "mixed". */
    readonly variant: string;
    readonly workload: string;
    readonly params: string;
    readonly metric: string;
    /** The unit of the group's samples, or "mixed (a, b)" (then no overhead is computed). */
    readonly unit: string;
    /** The direction of the group's samples, or "mixed" (then no overhead is computed). */
    readonly better: Better | "mixed";
    /** The accel of the group's samples, or "mixed" when they differ (e.g. kvm and tcg). */
    readonly accel: Accel | "mixed";
    /** Distinct tool versions, sorted. */
    readonly tool_versions: readonly string[];
    readonly values: readonly number[];
    readonly stats: Stats;
}

export type Overhead =
    /** The group is the native baseline itself. */
    | { readonly kind: "baseline" }
    | {
          readonly kind: "compared";
          /** env mean / native mean. */
          readonly ratio: number;
          /** Signed percent, negative = worse than native (see the module comment). */
          readonly percent: number;
          /** Approximate 95 % interval of percent; null when either side has n < 2. */
          readonly ci95: Interval | null;
      }
    /** No native group for this (workload, params, metric): nothing to compare with. */
    | { readonly kind: "no-native"; readonly reason: string }
    /** A native group exists but a ratio cannot be formed (mixed units, zero mean, ...). */
    | { readonly kind: "not-comparable"; readonly reason: string };

export interface SummaryRow extends Group {
    readonly overhead: Overhead;
}

export interface Summary {
    readonly rows: readonly SummaryRow[];
    /** Inconsistencies found while grouping (mixed units or directions); never silently dropped. */
    readonly problems: readonly string[];
}

/** Signed overhead percent of envMean against nativeMean; negative = worse. Means must be > 0. */
export function overheadPercent(envMean: number, nativeMean: number, better: Better): number {
    if (!(envMean > 0) || !(nativeMean > 0)) {
        throw new Error(`overheadPercent: means must be positive, got env ${envMean} and native ${nativeMean}`);
    }
    return better === "higher" ? (envMean / nativeMean - 1) * 100 : (nativeMean / envMean - 1) * 100;
}

/** Paper style: whole percent, explicit sign for gains: "0%", "-4%", "-22%", "+3%". */
export function formatPercent(percent: number): string {
    const r = Math.round(percent);
    if (r === 0) return "0%"; // also turns -0 into 0%
    return r > 0 ? `+${r}%` : `${r}%`;
}

function keyOf(s: Pick<Sample, "environment" | "workload" | "params" | "metric">): string {
    return JSON.stringify([s.environment, s.workload, s.params, s.metric]);
}

function comparisonKey(g: Pick<Group, "workload" | "params" | "metric">): string {
    return JSON.stringify([g.workload, g.params, g.metric]);
}

function uniform<T extends string>(values: readonly T[]): T | "mixed" {
    return values.every((v) => v === values[0]) ? values[0] : "mixed";
}

function describeGroup(g: Pick<Group, "environment" | "workload" | "params" | "metric">): string {
    return `environment ${g.environment}, workload ${g.workload}, params "${g.params}", metric ${g.metric}`;
}

/** Groups samples by (environment, workload, params, metric) with their statistics. */
export function groupSamples(samples: readonly Sample[]): { groups: Group[]; problems: string[] } {
    const bySample = new Map<string, Sample[]>();
    for (const s of samples) {
        const k = keyOf(s);
        const list = bySample.get(k);
        if (list) list.push(s);
        else bySample.set(k, [s]);
    }
    const groups: Group[] = [];
    const problems: string[] = [];
    for (const list of bySample.values()) {
        const first = list[0];
        const units = [...new Set(list.map((s) => s.unit))].sort();
        const betters = [...new Set(list.map((s) => s.better))].sort();
        const unit = units.length === 1 ? units[0] : `mixed (${units.join(", ")})`;
        if (units.length > 1) problems.push(`${describeGroup(first)}: samples have different units (${units.join(", ")}); no overhead computed`);
        if (betters.length > 1) problems.push(`${describeGroup(first)}: samples disagree whether higher or lower is better; no overhead computed`);
        groups.push({
            environment: first.environment,
            env_kind: uniform(list.map((s) => s.env_kind)),
            variant: uniform(list.map((s) => s.variant)),
            workload: first.workload,
            params: first.params,
            metric: first.metric,
            unit,
            better: uniform(list.map((s) => s.better)),
            accel: uniform(list.map((s) => s.accel)),
            tool_versions: [...new Set(list.map((s) => s.tool_version))].sort(),
            values: list.map((s) => s.value),
            stats: describe(list.map((s) => s.value)),
        });
    }
    return { groups, problems };
}

/** Approximate 95 % interval of the ratio env/native (delta method on the log ratio, Welch df). */
function ratioInterval(env: Stats, native: Stats): Interval | null {
    if (env.stddev === null || native.stddev === null) return null;
    const ve = (env.stddev * env.stddev) / (env.n * env.mean * env.mean);
    const vn = (native.stddev * native.stddev) / (native.n * native.mean * native.mean);
    const rse = Math.sqrt(ve + vn);
    const ratio = env.mean / native.mean;
    if (rse === 0) return { low: ratio, high: ratio };
    const df = (ve + vn) ** 2 / ((ve * ve) / (env.n - 1) + (vn * vn) / (native.n - 1));
    const f = Math.exp(tCritical95(df) * rse);
    return { low: ratio / f, high: ratio * f };
}

/** The overhead of group g against the native group of the same comparison (if any). */
export function compareToNative(g: Group, native: Group | undefined, anyNative: boolean): Overhead {
    if (g.environment === BASELINE_ENVIRONMENT) return { kind: "baseline" };
    if (!native) {
        return {
            kind: "no-native",
            reason: anyNative
                ? `no "${BASELINE_ENVIRONMENT}" samples for workload ${g.workload}, params "${g.params}", metric ${g.metric} (native was measured with other parameters or metrics, or its cells failed)`
                : `these results contain no "${BASELINE_ENVIRONMENT}" environment at all, so there is nothing to compare with`,
        };
    }
    const notComparable = (reason: string): Overhead => ({ kind: "not-comparable", reason });
    if (g.better === "mixed" || native.better === "mixed") return notComparable("samples disagree whether higher or lower is better");
    if (g.better !== native.better) return notComparable(`native says ${native.better} is better, ${g.environment} says ${g.better}`);
    if (g.unit !== native.unit) return notComparable(`units differ: ${g.environment} ${g.unit}, native ${native.unit}`);
    if (!(g.stats.mean > 0) || !(native.stats.mean > 0)) {
        return notComparable(`a ratio needs positive means (native ${native.stats.mean}, ${g.environment} ${g.stats.mean})`);
    }
    const better = g.better;
    const ratio = g.stats.mean / native.stats.mean;
    const percent = overheadPercent(g.stats.mean, native.stats.mean, better);
    const r = ratioInterval(g.stats, native.stats);
    let ci95: Interval | null = null;
    if (r) {
        ci95 = better === "higher"
            ? { low: (r.low - 1) * 100, high: (r.high - 1) * 100 }
            : { low: (1 / r.high - 1) * 100, high: (1 / r.low - 1) * 100 };
    }
    return { kind: "compared", ratio, percent, ci95 };
}

/**
 * Groups the samples, computes statistics and the overhead of every group against native.
 * Rows are ordered by workload, params, metric, then environment with native first.
 */
export function summarize(samples: readonly Sample[]): Summary {
    const { groups, problems } = groupSamples(samples);
    const natives = new Map<string, Group>();
    for (const g of groups) if (g.environment === BASELINE_ENVIRONMENT) natives.set(comparisonKey(g), g);
    const anyNative = natives.size > 0;
    const rows: SummaryRow[] = groups.map((g) => ({ ...g, overhead: compareToNative(g, natives.get(comparisonKey(g)), anyNative) }));
    // Plain code-unit order (not localeCompare) so the output is the same on every host.
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const envOrder = (e: string) => (e === BASELINE_ENVIRONMENT ? "" : e);
    rows.sort((a, b) =>
        cmp(a.workload, b.workload) ||
        cmp(a.params, b.params) ||
        cmp(a.metric, b.metric) ||
        cmp(envOrder(a.environment), envOrder(b.environment)));
    return { rows, problems };
}

/** The overhead cell: "baseline", "-22%", "n/a (no native)", "n/a (not comparable)". */
export function formatOverhead(o: Overhead): string {
    switch (o.kind) {
        case "baseline":
            return "baseline";
        case "compared":
            return formatPercent(o.percent);
        case "no-native":
            return "n/a (no native)";
        case "not-comparable":
            return "n/a (not comparable)";
    }
}
