/**
 * Descriptive statistics of repeated measurements. Pure functions, no I/O.
 *
 * Conventions: stddev is the sample standard deviation (divisor n - 1); the 95 % confidence
 * interval of the mean is mean ± t(0.975, n - 1) · stddev / √n (Student t, two-sided). With fewer
 * than two values stddev and the interval do not exist and are null (never 0, which would claim a
 * precision nobody measured).
 */
import { jStat } from "jstat";

export interface Interval {
    readonly low: number;
    readonly high: number;
}

export interface Stats {
    readonly n: number;
    readonly mean: number;
    /** Sample standard deviation (n - 1); null when n < 2. */
    readonly stddev: number | null;
    readonly min: number;
    readonly max: number;
    readonly median: number;
    /** 95 % confidence interval of the mean (Student t); null when n < 2. */
    readonly ci95: Interval | null;
}

/**
 * Two-sided critical value t((1 + confidence) / 2, df) of Student's t distribution: the multiplier
 * of the standard error for a two-sided interval at the given confidence (0.95 → 95 %). df may be
 * fractional (Welch–Satterthwaite); df < 1 is treated as 1 (the widest interval a pair can give),
 * df = Infinity gives the normal quantile.
 */
export function tCritical(confidence: number, df: number): number {
    if (!(confidence > 0 && confidence < 1)) throw new Error(`tCritical: confidence must be in (0, 1), got ${confidence}`);
    if (!(df > 0) || Number.isNaN(df)) throw new Error(`tCritical: degrees of freedom must be > 0, got ${df}`);
    const p = (1 + confidence) / 2;
    if (!Number.isFinite(df)) return jStat.normal.inv(p, 0, 1);
    return jStat.studentt.inv(p, Math.max(1, df));
}

/**
 * Two-sided p-value of Student's t statistic |t| with df degrees of freedom, treated as tCritical
 * treats them (df < 1 as 1), so p < 1 − confidence exactly when |t| > tCritical(confidence, df).
 */
export function twoSidedP(t: number, df: number): number {
    const z = Math.abs(t);
    if (z === Infinity) return 0;
    // jstat's cdf is accurate to about 1e-8, which can put p at 0 a hair above 1.
    const cdf = Number.isFinite(df) ? jStat.studentt.cdf(z, Math.max(1, df)) : jStat.normal.cdf(z, 0, 1);
    return Math.min(1, 2 * (1 - cdf));
}

/**
 * Holm's step-down adjusted p-values, in the order given: the i-th smallest p (0-based) is
 * multiplied by (m − i), capped at 1, and made monotone, so adjusted[k] < alpha exactly for the
 * hypotheses Holm's procedure rejects at family-wise error alpha. Holm rather than Bonferroni:
 * the same family-wise guarantee with more power, and no assumption about how the tests depend
 * on each other (comparisons of one run share its native groups).
 */
export function holmAdjusted(pValues: readonly number[]): number[] {
    const m = pValues.length;
    const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
    const out = new Array<number>(m);
    let running = 0;
    order.forEach(({ p, i }, rank) => {
        running = Math.max(running, Math.min(1, (m - rank) * p));
        out[i] = running;
    });
    return out;
}

/** One estimate with its standard error and the degrees of freedom that error was estimated on. */
export interface Estimate {
    readonly value: number;
    readonly se: number;
    readonly df: number;
}

/** Whether several estimates of one quantity differ by more than their own errors allow (heterogeneity). */
export interface Heterogeneity {
    readonly k: number;
    /** Inverse-variance weighted mean of the estimates. */
    readonly pooled: number;
    /** Cochran's Q, Σ wᵢ (yᵢ − pooled)² with wᵢ = 1/seᵢ². */
    readonly q: number;
    /** Welch's F and its degrees of freedom (df2 = Infinity when every error is known exactly). */
    readonly f: number;
    readonly df1: number;
    readonly df2: number;
    /** P-value of Welch's test that the estimates share one true value. */
    readonly p: number;
    /** DerSimonian–Laird moment estimate of the variance between the true values, ≥ 0. */
    readonly tau2: number;
}

/**
 * Heterogeneity of k ≥ 2 estimates: Welch's (1951) test of equal means for groups with unequal,
 * estimated variances, and the DerSimonian–Laird spread between them. Welch's test rather than
 * Cochran's Q against a chi-square: the errors here come from a handful of repetitions each, and
 * treating them as known inflates Q (at k = 2 Welch's F is Welch's t squared, with the
 * Welch–Satterthwaite degrees of freedom). τ² is the moment estimate a random-effects analysis
 * uses; it is descriptive here (with k = 2 or 3 it is itself very uncertain).
 */
export function heterogeneity(estimates: readonly Estimate[]): Heterogeneity {
    const k = estimates.length;
    if (k < 2) throw new Error(`heterogeneity: needs at least 2 estimates, got ${k}`);
    for (const e of estimates)
        if (!(Number.isFinite(e.value) && e.se > 0 && Number.isFinite(e.se) && e.df > 0))
            throw new Error(`heterogeneity: each estimate needs a finite value, a finite se > 0 and df > 0, got ${JSON.stringify(e)}`);
    const w = estimates.map((e) => 1 / e.se ** 2);
    const sw = w.reduce((a, b) => a + b, 0);
    const pooled = estimates.reduce((a, e, i) => a + w[i] * e.value, 0) / sw;
    const q = estimates.reduce((a, e, i) => a + w[i] * (e.value - pooled) ** 2, 0);
    // Σ (1 − wᵢ/Σw)² / dfᵢ: how uncertain the weights are; 0 when every df is infinite.
    const lambda = estimates.reduce((a, e, i) => a + (1 - w[i] / sw) ** 2 / e.df, 0);
    const df1 = k - 1;
    const f = q / df1 / (1 + ((2 * (k - 2)) / (k * k - 1)) * lambda);
    const df2 = lambda === 0 ? Infinity : (k * k - 1) / (3 * lambda);
    const cdf = Number.isFinite(df2) ? jStat.centralF.cdf(f, df1, df2) : jStat.chisquare.cdf(f * df1, df1);
    const tau2 = Math.max(0, (q - df1) / (sw - w.reduce((a, x) => a + x * x, 0) / sw));
    return { k, pooled, q, f, df1, df2, p: Math.min(1, Math.max(0, 1 - cdf)), tau2 };
}

/** t(0.975, df), the 95 % case of tCritical. */
export function tCritical95(df: number): number {
    return tCritical(0.95, df);
}

export function mean(values: readonly number[]): number {
    requireValues(values, "mean");
    let s = 0;
    for (const v of values) s += v;
    return s / values.length;
}

/** Sample standard deviation (divisor n - 1); null for fewer than two values. */
export function sampleStddev(values: readonly number[]): number | null {
    requireValues(values, "sampleStddev");
    if (values.length < 2) return null;
    const m = mean(values);
    let ss = 0;
    for (const v of values) ss += (v - m) * (v - m);
    return Math.sqrt(ss / (values.length - 1));
}

export function median(values: readonly number[]): number {
    requireValues(values, "median");
    const s = [...values].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** All statistics of one group of repeated measurements. Throws on an empty or non-finite list. */
export function describe(values: readonly number[]): Stats {
    requireValues(values, "describe");
    const n = values.length;
    const m = mean(values);
    const sd = sampleStddev(values);
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
        if (v < min) min = v;
        if (v > max) max = v;
    }
    let ci95: Interval | null = null;
    if (sd !== null) {
        const half = tCritical95(n - 1) * (sd / Math.sqrt(n));
        ci95 = { low: m - half, high: m + half };
    }
    return { n, mean: m, stddev: sd, min, max, median: median(values), ci95 };
}

function requireValues(values: readonly number[], fn: string): void {
    if (values.length === 0) throw new Error(`${fn}: no values`);
    const bad = values.find((v) => !Number.isFinite(v));
    if (bad !== undefined) throw new Error(`${fn}: non-finite value ${bad}`);
}

/** Quantile q (0..1) with linear interpolation between order statistics (Hyndman–Fan type 7, R's default). */
export function quantile(values: readonly number[], q: number): number {
    requireValues(values, "quantile");
    return quantileSorted(
        [...values].sort((a, b) => a - b),
        q,
    );
}

function quantileSorted(s: readonly number[], q: number): number {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${q}`);
    const h = (s.length - 1) * q;
    const lo = Math.floor(h);
    return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

export interface Outliers {
    /** Tukey fences Q1 − 1.5·IQR and Q3 + 1.5·IQR. */
    readonly fences: Interval;
    /** Indexes into the input of the values outside the fences, in input order. */
    readonly indexes: readonly number[];
}

/** Fewer values than this give quartiles too unstable to call anything an outlier. */
export const MIN_VALUES_FOR_OUTLIERS = 4;

/**
 * Values outside Tukey's fences (1.5 × IQR beyond the quartiles). Only flags them: analysis
 * reports outliers and never drops them. null when there are too few values to judge.
 */
export function tukeyOutliers(values: readonly number[]): Outliers | null {
    if (values.length < MIN_VALUES_FOR_OUTLIERS) return null;
    const sorted = [...values].sort((a, b) => a - b);
    const q1 = quantileSorted(sorted, 0.25);
    const q3 = quantileSorted(sorted, 0.75);
    const iqr = q3 - q1;
    const fences = { low: q1 - 1.5 * iqr, high: q3 + 1.5 * iqr };
    const indexes: number[] = [];
    values.forEach((v, i) => {
        if (v < fences.low || v > fences.high) indexes.push(i);
    });
    return { fences, indexes };
}
