/**
 * report.html: one self-contained page (inline CSS, plots as inline SVG, no script, no external
 * request) with the tables, plots, environment facts (declared vs measured), host facts, tool
 * versions and verdicts. Pure: returns the page.
 */
import type { EnvironmentFact, ReportFacts } from "./facts";
import { OVERHEAD_CONVENTION, Summary, verdictMethod } from "./overhead";
import type { RenderedPlot } from "./plots";
import { RATIO_INTERVAL_METHOD } from "./ratio";
import { emulationHeadline, TCG_MARK, TCG_MEANING } from "./emulated";
import { isUnjudgedStatus, type ClaimResult, type PublishedComparison, type UnmatchedPublished } from "./published";
import {
    CLAIM_HEADER,
    claimLegend,
    claimRows,
    DETAIL_HEADER,
    detailRow,
    notesOf,
    overheadTable,
    PRECISION_HEADER,
    precisionIntro,
    precisionLegend,
    precisionTableRows,
    PUBLISHED_HEADER,
    publishedRows,
} from "./report";
import type { PrecisionReport } from "./precision";
import { groupBy } from "./group-by";
import { escapeXmlText } from "../core/xml";
import { describeStabilityRows, STABILITY_MEANING, type HostStabilityRow } from "./host-stability";

export interface HtmlReportInput {
    readonly title: string;
    readonly source: string;
    readonly summary: Summary;
    readonly claims: readonly ClaimResult[];
    readonly published: readonly PublishedComparison[];
    /** Published values of measured workloads without a point of ours. */
    readonly unmatched?: readonly UnmatchedPublished[];
    readonly plots: readonly RenderedPlot[];
    readonly environmentFacts: readonly EnvironmentFact[];
    readonly hostFacts: ReportFacts;
    readonly problems: readonly string[];
    /** Reference data provenance, one line per study. */
    readonly provenance: readonly string[];
    readonly generatedAt: string;
    /** The precision goal and each primary metric's group against it, when the run has a goal. */
    readonly precision?: PrecisionReport;
    /** host-stability.csv: the probes of the machine's round trip the run took. */
    readonly hostStability?: readonly HostStabilityRow[];
}

/** Text, and values of the page's double-quoted attributes (`id="plot-…"`), which is why `"` is escaped too. */
function escapeHtml(s: string): string {
    return escapeXmlText(s).replace(/"/g, "&quot;");
}

function htmlTable(header: readonly string[], rows: readonly (readonly string[])[], cls = ""): string {
    const head = `<tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
    const body = rows.map((r) => `<tr>${r.map((c) => `<td${statusClass(c)}>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
    return `<table${cls ? ` class="${cls}"` : ""}><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/** Colour cells that carry a verdict or a claim status, so the page reads at a glance; emulated numbers stay grey. */
function statusClass(c: string): string {
    if (c.endsWith(` ${TCG_MARK}`) || isUnjudgedStatus(c)) return ' class="emulated"';
    if (c === "consistent" || / faster$/.test(c)) return ' class="good"';
    if (c === "inconsistent" || / slower$/.test(c)) return ' class="bad"';
    if (c === "inconclusive" || / (not distinguished|undetermined)$/.test(c)) return ' class="neutral"';
    return "";
}

/** Strip what an inline SVG must not carry into a page (XML prolog). */
function inlineSvg(svg: string): string {
    return svg.replace(/^<\?xml[^>]*>\s*/, "");
}

const CSS = `
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.good{background:#dff3df}td.bad{background:#f8dcdc}td.neutral{background:#f3f0dc}td.emulated{background:#e4e4e4;color:#555}
.note{color:#555;font-size:13px}figure{margin:16px 0}figcaption{font-size:13px;color:#444;margin-top:4px}
.problems li{color:#8a1f11}.emulated-run{color:#8a1f11;border:2px solid #8a1f11;padding:6px}code{background:#f4f4f4;padding:1px 3px}
`;

/** What the run's environments were, declared and measured, and the machines and tool versions behind the samples. */
function factSections(input: HtmlReportInput): string[] {
    const parts: string[] = [];
    parts.push(`<h2 id="environments">Environment facts: declared vs measured</h2>`);
    if (input.environmentFacts.length === 0) {
        parts.push("<p>No environment facts (environments.csv missing; see problems).</p>");
    } else {
        const rows = input.environmentFacts.map((f) => [
            f.environment,
            f.env_kind,
            f.variant,
            f.accel,
            f.fact,
            f.declared,
            f.value,
            f.declared === "" ? "" : f.declared === f.value ? "matches" : "DIFFERS",
        ]);
        parts.push(htmlTable(["environment", "kind", "variant", "accel", "fact", "declared", "measured", "declared vs measured"], rows, "facts"));
    }

    parts.push(`<h2 id="host">Host facts</h2>`);
    parts.push(
        htmlTable(
            ["environment", "host, kernel, CPU, accel (from the samples)"],
            [...input.hostFacts.byEnvironment].map(([env, lines]) => [env, lines.join("; ")]),
            "host",
        ),
    );
    const probes = input.hostStability ?? [];
    if (probes.length > 0) {
        parts.push(`<h2 id="host-stability">Host stability</h2>`);
        parts.push(`<p class="note">${escapeHtml(STABILITY_MEANING.replace(/`/g, ""))}</p>`);
        parts.push(
            `<ul>${describeStabilityRows(probes)
                .map((l) => `<li>${escapeHtml(l)}</li>`)
                .join("")}</ul>`,
        );
    }
    parts.push(`<h2 id="tools">Tool versions</h2>`);
    parts.push(`<ul>${input.hostFacts.toolVersions.map((t) => `<li>${escapeHtml(t)}</li>`).join("")}</ul>`);
    return parts;
}

export function renderHtml(input: HtmlReportInput): string {
    const { summary } = input;
    const parts: string[] = [];
    const pct = Math.round(summary.confidence * 100);
    parts.push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title><style>${CSS}</style></head><body>`);
    parts.push(`<h1>${escapeHtml(input.title)}</h1>`);
    const emulation = emulationHeadline(summary.rows);
    if (emulation) parts.push(`<p class="emulated-run"><b>${escapeHtml(emulation)}</b></p>`);
    parts.push(
        `<p class="note">Samples from <code>${escapeHtml(input.source)}</code>; runs ${escapeHtml(input.hostFacts.runs.join(", "))}; ` +
            `measured ${escapeHtml(input.hostFacts.firstStart ?? "?")} – ${escapeHtml(input.hostFacts.lastStart ?? "?")}; generated ${escapeHtml(input.generatedAt)}.</p>`,
    );
    parts.push(
        `<p class="note"><b>Sign convention</b> — ${escapeHtml(OVERHEAD_CONVENTION)} Intervals: ${pct} % ${escapeHtml(RATIO_INTERVAL_METHOD)}.${summary.hasNative ? ` ${escapeHtml(verdictMethod(summary))}.` : ""} ${TCG_MARK} and (tcg): ${escapeHtml(TCG_MEANING)}.</p>`,
    );

    parts.push(`<h2 id="overhead">Change vs native</h2>`);
    if (summary.hasNative) {
        const t = overheadTable(summary);
        parts.push(htmlTable(t.header, t.rows, "overhead"));
    } else {
        parts.push(`<p class="problems">No native baseline in these results: overheads, verdicts and claims cannot be computed; statistics are below.</p>`);
    }

    parts.push(`<h2 id="claims">Claims of the published studies</h2>`);
    parts.push(
        input.claims.length
            ? `<p class="note">${escapeHtml(claimLegend(input.claims))}</p>${htmlTable(CLAIM_HEADER, claimRows(input.claims), "claims")}`
            : "<p>No reference data.</p>",
    );
    parts.push(`<h2 id="published">Published values next to ours</h2>`);
    parts.push(
        input.published.length || input.unmatched?.length
            ? htmlTable(PUBLISHED_HEADER, publishedRows(input.published, input.unmatched), "published")
            : "<p>None of the published values matches a workload, metric and environment of this run.</p>",
    );
    parts.push(`<p class="note">${input.provenance.map(escapeHtml).join("<br>")}</p>`);

    if (input.precision) {
        const { goal, items } = precisionIntro(input.precision);
        parts.push(`<h2 id="precision">Precision</h2>`, `<p>${escapeHtml(goal)}</p>`);
        if (items.length) parts.push(`<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`);
        parts.push(htmlTable(PRECISION_HEADER, precisionTableRows(input.precision), "precision"), `<p class="note">${escapeHtml(precisionLegend())}</p>`);
    }

    parts.push(`<h2 id="plots">Plots</h2>`);
    if (input.plots.length === 0) parts.push("<p>No plots.</p>");
    for (const p of input.plots) {
        parts.push(
            `<figure id="plot-${escapeHtml(p.name)}">${inlineSvg(p.svg)}<figcaption>${escapeHtml(p.title)} (plots/${escapeHtml(p.name)}.svg, .png)</figcaption></figure>`,
        );
    }

    parts.push(...factSections(input));

    parts.push(`<h2 id="details">Statistics per group</h2>`);
    for (const rows of groupBy(summary.rows, (r) => JSON.stringify([r.workload, r.params])).values()) {
        parts.push(`<h3>${escapeHtml(rows[0].workload)}${rows[0].params ? ` — <code>${escapeHtml(rows[0].params)}</code>` : ""}</h3>`);
        parts.push(htmlTable(DETAIL_HEADER, rows.map(detailRow), "details"));
    }

    const notes = notesOf(summary, input.environmentFacts);
    if (notes.length) parts.push(`<h2 id="notes">Notes</h2><ul>${notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`);
    if (input.problems.length)
        parts.push(`<h2 id="problems">Problems</h2><ul class="problems">${input.problems.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`);
    parts.push("</body></html>\n");
    return parts.join("\n");
}
