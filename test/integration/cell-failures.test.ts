/**
 * A failing cell and a changed definition, through real `isobench up` runs of a native stack
 * (issue 17, parts 5 and 6). The failure is injected by a `sysbench` first on PATH that fails its
 * first measurement and then runs the real one, so the run, the retry and the kept evidence are
 * the real runner's, Pulumi's and the CLI's.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { samplesFromCsv } from "../../core/samples";
import { CliStack } from "../helpers/cli-stack";

const CELLS = ["sysbench-cpu.native.r1", "sysbench-cpu.native.r2", "sysbench-cpu.native.r3"];

describe("failed cells and changed definitions (real isobench up, native cells)", function () {
    this.timeout(10 * 60 * 1000);
    const stack = `itfail${process.pid}`;
    const config = (timeSeconds: number) => ({
        "isobench:runId": "fail-1",
        "isobench:repetitions": "3",
        "isobench:environments": ["native"],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds } }],
    });
    let cli: CliStack;
    let results = "";
    const csv = (c: string) => path.join(results, "cells", `${c}.csv`);
    const fingerprints = () => CELLS.map((c) => samplesFromCsv(fs.readFileSync(csv(c), "utf8"), c)[0].fingerprint);
    const run = async (args: string[]) => {
        const r = cli.isobench(args);
        return { code: await r.done, out: r.out() };
    };

    before(() => {
        const bin = path.join(os.tmpdir(), `isobench-${stack}-bin`);
        fs.mkdirSync(bin, { recursive: true });
        // Fails the first measurement (not the version check), then is the real sysbench.
        fs.writeFileSync(
            path.join(bin, "sysbench"),
            `#!/bin/sh\ncase "$*" in *--version*) exec /usr/bin/sysbench "$@" ;; esac\nif [ ! -e "${bin}/failed-once" ]; then touch "${bin}/failed-once"; echo "injected failure" >&2; exit 3; fi\nexec /usr/bin/sysbench "$@"\n`,
            { mode: 0o755 },
        );
        cli = new CliStack(stack, config(1), { PATH: `${bin}:${process.env.PATH}` });
        results = cli.results("fail-1");
    });

    after(async () => {
        const d = await cli.cleanup();
        fs.rmSync(path.join(os.tmpdir(), `isobench-${stack}-bin`), { recursive: true, force: true });
        assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
    });

    it("a failed cell is recorded, the others are measured, up names it and exits non-zero", async () => {
        const first = await run(["up", stack]);
        assert.notEqual(first.code, 0, "a run with a failed cell is not a success");
        assert.match(first.out, /isobench: cell sysbench-cpu\.native\.r1 failed: cell sysbench-cpu\.native\.r1: sysbench-cpu exited with 3/);
        assert.match(first.out, /isobench: 1 cell\(s\) failed: sysbench-cpu\.native\.r1\./);
        assert.ok(fs.existsSync(path.join(results, "cells", "sysbench-cpu.native.r1.error")));
        assert.ok(!fs.existsSync(csv(CELLS[0])));
        assert.ok(fs.existsSync(csv(CELLS[1])) && fs.existsSync(csv(CELLS[2])), "the matrix went on after the failure");
        assert.match(fs.readFileSync(path.join(results, "progress.log"), "utf8"), /cell sysbench-cpu\.native\.r1: FAILED: .*the run goes on/);
        assert.match(fs.readFileSync(path.join(results, "summary.md"), "utf8"), /cell sysbench-cpu\.native\.r1 failed and has no samples/);
    });

    it("the next up retries only the failed cell and keeps the failed attempt in superseded/", async () => {
        const kept = CELLS.slice(1).map((c) => fs.readFileSync(csv(c), "utf8"));
        const second = await run(["up", stack]);
        assert.equal(second.code, 0, second.out.slice(-4000));
        assert.match(second.out, /1 cell\(s\) failed before and are retried: sysbench-cpu\.native\.r1/);
        assert.ok(fs.existsSync(csv(CELLS[0])));
        assert.deepEqual(
            CELLS.slice(1).map((c) => fs.readFileSync(csv(c), "utf8")),
            kept,
            "measured cells are not measured again",
        );
        const aside = path.join(results, "superseded", CELLS[0], "1");
        assert.match(fs.readFileSync(path.join(aside, "cells", `${CELLS[0]}.error`), "utf8"), /"exitStatus": 3/);
        assert.match(fs.readFileSync(path.join(aside, "raw", `${CELLS[0]}.txt`), "utf8"), /injected failure/);
        assert.doesNotMatch(fs.readFileSync(path.join(results, "summary.md"), "utf8"), /failed and has no samples/, "the analysis ran again");
    });

    it("a changed parameter under the same runId is refused before provisioning; --remeasure stale measures it again and keeps the old CSVs", async () => {
        const before = fingerprints();
        assert.equal(new Set(before).size, 1);
        const log = fs.readFileSync(path.join(results, "progress.log"), "utf8");
        cli.writeConfig(config(2));
        const refused = await run(["up", stack]);
        assert.equal(refused.code, 1, refused.out.slice(-3000));
        assert.match(refused.out, /run fail-1 of stack itfail\d+ already holds 3 cell\(s\) measured under another definition/);
        assert.match(refused.out, /--remeasure stale/);
        assert.doesNotMatch(refused.out, /pulumi up finished/, "pulumi did not run");
        assert.equal(fs.readFileSync(path.join(results, "progress.log"), "utf8"), log, "nothing ran");

        const again = await run(["up", stack, "--remeasure", "stale"]);
        assert.equal(again.code, 0, again.out.slice(-4000));
        for (const c of CELLS) assert.match(again.out, new RegExp(`remeasure: ${c.replace(/\./g, "\\.")}: set aside in`));
        const after = fingerprints();
        assert.equal(new Set(after).size, 1);
        assert.notEqual(after[0], before[0]);
        for (const c of CELLS) {
            const rows = samplesFromCsv(fs.readFileSync(csv(c), "utf8"), c);
            assert.match(rows[0].params, /timeSeconds=2/);
            const dirs = fs.readdirSync(path.join(results, "superseded", c)).sort();
            const old = path.join(results, "superseded", c, dirs[dirs.length - 1], "cells", `${c}.csv`);
            assert.equal(samplesFromCsv(fs.readFileSync(old, "utf8"), c)[0].fingerprint, before[0], "the old measurement is kept");
        }
    });
});
