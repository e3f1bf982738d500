/**
 * What a killed `isobench up` leaves, and how the next one clears it before it measures: plugin
 * processes that outlived their Pulumi, the stack's lock in the file backend, and operations
 * Pulumi had begun but not recorded as done. A half-created resource is removed (its own delete
 * script runs, as destroy would) rather than adopted, so the next `up` creates it afresh and
 * nothing that was only half made is ever measured.
 *
 * The decisions are pure functions of what was read (tested directly); `recoverStack` does the I/O.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { UserError } from "../core/errors";

/** Marks every process an `isobench up` starts: `<isobench pid>@<backend URL>`. */
export const RUN_OWNER_ENV = "ISOBENCH_RUN_OWNER";

export function runOwner(pid: number, backendUrl: string): string {
    return `${pid}@${backendUrl}`;
}

/** A lock file of the file backend: `{ pid, hostname, timestamp }` of the Pulumi that took it. */
export interface StackLock {
    readonly file: string;
    readonly pid: number;
    readonly hostname: string;
    readonly timestamp: string;
}

export type LockDecision = { readonly action: "clear"; readonly why: string } | { readonly action: "refuse"; readonly why: string };

/**
 * A lock is stale when the Pulumi that took it ran on this host and is gone; a live one, or one
 * from another host (a shared backend folder), is refused with what to do.
 */
export function lockDecision(lock: StackLock, stack: string, host: string, alive: (pid: number) => boolean): LockDecision {
    if (lock.hostname !== host) {
        return {
            action: "refuse",
            why: `stack ${stack} is locked by pulumi pid ${lock.pid} on host ${lock.hostname} since ${lock.timestamp}; isobench cannot tell from here whether it still runs. Fix: wait for it, or when it is gone, remove ${lock.file}`,
        };
    }
    if (alive(lock.pid)) {
        return {
            action: "refuse",
            why: `stack ${stack} is being updated by pulumi pid ${lock.pid} since ${lock.timestamp}. Fix: wait for it to finish, or stop it with kill -INT ${lock.pid} (then run isobench up ${stack} again)`,
        };
    }
    return { action: "clear", why: `pulumi pid ${lock.pid} that locked stack ${stack} at ${lock.timestamp} is gone` };
}

/** An operation Pulumi began and did not finish, as the state file records it. */
export interface PendingOperation {
    readonly type: string;
    readonly urn: string;
    /** The resource's delete script, for isobench's command resources that have one. */
    readonly deleteScript?: string;
    readonly environment?: Readonly<Record<string, string>>;
    readonly dir?: string;
}

/** The last path segment of a URN: the resource's name. */
export function resourceNameOf(urn: string): string {
    return urn.slice(urn.lastIndexOf("::") + 2);
}

/** Pending operations of an exported deployment (`pulumi stack export`, secrets shown or not). */
export function pendingOperations(exported: unknown): PendingOperation[] {
    const ops = (exported as { deployment?: { pending_operations?: unknown } })?.deployment?.pending_operations;
    if (!Array.isArray(ops)) return [];
    return ops.map((op: { type?: string; resource?: { urn?: string; inputs?: Record<string, unknown> } }) => {
        const inputs = op.resource?.inputs ?? {};
        const del = inputs.delete;
        const environment = inputs.environment;
        const dir = inputs.dir;
        return {
            type: String(op.type ?? ""),
            urn: String(op.resource?.urn ?? ""),
            ...(typeof del === "string" && del !== "" && { deleteScript: del }),
            ...(environment !== null && typeof environment === "object" && { environment: environment as Record<string, string> }),
            ...(typeof dir === "string" && { dir }),
        };
    });
}

/** The exported deployment without its pending operations (what `pulumi stack import` then gets). */
export function withoutPendingOperations(exported: Record<string, unknown>): Record<string, unknown> {
    const deployment = { ...(exported.deployment as Record<string, unknown>) };
    delete deployment.pending_operations;
    return { ...exported, deployment };
}

/** Whether process `pid` exists (a zombie counts as gone). */
export function processAlive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}

/** Processes whose environment carries an owner marker, and that marker. */
function markedProcesses(): Array<{ pid: number; owner: string }> {
    const out: Array<{ pid: number; owner: string }> = [];
    for (const e of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(e)) continue;
        let environ: string;
        try {
            environ = fs.readFileSync(`/proc/${e}/environ`, "latin1");
        } catch {
            continue;
        }
        const at = environ.indexOf(`${RUN_OWNER_ENV}=`);
        if (at < 0) continue;
        const end = environ.indexOf("\0", at);
        out.push({ pid: Number(e), owner: environ.slice(at + RUN_OWNER_ENV.length + 1, end < 0 ? undefined : end) });
    }
    return out;
}

/**
 * The processes left by `isobench up` runs of this backend whose isobench process is gone:
 * Pulumi's language host and providers, and whatever they started (cells, native servers).
 */
export function orphansOf(
    marked: ReadonlyArray<{ pid: number; owner: string }>,
    backendUrl: string,
    alive: (pid: number) => boolean,
    self = process.pid,
): number[] {
    return marked
        .filter(({ pid, owner }) => {
            const at = owner.indexOf("@");
            const ownerPid = Number(owner.slice(0, at));
            return pid !== self && owner.slice(at + 1) === backendUrl && ownerPid !== self && !alive(ownerPid);
        })
        .map((m) => m.pid);
}

/** The processes carrying `owner`'s mark, this one excepted. */
export function markedBy(owner: string): number[] {
    return markedProcesses()
        .filter((m) => m.owner === owner && m.pid !== process.pid)
        .map((m) => m.pid);
}

function sleep(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGTERM, up to `graceS` seconds to exit, then SIGKILL; returns the pids that needed SIGKILL. */
export function endProcesses(pids: readonly number[], graceS = 5): number[] {
    const signal = (sig: NodeJS.Signals) => {
        for (const p of pids) {
            try {
                process.kill(p, sig);
            } catch {
                /* already gone */
            }
        }
    };
    signal("SIGTERM");
    for (let i = 0; i < graceS * 10 && pids.some(processAlive); i++) sleep(100);
    const stubborn = pids.filter(processAlive);
    if (stubborn.length > 0) signal("SIGKILL");
    return stubborn;
}

export interface RecoveryReport {
    /** One line per thing cleared, for the terminal and progress.log. */
    readonly actions: readonly string[];
}

export interface RecoveryContext {
    readonly stack: string;
    readonly project: string;
    /** The environment every pulumi call gets (experiment/pulumi-cli.ts pulumiEnv). */
    readonly env: NodeJS.ProcessEnv;
    readonly cwd: string;
    readonly log: (line: string) => void;
}

/** The file backend's folder, or undefined when the backend is not a local folder. */
export function backendDir(env: NodeJS.ProcessEnv): string | undefined {
    const url = env.PULUMI_BACKEND_URL ?? "";
    return url.startsWith("file://") ? url.slice("file://".length) : undefined;
}

/** Where the file backend in `dir` keeps the lock files of `project`'s stacks, one folder per stack. */
export function locksDirOf(dir: string, project: string): string {
    return path.join(dir, ".pulumi", "locks", "organization", project);
}

/** The lock files of one stack in the file backend in `dir`. */
export function readLocks(dir: string, project: string, stack: string): StackLock[] {
    const locksDir = path.join(locksDirOf(dir, project), stack);
    if (!fs.existsSync(locksDir)) return [];
    return fs
        .readdirSync(locksDir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => {
            const file = path.join(locksDir, f);
            const j = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<StackLock>;
            return { file, pid: Number(j.pid), hostname: String(j.hostname ?? ""), timestamp: String(j.timestamp ?? "") };
        });
}

/** The latest deployment in the stack's state file, read directly (no pulumi start); undefined when the stack has none. */
function latestDeployment(dir: string, project: string, stack: string): { pending_operations?: unknown[]; resources?: Array<{ urn?: unknown }> } | undefined {
    const file = path.join(dir, ".pulumi", "stacks", project, `${stack}.json`);
    let text: string;
    if (fs.existsSync(file)) text = fs.readFileSync(file, "utf8");
    else if (fs.existsSync(`${file}.gz`)) text = zlib.gunzipSync(fs.readFileSync(`${file}.gz`)).toString("utf8");
    else return undefined;
    return (JSON.parse(text) as { checkpoint?: { latest?: ReturnType<typeof latestDeployment> } }).checkpoint?.latest;
}

/** Whether the stack's state file records pending operations. */
function statePending(dir: string, project: string, stack: string): boolean {
    const ops = latestDeployment(dir, project, stack)?.pending_operations;
    return Array.isArray(ops) && ops.length > 0;
}

/** The URNs of every resource the stack's state records; [] without a local backend or state. */
export function stateUrns(env: NodeJS.ProcessEnv, project: string, stack: string): string[] {
    const dir = backendDir(env);
    const resources = dir ? latestDeployment(dir, project, stack)?.resources : undefined;
    return (Array.isArray(resources) ? resources : []).map((r) => String(r.urn ?? "")).filter((u) => u !== "");
}

function pulumi(args: string[], ctx: RecoveryContext, what: string): string {
    const r = spawnSync("pulumi", [...args, "--stack", ctx.stack], { cwd: ctx.cwd, env: ctx.env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
    if (r.status !== 0) throw new UserError(`${what} failed: ${r.error ? r.error.message : (r.stderr || r.stdout).trim()}`);
    return r.stdout;
}

/** Runs the delete script of each half-created command resource, then drops the pending operations from the state. */
function clearPendingOperations(ctx: RecoveryContext, actions: string[]): void {
    const shown = JSON.parse(pulumi(["stack", "export", "--show-secrets"], ctx, "reading the stack's state (pulumi stack export)")) as unknown;
    for (const op of pendingOperations(shown)) {
        const name = resourceNameOf(op.urn);
        if (op.type === "creating" && op.deleteScript) {
            const r = spawnSync("/bin/sh", ["-c", op.deleteScript], {
                cwd: op.dir,
                env: { ...process.env, ...op.environment },
                encoding: "utf8",
                timeout: 600_000,
            });
            if (r.status !== 0) {
                throw new UserError(
                    `removing the half-created ${name} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-2000)}. Fix: make sure its daemon runs (scripts/daemons.sh), then run isobench up ${ctx.stack} again`,
                );
            }
            actions.push(`removed ${name}, which a killed run had begun to create (its delete script ran)`);
        } else {
            actions.push(
                `dropped the unfinished ${op.type} of ${name} from the state (nothing to remove: ${op.type === "creating" ? "it has no delete step" : "the resource is still recorded"})`,
            );
        }
    }
    const exported = JSON.parse(pulumi(["stack", "export"], ctx, "reading the stack's state (pulumi stack export)")) as Record<string, unknown>;
    const tmp = path.join(os.tmpdir(), `isobench-state-${ctx.stack}-${process.pid}.json`);
    fs.writeFileSync(tmp, JSON.stringify(withoutPendingOperations(exported)), { mode: 0o600 });
    try {
        pulumi(["stack", "import", "--file", tmp], ctx, "writing the stack's state back (pulumi stack import)");
    } finally {
        fs.rmSync(tmp, { force: true });
    }
}

/**
 * Clears what killed runs of this stack left, in the order each step needs: orphans first (they
 * may still hold the lock's promise of progress), then a stale lock, then pending operations.
 * @throws UserError when the stack is locked by a live run or from another host
 */
export function recoverStack(ctx: RecoveryContext): RecoveryReport {
    const actions: string[] = [];
    const url = ctx.env.PULUMI_BACKEND_URL ?? "";
    const orphans = orphansOf(markedProcesses(), url, processAlive);
    if (orphans.length > 0) {
        endProcesses(orphans);
        actions.push(`ended ${orphans.length} process(es) left by a killed isobench up (pids ${orphans.join(", ")})`);
    }
    const dir = backendDir(ctx.env);
    if (!dir) return { actions };
    for (const lock of readLocks(dir, ctx.project, ctx.stack)) {
        const d = lockDecision(lock, ctx.stack, os.hostname(), processAlive);
        if (d.action === "refuse") throw new UserError(d.why);
        pulumi(["cancel", "--yes"], ctx, "clearing the stale lock (pulumi cancel)");
        actions.push(`cleared the stack's lock: ${d.why}`);
    }
    if (statePending(dir, ctx.project, ctx.stack)) clearPendingOperations(ctx, actions);
    for (const a of actions) ctx.log(`recovery: ${a}`);
    return { actions };
}
