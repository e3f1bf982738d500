/** The KVM boot probe runs on the target through its transport, and its cache is the target's. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { probeKvmBoot } from "../../environments/kvm-probe";
import type { Completed } from "../../environments/process";

/** A target that answers the probe's two commands as told, recording what it was asked to run. */
function stubTarget(label: string, kernel: string, answers: { kvm: number; qemu: Completed }) {
    const ran: string[][] = [];
    return {
        ran,
        label,
        identity: () => ({ host: "h", kernel, cpu_model: "c" }),
        attempt(argv: readonly string[]): Completed {
            ran.push([...argv]);
            return argv[0] === "test" ? { stdout: "", stderr: "", status: answers.kvm } : answers.qemu;
        },
    };
}

const BOOTED: Completed = { stdout: "[    0.9] Run /init as init process\n", stderr: "", status: 124 };

describe("KVM boot probe (environments/kvm-probe.ts)", () => {
    let dir = "";
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-kvm-probe-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("boots the image's kernel on the target, bounded there, and caches the answer per target and target kernel", () => {
        const cache = path.join(dir, "kvm-probe.json");
        const remote = stubTarget("ssh://root@server:22", "6.1.0-18-amd64", { kvm: 0, qemu: BOOTED });
        const r = probeKvmBoot(remote, "/img/vmlinuz", "/img/initrd.img", cache, 40);
        assert.equal(r.usable, true);
        assert.equal(r.hostKernel, "6.1.0-18-amd64", "the target's kernel, not the controller's");
        assert.deepEqual(remote.ran[1].slice(0, 4), ["timeout", "40", "qemu-system-x86_64", "-accel"]);
        assert.ok(remote.ran[1].includes("/img/vmlinuz") && remote.ran[1].includes("/img/initrd.img"));
        assert.equal(JSON.parse(fs.readFileSync(cache, "utf8")).target, "ssh://root@server:22");

        const again = stubTarget("ssh://root@server:22", "6.1.0-18-amd64", { kvm: 0, qemu: BOOTED });
        assert.equal(probeKvmBoot(again, "/img/vmlinuz", "/img/initrd.img", cache).usable, true);
        assert.deepEqual(again.ran, [], "the cached answer, nothing run");

        // Another target, or the same one after a kernel update, is probed afresh.
        const other = stubTarget("local", "6.1.0-18-amd64", { kvm: 1, qemu: BOOTED });
        const local = probeKvmBoot(other, "/img/vmlinuz", "/img/initrd.img", cache);
        assert.equal(local.usable, false);
        assert.match(local.detail, /\/dev\/kvm is missing or not accessible/);
        assert.equal(other.ran.length, 1, "no boot without /dev/kvm");
        const updated = stubTarget("local", "6.1.0-20-amd64", { kvm: 0, qemu: BOOTED });
        assert.equal(probeKvmBoot(updated, "/img/vmlinuz", "/img/initrd.img", cache).usable, true);
        assert.equal(updated.ran.length, 2);
    });

    it("reads a cache written before targets as the local machine's", () => {
        const cache = path.join(dir, "kvm-probe.json");
        fs.writeFileSync(cache, JSON.stringify({ usable: false, detail: "old", kernelImage: "/k", hostKernel: "6.1", checkedAt: "2026-01-01" }));
        const local = stubTarget("local", "6.1", { kvm: 0, qemu: BOOTED });
        assert.equal(probeKvmBoot(local, "/k", "/i", cache).detail, "old");
        assert.deepEqual(local.ran, []);
        const remote = stubTarget("ssh://root@server:22", "6.1", { kvm: 0, qemu: BOOTED });
        assert.equal(probeKvmBoot(remote, "/k", "/i", cache).usable, true);
    });

    it("says what is missing when qemu is not installed on the target, and what the console showed when the kernel hung", () => {
        const none = stubTarget("local", "6.1", { kvm: 0, qemu: { stdout: "", stderr: "timeout: failed to run command", status: 127 } });
        assert.match(probeKvmBoot(none, "/k", "/i", path.join(dir, "a.json")).detail, /qemu-system-x86_64 is not installed/);
        const hung = stubTarget("local", "6.1", { kvm: 0, qemu: { stdout: "Probing EDD (edd=off to disable)... ok\n", stderr: "", status: 124 } });
        const r = probeKvmBoot(hung, "/k", "/i", path.join(dir, "b.json"), 5);
        assert.equal(r.usable, false);
        assert.match(r.detail, /did not reach init under -accel kvm within 5 s \(last console line: "Probing EDD/);
    });
});
