/**
 * isobench:precision: the decision on made-up samples (met, missed → a repetition added, the
 * maximum reached, emulated groups not counted), the report section and precision.csv, and the
 * step between `isobench up`'s passes on a results folder (experiment/precision-run.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { groupSamples } from "../../analysis/overhead";
import {
    decidePrecision,
    missingSummary,
    precisionLine,
    precisionRows,
    precisionUnjudged,
    primaryMetrics,
    relativeHalfWidth,
    undecidedClaims,
    PrecisionRow,
} from "../../analysis/precision";
import { applicableClaims, loadReferences, type CheckPoint, type ClaimResult } from "../../analysis/published";
import { renderMarkdown } from "../../analysis/report";
import { summarize } from "../../analysis/overhead";
import { analyzeRun } from "../../analysis/analyze";
import { readRepetitions, repetitionsPath } from "../../core/precision";
import { samplesToCsv, type Sample } from "../../core/samples";
import { parseSpec } from "../../experiment/spec";
import { planCells } from "../../experiment/plan";
import { heldWorkloads, precisionStep, withAddedRepetitions } from "../../experiment/precision-run";
import { sample } from "../helpers/sample";

const GOAL = { relativeHalfWidth: 0.05, maxRepetitions: 6 };
const PRIMARIES = primaryMetrics(loadReferences());

/** sysbench-cpu's events_per_s (its primary metric) and latency (not primary), one sample per repetition. */
function cpuSamples(environment: string, values: readonly number[], over: Partial<Sample> = {}): Sample[] {
    return values.flatMap((value, i) => [
        sample({ environment, metric: "events_per_s", value, repetition: i + 1, cell_id: `sysbench-cpu.${environment}.r${i + 1}`, ...over }),
        sample({
            environment,
            metric: "latency_avg_ms",
            value: 1000 / value,
            unit: "ms",
            better: "lower",
            repetition: i + 1,
            cell_id: `sysbench-cpu.${environment}.r${i + 1}`,
            ...over,
        }),
    ]);
}

const rowsOf = (samples: readonly Sample[], goal = GOAL) => precisionRows(groupSamples(samples).groups, PRIMARIES, goal, 0.95);
const TIGHT = [1000, 1010, 990];
/** ±18 % at n = 3. */
const LOOSE = [1000, 1100, 950];

describe("precision goal (analysis/precision.ts)", () => {
    it("is the mean's t-interval half-width over the mean, from the per-repetition values", () => {
        // sd 10, n 3: t(0.975, 2) = 4.303 · 10 / √3 / 1000.
        assert.ok(Math.abs(relativeHalfWidth(TIGHT, 0.95)! - (4.302652729911275 * 10) / Math.sqrt(3) / 1000) < 1e-9);
        assert.equal(relativeHalfWidth([1000], 0.95), null);
        assert.equal(relativeHalfWidth([0, 0, 0], 0.95), null);
        // The same interval the summary reports for the group's mean.
        const g = groupSamples(cpuSamples("native", LOOSE)).groups.find((x) => x.metric === "events_per_s")!;
        assert.ok(Math.abs(relativeHalfWidth(g.values, 0.95)! - (g.stats.ci95!.high - g.stats.mean) / g.stats.mean) < 1e-12);
    });

    it("judges each workload's primary metrics, the ones the published claims vote with", () => {
        assert.deepEqual([...PRIMARIES.get("sysbench-cpu")!], ["events_per_s"]);
        assert.deepEqual([...PRIMARIES.get("fio")!].sort(), ["random_read_16x8_read_iops", "random_write_16x8_write_iops"]);
        const rows = rowsOf(cpuSamples("native", TIGHT));
        assert.deepEqual(
            rows.map((r) => [r.metric, r.n, r.status]),
            [["events_per_s", 3, "met"]],
        );
        assert.deepEqual(precisionUnjudged(groupSamples(cpuSamples("native", TIGHT, { workload: "echo" })).groups, PRIMARIES), ["echo"]);
    });

    it("met: every counted group within the goal", () => {
        const d = decidePrecision(rowsOf([...cpuSamples("native", TIGHT), ...cpuSamples("docker-nat", [990, 1000, 1005])]), GOAL);
        assert.deepEqual(d, { kind: "met", counted: 2 });
        assert.equal(precisionLine(d, GOAL), "precision: all 2 groups meet ±5 %");
    });

    it("missed: the next repetition goes to every environment of the workload measured without emulation, not to emulated ones", () => {
        const samples = [
            ...cpuSamples("native", TIGHT),
            ...cpuSamples("docker-nat", LOOSE),
            // Emulated and loose: reported, never a reason to add, and not measured again.
            ...cpuSamples("kvm-tuned", LOOSE, { accel: "tcg" }),
            // Another workload that meets the goal keeps its repetitions.
            ...cpuSamples("native", TIGHT, { workload: "stress-ng-cpu", metric: "bogo_ops_per_s" }),
        ];
        const rows = rowsOf(samples);
        const status = (w: string, e: string) => rows.find((r) => r.workload === w && r.environment === e)!.status;
        assert.equal(status("sysbench-cpu", "docker-nat"), "missed");
        assert.equal(status("sysbench-cpu", "native"), "met");
        assert.equal(status("sysbench-cpu", "kvm-tuned"), "not counted: emulated");
        assert.equal(status("stress-ng-cpu", "native"), "met");
        const d = decidePrecision(rows, GOAL);
        assert.equal(d.kind, "add");
        if (d.kind !== "add") return;
        assert.deepEqual(
            d.add.map((a) => [a.workload, a.repetition, a.environments, a.missing.map((m) => m.environment)]),
            [["sysbench-cpu", 4, ["docker-nat", "native"], ["docker-nat"]]],
        );
        assert.equal(precisionLine(d, GOAL), "precision: 1 of 3 groups miss ±5 %; adding repetition 4 (sysbench-cpu) of at most 6");
    });

    it("the maximum reached: reported as not met, nothing added; other workloads below it still get theirs", () => {
        const six = [1000, 1100, 950, 1080, 920, 1050];
        const atMax = rowsOf(cpuSamples("native", six));
        assert.equal(atMax[0].status, "not met at the maximum");
        const d = decidePrecision(atMax, GOAL);
        assert.deepEqual(d.kind === "not met at the maximum" && d.atMaximum.map((r) => r.environment), ["native"]);
        assert.equal(precisionLine(d, GOAL), "precision: 1 of 1 groups miss ±5 % at the maximum of 6 repetitions: reported as not met");
        const mixed = decidePrecision([...atMax, ...rowsOf(cpuSamples("native", LOOSE, { workload: "stress-ng-cpu", metric: "bogo_ops_per_s" }))], GOAL);
        assert.equal(mixed.kind, "add");
        assert.deepEqual(mixed.kind === "add" && [mixed.add.map((a) => a.workload), mixed.atMaximum.length, mixed.missing], [["stress-ng-cpu"], 1, 2]);
    });

    it("a claim left undecided asks for repetitions past the half-width goal, up to maxClaimRepetitions; decided and emulated points ask for none", () => {
        // Both groups meet ±5 % at the goal's maximum of 6, but Docker / native ≈ 0.96 straddles the
        // 0.95 edge of "Docker adds negligible CPU overhead (within 5 %)".
        const native = [1000, 1004, 996, 1002, 998, 1000];
        const edge = [...cpuSamples("native", native), ...cpuSamples("docker-nat", [950, 985, 930, 975, 940, 970])];
        const undecided = undecidedClaims(applicableClaims(loadReferences(), summarize(edge)).claims);
        assert.deepEqual(
            undecided.map((u) => [u.claim, u.workload]),
            [["Docker adds negligible CPU overhead (within 5 %)", "sysbench-cpu"]],
        );
        assert.match(undecided[0].points[0], /^docker-nat events_per_s: ratio 0\.958 \[0\.939, 0\.979\] vs 0\.95–1\.05$/);
        const rows = rowsOf(edge);
        assert.deepEqual(
            rows.map((r) => r.status),
            ["met", "met"],
        );
        // Without maxClaimRepetitions an undecided claim is the report's business, not the goal's, and its line says nothing of claims.
        const without = decidePrecision(rows, GOAL, undecided);
        assert.deepEqual(without, { kind: "met", counted: 2 });
        assert.equal(precisionLine(without, GOAL), "precision: all 2 groups meet ±5 %");
        const looser = decidePrecision(
            [...rows, ...rowsOf(cpuSamples("native", LOOSE, { workload: "stress-ng-cpu", metric: "bogo_ops_per_s" }))],
            GOAL,
            undecided,
        );
        assert.deepEqual(looser.kind === "add" && [looser.undecided, looser.add.map((a) => a.workload)], [0, ["stress-ng-cpu"]]);
        assert.equal(precisionLine(looser, GOAL), "precision: 1 of 3 groups miss ±5 %; adding repetition 4 (stress-ng-cpu) of at most 6");
        // With it at the goal's own maximum, the claim stops where the goal does, and says so.
        const atSix = { ...GOAL, maxClaimRepetitions: 6 };
        const stopped = decidePrecision(rows, atSix, undecided);
        assert.equal(stopped.kind, "not met at the maximum");
        assert.equal(precisionLine(stopped, atSix), "precision: 1 claim still undecided at 6 repetitions: reported as not met");
        const goal = { ...GOAL, maxClaimRepetitions: 10 };
        const more = decidePrecision(rows, goal, undecided);
        assert.equal(more.kind, "add");
        if (more.kind !== "add") return;
        assert.deepEqual(
            more.add.map((a) => [a.workload, a.repetition, a.environments, a.missing.length, a.undecided.length]),
            [["sysbench-cpu", 7, ["docker-nat", "native"], 0, 1]],
        );
        assert.equal(
            precisionLine(more, goal),
            "precision: 0 of 2 groups miss ±5 %, 1 claim undecided by its intervals; adding repetition 7 (sysbench-cpu) of at most 10 (6 for the half-width goal)",
        );
        assert.match(
            missingSummary([], more.add[0].undecided),
            /^undecided claim "Docker adds negligible CPU overhead \(within 5 %\)": docker-nat events_per_s: ratio /,
        );
        // The goal's groups at their maximum and the claim at its own: both named.
        const six = rowsOf([...cpuSamples("native", [1000, 1100, 950, 1080, 920, 1050]), ...cpuSamples("docker-nat", [950, 985, 930, 975, 940, 970])]);
        const both = decidePrecision(six, atSix, undecided);
        assert.equal(
            precisionLine(both, atSix),
            "precision: 1 of 2 groups miss ±5 % at the maximum of 6 repetitions; 1 claim still undecided at 6 repetitions: reported as not met",
        );
        // Decided (0.8 × native: inconsistent): nothing to add.
        const decided = [...cpuSamples("native", native), ...cpuSamples("docker-nat", [800, 804, 796, 802, 798, 800])];
        assert.deepEqual(undecidedClaims(applicableClaims(loadReferences(), summarize(decided)).claims), []);
    });

    it("undecided by its intervals only: a Holm-demoted point counts; emulated points, a point without an interval or a check not measured do not", () => {
        const edge = [...cpuSamples("native", [1000, 1004, 996, 1002, 998, 1000]), ...cpuSamples("docker-nat", [950, 985, 930, 975, 940, 970])];
        const [claim] = applicableClaims(loadReferences(), summarize(edge)).claims.filter((c) => c.status === "inconclusive");
        assert.equal(undecidedClaims([claim]).length, 1);
        const withPoints = (f: (p: CheckPoint) => CheckPoint): ClaimResult => ({
            ...claim,
            checks: claim.checks.map((k) => ({ ...k, points: k.points.map(f) })),
        });
        // An interval outside the range that Holm's correction left inconclusive: more repetitions can still decide it.
        const demoted = withPoints((p) => ({ ...p, ratio: 0.9, ratioCi: { low: 0.88, high: 0.93 }, status: "inconclusive" }));
        assert.deepEqual(
            undecidedClaims([demoted]).map((u) => u.points),
            [["docker-nat events_per_s: ratio 0.900 [0.880, 0.930] vs 0.95–1.05"]],
        );
        assert.deepEqual(undecidedClaims([withPoints((p) => ({ ...p, emulated: true }))]), [], "emulated points never vote");
        assert.deepEqual(undecidedClaims([withPoints((p) => ({ ...p, ratioCi: null }))]), [], "a point without an interval cannot be narrowed");
        const notMeasured: ClaimResult = { ...claim, checks: [...claim.checks, { check: claim.checks[0].check, points: [], missing: "not measured: …" }] };
        assert.deepEqual(undecidedClaims([notMeasured]), [], "a check not measured cannot be decided by repetitions");
    });

    it("nothing to judge when every group is emulated or has no interval", () => {
        assert.deepEqual(decidePrecision(rowsOf(cpuSamples("kvm-tuned", LOOSE, { accel: "tcg" })), GOAL), { kind: "nothing to judge" });
        const noInterval = rowsOf(cpuSamples("native", [1000, 1100]).filter((s) => s.repetition === 1));
        assert.equal(noInterval[0].status, "not counted: no interval");
        assert.match(precisionLine(decidePrecision(noInterval, GOAL), GOAL), /^precision: no group to judge/);
    });

    it("the summary's Precision section: the goal, each group, the repetitions added, the statuses' meaning", () => {
        const samples = [...cpuSamples("native", TIGHT), ...cpuSamples("docker-nat", LOOSE), ...cpuSamples("kvm-tuned", LOOSE, { accel: "tcg" })];
        const summary = summarize(samples);
        const rows: PrecisionRow[] = precisionRows(summary.rows, PRIMARIES, GOAL, 0.95);
        const added = [
            {
                workload: "sysbench-cpu",
                repetition: 4,
                environments: ["docker-nat", "native"],
                at: "2026-12-04T10:00:00.000Z",
                reason: "events_per_s on docker-nat",
            },
        ];
        const md = renderMarkdown(summary, { precision: { goal: GOAL, rows, undecided: [], added, unjudged: ["echo"], confidence: 0.95 } });
        const section = md.slice(md.indexOf("## Precision"), md.indexOf("## Details"));
        assert.match(
            section,
            /Goal \(isobench:precision\): each primary metric's mean known to ±5 % \(half-width of its 95 % interval over the mean\), with at most 6 repetitions per cell\. Groups: 1 met, 1 missed, 1 not counted: emulated\./,
        );
        assert.match(section, /- Repetition 4 added to sysbench-cpu in docker-nat, native \(2026-12-04T10:00:00\.000Z\): events_per_s on docker-nat/);
        assert.match(section, /- Not judged \(no published claim names a primary metric for them\): echo/);
        assert.match(section, /\| sysbench-cpu \| {2}\| events_per_s \| docker-nat \| 3 \| ±1[0-9]\.[0-9]+ % \| missed \|/);
        assert.match(section, /\| kvm-tuned \(tcg\) \| 3 \| .* \| not counted: emulated \|/);
        assert.match(section, /Statuses — met: .*; not met at the maximum: /);
        assert.ok(!renderMarkdown(summary).includes("## Precision"), "no goal, no section");
    });
});

describe("precision between up passes (experiment/precision-run.ts)", () => {
    let dir = "";
    const spec = () =>
        parseSpec("prec", {
            runId: "p1",
            environments: ["native", "docker-nat"],
            workloads: [{ name: "sysbench-cpu", params: { timeSeconds: 10 } }],
            precision: GOAL,
        });
    const resultsDir = () => path.join(dir, "prec", "p1");
    /** Writes the plan's cells as the runner would, each with its value of events_per_s. */
    const measure = (values: Readonly<Record<string, number>>) => {
        fs.mkdirSync(path.join(resultsDir(), "cells"), { recursive: true });
        for (const [cell, value] of Object.entries(values)) {
            const [, environment, r] = cell.split(".");
            const s = cpuSamples(environment, [value]).map((x) => ({
                ...x,
                cell_id: cell,
                repetition: Number(r.slice(1)),
                params: "maxPrime=20000;threads=1;timeSeconds=10;warmupSeconds=0",
            }));
            fs.writeFileSync(path.join(resultsDir(), "cells", `${cell}.csv`), samplesToCsv(s));
        }
    };
    const lines: string[] = [];

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-precision-"));
        lines.length = 0;
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("adds a repetition where the goal is missed, plans it on every later up, and stops when the goal is met", async () => {
        const host = { resultsRoot: dir };
        measure({ "sysbench-cpu.native.r1": 1000, "sysbench-cpu.native.r2": 1010, "sysbench-cpu.native.r3": 990 });
        // ±6.5 % at n = 3.
        measure({ "sysbench-cpu.docker-nat.r1": 1000, "sysbench-cpu.docker-nat.r2": 1040, "sysbench-cpu.docker-nat.r3": 990 });
        assert.equal(await precisionStep(withAddedRepetitions(spec(), host), resultsDir(), (l) => lines.push(l)), true);
        assert.deepEqual(lines, ["precision: 1 of 2 groups miss ±5 %; adding repetition 4 (sysbench-cpu) of at most 6"]);
        const record = readRepetitions(resultsDir())!;
        assert.deepEqual(record.goal, GOAL);
        assert.deepEqual(
            record.added.map((a) => [a.workload, a.repetition, a.environments]),
            [["sysbench-cpu", 4, ["docker-nat", "native"]]],
        );
        assert.match(record.added[0].reason, /^events_per_s on docker-nat at .*: ±6\.5[0-9]* % \(n = 3\)$/);
        assert.equal(record.decisions[0].outcome, "added");
        assert.match(fs.readFileSync(path.join(resultsDir(), "progress.log"), "utf8"), /precision: 1 of 2 groups miss ±5 %; adding repetition 4/);

        // Every later up plans the added cells, after the planned ones.
        const planned = planCells(withAddedRepetitions(spec(), host)).map((c) => c.id);
        assert.deepEqual(planned.slice(6), ["sysbench-cpu.docker-nat.r4", "sysbench-cpu.native.r4"]);
        assert.deepEqual(planCells(spec()).length, 6, "the stack file alone plans three repetitions");

        // Measured again: docker-nat's four values are within ±3.4 % now.
        measure({ "sysbench-cpu.native.r4": 1000, "sysbench-cpu.docker-nat.r4": 1010 });
        lines.length = 0;
        assert.equal(await precisionStep(withAddedRepetitions(spec(), host), resultsDir(), (l) => lines.push(l)), false);
        assert.deepEqual(lines, ["precision: all 2 groups meet ±5 %"]);
        const decisions = readRepetitions(resultsDir())!.decisions.length;
        // A no-change up decides the same and does not repeat the record.
        assert.equal(await precisionStep(withAddedRepetitions(spec(), host), resultsDir(), () => undefined), false);
        assert.equal(readRepetitions(resultsDir())!.decisions.length, decisions);
    });

    it("stops at the maximum and reports it; a stack without a goal plans and decides nothing", async () => {
        const host = { resultsRoot: dir };
        const tight = parseSpec("prec", {
            runId: "p1",
            environments: ["native"],
            workloads: ["sysbench-cpu"],
            precision: { relativeHalfWidth: 0.001, maxRepetitions: 3 },
        });
        measure({ "sysbench-cpu.native.r1": 1000, "sysbench-cpu.native.r2": 1010, "sysbench-cpu.native.r3": 990 });
        assert.equal(await precisionStep(withAddedRepetitions(tight, host), resultsDir(), (l) => lines.push(l)), false);
        assert.deepEqual(lines, ["precision: 1 of 1 groups miss ±0.1 % at the maximum of 3 repetitions: reported as not met"]);
        assert.deepEqual(readRepetitions(resultsDir())!.added, []);
        const { precision: _p, ...without } = tight;
        assert.equal(await precisionStep(without, resultsDir(), () => assert.fail("no goal, nothing said")), false);
        fs.writeFileSync(
            repetitionsPath(resultsDir()),
            JSON.stringify({ goal: GOAL, added: [{ workload: "sysbench-cpu", repetition: 4, environments: ["native"], at: "", reason: "" }], decisions: [] }),
        );
        assert.equal(withAddedRepetitions(without, host), without, "the record plans nothing for a stack without a goal");
        assert.equal(planCells(withAddedRepetitions(tight, host)).length, 3, "nor above the goal's maximum");
        fs.writeFileSync(repetitionsPath(resultsDir()), "{not json");
        assert.throws(() => withAddedRepetitions(tight, host), /repetitions\.json does not read as JSON .* restore it, or move it aside/);
    });

    it("a failed cell outside emulation holds its workload out of the decision until the next up; a failed emulated cell holds nothing", async () => {
        const two = parseSpec("prec", {
            runId: "p1",
            environments: ["native", "docker-nat", "kvm-untuned"],
            workloads: ["sysbench-cpu", "sysbench-memory"],
            precision: GOAL,
        });
        const failed = ["sysbench-cpu.kvm-untuned.r1", "sysbench-memory.docker-nat.r2", "sysbench-memory.native.r3", "gone.native.r9"];
        assert.deepEqual(
            [...heldWorkloads(two, "tcg", failed)],
            [["sysbench-memory", ["sysbench-memory.docker-nat.r2", "sysbench-memory.native.r3"]]],
            "under emulation the guest's failure holds nothing; a cell not in the plan is ignored",
        );
        assert.deepEqual([...heldWorkloads(two, "kvm", failed).keys()], ["sysbench-cpu", "sysbench-memory"], "a KVM guest's failure holds its workload");

        const host = { resultsRoot: dir };
        measure({ "sysbench-cpu.native.r1": 1000, "sysbench-cpu.native.r2": 1010, "sysbench-cpu.native.r3": 990 });
        measure({ "sysbench-cpu.docker-nat.r1": 1000, "sysbench-cpu.docker-nat.r2": 1040 });
        const held = heldWorkloads(withAddedRepetitions(spec(), host), "kvm", ["sysbench-cpu.docker-nat.r3"]);
        assert.equal(await precisionStep(withAddedRepetitions(spec(), host), resultsDir(), (l) => lines.push(l), held), false);
        assert.deepEqual(lines, [
            "precision: nothing judged against ±5 % until the next up measures the failed cells of sysbench-cpu (sysbench-cpu.docker-nat.r3)",
        ]);
        assert.deepEqual(readRepetitions(resultsDir())!.added, [], "a workload short of a repetition gets none added");
        // The retry measured it: the workload is judged again (docker-nat ±6.5 % at n = 3).
        measure({ "sysbench-cpu.docker-nat.r3": 990 });
        lines.length = 0;
        assert.equal(await precisionStep(withAddedRepetitions(spec(), host), resultsDir(), (l) => lines.push(l)), true);
        assert.deepEqual(lines, ["precision: 1 of 2 groups miss ±5 %; adding repetition 4 (sysbench-cpu) of at most 6"]);
    });

    it("adds repetitions past the goal's maximum while a claim is undecided, plans them on later ups, and stops at maxClaimRepetitions", async () => {
        const host = { resultsRoot: dir };
        const claims = parseSpec("prec", {
            runId: "p1",
            environments: ["native", "docker-nat"],
            workloads: [{ name: "sysbench-cpu", params: { timeSeconds: 10 } }],
            precision: { relativeHalfWidth: 0.05, maxRepetitions: 3, maxClaimRepetitions: 4 },
        });
        // Docker / native ≈ 0.955 with a wide interval: "Docker adds negligible CPU overhead (within 5 %)" is undecided.
        measure({ "sysbench-cpu.native.r1": 1000, "sysbench-cpu.native.r2": 1010, "sysbench-cpu.native.r3": 990 });
        measure({ "sysbench-cpu.docker-nat.r1": 950, "sysbench-cpu.docker-nat.r2": 985, "sysbench-cpu.docker-nat.r3": 930 });
        assert.equal(await precisionStep(withAddedRepetitions(claims, host), resultsDir(), (l) => lines.push(l)), true);
        assert.deepEqual(lines, [
            "precision: 1 of 2 groups miss ±5 %, 1 claim undecided by its intervals; adding repetition 4 (sysbench-cpu) of at most 4 (3 for the half-width goal)",
        ]);
        const added = readRepetitions(resultsDir())!.added;
        assert.deepEqual(
            added.map((a) => [a.repetition, a.environments]),
            [[4, ["docker-nat", "native"]]],
        );
        assert.match(added[0].reason, /undecided claim "Docker adds negligible CPU overhead \(within 5 %\)": docker-nat events_per_s: ratio 0\.9[0-9]+ \[/);
        assert.deepEqual(
            planCells(withAddedRepetitions(claims, host))
                .map((c) => c.id)
                .slice(6),
            ["sysbench-cpu.docker-nat.r4", "sysbench-cpu.native.r4"],
            "above maxRepetitions, within maxClaimRepetitions: planned",
        );
        measure({ "sysbench-cpu.native.r4": 1000, "sysbench-cpu.docker-nat.r4": 960 });
        lines.length = 0;
        assert.equal(await precisionStep(withAddedRepetitions(claims, host), resultsDir(), (l) => lines.push(l)), false);
        assert.deepEqual(lines, ["precision: 1 claim still undecided at 4 repetitions: reported as not met"]);
        const { markdown } = await analyzeRun(resultsDir(), { plots: false, log: () => undefined });
        assert.match(
            markdown,
            /its workload gets repetitions up to 4 per cell \(maxClaimRepetitions\)\. Stopping once a claim is decided is sequential sampling/,
        );
        assert.match(
            markdown,
            /- Claims undecided by their intervals at these repetitions: "Docker adds negligible CPU overhead \(within 5 %\)" \(docker-nat events_per_s: ratio /,
        );
    });

    it("the analysis writes precision.csv and the summary's section, with the goal of the stack or of the record", async () => {
        measure({ "sysbench-cpu.native.r1": 1000, "sysbench-cpu.native.r2": 1010, "sysbench-cpu.native.r3": 990 });
        measure({ "sysbench-cpu.docker-nat.r1": 1000, "sysbench-cpu.docker-nat.r2": 1100, "sysbench-cpu.docker-nat.r3": 950 });
        const { markdown } = await analyzeRun(resultsDir(), { plots: false, log: () => undefined, precision: GOAL });
        assert.match(markdown, /## Precision[\s\S]*\| docker-nat \| 3 \| ±1[0-9]\.[0-9]+ % \| missed \|/);
        const csv = fs.readFileSync(path.join(resultsDir(), "precision.csv"), "utf8").trim().split("\n");
        assert.equal(
            csv[0],
            "workload,params,metric,environment,accel,n,mean,relative_half_width,goal_relative_half_width,max_repetitions,max_claim_repetitions,status",
        );
        assert.equal(csv.length, 3);
        assert.match(csv[1], /^sysbench-cpu,.*,events_per_s,docker-nat,none,3,1016\.6+[0-9]*,0\.1[0-9]+,0\.05,6,,missed$/);
        // Standalone `isobench analyze` of the folder: the goal comes from repetitions.json.
        fs.rmSync(path.join(resultsDir(), "precision.csv"));
        const host = { resultsRoot: dir };
        await precisionStep(withAddedRepetitions(spec(), host), resultsDir(), () => undefined);
        const standalone = await analyzeRun(resultsDir(), { plots: false, log: () => undefined });
        assert.match(standalone.markdown, /- Repetition 4 added to sysbench-cpu in docker-nat, native/);
        assert.ok(fs.existsSync(path.join(resultsDir(), "precision.csv")));
    });
});
