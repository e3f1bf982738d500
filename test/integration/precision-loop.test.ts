/**
 * isobench:precision through real `isobench up` of a native-only stack: a goal no measurement can
 * meet (±0.01 %) with a maximum of 4 makes the first pass's decision add repetition 4, which a
 * second Pulumi pass measures, and the second decision stop at the maximum, reported as not met.
 * A `sysbench` first on PATH fails the stack's first memory measurement: that workload waits out
 * the first up's precision passes (its failed cell is not retried there, its groups not judged),
 * and the next up retries the cell and judges it. A later no-change up keeps the added cells
 * (Pulumi deletes nothing) and records nothing new.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CliStack, processesOf } from "../helpers/cli-stack";
import { endProcesses } from "../../experiment/recovery";
import { readRepetitions } from "../../core/precision";

describe("isobench:precision adds repetitions between Pulumi passes, and a failed cell waits for the next up (real pulumi, native cells)", function () {
    this.timeout(15 * 60 * 1000);
    const stack = `itprec${process.pid}`;
    const bin = path.join(os.tmpdir(), `isobench-${stack}-bin`);
    const memoryR1 = "sysbench-memory.native.r1";
    let cli: CliStack;
    let results = "";
    let first = { code: -1, out: "" };
    let retry = { code: -1, out: "" };
    let again = { code: -1, out: "" };
    let decisionsAfterFirst: string[] = [];
    let logAfterFirst = "";
    let progressAfterFirst = "";
    let decisionsAfterRetry = 0;
    const cells = () =>
        fs
            .readdirSync(path.join(results, "cells"))
            .filter((f) => f.endsWith(".csv"))
            .sort();
    const all = (workload: string) => [1, 2, 3, 4].map((r) => `${workload}.native.r${r}.csv`);

    before(async () => {
        fs.mkdirSync(bin, { recursive: true });
        // Fails the first memory measurement (not the version check), then is the real sysbench.
        fs.writeFileSync(
            path.join(bin, "sysbench"),
            `#!/bin/sh\ncase "$*" in *--version*) exec /usr/bin/sysbench "$@" ;; *memory*) if [ ! -e "${bin}/failed-once" ]; then touch "${bin}/failed-once"; echo "injected failure" >&2; exit 3; fi ;; esac\nexec /usr/bin/sysbench "$@"\n`,
            { mode: 0o755 },
        );
        cli = new CliStack(
            stack,
            {
                "isobench:runId": "prec-1",
                "isobench:repetitions": "3",
                "isobench:precision": { relativeHalfWidth: 0.0001, maxRepetitions: 4 },
                "isobench:environments": ["native"],
                "isobench:workloads": [
                    { name: "sysbench-cpu", params: { timeSeconds: 2 } },
                    { name: "sysbench-memory", params: { operations: "write", timeSeconds: 1 } },
                ],
            },
            { PATH: `${bin}:${process.env.PATH}` },
        );
        results = cli.results("prec-1");
        const up = cli.isobench(["up", stack]);
        first = { code: await up.done, out: up.out() };
        decisionsAfterFirst = (readRepetitions(results)?.decisions ?? []).map((d) => d.outcome);
        logAfterFirst = fs.readFileSync(path.join(results, "pulumi.log"), "utf8");
        progressAfterFirst = fs.readFileSync(path.join(results, "progress.log"), "utf8");
        const next = cli.isobench(["up", stack]);
        retry = { code: await next.done, out: next.out() };
        decisionsAfterRetry = readRepetitions(results)?.decisions.length ?? 0;
        const noChange = cli.isobench(["up", stack]);
        again = { code: await noChange.done, out: noChange.out() };
    });

    after(async () => {
        try {
            const orphans = processesOf(cli.work);
            const d = await cli.cleanup();
            endProcesses([...orphans, ...processesOf(cli.work)]);
            assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
        } finally {
            fs.rmSync(bin, { recursive: true, force: true });
        }
    });

    it("the first up judges the workload without failures: adds its repetition 4, measures it in a second pass, stops at the maximum", () => {
        assert.match(
            first.out,
            /\[isobench\] precision: 1 of 1 groups miss ±0\.01 %; adding repetition 4 \(sysbench-cpu\) of at most 4; not judged until the next up measures their failed cells: sysbench-memory \(sysbench-memory\.native\.r1\)\n/,
        );
        assert.match(first.out, /\[isobench\] the 1 failed cell\(s\) are not retried in this up's precision passes; the next up retries them\n/);
        assert.match(first.out, /\[isobench\] 1 cell\(s\) failed in this up's first pass and wait for the next up: sysbench-memory\.native\.r1\n/);
        assert.match(first.out, /\[isobench\] precision: 1 of 1 groups miss ±0\.01 % at the maximum of 4 repetitions: reported as not met; not judged until/);
        assert.equal(logAfterFirst.match(/=== \S+ pulumi up /g)?.length, 2, "two Pulumi passes");
        assert.match(logAfterFirst, /cell-sysbench-cpu\.native\.r4 created/);
        assert.deepEqual(decisionsAfterFirst, ["added", "not met at the maximum"]);
    });

    it("the failed cell is not retried in the first up's precision pass, and that up still ends as failed", () => {
        assert.equal(first.code, 3, first.out.slice(-4000));
        assert.match(first.out, /isobench: 1 cell\(s\) failed: sysbench-memory\.native\.r1\.\n/);
        assert.doesNotMatch(progressAfterFirst, /cell sysbench-memory\.native\.r1: retrying/);
        assert.equal(progressAfterFirst.match(/cell sysbench-memory\.native\.r1: FAILED/g)?.length, 1, "attempted once");
        const second = logAfterFirst.split(/^=== /m).pop()!;
        assert.doesNotMatch(second, /cell-sysbench-memory\.native\.r1 (replac|creat|delet)/, "Pulumi left the failed cell as it was");
    });

    it("the next up retries the failed cell, judges its workload and measures the repetition that adds", () => {
        assert.equal(retry.code, 0, retry.out.slice(-4000));
        assert.match(retry.out, /1 cell\(s\) failed before and are retried: sysbench-memory\.native\.r1/);
        assert.match(retry.out, /\[isobench\] precision: 2 of 2 groups miss ±0\.01 %; adding repetition 4 \(sysbench-memory\) of at most 4\n/);
        assert.match(retry.out, /\[isobench\] precision: 2 of 2 groups miss ±0\.01 % at the maximum of 4 repetitions: reported as not met\n/);
        assert.deepEqual(cells(), [...all("sysbench-cpu"), ...all("sysbench-memory")]);
        assert.match(fs.readFileSync(path.join(results, "superseded", memoryR1, "1", "cells", `${memoryR1}.error`), "utf8"), /"exitStatus": 3/);
    });

    it("records the goal, the decisions and the added repetitions in repetitions.json", () => {
        const r = readRepetitions(results)!;
        assert.deepEqual(r.goal, { relativeHalfWidth: 0.0001, maxRepetitions: 4 });
        assert.deepEqual(
            r.added.map((a) => [a.workload, a.repetition, a.environments]),
            [
                ["sysbench-cpu", 4, ["native"]],
                ["sysbench-memory", 4, ["native"]],
            ],
        );
        assert.match(r.added[0].reason, /^events_per_s on native at .*: ±[0-9.]+ % \(n = 3\)$/);
        assert.match(r.added[1].reason, /^write_mib_per_s on native at .*: ±[0-9.]+ % \(n = 3\)$/);
        assert.deepEqual(
            r.decisions.map((d) => d.outcome),
            ["added", "not met at the maximum", "added", "not met at the maximum"],
        );
    });

    it("the analysis reports it: precision.csv and the summary's Precision section, n = 4, not met at the maximum", () => {
        const csv = fs.readFileSync(path.join(results, "precision.csv"), "utf8").trim().split("\n");
        assert.equal(csv.length, 3);
        assert.match(csv[1], /^sysbench-cpu,.*,events_per_s,native,none,4,[0-9.]+,[0-9.e-]+,0\.0001,4,,not met at the maximum$/);
        assert.match(csv[2], /^sysbench-memory,.*,write_mib_per_s,native,none,4,[0-9.]+,[0-9.e-]+,0\.0001,4,,not met at the maximum$/);
        const md = fs.readFileSync(path.join(results, "summary.md"), "utf8");
        assert.match(md, /## Precision\n\nGoal \(isobench:precision\): each primary metric's mean known to ±0\.01 % .* Groups: 2 not met at the maximum\./);
        assert.match(md, /- Repetition 4 added to sysbench-cpu in native /);
        assert.match(md, /- Repetition 4 added to sysbench-memory in native /);
    });

    it("a no-change up measures nothing, keeps the added cells and records no new decision", () => {
        assert.equal(again.code, 0, again.out.slice(-4000));
        assert.match(fs.readFileSync(path.join(results, "progress.log"), "utf8"), /up: started by isobench pid \d+: 0 of 8 planned cell\(s\) to measure/);
        assert.deepEqual(cells(), [...all("sysbench-cpu"), ...all("sysbench-memory")]);
        const last = fs.readFileSync(path.join(results, "pulumi.log"), "utf8").split(/^=== /m).pop()!;
        assert.doesNotMatch(last, /cell-sysbench-\S+\.native\.r4 delet/, "Pulumi does not delete the added cells");
        assert.match(again.out, /\[isobench\] precision: 2 of 2 groups miss ±0\.01 % at the maximum of 4 repetitions: reported as not met\n/);
        assert.equal(readRepetitions(results)!.decisions.length, decisionsAfterRetry, "the same decision is not recorded twice");
    });
});
