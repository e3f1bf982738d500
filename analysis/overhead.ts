/**
 * Groups samples and expresses every environment relative to native. Pure functions, no I/O.
 *
 * A group is all repetitions of one (environment, workload, params, metric). It is compared with
 * the group of the environment named "native" with the same (workload, params, metric).
 * The one convention for overheads, used by every table, CSV column and plot of isobench, is
 * OVERHEAD_CONVENTION below; the ratio interval and the verdict come from analysis/ratio.ts,
 * pairing by repetition from analysis/pairing.ts.
 */
import type { Accel, Better, Sample } from "../core/samples";
import { pairByRepetition, perRepetition } from "./pairing";
import { duplicateField } from "./duplicates";
import { familyVerdicts, FamilyVerdict, pairedRatioOfMeans, ratioOfMeans, RatioEstimate, Verdict, VERDICT_MEANING } from "./ratio";
import { describe, Interval, Outliers, Stats, tukeyOutliers } from "./statistics";

export const BASELINE_ENVIRONMENT = "native";
export const DEFAULT_CONFIDENCE = 0.95;

/**
 * The sign convention, stated once. The percentage is the change of the metric itself, in the
 * paper's style for both kinds of metric: Felter et al. write "-22%" for a throughput 22 % below
 * native and "KVM adds 80% latency" for a round trip 1.8× native's.
 */
export const OVERHEAD_CONVENTION =
    "change vs native = (environment mean / native mean − 1) · 100, the change of the metric itself: " +
    "−22% is a throughput 22 % below native, +80% a latency 1.8× native's. Whether that is better or worse " +
    "depends on the metric (↑ higher is better, ↓ lower is better) and is spelled out by the verdict: " +
    Object.entries(VERDICT_MEANING)
        .map(([verdict, meaning]) => `${verdict} (${meaning})`)
        .join("; ") +
    ".";

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
    /** Distinct tools, sorted. */
    readonly tools: readonly string[];
    /** Distinct tool versions, sorted. */
    readonly tool_versions: readonly string[];
    /** One value per repetition (simultaneous instances averaged, see perRepetition), in the order read. */
    readonly values: readonly number[];
    /** repetitions[i] is the repetition of values[i]; each appears once. */
    readonly repetitions: readonly number[];
    /** Values measured at once within a repetition (simultaneous instances), 1 for a lone instance. */
    readonly instances: number;
    /** Set when this metric restates another metric of the same cell (duplicates.ts): shown, counted once. */
    readonly duplicateOf?: string;
    readonly stats: Stats;
    /** Values outside Tukey's fences: reported, never dropped; null when n < 4. */
    readonly outliers: Outliers | null;
}

export type Overhead =
    /** The group is the native baseline itself. */
    | { readonly kind: "baseline" }
    | {
          readonly kind: "compared";
          /** env mean / native mean. */
          readonly ratio: number;
          /** (ratio − 1) · 100, see OVERHEAD_CONVENTION. */
          readonly percent: number;
          /** Interval of the ratio at `confidence`; null when it does not exist (ciMissing says why). */
          readonly ratioCi: Interval | null;
          /** The same interval as percent change. */
          readonly ci: Interval | null;
          readonly ciMissing?: string;
          readonly confidence: number;
          readonly method: RatioEstimate["method"];
          /** Standard error of log(ratio) and the t quantile's degrees of freedom; null without interval. */
          readonly logSe: number | null;
          readonly df: number | null;
          /** Why the repetitions were not paired (undefined when paired). */
          readonly unpairedReason?: string;
          /** Two-sided p-value for a ratio of 1 (ratioPValue); null without interval. */
          readonly p: number | null;
          /** p Holm-adjusted over the run's comparisons with native (the comparison alone: p); null without interval. */
          readonly pHolm: number | null;
          /** From pHolm (analysis/ratio.ts familyVerdicts). */
          readonly verdict: Verdict;
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
    /** Inconsistencies found while grouping or comparing; never silently dropped. */
    readonly problems: readonly string[];
    /** The confidence of every comparison interval and verdict. */
    readonly confidence: number;
    /** True when the samples contain the native baseline environment at all. */
    readonly hasNative: boolean;
    /** How many comparisons with native the verdicts were decided over (Holm's family; restatements not counted). */
    readonly family: number;
}

/** (env / native − 1) · 100 (OVERHEAD_CONVENTION). Means must be > 0. */
export function overheadPercent(envMean: number, nativeMean: number): number {
    if (!(envMean > 0) || !(nativeMean > 0)) {
        throw new Error(`overheadPercent: means must be positive, got env ${envMean} and native ${nativeMean}`);
    }
    return (envMean / nativeMean - 1) * 100;
}

/** Paper style: whole percent, explicit sign for increases: "0%", "-4%", "-22%", "+80%". */
export function formatPercent(percent: number): string {
    const r = Math.round(percent);
    if (r === 0) return "0%"; // also turns -0 into 0%
    return r > 0 ? `+${r}%` : `${r}%`;
}

function describeGroup(g: Pick<Group, "environment" | "workload" | "params" | "metric">): string {
    return `environment ${g.environment}, workload ${g.workload}, params "${g.params}", metric ${g.metric}`;
}

interface Building {
    readonly first: Sample;
    readonly values: number[];
    readonly repetitions: number[];
    readonly sets: Record<(typeof TRACKED)[number], Set<string>>;
    /** The last sample's tracked fields: most samples repeat them, so the sets are touched only on change. */
    readonly last: Record<(typeof TRACKED)[number], string>;
}

/** Fields whose distinct values a group records (uniform → the value, several → "mixed"). */
const TRACKED = ["env_kind", "variant", "unit", "better", "accel", "tool", "tool_version"] as const;

const SEP = "\u0000";

/**
 * Builds groups one sample at a time, so a results directory can be streamed file by file
 * without holding every sample (a million rows) in memory.
 */
export class GroupAccumulator {
    private readonly byKey = new Map<string, Building>();

    add(s: Sample): void {
        const k = s.environment + SEP + s.workload + SEP + s.params + SEP + s.metric;
        let b = this.byKey.get(k);
        if (!b) {
            // Keep only the key fields of the first sample, not the whole row.
            const first = { environment: s.environment, workload: s.workload, params: s.params, metric: s.metric } as Sample;
            const sets = {} as Building["sets"];
            const last = {} as Building["last"];
            for (const f of TRACKED) {
                sets[f] = new Set([s[f]]);
                last[f] = s[f];
            }
            b = { first, values: [], repetitions: [], sets, last };
            this.byKey.set(k, b);
        }
        b.values.push(s.value);
        b.repetitions.push(s.repetition);
        for (const f of TRACKED) {
            if (b.last[f] !== s[f]) {
                b.sets[f].add(s[f]);
                b.last[f] = s[f];
            }
        }
    }

    get size(): number {
        return this.byKey.size;
    }

    /** The state, for a worker thread to send to the main thread (structured clone keeps Maps and Sets). */
    state(): ReadonlyMap<string, unknown> {
        return this.byKey;
    }

    /**
     * Appends the state of an accumulator that read later files (a worker's): values keep file
     * order when states are merged in the order their files were listed.
     */
    merge(state: ReadonlyMap<string, unknown>): void {
        for (const [k, value] of state) {
            const o = value as Building;
            const b = this.byKey.get(k);
            if (!b) {
                this.byKey.set(k, o);
                continue;
            }
            for (const v of o.values) b.values.push(v);
            for (const r of o.repetitions) b.repetitions.push(r);
            for (const f of TRACKED) {
                for (const x of o.sets[f]) b.sets[f].add(x);
                b.last[f] = o.last[f];
            }
        }
    }

    finish(): { groups: Group[]; problems: string[] } {
        const groups: Group[] = [];
        const problems: string[] = [];
        const one = <T extends string>(set: Set<string>): T | "mixed" => (set.size === 1 ? ([...set][0] as T) : "mixed");
        for (const b of this.byKey.values()) {
            const units = perRepetition(b.values, b.repetitions);
            const unitNames = [...b.sets.unit].sort();
            const unit = unitNames.length === 1 ? unitNames[0] : `mixed (${unitNames.join(", ")})`;
            if (unitNames.length > 1) problems.push(`${describeGroup(b.first)}: samples have different units (${unitNames.join(", ")}); no overhead computed`);
            if (b.sets.better.size > 1) problems.push(`${describeGroup(b.first)}: samples disagree whether higher or lower is better; no overhead computed`);
            groups.push({
                environment: b.first.environment,
                env_kind: one(b.sets.env_kind),
                variant: one(b.sets.variant),
                workload: b.first.workload,
                params: b.first.params,
                metric: b.first.metric,
                unit,
                better: one<Better>(b.sets.better),
                accel: one<Accel>(b.sets.accel),
                tools: [...b.sets.tool].sort(),
                tool_versions: [...b.sets.tool_version].sort(),
                values: units.values,
                repetitions: units.repetitions,
                instances: units.instances,
                stats: describe(units.values),
                outliers: tukeyOutliers(units.values),
                ...duplicateField(b.first),
            });
        }
        return { groups, problems };
    }
}

/** Groups samples by (environment, workload, params, metric) with their statistics. */
export function groupSamples(samples: readonly Sample[]): { groups: Group[]; problems: string[] } {
    const acc = new GroupAccumulator();
    for (const s of samples) acc.add(s);
    return acc.finish();
}

/** Groups with the same key measure the same thing and can be compared across environments. */
export function comparisonKey(g: Pick<Group, "workload" | "params" | "metric">): string {
    return g.workload + SEP + g.params + SEP + g.metric;
}

/** The overhead of group g against the native group of the same (workload, params, metric). */
export function compareToNative(g: Group, native: Group | undefined, anyNative: boolean, confidence = DEFAULT_CONFIDENCE): Overhead {
    if (g.environment === BASELINE_ENVIRONMENT) return { kind: "baseline" };
    if (!native) {
        return {
            kind: "no-native",
            reason: anyNative
                ? `no "${BASELINE_ENVIRONMENT}" samples for workload ${g.workload}, params "${g.params}", metric ${g.metric}`
                : `the results contain no "${BASELINE_ENVIRONMENT}" environment at all; add it to the stack's environments to get overheads`,
        };
    }
    return compareGroups(g, native, confidence);
}

/**
 * g's mean over base's mean with its interval, for the same (workload, params, metric); base is
 * native for overheads, another environment for claims such as "Docker starts faster than KVM".
 */
export function compareGroups(g: Group, base: Group, confidence = DEFAULT_CONFIDENCE): Exclude<Overhead, { kind: "baseline" } | { kind: "no-native" }> {
    const notComparable = (reason: string) => ({ kind: "not-comparable" as const, reason });
    if (g.better === "mixed" || base.better === "mixed") return notComparable("samples disagree whether higher or lower is better");
    if (g.better !== base.better) return notComparable(`${base.environment} says ${base.better} is better, ${g.environment} says ${g.better}`);
    if (g.unit !== base.unit) return notComparable(`units differ: ${g.environment} ${g.unit}, ${base.environment} ${base.unit}`);
    if (!(g.stats.mean > 0) || !(base.stats.mean > 0)) {
        return notComparable(`a ratio needs positive means (${base.environment} ${base.stats.mean}, ${g.environment} ${g.stats.mean})`);
    }
    const obs = (x: Group) => x.values.map((value, i) => ({ value, repetition: x.repetitions[i] }));
    const pairing = pairByRepetition(obs(g), obs(base));
    const est = pairing.paired ? pairedRatioOfMeans(pairing.env, pairing.native, confidence) : ratioOfMeans(g.values, base.values, confidence);
    const pct = (r: number) => (r - 1) * 100;
    return {
        kind: "compared",
        ratio: est.ratio,
        percent: pct(est.ratio),
        ratioCi: est.ci,
        ci: est.ci ? { low: pct(est.ci.low), high: pct(est.ci.high) } : null,
        ...(est.ciMissing ? { ciMissing: est.ciMissing } : {}),
        confidence,
        method: est.method,
        logSe: est.logSe,
        df: est.df,
        ...(pairing.paired ? {} : { unpairedReason: pairing.reason }),
        // Alone, a comparison is a family of one; summarizeGroups decides it with the run's others.
        ...familyVerdicts([{ ...est, better: g.better }], 1 - confidence).verdicts[0],
    };
}

/**
 * Computes the overhead of every group against native. Rows are ordered by workload, params,
 * metric, then environment with native first.
 */
export function summarizeGroups(grouped: { groups: readonly Group[]; problems: readonly string[] }, confidence = DEFAULT_CONFIDENCE): Summary {
    const { groups } = grouped;
    const natives = new Map<string, Group>();
    for (const g of groups) if (g.environment === BASELINE_ENVIRONMENT) natives.set(comparisonKey(g), g);
    const hasNative = natives.size > 0;
    const { rows, family } = withFamilyVerdicts(
        groups.map((g) => ({ ...g, overhead: compareToNative(g, natives.get(comparisonKey(g)), hasNative, confidence) })),
        confidence,
    );
    // Plain code-unit order (not localeCompare) so the output is the same on every host.
    const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
    const envOrder = (e: string) => (e === BASELINE_ENVIRONMENT ? "" : e);
    rows.sort(
        (a, b) => cmp(a.workload, b.workload) || cmp(a.params, b.params) || cmp(a.metric, b.metric) || cmp(envOrder(a.environment), envOrder(b.environment)),
    );
    const problems = [...grouped.problems];
    if (!hasNative && rows.length > 0) {
        problems.push(`no "${BASELINE_ENVIRONMENT}" baseline in these results: statistics are reported, overheads, verdicts and claims cannot be computed`);
    }
    return { rows, problems, confidence, hasNative, family };
}

/**
 * A metric's place in a run (environment, workload, params, metric), and with `metric` its
 * original's: the key and restates of familyVerdicts' members.
 */
export function restatementKeys(r: Pick<Group, "environment" | "workload" | "params" | "metric" | "duplicateOf">): { key: string; restates?: string } {
    const at = (metric: string) => JSON.stringify([r.environment, r.workload, r.params, metric]);
    return { key: at(r.metric), ...(r.duplicateOf !== undefined ? { restates: at(r.duplicateOf) } : {}) };
}

type ComparedRow = SummaryRow & { overhead: Extract<Overhead, { kind: "compared" }> };
const isCompared = (r: SummaryRow): r is ComparedRow => r.overhead.kind === "compared";

/**
 * The run's comparisons with native decided together (analysis/ratio.ts familyVerdicts says why); a
 * restatement whose original is absent stands on its own, as in countedOnce.
 */
function withFamilyVerdicts(rows: SummaryRow[], confidence: number): { rows: SummaryRow[]; family: number } {
    const compared = rows.filter(isCompared);
    const { verdicts, size } = familyVerdicts(
        compared.map((r) => ({ ...r.overhead, better: r.better as "higher" | "lower", ...restatementKeys(r) })),
        1 - confidence,
    );
    const decided = new Map<SummaryRow, FamilyVerdict>(compared.map((r, i) => [r, verdicts[i]]));
    return {
        rows: rows.map((r) => {
            const v = decided.get(r);
            return v && r.overhead.kind === "compared" ? { ...r, overhead: { ...r.overhead, ...v } } : r;
        }),
        family: size,
    };
}

/**
 * How the report's verdicts were decided, with what it cost (one sentence, no trailing period):
 * comparisons whose interval excludes 1 on its own but that Holm's procedure does not confirm are
 * counted, so a reader sees what the family-wise rule held back.
 */
export function verdictMethod(summary: Summary): string {
    const counted = summary.rows.filter(isCompared).filter((r) => r.overhead.p !== null && r.overhead.pHolm !== null);
    const alone = counted.filter((r) => (r.overhead.p as number) < 1 - summary.confidence).length;
    const held = counted.filter((r) => r.overhead.verdict === "faster" || r.overhead.verdict === "slower").length;
    const fwe = Math.round((1 - summary.confidence) * 100);
    return (
        `Verdicts: Holm's step-down over the run's ${summary.family} comparison(s) with native (family-wise error at most ${fwe} %; a metric restating another of its cell takes that one's verdict and is not counted); ` +
        `of the ${alone} row(s) whose interval excludes 1 on its own, ${held} show a difference with the others taken together`
    );
}

/** Groups the samples, computes statistics and the overhead of every group against native. */
export function summarize(samples: readonly Sample[], confidence = DEFAULT_CONFIDENCE): Summary {
    return summarizeGroups(groupSamples(samples), confidence);
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

/** "↑" for higher-is-better metrics, "↓" for lower-is-better, "?" when samples disagree. */
export function directionArrow(better: Better | "mixed"): string {
    return better === "higher" ? "↑" : better === "lower" ? "↓" : "?";
}
