/**
 * `isobench up --from` (issue 18 part 9): the stack file it writes reproduces the original's
 * resolved spec exactly for every shipped stack, names and runIds that are free and valid, what a
 * checkout with other defaults changes, and the refusals — an existing stack file, a spec this
 * checkout does not accept, a folder without provenance, an import, a missing or damaged file.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../core/paths";
import { SpecError, UsageError, UserError } from "../../core/errors";
import { PROVENANCE_FORMAT, type ProvenanceRecord } from "../../core/provenance";
import { availableStacks, loadStackSpec } from "../../experiment/stack-file";
import { planCells } from "../../experiment/plan";
import type { ExperimentSpec } from "../../experiment/spec";
import { effectiveParams } from "../../experiment/provenance";
import { defaultRerunStack, jsonDifferences, OriginalRun, planRerun, rerunRunId } from "../../experiment/rerun-plan";
import { readOriginal } from "../../experiment/rerun";
import { parseCommandLine } from "../../experiment/cli-args";
import { describedHost } from "../../experiment/described-host";
import { hostShapeOf } from "../../core/host-shape";

const STACKS = path.join(REPO_ROOT, "stacks");
const TODAY = new Date("2026-12-04T12:00:00Z");

function original(spec: ExperimentSpec, params = effectiveParams(spec)): OriginalRun {
    const record: ProvenanceRecord = {
        format: PROVENANCE_FORMAT,
        kind: "run",
        stack: spec.stack,
        runId: spec.runId,
        isobench: { commit: "c".repeat(40), dirty: false, dirtyFiles: [], version: "0.1.0" },
        software: { node: "v20.20.2", pulumiCli: "v3.259.0", pulumiSdk: "3.259.0" },
        images: { guests: {} },
        workloadParams: params,
        hostFacts: "host.csv",
    };
    return {
        dir: `results/${spec.stack}/${spec.runId}`,
        record,
        spec: JSON.parse(JSON.stringify(spec)) as ExperimentSpec,
        stackFile: "# stacks/Pulumi.x.yaml as run (isobench provenance)\n# the study\n# its deviations\nconfig: {}\n",
        passes: [
            { at: "2026-11-22T11:25:43Z", isobench_commit: "c", dirty: "false", host: "vm", stack_file_sha256: "", spec_sha256: "", changed: "first pass" },
        ],
        hostFacts: {},
        host: "vm",
    };
}

const plan = (o: OriginalRun, more: Partial<Parameters<typeof planRerun>[0]> = {}) =>
    planRerun({ original: o, stackFileExists: () => false, runIdTaken: () => false, today: TODAY, ...more });

describe("up --from: the re-run's stack file", () => {
    let tmp = "";
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-rerun-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    for (const stack of availableStacks(STACKS)) {
        it(`${stack}: read back as a stack file, it is the original's resolved spec, cell for cell`, () => {
            // felter2014 sizes its guests relative to the host: resolved here for the paper's server.
            const spec = loadStackSpec(STACKS, stack, hostShapeOf(describedHost("2x8x2,256g")));
            const p = plan(original(spec));
            assert.deepEqual(p.specDifferences, []);
            assert.equal(p.stack, `${stack}-rerun`);
            assert.equal(p.runId, `${spec.runId}-rerun-20261204`);
            fs.writeFileSync(path.join(tmp, `Pulumi.${p.stack}.yaml`), p.yaml);
            const again = loadStackSpec(tmp, p.stack);
            assert.equal(again.runId, p.runId);
            const { stack: _a, runId: _b, workloads: w1, ...rest1 } = spec;
            const { stack: _c, runId: _d, workloads: w2, ...rest2 } = again;
            // The original's notes of how host-relative sizes and schedule: auto resolved (sizing, memoryShare, scheduleWhy) are
            // its record; the re-run has the resolved values.
            const notes = new Set(["sizing", "memoryShare", "scheduleWhy"]);
            const notesDropped = (v: unknown) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (notes.has(k) ? undefined : x))) as unknown;
            assert.deepEqual(notesDropped(rest2), notesDropped(rest1));
            if (stack === "felter2014") {
                assert.match(JSON.stringify(rest1), /"sizing":"vcpus host → 32/, "felter2014's guests are sized relative to the host");
                assert.match(spec.scheduleWhy ?? "", /^isobench:schedule: auto: .* fit this host's/);
                assert.equal(again.schedule, "interleaved", "the re-run states the schedule auto chose");
                assert.equal(again.scheduleWhy, undefined);
            }
            assert.deepEqual(
                w2.map((w) => ({ ...w, params: effectiveParams(again)[w.name] })),
                w1.map((w) => ({ ...w, params: effectiveParams(spec)[w.name] })),
            );
            assert.deepEqual(
                planCells(again).map((c) => c.id),
                planCells(spec).map((c) => c.id),
            );
        });
    }

    it("says what it repeats and keeps the original's opening comments", () => {
        const p = plan(original(loadStackSpec(STACKS, "quick")));
        const head = p.yaml.split("\nconfig:")[0];
        assert.match(head, /^# quick-rerun: a re-run of quick\/quick-2 \(results\/quick\/quick-2\), written by isobench up --from\./);
        assert.match(head, /# The original: isobench cccccccccccc \(clean\), host vm, first pass 2026-11-22T11:25:43Z\./);
        assert.match(head, /# The original stack file opened with:\n# the study\n# its deviations$/);
        assert.doesNotMatch(head, /isobench provenance/);
    });

    it("writes each workload's parameters in full: a default this checkout changed does not reach the re-run", () => {
        const spec = loadStackSpec(STACKS, "quick");
        const params = effectiveParams(spec);
        // The original ran redis with another dataSize by default than this checkout's.
        const ran = { ...params, redis: { ...params.redis, dataSize: 64 } };
        const p = plan(original(spec, ran));
        fs.writeFileSync(path.join(tmp, `Pulumi.${p.stack}.yaml`), p.yaml);
        assert.equal(loadStackSpec(tmp, p.stack).workloads.find((w) => w.name === "redis")!.params.dataSize, 64);
        assert.deepEqual(p.specDifferences, []);
    });

    it("a parameter this checkout added to a workload is a difference to warn about, not a refusal", () => {
        const spec = loadStackSpec(STACKS, "quick");
        const params = effectiveParams(spec);
        const { pipeline: _gone, ...older } = params.redis;
        const p = plan(original(spec, { ...params, redis: older }));
        assert.deepEqual(p.specDifferences, [`workloads.1.params.pipeline: (none) in the original, ${params.redis.pipeline} here`]);
    });

    it("a parameter this checkout no longer takes is refused, naming the spec file and the original's commit", () => {
        const spec = loadStackSpec(STACKS, "quick");
        const params = effectiveParams(spec);
        assert.throws(
            () => plan(original(spec, { ...params, redis: { ...params.redis, oldKnob: 1 } })),
            (e: Error) =>
                e instanceof SpecError &&
                /results\/quick\/quick-2\/provenance\/spec\.json is not a valid stack for this checkout/.test(e.message) &&
                /isobench:workloads\.1\.params: unknown key "oldKnob"/.test(e.message) &&
                /git checkout c{40}/.test(e.message),
        );
    });

    it("never overwrites a stack file: an existing one is refused, naming --stack", () => {
        const o = original(loadStackSpec(STACKS, "quick"));
        assert.throws(
            () => plan(o, { stackFileExists: (s) => s === "quick-rerun" }),
            (e: Error) =>
                e instanceof UserError && /stacks\/Pulumi\.quick-rerun\.yaml exists already .*--stack <name>.*isobench up quick-rerun/.test(e.message),
        );
        assert.equal(plan(o, { stack: "quick-again", stackFileExists: (s) => s === "quick-rerun" }).stack, "quick-again");
        assert.throws(() => plan(o, { stack: "Quick Again" }), SpecError);
    });

    it("takes the next free runId, and names that fit the patterns of long originals", () => {
        assert.equal(
            rerunRunId("quick-1", TODAY, (id) => ["quick-1-rerun-20261204", "quick-1-rerun-20261204-2"].includes(id)),
            "quick-1-rerun-20261204-3",
        );
        const long = rerunRunId("r".repeat(64), TODAY, () => false);
        assert.match(long, /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
        assert.ok(long.endsWith("-rerun-20261204") && long.length <= 60, long);
        const stack = defaultRerunStack(`${"s".repeat(33)}-x-y`);
        assert.match(stack, /^[a-z0-9][a-z0-9-]{0,39}$/);
        assert.equal(stack, `${"s".repeat(33)}-rerun`);
        const p = plan(original(loadStackSpec(STACKS, "quick")), { runIdTaken: (s, id) => s === "quick-rerun" && id === "quick-2-rerun-20261204" });
        assert.equal(p.runId, "quick-2-rerun-20261204-2");
    });

    it("lists where two specs differ by path", () => {
        assert.deepEqual(jsonDifferences({ a: 1, b: [1, 2], c: { d: "x" } }, { a: 1, b: [1, 3], c: {} }), [
            "b.1: 2 in the original, 3 here",
            'c.d: "x" in the original, (none) here',
        ]);
        assert.deepEqual(jsonDifferences({ a: [1] }, { a: [1] }), []);
    });
});

describe("up --from: reading the original", () => {
    let tmp = "";
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-rerun-read-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** A results folder with the provenance of the quick stack, as `up` writes it. */
    function recorded(): string {
        const spec = loadStackSpec(STACKS, "quick");
        const o = original(spec);
        const dir = path.join(tmp, "quick-1");
        fs.mkdirSync(path.join(dir, "provenance"), { recursive: true });
        fs.writeFileSync(path.join(dir, "provenance", "provenance.json"), JSON.stringify(o.record));
        fs.writeFileSync(path.join(dir, "provenance", "spec.json"), JSON.stringify(spec));
        fs.writeFileSync(path.join(dir, "provenance", "stack.yaml"), o.stackFile);
        fs.writeFileSync(path.join(dir, "host.csv"), "host,fact,value,declared,measured_at\nvm,kernel,6.1.0,,2026-11-22T11:25:59Z\n");
        return dir;
    }
    const refused = (dir: string, re: RegExp) =>
        assert.throws(
            () => readOriginal(dir),
            (e: Error) => e instanceof UserError && re.test(e.message),
        );

    it("reads the record, the resolved spec, the stack file and host.csv", () => {
        const dir = recorded();
        const o = readOriginal(dir);
        assert.equal(o.spec.stack, "quick");
        assert.equal(o.record.kind, "run");
        assert.deepEqual(o.hostFacts, { kernel: "6.1.0" });
        assert.equal(o.host, "vm");
        assert.deepEqual(plan(o).specDifferences, []);
    });

    it("refuses a folder that is not there or not a results folder", () => {
        refused(path.join(tmp, "nope"), /is not a folder\. Fix: give a run's results folder/);
        refused(tmp, /is not a results folder \(no provenance\/, cells\/ or host\.csv\)/);
    });

    it("refuses a run that predates provenance, saying so", () => {
        const dir = path.join(tmp, "old");
        fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
        refused(dir, /has no provenance\/: the run predates provenance .*Fix: write a stack file by hand/);
    });

    it("refuses an import: nothing was provisioned to run again", () => {
        refused(
            path.join(REPO_ROOT, "docs", "results", "felter2014-original"),
            /was imported from published data \(isobench import felter2014 .*\), not measured by a stack/,
        );
    });

    it("refuses a missing or damaged file, naming it and how to restore it", () => {
        const dir = recorded();
        const spec = path.join(dir, "provenance", "spec.json");
        const record = path.join(dir, "provenance", "provenance.json");
        const text = fs.readFileSync(spec, "utf8");
        fs.writeFileSync(spec, text.slice(0, 100));
        refused(dir, new RegExp(`${spec.replace(/[.]/g, "\\.")} is not valid JSON .*the file is damaged\\. Fix: restore .*provenance from a copy`));
        fs.writeFileSync(spec, JSON.stringify({ ...JSON.parse(text), environmentSpecs: undefined }));
        refused(dir, /spec\.json: key "environmentSpecs" is missing\. Fix: restore/);
        fs.writeFileSync(spec, JSON.stringify({ ...JSON.parse(text), workloads: {} }));
        refused(dir, /spec\.json: key "workloads" is not an array/);
        fs.rmSync(spec);
        refused(dir, /spec\.json is missing: the resolved spec was not recorded/);
        const rec = JSON.parse(fs.readFileSync(record, "utf8"));
        fs.writeFileSync(record, JSON.stringify({ ...rec, format: "isobench-provenance/9" }));
        refused(dir, /format "isobench-provenance\/9" is not one this isobench reads/);
        fs.writeFileSync(record, "[]");
        refused(dir, /provenance\.json does not hold a JSON object/);
        fs.rmSync(record);
        refused(dir, /provenance\.json is missing/);
    });

    it("up takes --from <dir> and an optional --stack <name>, nothing else (the CLI's parser, cli-args.ts)", () => {
        const parse = (...argv: string[]) => parseCommandLine(["up", ...argv]);
        assert.deepEqual(parse("--from", "results/q/q-1"), { command: "up-from", from: "results/q/q-1", verbose: false, allowEmulation: false });
        assert.deepEqual(parse("--stack", "again", "--from", "d"), { command: "up-from", from: "d", stack: "again", verbose: false, allowEmulation: false });
        for (const [bad, why] of [
            [["--from"], /argument missing/],
            [["--from", "d", "quick"], /not both/],
            [["--from", "d", "--remeasure", "stale"], /--remeasure does not go with --from/],
            [["--stack", "x"], /needs --from/],
            [[], /missing required argument 'stack'/],
        ] as const) {
            assert.throws(
                () => parse(...bad),
                (e: unknown) => e instanceof UsageError && why.test((e as Error).message),
                bad.join(" "),
            );
        }
    });
});
