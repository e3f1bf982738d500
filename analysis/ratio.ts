/**
 * Ratio of two means with a confidence interval, and the verdict it supports. Pure, no I/O.
 *
 * Method: Fieller's theorem (Fieller 1954), the exact interval for a ratio of two normal means.
 * With a, b the two means, v11, v22 their squared standard errors and v12 their covariance, the
 * interval is the set of ρ with (a − ρ·b)² ≤ t²·(v11 − 2ρ·v12 + ρ²·v22), i.e. the roots of a
 * quadratic. Unlike the delta method it is not symmetric on any scale and is exact for small n;
 * unlike a bootstrap it needs no random numbers (results are reproducible bit for bit) and costs
 * O(n), which keeps a million samples fast.
 *
 * - Independent samples: v12 = 0, t with Welch–Satterthwaite degrees of freedom.
 * - Paired samples (repetition r of an environment with repetition r of native, measured close
 *   in time so that drift of the host cancels): v12 = cov(x, y) / n, t with n − 1 degrees of
 *   freedom. Positive covariance (both drifting together) narrows the interval.
 *
 * When the denominator's mean is not significantly different from 0 (g = t²·v22 / b² ≥ 1) the
 * interval is unbounded; it is then reported as missing, never as a made-up bound.
 */
import { Interval, mean, tCritical } from "./statistics";

export interface RatioEstimate {
    /** mean(numerator) / mean(denominator). */
    readonly ratio: number;
    /** Fieller interval at the requested confidence; null when it does not exist (see reason). */
    readonly ci: Interval | null;
    /** Why ci is null (n < 2 on a side, unbounded interval); undefined when ci exists. */
    readonly ciMissing?: string;
    readonly method: "fieller-paired" | "fieller-independent";
    /** Degrees of freedom of the t quantile (Welch for independent samples); null without ci. */
    readonly df: number | null;
}

function variance(values: readonly number[], m: number): number {
    let ss = 0;
    for (const v of values) ss += (v - m) * (v - m);
    return ss / (values.length - 1);
}

/**
 * Fieller interval from the two means, their squared standard errors and covariance. Exported
 * for tests; callers use ratioOfMeans or pairedRatioOfMeans.
 */
export function fieller(a: number, b: number, v11: number, v22: number, v12: number, t: number): Interval | null {
    const b2 = b * b;
    const g = (t * t * v22) / b2;
    if (g >= 1) return null;
    const r = a / b;
    // g·(v11 − v12²/v22) rewritten without dividing by v22 (which may be 0).
    const disc = Math.max(0, v11 - 2 * r * v12 + r * r * v22 - ((t * t) / b2) * (v11 * v22 - v12 * v12));
    const center = r - (t * t * v12) / b2;
    const half = (t / Math.abs(b)) * Math.sqrt(disc);
    return { low: (center - half) / (1 - g), high: (center + half) / (1 - g) };
}

function requirePositiveMean(m: number, what: string): void {
    if (!(m > 0)) throw new Error(`ratio of means: the ${what} mean must be positive, got ${m}`);
}

/** Ratio of the means of two independent samples (numerator / denominator). */
export function ratioOfMeans(num: readonly number[], den: readonly number[], confidence: number): RatioEstimate {
    const a = mean(num);
    const b = mean(den);
    requirePositiveMean(b, "denominator");
    const ratio = a / b;
    const method = "fieller-independent" as const;
    if (num.length < 2 || den.length < 2) {
        return { ratio, ci: null, ciMissing: "needs at least 2 repetitions on both sides", method, df: null };
    }
    const v11 = variance(num, a) / num.length;
    const v22 = variance(den, b) / den.length;
    // Welch–Satterthwaite; with no spread at all the interval collapses to the point anyway.
    const denom = (v11 * v11) / (num.length - 1) + (v22 * v22) / (den.length - 1);
    const df = denom > 0 ? ((v11 + v22) * (v11 + v22)) / denom : num.length + den.length - 2;
    const ci = fieller(a, b, v11, v22, 0, tCritical(confidence, df));
    return ci
        ? { ratio, ci, method, df }
        : { ratio, ci: null, ciMissing: "unbounded: the native mean is not distinguishable from 0 at this confidence", method, df };
}

/** Ratio of the means of paired samples: num[i] and den[i] were measured as a pair. */
export function pairedRatioOfMeans(num: readonly number[], den: readonly number[], confidence: number): RatioEstimate {
    if (num.length !== den.length) throw new Error(`paired ratio: ${num.length} numerator values but ${den.length} denominator values`);
    const a = mean(num);
    const b = mean(den);
    requirePositiveMean(b, "denominator");
    const ratio = a / b;
    const method = "fieller-paired" as const;
    const n = num.length;
    if (n < 2) return { ratio, ci: null, ciMissing: "needs at least 2 pairs", method, df: null };
    let cov = 0;
    for (let i = 0; i < n; i++) cov += (num[i] - a) * (den[i] - b);
    cov /= n - 1;
    const df = n - 1;
    const ci = fieller(a, b, variance(num, a) / n, variance(den, b) / n, cov / n, tCritical(confidence, df));
    return ci
        ? { ratio, ci, method, df }
        : { ratio, ci: null, ciMissing: "unbounded: the native mean is not distinguishable from 0 at this confidence", method, df };
}

/**
 * How an environment performed against native, from the ratio interval: a ratio interval that
 * excludes 1 is a difference at the chosen confidence; the metric's direction says which way.
 * "undetermined" when no interval exists (n < 2, unbounded).
 */
export type Verdict = "faster" | "slower" | "indistinguishable" | "undetermined";

export function verdictOf(ci: Interval | null, better: "higher" | "lower"): Verdict {
    if (!ci) return "undetermined";
    if (ci.low > 1) return better === "higher" ? "faster" : "slower";
    if (ci.high < 1) return better === "higher" ? "slower" : "faster";
    return "indistinguishable";
}
