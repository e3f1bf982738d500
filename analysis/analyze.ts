/**
 * The analysis step (`isobench analyze <dir>`, also the last resource of `pulumi up`):
 * cells/*.csv → statistics → overhead vs native → `<dir>/summary.csv` and `<dir>/summary.md`.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { loadResultsDir } from "./load";
import { formatPercent, summarize, Summary } from "./overhead";
import { renderMarkdown } from "./report";

export interface AnalyzeOptions {
    /** Print what was read and written to stderr. Default false. */
    readonly progress?: boolean;
}

export const SUMMARY_COLUMNS = [
    "workload", "params", "metric", "environment", "env_kind", "variant", "unit", "better", "accel",
    "n", "mean", "stddev", "min", "max", "median", "ci95_low", "ci95_high",
    "overhead_status", "ratio_vs_native", "overhead_pct", "overhead_ci95_low_pct", "overhead_ci95_high_pct",
    "overhead", "tool_versions", "note",
] as const;

/** summary.csv: one row per group; empty cells where a value does not exist (n < 2, no native). */
export function summaryToCsv(summary: Summary): string {
    const rows = summary.rows.map((r) => {
        const o = r.overhead;
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
            ratio_vs_native: o.kind === "compared" ? o.ratio : "",
            overhead_pct: o.kind === "compared" ? o.percent : "",
            overhead_ci95_low_pct: o.kind === "compared" && o.ci95 ? o.ci95.low : "",
            overhead_ci95_high_pct: o.kind === "compared" && o.ci95 ? o.ci95.high : "",
            overhead: o.kind === "baseline" ? "baseline" : o.kind === "compared" ? formatPercent(o.percent) : "n/a",
            tool_versions: r.tool_versions.join(" "),
            note: o.kind === "no-native" || o.kind === "not-comparable" ? o.reason : r.accel === "tcg" || r.accel === "mixed" ? "measured (partly) under software emulation (tcg), not KVM" : "",
        };
        return SUMMARY_COLUMNS.map((c) => record[c]);
    });
    return stringify(rows, { header: true, columns: [...SUMMARY_COLUMNS] });
}

function writeAtomic(file: string, text: string): void {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
}

/**
 * Analyzes a results directory, writes summary.csv and summary.md into it and returns the
 * Markdown. Throws when the directory does not exist or holds no samples at all.
 */
export function analyzeResultsDir(dir: string, opts: AnalyzeOptions = {}): string {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new Error(`analyze: results directory ${dir} does not exist`);
    }
    const loaded = loadResultsDir(dir);
    const problemLines = loaded.problems.map((p) => `${p.file}: ${p.error}`);
    if (loaded.samples.length === 0) {
        if (loaded.files.length === 0) {
            throw new Error(
                `analyze: no samples in ${dir}: no cells/*.csv were found in ${loaded.cellsDir}` +
                    (problemLines.length ? ` (other entries: ${problemLines.join("; ")})` : " (has the experiment run any cell?)"),
            );
        }
        throw new Error(`analyze: no samples in ${dir}: ${loaded.files.length} cells/*.csv file(s) found but none could be used: ${problemLines.join("; ")}`);
    }
    const summary = summarize(loaded.samples);
    const md = renderMarkdown(summary, { source: dir, loadProblems: problemLines });
    const csvPath = path.join(dir, "summary.csv");
    const mdPath = path.join(dir, "summary.md");
    writeAtomic(csvPath, summaryToCsv(summary));
    writeAtomic(mdPath, md);
    if (opts.progress) {
        process.stderr.write(
            `analyze: ${loaded.samples.length} samples from ${loaded.files.length} file(s), ${summary.rows.length} groups, ` +
                `${problemLines.length + summary.problems.length} problem(s); wrote ${csvPath} and ${mdPath}\n`,
        );
        for (const p of [...problemLines, ...summary.problems]) process.stderr.write(`analyze: problem: ${p}\n`);
    }
    return md;
}
