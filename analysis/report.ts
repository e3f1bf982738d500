/**
 * Markdown rendering of a Summary (analysis/overhead.ts). Pure: returns text, writes nothing.
 */
import { formatOverhead, formatPercent, Summary, SummaryRow } from "./overhead";

export interface ReportOptions {
    /** First heading; default "isobench summary". */
    readonly title?: string;
    /** Where the samples came from (shown under the title), e.g. the results directory. */
    readonly source?: string;
    /** Problems found while loading (file: error); listed in the Problems section. */
    readonly loadProblems?: readonly string[];
}

/** Decimals giving about 4 significant digits for the magnitude of x (0 for |x| >= 1000). */
function decimalsFor(x: number): number {
    if (x === 0 || !Number.isFinite(x)) return 0;
    return Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(Math.abs(x)))));
}

/** "935.4 ± 12.3": stddev shown with the mean's decimals; "± n/a" when n < 2. */
export function formatMeanStddev(mean: number, stddev: number | null): string {
    const d = decimalsFor(mean);
    return `${mean.toFixed(d)} ± ${stddev === null ? "n/a" : stddev.toFixed(d)}`;
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function isEmulated(r: SummaryRow): boolean {
    return r.accel === "tcg" || r.accel === "mixed";
}

function overheadCell(r: SummaryRow): string {
    let text = formatOverhead(r.overhead);
    if (r.overhead.kind === "compared" && r.overhead.ci95) {
        text += ` (CI ${formatPercent(r.overhead.ci95.low)}…${formatPercent(r.overhead.ci95.high)})`;
    }
    if (isEmulated(r) && r.overhead.kind === "compared") text += " †";
    return text;
}

const HEADER = ["environment", "workload", "metric", "n", "mean ± stddev", "unit", "overhead vs native", "accel"];

/** The report: one table per (workload, params), then notes and problems. */
export function renderMarkdown(summary: Summary, opts: ReportOptions = {}): string {
    const out: string[] = [];
    out.push(`# ${opts.title ?? "isobench summary"}`, "");
    if (opts.source) out.push(`Samples from \`${opts.source}\`.`, "");
    out.push(
        `Each row: all repetitions of one environment × workload × parameters × metric; mean ± sample ` +
            `standard deviation over n. **Overhead vs native is a signed percentage, negative = worse than ` +
            `native**: (env / native − 1) · 100 when higher is better, (native / env − 1) · 100 when lower is ` +
            `better (so a latency twice native's is −50%, like half the throughput). CI = approximate 95 % ` +
            `interval of the overhead (needs n ≥ 2 on both sides).`,
        "",
    );

    const sections = new Map<string, SummaryRow[]>();
    for (const r of summary.rows) {
        const k = JSON.stringify([r.workload, r.params]);
        const list = sections.get(k);
        if (list) list.push(r);
        else sections.set(k, [r]);
    }
    for (const rows of sections.values()) {
        const { workload, params } = rows[0];
        out.push(`## ${workload}${params ? ` — \`${params}\`` : ""}`, "");
        out.push(`| ${HEADER.join(" | ")} |`, `|${HEADER.map((h) => (h === "n" ? "---:" : "---")).join("|")}|`);
        for (const r of rows) {
            out.push(`| ${[
                r.environment,
                r.workload,
                r.metric,
                String(r.stats.n),
                formatMeanStddev(r.stats.mean, r.stats.stddev),
                r.unit,
                overheadCell(r),
                r.accel,
            ].map(cell).join(" | ")} |`);
        }
        out.push("");
    }

    const notes: string[] = [];
    const emulated = summary.rows.filter((r) => isEmulated(r) && r.overhead.kind === "compared");
    if (emulated.length > 0) {
        notes.push(
            "† measured (partly) under software emulation (accel tcg or mixed): these numbers are QEMU TCG, " +
                "not KVM performance, and their overhead says nothing about hardware virtualization.",
        );
    }
    // Rows without an overhead, grouped by their (identical) reason so the list stays readable.
    const byReason = new Map<string, string[]>();
    for (const r of summary.rows) {
        if (r.overhead.kind === "no-native" || r.overhead.kind === "not-comparable") {
            const label = `${r.overhead.kind === "no-native" ? "n/a (no native)" : "n/a (not comparable)"}: ${r.overhead.reason}`;
            const list = byReason.get(label);
            const row = `${r.environment}/${r.workload}/${r.metric}`;
            if (list) list.push(row);
            else byReason.set(label, [row]);
        }
    }
    for (const [label, rows] of byReason) {
        const shown = rows.slice(0, 8).join(", ") + (rows.length > 8 ? ` and ${rows.length - 8} more` : "");
        notes.push(`${label} — ${shown}`);
    }
    if (notes.length > 0) {
        out.push("## Notes", "");
        for (const n of notes) out.push(`- ${n}`);
        out.push("");
    }

    const problems = [...(opts.loadProblems ?? []), ...summary.problems];
    if (problems.length > 0) {
        out.push("## Problems", "");
        for (const p of problems) out.push(`- ${p}`);
        out.push("");
    }
    return out.join("\n");
}
