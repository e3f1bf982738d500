/** Registry of the workloads isobench can run, by the name used in stacks and samples. */
import { iperf } from "./iperf";
import { mysql } from "./mysql";
import { netperf } from "./netperf";
import { nuttcp } from "./nuttcp";
import { redis } from "./redis";
import { sysbenchCpu } from "./sysbench-cpu";
import type { Workload } from "./workload";

/** A workload whose parameter type is not known statically (looked up by name). */
export type AnyWorkload = Workload<Record<string, number | string>>;

export const WORKLOADS: Readonly<Record<string, AnyWorkload>> = Object.freeze({
    [iperf.name]: iperf as AnyWorkload,
    [mysql.name]: mysql as AnyWorkload,
    [netperf.name]: netperf as AnyWorkload,
    [nuttcp.name]: nuttcp as AnyWorkload,
    [sysbenchCpu.name]: sysbenchCpu as AnyWorkload,
    [redis.name]: redis as AnyWorkload,
});

/** The allowed workload names, sorted (used by the stack schema). */
export const WORKLOAD_NAMES: readonly string[] = Object.freeze(Object.keys(WORKLOADS).sort());

export function workloadNames(): string[] {
    return [...WORKLOAD_NAMES];
}

/** The workload called name; throws naming it and listing the allowed names when unknown. */
export function getWorkload(name: string): AnyWorkload {
    if (!Object.prototype.hasOwnProperty.call(WORKLOADS, name)) {
        throw new Error(`unknown workload "${name}"; allowed: ${WORKLOAD_NAMES.join(", ")}`);
    }
    return WORKLOADS[name];
}

export { redis, sysbenchCpu };
export type { RedisParams } from "./redis";
export type { SysbenchCpuParams } from "./sysbench-cpu";
