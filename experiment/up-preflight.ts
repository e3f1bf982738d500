/**
 * The part of `isobench up` before Pulumi starts. The stack file is checked first and completely
 * (name, size, YAML, every key and value: SpecError), because a refused stack must leave nothing
 * behind; host-relative guest sizes are resolved then against the host's shape (CPUs, sockets,
 * memory: read from sysfs and /proc, nothing written). Only a valid stack goes on to the host
 * preflight (experiment/host.ts), and only a stack that passes both reaches `pulumi stack select`,
 * the first step that writes anything.
 */
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../core/errors";
import { REPO_ROOT, STACK_CONFIG_DIR } from "../core/paths";
import type { ExperimentSpec } from "./spec";
import { loadStackSpec, stackFile } from "./stack-file";
import { machineShape } from "./host-shape-read";

/**
 * The validated spec of `stack` read from `stacksDir`.
 * @throws SpecError for anything wrong in the stack file; UserError for a valid stack outside the
 * checkout's stacks/ folder, which Pulumi would not read (it would run a different file, or none)
 */
export function validateForUp(stacksDir: string, stack: string, repoRoot: string = REPO_ROOT): ExperimentSpec {
    const spec = loadStackSpec(stacksDir, stack, machineShape);
    const own = path.join(repoRoot, STACK_CONFIG_DIR);
    // Real paths: the checkout's stacks/ reached through a symbolic link is still the folder Pulumi reads.
    const real = (p: string) => (fs.existsSync(p) ? fs.realpathSync(p) : path.resolve(p));
    if (real(stacksDir) !== real(own)) {
        throw new UserError(
            `stack "${stack}" in ${stacksDir} is valid, but Pulumi reads stack files only from ${own} (Pulumi.yaml stackConfigDir), so it is not run. Fix: move ${stackFile(stacksDir, stack)} into ${own}/ and unset ISOBENCH_STACKS_DIR`,
        );
    }
    return spec;
}
