/**
 * Linpack (Felter et al. 2014, §Linpack): HPL from Debian's hpcc instead of the paper's Intel
 * optimized Linpack 11.1.2 binary (`xlinpack_xeon64`, not redistributable and absent from the
 * authors' repository), with Debian's reference BLAS, so GFLOPS are far below Intel's MKL figures;
 * what is compared is the same binary across environments. hpcc runs its whole suite (see
 * hpcc.ts); this workload reports HPL only.
 *
 * N: the paper's 45000 (a 16.2 GB matrix) by default; on small hosts either give `n` or set
 * `memoryPercent` (> 0) to size the matrix to that share of the environment's MemTotal (the paper's
 * matrix was 6.4% of its 252 GB). P×Q from the environment's CPUs (one MPI process each).
 *
 * `hplRuns` solves the order-N system that many times in one suite run (HPL.dat's problem sizes),
 * so HPL's measured work can be seconds long while the rest of the suite, which hpcc sizes by N,
 * stays small: under software emulation DGEMM and HPL at the N of a 10-second solve would take
 * half an hour per cell. The metrics then cover all the solves.
 *
 * Metrics: `gflops` (HPL_Tflops × 1000; with hplRuns > 1 the rate over all solves: their
 * operations over their summed time), `hpl_time_s` (one solve; the mean over hplRuns solves).
 */
import { HPCC_NOTE, HpccCommonParams, MAX_HPL_RUNS, hplOperations, hpccSummary, hpccWorkload, summaryNumber } from "./hpcc";
import { intParam, positiveInt } from "./params";
import type { Measurement } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "linpack";

export type LinpackParams = HpccCommonParams & {
    /** HPL matrix order N (paper: 45000); ignored when memoryPercent > 0. */
    n: number;
    /** > 0: N from this percentage of MemTotal (8·N² bytes); 0: use n. */
    memoryPercent: number;
    /** HPL solves of the order-N system in one run (paper: 1); the metrics cover all of them. */
    hplRuns: number;
};

/** "WR11C2R4  1920  128  1  2  4.72  1.000e+00": one solve of HPL's result table (variant, N, NB, P, Q, time, Gflops). */
const HPL_RESULT = /^W[RC]\S*\s+([0-9]+)\s+[0-9]+\s+[0-9]+\s+[0-9]+\s+([0-9.]+)\s+([0-9.]+(?:e[-+]?[0-9]+)?)\s*$/gim;

/** The solves of the HPL section's result table: N and Gflops of each. */
function hplSolves(hpl: string): { n: number; gflops: number }[] {
    return [...hpl.matchAll(HPL_RESULT)].map((m) => ({ n: Number(m[1]), gflops: Number(m[3]) }));
}

/**
 * gflops and hpl_time_s over several solves of one N: the rate of all their operations over all
 * their time (the harmonic mean of the solves' rates), and the mean time of one solve. From each
 * solve's Gflops (4 significant digits) rather than its time, which HPL prints to 0.01 s.
 */
function overSolves(solves: readonly { n: number; gflops: number }[], runs: number): { gflops: number; time: number } {
    const n = solves[0].n;
    const seconds = solves.map((x) => hplOperations(n) / (x.gflops * 1e9));
    const total = seconds.reduce((a, b) => a + b, 0);
    return { gflops: (runs * hplOperations(n)) / total / 1e9, time: total / runs };
}
export function parseLinpack(raw: string, params?: LinpackParams): Measurement[] {
    const s = hpccSummary(NAME, "gflops", raw);
    const tflops = summaryNumber(NAME, "gflops", s, "HPL_Tflops");
    const time = summaryNumber(NAME, "hpl_time_s", s, "HPL_time");
    const n = summaryNumber(NAME, "gflops", s, "HPL_N");
    // HPL prints PASSED/FAILED per test; a failed residual check makes the GFLOPS meaningless.
    const hpl = raw.slice(raw.indexOf("Begin of HPL section."), raw.indexOf("End of HPL section."));
    if (/\.\.\.\.\.\. FAILED/.test(hpl))
        throw new ParseError(NAME, "gflops", "HPL's residual check FAILED: the solution is wrong, its GFLOPS are not a result");
    if (tflops <= 0 || n <= 0) throw new ParseError(NAME, "gflops", `HPL did not run (HPL_N=${n}, HPL_Tflops=${tflops}; out of memory?)`);
    if (params && params.memoryPercent === 0) {
        const wanted = Math.floor(params.n / params.nb) * params.nb;
        if (n !== wanted)
            throw new ParseError(NAME, "n", `the output is for N=${n}, the params asked for N=${params.n} (${wanted} after rounding to NB=${params.nb})`);
    }
    const runs = params?.hplRuns ?? 1;
    let value = { gflops: tflops * 1000, time };
    if (runs > 1) {
        // The Summary's HPL_Tflops is the best solve's; the measurement is all of them.
        const solves = hplSolves(hpl);
        if (solves.length !== runs || solves.some((x) => x.n !== n || !(x.gflops > 0)))
            throw new ParseError(
                NAME,
                "gflops",
                `the params asked for ${runs} HPL solves at N=${n}, the HPL section has ${solves.length} (${solves.map((x) => `N=${x.n} ${x.gflops} Gflops`).join(", ") || "none"}; truncated?)`,
            );
        value = overSolves(solves, runs);
    }
    return [
        { metric: "gflops", value: value.gflops, unit: "GFLOPS", better: "higher" },
        { metric: "hpl_time_s", value: value.time, unit: "s", better: "lower" },
    ];
}

export const linpack = hpccWorkload<LinpackParams>({
    name: NAME,
    defaults: { n: 45000, memoryPercent: 0, nb: 128, processes: 0, hplRuns: 1 },
    paramSchema: { n: intParam(1, 10_000_000), memoryPercent: { type: "number", minimum: 0, exclusiveMaximum: 90 }, hplRuns: intParam(1, MAX_HPL_RUNS) },
    size(p) {
        const pct = p.memoryPercent;
        if (typeof pct !== "number" || !(pct >= 0 && pct < 90))
            throw new Error(`${NAME}: parameter memoryPercent must be 0 (use n) or a percentage below 90, got ${JSON.stringify(pct)}`);
        const nShell = pct > 0 ? `$(awk -v m="$mem_kb" 'BEGIN { printf "%d", sqrt(m * 1024 * ${pct} / 100 / 8) }')` : String(positiveInt(NAME, "n", p.n));
        return { nShell, round: "down", hplRuns: p.hplRuns };
    },
    order: (p) => (p.memoryPercent > 0 ? undefined : p.n),
    notes(p) {
        const size = p.memoryPercent > 0 ? `N from ${p.memoryPercent}% of memory` : `N=${p.n}`;
        const runs = p.hplRuns > 1 ? `; ${p.hplRuns} solves per run, gflops over all of them (paper: one)` : "";
        return `HPL of ${HPCC_NOTE}, not Intel's optimized Linpack (not redistributable); ${size}${p.memoryPercent === 0 && p.n === 45000 ? " as the paper" : " (paper: 45000)"}${runs}`;
    },
    parse: parseLinpack,
});
