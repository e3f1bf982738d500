import { strict as assert } from "assert";
import { pairByRepetition } from "../../analysis/pairing";
import { familyVerdicts, pairedRatioOfMeans, ratioOfMeans, ratioPValue, type RatioEstimate } from "../../analysis/ratio";
import { tCritical } from "../../analysis/statistics";
import { jStat } from "jstat";
import { prng } from "../helpers/prng";
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
            const alone = (e: RatioEstimate) => familyVerdicts([{ ...e, better: "higher" }], 0.05).verdicts[0].verdict;
            assert.equal(alone(pairedRatioOfMeans(env, nat, 0.95)), "slower");
            assert.equal(alone(ratioOfMeans(env, nat, 0.95)), "not distinguished");
        });

        it("needs equal lengths and 2 pairs", () => {
            assert.throws(() => pairedRatioOfMeans([1, 2], [1], 0.95), /numerator values/);
            assert.equal(pairedRatioOfMeans([1], [1], 0.95).ci, null);
        });
    });

    describe("familyVerdicts", () => {
        // A comparison with two-sided p-value p (normal quantile, df = ∞) and the given direction.
        const withP = (p: number, side: 1 | -1 = -1, better: "higher" | "lower" = "higher") => ({
            ratio: Math.exp(side * jStat.normal.inv(1 - p / 2, 0, 1) * 0.01),
            logSe: 0.01,
            df: Infinity,
            better,
        });

        it("a family of one is its interval's verdict, both directions, and p < 1 − confidence exactly when the interval excludes 1", () => {
            for (const [num, den] of [
                [
                    [105, 107, 106],
                    [100, 101, 99],
                ],
                [
                    [90, 93, 91],
                    [100, 101, 99],
                ],
                [
                    [99, 103, 101],
                    [100, 101, 99],
                ],
            ]) {
                const e = ratioOfMeans(num, den, 0.95);
                const excludes = e.ci!.low > 1 || e.ci!.high < 1;
                assert.equal(ratioPValue(e)! < 0.05, excludes);
                const up = familyVerdicts([{ ...e, better: "higher" }], 0.05).verdicts[0].verdict;
                const down = familyVerdicts([{ ...e, better: "lower" }], 0.05).verdicts[0].verdict;
                if (!excludes) assert.deepEqual([up, down], ["not distinguished", "not distinguished"]);
                else if (e.ratio > 1) assert.deepEqual([up, down], ["faster", "slower"]);
                else assert.deepEqual([up, down], ["slower", "faster"]);
            }
        });

        it("Holm's step-down over the family: p-values 0.01, 0.03, 0.2 keep the first difference only (adjusted 0.03, 0.06, 0.2)", () => {
            const { verdicts, size } = familyVerdicts([withP(0.03), withP(0.01), withP(0.2)], 0.05);
            assert.equal(size, 3);
            assert.deepEqual(
                verdicts.map((v) => v.verdict),
                ["not distinguished", "slower", "not distinguished"],
            );
            close(verdicts[0].pHolm!, 0.06, 1e-9);
            close(verdicts[1].pHolm!, 0.03, 1e-9);
            close(verdicts[0].p!, 0.03, 1e-9);
        });

        it("a restatement takes its original's verdict and is not counted; no interval is undetermined", () => {
            const { verdicts, size } = familyVerdicts(
                [
                    { ...withP(0.02, 1), key: "iops" },
                    { ...withP(0.02, 1), key: "bw", restates: "iops" },
                    { ratio: 1.2, logSe: null, df: null, better: "lower" },
                ],
                0.05,
            );
            assert.equal(size, 1);
            assert.deepEqual(
                verdicts.map((v) => v.verdict),
                ["faster", "faster", "undetermined"],
            );
            // Counted twice, Holm would have doubled its p to 0.04; the restatement is the same test.
            close(verdicts[0].pHolm!, 0.02, 1e-9);
            // A restatement whose original is not in the family stands on its own, and is counted.
            const alone = familyVerdicts([{ ...withP(0.02, 1), key: "bw", restates: "iops" }], 0.05);
            assert.equal(alone.size, 1);
            assert.equal(alone.verdicts[0].verdict, "faster");
        });

        it("two independent runs of one experiment repeat the run's verdicts: about 90 % agree one by one, at least 95 % decided together", () => {
            // 150 true nulls and 30 true differences of 20 %, 3 repetitions a side with 5 % log-scale
            // spread each, the shape of a felter2014-small run: what issue 18 part 10 measures.
            const rand = prng(18);
            const truth = [...Array(180)].map((_, i) => (i < 150 ? 0 : Math.log(0.8)));
            const run = () =>
                truth.map((d) => {
                    const draw = (m: number) => [0, 1, 2].map(() => Math.exp(m + rand.normal(0, 0.05)));
                    return { ...ratioOfMeans(draw(d), draw(0), 0.95), better: "higher" as const };
                });
            const agreement = (a: string[], b: string[]) => a.filter((v, i) => v === b[i]).length / a.length;
            const oneByOne = (r: ReturnType<typeof run>) => r.map((m) => familyVerdicts([m], 0.05).verdicts[0].verdict);
            const together = (r: ReturnType<typeof run>) => familyVerdicts(r, 0.05).verdicts.map((v) => v.verdict);
            let alone = 0;
            let family = 0;
            const pairs = 20;
            for (let k = 0; k < pairs; k++) {
                const a = run();
                const b = run();
                alone += agreement(oneByOne(a), oneByOne(b)) / pairs;
                family += agreement(together(a), together(b)) / pairs;
            }
            // Nulls alone agree with probability 0.95² + 0.05²/2 ≈ 0.90, the 30 differences almost always.
            assert.ok(alone > 0.88 && alone < 0.95, `one by one: ${alone}`);
            assert.ok(family >= 0.95, `together: ${family}`);
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
