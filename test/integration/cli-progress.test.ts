/**
 * Following a run (issue 21) through real `isobench up` of a native-only stack, with stdout a
 * pipe: plain progress lines with cells done/total and an ETA, Pulumi's output in pulumi.log, and
 * `isobench status` during the run (while a cell runs) and after it, and `isobench ls`; and the
 * host stability probe before the pass (isobench:stabilityProbeS, here its shortest, 4 s), from
 * the real netperf into host-stability.csv, progress.log and summary.md.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { CliStack, processesOf, waitFor } from "../helpers/cli-stack";
import { ToolGate } from "../helpers/tool-gate";
import { endProcesses } from "../../experiment/recovery";
import { HOST_STABILITY_COLUMNS } from "../../analysis/host-stability";
import { parse } from "csv-parse/sync";

describe("following isobench up: progress lines, status and ls (real pulumi, native cells)", function () {
    this.timeout(10 * 60 * 1000);
    const stack = `itprog${process.pid}`;
    let cli: CliStack;
    // The second cell's sysbench waits at the gate until `status` has read the run.
    let gate: ToolGate | undefined;
    let results = "";
    let upOut = "";
    let upCode: number | undefined;
    let during = "";
    let finished = "";
    let listing = "";

    const progressLog = () => (fs.existsSync(path.join(results, "progress.log")) ? fs.readFileSync(path.join(results, "progress.log"), "utf8") : "");
    const status = async () => {
        const s = cli.isobench(["status", stack]);
        assert.equal(await s.done, 0, s.out());
        return s.out();
    };

    before(async () => {
        gate = new ToolGate(`isobench-${stack}-gate`, "sysbench", 2);
        cli = new CliStack(
            stack,
            {
                "isobench:runId": "prog-1",
                "isobench:repetitions": "3",
                "isobench:environments": ["native"],
                "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
                "isobench:stabilityProbeS": "4",
            },
            gate.env,
        );
        results = cli.results("prog-1");
        const up = cli.isobench(["up", stack]);
        await waitFor("the second cell to reach the gate", () => gate!.held, 240);
        during = await status();
        gate.open();
        upCode = await up.done;
        upOut = up.out();
        finished = await status();
        const l = cli.isobench(["ls"]);
        await l.done;
        listing = l.out();
    });

    after(async () => {
        gate?.open();
        const orphans = processesOf(cli.work);
        const d = await cli.cleanup();
        endProcesses([...orphans, ...processesOf(cli.work)]);
        gate?.remove();
        assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
    });

    it("up succeeds and prints plain progress lines: done/total and an ETA at each cell's end, provisioning steps, no terminal escapes", () => {
        assert.equal(upCode, 0, upOut.slice(-4000));
        assert.match(upOut, /\[isobench\] 1\/3 cells, elapsed \d+ s, ETA \d+ s: sysbench-cpu\.native\.r1 done in [0-9.]+ s\n/);
        assert.match(upOut, /\[isobench\] 2\/3 cells, elapsed \d+ s, ETA \d+ s: sysbench-cpu\.native\.r2 done in [0-9.]+ s\n/);
        assert.match(upOut, /\[isobench\] 3\/3 cells, elapsed \d+ s: sysbench-cpu\.native\.r3 done in [0-9.]+ s\n/);
        assert.match(upOut, /\[isobench\] probing environment native… \(0\/3 cells/);
        assert.ok(!upOut.includes("\x1b["), "no escape codes when stdout is not a terminal");
        assert.doesNotMatch(upOut, /cell-sysbench-cpu\.native\.r1 creat/, "Pulumi's own resource lines are not on the terminal");
    });

    it("Pulumi's full output is in pulumi.log in the results folder; progress.log records the up's start and end", () => {
        const log = fs.readFileSync(path.join(results, "pulumi.log"), "utf8");
        assert.match(log, /=== \S+ pulumi up --yes --skip-preview .*--event-log tcp:\/\/127\.0\.0\.1:\d+ --stack itprog\d+/);
        assert.match(log, /cell-sysbench-cpu\.native\.r3 created/);
        assert.match(progressLog(), /up: started by isobench pid \d+: 3 of 3 planned cell\(s\) to measure/);
        assert.match(progressLog(), /up: finished by isobench pid \d+ after [0-9.]+ s \(exit 0\)/);
    });

    it("probes the host's round trip before the pass and keeps the figures, the raw output and a section of the summary", () => {
        assert.match(upOut, /\[isobench\] host stability: probing this host for about 4 s before this pass's cells/);
        const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(results, "host-stability.csv"), "utf8"), { columns: true });
        assert.equal(rows.length, 1, "one probe: one pass");
        const row = rows[0];
        assert.deepEqual(Object.keys(row), [...HOST_STABILITY_COLUMNS]);
        const csv = JSON.stringify(row);
        assert.equal(row.error, "", csv);
        assert.equal(row.cells_measured, "0");
        assert.equal(row.across_samples, "2", "4 s: two rounds of a one-second sample on each placement");
        assert.ok(Number(row.across_median_us) > 0 && Number(row.same_median_us) > 0, csv);
        const raw = fs.readFileSync(path.join(results, row.raw), "utf8");
        assert.equal(
            raw
                .trim()
                .split("\n")
                .filter((l) => /^across \d/.test(l)).length,
            2,
            raw,
        );
        assert.match(progressLog(), /host stability probe 1 \(4 s, before the first cell\): round trip between CPUs \d+ and \d+ median [0-9.]+ µs/);
        const summary = fs.readFileSync(path.join(results, "summary.md"), "utf8");
        assert.match(summary, /\n## Host stability\n\n.*\n\n- \S+, before the first cell, 4 s: round trip between CPUs/);
    });

    it("status during the run: active with the isobench and pulumi pids, the running cell, one done and two missing, an estimate left", () => {
        assert.match(during, new RegExp(`^stack ${stack}, run prog-1 \\(.*\\)\\n {2}target: local\\n`));
        assert.match(during, /\n {2}active: yes \(isobench up pid \d+, pulumi pid \d+, since \S+, on cell sysbench-cpu\.native\.r2 for \d+ s\)\n/);
        assert.match(during, /\n {2}cells: 1\/3 done, 0 failed, 2 missing\n {2}missing: sysbench-cpu\.native\.r2, sysbench-cpu\.native\.r3\n/);
        assert.match(during, /\n {2}time: \d+ s spent in 1 up\(s\); \d+ s left\n/);
        assert.match(during, /\n {2}environments: native up/);
    });

    it("status after the run: not active, all done, nothing left", () => {
        assert.match(
            finished,
            /\n {2}active: no\n {2}cells: 3\/3 done, 0 failed, 0 missing\n {2}time: \d+ s spent in 1 up\(s\); nothing left to measure\n {2}environments: native up/,
        );
    });

    it("ls lists the stack's run with its cells", () => {
        assert.match(
            listing,
            new RegExp(`\\n${stack} \\(runId prog-1, target local\\), provisioned\\n {2}prog-1: 3 cell\\(s\\), \\S+ \\S+ – \\S+ \\S+ UTC \\(current\\)`),
        );
    });
});
