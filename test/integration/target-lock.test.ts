/**
 * The measurement lock of a remote target (issue 20), over a loopback sshd whose logins name their
 * own lock file (SetEnv ISOBENCH_MEASURE_LOCK): it is held on the target, a second taker through
 * the same target waits and records whom for, and a dropped connection frees the target.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { closeArgv } from "../../core/transport";
import { transportTo } from "../../environments/transport";
import { acquireMeasureLock, HeldLock, lockOwner } from "../../experiment/measure-lock";
import { waitFor } from "../helpers/cli-stack";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";

describe("a remote target's measurement lock (loopback sshd)", function () {
    this.timeout(5 * 60 * 1000);
    let dir = "";
    let sshd: LoopbackSshd | undefined;
    const held: HeldLock[] = [];
    const lockFile = () => path.join(dir, "target", "measure.lock");
    const freeHere = () => spawnSync("flock", ["-n", lockFile(), "true"]).status === 0;

    before(async function () {
        if (!canRunSshd()) this.skip(); // scripts/setup.sh installs openssh-server
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-target-lock-"));
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT), { setEnv: { ISOBENCH_MEASURE_LOCK: lockFile() } });
    });

    after(() => {
        for (const h of held) h.release();
        try {
            sshd?.stop();
        } finally {
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("is held on the target in the file the target names, a second taker waits for it, and a dropped connection lets it go (and is said)", async () => {
        const on = transportTo(sshd!.target);
        const first = await acquireMeasureLock("stack a, isobench pid 1", () => {}, { on });
        held.push(first);
        assert.equal(first.waitedFor, "");
        // The loopback target is this machine: its lock file can be looked at here.
        assert.equal(freeHere(), false, "held on the target");
        assert.equal(lockOwner(lockFile()), "stack a, isobench pid 1");
        const said: string[] = [];
        const second = acquireMeasureLock("stack b, isobench pid 2", (l) => said.push(l), { on, sayEveryS: 1 });
        await waitFor("the second taker to say it waits", () => said.length > 0, 30);
        assert.match(
            said[0],
            new RegExp(`another measurement holds ${on.label.replace(/[.]/g, "\\.")} \\(stack a, isobench pid 1; lock ${on.label}:${lockFile()}\\): waiting`),
        );
        first.release();
        const got = await second;
        held.push(got);
        assert.equal(got.waitedFor, "stack a, isobench pid 1");
        assert.equal(lockOwner(lockFile()), "stack b, isobench pid 2");
        assert.equal(freeHere(), false);
        // The connection drops (its master ends): the target's holder ends with it.
        spawnSync(closeArgv(sshd!.target)![0], closeArgv(sshd!.target)!.slice(1));
        await waitFor("the target's lock to be let go after the connection dropped", freeHere, 60);
        // Its taker did not let go: it says the lock was lost.
        await waitFor(
            "the taker to say it lost the lock",
            () => said.some((l) => /^lost the measurement lock .*: its holder ended \(did ssh:\/\/root@127\.0\.0\.1:\d+ stop answering\?\)/.test(l)),
            30,
        );
    });
});
