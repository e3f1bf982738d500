/**
 * A guest that stops answering in the middle of a cell whose client runs on the host against a
 * server in the guest (the case of redis-benchmark against a wedged emulated guest, which waited
 * for the cell's whole limit): the client itself pauses the shared guest (`virsh suspend`), and the watchdog (environments/
 * guest-watchdog.ts, shortened to 1-second probes) ends it and fails the cell with the reason long
 * before the cell's limit; a client of a guest that answers runs on past the same short watchdog.
 * The guest is resumed whatever happens.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { attempt, mustRun } from "../../environments/process";
import { echoWorkload } from "../helpers/echo-workload";
import { echoCell } from "../helpers/invocation";
import { sharedGuest } from "../helpers/live-environments";

describe("guest watchdog through runCell (shared guest, paused by the cell's own client)", function () {
    this.timeout(15 * 60 * 1000);
    let dir = "";
    let domain = "";

    before(() => {
        const t = sharedGuest().handle.target;
        assert.ok(t.kind === "kvm");
        domain = t.domain;
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-watchdog-"));
    });
    after(() => {
        try {
            // Resume unconditionally: a failed assertion must not leave the other suites a paused guest.
            if (/paused/.test(attempt(["virsh", "domstate", domain], 30).stdout)) mustRun(["virsh", "resume", domain], 60, `resuming ${domain}`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    /** The stand-in workload as a client on the host of a server in the guest (a sleep: the watchdog only needs one to exist). */
    const clientOfGuest = (client: string) => ({
        ...echoWorkload(() => client),
        clientPlacement: "host" as const,
        serverCommand: () => "exec sleep 600",
        readinessCommand: () => "true",
    });

    it("lets a host-side client of a guest that answers run past the misses it allows: the guest's kernel refuses the knock", () => {
        const slow = clientOfGuest("sleep 8; echo value=5");
        const cell = echoCell(dir, "slow.kvm-untuned.r1", { stack: "itwatch", env: sharedGuest().handle, watchdog: { intervalS: 1, probeS: 1, misses: 3 } });
        const csv = runCell(cell, slow);
        assert.match(fs.readFileSync(csv, "utf8"), /,value,5,/);
    });

    it("ends the host-side client of a guest that stopped answering and fails the cell naming the guest, not the limit", () => {
        const hang = clientOfGuest(`virsh suspend ${domain} >/dev/null && echo suspended; sleep 297`);
        const cell = echoCell(dir, "hang.kvm-untuned.r1", {
            stack: "itwatch",
            env: sharedGuest().handle,
            limit: { limitS: 900, source: "isobench:cellTimeoutS" },
            watchdog: { intervalS: 1, probeS: 1, misses: 3 },
        });
        const t0 = Date.now();
        assert.throws(
            () => runCell(cell, hang),
            /cell hang\.kvm-untuned\.r1: guest kvm-untuned stopped answering while echo's measured run ran \(no answer from [0-9.]+ to 3 TCP connection attempts in a row \(port 9, 1 s apart, each waiting 1 s; the last: .+\)\); ended after \d+ s instead of at the cell's limit of 900 s/,
        );
        const s = (Date.now() - t0) / 1000;
        assert.ok(s < 120, `the cell ended after ${s.toFixed(0)} s, not within two minutes`);
        assert.match(fs.readFileSync(path.join(dir, "raw", "hang.kvm-untuned.r1.txt"), "utf8"), /suspended/);
        assert.equal(attempt(["pgrep", "-f", "sleep 297"], 10).stdout.trim(), "", "the client is gone");
        assert.match(attempt(["virsh", "domstate", domain], 30).stdout, /paused/, "it was the pause the watchdog saw");
    });
});
