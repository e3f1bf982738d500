/**
 * `up` and `destroy` of a stack through Pulumi's Automation API: a LocalWorkspace on this checkout
 * (its Pulumi.yaml, stacks/ as stackConfigDir) with the environment of every pulumi call
 * (experiment/pulumi-cli.ts pulumiEnv: the local backend, the passphrase, .tools/bin on PATH), the
 * engine's events for progress, and an AbortSignal for Ctrl-C. Nothing is written into the
 * checkout, so a plain `pulumi up --stack <name>` keeps working beside it.
 *
 * The Automation API starts the pulumi CLI itself. It is given a PulumiCommand whose `run` starts
 * it the way a measurement needs, which the stock one (execa, the caller's process group, output
 * through pipes) does not:
 *  - in a process group of its own, so a terminal's Ctrl-C reaches Pulumi once, through isobench
 *    (a second SIGINT would make Pulumi stop at once instead of after the running cell);
 *  - for up and destroy, with its output going straight into a log file in the results folder:
 *    if isobench dies (kill -9, a closed terminal) Pulumi goes on measuring, which a pipe whose
 *    reader is gone would end with SIGPIPE; the engine events go over gRPC, whose loss Pulumi
 *    only logs;
 *  - with its pid reported as it starts, so the measurement lock can watch it (measure-lock.ts),
 *    and named `pulumi` in its argv, as a user and `isobench leftovers` see it.
 * `run` is the Automation API's internal interface (Pulumi 3.259.0, pinned in package.json);
 * test/unit/pulumi-automation.test.ts drives a real LocalWorkspace through it with a stand-in
 * pulumi, so a changed interface fails there.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { EngineEvent, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { UserError } from "../core/errors";

/** How a run of pulumi ended: its exit code, and the signals this process received meanwhile. */
export interface PulumiExit {
    readonly code: number;
    readonly signals: number;
}

export interface OperationHooks {
    /** Pulumi's pid as soon as the up or destroy starts. */
    readonly onStart?: (pid: number) => void;
    readonly onEvent?: (e: EngineEvent) => void;
    /** After the second signal, once Pulumi was told to stop at once. */
    readonly onHardStop?: () => void;
    readonly say?: (line: string) => void;
}

/** The shape of the Automation API's internal command result (automation/cmd.js CommandResult). */
interface CommandResult {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
    readonly err?: Error;
    toString(): string;
}

/** Operations whose output goes to the log file, and whose pid the lock watches. */
const LONG_OPERATIONS = new Set(["up", "destroy", "refresh", "preview"]);

/** The pulumi executable `env`'s PATH finds first. */
export function pulumiOnPath(env: NodeJS.ProcessEnv): string | undefined {
    for (const d of (env.PATH ?? "").split(":")) {
        const p = d && path.join(d, "pulumi");
        if (p && fs.existsSync(p)) return p;
    }
    return undefined;
}

/**
 * The PulumiCommand of the Automation API, started as described above. `interrupt` sends the
 * running long operation another SIGINT (the second Ctrl-C).
 */
export class IsobenchPulumi {
    private running?: ChildProcess;
    /** Gets Pulumi's pid as an up or destroy starts (the measurement lock watches it). */
    onStart: (pid: number) => void = () => undefined;

    constructor(
        readonly command: string,
        /** The CLI's version, as the Automation API reads it (`toString`). */
        readonly version: { toString(): string },
        private readonly logFile: string,
    ) {}

    /** Called by the Automation API for every pulumi command (automation/cmd.js PulumiCommand.run). */
    run(
        args: string[],
        cwd: string,
        additionalEnv: Record<string, string>,
        onOutput?: (data: string) => void,
        onError?: (data: string) => void,
        signal?: AbortSignal,
    ): Promise<CommandResult> {
        if (!args.includes("--non-interactive")) args.push("--non-interactive");
        const long = LONG_OPERATIONS.has(args[0]);
        // additionalEnv is the workspace's whole environment (pulumiEnv), not additions to this process's.
        const env = { ...additionalEnv, PULUMI_AUTOMATION_API: "true" };
        let logFd: number | undefined;
        if (long) {
            fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
            logFd = fs.openSync(this.logFile, "a");
            fs.writeSync(logFd, `\n=== ${new Date().toISOString()} pulumi ${args.join(" ")}\n`);
        }
        const child = spawn(this.command, args, {
            cwd,
            env,
            argv0: "pulumi",
            detached: true,
            stdio: long ? ["ignore", logFd!, logFd!] : ["ignore", "pipe", "pipe"],
        });
        if (logFd !== undefined) fs.closeSync(logFd);
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (d: Buffer) => {
            stdout += d;
            onOutput?.(d.toString());
        });
        child.stderr?.on("data", (d: Buffer) => {
            stderr += d;
            onError?.(d.toString());
        });
        const abort = () => this.signal(child);
        signal?.addEventListener("abort", abort);
        if (long) this.running = child;
        return new Promise((resolve, reject) => {
            child.on("spawn", () => {
                if (long && child.pid !== undefined) this.onStart(child.pid);
            });
            child.on("error", (err) => {
                signal?.removeEventListener("abort", abort);
                reject(commandError({ stdout, stderr: `${stderr}${err.message}`, code: -2, err }));
            });
            child.on("close", (code) => {
                signal?.removeEventListener("abort", abort);
                if (this.running === child) this.running = undefined;
                const result = { stdout, stderr: long ? `${stderr}(pulumi's output: ${this.logFile})` : stderr, code: code ?? 1 };
                if (result.code === 0) resolve(withToString(result));
                else reject(commandError(result));
            });
        });
    }

    /** Another SIGINT to the running up or destroy: Pulumi then stops at once. */
    interrupt(): void {
        if (this.running) this.signal(this.running);
    }

    private signal(child: ChildProcess): void {
        try {
            if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGINT");
        } catch {
            /* already gone */
        }
    }
}

function withToString(r: Omit<CommandResult, "toString">): CommandResult {
    return { ...r, toString: () => `code: ${r.code}\n stdout: ${r.stdout}\n stderr: ${r.stderr}\n` };
}

/** The Automation API's own error for a failed command (StackNotFoundError and the like are told apart by it). */
function commandError(r: Omit<CommandResult, "toString">): Error {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const errors = require("@pulumi/pulumi/automation/errors") as { createCommandError(r: CommandResult): Error };
    return errors.createCommandError(withToString(r));
}

/** The exit code of a failed Automation API command, when it is one. */
export function exitCodeOf(e: unknown): number | undefined {
    const r = (e as { commandResult?: { code?: unknown } } | undefined)?.commandResult;
    return typeof r?.code === "number" ? r.code : undefined;
}

/** The pulumi CLI's version ("3.259.0"), as `pulumi version` prints it. */
function cliVersion(command: string, env: NodeJS.ProcessEnv): string {
    const r = spawnSync(command, ["version"], { env: { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" }, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${command} version failed: ${r.error?.message ?? r.stderr.trim()}`);
    return r.stdout.trim().replace(/^v/, "");
}

export interface StackSession {
    readonly stack: Stack;
    readonly pulumi: IsobenchPulumi;
}

/**
 * Selects `stackName` in a LocalWorkspace on `workDir`, creating it (passphrase secrets) when the
 * backend has none yet.
 * @param logFile where up and destroy write Pulumi's output
 */
export async function openStack(stackName: string, workDir: string, env: NodeJS.ProcessEnv, logFile: string): Promise<StackSession> {
    const command = pulumiOnPath(env);
    if (!command) throw new Error("the pulumi CLI was not found on PATH");
    const pulumi = new IsobenchPulumi(command, cliVersion(command, env), logFile);
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const envVars = Object.fromEntries(Object.entries(env).filter((kv): kv is [string, string] => kv[1] !== undefined));
    try {
        const stack = await LocalWorkspace.createOrSelectStack(
            { stackName, workDir },
            { envVars, secretsProvider: "passphrase", pulumiCommand: pulumi as unknown as PulumiCommand },
        );
        return { stack, pulumi };
    } catch (e) {
        const r = (e as { commandResult?: { stderr?: string; stdout?: string } }).commandResult;
        if (!r) throw e;
        throw new UserError(
            `pulumi stack select ${stackName} failed: ${(r.stderr || r.stdout || "").trim()}. Fix: check the backend (${env.PULUMI_BACKEND_URL ?? "PULUMI_BACKEND_URL"}) and the passphrase (PULUMI_CONFIG_PASSPHRASE)`,
        );
    }
}

/**
 * Runs up or destroy of the session's stack and resolves with Pulumi's exit code.
 *
 * The first SIGINT, SIGTERM or SIGHUP this process gets aborts the operation (the Automation
 * API's AbortSignal: one SIGINT to Pulumi, which lets the running step finish and cancels the
 * rest); a second one is passed on too (Pulumi then stops at once) and `onHardStop` runs so the
 * caller can end what Pulumi leaves. Either way this waits for Pulumi to exit.
 */
export async function runOperation(
    session: StackSession,
    op: "up" | "destroy",
    opts: { readonly replace?: readonly string[] },
    hooks: OperationHooks = {},
): Promise<PulumiExit> {
    const abort = new AbortController();
    let signals = 0;
    const say = hooks.say ?? ((l: string) => process.stderr.write(`${l}\n`));
    const onSignal = (sig: NodeJS.Signals) => {
        signals++;
        if (signals === 1) {
            say(`[isobench] ${sig}: stopping after the running step (send it again to stop at once; nothing measured is lost)`);
            abort.abort();
        } else {
            say(`[isobench] ${sig} again: stopping now; the next isobench up clears what is left and measures the rest`);
            session.pulumi.interrupt();
            if (signals === 2) hooks.onHardStop?.();
        }
    };
    const sigs: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    for (const s of sigs) process.on(s, onSignal);
    const onEvent = hooks.onEvent ?? (() => undefined);
    try {
        if (op === "up") await session.stack.up({ onEvent, signal: abort.signal, ...(opts.replace?.length ? { replace: [...opts.replace] } : {}) });
        else await session.stack.destroy({ onEvent, signal: abort.signal });
        return { code: 0, signals };
    } catch (e) {
        const code = exitCodeOf(e);
        if (code === undefined) throw e;
        return { code: code === 0 ? 1 : code, signals };
    } finally {
        for (const s of sigs) process.off(s, onSignal);
    }
}
