/**
 * Runs the Pulumi CLI for a stack on the embedded local backend: file state under .state/pulumi
 * (or $PULUMI_BACKEND_URL) and the passphrase secrets provider, so no Pulumi Cloud account is needed.
 */
import * as fs from "fs";
import * as path from "path";
import { spawn, spawnSync } from "child_process";
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

/** How a run of pulumi ended: its exit code, and the signals this process received meanwhile. */
export interface PulumiExit {
    readonly code: number;
    readonly signals: number;
}

/**
 * Runs pulumi with inherited stdio; resolves with its exit code.
 *
 * Pulumi runs in a process group of its own, so a Ctrl-C reaches it once, through this process,
 * whatever sent it: Ctrl-C in the terminal, `kill <isobench pid>`, a hang-up. The first SIGINT,
 * SIGTERM or SIGHUP becomes one SIGINT to Pulumi, which lets the running step finish and cancels
 * the rest; a second one is passed on too (Pulumi then stops at once) and `onHardStop` runs so the
 * caller can end what Pulumi leaves. Either way this waits for Pulumi to exit.
 * @param onStart gets Pulumi's pid as soon as it runs
 */
export function runPulumi(
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    hooks: { readonly onStart?: (pid: number) => void; readonly onHardStop?: () => void; readonly say?: (line: string) => void } = {},
): Promise<PulumiExit> {
    return new Promise((resolve, reject) => {
        const child = spawn("pulumi", args, { cwd, env, stdio: "inherit", detached: true });
        let signals = 0;
        const onSignal = (sig: NodeJS.Signals) => {
            signals++;
            const say = hooks.say ?? ((l: string) => process.stderr.write(`${l}\n`));
            if (signals === 1) say(`[isobench] ${sig}: stopping after the running step (send it again to stop at once; nothing measured is lost)`);
            else say(`[isobench] ${sig} again: stopping now; the next isobench up clears what is left and measures the rest`);
            try {
                if (child.pid !== undefined) process.kill(child.pid, "SIGINT");
            } catch {
                /* pulumi already exited */
            }
            if (signals === 2) hooks.onHardStop?.();
        };
        const sigs: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
        for (const s of sigs) process.on(s, onSignal);
        const done = () => {
            for (const s of sigs) process.off(s, onSignal);
        };
        child.on("spawn", () => {
            if (child.pid !== undefined) hooks.onStart?.(child.pid);
        });
        child.on("error", (e) => {
            done();
            reject(e);
        });
        child.on("close", (code) => {
            done();
            resolve({ code: code ?? 1, signals });
        });
    });
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

/**
 * Creates the stack in the backend unless its state is already there: `up` and `destroy` name the
 * stack explicitly, so selecting an existing one only cost a pulumi start (~0.2 s of a no-change up).
 */
export function selectStack(stack: string, cwd: string, env: NodeJS.ProcessEnv): void {
    const state = stackStateFile(projectName(cwd), stack, env);
    if (state && (fs.existsSync(state) || fs.existsSync(`${state}.gz`))) return;
    const r = spawnSync("pulumi", ["stack", "select", "--create", stack, "--secrets-provider", "passphrase", "--non-interactive"], {
        cwd,
        env,
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`pulumi stack select ${stack} failed: ${r.error ? r.error.message : (r.stderr || r.stdout).trim()}`);
}
