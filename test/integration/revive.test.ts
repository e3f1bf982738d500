/**
 * An environment that stopped between cells is brought back before the next one (issue 17, part
 * 3): a real container stopped as a dockerd restart leaves it (isobench's containers have no
 * restart policy), then a cell in it. The cell runs, progress.log says what was done, and the
 * environment's facts are probed again with the first probe's kept aside.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { cliCreateScript, cliDeleteScript, containerSpec } from "../../environments/container-spec";
import { imageState, REPO_ROOT, stateDir } from "../../core/paths";
import { attempt, mustRun, virshArgv } from "../../environments/process";
import { probeEnvironment } from "../../environments/probe";
import { echoWorkload } from "../helpers/echo-workload";
import { dockerHostHandle, echoCell } from "../helpers/invocation";
import { FULL_MATRIX } from "../helpers/scope";
import { liveSuite } from "../helpers/live-environments";

describe("a stopped environment is brought back before its next cell (real container)", function () {
    this.timeout(5 * 60 * 1000);
    const stack = `itrev${process.pid}`;
    let dir = "";
    const image = imageState(stateDir(REPO_ROOT), "container-image").value;
    const spec = containerSpec({ stack, environment: "docker-host", image: image ?? "", network: "host", serverPorts: [] });
    const env = dockerHostHandle(spec.name);
    const cell = (id: string) =>
        runCell(
            echoCell(dir, id, { stack, env }),
            echoWorkload(() => "printf 'value=3'"),
        );
    const status = () => mustRun(["docker", "inspect", "-f", "{{.State.Status}}", spec.name], 30, "docker inspect").trim();

    before(() => {
        if (!image) throw new Error("no container image recorded: run scripts/setup.sh first");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${stack}-`));
        mustRun(["/bin/sh", "-c", cliCreateScript(spec)], 180, `creating ${spec.name}`);
        probeEnvironment(dir, env);
    });

    after(() => {
        const del = attempt(["/bin/sh", "-c", cliDeleteScript(spec)], 120);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(del.status, 0, del.stderr);
    });

    it("a running container is left alone", () => {
        cell("echo.docker-host.r1");
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "progress.log"), "utf8"), /had stopped/);
        assert.ok(!fs.existsSync(path.join(dir, "envfacts", "superseded")));
    });

    it("a stopped container is started, the cell runs, and the environment is probed again with the first probe kept", () => {
        mustRun(["docker", "stop", "-t", "1", spec.name], 60, "docker stop");
        assert.equal(status(), "exited");
        const csv = cell("echo.docker-host.r2");
        assert.ok(fs.existsSync(csv));
        assert.equal(status(), "running");
        assert.match(
            fs.readFileSync(path.join(dir, "progress.log"), "utf8"),
            new RegExp(
                `cell echo\\.docker-host\\.r2: environment docker-host had stopped: container ${spec.name} was exited; started it again; probing it again`,
            ),
        );
        assert.deepEqual(fs.readdirSync(path.join(dir, "envfacts", "superseded")), ["docker-host.1.json"]);
        assert.match(
            fs.readFileSync(path.join(dir, "environments.csv"), "utf8"),
            /docker-host,docker,,none,revived,[^,]*container .* was exited; started it again/,
        );
    });

    it("a container removed outside isobench fails the cell with the way back", () => {
        mustRun(["docker", "rm", "-f", spec.name], 60, "docker rm");
        assert.throws(
            () => cell("echo.docker-host.r3"),
            /container isobench-itrev\d+-docker-host of environment docker-host is gone .*Fix: run isobench up <stack> again: it creates it again/,
        );
    });
});

// Stopping and booting an emulated guest again takes about two minutes: smoke scope.
(FULL_MATRIX ? describe : () => undefined)("a guest shut off between cells is started again (real libvirt, tcg)", function () {
    this.timeout(15 * 60 * 1000);
    const suite = liveSuite({ prefix: `itrevk${process.pid}`, kinds: ["kvm"] });

    it("starts it, waits for SSH, runs the cell and probes the guest again", () => {
        const env = suite.live.handles.kvm!;
        const domain = (env.target as { domain: string }).domain;
        probeEnvironment(suite.resultsDir, env);
        mustRun(virshArgv(60, "destroy", domain), 90, "virsh destroy");
        const csv = runCell(
            echoCell(suite.resultsDir, "echo.kvm.r1", { stack: "itrevk", env }),
            echoWorkload(() => "printf 'value=4'"),
        );
        assert.ok(fs.existsSync(csv));
        assert.equal(mustRun(virshArgv(30, "domstate", domain), 60, "domstate").trim(), "running");
        assert.match(
            fs.readFileSync(path.join(suite.resultsDir, "progress.log"), "utf8"),
            /environment kvm had stopped: guest .* was shut off; started it again and it answers SSH; probing it again/,
        );
        assert.deepEqual(fs.readdirSync(path.join(suite.resultsDir, "envfacts", "superseded")), ["kvm.1.json"]);
    });
});
