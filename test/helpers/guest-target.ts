/**
 * A throwaway guest as a remote target (issue 20's "truly separate" machine): booted from the
 * docker-in-kvm guest image (Debian with Docker, the benchmark tools and, once its provisioning
 * loaded it, the container image; nothing of isobench's checkout), reached as root over SSH with
 * the stack's guest key and the host key it announced when it booted, pinned under its address in
 * a state folder's targets/ the way a user pins a server's. {@link GuestTarget.dispose} closes the
 * connection, removes the pinned key's folder and the guest.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { SshAddress } from "../../core/transport";
import { guestAccessOf } from "../../environments/exec-target";
import { guestIp } from "../../environments/kvm/guest-ip";
import { Transport, transportOf, transportTo } from "../../environments/transport";
import { loadStackSpec } from "../../experiment/stack-file";
import { stackTarget, targetStateDir } from "../../experiment/target";
import { StackEnvironments, provisionStackEnvironments } from "./stack-environments";

export interface GuestTarget {
    readonly address: SshAddress;
    /** What a stack's isobench:target says to reach it. */
    readonly stackTarget: { readonly url: string; readonly keyFile: string };
    readonly transport: Transport;
    /** Seconds from the start until the guest answered SSH. */
    readonly readyS: number;
    dispose(): void;
}

/**
 * Boots the guest of stack `stack` (one docker-in-kvm environment of `guest`'s size) and pins it as
 * a target in `stateDir`.
 */
export async function startGuestTarget(
    stack: string,
    guest: { readonly vcpus: number; readonly memoryMiB: number },
    stateDir: string,
    log: (line: string) => void,
): Promise<GuestTarget> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-guest-target-"));
    let live: StackEnvironments | undefined;
    let targetDir = "";
    let transport: Transport | undefined;
    const dispose = () => {
        try {
            transport?.close();
            if (targetDir) fs.rmSync(targetDir, { recursive: true, force: true });
        } finally {
            try {
                live?.dispose();
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        }
    };
    try {
        fs.writeFileSync(
            path.join(dir, `Pulumi.${stack}.yaml`),
            YAML.stringify({
                config: {
                    "isobench:runId": "smoke",
                    "isobench:allowSoftwareEmulation": true,
                    "isobench:environments": [{ name: "target", kind: "docker-in-kvm", guest }],
                    "isobench:workloads": ["sysbench-cpu"],
                },
            }),
        );
        const t0 = Date.now();
        live = await provisionStackEnvironments(loadStackSpec(dir, stack), { log });
        const handle = live.handles.get("target")!;
        const access = guestAccessOf(handle);
        const ip = guestIp(transportOf(handle), access.domain);
        const readyS = (Date.now() - t0) / 1000;
        log(`guest ${access.domain} at ${ip} ready after ${readyS.toFixed(0)} s`);
        // Its host key, recorded under the domain's name when it booted, pinned under its address.
        const address: SshAddress = { kind: "ssh", user: "root", host: ip, port: 22, keyFile: access.sshKey };
        targetDir = targetStateDir(address, stateDir);
        fs.mkdirSync(targetDir, { recursive: true, mode: 0o700 });
        const pinned = fs
            .readFileSync(access.knownHosts, "utf8")
            .split("\n")
            .filter((l) => l.split(" ")[0] === access.domain)
            .map((l) => `${ip} ${l.split(" ").slice(1).join(" ")}`);
        assert.ok(pinned.length > 0, `the guest's host key in ${access.knownHosts}`);
        fs.writeFileSync(path.join(targetDir, "known_hosts"), `${pinned.join("\n")}\n`);
        transport = transportTo(stackTarget({ target: address }, stateDir));
        return { address, stackTarget: { url: `ssh://root@${ip}:22`, keyFile: access.sshKey }, transport, readyS, dispose };
    } catch (e) {
        dispose();
        throw e;
    }
}
