/**
 * Whether two runs' verdicts repeat (`isobench analyze <dir> --compare <other>`, issue 18 part 10):
 * the claim statuses of both runs side by side, and every change-vs-native verdict of the one
 * run next to the other's, with the count of those that agree and a pass/fail against a bar
 * (AGREEMENT_BAR: every claim status and ≥ 95 % of the verdicts). Pure: summaries and claim
 * results in, a report out.
 *
 * The units are the ones the analysis counts: a summary row is one comparison after simultaneous
 * instances are averaged per repetition, a metric restating another of the same cell is counted
 * once (duplicates.ts), emulated numbers are never judged (emulated.ts), and a claim or its judged
 * part counts as the tallies count it (published.ts). Runs whose stacks differ are compared on
 * what both measured; everything else is listed with why it was left out (AGREEMENT_RULE).
 */
import { stringify } from "csv-stringify/sync";
import { isEmulated } from "../core/samples";
import { countedOnce } from "./duplicates";
import { environmentLabel } from "./emulated";
import { groupBy } from "./group-by";
import { BASELINE_ENVIRONMENT, comparisonKey, formatPercent, Summary, SummaryRow } from "./overhead";
import { shortParams, varyingKeys } from "./params";
import { claimLabel, claimResultsShown, ClaimResult, ClaimStatus, isUnjudgedStatus } from "./published";
import type { Verdict } from "./ratio";
import { cell } from "./report";
import type { Interval } from "./statistics";

/** The issue's bar: two runs agree when every claim status does and at least this share of the verdicts. */
export const AGREEMENT_BAR = 0.95;

/** Why two verdicts of one comparison differ, from the strongest contradiction to the weakest. */
export type VerdictDifference = "opposite" | "difference shown in one run only" | "undetermined in one run";

/** Why two judged statuses of one claim differ: contradicting each other, or one run deciding what the other could not. */
export type ClaimDifference = "opposite" | "decided in one run only";

/** What "agree" means, stated once for the report and the docs. */
export const AGREEMENT_RULE =
    "A claim agrees when its status is the same word in both runs; only claims (and judged parts of claims) judged in both runs are counted, " +
    "those not judged in one or both (not judgeable: emulated, not applicable here, not measured here) are listed, not counted. " +
    "Consistent vs inconsistent is opposite, either vs inconclusive is decided in one run only, and each is a disagreement. " +
    "A change-vs-native verdict agrees when it is the same word in both runs: faster vs slower is opposite, faster or slower vs " +
    "not distinguished is a difference shown in one run only, undetermined vs a verdict is undetermined in one run, and each of these is a disagreement. " +
    "Counted are the comparisons with native that both runs made, measured without emulation in both, that restate no other metric " +
    "of their cell and that have an interval in at least one run; whether the two intervals of the change overlap is reported beside " +
    "each comparison and never changes whether it agrees";

export interface ClaimSide {
    readonly status: ClaimStatus;
    /** For a judged part of a claim: the environments it was judged on. */
    readonly scope?: string;
    readonly reason: string;
}

export interface ClaimAgreement {
    readonly study: string;
    readonly id: string;
    /** The claim's text, with the part's scope where the entry is a part. */
    readonly text: string;
    /** True for the judged part of a claim not judgeable as a whole. */
    readonly part: boolean;
    readonly base?: ClaimSide;
    readonly other?: ClaimSide;
    /** Counted: judged in both runs. */
    readonly counted: boolean;
    readonly agree: boolean;
    /** Set for a counted claim whose statuses differ. */
    readonly difference?: ClaimDifference;
    /** Why it is not counted; undefined when counted. */
    readonly leftOut?: string;
}

export interface VerdictSide {
    readonly ratio: number;
    readonly ratioCi: Interval | null;
    readonly verdict: Verdict;
}

export interface ComparisonAgreement {
    readonly workload: string;
    readonly params: string;
    readonly metric: string;
    readonly environment: string;
    /** Set when the comparison was made in that run. */
    readonly base?: VerdictSide;
    readonly other?: VerdictSide;
    /** Shown with (tcg) when emulated in either run. */
    readonly emulated: boolean;
    readonly counted: boolean;
    readonly agree: boolean;
    /** Set for a counted comparison whose verdicts differ. */
    readonly difference?: VerdictDifference;
    /** Whether the two intervals of the ratio share a point; null when either has none. */
    readonly intervalsOverlap: boolean | null;
    /** Why it is not counted (one reason, the first that applies); undefined when counted. */
    readonly leftOut?: string;
    /** The particulars of leftOut: the run's reason it was not compared, the metric it restates. */
    readonly leftOutDetail?: string;
}

export interface Agreement {
    readonly claims: readonly ClaimAgreement[];
    readonly comparisons: readonly ComparisonAgreement[];
    readonly bar: number;
    readonly claimsCounted: number;
    readonly claimsAgreeing: number;
    readonly comparisonsCounted: number;
    readonly comparisonsAgreeing: number;
    readonly pass: boolean;
}

type Run = "base" | "other";
const ONLY_IN: Readonly<Record<Run, string>> = { base: "only in the base run", other: "only in the other run" };

/** What one run knows about a comparison. */
export interface RunComparison {
    readonly row: SummaryRow;
    readonly emulated: boolean;
    /** The metric this row restates (present in the same run), when it does. */
    readonly restates?: string;
}

const comparisonId = (r: Pick<SummaryRow, "workload" | "params" | "metric" | "environment">) => JSON.stringify([r.workload, r.params, r.metric, r.environment]);

/** A run's comparisons with native by (workload, params, metric, environment), each marked emulated and restating as the bar counts them. */
export function comparisonsOf(summary: Summary): Map<string, RunComparison> {
    const natives = new Map<string, SummaryRow>();
    for (const r of summary.rows) if (r.environment === BASELINE_ENVIRONMENT) natives.set(comparisonKey(r), r);
    const rows = summary.rows.filter((r) => r.environment !== BASELINE_ENVIRONMENT);
    const own = new Set(countedOnce(rows));
    const out = new Map<string, RunComparison>();
    for (const row of rows) {
        const native = natives.get(comparisonKey(row));
        out.set(comparisonId(row), {
            row,
            emulated: isEmulated(row.accel) || (native !== undefined && isEmulated(native.accel)),
            ...(own.has(row) ? {} : { restates: row.duplicateOf }),
        });
    }
    return out;
}

function verdictSide(r: SummaryRow | undefined): VerdictSide | undefined {
    const o = r?.overhead;
    return o?.kind === "compared" ? { ratio: o.ratio, ratioCi: o.ratioCi, verdict: o.verdict } : undefined;
}

function overlap(a: Interval | null | undefined, b: Interval | null | undefined): boolean | null {
    if (!a || !b) return null;
    return Math.max(a.low, b.low) <= Math.min(a.high, b.high);
}

export function verdictDifference(a: Verdict, b: Verdict): VerdictDifference | undefined {
    if (a === b) return undefined;
    if (a === "undetermined" || b === "undetermined") return "undetermined in one run";
    if (a === "not distinguished" || b === "not distinguished") return "difference shown in one run only";
    return "opposite";
}

/** How two judged statuses of one claim differ; undefined when they are the same. */
export function claimDifference(a: ClaimStatus, b: ClaimStatus): ClaimDifference | undefined {
    if (a === b) return undefined;
    return a === "inconclusive" || b === "inconclusive" ? "decided in one run only" : "opposite";
}

/** The first reason a comparison is not counted, with its particulars; undefined when it is counted. */
function leftOutReason(b: RunComparison | undefined, o: RunComparison | undefined): { leftOut: string; leftOutDetail?: string } | undefined {
    if (!b) return { leftOut: ONLY_IN.other };
    if (!o) return { leftOut: ONLY_IN.base };
    for (const [r, run] of [
        [b, "base"],
        [o, "other"],
    ] as const) {
        const ov = r.row.overhead;
        if (ov.kind === "no-native" || ov.kind === "not-comparable") return { leftOut: `not compared with native in the ${run} run`, leftOutDetail: ov.reason };
    }
    if (b.emulated || o.emulated) return { leftOut: `emulated in the ${b.emulated && o.emulated ? "two runs" : b.emulated ? "base run" : "other run"}` };
    const restates = b.restates ?? o.restates;
    if (restates) return { leftOut: "restates another metric of its cell (counted once)", leftOutDetail: `restates ${restates}` };
    if (verdictSide(b.row)?.verdict === "undetermined" && verdictSide(o.row)?.verdict === "undetermined")
        return { leftOut: "no interval in either run (n < 2)" };
    return undefined;
}

function compareVerdicts(base: Summary, other: Summary): ComparisonAgreement[] {
    const a = comparisonsOf(base);
    const b = comparisonsOf(other);
    const ids = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
    return ids.map((id): ComparisonAgreement => {
        const x = a.get(id);
        const y = b.get(id);
        const row = (x ?? y)!.row;
        const bs = verdictSide(x?.row);
        const os = verdictSide(y?.row);
        const leftOut = leftOutReason(x, y);
        const difference = !leftOut && bs && os ? verdictDifference(bs.verdict, os.verdict) : undefined;
        return {
            workload: row.workload,
            params: row.params,
            metric: row.metric,
            environment: row.environment,
            ...(bs ? { base: bs } : {}),
            ...(os ? { other: os } : {}),
            emulated: Boolean(x?.emulated || y?.emulated),
            counted: !leftOut,
            agree: !leftOut && !difference,
            ...(difference ? { difference } : {}),
            intervalsOverlap: overlap(bs?.ratioCi, os?.ratioCi),
            ...leftOut,
        };
    });
}

function claimSides(claims: readonly ClaimResult[]): Map<string, { c: ClaimResult; side: ClaimSide }> {
    return new Map(
        claimResultsShown(claims).map((c) => [
            JSON.stringify([c.study, c.claim.id, c.scope !== undefined]),
            { c, side: { status: c.status, reason: c.reason, ...(c.scope !== undefined ? { scope: c.scope } : {}) } },
        ]),
    );
}

function compareClaims(base: readonly ClaimResult[], other: readonly ClaimResult[]): ClaimAgreement[] {
    const a = claimSides(base);
    const b = claimSides(other);
    const ids = [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
    const judged = (s: ClaimSide | undefined) => s !== undefined && !isUnjudgedStatus(s.status);
    /** Why an entry of one run is missing from the other: a part may be missing because the other run judged the whole claim. */
    const missing = (c: ClaimResult, run: Run, there: typeof a) => {
        const whole = there.get(JSON.stringify([c.study, c.claim.id, false]));
        const otherRun = run === "base" ? "other" : "base";
        return c.scope !== undefined && judged(whole?.side) ? `a part in the ${run} run, judged whole in the ${otherRun} run` : ONLY_IN[run];
    };
    return ids.map((id): ClaimAgreement => {
        const x = a.get(id);
        const y = b.get(id);
        const c = (x ?? y)!.c;
        const leftOut = !x
            ? missing(c, "other", a)
            : !y
              ? missing(c, "base", b)
              : !judged(x.side) && !judged(y.side)
                ? "judged in neither run"
                : !judged(x.side) || !judged(y.side)
                  ? `judged in the ${judged(x.side) ? "base" : "other"} run only`
                  : undefined;
        const scope = x?.side.scope ?? y?.side.scope;
        const agree = x !== undefined && y !== undefined && x.side.status === y.side.status;
        const difference = leftOut ? undefined : claimDifference(x!.side.status, y!.side.status);
        return {
            study: c.study,
            id: c.claim.id,
            text: claimLabel({ claim: c.claim, ...(scope !== undefined ? { scope } : {}) }),
            part: scope !== undefined,
            ...(x ? { base: x.side } : {}),
            ...(y ? { other: y.side } : {}),
            counted: !leftOut,
            agree,
            ...(difference ? { difference } : {}),
            ...(leftOut ? { leftOut } : {}),
        };
    });
}

/**
 * The agreement of two analysed runs: `base` and `other` are each run's summary and claims (as
 * analyze computes them, at the same confidence). Passes when every counted claim agrees, at least
 * one comparison is counted and at least `bar` of the counted comparisons agree.
 */
export function agreementOf(
    base: { readonly summary: Summary; readonly claims: readonly ClaimResult[] },
    other: { readonly summary: Summary; readonly claims: readonly ClaimResult[] },
    bar = AGREEMENT_BAR,
): Agreement {
    if (!(bar > 0 && bar <= 1)) throw new Error(`agreement bar must be in (0, 1], got ${bar}`);
    const claims = compareClaims(base.claims, other.claims);
    const comparisons = compareVerdicts(base.summary, other.summary);
    const claimsCounted = claims.filter((c) => c.counted).length;
    const claimsAgreeing = claims.filter((c) => c.counted && c.agree).length;
    const comparisonsCounted = comparisons.filter((c) => c.counted).length;
    const comparisonsAgreeing = comparisons.filter((c) => c.agree).length;
    const pass = claimsAgreeing === claimsCounted && comparisonsCounted > 0 && comparisonsAgreeing >= bar * comparisonsCounted;
    return { claims, comparisons, bar, claimsCounted, claimsAgreeing, comparisonsCounted, comparisonsAgreeing, pass };
}

/** "82.6 %": one decimal, rounded down so that a share shown as the bar never fails it. */
export function formatShare(k: number, n: number): string {
    return `${(Math.floor((k / n) * 1000 + 1e-9) / 10).toFixed(1)} %`;
}

/** The one line printed on stdout and heading the report's section: PASS/FAIL with the counts and the bar. */
export function agreementLine(a: Agreement): string {
    const verdicts = a.comparisonsCounted
        ? `${a.comparisonsAgreeing} of ${a.comparisonsCounted} change-vs-native verdicts agree (${formatShare(a.comparisonsAgreeing, a.comparisonsCounted)})`
        : "no change-vs-native verdict both runs could judge";
    return (
        `agreement: ${a.pass ? "PASS" : "FAIL"} — ${a.claimsAgreeing} of ${a.claimsCounted} claim statuses agree, ${verdicts}; ` +
        `bar: every claim status and ≥ ${Math.round(a.bar * 1000) / 10} % of the verdicts`
    );
}

function intervalText(s: VerdictSide | undefined): string {
    if (!s) return "";
    const pct = (r: number) => formatPercent((r - 1) * 100);
    return `${pct(s.ratio)} ${s.ratioCi ? `[${pct(s.ratioCi.low)}, ${pct(s.ratioCi.high)}]` : "[no interval]"}`;
}

function yesNo(b: boolean | null): string {
    return b === null ? "n/a" : b ? "yes" : "no";
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
    return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)];
}

/** "a 3, b 1" for the values of key over items, most frequent first. */
function counts<T>(items: readonly T[], key: (t: T) => string): string {
    return [...groupBy(items, key)]
        .sort((x, y) => y[1].length - x[1].length || (x[0] < y[0] ? -1 : 1))
        .map(([k, v]) => `${k} ${v.length}`)
        .join(", ");
}

const SHOWN = 5;

/** Whether the run has the comparison at all (compared with native or not). */
function inRun(c: ComparisonAgreement, run: Run): boolean {
    return c.leftOut !== ONLY_IN[run === "base" ? "other" : "base"];
}

/**
 * Each comparison's point, its params shortened to the keys that vary within its workload in the
 * run it comes from ("clients=50"): two runs may spell the same point differently.
 */
function pointsOf(items: readonly ComparisonAgreement[]): Map<ComparisonAgreement, string> {
    const side = (c: ComparisonAgreement) => JSON.stringify([c.workload, inRun(c, "base")]);
    const keys = new Map([...groupBy(items, side)].map(([k, list]) => [k, varyingKeys(list.map((c) => c.params))]));
    return new Map(items.map((c) => [c, shortParams(c.params, keys.get(side(c)) ?? [])]));
}

/** "redis get_rps @ clients=50 on docker-nat". */
function label(c: ComparisonAgreement, at: string): string {
    return `${c.workload} ${c.metric}${at ? ` @ ${at}` : ""} on ${environmentLabel(c.environment, c.emulated)}`;
}

/** For comparisons in one run only: the environments and workloads the other run lacks entirely. */
function absentEntirely(a: Agreement, list: readonly ComparisonAgreement[], run: Run): string {
    const otherRun: Run = run === "base" ? "other" : "base";
    const there = a.comparisons.filter((c) => inRun(c, otherRun));
    const missing = (key: (c: ComparisonAgreement) => string) => {
        const have = new Set(there.map(key));
        return [...new Set(list.map(key))].filter((k) => !have.has(k)).sort();
    };
    const envs = missing((c) => c.environment);
    const workloads = missing((c) => c.workload);
    return [
        ...(envs.length ? [`environments the ${otherRun} run does not have: ${envs.join(", ")}`] : []),
        ...(workloads.length ? [`workloads the ${otherRun} run does not have: ${workloads.join(", ")}`] : []),
    ]
        .map((x) => `${x}; `)
        .join("");
}

/**
 * Comparisons in one run only whose workload, metric and environment the other run has at other
 * params: the points are matched by their whole params, and the runs spell them differently.
 */
function paramsMismatch(a: Agreement): string | undefined {
    const id = (c: ComparisonAgreement) => JSON.stringify([c.workload, c.metric, c.environment]);
    const otherOnly = groupBy(
        a.comparisons.filter((c) => c.leftOut === ONLY_IN.other),
        id,
    );
    const baseOnly = a.comparisons.filter((c) => c.leftOut === ONLY_IN.base && otherOnly.has(id(c)));
    if (!baseOnly.length) return undefined;
    const e = baseOnly[0];
    const o = otherOnly.get(id(e))![0];
    return (
        `${baseOnly.length} comparison(s) of the base run have the same workload, metric and environment in the other run at params spelt differently ` +
        `(e.g. ${e.workload} ${e.metric} on ${e.environment}: base \`${e.params}\`, other \`${o.params}\`); points are matched by their whole params.`
    );
}

/** One bullet per reason comparisons were left out, largest first: how many, by environment and workload, and the first few by name. */
function leftOutLines(a: Agreement): string[] {
    const left = a.comparisons.filter((c) => !c.counted);
    const points = pointsOf(a.comparisons);
    const lines = [...groupBy(left, (c) => c.leftOut!)]
        .sort((x, y) => y[1].length - x[1].length)
        .map(([reason, list]) => {
            const names = list.slice(0, SHOWN).map((c) => label(c, points.get(c)!) + (c.leftOutDetail ? ` (${c.leftOutDetail})` : ""));
            const more = list.length > SHOWN ? `; and ${list.length - SHOWN} more (compare-agreement.csv lists every one)` : "";
            const run = (Object.keys(ONLY_IN) as Run[]).find((r) => ONLY_IN[r] === reason);
            const absent = run ? absentEntirely(a, list, run) : "";
            return `- ${reason}: ${list.length} — ${absent}by environment: ${counts(list, (c) => c.environment)}; by workload: ${counts(list, (c) => c.workload)}. ${names.join("; ")}${more}`;
        });
    const mismatch = paramsMismatch(a);
    return mismatch ? [...lines, `- ${mismatch}`] : lines;
}

/** The "Do the verdicts repeat?" section of compare.md. */
export function renderAgreementMarkdown(a: Agreement): string {
    const out = ["## Do the verdicts repeat? Agreement of the two runs", "", `**${agreementLine(a)}**`, "", `${AGREEMENT_RULE}.`, ""];

    const claimDiffs = a.claims.filter((c) => c.difference);
    const byKind = claimDiffs.length ? ` (${counts(claimDiffs, (c) => c.difference!)})` : "";
    out.push(`### Claim statuses: ${a.claimsAgreeing} of ${a.claimsCounted} agree${byKind}`, "");
    if (a.claims.length === 0) out.push("No claim of the published studies was evaluated in either run.", "");
    else {
        const status = (s: ClaimSide | undefined) => (s ? s.status : "—");
        out.push(
            ...table(
                ["claim", "base run", "other run", "agree"],
                a.claims.map((c) => [
                    `${c.study}: ${c.text}`,
                    status(c.base),
                    status(c.other),
                    !c.counted ? `not counted: ${c.leftOut}` : c.difference ? `no: ${c.difference}` : yesNo(c.agree),
                ]),
            ),
            "",
        );
    }

    const counted = a.comparisons.filter((c) => c.counted);
    const title = a.comparisonsCounted
        ? `${a.comparisonsAgreeing} of ${a.comparisonsCounted} agree (${formatShare(a.comparisonsAgreeing, a.comparisonsCounted)})`
        : "none counted";
    out.push(`### Change-vs-native verdicts: ${title}`, "");
    if (counted.length) {
        const diff = counted.filter((c) => c.difference);
        const byKind = diff.length ? ` Disagreements: ${counts(diff, (c) => c.difference!)}.` : "";
        const overlapping = counted.filter((c) => c.intervalsOverlap === true).length;
        const withBoth = counted.filter((c) => c.intervalsOverlap !== null).length;
        out.push(
            `${a.comparisonsCounted} comparison(s) counted.${byKind} The two runs' intervals of the change overlap in ${overlapping} of the ${withBoth} ` +
                `counted comparison(s) that have both (shown, not part of the agreement).`,
            "",
        );
        if (diff.length) {
            const points = pointsOf(a.comparisons);
            out.push(
                ...table(
                    [
                        "workload",
                        "point",
                        "metric",
                        "environment",
                        "base verdict",
                        "base change [interval]",
                        "other verdict",
                        "other change [interval]",
                        "intervals overlap",
                        "difference",
                    ],
                    diff.map((c) => [
                        c.workload,
                        points.get(c)!,
                        c.metric,
                        c.environment,
                        c.base!.verdict,
                        intervalText(c.base),
                        c.other!.verdict,
                        intervalText(c.other),
                        yesNo(c.intervalsOverlap),
                        c.difference!,
                    ]),
                ),
                "",
            );
        }
    }
    const left = leftOutLines(a);
    if (left.length) out.push(`Left out (${a.comparisons.length - a.comparisonsCounted} comparison(s)):`, "", ...left, "");
    const claimsLeft = a.claims.filter((c) => !c.base || !c.other);
    if (claimsLeft.length) {
        out.push(`Claims evaluated in one run only: ${claimsLeft.map((c) => `${c.study}: ${c.id}${c.part ? " (part)" : ""} (${c.leftOut})`).join("; ")}.`, "");
    }
    return out.join("\n");
}

export const AGREEMENT_COLUMNS = [
    "kind",
    "study",
    "claim",
    "workload",
    "params",
    "metric",
    "environment",
    "base",
    "other",
    "counted",
    "agree",
    "difference",
    "base_ratio",
    "base_ci_low",
    "base_ci_high",
    "other_ratio",
    "other_ci_low",
    "other_ci_high",
    "intervals_overlap",
    "left_out",
] as const;

/** compare-agreement.csv: one row per claim (kind claim) and per comparison with native (kind verdict), counted or not. */
export function agreementToCsv(a: Agreement): string {
    type Record_ = Partial<Record<(typeof AGREEMENT_COLUMNS)[number], string | number>>;
    const yn = (b: boolean) => (b ? "yes" : "no");
    const claims = a.claims.map((c): Record_ => ({
        kind: "claim",
        study: c.study,
        claim: c.part ? `${c.id} (part: ${(c.base ?? c.other)!.scope})` : c.id,
        base: c.base?.status,
        other: c.other?.status,
        counted: yn(c.counted),
        agree: c.counted ? yn(c.agree) : "",
        difference: c.difference,
        left_out: c.leftOut,
    }));
    const side = (s: VerdictSide | undefined, prefix: "base" | "other"): Record_ =>
        s
            ? { [prefix]: s.verdict, [`${prefix}_ratio`]: s.ratio, [`${prefix}_ci_low`]: s.ratioCi?.low ?? "", [`${prefix}_ci_high`]: s.ratioCi?.high ?? "" }
            : {};
    const verdicts = a.comparisons.map((c): Record_ => ({
        kind: "verdict",
        workload: c.workload,
        params: c.params,
        metric: c.metric,
        environment: c.environment,
        ...side(c.base, "base"),
        ...side(c.other, "other"),
        counted: yn(c.counted),
        agree: c.counted ? yn(c.agree) : "",
        difference: c.difference,
        intervals_overlap: c.intervalsOverlap === null ? "" : yn(c.intervalsOverlap),
        left_out: [c.leftOut, c.leftOutDetail].filter(Boolean).join(": "),
    }));
    return stringify(
        [...claims, ...verdicts].map((r) => AGREEMENT_COLUMNS.map((k) => r[k] ?? "")),
        { header: true, columns: [...AGREEMENT_COLUMNS] },
    );
}
