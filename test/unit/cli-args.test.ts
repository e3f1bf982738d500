/** The command line of every isobench command, read by experiment/cli-args.ts (commander). */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import { COMMANDS, Invocation, parseCommandLine } from "../../experiment/cli-args";
import { UsageError, UserError } from "../../core/errors";
import { cliCommand } from "../helpers/cli-build";

const parse = (...argv: string[]) => parseCommandLine(argv);
const usage = (argv: string[], re: RegExp) =>
    assert.throws(
        () => parseCommandLine(argv),
        (e: unknown) => e instanceof UsageError && re.test((e as Error).message),
        `isobench ${argv.join(" ")}`,
    );

describe("isobench command line", () => {
    it("up: the stack, --remeasure with its cells, --verbose", () => {
        assert.deepEqual(parse("up", "quick"), { command: "up", stack: "quick", verbose: false, allowEmulation: false });
        assert.deepEqual(parse("up", "quick", "--remeasure", "stale"), {
            command: "up",
            stack: "quick",
            remeasure: "stale",
            verbose: false,
            allowEmulation: false,
        });
        assert.deepEqual(parse("up", "--remeasure", "a.native.r1,b.native.r2", "quick", "-v"), {
            command: "up",
            stack: "quick",
            remeasure: "a.native.r1,b.native.r2",
            verbose: true,
            allowEmulation: false,
        });
        assert.deepEqual(parse("up", "quick", "--verbose"), { command: "up", stack: "quick", verbose: true, allowEmulation: false });
        assert.deepEqual(parse("up", "--allow-emulation", "quick"), { command: "up", stack: "quick", verbose: false, allowEmulation: true });
        usage(["up"], /^up: missing required argument 'stack'/);
        usage(["up", "quick", "--remeasure"], /^up: option '--remeasure <cells>' argument missing/);
        usage(
            ["up", "quick", "--remasure", "stale"],
            /^up: unknown option --remasure — did you mean "--remeasure"\? Options: --remeasure, --verbose, --allow-emulation, --from, --stack, --help/,
        );
    });

    it("up with several stacks: each once runs at once; --remeasure and --from stay one stack's", () => {
        assert.deepEqual(parse("up", "lab-a", "lab-b"), { command: "up-many", stacks: ["lab-a", "lab-b"], verbose: false, allowEmulation: false });
        assert.deepEqual(parse("up", "-v", "a", "b", "c", "--allow-emulation"), {
            command: "up-many",
            stacks: ["a", "b", "c"],
            verbose: true,
            allowEmulation: true,
        });
        usage(["up", "a", "b", "--remeasure", "stale"], /^up: --remeasure names cells of one stack: run isobench up a --remeasure stale on its own/);
        usage(["up", "a", "b", "--from", "docs/results/x"], /^up: give a stack or --from <results dir>, not both/);
    });

    it("setup-target: the stack whose isobench:target it prepares", () => {
        assert.deepEqual(parse("setup-target", "lab"), { command: "setup-target", stack: "lab" });
        usage(["setup-target"], /^setup-target: missing required argument 'stack'/);
        usage(["setup-targte", "lab"], /^unknown command "setup-targte" — did you mean "setup-target"\?/);
    });

    it("destroy, recover, status, ls, leftovers", () => {
        assert.deepEqual(parse("destroy", "quick"), { command: "destroy", stack: "quick", verbose: false });
        assert.deepEqual(parse("destroy", "quick", "--verbose"), { command: "destroy", stack: "quick", verbose: true });
        assert.deepEqual(parse("recover", "quick"), { command: "recover", stack: "quick" });
        assert.deepEqual(parse("status"), { command: "status" });
        assert.deepEqual(parse("status", "quick"), { command: "status", stack: "quick" });
        assert.deepEqual(parse("ls"), { command: "ls" });
        assert.deepEqual(parse("leftovers"), { command: "leftovers", clean: false });
        assert.deepEqual(parse("leftovers", "quick", "--clean"), { command: "leftovers", stack: "quick", clean: true });
        assert.deepEqual(parse("leftovers", "--clean"), { command: "leftovers", clean: true });
        usage(["leftovers", "--claen"], /^leftovers: unknown option --claen — did you mean "--clean"\?/);
        usage(["ls", "quick"], /^ls: too many arguments/);
        usage(["status", "a", "b"], /^status: too many arguments/);
        usage(["recover"], /^recover: missing required argument 'stack'/);
    });

    it("analyze: the folder, --compare, --confidence (checked), --no-plots, --quiet-progress and the stack's hidden --plan", () => {
        assert.deepEqual(parse("analyze", "r/q"), { command: "analyze", dir: "r/q", plots: true, progress: true });
        assert.deepEqual(parse("analyze", "r/q", "--compare", "r/p", "--confidence", "0.9", "--no-plots", "--quiet-progress", "--plan", "WyJhIl0="), {
            command: "analyze",
            dir: "r/q",
            compareWith: "r/p",
            confidence: 0.9,
            plots: false,
            progress: false,
            planArg: "WyJhIl0=",
        });
        assert.throws(
            () => parse("analyze", "r/q", "--confidence", "95"),
            (e: unknown) => e instanceof UserError && !(e instanceof UsageError) && /--confidence must be a number between 0 and 1/.test(String(e)),
        );
        assert.throws(() => parse("analyze"), /which results directory\?/);
        assert.deepEqual(parse("analyze", "r/q", "--compare", "r/p", "--require-agreement", "0.95"), {
            command: "analyze",
            dir: "r/q",
            compareWith: "r/p",
            agreementBar: 0.95,
            plots: true,
            progress: true,
        });
        assert.throws(() => parse("analyze", "r/q", "--require-agreement", "0.95"), /needs a second run to agree with: add --compare/);
        assert.throws(() => parse("analyze", "r/q", "--compare", "r/p", "--require-agreement", "95"), /above 0 and at most 1/);
        usage(
            ["analyze", "r/q", "--bogus"],
            /^analyze: unknown option --bogus\. Options: --compare, --require-agreement, --confidence, --no-plots, --quiet-progress, --help/,
        );
        usage(["analyze", "r/q", "--confidnce", "0.9"], /did you mean "--confidence"\?/);
        usage(["analyze", "r/q", "r/p"], /^analyze: too many arguments/);
    });

    it("parse, import, doctor, build", () => {
        assert.deepEqual(parse("parse", "redis", "x.txt"), { command: "parse", workload: "redis", rawFile: "x.txt" });
        assert.deepEqual(parse("parse", "fio", "x.log", "--params", "rw=read,bs=4k"), {
            command: "parse",
            workload: "fio",
            rawFile: "x.log",
            params: "rw=read,bs=4k",
        });
        usage(["parse", "redis"], /^parse: missing required argument 'raw-file'/);
        assert.deepEqual(parse("import", "felter2014", "/c"), { command: "import", study: "felter2014", checkout: "/c" });
        assert.deepEqual(parse("import", "felter2014", "/c", "--out", "/o"), { command: "import", study: "felter2014", checkout: "/c", out: "/o" });
        usage(["import", "felter2014"], /^import: missing required argument 'checkout'/);
        assert.deepEqual(parse("doctor"), { command: "doctor" });
        assert.deepEqual(parse("doctor", "--target", "lab"), { command: "doctor", target: "lab" });
        usage(["doctor", "--target"], /^doctor: option '--target <stack>' argument missing/);
        assert.deepEqual(parse("doctor", "--stability"), { command: "doctor", stability: true });
        assert.deepEqual(parse("doctor", "--target", "lab", "--stability", "120"), { command: "doctor", target: "lab", stability: 120 });
        for (const bad of ["2", "1.5", "ten", "7200"]) {
            assert.throws(
                () => parse("doctor", "--stability", bad),
                (e: unknown) => e instanceof UserError && !(e instanceof UsageError) && /--stability takes whole seconds from 4 to 3600/.test(String(e)),
                bad,
            );
        }
        assert.deepEqual(parse("build"), { command: "build" });
    });

    it("the commands the stack runs, with the base64 arguments the program passes", () => {
        assert.deepEqual(parse("run-cell", "eyJhIjoxfQ=="), { command: "run-cell", cell: "eyJhIjoxfQ==" });
        assert.deepEqual(parse("probe", "/r", "e30="), { command: "probe", resultsDir: "/r", env: "e30=" });
        assert.deepEqual(parse("probe-host", "/r", "e30="), { command: "probe-host", resultsDir: "/r", declared: "e30=" });
        assert.deepEqual(parse("probe-host", "/r", "e30=", "quick"), { command: "probe-host", resultsDir: "/r", declared: "e30=", stack: "quick" });
        assert.deepEqual(parse("host-apply", "quick", "e30="), { command: "host-apply", stack: "quick", declared: "e30=" });
        assert.deepEqual(parse("host-restore", "quick"), { command: "host-restore", stack: "quick" });
        usage(["run-cell"], /^run-cell: missing required argument 'cell'/);
    });

    it("every command answers --help with its options and an example", () => {
        for (const def of COMMANDS) {
            const h = parse(def.name, "--help") as Extract<Invocation, { command: "help" }>;
            assert.equal(h.command, "help", def.name);
            assert.equal(h.exit, 0);
            assert.match(h.text, new RegExp(`^Usage: isobench ${def.name} `), def.name);
            assert.match(h.text, /\nExamples?:\n {2}isobench /, `${def.name} --help has an example`);
            for (const o of def.options ?? []) if (!o.hidden) assert.ok(h.text.includes(o.long!), `${def.name} --help lists ${o.long}`);
            assert.deepEqual(parse("help", def.name), h, `isobench help ${def.name}`);
        }
        assert.ok(!(parse("analyze", "--help") as { text: string }).text.includes("--plan"), "the stack's own option stays out of the help");
    });

    it("help, no command, an unknown command", () => {
        for (const argv of [["--help"], ["-h"], ["help"]]) {
            const h = parseCommandLine(argv) as Extract<Invocation, { command: "help" }>;
            assert.equal(h.exit, 0);
            assert.match(h.text, /^Usage: isobench <command> \[options\]/);
            for (const def of COMMANDS) assert.ok(h.text.includes(`\n  ${def.name} `), `the overview lists ${def.name}`);
            assert.match(h.text, /ISOBENCH_STACKS_DIR/);
        }
        const none = parseCommandLine([]) as Extract<Invocation, { command: "help" }>;
        assert.equal(none.exit, 2);
        assert.match(none.text, /^Usage: isobench/);
        usage(["statsu"], /^unknown command "statsu" — did you mean "status"\? Commands: up, plan, setup-target, destroy, status, ls/);
        usage(["frobnicate"], /^unknown command "frobnicate"\. Commands:/);
    });

    it("through the real CLI: usage errors exit 2 on stderr, help exits 0 on stdout, without a stack trace", () => {
        const run = (...args: string[]) => {
            const c = cliCommand(args);
            return spawnSync(c.argv[0], c.argv.slice(1), { encoding: "utf8", env: { ...process.env, ...c.env } });
        };
        const bad = run("up", "quick", "--remasure", "stale");
        assert.equal(bad.status, 2);
        assert.match(bad.stderr, /^isobench: up: unknown option --remasure — did you mean "--remeasure"\?/m);
        assert.doesNotMatch(bad.stderr, /\n\s+at /);
        const help = run("status", "--help");
        assert.equal(help.status, 0);
        assert.match(help.stdout, /^Usage: isobench status \[options\] \[stack\]/);
    });
});
