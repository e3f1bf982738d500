/** Refusals before provisioning, against this host's real daemons and devices. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { probeKvmBoot } from "../../environments/kvm-probe";
import { thisMachine } from "../../environments/transport";

const REPO = path.resolve(__dirname, "..", "..");
const spec = (over: Record<string, unknown>) =>
    parseSpec("preflight", { runId: "p", environments: ["native", "kvm-tuned"], workloads: ["sysbench-cpu"], allowSoftwareEmulation: true, ...over });

describe("host preflight", function () {
    this.timeout(120000);

    it("refuses a vhost request where /dev/vhost-net is missing, with the fix", function () {
        if (fs.existsSync("/dev/vhost-net")) this.skip();
        assert.throws(() => gatherHost(spec({ kvm: { vhost: "on" } })), /\/dev\/vhost-net does not exist\. Fix: modprobe vhost_net/);
    });

    it("refuses KVM where it cannot boot guests unless software emulation is allowed", function () {
        const dir = fs.readFileSync(path.join(REPO, ".state", "images", "guest-image"), "utf8").trim();
        const probe = probeKvmBoot(thisMachine(), path.join(dir, "vmlinuz"), path.join(dir, "initrd.img"), path.join(REPO, ".state", "kvm-probe.json"));
        if (probe.usable) {
            assert.equal(gatherHost(spec({ allowSoftwareEmulation: false })).accel, "kvm");
            return;
        }
        assert.throws(() => gatherHost(spec({ allowSoftwareEmulation: false })), /KVM is requested but unusable: .*allowSoftwareEmulation: true/s);
        assert.equal(gatherHost(spec({})).accel, "tcg");
    });

    it("names the fix when the Docker daemon is not reachable", () => {
        const saved = process.env.DOCKER_HOST;
        process.env.DOCKER_HOST = "unix:///nonexistent/docker.sock";
        try {
            assert.throws(
                () => gatherHost(parseSpec("preflight", { runId: "p", environments: ["docker-nat"], workloads: ["redis"] })),
                /Docker daemon not reachable .*Fix: run scripts\/daemons\.sh/,
            );
        } finally {
            if (saved === undefined) delete process.env.DOCKER_HOST;
            else process.env.DOCKER_HOST = saved;
        }
    });
});
