/**
 * Reading sysbench reports (1.0.x and, for published logs, 0.4.x), shared by the memory and
 * fileio workloads: one raw file holds several runs (one per operation or test mode), each
 * starting with sysbench's "sysbench <version>" banner.
 *
 * Warm-up: sysbench 1.0 has no --warmup-time (1.1 added it), so a run with `warmupSeconds` runs
 * for warm-up + measured seconds with a report checkpoint at the warm-up's end
 * (`--report-checkpoints`): sysbench prints the warm-up's statistics there and resets its
 * counters, so its final report covers the measured seconds only. The parsers drop the checkpoint
 * report (withoutCheckpointReports) and read the final one as before.
 */
import { numberAt } from "./text";
import { Measurement } from "./workload";
import { ParseError } from "../core/errors";
import { MAX_SECONDS, countOrAuto, intParam, positiveInt } from "./params";

/** Schema of a sysbench workload's warmupSeconds: 0 (none, as the studies ran it) or seconds before the measured ones. */
export const WARMUP_PARAM = intParam(0, MAX_SECONDS);

/** `--time=<warm-up + measured>` and, with a warm-up, the checkpoint at its end; throws naming the parameter. */
export function sysbenchTimeArgs(workload: string, p: { readonly timeSeconds: number; readonly warmupSeconds: number }): string {
    const time = positiveInt(workload, "timeSeconds", p.timeSeconds);
    const warmup = countOrAuto(workload, "warmupSeconds", p.warmupSeconds);
    return warmup > 0 ? `--time=${warmup + time} --report-checkpoints=${warmup}` : `--time=${time}`;
}

/** Note of a warm-up for samples ("" without one). */
export function warmupNote(warmupSeconds: number): string {
    return warmupSeconds > 0 ? `first ${warmupSeconds} s of each run not measured (sysbench report checkpoint)` : "";
}

/** The first line of a checkpoint report: "[ 2s ] Checkpoint report:". */
const CHECKPOINT_LINE = /^\[ *[0-9.]+s \] Checkpoint report:\s*$/;

/**
 * The run's text without its checkpoint reports: from the first checkpoint line to the end of the
 * last one's "Threads fairness" section. A run cut off inside a checkpoint report keeps only its
 * header, so reading it fails as a truncation. With `warmupSeconds` > 0 a run without a checkpoint
 * report is refused: its numbers would include the warm-up.
 */
export function withoutCheckpointReports(workload: string, metric: string, text: string, warmupSeconds = 0): string {
    const lines = text.split("\n");
    const first = lines.findIndex((l) => CHECKPOINT_LINE.test(l));
    if (first < 0) {
        if (warmupSeconds > 0)
            throw new ParseError(
                workload,
                metric,
                `the run has no checkpoint report after its ${warmupSeconds} s warm-up (--report-checkpoints), so its numbers would include the warm-up`,
            );
        return text;
    }
    let last = first;
    lines.forEach((l, i) => {
        if (CHECKPOINT_LINE.test(l)) last = i;
    });
    const fairness = lines.findIndex((l, i) => i > last && /^Threads fairness:\s*$/.test(l));
    if (fairness < 0) return lines.slice(0, first).join("\n");
    let end = fairness + 1;
    while (end < lines.length && /^\s+\S/.test(lines[end])) end++;
    return [...lines.slice(0, first), ...lines.slice(end)].join("\n");
}

/** A decimal as sysbench prints it; "1." (a value cut off mid-number) does not match. */
export const NUM = "([0-9]+(?:\\.[0-9]+)?)";

export interface SysbenchRun {
    /** "1.0.20", "0.4.12" */
    readonly version: string;
    readonly major: number;
    readonly text: string;
}

/** The runs in a raw file, split at each banner; lines before the first banner are dropped. */
export function sysbenchRuns(raw: string): SysbenchRun[] {
    const text = raw.replace(/\r\n?/g, "\n");
    const runs: SysbenchRun[] = [];
    const banner = /^sysbench ([0-9][^\s:]*)/gm;
    const starts: { at: number; version: string }[] = [];
    for (let m = banner.exec(text); m; m = banner.exec(text)) starts.push({ at: m.index, version: m[1] });
    starts.forEach((s, i) => {
        runs.push({ version: s.version, major: Number(s.version.split(".")[0]), text: text.slice(s.at, i + 1 < starts.length ? starts[i + 1].at : undefined) });
    });
    return runs;
}

/** The indented lines after the line matching header (sysbench's report sections). */
export function indentedSection(text: string, header: RegExp): string | undefined {
    const lines = text.split("\n");
    const i = lines.findIndex((l) => header.test(l));
    if (i < 0) return undefined;
    const body: string[] = [];
    for (const l of lines.slice(i + 1)) {
        if (!/^\s+\S/.test(l)) break;
        body.push(l);
    }
    return body.join("\n");
}

/**
 * sysbench ends every report with "Threads fairness"; without its last line the run was cut off,
 * possibly in the middle of the last value read before it.
 */
export function requireComplete(workload: string, metric: string, run: SysbenchRun): void {
    const fairness = indentedSection(run.text, /^Threads fairness:\s*$/);
    if (fairness === undefined || !/execution time \(avg\/stddev\):\s*[0-9.]+\/[0-9.]+\s*$/m.test(fairness)) {
        throw new ParseError(workload, metric, `the sysbench ${run.version} report ends before its complete "Threads fairness" section (truncated?)`);
    }
}

/**
 * Average and 95th-percentile latency of one run: 1.0 prints a "Latency (ms):" section,
 * 0.4 "per-request statistics:" with "approx.  95 percentile: <x>ms".
 */
export function sysbenchLatency(workload: string, prefix: string, run: SysbenchRun): Measurement[] {
    const avgMetric = `${prefix}latency_avg_ms`;
    const p95Metric = `${prefix}latency_p95_ms`;
    let avg: number;
    let p95: number;
    if (run.major >= 1) {
        const lat = indentedSection(run.text, /^Latency \(ms\):\s*$/);
        if (lat === undefined) throw new ParseError(workload, avgMetric, `no "Latency (ms):" section in the sysbench ${run.version} report (truncated?)`);
        avg = numberAt(workload, avgMetric, lat, new RegExp(`^\\s*avg:\\s*${NUM}\\s*$`, "m"), "avg");
        const pct = new RegExp(`^\\s*([0-9.]+)th percentile:\\s*${NUM}\\s*$`, "m").exec(lat);
        if (!pct) throw new ParseError(workload, p95Metric, `no complete "95th percentile" line in the "Latency (ms):" section (truncated?)`);
        if (pct[1] !== "95") throw new ParseError(workload, p95Metric, `the report gives the ${pct[1]}th percentile, not the 95th (was --percentile changed?)`);
        p95 = Number(pct[2]);
    } else {
        const stats = indentedSection(run.text, /^\s*per-request statistics:\s*$/);
        if (stats === undefined)
            throw new ParseError(workload, avgMetric, `no "per-request statistics:" section in the sysbench ${run.version} report (truncated?)`);
        avg = numberAt(workload, avgMetric, stats, new RegExp(`^\\s*avg:\\s*${NUM}ms\\s*$`, "m"), "avg: <x>ms");
        p95 = numberAt(workload, p95Metric, stats, new RegExp(`^\\s*approx\\.\\s+95 percentile:\\s*${NUM}ms\\s*$`, "m"), "approx. 95 percentile: <x>ms");
    }
    return [
        { metric: avgMetric, value: avg, unit: "ms", better: "lower" },
        { metric: p95Metric, value: p95, unit: "ms", better: "lower" },
    ];
}

/** "Number of threads: N" of a run, when printed. */
export function sysbenchThreads(run: SysbenchRun): number | undefined {
    const m = /^Number of threads:\s*([0-9]+)\s*$/m.exec(run.text);
    return m ? Number(m[1]) : undefined;
}
