/**
 * A stack whose machine under test is reached over SSH (issue 20): a private sshd on loopback with
 * its own host key and a key made for the test, a tiny stack with native, Docker and a guest whose
 * isobench:target is ssh://root@127.0.0.1:<port>, through real `isobench up`, a no-change up and
 * destroy. isobench's own DOCKER_HOST and LIBVIRT_DEFAULT_URI point nowhere, and its PATH starts
 * with a virsh, docker, qemu-img, qemu-io and qemu-system-x86_64 that fail loudly: anything that
 * reached the daemons or the images without the transport fails the test. (The target's logins
 * get sshd's own PATH and environment.) The guest is its own: the test is about the guest's whole
 * life on a target, from define to undefine.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CliStack } from "../helpers/cli-stack";
import { TEST_GUEST_VCPUS } from "../helpers/live-environments";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";
import { samplesFromCsv } from "../../core/samples";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { parseIdentity, IDENTITY_SCRIPT, SshTarget } from "../../core/transport";
import { nativeDataDir } from "../../environments/exec-target";
import { guestsDir } from "../../core/paths";

/** Controller commands that a stack on a remote target must never run here. */
const SHORTCUTS = ["virsh", "docker", "qemu-img", "qemu-io", "qemu-system-x86_64"];

function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env, timeout: 60_000 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

describe("a stack on a target over SSH (loopback sshd, real isobench up)", function () {
    this.timeout(15 * 60 * 1000);
    const runId = "ssh-1";
    let sshd: LoopbackSshd | undefined;
    let port = 0;
    let cli: CliStack | undefined;
    let target: SshTarget | undefined;
    let shims = "";
    const stack = `itssh${process.pid}`;
    const domain = `isobench-${stack}-kvm`;
    const here = { ...process.env, DOCKER_HOST: "", LIBVIRT_DEFAULT_URI: "" };

    before(async function () {
        if (!canRunSshd()) this.skip(); // scripts/setup.sh installs openssh-server
        shims = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-shortcuts-"));
        // The target's measurement lock is the test's own file (the target's setting, sshd's
        // SetEnv): another run on this machine does not make the test wait.
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT), { setEnv: { ISOBENCH_MEASURE_LOCK: path.join(shims, "target-measure.lock") } });
        port = sshd.port;
        target = sshd.target;
        for (const c of SHORTCUTS) {
            fs.writeFileSync(
                path.join(shims, c),
                `#!/bin/sh\necho "controller shortcut: ${c} $* ran on the controller, not through the target" >&2\nexit 97\n`,
                { mode: 0o755 },
            );
        }
        cli = new CliStack(
            stack,
            {
                "isobench:runId": runId,
                "isobench:repetitions": "3",
                "isobench:target": sshd.stackTarget,
                "isobench:dockerDriver": "cli",
                "isobench:environments": ["native", "docker-nat", { name: "kvm", kind: "kvm" }],
                "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
                "isobench:allowSoftwareEmulation": true,
                "isobench:kvm": { vcpus: TEST_GUEST_VCPUS, memoryMiB: 768, bootTimeoutS: 240 },
            },
            {
                DOCKER_HOST: "unix:///nonexistent/isobench-test.sock",
                LIBVIRT_DEFAULT_URI: "qemu+unix:///system?socket=/nonexistent/libvirt-sock",
                PATH: `${shims}:${process.env.PATH}`,
            },
        );
    });

    after(async () => {
        try {
            if (cli) {
                const d = await cli.cleanup();
                assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
            }
        } finally {
            sshd?.stop();
            // What destroy must have removed, whatever happened above (the daemon's own socket, not the test's DOCKER_HOST).
            const left = run(["docker", "ps", "-aq", "--filter", `name=isobench-${stack}-`], here).out.trim();
            if (left) run(["docker", "rm", "-f", ...left.split("\n")], here);
            if (run(["virsh", "-c", "qemu:///system", "domstate", domain], here).status === 0) {
                run(["virsh", "-c", "qemu:///system", "destroy", domain], here);
                run(["virsh", "-c", "qemu:///system", "undefine", "--nvram", domain], here);
            }
            fs.rmSync(path.join(guestsDir(), stack), { recursive: true, force: true });
            fs.rmSync(nativeDataDir(stack), { recursive: true, force: true });
            if (shims) fs.rmSync(shims, { recursive: true, force: true });
        }
    });

    it("runs up, a no-change up and destroy entirely through the transport, each sample naming the target and the controller", async () => {
        const up = cli!.isobench(["up", stack]);
        assert.equal(await up.done, 0, up.out().slice(-4000));
        const results = cli!.results(runId);
        const cells = fs.readdirSync(path.join(results, "cells")).filter((f) => f.endsWith(".csv"));
        assert.equal(cells.length, 9, "3 repetitions in native, docker-nat and the guest");
        assert.doesNotMatch(up.out(), /controller shortcut/, "nothing ran virsh, docker or qemu on the controller");
        // Paused when the last cell ran in another environment (the stack's idle guests are).
        assert.match(
            run(["virsh", "-c", "qemu:///system", "domstate", domain], here).out.trim(),
            /^(running|paused)$/,
            "the guest lives on the target's libvirtd",
        );
        // The target's identity, read over SSH by the test itself.
        const viaSsh = run([
            "ssh",
            "-o",
            `UserKnownHostsFile=${target!.knownHosts}`,
            "-o",
            "BatchMode=yes",
            "-i",
            target!.keyFile,
            "-p",
            String(port),
            "root@127.0.0.1",
            IDENTITY_SCRIPT,
        ]);
        assert.equal(viaSsh.status, 0, viaSsh.out);
        const identity = parseIdentity(viaSsh.out);
        for (const f of cells) {
            for (const row of samplesFromCsv(fs.readFileSync(path.join(results, "cells", f), "utf8"), f)) {
                assert.equal(row.host, identity.host);
                assert.equal(row.kernel, identity.kernel);
                assert.equal(row.cpu_model, identity.cpu_model);
                assert.equal(row.controller, os.hostname(), "and the machine that drove it");
                if (f.includes(".kvm.")) assert.match(row.accel, /^(kvm|tcg)$/, "the guest's samples say what ran them");
            }
        }
        assert.match(
            fs.readFileSync(path.join(results, "host.csv"), "utf8"),
            new RegExp(`^${identity.host},kernel,${identity.kernel.replace(/[.+]/g, "\\$&")},`, "m"),
        );
        assert.ok(fs.existsSync(target!.controlPath), "the cells shared one SSH connection (its ControlMaster socket)");

        const mtimes = cells.map((f) => fs.statSync(path.join(results, "cells", f)).mtimeMs);
        const again = cli!.isobench(["up", stack]);
        assert.equal(await again.done, 0, again.out().slice(-4000));
        assert.deepEqual(
            cells.map((f) => fs.statSync(path.join(results, "cells", f)).mtimeMs),
            mtimes,
            "a no-change up measures nothing again",
        );

        const destroy = cli!.isobench(["destroy", stack]);
        assert.equal(await destroy.done, 0, destroy.out().slice(-4000));
        assert.doesNotMatch(again.out() + destroy.out(), /controller shortcut/);
        assert.equal(run(["docker", "ps", "-aq", "--filter", `name=isobench-${stack}-`], here).out.trim(), "", "destroy removed the container on the target");
        assert.notEqual(run(["virsh", "-c", "qemu:///system", "domstate", domain], here).status, 0, "destroy undefined the guest on the target");
        assert.ok(!fs.existsSync(path.join(guestsDir(), stack)), "destroy removed the guest's disk folder on the target");
        assert.ok(!fs.existsSync(nativeDataDir(stack)), "destroy removed the native data folder on the target");
    });
});
