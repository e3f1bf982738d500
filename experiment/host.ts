/**
 * Gathers the HostContext for a spec and refuses, with the fix, what this host cannot do —
 * before any resource is declared.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ExperimentSpec } from "./spec";
import type { HostContext } from "./program";
import { probeKvmBoot } from "../environments/kvm-probe";
import type { CommandBackend } from "../environments/command";
import { UserError } from "./errors";
import { attempt, combinedOutput, virshArgv } from "../environments/process";
import { REPO_ROOT, guestImageFiles, imageState, resultsRoot as resultsRootOf, stateDir as stateDirOf } from "./paths";

export class HostError extends UserError {}

function lastLine(argv: string[]): { ok: boolean; last: string } {
    const c = attempt(argv, 20);
    return { ok: c.status === 0, last: combinedOutput(c).split("\n").slice(-1)[0] };
}

/** Whether an executable called `exe` is on the PATH of `env`. */
export function onPath(exe: string, env: NodeJS.ProcessEnv = process.env): boolean {
    return (env.PATH ?? "").split(":").some((d) => d && fs.existsSync(path.join(d, exe)));
}

/**
 * Whether the Pulumi engine will find plugin pulumi-resource-<name>: on PATH or in
 * $PULUMI_HOME/plugins, looked up in `env`, the environment Pulumi runs with.
 */
export function pluginInstalled(name: string, env: NodeJS.ProcessEnv = process.env): boolean {
    if (onPath(`pulumi-resource-${name}`, env)) return true;
    const dir = path.join(env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi"), "plugins");
    return fs.existsSync(dir) && fs.readdirSync(dir).some((d) => d.startsWith(`resource-${name}-v`));
}

function readImageState(stateDir: string, file: "container-image" | "guest-image", fix: string): string {
    const s = imageState(stateDir, file);
    if (s.value === undefined) throw new HostError(`${s.file} is missing: the image has not been built. Fix: ${fix}`);
    return s.value;
}

export interface HostOptions {
    readonly repoRoot?: string;
    readonly log?: (line: string) => void;
    /** Environment Pulumi runs with (PATH and PULUMI_HOME decide which plugins it finds). */
    readonly env?: NodeJS.ProcessEnv;
}

export function gatherHost(spec: ExperimentSpec, opts: HostOptions = {}): HostContext {
    const repoRoot = opts.repoRoot ?? REPO_ROOT;
    const log = opts.log ?? (() => undefined);
    const env = opts.env ?? process.env;
    const stateDir = stateDirOf(repoRoot);
    const resultsRoot = resultsRootOf(repoRoot);
    const wantsDocker = spec.environments.some((e) => e.startsWith("docker"));
    const wantsKvm = spec.environments.some((e) => e.startsWith("kvm"));

    const commandBackend: CommandBackend = pluginInstalled("command", env) ? "plugin" : "dynamic";
    log(`command resources: ${commandBackend === "plugin" ? "@pulumi/command plugin" : "dynamic provider (pulumi-resource-command not installed)"}`);

    let containerImage = "";
    let dockerDriver: HostContext["dockerDriver"] = "cli";
    if (wantsDocker) {
        const d = lastLine(["docker", "info", "--format", "{{.ServerVersion}}"]);
        if (!d.ok) throw new HostError(`Docker daemon not reachable (docker info: ${d.last}). Fix: run scripts/daemons.sh, or start dockerd (systemctl start docker).`);
        containerImage = readImageState(stateDir, "container-image", "run images/build-container-image.sh (or scripts/setup.sh)");
        if (!lastLine(["docker", "image", "inspect", containerImage]).ok) {
            throw new HostError(`container image ${containerImage} is not in the Docker daemon. Fix: run images/build-container-image.sh`);
        }
        const providerAvailable = pluginInstalled("docker", env);
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
        const v = lastLine(virshArgv(20, "version"));
        if (!v.ok) throw new HostError(`libvirt not reachable (virsh version: ${v.last}). Fix: run scripts/daemons.sh, or start libvirtd (systemctl start libvirtd).`);
        const dir = readImageState(stateDir, "guest-image", "run images/build-guest-image.sh (or scripts/setup.sh)");
        guestImage = guestImageFiles(dir);
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
