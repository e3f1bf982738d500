/**
 * The machine under test as a transport: how a command, a file copy or a daemon client reaches it.
 * Pure: builds argv, environment and URIs; environments/transport.ts runs them. The local machine
 * is a target like any other, so call sites never ask which one they have.
 */
import { shellQuote } from "./shell";

/** The machine isobench itself runs on. */
export interface LocalTarget {
    readonly kind: "local";
}

/** A machine reached over SSH as a stack declares it (isobench:target). */
export interface SshAddress {
    readonly kind: "ssh";
    readonly user: string;
    readonly host: string;
    readonly port: number;
    /** Private key offered to the target (IdentitiesOnly: no agent, no default keys). */
    readonly keyFile: string;
}

/** A machine reached over SSH, with one multiplexed connection per target (ControlMaster). */
export interface SshTarget extends SshAddress {
    /** The target's pinned host key; anything else at that address is refused. */
    readonly knownHosts: string;
    /**
     * The multiplexing socket: every command of a cell rides on one connection, so none pays a
     * handshake. Kept short, since a Unix socket path is limited to 108 bytes.
     */
    readonly controlPath: string;
    /** Where the target's Docker socket is forwarded on the controller, for Docker clients that run there. */
    readonly dockerSocket: string;
}

export type Target = LocalTarget | SshTarget;

export const LOCAL_TARGET: LocalTarget = { kind: "local" };

/** How long the shared connection outlives its last command: the gap between two cells, with room. */
export const CONTROL_PERSIST_S = 600;

/**
 * `ssh://user@host[:port]`: a user and host that no shell or ssh reads as anything else (no leading
 * "-", no spaces or quotes), an IPv6 address in brackets.
 */
const SSH_URL = /^ssh:\/\/([a-z_][a-z0-9_.-]{0,31})@([A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::(\d{1,5}))?\/?$/;

/** The user, host and port of an `ssh://user@host[:port]` URL; a string saying what is wrong when it is not one. */
export function parseSshUrl(url: string): { readonly user: string; readonly host: string; readonly port: number } | string {
    const m = SSH_URL.exec(url);
    if (!m) return `${JSON.stringify(url)} is not ssh://user@host[:port] (a user name, a host name or address, an optional port)`;
    const port = m[3] === undefined ? 22 : Number(m[3]);
    if (port < 1 || port > 65535) return `port ${m[3]} of ${JSON.stringify(url)} is not between 1 and 65535`;
    return { user: m[1], host: m[2].replace(/^\[(.*)\]$/, "$1"), port };
}

/** The folder name of a remote target's state (known_hosts, sockets): one per user, host and port. */
export function targetDirName(t: SshAddress): string {
    return `${t.user}@${t.host}-${t.port}`.replace(/[^A-Za-z0-9@._-]/g, "_");
}

/** `ssh://user@host:port` of a remote target, `local` otherwise: what messages and records name. */
export function targetLabel(t: Target | SshAddress): string {
    if (t.kind === "local") return "local";
    return `ssh://${t.user}@${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}`;
}

/**
 * The options every ssh and scp to the target gets: the pinned host key and nothing else
 * (StrictHostKeyChecking=yes against the target's own known_hosts; no global file, no learning of
 * new keys), the key file only, no prompts, a bounded connect, keepalives so a target that stops
 * answering ends the session within a minute instead of hanging a cell, and the shared connection.
 */
export function sshOptions(t: SshTarget): string[] {
    const o = (kv: string) => ["-o", kv];
    return [
        ...o("StrictHostKeyChecking=yes"),
        ...o(`UserKnownHostsFile=${t.knownHosts}`),
        ...o("GlobalKnownHostsFile=/dev/null"),
        ...o("UpdateHostKeys=no"),
        ...o("BatchMode=yes"),
        ...o("IdentitiesOnly=yes"),
        ...o(`IdentityFile=${t.keyFile}`),
        ...o("ConnectTimeout=10"),
        ...o("ServerAliveInterval=15"),
        ...o("ServerAliveCountMax=4"),
        ...o("ControlMaster=auto"),
        ...o(`ControlPath=${t.controlPath}`),
        ...o(`ControlPersist=${CONTROL_PERSIST_S}`),
        ...o("LogLevel=ERROR"),
        ...o(`Port=${t.port}`),
        ...o(`User=${t.user}`),
    ];
}

/**
 * argv that runs `argv` on the target. Over SSH each word is quoted for the remote login shell,
 * which joins and re-splits what ssh sends it.
 */
export function onTargetArgv(t: Target, argv: readonly string[]): string[] {
    if (t.kind === "local") return [...argv];
    return ["ssh", ...sshOptions(t), "--", t.host, argv.map(shellQuote).join(" ")];
}

/** argv that runs a shell script with /bin/sh on the target. */
export function scriptArgv(t: Target, script: string): string[] {
    return onTargetArgv(t, ["/bin/sh", "-c", script]);
}

/**
 * The shell command line that runs `script` on the target, for the create and delete steps of
 * command resources, which Pulumi runs with /bin/sh on the controller. Local: the script itself.
 * @param carry variables the script reads that the resource also sets in its environment: ssh
 *   does not pass the controller's environment on, so over SSH they are exported at the script's
 *   top (in argv: never a secret here). Locally the resource's environment sets them, and the
 *   script stays as it was.
 */
export function scriptCommand(t: Target, script: string, carry: Readonly<Record<string, string>> = {}): string {
    if (t.kind === "local") return script;
    const exports = Object.entries(carry).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`${JSON.stringify(k)} is not a shell variable name`);
        return `export ${k}=${shellQuote(v)}`;
    });
    return scriptArgv(t, [...exports, script].join("\n"))
        .map(shellQuote)
        .join(" ");
}

/** argv that copies a controller file to the target. */
export function copyToArgv(t: Target, localPath: string, remotePath: string): string[] {
    if (t.kind === "local") return ["cp", "--", localPath, remotePath];
    return ["scp", "-q", ...sshOptions(t), "--", localPath, `${scpHost(t)}:${remotePath}`];
}

/** argv that copies a target file to the controller. */
export function copyFromArgv(t: Target, remotePath: string, localPath: string): string[] {
    if (t.kind === "local") return ["cp", "--", remotePath, localPath];
    return ["scp", "-q", ...sshOptions(t), "--", `${scpHost(t)}:${remotePath}`, localPath];
}

/** scp's host part: an IPv6 address in brackets, so its colons are not read as the path's. */
function scpHost(t: SshTarget): string {
    return t.host.includes(":") ? `[${t.host}]` : t.host;
}

/**
 * argv that stops the target's shared connection (ssh -O exit); undefined for the local target,
 * which has none.
 */
export function closeArgv(t: Target): string[] | undefined {
    return t.kind === "local" ? undefined : ["ssh", ...sshOptions(t), "-O", "exit", "--", t.host];
}

/**
 * The Docker endpoint for clients that run on the controller (@pulumi/docker's provider takes it
 * as `host`): the target's daemon socket forwarded over the shared connection (see
 * dockerForwardArgv), so the pinned key and the multiplexing apply to it too. Empty for local:
 * the client's own default.
 */
export function dockerEnv(t: Target): Readonly<Record<string, string>> {
    return t.kind === "local" ? {} : { DOCKER_HOST: `unix://${t.dockerSocket}` };
}

/** argv that forwards the target's Docker socket to the controller's `dockerSocket`, over the shared connection. */
export function dockerForwardArgv(t: SshTarget, remoteSocket = "/var/run/docker.sock"): string[] {
    return ["ssh", ...sshOptions(t), "-o", "StreamLocalBindUnlink=yes", "-O", "forward", "-L", `${t.dockerSocket}:${remoteSocket}`, "--", t.host];
}

/** What a sample says of the machine that measured it (and of the controller that drove it). */
export interface MachineIdentity {
    readonly host: string;
    readonly kernel: string;
    readonly cpu_model: string;
}

/**
 * A script that prints the machine's identity as three lines: hostname, kernel release, the first
 * CPU's model name ("unknown" where /proc/cpuinfo names none, as on some ARM kernels).
 */
export const IDENTITY_SCRIPT = "uname -n; uname -r; m=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1); echo \"${m:-unknown}\"";

/** Reads IDENTITY_SCRIPT's output. @throws Error when it is not three non-empty lines */
export function parseIdentity(out: string): MachineIdentity {
    const lines = out.replace(/\n$/, "").split("\n");
    if (lines.length !== 3 || lines.some((l) => l.trim() === "")) {
        throw new Error(`cannot read the machine's identity (hostname, kernel, CPU model) from: ${JSON.stringify(out.slice(0, 300))}`);
    }
    return { host: lines[0].trim(), kernel: lines[1].trim(), cpu_model: lines[2].trim() };
}
