/**
 * A stack's plan as the progress model sees it (experiment/progress-model.ts): each cell with its
 * workload, its environment's kind and what fixes its length, and the prior of a cell no run has measured yet, the
 * seconds its workload's params say it works (experiment/cell-limit.ts expectedCellS). Pure.
 */
import { cellLengthFixedBy, environmentCpus, expectedCellS } from "./cell-limit";
import { planCells } from "./plan";
import type { CellPrior, PlannedCell } from "./progress-model";
import type { ExperimentSpec } from "./spec";

/** Seconds of a cell outside its measured work before any was measured (version probe, server start). */
const PRIOR_OVERHEAD_S = 2;

export function progressPlan(spec: Pick<ExperimentSpec, "environments" | "environmentSpecs" | "workloads" | "repetitions">): PlannedCell[] {
    const kinds = new Map(spec.environmentSpecs.map((e) => [e.name, e.kind]));
    return planCells(spec).map((c) => ({
        id: c.id,
        workload: c.workload.name,
        environment: c.environment,
        kind: kinds.get(c.environment) ?? "native",
        lengthFixedBy: cellLengthFixedBy(c.workload),
    }));
}

/**
 * The prior of each planned cell: its workload's expected seconds with the stack's params on the
 * CPUs its environment sees (as `isobench plan` counts them), plus what every cell spends outside
 * its work.
 */
export function paramsPrior(spec: Pick<ExperimentSpec, "workloads" | "environmentSpecs">, hostCpus: number): CellPrior {
    const workloads = new Map(spec.workloads.map((w) => [w.name, w]));
    const environments = new Map(spec.environmentSpecs.map((e) => [e.name, e]));
    return (cell) => {
        const w = workloads.get(cell.workload);
        const s = w && expectedCellS(w, environmentCpus(environments.get(cell.environment), hostCpus));
        return s === undefined ? undefined : s + PRIOR_OVERHEAD_S;
    };
}
