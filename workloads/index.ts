/** Registry of the workloads isobench can run, by the name used in stacks and samples. */
import { idle } from "./idle";
import { lifecycle } from "./lifecycle";
import { redis } from "./redis";
import { sysbenchCpu } from "./sysbench-cpu";
import type { Workload } from "./workload";

/** A workload whose parameter type is not known statically (looked up by name). */
export type AnyWorkload = Workload<Record<string, number | string>>;

export const WORKLOADS: Readonly<Record<string, AnyWorkload>> = Object.freeze({
    [idle.name]: idle as AnyWorkload,
    [lifecycle.name]: lifecycle as AnyWorkload,
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

export { idle, lifecycle, redis, sysbenchCpu };
export type { IdleParams } from "./idle";
export type { LifecycleParams } from "./lifecycle";
export type { RedisParams } from "./redis";
export type { SysbenchCpuParams } from "./sysbench-cpu";
