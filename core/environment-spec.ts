/**
 * The environment matrix of a stack: `isobench:environments` items, each a preset name or an
 * object with a free name and a kind (native, docker, kvm, docker-in-kvm), resolved to one
 * {@link EnvironmentSpec} per environment with every knob explicit. Pure: no Pulumi, no I/O.
 *
 * Presets (strings) are defined here and nowhere else:
 *  - `native`       the host itself.
 *  - `docker-nat`   Docker bridge network, ports published on 127.0.0.1 (carried by the userland
 *                   proxy, docker-proxy), workload data on a named volume, runc, no limits.
 *  - `docker-host`  as docker-nat with `--network host`.
 *  - `docker-nat-dnat`     as docker-nat, published on the bridge gateway instead, where the
 *                   kernel's DNAT carries the traffic: the path a remote client meets, as in the
 *                   IBM study (docs/results/nat-paths).
 *  - `docker-nat-unionfs`  as docker-nat, workload data in the container's own layer (overlay2
 *                   or aufs) instead of a volume: the paper's "files stored in AUFS".
 *  - `kvm-untuned`, `kvm-tuned`  the KVM presets of environments/kvm/presets.ts, sized by
 *                   `isobench:kvm` (vcpus, memoryMiB, pinning, vhost, bootTimeoutS).
 */

import { SchemaType, wordOr } from "./schema";
import { NumaPolicy, numaPolicyKey, numaPolicySchema } from "./numa";
import { HOST, MEMORY_SHARE_SCHEMA, Resolved } from "./host-shape";

export const PRESET_NAMES = ["native", "docker-nat", "docker-host", "docker-nat-dnat", "docker-nat-unionfs", "kvm-untuned", "kvm-tuned"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];
export type EnvKindName = "native" | "docker" | "kvm" | "docker-in-kvm";

export type DockerNetworkMode = "nat" | "host" | "none";
export type VhostMode = "auto" | "on" | "off";

/** One Docker configuration; identical for both drivers (environments/container-spec.ts). */
export interface DockerVariant {
    /** nat = bridge network with published ports; host = the host's network namespace; none = loopback only. */
    readonly network: DockerNetworkMode;
    /**
     * nat only: true publishes on 127.0.0.1, where docker-proxy (the userland proxy) carries the
     * traffic; false publishes on the bridge gateway address, where iptables DNAT carries it.
     * Both are measured by the probe (environments/nat-path.ts).
     */
    readonly userlandProxy: boolean;
    /** volume = named volume at the data directory; unionfs = the container's own layer (overlay2/aufs). */
    readonly storage: "volume" | "unionfs";
    readonly limits: {
        /** cgroup cpuset, e.g. "1" or "0-1". */
        readonly cpuset?: string;
        /** CFS quota in CPUs, e.g. 0.5. */
        readonly cpus?: number;
        /** Memory limit as Docker writes it: <n>[mg], e.g. "512m" (whole MiB, which both drivers can express). */
        readonly memory?: string;
    };
    /** OCI runtime: runc (Docker's default) or runsc (gVisor). */
    readonly runtime: "runc" | "runsc";
    /** Extra capabilities (e.g. SYS_NICE for numactl memory policies); recorded in the variant. */
    readonly capAdd: readonly string[];
    /** default = Docker's seccomp profile; unconfined = none. */
    readonly seccomp: "default" | "unconfined";
    /**
     * numactl policy every command in the container runs under (`docker exec … numactl … sh -c`);
     * a memory policy adds SYS_NICE at provisioning (environments/numactl.ts numaContainerNeeds).
     */
    readonly numactl?: NumaPolicy;
}

export type CpuModelKnob = "default" | "host-passthrough" | { readonly named: string };
export type TopologyKnob = "libvirt-default" | "single-socket" | { readonly sockets: number; readonly cores: number; readonly threads: number };
/** none, an explicit host CPU per vCPU, or vCPU pairs (2k, 2k+1) on host hyperthread siblings (the paper's Linpack guest). */
export type PinningKnob = "none" | "preset" | "ht-siblings" | readonly number[];

export type EnvironmentSpec =
    /** numactl: the policy every command of the native environment runs under (`numactl … sh -c`). */
    | { readonly name: string; readonly kind: "native"; readonly numactl?: NumaPolicy }
    | { readonly name: string; readonly kind: "docker"; readonly docker: DockerVariant }
    | { readonly name: string; readonly kind: "kvm"; readonly kvm: KvmKnobs }
    | { readonly name: string; readonly kind: "docker-in-kvm"; readonly kvm: KvmKnobs; readonly docker: DockerVariant };

/** A guest environment: a kvm one, or Docker inside a guest. The host's accel (KVM or emulation) applies to exactly these. */
export type GuestEnvironmentSpec = Extract<EnvironmentSpec, { readonly kind: "kvm" | "docker-in-kvm" }>;
export const isGuest = (e: EnvironmentSpec): e is GuestEnvironmentSpec => e.kind === "kvm" || e.kind === "docker-in-kvm";

/** The NUMA nodes inside a guest: a guest without a NUMA topology still has node 0. */
export function guestNumaNodes(k: Pick<KvmKnobs, "numa">): number[] {
    return Array.from({ length: Math.max(1, k.numa) }, (_, n) => n);
}

/** Stack-wide guest defaults (`isobench:kvm`), applied to every guest that does not override them. */
export interface KvmDefaults {
    readonly vcpus: number;
    readonly memoryMiB: number;
    readonly pinning?: readonly number[];
    readonly vhost: VhostMode;
    readonly bootTimeoutS: number;
    /** What host-relative defaults became ("vcpus host → 2"), for the guests that take them. */
    readonly sizing?: string;
    /** The share of the host's memory memoryMiB is ("35%"), when the stack wrote one. */
    readonly memoryShare?: string;
}

// Bounded digit counts: a cpuset is expanded CPU by CPU (environments/kvm/cpuset.ts), so
// "0-99999999999" must not get that far.
const MEMORY_RE = /^[1-9][0-9]{0,7}[mg]$/;
const CPUSET_RE = /^\d{1,4}(-\d{1,4})?(,\d{1,4}(-\d{1,4})?)*$/;

/** A host CPU number (Linux has at most 8192). */
export const HOST_CPU_SCHEMA = { type: "integer", minimum: 0, maximum: 8191 } as const;
/** Longest a guest may take to boot, or anything else may be waited for: a day. */
const MAX_WAIT_S = 86400;

export const dockerSchema = {
    network: { enum: ["nat", "host", "none"] },
    userlandProxy: { type: "boolean" },
    storage: { enum: ["volume", "unionfs"] },
    limits: {
        type: "object",
        additionalProperties: false,
        properties: {
            cpuset: { type: "string", pattern: CPUSET_RE.source },
            cpus: { type: "number", exclusiveMinimum: 0, maximum: 1024 },
            memory: { type: "string", pattern: MEMORY_RE.source },
        },
    },
    runtime: { enum: ["runc", "runsc"] },
    capAdd: { type: "array", uniqueItems: true, maxItems: 64, items: { type: "string", pattern: "^[A-Z_]{1,32}$" } },
    seccomp: { enum: ["default", "unconfined"] },
    numactl: numaPolicySchema,
} as const;

export const kvmSchema = {
    preset: { enum: ["kvm-untuned", "kvm-tuned"] },
    // "host": every host CPU (core/host-shape.ts resolves host-relative sizes when the stack is read).
    vcpus: wordOr([HOST], { type: "integer", minimum: 1, maximum: 512 }, "an integer from 1 to 512"),
    // 16 TiB: more than any host this runs on, so a typo in the digits is refused.
    memoryMiB: { type: "integer", minimum: 256, maximum: 16 * 1024 * 1024 },
    memory: MEMORY_SHARE_SCHEMA,
    cpuModel: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$" },
    topology: wordOr(["libvirt-default", "single-socket", HOST], {
        type: "object",
        additionalProperties: false,
        required: ["sockets", "cores", "threads"],
        properties: {
            sockets: { type: "integer", minimum: 1, maximum: 512 },
            cores: { type: "integer", minimum: 1, maximum: 512 },
            threads: { type: "integer", minimum: 1, maximum: 512 },
        },
    }),
    pinning: wordOr(["none", "preset", "ht-siblings"], { type: "array", minItems: 1, maxItems: 512, items: HOST_CPU_SCHEMA }),
    emulatorPin: { type: "string", pattern: `^(none|${CPUSET_RE.source.slice(1, -1)})$` },
    iothreads: { type: "integer", minimum: 0, maximum: 16 },
    iothreadPin: { type: "string", pattern: CPUSET_RE.source },
    hugepages: { type: "boolean" },
    numa: wordOr([HOST], { type: "integer", minimum: 0, maximum: 8 }, "an integer from 0 to 8"),
    diskBus: { enum: ["virtio-blk", "virtio-scsi"] },
    diskFormat: { enum: ["qcow2", "raw"] },
    diskCache: { enum: ["none", "writeback", "default"] },
    diskIo: { enum: ["native", "threads", "default"] },
    netQueues: { type: "integer", minimum: 1, maximum: 16 },
    vhost: { enum: ["auto", "on", "off"] },
    boot: { enum: ["direct", "bootloader"] },
    bootTimeoutS: { type: "integer", minimum: 10, maximum: MAX_WAIT_S },
} as const;

const NAME = { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,30}$" } as const;

/** Schemas of the object forms, by kind; the item's path is prefixed by the caller. */
export const environmentSchemas = {
    native: {
        type: "object",
        additionalProperties: false,
        required: ["name", "kind"],
        properties: { name: NAME, kind: { const: "native" }, numactl: numaPolicySchema },
    },
    docker: { type: "object", additionalProperties: false, required: ["name", "kind"], properties: { name: NAME, kind: { const: "docker" }, ...dockerSchema } },
    kvm: { type: "object", additionalProperties: false, required: ["name", "kind"], properties: { name: NAME, kind: { const: "kvm" }, ...kvmSchema } },
    "docker-in-kvm": {
        type: "object",
        additionalProperties: false,
        required: ["name", "kind"],
        properties: {
            name: NAME,
            kind: { const: "docker-in-kvm" },
            guest: { type: "object", additionalProperties: false, properties: kvmSchema },
            docker: { type: "object", additionalProperties: false, properties: dockerSchema },
        },
    },
} as const;

export const ENV_KINDS = Object.keys(environmentSchemas) as EnvKindName[];

// What a stack may write, typed from the schemas above (one source): a knob added to a schema is
// known to the code that reads it, and a reader of a knob the schema lacks does not compile.
/** A schema-valid `docker` object of a stack (docker kind, or docker-in-kvm's `docker`). */
export type DockerInput = SchemaType<{ type: "object"; additionalProperties: false; properties: typeof dockerSchema }>;
/** A schema-valid guest object of a stack (kvm kind, or docker-in-kvm's `guest`). */
export type KvmInput = SchemaType<{ type: "object"; additionalProperties: false; properties: typeof kvmSchema }>;
/** A guest object with its host-relative sizes resolved (core/host-shape.ts): what the knobs are made from. */
export type ResolvedKvmInput = Resolved<KvmInput>;
/**
 * The knobs a guest may leave out that do not fall back to the preset: fixed values here, and
 * the stack-wide ones of `isobench:kvm` ({@link KvmDefaults}). Every other knob left out takes
 * the preset's value (environments/kvm/presets.ts).
 */
const KVM_KNOB_DEFAULTS = { iothreads: 0, numa: 0, diskBus: "virtio-blk", netQueues: 1, boot: "direct" } as const satisfies KvmInput;
type DefaultedKnob = keyof typeof KVM_KNOB_DEFAULTS | keyof Omit<KvmDefaults, "pinning" | "sizing" | "memoryShare">;

/**
 * Every KVM knob of one guest, named and typed as the stack writes it (one source: kvmSchema),
 * with the defaults above filled in; undefined = the preset's value. Two knobs change form:
 * the preset is always known, and a CPU model name becomes `{ named }`.
 */
export type KvmKnobs = Readonly<Omit<ResolvedKvmInput, "preset" | "cpuModel" | "pinning" | DefaultedKnob> & Required<Pick<ResolvedKvmInput, DefaultedKnob>>> & {
    readonly preset: "kvm-untuned" | "kvm-tuned";
    readonly cpuModel?: CpuModelKnob;
    /** The stack's pinning, or `isobench:kvm`'s pinning list for kvm-tuned, or "preset". */
    readonly pinning: PinningKnob;
    /** What the guest's host-relative sizes became on this host ("vcpus host → 32; memory 35% → 91750 MiB"); recorded in environments.csv. */
    readonly sizing?: string;
    /** The share of the host's memory memoryMiB is ("35%"), when the stack wrote one. */
    readonly memoryShare?: string;
};

/** A schema-valid object item of `isobench:environments`. */
export type EnvironmentInput = { [K in EnvKindName]: SchemaType<(typeof environmentSchemas)[K]> }[EnvKindName];

export function dockerVariantOf(raw: DockerInput): DockerVariant {
    const network: DockerNetworkMode = raw.network ?? "nat";
    return {
        network,
        userlandProxy: raw.userlandProxy ?? network === "nat",
        storage: raw.storage ?? "volume",
        limits: { ...(raw.limits ?? {}) },
        runtime: raw.runtime ?? "runc",
        capAdd: [...(raw.capAdd ?? [])].sort(),
        seccomp: raw.seccomp ?? "default",
        ...(raw.numactl !== undefined && { numactl: { ...raw.numactl } }),
    };
}

function cpuModelOf(v: string): CpuModelKnob {
    return v === "default" || v === "host-passthrough" ? v : { named: v };
}

export function kvmKnobsOf(raw: ResolvedKvmInput, preset: KvmKnobs["preset"], d: KvmDefaults, sizing?: string): KvmKnobs {
    // The stack's object may carry name and kind (kvm kind) besides its knobs: take only knobs.
    const given = Object.fromEntries(Object.entries(raw).filter(([k, v]) => k in kvmSchema && v !== undefined)) as ResolvedKvmInput;
    const { cpuModel, pinning, preset: _preset, ...rest } = given;
    return {
        ...KVM_KNOB_DEFAULTS,
        vcpus: d.vcpus,
        memoryMiB: d.memoryMiB,
        vhost: d.vhost,
        bootTimeoutS: d.bootTimeoutS,
        ...rest,
        preset,
        pinning: pinning ?? (preset === "kvm-tuned" && d.pinning ? d.pinning : "preset"),
        ...(cpuModel !== undefined && { cpuModel: cpuModelOf(cpuModel) }),
        ...((sizing ?? d.sizing) && { sizing: sizing ?? d.sizing }),
        ...((raw.memoryShare ?? (raw.memoryMiB === undefined ? d.memoryShare : undefined)) && {
            memoryShare: raw.memoryShare ?? d.memoryShare,
        }),
    };
}

/** The environment a preset name stands for. */
export function presetEnvironment(name: PresetName, d: KvmDefaults): EnvironmentSpec {
    switch (name) {
        case "native":
            return { name, kind: "native" };
        case "docker-nat":
            return { name, kind: "docker", docker: dockerVariantOf({ network: "nat" }) };
        case "docker-host":
            return { name, kind: "docker", docker: dockerVariantOf({ network: "host" }) };
        case "docker-nat-dnat":
            return { name, kind: "docker", docker: dockerVariantOf({ network: "nat", userlandProxy: false }) };
        case "docker-nat-unionfs":
            return { name, kind: "docker", docker: dockerVariantOf({ network: "nat", storage: "unionfs" }) };
        case "kvm-untuned":
        case "kvm-tuned":
            return { name, kind: "kvm", kvm: kvmKnobsOf({}, name, d) };
    }
}

/** An item of `isobench:environments` with its guest's host-relative sizes resolved (core/host-shape.ts). */
export type ResolvedEnvironmentInput =
    | Exclude<EnvironmentInput, { kind: "kvm" | "docker-in-kvm" }>
    | Resolved<Extract<EnvironmentInput, { kind: "kvm" }>>
    | (Omit<Extract<EnvironmentInput, { kind: "docker-in-kvm" }>, "guest"> & { readonly guest?: ResolvedKvmInput });

/**
 * Turns one schema-valid item of `isobench:environments` into its EnvironmentSpec.
 * @param sizing what the item's host-relative sizes became, recorded with its guest's knobs
 */
export function environmentOf(item: PresetName | ResolvedEnvironmentInput, d: KvmDefaults, sizing?: string): EnvironmentSpec {
    if (typeof item === "string") return presetEnvironment(item, d);
    switch (item.kind) {
        case "native":
            return { name: item.name, kind: "native", ...(item.numactl !== undefined && { numactl: { ...item.numactl } }) };
        case "docker":
            return { name: item.name, kind: "docker", docker: dockerVariantOf(item) };
        case "kvm":
            return { name: item.name, kind: "kvm", kvm: kvmKnobsOf(item, item.preset ?? "kvm-untuned", d, sizing) };
        case "docker-in-kvm": {
            const g = item.guest ?? {};
            // From outside the guest, published ports are reached at the guest's address, where
            // the guest's iptables DNAT carries them: the userland proxy is not on that path.
            return {
                name: item.name,
                kind: "docker-in-kvm",
                kvm: kvmKnobsOf(g, g.preset ?? "kvm-untuned", d, sizing),
                docker: dockerVariantOf({ userlandProxy: false, ...(item.docker ?? {}) }),
            };
        }
    }
}

/** Bytes of a Docker memory string ("512m" → 536870912). */
export function memoryBytes(m: string): number {
    const n = Number(m.slice(0, -1));
    return n * (m.endsWith("g") ? 1024 ** 3 : 1024 ** 2);
}

/**
 * Canonical variant string of a Docker configuration (the `variant` column), fields in this
 * fixed order, optional ones only when set:
 * `net=<nat|host|none>` `[proxy=<userland|dnat>]` (nat only) `storage=<volume|unionfs>`
 * `runtime=<runc|runsc>` `[cpuset=<cpuset>]` `[cpus=<n>]` `[mem=<n>[mg]]` `[cap=<A+B>]`
 * `[seccomp=unconfined]` `[numactl=<policy key>]`, joined with `;`. e.g. `net=nat;proxy=userland;storage=volume;runtime=runc;cpuset=1;mem=2g`.
 */
export function dockerVariantKey(d: DockerVariant): string {
    const parts: Array<[string, string | undefined]> = [
        ["net", d.network],
        ["proxy", d.network === "nat" ? (d.userlandProxy ? "userland" : "dnat") : undefined],
        ["storage", d.storage],
        ["runtime", d.runtime],
        ["cpuset", d.limits.cpuset],
        ["cpus", d.limits.cpus === undefined ? undefined : String(d.limits.cpus)],
        ["mem", d.limits.memory],
        ["cap", d.capAdd.length ? d.capAdd.join("+") : undefined],
        ["seccomp", d.seccomp === "unconfined" ? "unconfined" : undefined],
        ["numactl", d.numactl ? numaPolicyKey(d.numactl) : undefined],
    ];
    return parts
        .filter((p): p is [string, string] => p[1] !== undefined)
        .map(([k, v]) => `${k}=${v}`)
        .join(";");
}

/** Variant of a native environment: "" (the host as it is), or `numactl=<policy key>`. */
export function nativeVariantKey(numactl: NumaPolicy | undefined): string {
    return numactl ? `numactl=${numaPolicyKey(numactl)}` : "";
}
