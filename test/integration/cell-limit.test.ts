/**
 * A cell that hangs inside a real Docker container is ended at its wall-clock limit with its
 * processes inside the container, not only the `docker exec` that carries it (issue 17, part 4).
 * One container of the benchmark image, made and removed here.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { cliCreateScript, cliDeleteScript, containerSpec } from "../../environments/container-spec";
import { imageState, REPO_ROOT, stateDir } from "../../core/paths";
import { mustRun, attempt } from "../../environments/process";
import { echoWorkload } from "../helpers/echo-workload";
import { dockerHostHandle, echoCell } from "../helpers/invocation";

describe("cell wall-clock limit in a real container", function () {
    this.timeout(5 * 60 * 1000);
    const stack = `itlim${process.pid}`;
    let dir = "";
    const image = imageState(stateDir(REPO_ROOT), "container-image").value;
    const spec = containerSpec({ stack, environment: "docker-host", image: image ?? "", network: "host", serverPorts: [] });

    before(() => {
        if (!image) throw new Error("no container image recorded: run scripts/setup.sh first");
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${stack}-`));
        mustRun(["/bin/sh", "-c", cliCreateScript(spec)], 180, `creating ${spec.name}`);
    });

    after(() => {
        const del = attempt(["/bin/sh", "-c", cliDeleteScript(spec)], 120);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.equal(del.status, 0, del.stderr);
    });

    it("ends the hanging client and its children inside the container, and fails the cell naming the limit", () => {
        // A marker no other process in the container carries, to find what is left of the client.
        const hang = echoWorkload(() => "sleep 301 & echo 'partial output'; sleep 302");
        assert.throws(
            () =>
                runCell(
                    echoCell(dir, "hang.docker-host.r1", { stack, env: dockerHostHandle(spec.name), limit: { limitS: 3, source: "isobench:cellTimeoutS" } }),
                    hang,
                ),
            /wall-clock limit of 3 s \(isobench:cellTimeoutS\) ran out.*its processes in docker-host were ended/,
        );
        const left = mustRun(["docker", "top", spec.name, "-o", "pid,args"], 30, "docker top");
        assert.doesNotMatch(left, /sleep 30[12]/, `processes of the cell still in the container:\n${left}`);
        assert.match(fs.readFileSync(path.join(dir, "raw", "hang.docker-host.r1.txt"), "utf8"), /partial output/);
    });
});
