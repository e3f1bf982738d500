/** Reads and validates stacks/Pulumi.<stack>.yaml before Pulumi is started. */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ExperimentSpec, SpecError, isobenchKeys, parseSpec } from "./spec";

export function availableStacks(stacksDir: string): string[] {
    return fs.existsSync(stacksDir)
        ? fs.readdirSync(stacksDir).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort()
        : [];
}

export function stackFile(stacksDir: string, stack: string): string {
    return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/** @throws SpecError for an unknown stack, malformed YAML or an invalid config. */
export function loadStackSpec(stacksDir: string, stack: string): ExperimentSpec {
    const file = stackFile(stacksDir, stack);
    if (!fs.existsSync(file)) {
        throw new SpecError(`unknown stack "${stack}": ${file} does not exist. Available stacks: ${availableStacks(stacksDir).join(", ") || "(none)"}`);
    }
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    if (doc.errors.length > 0) {
        throw new SpecError(`${file} is not valid YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
    }
    const data = doc.toJS() as { config?: Record<string, unknown> } | null;
    if (!data || typeof data !== "object" || typeof data.config !== "object" || data.config === null) {
        throw new SpecError(`${file}: has no "config:" map; an experiment needs at least isobench:runId, isobench:environments and isobench:workloads`);
    }
    return parseSpec(stack, isobenchKeys(data.config, stack));
}
