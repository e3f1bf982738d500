/**
 * isobench Pulumi program: one stack = one experiment. Thin on purpose: load and validate the
 * spec, gather host facts (refusing what the host cannot do), declare the experiment.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { isobenchKeys, parseSpec } from "./experiment/spec";
import { emulationBanner, gatherHost } from "./experiment/host";
import { machineShape } from "./experiment/host-shape-read";
import { declareExperiment } from "./experiment/program";
import { checkResults, runResultsDir } from "./experiment/results-preflight";
import { HOLD_FAILED_ENV } from "./experiment/results-state";
import { recordRunProvenance } from "./experiment/provenance-record";
import { appendProgress } from "./experiment/progress-log";
import { withAddedRepetitions } from "./experiment/precision-run";
import { STACK_CONFIG_DIR } from "./core/paths";
import { findRepoRoot } from "./core/repo-root";

// The same reading of the stack file as the CLI's preflight (experiment/stack-file.ts).
const stackSpec = parseSpec(pulumi.getStack(), isobenchKeys(pulumi.runtime.allConfig(), pulumi.getStack()), machineShape);
const host = gatherHost(stackSpec, { log: (l) => pulumi.log.info(l) });
const banner = emulationBanner(stackSpec, host.accel, process.env);
if (banner) pulumi.log.warn(banner);
// With the repetitions isobench:precision added in earlier passes (repetitions.json), so no up drops their cells.
const spec = withAddedRepetitions(stackSpec, host);
// Before any resource: results measured under another definition are refused, not kept.
// Within one up's precision passes, cells that failed in its first pass wait for the next up.
const results = checkResults(spec, host, { holdFailed: process.env[HOLD_FAILED_ENV] === "1" });
// Every pass that measures (not a preview) records what defines the run before its first resource.
// The stack file is in the project's stacks/: the project root as Pulumi names it, or (language hosts
// that do not name it, or name it wrongly: the one setup builds says "rootDirectory") the project
// around main, where the program runs (build/).
if (!pulumi.runtime.isDryRun()) {
    const dir = runResultsDir(spec, host);
    const named = pulumi.runtime.getRootDirectory();
    const project = path.isAbsolute(named) && fs.existsSync(path.join(named, "Pulumi.yaml")) ? named : findRepoRoot(process.cwd());
    appendProgress(dir, recordRunProvenance(stackSpec, host, dir, path.join(project, STACK_CONFIG_DIR, `Pulumi.${spec.stack}.yaml`)));
}
const experiment = declareExperiment(spec, host, results);

export const resultsDir = experiment.resultsDir;
export const accel = host.accel;
export const environments = experiment.environments.map((e) => ({ name: e.name, kind: e.envKind, variant: e.variant, accel: e.accel }));
export const cells = experiment.cellIds.length;
export const readyReports = experiment.readyReports;
export const overheadTable = experiment.overheadTable;
