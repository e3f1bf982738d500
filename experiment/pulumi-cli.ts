/**
 * Runs the Pulumi CLI for a stack on the embedded local backend: file state under .state/pulumi
 * (or $PULUMI_BACKEND_URL) and the passphrase secrets provider, so no Pulumi Cloud account is needed.
 */
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import { ensurePrivateDir, stateDir as stateDirOf } from "../core/paths";

/** The passphrase that was the default before each checkout got its own: stacks made then still use it. */
export const LEGACY_PASSPHRASE = "isobench";

/**
 * How Pulumi gets the passphrase that encrypts the stack's secrets (the database password): the
 * user's PULUMI_CONFIG_PASSPHRASE(_FILE) when set; otherwise this checkout's own random one in
 * .state/pulumi-passphrase (0600, made on first use), so a copy of the state alone does not give
 * the secrets away. A backend that already holds stacks and has no such file was made with the
 * old fixed default and keeps it (its secrets could not be decrypted otherwise).
 */
export function passphraseEnv(
    stateDir: string,
    backendDir: string,
    env: NodeJS.ProcessEnv = process.env,
): { PULUMI_CONFIG_PASSPHRASE?: string; PULUMI_CONFIG_PASSPHRASE_FILE?: string } {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return { PULUMI_CONFIG_PASSPHRASE: env.PULUMI_CONFIG_PASSPHRASE };
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return { PULUMI_CONFIG_PASSPHRASE_FILE: env.PULUMI_CONFIG_PASSPHRASE_FILE };
    const file = path.join(stateDir, "pulumi-passphrase");
    if (fs.existsSync(file)) return { PULUMI_CONFIG_PASSPHRASE_FILE: file };
    // A backend other than a folder cannot be looked into: it may hold stacks of the old default.
    if (env.PULUMI_BACKEND_URL && !env.PULUMI_BACKEND_URL.startsWith("file://")) return { PULUMI_CONFIG_PASSPHRASE: LEGACY_PASSPHRASE };
    const stacks = path.join(env.PULUMI_BACKEND_URL ? env.PULUMI_BACKEND_URL.slice("file://".length) : backendDir, ".pulumi", "stacks");
    if (fs.existsSync(stacks) && (fs.readdirSync(stacks, { recursive: true }) as string[]).some((f) => f.endsWith(".json"))) {
        return { PULUMI_CONFIG_PASSPHRASE: LEGACY_PASSPHRASE };
    }
    try {
        fs.writeFileSync(file, `${randomBytes(32).toString("hex")}\n`, { mode: 0o600, flag: "wx" });
    } catch (e) {
        // Another isobench made it first: use theirs.
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    return { PULUMI_CONFIG_PASSPHRASE_FILE: file };
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
        ...passphraseEnv(stateDir, backendDir, base),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_HOME: base.PULUMI_HOME ?? path.join(stateDir, "pulumi-home"),
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
    const r = spawnSync("pulumi", ["stack", "select", "--create", stack, "--secrets-provider", "passphrase", "--non-interactive"], {
        cwd,
        env,
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`pulumi stack select ${stack} failed: ${(r.stderr || r.stdout).trim()}`);
}
