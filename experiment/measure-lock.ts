/**
 * One measurement at a time per machine under test: two stacks measuring together share the
 * cores, the disk and the loopback ports, and each would record the other's load as its own
 * overhead. The lock is the target's, taken through its transport: two controllers measuring one
 * target never overlap, and stacks on different targets never wait for each other.
 *
 * The lock is flock(1) on {@link measureLockFile} on the target, held by a small holder process
 * rather than by this one, for two reasons: Node has no flock, and the lock must outlive
 * `isobench up` when only it dies (SIGKILL, a dropped terminal) while its Pulumi keeps measuring.
 * On the target the holder keeps the lock until its stdin ends; on the controller a detached
 * watcher feeds that stdin until the process it is told to watch (Pulumi) is gone, or, when it is
 * told nothing, until this process ends. Over SSH the holder rides on the target's shared
 * connection, so a dropped connection also ends it and frees the target.
 */
import { ChildProcess, spawn } from "child_process";
import { HostError } from "../core/errors";
import { onTargetArgv, Target } from "../core/transport";
import { Transport, thisMachine } from "../environments/transport";
import { processAlive } from "./recovery";

/** Set in the environment of everything an `isobench up` starts: the lock is already held for them. */
export const LOCK_HELD_ENV = "ISOBENCH_MEASURE_LOCK_HELD";

const DEFAULT_LOCK_FILE = "/run/lock/isobench-measure.lock";

/**
 * The lock file's path on this machine. ISOBENCH_MEASURE_LOCK moves it; as a setting of the
 * machine it is read where the lock is (on a remote target in its login environment, see
 * lockProbeArgv), so each machine keeps its own.
 */
export function measureLockFile(env: NodeJS.ProcessEnv = process.env): string {
    return env.ISOBENCH_MEASURE_LOCK ?? DEFAULT_LOCK_FILE;
}

/**
 * The lock file's path on `on`: this machine's from `env`, a remote target's from its own login
 * environment (read only: unlike lockProbeArgv, nothing is created). @throws Error when the target does not answer
 */
export function lockFileOn(on: Transport, env: NodeJS.ProcessEnv = process.env): string {
    if (on.target.kind === "local") return measureLockFile(env);
    return on
        .mustRun(
            ["/bin/sh", "-c", `printf '%s\\n' "\${ISOBENCH_MEASURE_LOCK:-${DEFAULT_LOCK_FILE}}"`],
            30,
            `reading the measurement lock's path on ${on.label}`,
        )
        .trim();
}

/** Who holds the lock on `on`, as its holder wrote it (empty when nobody wrote it yet). */
export function lockOwner(file: string, on: Transport = thisMachine()): string {
    try {
        return (on.readFiles([file]).get(file) ?? "").trim();
    } catch {
        return "";
    }
}

/** Where a lock is, for messages: the file, prefixed by the target when it is not this machine. */
export function lockPlace(target: Target, label: string, file: string): string {
    return target.kind === "local" ? file : `${label}:${file}`;
}

/** What the waiting lines call the machine: "this host" locally, the target's label otherwise. */
export function machineName(target: Target, label: string): string {
    return target.kind === "local" ? "this host" : label;
}

/**
 * Checks, on the target, that flock(1) is there and whether the lock is free, creating its folder;
 * prints the lock file's path: `file`, else the target's ISOBENCH_MEASURE_LOCK, else the default.
 * Exit 0: free; 1: held; 127: no flock.
 */
export function lockProbeArgv(file?: string): string[] {
    const script = `f=\${1:-\${ISOBENCH_MEASURE_LOCK:-${DEFAULT_LOCK_FILE}}}; command -v flock >/dev/null 2>&1 || exit 127; mkdir -p "$(dirname "$f")" && echo "$f" && flock -n "$f" true`;
    return ["/bin/sh", "-c", script, "sh", ...(file === undefined ? [] : [file])];
}

/**
 * The target's side of the holder: under flock, writes the owner ($1) into the lock file ($2),
 * prints `held <whoever wrote it before>`, and keeps the lock until its stdin ends.
 */
const TARGET_HOLDER = 'prev=$(head -n 1 "$2" 2>/dev/null); printf "%s\\n" "$1" > "$2"; printf "held %s\\n" "$prev"; exec cat >/dev/null';

/**
 * The controller's side: reads the pid to watch (end of input: none, the lock goes at once), feeds
 * the holder's stdin while that process lives, and so ends the holder when it is gone. When the
 * holder ends first (the connection dropped), its process group goes with it: the reader still
 * blocked in `read` would otherwise keep this shell, and with it the stdout the controller
 * watches for the end, open for as long as the run.
 */
const WATCHER = '{ read -r pid || exit 0; while kill -0 "$pid" 2>/dev/null; do sleep 1; done; } | { "$@"; kill 0; }';

/** argv of the detached process that takes and holds the lock on `target` for `owner`. */
export function holderArgv(target: Target, file: string, owner: string): string[] {
    return ["sh", "-c", WATCHER, "sh", ...onTargetArgv(target, ["flock", "-x", file, "sh", "-c", TARGET_HOLDER, "sh", owner, file])];
}

/** The previous owner in the holder's `held <owner>` line; undefined for any other line. */
export function parseHeldLine(line: string): string | undefined {
    const m = /^held(?: (.*))?$/.exec(line.replace(/\r?\n$/, ""));
    return m ? (m[1] ?? "").trim() : undefined;
}

export interface HeldLock {
    /** Seconds spent waiting for another measurement (0 when the lock was free). */
    readonly waitedS: number;
    /** Who held the lock while this one waited (empty when it was free). */
    readonly waitedFor: string;
    /** Keep the lock until `pid` exits, even if this process dies first. */
    watch(pid: number): void;
    /** Let go now (when nothing is watched) or once the watched process exits. */
    release(): void;
}

/** A free lock is taken within milliseconds; a flock not through after this long waits for another taker. */
const LATE_TAKER_S = 2;
const UNKNOWN_OWNER = "owner unknown";

export interface LockOptions {
    /** The machine under test (default: this one). */
    readonly on?: Transport;
    /** The lock file on it (default: ISOBENCH_MEASURE_LOCK there, else /run/lock/isobench-measure.lock). */
    readonly file?: string;
    /** How often the waiting is said, in seconds. */
    readonly sayEveryS?: number;
}

/**
 * The target's lock file and whether it is free now.
 * @throws HostError when flock is missing there or the target did not answer
 */
function probeLock(on: Transport, file: string | undefined): { readonly file: string; readonly free: boolean } {
    const c = on.attempt(lockProbeArgv(file), 60);
    const what = `the measurement lock on ${on.label}${file === undefined ? "" : ` (${file})`}`;
    if (c.error) throw new HostError(`cannot check ${what}: ${c.error}`);
    if (c.status === 127)
        throw new HostError(
            `flock(1) was not found on ${on.label}. Fix: apt-get install util-linux${on.target.kind === "local" ? "" : " there (or run isobench setup-target)"}`,
        );
    const found = c.stdout.split("\n")[0].trim();
    if ((c.status !== 0 && c.status !== 1) || found === "") throw new HostError(`cannot check ${what} (exit ${c.status}): ${(c.stderr || c.stdout).trim()}`);
    return { file: found, free: c.status === 0 };
}

/**
 * Waits for the target's measurement lock, saying every `sayEveryS` seconds whom it waits for.
 * @param owner what the lock file says while this process holds it (stack, pid, start)
 */
export function acquireMeasureLock(owner: string, log: (line: string) => void, opts: LockOptions = {}): Promise<HeldLock> {
    const on = opts.on ?? thisMachine();
    const sayEveryS = opts.sayEveryS ?? 60;
    const started = Date.now();
    const { file, free } = probeLock(on, opts.file);
    const place = lockPlace(on.target, on.label, file);
    let waitedFor = "";
    const waitFor = () => {
        waitedFor = lockOwner(file, on) || UNKNOWN_OWNER;
        log(`another measurement holds ${machineName(on.target, on.label)} (${waitedFor}; lock ${place}): waiting for it to finish`);
    };
    if (!free) waitFor();
    const [cmd, ...args] = holderArgv(on.target, file, owner);
    // detached: a Ctrl-C meant for `isobench up` must not end the holder while Pulumi still measures.
    const holder: ChildProcess = spawn(cmd, args, { stdio: ["pipe", "pipe", "inherit"], detached: true });
    holder.unref();
    return new Promise<HeldLock>((resolve, reject) => {
        // Two stacks started together both find the lock free above; the one whose flock then
        // blocks is waiting as much as one that found it taken, and its wait must be recorded too.
        const late = waitedFor ? undefined : setTimeout(waitFor, LATE_TAKER_S * 1000);
        const waiting = setInterval(
            () => log(`still waiting ${Math.round((Date.now() - started) / 1000)} s for ${lockOwner(file, on) || UNKNOWN_OWNER} (lock ${place})`),
            sayEveryS * 1000,
        );
        let ended = false;
        const end = (line: string) => {
            if (ended) return;
            ended = true;
            holder.stdin!.end(line);
        };
        let out = "";
        let settled = false;
        const settle = () => {
            settled = true;
            clearInterval(waiting);
            clearTimeout(late);
        };
        const onData = (d: Buffer) => {
            out += d.toString("utf8");
            const nl = out.indexOf("\n");
            if (nl < 0 || settled) return;
            settle();
            holder.stdout!.off("data", onData);
            const previous = parseHeldLine(out.slice(0, nl));
            if (previous === undefined) {
                end("");
                reject(new HostError(`the holder of the measurement lock ${place} said ${JSON.stringify(out.slice(0, 300))} instead of taking it`));
                return;
            }
            // A taker seen before it wrote its name is named by what it left in the file.
            if (waitedFor === UNKNOWN_OWNER) waitedFor = previous || UNKNOWN_OWNER;
            let watched: number | undefined;
            resolve({
                waitedS: (Date.now() - started) / 1000,
                waitedFor,
                watch: (pid: number) => {
                    watched ??= pid;
                    end(`${pid}\n`);
                },
                release: () => end(""),
            });
            // The holder ending on its own (a dropped connection, a killed flock) while its run goes
            // on leaves the machine open to another measurement: said, since nothing else would.
            holder.stdout!.once("end", () => {
                if (!ended || (watched !== undefined && processAlive(watched)))
                    log(
                        `lost the measurement lock ${place}: its holder ended${on.target.kind === "local" ? "" : ` (did ${on.label} stop answering?)`}; another measurement may start there`,
                    );
            });
        };
        holder.stdout!.on("data", onData);
        holder.stdout!.once("end", () => {
            if (settled) return;
            settle();
            end("");
            reject(new HostError(`flock on ${place} ended before taking the lock${on.target.kind === "local" ? "" : ` (did ${on.label} stop answering?)`}`));
        });
        holder.once("error", (e) => {
            if (settled) return;
            settle();
            reject(new HostError(`cannot start the holder of the measurement lock ${place}: ${e.message}`));
        });
    });
}

/**
 * Runs this same command again while holding the target's lock and resolves with its exit status:
 * for a cell started by a plain `pulumi up`, which holds no lock of its own.
 */
export async function runUnderMeasureLock(log: (line: string) => void, opts: Omit<LockOptions, "sayEveryS"> = {}): Promise<number> {
    const held = await acquireMeasureLock(`a cell of a plain pulumi up, pid ${process.pid}, since ${new Date().toISOString()}`, log, opts);
    if (held.waitedFor) log(`this cell waited ${held.waitedS.toFixed(0)} s for another measurement (${held.waitedFor})`);
    try {
        const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
            stdio: "inherit",
            env: { ...process.env, [LOCK_HELD_ENV]: "1" },
        });
        if (child.pid !== undefined) held.watch(child.pid);
        return await new Promise<number>((resolve, reject) => {
            child.once("error", (e) => reject(new HostError(`cannot run the cell under the measurement lock: ${e.message}`)));
            child.once("exit", (code) => resolve(code ?? 1));
        });
    } finally {
        held.release();
    }
}
