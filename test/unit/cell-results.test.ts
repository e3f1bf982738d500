/**
 * Nothing stale, nothing lost (issue 17, parts 5 and 6): fingerprints of what defines a cell, the
 * runner refusing a CSV measured under another definition, failed cells recorded and retried, and
 * earlier attempts set aside in superseded/ rather than deleted. Runs real cells on the native
 * target with a stand-in workload.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell, CellInvocation, hostCpuTicks } from "../../experiment/runner";
import { fixtureReader } from "../helpers/fixtures";
import type { AnyWorkload } from "../../workloads";
import { samplesFromCsv, samplesToCsv, SAMPLE_COLUMNS } from "../../core/samples";
import { echoWorkload } from "../helpers/echo-workload";
import { cellFingerprint, imageIdentity, staleCells, staleCellsMessage } from "../../experiment/fingerprint";
import { readCellError } from "../../core/results-layout";
import { readResultsState, supersede } from "../../experiment/results-state";
import { listCells } from "../../analysis/load";
import { StaleResultsError } from "../../core/errors";
import { sample } from "../helpers/sample";
import { echoCell } from "../helpers/invocation";
import { cellLimit, expectedCellS, MIN_CELL_LIMIT_S, MIN_EMULATED_CELL_LIMIT_S, UNKNOWN_CELL_LIMIT_S } from "../../experiment/cell-limit";
import { WORKLOAD_NAMES } from "../../workloads";
import { parseSpec } from "../../experiment/spec";
import { processAlive } from "../../experiment/recovery";

const fixture = fixtureReader("environments");

const FP_A = "fp1-aaaaaaaaaaaaaaaa";
const FP_B = "fp1-bbbbbbbbbbbbbbbb";

describe("cell fingerprints", () => {
    const base = { workload: "redis", params: { requests: 1000, clients: 50 }, variant: "network=nat", images: ["isobench-bench:e7dc30c8925b"] };

    it("are one short hash, the same whatever the order of parameters and images", () => {
        assert.match(cellFingerprint(base), /^fp1-[0-9a-f]{16}$/);
        assert.equal(cellFingerprint(base), cellFingerprint({ ...base, params: { clients: 50, requests: 1000 } }));
        assert.equal(cellFingerprint({ ...base, images: ["a", "b"] }), cellFingerprint({ ...base, images: ["b", "a"] }));
    });

    it("change with the workload, any parameter value, the variant and the image", () => {
        const fp = cellFingerprint(base);
        for (const changed of [
            { ...base, workload: "mysql" },
            { ...base, params: { ...base.params, requests: 1001 } },
            { ...base, params: { ...base.params, requests: "1000" } },
            { ...base, params: { ...base.params, pipeline: 1 } },
            { ...base, variant: "network=host" },
            { ...base, images: ["isobench-bench:0123456789ab"] },
            { ...base, images: [] },
        ]) {
            assert.notEqual(cellFingerprint(changed), fp, JSON.stringify(changed));
        }
    });

    it("know a guest image by its folder, not by where the checkout is", () => {
        assert.equal(imageIdentity({ guestDisk: "/work/main/.cache/images/guest-b21fc6b9c453/disk.qcow2" }), "guest-b21fc6b9c453");
        assert.equal(imageIdentity({ guestDisk: "/srv/isobench/.cache/images/guest-b21fc6b9c453/disk.qcow2" }), "guest-b21fc6b9c453");
        assert.equal(imageIdentity({ container: "isobench-bench:e7dc30c8925b" }), "isobench-bench:e7dc30c8925b");
    });

    it("name the stale cells and both ways out", () => {
        const stale = staleCells(
            [
                { cellId: "a.native.r1", fingerprint: FP_A },
                { cellId: "b.native.r1", fingerprint: FP_A },
                { cellId: "c.native.r1", fingerprint: FP_A },
            ],
            new Map([
                ["a.native.r1", FP_A],
                ["b.native.r1", FP_B],
                ["c.native.r1", ""],
            ]),
        );
        assert.deepEqual(
            stale.map((s) => s.cellId),
            ["b.native.r1", "c.native.r1"],
        );
        const m = staleCellsMessage("quick", "quick-1", stale);
        assert.match(m, /run quick-1 of stack quick already holds 2 cell\(s\) measured under another definition/);
        assert.match(m, /b\.native\.r1: measured as fp1-b+, planned as fp1-a+/);
        assert.match(m, /c\.native\.r1: measured before fingerprints were recorded/);
        assert.match(m, /Fix: give the stack a new isobench:runId .* or run `isobench up quick --remeasure <cell>,…` \(or --remeasure stale\)/);
    });
});

describe("sample CSVs", () => {
    it("carry the fingerprint and the controller in every row, and files written before they existed read with empty ones", () => {
        const csv = samplesToCsv([
            sample({ environment: "native", metric: "m", value: 1, fingerprint: FP_A, controller: "laptop" }),
            sample({ environment: "native", metric: "m", value: 1, fingerprint: FP_A, controller: "laptop" }),
        ]);
        assert.deepEqual(
            samplesFromCsv(csv, "x").map((s) => [s.fingerprint, s.controller]),
            [
                [FP_A, "laptop"],
                [FP_A, "laptop"],
            ],
        );
        const dropLast = (text: string) =>
            text
                .split("\n")
                .map((l) => l.replace(/,[^,]*$/, ""))
                .join("\n");
        const noController = dropLast(csv);
        assert.equal(noController.split("\n")[0], SAMPLE_COLUMNS.slice(0, -1).join(","));
        assert.deepEqual(
            samplesFromCsv(noController, "older").map((s) => [s.fingerprint, s.controller]),
            [
                [FP_A, ""],
                [FP_A, ""],
            ],
        );
        const legacy = dropLast(noController);
        assert.equal(legacy.split("\n")[0], SAMPLE_COLUMNS.slice(0, -2).join(","));
        assert.deepEqual(
            samplesFromCsv(legacy, "old").map((s) => [s.fingerprint, s.controller]),
            [
                ["", ""],
                ["", ""],
            ],
        );
    });
});

describe("runner: stale results, failed cells, retries", () => {
    let dir = "";
    const inv = (cellId: string, o: Partial<CellInvocation> = {}): CellInvocation => echoCell(dir, cellId, { fingerprint: FP_A, onFailure: "continue", ...o });
    const ok = (v: number): AnyWorkload => echoWorkload(() => `printf 'value=${v}'`);
    const failing: AnyWorkload = echoWorkload(() => "echo 'no route to the server' >&2; exit 7");
    const cells = () => fs.readdirSync(path.join(dir, "cells")).sort();
    const progress = () => fs.readFileSync(path.join(dir, "progress.log"), "utf8");

    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-cell-results-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("writes the fingerprint into every row and keeps a cell measured under the same one", () => {
        const csv = runCell(inv("c1"), ok(1));
        assert.deepEqual(
            samplesFromCsv(fs.readFileSync(csv, "utf8"), csv).map((s) => s.fingerprint),
            [FP_A],
        );
        const before = fs.readFileSync(csv, "utf8");
        runCell(inv("c1"), ok(2));
        assert.equal(fs.readFileSync(csv, "utf8"), before);
        assert.match(progress(), /cell c1: already measured, keeping/);
    });

    it("records the host CPU steal of the cell's run, read from this machine's /proc/stat, in its done line", () => {
        // 0.2 s is about 40 ticks on 2 CPUs (USER_HZ 100): enough for a share, never "unknown".
        runCell(
            inv("c1"),
            echoWorkload(() => "sleep 0.2; printf 'value=1'"),
        );
        const done = progress()
            .split("\n")
            .find((l) => l.includes("cell c1: done in"));
        assert.match(done ?? "", /cell c1: done in [0-9.]+ s, 1 samples, host CPU steal \d+\.\d\d %$/);
    });

    it("a /proc/stat read that fails (an SSH connection lost after the measurement) gives no steal, never a lost cell", () => {
        const lost = {
            readFiles(): ReadonlyMap<string, string> {
                throw new Error("ssh://bench@server:22: the connection was lost (exit 255)");
            },
        };
        assert.equal(hostCpuTicks(lost), undefined);
        assert.equal(hostCpuTicks({ readFiles: () => new Map() }), undefined, "an unreadable file is left out of the map");
        assert.equal(hostCpuTicks({ readFiles: () => new Map([["/proc/stat", fixture("proc-stat-before.txt")]]) })?.steal, 816);
    });

    it("refuses a CSV measured under another definition, and one written before fingerprints, changing nothing", () => {
        const csv = runCell(inv("c1"), ok(1));
        const before = fs.readFileSync(csv, "utf8");
        assert.throws(
            () => runCell(inv("c1", { fingerprint: FP_B }), ok(2)),
            (e: Error) => e instanceof StaleResultsError && /c1: measured as fp1-a+, planned as fp1-b+/.test(e.message) && /--remeasure c1/.test(e.message),
        );
        assert.equal(fs.readFileSync(csv, "utf8"), before);
        // Without its last two columns (fingerprint, controller): as written before fingerprints.
        const legacy = before
            .split("\n")
            .map((l) => l.replace(/,[^,]*,[^,]*$/, ""))
            .join("\n");
        fs.writeFileSync(csv, legacy);
        assert.throws(() => runCell(inv("c1"), ok(2)), /c1: measured before fingerprints were recorded/);
        assert.equal(fs.readFileSync(csv, "utf8"), legacy);
    });

    it("continue: records a failed cell in cells/<cell>.error and progress.log, and returns instead of throwing", () => {
        const out = runCell(inv("c1"), failing);
        assert.equal(out, path.join(dir, "cells", "c1.error"));
        assert.deepEqual(cells(), ["c1.error"]);
        const e = readCellError(out);
        assert.equal(e.exitStatus, 7);
        assert.equal(e.raw, path.join("raw", "c1.txt"));
        assert.equal(e.fingerprint, FP_A);
        assert.match(e.message, /cell c1: echo exited with 7; raw output kept in/);
        assert.match(fs.readFileSync(path.join(dir, "raw", "c1.txt"), "utf8"), /no route to the server/);
        assert.match(
            progress(),
            /cell c1: FAILED: cell c1: echo exited with 7.*recorded in .*c1\.error; the run goes on \(isobench:onCellFailure: continue\); the next up retries it/,
        );
    });

    it("stop: records the failure the same way and throws it", () => {
        assert.throws(() => runCell(inv("c1", { onFailure: "stop" }), failing), /echo exited with 7/);
        assert.deepEqual(cells(), ["c1.error"]);
        assert.match(progress(), /the run stops \(isobench:onCellFailure: stop\)/);
    });

    it("a retry sets the failed attempt aside in superseded/ with its raw output, measures, and keeps the attempt count", () => {
        runCell(inv("c1"), failing);
        assert.equal(readResultsState(dir, ["c1"]).state.attempts.get("c1"), 1, "a failed cell counts one attempt");
        assert.deepEqual(readResultsState(dir, ["c1"]).failed, ["c1"]);
        assert.equal(readResultsState(dir, ["c1"], { holdFailed: true }).state.attempts.get("c1"), undefined, "held: the count it failed under");
        assert.deepEqual(readResultsState(dir, ["c1"], { holdFailed: true }).failed, ["c1"]);
        const csv = runCell(inv("c1"), ok(5));
        assert.deepEqual(cells(), ["c1.csv"]);
        assert.equal(samplesFromCsv(fs.readFileSync(csv, "utf8"), csv)[0].value, 5);
        const aside = path.join(dir, "superseded", "c1", "1");
        assert.match(readCellError(path.join(aside, "cells", "c1.error")).message, /exited with 7/);
        assert.match(fs.readFileSync(path.join(aside, "raw", "c1.txt"), "utf8"), /no route to the server/);
        assert.match(fs.readFileSync(path.join(aside, "why.txt"), "utf8"), /failed attempt set aside before cell c1 was run again/);
        assert.equal(fs.readFileSync(path.join(dir, "raw", "c1.txt"), "utf8"), "value=5");
        const after = readResultsState(dir, ["c1"]);
        assert.equal(after.state.attempts.get("c1"), 1, "the same count as before the retry: the next up does not replace the cell again");
        assert.deepEqual(after.failed, []);
        assert.equal(after.fingerprints.get("c1"), FP_A);
    });

    it("a cell that fails again counts both attempts; held, the count its retry was run under", () => {
        runCell(inv("c1"), failing);
        runCell(inv("c1"), failing);
        const state = (holdFailed: boolean) => readResultsState(dir, ["c1"], { holdFailed }).state.attempts.get("c1");
        assert.equal(state(false), 2, "the next up replaces the cell once more");
        assert.equal(state(true), 1, "a held pass declares it as the retry that failed: no change for Pulumi");
    });

    it("supersede moves a cell's CSV and only its own raw files (r1, not r10), numbering attempts", () => {
        fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
        fs.mkdirSync(path.join(dir, "raw"));
        for (const f of ["cells/w.e.r1.csv", "cells/w.e.r10.csv", "raw/w.e.r1.txt", "raw/w.e.r1.server.log", "raw/w.e.r10.txt"])
            fs.writeFileSync(path.join(dir, f), f);
        const to = supersede(dir, "w.e.r1", "test")!;
        assert.equal(to, path.join(dir, "superseded", "w.e.r1", "1"));
        assert.deepEqual(fs.readdirSync(path.join(dir, "raw")), ["w.e.r10.txt"]);
        assert.deepEqual(fs.readdirSync(path.join(to, "raw")).sort(), ["w.e.r1.server.log", "w.e.r1.txt"]);
        assert.deepEqual(cells(), ["w.e.r10.csv"]);
        assert.equal(supersede(dir, "w.e.r1", "again"), undefined, "nothing left to move");
        fs.writeFileSync(path.join(dir, "cells", "w.e.r1.csv"), "second");
        assert.equal(supersede(dir, "w.e.r1", "again"), path.join(dir, "superseded", "w.e.r1", "2"));
        assert.equal(readResultsState(dir, ["w.e.r1"]).state.attempts.get("w.e.r1"), 2);
    });
});

describe("analysis reads only the plan's cells and lists failed ones", () => {
    let dir = "";
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-cell-list-"));
        fs.mkdirSync(path.join(dir, "cells"));
        for (const c of ["a.native.r1", "old.native.r1"])
            fs.writeFileSync(path.join(dir, "cells", `${c}.csv`), samplesToCsv([sample({ environment: "native", metric: "m", value: 1, cell_id: c })]));
        fs.writeFileSync(
            path.join(dir, "cells", "b.native.r1.error"),
            JSON.stringify({ cell: "b.native.r1", message: "redis-benchmark exited with 1\nmore", fingerprint: FP_A }),
        );
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("without a plan: every CSV, and the failed cell as a problem with its message", () => {
        const l = listCells(dir);
        assert.deepEqual(
            l.entries.map((e) => e.name),
            ["a.native.r1.csv", "old.native.r1.csv"],
        );
        assert.deepEqual(
            l.skipped.map((p) => p.error),
            ["cell b.native.r1 failed and has no samples: redis-benchmark exited with 1"],
        );
    });

    it("with the plan: other cells' CSVs are left out and said so", () => {
        const l = listCells(dir, ["a.native.r1", "b.native.r1"]);
        assert.deepEqual(
            l.entries.map((e) => e.name),
            ["a.native.r1.csv"],
        );
        assert.deepEqual(
            l.skipped.map((p) => `${path.basename(p.file)}: ${p.error}`),
            [
                "b.native.r1.error: cell b.native.r1 failed and has no samples: redis-benchmark exited with 1",
                "old.native.r1.csv: not a cell of the stack's current plan (left by an earlier definition of this run); not used",
            ],
        );
    });
});

describe("cell wall-clock limits", () => {
    const spec = (cellTimeoutS?: number) => {
        const workloads = [
            { name: "redis", params: {} },
            { name: "mysql", params: {}, timeoutS: 120 },
        ];
        return { workloads, ...(cellTimeoutS !== undefined ? { cellTimeoutS } : {}) };
    };

    it("come from the workload's timeoutS, else isobench:cellTimeoutS, else the default (longer under emulation)", () => {
        const s = spec(900);
        assert.deepEqual(cellLimit(s, s.workloads[1], "none"), { limitS: 120, source: "isobench:workloads.1.timeoutS" });
        assert.deepEqual(cellLimit(s, s.workloads[0], "tcg"), { limitS: 900, source: "isobench:cellTimeoutS" });
        const d = spec();
        // redis by default: 11 client counts, each 6 tests × 500 000 requests at 5 000/s = 600 s.
        assert.equal(expectedCellS(d.workloads[0]), 6600);
        assert.equal(cellLimit(d, d.workloads[0], "kvm").limitS, 4 * (6600 + 60));
        assert.equal(cellLimit(d, d.workloads[0], "tcg").limitS, 4 * (6600 * 50 + 60));
        assert.match(
            cellLimit(d, d.workloads[0], "none").source,
            /4 × \(the 6600 s redis is expected to take.*set the workload's timeoutS or isobench:cellTimeoutS/,
        );
    });

    it("by default follow what the params ask for, with a floor for short cells", () => {
        const only = (name: string, params: Record<string, string | number>) => {
            const s = { workloads: [{ name, params }] };
            return (accel: "none" | "tcg") => cellLimit(s, s.workloads[0], accel).limitS;
        };
        // The quick stack's 1 s sysbench: the floor, not an hour.
        assert.equal(only("sysbench-cpu", { timeSeconds: 1 })("none"), MIN_CELL_LIMIT_S);
        assert.equal(only("sysbench-cpu", { timeSeconds: 1 })("tcg"), MIN_EMULATED_CELL_LIMIT_S);
        // The paper's MySQL sweep: 2 000 000 rows prepared at 5 000/s, 15 points of 60 s = 1 300 s.
        assert.equal(expectedCellS({ name: "mysql", params: {} }), 1300);
        // Longer work, longer limit: netperf's two tests of an hour each.
        assert.equal(only("netperf", { lengthSeconds: 3600 })("none"), 4 * (7200 + 60));
        // An instances sweep of 1, 2 and 4 counts 7 times the work.
        assert.equal(expectedCellS({ name: "sysbench-cpu", params: { timeSeconds: 10, instances: "1,2,4" } }), 70);
        // HPL's N from a share of the host's memory: not known from the params, the fixed default.
        assert.equal(only("linpack", { memoryPercent: 50 })("none"), UNKNOWN_CELL_LIMIT_S);
        assert.ok(only("linpack", { n: 45000 })("none") > only("linpack", { n: 1000 })("none"));
        // Every workload's defaults give a finite positive estimate (or say they cannot).
        for (const name of WORKLOAD_NAMES) {
            const e = expectedCellS({ name, params: {} });
            assert.ok(e === undefined || (Number.isFinite(e) && e > 0), `${name}: ${e}`);
        }
    });

    it("of lifecycle: estimated from its instances, but never shorter than the readyTimeoutS it waits for each count", () => {
        const s = { workloads: [{ name: "lifecycle", params: { instances: "1,2", readyTimeoutS: 600 } }] };
        // 1 + 2 instances at 60 s each: the estimate, which the plan uses, not the 2 × 600 s the counts may wait.
        assert.equal(expectedCellS(s.workloads[0]), 180);
        const host = cellLimit(s, s.workloads[0], "none");
        assert.equal(host.limitS, 2 * 600 + 60);
        assert.match(host.source, /^the default, the 1200 s lifecycle's own timeouts allow with these params \+ 60 s, more than 4 × \(the 180 s/);
        // Emulated, the estimate × 50 is the larger.
        assert.equal(cellLimit(s, s.workloads[0], "tcg").limitS, 4 * (180 * 50 + 60));
    });

    it("are stack keys with a range, refused with the key before anything runs", () => {
        const base = { runId: "r", environments: ["native"] };
        const ok = parseSpec("s", { ...base, cellTimeoutS: 600, workloads: [{ name: "redis", timeoutS: 30 }] });
        assert.equal(ok.cellTimeoutS, 600);
        assert.equal(ok.workloads[0].timeoutS, 30);
        assert.throws(() => parseSpec("s", { ...base, cellTimeoutS: 5, workloads: ["redis"] }), /isobench:cellTimeoutS/);
        assert.throws(() => parseSpec("s", { ...base, workloads: [{ name: "redis", timeoutS: -1 }] }), /isobench:workloads\.0\.timeoutS/);
    });

    describe("the runner ends a cell that runs past its limit", () => {
        let dir = "";
        beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-cell-limit-"))));
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("with its whole process group, keeping the output so far and naming the limit", () => {
            const pidFile = path.join(dir, "child.pid");
            // A client that hangs, with a child of its own that would outlive a kill of the client alone.
            const hang = echoWorkload(() => `sleep 300 & echo $! > ${pidFile}; echo 'partial output'; sleep 300`);
            const inv = echoCell(dir, "hang.native.r1", { limit: { limitS: 2, source: "isobench:cellTimeoutS" } });
            const t0 = Date.now();
            assert.throws(
                () => runCell(inv, hang),
                /cell hang\.native\.r1: echo's measured run still running when the cell's wall-clock limit of 2 s \(isobench:cellTimeoutS\) ran out .*its processes in native were ended; output so far in .*hang\.native\.r1\.txt/,
            );
            const took = (Date.now() - t0) / 1000;
            assert.ok(took < 12, `ended ${took.toFixed(1)} s after it started, for a 2 s limit`);
            assert.match(fs.readFileSync(path.join(dir, "raw", "hang.native.r1.txt"), "utf8"), /partial output/);
            const child = Number(fs.readFileSync(pidFile, "utf8"));
            assert.ok(!processAlive(child), `the client's child ${child} was ended with it`);
            const e = readCellError(path.join(dir, "cells", "hang.native.r1.error"));
            assert.equal(e.exitStatus, 124, "timeout's status for an expired command");
        });
    });
});
