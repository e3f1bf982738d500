/**
 * STREAM (Felter et al. 2014, §STREAM): the STREAM of Debian's hpcc, the code the paper's
 * modified STREAM was taken from. The paper ran one OpenMP process with 32 threads over arrays of
 * 1 650 163 200 doubles; hpcc runs one single-threaded STREAM per MPI process at the same time
 * ("StarSTREAM"), one process per CPU, so the system's bandwidth is the per-process rate times the
 * process count. Array size is the paper's total per array by default, split over the processes;
 * hpcc sizes it from HPL's N (N = √(3 · arraySize)), and runs HPL at that N too (see hpcc.ts), so
 * small hosts must lower arraySize.
 *
 * Metrics (GB/s = 10^9 B/s, as STREAM): `copy_gbps`, `scale_gbps`, `add_gbps`, `triad_gbps`
 * (all processes together), `single_<kernel>_gbps` (one process alone, "SingleSTREAM").
 */
import { HPCC_NOTE, HpccCommonParams, hpccSummary, hpccWorkload, summaryNumber } from "./hpcc";
import { intParam, positiveInt } from "./params";
import type { Measurement } from "./workload";
import { ParseError } from "../core/errors";

const NAME = "stream";
const KERNELS = ["Copy", "Scale", "Add", "Triad"] as const;

export type StreamParams = HpccCommonParams & {
    /** Elements (doubles) per array, all processes together (paper: 1650163200). */
    arraySize: number;
};

export function parseStream(raw: string, params?: StreamParams): Measurement[] {
    const s = hpccSummary(NAME, "triad_gbps", raw);
    const procs = summaryNumber(NAME, "triad_gbps", s, "CommWorldProcs");
    const vector = summaryNumber(NAME, "triad_gbps", s, "STREAM_VectorSize");
    if (!/Solution Validates/.test(raw))
        throw new ParseError(NAME, "triad_gbps", `STREAM did not print "Solution Validates": its results failed validation or were cut off`);
    if (params && vector * procs < params.arraySize * 0.99) {
        throw new ParseError(
            NAME,
            "arraySize",
            `the output has ${vector} doubles per array in each of ${procs} processes (${vector * procs} in all), the params asked for ${params.arraySize}`,
        );
    }
    const out: Measurement[] = [];
    for (const k of KERNELS) {
        const metric = `${k.toLowerCase()}_gbps`;
        out.push({ metric, value: summaryNumber(NAME, metric, s, `StarSTREAM_${k}`) * procs, unit: "GB/s", better: "higher" });
    }
    for (const k of KERNELS) {
        const metric = `single_${k.toLowerCase()}_gbps`;
        out.push({ metric, value: summaryNumber(NAME, metric, s, `SingleSTREAM_${k}`), unit: "GB/s", better: "higher" });
    }
    return out;
}

export const stream = hpccWorkload<StreamParams>({
    name: NAME,
    defaults: { arraySize: 1650163200, processes: 0, nb: 128 },
    paramSchema: { arraySize: intParam(1, 100_000_000_000) },
    size(p) {
        const size = positiveInt(NAME, "arraySize", p.arraySize);
        return { nShell: `$(awk 'BEGIN { printf "%d", sqrt(3 * ${size}) + 1 }')`, round: "up" };
    },
    order: (p) => Math.floor(Math.sqrt(3 * p.arraySize)) + 1,
    notes: (p) =>
        `STREAM of ${HPCC_NOTE}: one single-threaded STREAM per MPI process (paper: one 32-thread OpenMP STREAM); ${p.arraySize} doubles per array in all (paper: 1650163200)`,
    parse: parseStream,
});
