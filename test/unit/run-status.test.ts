/** isobench status and ls computed from a run's files (experiment/run-status.ts, experiment/status-read.ts). */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PlannedCell } from "../../experiment/progress-model";
import { upFinishedLine, upStartedLine } from "../../experiment/run-report";
import { formatListing, formatStatus, stackStatus, StatusInput, upSessions } from "../../experiment/run-status";
import { cellFiles, resultRuns } from "../../experiment/status-read";
import { logEvents } from "../../experiment/run-report";

const T0 = Date.parse("2026-12-04T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const PLAN: PlannedCell[] = [1, 2, 3].flatMap((r) =>
    (["native", "kvm"] as const).map((kind) => ({ id: `fio.${kind}.r${r}`, workload: "fio", environment: kind, kind, lengthFixedBy: "work" as const })),
);

/** A first up (killed: no end line) that measured two cells and failed one, then a second up that is running fio.native.r2. */
const LOG = [
    `${at(0)} ${upStartedLine(100, 6, 6)}`,
    `${at(10)} cell fio.native.r1: start (fio on native, accel=none)`,
    `${at(20)} cell fio.native.r1: done in 9.5 s, 3 samples`,
    `${at(21)} cell fio.kvm.r1: start (fio on kvm, accel=tcg)`,
    `${at(121)} cell fio.kvm.r1: done in 99 s, 3 samples`,
    `${at(122)} cell fio.kvm.r2: start (fio on kvm, accel=tcg)`,
    `${at(130)} cell fio.kvm.r2: FAILED: fio exited 1; recorded in x`,
    `${at(1000)} ${upStartedLine(200, 4, 6)}`,
    `${at(1010)} cell fio.native.r2: start (fio on native, accel=none)`,
    "",
].join("\n");

function input(active: boolean, now: number): StatusInput {
    return {
        stack: "s",
        runId: "s-1",
        resultsDir: "/r/s/s-1",
        target: "ssh://root@lab.example:22",
        plan: PLAN,
        prior: () => 50,
        measured: new Set(["fio.native.r1", "fio.kvm.r1"]),
        errors: new Set(["fio.kvm.r2"]),
        progressLog: LOG,
        ...(active ? { active: { isobenchPid: 200, since: T0 + 1_000_000 } } : {}),
        environments: [
            { name: "native", kind: "native", provisioned: true },
            { name: "kvm", kind: "kvm", provisioned: true, state: "shut off" },
        ],
        now,
    };
}

describe("isobench status", () => {
    it("splits progress.log into ups: each from its start line to its end line or its last event", () => {
        const s = upSessions(logEvents(LOG + `${at(1020)} ${upFinishedLine(200, 0, 20)}\n`));
        assert.deepEqual(
            s.map((x) => [x.start, x.end, x.ended, x.pid]),
            [
                [T0, T0 + 130_000, false, 100],
                [T0 + 1_000_000, T0 + 1_020_000, true, 200],
            ],
        );
    });

    it("during a run: counts, the running cell, the time spent in both ups, and the ETA of what this up still measures", () => {
        const s = stackStatus(input(true, T0 + 1_015_000));
        assert.deepEqual(s.done, ["fio.native.r1", "fio.kvm.r1"]);
        assert.deepEqual(s.failed, ["fio.kvm.r2"]);
        assert.deepEqual(s.missing, ["fio.native.r2", "fio.native.r3", "fio.kvm.r3"]);
        assert.equal(s.ups, 2);
        assert.equal(s.spentS, 130 + 15);
        assert.deepEqual(s.current, { cell: "fio.native.r2", sinceS: 5 });
        // fio natively 10 s (5 s of it left), emulated 100 s; gaps 1 s. fio.kvm.r2 failed in the first up, so this one retries it.
        assert.equal(s.etaS, 10 - 5 + (10 + 1) + (100 + 1) + (100 + 1));
        const text = formatStatus(s).join("\n");
        assert.match(
            text,
            /^stack s, run s-1 \(\/r\/s\/s-1\)\n {2}target: ssh:\/\/root@lab\.example:22\n {2}active: yes \(isobench up pid 200, since 2026-12-04T10:16:40\.000Z, on cell fio\.native\.r2 for 5 s\)/,
        );
        assert.match(
            text,
            /\n {2}cells: 2\/6 done, 1 failed, 3 missing\n {2}failed: fio\.kvm\.r2\n {2}missing: fio\.native\.r2, fio\.native\.r3, fio\.kvm\.r3\n/,
        );
        assert.match(text, /\n {2}time: 2 min 25 s spent in 2 up\(s\); 3 min 38 s left\n {2}environments: native up, kvm up \(shut off\)$/);
    });

    it("after a run: not active, the time up to each up's last event, the estimate of the next up", () => {
        const s = stackStatus(input(false, T0 + 5_000_000));
        assert.equal(s.active, undefined);
        assert.equal(s.current, undefined);
        assert.equal(s.spentS, 130 + 10);
        // The next up measures the two missing native cells and retries the failed guest cell with the missing one.
        assert.equal(s.etaS, (10 + 1) * 2 + (100 + 1) * 2);
        assert.match(formatStatus(s).join("\n"), /active: no[\s\S]*left to measure \(the next isobench up\)/);
    });

    it("reads the cells and runs of a results folder", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-status-"));
        const saved = process.env.ISOBENCH_RESULTS_DIR;
        try {
            process.env.ISOBENCH_RESULTS_DIR = root;
            const run = path.join(root, "s", "s-1");
            fs.mkdirSync(path.join(run, "cells"), { recursive: true });
            for (const f of ["fio.native.r1.csv", "fio.kvm.r1.csv", "fio.kvm.r2.error", "fio.native.r1.error"])
                fs.writeFileSync(path.join(run, "cells", f), "");
            fs.writeFileSync(path.join(run, "progress.log"), LOG);
            assert.deepEqual(cellFiles(run), { measured: new Set(["fio.native.r1", "fio.kvm.r1"]), errors: new Set(["fio.kvm.r2", "fio.native.r1"]) });
            const runs = resultRuns("s", "/nowhere");
            assert.equal(runs.length, 1);
            assert.equal(runs[0].runId, "s-1");
            assert.equal(runs[0].cells, 2);
            assert.equal(runs[0].failed, 1, "an error beside a CSV is an attempt set right, not a failure");
            assert.equal(runs[0].first, T0);
            assert.deepEqual(resultRuns("other", "/nowhere"), []);
            assert.deepEqual(
                formatListing([
                    { stack: "s", runId: "s-1", provisioned: true, runs: [{ runId: "s-1", cells: 2, failed: 1, first: T0, last: T0 + 60_000 }] },
                    { stack: "t", provisioned: false, runs: [] },
                    { stack: "u", runId: "u-1", target: "ssh://root@lab.example:22", provisioned: false, runs: [] },
                ]),
                [
                    "s (runId s-1), provisioned",
                    "  s-1: 2 cell(s), 1 failed, 2026-12-04 10:00 – 2026-12-04 10:01 UTC (current)",
                    "t",
                    "  no results",
                    "u (runId u-1, target ssh://root@lab.example:22)",
                    "  no results",
                ],
            );
        } finally {
            if (saved === undefined) delete process.env.ISOBENCH_RESULTS_DIR;
            else process.env.ISOBENCH_RESULTS_DIR = saved;
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
