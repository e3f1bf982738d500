/**
 * How often two independent runs give a claim the same status, and how often a status is wrong,
 * under the precision goal's two stopping rules (analysis/precision.ts): a fixed number of
 * repetitions, and repetitions added one at a time while the claim is undecided (its interval
 * straddles an edge of the range) up to a maximum. Simulated experiments, seeded; the interval and
 * the status are the analysis's own (pairedRatioOfMeans, judgeInterval). Figures to read, never
 * assertions in the test suite:
 *
 *   node -r ts-node/register/transpile-only benchmarks/claim-decision.ts [--cv 0.06] [--drift 0.03]
 *        [--start 3] [--fixed 6] [--max 10] [--experiments 4000] [--range 0.95,1.05]
 *
 * Each repetition measures native and the environment with a drift of the host shared by the pair
 * (--drift, relative sd) and each side's own noise (--cv); the environment's true mean is the true
 * ratio times native's. For each true ratio (inside, at and beyond the range's lower edge) it
 * prints the share of runs ending consistent / inconsistent / inconclusive, the share of two
 * independent runs that agree (the sum of the squared shares), the share decided wrongly
 * (inconsistent when the truth is inside, consistent when it is outside) and the mean number of
 * repetitions. Sequential looks decide wrongly more often than one look at the confidence; this
 * says by how much at the parameters a stack uses.
 */
import { judgeInterval, type Range } from "../analysis/published";
import { pairedRatioOfMeans } from "../analysis/ratio";
import { prng, type Prng } from "../test/helpers/prng";

const CONFIDENCE = 0.95;

interface Options {
    readonly cv: number;
    readonly drift: number;
    readonly start: number;
    readonly fixed: number;
    readonly max: number;
    readonly experiments: number;
    readonly range: Range & { readonly min: number; readonly max: number };
}

function options(argv: readonly string[]): Options {
    const get = (key: string, fallback: string) => {
        const i = argv.indexOf(`--${key}`);
        return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
    };
    const num = (key: string, fallback: string) => {
        const v = Number(get(key, fallback));
        if (!Number.isFinite(v) || v <= 0) throw new Error(`--${key}: ${get(key, fallback)} is not a positive number`);
        return v;
    };
    const [lo, hi] = get("range", "0.95,1.05").split(",").map(Number);
    if (!(lo > 0 && hi > lo)) throw new Error(`--range: write two ratios, low first, e.g. 0.95,1.05`);
    const o = {
        cv: num("cv", "0.06"),
        drift: num("drift", "0.03"),
        start: num("start", "3"),
        fixed: num("fixed", "6"),
        max: num("max", "10"),
        experiments: num("experiments", "4000"),
        range: { min: lo, max: hi },
    };
    if (o.start < 2 || o.max < o.start) throw new Error(`--start must be ≥ 2 and --max ≥ --start`);
    return o;
}

/** One repetition: [environment, native]. */
function pair(r: Prng, ratio: number, o: Options): [number, number] {
    const drift = 1 + r.normal(0, o.drift);
    return [ratio * 100 * drift * (1 + r.normal(0, o.cv)), 100 * drift * (1 + r.normal(0, o.cv))];
}

function status(env: readonly number[], native: readonly number[], range: Range) {
    return judgeInterval(pairedRatioOfMeans(env, native, CONFIDENCE).ci, range);
}

/** A run under one rule: its final status and how many repetitions it took. */
function run(r: Prng, ratio: number, o: Options, sequential: boolean): { status: string; n: number } {
    const env: number[] = [];
    const native: number[] = [];
    const first = sequential ? o.start : o.fixed;
    for (let i = 0; i < first; i++) {
        const [e, n] = pair(r, ratio, o);
        env.push(e);
        native.push(n);
    }
    let s = status(env, native, o.range);
    while (sequential && s === "inconclusive" && env.length < o.max) {
        const [e, n] = pair(r, ratio, o);
        env.push(e);
        native.push(n);
        s = status(env, native, o.range);
    }
    return { status: s, n: env.length };
}

function main(): void {
    const o = options(process.argv.slice(2));
    const edge = o.range.min;
    // The range's middle (geometric), then steps of the true ratio across its lower edge.
    const ratios = [Math.sqrt(o.range.min * o.range.max), ...[1.1, 1.05, 1.02, 1, 0.98, 0.95, 0.9].map((k) => edge * k)].map((x) => +x.toFixed(4));
    console.log(
        `claim range ${o.range.min}–${o.range.max}; per side cv ${o.cv}, shared drift ${o.drift}; ${o.experiments} runs per row; ` +
            `fixed: ${o.fixed} repetitions; sequential: ${o.start} then one at a time while undecided, up to ${o.max}; ${CONFIDENCE * 100} % paired log-scale intervals`,
    );
    console.log("| true ratio | rule | consistent | inconsistent | inconclusive | two runs agree | decided wrongly | mean repetitions |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const ratio of ratios) {
        const inside = ratio >= o.range.min && ratio <= o.range.max;
        for (const sequential of [false, true]) {
            const r = prng(Math.round(ratio * 1e4) + (sequential ? 7 : 0));
            const counts: Record<string, number> = { consistent: 0, inconsistent: 0, inconclusive: 0 };
            let reps = 0;
            for (let i = 0; i < o.experiments; i++) {
                const x = run(r, ratio, o, sequential);
                counts[x.status]++;
                reps += x.n;
            }
            const share = (k: string) => counts[k] / o.experiments;
            const agree = ["consistent", "inconsistent", "inconclusive"].reduce((a, k) => a + share(k) ** 2, 0);
            // At the edge itself both decided statuses are right; wrong is only the side the truth is not on.
            const wrong = ratio === edge ? 0 : inside ? share("inconsistent") : share("consistent");
            const f = (x: number) => x.toFixed(3);
            console.log(
                `| ${ratio} | ${sequential ? `sequential ≤ ${o.max}` : `fixed ${o.fixed}`} | ${f(share("consistent"))} | ${f(share("inconsistent"))} | ${f(share("inconclusive"))} | ${f(agree)} | ${ratio === edge ? "n/a (at the edge)" : f(wrong)} | ${(reps / o.experiments).toFixed(1)} |`,
            );
        }
    }
}

main();
