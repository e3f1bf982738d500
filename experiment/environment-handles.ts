/**
 * From a resolved environment to what provisions it (container spec, domain spec) and the
 * runner's handle with its declared facts. Pure (no Pulumi, no I/O): the program, the host
 * preflight and the integration tests all build environments through here.
 */
import * as path from "path";
import type { ExperimentSpec } from "./spec";
import type { HostContext } from "./program";
import { EnvironmentSpec, dockerVariantKey, guestNumaNodes, nativeVariantKey } from "../core/environment-spec";
import { AttributedNeeds, needsRecord, withNeeds } from "../core/container-needs";
import { declaredNumaFacts, missingNodes, numaContainerNeeds, numactlArgv, parseNumaPolicyKey } from "../core/numa";
import { getWorkload } from "../workloads";
import { workloadPorts } from "../workloads/workload";
import { imageIdentity } from "./fingerprint";
import { UserError } from "../core/errors";
import { ContainerSpec, containerSpec, DATA_DIR, PortRequest, resourceName } from "../environments/container-spec";
import { declaredDockerFacts } from "../environments/docker-facts";
import { GUEST_DATA_DIR, nativeDataDir } from "../environments/exec-target";
import { EnvironmentHandle } from "../core/environment-handle";
import { declaredKvmFacts, guestVariant, kvmOverridesOf, rootDevice } from "../environments/kvm/knobs";
import type { GuestHostFacts } from "../environments/kvm/presets";
import { DomainSpec } from "../environments/kvm/domain-spec";
import { DomainSpecError } from "../core/errors";
import { GuestInput, KVM_PRESETS, resolveDomainSpec, kvmVariantKey } from "../environments/kvm/presets";
import { KvmPresetError } from "../core/errors";
import { diskFileName, knownHostsOf, uefiFirmwareOf } from "../environments/kvm/guest-files";
import { GuestDiskGrowth, guestDiskGrowth } from "./disk-plan";

export type DockerEnv = Extract<EnvironmentSpec, { kind: "docker" }>;
export type DockerInKvmEnv = Extract<EnvironmentSpec, { kind: "docker-in-kvm" }>;
export type KvmEnv = Extract<EnvironmentSpec, { kind: "kvm" }>;
export type NativeEnv = Extract<EnvironmentSpec, { kind: "native" }>;

/**
 * The container needs (workloads/workload.ts containerNeeds) of the workloads that run in
 * environment `envName`, each with its params over its defaults, in stack order.
 */
export function workloadNeeds(spec: Pick<ExperimentSpec, "workloads">, envName: string): AttributedNeeds[] {
    return spec.workloads
        .filter((w) => !w.environments || w.environments.includes(envName))
        .flatMap((w) => {
            const wl = getWorkload(w.name);
            const needs = wl.containerNeeds?.({ ...wl.defaults, ...w.params });
            return needs ? [{ by: w.name, needs }] : [];
        });
}

/**
 * NUMA nodes named by numactl policies that the environment does not have: an environment's own
 * policy, and the `numactl` parameter of each workload running there, against the host's nodes
 * (native, docker) or the guest's (a guest without a NUMA topology has node 0). One line each.
 */
export function numaProblems(spec: Pick<ExperimentSpec, "environmentSpecs" | "workloads">, hostNodes: readonly number[]): string[] {
    const lines: string[] = [];
    for (const e of spec.environmentSpecs) {
        const nodes = e.kind === "native" || e.kind === "docker" ? hostNodes : guestNumaNodes(e.kvm);
        const where = e.kind === "native" || e.kind === "docker" ? "on this host" : "in its guest";
        const own = e.kind === "native" ? e.numactl : e.kind === "kvm" ? undefined : e.docker.numactl;
        const ownMiss = own && missingNodes(own, nodes);
        if (ownMiss) lines.push(`environment ${e.name}: ${ownMiss} ${where}. Fix: name existing nodes (numactl -H lists them)`);
        for (const w of spec.workloads.filter((w) => !w.environments || w.environments.includes(e.name))) {
            // Only the workloads that take a numactl parameter (hpcc's) read it; parseSpec has checked its form.
            const v = w.params.numactl;
            if (typeof v !== "string" || v === "none" || !getWorkload(w.name).containerNeeds) continue;
            const miss = missingNodes(parseNumaPolicyKey(v), nodes);
            if (miss) lines.push(`workload ${w.name} in environment ${e.name}: ${miss} ${where}. Fix: change its numactl parameter, or its environments list`);
        }
    }
    return lines;
}

/** The container's variant with its own numactl policy's needs and the workloads' needs added, and the record of them. */
function effectiveDocker(env: DockerEnv | DockerInKvmEnv, needs: readonly AttributedNeeds[]): { docker: DockerEnv["docker"]; record: string } {
    const all = [...(env.docker.numactl ? [{ by: "environment", needs: numaContainerNeeds(env.docker.numactl) }] : []), ...needs];
    return { docker: withNeeds(env.docker, all), record: needsRecord(all) };
}

/**
 * The container of a docker or docker-in-kvm environment, with its effective Docker configuration.
 * @param dnatAddress where DNAT-published ports are bound: the host's bridge gateway, or every
 *   address of the guest
 */
function environmentContainer(
    spec: Pick<ExperimentSpec, "stack">,
    env: DockerEnv | DockerInKvmEnv,
    image: string,
    serverPorts: readonly PortRequest[],
    needs: readonly AttributedNeeds[],
    dnatAddress: string | undefined,
): { docker: DockerEnv["docker"]; record: string; container: ContainerSpec } {
    const { docker, record } = effectiveDocker(env, needs);
    const container = containerSpec({ stack: spec.stack, environment: env.name, image, network: docker.network, docker, serverPorts, dnatAddress });
    return { docker, record, container };
}

/** A handle's `machine`: the stack's remote target, or nothing for this machine. */
function machineOf(host: Pick<HostContext, "target">): Pick<EnvironmentHandle, "machine"> {
    return host.target ? { machine: host.target } : {};
}

/** The runner's handle of a native environment: the host, under the declared numactl policy if any. */
export function nativeEnvironment(
    spec: Pick<ExperimentSpec, "stack">,
    env: NativeEnv,
    host: Pick<HostContext, "hostCpuCount" | "numaNodes" | "target">,
): EnvironmentHandle {
    return {
        name: env.name,
        envKind: "native",
        variant: nativeVariantKey(env.numactl),
        accel: "none",
        target: env.numactl ? { kind: "native", numactl: numactlArgv(env.numactl) } : { kind: "native" },
        ...machineOf(host),
        dataDir: nativeDataDir(spec.stack),
        declared: { nproc: String(host.hostCpuCount), ...(env.numactl && declaredNumaFacts(env.numactl, host.numaNodes ?? [0])) },
    };
}

/**
 * The container and the runner's handle of a Docker environment (pure; the integration tests provision from it too).
 * @param needs what the workloads running here need (workloadNeeds); added to the container
 * with the environment's own numactl needs, so the variant and declared facts are the effective ones
 */
export function dockerEnvironment(
    spec: Pick<ExperimentSpec, "stack">,
    env: DockerEnv,
    host: HostContext,
    serverPorts: readonly PortRequest[],
    needs: readonly AttributedNeeds[] = [],
): { container: ContainerSpec; handle: EnvironmentHandle } {
    const { docker, record, container } = environmentContainer(spec, env, host.containerImage, serverPorts, needs, host.dockerBridgeGateway);
    return {
        container,
        handle: {
            name: env.name,
            envKind: "docker",
            variant: dockerVariantKey(docker),
            accel: "none",
            target: {
                kind: "docker",
                container: container.name,
                network: docker.network === "host" ? "host" : "nat",
                ...(docker.numactl && { numactl: numactlArgv(docker.numactl) }),
            },
            ...machineOf(host),
            dataDir: DATA_DIR,
            declared: declaredDockerFacts(docker, host.hostCpuCount, host.numaNodes),
            recorded: { container_needs: record },
        },
    };
}

/**
 * The resolved guest, the base image its disk is made from, and the runner's handle of a KVM
 * environment (pure). boot: direct gives QEMU the image's kernel and initrd; boot: bootloader
 * boots the bootloader image's disk through UEFI firmware (no kernel, initrd or command line in
 * the domain: systemd-boot's loader entry has them).
 * @throws UserError naming the environment when the host cannot provide a knob.
 */
export function kvmEnvironment(
    spec: Pick<ExperimentSpec, "stack" | "runId">,
    env: KvmEnv | DockerInKvmEnv,
    host: HostContext,
    extraCmdline = "",
): { domain: DomainSpec; handle: EnvironmentHandle; baseImage: string } {
    const guestDir = path.join(host.guestsDir, spec.stack);
    const kvmHost: GuestHostFacts = {
        accel: host.accel,
        vhostAvailable: host.vhostAvailable,
        hostCpuCount: host.hostCpuCount,
        cpuSiblings: host.cpuSiblings,
        ...(host.cpuPackages && { cpuPackages: host.cpuPackages }),
    };
    const diskPath = path.join(guestDir, diskFileName(env.name, env.kvm.diskFormat));
    let boot: Pick<GuestInput, "kernel" | "initrd" | "cmdline" | "firmware">;
    let baseImage: string;
    if (env.kvm.boot === "bootloader") {
        if (env.kind === "docker-in-kvm") {
            throw new UserError(
                `environment ${env.name}: boot: bootloader is available for kind kvm only; the guest image with the Docker engine has no bootloader variant. Fix: boot: direct`,
            );
        }
        if (!host.guestImageBootloader) {
            throw new UserError(
                `environment ${env.name}: boot: bootloader needs the guest image with a bootloader. Fix: images/build-guest-bootloader-image.sh (or images/build-all.sh)`,
            );
        }
        if (!host.uefiFirmware) {
            throw new UserError(`environment ${env.name}: boot: bootloader needs UEFI firmware for the guest. Fix: apt-get install ovmf`);
        }
        boot = { firmware: uefiFirmwareOf(host.uefiFirmware, diskPath) };
        baseImage = host.guestImageBootloader.disk;
    } else {
        boot = {
            kernel: host.guestImage.kernel,
            initrd: host.guestImage.initrd,
            cmdline: `root=${rootDevice(env.kvm.diskBus)} rw console=ttyS0 quiet${extraCmdline}`,
        };
        baseImage = host.guestImage.disk;
    }
    let domain: DomainSpec;
    try {
        domain = resolveDomainSpec(
            KVM_PRESETS[env.kvm.preset],
            {
                name: resourceName(spec.stack, env.name),
                stack: spec.stack,
                environment: env.name,
                vcpus: env.kvm.vcpus,
                memoryMiB: env.kvm.memoryMiB,
                diskPath,
                ...boot,
                serialLogPath: path.join(guestDir, `${env.name}.serial.log`),
                labels: { runId: spec.runId },
            },
            kvmHost,
            kvmOverridesOf(env.kvm, kvmHost),
        );
    } catch (e) {
        if (e instanceof KvmPresetError || e instanceof DomainSpecError) throw new UserError(`environment ${env.name}: ${e.message}`);
        throw e;
    }
    return {
        domain,
        baseImage,
        handle: {
            name: env.name,
            envKind: "kvm",
            variant: guestVariant(domain, kvmVariantKey(domain)),
            accel: host.accel,
            target: { kind: "kvm", domain: domain.name, sshKey: host.sshKey, knownHosts: knownHostsOf(diskPath) },
            ...machineOf(host),
            dataDir: GUEST_DATA_DIR,
            declared: declaredKvmFacts(domain, host.hostCpuCount),
            // What host-relative sizes became here: the variant says the result, this the rule.
            ...(env.kvm.sizing && { recorded: { guest_sizing: env.kvm.sizing } }),
        },
    };
}

/**
 * A Docker container inside a KVM guest: the guest (as kvmEnvironment), the container as the cli
 * driver would create it, published on the guest's addresses, and a handle whose declared facts
 * are the guest's (pinning, vhost, …) and the container's, with the guest's vCPUs as "all CPUs".
 * Variant: the guest's key, then the Docker key with each field prefixed `docker.`.
 */
export function dockerInKvmEnvironment(
    spec: Pick<ExperimentSpec, "stack" | "runId">,
    env: DockerInKvmEnv,
    host: HostContext,
    serverPorts: readonly PortRequest[],
    needs: readonly AttributedNeeds[] = [],
): { domain: DomainSpec; container: ContainerSpec; handle: EnvironmentHandle; baseImage: string } {
    if (!host.guestImageDocker)
        throw new UserError(`environment ${env.name}: no guest image with Docker. Fix: ISOBENCH_GUEST_VARIANT=docker images/build-guest-image.sh`);
    // The guest kernel enables AppArmor but the image has no profiles (apparmor is not installed),
    // and dockerd then refuses to start containers; the host's dockerd runs without AppArmor too
    // (seccomp only), so the guest boots with AppArmor off and both Docker layers match.
    const { domain, handle: guest, baseImage } = kvmEnvironment(spec, env, { ...host, guestImage: host.guestImageDocker }, " apparmor=0");
    const { docker, record, container } = environmentContainer(spec, env, host.containerImage, serverPorts, needs, "0.0.0.0");
    const { net_queues: _queues, ...guestFacts } = guest.declared;
    const key = dockerVariantKey(docker)
        .split(";")
        .map((f) => `docker.${f}`)
        .join(";");
    const guestNodes = guestNumaNodes(env.kvm);
    return {
        domain,
        container,
        baseImage,
        handle: {
            name: env.name,
            envKind: "docker-in-kvm",
            variant: `${guest.variant};${key}`,
            accel: host.accel,
            target: {
                kind: "docker-in-kvm",
                domain: domain.name,
                sshKey: host.sshKey,
                knownHosts: knownHostsOf(domain.diskPath),
                container: container.name,
                network: docker.network,
                ...(docker.numactl && { numactl: numactlArgv(docker.numactl) }),
            },
            ...machineOf(host),
            dataDir: DATA_DIR,
            declared: { ...guestFacts, ...declaredDockerFacts(docker, domain.vcpus, guestNodes) },
            recorded: { ...guest.recorded, container_needs: record },
        },
    };
}

/** One environment as the program provisions it and its cells reach it, with the images its tools run from. */
export type EnvironmentPlan = { readonly handle: EnvironmentHandle; readonly images: readonly string[] } & (
    | { readonly kind: "native" }
    | { readonly kind: "docker"; readonly container: ContainerSpec }
    | ({ readonly kind: "kvm" } & GuestPlan)
    | ({ readonly kind: "docker-in-kvm"; readonly container: ContainerSpec } & GuestPlan)
);

/** What a guest is made from: its domain, the base image of its disk and how much larger its disk is (experiment/disk-plan.ts). */
interface GuestPlan {
    readonly domain: DomainSpec;
    readonly baseImage: string;
    readonly bootTimeoutS: number;
    readonly diskGrowth: GuestDiskGrowth;
}

/** The handle of a guest whose disk grows records how and why (environments.csv: guest_disk). */
function withDiskGrowth(handle: EnvironmentHandle, growth: GuestDiskGrowth): EnvironmentHandle {
    return growth.bytes > 0 ? { ...handle, recorded: { ...handle.recorded, guest_disk: growth.describe } } : handle;
}

/**
 * Every environment of the spec, in stack order, as {@link EnvironmentPlan}: the one place that
 * turns an environment spec into what provisions it, so the program and the fingerprints of the
 * CLI's preflight see the same containers, guests and variants.
 */
export function environmentPlans(spec: ExperimentSpec, host: HostContext): EnvironmentPlan[] {
    const serverPorts = spec.workloads.flatMap((w) => workloadPorts(getWorkload(w.name)));
    return spec.environmentSpecs.map((env): EnvironmentPlan => {
        switch (env.kind) {
            case "native":
                return { kind: "native", handle: nativeEnvironment(spec, env, host), images: [] };
            case "docker": {
                const { container, handle } = dockerEnvironment(spec, env, host, serverPorts, workloadNeeds(spec, env.name));
                return { kind: "docker", container, handle, images: [imageIdentity({ container: container.image })] };
            }
            case "kvm": {
                const { domain, handle, baseImage } = kvmEnvironment(spec, env, host);
                const diskGrowth = guestDiskGrowth(spec, env);
                return {
                    kind: "kvm",
                    domain,
                    handle: withDiskGrowth(handle, diskGrowth),
                    baseImage,
                    bootTimeoutS: env.kvm.bootTimeoutS,
                    diskGrowth,
                    images: [imageIdentity({ guestDisk: baseImage })],
                };
            }
            case "docker-in-kvm": {
                const { domain, container, handle, baseImage } = dockerInKvmEnvironment(spec, env, host, serverPorts, workloadNeeds(spec, env.name));
                const diskGrowth = guestDiskGrowth(spec, env);
                return {
                    kind: "docker-in-kvm",
                    domain,
                    container,
                    handle: withDiskGrowth(handle, diskGrowth),
                    baseImage,
                    bootTimeoutS: env.kvm.bootTimeoutS,
                    diskGrowth,
                    images: [imageIdentity({ guestDisk: baseImage }), imageIdentity({ container: container.image })],
                };
            }
        }
    });
}
