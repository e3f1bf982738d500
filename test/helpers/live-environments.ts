/**
 * Live environments for integration tests of workloads: the host itself, a Docker NAT container and
 * a KVM guest (software emulation where KVM is unusable), provisioned once per mocha suite with
 * the same building blocks the Pulumi program uses (containerSpec + cli scripts, resolveDomainSpec
 * + guest-lifecycle.sh) and removed again in dispose(). Each suite passes its own prefix, so suites
 * running at the same time on the shared daemons never touch each other's containers or guests.
 *
 *   let live: LiveEnvironments;
 *   before(function () { this.timeout(600_000); live = provisionLiveEnvironments({ prefix: "it4a", kinds: ["native", "docker", "kvm"] }); });
 *   after(function () { this.timeout(300_000); live?.dispose(); });
 *   runCell({ ..., env: live.handles.docker! }, workload);
 */
import * as fs from "fs";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { REPO_ROOT } from "../../experiment/paths";
import { cliCreateScript, cliDeleteScript, containerSpec, DATA_DIR } from "../../environments/container-spec";
import { EnvironmentHandle, GUEST_DATA_DIR, nativeDataDir } from "../../environments/exec-target";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { kvmUntuned, resolveDomainSpec } from "../../environments/kvm/presets";
import { mustRun, run } from "../../environments/process";

export type LiveKind = "native" | "docker" | "kvm";

export interface LiveEnvironmentsOptions {
    /** Names every container, volume, domain and disk (`<prefix>-…`); unique per suite. */
    readonly prefix: string;
    readonly kinds: readonly LiveKind[];
    /** Container TCP ports Docker NAT publishes (on 127.0.0.1, random host port). */
    readonly serverPorts?: readonly number[];
    /** Guest size; default 1 vCPU, 1024 MiB. */
    readonly kvm?: { readonly vcpus?: number; readonly memoryMiB?: number; readonly bootTimeoutS?: number };
}

export interface LiveEnvironments {
    readonly handles: Partial<Record<LiveKind, EnvironmentHandle>>;
    /** Removes everything provisioned; safe to call twice and after a failed provisioning. */
    dispose(): void;
}

const LIFECYCLE = path.join(REPO_ROOT, "environments", "kvm", "guest-lifecycle.sh");

/** Provisions the requested environments (a guest takes ~45 s under software emulation). */
export function provisionLiveEnvironments(opts: LiveEnvironmentsOptions): LiveEnvironments {
    const stack = opts.prefix;
    const environments = opts.kinds.map((k) => (k === "docker" ? "docker-nat" : k === "kvm" ? "kvm-untuned" : "native"));
    const spec = parseSpec(stack, { runId: "live", environments, workloads: ["sysbench-cpu"], allowSoftwareEmulation: true });
    const host = gatherHost(spec);
    const handles: Partial<Record<LiveKind, EnvironmentHandle>> = {};
    const cleanups: Array<() => void> = [];
    const dispose = () => {
        const errors: string[] = [];
        for (const c of cleanups.splice(0).reverse()) {
            try {
                c();
            } catch (e) {
                errors.push((e as Error).message);
            }
        }
        if (errors.length) throw new Error(`live environments of ${stack}: cleanup failed: ${errors.join("; ")}`);
    };
    try {
        if (opts.kinds.includes("native")) {
            const dataDir = nativeDataDir(stack);
            cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
            handles.native = { name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir, declared: {} };
        }
        if (opts.kinds.includes("docker")) {
            const c = containerSpec({ stack, environment: "docker-nat", image: host.containerImage, network: "nat", serverPorts: opts.serverPorts ?? [] });
            cleanups.push(() => mustRun(["/bin/sh", "-c", cliDeleteScript(c)], 120, `removing container ${c.name}`));
            mustRun(["/bin/sh", "-c", cliCreateScript(c)], 120, `creating container ${c.name}`);
            handles.docker = {
                name: "docker-nat", envKind: "docker", variant: "net=nat;storage=volume;driver=cli", accel: "none",
                target: { kind: "docker", container: c.name, network: "nat" }, dataDir: DATA_DIR, declared: {},
            };
        }
        if (opts.kinds.includes("kvm")) {
            // Where the program keeps guest disks too: libvirt's qemu user must reach it (not a 0700 temp dir).
            const dir = path.join(host.stateDir, "guests", stack);
            fs.mkdirSync(dir, { recursive: true });
            const name = `isobench-${stack}-kvm`;
            const disk = path.join(dir, "disk.qcow2");
            cleanups.push(() => {
                mustRun([LIFECYCLE, "delete", name, disk], 180, `removing guest ${name}`);
                fs.rmSync(dir, { recursive: true, force: true });
            });
            const domain = resolveDomainSpec(kvmUntuned, {
                name, stack, vcpus: opts.kvm?.vcpus ?? 1, memoryMiB: opts.kvm?.memoryMiB ?? 1024, diskPath: disk,
                kernel: host.guestImage.kernel, initrd: host.guestImage.initrd,
                cmdline: "root=/dev/vda rw console=ttyS0 quiet", serialLogPath: path.join(dir, "serial.log"),
            }, { accel: host.accel, vhostAvailable: host.vhostAvailable, hostCpuCount: host.hostCpuCount }, {});
            const xml = path.join(dir, "domain.xml");
            fs.writeFileSync(xml, renderDomainXml(domain));
            mustRun([LIFECYCLE, "create", name, xml, host.guestImage.disk, disk], 180, `creating guest ${name}`);
            const wait = run([LIFECYCLE, "wait-ssh", name, host.sshKey, String(opts.kvm?.bootTimeoutS ?? 300)], (opts.kvm?.bootTimeoutS ?? 300) + 60);
            if (wait.status !== 0) throw new Error(`guest ${name} did not answer SSH: ${wait.stderr.trim().split("\n").slice(-5).join(" | ")}`);
            handles.kvm = {
                name: "kvm-untuned", envKind: "kvm", variant: "preset=kvm-untuned", accel: host.accel,
                target: { kind: "kvm", domain: name, sshKey: host.sshKey }, dataDir: GUEST_DATA_DIR, declared: {},
            };
        }
    } catch (e) {
        try {
            dispose();
        } catch (cleanupError) {
            (e as Error).message += `; ${(cleanupError as Error).message}`;
        }
        throw e;
    }
    return { handles, dispose };
}
