/**
 * The analysis step (`isobench analyze <dir>`, also the last resource of `pulumi up`):
 * cells/*.csv → statistics → change vs native (ratio with interval, paired by repetition) →
 * published comparison and claims → <dir>/summary.csv, summary.md, plots/*.svg|png, report.html.
 * Whatever can be computed is written; what is missing is named in the outputs' Problems and,
 * when nothing at all can be computed, in a UserError.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { UserError } from "../core/errors";
import { Agreement, agreementOf, agreementToCsv, renderAgreementMarkdown } from "./agreement";
import { comparisonToCsv, compareRuns, renderComparisonMarkdown } from "./compare";
import { readRunOrigin } from "../core/provenance";
import { FactsAccumulator, factMismatches, readEnvironmentFacts, readHostStability } from "./facts";
import { stabilityBrief } from "./host-stability";
import { renderHtml } from "./html";
import { DEFAULT_CONFIDENCE, formatPercent, Summary, summarizeGroups } from "./overhead";
import { plotSpecs, renderPlots, writePlots } from "./plots";
import { applicableClaims, ClaimResult, comparePublished, linkCeilings, loadReferences, Reference, unmatchedPublished } from "./published";
import { readCells } from "./read-cells";
import { renderMarkdown } from "./report";
import { writeFileAtomic } from "../core/files";
import { isEmulated } from "../core/samples";
import { PrecisionGoal, readRepetitions, RepetitionsRecord } from "../core/precision";
import { TCG_MEANING } from "./emulated";
import { PRECISION_COLUMNS, PrecisionReport, precisionRecords, precisionRows, precisionUnjudged, primaryMetrics, undecidedClaims } from "./precision";

export interface AnalyzeOptions {
    /** Print progress and what was written to stderr. Default false. */
    readonly progress?: boolean;
    /** Confidence of comparison intervals and verdicts; default 0.95. */
    readonly confidence?: number;
    /** Render plots (SVG, PNG) and put them into report.html; default true. */
    readonly plots?: boolean;
    /** Reference data directory; default analysis/reference. */
    readonly referenceDir?: string;
    /** Another results directory to set side by side (writes compare.md and compare.csv into dir). */
    readonly compareWith?: string;
    /** Threads reading cells/ (default: 2 for large runs, see read-cells.ts). */
    readonly workers?: number;
    /** Where progress lines go; default stderr. */
    readonly log?: (line: string) => void;
    /** The cell ids of the stack's current plan: other cells' CSVs are listed, not used (the stack's analysis step passes it). */
    readonly plan?: readonly string[];
    /** With compareWith: the share of verdicts that must agree for the agreement report to pass; default AGREEMENT_BAR. */
    readonly agreementBar?: number;
    /**
     * The stack's precision goal (the stack's analysis step passes it); without it, the goal of the
     * folder's repetitions.json, if any. With a goal: precision.csv and a Precision section.
     */
    readonly precision?: PrecisionGoal;
}

export const SUMMARY_COLUMNS = [
    "workload",
    "params",
    "metric",
    "environment",
    "env_kind",
    "variant",
    "unit",
    "better",
    "accel",
    "n",
    "mean",
    "stddev",
    "min",
    "max",
    "median",
    "ci95_low",
    "ci95_high",
    "overhead_status",
    "ratio_vs_native",
    "ratio_ci_low",
    "ratio_ci_high",
    "change_pct",
    "change_ci_low_pct",
    "change_ci_high_pct",
    "change",
    "verdict",
    "p_value",
    "p_holm",
    "confidence",
    "method",
    "paired",
    "outliers",
    "tool_versions",
    "note",
] as const;

/** summary.csv: one row per group (= one comparison); empty cells where a value does not exist. */
export function summaryToCsv(summary: Summary): string {
    const rows = summary.rows.map((r) => {
        const o = r.overhead;
        const c = o.kind === "compared" ? o : undefined;
        const notes: string[] = [];
        if (o.kind === "no-native" || o.kind === "not-comparable") notes.push(o.reason);
        if (c?.unpairedReason) notes.push(`not paired: ${c.unpairedReason}`);
        if (c?.ciMissing) notes.push(`no interval: ${c.ciMissing}`);
        if (isEmulated(r.accel)) notes.push(TCG_MEANING);
        const record: Record<(typeof SUMMARY_COLUMNS)[number], string | number> = {
            workload: r.workload,
            params: r.params,
            metric: r.metric,
            environment: r.environment,
            env_kind: r.env_kind,
            variant: r.variant,
            unit: r.unit,
            better: r.better,
            accel: r.accel,
            n: r.stats.n,
            mean: r.stats.mean,
            stddev: r.stats.stddev ?? "",
            min: r.stats.min,
            max: r.stats.max,
            median: r.stats.median,
            ci95_low: r.stats.ci95?.low ?? "",
            ci95_high: r.stats.ci95?.high ?? "",
            overhead_status: o.kind,
            ratio_vs_native: c ? c.ratio : "",
            ratio_ci_low: c?.ratioCi?.low ?? "",
            ratio_ci_high: c?.ratioCi?.high ?? "",
            change_pct: c ? c.percent : "",
            change_ci_low_pct: c?.ci?.low ?? "",
            change_ci_high_pct: c?.ci?.high ?? "",
            change: o.kind === "baseline" ? "baseline" : c ? formatPercent(c.percent) : "n/a",
            verdict: c ? c.verdict : "",
            p_value: c?.p ?? "",
            p_holm: c?.pHolm ?? "",
            confidence: c ? c.confidence : "",
            method: c ? c.method : "",
            paired: c ? (c.unpairedReason ? "no" : "yes") : "",
            outliers: r.outliers ? r.outliers.indexes.map((i) => `${r.values[i]}@rep${r.repetitions[i]}`).join(" ") : "",
            tool_versions: r.tool_versions.join(" "),
            note: notes.join("; "),
        };
        return SUMMARY_COLUMNS.map((col) => record[col]);
    });
    return stringify(rows, { header: true, columns: [...SUMMARY_COLUMNS] });
}

/** Reads a results directory into a Summary (no output written); throws UserError when nothing is usable. */
export async function summarizeResultsDir(
    dir: string,
    opts: AnalyzeOptions = {},
): Promise<{ summary: Summary; loadProblems: string[]; facts: FactsAccumulator; rows: number; files: number }> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new UserError(`analyze: results directory ${dir} does not exist (expected results/<stack>/<run id>/ with cells/*.csv)`);
    }
    let lastReport = Date.now();
    const t0 = Date.now();
    const read = await readCells(dir, {
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(opts.plan ? { plan: opts.plan } : {}),
        onProgress: (done, total, rows) => {
            const now = Date.now();
            if (opts.progress && (now - lastReport >= 1000 || done === total)) {
                lastReport = now;
                log(`analyze: read ${done}/${total} entries of ${path.join(dir, "cells")} (${rows} samples, ${((now - t0) / 1000).toFixed(1)} s)`);
            }
        },
    });
    const loadProblems = read.problems.map((p) => `${p.file}: ${p.error}`);
    if (read.rows === 0) {
        if (read.files.length === 0) {
            throw new UserError(
                `analyze: no samples in ${dir}: no cells/*.csv were found in ${read.cellsDir}` +
                    (loadProblems.length ? ` (other entries: ${loadProblems.join("; ")})` : " (has the experiment run any cell?)"),
            );
        }
        throw new UserError(`analyze: no samples in ${dir}: ${read.files.length} cells/*.csv file(s) found but none could be used: ${loadProblems.join("; ")}`);
    }
    if (opts.progress) log(`analyze: ${read.rows} samples in ${read.groups.size} groups; computing statistics and intervals`);
    const summary = summarizeGroups(read.groups.finish(), opts.confidence ?? DEFAULT_CONFIDENCE);
    return { summary, loadProblems, facts: read.facts, rows: read.rows, files: read.files.length };
}

/** Each primary metric's group against the precision goal, when there is one (precision.ts); problems reading the record are returned. */
function precisionOfRun(
    dir: string,
    summary: Summary,
    refs: readonly Reference[],
    claims: readonly ClaimResult[],
    goal?: PrecisionGoal,
): { report?: PrecisionReport; problems: string[] } {
    let record: RepetitionsRecord | undefined;
    const problems: string[] = [];
    try {
        record = readRepetitions(dir);
    } catch (e) {
        problems.push((e as Error).message);
    }
    const g = goal ?? record?.goal;
    if (!g) return { problems };
    const primaries = primaryMetrics(refs);
    return {
        report: {
            goal: g,
            rows: precisionRows(summary.rows, primaries, g, summary.confidence),
            undecided: undecidedClaims(claims),
            added: record?.added ?? [],
            unjudged: precisionUnjudged(summary.rows, primaries),
            confidence: summary.confidence,
        },
        problems,
    };
}

/** The published claims the results folder's summary speaks to, judged with its environment facts: what the report judges, for the precision goal. */
export function claimsOfResultsDir(dir: string, summary: Summary, refs: readonly Reference[]): ClaimResult[] {
    return claimsOfRun(refs, summary, readEnvironmentFacts(dir)).claims;
}

/** The published claims a run's summary speaks to, judged with its environment facts (link ceilings). */
function claimsOfRun(refs: readonly Reference[], summary: Summary, env: ReturnType<typeof readEnvironmentFacts>): { claims: ClaimResult[]; skipped: number } {
    return summary.hasNative ? applicableClaims(refs, summary, { linkGbps: linkCeilings(env.facts) }) : { claims: [], skipped: 0 };
}

/**
 * Analyzes a results directory, writes summary.csv, summary.md, plots/ and report.html into it
 * and returns the Markdown. Throws a UserError when the directory does not exist or holds no
 * usable samples; every smaller problem is listed in the outputs instead.
 */
export async function analyzeResultsDir(dir: string, opts: AnalyzeOptions = {}): Promise<string> {
    return (await analyzeRun(dir, opts)).markdown;
}

/** analyzeResultsDir, and with compareWith also the agreement of the two runs (agreement.ts). */
export async function analyzeRun(dir: string, opts: AnalyzeOptions = {}): Promise<{ markdown: string; agreement?: Agreement }> {
    const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
    const { summary, loadProblems, facts, rows, files } = await summarizeResultsDir(dir, opts);

    const refs: Reference[] = loadReferences(opts.referenceDir);
    const env = readEnvironmentFacts(dir);
    const stability = readHostStability(dir);
    const { claims, skipped } = claimsOfRun(refs, summary, env);
    const published = comparePublished(refs, summary);
    const unmatched = unmatchedPublished(refs, summary, published);
    const extraProblems = [
        ...(env.problem ? [env.problem] : []),
        ...(stability.problem ? [stability.problem] : []),
        ...factMismatches(env.facts).map((f) => `${f.environment}: fact ${f.fact} declared "${f.declared}" but measured "${f.value}"`),
    ];
    if (!summary.hasNative) extraProblems.push("claims of the published studies were not evaluated: they compare environments with native");
    if (opts.progress && skipped > 0) log(`analyze: ${skipped} published claim(s) concern workloads these results do not contain; not listed`);
    const precision = precisionOfRun(dir, summary, refs, claims, opts.precision);
    extraProblems.push(...precision.problems);

    const md = renderMarkdown(summary, {
        source: dir,
        loadProblems: [...loadProblems, ...extraProblems],
        claims,
        published,
        unmatched,
        ...(precision.report && { precision: precision.report }),
        environmentFacts: env.facts,
        hostStability: stability.rows,
    });
    const csvPath = path.join(dir, "summary.csv");
    const mdPath = path.join(dir, "summary.md");
    writeFileAtomic(csvPath, summaryToCsv(summary));
    writeFileAtomic(mdPath, md);
    const written = [csvPath, mdPath];
    if (precision.report) {
        const precisionPath = path.join(dir, "precision.csv");
        writeFileAtomic(
            precisionPath,
            stringify(precisionRecords(precision.report.rows, precision.report.goal), { header: true, columns: [...PRECISION_COLUMNS] }),
        );
        written.push(precisionPath);
    }

    const plotProblems: string[] = [];
    let plots: Awaited<ReturnType<typeof renderPlots>>["plots"] = [];
    if (opts.plots !== false) {
        const specs = plotSpecs(summary, published);
        if (opts.progress) log(`analyze: rendering ${specs.length} plot(s)`);
        const r = await renderPlots(specs, (done, total, name) => {
            if (opts.progress) log(`analyze: plot ${done}/${total} ${name}`);
        });
        plots = r.plots;
        plotProblems.push(...r.problems);
        written.push(...writePlots(path.join(dir, "plots"), plots));
    }
    const htmlPath = path.join(dir, "report.html");
    writeFileAtomic(
        htmlPath,
        renderHtml({
            title: `isobench report — ${path.basename(path.resolve(dir))}`,
            source: dir,
            summary,
            claims,
            published,
            unmatched,
            plots,
            environmentFacts: env.facts,
            hostFacts: facts.finish(),
            problems: [...loadProblems, ...summary.problems, ...extraProblems, ...plotProblems],
            provenance: refs.map((r) => `${r.title}. ${r.provenance}`),
            generatedAt: new Date().toISOString(),
            ...(precision.report && { precision: precision.report }),
            hostStability: stability.rows,
        }),
    );
    written.push(htmlPath);

    let out = md;
    let agreement: Agreement | undefined;
    if (opts.compareWith) {
        if (opts.progress) log(`analyze: reading ${opts.compareWith} to compare`);
        // The plan is this run's; the other run is read whole.
        const { plan: _plan, ...otherOpts } = opts;
        const other = await summarizeResultsDir(opts.compareWith, { ...otherOpts, log });
        const cmp = compareRuns(summary, other.summary);
        agreement = agreementOf(
            { summary, claims },
            { summary: other.summary, claims: claimsOfRun(refs, other.summary, readEnvironmentFacts(opts.compareWith)).claims },
            opts.agreementBar,
        );
        const origin = (d: string) => {
            const probes = readHostStability(d);
            return { ...readRunOrigin(d), stability: stabilityBrief(probes.rows, probes.problem) };
        };
        const cmpMd = `${renderComparisonMarkdown(cmp, dir, opts.compareWith, summary.confidence, { base: origin(dir), other: origin(opts.compareWith) })}\n${renderAgreementMarkdown(agreement)}`;
        const cmpMdPath = path.join(dir, "compare.md");
        const cmpCsvPath = path.join(dir, "compare.csv");
        const agreementCsvPath = path.join(dir, "compare-agreement.csv");
        writeFileAtomic(cmpMdPath, cmpMd);
        writeFileAtomic(cmpCsvPath, comparisonToCsv(cmp));
        writeFileAtomic(agreementCsvPath, agreementToCsv(agreement));
        written.push(cmpMdPath, cmpCsvPath, agreementCsvPath);
        out = `${md}\n${cmpMd}`;
    }

    if (opts.progress) {
        const all = [...loadProblems, ...summary.problems, ...extraProblems, ...plotProblems];
        log(
            `analyze: ${rows} samples from ${files} file(s), ${summary.rows.length} groups, ${claims.length} claims, ${all.length} problem(s); wrote ${written.length} files: ${[csvPath, mdPath, htmlPath].join(", ")}${plots.length ? ` and ${plots.length} plots in ${path.join(dir, "plots")}` : ""}`,
        );
        for (const p of all) log(`analyze: problem: ${p}`);
    }
    return { markdown: out, ...(agreement ? { agreement } : {}) };
}
