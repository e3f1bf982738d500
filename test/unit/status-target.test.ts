/**
 * isobench status reads the measurement lock of the stack's own machine through its transport
 * (experiment/status-read.ts activeRun): a fake remote transport stands in for the target, so
 * nothing on this machine's lock can answer for it.
 */
import * as assert from "node:assert/strict";
import { spawn } from "child_process";
import { SshTarget } from "../../core/transport";
import { Completed } from "../../environments/process";
import { Transport } from "../../environments/transport";
import { upStartedLine } from "../../experiment/run-report";
import { activeRun, stackTargetLabel } from "../../experiment/status-read";

const TARGET: SshTarget = {
    kind: "ssh",
    user: "root",
    host: "lab.example",
    port: 22,
    keyFile: "/k",
    knownHosts: "/s/known_hosts",
    controlPath: "/s/cm",
    dockerSocket: "/s/docker.sock",
};

/** A target whose lock is held (or free) by `owner`, recording every argv it was asked to run. */
function fakeTarget(held: boolean, owner: string, ran: string[][]): Transport {
    const unused = () => {
        throw new Error("not used by status");
    };
    return {
        target: TARGET,
        label: "ssh://root@lab.example:22",
        attempt: (argv: readonly string[]): Completed => {
            ran.push([...argv]);
            return { stdout: "/run/lock/isobench-measure.lock\n", stderr: "", status: held ? 1 : 0 };
        },
        readFiles: (paths: readonly string[]) => new Map(paths.map((p) => [p, `${owner}\n`])),
        run: unused,
        mustRun: unused,
        virsh: unused,
        copyTo: unused,
        copyFrom: unused,
        stream: unused,
        dockerEnv: unused,
        identity: unused,
        close: () => undefined,
    };
}

describe("isobench status through the stack's target", function () {
    this.timeout(20_000);

    it("names the stack's target", () => {
        assert.equal(stackTargetLabel({}), "local");
        assert.equal(
            stackTargetLabel({ target: { kind: "ssh", user: "root", host: "lab.example", port: 2222, keyFile: "/k" } }),
            "ssh://root@lab.example:2222",
        );
    });

    it("says whom a run waits for from the target's lock, and nothing when that lock is free or the target cannot be read", async () => {
        // An isobench up that started and has not ended: a live process whose command line says isobench.
        const up = spawn("sh", ["-c", "sleep 30", "isobench"], { stdio: "ignore" });
        try {
            await new Promise((r) => up.once("spawn", r));
            const log = `${new Date().toISOString()} ${upStartedLine(up.pid!, 1, 1)}\n`;
            const ran: string[][] = [];
            const waiting = activeRun("a", log, "/nowhere", {}, fakeTarget(true, "stack b, isobench pid 9, since then", ran));
            assert.equal(waiting?.isobenchPid, up.pid);
            assert.equal(waiting?.waitingFor, "stack b, isobench pid 9, since then");
            assert.equal(ran.length, 1);
            assert.equal(ran[0].at(-1), "sh", "the target's own lock file: none named from here");
            assert.equal(activeRun("a", log, "/nowhere", {}, fakeTarget(false, "stack b, isobench pid 9", []))?.waitingFor, undefined);
            assert.equal(
                activeRun("a", log, "/nowhere", {}, fakeTarget(true, "stack a, isobench pid 1", []))?.waitingFor,
                undefined,
                "its own hold is no wait",
            );
            assert.equal(activeRun("a", log, "/nowhere", {})?.waitingFor, undefined);
        } finally {
            up.kill();
        }
    });
});
