/**
 * Reads what `isobench status` and `isobench ls` report (experiment/run-status.ts) from the files
 * a run leaves and, for environments the stack's state holds, from docker and libvirt: a handful
 * of cheap reads, no pulumi start.
 */
import * as fs from "fs";
import * as path from "path";
import { guestLifecycleScript, resultsRoot, stateDir } from "../core/paths";
import { withAddedRepetitions } from "./precision-run";
import { resourceName } from "../environments/container-spec";
import { lockOwner, lockProbeArgv, measureLockFile } from "./measure-lock";
import { HostError } from "../core/errors";
import { LOCAL_TARGET, LocalTarget, SshAddress, targetLabel } from "../core/transport";
import { kvmProbeCache, stackTransport } from "./target";
import { earlierRunsPrior, progressPlan } from "./progress-plan";
import { cellHistoryFor } from "./cell-history";
import { readHostShape } from "./host-shape-read";
import { thisMachine, Transport } from "../environments/transport";
import { projectName } from "./pulumi-cli";
import { backendDir, processAlive, readLocks, stateUrns } from "./recovery";
import { runResultsDir } from "./results-preflight";
import { logEvents } from "./run-report";
import { ActiveRun, EnvironmentState, RunListing, StatusInput } from "./run-status";
import { upSessions } from "./run-status";
import type { ExperimentSpec } from "./spec";
import * as os from "os";

/** Cell ids with a CSV, and with an .error file, in a run's cells/ folder. */
export function cellFiles(resultsDir: string): { measured: Set<string>; errors: Set<string> } {
    const dir = path.join(resultsDir, "cells");
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    const ids = (ext: string) => new Set(files.filter((f) => f.endsWith(ext)).map((f) => f.slice(0, -ext.length)));
    return { measured: ids(".csv"), errors: ids(".error") };
}

const readText = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");

/** Whether `pid` is an isobench CLI (a pid reused by another program is not). */
function isIsobench(pid: number): boolean {
    try {
        return processAlive(pid) && /isobench|experiment\/cli/.test(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8"));
    } catch {
        return false;
    }
}

/** The measurement lock of the stack's machine, read through its transport: who holds it, if anyone does now. */
function measureLockHolder(machine: Transport, env: NodeJS.ProcessEnv): { readonly held: boolean; readonly owner: string } {
    const c = machine.attempt(lockProbeArgv(machine.target.kind === "local" ? measureLockFile(env) : undefined), 30);
    if (c.error || (c.status !== 0 && c.status !== 1)) return { held: false, owner: "" };
    return { held: c.status === 1, owner: lockOwner(c.stdout.split("\n")[0].trim(), machine) };
}

/**
 * The run of `stack` alive now, from its up's start line, the backend's stack lock and its
 * machine's measurement lock (undefined `machine`: not readable, so nobody is seen waiting).
 */
export function activeRun(stack: string, progressLog: string, repoRoot: string, env: NodeJS.ProcessEnv, machine?: Transport): ActiveRun | undefined {
    const last = upSessions(logEvents(progressLog)).at(-1);
    const isobenchPid = last && !last.ended && last.pid !== undefined && isIsobench(last.pid) ? last.pid : undefined;
    const dir = backendDir(env);
    const lock = dir ? readLocks(dir, projectName(repoRoot), stack).find((l) => l.hostname === os.hostname() && processAlive(l.pid)) : undefined;
    if (isobenchPid === undefined && !lock) return undefined;
    const measure = isobenchPid !== undefined && !lock && machine ? measureLockHolder(machine, env) : { held: false, owner: "" };
    const waitingFor = measure.held && !measure.owner.startsWith(`stack ${stack},`) ? measure.owner || "owner unknown" : undefined;
    return {
        ...(isobenchPid !== undefined ? { isobenchPid } : {}),
        ...(lock ? { pulumiPid: lock.pid } : {}),
        ...(last && isobenchPid !== undefined ? { since: last.start } : lock ? { since: Date.parse(lock.timestamp) } : {}),
        ...(waitingFor ? { waitingFor } : {}),
    };
}

/** The resources that make an environment, by name (experiment/recreate-plan.ts names the same). */
const LAYERS: Readonly<Record<PlannedKind, readonly string[]>> = {
    native: ["data"],
    docker: ["container"],
    kvm: ["domain"],
    "docker-in-kvm": ["domain", "container"],
};
type PlannedKind = ExperimentSpec["environmentSpecs"][number]["kind"];

/** Each planned environment: whether the state holds it, and what docker (on its machine) or libvirt say of it. */
export function environmentStates(spec: ExperimentSpec, repoRoot: string, env: NodeJS.ProcessEnv, machine?: Transport): EnvironmentState[] {
    const inState = new Set(stateUrns(env, projectName(repoRoot), spec.stack).map((u) => u.slice(u.lastIndexOf("::") + 2)));
    return spec.environmentSpecs.map((e) => {
        const provisioned = LAYERS[e.kind].every((l) => inState.has(`${e.name}-${l}`));
        if (!provisioned || e.kind === "native") return { name: e.name, kind: e.kind, provisioned };
        const name = resourceName(spec.stack, e.name);
        if (!machine) return { name: e.name, kind: e.kind, provisioned };
        const r =
            e.kind === "docker"
                ? machine.attempt(["docker", "inspect", "-f", "{{.State.Status}}", name], 10)
                : machine.attempt([guestLifecycleScript(repoRoot), "state", name], 30);
        const state = r.status === 0 ? r.stdout.trim() : /No such/i.test(r.stderr) ? "absent" : undefined;
        return { name: e.name, kind: e.kind, provisioned, ...(state ? { state } : {}) };
    });
}

/** What the last KVM boot probe of the stack's machine found (experiment/host.ts writes it): tcg when KVM could not boot a guest. */
function probedAccel(repoRoot: string, machine: LocalTarget | SshAddress): string | undefined {
    try {
        const p = JSON.parse(fs.readFileSync(kvmProbeCache(machine, stateDir(repoRoot)), "utf8")) as { usable?: unknown };
        return typeof p.usable === "boolean" ? (p.usable ? "kvm" : "tcg") : undefined;
    } catch {
        return undefined;
    }
}

/** `local`, or the `ssh://user@host:port` a stack's isobench:target names. */
export function stackTargetLabel(spec: Pick<ExperimentSpec, "target">): string {
    return spec.target ? targetLabel(spec.target) : "local";
}

/** The transport to the stack's machine, or undefined when it cannot be used (no key file, no pinned host key): status then says less. */
function readableMachine(spec: Pick<ExperimentSpec, "target">): Transport | undefined {
    try {
        return stackTransport(spec);
    } catch (e) {
        if (e instanceof HostError) return undefined;
        throw e;
    }
}

/** Everything `isobench status` needs of one stack. */
export function statusInput(stackSpec: ExperimentSpec, repoRoot: string, env: NodeJS.ProcessEnv, now = Date.now()): StatusInput {
    const spec = withAddedRepetitions(stackSpec, { resultsRoot: resultsRoot(repoRoot) });
    const resultsDir = runResultsDir(spec, { resultsRoot: resultsRoot(repoRoot) });
    const progressLog = readText(path.join(resultsDir, "progress.log"));
    const machine = readableMachine(spec);
    const active = activeRun(spec.stack, progressLog, repoRoot, env, machine);
    const hostAccel = probedAccel(repoRoot, spec.target ?? LOCAL_TARGET);
    return {
        stack: spec.stack,
        runId: spec.runId,
        resultsDir,
        target: stackTargetLabel(spec),
        plan: progressPlan(spec),
        prior: earlierRunsPrior(
            spec,
            readHostShape(machine ?? thisMachine()).cpus,
            hostAccel,
            cellHistoryFor(resultsRoot(repoRoot), repoRoot, new Set(spec.workloads.map((w) => w.name))),
        ),
        ...cellFiles(resultsDir),
        progressLog,
        ...(active ? { active } : {}),
        environments: environmentStates(spec, repoRoot, env, machine),
        ...(hostAccel ? { hostAccel } : {}),
        now,
    };
}

/** The result runs of a stack under the results root: cell counts and when their files were written. */
export function resultRuns(stack: string, repoRoot: string): RunListing[] {
    const dir = path.join(resultsRoot(repoRoot), stack);
    if (!fs.existsSync(dir)) return [];
    return fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => {
            const run = path.join(dir, d.name);
            const { measured, errors } = cellFiles(run);
            const times = [...measured].map((c) => fs.statSync(path.join(run, "cells", `${c}.csv`)).mtimeMs);
            const events = logEvents(readText(path.join(run, "progress.log")));
            if (events.length) times.push(events[0].at, events.at(-1)!.at);
            const failed = [...errors].filter((c) => !measured.has(c)).length;
            return {
                runId: d.name,
                cells: measured.size,
                failed,
                ...(times.length ? { first: Math.min(...times), last: Math.max(...times) } : {}),
            };
        })
        .sort((a, b) => (a.first ?? 0) - (b.first ?? 0));
}
