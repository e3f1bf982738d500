/**
 * sysbench file I/O test as KEK (HEPiX Fall 2015) ran it (sysbench 0.4.12): test modes seqrd,
 * rndrd, seqwr, rndwr, `--file-block-size=4K --file-total-size=8G --file-num=128
 * --file-extra-flags=direct --max-time=300 --num-threads=1`. Self-contained: prepare, one run per
 * mode (files prepared afresh for each mode) run inside the environment, in a directory under its
 * data directory; only the runs' reports go to stdout (prepare/cleanup logs go to stderr).
 *
 * Parses sysbench 1.0.x ("File operations:" / "Throughput:" sections) and 0.4.x ("Operations
 * performed: R Read, W Write, …", "Read …b  Written …b  Total transferred …b  (X Mb/sec)",
 * "X Requests/sec executed"; 0.4's "Mb" is 2^20 bytes). The test mode of each report is read from
 * its "Doing <mode> test" line, which both versions print.
 *
 * Metrics per mode: `<mode>_mib_per_s` (read + written MiB/s, as 0.4's "Total transferred"),
 * `<mode>_ops_per_s` (reads/s + writes/s, as 0.4's "Requests/sec"), `<mode>_latency_avg_ms`,
 * `<mode>_latency_p95_ms`.
 */
import { requireDirectIo } from "./direct-io";
import { SLOW_RATES } from "./expected";
import {
    SECONDS_PARAM,
    SIZE_PARAM,
    THREADS_PARAM,
    distinctListPattern,
    intParam,
    listOf,
    listParam,
    mibWord,
    positiveInt,
    sizeBytes,
    sizeWord,
} from "./params";
import {
    NUM,
    WARMUP_PARAM,
    requireComplete,
    SysbenchRun,
    sysbenchLatency,
    sysbenchRuns,
    sysbenchThreads,
    sysbenchTimeArgs,
    warmupNote,
    withoutCheckpointReports,
} from "./sysbench-report";
import { numberAt } from "./text";
import { parseSysbenchVersion } from "./sysbench-cpu";
import { Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";
import { shellQuote } from "../core/shell";

const NAME = "sysbench-fileio";
const MODES = ["seqwr", "seqrewr", "seqrd", "rndrd", "rndwr", "rndrw"] as const;
type Mode = (typeof MODES)[number];

/** What sysbench prints in "Doing <x> test" for each --file-test-mode (0.4 and 1.0 alike). */
const MODE_TITLES: Readonly<Record<Mode, string>> = {
    seqwr: "sequential write (creation)",
    seqrewr: "sequential rewrite",
    seqrd: "sequential read",
    rndrd: "random read",
    rndwr: "random write",
    rndrw: "random r/w",
};

export type SysbenchFileioParams = {
    /** Comma-separated --file-test-mode values, run in this order on the same prepared files. */
    modes: string;
    /** --file-block-size (KEK: 4K). */
    blockSize: string;
    /** --file-total-size (KEK: 8G). */
    totalSize: string;
    /** --file-num (KEK: 128). */
    files: number;
    /** --file-extra-flags (KEK: direct); "none" for buffered I/O. */
    extraFlags: string;
    /** --threads (KEK: 1). */
    threads: number;
    /** --time per mode, seconds (KEK: --max-time=300). */
    timeSeconds: number;
    /** Seconds each mode runs first, left out of the numbers (sysbench-report.ts: a report checkpoint); 0 = none (KEK). */
    warmupSeconds: number;
};

function modeOf(run: SysbenchRun): Mode | undefined {
    const m = /^Doing (.+) test\s*$/m.exec(run.text);
    if (!m) return undefined;
    return (Object.keys(MODE_TITLES) as Mode[]).find((k) => MODE_TITLES[k] === m[1]);
}

const SIZE_UNITS = ["", "K", "M", "G", "T"];

/** sysbench 0.4's sb_print_value_size ("27.562M", "8G", "0") in MiB. */
function mibOf04(value: string, unit: string): number {
    return (Number(value) * 1024 ** SIZE_UNITS.indexOf(unit)) / 1024 ** 2;
}

function parseRun(run: SysbenchRun, mode: Mode): Measurement[] {
    const mib = `${mode}_mib_per_s`;
    const ops = `${mode}_ops_per_s`;
    let mibPerS: number;
    let opsPerS: number;
    if (run.major >= 1) {
        const fileOps = run.text.split(/^File operations:\s*$/m)[1] ?? "";
        const reads = numberAt(NAME, ops, fileOps, new RegExp(`^\\s*reads/s:\\s*${NUM}\\s*$`, "m"), "reads/s");
        const writes = numberAt(NAME, ops, fileOps, new RegExp(`^\\s*writes/s:\\s*${NUM}\\s*$`, "m"), "writes/s");
        const tput = run.text.split(/^Throughput:\s*$/m)[1] ?? "";
        const read = numberAt(NAME, mib, tput, new RegExp(`^\\s*read, MiB/s:\\s*${NUM}\\s*$`, "m"), "read, MiB/s");
        const written = numberAt(NAME, mib, tput, new RegExp(`^\\s*written, MiB/s:\\s*${NUM}\\s*$`, "m"), "written, MiB/s");
        opsPerS = reads + writes;
        mibPerS = read + written;
    } else {
        const m =
            /^Read [0-9.e+]+[KMGT]?b\s+Written [0-9.e+]+[KMGT]?b\s+Total transferred [0-9.e+]+[KMGT]?b\s+\(([0-9.]+(?:e[+-]?[0-9]+)?)([KMGT]?)b\/sec\)\s*$/m.exec(
                run.text,
            );
        if (!m)
            throw new ParseError(
                NAME,
                mib,
                `no complete "Read …b  Written …b  Total transferred …b  (…b/sec)" line in the sysbench ${run.version} report (truncated?)`,
            );
        mibPerS = mibOf04(m[1], m[2]);
        opsPerS = numberAt(NAME, ops, run.text, new RegExp(`^\\s*${NUM} Requests/sec executed\\s*$`, "m"), "<x> Requests/sec executed");
    }
    const latency = sysbenchLatency(NAME, `${mode}_`, run);
    requireComplete(NAME, `${mode}_latency_p95_ms`, run);
    return [{ metric: mib, value: mibPerS, unit: "MiB/s", better: "higher" }, { metric: ops, value: opsPerS, unit: "ops/s", better: "higher" }, ...latency];
}

export function parseSysbenchFileio(raw: string, params?: SysbenchFileioParams): Measurement[] {
    const runs = sysbenchRuns(raw).map((r) => ({ ...r, text: withoutCheckpointReports(NAME, "mib_per_s", r.text, params?.warmupSeconds) }));
    if (runs.length === 0) {
        const why = raw.split("\n").find((l) => /FATAL|O_DIRECT|not supported|error/i.test(l));
        throw new ParseError(NAME, "mib_per_s", `no "sysbench <version>" banner: not sysbench output${why ? ` (it says: ${JSON.stringify(why.trim())})` : ""}`);
    }
    const out: Measurement[] = [];
    const seen: Mode[] = [];
    for (const run of runs) {
        const fatal = /^FATAL: .*$/m.exec(run.text);
        const mode = modeOf(run);
        if (!mode) {
            throw new ParseError(
                NAME,
                "mib_per_s",
                fatal
                    ? `sysbench failed: ${JSON.stringify(fatal[0])}`
                    : `a sysbench ${run.version} report has no "Doing <mode> test" line (not a fileio run, or a prepare/cleanup log)`,
            );
        }
        if (fatal) throw new ParseError(NAME, `${mode}_mib_per_s`, `sysbench failed: ${JSON.stringify(fatal[0])}`);
        if (seen.includes(mode)) throw new ParseError(NAME, `${mode}_mib_per_s`, `test mode ${mode} appears twice in one output (several cells concatenated?)`);
        seen.push(mode);
        const threads = sysbenchThreads(run);
        if (params && threads !== undefined && threads !== params.threads) {
            throw new ParseError(NAME, "threads", `the ${mode} run says ${threads} threads, the params asked for ${params.threads}`);
        }
        out.push(...parseRun(run, mode));
    }
    if (params) {
        for (const mode of listOf(NAME, "modes", params.modes, MODES)) {
            if (!seen.includes(mode))
                throw new ParseError(
                    NAME,
                    `${mode}_mib_per_s`,
                    `test mode ${mode} was requested but has no report in the output (found: ${seen.join(", ")}; truncated?)`,
                );
        }
    }
    return out;
}

export const sysbenchFileio: Workload<SysbenchFileioParams> = {
    name: NAME,
    tool: "sysbench",
    defaults: {
        modes: "seqrd,rndrd,seqwr,rndwr",
        blockSize: "4K",
        totalSize: "8G",
        files: 128,
        extraFlags: "direct",
        threads: 1,
        timeSeconds: 300,
        warmupSeconds: 0,
    },
    paramSchema: {
        modes: listParam(MODES),
        blockSize: SIZE_PARAM,
        totalSize: SIZE_PARAM,
        files: intParam(1, 1_000_000),
        extraFlags: {
            type: "string",
            pattern: `^none$|${distinctListPattern("direct|sync|dsync")}`,
            description: "none, or a comma-separated list of distinct items from direct, sync, dsync",
        },
        threads: THREADS_PARAM,
        timeSeconds: SECONDS_PARAM,
        warmupSeconds: WARMUP_PARAM,
    },
    versionCommand: "sysbench --version",
    parseVersion: parseSysbenchVersion,
    // prepare writes the files afresh per mode; each mode then warms up and runs for timeSeconds.
    lengthFixedBy: (p: SysbenchFileioParams) => (sizeBytes(p.totalSize) / SLOW_RATES.writeBytesPerS > p.warmupSeconds + p.timeSeconds ? "work" : "time"),
    expectedS: (p: SysbenchFileioParams) =>
        listOf(NAME, "modes", p.modes, MODES).length * (sizeBytes(p.totalSize) / SLOW_RATES.writeBytesPerS + p.warmupSeconds + p.timeSeconds),
    clientPlacement: "inside",
    clientCommand(p: SysbenchFileioParams, ctx: RunContext): string {
        const files = [
            `--file-num=${positiveInt(NAME, "files", p.files)}`,
            `--file-total-size=${sizeWord(NAME, "totalSize", p.totalSize)}`,
            `--file-block-size=${sizeWord(NAME, "blockSize", p.blockSize)}`,
        ].join(" ");
        const flags =
            p.extraFlags === "none" ? "" : ` --file-extra-flags=${listOf(NAME, "extraFlags", p.extraFlags, ["direct", "sync", "dsync"] as const).join(",")}`;
        const run = `--threads=${positiveInt(NAME, "threads", p.threads)} ${sysbenchTimeArgs(NAME, p)}`;
        const modes = listOf<Mode>(NAME, "modes", p.modes, MODES);
        return [
            "set -e",
            `d=${shellQuote(ctx.dataDir)}/sysbench-fileio`,
            `mkdir -p "$d"`,
            `cd "$d"`,
            ...(p.extraFlags.split(",").includes("direct") ? [requireDirectIo(NAME, "$d")] : []),
            // Remove the files whatever happens: they are as large as totalSize.
            `trap 'sysbench fileio ${files} cleanup >/dev/null 2>&1 || true' EXIT`,
            // Fresh files per mode, as KEK booted a fresh instance per mode: a time-limited seqwr
            // leaves files shorter than totalSize, which the next mode refuses.
            ...modes.flatMap((m) => [
                `sysbench fileio ${files} prepare >&2`,
                `sysbench fileio ${files}${flags} --file-test-mode=${m} ${run} run`,
                `sysbench fileio ${files} cleanup >&2`,
            ]),
        ].join("\n");
    },
    notes(p: SysbenchFileioParams): string {
        const scaled = p.totalSize === "8G" && p.timeSeconds === 300 ? "" : `scaled from KEK's 8G/300 s to ${p.totalSize}/${p.timeSeconds} s`;
        return [scaled, warmupNote(p.warmupSeconds)].filter(Boolean).join("; ");
    },
    // totalSize over all files, prepared afresh per mode and removed after each (and by the trap).
    dataFootprint: (p: SysbenchFileioParams) => ({ bytes: sizeBytes(p.totalSize), param: "totalSize", lifetime: "cell", largestFitting: (b) => mibWord(b) }),
    parse: parseSysbenchFileio,
};
