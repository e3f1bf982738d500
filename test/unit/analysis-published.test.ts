import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "../../core/errors";
import type { Sample } from "../../core/samples";
import { summarize } from "../../analysis/overhead";
import {
    applicableClaims,
    Claim,
    comparePublished,
    evaluateClaim,
    evaluateClaims,
    judgeInterval,
    loadReferences,
    matchesEnv,
    matchesParams,
    parseReference,
    Reference,
    CLAIM_STATUS_MEANING,
    formatTally,
    MULTIPLICITY_RULE,
    tallyClaims,
    linkCeilings,
    unmatchedPublished,
} from "../../analysis/published";
import { sample } from "../helpers/sample";

/** Repetitions 1..n so that environments pair with native. */
function reps(environment: string, workload: string, metric: string, values: number[], extra: Partial<Sample> = {}): Sample[] {
    return values.map((value, i) => sample({ environment, workload, metric, value, repetition: i + 1, ...extra }));
}

const redis = (clients: number) => ({ workload: "redis", params: `dataSize=50;clients=${clients}`, unit: "req/s" });
const rtt = { workload: "netperf", params: "", unit: "us", better: "lower" as const };

describe("analysis/published", () => {
    const refs = loadReferences();
    const felter = refs.find((r) => r.study === "felter2014")!;
    const claim = (id: string): Claim => {
        const c = felter.claims.find((x) => x.id === id);
        assert.ok(c, `claim ${id} in the reference data`);
        return c;
    };

    it("the shipped reference data validates and carries provenance on every value", () => {
        assert.ok(felter, "felter2014.json");
        assert.ok(felter.published.length >= 20);
        for (const p of felter.published) {
            assert.match(p.source, /\S/);
            assert.ok(["EXACT-R", "DERIVED-R", "2nd"].includes(p.status), p.id);
            assert.ok((p.native && p.value) || p.ratio, p.id);
        }
        assert.ok(felter.published.find((p) => p.id === "pxz-kvm-untuned")!.approximate, "percent-only values are approximate");
        const tcp = felter.published.find((p) => p.id === "netperf-tcp-rr-kvm")!;
        assert.deepEqual([tcp.native, tcp.value], [37.58, 67.94]);
    });

    it("malformed reference data is a UserError naming the file and the field", () => {
        assert.throws(
            () => parseReference({ study: "x" }, "/ref/x.json"),
            (e: Error) => e instanceof UserError && /\/ref\/x\.json is malformed: .*title/.test(e.message),
        );
        const bad = JSON.parse(JSON.stringify(felter)) as { claims: { checks: { metric: string }[] }[] };
        bad.claims[0].checks[0].metric = "(";
        assert.throws(() => parseReference(bad, "/ref/y.json"), /metric pattern "\(" is not a regular expression/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "it5-ref-"));
        try {
            fs.writeFileSync(path.join(dir, "a.json"), "{ not json");
            assert.throws(() => loadReferences(dir), /a\.json is not valid JSON/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("environment and params selectors", () => {
        const row = { environment: "my-nat", env_kind: "docker", variant: "net=nat;storage=unionfs" };
        assert.ok(matchesEnv({ kind: "docker", variant: { net: "nat" } }, row));
        assert.ok(!matchesEnv({ kind: "docker", variant: { net: "host" } }, row));
        assert.ok(matchesEnv({ kind: ["kvm", "docker"] }, row));
        assert.ok(!matchesEnv({ names: ["docker-nat"] }, row));
        assert.ok(!matchesEnv({ kind: "native" }, { environment: "native", env_kind: "native", variant: "" }), "native is never a compared environment");
        assert.ok(matchesParams({ clients: { min: 20 } }, "dataSize=50;clients=50"));
        assert.ok(!matchesParams({ clients: { min: 20 } }, "clients=10"));
        assert.ok(!matchesParams({ clients: { min: 20 } }, "dataSize=50"));
        assert.ok(matchesParams({ threads: 50 }, "threads=50"));
    });

    it("judgeInterval: inside → consistent, disjoint → inconsistent, overlapping or missing → inconclusive", () => {
        assert.equal(judgeInterval({ low: 0.6, high: 0.8 }, { max: 1 }), "consistent");
        assert.equal(judgeInterval({ low: 1.01, high: 1.2 }, { max: 1 }), "inconsistent");
        assert.equal(judgeInterval({ low: 0.9, high: 1.1 }, { max: 1 }), "inconclusive");
        assert.equal(judgeInterval(null, { max: 1 }), "inconclusive");
        assert.equal(judgeInterval({ low: 1.7, high: 1.9 }, { min: 1.5, max: 2.1 }), "consistent");
    });

    describe("claims on ratios", () => {
        it("Docker NAT lowers Redis throughput at ≥ 20 clients: consistent, with the numbers", () => {
            const s = summarize([
                ...reps("native", "redis", "get_rps", [100000, 102000, 101000], redis(50)),
                ...reps("docker-nat", "redis", "get_rps", [70000, 72000, 71000], { ...redis(50), variant: "net=nat;storage=volume" }),
                // Below 20 clients the claim says nothing: NAT faster there must not count.
                ...reps("native", "redis", "get_rps", [10000, 10100, 10200], redis(5)),
                ...reps("docker-nat", "redis", "get_rps", [12000, 12100, 12200], { ...redis(5), variant: "net=nat;storage=volume" }),
            ]);
            const r = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), s);
            assert.equal(r.status, "consistent", r.reason);
            assert.equal(r.checks[0].points.length, 1);
            assert.match(r.reason, /docker-nat get_rps @ clients=50: ratio 0\.703 \[0\.6\d+, 0\.7\d+\]/);
            assert.equal(r.part, undefined);
        });

        it("inconsistent when the interval lies entirely outside the expected range", () => {
            const s = summarize([
                ...reps("native", "redis", "get_rps", [100000, 101000, 102000], redis(50)),
                ...reps("docker-nat", "redis", "get_rps", [110000, 111000, 112000], { ...redis(50), variant: "net=nat" }),
            ]);
            const r = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), s);
            assert.equal(r.status, "inconsistent");
            assert.match(r.reason, /outside 0\.62–0\.84/);
        });

        it("a claim about a published value is two-sided: NAT at 0.28× is as inconsistent with the paper's 0.72× as no overhead", () => {
            const s = summarize([
                ...reps("native", "redis", "get_rps", [100000, 101000, 102000], redis(50)),
                ...reps("docker-nat", "redis", "get_rps", [28000, 28300, 28600], { ...redis(50), variant: "net=nat" }),
            ]);
            const r = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), s);
            assert.equal(r.status, "inconsistent", r.reason);
            assert.match(claim("redis-docker-nat-throughput").range_note!, /two-sided around the published 0\.72/);
        });

        it("inconclusive when the interval straddles the edge", () => {
            const s = summarize([
                ...reps("native", "redis", "get_rps", [90000, 110000, 100000], redis(50)),
                ...reps("docker-nat", "redis", "get_rps", [70000, 95000, 80000], { ...redis(50), variant: "net=nat" }),
            ]);
            const r = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), s);
            assert.equal(r.status, "inconclusive");
            assert.match(r.reason, /overlaps the edge/);
        });

        it("not measured here when the workload or metric is absent; inconclusive when one of two checks is", () => {
            const s = summarize(reps("native", "sysbench-cpu", "events_per_s", [1, 2]));
            const r = evaluateClaim("felter2014", claim("netperf-kvm-latency"), s);
            assert.equal(r.status, "not measured here");
            assert.match(r.reason, /not measured: no netperf metric matching/);
            const both: Claim = {
                ...claim("cpu-docker-negligible"),
                checks: [...claim("cpu-docker-negligible").checks, ...claim("netperf-kvm-latency").checks],
            };
            const half = summarize([
                ...reps("native", "sysbench-cpu", "events_per_s", [100, 101, 102]),
                ...reps("docker", "sysbench-cpu", "events_per_s", [100, 101, 102], { env_kind: "docker" }),
            ]);
            const one = evaluateClaim("felter2014", both, half);
            assert.equal(one.status, "inconclusive", one.reason);
            assert.match(one.reason, /not measured: no netperf metric/);
        });

        it("KVM adds ~80% to TCP round trip: consistent from a 1.8× latency under KVM, not judgeable when emulated", () => {
            const measured = (accel: "kvm" | "tcg") =>
                summarize([
                    ...reps("native", "netperf", "tcp_rr_latency_us", [37.5, 37.6, 37.7], rtt),
                    ...reps("kvm-tuned", "netperf", "tcp_rr_latency_us", [67.8, 67.9, 68.1], { ...rtt, accel }),
                ]);
            assert.equal(evaluateClaim("felter2014", claim("netperf-kvm-latency"), measured("kvm")).status, "consistent");
            const r = evaluateClaim("felter2014", claim("netperf-kvm-latency"), measured("tcg"));
            assert.equal(r.status, "not judgeable: emulated", r.reason);
            assert.equal(r.part, undefined, "no point measured without emulation: nothing to judge on its own");
            assert.match(r.reason, /not judged: kvm-tuned \(tcg\) tcp_rr_latency_us: ratio 1\.81/);
            assert.match(CLAIM_STATUS_MEANING["not judgeable: emulated"], /not counted in any tally/);
        });

        it("a claim on Docker and emulated KVM: not judgeable as a whole, out of the tally; its Docker half is judged on its own", () => {
            const triad = { workload: "stream", params: "", unit: "GB/s" };
            const s = summarize([
                ...reps("native", "stream", "triad_gbps", [10.0, 10.1, 10.05], triad),
                ...reps("docker", "stream", "triad_gbps", [10.0, 10.08, 10.04], triad),
                ...reps("kvm-tuned", "stream", "triad_gbps", [2.0, 2.1, 2.05], { ...triad, accel: "tcg" }),
            ]);
            const r = evaluateClaim(
                "felter2014",
                felter.claims.find((c) => c.id === "stream-negligible")!,
                s,
            );
            assert.equal(r.status, "not judgeable: emulated");
            assert.ok(r.part, r.reason);
            assert.equal(r.part.scope, "docker only");
            assert.equal(r.part.status, "consistent", r.part.reason);
            assert.deepEqual(
                r.part.checks[0].points.map((p) => p.environment),
                ["docker"],
            );
            assert.deepEqual(tallyClaims([r]), { consistent: 1, inconsistent: 0, inconclusive: 0, notJudgeable: 1, notApplicable: 0, notMeasured: 0 });
            assert.equal(formatTally(tallyClaims([r])), "1 consistent, 0 inconsistent, 0 inconclusive; 1 not judgeable: emulated (not counted)");
        });

        it("likwid-bench's STREAM triad votes in the STREAM claim and meets the published triad; the copy value it cannot meet is listed with why", () => {
            const triad = { workload: "likwid-stream", params: "", unit: "GB/s" };
            const s = summarize([
                ...reps("native", "likwid-stream", "triad_gbps", [25.0, 25.2, 25.1], triad),
                ...reps("docker", "likwid-stream", "triad_gbps", [25.1, 25.0, 25.2], triad),
            ]);
            const r = evaluateClaim("felter2014", claim("stream-negligible"), s);
            assert.equal(r.status, "consistent", r.reason);
            assert.deepEqual(
                r.checks[0].points.map((p) => [p.workload, p.metric, p.primary]),
                [["likwid-stream", "triad_gbps", true]],
            );
            const matched = comparePublished(refs, s);
            assert.deepEqual(
                matched.map((m) => m.published.id),
                ["stream-triad-docker"],
            );
            const copy = unmatchedPublished(refs, s, matched).find((u) => u.published.id === "stream-copy-kvm");
            assert.equal(copy?.why, "no likwid-stream metric matching /^copy_gbps$/");
        });

        it("union FS vs volume is the ratio of the two Docker environments on real I/O, not of either to native", () => {
            const fio = { workload: "fio", params: "", unit: "IOPS" };
            const metric = "random_write_16x8_write_iops";
            const s = summarize([
                ...reps("native", "fio", metric, [50000, 50500, 51000], fio),
                ...reps("docker-vol", "fio", metric, [49000, 49500, 50000], { ...fio, env_kind: "docker", variant: "net=nat;storage=volume" }),
                ...reps("docker-ufs", "fio", metric, [30000, 30500, 31000], { ...fio, env_kind: "docker", variant: "net=nat;storage=unionfs" }),
            ]);
            const r = evaluateClaim("felter2014", claim("unionfs-slower-than-volume"), s);
            assert.equal(r.status, "consistent", r.reason);
            assert.deepEqual(
                r.checks[0].points.map((p) => [p.environment, p.baseline]),
                [["docker-ufs", "docker-vol"]],
            );
            // The read-only MySQL load is not evidence for or against it.
            const mysql = summarize([
                ...reps("docker-vol", "mysql", "transactions_per_s", [9000, 9050, 9020], {
                    workload: "mysql",
                    env_kind: "docker",
                    variant: "net=nat;storage=volume",
                }),
                ...reps("docker-ufs", "mysql", "transactions_per_s", [7000, 6950, 6980], {
                    workload: "mysql",
                    env_kind: "docker",
                    variant: "net=nat;storage=unionfs",
                }),
            ]);
            const untested = evaluateClaim("felter2014", claim("unionfs-slower-than-volume"), mysql);
            assert.equal(untested.status, "not measured here");
            assert.match(untested.reason, /not measured: no fio metric/);
            assert.deepEqual(tallyClaims([untested]), { consistent: 0, inconsistent: 0, inconclusive: 0, notJudgeable: 0, notApplicable: 0, notMeasured: 1 });
            assert.equal(formatTally(tallyClaims([untested])), "0 consistent, 0 inconsistent, 0 inconclusive; 1 not measured here (not counted)");
            // Without a volume environment to compare with, the union FS alone does not test it either.
            const noVolume = summarize([
                ...reps("native", "fio", metric, [50000, 50500, 51000], fio),
                ...reps("docker-ufs", "fio", metric, [30000, 30500, 31000], { ...fio, env_kind: "docker", variant: "net=nat;storage=unionfs" }),
            ]);
            assert.equal(evaluateClaim("felter2014", claim("unionfs-slower-than-volume"), noVolume).status, "not measured here");
        });

        it("a link-ceiling claim: not applicable without a link fact, out of the tally; judged on the mean where the traffic crossed 10 GbE", () => {
            const gbps = { workload: "nuttcp", params: "", unit: "Gb/s" };
            const s = summarize([
                ...reps("native", "nuttcp", "transmit_gbps", [30, 31, 32], gbps),
                ...reps("docker-nat", "nuttcp", "transmit_gbps", [9.3, 9.32, 9.34], { ...gbps, env_kind: "docker", variant: "net=nat" }),
            ]);
            const here = evaluateClaim("felter2014", claim("nuttcp-line-rate"), s);
            assert.equal(here.status, "not applicable here");
            assert.match(here.reason, /no link_gbps fact .* for docker-nat: client and server share the host/);
            assert.deepEqual(tallyClaims([here]), { consistent: 0, inconsistent: 0, inconclusive: 0, notJudgeable: 0, notApplicable: 1, notMeasured: 0 });
            const linked = evaluateClaim("felter2014", claim("nuttcp-line-rate"), s, {
                linkGbps: linkCeilings([{ environment: "docker-nat", fact: "link_gbps", value: "10" }]),
            });
            assert.equal(linked.status, "consistent", linked.reason);
            assert.match(linked.reason, /docker-nat transmit_gbps: mean 9\.32 Gb\/s \[9\.2\d, 9\.3\d\]/);
            const slow = summarize([
                ...reps("native", "nuttcp", "transmit_gbps", [9.3, 9.32, 9.34], gbps),
                ...reps("docker-nat", "nuttcp", "transmit_gbps", [6.1, 6.2, 6.3], { ...gbps, env_kind: "docker", variant: "net=nat" }),
            ]);
            assert.equal(evaluateClaim("felter2014", claim("nuttcp-line-rate"), slow, { linkGbps: new Map([["docker-nat", 10]]) }).status, "inconsistent");
            assert.equal(
                evaluateClaim("felter2014", claim("nuttcp-line-rate"), slow, { linkGbps: new Map([["docker-nat", 1]]) }).status,
                "not applicable here",
            );
        });

        it("a check needs a ratio or a value range, not both", () => {
            const bad = JSON.parse(JSON.stringify({ ...felter, claims: [claim("nuttcp-line-rate")] }));
            bad.claims[0].checks[0].ratio = { min: 0.9 };
            assert.throws(
                () => parseReference(bad, "/ref/x.json"),
                (e: Error) => e instanceof UserError && /must match exactly one schema in oneOf/.test(e.message),
            );
        });

        it("no native: claims are inconclusive and say why", () => {
            const s = summarize(reps("docker-nat", "redis", "get_rps", [1, 2, 3], { ...redis(50), variant: "net=nat" }));
            const r = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), s);
            assert.equal(r.status, "inconclusive");
            assert.match(r.reason, /no native baseline in the run/);
        });

        it("evaluateClaims covers every claim of every study", () => {
            const s = summarize(reps("native", "sysbench-cpu", "events_per_s", [1, 2]));
            assert.equal(
                evaluateClaims(refs, s).length,
                refs.reduce((n, r: Reference) => n + r.claims.length, 0),
            );
        });
    });

    it("published values next to ours: ratio, our interval, whether the published ratio is inside it", () => {
        const s = summarize([
            ...reps("native", "netperf", "tcp_rr_latency_us", [37.5, 37.6, 37.7], rtt),
            ...reps("kvm-untuned", "netperf", "tcp_rr_latency_us", [67.8, 67.9, 68.1], rtt),
            ...reps("docker-nat", "netperf", "tcp_rr_latency_us", [40, 41, 42], { ...rtt, variant: "net=nat" }),
        ]);
        const cmp = comparePublished(refs, s);
        const tcp = cmp.filter((c) => c.published.id === "netperf-tcp-rr-kvm");
        assert.equal(tcp.length, 1, "only the KVM environment maps to the published KVM value");
        assert.equal(tcp[0].environment, "kvm-untuned");
        assert.ok(Math.abs(tcp[0].publishedRatio - 67.94 / 37.58) < 1e-12);
        assert.ok(Math.abs(tcp[0].ratio - 67.933333 / 37.6) < 1e-5);
        assert.equal(tcp[0].publishedInsideCi, true);
    });

    it("every study's reference file validates; KEK and Flux7 compare Docker with KVM through a baseline", () => {
        assert.deepEqual(
            refs.map((r) => r.study),
            ["felter2014", "flux7-2014", "kek-hepix2015"],
        );
        const kek = refs.find((r) => r.study === "kek-hepix2015")!;
        const ready = kek.claims.find((c) => c.id === "kek-ready-docker-faster")!;
        assert.deepEqual(ready.checks[0].baseline, { kind: "kvm" });
    });

    it("a check with a baseline divides by that environment, not by native", () => {
        const life = { workload: "lifecycle", params: "instances=1", unit: "s", better: "lower" as const };
        const samples = [
            ...reps("native", "lifecycle", "create_ready_s", [0.01, 0.011, 0.012], life),
            ...reps("docker", "lifecycle", "create_ready_s", [1.0, 1.1, 0.9], life),
            ...reps("kvm", "lifecycle", "create_ready_s", [90, 95, 100], life),
        ];
        const faster: Claim = {
            id: "t",
            text: "Docker is ready faster than KVM",
            source: "test",
            checks: [
                {
                    what: "Docker / KVM",
                    env: { kind: "docker" },
                    baseline: { kind: "kvm" },
                    workloads: ["lifecycle"],
                    metric: "^create_ready_s$",
                    primary: { lifecycle: "create_ready_s" },
                    params: {},
                    ratio: { max: 0.1 },
                },
            ],
        };
        const r = evaluateClaim("test", faster, summarize(samples));
        assert.equal(r.status, "consistent", r.reason);
        const p = r.checks[0].points;
        assert.equal(p.length, 1);
        assert.equal(p[0].baseline, "kvm");
        assert.ok(Math.abs(p[0].ratio - 3.0 / 285) < 1e-9, String(p[0].ratio));
        assert.match(r.reason, /docker \/ kvm create_ready_s: ratio 0\.0105/);
        const slower = { ...faster, checks: [{ ...faster.checks[0], ratio: { min: 1 } }] };
        assert.equal(evaluateClaim("test", slower, summarize(samples)).status, "inconsistent");
        const noBase = { ...faster, checks: [{ ...faster.checks[0], baseline: { names: ["absent"] } }] };
        const missing = evaluateClaim("test", noBase, summarize(samples));
        assert.equal(missing.status, "not measured here");
        assert.match(missing.reason, /no baseline environment matching/);
    });

    it("a published value of a measured workload without a point of ours is listed as no matching point, with what is missing", () => {
        const mysql = { workload: "mysql", unit: "tps" };
        const s = summarize([
            ...reps("native", "mysql", "transactions_per_s", [9100, 9150, 9130], { ...mysql, params: "threads=30" }),
            ...reps("kvm-mysql", "mysql", "transactions_per_s", [4100, 4150, 4130], { ...mysql, params: "threads=30", env_kind: "kvm" }),
        ]);
        const none = unmatchedPublished(refs, s, comparePublished(refs, s));
        const kvm50 = none.find((u) => u.published.id === "mysql-50-kvm");
        assert.ok(kvm50);
        assert.equal(kvm50.why, 'no mysql point at {"threads":50}');
        assert.ok(
            none.every((u) => u.published.workloads.includes("mysql")),
            "values of workloads not measured are not listed",
        );
    });

    it("only claims about measured workloads are evaluated", () => {
        const s = summarize([
            ...reps("native", "netperf", "tcp_rr_latency_us", [37, 38, 39], rtt),
            ...reps("kvm-tuned", "netperf", "tcp_rr_latency_us", [67, 68, 69], rtt),
        ]);
        const { claims, skipped } = applicableClaims(refs, s);
        assert.deepEqual(claims.map((c) => c.claim.id).sort(), ["netperf-docker-nat-latency", "netperf-kvm-latency", "netperf-kvm-udp-latency"]);
        assert.equal(skipped, refs.reduce((n, r) => n + r.claims.length, 0) - 3);
        assert.equal(claims.find((c) => c.claim.id === "netperf-kvm-latency")!.status, "consistent");
    });

    describe("one vote per measurement: primary metric, duplicates, multiplicity", () => {
        const nat = { ...redis(50), variant: "net=nat" };

        it("only the primary metric votes; the others are shown and said to be", () => {
            const s = summarize([
                ...reps("native", "redis", "get_rps", [100000, 101000, 102000], redis(50)),
                ...reps("docker-nat", "redis", "get_rps", [70000, 71000, 72000], nat),
                // SET faster through NAT would make the claim inconsistent if it voted.
                ...reps("native", "redis", "set_rps", [100000, 101000, 102000], redis(50)),
                ...reps("docker-nat", "redis", "set_rps", [120000, 121000, 122000], nat),
            ]);
            const r = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), s);
            assert.equal(r.status, "consistent", r.reason);
            assert.match(r.reason, /1 point\(s\) of other metrics shown, not voted/);
            assert.deepEqual(
                r.checks[0].points.map((p) => [p.metric, p.primary, p.status]),
                [
                    ["get_rps", true, "consistent"],
                    ["set_rps", false, "inconsistent"],
                ],
            );
            const onlySet = summarize([...reps("native", "redis", "set_rps", [1, 2, 3], redis(50)), ...reps("docker-nat", "redis", "set_rps", [1, 2, 3], nat)]);
            const missing = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), onlySet);
            assert.equal(missing.status, "inconclusive");
            assert.match(missing.reason, /primary metric get_rps not measured \(other metrics shown, not voted\)/);
        });

        it("a claim's every reference check names a primary metric that its pattern matches", () => {
            for (const ref of refs)
                for (const c of ref.claims)
                    for (const k of c.checks) for (const w of k.workloads) assert.match(k.primary[w], new RegExp(k.metric), `${c.id} ${w}`);
            const bad = JSON.parse(JSON.stringify(felter)) as { claims: { checks: { primary: Record<string, string> }[] }[] };
            bad.claims[0].checks[0].primary = { redis: "set_latency_avg_ms" };
            assert.throws(() => parseReference(bad, "/ref/z.json"), /primary metric set_latency_avg_ms does not match "_rps\$"/);
        });

        it("IOPS and bandwidth of one fio job are one measurement: the bandwidth is marked and not a second point", () => {
            const fio = { workload: "fio", params: "", unit: "IOPS" };
            const s = summarize([
                ...reps("native", "fio", "random_read_16x8_read_iops", [84000, 84100, 84050], fio),
                ...reps("docker", "fio", "random_read_16x8_read_iops", [84000, 84050, 84100], fio),
                ...reps("native", "fio", "random_read_16x8_read_bw_mb_s", [344, 344.5, 344.2], { ...fio, unit: "MB/s" }),
                ...reps("docker", "fio", "random_read_16x8_read_bw_mb_s", [344, 344.3, 344.4], { ...fio, unit: "MB/s" }),
            ]);
            assert.equal(s.rows.find((r) => r.metric === "random_read_16x8_read_bw_mb_s")!.duplicateOf, "random_read_16x8_read_iops");
            const r = evaluateClaim("felter2014", claim("fio-docker-native"), s);
            assert.deepEqual(
                r.checks[0].points.map((p) => p.metric),
                ["random_read_16x8_read_iops"],
            );
        });

        it("netperf's round-trip latency restates its transactions per second; the latency claim still votes with it", () => {
            const nat = { ...rtt, variant: "net=nat" };
            const tps = { unit: "trans/s", better: "higher" as const };
            const s = summarize([
                ...reps("native", "netperf", "tcp_rr_tps", [20000, 20100, 19900], { ...rtt, ...tps }),
                ...reps("docker-nat", "netperf", "tcp_rr_tps", [11000, 11100, 10900], { ...nat, ...tps }),
                ...reps("native", "netperf", "tcp_rr_latency_us", [50, 49.75, 50.25], rtt),
                ...reps("docker-nat", "netperf", "tcp_rr_latency_us", [90.9, 90.1, 91.7], nat),
            ]);
            assert.equal(s.rows.find((r) => r.metric === "tcp_rr_latency_us")!.duplicateOf, "tcp_rr_tps");
            assert.equal(s.family, 1);
            const r = evaluateClaim("felter2014", claim("netperf-docker-nat-latency"), s);
            assert.deepEqual(
                r.checks[0].points.map((p) => p.metric),
                ["tcp_rr_latency_us"],
            );
        });

        it("several points: Holm's correction keeps one marginal point from deciding; alone it would", () => {
            const point = (clients: number, env: number[]) => [
                ...reps("native", "redis", "get_rps", [100, 101, 102], redis(clients)),
                ...reps("docker-nat", "redis", "get_rps", env, { ...redis(clients), variant: "net=nat" }),
            ];
            // At 50 clients NAT costs less than the paper's range allows: interval [0.848, 0.917], two-sided p ≈ 0.03 against ≤ 0.84.
            const marginal = point(
                50,
                [103, 107, 108].map((v) => v * 0.84),
            );
            const alone = evaluateClaim("felter2014", claim("redis-docker-nat-throughput"), summarize(marginal));
            assert.equal(alone.status, "inconsistent", alone.reason);
            const three = evaluateClaim(
                "felter2014",
                claim("redis-docker-nat-throughput"),
                summarize([...point(20, [70, 71, 72]), ...marginal, ...point(100, [70, 71, 72])]),
            );
            assert.equal(three.status, "inconclusive", three.reason);
            assert.match(three.reason, /Holm over 3 voting points/);
            assert.match(MULTIPLICITY_RULE, /Holm's step-down correction .* intersection–union test/);
        });
    });
});
