/**
 * Running commands, copying files and reaching daemons on the machine under test: the I/O half of
 * core/transport.ts. Local and SSH targets share this code; only the argv core/transport.ts builds
 * differs, so no call site has a local special case.
 */
import {
    MachineIdentity,
    Target,
    IDENTITY_SCRIPT,
    LOCAL_TARGET,
    closeArgv,
    copyFromArgv,
    copyToArgv,
    dockerEnv,
    dockerForwardArgv,
    onTargetArgv,
    parseIdentity,
    targetLabel,
} from "../core/transport";
import { spawn } from "child_process";
import { Readable } from "stream";
import { Completed, RunOptions, attempt as attemptHere, combinedOutput, virshArgv } from "./process";

/** Prints each readable file of "$@" as one line: its index and its content in base64 (sysfs text survives the trip unchanged). */
const READ_FILES_SCRIPT = 'i=0; for f; do if c=$(base64 -w0 "$f" 2>/dev/null); then echo "$i $c"; fi; i=$((i+1)); done';

export interface Transport {
    readonly target: Target;
    /** `local` or `ssh://user@host:port`, for messages and records. */
    readonly label: string;
    /** Runs argv on the target; never throws. A lost SSH connection is reported in `error`. */
    attempt(argv: readonly string[], timeoutS: number, opts?: RunOptions): Completed;
    /** Runs argv on the target; throws when it could not run (or the target did not answer). */
    run(argv: readonly string[], timeoutS: number, opts?: RunOptions): Completed;
    /** Runs argv on the target and returns its stdout; throws naming `what` unless it exits 0. */
    mustRun(argv: readonly string[], timeoutS: number, what: string, opts?: RunOptions): string;
    /**
     * Runs argv on the target for a long step (setup's), handing each line of its output to
     * `onLine` as it comes; `input` is piped to its stdin. Never rejects, like attempt: a timeout
     * or a lost SSH connection is reported in `error`. The result keeps the last 1 MB of each stream.
     */
    stream(argv: readonly string[], timeoutS: number, onLine: (line: string) => void, input?: Readable): Promise<Completed>;
    /** A bounded virsh call on the target's system libvirtd (never throws, like attempt). */
    virsh(timeoutS: number, args: readonly string[]): Completed;
    copyTo(localPath: string, remotePath: string, timeoutS?: number): void;
    copyFrom(remotePath: string, localPath: string, timeoutS?: number): void;
    /**
     * Environment for Docker clients that run on the controller (DOCKER_HOST): empty locally; over
     * SSH the target's socket forwarded over the shared connection, set up on first use.
     */
    dockerEnv(): Readonly<Record<string, string>>;
    /**
     * The contents of small files on the target (sysfs, /proc), in one round trip; a file that
     * cannot be read is absent from the map.
     */
    readFiles(paths: readonly string[]): ReadonlyMap<string, string>;
    /** Hostname, kernel and CPU model of the target, read on it (once per process). */
    identity(): MachineIdentity;
    /** Ends the target's shared SSH connection, if any. */
    close(): void;
}

/**
 * How ssh reports that it, not the remote command, failed (exit 255): the connection could not be
 * made, was refused or authenticated wrongly, or dropped while the command ran.
 */
const SSH_FAILURE =
    /^(ssh: |kex_exchange_identification|Connection (closed|reset|timed out|refused)|Connection to \S+ closed|Host key verification failed|.*Permission denied \(|client_loop: |Timeout, server |ssh_exchange_identification|mux_client_|Control socket connect|.*REMOTE HOST IDENTIFICATION HAS CHANGED)/m;

/** How much of each output stream a streamed step keeps for its result (the rest went to onLine). */
const STREAM_KEPT = 1024 * 1024;

class TargetTransport implements Transport {
    readonly label: string;
    private known?: MachineIdentity;
    private docker?: Readonly<Record<string, string>>;

    constructor(readonly target: Target) {
        this.label = targetLabel(target);
    }

    attempt(argv: readonly string[], timeoutS: number, opts: RunOptions = {}): Completed {
        if (this.target.kind === "local" || !opts.env || Object.keys(opts.env).length === 0) {
            return this.checked(attemptHere(onTargetArgv(this.target, argv), timeoutS, opts));
        }
        // ssh does not carry this process's environment, and a secret must not travel in argv
        // (ps shows it on both ends): the variables go first on stdin, read and exported there.
        const lines = Object.entries(opts.env).map(([k, v]) => {
            if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\n\0]/.test(v))
                throw new Error(`environment variable ${k} cannot be passed to ${this.label} (a name of letters, digits and _, a value without newlines)`);
            return `${k}=${v}\n`;
        });
        const wrapped = ["/bin/sh", "-c", 'while IFS= read -r l && [ -n "$l" ]; do export "$l"; done; exec "$@"', "sh", ...argv];
        return this.checked(attemptHere(onTargetArgv(this.target, wrapped), timeoutS, { input: `${lines.join("")}\n${opts.input ?? ""}` }));
    }

    run(argv: readonly string[], timeoutS: number, opts: RunOptions = {}): Completed {
        const c = this.attempt(argv, timeoutS, opts);
        if (c.error) throw new Error(`${argv[0]}: ${c.error}`);
        return c;
    }

    mustRun(argv: readonly string[], timeoutS: number, what: string, opts: RunOptions = {}): string {
        const r = this.run(argv, timeoutS, opts);
        if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
        return r.stdout;
    }

    stream(argv: readonly string[], timeoutS: number, onLine: (line: string) => void, input?: Readable): Promise<Completed> {
        const [cmd, ...args] = onTargetArgv(this.target, argv);
        return new Promise((resolve) => {
            const child = spawn(cmd, args, { stdio: [input ? "pipe" : "ignore", "pipe", "pipe"] });
            const kept = { stdout: "", stderr: "" };
            let error: string | undefined;
            const timer = setTimeout(() => {
                error = `timed out after ${timeoutS} s`;
                child.kill("SIGTERM");
            }, timeoutS * 1000);
            for (const name of ["stdout", "stderr"] as const) {
                let partial = "";
                const out = child[name]!;
                out.setEncoding("utf8");
                out.on("data", (chunk: string) => {
                    kept[name] = (kept[name] + chunk).slice(-STREAM_KEPT);
                    const lines = (partial + chunk).split("\n");
                    partial = lines.pop()!;
                    for (const l of lines) onLine(l);
                });
                out.on("end", () => partial && onLine(partial));
            }
            if (input && child.stdin) {
                // The target may stop reading early (a failed tar): its error is the step's, not a crash here.
                child.stdin.on("error", () => undefined);
                input.pipe(child.stdin);
            }
            child.on("error", (e) => (error ??= e.message));
            child.on("close", (code) => {
                clearTimeout(timer);
                resolve(this.checked({ ...kept, status: code ?? -1, ...(error !== undefined && { error }) }));
            });
        });
    }

    virsh(timeoutS: number, args: readonly string[]): Completed {
        return this.attempt(virshArgv(timeoutS, ...args), timeoutS + 30);
    }

    copyTo(localPath: string, remotePath: string, timeoutS = 600): void {
        this.controllerSide(copyToArgv(this.target, localPath, remotePath), timeoutS, `copying ${localPath} to ${this.label}:${remotePath}`);
    }

    copyFrom(remotePath: string, localPath: string, timeoutS = 600): void {
        this.controllerSide(copyFromArgv(this.target, remotePath, localPath), timeoutS, `copying ${this.label}:${remotePath} to ${localPath}`);
    }

    dockerEnv(): Readonly<Record<string, string>> {
        if (this.docker) return this.docker;
        if (this.target.kind === "ssh") {
            // A forward needs the shared connection to exist first.
            this.mustRun(["true"], 30, `reaching ${this.label}`);
            this.controllerSide(dockerForwardArgv(this.target), 30, `forwarding the Docker socket of ${this.label} to ${this.target.dockerSocket}`);
        }
        this.docker = dockerEnv(this.target);
        return this.docker;
    }

    readFiles(paths: readonly string[]): ReadonlyMap<string, string> {
        if (paths.length === 0) return new Map();
        const c = this.run(["/bin/sh", "-c", READ_FILES_SCRIPT, "sh", ...paths], 30);
        if (c.status !== 0) throw new Error(`reading ${paths.join(", ")} on ${this.label} failed (exit ${c.status}): ${combinedOutput(c).slice(-500)}`);
        const files = new Map<string, string>();
        for (const line of c.stdout.split("\n")) {
            const m = /^(\d+) ([A-Za-z0-9+/=]*)$/.exec(line);
            if (m && Number(m[1]) < paths.length) files.set(paths[Number(m[1])], Buffer.from(m[2], "base64").toString("utf8"));
        }
        return files;
    }

    identity(): MachineIdentity {
        this.known ??= parseIdentity(this.mustRun(["/bin/sh", "-c", IDENTITY_SCRIPT], 30, `reading the identity of ${this.label}`));
        return this.known;
    }

    close(): void {
        const argv = closeArgv(this.target);
        if (argv) attemptHere(argv, 30);
        this.docker = undefined;
    }

    /** Runs a controller-side argv that talks to the target (scp, ssh -O); throws naming `what` unless it exits 0. */
    private controllerSide(argv: readonly string[], timeoutS: number, what: string): void {
        const c = this.checked(attemptHere(argv, timeoutS));
        if (c.error || c.status !== 0) throw new Error(`${what} failed: ${c.error ?? combinedOutput(c).slice(-2000)}`);
    }

    /** Turns ssh's own failure into an error that names the target instead of a bare exit status 255. */
    private checked(c: Completed): Completed {
        if (this.target.kind !== "ssh" || c.status !== 255 || c.error || !SSH_FAILURE.test(c.stderr)) return c;
        return {
            ...c,
            error: `the target ${this.label} did not answer over SSH (${c.stderr.trim().split("\n").slice(-1)[0]}). Fix: check that it is up and reachable with the stack's key, then run the command again`,
        };
    }
}

const transports = new Map<string, Transport>();

/** The transport of `target`: one per target and process, so its identity is read once. */
export function transportTo(target: Target): Transport {
    const key = JSON.stringify(target);
    let t = transports.get(key);
    if (!t) transports.set(key, (t = new TargetTransport(target)));
    return t;
}

/** The machine isobench runs on (doctor's, and host-wide steps that name no other). */
export function thisMachine(): Transport {
    return transportTo(LOCAL_TARGET);
}

/** The transport of the machine an environment lives on. */
export function transportOf(h: { readonly machine?: Target }): Transport {
    return transportTo(h.machine ?? LOCAL_TARGET);
}
