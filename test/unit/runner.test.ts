/** The runner on the native target with a stand-in workload: results kept, bad output reported. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell, CellInvocation } from "../../experiment/runner";
import { ParseError } from "../../workloads/workload";
import type { AnyWorkload } from "../../workloads";
import { samplesFromCsv } from "../../experiment/samples";

function workload(output: string): AnyWorkload {
    return {
        name: "echo",
        tool: "sh",
        defaults: {},
        versionCommand: "echo sh-1.0",
        parseVersion: (s) => s.trim(),
        clientPlacement: "inside",
        clientCommand: () => `printf '%s' '${output}'`,
        parse(raw) {
            const m = /^value=(\d+)$/.exec(raw.trim());
            if (!m) throw new ParseError("echo", "value", `no "value=" line`);
            return [{ metric: "value", value: Number(m[1]), unit: "1", better: "higher" }];
        },
    };
}

describe("runner (native target)", () => {
    let dir = "";
    const inv = (cellId: string): CellInvocation => ({
        stack: "t", runId: "r", resultsDir: dir, cellId, workload: "echo", params: {}, repetition: 1,
        env: { name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir: path.join(dir, "data"), declared: {} },
    });
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-runner-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("writes samples with tool version, accel and host facts, and keeps the raw output", () => {
        const csv = runCell(inv("c1"), workload("value=42"));
        const rows = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
        assert.equal(rows.length, 1);
        assert.equal(rows[0].value, 42);
        assert.equal(rows[0].tool_version, "sh-1.0");
        assert.equal(rows[0].accel, "none");
        assert.equal(rows[0].kernel, os.release());
        assert.equal(fs.readFileSync(path.join(dir, "raw", "c1.txt"), "utf8"), "value=42");
    });

    it("fails a cell whose output does not parse, naming the raw file, and keeps finished cells", () => {
        const done = runCell(inv("c1"), workload("value=1"));
        assert.throws(() => runCell(inv("c2"), workload("garbage")), (e: Error) =>
            e.message.includes("echo: cannot parse value") && e.message.includes(path.join(dir, "raw", "c2.txt")));
        assert.ok(fs.existsSync(done));
        assert.ok(!fs.existsSync(path.join(dir, "cells", "c2.csv")));
        assert.equal(fs.readFileSync(path.join(dir, "raw", "c2.txt"), "utf8"), "garbage");
    });

    it("never measures a finished cell again", () => {
        const csv = runCell(inv("c1"), workload("value=7"));
        const before = fs.readFileSync(csv, "utf8");
        runCell(inv("c1"), workload("value=8"));
        assert.equal(fs.readFileSync(csv, "utf8"), before);
    });

    it("creates the data directory and gives each swept point its own params", () => {
        const sweep: AnyWorkload = {
            ...workload(""),
            defaults: { clients: 1, size: 50 },
            clientCommand: (_p, ctx) => `test -d ${ctx.dataDir} && printf 'c1=10 c5=40'`,
            parse: (raw) => [...raw.matchAll(/c(\d+)=(\d+)/g)].map((m) =>
                ({ metric: "rps", value: Number(m[2]), unit: "1/s", better: "higher" as const, point: { clients: Number(m[1]) } })),
        };
        const rows = samplesFromCsv(fs.readFileSync(runCell(inv("c1"), sweep), "utf8"), "c1");
        assert.deepEqual(rows.map((r) => [r.params, r.value]), [["clients=1;size=50", 10], ["clients=5;size=50", 40]]);
    });
});
