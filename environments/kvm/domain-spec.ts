/**
 * The fully resolved description of an isobench KVM guest ({@link DomainSpec}) and its rules
 * (`validateDomainSpec`): what renderDomainXml (domain-xml.ts) relies on, and what libvirt would
 * accept but silently run differently (host-passthrough under software emulation, vhost under
 * type='qemu', io=native without cache=none). Pure: no I/O, no Pulumi.
 */
import { parseCpuset } from "../../core/cpuset";
import { DomainSpecError } from "../../core/errors";

/** Namespace of the isobench element inside the domain's `<metadata>`. */
export const ISOBENCH_XMLNS = "https://isobench.dev/xmlns/1";

/**
 * Guest acceleration: `kvm` (hardware virtualisation, `<domain type='kvm'>`) or `tcg` (QEMU
 * software emulation, `<domain type='qemu'>`). Results under tcg are never presented as KVM.
 */
export type GuestAccel = "kvm" | "tcg";

/**
 * Guest CPU model.
 * - `"host-passthrough"`: the exact host CPU (`<cpu mode='host-passthrough' migratable='off'>`);
 *   only under accel=kvm.
 * - `"default"`: QEMU's default model (no model element; qemu64 on x86).
 * - `{ named }`: a named libvirt model such as `qemu64` or `EPYC` (`mode='custom'`, fallback
 *   forbidden). `{ named: "max" }` is QEMU's "everything this accelerator can do" model, which
 *   libvirt spells `<cpu mode='maximum'>`; it is the usual choice under tcg.
 */
export type CpuModel = "host-passthrough" | "default" | { readonly named: string };

/** Guest CPU topology; sockets × cores × threads must equal the vCPU count. */
export interface CpuTopology {
    readonly sockets: number;
    readonly cores: number;
    readonly threads: number;
}

/** virtio-blk cache mode; `"default"` omits the attribute (QEMU's default, writeback). */
export type DiskCache = "none" | "writeback" | "default";

/** Host-side AIO for the disk; `native` (Linux AIO) needs O_DIRECT, i.e. cache=none. */
export type DiskIo = "native" | "threads";

/**
 * Image format of the guest's own disk file: `qcow2` (an overlay on the shared base image) or
 * `raw` (a full copy of the base, no format layer between the guest and the file).
 */
export type DiskFormat = "qcow2" | "raw";

/**
 * UEFI firmware for booting through the disk's own bootloader: read-only code in pflash and a
 * per-guest variable store that libvirt creates from the template at first start (and that
 * `virsh undefine --nvram` removes).
 */
export interface UefiFirmware {
    /** Absolute path of the firmware code, e.g. /usr/share/OVMF/OVMF_CODE_4M.fd (no Secure Boot). */
    readonly code: string;
    /** Absolute path of the variable store template, e.g. /usr/share/OVMF/OVMF_VARS_4M.fd. */
    readonly varsTemplate: string;
    /** Absolute path of this guest's variable store (beside its disk). */
    readonly nvram: string;
}

/** What the guest is, recorded in `<metadata>` and `<description>` so `virsh dumpxml` tells. */
export interface DomainMetadata {
    /** Pulumi stack (experiment) name. */
    readonly stack: string;
    /** isobench environment name, e.g. `kvm-tuned`. */
    readonly environment: string;
    /** Extra labels (e.g. runId), rendered as `<isobench:label name value/>` sorted by name. */
    readonly labels?: Readonly<Record<string, string>>;
    /** Free text for `<description>`; default: "isobench <environment> guest of stack <stack> …". */
    readonly description?: string;
}

/** A fully resolved guest definition. Every field is rendered as given; nothing is inferred. */
export interface DomainSpec {
    /** libvirt domain name: letters, digits, `_ . + -`, at most 64 characters, starts alphanumeric. */
    readonly name: string;
    /** `kvm` → `<domain type='kvm'>`, `tcg` → `<domain type='qemu'>`. */
    readonly accel: GuestAccel;
    /** Number of vCPUs (≥ 1). */
    readonly vcpus: number;
    /** Guest memory in MiB (≥ 128). */
    readonly memoryMiB: number;
    /** Guest CPU model; see {@link CpuModel}. */
    readonly cpuModel: CpuModel;
    /** Explicit topology; omitted → libvirt's default (one socket per vCPU). */
    readonly topology?: CpuTopology;
    /**
     * vCPU pinning: vCPU i runs only on host CPU `pinning[i]` (`<cputune><vcpupin>`).
     * `undefined` → no pinning at all (no `<cputune>` vcpupin elements). Length must equal vcpus.
     */
    readonly pinning?: readonly number[];
    /** Host cpuset for QEMU's emulator threads (`<emulatorpin cpuset>`), e.g. `"0"` or `"0,3-5"`. */
    readonly emulatorPin?: string;
    /** Absolute path of the guest's disk file (virtio-blk `vda` or virtio-scsi `sda`). */
    readonly diskPath: string;
    /** Format of the disk file; omitted = qcow2 (see {@link DiskFormat}). */
    readonly diskFormat?: DiskFormat;
    /** Disk cache mode; see {@link DiskCache}. */
    readonly diskCache: DiskCache;
    /** Disk AIO mode; `undefined` omits the attribute (QEMU's default, threads). */
    readonly diskIo?: DiskIo;
    /**
     * Boot through UEFI firmware and the disk's own bootloader (`<loader>`/`<nvram>`); needs
     * `kernel` omitted. Without firmware and kernel the guest boots the disk through SeaBIOS.
     */
    readonly firmware?: UefiFirmware;
    /** Direct kernel boot: absolute path of the kernel; omitted → boot from the disk. */
    readonly kernel?: string;
    /** Direct kernel boot: absolute path of the initrd (needs `kernel`). */
    readonly initrd?: string;
    /** Direct kernel boot: kernel command line (needs `kernel`), e.g. `root=/dev/vda rw console=ttyS0`. */
    readonly cmdline?: string;
    /** libvirt network the NIC attaches to; default `"default"`. */
    readonly network?: string;
    /** NIC model; only virtio is supported (default). */
    readonly netModel?: "virtio";
    /**
     * virtio-net backend, always written explicitly:
     * `true` → `<driver name='vhost'/>` (in-kernel vhost-net; libvirt refuses to start the guest if
     * it cannot open /dev/vhost-net), `false` → `<driver name='qemu'/>` (userspace virtio-net).
     * Without a driver name libvirt uses vhost when it can and silently falls back to userspace when
     * it cannot, so the measured network path would depend on the host. libvirt also ignores vhost
     * for `type='qemu'` domains, hence `vhost: true` is refused under accel=tcg.
     */
    readonly vhost: boolean;
    /** Fixed MAC (unicast, e.g. `52:54:00:xx:xx:xx`); omitted → libvirt generates one at define. */
    readonly macAddress?: string;
    /** Absolute path of a file that receives the serial console (`<serial type='file'>`). */
    readonly serialLogPath?: string;
    /** Back guest memory with huge pages (`<memoryBacking><hugepages/>`); the host must have them. */
    readonly hugepages?: boolean;
    /** Disk bus: virtio-blk (`vda`, default) or virtio-scsi (`sda` on a virtio-scsi controller). */
    readonly diskBus?: "virtio-blk" | "virtio-scsi";
    /** IO threads (`<iothreads>`); the disk (or its SCSI controller) uses iothread 1. */
    readonly iothreads?: number;
    /** Host cpuset of every IO thread (`<iothreadpin>`); needs iothreads. */
    readonly iothreadPin?: string;
    /** Guest NUMA nodes (`<cpu><numa><cell>`), vCPUs and memory split evenly; omitted = no NUMA topology. */
    readonly numaNodes?: number;
    /** virtio-net queues (`<driver queues>`); omitted or 1 = single queue. */
    readonly netQueues?: number;
    /** Stack, environment and labels recorded in the domain. */
    readonly metadata: DomainMetadata;
}

/** What a domain name may be (exported so a stack can be refused before its guests are resolved). */
export const DOMAIN_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;
const MODEL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const MAC_RE = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;
/** Characters XML 1.0 cannot carry at all (C0 controls except tab/LF/CR, U+FFFE/U+FFFF, lone surrogates). */
// eslint-disable-next-line no-control-regex
const XML_FORBIDDEN_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPositiveInt(n: unknown): n is number {
    return typeof n === "number" && Number.isInteger(n) && n >= 1;
}

function isNonNegativeInt(n: unknown): n is number {
    return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

function checkText(field: string, value: string): void {
    const m = XML_FORBIDDEN_RE.exec(value);
    if (m) {
        const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
        throw new DomainSpecError(field, `contains U+${code}, which XML cannot represent`);
    }
}

function checkAbsolutePath(field: string, value: unknown): void {
    if (typeof value !== "string" || !value.startsWith("/")) {
        throw new DomainSpecError(field, `must be an absolute path, got ${JSON.stringify(value)}`);
    }
    checkText(field, value);
}

/** libvirt's CPU modes, which a stack must not give as a model name ({ named: … }). */
const CPU_MODES = ["host-passthrough", "host-model", "default", "maximum"];

/** Why `named` cannot be a CPU model name, or undefined (exported so a stack is refused before its guests are resolved). */
export function cpuModelNameError(named: string): string | undefined {
    return CPU_MODES.includes(named) ? `{ named: "${named}" } is a mode, not a model name; use "host-passthrough", "default" or { named: "max" }` : undefined;
}

/** Why a disk cache and AIO mode cannot go together, or undefined (exported like cpuModelNameError). */
export function diskModeError(diskCache: string, diskIo: string | undefined): string | undefined {
    return diskIo === "native" && diskCache !== "none"
        ? `io=native requires diskCache "none" (QEMU refuses aio=native without O_DIRECT), but diskCache is "${diskCache}"; set diskCache "none" or diskIo "threads"`
        : undefined;
}

/**
 * Checks every rule renderDomainXml relies on; returns nothing, throws {@link DomainSpecError}
 * naming the first offending field. Exported so resolvers can fail before rendering.
 */
export function validateDomainSpec(spec: DomainSpec): void {
    checkBasics(spec);
    checkCpu(spec);
    checkDiskAndBoot(spec);
    checkNetwork(spec);
    checkDevicesAndTuning(spec);
    checkMetadata(spec);
}

/** validateDomainSpec: name, accel, vCPUs and memory. */
function checkBasics(spec: DomainSpec): void {
    if (typeof spec.name !== "string" || !DOMAIN_NAME_RE.test(spec.name)) {
        throw new DomainSpecError(
            "name",
            `${JSON.stringify(spec.name)} is not a usable domain name; use letters, digits and "_.+-", starting with a letter or digit, at most 64 characters`,
        );
    }
    if (spec.accel !== "kvm" && spec.accel !== "tcg") {
        throw new DomainSpecError("accel", `must be "kvm" or "tcg", got ${JSON.stringify(spec.accel)}`);
    }
    if (!isPositiveInt(spec.vcpus)) {
        throw new DomainSpecError("vcpus", `must be an integer >= 1, got ${JSON.stringify(spec.vcpus)}`);
    }
    if (typeof spec.memoryMiB !== "number" || !Number.isInteger(spec.memoryMiB) || spec.memoryMiB < 128) {
        throw new DomainSpecError("memoryMiB", `must be an integer >= 128 (MiB), got ${JSON.stringify(spec.memoryMiB)}`);
    }
}

/** validateDomainSpec: the CPU: model, topology, pinning of vCPUs and of the emulator threads. */
function checkCpu(spec: DomainSpec): void {
    const model = spec.cpuModel;
    if (model === "host-passthrough") {
        if (spec.accel === "tcg") {
            throw new DomainSpecError(
                "cpuModel",
                `host-passthrough is not usable under accel=tcg (software emulation has no host CPU to pass through); choose a named model such as { named: "max" } or { named: "qemu64" }`,
            );
        }
    } else if (model !== "default") {
        if (typeof model !== "object" || model === null || typeof model.named !== "string" || !MODEL_RE.test(model.named)) {
            throw new DomainSpecError("cpuModel", `must be "host-passthrough", "default" or { named: "<libvirt CPU model>" }, got ${JSON.stringify(model)}`);
        }
        const modeError = cpuModelNameError(model.named);
        if (modeError) throw new DomainSpecError("cpuModel", modeError);
    }

    if (spec.topology !== undefined) {
        const { sockets, cores, threads } = spec.topology;
        if (![sockets, cores, threads].every(isPositiveInt)) {
            throw new DomainSpecError("topology", `sockets, cores and threads must be integers >= 1, got ${JSON.stringify(spec.topology)}`);
        }
        if (sockets * cores * threads !== spec.vcpus) {
            throw new DomainSpecError(
                "topology",
                `${sockets} sockets × ${cores} cores × ${threads} threads = ${sockets * cores * threads}, but vcpus is ${spec.vcpus}`,
            );
        }
    }

    if (spec.pinning !== undefined) {
        if (!Array.isArray(spec.pinning) || spec.pinning.length !== spec.vcpus) {
            const len = Array.isArray(spec.pinning) ? spec.pinning.length : "no";
            throw new DomainSpecError(
                "pinning",
                `has ${len} entries but vcpus is ${spec.vcpus}; give exactly one host CPU per vCPU, or leave pinning undefined for no pinning`,
            );
        }
        spec.pinning.forEach((cpu, i) => {
            if (!isNonNegativeInt(cpu)) {
                throw new DomainSpecError("pinning", `entry for vCPU ${i} must be a host CPU number >= 0, got ${JSON.stringify(cpu)}`);
            }
        });
    }
    if (spec.emulatorPin !== undefined) {
        try {
            parseCpuset(spec.emulatorPin);
        } catch (e) {
            throw new DomainSpecError("emulatorPin", (e as Error).message);
        }
    }
}

/** validateDomainSpec: the disk and how the guest boots (direct kernel or UEFI firmware). */
function checkDiskAndBoot(spec: DomainSpec): void {
    checkAbsolutePath("diskPath", spec.diskPath);
    if (spec.diskFormat !== undefined && spec.diskFormat !== "qcow2" && spec.diskFormat !== "raw") {
        throw new DomainSpecError("diskFormat", `must be "qcow2" or "raw", got ${JSON.stringify(spec.diskFormat)}`);
    }
    if (!["none", "writeback", "default"].includes(spec.diskCache)) {
        throw new DomainSpecError("diskCache", `must be "none", "writeback" or "default", got ${JSON.stringify(spec.diskCache)}`);
    }
    if (spec.diskIo !== undefined) {
        if (spec.diskIo !== "native" && spec.diskIo !== "threads") {
            throw new DomainSpecError("diskIo", `must be "native", "threads" or undefined, got ${JSON.stringify(spec.diskIo)}`);
        }
        const diskError = diskModeError(spec.diskCache, spec.diskIo);
        if (diskError) throw new DomainSpecError("diskIo", diskError);
    }

    if (spec.kernel !== undefined) checkAbsolutePath("kernel", spec.kernel);
    if (spec.firmware !== undefined) {
        if (spec.kernel !== undefined) {
            throw new DomainSpecError(
                "firmware",
                "is set together with kernel; UEFI firmware is for booting the disk's own bootloader, direct kernel boot needs no firmware: drop one of them",
            );
        }
        checkAbsolutePath("firmware.code", spec.firmware.code);
        checkAbsolutePath("firmware.varsTemplate", spec.firmware.varsTemplate);
        checkAbsolutePath("firmware.nvram", spec.firmware.nvram);
    }
    if (spec.initrd !== undefined) {
        if (spec.kernel === undefined) throw new DomainSpecError("initrd", "is set but kernel is not; direct kernel boot needs a kernel");
        checkAbsolutePath("initrd", spec.initrd);
    }
    if (spec.cmdline !== undefined) {
        if (spec.kernel === undefined) throw new DomainSpecError("cmdline", "is set but kernel is not; a kernel command line needs direct kernel boot");
        if (typeof spec.cmdline !== "string") throw new DomainSpecError("cmdline", "must be a string");
        checkText("cmdline", spec.cmdline);
    }
}

/** validateDomainSpec: the network interface. */
function checkNetwork(spec: DomainSpec): void {
    if (spec.network !== undefined) {
        if (typeof spec.network !== "string" || spec.network.length === 0) {
            throw new DomainSpecError("network", `must be a libvirt network name, got ${JSON.stringify(spec.network)}`);
        }
        checkText("network", spec.network);
    }
    if (spec.netModel !== undefined && spec.netModel !== "virtio") {
        throw new DomainSpecError("netModel", `only "virtio" is supported, got ${JSON.stringify(spec.netModel)}`);
    }
    if (typeof spec.vhost !== "boolean") {
        throw new DomainSpecError("vhost", `must be true or false (it is always written explicitly), got ${JSON.stringify(spec.vhost)}`);
    }
    if (spec.vhost && spec.accel === "tcg") {
        throw new DomainSpecError(
            "vhost",
            `vhost-net needs accel=kvm: libvirt ignores <driver name='vhost'/> for type='qemu' (tcg) guests and runs userspace virtio-net; set vhost: false under tcg`,
        );
    }
    if (spec.macAddress !== undefined) {
        if (typeof spec.macAddress !== "string" || !MAC_RE.test(spec.macAddress)) {
            throw new DomainSpecError("macAddress", `${JSON.stringify(spec.macAddress)} is not a MAC address like 52:54:00:12:34:56`);
        }
        if ((parseInt(spec.macAddress.slice(0, 2), 16) & 1) === 1) {
            throw new DomainSpecError("macAddress", `${spec.macAddress} is a multicast address; the first octet must be even (e.g. 52:54:00:…)`);
        }
    }
}

/** validateDomainSpec: the serial log, hugepages, the disk bus and I/O threads, guest NUMA nodes and network queues. */
function checkDevicesAndTuning(spec: DomainSpec): void {
    if (spec.serialLogPath !== undefined) checkAbsolutePath("serialLogPath", spec.serialLogPath);
    if (spec.hugepages !== undefined && typeof spec.hugepages !== "boolean") {
        throw new DomainSpecError("hugepages", `must be true, false or undefined, got ${JSON.stringify(spec.hugepages)}`);
    }

    if (spec.diskBus !== undefined && spec.diskBus !== "virtio-blk" && spec.diskBus !== "virtio-scsi") {
        throw new DomainSpecError("diskBus", `must be "virtio-blk" or "virtio-scsi", got ${JSON.stringify(spec.diskBus)}`);
    }
    if (spec.iothreads !== undefined && !isNonNegativeInt(spec.iothreads)) {
        throw new DomainSpecError("iothreads", `must be an integer >= 0, got ${JSON.stringify(spec.iothreads)}`);
    }
    if (spec.iothreadPin !== undefined) {
        if (!spec.iothreads) throw new DomainSpecError("iothreadPin", "is set but iothreads is 0; add iothreads >= 1");
        try {
            parseCpuset(spec.iothreadPin);
        } catch (e) {
            throw new DomainSpecError("iothreadPin", (e as Error).message);
        }
    }
    if (spec.numaNodes !== undefined && spec.numaNodes !== 0) {
        if (!isPositiveInt(spec.numaNodes) || spec.numaNodes > spec.vcpus) {
            throw new DomainSpecError("numaNodes", `must be an integer between 1 and vcpus (${spec.vcpus}), got ${JSON.stringify(spec.numaNodes)}`);
        }
        if (spec.vcpus % spec.numaNodes !== 0 || spec.memoryMiB % spec.numaNodes !== 0) {
            throw new DomainSpecError("numaNodes", `${spec.numaNodes} nodes must divide vcpus (${spec.vcpus}) and memoryMiB (${spec.memoryMiB}) evenly`);
        }
    }
    if (spec.netQueues !== undefined && (!isPositiveInt(spec.netQueues) || spec.netQueues > spec.vcpus)) {
        throw new DomainSpecError(
            "netQueues",
            `must be an integer between 1 and vcpus (${spec.vcpus}) (one queue per vCPU at most), got ${JSON.stringify(spec.netQueues)}`,
        );
    }
}

/** validateDomainSpec: the metadata libvirt keeps with the domain (stack, environment, labels). */
function checkMetadata(spec: DomainSpec): void {
    const md = spec.metadata;
    if (md === undefined || md === null) throw new DomainSpecError("metadata", "is required (stack and environment)");
    for (const key of ["stack", "environment"] as const) {
        if (typeof md[key] !== "string" || md[key].length === 0) {
            throw new DomainSpecError(`metadata.${key}`, `must be a non-empty string, got ${JSON.stringify(md[key])}`);
        }
        checkText(`metadata.${key}`, md[key]);
    }
    if (md.description !== undefined) checkText("metadata.description", md.description);
    for (const [k, v] of Object.entries(md.labels ?? {})) {
        if (k.length === 0) throw new DomainSpecError("metadata.labels", "label names must be non-empty");
        if (typeof v !== "string") throw new DomainSpecError(`metadata.labels.${k}`, `must be a string, got ${JSON.stringify(v)}`);
        checkText(`metadata.labels name "${k}"`, k);
        checkText(`metadata.labels.${k}`, v);
    }
}
