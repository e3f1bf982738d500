/**
 * Writes synthetic sample files shaped like a big real run into <dir>/cells/ (one file per
 * workload × environment × repetition, swept points merged, as the runner writes them) and
 * <dir>/environments.csv. Used by benchmarks/analysis-1m.sh; prints the number of rows.
 * Usage: node -r ts-node/register/transpile-only benchmarks/analysis-1m-generate.ts <dir> <rows>
 */
import * as fs from "fs";
import * as path from "path";
import { Sample, samplesToCsv } from "../core/samples";
import { prng } from "../test/helpers/prng";

const [dir, rowsArg] = process.argv.slice(2);
const target = Number(rowsArg);
if (!dir || !(target > 0)) {
    console.error("usage: analysis-1m-generate.ts <dir> <rows>");
    process.exit(2);
}

interface Point {
    workload: string;
    params: string;
    metric: string;
    unit: string;
    better: "higher" | "lower";
    base: number;
}

const points: Point[] = [];
const redisTests = ["ping_inline", "ping_mbulk", "set", "get", "lpush", "lpop", "sadd"];
for (const clients of [1, 2, 5, 10, 20, 30, 50, 70, 100, 120]) {
    for (const t of redisTests) {
        const params = `dataSize=50;keyspace=100000;requests=100000;clients=${clients};tests=${redisTests.join(",")}`;
        points.push({ workload: "redis", params, metric: `${t}_rps`, unit: "req/s", better: "higher", base: 1000 * Math.min(clients, 20) * 5 });
        points.push({ workload: "redis", params, metric: `${t}_latency_avg_ms`, unit: "ms", better: "lower", base: 0.05 * clients });
        points.push({ workload: "redis", params, metric: `${t}_latency_p99_ms`, unit: "ms", better: "lower", base: 0.2 * clients });
    }
}
for (let threads = 10; threads <= 290; threads += 20) {
    const params = `tableSize=2000000;time=60;threads=${threads}`;
    points.push({ workload: "mysql", params, metric: "tps", unit: "tps", better: "higher", base: 100 * Math.min(threads, 150) });
    points.push({ workload: "mysql", params, metric: "latency_avg_ms", unit: "ms", better: "lower", base: threads / 10 });
    points.push({ workload: "mysql", params, metric: "latency_p95_ms", unit: "ms", better: "lower", base: threads / 5 });
}
for (const job of ["seq_write", "seq_read", "randwrite16", "randwrite16x8", "randread16", "randread16x8", "randrw32x8", "seq_read1"]) {
    const params = "size=1g;runtime=60";
    points.push({ workload: "fio", params, metric: `${job}_bw_mbps`, unit: "MB/s", better: "higher", base: 800 });
    points.push({ workload: "fio", params, metric: `${job}_iops`, unit: "IOPS", better: "higher", base: 80000 });
    for (const p of [50, 90, 99])
        points.push({ workload: "fio", params, metric: `${job}_clat_p${p}_us`, unit: "us", better: "lower", base: 200 * (1 + p / 50) });
}
for (const m of ["events_per_s", "latency_avg_ms", "latency_p95_ms"]) {
    points.push({
        workload: "sysbench-cpu",
        params: "maxPrime=20000;threads=1;timeSeconds=10",
        metric: m,
        unit: m === "events_per_s" ? "events/s" : "ms",
        better: m === "events_per_s" ? "higher" : "lower",
        base: m === "events_per_s" ? 1200 : 0.8,
    });
}

const envs = [
    { environment: "native", env_kind: "native", variant: "", accel: "none", factor: 1 },
    { environment: "docker-nat", env_kind: "docker", variant: "net=nat;storage=volume", accel: "none", factor: 0.75 },
    { environment: "docker-host", env_kind: "docker", variant: "net=host;storage=volume", accel: "none", factor: 0.99 },
    { environment: "kvm-untuned", env_kind: "kvm", variant: "cpu=default", accel: "kvm", factor: 0.8 },
    { environment: "kvm-tuned", env_kind: "kvm", variant: "cpu=host;pin=1:1", accel: "kvm", factor: 0.95 },
] as const;
const workloads = [...new Set(points.map((p) => p.workload))];

// Deterministic pseudo-random noise (mulberry32) so every run of the benchmark reads the same data.
const rand = prng(42).uniform;

fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
let rows = 0;
for (let rep = 1; rows < target; rep++) {
    for (const env of envs) {
        for (const w of workloads) {
            if (rows >= target) break;
            const started = new Date(Date.UTC(2026, 0, 1) + rep * 60000).toISOString();
            let wp = points.filter((p) => p.workload === w);
            if (rows + wp.length > target) wp = wp.slice(0, target - rows);
            const samples: Sample[] = wp.map((p) => {
                const f = p.better === "higher" ? env.factor : 1 / env.factor;
                return {
                    run_id: "bench-1m",
                    stack: "bench",
                    cell_id: `${w}.${env.environment}.r${rep}`,
                    environment: env.environment,
                    env_kind: env.env_kind,
                    variant: env.variant,
                    workload: w,
                    params: p.params,
                    repetition: rep,
                    metric: p.metric,
                    value: Number((p.base * f * (1 + 0.05 * (rand() - 0.5))).toPrecision(6)),
                    unit: p.unit,
                    better: p.better,
                    started_at: started,
                    duration_s: 10,
                    tool: w,
                    tool_version: "1.0",
                    accel: env.accel,
                    host: "bench",
                    kernel: "6.1",
                    cpu_model: "synthetic",
                    notes: "",
                    fingerprint: "",
                    controller: "bench",
                };
            });
            fs.writeFileSync(path.join(dir, "cells", `${w}.${env.environment}.r${rep}.csv`), samplesToCsv(samples));
            rows += samples.length;
        }
    }
}
fs.writeFileSync(
    path.join(dir, "environments.csv"),
    "environment,env_kind,variant,accel,fact,value,declared,measured_at\nnative,native,,none,nproc,2,,2026-01-01T00:00:00Z\n",
);
console.log(rows);
