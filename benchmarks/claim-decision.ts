/**
 * What `isobench:precision.maxClaimRepetitions` buys for one claim, on simulated runs: how often a
 * run ends consistent / inconsistent / inconclusive, how often two independent runs give the same
 * status, and how often the status is wrong, under the two rules `isobench up` can follow
 * (analysis/precision.ts):
 *
 * - goal alone: from --start repetitions, one more while either side's mean misses ±--goal, up to
 *   --max (the half-width goal, no maxClaimRepetitions);
 * - goal and claim: the same, and one more while the claim is undecided by its interval, up to
 *   --max-claim (maxClaimRepetitions).
 *
 * Each repetition measures native and the environment, each with its own log-normal noise (--cv,
 * relative sd); the environment's true mean is the true ratio times native's. Intervals, the
 * half-width and the status are the analysis's own (pairedRatioOfMeans, relativeHalfWidth,
 * judgeInterval); the claim has one voting point. A drift shared by the pair would cancel in the
 * paired interval, so none is drawn. Figures to read, never assertions in the test suite:
 *
 *   node -r ts-node/register/transpile-only benchmarks/claim-decision.ts [--cv 0.03] [--goal 0.05]
 *        [--start 3] [--max 6] [--max-claim 10] [--range 0.95,1.05] [--experiments 4000]
 *
 * True ratios: the middle of the range (geometric), then steps across its lower edge (× 1.05,
 * 1.02, 1, 0.98, 0.95). At the edge itself either decided status is right, so no wrong share.
 */
import { relativeHalfWidth } from "../analysis/precision";
import { judgeInterval, type Range } from "../analysis/published";
import { pairedRatioOfMeans } from "../analysis/ratio";
import { prng, type Prng } from "../test/helpers/prng";
import { readFlags } from "./flags";

const CONFIDENCE = 0.95;
const STATUSES = ["consistent", "inconsistent", "inconclusive"] as const;

interface Options {
    readonly cv: number;
    readonly goal: number;
    readonly start: number;
    readonly max: number;
    readonly maxClaim: number;
    readonly experiments: number;
    readonly range: { readonly min: number; readonly max: number };
}

function options(argv: readonly string[]): Options {
    const f = readFlags(argv, { cv: "0.03", goal: "0.05", start: "3", max: "6", "max-claim": "10", experiments: "4000", range: "0.95,1.05" });
    const [lo, hi] = f.text("range").split(",").map(Number);
    if (!(lo > 0 && hi > lo)) throw new Error(`--range: write two ratios, low first, e.g. 0.95,1.05`);
    const o = {
        cv: f.positive("cv"),
        goal: f.positive("goal"),
        start: f.positive("start"),
        max: f.positive("max"),
        maxClaim: f.positive("max-claim"),
        experiments: f.positive("experiments"),
        range: { min: lo, max: hi },
    };
    if (o.start < 2 || o.max < o.start || o.maxClaim < o.max) throw new Error(`--start must be ≥ 2, --max ≥ --start and --max-claim ≥ --max`);
    return o;
}

/** One run under a rule (claimCap undefined: the goal alone): its final status and repetitions. */
function run(r: Prng, ratio: number, o: Options, range: Range, claimCap: number | undefined): { status: string; n: number } {
    const env: number[] = [];
    const native: number[] = [];
    const measure = () => {
        native.push(100 * Math.exp(r.normal(0, o.cv)));
        env.push(ratio * 100 * Math.exp(r.normal(0, o.cv)));
    };
    for (let i = 0; i < o.start; i++) measure();
    for (;;) {
        const status = judgeInterval(pairedRatioOfMeans(env, native, CONFIDENCE).ci, range);
        const missed = [env, native].some((v) => (relativeHalfWidth(v, CONFIDENCE) ?? Infinity) > o.goal) && env.length < o.max;
        const undecided = claimCap !== undefined && status === "inconclusive" && env.length < claimCap;
        if (!missed && !undecided) return { status, n: env.length };
        measure();
    }
}

function main(): void {
    const o = options(process.argv.slice(2));
    const edge = o.range.min;
    const ratios = [Math.sqrt(o.range.min * o.range.max), ...[1.05, 1.02, 1, 0.98, 0.95].map((k) => edge * k)].map((x) => +x.toFixed(4));
    console.log(
        `claim range ${o.range.min}–${o.range.max}; per side cv ${o.cv}; ${o.experiments} runs per row; from ${o.start} repetitions; ` +
            `goal ±${o.goal * 100} % up to ${o.max}; claim up to ${o.maxClaim}; ${CONFIDENCE * 100} % paired log-scale intervals`,
    );
    console.log("| true ratio | rule | consistent | inconsistent | inconclusive | two runs agree | decided wrongly | mean repetitions |");
    console.log("|---|---|---|---|---|---|---|---|");
    for (const ratio of ratios) {
        const inside = ratio >= o.range.min && ratio <= o.range.max;
        for (const claimCap of [undefined, o.maxClaim]) {
            const r = prng(Math.round(ratio * 1e4) + (claimCap === undefined ? 0 : 7));
            const counts = new Map<string, number>(STATUSES.map((s) => [s, 0]));
            let reps = 0;
            for (let i = 0; i < o.experiments; i++) {
                const x = run(r, ratio, o, o.range, claimCap);
                counts.set(x.status, counts.get(x.status)! + 1);
                reps += x.n;
            }
            const share = (k: string) => counts.get(k)! / o.experiments;
            const agree = STATUSES.reduce((a, k) => a + share(k) ** 2, 0);
            const wrong = ratio === edge ? "n/a (at the edge)" : (inside ? share("inconsistent") : share("consistent")).toFixed(3);
            const f = (x: number) => x.toFixed(3);
            console.log(
                `| ${ratio} | ${claimCap === undefined ? `goal alone (≤ ${o.max})` : `goal and claim (≤ ${claimCap})`} | ${f(share("consistent"))} | ` +
                    `${f(share("inconsistent"))} | ${f(share("inconclusive"))} | ${f(agree)} | ${wrong} | ${(reps / o.experiments).toFixed(1)} |`,
            );
        }
    }
}

main();
