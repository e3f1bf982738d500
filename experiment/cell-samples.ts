/**
 * One cell's samples from its parsed measurements: every number carries the cell's environment,
 * parameters, tool version, accel and the machine it ran on. Pure: the runner gathers the facts.
 */
import type { Measurement } from "../workloads/workload";
import type { ServerAddress } from "../core/endpoints";
import type { Sample } from "../core/samples";
import type { CellInvocation } from "./runner";
import type { MachineIdentity } from "../core/transport";

export interface CellSamplesInput {
    readonly inv: CellInvocation;
    /** The workload that ran (for an instances sweep: the clone-running one). */
    readonly workload: { readonly name: string; readonly tool: string; readonly notes: string };
    /** The cell's parameters with the workload's defaults filled in. */
    readonly params: Readonly<Record<string, number | string>>;
    readonly measurements: readonly Measurement[];
    readonly toolVersion: string;
    readonly startedAt: Date;
    readonly durationS: number;
    /** The machine columns of a sample: the machine under test's identity. */
    readonly machine: MachineIdentity;
    /** The host name of the machine that drove the run (isobench's controller). */
    readonly controller: string;
    /** The server address the host-side client used, when there was a server. */
    readonly addr?: ServerAddress;
    /** Set when the cell ran simultaneous clones of this environment (an instances sweep). */
    readonly clonesOf?: string;
    /** Under the grouped schedule, the planned boot of the cell's guest before it (guest-schedule.ts), for the notes. */
    readonly plannedBoot?: string;
}

export function cellSamples(c: CellSamplesInput): Sample[] {
    const { inv } = c;
    const env = inv.env;
    const paramText = (point?: Readonly<Record<string, number | string>>) =>
        Object.entries({ ...c.params, ...point })
            .map(([k, v]) => `${k}=${v}`)
            .join(";");
    return c.measurements.map((m) => ({
        run_id: inv.runId,
        stack: inv.stack,
        cell_id: inv.cellId,
        environment: env.name,
        env_kind: env.envKind,
        variant: env.variant,
        workload: c.workload.name,
        params: paramText(m.point),
        repetition: inv.repetition,
        metric: m.metric,
        value: m.value,
        unit: m.unit,
        better: m.better,
        started_at: c.startedAt.toISOString(),
        duration_s: Math.round(c.durationS * 1000) / 1000,
        tool: c.workload.tool,
        tool_version: c.toolVersion,
        accel: env.accel,
        ...c.machine,
        notes: [
            c.workload.notes,
            c.addr ? `client on host, server at ${c.addr.host}:${c.addr.port}` : "",
            c.clonesOf !== undefined ? `${m.point?.instances ?? ""} simultaneous instances (clones of ${c.clonesOf})` : "",
            c.plannedBoot ?? "",
        ]
            .filter((n) => n !== "")
            .join("; "),
        fingerprint: inv.fingerprint,
        controller: c.controller,
    }));
}
