/**
 * A stack's plan as the progress model sees it (experiment/progress-model.ts): each cell with its
 * workload, its environment's kind and what fixes its length, and the prior of a cell the run has
 * not measured yet: what earlier runs on this host say (experiment/cell-history.ts reads them), else
 * the seconds its workload's params say it works (experiment/cell-limit.ts expectedCellS). Pure.
 */
import { cellLengthFixedBy, environmentCpus, expectedCellS } from "./cell-limit";
import { planCells } from "./plan";
import { DEFAULT_CLASS_FACTOR, type CellPrior, type EarlierPrior, type EnvironmentClass, type PlannedCell } from "./progress-model";
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
    return kind === "native" || kind === "docker" ? "host" : accel === "tcg" ? "emulated" : "guest";
}

/**
 * paramsPrior refined by earlier runs (a history: this machine's own, cell-history.ts withShipped
 * fills in what it lacks from the shipped runs): where cells of the same workload ran in the same
 * kind of environment under the same accelerator, this cell's parameters' prior times the median of
 * what those cells took over their own priors. Parameters that differ scale it (Redis's requests, a
 * fio job's seconds); the host's speed, the class's slowdown and the cells' overhead come measured.
 * Where only another class ran the workload (the host's cells, not yet the emulated guest's), that
 * class's median is carried over by the classes' default factors (a work-bound cell; a time-bound
 * one lasts its time anywhere): the workload's speed on this machine is measured, only the guest's
 * slowdown is guessed, far closer than the parameters' slow rates, which are for cell limits.
 * @param hostAccel the accelerator this host's guests run under; undefined when unknown
 */
export function earlierRunsPrior(
    spec: Pick<ExperimentSpec, "workloads" | "environmentSpecs">,
    hostCpus: number,
    hostAccel: string | undefined,
    history: CellHistory,
): CellPrior {
    const params = paramsPrior(spec, hostCpus);
    const ratio = (cells: readonly EarlierCell[]) => median(cells.map((e) => e.seconds / e.priorS));
    const prior = (s: number, cells: readonly EarlierCell[]): EarlierPrior => ({ earlierS: s, ...(cells.every((c) => c.shipped) && { shipped: true }) });
    return (cell) => {
        const p = params(cell);
        if (typeof p !== "number") return p;
        const accel = cell.kind === "native" || cell.kind === "docker" ? "none" : hostAccel;
        if (accel === undefined) return p;
        const own = history.get(historyKey(cell.workload, cell.kind, accel));
        if (own?.length) return prior(p * ratio(own), own);
        // Another class's cells of the workload: this machine's before the shipped ones, then the most cells.
        const cls = classOfKey(historyKey(cell.workload, cell.kind, accel));
        const others = [...history]
            .filter(([k, cells]) => k.startsWith(`${cell.workload}@`) && cells.length > 0 && classOfKey(k) !== cls)
            .sort(([, a], [, b]) => Number(a.every((c) => c.shipped)) - Number(b.every((c) => c.shipped)) || b.length - a.length);
        if (others.length === 0) return p;
        const [k, cells] = others[0];
        const scale = cell.lengthFixedBy === "work" ? DEFAULT_CLASS_FACTOR[cls] / DEFAULT_CLASS_FACTOR[classOfKey(k)] : 1;
        return prior(p * ratio(cells) * scale, cells);
    };
}
