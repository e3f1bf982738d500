/** The runner's hooks for workloads that measure environments and for instances sweeps (native target). */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell, CellInvocation } from "../../experiment/runner";
import type { AnyWorkload } from "../../workloads";
import { samplesFromCsv } from "../../core/samples";
import { echoWorkload } from "../helpers/echo-workload";
import { TEST_CELL } from "../helpers/invocation";

/** A self-contained stand-in printing value=5 once its data directory exists. */
// No trailing newline: the instance's section must still end before the next marker.
const echo = echoWorkload((_p, ctx) => `test -d ${ctx.dataDir} && printf value=5`);

describe("runner: environment workloads and instances sweeps (native target)", () => {
    let dir = "";
    const inv = (cellId: string, params: Record<string, number | string>): CellInvocation => ({
        ...TEST_CELL,
        stack: "t",
        runId: "r",
        resultsDir: dir,
        cellId,
        workload: "echo",
        params,
        repetition: 1,
        env: { name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir: path.join(dir, "data"), declared: {} },
    });
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-runner-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs a self-contained workload in N simultaneous instances per count: one sample each plus the aggregate", () => {
        const csv = runCell(inv("c1", { instances: "1,3" }), echo);
        const rows = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
        assert.deepEqual(
            rows.map((r) => [r.metric, r.params, r.value]),
            [
                ["value", "instances=1", 5],
                ["value_aggregate", "instances=1", 5],
                ["value", "instances=3", 5],
                ["value", "instances=3", 5],
                ["value", "instances=3", 5],
                ["value_aggregate", "instances=3", 15],
            ],
        );
        assert.equal(rows[0].tool_version, "sh-1.0");
        assert.equal(rows[0].workload, "echo");
        assert.match(rows[2].notes, /^3 simultaneous instances \(clones of native\)$/);
        const raw = fs.readFileSync(path.join(dir, "raw", "c1.txt"), "utf8");
        assert.equal(raw.match(/^##isobench## instances=3 instance=\d status=0$/gm)?.length, 3);
    });

    it("keeps the raw output and names it when an instance fails", () => {
        const failing: AnyWorkload = { ...echo, clientCommand: () => "echo value=5; exit 3" };
        assert.throws(
            () => runCell(inv("c2", { instances: 2 }), failing),
            (e: Error) => e.message.includes("echo exited with 1") && e.message.includes(path.join(dir, "raw", "c2.txt")),
        );
        assert.match(fs.readFileSync(path.join(dir, "raw", "c2.txt"), "utf8"), /instances=2 instance=2 status=3/);
    });

    it("refuses instances for a workload whose client runs on the host", () => {
        const hosted: AnyWorkload = { ...echo, clientPlacement: "host" };
        assert.throws(() => runCell(inv("c3", { instances: 2 }), hosted), /echo: the instances parameter applies to self-contained workloads only/);
        assert.throws(() => runCell(inv("c4", { instances: "0" }), echo), /echo: parameter instances must be a count/);
    });

    it("runs a host workload's version command on the host and gives it the environment and its clone source", () => {
        const probe: AnyWorkload = {
            ...echo,
            versionCommand: "echo host-$$",
            versionPlacement: "host",
            needsClones: true,
            clientPlacement: "host",
            clientCommand: (_p, ctx) => `echo value=${ctx.env?.name === "native" && ctx.clones?.shareFilesystem === true && ctx.originalExec ? 1 : 0}`,
        };
        const rows = samplesFromCsv(fs.readFileSync(runCell(inv("c5", {}), probe), "utf8"), "c5");
        assert.equal(rows[0].value, 1);
        assert.match(rows[0].tool_version, /^host-\d+$/);
        assert.equal(rows[0].notes, "");
    });
});
