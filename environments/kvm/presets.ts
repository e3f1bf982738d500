/**
 * The named KVM environments (docs/environments.md: kvm-untuned, kvm-tuned), defined once
 * here, and the resolver that turns preset + per-knob overrides + measured host facts into a
 * {@link DomainSpec}. Pure: host facts are passed in (probes measure them elsewhere).
 *
 * Every knob can be overridden; the resolved guest is identified by {@link kvmVariantKey}, so a
 * tuned guest with an override is recorded as what it is, not as "kvm-tuned" defaults.
 */
import { formatCpuset, parseCpuset } from "../../core/cpuset";
import { CpuModel, CpuTopology, DiskCache, DiskIo, DomainSpec, GuestAccel, UefiFirmware, validateDomainSpec } from "./domain-spec";
import { DomainSpecError } from "../../core/errors";
import { KvmPresetError } from "../../core/errors";

export { kvmVariantKey } from "./variant";

/** Environment names of the KVM presets. */
export type KvmPresetName = "kvm-untuned" | "kvm-tuned";

/**
 * How a preset places vCPUs and the emulator on host CPUs; concrete CPU numbers are chosen by
 * {@link resolveDomainSpec} from the host's CPU count.
 * - `none`: no `<cputune>` at all; the host scheduler places vCPU and emulator threads anywhere.
 * - `one-to-one`: vCPU i gets its own host CPU and the emulator threads are pinned too. With a
 *   spare host CPU, vCPU i → host CPU i+1 and the emulator → every host CPU not running a vCPU
 *   (CPU 0 included, which also carries most host housekeeping), variant `emu=separate`. When the
 *   guest has as many vCPUs as the host has CPUs, vCPU i → host CPU i and the emulator → all host
 *   CPUs, variant `emu=shared`.
 */
export type PinningPolicy = "none" | "one-to-one";

/** Topology policy: libvirt's default (one socket per vCPU) or one socket with vcpus cores. */
export type TopologyPolicy = "libvirt-default" | "single-socket";

/** A named KVM environment: every performance knob, as a policy independent of guest size. */
export interface KvmPreset {
    readonly environment: KvmPresetName;
    /** CPU model under accel=kvm (and under tcg unless it is host-passthrough). */
    readonly cpuModel: CpuModel;
    /**
     * Named model used instead of `cpuModel` when accel=tcg and `cpuModel` is host-passthrough
     * (software emulation has no host CPU to pass through). Applied only under tcg.
     */
    readonly tcgCpuModel?: { readonly named: string };
    readonly topology: TopologyPolicy;
    readonly pinning: PinningPolicy;
    /** virtio-net backend: vhost-net (true) or userspace QEMU (false); never a silent fallback. */
    readonly vhost: boolean;
    readonly diskCache: DiskCache;
    /** Disk AIO; undefined = QEMU's default (threads). */
    readonly diskIo?: DiskIo;
    /** Huge-page guest memory; off by default in both presets, opt in with an override. */
    readonly hugepages: boolean;
}

/**
 * kvm-untuned — the paper's "KVM untuned", made explicit: QEMU's default CPU model (qemu64) with
 * libvirt's default topology, no vCPU or emulator pinning, qcow2 overlay with the default cache
 * mode (no cache attribute = writeback) and default AIO (threads), virtio-net through userspace
 * QEMU (`<driver name='qemu'/>`, no vhost-net), no huge pages.
 * Variant: `cpu=default;pin=none;net=qemu;disk=cache-default`. Same guest under kvm and tcg.
 */
export const kvmUntuned: KvmPreset = Object.freeze({
    environment: "kvm-untuned",
    cpuModel: "default",
    topology: "libvirt-default",
    pinning: "none",
    vhost: false,
    diskCache: "default",
    hugepages: false,
});

/**
 * kvm-tuned — the paper's "KVM tuned": host-passthrough CPU (migratable=off) with one socket of
 * vcpus cores, 1:1 vCPU pinning plus emulator pinning (see {@link PinningPolicy}), vhost-net
 * (`<driver name='vhost'/>`), virtio-blk with cache=none and io=native; huge pages optional
 * (override `hugepages: true`, host must have them reserved).
 * Under accel=tcg only the CPU model changes, to the named model `max` (`<cpu mode='maximum'>`,
 * all features QEMU emulates); io=native is kept, because it depends on the filesystem (O_DIRECT),
 * not on the accelerator, and it was measured to start under tcg on these hosts (ext4). vhost is
 * not dropped silently under tcg: libvirt ignores vhost for type='qemu' guests, so the resolver
 * refuses and the stack must say `vhost: false` (recorded as `net=qemu`).
 * Variant under KVM: `cpu=host-passthrough;topo=cores;pin=1:1;emu=separate;net=vhost;disk=cache-none;io=native`.
 */
export const kvmTuned: KvmPreset = Object.freeze({
    environment: "kvm-tuned",
    cpuModel: "host-passthrough",
    tcgCpuModel: Object.freeze({ named: "max" }),
    topology: "single-socket",
    pinning: "one-to-one",
    vhost: true,
    diskCache: "none",
    diskIo: "native",
    hugepages: false,
});

/** The disk cache and AIO mode a guest gets: the overrides over the preset ("default" io = QEMU's own, no attribute). */
export function diskModes(preset: KvmPreset, overrides: Pick<KvmOverrides, "diskCache" | "diskIo">): { diskCache: DiskCache; diskIo?: DiskIo } {
    const diskIo = overrides.diskIo === "default" ? undefined : (overrides.diskIo ?? preset.diskIo);
    return { diskCache: overrides.diskCache ?? preset.diskCache, ...(diskIo && { diskIo }) };
}

/** The presets by environment name. */
export const KVM_PRESETS: Readonly<Record<KvmPresetName, KvmPreset>> = Object.freeze({
    "kvm-untuned": kvmUntuned,
    "kvm-tuned": kvmTuned,
});

/** Facts about the host, measured by probes before any guest is declared. */
export interface GuestHostFacts {
    /** Accelerator guests will use: kvm when /dev/kvm works, tcg when the stack allows emulation. */
    readonly accel: GuestAccel;
    /** Whether /dev/vhost-net exists and can be opened. */
    readonly vhostAvailable: boolean;
    /** Online host CPUs, numbered 0 … hostCpuCount-1. */
    readonly hostCpuCount: number;
    /** Host cores as lists of their hyperthreads (pinning: ht-siblings); undefined when unknown. */
    readonly cpuSiblings?: readonly (readonly number[])[];
    /** The socket of each host CPU, by CPU number (pinning: ht-siblings); undefined when unknown. */
    readonly cpuPackages?: readonly number[];
}

/** Per-guest inputs that are not performance knobs (they do not enter the variant key). */
export interface GuestInput {
    readonly name: string;
    /** Pulumi stack name, recorded in the domain's metadata. */
    readonly stack: string;
    readonly vcpus: number;
    readonly memoryMiB: number;
    readonly diskPath: string;
    /** UEFI firmware for bootloader boot (then kernel, initrd and cmdline are omitted). */
    readonly firmware?: UefiFirmware;
    readonly kernel?: string;
    readonly initrd?: string;
    readonly cmdline?: string;
    readonly network?: string;
    readonly macAddress?: string;
    readonly serialLogPath?: string;
    /** Extra metadata labels (e.g. runId). */
    readonly labels?: Readonly<Record<string, string>>;
    /** Environment name recorded in the metadata when it is not the preset's own (e.g. kvm-1cpu). */
    readonly environment?: string;
}

/**
 * Knob-by-knob overrides of a preset; each one replaces the preset's value. A knob that the
 * domain takes as it is has the DomainSpec field's name and type (one declaration); the rest
 * can also say "none" where the preset would set something. An explicit host-passthrough CPU
 * model under tcg is refused, not replaced by the preset's tcg fallback.
 */
export type KvmOverrides = Partial<
    Pick<DomainSpec, "cpuModel" | "vhost" | "diskCache" | "hugepages" | "diskBus" | "diskFormat" | "iothreads" | "iothreadPin" | "numaNodes" | "netQueues">
> & {
    readonly topology?: TopologyPolicy | CpuTopology;
    /**
     * Explicit pinning: host CPU for each vCPU (length = vcpus), or `false` for no pinning
     * (also drops the default emulator pinning). Replaces the preset's pinning policy.
     */
    readonly hostCpus?: readonly number[] | false;
    /** Explicit emulator cpuset, or `false` for none. Default follows the pinning policy. */
    readonly emulatorPin?: string | false;
    /** `"default"` removes the preset's io attribute. */
    readonly diskIo?: DiskIo | "default";
};

/**
 * The paper's Linpack pinning: vCPU pairs (2k, 2k+1) on the two hyperthreads of one host core, the
 * host's cores taken socket by socket. A guest whose topology has several sockets gets its socket
 * s on host socket s (its first cores there), so that what the guest sees as one socket is one
 * socket of the host, however the host numbers its CPUs. On a host without SMT each vCPU gets a
 * core of its own, the same rule with one thread per core, so a study stack that says
 * `topology: host` and `pinning: ht-siblings` runs on such a server unchanged.
 * @param siblings host cores as lists of their logical CPUs (sysfs thread_siblings_list), e.g. [[0,16],[1,17]]
 * @param packages the socket of each host CPU, by CPU number (undefined: one socket)
 * @param topology the guest's CPU topology, when it has one
 * @throws KvmPresetError when the host has too few cores, not the sockets the topology asks for, or
 *   no hyperthreads for a topology with two threads per core.
 */
export function htSiblingPinning(
    environment: string,
    vcpus: number,
    siblings: readonly (readonly number[])[],
    packages?: readonly number[],
    topology?: CpuTopology,
): number[] {
    const pairs = siblings.filter((s) => s.length >= 2);
    const width = pairs.length > 0 ? 2 : 1;
    const cores = width === 2 ? pairs : siblings;
    const noSmt = `on a host without hyperthreads (lscpu: Thread(s) per core: 1) pinning "ht-siblings" gives each vCPU a host core of its own`;
    if (cores.length === 0) {
        throw new KvmPresetError(
            environment,
            `pinning "ht-siblings" needs the host's cores (sysfs thread_siblings_list), which were not read; give an explicit pinning list or "preset"`,
        );
    }
    if (width === 1 && topology && topology.threads > 1) {
        throw new KvmPresetError(
            environment,
            `${noSmt}, but the guest's topology has ${topology.threads} threads per core; give the host's topology (topology: host) or threads: 1`,
        );
    }
    if (width === 2 && (vcpus % 2 !== 0 || vcpus / 2 > pairs.length)) {
        throw new KvmPresetError(
            environment,
            `pinning "ht-siblings" puts vCPU pairs on ${pairs.length} host cores with two threads; ${vcpus} vCPUs need an even count of at most ${pairs.length * 2}`,
        );
    }
    if (width === 1 && vcpus > cores.length) {
        throw new KvmPresetError(environment, `${noSmt}; ${vcpus} vCPUs need at most ${cores.length}, the host's cores`);
    }
    const socketOf = (core: readonly number[]) => packages?.[core[0]] ?? 0;
    const ordered = [...cores].sort((a, b) => socketOf(a) - socketOf(b) || a[0] - b[0]);
    const flat = (cs: readonly (readonly number[])[]) => cs.flatMap((c) => c.slice(0, width));
    if (topology && topology.sockets > 1 && topology.threads === width) {
        const sockets = [...new Set(ordered.map(socketOf))].map((s) => ordered.filter((p) => socketOf(p) === s));
        if (sockets.length < topology.sockets || sockets.slice(0, topology.sockets).some((c) => c.length < topology.cores)) {
            throw new KvmPresetError(
                environment,
                `pinning "ht-siblings" puts each of the guest's ${topology.sockets} sockets on a host socket of its own, with ${topology.cores} cores of ${width === 2 ? "two threads" : "one thread"} each; this host has ${sockets.length} socket(s) with ${sockets.map((c) => c.length).join(", ")} such cores. Give a topology this host has (topology: host), or an explicit pinning list`,
            );
        }
        return flat(sockets.slice(0, topology.sockets).flatMap((c) => c.slice(0, topology.cores)));
    }
    return flat(ordered.slice(0, vcpus / width));
}

function describeHostCpus(n: number): string {
    return n === 1 ? "CPU 0 only" : `CPUs 0-${n - 1} only`;
}

/** The CPU model: the preset's tcg fallback applies only to the preset's own host-passthrough. */
function resolveCpuModel(preset: KvmPreset, host: GuestHostFacts, overrides: KvmOverrides, fail: (detail: string) => never): CpuModel {
    if (overrides.cpuModel !== undefined) {
        if (overrides.cpuModel === "host-passthrough" && host.accel === "tcg") {
            fail(
                `cpuModel host-passthrough was requested, but this host runs guests under tcg (software emulation), where there is no host CPU to pass through; override cpuModel with a named model such as { named: "max" } or { named: "qemu64" }`,
            );
        }
        return overrides.cpuModel;
    } else if (preset.cpuModel === "host-passthrough" && host.accel === "tcg") {
        if (preset.tcgCpuModel === undefined) {
            fail(`the preset uses host-passthrough, which tcg cannot provide, and defines no tcg model; override cpuModel`);
        }
        return preset.tcgCpuModel!;
    } else {
        return preset.cpuModel;
    }
}

/** vCPU pinning (1:1, an explicit list, or none) and the emulator threads' CPUs, checked against the host's. */
function resolvePinning(
    preset: KvmPreset,
    vcpus: number,
    n: number,
    overrides: KvmOverrides,
    fail: (detail: string) => never,
): { pinning?: number[]; emulatorPin?: string } {
    let pinning: number[] | undefined;
    let emulatorPin: string | undefined;
    if (overrides.hostCpus === false) {
        pinning = undefined;
    } else if (overrides.hostCpus !== undefined) {
        const list = overrides.hostCpus;
        if (list.length !== vcpus) {
            fail(`hostCpus lists ${list.length} host CPUs for ${vcpus} vCPUs; give exactly one per vCPU`);
        }
        list.forEach((cpu, i) => {
            if (!Number.isInteger(cpu) || cpu < 0 || cpu >= n) {
                fail(`pinning vCPU ${i} to host CPU ${cpu}, but the host has ${describeHostCpus(n)}`);
            }
        });
        pinning = [...list];
    } else if (preset.pinning === "one-to-one") {
        if (vcpus > n) {
            fail(`1:1 pinning needs one host CPU per vCPU: ${vcpus} vCPUs, but the host has ${describeHostCpus(n)}; lower vcpus or override hostCpus: false`);
        }
        const offset = vcpus < n ? 1 : 0;
        pinning = Array.from({ length: vcpus }, (_, i) => i + offset);
    }
    if (typeof overrides.emulatorPin === "string") {
        emulatorPin = overrides.emulatorPin;
    } else if (overrides.emulatorPin === undefined && preset.pinning === "one-to-one" && pinning !== undefined) {
        const used = new Set(pinning);
        const spare = Array.from({ length: n }, (_, c) => c).filter((c) => !used.has(c));
        emulatorPin = formatCpuset(spare.length > 0 ? spare : Array.from({ length: n }, (_, c) => c));
    }
    if (emulatorPin !== undefined) {
        let cpus: number[];
        try {
            cpus = parseCpuset(emulatorPin);
        } catch (e) {
            throw new DomainSpecError("emulatorPin", (e as Error).message);
        }
        const missing = cpus.filter((c) => c >= n);
        if (missing.length > 0) {
            fail(`emulatorPin "${emulatorPin}" names host CPU ${missing.join(", ")}, but the host has ${describeHostCpus(n)}`);
        }
    }
    return { ...(pinning && { pinning }), ...(emulatorPin !== undefined && { emulatorPin }) };
}

/** vhost-net or userspace virtio-net: never a silent fallback. */
function resolveVhost(preset: KvmPreset, host: GuestHostFacts, overrides: KvmOverrides, fail: (detail: string) => never): boolean {
    const vhost = overrides.vhost ?? preset.vhost;
    if (vhost && host.accel === "tcg") {
        fail(
            `vhost-net is requested, but guests run under tcg here and libvirt ignores vhost for type='qemu' guests (it would silently use userspace virtio-net); override vhost: false so the variant records net=qemu`,
        );
    }
    if (vhost && !host.vhostAvailable) {
        fail(
            `vhost-net is requested, but /dev/vhost-net is missing on this host; load the module with \`modprobe vhost_net\` (and check that /dev/vhost-net appears), or override vhost: false to measure userspace virtio-net (variant net=qemu)`,
        );
    }
    return vhost;
}

/**
 * Resolves a preset for one guest on one host.
 *
 * @throws KvmPresetError when the host cannot provide what is asked: vhost requested without
 *   /dev/vhost-net or under tcg, pinning to a host CPU that does not exist, 1:1 pinning of more
 *   vCPUs than host CPUs, host-passthrough explicitly requested under tcg.
 * @throws DomainSpecError when the resulting spec is invalid (e.g. io=native with cache≠none).
 */
export function resolveDomainSpec(preset: KvmPreset, guest: GuestInput, host: GuestHostFacts, overrides: KvmOverrides = {}): DomainSpec {
    const env = preset.environment;
    const fail = (detail: string): never => {
        throw new KvmPresetError(env, detail);
    };
    if (!Number.isInteger(host.hostCpuCount) || host.hostCpuCount < 1) {
        fail(`host CPU count must be an integer >= 1, got ${JSON.stringify(host.hostCpuCount)}`);
    }
    if (!Number.isInteger(guest.vcpus) || guest.vcpus < 1) {
        fail(`vcpus must be an integer >= 1, got ${JSON.stringify(guest.vcpus)}`);
    }
    const n = host.hostCpuCount;

    const cpuModel = resolveCpuModel(preset, host, overrides, fail);

    // Topology.
    const topoChoice = overrides.topology ?? preset.topology;
    const topology: CpuTopology | undefined =
        topoChoice === "libvirt-default" ? undefined : topoChoice === "single-socket" ? { sockets: 1, cores: guest.vcpus, threads: 1 } : topoChoice;

    const { pinning, emulatorPin } = resolvePinning(preset, guest.vcpus, n, overrides, fail);

    const vhost = resolveVhost(preset, host, overrides, fail);

    const { diskCache, diskIo } = diskModes(preset, overrides);

    const spec: DomainSpec = {
        name: guest.name,
        accel: host.accel,
        vcpus: guest.vcpus,
        memoryMiB: guest.memoryMiB,
        cpuModel,
        ...(topology && { topology }),
        ...(pinning && { pinning }),
        ...(emulatorPin !== undefined && { emulatorPin }),
        diskPath: guest.diskPath,
        ...(overrides.diskFormat === "raw" && { diskFormat: overrides.diskFormat }),
        diskCache,
        ...(diskIo && { diskIo }),
        ...(guest.firmware !== undefined && { firmware: guest.firmware }),
        ...(guest.kernel !== undefined && { kernel: guest.kernel }),
        ...(guest.initrd !== undefined && { initrd: guest.initrd }),
        ...(guest.cmdline !== undefined && { cmdline: guest.cmdline }),
        network: guest.network ?? "default",
        netModel: "virtio",
        vhost,
        ...(guest.macAddress !== undefined && { macAddress: guest.macAddress }),
        ...(guest.serialLogPath !== undefined && { serialLogPath: guest.serialLogPath }),
        hugepages: overrides.hugepages ?? preset.hugepages,
        ...(overrides.diskBus !== undefined && overrides.diskBus !== "virtio-blk" && { diskBus: overrides.diskBus }),
        ...(overrides.iothreads && { iothreads: overrides.iothreads }),
        ...(overrides.iothreadPin !== undefined && { iothreadPin: overrides.iothreadPin }),
        ...(overrides.numaNodes && { numaNodes: overrides.numaNodes }),
        ...((overrides.netQueues ?? 1) > 1 && { netQueues: overrides.netQueues }),
        metadata: {
            stack: guest.stack,
            environment: guest.environment ?? env,
            ...(guest.labels && { labels: guest.labels }),
        },
    };
    validateDomainSpec(spec);
    return spec;
}
