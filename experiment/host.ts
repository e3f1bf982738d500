/**
 * Gathers the HostContext for a spec and refuses, with the fix, what this host cannot do —
 * before any resource is declared.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ExperimentSpec, hostSettingsOf } from "./spec";
import { checkHostSettings } from "../environments/host-apply";
import type { HostContext } from "./program";
import { probeKvmBoot } from "../environments/kvm-probe";
import type { CommandBackend } from "../environments/command";
import { UserError } from "../core/errors";
import { combinedOutput } from "../environments/process";
import { compareHost, measureHost } from "../environments/host-facts";
import { checkReachable, kvmProbeCache, stackTransport } from "./target";
import { readHostTopology } from "./host-shape-read";
import { Transport, thisMachine } from "../environments/transport";
import { BRIDGE_GATEWAY_FIX, readBridgeGateway } from "../environments/docker-bridge";
import { isGuest, type DockerVariant, type KvmKnobs } from "../core/environment-spec";
import { dockerEnvironment, dockerInKvmEnvironment, kvmEnvironment, numaProblems, workloadNeeds } from "./environment-handles";
import { OVMF } from "../environments/kvm/guest-files";
import {
    REPO_ROOT,
    ImageStateFile,
    hostRecordsDir,
    guestImageFiles,
    imageState,
    resultsRoot as resultsRootOf,
    stateDir as stateDirOf,
    guestsDir as guestsDirOf,
    ensurePrivateDir,
} from "../core/paths";
import { HostError } from "../core/errors";
import { HostSize, capacityProblems, capacityRefusal } from "./guest-capacity";
import {
    DISK_MARGIN_BYTES,
    DiskNeed,
    DiskPlan,
    FilesystemSpace,
    GuestImageFacts,
    GuestImageKind,
    diskPlan,
    diskRefusal,
    filesystemProblems,
    formatBytes,
} from "./disk-plan";
import { EXT4_SUPERBLOCK_OFFSET, EXT4_SUPERBLOCK_READ, ext4Space, qemuImgSizes, qemuIoBytes } from "../environments/kvm/guest-image-facts";

function lastLine(host: Transport, argv: string[]): { ok: boolean; last: string } {
    const c = host.attempt(argv, 20);
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

function readImageState(stateDir: string, file: ImageStateFile, fix: string): string {
    const s = imageState(stateDir, file);
    if (s.value === undefined) throw new HostError(`${s.file} is missing: the image has not been built. Fix: ${fix}`);
    return s.value;
}

/**
 * What an image builder recorded on `machine`, in its checkout's .state/images at this checkout's
 * path (setup-target builds a remote target's guest images there): guest images are files on the
 * machine that runs the guests, so its own record names them.
 */
export function imageRecordOn(machine: Transport, stateDir: string, file: ImageStateFile): { readonly file: string; readonly value?: string } {
    const p = imageState(stateDir, file).file;
    const value = machine.readFiles([p]).get(p)?.trim();
    return { file: p, ...(value ? { value } : {}) };
}

/** A guest image's folder as `machine` records it. @throws HostError with `fix` (run there) when it has none */
function guestImageRecord(machine: Transport, stateDir: string, file: ImageStateFile, fix: string): string {
    const r = imageRecordOn(machine, stateDir, file);
    if (r.value === undefined) throw new HostError(`${onMachine(machine, r.file)} is missing: the image has not been built. Fix: ${fixOn(machine, fix)}`);
    return r.value;
}

/** A path as messages name it: prefixed by the target when it is not this machine. */
function onMachine(machine: Transport, p: string): string {
    return machine.target.kind === "local" ? p : `${machine.label}:${p}`;
}

/** A fix to run on the machine: as is locally, through setup-target (which runs the same scripts there) on a remote target. */
function fixOn(machine: Transport, fix: string): string {
    return machine.target.kind === "local" ? fix : `run isobench setup-target <stack> (it runs ${fix.replace(/^run /, "")} on ${machine.label})`;
}

/** Those of `paths` that do not exist on `machine`, in one round trip. */
export function missingOn(machine: Transport, paths: readonly string[]): string[] {
    if (paths.length === 0) return [];
    const c = machine.run(["/bin/sh", "-c", 'for f; do [ -e "$f" ] || echo "$f"; done', "sh", ...paths], 30);
    if (c.status !== 0) throw new HostError(`cannot look for ${paths.join(", ")} on ${machine.label} (exit ${c.status}): ${combinedOutput(c).slice(-300)}`);
    return c.stdout.split("\n").filter((l) => l !== "");
}

/** @throws HostError naming the first of `files` missing on `machine`, with `fix` */
function requireOn(machine: Transport, files: readonly string[], what: string, fix: string): void {
    const missing = missingOn(machine, files);
    if (missing.length > 0) throw new HostError(`${what} ${onMachine(machine, missing[0])} is missing. Fix: ${fixOn(machine, fix)}`);
}

export interface HostOptions {
    readonly repoRoot?: string;
    readonly log?: (line: string) => void;
    /** Environment Pulumi runs with (PATH and PULUMI_HOME decide which plugins it finds). */
    readonly env?: NodeJS.ProcessEnv;
}

/** Host settings the stack declares: checked before they are applied, or compared with the host's when it does not apply them. */
function hostSettingsPreflight(spec: ExperimentSpec, log: (line: string) => void): void {
    const settings = hostSettingsOf(spec.host);
    if (spec.host.apply && Object.keys(settings).length > 0) {
        let changes;
        try {
            changes = checkHostSettings({ root: "", recordsDir: hostRecordsDir() }, spec.stack, settings);
        } catch (e) {
            if (e instanceof UserError) throw new HostError(e.message);
            throw e;
        }
        log(
            `host settings (isobench:host.apply): ${changes.length ? changes.map((c) => `${c.setting} ${c.from} -> ${c.to}`).join(", ") : "already as declared"}; restored on isobench destroy`,
        );
    } else if (Object.keys(settings).length > 0) {
        const bad = compareHost(settings, measureHost(stackTransport(spec)));
        if (bad.length > 0) {
            throw new HostError(
                `the host is not configured as isobench:host declares (isobench changes host settings only when asked to):\n  - ${bad.join("\n  - ")}\nFix: set isobench:host.apply: true (isobench sets them and restores the previous values on destroy), apply them yourself (e.g. echo never > /sys/kernel/mm/transparent_hugepage/enabled; swapoff -a; cpupower frequency-set -g performance), or change isobench:host`,
            );
        }
    }
}

/** dockerd, the container image and the driver; every Docker variant checked against the daemon. */
function dockerHost(
    machine: Transport,
    spec: ExperimentSpec,
    env: NodeJS.ProcessEnv,
    stateDir: string,
    dockerVariants: ReadonlyArray<{ name: string; d: DockerVariant }>,
    log: (line: string) => void,
): { containerImage: string; dockerDriver: HostContext["dockerDriver"]; dockerRootDir: string; containerImageBytes: number } {
    const d = lastLine(machine, ["docker", "info", "--format", "{{.DockerRootDir}}"]);
    if (!d.ok)
        throw new HostError(
            `Docker daemon not reachable on ${machine.label} (docker info: ${d.last}). Fix: run scripts/daemons.sh there, or start dockerd (systemctl start docker).`,
        );
    const containerImage = readImageState(stateDir, "container-image", "run images/build-container-image.sh (or scripts/setup.sh)");
    const inspected = lastLine(machine, ["docker", "image", "inspect", "--format", "{{.Size}}", containerImage]);
    if (!inspected.ok) {
        throw new HostError(
            `container image ${containerImage} is not in the Docker daemon of ${machine.label}. Fix: run images/build-container-image.sh${machine.target.kind === "local" ? "" : " there (the same script, in a checkout of the same commit)"}`,
        );
    }
    // The provider runs in Pulumi on this machine and does not reach a remote daemon yet (spec.ts refuses "provider" there).
    const providerAvailable = machine.target.kind === "local" && pluginInstalled("docker", env);
    if (spec.dockerDriver === "provider" && !providerAvailable) {
        throw new HostError(
            `isobench:dockerDriver is "provider" but the pulumi-resource-docker plugin is not installed (it cannot be built offline). Fix: pulumi plugin install resource docker 5.2.0, or set isobench:dockerDriver: cli`,
        );
    }
    const dockerDriver: HostContext["dockerDriver"] = spec.dockerDriver === "auto" ? (providerAvailable ? "provider" : "cli") : spec.dockerDriver;
    dockerPreflight(machine, dockerVariants, containerImage);
    log(
        `docker driver: ${dockerDriver}${spec.dockerDriver === "auto" ? ` (auto: ${providerAvailable ? "docker provider plugin found" : "no docker provider plugin, using the docker CLI"})` : ""}`,
    );
    return { containerImage, dockerDriver, dockerRootDir: d.last.trim(), containerImageBytes: Number(inspected.last.trim()) || 0 };
}

/**
 * Set to "1" (by `isobench up --allow-emulation`) in the environment of the preflight and of the
 * Pulumi program: guests may run under software emulation for this run, whatever the stack says.
 */
export const ALLOW_EMULATION_ENV = "ISOBENCH_ALLOW_EMULATION";

/** Who allowed software emulation for this run, as the run's first line and the refusal name it; undefined when nobody did. */
export function emulationAllowedBy(spec: Pick<ExperimentSpec, "allowSoftwareEmulation">, env: NodeJS.ProcessEnv): string | undefined {
    if (env[ALLOW_EMULATION_ENV] === "1") return "isobench up --allow-emulation";
    return spec.allowSoftwareEmulation ? "isobench:allowSoftwareEmulation: true in the stack" : undefined;
}

/**
 * The accelerator guests run under: KVM where it boots a guest kernel; otherwise software
 * emulation only when this run or the stack explicitly allows it, since emulated guests measure
 * QEMU's emulator and say nothing about KVM.
 * @throws HostError naming both ways to allow it when KVM is unusable and nobody allowed emulation
 */
export function guestAccel(
    spec: Pick<ExperimentSpec, "stack" | "allowSoftwareEmulation">,
    probe: { readonly usable: boolean; readonly detail: string },
    env: NodeJS.ProcessEnv,
): HostContext["accel"] {
    if (probe.usable) return "kvm";
    if (emulationAllowedBy(spec, env)) return "tcg";
    throw new HostError(
        `KVM is requested but unusable: ${probe.detail}. Fix: run on a host with working hardware virtualisation (isobench doctor says what is missing), or, to measure the guests under QEMU software emulation (labelled accel=tcg everywhere; not KVM numbers), run \`isobench up ${spec.stack} --allow-emulation\` (or set isobench:allowSoftwareEmulation: true in the stack)`,
    );
}

/**
 * The run's first line when its guests are emulated: nobody should read what follows as KVM.
 * Undefined when they run under KVM.
 */
export function emulationBanner(spec: Pick<ExperimentSpec, "allowSoftwareEmulation">, accel: HostContext["accel"], env: NodeJS.ProcessEnv): string | undefined {
    if (accel !== "tcg") return undefined;
    return `SOFTWARE EMULATION (accel=tcg, allowed by ${emulationAllowedBy(spec, env) ?? "nobody"}): this host's KVM cannot boot guests, so every guest of this run is QEMU's emulator, 3-50x slower than the host; guest numbers are not KVM numbers and say nothing about virtualisation overhead`;
}

/** libvirtd, the guest image and SSH key, and whether guests run under KVM or (when allowed) tcg. */
function kvmHost(
    machine: Transport,
    spec: ExperimentSpec,
    env: NodeJS.ProcessEnv,
    stateDir: string,
    guests: ReadonlyArray<{ name: string; k: KvmKnobs }>,
    vhostAvailable: boolean,
    log: (line: string) => void,
): { guestImage: HostContext["guestImage"]; sshKey: string; accel: HostContext["accel"] } {
    const v = machine.virsh(20, ["version"]);
    if (v.error || v.status !== 0)
        throw new HostError(
            `libvirt not reachable on ${machine.label} (virsh version: ${combinedOutput(v).split("\n").slice(-1)[0]}). Fix: run scripts/daemons.sh${machine.target.kind === "local" ? "" : " there"}, or start libvirtd (systemctl start libvirtd).`,
        );
    const dir = guestImageRecord(machine, stateDir, "guest-image", "run images/build-guest-image.sh (or scripts/setup.sh)");
    const guestImage = guestImageFiles(dir);
    // The guests' key is the one baked into the image, on the machine that builds and reaches them.
    const sshKey = path.join(stateDir, "ssh", "id_ed25519");
    requireOn(machine, [...Object.values(guestImage), sshKey], "guest image file or SSH key", "run images/build-guest-image.sh");
    const probe = probeKvmBoot(machine, guestImage.kernel, guestImage.initrd, kvmProbeCache(machine.target, stateDir));
    const accel = guestAccel(spec, probe, env);
    if (accel === "tcg") log(`KVM cannot boot guests here (${probe.detail}); guests run under software emulation and every sample says accel=tcg`);
    if (spec.kvm.vhost === "on" && !vhostAvailable) {
        throw new HostError(
            `isobench:kvm.vhost is "on" but /dev/vhost-net does not exist. Fix: modprobe vhost_net, or set isobench:kvm.vhost: auto (vhost used where available, recorded either way).`,
        );
    }
    for (const g of guests) guestPreflight(machine, g.name, g.k, vhostAvailable);
    log(`guests: accel=${accel}, vhost-net ${vhostAvailable ? "available" : "absent (/dev/vhost-net missing)"}`);
    return { guestImage, sshKey, accel };
}

/**
 * NUMA nodes and numactl, then every environment resolved now, so what the host cannot provide
 * (pinning to missing CPUs, ht-siblings without hyperthreads, bootloader boot without its image
 * or firmware, …) is refused before Pulumi starts.
 */
function refuseWhatTheHostCannotProvide(machine: Transport, spec: ExperimentSpec, ctx: HostContext): void {
    const numa = numaProblems(spec, ctx.numaNodes!);
    if (numa.length > 0) throw new HostError(`numactl policies name NUMA nodes that do not exist:\n  - ${numa.join("\n  - ")}`);
    if (spec.environmentSpecs.some((e) => e.kind === "native" && e.numactl) && machine.attempt(["/bin/sh", "-c", "command -v numactl"], 20).status !== 0) {
        throw new HostError(`a native environment declares a numactl policy, but numactl is not installed on ${machine.label}. Fix: apt-get install numactl`);
    }
    for (const e of spec.environmentSpecs) {
        if (e.kind === "kvm") kvmEnvironment(spec, e, ctx);
        if (e.kind === "docker") dockerEnvironment(spec, e, ctx, [], workloadNeeds(spec, e.name));
        if (e.kind === "docker-in-kvm") dockerInKvmEnvironment(spec, e, ctx, [], workloadNeeds(spec, e.name));
    }
}

/** The stack's guests against the host's RAM and CPUs, alone and together (experiment/guest-capacity.ts decides). */
function guestCapacityPreflight(spec: ExperimentSpec, host: HostSize): void {
    const problems = capacityProblems(spec, host);
    if (problems.length > 0) throw new HostError(capacityRefusal(spec.stack, problems));
}

export function gatherHost(spec: ExperimentSpec, opts: HostOptions = {}): HostContext {
    const repoRoot = opts.repoRoot ?? REPO_ROOT;
    const log = opts.log ?? (() => undefined);
    const env = opts.env ?? process.env;
    const stateDir = stateDirOf(repoRoot);
    // First, before anything: a remote target that is not pinned or does not answer stops here.
    const machine = stackTransport(spec, stateDir);
    checkReachable(machine);
    const { hostCpuCount, memTotalMiB, cpuSiblings, cpuPackages: packages, numaNodes } = readHostTopology(machine);
    // It needs no daemon, and a stack sized for another machine should not get as far as creating the state folder.
    guestCapacityPreflight(spec, { cpuCount: hostCpuCount, memTotalMiB });
    ensurePrivateDir(stateDir);
    const resultsRoot = resultsRootOf(repoRoot);
    const kinds = new Set(spec.environmentSpecs.map((e) => e.kind));
    const wantsDocker = kinds.has("docker") || kinds.has("docker-in-kvm");
    const wantsKvm = kinds.has("kvm") || kinds.has("docker-in-kvm");
    const dockerVariants = spec.environmentSpecs.flatMap((e) => (e.kind === "docker" || e.kind === "docker-in-kvm" ? [{ name: e.name, d: e.docker }] : []));
    const guests = spec.environmentSpecs.filter(isGuest).map((e) => ({ name: e.name, k: e.kvm }));

    hostSettingsPreflight(spec, log);

    const commandBackend: CommandBackend = pluginInstalled("command", env) ? "plugin" : "dynamic";
    log(`command resources: ${commandBackend === "plugin" ? "@pulumi/command plugin" : "dynamic provider (pulumi-resource-command not installed)"}`);

    const { containerImage, dockerDriver, dockerRootDir, containerImageBytes } = wantsDocker
        ? dockerHost(machine, spec, env, stateDir, dockerVariants, log)
        : { containerImage: "", dockerDriver: "cli" as const, dockerRootDir: undefined, containerImageBytes: undefined };

    const vhostAvailable = missingOn(machine, ["/dev/vhost-net"]).length === 0;
    const { guestImage, sshKey, accel } = wantsKvm
        ? kvmHost(machine, spec, env, stateDir, guests, vhostAvailable, log)
        : { guestImage: { disk: "", kernel: "", initrd: "" }, sshKey: "", accel: "kvm" as const };
    const ctx: HostContext = {
        repoRoot,
        resultsRoot,
        stateDir,
        guestsDir: guestsDirOf(),
        containerImage,
        guestImage,
        sshKey,
        accel,
        vhostAvailable,
        hostCpuCount,
        memTotalMiB,
        dockerDriver,
        commandBackend,
        ...(wantsDocker && { dockerBridgeGateway: bridgeGateway(machine) }),
        ...(kinds.has("docker-in-kvm") && { guestImageDocker: dockerGuestImage(machine, stateDir) }),
        ...(guests.some((g) => g.k.boot === "bootloader") && {
            guestImageBootloader: bootloaderGuestImage(machine, stateDir),
            uefiFirmware: uefiFirmware(machine),
        }),
        cpuSiblings,
        ...(packages && { cpuPackages: packages }),
        numaNodes,
        ...(machine.target.kind === "ssh" && { target: machine.target }),
    };
    refuseWhatTheHostCannotProvide(machine, spec, ctx);
    // Last: it needs the images and Docker's data root, and a stack the host cannot run at all should be told that first.
    diskSpacePreflight(machine, spec, ctx, { dockerRootDir, containerImageBytes }, log);
    return ctx;
}

/** Sizes of a guest image on `machine` and, for an image whose disk is one ext4 filesystem, that filesystem's free space (environments/kvm/guest-image-facts.ts reads them). */
function guestImageFacts(machine: Transport, disk: string, readRoot: boolean, log: (line: string) => void): GuestImageFacts {
    const info = machine.attempt(["qemu-img", "info", "-U", "--output=json", disk], 60);
    const sizes = info.status === 0 ? qemuImgSizes(info.stdout) : undefined;
    if (!sizes) {
        throw new HostError(
            `cannot read the size of guest image ${onMachine(machine, disk)} (qemu-img info: ${combinedOutput(info).split("\n").slice(-1)[0]}). Fix: ${fixOn(machine, "apt-get install qemu-utils, or rebuild the image (images/build-all.sh)")}`,
        );
    }
    if (!readRoot) return { path: disk, ...sizes };
    // -r -U: read only, beside the running guests that hold the shared base open.
    const sb = machine.attempt(["qemu-io", "-r", "-U", "-f", "qcow2", "-c", `read -v ${EXT4_SUPERBLOCK_OFFSET} ${EXT4_SUPERBLOCK_READ}`, disk], 60);
    const root = sb.status === 0 ? ext4Space(qemuIoBytes(sb.stdout)) : undefined;
    if (!root)
        log(
            `warning: cannot read the root filesystem of guest image ${disk} (qemu-io: ${combinedOutput(sb).split("\n")[0]}); the guests' own disks are not checked against their workloads' files`,
        );
    return { path: disk, ...sizes, ...(root && { rootFreeBytes: root.freeBytes }) };
}

/** The nearest folder of "$1" that exists: its device number, then df's free bytes and mount point. */
const FILESYSTEM_SCRIPT = 'p=$1; while [ ! -e "$p" ]; do p=$(dirname "$p"); done; stat -c %d "$p"; df -P -B1 "$p" | awk \'NR == 2 { print $4; print $6 }\'';

/** The nearest folder of `p` that exists on `host`, its filesystem (device), free bytes and mount point. */
function filesystemOf(host: Transport, p: string): { dev: number; freeBytes: number; mount: string } {
    const out = host.mustRun(["/bin/sh", "-c", FILESYSTEM_SCRIPT, "sh", path.resolve(p)], 30, `reading the free space of ${p} on ${host.label}`);
    const [dev, free, mount] = out.trim().split("\n");
    if (!/^\d+$/.test(dev ?? "") || !/^\d+$/.test(free ?? "") || !mount)
        throw new Error(`cannot read the filesystem of ${p} on ${host.label}: ${JSON.stringify(out)}`);
    return { dev: Number(dev), freeBytes: Number(free), mount };
}

/** The cells of the run whose CSV exists, by id: a resumed run does not measure them again. */
export function measuredCells(resultsDir: string): Set<string> {
    const dir = path.join(resultsDir, "cells");
    return new Set(fs.existsSync(dir) ? fs.readdirSync(dir).flatMap((f) => (f.endsWith(".csv") ? [f.slice(0, -".csv".length)] : [])) : []);
}

/**
 * Every file in the stack's guest folder on `machine` with the bytes it takes (allocated blocks:
 * a sparse disk counts what it holds): the disks of a resumed run grow from there.
 */
function existingGuestDisks(machine: Transport, stackGuests: string): Map<string, number> {
    const c = machine.run(
        ["/bin/sh", "-c", '[ -d "$1" ] || exit 0; for f in "$1"/*; do [ -f "$f" ] && stat -c "%b %B %n" "$f"; done; true', "sh", stackGuests],
        30,
    );
    if (c.status !== 0)
        throw new HostError(`cannot list the guest disks in ${onMachine(machine, stackGuests)} (exit ${c.status}): ${combinedOutput(c).slice(-300)}`);
    return new Map(
        c.stdout.split("\n").flatMap((line): Array<[string, number]> => {
            const m = /^(\d+) (\d+) (.+)$/.exec(line);
            return m ? [[m[3], Number(m[1]) * Number(m[2])]] : [];
        }),
    );
}

/**
 * Free space on every filesystem the plan writes to against what it may write there, and each
 * guest's root filesystem against its workloads' files (experiment/disk-plan.ts decides): a
 * refusal with the numbers instead of a disk that fills hours into the run.
 */
function diskSpacePreflight(
    machine: Transport,
    spec: ExperimentSpec,
    ctx: HostContext,
    docker: { dockerRootDir?: string; containerImageBytes?: number },
    log: (line: string) => void,
): void {
    const { plan, filesystems } = measureDisks(machine, spec, ctx, docker, log);
    const problems = [...filesystemProblems(filesystems, { resultsRoot: ctx.resultsRoot, guestsDir: ctx.guestsDir }), ...plan.guestProblems];
    if (problems.length > 0) throw new HostError(diskRefusal(spec.stack, problems));
    log(
        `disk space: ${filesystems.map((f) => `${f.mount} has ${formatBytes(f.freeBytes, "down")} free, the plan may write ${formatBytes(f.needs.reduce((s, n) => s + n.bytes, 0))} there (${formatBytes(DISK_MARGIN_BYTES)} kept free beside it)`).join("; ")}`,
    );
}

/**
 * What the plan may write (experiment/disk-plan.ts) from the guest images' sizes, the guest disks
 * and cells a resumed run has already, and the filesystems it writes to with their free space.
 * Reads only; `isobench plan` and up's preflight share it.
 */
export function measureDisks(
    machine: Transport,
    spec: ExperimentSpec,
    ctx: Pick<HostContext, "resultsRoot" | "guestsDir" | "guestImage" | "guestImageDocker" | "guestImageBootloader">,
    docker: { dockerRootDir?: string; containerImageBytes?: number },
    log: (line: string) => void,
): { plan: DiskPlan; filesystems: FilesystemSpace[] } {
    const guests = spec.environmentSpecs.filter(isGuest);
    const images: Partial<Record<GuestImageKind, GuestImageFacts>> = {};
    if (guests.length > 0) images.direct = guestImageFacts(machine, ctx.guestImage.disk, true, log);
    if (ctx.guestImageDocker) images.docker = guestImageFacts(machine, ctx.guestImageDocker.disk, true, log);
    // Its root partition is the direct image's filesystem (disk-plan.ts reads that one's free space).
    if (ctx.guestImageBootloader) images.bootloader = guestImageFacts(machine, ctx.guestImageBootloader.disk, false, log);
    const plan = diskPlan(spec, {
        resultsRoot: ctx.resultsRoot,
        guestsDir: ctx.guestsDir,
        ...(docker.dockerRootDir && { dockerRootDir: docker.dockerRootDir }),
        ...(docker.containerImageBytes !== undefined && { containerImageBytes: docker.containerImageBytes }),
        images,
        existingDisks: guests.length > 0 ? existingGuestDisks(machine, path.join(ctx.guestsDir, spec.stack)) : new Map(),
        measured: measuredCells(path.join(ctx.resultsRoot, spec.stack, spec.runId)),
    });
    const byDevice = new Map<string, { mount: string; freeBytes: number; needs: DiskNeed[] }>();
    // Results stay on this machine; everything else is written on the machine under test.
    const here = thisMachine();
    for (const need of plan.needs) {
        const on = need.path.startsWith(ctx.resultsRoot) ? here : machine;
        const f = filesystemOf(on, need.path);
        const key = `${on.label} ${f.dev}`;
        const group = byDevice.get(key) ?? {
            mount: on === here || on.target.kind === "local" ? f.mount : `${on.label}:${f.mount}`,
            freeBytes: f.freeBytes,
            needs: [],
        };
        group.needs.push(need);
        byDevice.set(key, group);
    }
    return { plan, filesystems: [...byDevice.values()] };
}

function dockerGuestImage(machine: Transport, stateDir: string): HostContext["guestImage"] {
    const files = guestImageFiles(
        guestImageRecord(
            machine,
            stateDir,
            "guest-image-docker",
            "run ISOBENCH_GUEST_VARIANT=docker images/build-guest-image.sh (docker-in-kvm needs a guest image with the Docker engine)",
        ),
    );
    requireOn(machine, Object.values(files), "guest image file", "run ISOBENCH_GUEST_VARIANT=docker images/build-guest-image.sh");
    return files;
}

const BOOTLOADER_FIX = "images/build-guest-bootloader-image.sh (boot: bootloader needs the guest image with an EFI system partition and systemd-boot)";

function bootloaderGuestImage(machine: Transport, stateDir: string): NonNullable<HostContext["guestImageBootloader"]> {
    const disk = guestImageFiles(guestImageRecord(machine, stateDir, "guest-image-bootloader", `run ${BOOTLOADER_FIX}`)).disk;
    requireOn(machine, [disk], "guest image file", `run ${BOOTLOADER_FIX}`);
    return { disk };
}

function uefiFirmware(machine: Transport): NonNullable<HostContext["uefiFirmware"]> {
    const missing = missingOn(machine, [OVMF.code, OVMF.varsTemplate]);
    if (missing.length > 0)
        throw new HostError(
            `UEFI firmware ${onMachine(machine, missing[0])} is missing (boot: bootloader runs guests on OVMF). Fix: apt-get install ovmf${machine.target.kind === "local" ? "" : " there"}`,
        );
    return OVMF;
}

function bridgeGateway(machine: Transport): string {
    try {
        return readBridgeGateway(machine).address;
    } catch (e) {
        throw new HostError(`cannot tell the gateway address of Docker's bridge network: ${(e as Error).message}. Fix: ${BRIDGE_GATEWAY_FIX}`);
    }
}

/**
 * Whether dockerd runs the userland proxy: with it on, Docker's nat OUTPUT rule skips
 * 127.0.0.0/8 (so docker-proxy carries loopback traffic); with it off, loopback is DNATed too.
 */
export function userlandProxyOn(natOutputRules: string): boolean | undefined {
    const docker = natOutputRules.split("\n").filter((l) => /-j DOCKER\b/.test(l));
    if (docker.length === 0) return undefined;
    return docker.every((l) => l.includes("! -d 127.0.0.0/8"));
}

function dockerPreflight(machine: Transport, variants: ReadonlyArray<{ name: string; d: DockerVariant }>, image: string): void {
    const proxied = variants.filter((v) => v.d.network === "nat" && v.d.userlandProxy);
    if (proxied.length > 0) {
        const r = machine.attempt(["iptables", "-w", "5", "-t", "nat", "-S", "OUTPUT"], 20);
        const on = r.status === 0 ? userlandProxyOn(r.stdout) : undefined;
        if (on === false) {
            throw new HostError(
                `environment ${proxied[0].name}: userlandProxy: true, but dockerd runs with the userland proxy disabled (its nat OUTPUT rule DNATs loopback traffic), so docker-proxy would never carry it. Fix: remove "userland-proxy": false from /etc/docker/daemon.json (or --userland-proxy=false from dockerd's flags) and restart dockerd, or declare userlandProxy: false`,
            );
        }
        if (on === undefined) {
            throw new HostError(
                `environment ${proxied[0].name}: cannot tell whether dockerd runs the userland proxy (no DOCKER rule in iptables -t nat -S OUTPUT: ${combinedOutput(r)}). Fix: run dockerd with iptables enabled (the default)`,
            );
        }
    }
    const sandboxed = variants.filter((v) => v.d.runtime === "runsc");
    if (sandboxed.length > 0) {
        const name = sandboxed[0].name;
        const rt = machine.attempt(["docker", "info", "--format", "{{json .Runtimes}}"], 20);
        if (!/"runsc"/.test(rt.stdout)) {
            throw new HostError(
                `environment ${name}: runtime runsc (gVisor) is not registered with dockerd (runtimes: ${Object.keys(safeJson(rt.stdout)).join(", ") || combinedOutput(rt)}). Fix: apt-get install runsc, then ISOBENCH_RUNSC=1 scripts/daemons.sh (adds it to /etc/docker/daemon.json and reloads dockerd)`,
            );
        }
        const smoke = machine.attempt(["docker", "run", "--rm", "--runtime", "runsc", "--network", "none", image, "true"], 120);
        if (smoke.status !== 0) {
            throw new HostError(
                `environment ${name}: runtime runsc is registered but cannot run a container on this host (docker run --runtime runsc: ${combinedOutput(smoke).split("\n").slice(-3).join(" ")}). Fix: run on a host where gVisor works (see README "Environment matrix"), or remove the runsc environment`,
            );
        }
    }
}

function safeJson(text: string): Record<string, unknown> {
    try {
        return JSON.parse(text) as Record<string, unknown>;
    } catch {
        return {};
    }
}

function guestPreflight(machine: Transport, name: string, k: KvmKnobs, vhostAvailable: boolean): void {
    if (k.vhost === "on" && !vhostAvailable) {
        throw new HostError(
            `environment ${name}: vhost is "on" but /dev/vhost-net does not exist. Fix: modprobe vhost_net (and check that /dev/vhost-net appears), or set vhost: auto (vhost-net where available, recorded either way) or vhost: off`,
        );
    }
    if (k.hugepages) {
        const meminfo = machine.readFiles(["/proc/meminfo"]).get("/proc/meminfo") ?? "";
        const free = Number(/HugePages_Free:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
        const sizeKb = Number(/Hugepagesize:\s+(\d+)/.exec(meminfo)?.[1] ?? 2048);
        const need = Math.ceil((k.memoryMiB * 1024) / sizeKb);
        if (free < need) {
            throw new HostError(
                `environment ${name}: hugepages: true needs ${need} free huge pages of ${sizeKb} kB for ${k.memoryMiB} MiB, but the host has ${free} free (HugePages_Free). Fix: echo ${need} > /proc/sys/vm/nr_hugepages (as root, before the run), or set hugepages: false`,
            );
        }
    }
}
