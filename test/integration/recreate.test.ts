/**
 * An environment removed outside isobench is created again by the next `isobench up` (issue 17,
 * part 3), through real runs of a Docker stack: the container is removed by hand between two
 * ups, and the second up makes it again, probes it again (the first probe kept aside) and
 * measures only the cells without results.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { attempt, virshArgv } from "../../environments/process";
import { CliStack } from "../helpers/cli-stack";
import { TEST_GUEST_VCPUS } from "../helpers/live-environments";
import { FULL_MATRIX } from "../helpers/scope";

describe("a removed container is created again by the next up (real isobench up, docker-host)", function () {
    this.timeout(10 * 60 * 1000);
    const stack = `itrec${process.pid}`;
    const container = `isobench-${stack}-docker-host`;
    const config = (repetitions: number) => ({
        "isobench:runId": "rec-1",
        "isobench:repetitions": String(repetitions),
        "isobench:environments": ["docker-host"],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
    });
    let cli: CliStack;
    let results = "";
    const csv = (r: number) => path.join(results, "cells", `sysbench-cpu.docker-host.r${r}.csv`);
    const run = async (args: string[]) => {
        const r = cli.isobench(args);
        return { code: await r.done, out: r.out() };
    };

    before(() => {
        cli = new CliStack(stack, config(3));
        results = cli.results("rec-1");
    });

    after(async () => {
        const d = await cli.cleanup();
        const left = attempt(["docker", "ps", "-a", "--filter", `name=^${container}$`, "--format", "{{.Names}}"], 30).stdout.trim();
        assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
        assert.equal(left, "", "destroy left the container");
    });

    it("up re-creates the container, probes it again and measures only the new cell", async () => {
        const first = await run(["up", stack]);
        assert.equal(first.code, 0, first.out.slice(-4000));
        const kept = [1, 2, 3].map((r) => fs.readFileSync(csv(r), "utf8"));
        assert.equal(attempt(["docker", "rm", "-f", container], 60).status, 0);
        cli.writeConfig(config(4));

        const second = await run(["up", stack]);
        assert.equal(second.code, 0, second.out.slice(-4000));
        assert.match(second.out, /environment docker-host: its container is gone \(removed outside isobench\); creating it again/);
        assert.equal(attempt(["docker", "inspect", "-f", "{{.State.Status}}", container], 30).stdout.trim(), "running");
        assert.deepEqual(
            [1, 2, 3].map((r) => fs.readFileSync(csv(r), "utf8")),
            kept,
            "measured cells are not measured again",
        );
        assert.ok(fs.existsSync(csv(4)));
        assert.match(fs.readFileSync(path.join(results, "progress.log"), "utf8"), /environment docker-host: its container is gone/);
        assert.deepEqual(fs.readdirSync(path.join(results, "envfacts", "superseded")), ["docker-host.1.json"]);
        assert.match(
            fs.readFileSync(path.join(results, "environments.csv"), "utf8"),
            /docker-host,docker,[^\n]*,recreated,[^,]*the environment was created again/,
        );
    });
});

// Two boots of an emulated guest (about a minute each here): smoke scope.
(FULL_MATRIX ? describe : () => undefined)("a removed guest is created again by the next up (real isobench up, kvm-tuned, tcg)", function () {
    this.timeout(20 * 60 * 1000);
    const stack = `itreck${process.pid}`;
    const domain = `isobench-${stack}-kvm-tuned`;
    const config = (repetitions: number) => ({
        "isobench:runId": "reck-1",
        "isobench:repetitions": String(repetitions),
        "isobench:environments": ["kvm-tuned"],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
        "isobench:allowSoftwareEmulation": true,
        "isobench:kvm": { vcpus: TEST_GUEST_VCPUS, memoryMiB: 768, bootTimeoutS: 240 },
    });
    let cli: CliStack;
    let results = "";
    const csv = (r: number) => path.join(results, "cells", `sysbench-cpu.kvm-tuned.r${r}.csv`);
    const run = async (args: string[]) => {
        const r = cli.isobench(args);
        return { code: await r.done, out: r.out() };
    };

    before(() => {
        cli = new CliStack(stack, config(3));
        results = cli.results("reck-1");
    });

    after(async () => {
        const d = await cli.cleanup();
        const left = attempt(virshArgv(30, "dominfo", domain), 60).status;
        assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
        assert.notEqual(left, 0, "destroy left the domain");
    });

    it("up defines and boots the guest again, probes it again and measures only the new cell", async () => {
        const first = await run(["up", stack]);
        assert.equal(first.code, 0, first.out.slice(-4000));
        const kept = [1, 2, 3].map((r) => fs.readFileSync(csv(r), "utf8"));
        attempt(virshArgv(60, "destroy", domain), 90);
        assert.equal(attempt(virshArgv(60, "undefine", domain), 90).status, 0);
        cli.writeConfig(config(4));

        const second = await run(["up", stack]);
        assert.equal(second.code, 0, second.out.slice(-4000));
        assert.match(second.out, /environment kvm-tuned: its guest is gone \(removed outside isobench\); creating it again/);
        assert.equal(attempt(virshArgv(30, "domstate", domain), 60).stdout.trim(), "running");
        assert.deepEqual(
            [1, 2, 3].map((r) => fs.readFileSync(csv(r), "utf8")),
            kept,
        );
        assert.ok(fs.existsSync(csv(4)));
        assert.deepEqual(fs.readdirSync(path.join(results, "envfacts", "superseded")), ["kvm-tuned.1.json"]);
    });
});
