import { strict as assert } from "assert";
import {
    describe as describeStats,
    heterogeneity,
    holmAdjusted,
    mean,
    median,
    quantile,
    sampleStddev,
    tCritical,
    tCritical95,
    tukeyOutliers,
    twoSidedP,
} from "../../analysis/statistics";
import { close } from "../helpers/close";
import { prng } from "../helpers/prng";

/** chi-square(0.95, 2 degrees of freedom) = −2 ln 0.05. */
const CHI2_95_DF2 = -2 * Math.log(0.05);

describe("analysis/statistics", () => {
    describe("hand-computed example 2, 4, 4, 4, 5, 5, 7, 9", () => {
        // mean = 40 / 8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7;
        // sd = sqrt(4.571428...) = 2.1380899; median = (4 + 5) / 2 = 4.5;
        // CI half-width = t(0.975, 7) · sd / sqrt(8) = 2.364624 · 2.1380899 / 2.8284271 = 1.7874835.
        const v = [5, 2, 9, 4, 4, 7, 4, 5]; // unsorted on purpose
        const s = describeStats(v);

        it("n, mean, min, max, median", () => {
            assert.equal(s.n, 8);
            assert.equal(s.mean, 5);
            assert.equal(s.min, 2);
            assert.equal(s.max, 9);
            assert.equal(s.median, 4.5);
            assert.equal(mean(v), 5);
            assert.equal(median(v), 4.5);
        });

        it("sample standard deviation (n - 1)", () => {
            close(s.stddev!, 2.1380899353, 1e-9, "stddev");
            close(sampleStddev(v)!, Math.sqrt(32 / 7), 1e-12, "stddev");
        });

        it("95% CI of the mean with Student t (df 7)", () => {
            close(s.ci95!.low, 5 - 1.7874835, 1e-5, "low");
            close(s.ci95!.high, 5 + 1.7874835, 1e-5, "high");
        });

        it("does not modify its input", () => {
            assert.deepEqual(v, [5, 2, 9, 4, 4, 7, 4, 5]);
        });
    });

    it("two values 10, 12: sd = sqrt(2), CI = 11 ± 12.7062 (t with df 1)", () => {
        const s = describeStats([10, 12]);
        assert.equal(s.mean, 11);
        close(s.stddev!, Math.SQRT2, 1e-12);
        close(s.ci95!.low, 11 - 12.7062, 1e-4);
        close(s.ci95!.high, 11 + 12.7062, 1e-4);
        assert.equal(s.median, 11);
    });

    it("a single value has no stddev and no CI (null, not 0)", () => {
        const s = describeStats([935.37]);
        assert.deepEqual(s, { n: 1, mean: 935.37, stddev: null, min: 935.37, max: 935.37, median: 935.37, ci95: null });
    });

    it("identical values: stddev 0, CI collapses to the mean", () => {
        const s = describeStats([3, 3, 3]);
        assert.equal(s.stddev, 0);
        assert.deepEqual(s.ci95, { low: 3, high: 3 });
    });

    it("odd-length median", () => {
        assert.equal(median([3, 1, 2]), 2);
        assert.equal(median([7]), 7);
    });

    it("refuses empty and non-finite input", () => {
        assert.throws(() => describeStats([]), /no values/);
        assert.throws(() => mean([1, NaN]), /non-finite/);
        assert.throws(() => describeStats([1, Infinity]), /non-finite/);
    });

    describe("tCritical (jstat Student t quantile)", () => {
        it("matches published table values t(0.975, df)", () => {
            // Standard two-sided 95 % table (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2).
            for (const [df, t] of [
                [1, 12.706],
                [2, 4.303],
                [4, 2.776],
                [9, 2.262],
                [29, 2.045],
                [120, 1.98],
            ] as const) {
                close(tCritical95(df), t, 5e-4, `df ${df}`);
            }
        });

        it("other confidences and fractional df", () => {
            close(tCritical(0.9, 10), 1.812, 5e-4, "90 %, df 10");
            close(tCritical(0.99, 5), 4.032, 5e-4, "99 %, df 5");
            close(tCritical95(Infinity), 1.95996, 1e-5, "normal");
            const a = tCritical95(1.5);
            assert.ok(a < 12.706 && a > 4.303, `df 1.5 gives ${a}`);
        });

        it("df below 1 uses df 1; bad df or confidence is an error", () => {
            close(tCritical95(0.5), 12.7062, 1e-4);
            assert.throws(() => tCritical95(0), /degrees of freedom/);
            assert.throws(() => tCritical95(NaN), /degrees of freedom/);
            assert.throws(() => tCritical(1, 5), /confidence/);
        });
    });

    describe("quantile and Tukey outliers", () => {
        it("type-7 quantiles (R's default)", () => {
            // R: quantile(c(1,2,3,4,10), c(.25,.5,.75)) = 2, 3, 4
            const v = [10, 1, 3, 2, 4];
            assert.equal(quantile(v, 0.25), 2);
            assert.equal(quantile(v, 0.5), 3);
            assert.equal(quantile(v, 0.75), 4);
            // R: quantile(c(1,2,3,4), .25) = 1.75
            assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
        });

        it("flags values beyond 1.5 IQR and keeps the input intact", () => {
            const v = [10, 1, 3, 2, 4];
            const o = tukeyOutliers(v)!;
            // Q1 2, Q3 4, IQR 2 → fences -1 and 7: only 10 (index 0) is outside.
            assert.deepEqual(o.fences, { low: -1, high: 7 });
            assert.deepEqual(o.indexes, [0]);
            assert.deepEqual(v, [10, 1, 3, 2, 4]);
            assert.deepEqual(tukeyOutliers([1, 2, 3, 4])!.indexes, []);
        });

        it("too few values to judge gives null", () => {
            assert.equal(tukeyOutliers([1, 100, 1000]), null);
        });
    });

    describe("twoSidedP and holmAdjusted", () => {
        it("p < 1 − confidence exactly at the critical value: twoSidedP(tCritical(0.95, df), df) = 0.05", () => {
            for (const df of [1, 2, 4.7, 30, Infinity]) close(twoSidedP(tCritical(0.95, df), df), 0.05, 1e-7, `df ${df}`);
            assert.equal(twoSidedP(0, 3), 1);
            assert.equal(twoSidedP(-Infinity, 3), 0);
        });
        it("Holm-adjusted p-values as R's p.adjust(c(0.01, 0.04, 0.03, 0.005), 'holm'): 0.03 0.06 0.06 0.02", () => {
            const adjusted = holmAdjusted([0.01, 0.04, 0.03, 0.005]);
            [0.03, 0.06, 0.06, 0.02].forEach((want, i) => close(adjusted[i], want, 1e-12, `p${i}`));
            assert.deepEqual(holmAdjusted([0.6, 0.9]), [1, 1]);
            assert.deepEqual(holmAdjusted([]), []);
        });
    });

    describe("heterogeneity", () => {
        it("two estimates: Welch's F is Welch's t squared, with the Welch–Satterthwaite degrees of freedom", () => {
            const h = heterogeneity([
                { value: 0, se: 1, df: 4 },
                { value: 3, se: 1, df: 4 },
            ]);
            close(h.f, 4.5, 1e-12, "F = (3/√2)²");
            close(h.df2, 8, 1e-12, "df2 = (1 + 1)² / (1/4 + 1/4)");
            close(h.p, twoSidedP(3 / Math.SQRT2, 8), 1e-9, "p");
            close(h.q, 4.5, 1e-12, "Q");
            close(h.tau2, 3.5, 1e-12, "τ² = (Q − 1) / (Σw − Σw²/Σw)");
            close(h.pooled, 1.5, 1e-12, "pooled");
        });
        it("errors known exactly (df = Infinity): Cochran's Q against chi-square with k − 1 degrees of freedom", () => {
            const h = heterogeneity([
                { value: 0, se: 1, df: Infinity },
                { value: 3, se: 1, df: Infinity },
            ]);
            assert.equal(h.df2, Infinity);
            close(h.p, twoSidedP(3 / Math.SQRT2, Infinity), 1e-9, "p = 2(1 − Φ(2.121))");
        });
        it("calibrated at small n: three groups of 5, 6 and 6 normal values with unequal spreads and one true mean differ at 5 % in about 5 % of 4000 draws", () => {
            // A wrong weight, degrees of freedom or reference distribution moves this rate well away from 5 %:
            // Cochran's Q against chi-square, which takes the errors as known, rejects 12.9 % here (40 000
            // draws). Welch's test runs a little liberal with 3 values in a group (6.7 % for 3, 4 and 6).
            const r = prng(7);
            const shapes = [
                { n: 5, sd: 1 },
                { n: 6, sd: 2 },
                { n: 6, sd: 0.5 },
            ];
            let welch = 0;
            let chiSquare = 0;
            const draws = 4000;
            for (let i = 0; i < draws; i++) {
                const h = heterogeneity(
                    shapes.map(({ n, sd }) => {
                        const g = Array.from({ length: n }, () => r.normal(10, sd));
                        return { value: mean(g), se: sampleStddev(g)! / Math.sqrt(n), df: n - 1 };
                    }),
                );
                if (h.p < 0.05) welch++;
                if (h.q > CHI2_95_DF2) chiSquare++;
                assert.ok(h.tau2 >= 0);
            }
            const rate = welch / draws;
            assert.ok(rate > 0.04 && rate < 0.062, `Welch rejects ${rate}`);
            assert.ok(chiSquare / draws > 0.1, `Q against chi-square rejects ${chiSquare / draws}`);
        });
        it("equal estimates: Q = 0, τ² = 0, p = 1; bad input is refused", () => {
            const h = heterogeneity([
                { value: 2, se: 0.5, df: 3 },
                { value: 2, se: 1, df: 5 },
                { value: 2, se: 2, df: 2 },
            ]);
            assert.equal(h.q, 0);
            assert.equal(h.tau2, 0);
            close(h.p, 1, 1e-12, "p");
            assert.throws(() => heterogeneity([{ value: 1, se: 1, df: 1 }]), /at least 2/);
            assert.throws(
                () =>
                    heterogeneity([
                        { value: 1, se: 0, df: 1 },
                        { value: 1, se: 1, df: 1 },
                    ]),
                /se > 0/,
            );
        });
    });
});
