/**
 * sysbench memory test as KEK (HEPiX Fall 2015) ran it: `--test=memory --memory-oper=read|write
 * --memory-block-size=1K --memory-total-size=100G --max-time=300 --num-threads=1` (sysbench
 * 0.4.12). Self-contained: runs inside the environment, one sysbench run per operation, one after
 * the other, in one raw file.
 *
 * Parses sysbench 1.0.x ("Total operations: N (X per second)", "X MiB transferred (Y MiB/sec)")
 * and 0.4.x ("Operations performed: N (X ops/sec)", "X MB transferred (Y MB/sec)", where 0.4's
 * "MB" is 2^20 bytes: it divides by 1024*1024), so KEK-era logs can be imported.
 *
 * Metrics per operation: `<op>_mib_per_s` (MiB/s), `<op>_ops_per_s` (block operations/s).
 */
import { SECONDS_PARAM, SIZE_PARAM, THREADS_PARAM, listOf, listParam, positiveInt, sizeWord } from "./params";
import { NUM, WARMUP_PARAM, requireComplete, sysbenchRuns, sysbenchThreads, sysbenchTimeArgs, warmupNote, withoutCheckpointReports } from "./sysbench-report";
import { numberAt } from "./text";
import { parseSysbenchVersion } from "./sysbench-cpu";
import { Measurement, Workload } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "sysbench-memory";
const OPERATIONS = ["read", "write"] as const;
type Operation = (typeof OPERATIONS)[number];

export type SysbenchMemoryParams = {
    /** Comma-separated --memory-oper values, run in this order. */
    operations: string;
    /** --memory-block-size (KEK: 1K). */
    blockSize: string;
    /** --memory-total-size (KEK: 100G); the run ends at this size or at timeSeconds. */
    totalSize: string;
    /** --threads (KEK: 1). */
    threads: number;
    /** --time, seconds (KEK: --max-time=300). */
    timeSeconds: number;
    /** Seconds run first and left out of the numbers (sysbench-report.ts: a report checkpoint); 0 = none (KEK). */
    warmupSeconds: number;
};

/** The operation a run performed, from its own report. */
function operationOf(text: string): string | undefined {
    return (/^\s*operation:\s*(\S+)\s*$/m.exec(text) ?? /^Memory operations type:\s*(\S+)\s*$/m.exec(text))?.[1];
}

export function parseSysbenchMemory(raw: string, params?: SysbenchMemoryParams): Measurement[] {
    const runs = sysbenchRuns(raw).map((r) => ({ ...r, text: withoutCheckpointReports(NAME, "mib_per_s", r.text, params?.warmupSeconds) }));
    if (runs.length === 0) {
        throw new ParseError(
            NAME,
            "read_mib_per_s",
            `no "sysbench <version>" banner: not sysbench output (first line: ${JSON.stringify(raw.split("\n")[0].slice(0, 80))})`,
        );
    }
    const out: Measurement[] = [];
    const seen: string[] = [];
    for (const run of runs) {
        const op = operationOf(run.text);
        if (!op) throw new ParseError(NAME, "mib_per_s", `a sysbench ${run.version} report names no memory operation (not a memory test, or truncated)`);
        const mib = `${op}_mib_per_s`;
        const ops = `${op}_ops_per_s`;
        if (seen.includes(op)) throw new ParseError(NAME, mib, `operation ${op} appears twice in one output (several cells concatenated?)`);
        seen.push(op);
        const threads = sysbenchThreads(run);
        if (params && threads !== undefined && threads !== params.threads) {
            throw new ParseError(NAME, "threads", `the ${op} run says ${threads} threads, the params asked for ${params.threads}`);
        }
        let opsPerS: number;
        let mibPerS: number;
        if (run.major >= 1) {
            opsPerS = numberAt(
                NAME,
                ops,
                run.text,
                new RegExp(`^Total operations:\\s*[0-9]+\\s*\\(${NUM} per second\\)\\s*$`, "m"),
                "Total operations: <n> (<x> per second)",
            );
            mibPerS = numberAt(NAME, mib, run.text, new RegExp(`^[0-9.]+ MiB transferred \\(${NUM} MiB/sec\\)\\s*$`, "m"), "<x> MiB transferred (<y> MiB/sec)");
        } else {
            opsPerS = numberAt(
                NAME,
                ops,
                run.text,
                new RegExp(`^Operations performed:\\s*[0-9]+\\s*\\(\\s*${NUM} ops/sec\\)\\s*$`, "m"),
                "Operations performed: <n> (<x> ops/sec)",
            );
            mibPerS = numberAt(NAME, mib, run.text, new RegExp(`^[0-9.]+ MB transferred \\(${NUM} MB/sec\\)\\s*$`, "m"), "<x> MB transferred (<y> MB/sec)");
        }
        requireComplete(NAME, mib, run);
        out.push({ metric: mib, value: mibPerS, unit: "MiB/s", better: "higher" }, { metric: ops, value: opsPerS, unit: "ops/s", better: "higher" });
    }
    if (params) {
        const wanted = listOf(NAME, "operations", params.operations, OPERATIONS);
        for (const op of wanted) {
            if (!seen.includes(op))
                throw new ParseError(
                    NAME,
                    `${op}_mib_per_s`,
                    `operation ${op} was requested but has no report in the output (found: ${seen.join(", ") || "none"}; truncated?)`,
                );
        }
    }
    return out;
}

export const sysbenchMemory: Workload<SysbenchMemoryParams> = {
    name: NAME,
    tool: "sysbench",
    defaults: { operations: "read,write", blockSize: "1K", totalSize: "100G", threads: 1, timeSeconds: 300, warmupSeconds: 0 },
    paramSchema: {
        operations: listParam(OPERATIONS),
        blockSize: SIZE_PARAM,
        totalSize: SIZE_PARAM,
        threads: THREADS_PARAM,
        timeSeconds: SECONDS_PARAM,
        warmupSeconds: WARMUP_PARAM,
    },
    versionCommand: "sysbench --version",
    parseVersion: parseSysbenchVersion,
    // It also ends at totalSize, which the estimate and this assume it does not reach first.
    lengthFixedBy: () => "time",
    expectedS: (p: SysbenchMemoryParams) => listOf(NAME, "operations", p.operations, OPERATIONS).length * (p.warmupSeconds + p.timeSeconds),
    clientPlacement: "inside",
    clientCommand(p: SysbenchMemoryParams): string {
        const common = [
            `--memory-block-size=${sizeWord(NAME, "blockSize", p.blockSize)}`,
            `--memory-total-size=${sizeWord(NAME, "totalSize", p.totalSize)}`,
            `--threads=${positiveInt(NAME, "threads", p.threads)}`,
            sysbenchTimeArgs(NAME, p),
        ].join(" ");
        return listOf<Operation>(NAME, "operations", p.operations, OPERATIONS)
            .map((op) => `sysbench memory ${common} --memory-oper=${op} run`)
            .join(" && ");
    },
    notes(p: SysbenchMemoryParams): string {
        const scaled = p.totalSize === "100G" && p.timeSeconds === 300 ? "" : `scaled from KEK's 100G/300 s to ${p.totalSize}/${p.timeSeconds} s`;
        return [scaled, warmupNote(p.warmupSeconds)].filter(Boolean).join("; ");
    },
    parse: parseSysbenchMemory,
};
