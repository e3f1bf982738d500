/**
 * Provenance and `isobench up --from` for real (issue 18 part 9), on a native-only stack of the
 * checkout with its own backend, results and lock in a temporary folder: `up` records
 * provenance/ before the first cell (the stack file without the salt Pulumi wrote into it), a
 * resumed `up` appends a pass, `up --from` runs the experiment again under a new stack and runId,
 * and `analyze --compare` opens with both runs' provenance. Both stacks are destroyed and their
 * stack files and folders removed afterwards.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { CliStack, processesOf } from "../helpers/cli-stack";
import { endProcesses } from "../../experiment/recovery";
import { REPO_ROOT } from "../../core/paths";
import { readPasses } from "../../core/provenance";

describe("provenance and isobench up --from (real pulumi, native cells)", function () {
    this.timeout(20 * 60 * 1000);
    const stack = `itprov${process.pid}`;
    const rerun = `${stack}-rerun`;
    const rerunFile = path.join(REPO_ROOT, "stacks", `Pulumi.${rerun}.yaml`);
    let cli: CliStack;
    let original = "";
    let firstUp = { code: -1, out: "" };

    const isobench = async (args: string[]) => {
        const r = cli.isobench(args);
        const code = await r.done;
        return { code, out: r.out() };
    };
    const rerunDir = () => {
        const d = path.join(cli.work, "results", rerun);
        const runs = fs.existsSync(d) ? fs.readdirSync(d) : [];
        assert.equal(runs.length, 1, `one run of ${rerun}: ${runs.join(", ")}`);
        return path.join(d, runs[0]);
    };

    before(async () => {
        cli = new CliStack(stack, {
            "isobench:runId": "prov-1",
            "isobench:repetitions": 3,
            "isobench:environments": ["native"],
            "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
        });
        original = cli.results("prov-1");
        firstUp = await isobench(["up", stack]);
    });

    after(async () => {
        const orphans = processesOf(cli.work);
        const d = fs.existsSync(rerunFile) ? await isobench(["destroy", rerun]) : { code: 0, out: "" };
        fs.rmSync(rerunFile, { force: true });
        const c = await cli.cleanup();
        endProcesses([...orphans, ...processesOf(cli.work)]);
        assert.equal(d.code, 0, `isobench destroy ${rerun} failed:\n${d.out.slice(-3000)}`);
        assert.equal(c.code, 0, `isobench destroy ${stack} failed:\n${c.out.slice(-3000)}`);
    });

    it("up records provenance/ before the first cell: the stack file without the salt Pulumi wrote, the resolved spec, a pass", () => {
        assert.equal(firstUp.code, 0, firstUp.out.slice(-4000));
        const prov = path.join(original, "provenance");
        assert.deepEqual(fs.readdirSync(prov).sort(), ["passes.csv", "provenance.json", "spec.json", "stack.yaml"]);
        assert.match(fs.readFileSync(cli.stackFile, "utf8"), /^encryptionsalt: /m, "Pulumi wrote the salt of the test's passphrase into the stack file");
        const stackYaml = fs.readFileSync(path.join(prov, "stack.yaml"), "utf8");
        assert.doesNotMatch(stackYaml, /^encryptionsalt:/m);
        assert.match(stackYaml, /isobench:runId: prov-1/);
        const spec = JSON.parse(fs.readFileSync(path.join(prov, "spec.json"), "utf8"));
        assert.equal(spec.runId, "prov-1");
        assert.equal(spec.repetitions, 3);
        const record = JSON.parse(fs.readFileSync(path.join(prov, "provenance.json"), "utf8"));
        assert.match(record.software.pulumiCli, /^v3\./);
        assert.equal(record.workloadParams["sysbench-cpu"].timeSeconds, 1);
        const log = fs.readFileSync(path.join(original, "progress.log"), "utf8");
        const recorded = log.indexOf("provenance: isobench ");
        assert.ok(recorded >= 0 && recorded < log.indexOf("sysbench-cpu.native.r1: start"), "recorded before the first cell");
        assert.deepEqual(
            readPasses(original).map((p) => p.changed),
            ["first pass"],
        );
    });

    it("a resumed up appends a pass and changes nothing recorded", async () => {
        const again = await isobench(["up", stack]);
        assert.equal(again.code, 0, again.out.slice(-3000));
        assert.deepEqual(
            readPasses(original).map((p) => p.changed),
            ["first pass", "nothing"],
        );
        assert.ok(!fs.existsSync(path.join(original, "provenance", "superseded")));
    });

    it("up --from runs it again under a new stack and runId, warning what differs; analyze --compare names both runs", async () => {
        const r = await isobench(["up", "--from", original]);
        assert.equal(r.code, 0, r.out.slice(-4000));
        assert.match(r.out, new RegExp(`re-run of ${stack}/prov-1 \\(.*\\) as stack ${rerun}, run prov-1-rerun-\\d{8}`));
        assert.match(r.out, /no difference from the original|warning: differs from the original/);
        const dir = rerunDir();
        assert.match(path.basename(dir), /^prov-1-rerun-\d{8}$/);
        assert.equal(fs.readdirSync(path.join(dir, "cells")).filter((f) => f.endsWith(".csv")).length, 3);
        const of = JSON.parse(fs.readFileSync(path.join(dir, "provenance", "rerun-of.json"), "utf8"));
        assert.equal(`${of.stack}/${of.runId}`, `${stack}/prov-1`);
        assert.match(fs.readFileSync(path.join(dir, "provenance", "stack.yaml"), "utf8"), /timeSeconds: 1/);
        // A second --from does not overwrite the re-run's stack file.
        const refused = await isobench(["up", "--from", original]);
        assert.equal(refused.code, 1);
        assert.match(refused.out, new RegExp(`stacks/Pulumi\\.${rerun}\\.yaml exists already .*--stack <name>`));
        const cmp = await isobench(["analyze", dir, "--compare", original, "--no-plots", "--quiet-progress"]);
        assert.equal(cmp.code, 0, cmp.out.slice(-3000));
        const head = fs.readFileSync(path.join(dir, "compare.md"), "utf8").split("\n").slice(0, 6).join("\n");
        assert.match(
            head,
            /\| base \| .* \| [0-9a-f]{12} \((clean|dirty: \d+ file\(s\))\) \| .* \| \d{4}-\d\d-\d\dT.* \| re-run of .*\/prov-1 \(isobench up --from\) \|/,
        );
        assert.match(head, /\| other \| .* \| [0-9a-f]{12} \((clean|dirty: \d+ file\(s\))\) \| .* \| \d{4}-\d\d-\d\dT.* \| {2}\|/);
    });
});
