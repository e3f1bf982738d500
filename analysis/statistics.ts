/**
 * Descriptive statistics of repeated measurements. Pure functions, no I/O.
 *
 * Conventions: stddev is the sample standard deviation (divisor n - 1); the 95 % confidence
 * interval of the mean is mean ± t(0.975, n - 1) · stddev / √n (Student t, two-sided). With fewer
 * than two values stddev and the interval do not exist and are null (never 0, which would claim a
 * precision nobody measured).
 */

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
 * Two-sided 95 % critical values t(0.975, df) of Student's t distribution (4 decimals; checked
 * against numerical integration of the t density). Between rows, and above df = 120 towards the
 * normal 1.9600, values are interpolated linearly in 1/df, which is accurate to about 1e-4.
 */
const T975: readonly (readonly [number, number])[] = [
    [1, 12.7062], [2, 4.3027], [3, 3.1824], [4, 2.7764], [5, 2.5706], [6, 2.4469], [7, 2.3646],
    [8, 2.306], [9, 2.2622], [10, 2.2281], [11, 2.201], [12, 2.1788], [13, 2.1604], [14, 2.1448],
    [15, 2.1314], [16, 2.1199], [17, 2.1098], [18, 2.1009], [19, 2.093], [20, 2.086], [21, 2.0796],
    [22, 2.0739], [23, 2.0687], [24, 2.0639], [25, 2.0595], [26, 2.0555], [27, 2.0518], [28, 2.0484],
    [29, 2.0452], [30, 2.0423], [40, 2.0211], [50, 2.0086], [60, 2.0003], [80, 1.9901], [100, 1.984],
    [120, 1.9799],
];
const Z975 = 1.96;

/**
 * t(0.975, df): the multiplier of the standard error for a two-sided 95 % interval. df may be
 * fractional (Welch–Satterthwaite); df < 1 is treated as 1 (the widest tabulated interval).
 */
export function tCritical95(df: number): number {
    if (!(df > 0) || Number.isNaN(df)) throw new Error(`tCritical95: degrees of freedom must be > 0, got ${df}`);
    if (df <= 1) return T975[0][1];
    if (!Number.isFinite(df)) return Z975;
    const exact = T975.find(([d]) => d === df);
    if (exact) return exact[1];
    const last = T975[T975.length - 1];
    let lo: readonly [number, number];
    let hi: readonly [number, number];
    if (df > last[0]) {
        lo = last;
        hi = [Infinity, Z975];
    } else {
        const i = T975.findIndex(([d]) => d > df);
        lo = T975[i - 1];
        hi = T975[i];
    }
    // Linear in 1/df (1/Infinity = 0).
    const x = 1 / df;
    const x0 = 1 / lo[0];
    const x1 = 1 / hi[0];
    return lo[1] + ((x0 - x) / (x0 - x1)) * (hi[1] - lo[1]);
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
