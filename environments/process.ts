/**
 * Running host commands synchronously: the one wrapper around spawnSync that the runner, probes,
 * preflight and doctor share, so timeouts, buffer limits and error text behave the same everywhere.
 */
import { spawnSync } from "child_process";

export interface Completed {
    readonly stdout: string;
    readonly stderr: string;
    /** Exit status; -1 when the process did not exit normally (signal, timeout, could not start). */
    readonly status: number;
    /** Why the process could not run or was killed (e.g. ENOENT, ETIMEDOUT); absent otherwise. */
    readonly error?: string;
}

/** What a command gets besides its argv: secrets travel here, never on a command line (`ps` shows those). */
export interface RunOptions {
    /** Written to the command's stdin (e.g. a secret file's content). */
    readonly input?: string;
    /** Added to this process's environment for the command. */
    readonly env?: Readonly<Record<string, string>>;
}

/** Runs argv; never throws. Output of benchmark tools can be large, hence the generous buffer. */
export function attempt(argv: readonly string[], timeoutS: number, opts: RunOptions = {}): Completed {
    const r = spawnSync(argv[0], argv.slice(1), {
        encoding: "utf8",
        timeout: timeoutS * 1000,
        maxBuffer: 256 * 1024 * 1024,
        input: opts.input,
        env: opts.env ? { ...process.env, ...opts.env } : undefined,
    });
    return { stdout: r.stdout ?? "", stderr: r.stderr ?? "", status: r.status ?? -1, error: r.error?.message };
}

/** stdout, stderr and the spawn error in one trimmed string, for messages. */
export function combinedOutput(c: Completed): string {
    return `${c.stdout}${c.stderr}${c.error ?? ""}`.trim();
}

/** Runs argv; throws when it could not run or was killed, returns whatever exit status it had. */
export function run(argv: readonly string[], timeoutS: number, opts: RunOptions = {}): Completed {
    const c = attempt(argv, timeoutS, opts);
    if (c.error) throw new Error(`${argv[0]}: ${c.error}`);
    return c;
}

/** Runs argv and returns its stdout; throws naming `what` unless it exits 0. */
export function mustRun(argv: readonly string[], timeoutS: number, what: string, opts: RunOptions = {}): string {
    const r = run(argv, timeoutS, opts);
    if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
    return r.stdout;
}

/**
 * argv of a virsh call on the system libvirtd of the machine it runs on, bounded: virsh can hang
 * when libvirtd is wedged. A transport's `virsh` runs it on its target, through the pinned, shared
 * SSH connection (libvirt's own qemu+ssh would open another, checking ~/.ssh/known_hosts).
 */
export function virshArgv(timeoutS: number, ...args: string[]): string[] {
    return ["timeout", String(timeoutS), "virsh", "-c", "qemu:///system", ...args];
}
