/**
 * `isobench:precision` between `isobench up`'s Pulumi passes. Cells are Pulumi resources declared
 * before anything runs, so a repetition cannot be added inside a pass: after a pass in which every
 * planned cell was measured, precisionStep judges the results (and, with maxClaimRepetitions, the
 * published claims they leave undecided; analysis/precision.ts), records the decision and any
 * repetition it adds in the run's repetitions.json (core/precision.ts), and tells the CLI to run
 * another pass. withAddedRepetitions puts the recorded repetitions into the spec, so
 * the program, the CLI's preflight and `isobench status` plan the same cells on every later up: a
 * no-change up keeps them, and destroy leaves the record with the results.
 */
import type { ExperimentSpec } from "./spec";
import type { HostContext } from "./program";
import { planCells } from "./plan";
import { isGuest } from "../core/environment-spec";
import { AddedRepetition, PrecisionDecisionRecord, readRepetitions, repetitionCap, repetitionsPath, RepetitionsRecord } from "../core/precision";
import { writeFileAtomic } from "../core/files";
import { runResultsDir } from "./results-preflight";

/**
 * The spec with the repetitions its run's repetitions.json added, when it has a precision goal:
 * each up of such a stack plans them. Repetitions above the goal's maximum are left out (their
 * results stay in the folder; the analysis lists them as not planned).
 * @throws Error naming the file when the record does not read
 */
export function withAddedRepetitions(spec: ExperimentSpec, host: Pick<HostContext, "resultsRoot">): ExperimentSpec {
    if (!spec.precision) return spec;
    const record = readRepetitions(runResultsDir(spec, host));
    const max = repetitionCap(spec.precision);
    const added = (record?.added ?? []).filter((a) => a.repetition <= max);
    return added.length > 0 ? { ...spec, addedRepetitions: added } : spec;
}

/**
 * The workloads whose precision waits for a failed cell, each with its failed cells. A cell that
 * failed outside emulation leaves its groups a repetition short: judged now, they would get a
 * repetition the retry of that cell may make needless, and a workload's environments would no
 * longer keep equal repetitions. A failed cell of an emulated guest (a guest of a host whose
 * accel is tcg) holds nothing back: emulated groups never count toward the goal.
 */
export function heldWorkloads(
    spec: Pick<ExperimentSpec, "environments" | "environmentSpecs" | "workloads" | "repetitions" | "addedRepetitions">,
    accel: HostContext["accel"],
    failed: readonly string[],
): Map<string, string[]> {
    const emulated = new Set(accel === "tcg" ? spec.environmentSpecs.filter(isGuest).map((e) => e.name) : []);
    const byId = new Map(planCells(spec).map((c) => [c.id, c]));
    const held = new Map<string, string[]>();
    for (const id of failed) {
        const cell = byId.get(id);
        if (!cell || emulated.has(cell.environment)) continue;
        held.set(cell.workload.name, [...(held.get(cell.workload.name) ?? []), id]);
    }
    return held;
}

/**
 * Judges the measured run against the stack's precision goal, prints and records the decision, and
 * records the repetitions it adds. Run only after a pass that attempted every planned cell; the
 * workloads in `held` (heldWorkloads: they have a failed cell) are left out of the decision, which
 * says so.
 * @returns true when repetitions were added: the caller runs another pass to measure them
 */
export async function precisionStep(
    spec: ExperimentSpec,
    resultsDir: string,
    say: (line: string) => void,
    held: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<boolean> {
    const goal = spec.precision;
    if (!goal) return false;
    const { claimsOfResultsDir, summarizeResultsDir } = await import("../analysis/analyze");
    const { loadReferences } = await import("../analysis/published");
    const { decidePrecision, missingSummary, precisionLine, precisionRows, primaryMetrics, undecidedClaims } = await import("../analysis/precision");
    const { appendProgress } = await import("./progress-log");
    const { summary } = await summarizeResultsDir(resultsDir, { plan: planCells(spec).map((c) => c.id), workers: 1 });
    const refs = loadReferences();
    const undecided = undecidedClaims(claimsOfResultsDir(resultsDir, summary, refs)).filter((u) => !held.has(u.workload));
    const rows = summary.rows.filter((g) => !held.has(g.workload));
    const decision = decidePrecision(precisionRows(rows, primaryMetrics(refs), goal, summary.confidence), goal, undecided);
    const line = precisionLine(decision, goal, held);
    say(line);
    appendProgress(resultsDir, line);
    const at = new Date().toISOString();
    const before = readRepetitions(resultsDir)?.added ?? [];
    const added: AddedRepetition[] = [];
    for (const a of decision.kind === "add" ? decision.add : []) {
        // Added before and measured, yet the group still has fewer repetitions: adding it again would loop.
        if (before.some((b) => b.workload === a.workload && b.repetition === a.repetition)) {
            const stuck = `precision: repetition ${a.repetition} of ${a.workload} was added before but its groups still have ${a.repetition - 1}; not adding it again (its cells: isobench status ${spec.stack})`;
            say(stuck);
            appendProgress(resultsDir, stuck);
            continue;
        }
        added.push({ workload: a.workload, repetition: a.repetition, environments: a.environments, at, reason: missingSummary(a.missing, a.undecided) });
    }
    const outcome: PrecisionDecisionRecord["outcome"] = decision.kind === "add" ? "added" : decision.kind;
    recordDecision(resultsDir, { goal, added, decision: { at, outcome, line } });
    return added.length > 0;
}

/** Appends the decision and its added repetitions to repetitions.json; the same decision as the last one is not repeated. */
function recordDecision(
    resultsDir: string,
    d: { readonly goal: RepetitionsRecord["goal"]; readonly added: readonly AddedRepetition[]; readonly decision: PrecisionDecisionRecord },
): void {
    const before = readRepetitions(resultsDir);
    const last = before?.decisions[before.decisions.length - 1];
    if (d.added.length === 0 && last && last.line === d.decision.line && JSON.stringify(before?.goal) === JSON.stringify(d.goal)) return;
    const record: RepetitionsRecord = {
        goal: d.goal,
        added: [...(before?.added ?? []), ...d.added],
        decisions: [...(before?.decisions ?? []), d.decision],
    };
    writeFileAtomic(repetitionsPath(resultsDir), `${JSON.stringify(record, null, 2)}\n`);
}
