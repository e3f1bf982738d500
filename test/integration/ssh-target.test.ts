/**
 * A stack whose machine under test is reached over SSH (issue 20, phase 1): a private sshd on
 * loopback with its own host key and a key made for the test, a tiny stack with native and Docker
 * environments whose isobench:target is ssh://root@127.0.0.1:<port>, through real `isobench up`,
 * a no-change up and destroy. isobench's own DOCKER_HOST and LIBVIRT_DEFAULT_URI point nowhere,
 * so anything that reached the daemons without the transport fails the test.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CliStack } from "../helpers/cli-stack";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";
import { samplesFromCsv } from "../../core/samples";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { parseIdentity, IDENTITY_SCRIPT, SshTarget } from "../../core/transport";
import { nativeDataDir } from "../../environments/exec-target";

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
    const stack = `itssh${process.pid}`;

    before(async function () {
        if (!canRunSshd()) this.skip(); // scripts/setup.sh installs openssh-server
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT));
        port = sshd.port;
        target = sshd.target;
        cli = new CliStack(
            stack,
            {
                "isobench:runId": runId,
                "isobench:repetitions": "3",
                "isobench:target": sshd.stackTarget,
                "isobench:dockerDriver": "cli",
                "isobench:environments": ["native", "docker-nat"],
                "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
            },
            { DOCKER_HOST: "unix:///nonexistent/isobench-test.sock", LIBVIRT_DEFAULT_URI: "qemu+unix:///system?socket=/nonexistent/libvirt-sock" },
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
            const left = run(["docker", "ps", "-aq", "--filter", `name=isobench-${stack}-`], { ...process.env, DOCKER_HOST: "" }).out.trim();
            if (left) run(["docker", "rm", "-f", ...left.split("\n")], { ...process.env, DOCKER_HOST: "" });
            fs.rmSync(nativeDataDir(stack), { recursive: true, force: true });
        }
    });

    it("runs up, a no-change up and destroy entirely through the transport, each sample naming the target and the controller", async () => {
        const up = cli!.isobench(["up", stack]);
        assert.equal(await up.done, 0, up.out().slice(-4000));
        const results = cli!.results(runId);
        const cells = fs.readdirSync(path.join(results, "cells")).filter((f) => f.endsWith(".csv"));
        assert.equal(cells.length, 6, "3 repetitions in native and docker-nat");
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
        assert.equal(
            run(["docker", "ps", "-aq", "--filter", `name=isobench-${stack}-`], { ...process.env, DOCKER_HOST: "" }).out.trim(),
            "",
            "destroy removed the container on the target",
        );
        assert.ok(!fs.existsSync(nativeDataDir(stack)), "destroy removed the native data folder on the target");
    });
});
