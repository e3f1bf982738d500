/**
 * Two runs side by side (`isobench analyze <dir> --compare <other>`), e.g. before and after a
 * tuning change: for every (environment, workload, params, metric) in both, the other run's mean
 * relative to this run's, with its ratio interval (analysis/ratio.ts; independent samples: different
 * runs are not paired) and a verdict; plus each run's change vs native. Pure.
 */
import { stringify } from "csv-stringify/sync";
import { directionArrow, formatPercent, OVERHEAD_CONVENTION, restatementKeys, Summary, SummaryRow } from "./overhead";
import { familyVerdicts, ratioOfMeans, RatioEstimate, Verdict } from "./ratio";
import { cell, changeCell, formatNumber } from "./report";
import { environmentLabel } from "./emulated";
import { isEmulated } from "../core/samples";
import type { RunOrigin } from "../core/provenance";

export interface RunComparisonRow {
    readonly environment: string;
    readonly workload: string;
    readonly params: string;
    readonly metric: string;
    readonly unit: string;
    readonly better: SummaryRow["better"];
    readonly base?: SummaryRow;
    readonly other?: SummaryRow;
    /** other mean / base mean; undefined when a side is missing or not comparable. */
    readonly estimate?: RatioEstimate;
    /** How the other run performed against the base run. */
    readonly verdict?: Verdict;
    readonly note?: string;
}

const key = (r: SummaryRow) => JSON.stringify([r.workload, r.params, r.metric, r.environment]);

export function compareRuns(base: Summary, other: Summary): RunComparisonRow[] {
    const otherByKey = new Map(other.rows.map((r) => [key(r), r]));
    const seen = new Set<string>();
    const out: RunComparisonRow[] = [];
    const confidence = base.confidence;
    for (const b of base.rows) {
        const k = key(b);
        seen.add(k);
        const o = otherByKey.get(k);
        const head = { environment: b.environment, workload: b.workload, params: b.params, metric: b.metric, unit: b.unit, better: b.better, base: b };
        if (!o) {
            out.push({ ...head, note: "only in the base run" });
            continue;
        }
        if (o.unit !== b.unit || o.better !== b.better || b.better === "mixed") {
            out.push({ ...head, other: o, note: `not comparable: unit or direction differ (${b.unit}/${b.better} vs ${o.unit}/${o.better})` });
            continue;
        }
        if (!(b.stats.mean > 0) || !(o.stats.mean > 0)) {
            out.push({ ...head, other: o, note: "not comparable: a ratio needs positive means" });
            continue;
        }
        out.push({ ...head, other: o, estimate: ratioOfMeans(o.values, b.values, confidence) });
    }
    for (const o of other.rows) {
        if (seen.has(key(o))) continue;
        out.push({
            environment: o.environment,
            workload: o.workload,
            params: o.params,
            metric: o.metric,
            unit: o.unit,
            better: o.better,
            other: o,
            note: "only in the other run",
        });
    }
    return withVerdicts(out, confidence);
}

/** The rows' verdicts decided together, as the change-vs-native verdicts are (analysis/ratio.ts familyVerdicts). */
function withVerdicts(rows: readonly RunComparisonRow[], confidence: number): RunComparisonRow[] {
    const estimated = rows.filter((r) => r.estimate);
    const { verdicts } = familyVerdicts(
        estimated.map((r) => ({
            ...(r.estimate as RatioEstimate),
            better: r.better as "higher" | "lower",
            ...restatementKeys({ ...r, duplicateOf: r.base?.duplicateOf }),
        })),
        1 - confidence,
    );
    const decided = new Map(estimated.map((r, i) => [r, verdicts[i].verdict]));
    return rows.map((r) => (decided.has(r) ? { ...r, verdict: decided.get(r) } : r));
}

const HEADER = [
    "workload",
    "params",
    "metric",
    "environment",
    "base mean",
    "other mean",
    "other / base",
    "interval",
    "verdict (other vs base)",
    "base vs native",
    "other vs native",
    "note",
];

function rowCells(r: RunComparisonRow): string[] {
    const e = r.estimate;
    return [
        r.workload,
        r.params,
        `${r.metric} ${directionArrow(r.better)}`,
        environmentLabel(
            r.environment,
            [r.base, r.other].some((x) => x !== undefined && isEmulated(x.accel)),
        ),
        r.base ? formatNumber(r.base.stats.mean) : "",
        r.other ? formatNumber(r.other.stats.mean) : "",
        e ? `${formatPercent((e.ratio - 1) * 100)}` : "",
        e?.ci ? `[${formatPercent((e.ci.low - 1) * 100)}, ${formatPercent((e.ci.high - 1) * 100)}]` : e ? "n/a" : "",
        r.verdict ?? "",
        r.base ? changeCell(r.base) : "",
        r.other ? changeCell(r.other) : "",
        r.note ?? "",
    ];
}

/** A run's origin, and how steady its machine's round trip was while it ran (host-stability.ts stabilityBrief). */
export type ComparedOrigin = RunOrigin & { readonly stability?: string };

/** Where each run came from (core/provenance.ts readRunOrigin), so a reader knows what was compared before any number. */
function originTable(origins: { readonly base: ComparedOrigin; readonly other: ComparedOrigin }): string[] {
    const row = (label: string, o: ComparedOrigin) =>
        `| ${[label, `\`${o.dir}\``, o.isobench, o.host, o.date, o.stability ?? "not probed", o.note ?? ""].map(cell).join(" | ")} |`;
    return [
        "| run | folder | isobench commit | host | first measured | host stability | note |",
        "|---|---|---|---|---|---|---|",
        row("base", origins.base),
        row("other", origins.other),
        "",
    ];
}

export function renderComparisonMarkdown(
    rows: readonly RunComparisonRow[],
    baseDir: string,
    otherDir: string,
    confidence: number,
    origins?: { readonly base: ComparedOrigin; readonly other: ComparedOrigin },
): string {
    const out = [
        "# isobench run comparison",
        "",
        ...(origins ? originTable(origins) : []),
        `Base run \`${baseDir}\`, other run \`${otherDir}\`. "other / base" is the other run's mean relative to the base run's ` +
            `(${Math.round(confidence * 100)} % log-scale interval, independent samples); the verdict says whether the other run was faster, slower ` +
            `or not distinguished, decided over all the rows compared together as the verdicts vs native are (Holm's step-down). Changes vs native follow the one convention: ${OVERHEAD_CONVENTION}`,
        "",
        `| ${HEADER.join(" | ")} |`,
        `|${HEADER.map(() => "---").join("|")}|`,
        ...rows.map((r) => `| ${rowCells(r).map(cell).join(" | ")} |`),
        "",
    ];
    return out.join("\n");
}

export function comparisonToCsv(rows: readonly RunComparisonRow[]): string {
    return stringify(
        rows.map((r) => [
            r.workload,
            r.params,
            r.metric,
            r.environment,
            r.unit,
            r.better,
            r.base?.stats.mean ?? "",
            r.other?.stats.mean ?? "",
            r.estimate?.ratio ?? "",
            r.estimate?.ci?.low ?? "",
            r.estimate?.ci?.high ?? "",
            r.verdict ?? "",
            r.note ?? "",
        ]),
        {
            header: true,
            columns: [
                "workload",
                "params",
                "metric",
                "environment",
                "unit",
                "better",
                "base_mean",
                "other_mean",
                "ratio_other_to_base",
                "ratio_ci_low",
                "ratio_ci_high",
                "verdict",
                "note",
            ],
        },
    );
}
