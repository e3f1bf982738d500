/**
 * isobench Pulumi program: one stack = one experiment. Thin on purpose: load and validate the
 * spec, gather host facts (refusing what the host cannot do), declare the experiment.
 */
import * as pulumi from "@pulumi/pulumi";
import { configValue, parseSpec } from "./experiment/spec";
import { gatherHost } from "./experiment/host";
import { declareExperiment } from "./experiment/program";

function isobenchConfig(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(pulumi.runtime.allConfig())) {
        if (!key.startsWith("isobench:")) continue;
        const k = key.slice("isobench:".length);
        out[k] = configValue(k, raw);
    }
    return out;
}

const spec = parseSpec(pulumi.getStack(), isobenchConfig());
const host = gatherHost(spec, { log: (l) => pulumi.log.info(l) });
const experiment = declareExperiment(spec, host);

export const resultsDir = experiment.resultsDir;
export const accel = host.accel;
export const environments = experiment.environments.map((e) => ({ name: e.name, kind: e.envKind, variant: e.variant, accel: e.accel }));
export const cells = experiment.cellIds.length;
export const readyReports = experiment.readyReports;
export const overheadTable = experiment.overheadTable;
