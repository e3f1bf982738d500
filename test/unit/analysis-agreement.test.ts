/**
 * analysis/agreement.ts on made-up runs whose agreement is known by construction: which verdicts
 * and claim statuses agree, what is left out and why, and the pass/fail against the bar.
 */
import { strict as assert } from "assert";
import { parse } from "csv-parse/sync";
import type { Sample } from "../../core/samples";
import { summarize, Summary } from "../../analysis/overhead";
import { applicableClaims, ClaimResult, loadReferences } from "../../analysis/published";
import {
    AGREEMENT_COLUMNS,
    agreementLine,
    agreementOf,
    agreementToCsv,
    formatShare,
    renderAgreementMarkdown,
    verdictDifference,
} from "../../analysis/agreement";
import { sample } from "../helpers/sample";

/** Repetitions 1..n so that environments pair with native. */
function reps(environment: string, workload: string, metric: string, values: number[], extra: Partial<Sample> = {}): Sample[] {
    return values.map((value, i) => sample({ environment, workload, metric, value, repetition: i + 1, ...extra }));
}

/** Values around 100 whose change vs native (native ≈ 100) is shown slower, shown faster or not shown with 3 paired repetitions. */
const NATIVE = [100, 101, 99];
const SLOWER = [90, 91, 89];
const FASTER = [110, 111, 109];
const UNSHOWN = [90, 112, 100];

/** One run: native and docker-nat at `points` sysbench points; docker-nat's values per point from `verdicts`. */
function run(verdicts: readonly number[][], extra: Sample[] = []): Summary {
    const samples = verdicts.flatMap((values, i) => {
        const at = { params: `threads=1;point=${i}` };
        return [...reps("native", "sysbench-cpu", "events_per_s", NATIVE, at), ...reps("docker-nat", "sysbench-cpu", "events_per_s", values, at)];
    });
    return summarize([...samples, ...extra]);
}

const agree = (a: Summary, b: Summary, bar?: number, claims: [ClaimResult[], ClaimResult[]] = [[], []]) =>
    agreementOf({ summary: a, claims: claims[0] }, { summary: b, claims: claims[1] }, bar);

describe("analysis/agreement", () => {
    it("a run against itself: every verdict agrees, the intervals overlap, PASS", () => {
        const a = run([SLOWER, FASTER, UNSHOWN]);
        const r = agree(a, a);
        assert.deepEqual([r.comparisonsAgreeing, r.comparisonsCounted, r.pass], [3, 3, true]);
        assert.ok(r.comparisons.every((c) => c.intervalsOverlap === true));
        assert.equal(
            agreementLine(r),
            "agreement: PASS — 0 of 0 claim statuses agree, 3 of 3 change-vs-native verdicts agree (100.0 %); bar: every claim status and ≥ 95 % of the verdicts",
        );
    });

    it("names the kind of each disagreement and lists it with both verdicts and intervals", () => {
        assert.equal(verdictDifference("faster", "slower"), "opposite");
        assert.equal(verdictDifference("not distinguished", "slower"), "difference shown in one run only");
        assert.equal(verdictDifference("undetermined", "faster"), "undetermined in one run");
        assert.equal(verdictDifference("faster", "faster"), undefined);

        const a = run([SLOWER, FASTER, UNSHOWN, SLOWER]);
        const b = run([SLOWER, SLOWER, SLOWER, SLOWER]);
        const r = agree(a, b);
        assert.deepEqual([r.comparisonsAgreeing, r.comparisonsCounted, r.pass], [2, 4, false]);
        const diff = r.comparisons.filter((c) => c.difference);
        assert.deepEqual(
            diff.map((c) => [c.params, c.base!.verdict, c.other!.verdict, c.difference, c.intervalsOverlap]),
            [
                ["threads=1;point=1", "faster", "slower", "opposite", false],
                ["threads=1;point=2", "not distinguished", "slower", "difference shown in one run only", true],
            ],
        );
        const md = renderAgreementMarkdown(r);
        assert.match(md, /### Change-vs-native verdicts: 2 of 4 agree \(50\.0 %\)/);
        assert.match(md, /Disagreements: difference shown in one run only 1, opposite 1\./);
        assert.match(
            md,
            /\| sysbench-cpu \| point=1 \| events_per_s \| docker-nat \| faster \| \+10% \[\+\d+%, \+\d+%\] \| slower \| -10% \[-\d+%, -\d+%\] \| no \| opposite \|/,
        );
        assert.match(
            md,
            /\| sysbench-cpu \| point=2 \| events_per_s \| docker-nat \| not distinguished \| [^|]+ \| slower \| [^|]+ \| yes \| difference shown in one run only \|/,
        );
        assert.match(agreementLine(r), /^agreement: FAIL — .*2 of 4 change-vs-native verdicts agree \(50\.0 %\)/);
    });

    it("the bar: 19 of 20 (95 %) passes, 18 of 20 fails; a stricter bar fails 19 of 20", () => {
        const twenty = (flips: number) => Array.from({ length: 20 }, (_, i) => (i < flips ? FASTER : SLOWER));
        const base = run(twenty(0));
        const one = agree(base, run(twenty(1)));
        assert.deepEqual([one.comparisonsAgreeing, one.comparisonsCounted, one.pass], [19, 20, true]);
        assert.deepEqual([agree(base, run(twenty(2))).pass, agree(base, run(twenty(1)), 0.96).pass], [false, false]);
        assert.match(agreementLine(agree(base, run(twenty(1)), 0.96)), /≥ 96 % of the verdicts$/);
        assert.throws(() => agree(base, base, 0), /agreement bar must be in \(0, 1\]/);
        // Shown rounded down, so a share shown as 95.0 % never fails a 95 % bar.
        assert.equal(formatShare(1899, 2000), "94.9 %");
        assert.equal(formatShare(105, 127), "82.6 %");
    });

    it("stacks that differ: only the intersection is counted, the rest named by reason, environment and workload", () => {
        const a = run(
            [SLOWER, SLOWER],
            [
                ...reps("native", "redis", "get_rps", NATIVE, { params: "clients=50" }),
                ...reps("docker-nat", "redis", "get_rps", SLOWER, { params: "clients=50" }),
            ],
        );
        const b = run([SLOWER, SLOWER, SLOWER], [...reps("docker-host", "sysbench-cpu", "events_per_s", SLOWER, { params: "threads=1;point=0" })]);
        const r = agree(a, b);
        assert.deepEqual([r.comparisonsAgreeing, r.comparisonsCounted, r.pass], [2, 2, true]);
        const left = r.comparisons.filter((c) => !c.counted).map((c) => [c.workload, c.environment, c.params, c.leftOut]);
        assert.deepEqual(left, [
            ["redis", "docker-nat", "clients=50", "only in the base run"],
            ["sysbench-cpu", "docker-host", "threads=1;point=0", "only in the other run"],
            ["sysbench-cpu", "docker-nat", "threads=1;point=2", "only in the other run"],
        ]);
        const md = renderAgreementMarkdown(r);
        assert.match(md, /Left out \(3 comparison\(s\)\):/);
        assert.match(
            md,
            /- only in the other run: 2 — environments the base run does not have: docker-host; by environment: docker-host 1, docker-nat 1; by workload: sysbench-cpu 2\. sysbench-cpu events_per_s @ point=0 on docker-host; sysbench-cpu events_per_s @ point=2 on docker-nat\n/,
        );
        assert.match(
            md,
            /- only in the base run: 1 — workloads the other run does not have: redis; by environment: docker-nat 1; by workload: redis 1\. redis get_rps on docker-nat/,
        );
    });

    it("points spelt with other params in the other run are named as such", () => {
        const a = run([SLOWER]);
        const b = summarize([
            ...reps("native", "sysbench-cpu", "events_per_s", NATIVE, { params: "point=0" }),
            ...reps("docker-nat", "sysbench-cpu", "events_per_s", SLOWER, { params: "point=0" }),
        ]);
        const r = agree(a, b);
        assert.deepEqual([r.comparisonsCounted, r.pass], [0, false]);
        assert.match(agreementLine(r), /FAIL — 0 of 0 claim statuses agree, no change-vs-native verdict both runs could judge;/);
        assert.match(
            renderAgreementMarkdown(r),
            /1 comparison\(s\) of the base run have the same workload, metric and environment in the other run at params spelt differently \(e\.g\. sysbench-cpu events_per_s on docker-nat: base `threads=1;point=0`, other `point=0`\)/,
        );
    });

    it("leaves out comparisons emulated in either run, whatever their verdicts", () => {
        const kvm = (values: number[], accel: Sample["accel"]) =>
            reps("kvm-tuned", "sysbench-cpu", "events_per_s", values, { params: "threads=1;point=0", accel });
        // On a host with working KVM the guest is 10 % slower; emulated, 90 % slower: never counted as a disagreement.
        const r = agree(run([SLOWER], kvm(SLOWER, "kvm")), run([SLOWER], kvm([10, 11, 9], "tcg")));
        assert.deepEqual([r.comparisonsAgreeing, r.comparisonsCounted, r.pass], [1, 1, true]);
        const kvmRow = r.comparisons.find((c) => c.environment === "kvm-tuned")!;
        assert.deepEqual([kvmRow.counted, kvmRow.leftOut, kvmRow.emulated], [false, "emulated in the other run", true]);
        assert.equal(agree(run([SLOWER], kvm([10, 11, 9], "tcg")), run([SLOWER], kvm([10, 11, 9], "tcg"))).comparisons[1].leftOut, "emulated in the two runs");
        assert.match(
            renderAgreementMarkdown(r),
            /- emulated in the other run: 1 — by environment: kvm-tuned 1; by workload: sysbench-cpu 1\. sysbench-cpu events_per_s on kvm-tuned \(tcg\)/,
        );
    });

    it("counts a metric that restates another of its cell once (fio bandwidth and IOPS)", () => {
        const fio = (metric: string, native: number[], env: number[]) => [
            ...reps("native", "fio", metric, native, { params: "" }),
            ...reps("docker-nat", "fio", metric, env, { params: "" }),
        ];
        const a = summarize([...fio("seq_read_1_read_iops", NATIVE, SLOWER), ...fio("seq_read_1_read_bw_mb_s", NATIVE, SLOWER)]);
        const b = summarize([...fio("seq_read_1_read_iops", NATIVE, UNSHOWN), ...fio("seq_read_1_read_bw_mb_s", NATIVE, UNSHOWN)]);
        const r = agree(a, b);
        // One measurement, one disagreement: 0 of 1, not 0 of 2.
        assert.deepEqual([r.comparisonsAgreeing, r.comparisonsCounted], [0, 1]);
        const bw = r.comparisons.find((c) => c.metric === "seq_read_1_read_bw_mb_s")!;
        assert.deepEqual(
            [bw.counted, bw.leftOut, bw.leftOutDetail],
            [false, "restates another metric of its cell (counted once)", "restates seq_read_1_read_iops"],
        );
        // Without the IOPS beside it the bandwidth stands on its own and counts.
        const alone = agree(summarize(fio("seq_read_1_read_bw_mb_s", NATIVE, SLOWER)), summarize(fio("seq_read_1_read_bw_mb_s", NATIVE, SLOWER)));
        assert.equal(alone.comparisonsCounted, 1);
    });

    it("leaves out what a run could not compare with native, and comparisons with no interval in either run", () => {
        const lone = (values: number[]) => [
            ...reps("native", "sysbench-cpu", "events_per_s", [100], { params: "threads=1;point=0" }),
            ...reps("docker-nat", "sysbench-cpu", "events_per_s", values, { params: "threads=1;point=0" }),
        ];
        const r = agree(summarize(lone([90])), summarize(lone([91])));
        assert.deepEqual([r.comparisonsCounted, r.comparisons[0].leftOut], [0, "no interval in either run (n < 2)"]);
        const noNative = summarize(reps("docker-nat", "sysbench-cpu", "events_per_s", SLOWER, { params: "threads=1;point=0" }));
        const r2 = agree(run([SLOWER]), noNative);
        assert.equal(r2.comparisons[0].leftOut, "not compared with native in the other run");
        assert.match(r2.comparisons[0].leftOutDetail!, /no "native" environment at all/);
    });

    describe("claim statuses (the shipped felter2014 claims)", () => {
        const refs = loadReferences();
        const nat = { params: "dataSize=50;clients=50", unit: "req/s", variant: "net=nat" };
        const redis = (natValues: number[], kvmValues: number[]) => {
            const s = summarize([
                ...reps("native", "redis", "get_rps", [100000, 101000, 102000], nat),
                ...reps("docker-nat", "redis", "get_rps", natValues, nat),
                ...reps("kvm-1cpu", "redis", "get_rps", kvmValues, { ...nat, variant: "", accel: "tcg" }),
            ]);
            return { summary: s, claims: applicableClaims(refs, s).claims };
        };
        const status = (c: ClaimResult[], id: string) => c.find((x) => x.claim.id === id)!.status;

        it("a claim judged differently is a disagreement and fails the bar, however the verdicts agree", () => {
            // 0.72× native (consistent with the claim) vs 0.40× (inconsistent): both "slower".
            const a = redis([71000, 72000, 73000], [9000, 9100, 9200]);
            const b = redis([40000, 40500, 41000], [9000, 9100, 9200]);
            assert.deepEqual(
                [status(a.claims, "redis-docker-nat-throughput"), status(b.claims, "redis-docker-nat-throughput")],
                ["consistent", "inconsistent"],
            );
            const r = agreementOf(a, b);
            assert.deepEqual([r.comparisonsAgreeing, r.comparisonsCounted], [1, 1]);
            const c = r.claims.find((x) => x.id === "redis-docker-nat-throughput")!;
            assert.deepEqual([c.counted, c.agree, c.base!.status, c.other!.status, c.difference], [true, false, "consistent", "inconsistent", "opposite"]);
            assert.equal(r.claimsAgreeing, r.claimsCounted - 1);
            assert.equal(r.pass, false);
            assert.match(agreementLine(r), /^agreement: FAIL — \d+ of \d+ claim statuses agree, 1 of 1 change-vs-native verdicts agree \(100\.0 %\)/);
            assert.match(renderAgreementMarkdown(r), /\| felter2014: Docker NAT costs Redis about 28 % [^|]*\| consistent \| inconsistent \| no: opposite \|/);
            assert.match(renderAgreementMarkdown(r), /### Claim statuses: \d+ of \d+ agree \(opposite 1\)/);
        });

        it("a claim decided in one run and inconclusive in the other is a disagreement of its own kind", () => {
            // 0.72× native with a tight interval (consistent) vs a spread that straddles the range's edge (inconclusive).
            const a = redis([71000, 72000, 73000], [9000, 9100, 9200]);
            const b = redis([50000, 72000, 95000], [9000, 9100, 9200]);
            assert.equal(status(b.claims, "redis-docker-nat-throughput"), "inconclusive");
            const r = agreementOf(a, b);
            const c = r.claims.find((x) => x.id === "redis-docker-nat-throughput")!;
            assert.deepEqual([c.agree, c.difference], [false, "decided in one run only"]);
            assert.equal(r.pass, false);
            const md = renderAgreementMarkdown(r);
            assert.match(md, /\| consistent \| inconclusive \| no: decided in one run only \|/);
            assert.match(md, /### Claim statuses: \d+ of \d+ agree \(decided in one run only 1\)/);
            const rows: Record<string, string>[] = parse(agreementToCsv(r), { columns: true });
            const row = rows.find((x) => x.kind === "claim" && x.claim === "redis-docker-nat-throughput")!;
            assert.deepEqual([row.base, row.other, row.agree, row.difference], ["consistent", "inconclusive", "no", "decided in one run only"]);
        });

        it("a claim judged in neither run is listed, not counted; its judged part counts", () => {
            const at = { params: "arraySize=300000", unit: "GB/s" };
            const s = summarize([
                ...reps("native", "stream", "triad_gbps", [10, 10.1, 9.9], at),
                ...reps("docker-nat", "stream", "triad_gbps", [9.9, 10, 9.8], { ...at, variant: "net=nat" }),
                ...reps("kvm-tuned", "stream", "triad_gbps", [1, 1.1, 0.9], { ...at, accel: "tcg" }),
            ]);
            const claims = applicableClaims(refs, s).claims;
            const r = agreementOf({ summary: s, claims }, { summary: s, claims });
            const stream = r.claims.filter((c) => c.id === "stream-negligible");
            assert.deepEqual(
                stream.map((c) => [c.part, c.base!.status, c.counted, c.leftOut]),
                [
                    [false, "not judgeable: emulated", false, "judged in neither run"],
                    [true, stream[1].base!.status, true, undefined],
                ],
            );
            assert.match(stream[1].text, /— part: docker-nat only$/);
            assert.deepEqual([r.claimsAgreeing, r.claimsCounted, r.pass], [1, 1, true]);
            assert.match(renderAgreementMarkdown(r), /\| not judgeable: emulated \| not judgeable: emulated \| not counted: judged in neither run \|/);
        });

        it("a part judged in one run and the whole claim in the other (a host with KVM) is named, not counted", () => {
            const at = { params: "arraySize=300000", unit: "GB/s" };
            const withKvm = (accel: Sample["accel"]) => {
                const s = summarize([
                    ...reps("native", "stream", "triad_gbps", [10, 10.1, 9.9], at),
                    ...reps("docker-nat", "stream", "triad_gbps", [9.9, 10, 9.8], { ...at, variant: "net=nat" }),
                    ...reps("kvm-tuned", "stream", "triad_gbps", [9.9, 10, 9.8], { ...at, accel }),
                ]);
                return { summary: s, claims: applicableClaims(refs, s).claims };
            };
            const r = agreementOf(withKvm("tcg"), withKvm("kvm"));
            const stream = r.claims.filter((c) => c.id === "stream-negligible");
            assert.deepEqual(
                stream.map((c) => c.leftOut),
                ["judged in the other run only", "a part in the base run, judged whole in the other run"],
            );
            assert.equal(r.claimsCounted, 0);
            assert.match(
                renderAgreementMarkdown(r),
                /Claims evaluated in one run only: felter2014: stream-negligible \(part\) \(a part in the base run, judged whole in the other run\)\./,
            );
        });
    });

    it("compare-agreement.csv: one row per claim and per comparison, counted or not, with both sides", () => {
        const a = run([SLOWER, FASTER], reps("kvm-tuned", "sysbench-cpu", "events_per_s", SLOWER, { params: "threads=1;point=0", accel: "tcg" }));
        const b = run([SLOWER, SLOWER, SLOWER]);
        const rows: Record<string, string>[] = parse(agreementToCsv(agree(a, b)), { columns: true });
        assert.deepEqual(Object.keys(rows[0]), [...AGREEMENT_COLUMNS]);
        assert.deepEqual(
            rows.map((r) => [r.kind, r.environment, r.params, r.base, r.other, r.counted, r.agree, r.difference, r.intervals_overlap, r.left_out]),
            [
                ["verdict", "docker-nat", "threads=1;point=0", "slower", "slower", "yes", "yes", "", "yes", ""],
                ["verdict", "kvm-tuned", "threads=1;point=0", "slower", "", "no", "", "", "", "only in the base run"],
                ["verdict", "docker-nat", "threads=1;point=1", "faster", "slower", "yes", "no", "opposite", "no", ""],
                ["verdict", "docker-nat", "threads=1;point=2", "", "slower", "no", "", "", "", "only in the other run"],
            ],
        );
        const first = rows[0];
        assert.ok(Number(first.base_ci_low) < Number(first.base_ratio) && Number(first.base_ratio) < Number(first.base_ci_high));
        assert.ok(Math.abs(Number(first.base_ratio) - 90 / 100) < 1e-12);
    });
});
