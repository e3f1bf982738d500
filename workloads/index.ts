/** Registry of the workloads isobench can run, by the name used in stacks and samples. */
import { fio } from "./fio";
import { idle } from "./idle";
import { iperf } from "./iperf";
import { lifecycle } from "./lifecycle";
import { likwidStream } from "./likwid-stream";
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
import { didYouMean } from "../core/closest";

/** A workload looked up by name: its parameter type is not known statically. */
export type AnyWorkload = Workload<Record<string, number | string>>;

/**
 * Every workload, each widened from its Workload<P> to AnyWorkload: the one place a workload
 * loses its parameter type (TypeScript allows it since method parameters are bivariant). Sound
 * because the params a registered workload is given are a stack's, checked against that
 * workload's own paramSchema when the stack is parsed (experiment/spec.ts) and merged over its
 * defaults. Params from elsewhere (`isobench parse --params`, tests) are checked by key only; the
 * command builders check each value again (workloads/params.ts).
 */
const REGISTERED: readonly AnyWorkload[] = [
    fio,
    idle,
    iperf,
    lifecycle,
    likwidStream,
    linpack,
    mysql,
    netperf,
    nuttcp,
    pxz,
    randomAccess,
    redis,
    stream,
    stressNgCpu,
    sysbenchCpu,
    sysbenchFileio,
    sysbenchMemory,
];

export const WORKLOADS: Readonly<Record<string, AnyWorkload>> = Object.freeze(Object.fromEntries(REGISTERED.map((w) => [w.name, w])));

/** The allowed workload names, sorted (used by the stack schema). */
export const WORKLOAD_NAMES: readonly string[] = Object.freeze(Object.keys(WORKLOADS).sort());

/** The workload called name; throws naming it and listing the allowed names when unknown. */
export function getWorkload(name: string): AnyWorkload {
    if (!Object.prototype.hasOwnProperty.call(WORKLOADS, name)) {
        throw new Error(`unknown workload "${name}"${didYouMean(name, WORKLOAD_NAMES)}; allowed: ${WORKLOAD_NAMES.join(", ")}`);
    }
    return WORKLOADS[name];
}

export { fio, likwidStream, linpack, pxz, randomAccess, stream, stressNgCpu, sysbenchFileio, sysbenchMemory };
export { idle, lifecycle, redis, sysbenchCpu };
export type { IdleParams } from "./idle";
export type { LifecycleParams } from "./lifecycle";
export type { RedisParams } from "./redis";
export type { SysbenchCpuParams } from "./sysbench-cpu";
