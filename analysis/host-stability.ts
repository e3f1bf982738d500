/**
 * How steady a machine's CPU-to-CPU round trip is, the quantity every client-server workload
 * (netperf, Redis, MySQL, nuttcp) rides on: a client on one CPU waking a server on another. On a
 * virtual machine the hypervisor decides where the vCPUs run and how a sleeping one is woken, and
 * no compute benchmark and no steal counter shows how much that varies. Measured by hand on the
 * development host (2 vCPUs of a nested, paravirtual microVM), 40 samples over two minutes, the
 * netperf ones as the probe takes them:
 * netperf TCP_RR between its two CPUs varied with a CV of 5.9 % (15 800–19 800 transactions/s),
 * on one CPU 1.0 %; Redis GET at 10 clients with server and client pinned to different CPUs varied
 * 4.9 % (66 600–82 500 requests/s), correlated 0.5 with netperf's samples, about as much as the
 * Redis repetitions of felter2014-small vary. Pure: netperf's output in, a judgement out.
 */

import { mean, median, sampleStddev, tCritical } from "./statistics";

/** Above this coefficient of variation of the round trip between CPUs, the machine is called unsteady. */
export const STEADY_CV = 0.05;

/**
 * The fewest repetitions whose mean reaches ±`goal` (the relative half-width of isobench:precision)
 * at `confidence` when each repetition varies with coefficient of variation `cv`: the smallest n
 * with t(n − 1) · cv / √n ≤ goal. Undefined above `atMost`.
 */
export function repetitionsFor(cv: number, goal: number, confidence = 0.95, atMost = 1000): number | undefined {
    for (let n = 2; n <= atMost; n++) if ((tCritical(confidence, n - 1) * cv) / Math.sqrt(n) <= goal) return n;
    return undefined;
}

/** The precision goal the probe's figure is quoted against: the small study stacks' ±5 %. */
export const QUOTED_GOAL = 0.05;

/** netperf TCP_RR transaction rates of the probe (experiment/stability-probe.ts), by placement. */
export interface ProbeRates {
    /** Client and server on two CPUs of different cores. */
    readonly across: number[];
    /** Client and server on the same CPU: no wake-up of another CPU, the baseline. */
    readonly same: number[];
}

/**
 * The probe's lines "across <rate>" and "same <rate>" (each rate netperf's `-P 0 -- -o THROUGHPUT`,
 * transactions per second). Throws naming the first line that is neither.
 */
export function parseProbeRates(out: string): ProbeRates {
    const rates: ProbeRates = { across: [], same: [] };
    for (const line of out.split("\n").map((l) => l.trim())) {
        if (!line) continue;
        const m = /^(across|same) (\d+(?:\.\d+)?)$/.exec(line);
        if (!m || !(Number(m[2]) > 0))
            throw new Error(
                `host stability probe: unexpected line ${JSON.stringify(line)} (expected "across <transactions/s>" or "same <transactions/s>" from netperf TCP_RR)`,
            );
        rates[m[1] as keyof ProbeRates].push(Number(m[2]));
    }
    return rates;
}

/** One placement's round trips: one transaction in flight, so a round trip is 1 / rate. */
export interface RoundTrips {
    readonly samples: number;
    readonly medianUs: number;
    readonly minUs: number;
    readonly maxUs: number;
    /** Standard deviation over the mean of the round trips; null below two samples. */
    readonly cv: number | null;
}

export function roundTrips(rates: readonly number[]): RoundTrips | undefined {
    if (rates.length === 0) return undefined;
    const us = rates.map((r) => 1e6 / r);
    const sd = sampleStddev(us);
    return {
        samples: us.length,
        medianUs: median(us),
        minUs: Math.min(...us),
        maxUs: Math.max(...us),
        cv: sd === null ? null : sd / mean(us),
    };
}

export interface Stability {
    /** Whether the round trip between CPUs varied by at most STEADY_CV. */
    readonly steady: boolean;
    readonly across: RoundTrips;
    readonly same?: RoundTrips;
    /** One line with the figures. */
    readonly detail: string;
}

/** Three significant digits: a 17 µs round trip that moved by 0.3 µs still shows it. */
const us = (v: number) => `${v >= 1000 ? Math.round(v) : Number(v.toPrecision(3))} µs`;
const needed = (cv: number) => {
    const n = repetitionsFor(cv, QUOTED_GOAL);
    return n === undefined ? "over 1000 repetitions" : `${n} repetitions`;
};
const pct = (cv: number | null) => (cv === null ? "no spread from one sample" : `CV ${(cv * 100).toFixed(1)} %`);

/**
 * The judgement of one probe. Undefined when it measured nothing between CPUs. A single sample
 * cannot show a spread and is not called steady.
 */
export function judgeStability(rates: ProbeRates, cpus: readonly [number, number], seconds: number): Stability | undefined {
    const across = roundTrips(rates.across);
    if (!across) return undefined;
    const same = roundTrips(rates.same);
    const steady = across.cv !== null && across.cv <= STEADY_CV;
    const detail =
        `TCP round trip (netperf TCP_RR, ${seconds} s each) between CPUs ${cpus[0]} and ${cpus[1]}: median ${us(across.medianUs)}, ` +
        `${us(across.minUs)}–${us(across.maxUs)} over ${across.samples} samples (${pct(across.cv)}); ` +
        (same ? `on CPU ${cpus[0]} alone: median ${us(same.medianUs)}, ${us(same.minUs)}–${us(same.maxUs)} (${pct(same.cv)})` : "on one CPU: not measured") +
        `; steady means CV ≤ ${STEADY_CV * 100} % between CPUs` +
        (across.cv === null
            ? ""
            : `; were a client-server cell's repetitions to vary as these samples do, a mean would need ${needed(across.cv)} for ±${QUOTED_GOAL * 100} % at 95 %`);
    return { steady, across, ...(same && { same }), detail };
}

/** What an unsteady machine means for a run, and what helps. */
export const UNSTEADY_ADVICE =
    "client-server workloads (netperf, redis, mysql, nuttcp) vary about this much between repetitions here: expect the precision goal to add repetitions, " +
    "wider intervals, and a claim whose ratio lies near its range's edge to come out differently in two runs; try a machine whose CPUs are its own " +
    "(bare metal, or a VM with dedicated, not oversubscribed vCPUs) and probe it the same way";

/**
 * host-stability.csv: one row per probe a run took (experiment/stability-record.ts writes them
 * before each `up` pass), so that a run says how steady its machine's round trip was while it
 * measured, and two runs compared side by side say whether one had the noisier machine. A probe
 * that could not measure keeps its row, with `error` saying why.
 */
export const HOST_STABILITY_COLUMNS = [
    "at",
    "cells_measured",
    "seconds",
    "cpus",
    "across_samples",
    "across_median_us",
    "across_min_us",
    "across_max_us",
    "across_cv",
    "same_samples",
    "same_median_us",
    "same_cv",
    "steady",
    "raw",
    "error",
] as const;
export type HostStabilityRow = Readonly<Record<(typeof HOST_STABILITY_COLUMNS)[number], string>>;

const num = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(Number(v.toPrecision(6))));

/** One probe's row. `raw`: its output's file, relative to the results folder. */
export function stabilityRow(
    probe: { readonly at: string; readonly cellsMeasured: number; readonly seconds: number },
    outcome: { readonly stability: Stability; readonly cpus: readonly [number, number]; readonly raw: string } | { readonly error: string },
): HostStabilityRow {
    const empty = Object.fromEntries(HOST_STABILITY_COLUMNS.map((c) => [c, ""])) as Record<(typeof HOST_STABILITY_COLUMNS)[number], string>;
    const base = { ...empty, at: probe.at, cells_measured: String(probe.cellsMeasured), seconds: String(probe.seconds) };
    if ("error" in outcome) return { ...base, error: outcome.error.replace(/\s+/g, " ") };
    const { across, same, steady } = outcome.stability;
    return {
        ...base,
        cpus: outcome.cpus.join(","),
        across_samples: String(across.samples),
        across_median_us: num(across.medianUs),
        across_min_us: num(across.minUs),
        across_max_us: num(across.maxUs),
        across_cv: num(across.cv),
        same_samples: same ? String(same.samples) : "0",
        same_median_us: num(same?.medianUs),
        same_cv: num(same?.cv),
        steady: String(steady),
        raw: outcome.raw,
    };
}

/** "CV 6.1 %" of a row's cell, or undefined when empty. */
const cvOf = (v: string) => (v === "" ? undefined : `${(Number(v) * 100).toFixed(1)} %`);

/** Where in the run a probe was taken: "before the first cell" / "after 12 cell(s)". */
export const probeMoment = (r: HostStabilityRow) => (r.cells_measured === "0" ? "before the first cell" : `after ${r.cells_measured} cell(s)`);

/** What one probe measured (or why it did not). */
export function describeProbe(r: HostStabilityRow): string {
    if (r.error) return `not measured (${r.error})`;
    const across = cvOf(r.across_cv);
    const same = cvOf(r.same_cv);
    return (
        `round trip between CPUs ${r.cpus.replace(",", " and ")} median ${us(Number(r.across_median_us))}, ` +
        `${us(Number(r.across_min_us))}–${us(Number(r.across_max_us))} over ${r.across_samples} samples (${across ? `CV ${across}` : "no spread from one sample"}; ` +
        `${r.steady === "true" ? "steady" : "unsteady"})` +
        (r.same_median_us ? `; on one CPU median ${us(Number(r.same_median_us))}${same ? ` (CV ${same})` : ""}` : "")
    );
}

/** One line per probe, for the report: when, where in the run, what it measured. */
export function describeStabilityRows(rows: readonly HostStabilityRow[]): string[] {
    return rows.map((r) => `${r.at}, ${probeMoment(r)}, ${r.seconds} s: ${describeProbe(r)}`);
}

/** The run's probes in a few words, for a comparison's header: "round trip between CPUs: CV 6.1 %, CV 8.2 % (2 probes)". */
export function stabilityBrief(rows: readonly HostStabilityRow[], problem?: string): string {
    if (problem) return "host-stability.csv unreadable (the report's Problems say why)";
    if (rows.length === 0) return "not probed";
    const cvs = rows.map((r) => {
        const cv = cvOf(r.across_cv);
        return r.error ? "not measured" : cv ? `CV ${cv}` : "one sample";
    });
    return `round trip between CPUs: ${cvs.join(", ")} (${rows.length} probe${rows.length === 1 ? "" : "s"})`;
}

/** The sentence that says what the probes are and where the threshold lies, once. */
export const STABILITY_MEANING =
    "Before each `isobench up` pass the run measured how steady the machine's CPU-to-CPU round trip was (netperf TCP_RR over loopback, " +
    "one-second samples alternating client and server on two CPUs and on one; isobench:stabilityProbeS sets the length, 0 turns it off). " +
    `Client-server workloads (netperf, Redis, MySQL, nuttcp) ride on this round trip: steady means a CV of at most ${STEADY_CV * 100} % between CPUs; ` +
    "an unsteady machine widens their intervals and can make a claim near its range's edge come out differently in another run.";
