/**
 * RandomAccess (Felter et al. 2014, §RandomAccess): HPCC RandomAccess from Debian's hpcc instead
 * of the paper's single-node OpenMP rewrite of it (fixed table of 2^33 words, 10^9 updates). The
 * table size follows the paper by default (`log2Table` 33, 64 GiB); hpcc derives it from HPL's N
 * (N = √(2^log2Table)) and runs HPL at that N too (see hpcc.ts), so small hosts must lower it.
 *
 * Metrics (GUP/s, 10^9 updates per second): `gups` (MPIRandomAccess: one table spread over all
 * processes, the whole system as in the paper), `star_gups` (each process its own table, all at
 * once, average per process), `single_gups` (one process alone).
 */
import { HPCC_NOTE, HpccCommonParams, hpccSummary, hpccWorkload, summaryNumber } from "./hpcc";
import { intParam, positiveInt } from "./params";
import type { Measurement } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "randomaccess";

export type RandomAccessParams = HpccCommonParams & {
    /** log2 of the table size in 64-bit words (paper: 33). */
    log2Table: number;
};

export function parseRandomAccess(raw: string, params?: RandomAccessParams): Measurement[] {
    const s = hpccSummary(NAME, "gups", raw);
    const table = summaryNumber(NAME, "gups", s, "MPIRandomAccess_N");
    const errors = summaryNumber(NAME, "gups", s, "MPIRandomAccess_ErrorsFraction");
    // HPCC's own rule: more than 1% wrong table entries invalidates the run.
    if (errors > 0.01) throw new ParseError(NAME, "gups", `MPIRandomAccess verification failed: ${errors * 100}% of the table is wrong (HPCC allows 1%)`);
    if (params && table !== 2 ** params.log2Table) {
        throw new ParseError(NAME, "log2Table", `the output's table has ${table} words, the params asked for 2^${params.log2Table} = ${2 ** params.log2Table}`);
    }
    return [
        { metric: "gups", value: summaryNumber(NAME, "gups", s, "MPIRandomAccess_GUPs"), unit: "GUP/s", better: "higher" },
        { metric: "star_gups", value: summaryNumber(NAME, "star_gups", s, "StarRandomAccess_GUPs"), unit: "GUP/s", better: "higher" },
        { metric: "single_gups", value: summaryNumber(NAME, "single_gups", s, "SingleRandomAccess_GUPs"), unit: "GUP/s", better: "higher" },
    ];
}

export const randomAccess = hpccWorkload<RandomAccessParams>({
    name: NAME,
    defaults: { log2Table: 33, processes: 0, nb: 128 },
    paramSchema: { log2Table: intParam(10, 40) },
    size(p) {
        const l = positiveInt(NAME, "log2Table", p.log2Table);
        if (l < 10 || l > 40) throw new Error(`${NAME}: parameter log2Table must be between 10 and 40, got ${l}`);
        // The table is the largest power of two not above N² words: N = ⌈√(2^l)⌉, rounded up to NB.
        return { nShell: `$(awk 'BEGIN { printf "%d", sqrt(2 ^ ${l}) + 0.999999 }')`, round: "up" };
    },
    order: (p) => Math.ceil(Math.sqrt(2 ** p.log2Table)),
    notes: (p) => `RandomAccess of ${HPCC_NOTE} (paper: single-node OpenMP rewrite, 10^9 updates); table 2^${p.log2Table} words (paper: 2^33)`,
    parse: parseRandomAccess,
});
