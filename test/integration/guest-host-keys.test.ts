/**
 * Guests identified by their own SSH host keys (issue 15 §3), on the shared guest: the key the
 * guest made at first boot and announced on its serial console is the one recorded in the stack's
 * known_hosts; a login against any other recorded key is refused by ssh, and wait-ssh refuses a
 * guest that announces a key other than the recorded one. That two guests of one image differ is
 * asserted where two guests boot anyway (disk-boot-knobs).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { execArgv } from "../../environments/exec-target";
import { mustRun, run } from "../../environments/process";
import { REPO_ROOT } from "../../core/paths";
import { sharedGuest } from "../helpers/live-environments";

const LIFECYCLE = path.join(REPO_ROOT, "environments", "kvm", "guest-lifecycle.sh");

describe("guest SSH host keys: per guest, recorded at creation, checked strictly (shared guest)", function () {
    this.timeout(15 * 60 * 1000);
    let tmp = "";
    let fakeKey = "";
    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-hostkeys-"));
        mustRun(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path.join(tmp, "other")], 30, "ssh-keygen");
        fakeKey = fs.readFileSync(path.join(tmp, "other.pub"), "utf8").trim();
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const target = () => {
        const t = sharedGuest().handle.target;
        assert.ok(t.kind === "kvm");
        return t;
    };
    const ipOf = (domain: string) => mustRun([LIFECYCLE, "ip", domain], 60, "guest ip").trim();
    const recorded = (file: string, domain: string) =>
        (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "")
            .split("\n")
            .filter((l) => l.startsWith(`${domain} `))
            .map((l) => l.slice(domain.length + 1));

    it("records the key the guest made and announced, once, and logs in with it", () => {
        const t = target();
        const inGuest = mustRun(execArgv(t, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub", ipOf(t.domain)), 60, "reading the guest's key").trim();
        assert.match(inGuest, /^ssh-ed25519 [A-Za-z0-9+/]{68}$/);
        assert.deepEqual(recorded(t.knownHosts, t.domain), [inGuest]);
        assert.equal(fs.statSync(t.knownHosts).mode & 0o077, 0, "known_hosts is private to root");
        const serial = fs.readFileSync(path.join(path.dirname(t.knownHosts), "kvm-untuned.serial.log"), "utf8");
        assert.ok(serial.includes(`isobench-host-key ${inGuest}`), "announced on the serial console");
        const images = fs.readFileSync(path.join(REPO_ROOT, ".state", "images", "guest-image"), "utf8").trim();
        assert.match(fs.readFileSync(path.join(images, "build-info"), "utf8"), /^ssh_host_keys=none in the image/m);
    });

    it("ssh refuses the guest when the stack's known_hosts records another key for it", () => {
        const t = target();
        const file = path.join(tmp, "known_hosts");
        fs.writeFileSync(file, `${t.domain} ${fakeKey}\n`);
        const r = run(execArgv({ ...t, knownHosts: file }, "true", ipOf(t.domain)), 60);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
        // Nothing learned behind our back: strict checking adds no key.
        assert.equal(fs.readFileSync(file, "utf8"), `${t.domain} ${fakeKey}\n`);
    });

    it("wait-ssh refuses a guest that announces a key other than the recorded one, and records it again once the entry is gone", () => {
        const t = target();
        const original = fs.readFileSync(t.knownHosts, "utf8");
        const disk = fs.readdirSync(path.dirname(t.knownHosts)).find((f) => f.endsWith(".qcow2") && !/-c\d+\./.test(f));
        assert.ok(disk, "the guest's overlay");
        try {
            fs.writeFileSync(
                t.knownHosts,
                original
                    .split("\n")
                    .map((l) => (l.startsWith(`${t.domain} `) ? `${t.domain} ${fakeKey}` : l))
                    .join("\n"),
            );
            const changed = run([LIFECYCLE, "wait-ssh", t.domain, t.sshKey, "60"], 90);
            assert.notEqual(changed.status, 0);
            assert.match(changed.stderr, new RegExp(`${t.domain}'s host key changed: .*known_hosts records '${fakeKey.split(" ")[0]} .*Fix: `));

            fs.writeFileSync(
                t.knownHosts,
                original
                    .split("\n")
                    .filter((l) => !l.startsWith(`${t.domain} `))
                    .join("\n"),
            );
            const again = run([LIFECYCLE, "wait-ssh", t.domain, t.sshKey, "120"], 150);
            assert.equal(again.status, 0, again.stderr);
            assert.match(again.stderr, /recorded .* host key ssh-ed25519/);
        } finally {
            fs.writeFileSync(t.knownHosts, original);
        }
        assert.deepEqual(recorded(t.knownHosts, t.domain).length, 1);
    });
});
