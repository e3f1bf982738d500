/**
 * Guest sizes a stack writes relative to the host it runs on (`vcpus: host`, `memory: "40%"`,
 * `topology: host`, `numa: host`), so that one stack file fits any server of a kind (the IBM
 * study's two-socket guests on another two-socket server) and says on every run what it became.
 * Pure: the host's shape is passed in (experiment/host.ts reads it from sysfs and /proc/meminfo;
 * `isobench plan --host` describes one).
 */

/** What host-relative sizes are resolved against. */
export interface HostShape {
    /** Online CPUs (hyperthreads). */
    readonly cpus: number;
    /** MemTotal, in MiB. */
    readonly memTotalMiB: number;
    /** CPU sockets (distinct physical_package_id). */
    readonly sockets: number;
    /** Hyperthreads per core. */
    readonly threadsPerCore: number;
    /** Online NUMA nodes. */
    readonly numaNodes: number;
}

/** The word that stands for "as the host has it". */
export const HOST = "host";

/** A share of the host's memory, 1 % to 99 %. */
export const MEMORY_SHARE_SCHEMA = { type: "string", pattern: "^[1-9][0-9]?%$", description: 'a share of the host\'s memory from "1%" to "99%"' } as const;

/** The shape of a host from the facts the program has (core counts, sockets, nodes, memory). */
export function hostShapeOf(facts: {
    readonly hostCpuCount: number;
    readonly memTotalMiB?: number;
    readonly cpuSiblings?: readonly (readonly number[])[];
    readonly cpuPackages?: readonly number[];
    readonly numaNodes?: readonly number[];
}): HostShape | undefined {
    if (facts.memTotalMiB === undefined) return undefined;
    return {
        cpus: facts.hostCpuCount,
        memTotalMiB: facts.memTotalMiB,
        sockets: facts.cpuPackages ? new Set(facts.cpuPackages.filter((p) => p !== undefined)).size : 1,
        threadsPerCore: facts.cpuSiblings?.length ? Math.max(...facts.cpuSiblings.map((c) => c.length)) : 1,
        numaNodes: facts.numaNodes?.length ?? 1,
    };
}

/** A guest's size and shape as a stack may write them, host-relative or not. */
export interface RelativeSize {
    readonly vcpus?: number | "host";
    readonly memoryMiB?: number;
    readonly memory?: string;
    readonly topology?: "libvirt-default" | "single-socket" | "host" | Topology;
    readonly numa?: number | "host";
}

type Topology = { readonly sockets: number; readonly cores: number; readonly threads: number };

/** The same with every host-relative value replaced by what it is on the host (and `memory` by memoryMiB). */
export type Resolved<T extends RelativeSize> = Omit<T, keyof RelativeSize> & {
    readonly vcpus?: number;
    readonly memoryMiB?: number;
    /** The share of the host's memory memoryMiB was resolved from ("35%"), as the stack wrote it. */
    readonly memoryShare?: string;
    readonly topology?: "libvirt-default" | "single-socket" | Topology;
    readonly numa?: number;
};

/**
 * The host's shape, or how to read it: a stack on a remote target reads its target's only where a
 * size is host-relative, so a stack without one never reaches the target to be parsed.
 */
export type HostShapeSource = HostShape | (() => HostShape | undefined) | undefined;

/**
 * Resolves the host-relative values of one guest (or of isobench:kvm's defaults): `vcpus: host` is
 * every host CPU, `memory: "P%"` P % of MemTotal (whole MiB), `topology: host` the host's sockets
 * and threads per core with the cores that make up the vCPUs, `numa: host` the host's NUMA nodes.
 * @param vcpusDefault the vCPUs the guest has when it does not say (isobench:kvm's), for topology: host
 * @returns the input with those values resolved, what each became ("vcpus host → 32"), and the
 *   problems, each naming `key` and the fix
 */
export function resolveRelativeSize<T extends RelativeSize>(
    input: T,
    host: HostShapeSource,
    key: string,
    vcpusDefault?: number,
): { readonly size: Resolved<T>; readonly became: readonly string[]; readonly problems: readonly string[] } {
    const { memory, vcpus, topology, numa, memoryMiB: mib, ...rest } = input;
    const relative = vcpus === HOST || memory !== undefined || topology === HOST || numa === HOST;
    if (!relative) return { size: input as Resolved<T>, became: [], problems: [] };
    const shape = typeof host === "function" ? host() : host;
    if (!shape)
        return { size: rest as Resolved<T>, became: [], problems: [`${key}: host-relative sizes (host, "<n>%") need the host's facts, which were not read`] };
    const problems: string[] = [];
    const became: string[] = [];
    if (memory !== undefined && mib !== undefined)
        problems.push(`${key}: memoryMiB and memory both set; keep one (memory: "<n>%" is a share of the host's memory)`);
    const resolvedVcpus = vcpus === HOST ? shape.cpus : vcpus;
    if (vcpus === HOST) became.push(`vcpus host → ${shape.cpus}`);
    let memoryMiB = mib;
    if (memory !== undefined) {
        memoryMiB = Math.floor((shape.memTotalMiB * Number(memory.slice(0, -1))) / 100);
        became.push(`memory ${memory} → ${memoryMiB} MiB`);
        if (memoryMiB < 256) {
            problems.push(
                `${key}.memory: ${memory} of this host's ${shape.memTotalMiB} MiB is ${memoryMiB} MiB, less than a guest's 256 MiB; give a larger share, or memoryMiB`,
            );
        }
    }
    let resolvedTopology: Resolved<T>["topology"] = topology === HOST ? undefined : topology;
    if (topology === HOST) {
        const n = resolvedVcpus ?? vcpusDefault ?? 1;
        const perCore = shape.sockets * shape.threadsPerCore;
        if (n % perCore !== 0) {
            problems.push(
                `${key}.topology: host is ${shape.sockets} socket(s) × ${shape.threadsPerCore} thread(s) per core here, which ${n} vCPUs do not fill evenly; give vcpus a multiple of ${perCore} (vcpus: host), or an explicit topology`,
            );
        } else {
            resolvedTopology = { sockets: shape.sockets, cores: n / perCore, threads: shape.threadsPerCore };
            became.push(`topology host → ${shape.sockets}s${n / perCore}c${shape.threadsPerCore}t`);
        }
    }
    const resolvedNuma = numa === HOST ? shape.numaNodes : numa;
    if (numa === HOST) became.push(`numa host → ${shape.numaNodes}`);
    const size = {
        ...rest,
        ...(resolvedVcpus !== undefined && { vcpus: resolvedVcpus }),
        ...(memoryMiB !== undefined && { memoryMiB }),
        ...(memory !== undefined && { memoryShare: memory }),
        ...(resolvedTopology !== undefined && { topology: resolvedTopology }),
        ...(resolvedNuma !== undefined && { numa: resolvedNuma }),
    };
    return { size: size as Resolved<T>, became, problems };
}
