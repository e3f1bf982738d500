/**
 * A truly separate second target, and two targets measured at once (issue 20): a throwaway guest
 * booted from the docker-in-kvm guest image (Debian with Docker, the benchmark tools and the
 * container image its provisioning loaded, nothing of isobench's checkout) is the target of one
 * stack, a loopback sshd (this machine) the target of another; both measure native and Docker at
 * small scale (cells of 10 s: with 2 s cells the loopback stack was done before the guest's
 * slower, emulated provisioning was, so nothing overlapped). `isobench up A B` runs them
 * concurrently: each target's cells never overlap one another (its measurement lock), the two
 * targets' cells do. Then each runs alone, one after the other, and the wall times of both ways
 * are printed (figures, not assertions).
 *
 * Run only by `npm run test:smoke`: the guest is a second machine only this suite pays for
 * (a boot under software emulation here, minutes), and its cells run emulated.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { nativeDataDir } from "../../environments/exec-target";
import { cellIntervals } from "../../experiment/run-report";
import { CliStack } from "../helpers/cli-stack";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";
import { FULL_MATRIX } from "../helpers/scope";
import { GuestTarget, startGuestTarget } from "../helpers/guest-target";

describe("two targets at once: this machine over SSH and a guest (smoke)", function () {
    this.timeout(3 * 3600 * 1000);
    let dir = "";
    let guest: GuestTarget | undefined;
    let sshd: LoopbackSshd | undefined;
    const stacks: CliStack[] = [];

    before(function () {
        if (!FULL_MATRIX || !canRunSshd()) this.skip();
    });

    after(async () => {
        const failed: string[] = [];
        try {
            // The first stack's folder holds the backend both use: it goes last.
            for (const s of [...stacks].reverse()) {
                const d = await s.cleanup();
                if (d.code !== 0) failed.push(`isobench destroy ${s.stack} failed:\n${d.out.slice(-3000)}`);
                fs.rmSync(nativeDataDir(s.stack), { recursive: true, force: true });
            }
            assert.deepEqual(failed, []);
        } finally {
            sshd?.stop();
            guest?.dispose();
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("measures both targets concurrently, each one cell at a time; prints concurrent and one-after-the-other wall times", async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-smoke-two-"));
        guest = await startGuestTarget(`isb-smk${process.pid}-tgt`, { vcpus: 1, memoryMiB: 1536 }, stateDir(REPO_ROOT), (l) => console.log(`    ${l}`));
        // Its Docker engine holds the container image already (loaded when the guest's container was made).
        guest.transport.mustRun(["docker", "info"], 120, "the guest's dockerd");

        // The loopback target's lock is its own file, so the controller's runs elsewhere do not make it wait.
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT), { setEnv: { ISOBENCH_MEASURE_LOCK: path.join(dir, "loopback-measure.lock") } });
        const config = (runId: string) => ({
            "isobench:runId": runId,
            "isobench:repetitions": "3",
            "isobench:dockerDriver": "cli",
            "isobench:environments": ["native", "docker-nat"],
            "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 10 } }],
        });
        const first = new CliStack(`itsmkloop${process.pid}`, { ...config("both-1"), "isobench:target": sshd.stackTarget });
        stacks.push(first);
        const shared = {
            PULUMI_BACKEND_URL: first.env.PULUMI_BACKEND_URL,
            PULUMI_HOME: first.env.PULUMI_HOME,
            ISOBENCH_RESULTS_DIR: first.env.ISOBENCH_RESULTS_DIR,
        };
        const guestTargetConfig = guest.stackTarget;
        const second = new CliStack(`itsmkguest${process.pid}`, { ...config("both-1"), "isobench:target": guestTargetConfig }, shared);
        stacks.push(second);

        let upOut = "";
        const up = async (names: readonly string[]) => {
            const started = Date.now();
            const run = first.isobench(["up", ...names]);
            const code = await run.done;
            assert.equal(code, 0, run.out().slice(-6000));
            upOut = run.out();
            return (Date.now() - started) / 1000;
        };
        const cellsOf = (s: CliStack, runId: string) => [...cellIntervals(fs.readFileSync(path.join(s.results(runId), "progress.log"), "utf8")).values()];
        const concurrentS = await up([first.stack, second.stack]);
        const [a, b] = [cellsOf(first, "both-1"), cellsOf(second, "both-1")];
        assert.equal(a.length, 6);
        assert.equal(b.length, 6);
        for (const [name, cells] of [
            ["loopback", a],
            ["guest", b],
        ] as const) {
            const sorted = [...cells].sort((x, y) => x[0] - y[0]);
            for (let i = 1; i < sorted.length; i++)
                assert.ok(sorted[i][0] >= sorted[i - 1][1], `two cells on the ${name} target overlapped: ${JSON.stringify(sorted)}`);
        }
        const span = (c: number[][]) => [Math.min(...c.map((x) => x[0])), Math.max(...c.map((x) => x[1]))];
        const [[a0, a1], [b0, b1]] = [span(a), span(b)];
        assert.ok(a0 < b1 && b0 < a1, `the two targets' cells did not overlap in time: ${JSON.stringify({ a, b })}\n${upOut.slice(-6000)}`);

        first.writeConfig({ ...config("alone-1"), "isobench:target": sshd.stackTarget });
        second.writeConfig({ ...config("alone-1"), "isobench:target": guestTargetConfig });
        const aloneA = await up([first.stack]);
        const aloneB = await up([second.stack]);
        console.log(
            `    two targets, 6 cells each (native and docker-nat, sysbench-cpu 10 s × 3 repetitions): concurrently ${concurrentS.toFixed(0)} s; ` +
                `one after the other ${(aloneA + aloneB).toFixed(0)} s (loopback ${aloneA.toFixed(0)} s, guest ${aloneB.toFixed(0)} s)`,
        );
    });
});
