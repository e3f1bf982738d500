import { strict as assert } from "assert";
import { formatOverhead, formatPercent, groupSamples, overheadPercent, summarize, SummaryRow } from "../../analysis/overhead";
import type { Sample } from "../../experiment/samples";
import { sample } from "../helpers/sample";

const close = (actual: number, expected: number, tol: number, what = "") =>
    assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);


function series(environment: string, metric: string, values: number[], extra: Partial<Sample> = {}): Sample[] {
    return values.map((value) => sample({ environment, metric, value, ...extra }));
}

function row(rows: readonly SummaryRow[], environment: string, metric: string, workload = "sysbench-cpu"): SummaryRow {
    const r = rows.find((x) => x.environment === environment && x.metric === metric && x.workload === workload);
    assert.ok(r, `no row ${environment}/${workload}/${metric}`);
    return r;
}

describe("analysis/overhead", () => {
    describe("sign convention: negative = worse than native", () => {
        it("higher is better: (env / native - 1) · 100", () => {
            close(overheadPercent(78, 100, "higher"), -22, 1e-9, "slower");
            close(overheadPercent(103, 100, "higher"), 3, 1e-9, "faster");
            assert.equal(overheadPercent(100, 100, "higher"), 0);
        });

        it("lower is better: (native / env - 1) · 100, so twice the latency is -50%", () => {
            assert.equal(overheadPercent(200, 100, "lower"), -50);
            assert.equal(overheadPercent(80, 100, "lower"), 25);
            // netperf TCP_RR in Felter et al.: native 37.58 µs, KVM 67.94 µs ("+80% latency").
            close(overheadPercent(67.94, 37.58, "lower"), -44.6865, 1e-3, "netperf");
        });

        it("same relative slowdown gives the same percent in both directions", () => {
            // 1.25x slower: throughput 100 → 80, latency 1.0 → 1.25 ms.
            close(overheadPercent(80, 100, "higher"), overheadPercent(1.25, 1.0, "lower"), 1e-9);
        });

        it("refuses non-positive means", () => {
            assert.throws(() => overheadPercent(0, 100, "lower"), /positive/);
            assert.throws(() => overheadPercent(5, 0, "higher"), /positive/);
        });
    });

    it("formats like the paper: 0%, -4%, -22%, +3%", () => {
        assert.equal(formatPercent(0), "0%");
        assert.equal(formatPercent(-0.4), "0%");
        assert.equal(formatPercent(0.4), "0%");
        assert.equal(formatPercent(-0), "0%");
        assert.equal(formatPercent(-4.4), "-4%");
        assert.equal(formatPercent(-21.6), "-22%");
        assert.equal(formatPercent(3.2), "+3%");
    });

    describe("summarize", () => {
        const samples: Sample[] = [
            ...series("native", "events_per_s", [100, 102]),
            ...series("docker-nat", "events_per_s", [100, 102]),
            ...series("kvm-untuned", "events_per_s", [90, 92]),
            ...series("native", "latency_avg_ms", [1.0, 1.0], { unit: "ms", better: "lower" }),
            ...series("kvm-untuned", "latency_avg_ms", [2.0, 2.0], { unit: "ms", better: "lower" }),
            // a tcg run mixed into kvm-tuned, and a workload that has no native at all
            ...series("kvm-tuned", "events_per_s", [50], { accel: "kvm" }),
            ...series("kvm-tuned", "events_per_s", [10], { accel: "tcg" }),
            ...series("docker-nat", "get_rps", [80000], { workload: "redis", params: "clients=50", unit: "req/s" }),
        ];
        const { rows, problems } = summarize(samples);

        it("one row per (environment, workload, params, metric), native first", () => {
            assert.deepEqual(
                rows.map((r) => `${r.workload}/${r.metric}/${r.environment}`),
                [
                    "redis/get_rps/docker-nat",
                    "sysbench-cpu/events_per_s/native",
                    "sysbench-cpu/events_per_s/docker-nat",
                    "sysbench-cpu/events_per_s/kvm-tuned",
                    "sysbench-cpu/events_per_s/kvm-untuned",
                    "sysbench-cpu/latency_avg_ms/native",
                    "sysbench-cpu/latency_avg_ms/kvm-untuned",
                ],
            );
            assert.deepEqual(problems, []);
        });

        it("statistics per group", () => {
            const r = row(rows, "kvm-untuned", "events_per_s");
            assert.equal(r.stats.n, 2);
            assert.equal(r.stats.mean, 91);
            close(r.stats.stddev!, Math.SQRT2, 1e-12);
            assert.deepEqual(r.values, [90, 92]);
            assert.deepEqual(r.tool_versions, ["1.0.20"]);
        });

        it("native is the baseline", () => {
            assert.deepEqual(row(rows, "native", "events_per_s").overhead, { kind: "baseline" });
            assert.equal(formatOverhead(row(rows, "native", "events_per_s").overhead), "baseline");
        });

        it("higher-is-better overhead with its approximate CI (hand-computed)", () => {
            const o = row(rows, "kvm-untuned", "events_per_s").overhead;
            assert.equal(o.kind, "compared");
            if (o.kind !== "compared") return;
            // ratio 91/101; percent -9.90; delta method: rse = sqrt(2/(2·91²) + 2/(2·101²)) = 0.0147915,
            // Welch df = 1.97865 → t = 4.39339 (1/df interpolation), factor exp(t·rse) = 1.067143.
            close(o.ratio, 91 / 101, 1e-12, "ratio");
            close(o.percent, -9.90099, 1e-4, "percent");
            close(o.ci95!.low, -15.56986, 1e-3, "ci low");
            close(o.ci95!.high, -3.85149, 1e-3, "ci high");
            assert.equal(formatOverhead(o), "-10%");
        });

        it("equal means give 0%", () => {
            const o = row(rows, "docker-nat", "events_per_s").overhead;
            assert.equal(o.kind === "compared" && o.percent, 0);
            assert.equal(formatOverhead(o), "0%");
        });

        it("lower-is-better overhead: twice the latency is -50%; zero spread gives a point CI", () => {
            const o = row(rows, "kvm-untuned", "latency_avg_ms").overhead;
            assert.equal(o.kind, "compared");
            if (o.kind !== "compared") return;
            assert.equal(o.ratio, 2);
            assert.equal(o.percent, -50);
            assert.deepEqual(o.ci95, { low: -50, high: -50 });
            assert.equal(formatOverhead(o), "-50%");
        });

        it("lower-is-better CI maps the ratio interval the other way round", () => {
            const { rows: r2 } = summarize([
                ...series("native", "lat", [91, 92, 90].map((x) => x + 10), { unit: "ms", better: "lower" }), // mean 101
                ...series("kvm", "lat", [90, 92, 91], { unit: "ms", better: "lower" }), // mean 91: faster than native
            ]);
            const o = row(r2, "kvm", "lat").overhead;
            assert.equal(o.kind, "compared");
            if (o.kind !== "compared") return;
            close(o.percent, (101 / 91 - 1) * 100, 1e-9);
            assert.ok(o.ci95!.low < o.percent && o.percent < o.ci95!.high, JSON.stringify(o));
            assert.equal(formatOverhead(o), "+11%");
        });

        it("a group mixing kvm and tcg runs has accel 'mixed'", () => {
            assert.equal(row(rows, "kvm-tuned", "events_per_s").accel, "mixed");
            assert.equal(row(rows, "kvm-untuned", "events_per_s").accel, "kvm");
            assert.equal(row(rows, "native", "events_per_s").accel, "none");
        });

        it("n = 1 on either side gives an overhead without CI", () => {
            const { rows: r2 } = summarize([...series("native", "m", [100, 104]), ...series("kvm", "m", [90])]);
            const o = row(r2, "kvm", "m").overhead;
            assert.equal(o.kind, "compared");
            assert.equal(o.kind === "compared" && o.ci95, null);
            assert.equal(formatOverhead(o), "-12%"); // 90/102 - 1 = -11.8%
        });

        it("missing native is marked and explained, not thrown", () => {
            const o = row(rows, "docker-nat", "get_rps", "redis").overhead;
            assert.equal(o.kind, "no-native");
            if (o.kind !== "no-native") return;
            assert.match(o.reason, /no "native" samples for workload redis, params "clients=50", metric get_rps/);
            assert.equal(formatOverhead(o), "n/a (no native)");
        });

        it("results without any native say so", () => {
            const { rows: r2 } = summarize(series("docker-nat", "events_per_s", [1, 2]));
            const o = r2[0].overhead;
            assert.equal(o.kind, "no-native");
            assert.match(o.kind === "no-native" ? o.reason : "", /contain no "native" environment at all/);
        });

        it("native with other params is not a baseline for these params", () => {
            const { rows: r2 } = summarize([
                ...series("native", "events_per_s", [100], { params: "threads=1" }),
                ...series("docker-nat", "events_per_s", [90], { params: "threads=2" }),
            ]);
            assert.equal(row(r2, "docker-nat", "events_per_s").overhead.kind, "no-native");
        });
    });

    describe("inconsistent groups", () => {
        it("mixed units are reported as a problem and not compared", () => {
            const { groups, problems } = groupSamples([
                ...series("docker-nat", "latency", [1], { unit: "ms", better: "lower" }),
                ...series("docker-nat", "latency", [1000], { unit: "us", better: "lower" }),
            ]);
            assert.equal(groups[0].unit, "mixed (ms, us)");
            assert.equal(problems.length, 1);
            assert.match(problems[0], /environment docker-nat, workload sysbench-cpu, .*metric latency: samples have different units \(ms, us\)/);

            const s = summarize([
                ...series("native", "latency", [1], { unit: "ms", better: "lower" }),
                ...series("docker-nat", "latency", [1], { unit: "ms", better: "lower" }),
                ...series("docker-nat", "latency", [1000], { unit: "us", better: "lower" }),
            ]);
            const o = row(s.rows, "docker-nat", "latency").overhead;
            assert.equal(o.kind, "not-comparable");
            assert.equal(formatOverhead(o), "n/a (not comparable)");
        });

        it("disagreeing directions are reported and not compared", () => {
            const s = summarize([
                ...series("native", "m", [1], { better: "higher" }),
                ...series("kvm", "m", [1], { better: "lower" }),
            ]);
            const o = row(s.rows, "kvm", "m").overhead;
            assert.equal(o.kind, "not-comparable");
            assert.match(o.kind === "not-comparable" ? o.reason : "", /native says higher is better, kvm says lower/);
        });

        it("zero means are not compared", () => {
            const s = summarize([...series("native", "m", [0, 0]), ...series("kvm", "m", [1, 1])]);
            assert.equal(row(s.rows, "kvm", "m").overhead.kind, "not-comparable");
        });
    });
});
