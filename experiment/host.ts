/**
 * Gathers the HostContext for a spec and refuses, with the fix, what this host cannot do —
 * before any resource is declared.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import type { ExperimentSpec } from "./spec";
import type { HostContext } from "./program";
import { probeKvmBoot } from "../environments/kvm-probe";
import type { CommandBackend } from "../environments/command";

export class HostError extends Error {}

export const REPO_ROOT = path.resolve(__dirname, "..");

function ok(argv: string[], timeoutS = 20): { ok: boolean; out: string } {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: timeoutS * 1000 });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? r.error.message : ""}`.trim() };
}

function onPath(exe: string): boolean {
    return (process.env.PATH ?? "").split(":").some((d) => d && fs.existsSync(path.join(d, exe)));
}

function pulumiHome(): string {
    return process.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
}

function pluginInstalled(name: string): boolean {
    if (onPath(`pulumi-resource-${name}`)) return true;
    const dir = path.join(pulumiHome(), "plugins");
    return fs.existsSync(dir) && fs.readdirSync(dir).some((d) => d.startsWith(`resource-${name}-v`));
}

function readState(stateDir: string, file: string, fix: string): string {
    const p = path.join(stateDir, "images", file);
    if (!fs.existsSync(p)) throw new HostError(`${p} is missing: the image has not been built. Fix: ${fix}`);
    return fs.readFileSync(p, "utf8").trim();
}

export interface HostOptions {
    readonly repoRoot?: string;
    readonly log?: (line: string) => void;
}

export function gatherHost(spec: ExperimentSpec, opts: HostOptions = {}): HostContext {
    const repoRoot = opts.repoRoot ?? REPO_ROOT;
    const log = opts.log ?? (() => undefined);
    const stateDir = process.env.ISOBENCH_STATE_DIR ?? path.join(repoRoot, ".state");
    const resultsRoot = process.env.ISOBENCH_RESULTS_DIR ?? path.join(repoRoot, "results");
    const wantsDocker = spec.environments.some((e) => e.startsWith("docker"));
    const wantsKvm = spec.environments.some((e) => e.startsWith("kvm"));

    const commandBackend: CommandBackend = pluginInstalled("command") ? "plugin" : "dynamic";
    log(`command resources: ${commandBackend === "plugin" ? "@pulumi/command plugin" : "dynamic provider (pulumi-resource-command not installed)"}`);

    let containerImage = "";
    let dockerDriver: HostContext["dockerDriver"] = "cli";
    if (wantsDocker) {
        const d = ok(["docker", "info", "--format", "{{.ServerVersion}}"]);
        if (!d.ok) throw new HostError(`Docker daemon not reachable (docker info: ${d.out.split("\n").slice(-1)[0]}). Fix: run scripts/daemons.sh, or start dockerd (systemctl start docker).`);
        containerImage = readState(stateDir, "container-image", "run images/build-container-image.sh (or scripts/setup.sh)");
        if (!ok(["docker", "image", "inspect", containerImage]).ok) {
            throw new HostError(`container image ${containerImage} is not in the Docker daemon. Fix: run images/build-container-image.sh`);
        }
        const providerAvailable = pluginInstalled("docker");
        if (spec.dockerDriver === "provider" && !providerAvailable) {
            throw new HostError(`isobench:dockerDriver is "provider" but the pulumi-resource-docker plugin is not installed (it cannot be built offline). Fix: pulumi plugin install resource docker 5.2.0, or set isobench:dockerDriver: cli`);
        }
        dockerDriver = spec.dockerDriver === "auto" ? (providerAvailable ? "provider" : "cli") : spec.dockerDriver;
        log(`docker driver: ${dockerDriver}${spec.dockerDriver === "auto" ? ` (auto: ${providerAvailable ? "docker provider plugin found" : "no docker provider plugin, using the docker CLI"})` : ""}`);
    }

    let guestImage = { disk: "", kernel: "", initrd: "" };
    let sshKey = "";
    let accel: HostContext["accel"] = "kvm";
    const vhostAvailable = fs.existsSync("/dev/vhost-net");
    if (wantsKvm) {
        const v = ok(["timeout", "20", "virsh", "-c", "qemu:///system", "version"]);
        if (!v.ok) throw new HostError(`libvirt not reachable (virsh version: ${v.out.split("\n").slice(-1)[0]}). Fix: run scripts/daemons.sh, or start libvirtd (systemctl start libvirtd).`);
        const dir = readState(stateDir, "guest-image", "run images/build-guest-image.sh (or scripts/setup.sh)");
        guestImage = { disk: path.join(dir, "disk.qcow2"), kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initrd.img") };
        for (const f of Object.values(guestImage)) {
            if (!fs.existsSync(f)) throw new HostError(`guest image file ${f} is missing. Fix: run images/build-guest-image.sh`);
        }
        sshKey = path.join(stateDir, "ssh", "id_ed25519");
        if (!fs.existsSync(sshKey)) throw new HostError(`SSH key ${sshKey} is missing. Fix: run images/build-guest-image.sh`);
        const probe = probeKvmBoot(guestImage.kernel, guestImage.initrd, path.join(stateDir, "kvm-probe.json"));
        if (probe.usable) {
            accel = "kvm";
        } else if (spec.allowSoftwareEmulation) {
            accel = "tcg";
            log(`KVM cannot boot guests here (${probe.detail}); guests run under software emulation and every sample says accel=tcg`);
        } else {
            throw new HostError(`KVM is requested but unusable: ${probe.detail}. Fix: run on a host with working hardware virtualisation, or set isobench:allowSoftwareEmulation: true to measure guests under software emulation (labelled accel=tcg).`);
        }
        if (spec.kvm.vhost === "on" && !vhostAvailable) {
            throw new HostError(`isobench:kvm.vhost is "on" but /dev/vhost-net does not exist. Fix: modprobe vhost_net, or set isobench:kvm.vhost: auto (vhost used where available, recorded either way).`);
        }
        log(`guests: accel=${accel}, vhost-net ${vhostAvailable ? "available" : "absent (/dev/vhost-net missing)"}`);
    }
    return {
        repoRoot, resultsRoot, stateDir, containerImage, guestImage, sshKey, accel, vhostAvailable,
        hostCpuCount: os.cpus().length, dockerDriver, commandBackend,
    };
}
