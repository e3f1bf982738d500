/**
 * The run plan: cells = environment × workload × repetition, in the order they run.
 * Environments are interleaved within each repetition and their order rotates between
 * repetitions, so slow drift of the host (thermal, page cache) is spread over all of them.
 * A workload that names its environments runs only in those (per-workload guest sizes).
 * Repetitions the precision goal added (spec.addedRepetitions) come after the planned ones, in
 * the order they were added, so the cells measured before keep their place in the chain.
 */
import type { EnvironmentName, ExperimentSpec, WorkloadSelection } from "./spec";

export interface Cell {
    readonly id: string;
    readonly environment: EnvironmentName;
    readonly workload: WorkloadSelection;
    readonly repetition: number;
}

export function planCells(spec: Pick<ExperimentSpec, "environments" | "workloads" | "repetitions" | "addedRepetitions">): Cell[] {
    const cells: Cell[] = [];
    const envs = spec.environments;
    const environmentsOf = (workload: WorkloadSelection) => (workload.environments ? envs.filter((e) => workload.environments!.includes(e)) : envs);
    const add = (workload: WorkloadSelection, mine: readonly string[], rep: number) => {
        for (let i = 0; i < mine.length; i++) {
            const environment = mine[(i + rep - 1) % mine.length];
            cells.push({ id: `${workload.name}.${environment}.r${rep}`, environment, workload, repetition: rep });
        }
    };
    for (let rep = 1; rep <= spec.repetitions; rep++) {
        for (const workload of spec.workloads) add(workload, environmentsOf(workload), rep);
    }
    const planned = new Set(cells.map((c) => c.id));
    for (const a of spec.addedRepetitions ?? []) {
        const workload = spec.workloads.find((w) => w.name === a.workload);
        // A workload or environment the stack no longer has, or a repetition it now plans anyway, adds nothing.
        if (!workload || a.repetition <= spec.repetitions) continue;
        const mine = environmentsOf(workload).filter((e) => a.environments.includes(e) && !planned.has(`${workload.name}.${e}.r${a.repetition}`));
        add(workload, mine, a.repetition);
        for (const e of mine) planned.add(`${workload.name}.${e}.r${a.repetition}`);
    }
    return cells;
}
