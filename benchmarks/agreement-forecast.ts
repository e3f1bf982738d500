/**
 * Would two runs of this stack, on this host, agree on every claim status? A forecast from one
 * measured run: each primary metric's group measured without emulation is modelled as log-normal
 * with the run's own log-scale mean and spread of its per-repetition values, independent between
 * repetitions and environments; simulated runs then go through the stack's precision loop and the
 * claims exactly as `isobench up` and `isobench analyze` do (precisionRows, decidePrecision,
 * undecidedClaims, applicableClaims: the analysis's own code). Two simulated runs agree on a claim
 * when its status is the same word; the share of pairs agreeing on every claim is the forecast of
 * the agreement bar's claim half (analysis/agreement.ts). Figures to read, never assertions:
 *
 *   node -r ts-node/register/transpile-only benchmarks/agreement-forecast.ts <results dir>
 *        [--repetitions 3] [--goal 0.05] [--max 6] [--max-claim none,10] [--runs 600] [--seed 1]
 *        [--spread-scale 1 | --spread-scale redis=0.45] [--drift 0 | --drift fio=0.05,redis=0.04,*=0.02]
 *
 * --max-claim lists the rules to compare: "none" is the goal alone (no maxClaimRepetitions), a
 * number sets maxClaimRepetitions. --spread-scale multiplies every group's spread: 0.3 asks what a
 * host three times quieter than the one measured would give; "redis=0.45" (with "*=x" for the
 * rest, else 1) asks it of one workload's groups, e.g. what longer Redis points would give where
 * their coefficient of variation was measured for both lengths. The model keeps what the run showed,
 * outliers included in the spread (a gross outlier widens it for every simulated repetition).
 * Without --drift it knows no drift between runs, which makes it optimistic; --drift τ gives each
 * environment's group but native's, in each simulated run, a log-scale offset drawn from N(0, τ),
 * so the ratio to native moves between runs by τ as between-runs.ts measures it (one number for
 * every workload, or "workload=τ,…" with "*=τ" for the rest; offsets independent between groups,
 * where a host's drift may move a workload's environments together). It draws each environment's
 * repetitions independently where the analysis pairs repetition r with native's, which matters
 * little at the median (in docs/results/felter2014-small and -rerun the paired interval of a
 * primary metric is 0.98× and 1.16× the independent one at the median) but can for a single claim.
 */
import * as path from "path";
import { BASELINE_ENVIRONMENT, summarize, type Summary } from "../analysis/overhead";
import { summarizeResultsDir } from "../analysis/analyze";
import { readEnvironmentFacts } from "../analysis/facts";
import { decidePrecision, precisionRows, primaryMetrics, undecidedClaims } from "../analysis/precision";
import {
    applicableClaims,
    claimLabel,
    claimResultsShown,
    isUnjudgedStatus,
    linkCeilings,
    loadReferences,
    type ClaimContext,
    type Reference,
} from "../analysis/published";
import type { PrecisionGoal } from "../core/precision";
import { isEmulated, type Sample } from "../core/samples";
import { prng, type Prng } from "../test/helpers/prng";
import { readFlags } from "./flags";

interface Model {
    readonly key: Pick<Sample, "environment" | "env_kind" | "variant" | "workload" | "params" | "metric" | "unit" | "better">;
    readonly logMean: number;
    readonly logSd: number;
}

/**
 * A figure per workload, from "--<flag> x" (every workload) or "--<flag> workload=x,…" with "*=x"
 * for the rest (`otherwise` where no "*" is given): --drift's τ and --spread-scale's factor.
 */
function perWorkload(
    flag: string,
    text: string,
    least: { readonly value: number; readonly inclusive: boolean },
    otherwise: number,
): (workload: string) => number {
    const bound = `${least.inclusive ? "≥" : ">"} ${least.value}`;
    const bad = () => new Error(`--${flag}: ${text} is neither a number ${bound} nor "workload=x,…" with each x ${bound} (e.g. fio=0.05,*=0.02)`);
    const num = (v: string) => {
        const x = Number(v);
        if (v.trim() === "" || !(Number.isFinite(x) && (least.inclusive ? x >= least.value : x > least.value))) throw bad();
        return x;
    };
    if (!text.includes("=")) {
        const all = num(text);
        return () => all;
    }
    const byWorkload = new Map(
        text.split(",").map((part) => {
            const [w, v, extra] = part.split("=");
            if (!w || v === undefined || extra !== undefined) throw bad();
            return [w.trim(), num(v)] as const;
        }),
    );
    return (w) => byWorkload.get(w) ?? byWorkload.get("*") ?? otherwise;
}

/** The measured groups the claims can vote with: primary metrics, not emulated, positive values. */
function models(summary: Summary, primaries: ReadonlyMap<string, ReadonlySet<string>>, spreadScale: (workload: string) => number): Model[] {
    return summary.rows
        .filter((r) => primaries.get(r.workload)?.has(r.metric) && !isEmulated(r.accel) && r.values.length >= 2 && r.values.every((v) => v > 0))
        .map((r) => {
            const logs = r.values.map(Math.log);
            const m = logs.reduce((a, b) => a + b, 0) / logs.length;
            const sd = Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / (logs.length - 1));
            return {
                key: {
                    environment: r.environment,
                    env_kind: r.env_kind as Sample["env_kind"],
                    variant: r.variant,
                    workload: r.workload,
                    params: r.params,
                    metric: r.metric,
                    unit: r.unit,
                    better: r.better as Sample["better"],
                },
                logMean: m,
                logSd: sd * spreadScale(r.workload),
            };
        });
}

function sampleOf(m: Model, repetition: number, value: number): Sample {
    return {
        run_id: "forecast",
        stack: "forecast",
        cell_id: `${m.key.workload}.${m.key.environment}.r${repetition}`,
        ...m.key,
        repetition,
        value,
        started_at: "2026-01-01T00:00:00.000Z",
        duration_s: 1,
        tool: "model",
        tool_version: "0",
        accel: "none",
        host: "model",
        kernel: "",
        cpu_model: "",
        notes: "",
        fingerprint: "",
        controller: "model",
    };
}

/** One simulated run through the precision loop: each judged claim's status, and the cells it measured. */
function simulate(
    r: Prng,
    ms: readonly Model[],
    start: number,
    goal: PrecisionGoal,
    judging: { readonly refs: readonly Reference[]; readonly primaries: ReadonlyMap<string, ReadonlySet<string>>; readonly context: ClaimContext },
    drift: (workload: string) => number,
): { statuses: Map<string, string>; cells: number } {
    const { refs, primaries, context } = judging;
    const values = new Map<Model, number[]>();
    const reps = new Map<string, number>();
    for (const m of ms) reps.set(m.key.workload, start);
    // This run's offset of each group; none is drawn at τ = 0, so a forecast without drift draws the numbers it drew before --drift existed.
    const offset = new Map(
        ms.map((m) => {
            const tau = m.key.environment === BASELINE_ENVIRONMENT ? 0 : drift(m.key.workload);
            return [m, tau > 0 ? r.normal(0, tau) : 0];
        }),
    );
    const draw = () => {
        for (const m of ms) {
            const v = values.get(m) ?? [];
            while (v.length < reps.get(m.key.workload)!) v.push(Math.exp(r.normal(m.logMean + offset.get(m)!, m.logSd)));
            values.set(m, v);
        }
        return summarize(ms.flatMap((m) => values.get(m)!.map((x, i) => sampleOf(m, i + 1, x))));
    };
    for (;;) {
        const summary = draw();
        const claims = applicableClaims(refs, summary, context).claims;
        const d = decidePrecision(precisionRows(summary.rows, primaries, goal, summary.confidence), goal, undecidedClaims(claims));
        if (d.kind !== "add") {
            const statuses = new Map<string, string>();
            for (const c of claimResultsShown(claims)) if (!isUnjudgedStatus(c.status)) statuses.set(claimLabel(c), c.status);
            return { statuses, cells: ms.reduce((n, m) => n + values.get(m)!.length, 0) };
        }
        for (const a of d.add) reps.set(a.workload, a.repetition);
    }
}

async function main(): Promise<void> {
    const f = readFlags(process.argv.slice(2), {
        repetitions: "3",
        goal: "0.05",
        max: "6",
        "max-claim": "none,10",
        runs: "600",
        seed: "1",
        "spread-scale": "1",
        drift: "0",
    });
    const dir = f.positionals[0];
    if (!dir)
        throw new Error(
            "usage: agreement-forecast.ts <results dir> [--repetitions 3] [--goal 0.05] [--max 6] [--max-claim none,10] [--runs 600] [--seed 1] [--spread-scale 1] [--drift 0]",
        );
    const start = f.positive("repetitions");
    const runs = 2 * Math.ceil(f.positive("runs") / 2);
    const base: PrecisionGoal = { relativeHalfWidth: f.positive("goal"), maxRepetitions: f.positive("max") };
    const rules = f.text("max-claim").split(",");
    const { summary } = await summarizeResultsDir(dir, { workers: 1 });
    const scale = perWorkload("spread-scale", f.text("spread-scale"), { value: 0, inclusive: false }, 1);
    const drift = perWorkload("drift", f.text("drift"), { value: 0, inclusive: true }, 0);
    // Read once: every simulated run judges with the same references.
    const refs = loadReferences();
    const primaries = primaryMetrics(refs);
    const ms = models(summary, primaries, scale);
    const judging = { refs, primaries, context: { linkGbps: linkCeilings(readEnvironmentFacts(dir).facts) } };
    console.log(
        `forecast from ${path.resolve(dir)}: ${ms.length} primary-metric groups modelled (log-normal, the run's own mean and spread${f.text("spread-scale") === "1" ? "" : ` × ${f.text("spread-scale")}`}); ` +
            `${runs} simulated runs per rule, from ${start} repetitions, goal ±${base.relativeHalfWidth * 100} % up to ${base.maxRepetitions}` +
            `${f.text("drift") === "0" ? "; no drift between runs" : `; drift between runs τ ${f.text("drift")}`}`,
    );
    for (const rule of rules) {
        const cap = Number(rule);
        if (rule !== "none" && !(Number.isInteger(cap) && cap > 0)) throw new Error(`--max-claim: ${rule} is neither "none" nor a number of repetitions`);
        const goal: PrecisionGoal = rule === "none" ? base : { ...base, maxClaimRepetitions: Math.max(base.maxRepetitions, cap) };
        const r = prng(f.positive("seed"));
        const results = Array.from({ length: runs }, () => simulate(r, ms, start, goal, judging, drift));
        const claims = [...new Set(results.flatMap((x) => [...x.statuses.keys()]))];
        let allAgree = 0;
        for (let i = 0; i < runs; i += 2) if (claims.every((c) => results[i].statuses.get(c) === results[i + 1].statuses.get(c))) allAgree++;
        const cells = results.reduce((n, x) => n + x.cells, 0) / runs;
        console.log(
            `\n### ${rule === "none" ? "goal alone (no maxClaimRepetitions)" : `maxClaimRepetitions ${goal.maxClaimRepetitions}`}: ` +
                `pairs agreeing on every claim ${(allAgree / (runs / 2)).toFixed(3)}; mean cells of the modelled groups per run ${cells.toFixed(1)}\n`,
        );
        console.log("| claim | consistent | inconsistent | inconclusive | two runs agree |");
        console.log("|---|---|---|---|---|");
        for (const c of claims) {
            const share = (s: string) => results.filter((x) => x.statuses.get(c) === s).length / runs;
            const agree = ["consistent", "inconsistent", "inconclusive"].reduce((a, s) => a + share(s) ** 2, 0);
            console.log(
                `| ${c} | ${share("consistent").toFixed(3)} | ${share("inconsistent").toFixed(3)} | ${share("inconclusive").toFixed(3)} | ${agree.toFixed(3)} |`,
            );
        }
    }
}

main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
});
