/**
 * The isobench command line (package bin). `up`/`destroy` wrap `pulumi up`/`pulumi destroy` of a
 * stack on the local backend after validating the stack and the host; the other commands are
 * what the stack's command resources run.
 */
import * as fs from "fs";
import * as path from "path";
import { HostError, SpecError, UserError } from "../core/errors";
import { didYouMean } from "../core/closest";
import { REPO_ROOT, STACK_CONFIG_DIR, stacksDir } from "../core/paths";

// Each command loads only the modules it needs: run-cell and probe start once per cell, and
// the schema validator, YAML parser and analysis would add about 0.4 s to every start.

const USAGE = `usage: isobench <command>
  up <stack> [--remeasure <cell>,…|stale]
                             validate the stack and the host, then pulumi up (runs the experiment);
                             --remeasure moves those cells' results into superseded/ and measures them again
  up --from <results dir> [--stack <name>]
                             run a recorded experiment again from its provenance/: writes
                             stacks/Pulumi.<name>.yaml (default <stack>-rerun) with a new runId, warns
                             what differs from the original (commit, images, versions, kernel, CPU), runs up
  destroy <stack>            pulumi destroy: removes containers, guests, volumes, disks; keeps results/
  recover <stack>            clear what a killed run left (orphaned processes, the stack's stale lock,
                             half-made resources); up does this itself before it measures
  leftovers [<stack>] [--clean]
                             list what isobench made that no stack's state owns (containers, volumes,
                             domains, guest files, native data and runtime folders, servers and plugins
                             of killed runs, stale locks), one line each: kind, name, stack, why;
                             --clean removes them (results/ never). Exit 0: nothing left; 3: leftovers
                             listed; 1: something could not be read or removed
  analyze <results dir> [--compare <other results dir> [--require-agreement 0.95]] [--confidence 0.95] [--no-plots] [--quiet-progress]
                             statistics, change vs native, published claims: summary.csv, summary.md,
                             plots/, report.html (--compare: compare.md/.csv, the two runs side by side,
                             and whether their verdicts agree: compare-agreement.csv and a last line
                             "agreement: PASS|FAIL …"; --require-agreement: exit 3 on FAIL, with that share
                             of verdicts as the bar)
  doctor                     what this host can run, and how to fix what is missing
  parse <workload> <raw file> [--params k=v,...]
                             re-parse raw tool output (results/.../raw/*.txt, published logs) to sample CSV
  import felter2014 <checkout> [--out <results dir>]
                             the raw logs of Felter et al. (a checkout of github.com/thewmf/kvm-docker-comparison)
                             as a results folder (default results/felter2014-original), then analyze it
  run-cell <cell>            (used by the stack) run one cell
  probe <results dir> <env>  (used by the stack) measure an environment's facts
  probe-host <results dir> <declared> [<stack>]  (used by the stack) measure the host's settings and versions (host.csv)
  host-apply <stack> <declared>  (used by the stack, isobench:host.apply) set the declared host settings, recording the previous ones
  host-restore <stack>       (used by the stack on destroy) put back what host-apply recorded

environment:
  ISOBENCH_STACKS_DIR        up reads Pulumi.<stack>.yaml from this folder instead of stacks/; a stack found
                             there is validated (nothing is created) but not run, since Pulumi reads only stacks/
  ISOBENCH_STATE_DIR, ISOBENCH_RESULTS_DIR   instead of .state/ and results/`;

/** destroy acts on what Pulumi runs: the checkout's own stack files, whatever ISOBENCH_STACKS_DIR says. */
const STACKS_DIR = path.join(REPO_ROOT, STACK_CONFIG_DIR);

function tail(file: string): () => void {
    let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
    const timer = setInterval(() => {
        if (!fs.existsSync(file)) return;
        const size = fs.statSync(file).size;
        if (size <= offset) return;
        const fd = fs.openSync(file, "r");
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        fs.closeSync(fd);
        offset = size;
        for (const line of buf.toString("utf8").split("\n").filter(Boolean)) process.stdout.write(`[isobench] ${line}\n`);
    }, 1000);
    return () => clearInterval(timer);
}

/** How every pulumi run of a stack is set up: the stack selected, the environment, and what recovery needs. */
async function pulumiSession(stack: string, env: NodeJS.ProcessEnv) {
    const { projectName, selectStack } = await import("./pulumi-cli");
    const { recoverStack } = await import("./recovery");
    selectStack(stack, REPO_ROOT, env);
    const ctx = { stack, project: projectName(REPO_ROOT), env, cwd: REPO_ROOT, log: (l: string) => console.log(`[isobench] ${l}`) };
    return { ctx, recover: () => recoverStack(ctx) };
}

/**
 * Runs one pulumi command of a stack as the host's only measurement: what killed runs left is
 * cleared first, the host's measurement lock is held for Pulumi's whole life, and every process
 * it starts carries this run's owner mark, so a hard stop can end them all.
 */
async function runMeasured(stack: string, env: NodeJS.ProcessEnv, args: string[], resultsDir: string | undefined, moreArgs: () => string[] = () => []) {
    const { runPulumi } = await import("./pulumi-cli");
    const { acquireMeasureLock, LOCK_HELD_ENV } = await import("./measure-lock");
    const { endProcesses, markedBy, runOwner, RUN_OWNER_ENV } = await import("./recovery");
    const { appendProgress } = await import("./progress-log");
    const session = await pulumiSession(stack, env);
    const recovered = session.recover();
    const say = session.ctx.log;
    const lock = await acquireMeasureLock(`stack ${stack}, isobench pid ${process.pid}, since ${new Date().toISOString()}`, say);
    if (resultsDir) {
        for (const a of recovered.actions) appendProgress(resultsDir, `recovery: ${a}`);
        if (lock.waitedFor) appendProgress(resultsDir, `waited ${lock.waitedS.toFixed(0)} s for another measurement on this host (${lock.waitedFor})`);
    }
    const owner = runOwner(process.pid, env.PULUMI_BACKEND_URL ?? "");
    const runEnv = { ...env, [RUN_OWNER_ENV]: owner, [LOCK_HELD_ENV]: "1" };
    let extra: string[];
    try {
        extra = moreArgs();
    } catch (e) {
        lock.release();
        throw e;
    }
    const exit = await runPulumi([...args, ...extra, "--stack", stack], REPO_ROOT, runEnv, { onStart: (pid) => lock.watch(pid) }).finally(() => lock.release());
    if (exit.signals >= 2) {
        // Pulumi stopped at once; its plugins and the cell they ran may live on: end them, then
        // clear the lock and the unfinished operations now rather than at the next up.
        endProcesses(markedBy(owner));
        session.recover();
    }
    return exit;
}

/** `up <stack> [--remeasure <cell,…|stale>]`; undefined when the arguments do not fit. */
function parseUpArgs(args: readonly string[]): { stack: string; remeasure?: string } | undefined {
    const i = args.indexOf("--remeasure");
    const rest = i < 0 ? [...args] : [...args.slice(0, i), ...args.slice(i + 2)];
    if (rest.length !== 1 || rest[0].startsWith("--") || (i >= 0 && (args[i + 1] === undefined || args[i + 1].startsWith("--")))) return undefined;
    return { stack: rest[0], ...(i >= 0 ? { remeasure: args[i + 1] } : {}) };
}

async function up(stack: string, opts: { remeasure?: string } = {}): Promise<number> {
    const { validateForUp } = await import("./up-preflight");
    const { gatherHost, onPath } = await import("./host");
    const { pulumiEnv } = await import("./pulumi-cli");
    const spec = validateForUp(stacksDir(REPO_ROOT), stack);
    // Preflight with the environment Pulumi will get, so it decides exactly as the program will.
    const env = pulumiEnv(REPO_ROOT);
    const host = gatherHost(spec, { env, log: (l) => console.log(`[isobench] ${l}`) });
    if (!onPath("pulumi", env)) throw new HostError("the pulumi CLI was not found. Fix: run scripts/pulumi-toolchain.sh (or scripts/setup.sh)");
    const { checkResults, remeasure, runResultsDir } = await import("./results-preflight");
    if (opts.remeasure !== undefined) for (const l of remeasure(spec, host, opts.remeasure)) console.log(`[isobench] remeasure: ${l}`);
    const before = checkResults(spec, host);
    if (before.failed.length > 0) console.log(`[isobench] ${before.failed.length} cell(s) failed before and are retried: ${before.failed.join(", ")}`);
    const resultsDir = runResultsDir(spec, host);
    console.log(`[isobench] stack ${stack}, run ${spec.runId}: results in ${resultsDir}`);
    const stop = tail(path.join(resultsDir, "progress.log"));
    const t0 = Date.now();
    const recreate = async () => (await import("./recreate")).recreateArgs(spec, host, stack, env, resultsDir);
    const { code, signals } = await runMeasured(stack, env, ["up", "--yes", "--skip-preview"], resultsDir, await recreate()).finally(stop);
    const wallS = (Date.now() - t0) / 1000;
    console.log(`[isobench] pulumi up finished in ${wallS.toFixed(1)} s (exit ${code}${signals ? `, stopped by a signal` : ""})`);
    const { cellTimesSince, describeRun, missingCells } = await import("./run-report");
    const log = path.join(resultsDir, "progress.log");
    console.log(`[isobench] ${describeRun(cellTimesSince(fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "", new Date(t0)), wallS)}`);
    const { planCells } = await import("./plan");
    const cellsDir = path.join(resultsDir, "cells");
    const missing = missingCells(
        planCells(spec).map((c) => c.id),
        new Set(fs.existsSync(cellsDir) ? fs.readdirSync(cellsDir) : []),
    );
    const { cellErrorPath, readCellError } = await import("./results-state");
    const failed = missing.filter((c) => fs.existsSync(cellErrorPath(resultsDir, c)));
    for (const c of failed)
        console.error(`isobench: cell ${c} failed: ${readCellError(cellErrorPath(resultsDir, c)).message.split("\n")[0]} (${cellErrorPath(resultsDir, c)})`);
    const notRun = missing.filter((c) => !failed.includes(c));
    if (missing.length > 0) {
        // pulumi can end "successfully" when its program stops early; never call a half-run complete.
        console.error(
            [
                failed.length ? `isobench: ${failed.length} cell(s) failed: ${failed.join(", ")}.` : "",
                notRun.length ? `isobench: ${notRun.length} planned cell(s) have no results yet: ${notRun.join(", ")}.` : "",
                `Nothing measured is lost: run \`isobench up ${stack}\` again to retry the failed cells and measure the rest.`,
            ]
                .filter(Boolean)
                .join("\n"),
        );
        return code === 0 ? 3 : code;
    }
    const summary = path.join(resultsDir, "summary.md");
    if (code === 0 && fs.existsSync(summary)) console.log("\n" + fs.readFileSync(summary, "utf8"));
    return code;
}

function knownStack(stack: string, available: readonly string[]): void {
    if (!available.includes(stack)) throw new SpecError(`unknown stack "${stack}"${didYouMean(stack, available)}. Available stacks: ${available.join(", ")}`);
}

async function destroy(stack: string): Promise<number> {
    const { availableStacks } = await import("./stack-file");
    const { pulumiEnv } = await import("./pulumi-cli");
    knownStack(stack, availableStacks(STACKS_DIR));
    return (await runMeasured(stack, pulumiEnv(REPO_ROOT), ["destroy", "--yes", "--skip-preview"], undefined)).code;
}

/** Clears what killed runs of the stack left (orphaned processes, a stale lock, unfinished operations) and nothing else. */
async function recover(stack: string): Promise<number> {
    const { availableStacks } = await import("./stack-file");
    const { pulumiEnv } = await import("./pulumi-cli");
    knownStack(stack, availableStacks(STACKS_DIR));
    const { actions } = (await pulumiSession(stack, pulumiEnv(REPO_ROOT))).recover();
    if (actions.length === 0) console.log(`[isobench] stack ${stack}: nothing to recover`);
    return 0;
}

/**
 * `leftovers [<stack>] [--clean]`: one line per thing isobench made that no stack's state owns;
 * with --clean each is removed and the line says what was done. Notes on what was not judged
 * (stacks in use) and sources that could not be read go to stderr.
 */
async function leftovers(args: string[]): Promise<number | undefined> {
    const clean = args.includes("--clean");
    const rest = args.filter((a) => a !== "--clean");
    const unknown = rest.find((a) => a.startsWith("-"));
    if (unknown) throw new UserError(`leftovers: unknown option ${unknown}${didYouMean(unknown, ["--clean"])}\n${USAGE}`);
    if (rest.length > 1) return undefined;
    const only = rest[0];
    if (only !== undefined) (await import("./spec")).checkStackName(only);
    const { findLeftovers, removeLeftovers } = await import("./leftovers");
    const { formatLeftovers } = await import("./leftovers-plan");
    const { pulumiEnv } = await import("./pulumi-cli");
    const ctx = { repoRoot: REPO_ROOT, stacksDir: STACKS_DIR, env: pulumiEnv(REPO_ROOT) };
    const { plan, problems } = findLeftovers(ctx, only);
    for (const n of plan.notes) console.error(`[isobench] ${n}`);
    for (const p of problems) console.error(`isobench: cannot tell what is left: ${p}`);
    const of = only !== undefined ? ` of stack ${only}` : "";
    if (plan.leftovers.length === 0) {
        const unjudged = plan.notes.length > 0 ? " among what was judged (see above)" : "";
        console.log(`[isobench] no leftovers${of}${problems.length ? " among what could be read" : unjudged}`);
        return problems.length ? 1 : 0;
    }
    if (!clean) {
        for (const line of formatLeftovers(plan.leftovers.map((item) => ({ item })))) console.log(line);
        console.error(`[isobench] ${plan.leftovers.length} leftover(s)${of}; isobench leftovers${only !== undefined ? ` ${only}` : ""} --clean removes them`);
        return problems.length ? 1 : 3;
    }
    const removed = removeLeftovers(plan.leftovers, ctx);
    for (const line of formatLeftovers(removed)) console.log(line);
    const failed = removed.filter((r) => !r.ok);
    if (failed.length > 0) {
        console.error(
            `isobench: ${failed.length} leftover(s) could not be removed: ${failed.map((r) => `${r.item.kind} ${r.item.name} (${r.done})`).join("; ")}`,
        );
    }
    return failed.length > 0 || problems.length > 0 ? 1 : 0;
}

/** analyze --require-agreement: the two runs' verdicts did not agree (1 stays "could not analyze"). */
const AGREEMENT_FAILED_EXIT = 3;

/** `analyze` arguments; bad ones are a UserError naming the fix. */
function parseAnalyzeArgs(args: readonly string[]): {
    dir: string;
    compareWith?: string;
    confidence?: number;
    agreementBar?: number;
    plots: boolean;
    progress: boolean;
    planArg?: string;
} {
    let dir: string | undefined;
    let compareWith: string | undefined;
    let planArg: string | undefined;
    let confidence: number | undefined;
    let agreementBar: number | undefined;
    let plots = true;
    let progress = true;
    for (let i = 0; i < args.length; i++) {
        const a = args[i];
        if (a === "--quiet-progress") progress = false;
        else if (a === "--no-plots") plots = false;
        else if (a === "--plan") {
            // Only the stack's analysis step passes it (an encoded list of cell ids).
            planArg = args[++i];
            if (planArg === undefined) throw new UserError(`analyze: --plan needs a value\n${USAGE}`);
        } else if (a === "--compare" || a === "--confidence" || a === "--require-agreement") {
            const v = args[++i];
            if (v === undefined) throw new UserError(`analyze: ${a} needs a value\n${USAGE}`);
            if (a === "--compare") compareWith = v;
            else if (a === "--require-agreement") {
                agreementBar = Number(v);
                if (!(agreementBar > 0 && agreementBar <= 1))
                    throw new UserError(
                        `analyze: --require-agreement must be the share of verdicts that must agree, above 0 and at most 1 (e.g. 0.95), got "${v}"`,
                    );
            } else {
                confidence = Number(v);
                if (!(confidence > 0 && confidence < 1)) throw new UserError(`analyze: --confidence must be a number between 0 and 1 (e.g. 0.95), got "${v}"`);
            }
        } else if (a.startsWith("--")) throw new UserError(`analyze: unknown option ${a}\n${USAGE}`);
        else if (dir === undefined) dir = a;
        else throw new UserError(`analyze: one results directory expected, got "${dir}" and "${a}" (use --compare <dir> for a second run)`);
    }
    if (dir === undefined) throw new UserError(`analyze: which results directory? e.g. isobench analyze results/quick/quick-1\n${USAGE}`);
    if (agreementBar !== undefined && compareWith === undefined) {
        throw new UserError(`analyze: --require-agreement needs a second run to agree with: add --compare <other results dir>`);
    }
    return {
        dir,
        plots,
        progress,
        ...(compareWith !== undefined ? { compareWith } : {}),
        ...(agreementBar !== undefined ? { agreementBar } : {}),
        ...(confidence !== undefined ? { confidence } : {}),
        ...(planArg !== undefined ? { planArg } : {}),
    };
}

/** What isobench:host.apply changed for `stack` ("thp madvise -> never; …"), as its record says. */
async function appliedSettings(stack: string): Promise<string> {
    const { readRecords } = await import("../environments/host-apply");
    const { hostRecordsDir } = await import("../core/paths");
    const r = readRecords({ root: "", recordsDir: hostRecordsDir() }).find((x) => x.stack === stack);
    if (!r) return "none (no record: host-apply has not run)";
    return r.changes.length ? r.changes.map((c) => `${c.setting} ${c.from} -> ${c.to}`).join("; ") : "none (the host was as declared)";
}

const printFacts = (facts: Readonly<Record<string, string | number>>) =>
    console.log(
        Object.entries(facts)
            .map(([k, v]) => `${k}=${v}`)
            .join("\n"),
    );

async function probe(resultsDir: string, arg: string): Promise<number> {
    const h = (await import("./command-args")).decodeArg("probe", arg);
    const { probed, probeEnvironment, reprobeEnvironment } = await import("../environments/probe");
    // A probe that runs again in the same run (its environment was created again) keeps the earlier facts aside.
    printFacts(
        probed(resultsDir, h.name)
            ? reprobeEnvironment(resultsDir, h, ["the environment was created again by isobench up"], "recreated")
            : probeEnvironment(resultsDir, h),
    );
    return 0;
}

async function probeHost(resultsDir: string, arg: string, stack?: string): Promise<number> {
    // With a stack name (isobench:host.apply), host.csv also says what isobench changed.
    const recorded: Record<string, string> = stack !== undefined ? { host_settings_applied: await appliedSettings(stack) } : {};
    printFacts((await import("../environments/host-facts")).probeHost(resultsDir, (await import("./command-args")).decodeArg("probe-host", arg), recorded));
    return 0;
}

async function hostSettings(verb: "host-apply" | "host-restore", stack: string, arg?: string): Promise<number> {
    const { applyHostSettings, describeChanges, restoreHostSettings } = await import("../environments/host-apply");
    const { hostRecordsDir } = await import("../core/paths");
    const io = { root: "", recordsDir: hostRecordsDir() };
    if (verb === "host-apply") {
        console.log(`applied:\n${describeChanges(applyHostSettings(io, stack, (await import("./command-args")).decodeArg("host-apply", arg!)))}`);
    } else {
        console.log(`restored:\n${describeChanges(restoreHostSettings(io, stack).map((c) => ({ ...c, from: c.to, to: c.from })))}`);
    }
    return 0;
}

/** `isobench parse <workload> <raw file> [--params k=v;…]`; undefined when the arguments do not fit. */
async function parse(args: string[]): Promise<number | undefined> {
    const i = args.indexOf("--params");
    const rest = i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)];
    if (rest.length !== 2 || (i >= 0 && args[i + 1] === undefined)) return undefined;
    const { getWorkload, WORKLOAD_NAMES } = await import("../workloads");
    const { parseParamsArg, parseRawToCsv } = await import("./parse-raw");
    if (!WORKLOAD_NAMES.includes(rest[0]))
        throw new UserError(`unknown workload "${rest[0]}"${didYouMean(rest[0], WORKLOAD_NAMES)}; allowed: ${WORKLOAD_NAMES.join(", ")}`);
    process.stdout.write(parseRawToCsv(getWorkload(rest[0]), rest[1], i < 0 ? undefined : parseParamsArg(args[i + 1])));
    return 0;
}

/** `isobench import felter2014 <checkout> [--out <dir>]`; undefined when the arguments do not fit. */
async function importCommand(args: string[]): Promise<number | undefined> {
    const i = args.indexOf("--out");
    const rest = i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)];
    if (rest.length !== 2 || (i >= 0 && (args[i + 1] === undefined || args[i + 1].startsWith("--")))) return undefined;
    if (rest[0] !== "felter2014") throw new UserError(`import: unknown study "${rest[0]}"${didYouMean(rest[0], ["felter2014"])}; importable: felter2014`);
    const { FELTER2014_RUN_ID } = await import("./import-felter2014");
    const { writeFelter2014Import } = await import("./import-run");
    const { resultsRoot } = await import("../core/paths");
    const out = i >= 0 ? args[i + 1] : path.join(resultsRoot(REPO_ROOT), FELTER2014_RUN_ID);
    const { cells, imported } = writeFelter2014Import(rest[1], out);
    console.log(
        `[isobench] imported ${imported.samples.length} samples in ${cells} cells into ${out}; ${imported.skipped.length} run(s) left out (${path.join(out, "IMPORTED.md")})`,
    );
    console.log(await (await import("../analysis/analyze")).analyzeResultsDir(out, { progress: true }));
    return 0;
}

async function doctorCommand(): Promise<number> {
    const { doctor, formatChecks } = await import("./doctor");
    const checks = doctor(REPO_ROOT);
    console.log(formatChecks(checks));
    return checks.every((c) => c.ok) ? 0 : 1;
}

async function help(): Promise<number> {
    console.log(USAGE);
    return 0;
}

/** Each subcommand: whether it takes this many arguments, and what it does (undefined: wrong arguments). */
const COMMANDS: Readonly<Record<string, { readonly arity?: readonly number[]; readonly run: (args: string[]) => Promise<number | undefined> }>> = {
    up: {
        run: async (a) => {
            if (a.includes("--from")) return (await import("./rerun")).upFrom(a, (stack) => up(stack));
            const p = parseUpArgs(a);
            return p ? up(p.stack, p) : undefined;
        },
    },
    destroy: { arity: [1], run: (a) => destroy(a[0]) },
    recover: { arity: [1], run: (a) => recover(a[0]) },
    leftovers: { run: leftovers },
    "run-cell": {
        arity: [1],
        run: async (a) => {
            const { LOCK_HELD_ENV, runUnderMeasureLock } = await import("./measure-lock");
            // Under a plain `pulumi up` nobody holds the host for this cell: take it per cell.
            if (!process.env[LOCK_HELD_ENV]) return runUnderMeasureLock((l) => process.stderr.write(`[isobench] ${l}\n`));
            (await import("./runner")).runCell((await import("./command-args")).decodeArg("run-cell", a[0]));
            return 0;
        },
    },
    probe: { arity: [2], run: (a) => probe(a[0], a[1]) },
    "probe-host": { arity: [2, 3], run: (a) => probeHost(a[0], a[1], a[2]) },
    "host-apply": { arity: [2], run: (a) => hostSettings("host-apply", a[0], a[1]) },
    "host-restore": { arity: [1], run: (a) => hostSettings("host-restore", a[0]) },
    analyze: {
        run: async (a) => {
            const { planArg, ...opts } = parseAnalyzeArgs(a);
            const plan = planArg === undefined ? undefined : (await import("./command-args")).decodeArg("analyze-plan", planArg);
            const { analyzeRun } = await import("../analysis/analyze");
            const { markdown, agreement } = await analyzeRun(opts.dir, { ...opts, ...(plan ? { plan } : {}) });
            console.log(markdown);
            if (!agreement) return 0;
            console.log((await import("../analysis/agreement")).agreementLine(agreement));
            // Only a caller that asked for the bar gets a failing exit: analyze's own exit says whether it could analyze.
            return opts.agreementBar !== undefined && !agreement.pass ? AGREEMENT_FAILED_EXIT : 0;
        },
    },
    parse: { run: parse },
    import: { run: importCommand },
    doctor: { run: doctorCommand },
    "-h": { run: help },
    "--help": { run: help },
    help: { run: help },
};

async function main(argv: string[]): Promise<number> {
    const [cmd, ...args] = argv;
    const c = cmd !== undefined && Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (c && (!c.arity || c.arity.includes(args.length))) {
        const code = await c.run(args);
        if (code !== undefined) return code;
    }
    console.error(cmd ? `isobench: unknown command or wrong arguments: ${argv.join(" ")}\n${USAGE}` : USAGE);
    return 2;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        const known = e instanceof UserError;
        console.error(`isobench: ${known ? (e as Error).message : ((e as Error)?.stack ?? String(e))}`);
        process.exit(1);
    },
);
