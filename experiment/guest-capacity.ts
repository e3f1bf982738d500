/**
 * Whether a stack's guests fit the host, decided from their sizes and the host's RAM and CPU count
 * alone (no I/O: experiment/host.ts reads /proc/meminfo and the CPU count), so that a stack sized
 * for a bigger machine is refused before anything is created rather than by libvirt halfway
 * through, or, worse, measured while the host swaps or time-shares its CPUs.
 */
import type { ExperimentSpec, Schedule } from "./spec";
import { isGuest } from "../core/environment-spec";

/**
 * RAM kept for the host and not offered to guests. Guest RAM is not reserved up front, so the
 * danger is not a refused start but a host that swaps once the guests have touched their memory;
 * what else stays resident while they run is isobench's own: the Pulumi engine and the Node
 * program (together about 300 MiB), dockerd and containerd, libvirtd, and QEMU's own overhead per
 * guest beyond guest RAM. 512 MiB is a floor for that, not a guarantee: it refuses the stacks that
 * cannot fit without refusing a small host that can run the quick stack.
 */
export const HOST_RESERVE_MIB = 512;

/** One guest of a stack: its environment, where it is declared, and its size. */
export interface GuestSize {
    readonly name: string;
    /** The stack key of the guest's knobs, e.g. isobench:environments.2 or isobench:environments.4.guest. */
    readonly key: string;
    readonly vcpus: number;
    readonly memoryMiB: number;
    /** The share of the host's memory it was written as ("35%"), when it was. */
    readonly memoryShare?: string;
}

/** Where a guest's memory is declared, as a refusal names it: `<key>.memoryMiB`, or `<key>.memory` with its share. */
function memoryAt(g: GuestSize): string {
    return g.memoryShare ? `${g.key}.memory = "${g.memoryShare}"` : `${g.key}.memoryMiB`;
}

export interface HostSize {
    /** MemTotal of /proc/meminfo, in MiB. */
    readonly memTotalMiB: number;
    /** Online host CPUs. */
    readonly cpuCount: number;
}

/** Every guest of the spec (kvm and docker-in-kvm environments), with the key its size is declared under. */
export function guestSizes(spec: Pick<ExperimentSpec, "environmentSpecs">): GuestSize[] {
    return spec.environmentSpecs.flatMap((e, i) =>
        isGuest(e)
            ? [
                  {
                      name: e.name,
                      key: `isobench:environments.${i}${e.kind === "docker-in-kvm" ? ".guest" : ""}`,
                      vcpus: e.kvm.vcpus,
                      memoryMiB: e.kvm.memoryMiB,
                      ...(e.kvm.memoryShare && { memoryShare: e.kvm.memoryShare }),
                  },
              ]
            : [],
    );
}

/** MemTotal of a /proc/meminfo text, in MiB; undefined when the line is missing. */
export function memTotalMiB(meminfo: string): number | undefined {
    const kb = /^MemTotal:\s+(\d+)\s*kB/m.exec(meminfo)?.[1];
    return kb === undefined ? undefined : Math.floor(Number(kb) / 1024);
}

// Preset-named environments take their size from isobench:kvm, which their own key cannot show.
const STACK_WIDE = (knob: string) => `isobench:kvm.${knob} for environments that take the stack-wide size`;

/**
 * Why a guest does not fit the host, one line each: more vCPUs than the host has CPUs, or more RAM
 * than the host can give one guest. Either is refused: such a guest cannot run as declared.
 */
export function guestCapacityProblems(guests: readonly GuestSize[], host: HostSize): string[] {
    const lines: string[] = [];
    const usable = host.memTotalMiB - HOST_RESERVE_MIB;
    const hostRam = hostRamOf(host);
    const cpus = host.cpuCount === 1 ? "CPU 0 only" : `CPUs 0-${host.cpuCount - 1} only`;
    for (const g of guests) {
        // Overcommit boots, but vCPUs beyond the host's CPUs time-share them: a benchmark in that guest measures the sharing.
        if (g.vcpus > host.cpuCount) {
            lines.push(
                `environment ${g.name} (${g.key}.vcpus): ${g.vcpus} vCPUs, but the host has ${cpus}, and a guest with more vCPUs than host CPUs measures their time-sharing. Fix: set vcpus to at most ${host.cpuCount} (${STACK_WIDE("vcpus")}), or run the stack on a host with at least ${g.vcpus} CPUs`,
            );
        }
        if (g.memoryMiB > usable) {
            lines.push(
                `environment ${g.name} (${memoryAt(g)}): ${g.memoryMiB} MiB, but ${hostRam}. Fix: set memoryMiB to at most ${Math.max(usable, 0)} (${STACK_WIDE("memoryMiB")}), or run the stack on a host with MemTotal of at least ${g.memoryMiB + HOST_RESERVE_MIB} MiB`,
            );
        }
    }
    return lines;
}

function hostRamOf(host: HostSize): string {
    return `the host has MemTotal ${host.memTotalMiB} MiB, of which ${host.memTotalMiB - HOST_RESERVE_MIB} MiB can go to guests (${HOST_RESERVE_MIB} MiB is kept for the host)`;
}

/**
 * Why the guests cannot be up together: under the interleaved schedule every guest of a stack is
 * provisioned at the start and stays up for the whole run (the guests a cell does not use are
 * paused, which frees their CPUs but not their memory). QEMU allocates guest memory as it is
 * touched, so they would boot; the host swaps once their benchmarks have touched more than it has,
 * and a guest that swaps measures the swapping, hours into the run. Undefined when they fit.
 * @param eachFits whether every guest fits the host alone: then isobench:schedule: grouped is the first fix
 */
export function concurrentMemoryProblem(guests: readonly GuestSize[], host: HostSize, eachFits = false): string | undefined {
    const usable = host.memTotalMiB - HOST_RESERVE_MIB;
    const total = guests.reduce((sum, g) => sum + g.memoryMiB, 0);
    if (guests.length < 2 || total <= usable) return undefined;
    const grouped = eachFits
        ? `set isobench:schedule: grouped (one guest up at a time: the largest needs ${Math.max(...guests.map((g) => g.memoryMiB))} MiB, at one boot per guest per repetition; docs/reproduce-on-your-server.md "Interleaved or grouped"), or `
        : "";
    return (
        `the ${guests.length} guests are up together for the whole run and need ${total} MiB together once their benchmarks have touched their memory (${guests.map((g) => `${g.name} ${g.memoryMiB} MiB at ${memoryAt(g)}`).join(", ")}), but ${hostRamOf(host)}; ` +
        `a guest that then swaps measures the swapping. Fix: ${grouped}lower their memory (memoryMiB, or memory: "<n>%" of the host) until they add up to at most ${Math.max(usable, 0)} MiB, or split the guests over several stacks`
    );
}

/**
 * Every reason the stack's guests do not fit the host: each guest alone, then, under the
 * interleaved schedule, all of them up together (under grouped one guest is up at a time).
 */
export function capacityProblems(spec: Pick<ExperimentSpec, "environmentSpecs"> & { readonly schedule?: Schedule }, host: HostSize): string[] {
    const guests = guestSizes(spec);
    const alone = guestCapacityProblems(guests, host);
    const together = spec.schedule === "grouped" ? undefined : concurrentMemoryProblem(guests, host, alone.length === 0);
    return [...alone, ...(together ? [together] : [])];
}

/** The refusal of guests the host cannot hold. */
export function capacityRefusal(stack: string, lines: readonly string[]): string {
    return `the guests of stack "${stack}" do not fit this host:\n  - ${lines.join("\n  - ")}`;
}
