/**
 * The planned cells as the runner gets them: each with its environment's handle, the stack's
 * guests and its fingerprint. Pure: the program declares one resource per invocation, and the
 * CLI's preflight checks the fingerprints against the results before anything is provisioned.
 */
import { groupStarts, planCells } from "./plan";
import type { ExperimentSpec } from "./spec";
import type { CellInvocation } from "./runner";
import type { EnvironmentPlan } from "./environment-handles";
import { inGuest } from "../environments/exec-target";
import { getWorkload } from "../workloads";
import { cellFingerprint } from "./fingerprint";
import { cellLimit } from "./cell-limit";

export function planInvocations(spec: ExperimentSpec, resultsDir: string, plans: readonly EnvironmentPlan[]): CellInvocation[] {
    const guests = plans.flatMap((p) => (inGuest(p.handle.target) ? [p.handle.target.domain] : []));
    const cells = planCells(spec);
    const starts = groupStarts(cells);
    const guestSshKey = plans.flatMap((p) => (inGuest(p.handle.target) ? [p.handle.target.sshKey] : []))[0];
    return cells.map((cell) => {
        const plan = plans.find((p) => p.handle.name === cell.environment)!;
        const params = cell.workload.params;
        return {
            stack: spec.stack,
            runId: spec.runId,
            resultsDir,
            cellId: cell.id,
            workload: cell.workload.name,
            params,
            repetition: cell.repetition,
            env: plan.handle,
            guests,
            // Only under grouped: an interleaved stack's cells keep the arguments they were declared with.
            ...(spec.schedule === "grouped" && { schedule: "grouped" as const, groupStart: starts.has(cell.id), ...(guestSshKey && { guestSshKey }) }),
            onFailure: spec.onCellFailure,
            limit: cellLimit(spec, cell.workload, plan.handle.accel),
            fingerprint: cellFingerprint({
                workload: cell.workload.name,
                params: { ...getWorkload(cell.workload.name).defaults, ...params },
                variant: plan.handle.variant,
                images: plan.images,
            }),
        };
    });
}
