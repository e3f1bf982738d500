/**
 * Ratio of two means with a confidence interval, and the verdict it supports. Pure, no I/O.
 *
 * Method: the interval is computed for log(ratio) and mapped back with exp. A ratio of positive
 * means lives in (0, ∞) and is multiplicative (2× and ½× are equally far from 1); on the log scale
 * the estimate is a difference, its interval is symmetric there and its bounds are always
 * positive, so no interval ever reaches a ratio of 0 or below (Fieller's set, used before, did for
 * noisy denominators, and became unbounded when the denominator's mean was not clearly above 0).
 *
 * Variance of log(x̄ / ȳ) by the delta method: var(x̄)/x̄² + var(ȳ)/ȳ² − 2·cov(x̄, ȳ)/(x̄·ȳ), the
 * relative variances of the two means. The t quantile's degrees of freedom follow that weighting:
 *
 * - Independent samples: cov = 0 and Welch–Satterthwaite degrees of freedom on the two relative
 *   variance terms (the terms of the log ratio's variance, not the raw variances: a side with a
 *   large mean but small relative spread weighs little).
 * - Paired samples (repetition r of an environment with repetition r of native, see pairing.ts):
 *   the variance of the per-pair terms x_i/x̄ − y_i/ȳ over n, which includes the covariance, and
 *   n − 1 degrees of freedom, since the n pairs are the independent units.
 *
 * test/unit/analysis-ratio-coverage.test.ts measures the coverage of both on simulated data.
 * Deterministic (no resampling), O(n).
 */
import { holmAdjusted, Interval, mean, tCritical, twoSidedP } from "./statistics";

export interface RatioEstimate {
    /** mean(numerator) / mean(denominator). */
    readonly ratio: number;
    /** Interval at the requested confidence; null when it does not exist (see reason). */
    readonly ci: Interval | null;
    /** Why ci is null (n < 2 on a side); undefined when ci exists. */
    readonly ciMissing?: string;
    readonly method: RatioMethod;
    /** Degrees of freedom of the t quantile (Welch for independent samples); null without ci. */
    readonly df: number | null;
    /** Standard error of log(ratio); null without ci. */
    readonly logSe: number | null;
}

export type RatioMethod = "log-paired" | "log-welch";

/** How ratio intervals are computed, for reports (one sentence, no trailing period). */
export const RATIO_INTERVAL_METHOD =
    "interval of the ratio of means computed on the log scale (delta method; paired by repetition with n − 1 degrees of freedom where every repetition has a partner, " +
    "otherwise independent with Welch–Satterthwaite degrees of freedom), so it is never below 0";

function variance(values: readonly number[], m: number): number {
    let ss = 0;
    for (const v of values) ss += (v - m) * (v - m);
    return ss / (values.length - 1);
}

function requirePositiveMean(m: number, what: string): void {
    if (!(m > 0)) throw new Error(`ratio of means: the ${what} mean must be positive, got ${m}`);
}

/** exp(log r ± t·se): the interval of a ratio from its log-scale standard error and degrees of freedom. */
export function logRatioInterval(ratio: number, logSe: number, df: number, confidence: number): Interval {
    const half = tCritical(confidence, df) * logSe;
    const l = Math.log(ratio);
    return { low: Math.exp(l - half), high: Math.exp(l + half) };
}

function estimate(ratio: number, logVar: number, df: number, method: RatioMethod, confidence: number): RatioEstimate {
    const logSe = Math.sqrt(Math.max(0, logVar));
    return { ratio, ci: logRatioInterval(ratio, logSe, df, confidence), method, df, logSe };
}

function means(num: readonly number[], den: readonly number[]): { a: number; b: number } {
    const a = mean(num);
    const b = mean(den);
    requirePositiveMean(a, "numerator");
    requirePositiveMean(b, "denominator");
    return { a, b };
}

/**
 * The mean of one sample with its interval on the log scale (delta method: se of log(mean) =
 * sd / (mean·√n), n − 1 degrees of freedom), for checks of a value rather than a ratio ("reaches
 * ≥ 9 Gb/s"), so they are judged and corrected for multiplicity exactly as ratios are.
 */
export function meanOnLogScale(values: readonly number[], confidence: number): RatioEstimate {
    const a = mean(values);
    requirePositiveMean(a, "sample");
    const method = "log-welch" as const;
    if (values.length < 2) return { ratio: a, ci: null, ciMissing: "needs at least 2 repetitions", method, df: null, logSe: null };
    return estimate(a, variance(values, a) / values.length / (a * a), values.length - 1, method, confidence);
}

/** Ratio of the means of two independent samples (numerator / denominator). */
export function ratioOfMeans(num: readonly number[], den: readonly number[], confidence: number): RatioEstimate {
    const { a, b } = means(num, den);
    const method = "log-welch" as const;
    if (num.length < 2 || den.length < 2) {
        return { ratio: a / b, ci: null, ciMissing: "needs at least 2 repetitions on both sides", method, df: null, logSe: null };
    }
    const wa = variance(num, a) / num.length / (a * a);
    const wb = variance(den, b) / den.length / (b * b);
    const denom = (wa * wa) / (num.length - 1) + (wb * wb) / (den.length - 1);
    // With no spread at all the interval is the point whatever the degrees of freedom.
    const df = denom > 0 ? ((wa + wb) * (wa + wb)) / denom : num.length + den.length - 2;
    return estimate(a / b, wa + wb, df, method, confidence);
}

/** Ratio of the means of paired samples: num[i] and den[i] were measured as a pair. */
export function pairedRatioOfMeans(num: readonly number[], den: readonly number[], confidence: number): RatioEstimate {
    if (num.length !== den.length) throw new Error(`paired ratio: ${num.length} numerator values but ${den.length} denominator values`);
    const { a, b } = means(num, den);
    const method = "log-paired" as const;
    const n = num.length;
    if (n < 2) return { ratio: a / b, ci: null, ciMissing: "needs at least 2 pairs", method, df: null, logSe: null };
    const terms = num.map((x, i) => x / a - den[i] / b);
    return estimate(a / b, variance(terms, 0) / n, n - 1, method, confidence);
}

/**
 * How an environment performed against native. A run makes many comparisons with native (about
 * 180 measured without emulation in felter2014-small), and at 95 % each a run of nothing but true
 * nulls would still call about one in twenty "faster" or "slower"; two runs of the same experiment
 * then agree on a null comparison with probability 0.95² + 0.05²/2 ≈ 0.90 only, so the lists of
 * differences would not repeat (issue 18 part 10). A verdict is therefore decided for the run as
 * a whole: each comparison's p-value for a ratio of 1 (ratioPValue, the test its interval
 * inverts) goes through Holm's step-down over every comparison with native in the run (the family,
 * familyVerdicts), controlling the chance that any "faster"/"slower" of the run is false at
 * 1 − confidence. The interval shown stays the comparison's own; where it excludes 1 but Holm's
 * procedure does not confirm it, the verdict is "not distinguished" and the p-values say why.
 * A family of one is the interval's own verdict. The words are defined once, in VERDICT_MEANING.
 */
export type Verdict = "faster" | "slower" | "not distinguished" | "undetermined";

/**
 * What each verdict says and no more: with few repetitions an interval that includes 1 is wide,
 * so it shows no difference at this n, which is not evidence that there is none.
 */
export const VERDICT_MEANING: Readonly<Record<Verdict, string>> = {
    faster:
        "better performance than native, shown with all of the run's comparisons taken together: the ratio's p-value for 1, " +
        "Holm-adjusted over every comparison with native in the run, is below 1 − confidence, on the better side",
    slower: "worse performance than native, shown the same way (Holm-adjusted p-value below 1 − confidence, on the worse side)",
    "not distinguished":
        "no difference shown with the run's comparisons taken together (the interval alone may exclude 1; p_value and p_holm in summary.csv tell the two apart), " +
        "which is not evidence of equality",
    undetermined: "no interval (fewer than 2 repetitions on a side)",
};

/**
 * Two-sided p-value for a ratio of 1 on the log scale the interval is computed on: p < 1 − confidence
 * exactly when the interval at that confidence excludes 1. null without an interval.
 */
export function ratioPValue(e: Pick<RatioEstimate, "ratio" | "logSe" | "df">): number | null {
    if (e.logSe === null || e.df === null) return null;
    const l = Math.log(e.ratio);
    if (e.logSe === 0) return l === 0 ? 1 : 0;
    return twoSidedP(l / e.logSe, e.df);
}

/** One comparison of a family. */
export interface FamilyMember {
    readonly ratio: number;
    readonly logSe: number | null;
    readonly df: number | null;
    readonly better: "higher" | "lower";
    /** What names this comparison within its family, for restatements to point at. */
    readonly key?: string;
    /**
     * The key of the member this one restates (the same test on a rescaled metric): it takes that
     * member's verdict and is not counted. A restatement whose original is not in the family stands on its own.
     */
    readonly restates?: string;
}

export interface FamilyVerdict {
    /** The comparison's own p-value for a ratio of 1; null without interval. */
    readonly p: number | null;
    /** Holm-adjusted over the family; null without interval. */
    readonly pHolm: number | null;
    readonly verdict: Verdict;
}

/** Verdicts of a family of comparisons, Holm-adjusted at family-wise error alpha; size is how many were counted. */
export function familyVerdicts(members: readonly FamilyMember[], alpha: number): { verdicts: FamilyVerdict[]; size: number } {
    const own = members.map(ratioPValue);
    const byKey = new Map(members.flatMap((m, i) => (m.key !== undefined ? [[m.key, i] as const] : [])));
    const original = members.map((m) => (m.restates !== undefined ? byKey.get(m.restates) : undefined));
    const idx = members.map((_, i) => i).filter((i) => original[i] === undefined && own[i] !== null);
    const adjusted = holmAdjusted(idx.map((i) => own[i] as number));
    const holm = new Map(idx.map((i, k) => [i, adjusted[k]]));
    const verdicts = members.map((m, i): FamilyVerdict => {
        const p = own[i];
        if (p === null) return { p: null, pHolm: null, verdict: "undetermined" };
        const pHolm = holm.get(original[i] ?? i) ?? null;
        if (pHolm === null) return { p, pHolm: null, verdict: "undetermined" };
        const verdict: Verdict = !(pHolm < alpha) ? "not distinguished" : m.ratio > 1 === (m.better === "higher") ? "faster" : "slower";
        return { p, pHolm, verdict };
    });
    return { verdicts, size: idx.length };
}
