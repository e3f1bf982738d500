/**
 * One isobench test run per machine at a time. Two runs share dockerd, libvirtd, the host's cores
 * and the native servers' loopback ports; run side by side they fail each other in ways that look
 * like product bugs (a CI run once met a container a second run had just created). The lock is
 * flock(1) held by a child process for as long as this one lives, so a run killed with SIGKILL
 * releases it too and no stale lock file needs recovering.
 */
import { ChildProcess, spawn } from "child_process";
import fs from "fs";

const LOCK_FILE = process.env.ISOBENCH_TEST_LOCK ?? "/run/lock/isobench-tests.lock";
let holder: ChildProcess | undefined;

/** Resolves once this process holds the lock; says every minute whom it waits for. */
export function acquireMachineLock(): Promise<void> {
    // scripts/test-lanes.sh holds it for both of its mocha runs, which must not wait for each other.
    if (holder || process.env.ISOBENCH_TEST_LOCK_HELD === LOCK_FILE) return Promise.resolve();
    fs.mkdirSync(LOCK_FILE.replace(/\/[^/]*$/, "") || "/", { recursive: true });
    // flock writes "held" once it has the lock; cat keeps it until our end of stdin closes.
    const child = spawn("flock", ["-x", LOCK_FILE, "sh", "-c", "echo held; exec cat >/dev/null"], { stdio: ["pipe", "pipe", "inherit"] });
    holder = child;
    child.unref();
    return new Promise((resolve, reject) => {
        const started = Date.now();
        const waiting = setInterval(() => {
            let owner = "";
            try {
                owner = fs.readFileSync(LOCK_FILE, "utf8").trim();
            } catch {
                /* no owner written yet */
            }
            process.stderr.write(
                `isobench tests: waiting ${Math.round((Date.now() - started) / 1000)} s for another test run on this machine (${owner || "owner unknown"}; lock ${LOCK_FILE})\n`,
            );
        }, 60_000);
        child.stdout!.once("data", () => {
            clearInterval(waiting);
            fs.writeFileSync(LOCK_FILE, `pid ${process.pid} in ${process.cwd()} since ${new Date().toISOString()}\n`);
            resolve();
        });
        child.once("error", (e) => {
            clearInterval(waiting);
            reject(new Error(`cannot take the test lock ${LOCK_FILE} with flock: ${e.message}. Fix: apt-get install util-linux`));
        });
        child.once("exit", (code) => {
            clearInterval(waiting);
            reject(new Error(`flock on ${LOCK_FILE} exited (${code}) before taking the lock`));
        });
    });
}

export function releaseMachineLock(): void {
    const child = holder;
    holder = undefined;
    if (!child) return;
    child.removeAllListeners("exit");
    child.stdin?.end();
}
