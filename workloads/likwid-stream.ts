/**
 * STREAM's triad (a(i) = b(i)·s + c(i)) by likwid-bench (Debian's likwid), for hosts too small to
 * run hpcc's STREAM beyond their cache: hpcc sizes STREAM's arrays from HPL's N and runs HPL at
 * that N as well (workloads/hpcc.ts), so arrays four times a 32 MiB L3, as STREAM's rules ask,
 * would cost a quarter of an hour of HPL per cell under software emulation. Arrays at the cache's
 * size made the hpcc triad bimodal (83 or 133 GB/s from one repetition to the next natively,
 * docs/results/README); likwid-bench measures the same kernel over arrays of any size alone.
 *
 * The kernel is likwid's `stream`: scalar SSE2 loads and stores, which run on every x86-64 CPU
 * and under QEMU's emulator (no AVX assumed) and keep STREAM's ordinary stores (stream_mem's
 * non-temporal stores would skip the write-allocate traffic STREAM's compiled loop pays).
 * Threads: one per CPU of the environment by default, as hpcc runs one STREAM process per CPU.
 * `-W` lets each thread first-touch its own chunk, so on a multi-socket host each thread's data
 * sits on its own node, where `-w` would put all of it on the first thread's.
 * likwid-bench first finds, on one thread alone, an iteration count whose run lasts at least
 * `seconds` (doubling it from a few), then times one run of every thread at that count and reports
 * its rate: a mean over seconds of work, where STREAM reports the best of ten passes of
 * milliseconds each. The search runs are not reported; the reported run lasts about `seconds` or
 * longer (threads that share the memory bus take longer than the one alone did), so its length is
 * not checked against `seconds`.
 *
 * Metric: `triad_gbps`, GB/s = 10^9 B/s counting 24 bytes per element (two loads, one store), as
 * STREAM counts; likwid-bench's "MByte/s" is its "Data volume (Byte)" over "Time" / 10^6.
 */
import { SLOW_RATES } from "./expected";
import { SECONDS_PARAM, THREADS_OR_AUTO_PARAM, countOrAuto, intParam, positiveInt } from "./params";
import { numberAt } from "./text";
import type { Measurement, Workload } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "likwid-stream";
const METRIC = "triad_gbps";
/** STREAM's triad reads two arrays and writes one, each element a double. */
const ARRAYS = 3;

export type LikwidStreamParams = {
    /** Bytes of each of the three arrays, in MB (10^6 bytes); STREAM's rule: at least four times the caches together. */
    arrayMB: number;
    /** Threads, one per CPU when 0 (the environment's `nproc`). */
    threads: number;
    /** Seconds one thread alone must run the kernel for likwid-bench to settle its iteration count (-s); the reported run lasts about as long or longer. */
    seconds: number;
};

/** The number on likwid-bench's "<label>: <n>" line; the line's end must be there, as a value cut off mid-number would still be a number. */
function numberAfter(raw: string, label: string, metric: string): number {
    const re = new RegExp(`^${label}:\\s+([0-9.]+(?:e[+-]?[0-9]+)?)(?: sec)?[ \\t]*\\r?\\n`, "m");
    return numberAt(NAME, metric, raw, re, `${label.replace(/\\/g, "")}: <n>`);
}

export function parseLikwidStream(raw: string, params?: LikwidStreamParams): Measurement[] {
    const test = /^Test: (\S+)\s*$/m.exec(raw)?.[1];
    if (test !== "stream") throw new ParseError(NAME, METRIC, `the output is of likwid-bench test ${JSON.stringify(test ?? "(none)")}, not "stream"`);
    const usedThreads = Number(/^Using ([0-9]+) threads\s*$/m.exec(raw)?.[1] ?? NaN);
    if (!Number.isInteger(usedThreads)) throw new ParseError(NAME, "threads", `no "Using <n> threads" line`);
    const bytes = numberAfter(raw, "Size \\(Byte\\)", "arrayMB");
    const volume = numberAfter(raw, "Data volume \\(Byte\\)", METRIC);
    const seconds = numberAfter(raw, "Time", METRIC);
    const mbytesPerS = numberAfter(raw, "MByte/s", METRIC);
    if (seconds <= 0 || volume <= 0) throw new ParseError(NAME, METRIC, `${volume} bytes in ${seconds} s: the run did no timed work`);
    // likwid-bench prints its rate rounded to two decimals; the two must agree, or the lines are not one run's.
    if (Math.abs(volume / seconds / 1e6 - mbytesPerS) > 1e-3 * mbytesPerS) {
        throw new ParseError(NAME, METRIC, `MByte/s ${mbytesPerS} is not the data volume ${volume} B over ${seconds} s: lines of different runs?`);
    }
    if (params) {
        if (params.threads !== 0 && usedThreads !== params.threads)
            throw new ParseError(NAME, "threads", `the output says ${usedThreads} threads, the params asked for ${params.threads}`);
        // likwid-bench trims each thread's share to whole loop iterations: a few bytes short of the request, never more.
        const want = ARRAYS * params.arrayMB * 1e6;
        if (bytes > want || bytes < want * 0.99)
            throw new ParseError(NAME, "arrayMB", `the output has ${bytes} bytes of arrays, the params asked for ${want} (${ARRAYS} × ${params.arrayMB} MB)`);
    }
    return [{ metric: METRIC, value: mbytesPerS / 1e3, unit: "GB/s", better: "higher" }];
}

/** "likwid 5.2.2+dfsg1-1" (dpkg's version: likwid-bench prints only "5.2"). */
export function parseLikwidVersion(output: string): string {
    const m = /^likwid ([0-9]\S*)\s*$/m.exec(output);
    if (!m)
        throw new ParseError(
            NAME,
            "version",
            `no "likwid <version>" in ${JSON.stringify(output.slice(0, 100))} (is likwid installed? images/packages.txt lists it)`,
        );
    return `likwid ${m[1]}`;
}

export const likwidStream: Workload<LikwidStreamParams> = {
    name: NAME,
    tool: "likwid-bench",
    defaults: { arrayMB: 1000, threads: 0, seconds: 10 },
    paramSchema: { arrayMB: intParam(1, 1_048_576), threads: THREADS_OR_AUTO_PARAM, seconds: SECONDS_PARAM },
    versionCommand: "dpkg-query -W -f='likwid ${Version}\\n' likwid",
    parseVersion: parseLikwidVersion,
    lengthFixedBy: () => "time",
    // The search for the iteration count doubles it until one thread's run passes `seconds` (up to
    // twice `seconds` for that run, as much again before it), then the reported run; then the arrays' first touch.
    expectedS: (p: LikwidStreamParams) => 4 * p.seconds + (ARRAYS * p.arrayMB * 1e6) / SLOW_RATES.writeBytesPerS,
    spreadsOverCpus: (p: LikwidStreamParams) => p.threads === 0,
    clientPlacement: "inside",
    clientCommand(p: LikwidStreamParams): string {
        const threads = countOrAuto(NAME, "threads", p.threads) || "$(nproc)";
        const total = ARRAYS * positiveInt(NAME, "arrayMB", p.arrayMB);
        return `likwid-bench -t stream -s ${positiveInt(NAME, "seconds", p.seconds)} -W N:${total}MB:${threads}`;
    },
    notes: (p: LikwidStreamParams) =>
        `likwid-bench's STREAM triad (scalar kernel, the rate of one run as long as its ${p.seconds}-s calibration on one thread sets) over three arrays of ${p.arrayMB} MB instead of the paper's STREAM (best of ten passes) over 13.2 GB arrays`,
    parse: parseLikwidStream,
};
