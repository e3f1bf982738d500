import { strict as assert } from "assert";
import { pairByRepetition } from "../../analysis/pairing";
import { pairedRatioOfMeans, ratioOfMeans, verdictOf } from "../../analysis/ratio";
import { tCritical } from "../../analysis/statistics";
import { close } from "../helpers/close";

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const varOf = (v: number[]) => {
    const m = mean(v);
    return v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1);
};

/** exp(log r ± t·√v), written out independently of analysis/ratio.ts. */
function logInterval(r: number, v: number, df: number): { low: number; high: number } {
    const half = tCritical(0.95, df) * Math.sqrt(v);
    return { low: r * Math.exp(-half), high: r * Math.exp(half) };
}

describe("analysis/ratio (log scale) and analysis/pairing", () => {
    describe("independent samples", () => {
        const env = [88, 91, 90, 93, 89];
        const nat = [100, 103, 99, 101, 102];
        const est = ratioOfMeans(env, nat, 0.95);

        it("ratio of means", () => {
            close(est.ratio, 90.2 / 101, 1e-12);
            assert.equal(est.method, "log-welch");
        });

        it("interval: delta-method variance of the log ratio, Welch–Satterthwaite df on its two terms", () => {
            const wa = varOf(env) / 5 / 90.2 ** 2;
            const wb = varOf(nat) / 5 / 101 ** 2;
            const df = (wa + wb) ** 2 / (wa ** 2 / 4 + wb ** 2 / 4);
            close(est.df!, df, 1e-9, "df");
            close(est.logSe!, Math.sqrt(wa + wb), 1e-12, "se");
            const ref = logInterval(90.2 / 101, wa + wb, df);
            close(est.ci!.low, ref.low, 1e-12, "low");
            close(est.ci!.high, ref.high, 1e-12, "high");
            assert.ok(est.ci!.high < 1, "clearly below 1");
        });

        it("symmetric on the log scale: ratio² = low · high", () => {
            close(est.ratio ** 2, est.ci!.low * est.ci!.high, 1e-12);
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

        it("a denominator barely above 0 gives a wide interval that stays above 0", () => {
            const e = ratioOfMeans([10, 11], [1, 30], 0.95);
            assert.ok(e.ci, "bounded");
            assert.ok(e.ci.low > 0 && e.ci.low < e.ratio && e.ratio < e.ci.high && Number.isFinite(e.ci.high), JSON.stringify(e.ci));
        });

        it("no spread gives the point", () => {
            assert.deepEqual(ratioOfMeans([2, 2], [1, 1], 0.95).ci, { low: 2, high: 2 });
        });

        it("refuses a non-positive mean on either side (no log of it)", () => {
            assert.throws(() => ratioOfMeans([1, 2], [0, 0], 0.95), /denominator mean must be positive/);
            assert.throws(() => ratioOfMeans([0, 0], [1, 2], 0.95), /numerator mean must be positive/);
        });
    });

    describe("paired samples", () => {
        // Both drift together across repetitions (host got slower over time); the ratio is steady.
        const nat = [100, 110, 120, 130];
        const env = [90, 99.5, 107.5, 117.5];

        it("interval: variance of the per-pair terms x/x̄ − y/ȳ over n, n − 1 df", () => {
            const est = pairedRatioOfMeans(env, nat, 0.95);
            const me = mean(env);
            const mn = mean(nat);
            const terms = env.map((x, i) => x / me - nat[i] / mn);
            const ref = logInterval(me / mn, varOf(terms) / 4, 3);
            assert.equal(est.method, "log-paired");
            assert.equal(est.df, 3);
            close(est.ci!.low, ref.low, 1e-12, "low");
            close(est.ci!.high, ref.high, 1e-12, "high");
        });

        it("the per-pair variance is the delta method's with the covariance", () => {
            const me = mean(env);
            const mn = mean(nat);
            let cov = 0;
            for (let i = 0; i < 4; i++) cov += (env[i] - me) * (nat[i] - mn);
            cov /= 3;
            const v = (varOf(env) / me ** 2 + varOf(nat) / mn ** 2 - (2 * cov) / (me * mn)) / 4;
            close(pairedRatioOfMeans(env, nat, 0.95).logSe!, Math.sqrt(v), 1e-12);
        });

        it("pairing cancels the drift: much narrower than treating the samples as independent", () => {
            const p = pairedRatioOfMeans(env, nat, 0.95).ci!;
            const u = ratioOfMeans(env, nat, 0.95).ci!;
            assert.ok(p.high - p.low < (u.high - u.low) / 5, `paired ${JSON.stringify(p)} vs independent ${JSON.stringify(u)}`);
            assert.equal(verdictOf(p, "higher"), "slower");
            assert.equal(verdictOf(u, "higher"), "not distinguished");
        });

        it("needs equal lengths and 2 pairs", () => {
            assert.throws(() => pairedRatioOfMeans([1, 2], [1], 0.95), /numerator values/);
            assert.equal(pairedRatioOfMeans([1], [1], 0.95).ci, null);
        });
    });

    describe("verdictOf", () => {
        it("higher is better", () => {
            assert.equal(verdictOf({ low: 1.01, high: 1.2 }, "higher"), "faster");
            assert.equal(verdictOf({ low: 0.7, high: 0.99 }, "higher"), "slower");
            assert.equal(verdictOf({ low: 0.9, high: 1.1 }, "higher"), "not distinguished");
        });
        it("lower is better: a larger latency is slower", () => {
            assert.equal(verdictOf({ low: 1.6, high: 2.0 }, "lower"), "slower");
            assert.equal(verdictOf({ low: 0.5, high: 0.9 }, "lower"), "faster");
            assert.equal(verdictOf({ low: 0.95, high: 1.05 }, "lower"), "not distinguished");
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
