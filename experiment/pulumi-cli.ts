/**
 * Runs the Pulumi CLI for a stack on the embedded local backend: file state under .state/pulumi
 * (or $PULUMI_BACKEND_URL) and the passphrase secrets provider, so no Pulumi Cloud account is needed.
 */
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { stateDir as stateDirOf } from "./paths";

export function pulumiEnv(repoRoot: string): NodeJS.ProcessEnv {
    const stateDir = stateDirOf(repoRoot);
    const backendDir = path.join(stateDir, "pulumi");
    fs.mkdirSync(backendDir, { recursive: true });
    return {
        ...process.env,
        PATH: `${path.join(repoRoot, ".tools", "bin")}:${process.env.PATH ?? ""}`,
        PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${backendDir}`,
        // The default passphrase only protects nothing-secret local state; set your own to keep secrets.
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? (process.env.PULUMI_CONFIG_PASSPHRASE_FILE ? undefined : "isobench"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: process.env.PULUMI_HOME ?? path.join(stateDir, "pulumi-home"),
    };
}

export function pulumiAvailable(env: NodeJS.ProcessEnv): string | undefined {
    const r = spawnSync("pulumi", ["version"], { env, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Runs pulumi with inherited stdio; resolves with its exit code. */
export function runPulumi(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", args, { cwd, env, stdio: "inherit" });
        child.on("error", reject);
        child.on("close", (code) => resolve(code ?? 1));
    });
}

export function selectStack(stack: string, cwd: string, env: NodeJS.ProcessEnv): void {
    const r = spawnSync("pulumi", ["stack", "select", "--create", stack, "--secrets-provider", "passphrase", "--non-interactive"], { cwd, env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`pulumi stack select ${stack} failed: ${(r.stderr || r.stdout).trim()}`);
}
