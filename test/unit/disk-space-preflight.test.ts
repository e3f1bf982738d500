/**
 * The disk space preflight against a real filesystem: `isobench up` of a stack whose results go
 * to a 4 MiB tmpfs is refused with the numbers before anything is created. Native environments
 * only, so no daemon is involved. The stack file sits in the checkout's stacks/ for the test's
 * duration (up runs only stacks Pulumi would read); the tmpfs is unmounted whatever happens.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import YAML from "yaml";
import { nativeDataDir } from "../../environments/exec-target";
import { cliCommand } from "../helpers/cli-build";

const REPO = path.resolve(__dirname, "..", "..");

describe("disk space preflight on a real filesystem (isobench up, results on a 4 MiB tmpfs)", function () {
    this.timeout(120_000);
    const stack = `disk-tmpfs-${process.pid}`;
    const stackPath = path.join(REPO, "stacks", `Pulumi.${stack}.yaml`);
    let tmp = "";
    let results = "";
    let mounted = false;

    before(function () {
        if (process.getuid?.() !== 0) this.skip();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-disk-"));
        results = path.join(tmp, "results");
        fs.mkdirSync(results);
        const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", results], { encoding: "utf8" });
        assert.equal(m.status, 0, `mount -t tmpfs: ${m.stderr}`);
        mounted = true;
        const config = {
            "isobench:runId": "tmpfs-1",
            "isobench:repetitions": 3,
            "isobench:environments": ["native"],
            "isobench:workloads": [{ name: "fio", params: { size: "16m", runtimeSeconds: 1 } }, "sysbench-cpu"],
        };
        fs.writeFileSync(stackPath, YAML.stringify({ config }), { flag: "wx" });
    });

    after(() => {
        fs.rmSync(stackPath, { force: true });
        if (mounted) {
            const u = spawnSync("umount", [results], { encoding: "utf8" });
            // Busy (a process still in it): detach it, so nothing is left mounted.
            if (u.status !== 0) spawnSync("umount", ["-l", results]);
        }
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("exits 1 naming the filesystem, what needs how much of it and the fix, and creates nothing", () => {
        const { argv, env } = cliCommand(["up", stack]);
        const state = path.join(tmp, "state");
        const r = spawnSync(argv[0], argv.slice(1), {
            encoding: "utf8",
            timeout: 110_000,
            cwd: REPO,
            env: { ...process.env, ...env, ISOBENCH_RESULTS_DIR: results, ISOBENCH_STATE_DIR: state, ISOBENCH_GUESTS_DIR: path.join(tmp, "guests") },
        });
        assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
        // 6 cells × 1 MiB + the analysis over them, and the 1 GiB margin, on a filesystem of 4 MiB: 1.0034 GiB short, rounded up.
        assert.equal(
            r.stderr,
            `isobench: stack "${stack}" may write more than this host's disks can hold (estimated from the plan before anything is created, experiment/disk-plan.ts):\n` +
                `  - the filesystem mounted at ${results} has 4.0 MiB free, but the plan may write 7.5 MiB there and 1.0 GiB is kept free beside it (the margin, for other writers and the allowances):\n` +
                `      7.5 MiB in ${results}/${stack}/tmpfs-1: results of run tmpfs-1: 6 cell(s) not measured yet × 1.0 MiB (raw output, server log, CSV; an allowance) + the analysis over all 6 × 256.0 KiB (summary, plots, report; an allowance)\n` +
                `    Fix: free at least 1.1 GiB there, or point ISOBENCH_RESULTS_DIR at a filesystem with room (the results alone move)\n`,
        );
        assert.deepEqual(fs.readdirSync(results), [], "nothing in the results filesystem");
        assert.ok(!fs.existsSync(nativeDataDir(stack)), "no native data folder");
        assert.ok(!fs.existsSync(path.join(tmp, "guests")), "no guest folder");
        assert.deepEqual(fs.readdirSync(path.join(state, "pulumi")), [], "no Pulumi stack");
    });
});
