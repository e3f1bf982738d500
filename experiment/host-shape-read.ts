/**
 * The machine under test's shape, read from sysfs and /proc through its transport without asking
 * any daemon: CPUs, their cores and sockets, NUMA nodes and memory. What host-relative guest sizes
 * are resolved against when a stack file is read (core/host-shape.ts), and what the preflight and
 * `isobench plan` know of the host.
 */
import { HostError } from "../core/errors";
import { parseCpuset } from "../core/cpuset";
import { HostShape, hostShapeOf } from "../core/host-shape";
import { Transport, thisMachine } from "../environments/transport";
import type { MachineShapeOf } from "./spec";
import { stackTransport } from "./target";
import { memTotalMiB } from "./guest-capacity";

/** What a host's CPUs, memory and NUMA nodes are, as host.ts and plan-command.ts keep them. */
export interface HostTopology {
    readonly hostCpuCount: number;
    readonly memTotalMiB: number;
    /** Cores as lists of their hyperthreads (sysfs thread_siblings_list), each core once. */
    readonly cpuSiblings: number[][];
    /** The socket of each CPU (sysfs physical_package_id), by CPU number; undefined when sysfs does not say. */
    readonly cpuPackages?: number[];
    /** Online NUMA nodes (/sys/devices/system/node/online); [0] when the kernel has no NUMA sysfs. */
    readonly numaNodes: number[];
}

/** One line per CPU of sysfs: its number, its physical_package_id and its thread_siblings_list ("-" where sysfs has none). */
const TOPOLOGY_SCRIPT = [
    "getconf _NPROCESSORS_ONLN",
    "cat /sys/devices/system/node/online 2>/dev/null || echo -",
    "cd /sys/devices/system/cpu 2>/dev/null || exit 0",
    'for d in cpu[0-9]*; do [ -d "$d" ] || continue; printf \'%s %s %s\\n\' "${d#cpu}" "$(cat "$d/topology/physical_package_id" 2>/dev/null || echo -)" "$(cat "$d/topology/thread_siblings_list" 2>/dev/null || echo -)"; done',
].join("\n");

/** The host's CPUs, memory and NUMA nodes in two round trips. @throws HostError when its memory cannot be read */
export function readHostTopology(host: Transport): HostTopology {
    const meminfo = host.readFiles(["/proc/meminfo"]).get("/proc/meminfo") ?? "";
    const memTotal = memTotalMiB(meminfo);
    if (memTotal === undefined) {
        throw new HostError(
            `cannot tell the RAM of ${host.label} (no MemTotal in /proc/meminfo) to check the guests' memory against. Fix: run isobench on Linux with /proc mounted`,
        );
    }
    const lines = host.mustRun(["/bin/sh", "-c", TOPOLOGY_SCRIPT], 30, `reading the CPU topology of ${host.label}`).trim().split("\n");
    const hostCpuCount = Number(lines[0]);
    const numaNodes = lines[1] && lines[1] !== "-" ? parseCpuset(lines[1].trim()) : [0];
    const packages: number[] = [];
    let packagesKnown = true;
    const seen = new Map<string, number[]>();
    for (const line of lines.slice(2)) {
        const [n, pkg, siblings] = line.trim().split(/\s+/);
        if (pkg === "-" || pkg === undefined) packagesKnown = false;
        else packages[Number(n)] = Number(pkg);
        if (siblings && siblings !== "-" && !seen.has(siblings)) seen.set(siblings, parseCpuset(siblings));
    }
    return {
        hostCpuCount,
        memTotalMiB: memTotal,
        cpuSiblings: [...seen.values()].sort((a, b) => a[0] - b[0]),
        ...(packagesKnown && packages.length > 0 && { cpuPackages: packages }),
        numaNodes,
    };
}

/** The host's shape (CPUs, sockets, threads per core, NUMA nodes, memory), which host-relative guest sizes are resolved against. */
export function readHostShape(host: Transport): HostShape {
    const t = readHostTopology(host);
    return hostShapeOf({
        hostCpuCount: t.hostCpuCount,
        memTotalMiB: t.memTotalMiB,
        cpuSiblings: t.cpuSiblings,
        ...(t.cpuPackages && { cpuPackages: t.cpuPackages }),
        numaNodes: t.numaNodes,
    })!;
}

/**
 * The shape of the machine a stack measures: its isobench:target's, read over the pinned
 * connection, else this machine's (spec.ts parseSpec asks only where a size is host-relative).
 */
export const machineShape: MachineShapeOf = (target) => readHostShape(target ? stackTransport({ target }) : thisMachine());
