/**
 * This host's shape, read from sysfs and /proc without asking any daemon: CPUs, their cores and
 * sockets, NUMA nodes and memory. What host-relative guest sizes are resolved against when a stack
 * file is read (core/host-shape.ts), and what the preflight and `isobench plan` know of the host.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostError } from "../core/errors";
import { parseCpuset } from "../core/cpuset";
import { HostShape, hostShapeOf } from "../core/host-shape";
import { memTotalMiB } from "./guest-capacity";

/** MemTotal of /proc/meminfo in MiB. @throws HostError when it cannot be read */
export function hostMemTotalMiB(): number {
    let meminfo = "";
    try {
        meminfo = fs.readFileSync("/proc/meminfo", "utf8");
    } catch {
        // Reported below as MemTotal missing, with the fix.
    }
    const memTotal = memTotalMiB(meminfo);
    if (memTotal === undefined) {
        throw new HostError(
            `cannot tell the host's RAM (no MemTotal in /proc/meminfo) to check the guests' memory against. Fix: run isobench on Linux with /proc mounted`,
        );
    }
    return memTotal;
}

/** The host's online NUMA nodes (/sys/devices/system/node/online, e.g. "0-1"); [0] when the kernel has no NUMA sysfs. */
export function onlineNumaNodes(): number[] {
    const f = "/sys/devices/system/node/online";
    return fs.existsSync(f) ? parseCpuset(fs.readFileSync(f, "utf8").trim()) : [0];
}

/** This host's shape (CPUs, sockets, threads per core, NUMA nodes, memory), which host-relative guest sizes are resolved against. */
export function readHostShape(): HostShape {
    const packages = cpuPackages();
    return hostShapeOf({
        hostCpuCount: os.cpus().length,
        memTotalMiB: hostMemTotalMiB(),
        cpuSiblings: cpuSiblings(),
        ...(packages && { cpuPackages: packages }),
        numaNodes: onlineNumaNodes(),
    })!;
}

/** The socket of each host CPU (sysfs physical_package_id), by CPU number; undefined when sysfs does not say. */
export function cpuPackages(): number[] | undefined {
    const dir = "/sys/devices/system/cpu";
    const packages: number[] = [];
    for (const d of fs.existsSync(dir) ? fs.readdirSync(dir).filter((x) => /^cpu\d+$/.test(x)) : []) {
        const f = path.join(dir, d, "topology", "physical_package_id");
        if (!fs.existsSync(f)) return undefined;
        packages[Number(d.slice(3))] = Number(fs.readFileSync(f, "utf8").trim());
    }
    return packages.length > 0 ? packages : undefined;
}

/** Host cores as lists of their hyperthreads (sysfs thread_siblings_list), each core once. */
export function cpuSiblings(): number[][] {
    const dir = "/sys/devices/system/cpu";
    const seen = new Map<string, number[]>();
    for (const d of fs.existsSync(dir) ? fs.readdirSync(dir).filter((x) => /^cpu\d+$/.test(x)) : []) {
        const f = path.join(dir, d, "topology", "thread_siblings_list");
        if (!fs.existsSync(f)) continue;
        const list = fs.readFileSync(f, "utf8").trim();
        if (!seen.has(list)) seen.set(list, parseCpuset(list));
    }
    return [...seen.values()].sort((a, b) => a[0] - b[0]);
}
