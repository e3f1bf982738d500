/**
 * Markdown rendering of the analysis (summary.md). Pure: returns text, writes nothing.
 * Sections: paper-style overhead table (Table I of Felter et al.: one row per benchmark, one
 * column per environment), claims of the published studies, published values next to ours,
 * detailed statistics per workload and parameter point, notes, problems.
 */
import { directionArrow, formatOverhead, formatPercent, OVERHEAD_CONVENTION, Summary, SummaryRow, verdictMethod } from "./overhead";
import { groupBy } from "./group-by";
import { shortParams, varyingKeys } from "./params";
import {
    CLAIM_STATUS_MEANING,
    claimResultsShown,
    MULTIPLICITY_RULE,
    formatTally,
    tallyClaims,
    type ClaimResult,
    type PublishedComparison,
    type UnmatchedPublished,
} from "./published";
import { emulationHeadline, environmentLabel, markValue, TCG_MARK, TCG_MEANING } from "./emulated";
import { RATIO_INTERVAL_METHOD } from "./ratio";
import { restates } from "./duplicates";
import { UNIT_OF_REPLICATION } from "./pairing";
import { CLAIM_REPETITIONS_CAVEAT, PRECISION_STATUS_MEANING, PrecisionReport, PrecisionStatus } from "./precision";
import { isEmulated } from "../core/samples";
import { repetitionCap } from "../core/precision";
import { cpuCountNote, EnvironmentFact } from "./facts";
import { describeStabilityRows, STABILITY_MEANING, type HostStabilityRow } from "./host-stability";

export interface ReportOptions {
    /** First heading; default "isobench summary". */
    readonly title?: string;
    /** Where the samples came from (shown under the title), e.g. the results directory. */
    readonly source?: string;
    /** Problems found while loading (file: error); listed in the Problems section. */
    readonly loadProblems?: readonly string[];
    readonly claims?: readonly ClaimResult[];
    readonly published?: readonly PublishedComparison[];
    /** Published values of measured workloads without a point of ours ("no matching point"). */
    readonly unmatched?: readonly UnmatchedPublished[];
    /** environments.csv, for the notes on what environments measured of themselves. */
    readonly environmentFacts?: readonly EnvironmentFact[];
    /** The stack's precision goal and each primary metric's group against it (isobench:precision). */
    readonly precision?: PrecisionReport;
    /** host-stability.csv: the probes of the machine's round trip the run took. */
    readonly hostStability?: readonly HostStabilityRow[];
}

/** The Host stability section of summary.md; none when the run took no probe. */
export function hostStabilitySection(rows: readonly HostStabilityRow[]): string[] {
    if (rows.length === 0) return [];
    return ["## Host stability", "", STABILITY_MEANING, "", ...describeStabilityRows(rows).map((l) => `- ${l}`), ""];
}

/** Decimals giving about 4 significant digits for the magnitude of x (0 for |x| >= 1000). */
function decimalsFor(x: number): number {
    if (x === 0 || !Number.isFinite(x)) return 0;
    return Math.min(6, Math.max(0, 3 - Math.floor(Math.log10(Math.abs(x)))));
}

/** x with about 4 significant digits. */
export function formatNumber(x: number): string {
    return x.toFixed(decimalsFor(x));
}

/** "935.4 ± 12.3": stddev shown with the mean's decimals; "± n/a" when n < 2. */
export function formatMeanStddev(mean: number, stddev: number | null): string {
    const d = decimalsFor(mean);
    return `${mean.toFixed(d)} ± ${stddev === null ? "n/a" : stddev.toFixed(d)}`;
}

export function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function rowEmulated(r: Pick<SummaryRow, "accel">): boolean {
    return isEmulated(r.accel);
}

/** "-22% slower", "+80% slower", "0% not distinguished", "baseline", "n/a (no native)"; TCG_MARK when emulated. */
export function changeCell(r: SummaryRow): string {
    const o = r.overhead;
    if (o.kind !== "compared") return formatOverhead(o);
    return markValue(`${formatPercent(o.percent)} ${o.verdict}`, rowEmulated(r));
}

/** The interval of the change, "[-25%, -19%]", or "n/a" with the reason's gist. */
export function changeCiCell(r: SummaryRow): string {
    const o = r.overhead;
    if (o.kind !== "compared") return "";
    return o.ci ? `[${formatPercent(o.ci.low)}, ${formatPercent(o.ci.high)}]` : "n/a";
}

function outlierCell(r: SummaryRow): string {
    if (!r.outliers) return "n<4";
    if (r.outliers.indexes.length === 0) return "none";
    return r.outliers.indexes.map((i) => `${formatNumber(r.values[i])} (rep ${r.repetitions[i]})`).join(", ");
}

function pairedCell(r: SummaryRow): string {
    const o = r.overhead;
    if (o.kind !== "compared") return "";
    return o.unpairedReason ? "no" : "yes";
}

function table(header: readonly string[], rows: readonly (readonly string[])[], numeric: readonly string[] = []): string[] {
    return [
        `| ${header.map(cell).join(" | ")} |`,
        `|${header.map((h) => (numeric.includes(h) ? "---:" : "---")).join("|")}|`,
        ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`),
    ];
}

/**
 * Table I style: rows = workload · metric · parameter point (only the parameters that vary within
 * the workload; the full point is in the details), columns = environments other than native,
 * cell = change vs native and verdict.
 */
export function overheadTable(summary: Summary): { header: string[]; rows: string[][] } {
    const envs = [...new Set(summary.rows.filter((r) => r.overhead.kind !== "baseline").map((r) => r.environment))].sort();
    const emulatedEnvs = new Set(summary.rows.filter(rowEmulated).map((r) => r.environment));
    const keysByWorkload = new Map<string, string[]>();
    for (const [w, rows] of groupBy(summary.rows, (r) => r.workload)) keysByWorkload.set(w, varyingKeys(rows.map((r) => r.params)));
    const byPoint = groupBy(summary.rows, (r) => JSON.stringify([r.workload, r.metric, r.params]));
    const rows: string[][] = [];
    for (const list of byPoint.values()) {
        const first = list[0];
        const cells = envs.map((e) => {
            const r = list.find((x) => x.environment === e);
            return r ? changeCell(r) : "";
        });
        rows.push([
            first.workload,
            `${first.metric} ${directionArrow(first.better)}`,
            shortParams(first.params, keysByWorkload.get(first.workload) ?? []),
            ...cells,
        ]);
    }
    // Without any swept parameter the point column would be empty: leave it out.
    const labels = envs.map((e) => environmentLabel(e, emulatedEnvs.has(e)));
    if (rows.every((r) => r[2] === "")) return { header: ["workload", "metric", ...labels], rows: rows.map((r) => [r[0], r[1], ...r.slice(3)]) };
    return { header: ["workload", "metric", "point", ...labels], rows };
}

/** One row per claim, and one more for the non-emulated part of a claim not judgeable as a whole. */
export function claimRows(claims: readonly ClaimResult[]): string[][] {
    return claimResultsShown(claims).map((c) => [
        c.scope ? `${c.claim.text} — part: ${c.scope}` : c.claim.text,
        c.status,
        c.reason,
        c.claim.range_note ? `${c.claim.source}. Range: ${c.claim.range_note}` : c.claim.source,
    ]);
}

/** What the claim statuses mean and how many of each, for the text above the claims table. */
export function claimLegend(claims: readonly ClaimResult[]): string {
    const meaning = Object.entries(CLAIM_STATUS_MEANING)
        .map(([status, m]) => `${status}: ${m}`)
        .join("; ");
    return `Tally: ${formatTally(tallyClaims(claims))}. Statuses — ${meaning}. ${MULTIPLICITY_RULE}.`;
}

export function publishedRows(published: readonly PublishedComparison[], unmatched: readonly UnmatchedPublished[] = []): string[][] {
    const none = unmatched.map((u) => [
        u.published.label + (u.published.approximate ? " (approx.)" : ""),
        `${u.publishedRatio.toFixed(3)} (${u.published.status})`,
        `no matching point: ${u.why}`,
        "n/a",
        "n/a",
        "n/a",
    ]);
    return [...matchedRows(published), ...none];
}

function matchedRows(published: readonly PublishedComparison[]): string[][] {
    return published.map((p) => [
        p.published.label + (p.published.approximate ? " (approx.)" : ""),
        `${p.publishedRatio.toFixed(3)} (${p.published.status})`,
        `${environmentLabel(p.environment, p.emulated)} ${p.metric}${Object.keys(p.published.params).length ? ` @ ${shortParams(p.params, Object.keys(p.published.params))}` : ""}`,
        markValue(p.ratio.toFixed(3), p.emulated),
        p.ratioCi ? `[${p.ratioCi.low.toFixed(3)}, ${p.ratioCi.high.toFixed(3)}]` : "n/a",
        p.publishedInsideCi === null ? "n/a" : p.publishedInsideCi ? "yes" : "no",
    ]);
}

export const PUBLISHED_HEADER = ["published", "published env/native", "ours", "our env/native", "our interval", "published inside our interval"];
export const CLAIM_HEADER = ["claim", "our data vs the claim", "numbers", "source"];
export const DETAIL_HEADER = [
    "environment",
    "metric",
    "n",
    "mean ± stddev",
    "median",
    "min",
    "max",
    "95% CI of mean",
    "unit",
    "change vs native",
    "CI of change",
    "paired",
    "outliers",
    "accel",
];

export function detailRow(r: SummaryRow): string[] {
    return [
        environmentLabel(r.environment, rowEmulated(r)),
        `${r.metric} ${directionArrow(r.better)}`,
        String(r.stats.n),
        formatMeanStddev(r.stats.mean, r.stats.stddev),
        formatNumber(r.stats.median),
        formatNumber(r.stats.min),
        formatNumber(r.stats.max),
        r.stats.ci95 ? `${formatNumber(r.stats.ci95.low)} … ${formatNumber(r.stats.ci95.high)}` : "n/a",
        r.unit,
        changeCell(r),
        changeCiCell(r),
        pairedCell(r),
        outlierCell(r),
        r.accel,
    ];
}

/**
 * Notes shared by Markdown and HTML: tcg mark, guests with fewer CPUs than native, missing
 * comparisons grouped by reason, pairing.
 * @param facts environments.csv, for what each environment measured of itself
 */
export function notesOf(summary: Summary, facts: readonly EnvironmentFact[] = []): string[] {
    const notes: string[] = [];
    if (summary.rows.some((r) => rowEmulated(r) && r.overhead.kind === "compared")) {
        notes.push(`${TCG_MARK} and (tcg): ${TCG_MEANING}.`);
    }
    const cpus = cpuCountNote(facts, summary.rows);
    if (cpus) notes.push(`${cpus}.`);
    const byReason = new Map<string, string[]>();
    const add = (label: string, row: string) => {
        const list = byReason.get(label);
        if (list) list.push(row);
        else byReason.set(label, [row]);
    };
    for (const r of summary.rows) {
        const o = r.overhead;
        const id = `${r.environment}/${r.workload}/${r.metric}`;
        if (o.kind === "no-native" || o.kind === "not-comparable") add(`${formatOverhead(o)}: ${o.reason}`, id);
        if (o.kind === "compared" && o.unpairedReason) add(`compared as independent samples, not paired by repetition: ${o.unpairedReason}`, id);
        if (o.kind === "compared" && o.ciMissing) add(`no interval, verdict undetermined: ${o.ciMissing}`, id);
        if (r.instances > 1) add(UNIT_OF_REPLICATION, `${id} (${r.instances} instances)`);
        const dup = restates(r.workload, r.params, r.metric);
        if (dup && r.duplicateOf) add(`restates ${r.duplicateOf} (${dup.why}): shown, counted once in claims`, id);
    }
    for (const [label, rows] of byReason) {
        const shown = rows.slice(0, 8).join(", ") + (rows.length > 8 ? ` and ${rows.length - 8} more` : "");
        notes.push(`${label} — ${shown}`);
    }
    const outliers = summary.rows.filter((r) => r.outliers && r.outliers.indexes.length > 0);
    if (outliers.length > 0) {
        notes.push(
            `${outliers.length} group(s) have values outside Tukey's fences (1.5 × IQR); they are reported in the outliers column and included in every statistic.`,
        );
    }
    return notes;
}

export const PRECISION_HEADER = ["workload", "point", "metric", "environment", "n", "± of mean", "status"];

const percentOf = (x: number) => `${+(x * 100).toFixed(2)} %`;

/** The Precision section's text above its table: the goal and what it came to, the repetitions added, what was not judged. */
export function precisionIntro(p: PrecisionReport): { readonly goal: string; readonly items: string[] } {
    const counts = (Object.keys(PRECISION_STATUS_MEANING) as PrecisionStatus[])
        .map((status) => [status, p.rows.filter((r) => r.status === status).length] as const)
        .filter(([, n]) => n > 0)
        .map(([status, n]) => `${n} ${status}`)
        .join(", ");
    const goal =
        `Goal (isobench:precision): each primary metric's mean known to ±${percentOf(p.goal.relativeHalfWidth)} (half-width of its ${Math.round(p.confidence * 100)} % interval over the mean), ` +
        `with at most ${p.goal.maxRepetitions} repetitions per cell. Groups: ${counts || "none"}.` +
        (p.goal.maxClaimRepetitions === undefined
            ? ""
            : ` While a judged claim is undecided by its intervals, its workload gets repetitions up to ${repetitionCap(p.goal)} per cell (maxClaimRepetitions). ` +
              `${CLAIM_REPETITIONS_CAVEAT} (benchmarks/claim-decision.ts measures both).`);
    const items = p.added.map((a) => `Repetition ${a.repetition} added to ${a.workload} in ${a.environments.join(", ")} (${a.at}): ${a.reason}`);
    const claims = [...groupBy(p.undecided, (u) => u.key).values()];
    if (claims.length > 0)
        items.push(
            `Claims undecided by their intervals at these repetitions: ${claims.map((us) => `"${us[0].claim}" (${us.flatMap((u) => u.points).join("; ")})`).join("; ")}`,
        );
    if (p.unjudged.length > 0) items.push(`Not judged (no published claim names a primary metric for them): ${p.unjudged.join(", ")}`);
    return { goal, items };
}

/** One table row per group of a primary metric. */
export function precisionTableRows(p: PrecisionReport): string[][] {
    const keysByWorkload = new Map<string, string[]>();
    for (const [w, rows] of groupBy(p.rows, (r) => r.workload)) keysByWorkload.set(w, varyingKeys(rows.map((r) => r.params)));
    return p.rows.map((r) => [
        r.workload,
        shortParams(r.params, keysByWorkload.get(r.workload) ?? []),
        r.metric,
        environmentLabel(r.environment, isEmulated(r.accel)),
        String(r.n),
        r.relativeHalfWidth === null ? "n/a" : `±${percentOf(r.relativeHalfWidth)}`,
        r.status,
    ]);
}

/** What each precision status means, one sentence. */
export function precisionLegend(): string {
    return `Statuses — ${Object.entries(PRECISION_STATUS_MEANING)
        .map(([status, m]) => `${status}: ${m}`)
        .join("; ")}.`;
}

/** The Precision section of summary.md. */
export function precisionSection(p: PrecisionReport): string[] {
    const { goal, items } = precisionIntro(p);
    return [
        "## Precision",
        "",
        goal,
        "",
        ...(items.length ? [...items.map((i) => `- ${i}`), ""] : []),
        ...table(PRECISION_HEADER, precisionTableRows(p), ["n"]),
        "",
        precisionLegend(),
        "",
    ];
}

/** The report: overhead table, claims, published comparison, details, notes, problems. */
export function renderMarkdown(summary: Summary, opts: ReportOptions = {}): string {
    const out: string[] = [];
    const pct = Math.round(summary.confidence * 100);
    out.push(`# ${opts.title ?? "isobench summary"}`, "");
    const emulation = emulationHeadline(summary.rows);
    if (emulation) out.push(`**${emulation}**`, "");
    if (opts.source) out.push(`Samples from \`${opts.source}\`.`, "");
    out.push(
        `Each group is all repetitions of one environment × workload × parameters × metric. **Sign convention** — ${OVERHEAD_CONVENTION} ` +
            `Intervals of the change: ${pct} % ${RATIO_INTERVAL_METHOD}.${summary.hasNative ? ` ${verdictMethod(summary)}.` : ""}`,
        "",
    );

    if (summary.hasNative) {
        const t = overheadTable(summary);
        out.push("## Change vs native (paper style)", "", ...table(t.header, t.rows), "");
    }
    if (opts.claims && opts.claims.length > 0) {
        out.push("## Claims of the published studies", "", claimLegend(opts.claims), "", ...table(CLAIM_HEADER, claimRows(opts.claims)), "");
    }
    if ((opts.published && opts.published.length > 0) || (opts.unmatched && opts.unmatched.length > 0)) {
        out.push(
            "## Published values next to ours (environment / native)",
            "",
            ...table(PUBLISHED_HEADER, publishedRows(opts.published ?? [], opts.unmatched)),
            "",
        );
    }

    if (opts.precision) out.push(...precisionSection(opts.precision));
    out.push(...hostStabilitySection(opts.hostStability ?? []));

    out.push("## Details", "");
    for (const rows of groupBy(summary.rows, (r) => JSON.stringify([r.workload, r.params])).values()) {
        const { workload, params } = rows[0];
        out.push(`### ${workload}${params ? ` — \`${params}\`` : ""}`, "");
        out.push(...table(DETAIL_HEADER, rows.map(detailRow), ["n"]), "");
    }

    const notes = notesOf(summary, opts.environmentFacts);
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
