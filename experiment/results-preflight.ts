/**
 * Before anything is provisioned: the plan's cells against what the run's results folder already
 * holds. A CSV measured under another definition is refused (it would be kept, and its old numbers
 * reported under the new definition); `--remeasure` sets chosen cells aside first. Used by the
 * CLI's `up` and by the Pulumi program itself, so a plain `pulumi up` refuses the same way.
 */
import * as path from "path";
import type { ExperimentSpec } from "./spec";
import type { HostContext } from "./program";
import type { CellInvocation } from "./runner";
import { environmentPlans } from "./environment-handles";
import { planInvocations } from "./cell-invocations";
import { staleCells, staleCellsMessage } from "./fingerprint";
import { readResultsState, ResultsState, supersede } from "./results-state";
import { StaleResultsError, UserError } from "../core/errors";
import { didYouMean } from "../core/closest";

/** results/<stack>/<runId>/ under the host's results root. */
export function runResultsDir(spec: Pick<ExperimentSpec, "stack" | "runId">, host: Pick<HostContext, "resultsRoot">): string {
    return path.join(host.resultsRoot, spec.stack, spec.runId);
}

export function plannedInvocations(spec: ExperimentSpec, host: HostContext): CellInvocation[] {
    return planInvocations(spec, runResultsDir(spec, host), environmentPlans(spec, host));
}

/**
 * The folder's state for the program; throws StaleResultsError listing the cells measured under
 * another definition. holdFailed: results-state.ts HOLD_FAILED_ENV.
 */
export function checkResults(
    spec: ExperimentSpec,
    host: HostContext,
    opts: { readonly holdFailed?: boolean } = {},
): ResultsState & { readonly failed: readonly string[] } {
    const invs = plannedInvocations(spec, host);
    const { state, fingerprints, failed } = readResultsState(
        runResultsDir(spec, host),
        invs.map((i) => i.cellId),
        opts,
    );
    const stale = staleCells(invs, fingerprints);
    if (stale.length > 0) throw new StaleResultsError(staleCellsMessage(spec.stack, spec.runId, stale));
    return { ...state, failed };
}

/**
 * `up --remeasure <cells>`: moves each named cell's CSV (or error) and raw files into superseded/,
 * so the up measures it again. `stale` names every cell measured under another definition.
 * Unknown cell ids are refused with the closest planned one before anything moves.
 * @returns one line per cell set aside
 */
export function remeasure(spec: ExperimentSpec, host: HostContext, which: string): string[] {
    const invs = plannedInvocations(spec, host);
    const dir = runResultsDir(spec, host);
    const ids = invs.map((i) => i.cellId);
    let chosen: string[];
    if (which === "stale") {
        chosen = staleCells(invs, readResultsState(dir, ids).fingerprints).map((s) => s.cellId);
    } else {
        chosen = which.split(",").map((c) => c.trim());
        const unknown = chosen.filter((c) => !ids.includes(c));
        if (unknown.length > 0 || chosen.some((c) => c === "")) {
            throw new UserError(
                `--remeasure: ${unknown.map((c) => `"${c}" is not a cell of stack ${spec.stack}'s plan${didYouMean(c, ids)}`).join("; ") || "empty cell id"}. Fix: name planned cells (<workload>.<environment>.r<repetition>, comma-separated), or stale`,
            );
        }
    }
    return chosen.flatMap((c) => {
        const to = supersede(dir, c, `isobench up ${spec.stack} --remeasure: set aside to be measured again`);
        return to ? [`${c}: set aside in ${to}`] : [`${c}: nothing measured yet`];
    });
}
