/**
 * CPU microbenchmark standing in for Flux7's coremark (2014), which Debian does not package:
 * `stress-ng --cpu N --cpu-method M --metrics-brief -t S`, inside the environment. Measures bogo
 * operations per second, a throughput figure comparable across environments of one host, not to
 * coremark scores.
 *
 * stress-ng logs to stderr, so the command redirects it to stdout. The metrics table is printed
 * with the "info:" prefix by stress-ng up to 0.15.x and with "metrc:" from 0.15.x on; both parse.
 *
 * Metrics: `bogo_ops_per_s` (real time), `bogo_ops_per_s_cpu_time` (per usr+sys CPU second).
 */
import { SECONDS_PARAM, THREADS_OR_AUTO_PARAM, countOrAuto, positiveInt, wordParam } from "./params";
import { Measurement, Workload } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "stress-ng-cpu";

export type StressNgCpuParams = {
    /** --cpu: worker processes; 0 = one per online CPU of the environment. */
    workers: number;
    /** --cpu-method (stress-ng's list; "all" cycles through every method). */
    method: string;
    /** -t: run time in seconds. */
    timeSeconds: number;
};

const NUM = "([0-9]+(?:\\.[0-9]+)?)";
/** "stress-ng: metrc: [123] cpu  5243  3.00  3.19  0.01  1746.93  1639.63" */
const ROW = new RegExp(`^stress-ng: (?:info|metrc):\\s+\\[[0-9]+\\] cpu\\s+([0-9]+)\\s+${NUM}\\s+${NUM}\\s+${NUM}\\s+${NUM}\\s+${NUM}\\s*$`, "m");

export function parseStressNgCpu(raw: string, params?: StressNgCpuParams): Measurement[] {
    const text = raw.replace(/\r\n?/g, "\n");
    const metric = "bogo_ops_per_s";
    if (!/^stress-ng: /m.test(text)) {
        throw new ParseError(NAME, metric, `no "stress-ng:" lines: not stress-ng output (first line: ${JSON.stringify(text.split("\n")[0].slice(0, 80))})`);
    }
    const row = ROW.exec(text);
    if (!row) {
        const why = /^stress-ng: (?:error|fail):.*$/m.exec(text);
        throw new ParseError(
            NAME,
            metric,
            `no complete "cpu" row in the --metrics-brief table (truncated, or run without --metrics-brief?)${why ? `; stress-ng said ${JSON.stringify(why[0])}` : ""}`,
        );
    }
    if (!/^stress-ng: info:\s+\[[0-9]+\] (?:successful run completed|passed: )/m.test(text)) {
        const why = /^stress-ng: (?:error|fail|info):.*(?:unsuccessful|failed|error).*$/m.exec(text);
        throw new ParseError(
            NAME,
            metric,
            `the run did not report successful completion${why ? ` (stress-ng said ${JSON.stringify(why[0])})` : " (truncated?)"}`,
        );
    }
    if (params && params.workers > 0) {
        const hogs = /dispatching hogs: ([0-9]+) cpu/.exec(text);
        if (hogs && Number(hogs[1]) !== params.workers) {
            throw new ParseError(NAME, "workers", `the output says ${hogs[1]} cpu workers, the params asked for ${params.workers}`);
        }
    }
    return [
        { metric, value: Number(row[5]), unit: "bogo-ops/s", better: "higher" },
        { metric: "bogo_ops_per_s_cpu_time", value: Number(row[6]), unit: "bogo-ops/cpu-s", better: "higher" },
    ];
}

/** "stress-ng, version 0.15.06 (gcc 12.2.0, x86_64 Linux …)" → "0.15.06" */
export function parseStressNgVersion(output: string): string {
    const m = /stress-ng, version ([0-9][0-9.]*)/.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "stress-ng, version <x>" in ${JSON.stringify(output.slice(0, 80))}`);
    return m[1];
}

export const stressNgCpu: Workload<StressNgCpuParams> = {
    name: NAME,
    tool: "stress-ng",
    defaults: { workers: 0, method: "all", timeSeconds: 60 },
    paramSchema: { workers: THREADS_OR_AUTO_PARAM, method: wordParam("a stress-ng --cpu-method name (e.g. all, matrixprod)"), timeSeconds: SECONDS_PARAM },
    versionCommand: "stress-ng --version",
    parseVersion: parseStressNgVersion,
    lengthFixedBy: () => "time",
    expectedS: (p: StressNgCpuParams) => p.timeSeconds,
    spreadsOverCpus: (p: StressNgCpuParams) => p.workers === 0,
    clientPlacement: "inside",
    clientCommand(p: StressNgCpuParams): string {
        if (!/^[a-z0-9_]+$/.test(p.method))
            throw new Error(`${NAME}: parameter method must be a stress-ng --cpu-method name (e.g. all, matrixprod), got ${JSON.stringify(p.method)}`);
        return `stress-ng --cpu ${countOrAuto(NAME, "workers", p.workers)} --cpu-method ${p.method} --metrics-brief -t ${positiveInt(NAME, "timeSeconds", p.timeSeconds)} 2>&1`;
    },
    notes(): string {
        return "stress-ng --cpu substitutes for coremark (Flux7), which Debian does not package";
    },
    parse: parseStressNgCpu,
};
