/**
 * The precision goal (`isobench:precision`, core/precision.ts): is each primary metric's mean
 * known to the relative half-width the stack asks for, and if not, which repetitions to add.
 * Pure: groups and a goal in, rows and a decision out; experiment/precision-run.ts does the I/O
 * between `isobench up`'s Pulumi passes, analysis/analyze.ts writes the report.
 *
 * The precision of a group (environment × workload × parameter point × metric) is the half-width
 * of its mean's confidence interval over the per-repetition values (simultaneous instances
 * averaged first, analysis/pairing.ts), relative to the mean: t · sd / (√n · mean), the interval
 * the summary reports, on the log scale where ratios are judged (analysis/ratio.ts meanOnLogScale).
 * Only each workload's primary metrics count (the metric a published claim votes with,
 * analysis/reference/*.json), and only groups measured without software emulation: emulated
 * numbers are never judged (analysis/emulated.ts), and an emulated cell costs 10–50 times a native
 * one.
 *
 * When a group misses the goal, the next repetition is added to every cell of its workload in
 * every environment whose groups count, not to the missing group alone: a comparison with native
 * pairs repetition r of an environment with repetition r of native (analysis/pairing.ts), so both
 * sides need it, and within a workload the environments then keep equal repetitions. Workloads
 * whose groups all meet the goal keep theirs. A group still missing at maxRepetitions is reported
 * as not met; nothing is ever dropped to meet it.
 *
 * A half-width goal does not decide a claim whose true ratio lies near an edge of its range: one
 * run's interval clears the edge, the next run's straddles it, and two runs of one stack disagree
 * on the claim's status with overlapping intervals. With maxClaimRepetitions set, a workload whose
 * primary points leave a judged claim undecided by its intervals (undecidedClaims) also gets the
 * next repetition, up to that maximum; CLAIM_REPETITIONS_CAVEAT says what that costs. Without it,
 * undecided claims are the report's business and the decision never looks at them.
 */
import { AddedRepetition, PrecisionGoal, repetitionCap } from "../core/precision";
import { isEmulated } from "../core/samples";
import type { Group } from "./overhead";
import { checkRange, claimLabel, claimResultsShown, formatPoint, rangeText, type ClaimResult, type Reference } from "./published";
import { meanOnLogScale } from "./ratio";
import { tCritical } from "./statistics";

/**
 * What a group's precision says: `met`; `missed` (another repetition is due); `not met at the
 * maximum`; or not counted toward the goal: emulated, or without a relative interval (fewer than
 * two repetitions, or a mean ≤ 0).
 */
export type PrecisionStatus = "met" | "missed" | "not met at the maximum" | "not counted: emulated" | "not counted: no interval";

/** What each status means, for the report. */
export const PRECISION_STATUS_MEANING: Readonly<Record<PrecisionStatus, string>> = {
    met: "the mean's interval is within the goal",
    missed: "wider than the goal; isobench up adds a repetition to the workload's cells",
    "not met at the maximum": "still wider than the goal after the goal's maxRepetitions",
    "not counted: emulated": "measured under software emulation, which is never judged; no repetitions are added for it",
    "not counted: no interval": "no relative interval: fewer than 2 repetitions, or a mean that is not positive",
};

export interface PrecisionRow {
    readonly workload: string;
    readonly environment: string;
    readonly params: string;
    readonly metric: string;
    readonly accel: string;
    /** Repetitions measured (the unit of replication). */
    readonly n: number;
    readonly mean: number;
    /** Half-width of the mean's interval over the mean; null without an interval. */
    readonly relativeHalfWidth: number | null;
    readonly status: PrecisionStatus;
}

/** Each workload's primary metrics: the metrics the published claims vote with (a check's `primary`). */
export function primaryMetrics(refs: readonly Reference[]): Map<string, Set<string>> {
    const out = new Map<string, Set<string>>();
    for (const ref of refs) {
        for (const claim of ref.claims) {
            for (const check of claim.checks) {
                for (const [workload, metric] of Object.entries(check.primary)) {
                    const set = out.get(workload) ?? new Set<string>();
                    set.add(metric);
                    out.set(workload, set);
                }
            }
        }
    }
    return out;
}

/** t · sd / (√n · mean) at the confidence; null below two values or for a mean ≤ 0. */
export function relativeHalfWidth(values: readonly number[], confidence: number): number | null {
    if (values.length < 2 || !(values.reduce((a, b) => a + b, 0) > 0)) return null;
    const est = meanOnLogScale(values, confidence);
    return est.logSe === null || est.df === null ? null : tCritical(confidence, est.df) * est.logSe;
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);

/**
 * One row per group of a primary metric, ordered by workload, point, metric and environment.
 * Workloads without a primary metric have no rows; precisionUnjudged names them.
 */
export function precisionRows(
    groups: readonly Group[],
    primaries: ReadonlyMap<string, ReadonlySet<string>>,
    goal: PrecisionGoal,
    confidence: number,
): PrecisionRow[] {
    const rows = groups
        .filter((g) => primaries.get(g.workload)?.has(g.metric))
        .map((g): PrecisionRow => {
            const rhw = relativeHalfWidth(g.values, confidence);
            const status: PrecisionStatus = isEmulated(g.accel)
                ? "not counted: emulated"
                : rhw === null
                  ? "not counted: no interval"
                  : rhw <= goal.relativeHalfWidth
                    ? "met"
                    : g.stats.n >= goal.maxRepetitions
                      ? "not met at the maximum"
                      : "missed";
            return {
                workload: g.workload,
                environment: g.environment,
                params: g.params,
                metric: g.metric,
                accel: g.accel,
                n: g.stats.n,
                mean: g.stats.mean,
                relativeHalfWidth: rhw,
                status,
            };
        });
    return rows.sort((a, b) => cmp(a.workload, b.workload) || cmp(a.params, b.params) || cmp(a.metric, b.metric) || cmp(a.environment, b.environment));
}

/** The measured workloads no primary metric speaks for: their precision is not judged. */
export function precisionUnjudged(groups: readonly Group[], primaries: ReadonlyMap<string, ReadonlySet<string>>): string[] {
    return [...new Set(groups.map((g) => g.workload))].filter((w) => !primaries.has(w)).sort();
}

const counted = (r: PrecisionRow) => r.status === "met" || r.status === "missed" || r.status === "not met at the maximum";

/**
 * What repetitions added for undecided claims cost, stated once for the report and the docs
 * (benchmarks/claim-decision.ts measures it).
 */
export const CLAIM_REPETITIONS_CAVEAT =
    "Stopping once a claim is decided is sequential sampling: it decides wrongly more often than one look at the stated confidence, " +
    "and for a true ratio within about one interval of an edge of the range it makes two runs end with different statuses more often " +
    "than stopping at a fixed number of repetitions does, where both would have stayed inconclusive";

/** A judged claim (or the judged part of one) left undecided by one workload's primary points. */
export interface UndecidedClaim {
    /** study, claim id and part: one claim, whatever its text. */
    readonly key: string;
    /** claimLabel: the claim's text, with its part's scope for a part. */
    readonly claim: string;
    readonly workload: string;
    /** Each undecided point and the range it is judged against, as the report prints them. */
    readonly points: readonly string[];
}

/**
 * The claims (and parts) whose status is inconclusive because of their intervals alone, by
 * workload of the undecided points: every check measured, every voting point with an interval,
 * and some voting point inconclusive after the claim's Holm correction (its interval overlaps an
 * edge of the range, or lies outside it but not after the correction). More repetitions can
 * narrow those intervals; they cannot measure a missing point or give a lone value an interval,
 * and a claim with such a point could only become inconsistent, so it gets none. Emulated points
 * never vote, so they never ask for repetitions.
 */
export function undecidedClaims(claims: readonly ClaimResult[]): UndecidedClaim[] {
    const out: UndecidedClaim[] = [];
    for (const c of claimResultsShown(claims)) {
        if (c.status !== "inconclusive" || c.checks.some((k) => k.missing)) continue;
        const voting = c.checks.flatMap((check) => check.points.filter((p) => p.primary && !p.emulated).map((p) => ({ check, p })));
        if (voting.length === 0 || voting.some(({ p }) => p.ratioCi === null)) continue;
        const byWorkload = new Map<string, string[]>();
        for (const { check, p } of voting) {
            if (p.status !== "inconclusive") continue;
            const shown = `${formatPoint(p, Object.keys(check.check.params))} vs ${rangeText(checkRange(check.check))}`;
            byWorkload.set(p.workload, [...(byWorkload.get(p.workload) ?? []), shown]);
        }
        const key = JSON.stringify([c.study, c.claim.id, c.scope !== undefined]);
        for (const [workload, points] of byWorkload) out.push({ key, claim: claimLabel(c), workload, points });
    }
    return out;
}

/** How many claims the entries name (a claim undecided by two workloads is one claim). */
export function claimsNamed(undecided: readonly UndecidedClaim[]): number {
    return new Set(undecided.map((u) => u.key)).size;
}

/** A repetition to add: to `workload`'s cells in `environments`, for the groups that miss the goal and the claims it leaves undecided. */
export type PlannedAddition = Pick<AddedRepetition, "workload" | "repetition" | "environments"> & {
    readonly missing: readonly PrecisionRow[];
    readonly undecided: readonly UndecidedClaim[];
};

export type PrecisionDecision =
    /** Every counted group meets the goal and no judged claim is left undecided. */
    | { readonly kind: "met"; readonly counted: number }
    /** Some groups miss it, or some claims are undecided, below the maximum: add these repetitions, then decide again. */
    | {
          readonly kind: "add";
          readonly counted: number;
          readonly missing: number;
          readonly undecided: number;
          readonly add: readonly PlannedAddition[];
          readonly atMaximum: readonly PrecisionRow[];
          readonly undecidedAtMaximum: readonly UndecidedClaim[];
      }
    /** What misses the goal, or is undecided, is at its maximum: reported as not met. */
    | {
          readonly kind: "not met at the maximum";
          readonly counted: number;
          readonly atMaximum: readonly PrecisionRow[];
          readonly undecidedAtMaximum: readonly UndecidedClaim[];
      }
    /** No group counts (all emulated, or none measured). */
    | { readonly kind: "nothing to judge" };

/**
 * What to do after the rows' repetitions were measured: the rows against the half-width goal up
 * to maxRepetitions, and, when the goal sets maxClaimRepetitions, the undecided claims up to it
 * (undecidedClaims).
 */
export function decidePrecision(rows: readonly PrecisionRow[], goal: PrecisionGoal, undecided: readonly UndecidedClaim[] = []): PrecisionDecision {
    const judged = rows.filter(counted);
    if (judged.length === 0) return { kind: "nothing to judge" };
    // Every environment of the workload measured without emulation, those that meet the goal too: a ratio needs both sides.
    const measured = (workload: string) => rows.filter((r) => r.workload === workload && !isEmulated(r.accel));
    const repetitionsOf = (workload: string) => Math.max(0, ...measured(workload).map((r) => r.n));
    // Without maxClaimRepetitions undecided claims are the report's business, not the goal's.
    const claims = goal.maxClaimRepetitions === undefined ? [] : undecided;
    const undecidedBelow = claims.filter((u) => repetitionsOf(u.workload) < repetitionCap(goal));
    const undecidedAtMaximum = claims.filter((u) => repetitionsOf(u.workload) >= repetitionCap(goal));
    const atMaximum = judged.filter((r) => r.status === "not met at the maximum");
    const missing = judged.filter((r) => r.status === "missed");
    if (missing.length === 0 && undecidedBelow.length === 0) {
        return atMaximum.length === 0 && undecidedAtMaximum.length === 0
            ? { kind: "met", counted: judged.length }
            : { kind: "not met at the maximum", counted: judged.length, atMaximum, undecidedAtMaximum };
    }
    const add: PlannedAddition[] = [];
    for (const workload of [...new Set([...missing.map((r) => r.workload), ...undecidedBelow.map((u) => u.workload)])]) {
        add.push({
            workload,
            repetition: repetitionsOf(workload) + 1,
            environments: [...new Set(measured(workload).map((r) => r.environment))].sort(),
            missing: missing.filter((r) => r.workload === workload),
            undecided: undecidedBelow.filter((u) => u.workload === workload),
        });
    }
    return {
        kind: "add",
        counted: judged.length,
        missing: missing.length + atMaximum.length,
        undecided: claimsNamed(claims),
        add,
        atMaximum,
        undecidedAtMaximum,
    };
}

const percent = (x: number) => `${+(x * 100).toFixed(2)} %`;

/** "of at most 10 (6 for the half-width goal)": the goal's caps, the larger first. */
function capText(goal: PrecisionGoal): string {
    return goal.maxClaimRepetitions === undefined ? `${goal.maxRepetitions}` : `${repetitionCap(goal)} (${goal.maxRepetitions} for the half-width goal)`;
}

const claimCount = (n: number) => `${n} claim${n === 1 ? "" : "s"}`;

/**
 * The one line `isobench up` prints (and progress.log keeps) for a decision. `held`: the workloads
 * left out of it because they have a failed cell (experiment/precision-run.ts heldWorkloads), each
 * with those cells; the line names them.
 */
export function precisionLine(d: PrecisionDecision, goal: PrecisionGoal, held: ReadonlyMap<string, readonly string[]> = new Map()): string {
    const g = `±${percent(goal.relativeHalfWidth)}`;
    if (held.size === 0) return decisionLine(d, goal, g);
    const waiting = [...held].map(([w, cells]) => `${w} (${cells.join(", ")})`).join(", ");
    return d.kind === "nothing to judge"
        ? `precision: nothing judged against ${g} until the next up measures the failed cells of ${waiting}`
        : `${decisionLine(d, goal, g)}; not judged until the next up measures their failed cells: ${waiting}`;
}

function decisionLine(d: PrecisionDecision, goal: PrecisionGoal, g: string): string {
    // Only a goal with maxClaimRepetitions looked at the claims: only its lines speak of them.
    const claims = goal.maxClaimRepetitions !== undefined;
    switch (d.kind) {
        case "met":
            return `precision: all ${d.counted} groups meet ${g}${claims ? " and no judged claim is undecided by its intervals" : ""}`;
        case "add": {
            const byRep = new Map<number, string[]>();
            for (const a of d.add) byRep.set(a.repetition, [...(byRep.get(a.repetition) ?? []), a.workload]);
            const reps = [...byRep].map(([r, ws]) => `${r} (${ws.join(", ")})`).join(", ");
            const undecided = claims ? `, ${claimCount(d.undecided)} undecided by ${d.undecided === 1 ? "its" : "their"} intervals` : "";
            return `precision: ${d.missing} of ${d.counted} groups miss ${g}${undecided}; adding repetition ${reps} of at most ${capText(goal)}`;
        }
        case "not met at the maximum": {
            const parts = [
                ...(d.atMaximum.length > 0
                    ? [`${d.atMaximum.length} of ${d.counted} groups miss ${g} at the maximum of ${goal.maxRepetitions} repetitions`]
                    : []),
                ...(d.undecidedAtMaximum.length > 0
                    ? [`${claimCount(claimsNamed(d.undecidedAtMaximum))} still undecided at ${repetitionCap(goal)} repetitions`]
                    : []),
            ];
            return `precision: ${parts.join("; ")}: reported as not met`;
        }
        case "nothing to judge":
            return `precision: no group to judge against ${g} (every primary metric was measured under software emulation, or none was measured)`;
    }
}

/** "get_rps on docker-nat at clients=50: ±7.1 % (n = 3)" for each missing row, and each undecided claim with its points, for the record's reason. */
export function missingSummary(rows: readonly PrecisionRow[], undecided: readonly UndecidedClaim[] = []): string {
    return [
        ...rows.map((r) => `${r.metric} on ${r.environment}${r.params ? ` at ${r.params}` : ""}: ±${percent(r.relativeHalfWidth ?? NaN)} (n = ${r.n})`),
        ...undecided.map((u) => `undecided claim "${u.claim}": ${u.points.join("; ")}`),
    ].join("; ");
}

export const PRECISION_COLUMNS = [
    "workload",
    "params",
    "metric",
    "environment",
    "accel",
    "n",
    "mean",
    "relative_half_width",
    "goal_relative_half_width",
    "max_repetitions",
    "max_claim_repetitions",
    "status",
] as const;

/** precision.csv's records, one per row. */
export function precisionRecords(rows: readonly PrecisionRow[], goal: PrecisionGoal): Array<Record<(typeof PRECISION_COLUMNS)[number], string | number>> {
    return rows.map((r) => ({
        workload: r.workload,
        params: r.params,
        metric: r.metric,
        environment: r.environment,
        accel: r.accel,
        n: r.n,
        mean: r.mean,
        relative_half_width: r.relativeHalfWidth ?? "",
        goal_relative_half_width: goal.relativeHalfWidth,
        max_repetitions: goal.maxRepetitions,
        max_claim_repetitions: goal.maxClaimRepetitions ?? "",
        status: r.status,
    }));
}

/** What the report says about precision: the goal, each row, the claims still undecided, what was added, what was not judged. */
export interface PrecisionReport {
    readonly goal: PrecisionGoal;
    readonly rows: readonly PrecisionRow[];
    readonly undecided: readonly UndecidedClaim[];
    readonly added: readonly AddedRepetition[];
    readonly unjudged: readonly string[];
    readonly confidence: number;
}
