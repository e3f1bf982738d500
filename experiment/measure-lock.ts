/**
 * One measurement at a time per host: two stacks measuring together share the cores, the disk
 * and the loopback ports, and each would record the other's load as its own overhead.
 *
 * The lock is flock(1) on {@link measureLockFile}, held by a small holder process rather than by
 * this one, for two reasons: Node has no flock, and the lock must outlive `isobench up` when only
 * it dies (SIGKILL, a dropped terminal) while its Pulumi keeps measuring. The holder therefore
 * keeps the lock until the process it is told to watch (Pulumi) is gone; a holder that is told
 * nothing lets go when its stdin closes, i.e. when this process ends.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { HostError } from "../core/errors";

/** Set in the environment of everything an `isobench up` starts: the lock is already held for them. */
export const LOCK_HELD_ENV = "ISOBENCH_MEASURE_LOCK_HELD";

export function measureLockFile(env: NodeJS.ProcessEnv = process.env): string {
    return env.ISOBENCH_MEASURE_LOCK ?? "/run/lock/isobench-measure.lock";
}

/** Who holds the lock, as its holder wrote it (empty when nobody wrote it yet). */
export function lockOwner(file: string): string {
    try {
        return fs.readFileSync(file, "utf8").trim();
    } catch {
        return "";
    }
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

// `read` gets the pid to watch, or end of input when there is none: then the lock goes at once.
const HOLDER = `echo held; read -r pid || exit 0; while kill -0 "$pid" 2>/dev/null; do sleep 1; done`;

/**
 * Waits for the host's measurement lock, saying every `sayEveryS` seconds whom it waits for.
 * @param owner what the lock file says while this process holds it (stack, pid, start)
 */
export function acquireMeasureLock(owner: string, log: (line: string) => void, file = measureLockFile(), sayEveryS = 60): Promise<HeldLock> {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (spawnSync("flock", ["--version"]).error) throw new HostError("flock(1) was not found. Fix: apt-get install util-linux");
    const started = Date.now();
    let waitedFor = "";
    const waitFor = () => {
        waitedFor = lockOwner(file) || UNKNOWN_OWNER;
        log(`another measurement holds this host (${waitedFor}; lock ${file}): waiting for it to finish`);
    };
    if (spawnSync("flock", ["-n", file, "true"]).status !== 0) waitFor();
    // detached: a Ctrl-C meant for `isobench up` must not end the holder while Pulumi still measures.
    const holder: ChildProcess = spawn("flock", ["-x", file, "sh", "-c", HOLDER], { stdio: ["pipe", "pipe", "inherit"], detached: true });
    holder.unref();
    return new Promise((resolve, reject) => {
        // Two stacks started together both find the lock free above; the one whose flock then
        // blocks is waiting as much as one that found it taken, and its wait must be recorded too.
        const late = waitedFor ? undefined : setTimeout(waitFor, LATE_TAKER_S * 1000);
        const waiting = setInterval(
            () => log(`still waiting ${Math.round((Date.now() - started) / 1000)} s for ${lockOwner(file) || "owner unknown"} (lock ${file})`),
            sayEveryS * 1000,
        );
        const done = () => {
            clearInterval(waiting);
            clearTimeout(late);
        };
        holder.stdout!.once("data", () => {
            done();
            // A taker seen before it wrote its name is named by what it left in the file.
            if (waitedFor === UNKNOWN_OWNER) waitedFor = lockOwner(file) || UNKNOWN_OWNER;
            fs.writeFileSync(file, `${owner}\n`);
            let ended = false;
            const end = (line: string) => {
                if (ended) return;
                ended = true;
                holder.stdin!.end(line);
            };
            resolve({ waitedS: (Date.now() - started) / 1000, waitedFor, watch: (pid: number) => end(`${pid}\n`), release: () => end("") });
        });
        holder.once("error", (e) => {
            done();
            reject(new HostError(`cannot take the measurement lock ${file} with flock: ${e.message}. Fix: apt-get install util-linux`));
        });
        holder.once("exit", (code) => {
            done();
            reject(new HostError(`flock on ${file} exited (${code}) before taking the lock`));
        });
    }).then((held) => {
        holder.removeAllListeners("exit");
        return held as HeldLock;
    });
}

/**
 * Runs this same command again under the lock (flock waits for it) and returns its exit status:
 * for a cell started by a plain `pulumi up`, which holds no lock of its own.
 */
export function runUnderMeasureLock(log: (line: string) => void, file = measureLockFile()): number {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (spawnSync("flock", ["-n", file, "true"]).status !== 0)
        log(`another measurement holds this host (${lockOwner(file) || "owner unknown"}; lock ${file}): this cell waits for it`);
    const r = spawnSync("flock", ["-x", file, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
        stdio: "inherit",
        env: { ...process.env, [LOCK_HELD_ENV]: "1" },
    });
    if (r.error) throw new HostError(`cannot take the measurement lock ${file} with flock: ${r.error.message}. Fix: apt-get install util-linux`);
    return r.status ?? 1;
}
