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
import { Interval, mean, tCritical } from "./statistics";

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
 * How an environment performed against native, from the ratio interval: a ratio interval that
 * excludes 1 is a difference at the chosen confidence; the metric's direction says which way.
 * The words are defined once, in VERDICT_MEANING.
 */
export type Verdict = "faster" | "slower" | "not distinguished" | "undetermined";

/**
 * What each verdict says and no more: with few repetitions an interval that includes 1 is wide,
 * so it shows no difference at this n, which is not evidence that there is none.
 */
export const VERDICT_MEANING: Readonly<Record<Verdict, string>> = {
    faster: "better performance than native: the interval of the ratio excludes 1 on the better side",
    slower: "worse performance than native: the interval excludes 1 on the worse side",
    "not distinguished": "the interval includes 1: no difference shown at this number of repetitions, which is not evidence of equality",
    undetermined: "no interval (fewer than 2 repetitions on a side)",
};

export function verdictOf(ci: Interval | null, better: "higher" | "lower"): Verdict {
    if (!ci) return "undetermined";
    if (ci.low > 1) return better === "higher" ? "faster" : "slower";
    if (ci.high < 1) return better === "higher" ? "slower" : "faster";
    return "not distinguished";
}
