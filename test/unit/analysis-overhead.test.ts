import { strict as assert } from "assert";
import { formatOverhead, formatPercent, groupSamples, OVERHEAD_CONVENTION, overheadPercent, summarize, SummaryRow } from "../../analysis/overhead";
import { ratioOfMeans } from "../../analysis/ratio";
import { renderMarkdown } from "../../analysis/report";
import type { Sample } from "../../core/samples";
import { sample } from "../helpers/sample";
import { close } from "../helpers/close";

function series(environment: string, metric: string, values: number[], extra: Partial<Sample> = {}): Sample[] {
    return values.map((value) => sample({ environment, metric, value, ...extra }));
}

function row(rows: readonly SummaryRow[], environment: string, metric: string, workload = "sysbench-cpu"): SummaryRow {
    const r = rows.find((x) => x.environment === environment && x.metric === metric && x.workload === workload);
    assert.ok(r, `no row ${environment}/${workload}/${metric}`);
    return r;
}

describe("analysis/overhead", () => {
    describe("sign convention: the change of the metric itself, (env / native − 1) · 100", () => {
        it("throughput 22 % below native is -22% (Felter Table I style)", () => {
            close(overheadPercent(78, 100), -22, 1e-9, "slower");
            close(overheadPercent(103, 100), 3, 1e-9, "faster");
            assert.equal(overheadPercent(100, 100), 0);
        });

        it('latency: KVM\'s 67.94 µs vs native 37.58 µs reads as +81% ("KVM adds ~80% latency")', () => {
            close(overheadPercent(67.94, 37.58), 80.79, 1e-2, "netperf");
            assert.equal(overheadPercent(200, 100), 100);
        });

        it("the convention is stated once and names both examples", () => {
            assert.match(OVERHEAD_CONVENTION, /−22% is a throughput 22 % below native, \+80% a latency 1\.8× native's/);
        });

        it("refuses non-positive means", () => {
            assert.throws(() => overheadPercent(0, 100), /positive/);
            assert.throws(() => overheadPercent(5, 0), /positive/);
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

        it("higher-is-better: change, interval of the ratio as percent, verdict", () => {
            const o = row(rows, "kvm-untuned", "events_per_s").overhead;
            assert.equal(o.kind, "compared");
            if (o.kind !== "compared") return;
            close(o.ratio, 91 / 101, 1e-12, "ratio");
            close(o.percent, -9.90099, 1e-4, "percent");
            // The factory gives every sample its own repetition number: nothing to pair.
            assert.match(o.unpairedReason!, /repetitions differ/);
            const ref = ratioOfMeans([90, 92], [100, 102], 0.95).ci!;
            close(o.ratioCi!.low, ref.low, 1e-12);
            close(o.ci!.low, (ref.low - 1) * 100, 1e-9);
            close(o.ci!.high, (ref.high - 1) * 100, 1e-9);
            assert.equal(o.confidence, 0.95);
            assert.equal(o.method, "log-welch");
            // Even with t(0.975, 2) = 4.3 the interval (about -16%…-4%) excludes 0.
            assert.ok(o.ci!.high < 0 && o.ci!.low > -20, JSON.stringify(o.ci));
            assert.ok(o.p! < 0.05, `p ${o.p}`);
            // Decided with the run's other comparisons: latency (p = 0, no spread) ranks first, this
            // one second of four, so Holm triples its p, which no longer clears 0.05.
            assert.equal(summarize(samples).family, 4);
            close(o.pHolm!, 3 * o.p!, 1e-12);
            assert.ok(o.pHolm! >= 0.05, `p_holm ${o.pHolm}`);
            assert.equal(o.verdict, "not distinguished");
            assert.equal(formatOverhead(o), "-10%");
        });

        it("equal means give 0%", () => {
            const o = row(rows, "docker-nat", "events_per_s").overhead;
            assert.equal(o.kind === "compared" && o.percent, 0);
            assert.equal(formatOverhead(o), "0%");
        });

        it("lower-is-better: twice the latency is +100% and slower; zero spread gives a point interval", () => {
            const o = row(rows, "kvm-untuned", "latency_avg_ms").overhead;
            assert.equal(o.kind, "compared");
            if (o.kind !== "compared") return;
            assert.equal(o.ratio, 2);
            assert.equal(o.percent, 100);
            assert.deepEqual(o.ci, { low: 100, high: 100 });
            assert.equal(o.verdict, "slower");
            assert.equal(formatOverhead(o), "+100%");
        });

        it("lower latency than native is a negative change and faster", () => {
            const { rows: r2 } = summarize([
                ...series("native", "lat", [101, 102, 100], { unit: "ms", better: "lower" }),
                ...series("kvm", "lat", [90, 92, 91], { unit: "ms", better: "lower" }),
            ]);
            const o = row(r2, "kvm", "lat").overhead;
            assert.equal(o.kind, "compared");
            if (o.kind !== "compared") return;
            close(o.percent, (91 / 101 - 1) * 100, 1e-9);
            assert.ok(o.ci!.low < o.percent && o.percent < o.ci!.high, JSON.stringify(o));
            assert.equal(o.verdict, "faster");
            assert.equal(formatOverhead(o), "-10%");
        });

        it("repetitions measured as pairs are paired", () => {
            const reps = (environment: string, values: number[]) => values.map((value, i) => sample({ environment, metric: "m", value, repetition: i + 1 }));
            const { rows: r2 } = summarize([...reps("native", [100, 110, 120, 130]), ...reps("kvm", [90, 99.5, 107.5, 117.5])]);
            const o = row(r2, "kvm", "m").overhead;
            assert.equal(o.kind === "compared" && o.method, "log-paired");
            assert.equal(o.kind === "compared" && o.unpairedReason, undefined);
            assert.equal(o.kind === "compared" && o.verdict, "slower");
        });

        it("simultaneous instances are one unit per repetition: averaged before statistics and pairing", () => {
            const inst = (environment: string, perRep: number[][]) =>
                perRep.flatMap((values, r) =>
                    values.map((value) => sample({ environment, metric: "events_per_s", value, repetition: r + 1, params: "instances=3" })),
                );
            const s = summarize([
                ...inst("native", [
                    [100, 102, 104],
                    [110, 112, 114],
                ]),
                ...inst("kvm", [
                    [90, 91, 92],
                    [99, 100, 101],
                ]),
            ]);
            const kvm = row(s.rows, "kvm", "events_per_s");
            assert.deepEqual(kvm.values, [91, 100]);
            assert.equal(kvm.stats.n, 2, "two repetitions, not six values");
            assert.equal(kvm.instances, 3);
            const o = kvm.overhead;
            assert.equal(o.kind === "compared" && o.method, "log-paired", "one value per repetition pairs with native's");
            assert.match(
                renderMarkdown(s),
                /simultaneous instances: their values are averaged within each repetition .* kvm\/sysbench-cpu\/events_per_s \(3 instances\)/,
            );
        });

        it("<metric>_aggregate at one instance restates the metric and is marked", () => {
            const { rows: r2 } = summarize([
                ...series("native", "events_per_s_aggregate", [5, 6], { params: "instances=1" }),
                ...series("native", "events_per_s_aggregate", [15, 16], { params: "instances=3" }),
            ]);
            assert.equal(r2.find((r) => r.params === "instances=1")!.duplicateOf, "events_per_s");
            assert.equal(r2.find((r) => r.params === "instances=3")!.duplicateOf, undefined);
        });

        it("outliers are flagged and kept in the statistics", () => {
            const { rows: r2 } = summarize(series("native", "m", [10, 11, 10, 12, 11, 50]));
            const r = row(r2, "native", "m");
            assert.deepEqual(r.outliers!.indexes, [5]);
            assert.equal(r.stats.n, 6);
            assert.equal(r.stats.max, 50);
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
            assert.equal(o.kind === "compared" && o.ci, null);
            assert.equal(o.kind === "compared" && o.verdict, "undetermined");
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
            const s2 = summarize(series("docker-nat", "events_per_s", [1, 2]));
            assert.equal(s2.hasNative, false);
            assert.match(s2.problems.join("\n"), /no "native" baseline in these results: statistics are reported/);
            // No comparison, no family: the report does not describe how verdicts it has none of were decided.
            assert.equal(s2.family, 0);
            assert.doesNotMatch(renderMarkdown(s2), /Holm's step-down over the run's/);
            assert.match(
                renderMarkdown(summarize(samples)),
                /Holm's step-down over the run's 4 comparison\(s\) with native .*; of the 2 row\(s\) whose interval excludes 1 on its own, 1 show a difference/,
            );
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
            const s = summarize([...series("native", "m", [1], { better: "higher" }), ...series("kvm", "m", [1], { better: "lower" })]);
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
