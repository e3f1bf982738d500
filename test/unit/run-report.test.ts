import * as assert from "node:assert/strict";
import { cellGaps, cellIntervals, cellTimesSince, describeRun, missingCells } from "../../experiment/run-report";

const LOG = [
    "2026-11-22T07:16:33.100Z cell pxz.native.r1: start (pxz on native, accel=none)",
    "2026-11-22T07:16:35.003Z cell pxz.native.r1: done in 2.1 s, 3 samples",
    "2026-11-22T07:16:42.191Z cell pxz.kvm-untuned.r1: start (pxz on kvm-untuned, accel=tcg, launched 0.183 s before)",
    "2026-11-22T07:16:42.200Z cell pxz.kvm-untuned.r1: other guests of stack s: paused isobench-s-kvm-tuned",
    "2026-11-22T07:16:57.647Z cell pxz.kvm-untuned.r1: done in 11.7 s, 3 samples",
    "2026-11-22T07:20:00.000Z cell linpack.native.r1: already measured, keeping /r/cells/linpack.native.r1.csv",
    "",
].join("\n");

describe("run report", () => {
    it("cell intervals: start to done, and open-ended for a cell with no done line", () => {
        const log = [
            "2026-12-04T10:00:00.000Z cell a.native.r1: start (sysbench-cpu on native, accel=none, launched 0.5 s before)",
            "2026-12-04T10:00:03.000Z cell a.native.r1: done in 2.9 s, 3 samples",
            "2026-12-04T10:00:04.000Z cell a.native.r2: start (sysbench-cpu on native, accel=none, launched 0.5 s before)",
            "2026-12-04T10:00:05.000Z cell a.native.r2: FAILED: exited 1",
        ].join("\n");
        assert.deepEqual(
            [...cellIntervals(log)],
            [
                ["a.native.r1", [Date.parse("2026-12-04T10:00:00.000Z"), Date.parse("2026-12-04T10:00:03.000Z")]],
                ["a.native.r2", [Date.parse("2026-12-04T10:00:04.000Z"), Number.POSITIVE_INFINITY]],
            ],
        );
    });

    it("lists planned cells without a CSV, in plan order", () => {
        assert.deepEqual(missingCells(["a.native.r1", "a.kvm.r1", "b.native.r1"], new Set(["a.native.r1.csv", "other.csv"])), ["a.kvm.r1", "b.native.r1"]);
        assert.deepEqual(missingCells(["a.native.r1"], new Set(["a.native.r1.csv"])), []);
    });

    it("sums the run times of the cells finished since the up began", () => {
        const all = cellTimesSince(LOG, new Date("2026-11-22T07:16:00Z"));
        assert.equal(all.cells, 2);
        assert.ok(Math.abs(all.seconds - 13.8) < 1e-9, String(all.seconds));
        assert.deepEqual(cellTimesSince(LOG, new Date("2026-11-22T07:16:40Z")), { cells: 1, seconds: 11.7 });
        assert.deepEqual(cellTimesSince(LOG, new Date("2026-11-22T08:00:00Z")), { cells: 0, seconds: 0 });
    });

    it("sums up host CPU steal from the done lines that give it, weighted by each cell's run time, naming the worst cell", () => {
        const log = [
            "2026-12-06T10:00:00.000Z cell a.native.r1: start (sysbench-cpu on native, accel=none, launched 0.5 s before)",
            "2026-12-06T10:00:10.000Z cell a.native.r1: done in 10.0 s, 3 samples, host CPU steal 0.10 %",
            "2026-12-06T10:00:11.000Z cell a.docker-nat.r1: start (sysbench-cpu on docker-nat, accel=none, launched 0.5 s before)",
            "2026-12-06T10:00:41.000Z cell a.docker-nat.r1: done in 30.0 s, 3 samples, host CPU steal 4.50 %",
            "2026-12-06T10:00:42.000Z cell a.kvm.r1: start (sysbench-cpu on kvm, accel=tcg, launched 0.5 s before)",
            "2026-12-06T10:00:52.000Z cell a.kvm.r1: done in 10.0 s, 3 samples, host CPU steal unknown (/proc/stat unreadable or without a steal count)",
            "2026-12-06T10:00:53.000Z cell b.native.r1: start (pxz on native, accel=none, launched 0.5 s before)",
            "2026-12-06T10:00:55.000Z cell b.native.r1: done in 2.0 s, 3 samples",
        ].join("\n");
        const t = cellTimesSince(log, new Date(0));
        assert.equal(t.cells, 4);
        assert.equal(t.seconds, 52);
        assert.deepEqual(
            { ...t.steal, meanPercent: Number(t.steal!.meanPercent.toFixed(6)) },
            { cells: 2, meanPercent: 3.4, maxPercent: 4.5, maxCell: "a.docker-nat.r1" },
        );
        assert.match(
            describeRun(t, 60),
            /orchestration .* 13\.3 %; host CPU steal during 2 of the cells 3\.40 % \(time-weighted\), at most 4\.50 % in a\.docker-nat\.r1$/,
        );
        assert.equal(cellTimesSince(LOG, new Date(0)).steal, undefined, "a log from before steal was recorded says nothing of it");
    });

    it("states the orchestration share of the wall time", () => {
        assert.match(
            describeRun({ cells: 2, seconds: 75 }, 100),
            /^2 cell\(s\) ran in this up: 75\.0 s of 100\.0 s wall time in cells, orchestration .* 25\.0 %$/,
        );
        assert.match(describeRun({ cells: 0, seconds: 0 }, 12), /^no cell ran in this up/);
    });

    it("measures the idle gap from one cell's done to the next cell's start, and each cell's span", () => {
        const { gaps, launches, spans } = cellGaps(LOG, new Date("2026-11-22T07:16:00Z"));
        assert.deepEqual(
            gaps.map((g) => Math.round(g * 1000)),
            [7188],
        );
        assert.deepEqual(launches, [0.183], "the part of the gap after the next cell's process started");
        assert.deepEqual(
            spans.map((g) => Math.round(g * 1000)),
            [1903, 15456],
        );
        assert.deepEqual(cellGaps(LOG, new Date("2026-11-22T07:16:40Z")).gaps, [], "no gap before the first cell since then");
    });
});
