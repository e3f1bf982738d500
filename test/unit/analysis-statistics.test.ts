import { strict as assert } from "assert";
import { describe as describeStats, mean, median, sampleStddev, tCritical95 } from "../../analysis/statistics";

const close = (actual: number, expected: number, tol: number, what = "") =>
    assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);

describe("analysis/statistics", () => {
    describe("hand-computed example 2, 4, 4, 4, 5, 5, 7, 9", () => {
        // mean = 40 / 8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7;
        // sd = sqrt(4.571428...) = 2.1380899; median = (4 + 5) / 2 = 4.5;
        // CI half-width = t(0.975, 7) · sd / sqrt(8) = 2.3646 · 2.1380899 / 2.8284271 = 1.7874696.
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
            close(s.ci95!.low, 5 - 1.7874696, 1e-6, "low");
            close(s.ci95!.high, 5 + 1.7874696, 1e-6, "high");
        });

        it("does not modify its input", () => {
            assert.deepEqual(v, [5, 2, 9, 4, 4, 7, 4, 5]);
        });
    });

    it("two values 10, 12: sd = sqrt(2), CI = 11 ± 12.7062 (t with df 1)", () => {
        const s = describeStats([10, 12]);
        assert.equal(s.mean, 11);
        close(s.stddev!, Math.SQRT2, 1e-12);
        close(s.ci95!.low, 11 - 12.7062, 1e-9);
        close(s.ci95!.high, 11 + 12.7062, 1e-9);
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

    describe("tCritical95", () => {
        it("tabulated values", () => {
            assert.equal(tCritical95(1), 12.7062);
            assert.equal(tCritical95(2), 4.3027);
            assert.equal(tCritical95(4), 2.7764);
            assert.equal(tCritical95(9), 2.2622);
            assert.equal(tCritical95(29), 2.0452);
            assert.equal(tCritical95(120), 1.9799);
        });

        it("interpolates in 1/df between rows and towards the normal 1.96", () => {
            close(tCritical95(35), 2.0301, 2e-4, "df 35"); // exact 2.03011
            close(tCritical95(70), 1.9944, 2e-4, "df 70"); // exact 1.99444
            close(tCritical95(1000), 1.9623, 2e-4, "df 1000"); // exact 1.96234
            assert.equal(tCritical95(Infinity), 1.96);
            const a = tCritical95(1.5);
            assert.ok(a < 12.7062 && a > 4.3027, `df 1.5 gives ${a}`);
        });

        it("df below 1 uses the df 1 value; df <= 0 is an error", () => {
            assert.equal(tCritical95(0.5), 12.7062);
            assert.throws(() => tCritical95(0), /degrees of freedom/);
            assert.throws(() => tCritical95(NaN), /degrees of freedom/);
        });
    });
});
