/**
 * How the runner reaches an environment: what it runs to execute a shell command inside it,
 * and where a server inside it is reachable from the host. Pure: builds argv, runs nothing.
 */
import type { ExecTarget, GuestAccess } from "../core/environment-handle";
import { shellQuote } from "../core/shell";

/** Data directory of native runs: on the host's disk, outside the repository, one per stack. */
export function nativeDataDir(stack: string): string {
    return `/var/tmp/isobench-data/${stack}`;
}

/**
 * Where a cell keeps its runtime files (server PID and log, the password file) in whichever
 * environment it runs: one folder per stack, mode 0700, under /run — writable only by root,
 * unlike /tmp, where anyone can plant a file or symlink at a predictable name first.
 */
export function runtimeDir(stack: string): string {
    return `/run/isobench/${stack}`;
}

/** Data directory inside guests: on the guest's root disk (virtio-blk), as the paper's guests had. */
export const GUEST_DATA_DIR = "/var/lib/isobench-data";

/**
 * argv of `ssh` to root on the guest at `ip`, with strict host-key checking against the stack's
 * known_hosts under the domain's name: a guest whose key changed, or another machine at its
 * address, is refused ("REMOTE HOST IDENTIFICATION HAS CHANGED"). The remote command follows.
 * It runs on the guest's own host, through that machine's transport: on a remote target the
 * guest's key and known_hosts are the target's (at the checkout's paths there), and the guest's
 * address is on the target's libvirt network, which the controller may not reach.
 */
export function sshArgv(guest: GuestAccess, ip: string): string[] {
    return [
        "ssh",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        `UserKnownHostsFile=${guest.knownHosts}`,
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        `HostKeyAlias=${guest.domain}`,
        "-o",
        "CheckHostIP=no",
        "-o",
        "UpdateHostKeys=no",
        "-o",
        "HostKeyAlgorithms=ssh-ed25519",
        "-o",
        "LogLevel=ERROR",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=10",
        // A guest that stops answering ends the session within a minute instead of never: what
        // the runner then sees is a failed step, not a cell hung on a dead TCP connection.
        "-o",
        "ServerAliveInterval=15",
        "-o",
        "ServerAliveCountMax=4",
        "-i",
        guest.sshKey,
        `root@${ip}`,
    ];
}

/**
 * argv that runs `script` with /bin/sh inside the environment.
 * @param guestIp required for kvm targets (resolved at run time from the DHCP lease)
 */
export function execArgv(target: ExecTarget, script: string, guestIp?: string, opts: { readonly stdin?: boolean } = {}): string[] {
    // SSH forwards stdin anyway; `docker exec` only with -i.
    const dockerExec = opts.stdin ? ["docker", "exec", "-i"] : ["docker", "exec"];
    switch (target.kind) {
        case "native":
            return [...(target.numactl ?? []), "/bin/sh", "-c", script];
        case "docker":
            return [...dockerExec, target.container, ...(target.numactl ?? []), "/bin/sh", "-c", script];
        case "kvm":
            if (!guestIp) throw new Error(`guest ${target.domain}: no IP address known; is the guest running?`);
            return [...sshArgv(target, guestIp), script];
        case "docker-in-kvm":
            return guestArgv(target, [...dockerExec, target.container, ...(target.numactl ?? []), "/bin/sh", "-c", script], guestIp);
    }
}

/**
 * The address a server started in the environment binds: where its client reaches it and no
 * further. The host's loopback for the host's own network (native, Docker host networking); the
 * wildcard inside a NAT container's or a network-less container's own namespace, which holds only
 * its loopback and its bridge interface (the host publishes the port on 127.0.0.1); the guest's
 * address on libvirt's network for a guest. Never the host's LAN address.
 */
export function listenAddress(target: ExecTarget, guestIp?: string): string {
    switch (target.kind) {
        case "native":
            return "127.0.0.1";
        case "docker":
            return target.network === "host" ? "127.0.0.1" : "0.0.0.0";
        case "kvm":
            if (!guestIp) throw new Error(`guest ${target.domain}: no IP address known; is the guest running?`);
            return guestIp;
        case "docker-in-kvm":
            if (target.network !== "host") return "0.0.0.0";
            if (!guestIp) throw new Error(`guest ${target.domain}: no IP address known; is the guest running?`);
            return guestIp;
    }
}

/**
 * Where the environment has the bind shim (images/bind-addr.c), for servers without an option to
 * choose their address: on the host (native) setup builds it under the checkout's .tools/, the
 * container image carries it. Guests have none: their wildcard holds only the guest's interfaces.
 */
export function bindShimIn(target: ExecTarget, repoRoot: string): string | undefined {
    if (target.kind === "native") return `${repoRoot}/.tools/lib/isobench-bind-addr.so`;
    if (target.kind === "docker") return "/usr/local/lib/isobench/bind-addr.so";
    return undefined;
}

/** The guest login of a handle whose target lives in a guest; throws for any other. */
export function guestAccessOf(handle: { readonly name: string; readonly target: ExecTarget }): GuestAccess {
    const t = handle.target;
    if (!inGuest(t)) throw new Error(`environment ${handle.name} (${t.kind}) is not in a guest`);
    return { domain: t.domain, sshKey: t.sshKey, knownHosts: t.knownHosts };
}

/** Whether the target lives in a KVM guest (its IP comes from the guest's DHCP lease). */
export function inGuest(target: ExecTarget): target is Extract<ExecTarget, { domain: string }> {
    return target.kind === "kvm" || target.kind === "docker-in-kvm";
}

/**
 * argv that runs `argv` on the guest itself (as root, over SSH, from the guest's host), each word quoted for the guest's shell.
 */
export function guestArgv(target: GuestAccess, argv: readonly string[], guestIp?: string): string[] {
    if (!guestIp) throw new Error(`guest ${target.domain}: no IP address known; is the guest running?`);
    return [...sshArgv(target, guestIp), argv.map(shellQuote).join(" ")];
}

/** A shell snippet that starts `command` in the background and records its PID in pidFile. */
export function detachedScript(command: string, pidFile: string, logFile: string): string {
    return `nohup ${command} >${logFile} 2>&1 </dev/null & echo $! >${pidFile}`;
}

/**
 * A shell condition that holds while the process whose PID is in shell variable `pidVar` runs. A
 * server that ended in a container stays a zombie there (the container's PID 1, `sleep infinity`,
 * reaps nothing), and kill -0 succeeds on a zombie.
 */
export function runningCondition(pidVar: string): string {
    return `{ kill -0 "$${pidVar}" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$${pidVar}/status" 2>/dev/null; }`;
}

/** Waits up to 5 s for the process in `$p` to end. */
const WAIT_GONE = `for i in $(seq 50); do ${runningCondition("p")} || break; sleep 0.1; done`;

/**
 * A shell snippet that stops every server whose PID file is in `runDir` (what a killed cell left:
 * its server still holds its port), saying which on stdout.
 */
export function stopStaleServersScript(runDir: string): string {
    // A PID namespace restarts with the container, so a stale number may now be this very shell.
    return (
        `for f in ${runDir}/*.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); rm -f "$f"; ` +
        `case "$p" in ''|*[!0-9]*) continue;; esac; [ "$p" = "$$" ] && continue; ${runningCondition("p")} || continue; ` +
        `echo "stopped server pid $p left by a killed run ($f)"; kill "$p"; ${WAIT_GONE}; done`
    );
}

/** A shell snippet that stops what detachedScript started, waiting for it to exit. */
export function stopScript(pidFile: string): string {
    return `if [ -f ${pidFile} ]; then p=$(cat ${pidFile}); kill $p 2>/dev/null; ${WAIT_GONE}; rm -f ${pidFile}; fi`;
}
