/**
 * The malformed-stack corpus (test/fixtures/malformed-stacks, made by its generate.ts): every case
 * is refused by the validation `isobench up` runs before anything else (validateForUp), as a
 * SpecError naming its key, and leaves nothing under the state, guests and results folders. How
 * fast (the bound: under 5 s each) is measured by benchmarks/malformed-refusals.ts, not here.
 * A handful also go through the real CLI, with PATH shims that record any docker, virsh, qemu-img
 * or pulumi call: a refused stack must not reach a single one.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import YAML from "yaml";
import { BASE, CASES_FILE, CATEGORIES, MalformedCase, writeCase } from "../fixtures/malformed-stacks/generate";
import { SpecError } from "../../core/errors";
import { stackFile } from "../../experiment/stack-file";
import { validateForUp } from "../../experiment/up-preflight";
import { UserError } from "../../core/errors";
import { freshBuild } from "../helpers/cli-build";

const REPO = path.resolve(__dirname, "..", "..");
const DIR = path.join(__dirname, "..", "fixtures", "malformed-stacks");
const CASES: readonly MalformedCase[] = JSON.parse(fs.readFileSync(path.join(DIR, CASES_FILE), "utf8"));
/** Through the real CLI: at least one case of each kind of refusal (file, YAML, name, key, value). */
const CLI_CASES = [
    "file-empty",
    "file-huge",
    "alias-billion-laughs",
    "dup-runid",
    "yaml-unknown-tag",
    "stack-dotdot-slash",
    "runid-subshell",
    "param-unknown",
    "kvm-cpumodel-xml",
    "key-namespace-typo",
];
const SHIMMED = ["docker", "virsh", "qemu-img", "pulumi"];

/** Every path under dir (relative, sorted), to compare before and after. */
function listing(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

describe("malformed stacks (test/fixtures/malformed-stacks)", function () {
    this.timeout(60_000);
    let tmp = "";
    let stacks = "";
    let state = "";
    let results = "";
    let guests = "";
    const VARS = ["ISOBENCH_STATE_DIR", "ISOBENCH_RESULTS_DIR", "ISOBENCH_GUESTS_DIR"] as const;
    const saved = VARS.map((k) => [k, process.env[k]] as const);

    before(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-malformed-"));
        stacks = path.join(tmp, "stacks");
        state = path.join(tmp, "state");
        results = path.join(tmp, "results");
        guests = path.join(tmp, "guests");
        for (const d of [stacks, state, results, guests]) fs.mkdirSync(d);
        // Anything that would write state, guest files or results for a case writes here, where the test sees it.
        process.env.ISOBENCH_STATE_DIR = state;
        process.env.ISOBENCH_RESULTS_DIR = results;
        process.env.ISOBENCH_GUESTS_DIR = guests;
    });

    after(() => {
        for (const [k, v] of saved) {
            if (v === undefined) delete process.env[k];
            else process.env[k] = v;
        }
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("has at least 100 cases over every category, a file for every case and a case for every file", () => {
        assert.ok(CASES.length >= 100, `${CASES.length} cases`);
        for (const k of CATEGORIES)
            assert.ok(
                CASES.some((c) => c.category === k),
                `a case of category ${k}`,
            );
        const names = CASES.map((c) => c.name);
        assert.equal(new Set(names).size, names.length, "case names are unique");
        const files = fs
            .readdirSync(DIR)
            .filter((f) => f.endsWith(".yaml"))
            .map((f) => f.slice(0, -".yaml".length))
            .sort();
        assert.deepEqual(
            files,
            CASES.filter((c) => !c.generated)
                .map((c) => c.name)
                .sort(),
        );
        for (const c of CASES) {
            assert.ok(c.key.length > 0 && c.match.length > 0, `${c.name} says what its refusal names`);
            assert.doesNotThrow(() => new RegExp(c.match), `${c.name}: match is a regex`);
        }
    });

    it("breaks a valid stack: the base passes every check and is only refused for being outside stacks/", () => {
        fs.writeFileSync(stackFile(stacks, "corpus-base"), YAML.stringify(BASE));
        assert.throws(
            () => validateForUp(stacks, "corpus-base"),
            (e: Error) => e instanceof UserError && !(e instanceof SpecError) && /is valid, but Pulumi reads stack files only from/.test(e.message),
        );
    });

    for (const c of CASES) {
        it(`${c.name} (${c.category}) is refused naming ${JSON.stringify(c.key)}`, () => {
            const stack = writeCase(stacks, c);
            const before = [listing(state), listing(results), listing(guests)];
            let error: unknown;
            try {
                validateForUp(stacks, stack);
            } catch (e) {
                error = e;
            }
            assert.ok(error instanceof SpecError, `${c.name}: expected a SpecError, got ${error instanceof Error ? error.stack : String(error)}`);
            const message = (error as Error).message;
            assert.ok(message.includes(c.key), `${c.name}: the message names ${JSON.stringify(c.key)}:\n${message}`);
            assert.match(message, new RegExp(c.match), `${c.name}: message`);
            assert.deepEqual([listing(state), listing(results), listing(guests)], before, `${c.name}: nothing written under state, guests or results`);
            // For names such as "." the path is the results root itself; the listing above covers those.
            const own = path.join(results, stack);
            if (path.dirname(own) === results) assert.ok(!fs.existsSync(own), `${c.name}: no results folder`);
        });
    }

    describe("through the CLI (isobench up with ISOBENCH_STACKS_DIR)", () => {
        const cli = freshBuild();
        let shims = "";
        let calls = "";

        before(() => {
            shims = path.join(tmp, "shims");
            calls = path.join(tmp, "calls.log");
            fs.mkdirSync(shims);
            for (const exe of SHIMMED) {
                fs.writeFileSync(path.join(shims, exe), `#!/bin/sh\necho "${exe} $*" >> '${calls}'\nexit 1\n`, { mode: 0o755 });
            }
        });

        const run = (stack: string): { status: number | null; stderr: string } => {
            const argv = cli ? ["node", cli, "up", stack] : [path.join(REPO, "bin", "isobench"), "up", stack];
            const r = spawnSync(argv[0], argv.slice(1), {
                encoding: "utf8",
                timeout: 60_000,
                cwd: REPO,
                env: {
                    ...process.env,
                    PATH: `${shims}:${process.env.PATH ?? ""}`,
                    ISOBENCH_STACKS_DIR: stacks,
                    ISOBENCH_STATE_DIR: state,
                    ISOBENCH_RESULTS_DIR: results,
                    ISOBENCH_GUESTS_DIR: guests,
                    ...(cli ? {} : { ISOBENCH_TS: "1" }),
                },
            });
            return { status: r.status, stderr: r.stderr };
        };

        for (const name of CLI_CASES) {
            it(`${name}: isobench up exits 1 with the key, calls no docker/virsh/qemu-img/pulumi, writes nothing`, () => {
                const c = CASES.find((x) => x.name === name);
                assert.ok(c, `${name} is a case`);
                const stack = writeCase(stacks, c);
                const before = [listing(state), listing(results), listing(guests)];
                const r = run(stack);
                assert.equal(r.status, 1, r.stderr);
                assert.ok(r.stderr.startsWith("isobench: "), r.stderr);
                assert.ok(r.stderr.includes(c.key), `names ${c.key}:\n${r.stderr}`);
                assert.match(r.stderr, new RegExp(c.match));
                assert.doesNotMatch(r.stderr, /\n\s+at /, "a refusal, not a stack trace");
                assert.ok(!fs.existsSync(calls), `no tool was called: ${fs.existsSync(calls) ? fs.readFileSync(calls, "utf8") : ""}`);
                assert.deepEqual([listing(state), listing(results), listing(guests)], before);
            });
        }

        it("a valid stack from another folder is validated and not run: nothing is called or written", () => {
            fs.writeFileSync(stackFile(stacks, "corpus-valid"), YAML.stringify(BASE));
            const r = run("corpus-valid");
            assert.equal(r.status, 1, r.stderr);
            assert.match(r.stderr, /^isobench: stack "corpus-valid" in .* is valid, but Pulumi reads stack files only from/);
            assert.ok(!fs.existsSync(calls));
            assert.deepEqual([listing(state), listing(results), listing(guests)], [[], [], []]);
        });
    });
});
