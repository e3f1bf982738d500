/**
 * Two stacks started at once on one host (issue 17, part 9) through real `isobench up` runs of
 * two native stacks sharing one measurement lock: both finish, no cell of one overlaps a cell of
 * the other in time, and the one that waited records the wait in its progress.log.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { cellIntervals } from "../../experiment/run-report";
import { CliStack } from "../helpers/cli-stack";

describe("two stacks started at once on one host (real isobench up, native)", function () {
    this.timeout(10 * 60 * 1000);
    const config = {
        "isobench:runId": "two-1",
        "isobench:repetitions": "3",
        "isobench:environments": ["native"],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
    };
    const stacks: CliStack[] = [];
    const progressLog = (cli: CliStack) => fs.readFileSync(path.join(cli.results("two-1"), "progress.log"), "utf8");

    before(() => {
        stacks.push(new CliStack(`ittwoa${process.pid}`, config));
        // The second shares the first one's measurement lock: the same host.
        stacks.push(new CliStack(`ittwob${process.pid}`, config, { ISOBENCH_MEASURE_LOCK: stacks[0].env.ISOBENCH_MEASURE_LOCK }));
    });

    after(async () => {
        // One after the other, the first last: the second's destroy takes the lock file in the first's folder.
        for (const s of [...stacks].reverse()) {
            const d = await s.cleanup();
            assert.equal(d.code, 0, `isobench destroy ${s.stack} failed:\n${d.out.slice(-3000)}`);
        }
    });

    it("both finish, their cells never overlap, and the wait is recorded", async () => {
        const runs = stacks.map((s) => s.isobench(["up", s.stack]));
        const codes = await Promise.all(runs.map((r) => r.done));
        codes.forEach((c, i) => assert.equal(c, 0, runs[i].out().slice(-3000)));
        const [a, b] = stacks.map((s) => [...cellIntervals(progressLog(s)).values()]);
        assert.equal(a.length, 3);
        assert.equal(b.length, 3);
        const overlapping = a.filter(([a0, a1]) => b.some(([b0, b1]) => a0 < b1 && b0 < a1));
        assert.deepEqual(overlapping, [], "a cell of one stack ran while a cell of the other did");
        const waited = stacks.filter((s) => /waited \d+ s for another measurement on this host \(stack /.test(progressLog(s)));
        assert.equal(waited.length, 1, "exactly one of them waited, and says so");
    });
});
