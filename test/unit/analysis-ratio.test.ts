import { strict as assert } from "assert";
import { pairByRepetition } from "../../analysis/pairing";
import { fieller, pairedRatioOfMeans, ratioOfMeans, verdictOf } from "../../analysis/ratio";
import { tCritical } from "../../analysis/statistics";
import { close } from "../helpers/close";

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const varOf = (v: number[]) => {
    const m = mean(v);
    return v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1);
};

/**
 * Fieller's set by brute force, independent of the closed form: all ρ on a fine grid with
 * (a − ρb)² ≤ t²(v11 − 2ρ v12 + ρ² v22).
 */
function fiellerByScan(a: number, b: number, v11: number, v22: number, v12: number, t: number, from: number, to: number): { low: number; high: number } {
    let low = Infinity;
    let high = -Infinity;
    const steps = 200000;
    for (let i = 0; i <= steps; i++) {
        const r = from + ((to - from) * i) / steps;
        if ((a - r * b) ** 2 <= t * t * (v11 - 2 * r * v12 + r * r * v22)) {
            low = Math.min(low, r);
            high = Math.max(high, r);
        }
    }
    return { low, high };
}

describe("analysis/ratio (Fieller) and analysis/pairing", () => {
    describe("independent samples", () => {
        const env = [88, 91, 90, 93, 89];
        const nat = [100, 103, 99, 101, 102];
        const est = ratioOfMeans(env, nat, 0.95);

        it("ratio of means", () => {
            close(est.ratio, 90.2 / 101, 1e-12);
            assert.equal(est.method, "fieller-independent");
        });

        it("interval equals the brute-force Fieller set with Welch degrees of freedom", () => {
            const v11 = varOf(env) / 5;
            const v22 = varOf(nat) / 5;
            const df = (v11 + v22) ** 2 / (v11 ** 2 / 4 + v22 ** 2 / 4);
            close(est.df!, df, 1e-9, "df");
            const ref = fiellerByScan(90.2, 101, v11, v22, 0, tCritical(0.95, df), 0.8, 1.0);
            close(est.ci!.low, ref.low, 2e-6, "low");
            close(est.ci!.high, ref.high, 2e-6, "high");
            assert.ok(est.ci!.high < 1, "clearly below 1");
        });

        it("wider at 99 % than at 90 %", () => {
            const a = ratioOfMeans(env, nat, 0.9).ci!;
            const b = ratioOfMeans(env, nat, 0.99).ci!;
            assert.ok(b.low < a.low && b.high > a.high);
        });

        it("no interval with n < 2 on a side", () => {
            const e = ratioOfMeans([5], [4, 6], 0.95);
            assert.equal(e.ci, null);
            assert.match(e.ciMissing!, /at least 2/);
            assert.equal(e.ratio, 1);
        });

        it("unbounded when the denominator is not distinguishable from 0", () => {
            const e = ratioOfMeans([10, 11], [1, 30], 0.95);
            assert.equal(e.ci, null);
            assert.match(e.ciMissing!, /unbounded/);
        });

        it("no spread gives the point", () => {
            assert.deepEqual(ratioOfMeans([2, 2], [1, 1], 0.95).ci, { low: 2, high: 2 });
        });

        it("refuses a non-positive denominator mean", () => {
            assert.throws(() => ratioOfMeans([1, 2], [0, 0], 0.95), /positive/);
        });
    });

    describe("paired samples", () => {
        // Both drift together across repetitions (host got slower over time); the ratio is steady.
        const nat = [100, 110, 120, 130];
        const env = [90, 99.5, 107.5, 117.5];

        it("interval equals the brute-force Fieller set with the covariance and n − 1 df", () => {
            const est = pairedRatioOfMeans(env, nat, 0.95);
            const n = 4;
            const me = mean(env);
            const mn = mean(nat);
            let cov = 0;
            for (let i = 0; i < n; i++) cov += (env[i] - me) * (nat[i] - mn);
            cov /= n - 1;
            const ref = fiellerByScan(me, mn, varOf(env) / n, varOf(nat) / n, cov / n, tCritical(0.95, 3), 0.8, 1.0);
            assert.equal(est.method, "fieller-paired");
            assert.equal(est.df, 3);
            close(est.ci!.low, ref.low, 2e-6, "low");
            close(est.ci!.high, ref.high, 2e-6, "high");
        });

        it("pairing cancels the drift: much narrower than treating the samples as independent", () => {
            const p = pairedRatioOfMeans(env, nat, 0.95).ci!;
            const u = ratioOfMeans(env, nat, 0.95).ci!;
            assert.ok(p.high - p.low < (u.high - u.low) / 5, `paired ${JSON.stringify(p)} vs independent ${JSON.stringify(u)}`);
            assert.equal(verdictOf(p, "higher"), "slower");
            assert.equal(verdictOf(u, "higher"), "indistinguishable");
        });

        it("needs equal lengths and 2 pairs", () => {
            assert.throws(() => pairedRatioOfMeans([1, 2], [1], 0.95), /numerator values/);
            assert.equal(pairedRatioOfMeans([1], [1], 0.95).ci, null);
        });
    });

    it("closed form handles v22 = 0 (constant native)", () => {
        const ci = fieller(9, 10, 0.04, 0, 0, 2)!;
        close(ci.low, 0.9 - 0.04, 1e-12);
        close(ci.high, 0.9 + 0.04, 1e-12);
    });

    describe("verdictOf", () => {
        it("higher is better", () => {
            assert.equal(verdictOf({ low: 1.01, high: 1.2 }, "higher"), "faster");
            assert.equal(verdictOf({ low: 0.7, high: 0.99 }, "higher"), "slower");
            assert.equal(verdictOf({ low: 0.9, high: 1.1 }, "higher"), "indistinguishable");
        });
        it("lower is better: a larger latency is slower", () => {
            assert.equal(verdictOf({ low: 1.6, high: 2.0 }, "lower"), "slower");
            assert.equal(verdictOf({ low: 0.5, high: 0.9 }, "lower"), "faster");
            assert.equal(verdictOf({ low: 0.95, high: 1.05 }, "lower"), "indistinguishable");
        });
        it("no interval: undetermined", () => {
            assert.equal(verdictOf(null, "higher"), "undetermined");
        });
    });

    describe("pairByRepetition", () => {
        const obs = (pairs: [number, number][]) => pairs.map(([repetition, value]) => ({ repetition, value }));

        it("pairs repetition r with repetition r, in repetition order", () => {
            const p = pairByRepetition(
                obs([
                    [2, 20],
                    [1, 10],
                    [3, 30],
                ]),
                obs([
                    [3, 3],
                    [1, 1],
                    [2, 2],
                ]),
            );
            assert.deepEqual(p, { paired: true, env: [10, 20, 30], native: [1, 2, 3] });
        });

        it("different repetition sets are not paired, with the reason (nothing is dropped)", () => {
            const p = pairByRepetition(
                obs([
                    [1, 1],
                    [2, 2],
                    [3, 3],
                ]),
                obs([
                    [1, 1],
                    [2, 2],
                ]),
            );
            assert.equal(p.paired, false);
            assert.match(p.paired ? "" : p.reason, /repetitions differ \(environment 1,2,3; native 1,2\)/);
        });

        it("repeated repetition numbers or fewer than 2 are not paired", () => {
            assert.equal(
                pairByRepetition(
                    obs([
                        [1, 1],
                        [1, 2],
                    ]),
                    obs([
                        [1, 1],
                        [2, 2],
                    ]),
                ).paired,
                false,
            );
            assert.equal(pairByRepetition(obs([[1, 1]]), obs([[1, 1]])).paired, false);
        });
    });
});
