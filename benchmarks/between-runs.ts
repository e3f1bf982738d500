/**
 * Do runs of one stack differ by more than their own intervals say? Reads two or more results
 * folders (a run and its `isobench up --from` re-runs, say) through the analysis's own code and
 * takes every change-vs-native comparison the agreement bar counts in all of them (analysis/
 * agreement.ts: not emulated, a restatement counted once, an interval in each run). For each it
 * asks whether the runs' log ratios differ beyond their standard errors (analysis/statistics.ts
 * heterogeneity: Welch's test, so a handful of repetitions per run is not treated as an exact
 * error):
 *  - per pair of runs, the share of comparisons whose ratios differ at 5 %: about 5 % when each
 *    run's interval holds all the variation between runs, more when the runs drift apart;
 *  - over all runs, the same test and the DerSimonian–Laird spread τ between the runs' true ratios,
 *    next to the within-run standard error, per workload and for the claims' primary metrics.
 * agreement-forecast.ts models runs without drift; τ is the drift it leaves out. Figures to read,
 * never assertions:
 *
 *   node -r ts-node/register/transpile-only benchmarks/between-runs.ts <results dir> <results dir> [...]
 */
import * as path from "path";
import { summarizeResultsDir } from "../analysis/analyze";
import { comparisonsOf } from "../analysis/agreement";
import { groupBy } from "../analysis/group-by";
import type { Summary, SummaryRow } from "../analysis/overhead";
import { shortParams, varyingKeys } from "../analysis/params";
import { primaryMetrics } from "../analysis/precision";
import { loadReferences } from "../analysis/published";
import { heterogeneity, holmAdjusted, median, quantile, type Estimate } from "../analysis/statistics";

/** One comparison with native as one run measured it: the log ratio and its error. */
interface Point extends Estimate {
    readonly row: SummaryRow;
}

/** The comparisons of one run the agreement bar counts and that have an interval, by id. */
function countedPoints(summary: Summary): Map<string, Point> {
    const out = new Map<string, Point>();
    for (const [id, c] of comparisonsOf(summary)) {
        const o = c.row.overhead;
        if (c.emulated || c.restates || o.kind !== "compared" || o.logSe === null || o.df === null || !(o.logSe > 0)) continue;
        out.set(id, { row: c.row, value: Math.log(o.ratio), se: o.logSe, df: o.df });
    }
    return out;
}

/** A spread on the log scale as a percentage of the ratio. */
const pct = (logSpread: number) => `${((Math.exp(logSpread) - 1) * 100).toFixed(1)} %`;

async function main(): Promise<void> {
    const dirs = process.argv.slice(2);
    if (dirs.length < 2) throw new Error("usage: between-runs.ts <results dir> <results dir> [...]: two or more runs of one stack");
    const runs: { readonly name: string; readonly points: Map<string, Point> }[] = [];
    for (const dir of dirs) {
        const { summary } = await summarizeResultsDir(dir, { workers: 1, log: () => undefined });
        runs.push({ name: path.basename(path.resolve(dir)), points: countedPoints(summary) });
    }
    const ids = [...runs[0].points.keys()].filter((id) => runs.every((r) => r.points.has(id)));
    if (ids.length === 0) throw new Error("no comparison is counted in every run: are these runs of one stack?");
    const k = runs.length;
    console.log(`${k} runs: ${runs.map((r) => r.name).join(", ")}; ${ids.length} comparisons with native counted in all of them\n`);

    console.log(
        "Per pair of runs: comparisons whose two ratios differ at 5 % (Welch); about 5 % expected when each run's intervals hold the variation between runs\n",
    );
    console.log("| runs | differ at 5 % | share | after Holm over the pair's comparisons |");
    console.log("|---|---|---|---|");
    for (let a = 0; a < k; a++)
        for (let b = a + 1; b < k; b++) {
            const ps = ids.map((id) => heterogeneity([runs[a].points.get(id)!, runs[b].points.get(id)!]).p);
            const differ = ps.filter((p) => p < 0.05).length;
            const holm = holmAdjusted(ps).filter((p) => p < 0.05).length;
            console.log(`| ${runs[a].name} vs ${runs[b].name} | ${differ} of ${ids.length} | ${((differ / ids.length) * 100).toFixed(1)} % | ${holm} |`);
        }

    const all = ids.map((id) => {
        const pts = runs.map((r) => r.points.get(id)!);
        return { id, row: pts[0].row, h: heterogeneity(pts), se: median(pts.map((p) => p.se)) };
    });
    const summaryLine = (xs: typeof all) => {
        const taus = xs.map((x) => Math.sqrt(x.h.tau2));
        const differ = xs.filter((x) => x.h.p < 0.05).length;
        return `${xs.length} | ${differ} (${((differ / xs.length) * 100).toFixed(0)} %) | ${pct(median(taus))} | ${pct(quantile(taus, 0.75))} | ${pct(Math.max(...taus))} | ${pct(median(xs.map((x) => x.se)))}`;
    };
    console.log(
        `\nOver all ${k} runs: Welch's test of one true ratio per comparison, and τ, the DerSimonian–Laird spread between the runs' true ratios (0 when the runs differ no more than their errors), next to the runs' own standard error of the ratio\n`,
    );
    console.log("| workload | comparisons | differ at 5 % | median τ | 75th percentile τ | largest τ | median within-run error |");
    console.log("|---|---|---|---|---|---|---|");
    const byWorkload = groupBy(all, (x) => x.row.workload);
    for (const [w, xs] of [...byWorkload].sort(([a], [b]) => a.localeCompare(b))) console.log(`| ${w} | ${summaryLine(xs)} |`);
    console.log(`| **all** | ${summaryLine(all)} |`);

    const primaries = primaryMetrics(loadReferences());
    const primary = all.filter((x) => primaries.get(x.row.workload)?.has(x.row.metric));
    if (primary.length > 0) {
        const keys = new Map([...byWorkload].map(([w, xs]) => [w, varyingKeys(xs.map((x) => x.row.params))]));
        console.log("\nThe claims' primary metrics: each run's ratio to native [95 % interval], Welch's p over the runs, τ\n");
        console.log(`| workload | params | metric | environment | ${runs.map((r) => r.name).join(" | ")} | p | τ |`);
        console.log(`|---|---|---|---|${runs.map(() => "---|").join("")}---|---|`);
        for (const x of primary) {
            const cells = runs.map((r) => {
                const o = r.points.get(x.id)!.row.overhead;
                return o.kind === "compared" && o.ratioCi ? `${o.ratio.toFixed(3)} [${o.ratioCi.low.toFixed(3)}, ${o.ratioCi.high.toFixed(3)}]` : "";
            });
            console.log(
                `| ${x.row.workload} | ${shortParams(x.row.params, keys.get(x.row.workload)!)} | ${x.row.metric} | ${x.row.environment} | ${cells.join(" | ")} | ${x.h.p.toFixed(3)} | ${pct(Math.sqrt(x.h.tau2))} |`,
            );
        }
    }
}

main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
});
