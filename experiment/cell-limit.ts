/**
 * Each cell's wall-clock limit: how long the runner lets it run before it ends the cell's
 * processes (on the host and inside the environment) and fails it. A cell that hangs (a client
 * waiting on a dead server, a guest that stopped answering) otherwise holds the whole matrix,
 * since cells run one after another. Pure.
 */
import type { ExperimentSpec, WorkloadSelection } from "./spec";
import type { Accel } from "../core/samples";
import { isGuest, type EnvironmentSpec } from "../core/environment-spec";
import { parseCpuset } from "../core/cpuset";
import { getWorkload } from "../workloads";
import type { LengthFixedBy } from "../workloads/workload";
import { instanceSweep } from "../workloads/instances";

/**
 * The default is this many times the cell's expected duration (Workload.expectedS, already
 * estimated at slow rates), plus CELL_OVERHEAD_S: a healthy cell on a slow or busy host stays
 * well inside it, a hung quick cell is ended in minutes rather than after an hour.
 */
export const LIMIT_FACTOR = 4;
/** Seconds of every cell outside its measured work: version probe, server start and readiness, raw output. */
export const CELL_OVERHEAD_S = 60;
/** No default below this: short cells still get time for a slow server start. */
export const MIN_CELL_LIMIT_S = 600;
/**
 * Software-emulated guests run 10-50× slower than the host (this project's TCG guests: 3-26× on
 * the felter2014-small cells); their expected durations are scaled by the worst of that, and
 * never get less than an hour.
 */
export const EMULATION_SLOWDOWN = 50;
export const MIN_EMULATED_CELL_LIMIT_S = 3600;
/** When the params leave the work's size to the host (HPL's N from a share of memory): an hour, four under emulation. */
export const UNKNOWN_CELL_LIMIT_S = 3600;
export const UNKNOWN_EMULATED_CELL_LIMIT_S = 4 * 3600;

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
    const emulated = accel === "tcg";
    const fix = "set the workload's timeoutS or isobench:cellTimeoutS";
    const expected = expectedCellS(selection);
    if (expected === undefined) {
        return emulated
            ? { limitS: UNKNOWN_EMULATED_CELL_LIMIT_S, source: `the default for software-emulated guests when the params leave the work to the host (${fix})` }
            : { limitS: UNKNOWN_CELL_LIMIT_S, source: `the default when the params leave the work to the host (${fix})` };
    }
    const scaled = expected * (emulated ? EMULATION_SLOWDOWN : 1);
    const floor = emulated ? MIN_EMULATED_CELL_LIMIT_S : MIN_CELL_LIMIT_S;
    const byEstimate = Math.max(floor, Math.ceil(LIMIT_FACTOR * (scaled + CELL_OVERHEAD_S)));
    const basis = `${LIMIT_FACTOR} × (the ${Math.round(expected)} s ${selection.name} is expected to take with these params${emulated ? `, × ${EMULATION_SLOWDOWN} under software emulation` : ""}, + ${CELL_OVERHEAD_S} s)`;
    const w = getWorkload(selection.name);
    const bound = w.boundS?.({ ...w.defaults, ...selection.params });
    if (bound !== undefined && Math.ceil(bound + CELL_OVERHEAD_S) > byEstimate) {
        return {
            limitS: Math.ceil(bound + CELL_OVERHEAD_S),
            source: `the default, the ${Math.round(bound)} s ${selection.name}'s own timeouts allow with these params + ${CELL_OVERHEAD_S} s, more than ${basis} (${fix})`,
        };
    }
    return { limitS: byEstimate, source: `the default, ${basis}, at least ${floor} s (${fix})` };
}

/**
 * The CPUs an environment's workloads see, which work spread over all of them divides by: a
 * guest's vCPUs, a container's cpuset, else the host's.
 */
export function environmentCpus(e: EnvironmentSpec | undefined, hostCpus: number): number {
    if (e && isGuest(e)) return e.kvm.vcpus;
    const cpuset = e?.kind === "docker" ? e.docker.limits.cpuset : undefined;
    return cpuset ? parseCpuset(cpuset).length : hostCpus;
}

/**
 * Seconds of measured work in one cell: the workload's estimate with its defaults filled in,
 * times the instances of an `instances` sweep (N simultaneous copies on shared cores may each run
 * N times slower); a workload that makes its own clones (lifecycle) counts its sweep itself.
 * @param cpus the environment's CPUs when known (Workload.expectedS); the limit passes none
 */
export function expectedCellS(selection: Pick<WorkloadSelection, "name" | "params">, cpus?: number): number | undefined {
    const w = getWorkload(selection.name);
    const params = { ...w.defaults, ...selection.params };
    const one = w.expectedS(params, cpus);
    if (one === undefined) return undefined;
    const sweep = w.needsClones ? undefined : instanceSweep(w.name, params);
    return one * (sweep ? sweep.reduce((a, b) => a + b, 0) : 1);
}

/** What fixes the length of a cell of this selection (Workload.lengthFixedBy), its defaults filled in. */
export function cellLengthFixedBy(selection: Pick<WorkloadSelection, "name" | "params">): LengthFixedBy {
    const w = getWorkload(selection.name);
    return w.lengthFixedBy({ ...w.defaults, ...selection.params });
}
