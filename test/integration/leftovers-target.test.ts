/**
 * `isobench leftovers` on a stack's target (issue 20, part 6): a loopback sshd whose logins see a
 * native data folder and a runtime folder of their own (tmpfs in sshd's own mount namespace), so
 * what a killed run left there is on the target only, as on a remote machine. leftovers finds it
 * through the target, says where, and --clean removes it there (the server it names ended there).
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { onTargetArgv } from "../../core/transport";
import { nativeDataDir, runtimeDir } from "../../environments/exec-target";
import { processAlive } from "../../experiment/recovery";
import { CliStack } from "../helpers/cli-stack";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";

describe("isobench leftovers on a stack's target (loopback sshd with folders of its own)", function () {
    this.timeout(5 * 60 * 1000);
    const stack = `itlefttgt${process.pid}`;
    const [dataParent, runtimeParent] = [path.dirname(nativeDataDir(stack)), path.dirname(runtimeDir(stack))];
    // The mount points the namespace needs are made here too; the ones made for the test go after it.
    const made = [dataParent, runtimeParent].filter((d) => !fs.existsSync(d));
    let sshd: LoopbackSshd | undefined;
    let cli: CliStack | undefined;
    let serverPid = 0;
    const onTarget = (script: string) => {
        const [cmd, ...args] = onTargetArgv(sshd!.target, ["/bin/sh", "-c", script]);
        const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 60_000 });
        return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    };
    // The target is this machine: its processes are seen here (a zombie counts as ended).
    const alive = processAlive;

    before(async function () {
        if (!canRunSshd()) this.skip(); // scripts/setup.sh installs openssh-server
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT), { privateDirs: [dataParent, runtimeParent] });
        cli = new CliStack(stack, {
            "isobench:runId": "left-1",
            "isobench:target": sshd.stackTarget,
            "isobench:environments": ["native"],
            "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
        });
    });

    after(() => {
        try {
            if (serverPid && alive(serverPid)) process.kill(serverPid, "SIGKILL");
            cli?.discard();
        } finally {
            sshd?.stop();
            for (const d of made) fs.rmSync(d, { recursive: true, force: true });
        }
    });

    it("finds what a killed run left on the target, says where, and --clean removes it there", async () => {
        // What a killed cell leaves: the stack's native data, and a server with its PID file.
        const planted = onTarget(
            `mkdir -p ${nativeDataDir(stack)} ${runtimeDir(stack)} && touch ${nativeDataDir(stack)}/file && ` +
                `{ nohup sleep 600 >/dev/null 2>&1 </dev/null & echo $! > ${runtimeDir(stack)}/sysbench-cpu.native.r1.pid; } && cat ${runtimeDir(stack)}/sysbench-cpu.native.r1.pid`,
        );
        assert.equal(planted.status, 0, planted.out);
        serverPid = Number(planted.out.trim());
        assert.ok(alive(serverPid), "the planted server runs");
        assert.ok(!fs.existsSync(nativeDataDir(stack)), "the target's folders are its own: not visible here");

        const label = sshd!.stackTarget.url.replace(/\/$/, "");
        const listed = cli!.isobench(["leftovers", stack]);
        const code = await listed.done;
        const out = listed.out();
        assert.equal(code, 3, out);
        assert.match(out, new RegExp(`\\[isobench\\] no leftovers of stack ${stack}\\n`), "nothing of it on this machine");
        const there = out.slice(out.indexOf(`[isobench] on ${label}:`));
        assert.ok(there.length < out.length, `a section for the target: ${out}`);
        assert.match(
            there,
            new RegExp(`^server +pid ${serverPid} \\(sleep 600\\) +stack ${stack} +${runtimeDir(stack)}/sysbench-cpu\\.native\\.r1\\.pid names it`, "m"),
        );
        assert.match(there, new RegExp(`^data-dir +${nativeDataDir(stack)} +stack ${stack} `, "m"));

        const clean = cli!.isobench(["leftovers", stack, "--clean"]);
        assert.equal(await clean.done, 0, clean.out());
        assert.match(clean.out(), /-> ended \(SIGTERM\)/);
        assert.match(clean.out(), /-> removed \(/);
        assert.equal(alive(serverPid), false, "the server on the target ended");
        assert.equal(onTarget(`[ ! -e ${nativeDataDir(stack)} ] && [ ! -e ${runtimeDir(stack)} ]`).status, 0, "its folders are gone from the target");

        const again = cli!.isobench(["leftovers", stack]);
        assert.equal(await again.done, 0, again.out());
        assert.match(again.out(), new RegExp(`no leftovers of stack ${stack} on ${label.replace(/[.]/g, "\\.")}`));
    });
});
