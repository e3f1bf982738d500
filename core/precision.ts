/**
 * The precision goal of a stack (`isobench:precision`) and the record of the repetitions added to
 * meet it, `repetitions.json` in the run's results folder: written by `isobench up` between its
 * Pulumi passes (experiment/precision-run.ts), read by the plan, which declares the added cells on
 * every later up (experiment/plan.ts), and by the analysis, which reports the goal
 * (analysis/precision.ts).
 */
import * as fs from "fs";
import * as path from "path";

/**
 * `isobench:precision`: the relative half-width each primary metric's mean should reach, and the
 * most repetitions a cell may get for it; and how far repetitions go on while a published claim
 * its workload votes in is undecided (analysis/precision.ts).
 */
export interface PrecisionGoal {
    /** Half-width of the mean's confidence interval over the mean: 0.05 = ±5 %. */
    readonly relativeHalfWidth: number;
    /** At most this many repetitions per cell for the half-width, the planned ones included (≥ isobench:repetitions). */
    readonly maxRepetitions: number;
    /**
     * When set, repetitions go on while a judged claim is undecided by its intervals, up to this
     * many per cell (≥ maxRepetitions). A half-width goal alone leaves a claim whose true ratio
     * lies a little inside or outside an edge to the luck of one run. Opt-in, because for a ratio
     * at an edge the same rule makes two runs' statuses differ more often
     * (analysis/precision.ts CLAIM_REPETITIONS_CAVEAT; benchmarks/claim-decision.ts measures it).
     */
    readonly maxClaimRepetitions?: number;
}

/** The most repetitions the goal lets any cell have: the planned cells never exceed it. */
export function repetitionCap(goal: PrecisionGoal): number {
    return Math.max(goal.maxRepetitions, goal.maxClaimRepetitions ?? 0);
}

/** One repetition added to a workload's cells in some of its environments. */
export interface AddedRepetition {
    readonly workload: string;
    readonly repetition: number;
    /** The environments measured again: the workload's environments not under software emulation. */
    readonly environments: readonly string[];
    /** When the decision was made (ISO time). */
    readonly at: string;
    /** The groups that missed the goal and the claims left undecided, as the decision said them. */
    readonly reason: string;
}

/** One decision of the precision loop, as printed. */
export interface PrecisionDecisionRecord {
    readonly at: string;
    readonly outcome: "met" | "added" | "not met at the maximum" | "nothing to judge";
    readonly line: string;
}

/** What repetitions.json holds. */
export interface RepetitionsRecord {
    /** The goal of the latest decision (the stack's goal may have changed since). */
    readonly goal: PrecisionGoal;
    /** Every repetition added, oldest first; results of a repetition once added are never dropped. */
    readonly added: readonly AddedRepetition[];
    readonly decisions: readonly PrecisionDecisionRecord[];
}

export const REPETITIONS_FILE = "repetitions.json";

export const repetitionsPath = (resultsDir: string) => path.join(resultsDir, REPETITIONS_FILE);

/** The record of a results folder; undefined when it has none. Throws naming the file when it does not read. */
export function readRepetitions(resultsDir: string): RepetitionsRecord | undefined {
    const file = repetitionsPath(resultsDir);
    if (!fs.existsSync(file)) return undefined;
    let r: Partial<RepetitionsRecord>;
    try {
        r = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<RepetitionsRecord>;
    } catch (e) {
        throw new Error(
            `${file} does not read as JSON (${(e as Error).message}); it records the repetitions isobench:precision added: restore it, or move it aside to plan without them`,
            {
                cause: e,
            },
        );
    }
    const goal = r.goal;
    const ok =
        typeof goal?.relativeHalfWidth === "number" &&
        typeof goal.maxRepetitions === "number" &&
        (goal.maxClaimRepetitions === undefined || typeof goal.maxClaimRepetitions === "number") &&
        Array.isArray(r.added) &&
        r.added.every((a) => typeof a?.workload === "string" && Number.isInteger(a.repetition) && Array.isArray(a.environments)) &&
        Array.isArray(r.decisions);
    if (!ok) throw new Error(`${file} is not a record of added repetitions (goal, added, decisions); restore it, or move it aside to plan without them`);
    return r as RepetitionsRecord;
}
