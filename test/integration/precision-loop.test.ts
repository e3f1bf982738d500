/**
 * isobench:precision through real `isobench up` of a native-only stack: a goal no measurement can
 * meet (±0.01 %) with a maximum of 4 makes the first pass's decision add repetition 4, which a
 * second Pulumi pass measures, and the second decision stop at the maximum, reported as not met.
 * A later no-change up keeps the added cell (Pulumi deletes nothing) and records nothing new.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { CliStack, processesOf } from "../helpers/cli-stack";
import { endProcesses } from "../../experiment/recovery";
import { readRepetitions } from "../../core/precision";

describe("isobench:precision adds a repetition between Pulumi passes (real pulumi, native cells)", function () {
    this.timeout(15 * 60 * 1000);
    const stack = `itprec${process.pid}`;
    let cli: CliStack;
    let results = "";
    let first = { code: -1, out: "" };
    let again = { code: -1, out: "" };
    let decisionsAfterFirst = 0;
    let logAfterFirst = "";
    const cells = () =>
        fs
            .readdirSync(path.join(results, "cells"))
            .filter((f) => f.endsWith(".csv"))
            .sort();

    before(async () => {
        cli = new CliStack(stack, {
            "isobench:runId": "prec-1",
            "isobench:repetitions": "3",
            "isobench:precision": { relativeHalfWidth: 0.0001, maxRepetitions: 4 },
            "isobench:environments": ["native"],
            "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 2 } }],
        });
        results = cli.results("prec-1");
        const up = cli.isobench(["up", stack]);
        first = { code: await up.done, out: up.out() };
        decisionsAfterFirst = readRepetitions(results)?.decisions.length ?? 0;
        logAfterFirst = fs.readFileSync(path.join(results, "pulumi.log"), "utf8");
        const noChange = cli.isobench(["up", stack]);
        again = { code: await noChange.done, out: noChange.out() };
    });

    after(async () => {
        const orphans = processesOf(cli.work);
        const d = await cli.cleanup();
        endProcesses([...orphans, ...processesOf(cli.work)]);
        assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
    });

    it("the first up adds repetition 4, measures it in a second pass, and stops at the maximum", () => {
        assert.equal(first.code, 0, first.out.slice(-4000));
        assert.match(first.out, /\[isobench\] precision: 1 of 1 groups miss ±0\.01 %; adding repetition 4 \(sysbench-cpu\) of at most 4\n/);
        assert.match(first.out, /\[isobench\] precision: 1 of 1 groups miss ±0\.01 % at the maximum of 4 repetitions: reported as not met\n/);
        assert.deepEqual(
            cells(),
            [1, 2, 3, 4].map((r) => `sysbench-cpu.native.r${r}.csv`),
        );
        assert.equal(logAfterFirst.match(/=== \S+ pulumi up /g)?.length, 2, "two Pulumi passes");
        assert.match(logAfterFirst, /cell-sysbench-cpu\.native\.r4 created/);
    });

    it("records the goal, both decisions and the added repetition in repetitions.json", () => {
        const r = readRepetitions(results)!;
        assert.deepEqual(r.goal, { relativeHalfWidth: 0.0001, maxRepetitions: 4 });
        assert.deepEqual(
            r.added.map((a) => [a.workload, a.repetition, a.environments]),
            [["sysbench-cpu", 4, ["native"]]],
        );
        assert.match(r.added[0].reason, /^events_per_s on native at .*: ±[0-9.]+ % \(n = 3\)$/);
        assert.deepEqual(
            r.decisions.map((d) => d.outcome),
            ["added", "not met at the maximum"],
        );
        assert.equal(decisionsAfterFirst, 2);
    });

    it("the analysis reports it: precision.csv and the summary's Precision section, n = 4, not met at the maximum", () => {
        const csv = fs.readFileSync(path.join(results, "precision.csv"), "utf8").trim().split("\n");
        assert.equal(csv.length, 2);
        assert.match(csv[1], /^sysbench-cpu,.*,events_per_s,native,none,4,[0-9.]+,[0-9.e-]+,0\.0001,4,,not met at the maximum$/);
        const md = fs.readFileSync(path.join(results, "summary.md"), "utf8");
        assert.match(md, /## Precision\n\nGoal \(isobench:precision\): each primary metric's mean known to ±0\.01 % .* Groups: 1 not met at the maximum\./);
        assert.match(md, /- Repetition 4 added to sysbench-cpu in native /);
    });

    it("a no-change up measures nothing, keeps the added cell and records no new decision", () => {
        assert.equal(again.code, 0, again.out.slice(-4000));
        assert.match(fs.readFileSync(path.join(results, "progress.log"), "utf8"), /up: started by isobench pid \d+: 0 of 4 planned cell\(s\) to measure/);
        assert.deepEqual(
            cells(),
            [1, 2, 3, 4].map((r) => `sysbench-cpu.native.r${r}.csv`),
        );
        const third = fs.readFileSync(path.join(results, "pulumi.log"), "utf8").split(/^=== /m).pop()!;
        assert.doesNotMatch(third, /cell-sysbench-cpu\.native\.r4 delet/, "Pulumi does not delete the added cell");
        assert.match(again.out, /\[isobench\] precision: 1 of 1 groups miss ±0\.01 % at the maximum of 4 repetitions: reported as not met\n/);
        assert.equal(readRepetitions(results)!.decisions.length, decisionsAfterFirst, "the same decision is not recorded twice");
    });
});
