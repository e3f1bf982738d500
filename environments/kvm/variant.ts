/**
 * Canonical variant key of a KVM guest (the `variant` column of samples, docs/architecture.md "How one sample flows").
 * Pure. The key names every performance knob of the guest and nothing else: not the accelerator
 * (recorded separately in the `accel` column), not the guest size (vCPUs/memory are parameters of
 * the cell), not names or paths. Guests of different sizes built from the same preset on the same
 * kind of host therefore share one key.
 */
import { parseCpuset } from "../../core/cpuset";
import type { DomainSpec } from "./domain-spec";

function cpuPart(spec: DomainSpec): string {
    const m = spec.cpuModel;
    return typeof m === "string" ? m : m.named;
}

/** `cores` = 1 socket × vcpus cores × 1 thread, `sockets` = vcpus sockets, else `SsCcTt`. */
function topoPart(spec: DomainSpec): string | undefined {
    const t = spec.topology;
    if (t === undefined) return undefined;
    if (t.sockets === 1 && t.threads === 1 && t.cores === spec.vcpus) return "cores";
    if (t.cores === 1 && t.threads === 1 && t.sockets === spec.vcpus) return "sockets";
    return `${t.sockets}s${t.cores}c${t.threads}t`;
}

/** `none`, `1:1` (each vCPU on its own host CPU) or `shared` (some vCPUs share a host CPU). */
function pinPart(spec: DomainSpec): string {
    if (spec.pinning === undefined) return "none";
    return new Set(spec.pinning).size === spec.pinning.length ? "1:1" : "shared";
}

/**
 * Emulator pinning, only when declared: `separate` (no host CPU in common with the pinned vCPUs),
 * `shared` (overlaps them), `pinned` (vCPUs are not pinned, so there is nothing to compare with).
 */
function emuPart(spec: DomainSpec): string | undefined {
    if (spec.emulatorPin === undefined) return undefined;
    if (spec.pinning === undefined) return "pinned";
    const vcpuCpus = new Set(spec.pinning);
    return parseCpuset(spec.emulatorPin).some((c) => vcpuCpus.has(c)) ? "shared" : "separate";
}

/** Direct kernel boot (the default) is not named; otherwise the firmware that runs the disk's bootloader. */
function bootPart(spec: DomainSpec): string | undefined {
    if (spec.kernel !== undefined) return undefined;
    return spec.firmware !== undefined ? "bootloader-uefi" : "bootloader-bios";
}

/**
 * Canonical variant string of a guest, fields in this fixed order, optional ones only when set:
 * `cpu=<host-passthrough|default|model>` `[topo=<cores|sockets|SsCcTt>]` `pin=<none|1:1|shared>`
 * `[emu=<separate|shared|pinned>]` `net=<vhost|qemu>` `disk=cache-<none|writeback|default>`
 * `[io=<native|threads>]` `[mem=hugepages]` `[bus=scsi]` `[iothreads=<n>]` `[iopin=<cpuset>]`
 * `[numa=<nodes>]` `[queues=<n>]` `[fmt=raw]` `[boot=<bootloader-uefi|bootloader-bios>]`, joined
 * with `;` (the optional ones only when they differ from QEMU's defaults, qcow2 and direct kernel
 * boot, so the preset keys stay as they were).
 *
 * e.g. kvm-tuned under KVM on a 4-CPU host with 2 vCPUs:
 * `cpu=host-passthrough;topo=cores;pin=1:1;emu=separate;net=vhost;disk=cache-none;io=native`;
 * kvm-untuned: `cpu=default;pin=none;net=qemu;disk=cache-default`.
 */
export function kvmVariantKey(spec: DomainSpec): string {
    const parts: Array<[string, string | undefined]> = [
        ["cpu", cpuPart(spec)],
        ["topo", topoPart(spec)],
        ["pin", pinPart(spec)],
        ["emu", emuPart(spec)],
        ["net", spec.vhost ? "vhost" : "qemu"],
        ["disk", `cache-${spec.diskCache}`],
        ["io", spec.diskIo],
        ["mem", spec.hugepages ? "hugepages" : undefined],
        ["bus", spec.diskBus === "virtio-scsi" ? "scsi" : undefined],
        ["iothreads", spec.iothreads ? String(spec.iothreads) : undefined],
        ["iopin", spec.iothreadPin],
        ["numa", spec.numaNodes ? String(spec.numaNodes) : undefined],
        ["queues", (spec.netQueues ?? 1) > 1 ? String(spec.netQueues) : undefined],
        ["fmt", spec.diskFormat === "raw" ? "raw" : undefined],
        ["boot", bootPart(spec)],
    ];
    return parts
        .filter((p): p is [string, string] => p[1] !== undefined)
        .map(([k, v]) => `${k}=${v}`)
        .join(";");
}
