/**
 * Parsers of the result logs Felter et al. (IBM, 2014) published in github.com/thewmf/kvm-docker-comparison,
 * for the formats isobench's own workloads do not produce: Intel's optimized Linpack
 * (`xlinpack_xeon64` via `runme_xeon64`), McCalpin's STREAM as modified in HPCC (`Stream/stream.c`)
 * and the authors' single-node RandomAccess (`RandomAccess/gups.c`); plus the run splitters of
 * their log files, which append one run after another (each benchmark's `doit.sh`, `redis/benchmark`). fio,
 * sysbench 0.4.12 and redis-benchmark 2.8.13 output are read by the workloads' own parsers
 * (fio.ts, mysql.ts, redis.ts). Pure: text in, values out; experiment/import-felter2014.ts maps
 * the files to environments and repetitions.
 */
import { ParseError } from "../core/errors";
import type { Measurement } from "./workload";

/** One run of a log file, in file order. */
export interface LogRun {
    /** 1-based position of the run in its file; 0 for output logged before the first header. */
    readonly index: number;
    /** The header line that opened it ("" for text before the first header). */
    readonly header: string;
    readonly text: string;
}

/**
 * The runs of a log written by the authors' `doit.sh` loops: each run opens with a line
 * "Running <tool>[ with numaopts < … >], started at <date>" (after a line of dashes). Text before
 * the first header is run 0 when it holds anything but dashes.
 */
export function splitDoitRuns(raw: string): LogRun[] {
    const text = raw.replace(/\r\n?/g, "\n");
    const starts = [...text.matchAll(/^Running \S+.*started at .*$/gm)];
    const runs = starts.map((m, i) => ({
        index: i + 1,
        header: m[0],
        text: text.slice(m.index!, starts[i + 1]?.index ?? text.length),
    }));
    // Output logged before the script printed headers (docker.log of Linpack begins so) is a run too.
    const before = text.slice(0, starts[0]?.index ?? text.length);
    return /[^-\s]/.test(before) ? [{ index: 0, header: "", text: before }, ...runs] : runs;
}

/** The numactl options of a doit.sh run header ("--physcpubind=0-31 --interleave=0,1"), undefined when it names none. */
export function numaOptions(header: string): string | undefined {
    const m = /numaopts <\s*(.*?)\s*>/.exec(header);
    return m ? m[1] : undefined;
}

/** One run of Intel's optimized Linpack. */
export interface IntelLinpackRun {
    /** GFLOPS of each trial, in order. */
    readonly gflops: readonly number[];
    /** "Number of trials to run" of the input file. */
    readonly trialsRequested: number;
    /** "Number of CPUs" Linpack saw: sockets on bare metal and in a guest with a topology, vCPUs in a guest without one. */
    readonly cpus: number;
    readonly problemSize: number;
    /** The run printed its "Performance Summary": every trial finished. */
    readonly complete: boolean;
}

const LINPACK = "linpack";

/**
 * One run of `runme_xeon64` (Intel Optimized LINPACK Benchmark data …, one result line per trial:
 * "Size LDA Align. Time(s) GFlops Residual Residual(norm) Check"). A trial whose residual check
 * did not pass is refused: its GFLOPS are not a result. A run without trials yields none.
 */
export function parseIntelLinpackRun(raw: string): IntelLinpackRun {
    const field = (re: RegExp, what: string): number => {
        const m = re.exec(raw);
        if (!m) throw new ParseError(LINPACK, "gflops", `no "${what}" in the Intel Linpack output`);
        return Number(m[1]);
    };
    const trialsRequested = field(/^Number of trials to run\s*:\s*([0-9]+)/m, "Number of trials to run");
    const cpus = field(/^Number of CPUs:\s*([0-9]+)/m, "Number of CPUs");
    const problemSize = field(/^Number of equations to solve \(problem size\)\s*:\s*([0-9]+)/m, "Number of equations to solve");
    const gflops: number[] = [];
    for (const m of raw.matchAll(/^([0-9]+)[ \t]+[0-9]+[ \t]+[0-9]+[ \t]+[0-9.]+[ \t]+([0-9.]+)[ \t]+\S+[ \t]+\S+[ \t]+(\S+)[ \t]*$/gm)) {
        if (m[3] !== "pass") throw new ParseError(LINPACK, "gflops", `a trial's residual check says "${m[3]}": its GFLOPS are not a result`);
        gflops.push(Number(m[2]));
    }
    return { gflops, trialsRequested, cpus, problemSize, complete: /^Performance Summary \(GFlops\)/m.test(raw) };
}

const STREAM = "stream";
const STREAM_KERNELS = ["Copy", "Scale", "Add", "Triad"] as const;

/**
 * One run of McCalpin's STREAM ("Function Rate (GB/s) Avg time Min time Max time", the best rate of
 * iterations 2–10, GB = 1e9 B): copy_gbps, scale_gbps, add_gbps, triad_gbps, the metric names of
 * isobench's stream workload. A run whose solution does not validate is refused.
 */
export function parseMcCalpinStream(raw: string): Measurement[] {
    if (!/^Solution Validates/m.test(raw)) throw new ParseError(STREAM, "triad_gbps", 'no "Solution Validates": the run failed or was cut off');
    return STREAM_KERNELS.map((k) => {
        const m = new RegExp(`^${k}:\\s+([0-9.]+)\\s`, "m").exec(raw);
        const metric = `${k.toLowerCase()}_gbps`;
        if (!m) throw new ParseError(STREAM, metric, `no "${k}:" rate line`);
        return { metric, value: Number(m[1]), unit: "GB/s", better: "higher" as const };
    });
}

/** "Number of Threads requested = 32" of a STREAM run. */
export function streamThreads(raw: string): number {
    const m = /^Number of Threads requested = ([0-9]+)/m.exec(raw);
    if (!m) throw new ParseError(STREAM, "threads", 'no "Number of Threads requested"');
    return Number(m[1]);
}

const GUPS = "randomaccess";

/**
 * One run of the authors' RandomAccess ("0.012675061 Billion(10^9) Updates per second [GUP/s]",
 * then "Found n errors in … locations (passed)."): gups. A run whose verification failed is refused.
 */
export function parseGupsRun(raw: string): Measurement[] {
    const m = /^\s*([0-9.]+) Billion\(10\^9\) Updates\s+per second \[GUP\/s\]/m.exec(raw);
    if (!m) throw new ParseError(GUPS, "gups", 'no "Billion(10^9) Updates per second [GUP/s]" line');
    const check = /^Found [0-9]+ errors in [0-9]+ locations \((passed|failed)\)/m.exec(raw);
    if (!check || check[1] !== "passed") throw new ParseError(GUPS, "gups", "the run's verification did not pass");
    return [{ metric: "gups", value: Number(m[1]), unit: "GUP/s", better: "higher" }];
}

/** One "[DBG] Run #r: Connections c." section of a `redis/benchmark` log. */
export interface RedisLogSection {
    readonly run: number;
    readonly clients: number;
    readonly text: string;
}

/**
 * The sections of a log of the authors' `redis/benchmark` script: for each run r and connection
 * count c, "[DBG] Run #r: Connections c." and then four redis-benchmark invocations.
 */
export function splitRedisLog(raw: string): RedisLogSection[] {
    const starts = [...raw.matchAll(/^\[DBG\] Run #([0-9]+): Connections ([0-9]+)\.$/gm)];
    return starts.map((m, i) => ({
        run: Number(m[1]),
        clients: Number(m[2]),
        text: raw.slice(m.index! + m[0].length, starts[i + 1]?.index ?? raw.length),
    }));
}

/** fio 2.x prints its version alone on the line before "Starting N threads". */
export function fio2Version(raw: string): string {
    const m = /^([0-9]+\.[0-9]+(?:\.[0-9]+)?)\s*\nStarting [0-9]+ (?:threads|processes)/m.exec(raw);
    if (!m) throw new ParseError("fio", "version", 'no version line before "Starting N threads"');
    return m[1];
}
