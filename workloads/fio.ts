/**
 * fio block I/O (Felter et al. 2014, §Block I/O): the eight jobs of the paper's job file
 * (`fio/test.fio` in thewmf/kvm-docker-comparison), run one after another (stonewall) on one file
 * in the environment's data directory: libaio, direct=1, threads, group_reporting. The paper used
 * size=16g (whole file for the sequential jobs) and runtime=60 for the random jobs; `size`,
 * `runtimeSeconds` and `seqRuntimeSeconds` (0 = whole file, as the paper) scale it down.
 * `timeBased: 1` makes every job with a runtime run all of it (fio's time_based, looping over the
 * file): on a small file a sequential job would otherwise end after the file's one pass, some
 * milliseconds, and a random job as soon as it has moved `size` bytes. `rampSeconds` runs each job
 * that long before fio starts counting (ramp_time), so warm-up stays out of the numbers.
 * Inside the environment; the file is removed afterwards. Direct I/O is checked first (tmpfs and
 * some overlay setups refuse O_DIRECT) and refused with a clear message.
 *
 * Output: `--output-format=json` (fio ≥ 2.1). The parser also reads fio's normal text output,
 * fio 2.x ("  read : io=16384MB, bw=806597KB/s, iops=787 , runt= 20800msec", KB = 1024 B) and
 * 3.x ("  read: IOPS=87.8k, BW=343MiB/s (360MB/s)(…)"), so the paper's published logs import.
 *
 * Metrics per job and direction (job names with "-" → "_"): `<job>_<read|write>_bw_mb_s`
 * (10^6 B/s), `_iops`, `_clat_p50_us`, `_clat_p95_us`, `_clat_p99_us` (completion latency).
 */
import { requireDirectIo } from "./direct-io";
import { SLOW_RATES } from "./expected";
import { MAX_SECONDS, SECONDS_PARAM, SIZE_PARAM, countOrAuto, intParam, listOf, listParam, mibWord, positiveInt, sizeBytes, sizeWord } from "./params";
import { member } from "./json";
import { LengthFixedBy, Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";
import { shellQuote } from "../core/shell";

const NAME = "fio";

interface JobSpec {
    readonly rw: "write" | "read" | "randwrite" | "randread" | "randrw";
    readonly bs: string;
    readonly iodepth: number;
    readonly numjobs: number;
    /** The paper limits only the random jobs to a runtime. */
    readonly random: boolean;
    readonly description?: string;
}

/** The paper's job file, in its order. */
export const FIO_JOBS: Readonly<Record<string, JobSpec>> = {
    "sequential-fill": { rw: "write", bs: "1M", iodepth: 16, numjobs: 1, random: false, description: "Sequential fill phase" },
    "seq-read-1": { rw: "read", bs: "1M", iodepth: 1, numjobs: 1, random: false },
    "seq-read-2": { rw: "read", bs: "1M", iodepth: 2, numjobs: 1, random: false },
    "random-write-16": { rw: "randwrite", bs: "4K", iodepth: 16, numjobs: 1, random: true, description: "Random write steady state phase" },
    "random-write-16x8": { rw: "randwrite", bs: "4K", iodepth: 16, numjobs: 8, random: true, description: "Random write steady state phase" },
    "random-read-16": { rw: "randread", bs: "4K", iodepth: 16, numjobs: 1, random: true, description: "Random read steady state phase" },
    "random-read-16x8": { rw: "randread", bs: "4K", iodepth: 16, numjobs: 8, random: true, description: "Random read steady state phase" },
    "mixed-random-rw-32x8": { rw: "randrw", bs: "4K", iodepth: 32, numjobs: 8, random: true },
};
const JOB_NAMES = Object.keys(FIO_JOBS);

export type FioParams = {
    /** Comma-separated job names of the paper's job file, run in this order. */
    jobs: string;
    /** File size (paper: 16g). */
    size: string;
    /** runtime= of the random jobs, seconds (paper: 60). */
    runtimeSeconds: number;
    /** runtime= of the sequential jobs; 0 = the whole file (paper). */
    seqRuntimeSeconds: number;
    /** 1: time_based on every job with a runtime, which then runs all of it; 0: a job also ends after `size` bytes (paper). */
    timeBased: number;
    /** ramp_time= of every job: seconds run before measuring (paper: 0). */
    rampSeconds: number;
};

type Dir = "read" | "write";

function directions(rw: JobSpec["rw"]): Dir[] {
    if (rw === "randrw") return ["read", "write"];
    return rw.endsWith("read") ? ["read"] : ["write"];
}

/** The runtime= of a job, seconds; 0 = none (the job moves `size` bytes). */
function jobRuntime(j: JobSpec, p: Pick<FioParams, "runtimeSeconds" | "seqRuntimeSeconds">): number {
    return j.random ? positiveInt(NAME, "runtimeSeconds", p.runtimeSeconds) : countOrAuto(NAME, "seqRuntimeSeconds", p.seqRuntimeSeconds);
}

/**
 * fio lays the file out once; then each job ramps up and runs for its runtime, or over the whole
 * file where it has none. A size-bound job can end before its runtime; the estimate takes the runtime.
 */
function fioExpectedS(p: FioParams): number {
    const fileS = sizeBytes(p.size) / SLOW_RATES.writeBytesPerS;
    const jobs = listOf(NAME, "jobs", p.jobs, JOB_NAMES).map((j) => FIO_JOBS[j]);
    return fileS + jobs.reduce((s, j) => s + p.rampSeconds + (jobRuntime(j, p) || fileS), 0);
}

/**
 * Time-bound only when time_based makes every job run its whole runtime (otherwise a job ends
 * after `size` bytes, and one without a runtime goes over the whole file) and the runs outlast
 * laying the file out.
 */
function fioLengthFixedBy(p: FioParams): LengthFixedBy {
    const jobs = listOf(NAME, "jobs", p.jobs, JOB_NAMES).map((j) => FIO_JOBS[j]);
    if (!timeBasedFlag(p.timeBased) || !jobs.every((j) => jobRuntime(j, p) > 0)) return "work";
    const timedS = jobs.reduce((s, j) => s + p.rampSeconds + jobRuntime(j, p), 0);
    return timedS >= sizeBytes(p.size) / SLOW_RATES.writeBytesPerS ? "time" : "work";
}

/** 1 or 0 (time_based on or off); throws naming the parameter. */
function timeBasedFlag(v: unknown): boolean {
    if (v !== 0 && v !== 1) throw new Error(`${NAME}: parameter timeBased must be 1 (every job runs its whole runtime) or 0 (paper), got ${JSON.stringify(v)}`);
    return v === 1;
}

export function fioJobFile(p: FioParams, dataDir: string): string {
    const timeBased = timeBasedFlag(p.timeBased);
    const ramp = countOrAuto(NAME, "rampSeconds", p.rampSeconds);
    const lines = [
        "[global]",
        "ioengine=libaio",
        "direct=1",
        `size=${sizeWord(NAME, "size", p.size)}`,
        "group_reporting",
        "thread",
        `directory=${dataDir}`,
        "filename=fio-test-file",
    ];
    listOf(NAME, "jobs", p.jobs, JOB_NAMES).forEach((name, i) => {
        const j = FIO_JOBS[name];
        lines.push("", `[${name}]`);
        if (i > 0) lines.push("stonewall");
        if (j.description) lines.push(`description=${j.description}`);
        lines.push(`rw=${j.rw}`);
        if (j.rw === "randrw") lines.push("rwmixread=70");
        lines.push(`bs=${j.bs}`, `iodepth=${j.iodepth}`);
        if (j.numjobs > 1) lines.push(`numjobs=${j.numjobs}`);
        const limit = jobRuntime(j, p);
        if (limit > 0) lines.push(`runtime=${limit}`);
        if (limit > 0 && timeBased) lines.push("time_based");
        if (ramp > 0) lines.push(`ramp_time=${ramp}`);
    });
    return lines.join("\n") + "\n";
}

interface DirResult {
    bwBytes: number;
    iops: number;
    p50: number;
    p95: number;
    p99: number;
}

const metricKey = (job: string, dir: Dir) => `${job.replace(/[^A-Za-z0-9]+/g, "_")}_${dir}`;

function toMeasurements(results: Map<string, Map<Dir, DirResult>>): Measurement[] {
    const out: Measurement[] = [];
    for (const [job, dirs] of results) {
        for (const [dir, r] of dirs) {
            const k = metricKey(job, dir);
            out.push(
                { metric: `${k}_bw_mb_s`, value: r.bwBytes / 1e6, unit: "MB/s", better: "higher" },
                { metric: `${k}_iops`, value: r.iops, unit: "IOPS", better: "higher" },
                { metric: `${k}_clat_p50_us`, value: r.p50, unit: "us", better: "lower" },
                { metric: `${k}_clat_p95_us`, value: r.p95, unit: "us", better: "lower" },
                { metric: `${k}_clat_p99_us`, value: r.p99, unit: "us", better: "lower" },
            );
        }
    }
    return out;
}

// ---- JSON -------------------------------------------------------------------------------------

function parseJson(raw: string): Map<string, Map<Dir, DirResult>> {
    const start = raw.search(/^\{/m);
    const end = raw.lastIndexOf("\n}");
    let doc: unknown;
    try {
        doc = JSON.parse(raw.slice(start, end + 2));
    } catch (e) {
        throw new ParseError(NAME, "bw_mb_s", `the JSON output does not parse (truncated?): ${(e as Error).message}`);
    }
    const jobs = member(doc, "jobs");
    if (!Array.isArray(jobs)) throw new ParseError(NAME, "bw_mb_s", `the JSON output has no "jobs" array`);
    const results = new Map<string, Map<Dir, DirResult>>();
    jobs.forEach((job: unknown, i: number) => {
        const name = member(job, "jobname");
        if (typeof name !== "string") throw new ParseError(NAME, "bw_mb_s", `job ${i + 1} of the JSON output has no "jobname"`);
        const error = member(job, "error");
        if (error) throw new ParseError(NAME, `${metricKey(name, "read")}_bw_mb_s`, `job ${name} reports error ${error}`);
        const dirs = new Map<Dir, DirResult>();
        for (const dir of ["read", "write"] as const) {
            const d = member(job, dir);
            const ioBytes = member(d, "io_bytes");
            // fio reports both directions of every job; the one a job does not use has no I/O.
            if (typeof ioBytes !== "number" || ioBytes <= 0) continue;
            const k = metricKey(name, dir);
            const pct = member(member(d, "clat_ns"), "percentile");
            const at = (p: string) => {
                const v = member(pct, p);
                if (typeof v !== "number") throw new ParseError(NAME, `${k}_clat_p${p.split(".")[0]}_us`, `job ${name} ${dir} has no ${p} clat percentile`);
                return v / 1000;
            };
            const field = (key: string, metric: string) => {
                const v = member(d, key);
                if (typeof v !== "number") throw new ParseError(NAME, `${k}_${metric}`, `job ${name} ${dir} has no ${key}`);
                return v;
            };
            dirs.set(dir, {
                p50: at("50.000000"),
                p95: at("95.000000"),
                p99: at("99.000000"),
                bwBytes: field("bw_bytes", "bw_mb_s"),
                iops: field("iops", "iops"),
            });
        }
        results.set(name, dirs);
    });
    return results;
}

// ---- normal (text) output, fio 2.x and 3.x ------------------------------------------------------

const UNIT_POWER: Readonly<Record<string, number>> = { "": 0, K: 1, M: 2, G: 3, T: 4 };

/** "806597KB" (2.x, KB = 1024), "343MiB", "1.2GB" → bytes; 2.x's B-based units are binary too. */
function bytesOf(value: string, unit: string, decimal: boolean): number {
    const prefix = unit.replace(/i?B$/, "").toUpperCase();
    const base = decimal ? 1000 : 1024;
    return Number(value) * base ** (UNIT_POWER[prefix] ?? NaN);
}

/** "72807", "87.8k", "1123K" → number (fio's num2str: decimal multiples). */
function countOf(s: string): number {
    const m = /^([0-9.]+)([kKMG]?)$/.exec(s);
    return m ? Number(m[1]) * 1000 ** UNIT_POWER[m[2].toUpperCase()] : NaN;
}

const BLOCK = /^(\S.*?): \(groupid=[0-9]+, jobs=[0-9]+\): err=\s*([0-9]+)/;
const DIR2 = /^\s+(read|write)\s*: io=[^,]+, bw=([0-9.]+)([KMGT]?B)\/s, iops=([0-9.]+[kKMG]?)\s*, runt=\s*[0-9]+msec/;
const DIR3 = /^\s+(read|write): IOPS=([0-9.]+[kKMG]?), BW=([0-9.]+)([KMGT]?i?B)\/s/;
const PCT_HEADER = /^\s+clat percentiles \((nsec|usec|msec)\):/;

function parseText(raw: string): Map<string, Map<Dir, DirResult>> {
    const results = new Map<string, Map<Dir, DirResult>>();
    const lines = raw.replace(/\r\n?/g, "\n").split("\n");
    let job: string | undefined;
    let current: { dir: Dir; r: Partial<DirResult> } | undefined;
    const finish = () => {
        if (!job || !current) return;
        const { dir, r } = current;
        const k = metricKey(job, dir);
        for (const p of ["p50", "p95", "p99"] as const) {
            if (r[p] === undefined)
                throw new ParseError(
                    NAME,
                    `${k}_clat_${p}_us`,
                    `job ${job} ${dir} has no complete "clat percentiles" block with the ${p.slice(1)}th percentile (truncated?)`,
                );
        }
        results.get(job)!.set(dir, r as DirResult);
        current = undefined;
    };
    for (let i = 0; i < lines.length; i++) {
        const line = lines[i];
        const b = BLOCK.exec(line);
        if (b) {
            finish();
            job = b[1];
            if (b[2] !== "0") throw new ParseError(NAME, `${metricKey(job, "read")}_bw_mb_s`, `job ${job} reports err=${b[2]}`);
            if (results.has(job)) throw new ParseError(NAME, `${metricKey(job, "read")}_bw_mb_s`, `job ${job} appears twice (several runs concatenated?)`);
            results.set(job, new Map());
            continue;
        }
        if (!job) continue;
        const d2 = DIR2.exec(line);
        const d3 = d2 ? null : DIR3.exec(line);
        if (d2 || d3) {
            finish();
            const dir = (d2 ?? d3)![1] as Dir;
            const bwBytes = d2 ? bytesOf(d2[2], d2[3], false) : bytesOf(d3![3], d3![4], !/iB$/.test(d3![4]));
            const iops = countOf(d2 ? d2[4] : d3![2]);
            if (!Number.isFinite(bwBytes) || !Number.isFinite(iops))
                throw new ParseError(NAME, `${metricKey(job, dir)}_bw_mb_s`, `cannot read bandwidth/IOPS from ${JSON.stringify(line.trim())}`);
            current = { dir, r: { bwBytes, iops } };
            continue;
        }
        const ph = PCT_HEADER.exec(line);
        if (ph && current) {
            const scale = ph[1] === "nsec" ? 1e-3 : ph[1] === "msec" ? 1e3 : 1;
            let body = "";
            for (let j = i + 1; j < lines.length && /^\s+\|/.test(lines[j]); j++) body += lines[j];
            // Only a row that ends in "]" or "]," is complete; a cut-off last row could hold a wrong value.
            const want = { p50: "50.00", p95: "95.00", p99: "99.00" } as const;
            for (const [key, label] of Object.entries(want) as [keyof typeof want, string][]) {
                const m = new RegExp(`\\b${label.replace(".", "\\.")}th=\\[\\s*([0-9]+)\\]`).exec(body);
                if (m) current.r[key] = Number(m[1]) * scale;
            }
        }
    }
    finish();
    return results;
}

export function parseFio(raw: string, params?: FioParams): Measurement[] {
    const isJson = /^\{/m.test(raw) && /"fio version"/.test(raw);
    const results = isJson ? parseJson(raw) : parseText(raw);
    if (results.size === 0) {
        const why = raw
            .split("\n")
            .map((l) => l.trim())
            .find((l) => /^fio: |O_DIRECT|error|not supported/i.test(l));
        throw new ParseError(NAME, "bw_mb_s", `no fio job results in the output${why ? ` (it says: ${JSON.stringify(why)})` : " (not fio output?)"}`);
    }
    const wanted = params ? listOf(NAME, "jobs", params.jobs, JOB_NAMES) : [...results.keys()].filter((j) => j in FIO_JOBS);
    for (const job of wanted) {
        const got = results.get(job);
        for (const dir of directions(FIO_JOBS[job].rw)) {
            if (!got?.has(dir))
                throw new ParseError(NAME, `${metricKey(job, dir)}_bw_mb_s`, `job ${job} (${dir}) was requested but has no result in the output (truncated?)`);
        }
    }
    return toMeasurements(results);
}

export function parseFioVersion(output: string): string {
    const m = /^fio-([0-9][^\s]*)/m.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "fio-<version>" in ${JSON.stringify(output.slice(0, 80))}`);
    return m[1];
}

export const fio: Workload<FioParams> = {
    name: NAME,
    tool: "fio",
    defaults: { jobs: JOB_NAMES.join(","), size: "16g", runtimeSeconds: 60, seqRuntimeSeconds: 0, timeBased: 0, rampSeconds: 0 },
    paramSchema: {
        jobs: listParam(JOB_NAMES),
        size: SIZE_PARAM,
        runtimeSeconds: SECONDS_PARAM,
        seqRuntimeSeconds: intParam(0, MAX_SECONDS),
        timeBased: { ...intParam(0, 1), description: "1 (every job with a runtime runs all of it) or 0 (paper)" },
        rampSeconds: intParam(0, MAX_SECONDS),
    },
    versionCommand: "fio --version",
    parseVersion: parseFioVersion,
    expectedS: fioExpectedS,
    lengthFixedBy: fioLengthFixedBy,
    clientPlacement: "inside",
    clientCommand(p: FioParams, ctx: RunContext): string {
        const job = fioJobFile(p, ctx.dataDir);
        return [
            "set -e",
            `d=${shellQuote(ctx.dataDir)}`,
            `mkdir -p "$d"`,
            requireDirectIo(NAME, "$d"),
            `trap 'rm -f "$d/fio-test-file" "$d/isobench.fio"' EXIT`,
            `printf '%s' ${shellQuote(job)} > "$d/isobench.fio"`,
            `fio --output-format=json "$d/isobench.fio"`,
        ].join("\n");
    },
    notes(p: FioParams): string {
        const scaled = p.size !== "16g" || p.runtimeSeconds !== 60 || p.seqRuntimeSeconds !== 0;
        const parts = scaled
            ? [
                  `paper's job file scaled: size=${p.size}, random runtime ${p.runtimeSeconds} s, sequential ${p.seqRuntimeSeconds === 0 ? "whole file" : `${p.seqRuntimeSeconds} s`} (paper: 16g, 60 s, whole file)`,
              ]
            : [];
        if (p.timeBased === 1)
            parts.push("time_based: every job with a runtime runs all of it, looping over the file (paper: a job also ends after size bytes)");
        if (p.rampSeconds > 0) parts.push(`ramp_time=${p.rampSeconds} s per job not measured (paper: none)`);
        return parts.join("; ");
    },
    // One file shared by every job (filename=), removed by the command's trap.
    dataFootprint: (p: FioParams) => ({ bytes: sizeBytes(p.size), param: "size", lifetime: "cell", largestFitting: (b) => mibWord(b, "m") }),
    parse: parseFio,
};
