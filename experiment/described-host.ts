/**
 * A host described in one word instead of measured: `isobench plan <stack> --host 2x8x2,256g`
 * plans a stack for a server one does not have at hand (the IBM study's: 2 sockets × 8 cores × 2
 * threads, 256 GiB), and the unit tests run the study stacks against such hosts. Pure.
 *
 * Syntax: `<sockets>x<cores per socket>x<threads per core>,<memory>[,tcg][,no-vhost]`, memory as
 * `<n>g` or `<n>m` (MemTotal). One NUMA node per socket, and CPUs numbered as Linux numbers them on
 * such a server: first thread of every core socket by socket, then the second threads in the same
 * order, so the hyperthread siblings of core k are k and k + sockets × cores.
 */
import type { HostContext } from "./program";
import { UserError } from "../core/errors";

/** The facts of a host the plan reads, as a description gives them. */
export type DescribedHost = Pick<HostContext, "hostCpuCount" | "cpuSiblings" | "cpuPackages" | "numaNodes" | "memTotalMiB" | "accel" | "vhostAvailable">;

const SYNTAX = "<sockets>x<cores per socket>x<threads per core>,<memory: <n>g or <n>m>[,tcg][,no-vhost], e.g. 2x8x2,256g";

/** @throws UserError naming the syntax when `text` is not a host description */
export function describedHost(text: string): DescribedHost {
    const [shape, memory, ...flags] = text.split(",");
    const m = /^([1-9]\d{0,2})x([1-9]\d{0,3})x([1-9])$/.exec(shape ?? "");
    const mem = /^([1-9]\d{0,7})([gm])$/.exec(memory ?? "");
    const unknown = flags.filter((f) => f !== "tcg" && f !== "no-vhost");
    if (!m || !mem || unknown.length > 0) throw new UserError(`--host: "${text}" is not a host description. Write ${SYNTAX}`);
    const [sockets, cores, threads] = [m[1], m[2], m[3]].map(Number);
    const perThread = sockets * cores;
    const cpu = (socket: number, core: number, thread: number) => thread * perThread + socket * cores + core;
    const siblings: number[][] = [];
    const packages: number[] = [];
    for (let s = 0; s < sockets; s++) {
        for (let c = 0; c < cores; c++) {
            siblings.push(Array.from({ length: threads }, (_, t) => cpu(s, c, t)));
            for (let t = 0; t < threads; t++) packages[cpu(s, c, t)] = s;
        }
    }
    return {
        hostCpuCount: perThread * threads,
        cpuSiblings: siblings,
        cpuPackages: packages,
        numaNodes: Array.from({ length: sockets }, (_, s) => s),
        memTotalMiB: Number(mem[1]) * (mem[2] === "g" ? 1024 : 1),
        accel: flags.includes("tcg") ? "tcg" : "kvm",
        vhostAvailable: !flags.includes("no-vhost"),
    };
}
