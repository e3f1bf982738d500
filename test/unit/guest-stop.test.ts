/**
 * guest-lifecycle.sh stop, the grouped schedule's shutdown, run for real with bash against stub
 * `virsh` and `ssh` (test/fixtures/guest-stop) that keep the guest's state in a file: the guest is
 * told over SSH to power off (the image ignores an ACPI request: it has no D-Bus, so no logind),
 * and forced off when it does not go down in time.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { guestLifecycleScript, REPO_ROOT } from "../../core/paths";

const STUBS = path.join(__dirname, "..", "fixtures", "guest-stop");

describe("guest-lifecycle.sh stop (stub virsh and ssh)", () => {
    let dir = "";
    const stop = (args: string[], env: NodeJS.ProcessEnv = {}) => {
        const r = spawnSync(guestLifecycleScript(REPO_ROOT), ["stop", "isobench-gs-guest", ...args], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, STUB_STATE: dir, ...env },
            timeout: 60_000,
        });
        return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr, state: fs.readFileSync(path.join(dir, "state"), "utf8").trim() };
    };
    const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8") : "");

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-guest-stop-"));
        fs.mkdirSync(path.join(dir, "bin"));
        for (const name of ["virsh", "ssh"]) {
            fs.copyFileSync(path.join(STUBS, name), path.join(dir, "bin", name));
            fs.chmodSync(path.join(dir, "bin", name), 0o755);
        }
        fs.writeFileSync(path.join(dir, "state"), "running\n");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("with the key: systemctl poweroff over SSH at the guest's lease, checked against its known_hosts, and no force", () => {
        const r = stop(["30", "/keys/id"], { STUB_SSH_WORKS: "1" });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "shutdown");
        assert.equal(r.state, "shut off");
        assert.match(
            calls(),
            new RegExp(
                `ssh -i /keys/id .*UserKnownHostsFile=${dir}/known_hosts .*HostKeyAlias=isobench-gs-guest .*root@192\\.168\\.122\\.5 systemctl poweroff`,
            ),
        );
        assert.doesNotMatch(calls(), /virsh destroy/);
    });

    it("without a key, an ACPI request the guest ignores: forced off after the timeout, and says so", () => {
        const r = stop(["1"]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, "forced");
        assert.equal(r.state, "shut off");
        assert.match(calls(), /virsh shutdown isobench-gs-guest\n(.*\n)*virsh destroy isobench-gs-guest/);
        assert.match(r.stderr, /did not shut down within 1 s; forcing it off/);
    });

    it("a paused guest is resumed first; one shut off already is left alone", () => {
        fs.writeFileSync(path.join(dir, "state"), "paused\n");
        assert.equal(stop(["30", "/keys/id"], { STUB_SSH_WORKS: "1" }).stdout, "shutdown");
        assert.match(calls(), /virsh resume isobench-gs-guest\n(.*\n)*ssh /);
        fs.writeFileSync(path.join(dir, "calls"), "");
        const r = stop(["30", "/keys/id"]);
        assert.equal(r.stdout, "");
        assert.doesNotMatch(calls(), /ssh|shutdown|destroy/);
    });
});
