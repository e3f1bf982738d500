/**
 * The machine a stack measures, as a transport: the stack-level steps (preflight, host facts)
 * reach it through the one this returns, as cells reach it through their handles' `machine`.
 */
import { LOCAL_TARGET, Target } from "../core/transport";
import { Transport, transportTo } from "../environments/transport";
import type { ExperimentSpec } from "./spec";

/** The stack's machine under test: this machine until stacks can name another (issue 20). */
export function stackTarget(_spec: Pick<ExperimentSpec, "stack">): Target {
    return LOCAL_TARGET;
}

/** The transport to the stack's machine under test. */
export function stackTransport(spec: Pick<ExperimentSpec, "stack">): Transport {
    return transportTo(stackTarget(spec));
}
