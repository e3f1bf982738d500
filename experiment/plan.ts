/**
 * The run plan: cells = environment × workload × repetition, in the order they run.
 * Environments are interleaved within each repetition and their order rotates between
 * repetitions, so slow drift of the host (thermal, page cache) is spread over all of them.
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
            for (let i = 0; i < envs.length; i++) {
                const environment = envs[(i + rep - 1) % envs.length];
                cells.push({ id: `${workload.name}.${environment}.r${rep}`, environment, workload, repetition: rep });
            }
        }
    }
    return cells;
}
