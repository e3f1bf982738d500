/**
 * A stack's plan as the progress model sees it (experiment/progress-model.ts): each cell with its
 * workload, its environment's kind and what fixes its length, and the prior of a cell the run has
 * not measured yet: what earlier runs on this host say (experiment/cell-history.ts reads them), else
 * the seconds its workload's params say it works (experiment/cell-limit.ts expectedCellS). Pure.
 */
import { cellLengthFixedBy, environmentCpus, expectedCellS } from "./cell-limit";
import { planCells } from "./plan";
import { DEFAULT_CLASS_FACTOR, environmentClass, type CellPrior, type EnvironmentClass, type PlannedCell } from "./progress-model";
import type { ExperimentSpec } from "./spec";
import { median } from "../analysis/statistics";

/** One earlier cell: the seconds it took (start line to done line) and its paramsPrior in its own run; shipped: from docs/results, not this machine. */
export interface EarlierCell {
    readonly seconds: number;
    readonly priorS: number;
    readonly shipped?: boolean;
}

/** Earlier runs' cells by historyKey(workload, environment kind, accel). */
export type CellHistory = ReadonlyMap<string, readonly EarlierCell[]>;

export const historyKey = (workload: string, kind: string, accel: string): string => `${workload}@${kind}@${accel}`;

/** Seconds of a cell outside its measured work before any was measured (version probe, server start). */
export const PRIOR_OVERHEAD_S = 2;

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

/** The class a history key's cells ran in: host (native, Docker), a KVM guest, an emulated guest. */
function classOfKey(k: string): EnvironmentClass {
    const [, kind, accel] = k.split("@");
    return environmentClass(kind, accel);
}

/**
 * paramsPrior refined by earlier runs (a history: this machine's own, cell-history.ts withShipped
 * fills in the kinds it lacks from the shipped runs): this cell's parameters' prior times the median
 * of what earlier cells of the workload took over their own priors. Parameters that differ scale it
 * (Redis's requests, a fio job's seconds); the host's speed, the class's slowdown and the cells'
 * overhead come measured. Which cells, first found first taken: this machine's in the same kind of
 * environment under the same accelerator; this machine's in another kind of the same class (Docker
 * for native), as they are; this machine's in another class (natively, for a guest not yet run),
 * through the classes' default factors for work-bound cells (a time-bound one lasts its time
 * anywhere); then the shipped runs' in the same order. All but the first are marked approximate,
 * and the progress model corrects them by what the run measures.
 * @param hostAccel the accelerator this host's guests run under; undefined when unknown
 */
export function earlierRunsPrior(
    spec: Pick<ExperimentSpec, "workloads" | "environmentSpecs">,
    hostCpus: number,
    hostAccel: string | undefined,
    history: CellHistory,
): CellPrior {
    const params = paramsPrior(spec, hostCpus);
    return (cell) => {
        const p = params(cell);
        if (typeof p !== "number") return p;
        const accel = cell.kind === "native" || cell.kind === "docker" ? "none" : hostAccel;
        if (accel === undefined) return p;
        const exact = historyKey(cell.workload, cell.kind, accel);
        const cls = classOfKey(exact);
        let best: { rank: number; key: string; cells: readonly EarlierCell[]; shipped: boolean } | undefined;
        for (const [k, cells] of history) {
            if (!k.startsWith(`${cell.workload}@`) || cells.length === 0) continue;
            const shipped = cells.every((c) => c.shipped);
            const rank = (shipped ? 3 : 0) + (k === exact ? 0 : classOfKey(k) === cls ? 1 : 2);
            if (!best || rank < best.rank || (rank === best.rank && cells.length > best.cells.length)) best = { rank, key: k, cells, shipped };
        }
        if (!best) return p;
        const scale = cell.lengthFixedBy === "work" ? DEFAULT_CLASS_FACTOR[cls] / DEFAULT_CLASS_FACTOR[classOfKey(best.key)] : 1;
        const earlierS = p * median(best.cells.map((e) => e.seconds / e.priorS)) * scale;
        return { earlierS, ...(best.shipped && { shipped: true }), ...(best.rank > 0 && { approximate: true }) };
    };
}
