/**
 * How every pulumi call finds the CLI and the embedded local backend: file state under .state/pulumi
 * (or $PULUMI_BACKEND_URL) and the passphrase secrets provider, so no Pulumi Cloud account is needed.
 * `up` and `destroy` drive it through the Automation API (experiment/pulumi-automation.ts).
 */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { ensurePrivateDir, stateDir as stateDirOf } from "../core/paths";

/**
 * The passphrase the checked-in stack files were made with: each carries the `encryptionsalt` of
 * it, and Pulumi refuses any other passphrase for them ("incorrect passphrase"). So it stays the
 * default, and the stack's secrets (the database password) are as private as the state folder
 * (.state, 0700) unless the user sets a passphrase of their own (docs: README "On a shared machine").
 */
export const DEFAULT_PASSPHRASE = "isobench";

/** How Pulumi gets the passphrase: the user's PULUMI_CONFIG_PASSPHRASE(_FILE) when set, otherwise the default. */
export function passphraseEnv(env: NodeJS.ProcessEnv = process.env): { PULUMI_CONFIG_PASSPHRASE?: string; PULUMI_CONFIG_PASSPHRASE_FILE?: string } {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE };
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE };
    return { PULUMI_CONFIG_PASSPHRASE: DEFAULT_PASSPHRASE };
}

/** The environment of every pulumi call, from `base` (this process's environment unless given). */
export function pulumiEnv(repoRoot: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
    const stateDir = stateDirOf(repoRoot);
    ensurePrivateDir(stateDir);
    const backendDir = path.join(stateDir, "pulumi");
    fs.mkdirSync(backendDir, { recursive: true, mode: 0o700 });
    const { PULUMI_CONFIG_PASSPHRASE: _p, PULUMI_CONFIG_PASSPHRASE_FILE: _f, ...rest } = base;
    return {
        ...rest,
        PATH: `${path.join(repoRoot, ".tools", "bin")}:${base.PATH ?? ""}`,
        PULUMI_BACKEND_URL: base.PULUMI_BACKEND_URL ?? `file://${backendDir}`,
        ...passphraseEnv(base),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: base.PULUMI_HOME ?? path.join(stateDir, "pulumi-home"),
    };
}

/** The Pulumi CLI's version, or undefined when it does not run (doctor). */
export function pulumiAvailable(env: NodeJS.ProcessEnv): string | undefined {
    const r = spawnSync("pulumi", ["version"], { env, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Where the file backend keeps a stack's state (project-scoped layout), or undefined when the
 * backend is not a local folder. Pulumi writes it on `stack select --create`.
 */
export function stackStateFile(project: string, stack: string, env: NodeJS.ProcessEnv): string | undefined {
    const url = env.PULUMI_BACKEND_URL ?? "";
    if (!url.startsWith("file://")) return undefined;
    return path.join(url.slice("file://".length), ".pulumi", "stacks", project, `${stack}.json`);
}

/** The Pulumi project's name (Pulumi.yaml `name:`), under which the backend files its stacks. */
export function projectName(cwd: string): string {
    const name = /^name:\s*(\S+)/m.exec(fs.readFileSync(path.join(cwd, "Pulumi.yaml"), "utf8"))?.[1];
    if (!name) throw new Error(`${path.join(cwd, "Pulumi.yaml")} has no name: line`);
    return name;
}
