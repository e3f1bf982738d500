/**
 * Each cell's wall-clock limit: how long the runner lets it run before it ends the cell's
 * processes (on the host and inside the environment) and fails it. A cell that hangs (a client
 * waiting on a dead server, a guest that stopped answering) otherwise holds the whole matrix,
 * since cells run one after another. Pure.
 */
import type { ExperimentSpec, WorkloadSelection } from "./spec";
import type { Accel } from "../core/samples";

/**
 * The limit when the stack sets none: an hour, above every study default this project has timed
 * on its own hosts (the longest, MySQL's 15-point thread sweep of 60 s each, is about 16 min).
 * Under software emulation guests run 10-50× slower; cells there get four hours.
 */
export const DEFAULT_CELL_LIMIT_S = 3600;
export const EMULATED_CELL_LIMIT_S = 4 * 3600;

export interface CellLimit {
    readonly limitS: number;
    /** Where the limit comes from, as the message about an expired cell names it. */
    readonly source: string;
}

export function cellLimit(spec: Pick<ExperimentSpec, "workloads" | "cellTimeoutS">, selection: WorkloadSelection, accel: Accel): CellLimit {
    if (selection.timeoutS !== undefined) {
        return { limitS: selection.timeoutS, source: `isobench:workloads.${spec.workloads.indexOf(selection)}.timeoutS` };
    }
    if (spec.cellTimeoutS !== undefined) return { limitS: spec.cellTimeoutS, source: "isobench:cellTimeoutS" };
    return accel === "tcg"
        ? { limitS: EMULATED_CELL_LIMIT_S, source: "the default for software-emulated guests (set isobench:cellTimeoutS)" }
        : { limitS: DEFAULT_CELL_LIMIT_S, source: "the default (set isobench:cellTimeoutS)" };
}
