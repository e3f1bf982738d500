/**
 * `isobench up A B` (issue 20, part 5) through real runs of native stacks: a stack on this machine
 * and one on a loopback sshd target measure at the same time (each target's own lock; the target's
 * lock file is its own setting, SetEnv in its sshd), while two stacks on this machine take turns.
 * The cells' start and end times in each progress.log are the evidence.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { stateDir, REPO_ROOT } from "../../core/paths";
import { cellIntervals } from "../../experiment/run-report";
import { CliStack } from "../helpers/cli-stack";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";

describe("isobench up with several stacks (real up, native; a loopback sshd target)", function () {
    this.timeout(25 * 60 * 1000);
    const runId = "many-1";
    const config = {
        "isobench:runId": runId,
        "isobench:repetitions": "4",
        "isobench:environments": ["native"],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 3 } }],
    };
    let sshd: LoopbackSshd | undefined;
    // The first holds the backend, results and this machine's lock of all of them: one up A B runs them with one environment.
    const stacks: CliStack[] = [];
    const [here, there, hereToo, hereThree] = [0, 1, 2, 3];
    const progressLog = (s: CliStack) => fs.readFileSync(path.join(s.results(runId), "progress.log"), "utf8");
    const cells = (s: CliStack) => [...cellIntervals(progressLog(s)).values()];
    const waited = (s: CliStack) => /waited \d+ s for another measurement on /.test(progressLog(s));

    before(async function () {
        if (!canRunSshd()) this.skip(); // scripts/setup.sh installs openssh-server
        const first = new CliStack(`itmanyl${process.pid}`, config);
        stacks.push(first);
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT), { setEnv: { ISOBENCH_MEASURE_LOCK: path.join(first.work, "target-measure.lock") } });
        const shared = {
            PULUMI_BACKEND_URL: first.env.PULUMI_BACKEND_URL,
            PULUMI_HOME: first.env.PULUMI_HOME,
            ISOBENCH_RESULTS_DIR: first.env.ISOBENCH_RESULTS_DIR,
            ISOBENCH_MEASURE_LOCK: first.env.ISOBENCH_MEASURE_LOCK,
        };
        stacks.push(new CliStack(`itmanyr${process.pid}`, { ...config, "isobench:target": sshd.stackTarget }, shared));
        stacks.push(new CliStack(`itmanys${process.pid}`, config, shared));
        stacks.push(new CliStack(`itmanyt${process.pid}`, config, shared));
    });

    after(async () => {
        try {
            // The first last: its folder holds the others' backend. The remote one while its sshd still runs.
            for (const s of [...stacks].reverse()) {
                const d = await s.cleanup();
                assert.equal(d.code, 0, `isobench destroy ${s.stack} failed:\n${d.out.slice(-3000)}`);
            }
        } finally {
            sshd?.stop();
        }
    });

    it("a stack here and one on another target measure at the same time, neither waiting", async () => {
        const run = stacks[here].isobench(["up", stacks[here].stack, stacks[there].stack]);
        const code = await run.done;
        const out = run.out();
        assert.equal(code, 0, out.slice(-4000));
        assert.match(out, new RegExp(`^\\[${stacks[there].stack}\\] \\[isobench\\] stack ${stacks[there].stack}, run ${runId}: results in `, "m"));
        assert.match(out, /\[isobench\] 2 stacks in .*: all done/);
        const [a, b] = [cells(stacks[here]), cells(stacks[there])];
        assert.equal(a.length, 4);
        assert.equal(b.length, 4);
        assert.equal(waited(stacks[here]) || waited(stacks[there]), false, "different targets never wait for each other");
        const span = (c: number[][]) => [Math.min(...c.map((x) => x[0])), Math.max(...c.map((x) => x[1]))];
        const [[a0, a1], [b0, b1]] = [span(a), span(b)];
        assert.ok(a0 < b1 && b0 < a1, `the two runs' cells did not overlap in time: ${JSON.stringify({ a, b })}`);
    });

    it("two stacks on this machine take turns: no cell of one overlaps a cell of the other, and one says it waited", async () => {
        const run = stacks[here].isobench(["up", stacks[hereToo].stack, stacks[hereThree].stack]);
        const code = await run.done;
        assert.equal(code, 0, run.out().slice(-4000));
        const [a, b] = [cells(stacks[hereToo]), cells(stacks[hereThree])];
        assert.equal(a.length, 4);
        assert.equal(b.length, 4);
        const overlapping = a.filter(([a0, a1]) => b.some(([b0, b1]) => a0 < b1 && b0 < a1));
        assert.deepEqual(overlapping, [], "a cell of one stack ran while a cell of the other did");
        assert.equal([stacks[hereToo], stacks[hereThree]].filter(waited).length, 1, "exactly one of them waited, and says so");
    });

    it("refuses a stack named twice before anything starts", async () => {
        const run = stacks[here].isobench(["up", stacks[here].stack, stacks[here].stack]);
        assert.equal(await run.done, 2);
        assert.match(run.out(), new RegExp(`isobench: up: stack ${stacks[here].stack} is named twice: `));
    });
});
