/**
 * The run plan: cells = environment × workload × repetition, in the order they run.
 * Environments are interleaved within each repetition and their order rotates between
 * repetitions, so slow drift of the host (thermal, page cache) is spread over all of them.
 * A workload that names its environments runs only in those (per-workload guest sizes).
 */
import type { EnvironmentName, ExperimentSpec, WorkloadSelection } from "./spec";

export interface Cell {
    readonly id: string;
    readonly environment: EnvironmentName;
    readonly workload: WorkloadSelection;
    readonly repetition: number;
}

export function planCells(spec: Pick<ExperimentSpec, "environments" | "workloads" | "repetitions">): Cell[] {
    const cells: Cell[] = [];
    const envs = spec.environments;
    for (let rep = 1; rep <= spec.repetitions; rep++) {
        for (const workload of spec.workloads) {
            const mine = workload.environments ? envs.filter((e) => workload.environments!.includes(e)) : envs;
            for (let i = 0; i < mine.length; i++) {
                const environment = mine[(i + rep - 1) % mine.length];
                cells.push({ id: `${workload.name}.${environment}.r${rep}`, environment, workload, repetition: rep });
            }
        }
    }
    return cells;
}
