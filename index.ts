/**
 * isobench Pulumi program: one stack = one experiment. Thin on purpose: load and validate the
 * spec, gather host facts (refusing what the host cannot do), declare the experiment.
 */
import * as pulumi from "@pulumi/pulumi";
import { isobenchKeys, parseSpec } from "./experiment/spec";
import { gatherHost } from "./experiment/host";
import { declareExperiment } from "./experiment/program";
import { checkResults } from "./experiment/results-preflight";
import { withAddedRepetitions } from "./experiment/precision-run";

// The same reading of the stack file as the CLI's preflight (experiment/stack-file.ts).
const stackSpec = parseSpec(pulumi.getStack(), isobenchKeys(pulumi.runtime.allConfig(), pulumi.getStack()));
const host = gatherHost(stackSpec, { log: (l) => pulumi.log.info(l) });
// With the repetitions isobench:precision added in earlier passes (repetitions.json), so no up drops their cells.
const spec = withAddedRepetitions(stackSpec, host);
// Before any resource: results measured under another definition are refused, not kept.
const experiment = declareExperiment(spec, host, checkResults(spec, host));

export const resultsDir = experiment.resultsDir;
export const accel = host.accel;
export const environments = experiment.environments.map((e) => ({ name: e.name, kind: e.envKind, variant: e.variant, accel: e.accel }));
export const cells = experiment.cellIds.length;
export const readyReports = experiment.readyReports;
export const overheadTable = experiment.overheadTable;
