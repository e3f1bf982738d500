/**
 * The isobench command line (package bin). `up`/`destroy` wrap `pulumi up`/`pulumi destroy` of a
 * stack on the local backend after validating the stack and the host; the other commands are
 * what the stack's command resources run.
 */
import * as fs from "fs";
import * as path from "path";
import { HostError, SpecError, UsageError, UserError } from "../core/errors";
import { didYouMean } from "../core/closest";
import { REPO_ROOT, STACK_CONFIG_DIR, guestLifecycleScript, resultsRoot, stacksDir } from "../core/paths";
import { Invocation, parseCommandLine } from "./cli-args";
import type { ExperimentSpec } from "./spec";
import type { Transport } from "../environments/transport";

// Each command loads only the modules it needs: run-cell and probe start once per cell, and
// the schema validator, YAML parser, Pulumi's Automation API and analysis would add about 0.4 s
// to every start.

/** destroy acts on what Pulumi runs: the checkout's own stack files, whatever ISOBENCH_STACKS_DIR says. */
const STACKS_DIR = path.join(REPO_ROOT, STACK_CONFIG_DIR);

const say = (l: string) => console.log(`[isobench] ${l}`);

/** How every pulumi run of a stack is set up: the stack opened in a LocalWorkspace, and what recovery needs. */
async function pulumiSession(stack: string, env: NodeJS.ProcessEnv, logFile: string, log: (line: string) => void = say) {
    const { projectName } = await import("./pulumi-cli");
    const { openStack } = await import("./pulumi-automation");
    const { recoverStack } = await import("./recovery");
    const session = await openStack(stack, REPO_ROOT, env, logFile);
    const ctx = { stack, project: projectName(REPO_ROOT), env, cwd: REPO_ROOT, log };
    return { session, ctx, recover: () => recoverStack(ctx) };
}

/**
 * Runs up or destroy of a stack as the host's only measurement: what killed runs left is cleared
 * first, the host's measurement lock is held for Pulumi's whole life, and every process it starts
 * carries this run's owner mark, so a hard stop can end them all.
 */
async function runMeasured(
    stack: string,
    env: NodeJS.ProcessEnv,
    op: "up" | "destroy",
    where: { readonly resultsDir?: string; readonly logFile: string; readonly machine: import("../environments/transport").Transport },
    opts: {
        readonly replace?: () => string[];
        readonly onEvent?: (e: import("@pulumi/pulumi/automation").EngineEvent) => void;
        readonly log?: (l: string) => void;
        /** Runs with the lock held, before Pulumi starts: what must see the machine quiet (the stability probe). */
        readonly beforeOperation?: () => void;
    } = {},
) {
    const { acquireMeasureLock, LOCK_HELD_ENV, machineName, measureLockFile } = await import("./measure-lock");
    const { endProcesses, markedBy, runOwner, RUN_OWNER_ENV } = await import("./recovery");
    const { appendProgress } = await import("./progress-log");
    const { runOperation } = await import("./pulumi-automation");
    const log = opts.log ?? say;
    const owner = runOwner(process.pid, env.PULUMI_BACKEND_URL ?? "");
    // Everything Pulumi starts carries the owner mark and knows the lock is held for it.
    const runEnv = { ...env, [RUN_OWNER_ENV]: owner, [LOCK_HELD_ENV]: "1" };
    const { session, recover } = await pulumiSession(stack, runEnv, where.logFile, log);
    const recovered = recover();
    // The lock file is the machine's setting: ISOBENCH_MEASURE_LOCK in this environment locally, in the target's login environment remotely.
    const lock = await acquireMeasureLock(`stack ${stack}, isobench pid ${process.pid}, since ${new Date().toISOString()}`, log, {
        on: where.machine,
        ...(where.machine.target.kind === "local" && { file: measureLockFile(env) }),
    });
    try {
        if (where.resultsDir) {
            for (const a of recovered.actions) appendProgress(where.resultsDir, `recovery: ${a}`);
            if (lock.waitedFor)
                appendProgress(
                    where.resultsDir,
                    `waited ${lock.waitedS.toFixed(0)} s for another measurement on ${machineName(where.machine.target, where.machine.label)} (${lock.waitedFor})`,
                );
        }
        opts.beforeOperation?.();
        const replace = opts.replace?.() ?? [];
        session.pulumi.onStart = (pid) => lock.watch(pid);
        const exit = await runOperation(
            session,
            op,
            { replace },
            {
                ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
                say: (l) => log(l.replace(/^\[isobench\] /, "")),
            },
        );
        if (exit.signals >= 2) {
            // Pulumi stopped at once; its plugins and the cell they ran may live on: end them, then
            // clear the lock and the unfinished operations now rather than at the next up.
            endProcesses(markedBy(owner));
            recover();
        }
        return exit;
    } finally {
        lock.release();
    }
}

/** Pulumi's output of a stack's up and destroy: pulumi.log in the run's results folder. */
const pulumiLogOf = (resultsDir: string) => path.join(resultsDir, "pulumi.log");

/**
 * One `isobench up`: a Pulumi pass, then, while isobench:precision adds repetitions, another pass
 * per decision. holdFailed: this is such a pass after a pass with failed cells, which wait for the
 * next up (results-state.ts HOLD_FAILED_ENV).
 */
async function up(stack: string, opts: { remeasure?: string; verbose: boolean; allowEmulation?: boolean; holdFailed?: boolean }): Promise<number> {
    const { validateForUp } = await import("./up-preflight");
    const { ALLOW_EMULATION_ENV, emulationBanner, gatherHost, onPath } = await import("./host");
    const { pulumiEnv } = await import("./pulumi-cli");
    const { heldWorkloads, precisionStep, withAddedRepetitions } = await import("./precision-run");
    const spec = withAddedRepetitions(validateForUp(stacksDir(REPO_ROOT), stack), { resultsRoot: resultsRoot(REPO_ROOT) });
    // Preflight with the environment Pulumi will get, so it decides exactly as the program will.
    const { HOLD_FAILED_ENV, cellErrorPath, readCellError } = await import("./results-state");
    const env = {
        ...pulumiEnv(REPO_ROOT),
        ...(opts.allowEmulation && { [ALLOW_EMULATION_ENV]: "1" }),
        ...(opts.holdFailed && { [HOLD_FAILED_ENV]: "1" }),
    };
    // The preflight's lines wait until it is known whether guests are emulated: that is said first.
    const preflight: string[] = [];
    let host;
    try {
        host = gatherHost(spec, { env, log: (l) => preflight.push(l) });
    } finally {
        if (!host) for (const l of preflight) say(l);
    }
    const banner = emulationBanner(spec, host.accel, env);
    for (const l of [...(banner ? [banner] : []), ...preflight]) say(l);
    say((await import("./plan-command")).upPlanLine(spec, host));
    if (!onPath("pulumi", env)) throw new HostError("the pulumi CLI was not found. Fix: run scripts/pulumi-toolchain.sh (or scripts/setup.sh)");
    const { checkResults, remeasure, runResultsDir } = await import("./results-preflight");
    if (opts.remeasure !== undefined) for (const l of remeasure(spec, host, opts.remeasure)) say(`remeasure: ${l}`);
    const before = checkResults(spec, host, { holdFailed: opts.holdFailed });
    if (before.failed.length > 0)
        say(
            opts.holdFailed
                ? `${before.failed.length} cell(s) failed in this up's first pass and wait for the next up: ${before.failed.join(", ")}`
                : `${before.failed.length} cell(s) failed before and are retried: ${before.failed.join(", ")}`,
        );
    const resultsDir = runResultsDir(spec, host);
    const logFile = pulumiLogOf(resultsDir);
    say(`stack ${stack}, run ${spec.runId}: results in ${resultsDir}; Pulumi's output in ${logFile}`);
    const { appendProgress, followLog } = await import("./progress-log");
    if (banner) appendProgress(resultsDir, banner);
    const { logEvents, upFinishedLine, upStartedLine } = await import("./run-report");
    const { ProgressModel } = await import("./progress-model");
    const { earlierRunsPrior, progressPlan } = await import("./progress-plan");
    const { cellHistoryFor } = await import("./cell-history");
    const { LiveView } = await import("./progress-view");
    const { engineError, stepEvent } = await import("./engine-steps");
    const { cellFiles } = await import("./status-read");
    const plan = progressPlan(spec);
    const { measured } = cellFiles(resultsDir);
    const progressFile = path.join(resultsDir, "progress.log");
    const earlier = fs.existsSync(progressFile) ? fs.readFileSync(progressFile, "utf8") : "";
    const t0 = Date.now();
    const held = new Set(opts.holdFailed ? before.failed : []);
    const toMeasure = plan.filter((c) => !measured.has(c.id) && !held.has(c.id)).length;
    appendProgress(resultsDir, upStartedLine(process.pid, toMeasure, plan.length));
    const history = cellHistoryFor(host.resultsRoot, REPO_ROOT, new Set(spec.workloads.map((w) => w.name)));
    const prior = earlierRunsPrior(spec, host.hostCpuCount, host.accel, history);
    const model = new ProgressModel(plan, { prior, measured, failed: held, hostAccel: host.accel, startedAt: t0 });
    model.learn(logEvents(earlier));
    const view = new LiveView(model, { out: process.stdout, live: !!process.stdout.isTTY && !opts.verbose });
    // Cell lines feed the progress line; recoveries and re-creations were said as they were done.
    const noted = (line: string) =>
        !/: (start \(|done in |FAILED: |already measured)|other guests of stack|^up: |^recovery: |^environment \S+: its |^host stability probe /.test(
            line.replace(/^\S+ /, ""),
        );
    const stopProgress = followLog(progressFile, (line) => {
        for (const e of logEvents(line)) view.apply(e);
        if (noted(line)) view.say(line.replace(/^\S+ /, ""));
    });
    const stopVerbose = opts.verbose ? followLog(logFile, (line) => process.stdout.write(`${line}\n`)) : () => undefined;
    const recreate = (await import("./recreate")).recreateArgs(spec, host, stack, env, resultsDir, (l) => view.say(l));
    const machine = (await import("./target")).stackTransport(spec);
    const probeS = spec.stabilityProbeS ?? 0;
    const { recordHostStability } = await import("./stability-record");
    const { UNSTEADY_ADVICE, describeProbe } = await import("../analysis/host-stability");
    const { machineName } = await import("./measure-lock");
    let exit: { code: number; signals: number };
    try {
        exit = await runMeasured(
            stack,
            env,
            "up",
            { resultsDir, logFile, machine },
            {
                // Not before a pass with nothing left to measure: its figure would describe no cell.
                ...(probeS > 0 &&
                    toMeasure > 0 && {
                        beforeOperation: () => {
                            view.say(
                                `host stability: probing ${machineName(machine.target, machine.label)} for about ${probeS} s before this pass's cells (isobench:stabilityProbeS; 0 turns it off)…`,
                            );
                            // Said here rather than echoed from progress.log, so that the advice follows the figures.
                            const row = recordHostStability(resultsDir, machine, probeS, measured.size);
                            view.say(`host stability: ${describeProbe(row)}`);
                            if (row.steady === "false") view.say(`host stability: ${UNSTEADY_ADVICE}`);
                        },
                    }),
                replace: recreate,
                log: (l) => view.say(l),
                onEvent: (e) => {
                    const st = stepEvent(e);
                    if (st) view.apply(st);
                    const err = engineError(e);
                    if (err) view.say(`pulumi: ${err.split("\n").slice(0, 40).join("\n")}`);
                },
            },
        );
    } finally {
        stopProgress();
        stopVerbose();
        view.close();
    }
    const { code, signals } = exit;
    const wallS = (Date.now() - t0) / 1000;
    appendProgress(resultsDir, upFinishedLine(process.pid, code, wallS));
    say(
        `pulumi up finished in ${wallS.toFixed(1)} s (exit ${code}${signals ? `, stopped by a signal` : ""})${code !== 0 ? `; Pulumi's output: ${logFile}` : ""}`,
    );
    const { cellTimesSince, describeRun, missingCells } = await import("./run-report");
    say(describeRun(cellTimesSince(fs.existsSync(progressFile) ? fs.readFileSync(progressFile, "utf8") : "", new Date(t0)), wallS));
    const cellsDir = path.join(resultsDir, "cells");
    const missing = missingCells(
        plan.map((c) => c.id),
        new Set(fs.existsSync(cellsDir) ? fs.readdirSync(cellsDir) : []),
    );
    const failed = missing.filter((c) => fs.existsSync(cellErrorPath(resultsDir, c)));
    for (const c of failed)
        console.error(`isobench: cell ${c} failed: ${readCellError(cellErrorPath(resultsDir, c)).message.split("\n")[0]} (${cellErrorPath(resultsDir, c)})`);
    const notRun = missing.filter((c) => !failed.includes(c));
    // isobench:precision, once every planned cell was attempted: the repetitions it adds are measured
    // by another pass; a workload with a failed cell waits for the next up (heldWorkloads), and so do
    // the failed cells themselves.
    if (code === 0 && notRun.length === 0 && (await precisionStep(spec, resultsDir, say, heldWorkloads(spec, host.accel, failed)))) {
        if (failed.length > 0) say(`the ${failed.length} failed cell(s) are not retried in this up's precision passes; the next up retries them`);
        return up(stack, { ...opts, remeasure: undefined, holdFailed: failed.length > 0 });
    }
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

/**
 * `up A B …`: every stack read and its results folder checked first (a bad stack stops all before
 * anything starts), then one up per stack at once, each serialized on its own target.
 */
async function upMany(stacks: readonly string[], opts: { verbose: boolean; allowEmulation: boolean }): Promise<number> {
    const { loadStackSpec } = await import("./stack-file");
    const { checkDistinctResults, overallExit, runStacks, summaryLines } = await import("./up-many");
    const { stackTargetLabel } = await import("./status-read");
    const specs = stacks.map((stack) => loadStackSpec(stacksDir(REPO_ROOT), stack));
    checkDistinctResults(specs.map((spec, i) => ({ stack: stacks[i], resultsDir: path.join(resultsRoot(REPO_ROOT), spec.stack, spec.runId) })));
    say(`${stacks.length} stacks at once, one measurement at a time per target: ${specs.map((s, i) => `${stacks[i]} on ${stackTargetLabel(s)}`).join(", ")}`);
    const t0 = Date.now();
    const outcomes = await runStacks(stacks, opts);
    say("stacks:");
    for (const l of summaryLines(outcomes, (Date.now() - t0) / 1000)) say(l);
    return overallExit(outcomes);
}

function knownStack(stack: string, available: readonly string[]): void {
    if (!available.includes(stack)) throw new SpecError(`unknown stack "${stack}"${didYouMean(stack, available)}. Available stacks: ${available.join(", ")}`);
}

/** Where destroy writes Pulumi's output: the results folder of the stack's current run, or .state/logs/ when its file no longer reads. */
async function destroyLog(stack: string): Promise<string> {
    const { resultsRoot, stateDir } = await import("../core/paths");
    try {
        const spec = (await import("./stack-file")).loadStackSpec(STACKS_DIR, stack);
        return pulumiLogOf(path.join(resultsRoot(REPO_ROOT), stack, spec.runId));
    } catch {
        return path.join(stateDir(REPO_ROOT), "logs", `${stack}.pulumi.log`);
    }
}

/**
 * The machine whose measurement lock destroy holds: the stack's target, or this machine when its
 * file no longer reads (its target is then unknown, and this machine's lock is the one to hold).
 */
async function destroyMachine(stack: string): Promise<import("../environments/transport").Transport> {
    const { thisMachine } = await import("../environments/transport");
    let spec;
    try {
        spec = (await import("./stack-file")).loadStackSpec(STACKS_DIR, stack);
    } catch {
        return thisMachine();
    }
    return (await import("./target")).stackTransport(spec);
}

async function destroy(stack: string, opts: { verbose: boolean }): Promise<number> {
    const { availableStacks } = await import("./stack-file");
    const { pulumiEnv } = await import("./pulumi-cli");
    knownStack(stack, availableStacks(STACKS_DIR));
    const logFile = await destroyLog(stack);
    const { followLog } = await import("./progress-log");
    const { engineError, stepEvent } = await import("./engine-steps");
    const { formatDuration } = await import("./progress-model");
    say(`stack ${stack}: destroying; Pulumi's output in ${logFile}`);
    const stopVerbose = opts.verbose ? followLog(logFile, (line) => process.stdout.write(`${line}\n`)) : () => undefined;
    const steps = new Map<string, { what: string; at: number }>();
    try {
        const { code } = await runMeasured(
            stack,
            pulumiEnv(REPO_ROOT),
            "destroy",
            { logFile, machine: await destroyMachine(stack) },
            {
                onEvent: (e) => {
                    const st = stepEvent(e);
                    if (st?.kind === "step-start") {
                        steps.set(st.id, { what: st.step, at: st.at });
                        say(`${st.step}…`);
                    } else if (st?.kind === "step-end" && steps.has(st.id)) {
                        const s = steps.get(st.id)!;
                        if (st.failed || st.at - s.at >= 5000)
                            say(`${s.what}: ${st.failed ? "failed" : "done"} after ${formatDuration((st.at - s.at) / 1000)}`);
                    }
                    const err = engineError(e);
                    if (err) say(`pulumi: ${err.split("\n").slice(0, 40).join("\n")}`);
                },
            },
        );
        say(`pulumi destroy finished (exit ${code})${code !== 0 ? `; Pulumi's output: ${logFile}` : ""}`);
        return code;
    } finally {
        stopVerbose();
    }
}

/** Clears what killed runs of the stack left (orphaned processes, a stale lock, unfinished operations) and nothing else. */
async function recover(stack: string): Promise<number> {
    const { availableStacks } = await import("./stack-file");
    const { pulumiEnv } = await import("./pulumi-cli");
    knownStack(stack, availableStacks(STACKS_DIR));
    const { actions } = (await pulumiSession(stack, pulumiEnv(REPO_ROOT), await destroyLog(stack))).recover();
    if (actions.length === 0) console.log(`[isobench] stack ${stack}: nothing to recover`);
    return 0;
}

/**
 * `leftovers [<stack>] [--clean]`: one line per thing isobench made that no stack's state owns, on
 * this machine and on every stack's isobench:target (of the stack named, when one is); with
 * --clean each is removed and the line says what was done. Notes on what was not judged (stacks
 * in use) and sources that could not be read go to stderr.
 */
async function leftovers(only: string | undefined, clean: boolean): Promise<number> {
    if (only !== undefined) (await import("./spec")).checkStackName(only);
    const { findLeftovers, removeLeftovers } = await import("./leftovers");
    const { formatLeftovers } = await import("./leftovers-plan");
    const { pulumiEnv } = await import("./pulumi-cli");
    const ctx = { repoRoot: REPO_ROOT, stacksDir: STACKS_DIR, env: pulumiEnv(REPO_ROOT) };
    const of = only !== undefined ? ` of stack ${only}` : "";
    let found = 0;
    let failed = 0;
    let unread = 0;
    for (const m of await leftoverMachines(only)) {
        const where = m.machine ? (m.machine.target.kind === "local" ? "" : ` on ${m.machine.label}`) : ` on ${m.label}`;
        if (!m.machine) {
            console.error(`isobench: cannot tell what is left${where} (the target of ${m.stacks.join(", ")}): ${m.problem}`);
            unread++;
            continue;
        }
        let result: ReturnType<typeof findLeftovers>;
        try {
            result = findLeftovers(ctx, only, m.machine);
        } catch (e) {
            // A stack's state that cannot be read stops everything: nobody can tell what is owned.
            if (m.machine.target.kind === "local") throw e;
            console.error(`isobench: cannot tell what is left${where}: ${(e as Error).message}`);
            unread++;
            continue;
        }
        const { plan, problems } = result;
        for (const n of plan.notes) console.error(`[isobench]${where && `${where}:`} ${n}`);
        for (const p of problems) console.error(`isobench: cannot tell what is left${where}: ${p}`);
        unread += problems.length;
        if (plan.leftovers.length === 0) {
            const unjudged = plan.notes.length > 0 ? " among what was judged (see above)" : "";
            console.log(`[isobench] no leftovers${of}${where}${problems.length ? " among what could be read" : unjudged}`);
            continue;
        }
        found += plan.leftovers.length;
        if (!clean) {
            if (where) console.log(`[isobench]${where}:`);
            for (const line of formatLeftovers(plan.leftovers.map((item) => ({ item })))) console.log(line);
            console.error(
                `[isobench] ${plan.leftovers.length} leftover(s)${of}${where}; isobench leftovers${only !== undefined ? ` ${only}` : ""} --clean removes them`,
            );
            continue;
        }
        const removed = removeLeftovers(plan.leftovers, ctx, m.machine);
        if (where) console.log(`[isobench]${where}:`);
        for (const line of formatLeftovers(removed)) console.log(line);
        const bad = removed.filter((r) => !r.ok);
        failed += bad.length;
        if (bad.length > 0) {
            console.error(
                `isobench: ${bad.length} leftover(s)${where} could not be removed: ${bad.map((r) => `${r.item.kind} ${r.item.name} (${r.done})`).join("; ")}`,
            );
        }
    }
    if (failed > 0 || unread > 0) return 1;
    return found > 0 && !clean ? 3 : 0;
}

/**
 * The machines leftovers looks on: this one, then each distinct isobench:target of the checkout's
 * stacks (of `only`, when named), with the stacks that name it; a target that cannot be reached
 * comes with the reason instead of its transport.
 */
async function leftoverMachines(
    only: string | undefined,
): Promise<Array<{ readonly label: string; readonly stacks: string[]; readonly machine?: Transport; readonly problem?: string }>> {
    const { availableStacks, loadStackSpec } = await import("./stack-file");
    const { targetLabel } = await import("../core/transport");
    const { stackTransport, checkReachable } = await import("./target");
    const { thisMachine } = await import("../environments/transport");
    const machines = new Map<string, { label: string; stacks: string[]; machine?: Transport; problem?: string }>();
    machines.set("local", { label: "local", stacks: [], machine: thisMachine() });
    for (const stack of availableStacks(STACKS_DIR)) {
        if (only !== undefined && stack !== only) continue;
        let spec: ExperimentSpec;
        try {
            spec = loadStackSpec(STACKS_DIR, stack);
        } catch {
            continue; // a stack file that does not read names no target
        }
        if (!spec.target) continue;
        const label = targetLabel(spec.target);
        const known = machines.get(label);
        if (known) {
            known.stacks.push(stack);
            continue;
        }
        try {
            const machine = stackTransport(spec);
            checkReachable(machine, "isobench leftovers");
            machines.set(label, { label, stacks: [stack], machine });
        } catch (e) {
            machines.set(label, { label, stacks: [stack], problem: (e as Error).message });
        }
    }
    return [...machines.values()];
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

async function probe(resultsDir: string, arg: string, shutOff: boolean): Promise<number> {
    const h = (await import("./command-args")).decodeArg("probe", arg);
    const { probed, probeEnvironment, reprobeEnvironment } = await import("../environments/probe");
    // A probe that runs again in the same run (its environment was created again) keeps the earlier facts aside.
    printFacts(
        probed(resultsDir, h.name)
            ? reprobeEnvironment(resultsDir, h, ["the environment was created again by isobench up"], "recreated")
            : probeEnvironment(resultsDir, h),
    );
    if (shutOff) {
        const { guestAccessOf } = await import("../environments/exec-target");
        const { shutOffAfterProbe } = await import("../environments/kvm/guest-schedule");
        const { transportOf } = await import("../environments/transport");
        const { appendProgress } = await import("./progress-log");
        const line = shutOffAfterProbe(transportOf(h), guestAccessOf(h), guestLifecycleScript(REPO_ROOT));
        appendProgress(resultsDir, `probe ${h.name}: schedule grouped: ${line} after its probe, before the next guest is created`);
    }
    return 0;
}

async function probeHost(resultsDir: string, arg: string, stack?: string, machine?: string): Promise<number> {
    // With a stack name (isobench:host.apply), host.csv also says what isobench changed.
    const recorded: Record<string, string> = stack !== undefined ? { host_settings_applied: await appliedSettings(stack) } : {};
    const { decodeArg } = await import("./command-args");
    const { transportTo, thisMachine } = await import("../environments/transport");
    // --machine names a remote target (isobench:target); without it, this machine is measured.
    const host = machine === undefined ? thisMachine() : transportTo(decodeArg("machine", machine));
    printFacts((await import("../environments/host-facts")).probeHost(host, resultsDir, decodeArg("probe-host", arg), recorded));
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

/** `isobench parse <workload> <raw file> [--params k=v,…]`. */
async function parse(workload: string, rawFile: string, params: string | undefined): Promise<number> {
    const { getWorkload, WORKLOAD_NAMES } = await import("../workloads");
    const { parseParamsArg, parseRawToCsv } = await import("./parse-raw");
    if (!WORKLOAD_NAMES.includes(workload))
        throw new UserError(`unknown workload "${workload}"${didYouMean(workload, WORKLOAD_NAMES)}; allowed: ${WORKLOAD_NAMES.join(", ")}`);
    process.stdout.write(parseRawToCsv(getWorkload(workload), rawFile, params === undefined ? undefined : parseParamsArg(params)));
    return 0;
}

/** `isobench import felter2014 <checkout> [--out <dir>]`. */
async function importCommand(study: string, checkout: string, outDir: string | undefined): Promise<number> {
    if (study !== "felter2014") throw new UserError(`import: unknown study "${study}"${didYouMean(study, ["felter2014"])}; importable: felter2014`);
    const { FELTER2014_RUN_ID } = await import("./import-felter2014");
    const { writeFelter2014Import } = await import("./import-run");
    const { resultsRoot } = await import("../core/paths");
    const out = outDir ?? path.join(resultsRoot(REPO_ROOT), FELTER2014_RUN_ID);
    const { cells, imported } = writeFelter2014Import(checkout, out);
    console.log(
        `[isobench] imported ${imported.samples.length} samples in ${cells} cells into ${out}; ${imported.skipped.length} run(s) left out (${path.join(out, "IMPORTED.md")})`,
    );
    console.log(await (await import("../analysis/analyze")).analyzeResultsDir(out, { progress: true }));
    return 0;
}

/** `isobench setup-target <stack>`: the stack's remote target set up like this machine (experiment/setup-target.ts). */
async function setupTargetCommand(stack: string): Promise<number> {
    const { availableStacks, loadStackSpec } = await import("./stack-file");
    const dir = stacksDir(REPO_ROOT);
    knownStack(stack, availableStacks(dir));
    const { checkReachable, stackTransport } = await import("./target");
    const t = stackTransport(loadStackSpec(dir, stack));
    if (t.target.kind === "local") {
        say(
            `stack ${stack} measures this machine (no isobench:target): nothing to set up remotely. bash scripts/setup.sh sets this machine up; isobench doctor checks it`,
        );
        return 0;
    }
    try {
        checkReachable(t, `isobench setup-target ${stack}`);
        const { controllerTree, setupTarget, versionLines } = await import("./setup-target");
        const check = await setupTarget(t, controllerTree(REPO_ROOT), stack, say);
        for (const l of versionLines(check, stack)) say(l);
        return check.mismatches.length > 0 ? 1 : 0;
    } finally {
        t.close();
    }
}

/**
 * `isobench doctor [--target <stack>] [--stability [seconds]]`: the checks of this machine or of the
 * stack's target, the claims it can judge, and with --stability how steady its CPU-to-CPU round trip is.
 */
async function doctorCommand(target: string | undefined, stability: number | true | undefined): Promise<number> {
    const { doctor, formatChecks, stabilityCheck } = await import("./doctor");
    const { claimRows, formatClaimRows } = await import("./doctor-claims");
    const { loadReferences } = await import("../analysis/published");
    let machine = (await import("../environments/transport")).thisMachine();
    if (target !== undefined) {
        const { availableStacks, loadStackSpec } = await import("./stack-file");
        const dir = stacksDir(REPO_ROOT);
        knownStack(target, availableStacks(dir));
        const { checkReachable, stackTransport } = await import("./target");
        machine = stackTransport(loadStackSpec(dir, target));
        if (machine.target.kind === "local") say(`stack ${target} measures this machine (no isobench:target): checking this machine`);
        checkReachable(machine, `isobench doctor --target ${target}`);
    }
    try {
        const { checks, capabilities } = doctor(REPO_ROOT, machine);
        const name = machine.target.kind === "local" ? "this machine" : machine.label;
        if (machine.target.kind !== "local") console.log(`${name} (the Pulumi toolchain is this machine's, not checked there):`);
        console.log(formatChecks(checks));
        console.log(`\n${formatClaimRows(claimRows(loadReferences(), capabilities), name).join("\n")}`);
        let steady = true;
        if (stability !== undefined) {
            const stabilityS = stability === true ? (await import("./spec")).DEFAULT_STABILITY_PROBE_S : stability;
            // A probe during a run would disturb the run and measure it: one measurement at a time.
            const { acquireMeasureLock } = await import("./measure-lock");
            const held = await acquireMeasureLock(`isobench doctor --stability, pid ${process.pid}, since ${new Date().toISOString()}`, say, { on: machine });
            let check;
            try {
                say(`stability: probing ${name} for about ${stabilityS} s (netperf TCP_RR over loopback, alternating two CPUs and one)…`);
                check = stabilityCheck(machine, stabilityS);
            } finally {
                held.release();
            }
            console.log(`\n${formatChecks([check])}`);
            steady = check.ok;
        }
        return checks.every((c) => c.ok) && steady ? 0 : 1;
    } finally {
        if (target !== undefined) machine.close();
    }
}

/** `isobench status [<stack>]`: every stack of the checkout (or the one named) whose file reads. */
async function status(only: string | undefined): Promise<number> {
    const { availableStacks, loadStackSpec } = await import("./stack-file");
    const { pulumiEnv } = await import("./pulumi-cli");
    const { formatStatus, stackStatus } = await import("./run-status");
    const { statusInput } = await import("./status-read");
    const stacks = availableStacks(STACKS_DIR);
    if (only !== undefined) knownStack(only, stacks);
    const env = pulumiEnv(REPO_ROOT);
    let problems = 0;
    for (const stack of only !== undefined ? [only] : stacks) {
        let spec;
        try {
            spec = loadStackSpec(STACKS_DIR, stack);
        } catch (e) {
            if (!(e instanceof UserError)) throw e;
            problems++;
            console.log(`stack ${stack}: its file does not read: ${e.message.split("\n")[0]}`);
            continue;
        }
        console.log(formatStatus(stackStatus(statusInput(spec, REPO_ROOT, env))).join("\n"));
    }
    return problems > 0 && only !== undefined ? 1 : 0;
}

/** `isobench ls`: the stacks of the checkout and their result runs. */
async function ls(): Promise<number> {
    const { availableStacks, loadStackSpec } = await import("./stack-file");
    const { pulumiEnv, projectName } = await import("./pulumi-cli");
    const { stateUrns } = await import("./recovery");
    const { formatListing } = await import("./run-status");
    const { resultRuns, stackTargetLabel } = await import("./status-read");
    const env = pulumiEnv(REPO_ROOT);
    const project = projectName(REPO_ROOT);
    const rows = availableStacks(STACKS_DIR).map((stack) => {
        let runId: string | undefined;
        let target: string | undefined;
        try {
            const spec = loadStackSpec(STACKS_DIR, stack);
            runId = spec.runId;
            target = stackTargetLabel(spec);
        } catch {
            runId = undefined;
        }
        return {
            stack,
            ...(runId !== undefined ? { runId } : {}),
            ...(target !== undefined ? { target } : {}),
            provisioned: stateUrns(env, project, stack).length > 0,
            runs: resultRuns(stack, REPO_ROOT),
        };
    });
    console.log(formatListing(rows).join("\n"));
    return 0;
}

async function runCell(arg: string): Promise<number> {
    const { LOCK_HELD_ENV, runUnderMeasureLock } = await import("./measure-lock");
    const cell = (await import("./command-args")).decodeArg("run-cell", arg);
    // Under a plain `pulumi up` nobody holds the cell's machine for it: take it per cell.
    if (!process.env[LOCK_HELD_ENV])
        return runUnderMeasureLock((l) => process.stderr.write(`[isobench] ${l}\n`), { on: (await import("../environments/transport")).transportOf(cell.env) });
    (await import("./runner")).runCell(cell);
    return 0;
}

/** analyze --require-agreement: the two runs' verdicts did not agree (1 stays "could not analyze"). */
const AGREEMENT_FAILED_EXIT = 3;

async function analyze(inv: Extract<Invocation, { command: "analyze" }>): Promise<number> {
    const { planArg, command: _command, ...opts } = inv;
    const plan = planArg === undefined ? undefined : (await import("./command-args")).decodeArg("analyze-plan", planArg);
    const fromPlan = plan ? { plan: plan.cells, ...(plan.precision && { precision: plan.precision }) } : {};
    const { markdown, agreement } = await (await import("../analysis/analyze")).analyzeRun(opts.dir, { ...opts, ...fromPlan });
    console.log(markdown);
    if (!agreement) return 0;
    console.log((await import("../analysis/agreement")).agreementLine(agreement));
    // Only a caller that asked for the bar gets a failing exit: analyze's own exit says whether it could analyze.
    return opts.agreementBar !== undefined && !agreement.pass ? AGREEMENT_FAILED_EXIT : 0;
}

/** Runs the command the line asked for; resolves with the exit status. */
function run(inv: Invocation): Promise<number> {
    switch (inv.command) {
        case "up":
            return up(inv.stack, inv);
        case "up-many":
            return upMany(inv.stacks, inv);
        case "up-from":
            return (async () => (await import("./rerun")).upFrom(inv, (stack) => up(stack, inv)))();
        case "plan":
            return (async () => (await import("./plan-command")).planCommand(inv))();
        case "destroy":
            return destroy(inv.stack, inv);
        case "recover":
            return recover(inv.stack);
        case "status":
            return status(inv.stack);
        case "ls":
            return ls();
        case "leftovers":
            return leftovers(inv.stack, inv.clean);
        case "analyze":
            return analyze(inv);
        case "setup-target":
            return setupTargetCommand(inv.stack);
        case "doctor":
            return doctorCommand(inv.target, inv.stability);
        case "parse":
            return parse(inv.workload, inv.rawFile, inv.params);
        case "import":
            return importCommand(inv.study, inv.checkout, inv.out);
        // bin/isobench compiles before it starts node; from sources (ISOBENCH_TS=1) nothing is built.
        case "build":
            return Promise.resolve(0);
        case "run-cell":
            return runCell(inv.cell);
        case "probe":
            return probe(inv.resultsDir, inv.env, inv.shutOff === true);
        case "probe-host":
            return probeHost(inv.resultsDir, inv.declared, inv.stack, inv.machine);
        case "host-apply":
            return hostSettings("host-apply", inv.stack, inv.declared);
        case "host-restore":
            return hostSettings("host-restore", inv.stack);
        case "help":
            (inv.exit === 0 ? process.stdout : process.stderr).write(inv.text);
            return Promise.resolve(inv.exit);
    }
}

Promise.resolve(process.argv.slice(2))
    .then((argv) => run(parseCommandLine(argv)))
    .then(
        (code) => process.exit(code),
        (e: unknown) => {
            const known = e instanceof UserError;
            console.error(`isobench: ${known ? (e as Error).message : ((e as Error)?.stack ?? String(e))}`);
            process.exit(e instanceof UsageError ? 2 : 1);
        },
    );
