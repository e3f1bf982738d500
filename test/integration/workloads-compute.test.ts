/**
 * The self-contained compute, memory and disk workloads (pxz, linpack, stream, likwid-stream,
 * randomaccess, fio, sysbench-memory, sysbench-fileio, stress-ng-cpu) measured through runCell at
 * a tiny scale on the host, in a Docker NAT container (data on a volume) and in a guest (software
 * emulation here).
 * Checks sample counts, units and plausible ranges, the substitution notes, and that nothing is
 * left behind on the shared daemons.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { samplesFromRawFile } from "../../experiment/parse-raw";
import { runCell } from "../../experiment/runner";
import { samplesFromCsv, Sample } from "../../core/samples";
import { getWorkload } from "../../workloads";
import { LiveKind, liveSuite } from "../helpers/live-environments";
import { FULL_MATRIX } from "../helpers/scope";
import { TEST_CELL } from "../helpers/invocation";

const PREFIX = `it4a${process.pid}`;
// Every workload in a software-emulated guest takes most of an hour here (hpcc alone ~3 min each):
// npm test proves the guest path with live-environments.test.ts, test:smoke runs all of it.
const KINDS: readonly LiveKind[] = FULL_MATRIX ? ["native", "docker", "kvm"] : ["native", "docker"];
const WORKLOADS = ["stress-ng-cpu", "sysbench-memory", "sysbench-fileio", "fio", "pxz", "linpack", "stream", "likwid-stream", "randomaccess"] as const;
type Name = (typeof WORKLOADS)[number];

/** Tiny parameters: seconds natively, well under a few minutes in a software-emulated guest. */
const TINY: Readonly<Record<Name, Record<string, number | string>>> = {
    "stress-ng-cpu": { timeSeconds: 1 },
    "sysbench-memory": { totalSize: "16M", timeSeconds: 1 },
    "sysbench-fileio": { totalSize: "16M", timeSeconds: 1 },
    fio: { size: "8m", runtimeSeconds: 1 },
    pxz: { sizeMB: 1 },
    linpack: { n: 512 },
    stream: { arraySize: 100000 },
    "likwid-stream": { arrayMB: 16, seconds: 1 },
    randomaccess: { log2Table: 18 },
};

type Range = readonly [unit: string, low: number, high: number];

const FIO_DIRS: ReadonlyArray<[string, string]> = [
    ["sequential_fill", "write"],
    ["seq_read_1", "read"],
    ["seq_read_2", "read"],
    ["random_write_16", "write"],
    ["random_write_16x8", "write"],
    ["random_read_16", "read"],
    ["random_read_16x8", "read"],
    ["mixed_random_rw_32x8", "read"],
    ["mixed_random_rw_32x8", "write"],
];

const EXPECT: Readonly<Record<Name, Readonly<Record<string, Range>>>> = {
    "stress-ng-cpu": { bogo_ops_per_s: ["bogo-ops/s", 1, 1e7], bogo_ops_per_s_cpu_time: ["bogo-ops/cpu-s", 1, 1e7] },
    "sysbench-memory": {
        read_mib_per_s: ["MiB/s", 10, 1e6],
        read_ops_per_s: ["ops/s", 1e4, 1e9],
        write_mib_per_s: ["MiB/s", 10, 1e6],
        write_ops_per_s: ["ops/s", 1e4, 1e9],
    },
    "sysbench-fileio": Object.fromEntries(
        ["seqrd", "rndrd", "seqwr", "rndwr"].flatMap((m) => [
            [`${m}_mib_per_s`, ["MiB/s", 0.01, 1e5]],
            [`${m}_ops_per_s`, ["ops/s", 1, 1e7]],
            [`${m}_latency_avg_ms`, ["ms", 0, 1e4]],
            [`${m}_latency_p95_ms`, ["ms", 0, 1e4]],
        ]),
    ),
    fio: Object.fromEntries(
        FIO_DIRS.flatMap(([job, dir]) => [
            [`${job}_${dir}_bw_mb_s`, ["MB/s", 0.01, 1e5]],
            [`${job}_${dir}_iops`, ["IOPS", 1, 1e7]],
            [`${job}_${dir}_clat_p50_us`, ["us", 0.1, 1e7]],
            [`${job}_${dir}_clat_p95_us`, ["us", 0.1, 1e7]],
            [`${job}_${dir}_clat_p99_us`, ["us", 0.1, 1e7]],
        ]),
    ),
    pxz: { mb_per_s: ["MB/s", 0.005, 1e4], seconds: ["s", 0.001, 3600], compression_ratio: ["ratio", 2, 10] },
    linpack: { gflops: ["GFLOPS", 0.001, 1e5], hpl_time_s: ["s", 0, 3600] },
    stream: Object.fromEntries(
        ["copy", "scale", "add", "triad"].flatMap((k) => [
            [`${k}_gbps`, ["GB/s", 0.05, 1e4]],
            [`single_${k}_gbps`, ["GB/s", 0.05, 1e4]],
        ]),
    ),
    "likwid-stream": { triad_gbps: ["GB/s", 0.05, 1e4] },
    randomaccess: { gups: ["GUP/s", 1e-6, 100], star_gups: ["GUP/s", 1e-6, 100], single_gups: ["GUP/s", 1e-6, 100] },
};

describe(`workloads: compute, memory and disk, live (${KINDS.join(", ")})`, function () {
    this.timeout(1_800_000);
    const suite = liveSuite({ prefix: PREFIX, kinds: KINDS });

    for (const kind of KINDS) {
        for (const name of WORKLOADS) {
            it(`${name} in ${kind}: samples with units in plausible ranges`, function () {
                const env = suite.live.handles[kind]!;
                const workload = getWorkload(name);
                const cellId = `${name}-${kind}`;
                const csv = runCell(
                    {
                        ...TEST_CELL,
                        stack: PREFIX,
                        runId: "live",
                        resultsDir: suite.resultsDir,
                        cellId,
                        workload: name,
                        params: TINY[name],
                        repetition: 0,
                        env,
                    },
                    workload,
                );
                const samples: Sample[] = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
                const expect = EXPECT[name];
                assert.deepEqual(samples.map((s) => s.metric).sort(), Object.keys(expect).sort(), `${cellId}: metrics`);
                for (const s of samples) {
                    const [unit, low, high] = expect[s.metric];
                    assert.equal(s.unit, unit, `${cellId} ${s.metric}: unit`);
                    assert.ok(s.value >= low && s.value <= high, `${cellId} ${s.metric} = ${s.value} ${s.unit}, expected ${low}..${high}`);
                    assert.equal(s.environment, env.name);
                    assert.equal(s.accel, env.accel);
                    assert.notEqual(s.tool_version, "");
                    if (workload.notes) assert.equal(s.notes, workload.notes({ ...workload.defaults, ...TINY[name] } as never), `${cellId}: notes`);
                }
                // The kept raw output re-parses (isobench parse) to the same values.
                const reparsed = samplesFromRawFile(workload, path.join(suite.resultsDir, "raw", `${cellId}.txt`), TINY[name]);
                assert.deepEqual(
                    reparsed.map((s) => [s.metric, s.value]),
                    samples.map((s) => [s.metric, s.value]),
                );
            });
        }
    }
});
