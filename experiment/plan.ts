/**
 * The run plan: cells = environment × workload × repetition, in the order they run.
 * Environments are interleaved within each repetition and their order rotates between
 * repetitions, so slow drift of the host (thermal, page cache) is spread over all of them.
 * A workload that names its environments runs only in those (per-workload guest sizes).
 * Repetitions the precision goal added (spec.addedRepetitions) come after the planned ones, in
 * the order they were added, so the cells measured before keep their place in the chain.
 *
 * Under isobench:schedule: grouped the environments take turns by group instead: within each
 * repetition every cell of one environment runs before the next environment's, environments in
 * the same rotating order, so a guest is booted once per repetition for its group and shut off
 * after it (environments/kvm/guest-schedule.ts). Drift of the host then lands between
 * environments rather than being spread over them: the price of one guest's memory at a time.
 */
import type { EnvironmentName, ExperimentSpec, Schedule, WorkloadSelection } from "./spec";

export interface Cell {
    readonly id: string;
    readonly environment: EnvironmentName;
    readonly workload: WorkloadSelection;
    readonly repetition: number;
}

export function planCells(
    spec: Pick<ExperimentSpec, "environments" | "workloads" | "repetitions" | "addedRepetitions"> & { readonly schedule?: Schedule },
): Cell[] {
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
    return spec.schedule === "grouped" ? grouped(cells, envs) : cells;
}

/**
 * The interleaved cells regrouped: each run of cells of one repetition (a planned repetition, or
 * what one precision decision added) ordered by environment, in that repetition's rotation of
 * the stack's environments, workloads in their order within an environment.
 */
function grouped(cells: readonly Cell[], envs: readonly EnvironmentName[]): Cell[] {
    const turn = (c: Cell) => (((envs.indexOf(c.environment) - (c.repetition - 1)) % envs.length) + envs.length) % envs.length;
    const out: Cell[] = [];
    for (let i = 0; i < cells.length;) {
        let j = i;
        while (j < cells.length && cells[j].repetition === cells[i].repetition) j++;
        // Array.prototype.sort is stable: a workload's cells keep their order within an environment.
        out.push(...cells.slice(i, j).sort((a, b) => turn(a) - turn(b)));
        i = j;
    }
    return out;
}

/**
 * The cells that begin an environment's group (the first of its cells in a repetition, or after
 * another environment's): under the grouped schedule its guest is booted before them, by plan.
 */
export function groupStarts(cells: readonly Cell[]): ReadonlySet<string> {
    return new Set(cells.filter((c, i) => i === 0 || cells[i - 1].environment !== c.environment || cells[i - 1].repetition !== c.repetition).map((c) => c.id));
}
