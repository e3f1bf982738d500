/**
 * From a stack's KVM knobs (core/environment-spec.ts) to preset overrides, and from a
 * resolved guest to the facts its probe must measure. Pure: host facts are passed in.
 */
import type { KvmKnobs } from "../../core/environment-spec";
import { formatCpuset, parseCpuset } from "../../core/cpuset";
import type { DomainSpec } from "./domain-spec";
import { GuestHostFacts, KvmOverrides, htSiblingPinning } from "./presets";

/**
 * Preset overrides for one guest. vhost `auto` means: vhost-net where the host has it and the
 * guest runs under KVM, userspace virtio-net otherwise (recorded in the variant either way).
 * Boot is not an override: it decides which image, kernel and firmware the guest gets
 * (experiment/environment-handles.ts).
 * @throws KvmPresetError for what the host cannot provide (ht-siblings without HT)
 */
export function kvmOverridesOf(k: KvmKnobs, host: GuestHostFacts): KvmOverrides {
    // Guest size and boot are GuestInput, not overrides; the knobs that keep their name and type
    // (topology, CPU model, disk and queue knobs) pass as they are.
    const {
        preset,
        vcpus,
        memoryMiB: _memoryMiB,
        boot: _boot,
        bootTimeoutS: _bootTimeoutS,
        pinning,
        emulatorPin,
        vhost,
        numa,
        sizing: _sizing,
        memoryShare: _memoryShare,
        ...same
    } = k;
    let hostCpus: KvmOverrides["hostCpus"];
    if (pinning === "none") hostCpus = false;
    else if (pinning === "ht-siblings")
        hostCpus = htSiblingPinning(preset, vcpus, host.cpuSiblings ?? [], host.cpuPackages, typeof same.topology === "object" ? same.topology : undefined);
    else if (Array.isArray(pinning)) hostCpus = [...pinning];
    return {
        ...same,
        vhost: vhost === "on" ? true : vhost === "off" ? false : preset === "kvm-tuned" && host.vhostAvailable && host.accel === "kvm",
        ...(hostCpus !== undefined && { hostCpus }),
        ...(emulatorPin !== undefined && { emulatorPin: emulatorPin === "none" ? false : emulatorPin }),
        numaNodes: numa,
    };
}

/** Root device of direct kernel boot for the disk bus. */
export function rootDevice(bus: KvmKnobs["diskBus"]): string {
    return bus === "virtio-scsi" ? "/dev/sda" : "/dev/vda";
}

function cpuMode(d: DomainSpec): string {
    if (d.cpuModel === "host-passthrough") return "host-passthrough";
    if (d.cpuModel === "default") return "default";
    return d.cpuModel.named === "max" ? "maximum" : "custom";
}

/**
 * What the probe must find for this guest (environments/probe.ts measures the same keys): vCPUs
 * inside, domain type, vCPU and emulator pinning as libvirt reports them (unpinned = every host
 * CPU), virtio-net backend, hugepages, CPU mode, disk bus, cache and AIO, IO threads, NUMA nodes
 * and NIC queues.
 */
export function declaredKvmFacts(d: DomainSpec, hostCpuCount: number): Record<string, string> {
    const all = formatCpuset(Array.from({ length: hostCpuCount }, (_, i) => i));
    const vcpupin = Array.from({ length: d.vcpus }, (_, i) => `${i}:${d.pinning ? d.pinning[i] : all}`).join(",");
    return {
        nproc: String(d.vcpus),
        domain_type: d.accel === "kvm" ? "kvm" : "qemu",
        vcpupin,
        emulatorpin: d.emulatorPin !== undefined ? formatCpuset(parseCpuset(d.emulatorPin)) : all,
        vhost: d.vhost ? "vhost" : "qemu",
        hugepages: d.hugepages ? "yes" : "no",
        cpu_mode: cpuMode(d),
        disk_bus: d.diskBus === "virtio-scsi" ? "scsi" : "virtio",
        disk_cache: d.diskCache,
        disk_io: d.diskIo ?? "default",
        iothreads: String(d.iothreads ?? 0),
        numa_nodes: String(d.numaNodes || 1),
        net_queues: String(d.netQueues ?? 1),
        disk_format: d.diskFormat ?? "qcow2",
        disk_backing: d.diskFormat === "raw" ? "none" : "overlay",
        boot: d.kernel !== undefined ? "direct" : "bootloader",
        boot_firmware: d.firmware !== undefined ? "uefi" : "bios",
    };
}

/** Guest size in front of the knob key: samples of a 1-vCPU and a 4-vCPU guest must not share a variant. */
export function guestVariant(d: DomainSpec, knobKey: string): string {
    return `vcpus=${d.vcpus};mem=${d.memoryMiB}m;${knobKey}`;
}
