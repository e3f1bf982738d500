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
 * Metrics: `gflops` (HPL_Tflops × 1000), `hpl_time_s`.
 */
import { HPCC_NOTE, HpccCommonParams, hpccSummary, hpccWorkload, summaryNumber } from "./hpcc";
import { intParam, positiveInt } from "./params";
import type { Measurement } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "linpack";

export type LinpackParams = HpccCommonParams & {
    /** HPL matrix order N (paper: 45000); ignored when memoryPercent > 0. */
    n: number;
    /** > 0: N from this percentage of MemTotal (8·N² bytes); 0: use n. */
    memoryPercent: number;
};

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
    return [
        { metric: "gflops", value: tflops * 1000, unit: "GFLOPS", better: "higher" },
        { metric: "hpl_time_s", value: time, unit: "s", better: "lower" },
    ];
}

export const linpack = hpccWorkload<LinpackParams>({
    name: NAME,
    defaults: { n: 45000, memoryPercent: 0, nb: 128, processes: 0 },
    paramSchema: { n: intParam(1, 10_000_000), memoryPercent: { type: "number", minimum: 0, exclusiveMaximum: 90 } },
    size(p) {
        const pct = p.memoryPercent;
        if (typeof pct !== "number" || !(pct >= 0 && pct < 90))
            throw new Error(`${NAME}: parameter memoryPercent must be 0 (use n) or a percentage below 90, got ${JSON.stringify(pct)}`);
        const nShell = pct > 0 ? `$(awk -v m="$mem_kb" 'BEGIN { printf "%d", sqrt(m * 1024 * ${pct} / 100 / 8) }')` : String(positiveInt(NAME, "n", p.n));
        return { nShell, round: "down" };
    },
    order: (p) => (p.memoryPercent > 0 ? undefined : p.n),
    notes(p) {
        const size = p.memoryPercent > 0 ? `N from ${p.memoryPercent}% of memory` : `N=${p.n}`;
        return `HPL of ${HPCC_NOTE}, not Intel's optimized Linpack (not redistributable); ${size}${p.memoryPercent === 0 && p.n === 45000 ? " as the paper" : " (paper: 45000)"}`;
    },
    parse: parseLinpack,
});
