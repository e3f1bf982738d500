/**
 * Coverage of the ratio intervals (analysis/ratio.ts) on simulated experiments: the share of
 * 95 % intervals that contain the true ratio must be near 0.95 at the repetition counts a stack
 * uses (3, 5, 10). Seeded, so every run draws the same experiments and measures the same shares.
 * The band is narrow enough that a z interval (the normal quantile instead of t) fails it at
 * n = 3, which the last test shows.
 */
import { strict as assert } from "assert";
import { logRatioInterval, pairedRatioOfMeans, ratioOfMeans, RatioEstimate } from "../../analysis/ratio";
import { prng, Prng } from "../helpers/prng";

const EXPERIMENTS = 4000;
/** ± 6 binomial standard errors of 0.95 at 4000 experiments (0.0034 each). */
const BAND = { low: 0.93, high: 0.97 };
const TRUE_RATIO = 0.9;

/** Independent sides with different relative spread (10 % and 3 %), as a noisy guest against a steady host. */
function independent(r: Prng, n: number): [number[], number[]] {
    const env = Array.from({ length: n }, () => r.normal(90, 9));
    const native = Array.from({ length: n }, () => r.normal(100, 3));
    return [env, native];
}

/** Repetitions sharing a drift of the host (5 %) on top of each side's own noise, as the runner's interleaving sees it. */
function drifting(r: Prng, n: number): [number[], number[]] {
    const env: number[] = [];
    const native: number[] = [];
    for (let i = 0; i < n; i++) {
        const drift = 1 + r.normal(0, 0.05);
        env.push(90 * drift + r.normal(0, 2));
        native.push(100 * drift + r.normal(0, 2));
    }
    return [env, native];
}

function coverage(
    seed: number,
    n: number,
    draw: (r: Prng, n: number) => [number[], number[]],
    interval: (env: number[], native: number[]) => { low: number; high: number } | null,
): number {
    const r = prng(seed);
    let hits = 0;
    for (let i = 0; i < EXPERIMENTS; i++) {
        const [env, native] = draw(r, n);
        const ci = interval(env, native);
        assert.ok(ci, "every simulated experiment has an interval");
        assert.ok(ci.low > 0, `interval ${JSON.stringify(ci)} leaves the ratio's domain`);
        if (ci.low <= TRUE_RATIO && TRUE_RATIO <= ci.high) hits++;
    }
    return hits / EXPERIMENTS;
}

const ci = (e: RatioEstimate) => e.ci;
const measured: string[] = [];

describe("analysis/ratio: coverage of 95 % intervals on simulated experiments", () => {
    after(() => {
        // The measured figures, for the reader of the test log (and the report of a change to the method).
        console.log(`      coverage: ${measured.join("; ")}`);
    });

    for (const n of [3, 5, 10]) {
        it(`independent samples, Welch–Satterthwaite on the log ratio, n = ${n}: ${BAND.low}–${BAND.high}`, () => {
            const c = coverage(1000 + n, n, independent, (e, x) => ci(ratioOfMeans(e, x, 0.95)));
            measured.push(`independent n=${n} ${c.toFixed(4)}`);
            assert.ok(c >= BAND.low && c <= BAND.high, `coverage ${c}`);
        });

        it(`paired samples under shared drift, n − 1 degrees of freedom, n = ${n}: ${BAND.low}–${BAND.high}`, () => {
            const c = coverage(2000 + n, n, drifting, (e, x) => ci(pairedRatioOfMeans(e, x, 0.95)));
            measured.push(`paired n=${n} ${c.toFixed(4)}`);
            assert.ok(c >= BAND.low && c <= BAND.high, `coverage ${c}`);
        });
    }

    it("the band is tight enough to catch a wrong method: a z interval at n = 3 falls below it", () => {
        const z = (e: RatioEstimate) => logRatioInterval(e.ratio, e.logSe!, Infinity, 0.95);
        const indep = coverage(1003, 3, independent, (e, x) => z(ratioOfMeans(e, x, 0.95)));
        const paired = coverage(2003, 3, drifting, (e, x) => z(pairedRatioOfMeans(e, x, 0.95)));
        measured.push(`z interval n=3: independent ${indep.toFixed(4)}, paired ${paired.toFixed(4)}`);
        assert.ok(indep < BAND.low, `z interval coverage ${indep}`);
        assert.ok(paired < BAND.low, `z interval coverage ${paired}`);
    });
});
