/** Registry of the workloads isobench can run, by the name used in stacks and samples. */
import { fio } from "./fio";
import { idle } from "./idle";
import { iperf } from "./iperf";
import { lifecycle } from "./lifecycle";
import { linpack } from "./linpack";
import { mysql } from "./mysql";
import { netperf } from "./netperf";
import { nuttcp } from "./nuttcp";
import { pxz } from "./pxz";
import { randomAccess } from "./randomaccess";
import { redis } from "./redis";
import { stream } from "./stream";
import { stressNgCpu } from "./stress-ng-cpu";
import { sysbenchCpu } from "./sysbench-cpu";
import { sysbenchFileio } from "./sysbench-fileio";
import { sysbenchMemory } from "./sysbench-memory";
import type { Workload } from "./workload";

/** A workload whose parameter type is not known statically (looked up by name). */
export type AnyWorkload = Workload<Record<string, number | string>>;

export const WORKLOADS: Readonly<Record<string, AnyWorkload>> = Object.freeze({
    [fio.name]: fio as AnyWorkload,
    [idle.name]: idle as AnyWorkload,
    [iperf.name]: iperf as AnyWorkload,
    [lifecycle.name]: lifecycle as AnyWorkload,
    [linpack.name]: linpack as AnyWorkload,
    [mysql.name]: mysql as AnyWorkload,
    [netperf.name]: netperf as AnyWorkload,
    [nuttcp.name]: nuttcp as AnyWorkload,
    [pxz.name]: pxz as AnyWorkload,
    [randomAccess.name]: randomAccess as AnyWorkload,
    [redis.name]: redis as AnyWorkload,
    [stream.name]: stream as AnyWorkload,
    [stressNgCpu.name]: stressNgCpu as AnyWorkload,
    [sysbenchCpu.name]: sysbenchCpu as AnyWorkload,
    [sysbenchFileio.name]: sysbenchFileio as AnyWorkload,
    [sysbenchMemory.name]: sysbenchMemory as AnyWorkload,
});

/** The allowed workload names, sorted (used by the stack schema). */
export const WORKLOAD_NAMES: readonly string[] = Object.freeze(Object.keys(WORKLOADS).sort());

/** The workload called name; throws naming it and listing the allowed names when unknown. */
export function getWorkload(name: string): AnyWorkload {
    if (!Object.prototype.hasOwnProperty.call(WORKLOADS, name)) {
        throw new Error(`unknown workload "${name}"; allowed: ${WORKLOAD_NAMES.join(", ")}`);
    }
    return WORKLOADS[name];
}

export { fio, linpack, pxz, randomAccess, stream, stressNgCpu, sysbenchFileio, sysbenchMemory };
export { idle, lifecycle, redis, sysbenchCpu };
export type { IdleParams } from "./idle";
export type { LifecycleParams } from "./lifecycle";
export type { RedisParams } from "./redis";
export type { SysbenchCpuParams } from "./sysbench-cpu";
