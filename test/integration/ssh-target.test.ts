/**
 * A stack whose machine under test is reached over SSH (issue 20, phase 1): a private sshd on
 * loopback with its own host key and a key made for the test, a tiny stack with native and Docker
 * environments whose isobench:target is ssh://root@127.0.0.1:<port>, through real `isobench up`,
 * a no-change up and destroy. isobench's own DOCKER_HOST and LIBVIRT_DEFAULT_URI point nowhere,
 * so anything that reached the daemons without the transport fails the test.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { CliStack, waitFor } from "../helpers/cli-stack";
import { samplesFromCsv } from "../../core/samples";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { targetStateDir } from "../../experiment/target";
import { closeArgv, parseIdentity, IDENTITY_SCRIPT, SshTarget } from "../../core/transport";
import { nativeDataDir } from "../../environments/exec-target";

const SSHD = "/usr/sbin/sshd";

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port;
            s.close(() => resolve(p));
        });
    });
}

function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env, timeout: 60_000 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

describe("a stack on a target over SSH (loopback sshd, real isobench up)", function () {
    this.timeout(15 * 60 * 1000);
    const runId = "ssh-1";
    let dir = "";
    let sshd: ChildProcess | undefined;
    let port = 0;
    let cli: CliStack | undefined;
    let target: SshTarget | undefined;
    let targetDir = "";
    const stack = `itssh${process.pid}`;

    before(async function () {
        if (!fs.existsSync(SSHD)) this.skip(); // scripts/setup.sh installs openssh-server
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-sshd-"));
        for (const k of ["host", "client"]) assert.equal(run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, k)]).status, 0);
        fs.copyFileSync(path.join(dir, "client.pub"), path.join(dir, "authorized_keys"));
        port = await freePort();
        fs.writeFileSync(
            path.join(dir, "sshd_config"),
            [
                `Port ${port}`,
                "ListenAddress 127.0.0.1",
                `HostKey ${path.join(dir, "host")}`,
                `PidFile ${path.join(dir, "sshd.pid")}`,
                `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
                "PermitRootLogin prohibit-password",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                // The multiplexed connection of a cell carries several sessions at once.
                "MaxSessions 20",
                "",
            ].join("\n"),
        );
        fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
        sshd = spawn(SSHD, ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
        let sshdErr = "";
        sshd.stderr!.on("data", (d) => (sshdErr += d));
        await waitFor(`sshd on 127.0.0.1:${port} (${sshdErr})`, () => run(["ssh-keyscan", "-p", String(port), "127.0.0.1"]).out.includes("ssh-ed25519"), 30);
        const address = { kind: "ssh" as const, user: "root", host: "127.0.0.1", port, keyFile: path.join(dir, "client") };
        // The host key is pinned from the key the test made, not learned from the wire.
        targetDir = targetStateDir(address, stateDir(REPO_ROOT));
        fs.mkdirSync(targetDir, { recursive: true, mode: 0o700 });
        const hostPub = fs.readFileSync(path.join(dir, "host.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ");
        fs.writeFileSync(path.join(targetDir, "known_hosts"), `[127.0.0.1]:${port} ${hostPub}\n`);
        target = {
            ...address,
            knownHosts: path.join(targetDir, "known_hosts"),
            controlPath: path.join(targetDir, "cm"),
            dockerSocket: path.join(targetDir, "docker.sock"),
        };
        cli = new CliStack(
            stack,
            {
                "isobench:runId": runId,
                "isobench:repetitions": "3",
                "isobench:target": { url: `ssh://root@127.0.0.1:${port}`, keyFile: address.keyFile },
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
            if (target) run(closeArgv(target)!);
            sshd?.kill();
            if (targetDir) {
                fs.rmSync(targetDir, { recursive: true, force: true });
                // .state/targets/ itself when this test made it (another target's folder stays).
                if (fs.existsSync(path.dirname(targetDir)) && fs.readdirSync(path.dirname(targetDir)).length === 0) fs.rmdirSync(path.dirname(targetDir));
            }
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
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
