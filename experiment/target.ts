/**
 * The machine a stack measures (isobench:target), as a transport: the stack-level steps
 * (preflight, host facts) reach it through the one this returns, as cells reach it through their
 * handles' `machine`. A remote target's state (its pinned host key, the multiplexing and Docker
 * sockets) lives in .state/targets/<user@host-port>/.
 */
import * as fs from "fs";
import * as path from "path";
import { HostError } from "../core/errors";
import { REPO_ROOT, ensurePrivateDir, stateDir as stateDirOf } from "../core/paths";
import { LOCAL_TARGET, LocalTarget, SshAddress, Target, targetDirName, targetLabel } from "../core/transport";
import { Transport, transportTo } from "../environments/transport";
import type { ExperimentSpec } from "./spec";

/** A Unix socket's path is limited to 108 bytes; ssh adds a suffix to the control path while it sets the socket up. */
const MAX_SOCKET_PATH = 90;

/** Where a remote target's pinned known_hosts is kept (`isobench:target`'s fix names it). */
export function targetStateDir(address: SshAddress, stateDir: string): string {
    return path.join(stateDir, "targets", targetDirName(address));
}

/**
 * Where the KVM boot probe's answer for `machine` is cached on this controller: the state folder
 * for this machine, the target's own folder for a remote one (a probe of one target never
 * replaces another's, nor this machine's).
 */
export function kvmProbeCache(machine: LocalTarget | SshAddress, stateDir: string): string {
    return path.join(machine.kind === "local" ? stateDir : targetStateDir(machine, stateDir), "kvm-probe.json");
}

/**
 * The stack's machine under test with its state paths. A remote one needs its key file and a
 * pinned host key in its state folder: isobench never learns a host key on first contact.
 * @throws HostError naming isobench:target, what is missing and the fix
 */
export function stackTarget(spec: Pick<ExperimentSpec, "target">, stateDir = stateDirOf(REPO_ROOT)): Target {
    const a = spec.target;
    if (!a) return LOCAL_TARGET;
    const label = targetLabel(a);
    if (!fs.existsSync(a.keyFile))
        throw new HostError(
            `isobench:target.keyFile: ${a.keyFile} does not exist (the key for ${label}). Fix: give the path of the private key the target accepts`,
        );
    const dir = targetStateDir(a, stateDir);
    ensurePrivateDir(dir);
    const knownHosts = path.join(dir, "known_hosts");
    if (!fs.existsSync(knownHosts) || fs.readFileSync(knownHosts, "utf8").trim() === "") {
        throw new HostError(
            `isobench:target: no pinned host key for ${label} in ${knownHosts}. Fix: compare the target's host key fingerprint (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub, run on the target) with ssh-keyscan -p ${a.port} ${a.host} | ssh-keygen -lf -, then: ssh-keyscan -p ${a.port} ${a.host} > ${knownHosts}`,
        );
    }
    const controlPath = path.join(dir, "cm");
    if (controlPath.length > MAX_SOCKET_PATH) {
        throw new HostError(`the state folder of ${label} (${dir}) is too long for a Unix socket path. Fix: set ISOBENCH_STATE_DIR to a shorter folder`);
    }
    return { ...a, knownHosts, controlPath, dockerSocket: path.join(dir, "docker.sock") };
}

/** The transport to the stack's machine under test. @throws HostError as stackTarget */
export function stackTransport(spec: Pick<ExperimentSpec, "target">, stateDir?: string): Transport {
    return transportTo(stackTarget(spec, stateDir));
}

/**
 * Checks that the stack's machine under test answers, before anything is provisioned; opens the
 * shared connection its cells will use. `command`: what the fix says to run again.
 * @throws HostError naming the target, what SSH said and the fix
 */
export function checkReachable(t: Transport, command = "isobench up"): void {
    if (t.target.kind === "local") return;
    const c = t.attempt(["true"], 60);
    if (c.error || c.status !== 0) {
        throw new HostError(
            `isobench:target ${t.label} is unreachable: ${c.error ?? (c.stderr || c.stdout).trim()}. Nothing was ${command === "isobench up" ? "provisioned" : "changed"}. Fix: check that it is up and that the stack's key and pinned host key are right, then run ${command} again`,
        );
    }
}
