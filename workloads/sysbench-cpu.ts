/**
 * sysbench CPU test (prime-number search), as used by KEK (HEPiX Fall 2015) to compare KVM and
 * Docker instances. Self-contained: the command runs inside the environment.
 *
 * Parses sysbench 1.0.x output (`sysbench cpu ... run`) and, for importing published logs, the
 * sysbench 0.4.x format (`sysbench --test=cpu ... run`), which prints no events/s line: there
 * events_per_s = total number of events / total time.
 */
import { NUM, WARMUP_PARAM, indentedSection, sysbenchTimeArgs, warmupNote, withoutCheckpointReports } from "./sysbench-report";
import { SECONDS_PARAM, THREADS_PARAM, intParam, positiveInt } from "./params";
import { Measurement, Workload } from "./workload";
import { ParseError } from "../core/errors";

export type SysbenchCpuParams = {
    /** --cpu-max-prime: upper bound of the prime search per event. */
    maxPrime: number;
    /** --threads */
    threads: number;
    /** --time: run duration in seconds. */
    timeSeconds: number;
    /** Seconds run first and left out of the numbers (sysbench-report.ts: a report checkpoint); 0 = none (KEK). */
    warmupSeconds: number;
};

const NAME = "sysbench-cpu";

/** Metric names produced by the parser. */
export const SYSBENCH_CPU_METRICS = {
    eventsPerSecond: "events_per_s",
    latencyAvg: "latency_avg_ms",
    latencyP95: "latency_p95_ms",
} as const;

/** First capture group of re in text as a finite number, or a ParseError naming metric. */
function num(text: string, re: RegExp, metric: string, what: string): number {
    const m = re.exec(text);
    if (!m) throw new ParseError(NAME, metric, `no complete "${what}" line in the output (truncated or not sysbench cpu output?)`);
    const v = Number(m[1]);
    if (!Number.isFinite(v)) throw new ParseError(NAME, metric, `"${what}" is not a number: "${m[1]}"`);
    return v;
}

/**
 * sysbench always ends its report with the "Threads fairness" section; without it the output was
 * cut off, possibly in the middle of the last value read (the 95th percentile).
 */
function requireComplete(text: string): void {
    const fairness = indentedSection(text, /^Threads fairness:\s*$/);
    if (fairness === undefined || !/execution time \(avg\/stddev\):\s*[0-9.]+\/[0-9.]+\s*$/m.test(fairness)) {
        throw new ParseError(
            NAME,
            SYSBENCH_CPU_METRICS.latencyP95,
            `the output ends before the complete "Threads fairness" section (truncated?), so its last values cannot be trusted`,
        );
    }
}

function parse10(text: string): Measurement[] {
    const M = SYSBENCH_CPU_METRICS;
    const eps = num(text, new RegExp(`^\\s*events per second:\\s*${NUM}\\s*$`, "m"), M.eventsPerSecond, "events per second");
    // Only the "Latency (ms):" section is in milliseconds; take the values from inside it.
    const lat = indentedSection(text, /^Latency \(ms\):\s*$/);
    if (lat === undefined) throw new ParseError(NAME, M.latencyAvg, `no "Latency (ms):" section in the output (truncated?)`);
    const avg = num(lat, new RegExp(`^\\s*avg:\\s*${NUM}\\s*$`, "m"), M.latencyAvg, "avg");
    const pct = new RegExp(`^\\s*([0-9.]+)th percentile:\\s*${NUM}\\s*$`, "m").exec(lat);
    if (!pct) throw new ParseError(NAME, M.latencyP95, `no complete "95th percentile" line in the "Latency (ms):" section (truncated?)`);
    if (pct[1] !== "95") {
        throw new ParseError(NAME, M.latencyP95, `the output reports the ${pct[1]}th percentile, not the 95th (was --percentile changed?)`);
    }
    requireComplete(text);
    return [
        { metric: M.eventsPerSecond, value: eps, unit: "events/s", better: "higher" },
        { metric: M.latencyAvg, value: avg, unit: "ms", better: "lower" },
        { metric: M.latencyP95, value: Number(pct[2]), unit: "ms", better: "lower" },
    ];
}

function parse04(text: string): Measurement[] {
    const M = SYSBENCH_CPU_METRICS;
    const total = num(text, new RegExp(`^\\s*total time:\\s*${NUM}s\\s*$`, "m"), M.eventsPerSecond, "total time: <x>s");
    const events = num(text, /^\s*total number of events:\s*([0-9]+)\s*$/m, M.eventsPerSecond, "total number of events");
    if (total <= 0) throw new ParseError(NAME, M.eventsPerSecond, `total time is ${total}s, cannot compute events per second`);
    const stats = indentedSection(text, /^\s*per-request statistics:\s*$/);
    if (stats === undefined) throw new ParseError(NAME, M.latencyAvg, `no "per-request statistics:" section in the output (truncated?)`);
    const avg = num(stats, new RegExp(`^\\s*avg:\\s*${NUM}ms\\s*$`, "m"), M.latencyAvg, "avg: <x>ms");
    const p95 = num(stats, new RegExp(`^\\s*approx\\.\\s+95 percentile:\\s*${NUM}ms\\s*$`, "m"), M.latencyP95, "approx. 95 percentile: <x>ms");
    requireComplete(text);
    return [
        { metric: M.eventsPerSecond, value: events / total, unit: "events/s", better: "higher" },
        { metric: M.latencyAvg, value: avg, unit: "ms", better: "lower" },
        { metric: M.latencyP95, value: p95, unit: "ms", better: "lower" },
    ];
}

/** Checks that the output was produced with the given params (catches mixed-up raw files). */
function checkParams(raw: string, params: SysbenchCpuParams): void {
    const threads = /^Number of threads:\s*([0-9]+)\s*$/m.exec(raw);
    if (threads && Number(threads[1]) !== params.threads) {
        throw new ParseError(NAME, "threads", `the output says ${threads[1]} threads, the params asked for ${params.threads}`);
    }
    const prime = /^(?:Prime numbers limit|Maximum prime number checked in CPU test):\s*([0-9]+)\s*$/m.exec(raw);
    if (prime && Number(prime[1]) !== params.maxPrime) {
        throw new ParseError(NAME, "maxPrime", `the output says prime limit ${prime[1]}, the params asked for ${params.maxPrime}`);
    }
}

/** Parses the raw output of `sysbench cpu run` (1.0.x) or `sysbench --test=cpu run` (0.4.x). */
export function parseSysbenchCpu(raw: string, params?: SysbenchCpuParams): Measurement[] {
    const text = raw.replace(/\r\n?/g, "\n");
    const header = /^sysbench ([0-9][^\s:]*)/m.exec(text);
    if (!header) {
        throw new ParseError(
            NAME,
            SYSBENCH_CPU_METRICS.eventsPerSecond,
            `no "sysbench <version>" header line: not sysbench output (first line: ${JSON.stringify(text.split("\n")[0].slice(0, 80))})`,
        );
    }
    if (params) checkParams(text, params);
    const major = Number(header[1].split(".")[0]);
    // 0.4.x/0.5.x print "per-request statistics"; 1.0 and later print "events per second".
    return major < 1 ? parse04(text) : parse10(withoutCheckpointReports(NAME, SYSBENCH_CPU_METRICS.eventsPerSecond, text, params?.warmupSeconds));
}

export function parseSysbenchVersion(output: string): string {
    const m = /^sysbench\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?[^\s:]*)/m.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "sysbench <version>" in ${JSON.stringify(output.slice(0, 80))}`);
    return m[1];
}

export const sysbenchCpu: Workload<SysbenchCpuParams> = {
    name: NAME,
    tool: "sysbench",
    defaults: { maxPrime: 20000, threads: 1, timeSeconds: 10, warmupSeconds: 0 },
    paramSchema: { maxPrime: intParam(1, 100_000_000), threads: THREADS_PARAM, timeSeconds: SECONDS_PARAM, warmupSeconds: WARMUP_PARAM },
    versionCommand: "sysbench --version",
    parseVersion: parseSysbenchVersion,
    lengthFixedBy: () => "time",
    expectedS: (p: SysbenchCpuParams) => p.warmupSeconds + p.timeSeconds,
    clientPlacement: "inside",
    clientCommand(p: SysbenchCpuParams): string {
        return [
            "sysbench cpu",
            `--cpu-max-prime=${positiveInt(NAME, "maxPrime", p.maxPrime)}`,
            `--threads=${positiveInt(NAME, "threads", p.threads)}`,
            sysbenchTimeArgs(NAME, p),
            "run",
        ].join(" ");
    },
    notes: (p: SysbenchCpuParams) => warmupNote(p.warmupSeconds),
    parse: parseSysbenchCpu,
};
