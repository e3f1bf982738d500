/**
 * Runs one cell: one workload, one repetition, on one environment. Called by the cell's command
 * resource through `isobench run-cell`. Raw output is kept beside the CSV; a cell whose CSV
 * already exists is never measured again, so nothing measured is ever overwritten.
 */
import { progress } from "./progress-log";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { getWorkload, AnyWorkload } from "../workloads";
import { BoundWorkload, RunContext, bindWorkload, workloadPorts } from "../workloads/workload";
import type { ServerAddress } from "../core/endpoints";
import { serverAddresses } from "../environments/endpoints";
import { cellSamples } from "./cell-samples";
import { CellFailure, ParseError, StaleResultsError } from "../core/errors";
import { cellCsvPath, cellErrorPath, csvFingerprint, supersede, writeCellError } from "./results-state";
import { staleCellsMessage } from "./fingerprint";
import {
    bindShimIn,
    execArgv,
    detachedScript,
    inGuest,
    listenAddress,
    runningCondition,
    runtimeDir,
    stopScript,
    stopStaleServersScript,
} from "../environments/exec-target";
import { EnvironmentHandle } from "../core/environment-handle";
import { Sample, samplesToCsv } from "../core/samples";
import { RAW_STDERR_SEPARATOR } from "./parse-raw";
import { guestIp } from "../environments/kvm/guest-ip";
import { reviveEnvironment } from "../environments/revive";
import { reprobeEnvironment } from "../environments/probe";
import type { Completed, RunOptions } from "../environments/process";
import { Transport, transportOf } from "../environments/transport";
import type { MachineIdentity } from "../core/transport";
import { shellQuote as q } from "../core/shell";
import { GUEST_KNOCK_PORT, WATCHDOG_MARK, WATCHDOG_STATUS, WatchdogOptions, watchedArgv } from "../environments/guest-watchdog";
import { CloneSource, clonesOf, originalExec, readCloneSource, removeLeftoverClones } from "../environments/clone";
import { describeQuiet, quietGuests } from "../environments/kvm/quiet-guests";
import { describeGrouped, scheduleGrouped, shutByPlan } from "../environments/kvm/guest-schedule";
import { effectiveWorkload, instanceSweep } from "../workloads/instances";
import { guestLifecycleScript, REPO_ROOT } from "../core/paths";
import { writeFileAtomic } from "../core/files";
import { CpuTicks, cpuTicks, stealPercent } from "../core/proc-stat";
import type { OnCellFailure } from "./spec";
import type { CellLimit } from "./cell-limit";

const LIFECYCLE_SCRIPT = guestLifecycleScript(REPO_ROOT);

export interface CellInvocation {
    readonly stack: string;
    readonly runId: string;
    readonly resultsDir: string;
    readonly cellId: string;
    readonly workload: string;
    readonly params: Readonly<Record<string, number | string>>;
    readonly repetition: number;
    readonly env: EnvironmentHandle;
    /**
     * libvirt domains of every guest of the stack (the program lists them): those the cell does not
     * run in are paused while it runs. Omitted (a test's lone cell): only its own guest is resumed.
     */
    readonly guests?: readonly string[];
    /**
     * isobench:schedule: grouped (omitted: interleaved). The stack's other guests are shut off
     * rather than paused before the cell, and the cell's own guest is booted when `groupStart`
     * (the cell begins its environment's group of the repetition, experiment/plan.ts groupStarts).
     */
    readonly schedule?: "grouped";
    readonly groupStart?: boolean;
    /** Under grouped: the SSH key of the stack's guests (they share the host's), to tell a guest to power off. */
    readonly guestSshKey?: string;
    /** What defines this measurement (experiment/fingerprint.ts); written into every row, checked against a CSV already there. */
    readonly fingerprint: string;
    /** isobench:onCellFailure: whether a failed cell ends the run ("stop") or only itself ("continue"). */
    readonly onFailure: OnCellFailure;
    /** The cell's wall-clock limit (experiment/cell-limit.ts); the runner ends the cell when it expires. */
    readonly limit: CellLimit;
    /** The guest watchdog's timing (guest-watchdog.ts); its defaults unless set (tests shorten it to seconds). */
    readonly watchdog?: WatchdogOptions;
}

/**
 * Environment variable through which the stack's command resources pass the stack's password (a
 * Pulumi secret) to `isobench run-cell`: environment variables are readable only by the process's
 * own user, command lines by everyone.
 */
export const STACK_PASSWORD_ENV = "ISOBENCH_STACK_PASSWORD";

function stackPassword(workload: string): string {
    const pw = process.env[STACK_PASSWORD_ENV] ?? "";
    if (!/^[A-Za-z0-9]{16,}$/.test(pw)) {
        throw new Error(
            `${workload} needs the stack's password in ${STACK_PASSWORD_ENV} (16 or more letters and digits), which the Pulumi program passes to its cells${pw ? " (the value given does not have that form)" : ""}. Fix: run the cell through isobench up, or set ${STACK_PASSWORD_ENV} when calling run-cell by hand`,
        );
    }
    return pw;
}

/** What the measured run produced, for the samples and the CSV. */
interface ClientRun {
    readonly client: Completed;
    readonly durationS: number;
    /** The (first) server address the client used. */
    readonly addr?: ServerAddress;
}

/** The per-cell files and commands every step of a cell shares. */
interface CellPlace {
    /** The machine the environment lives on: every command of the cell goes through it. */
    readonly host: Transport;
    readonly env: EnvironmentHandle;
    /** argv that runs a script inside the environment */
    readonly inside: (script: string) => string[];
    readonly ip?: string;
    readonly runDir: string;
    readonly pidFile: string;
    readonly serverLog: string;
    readonly rawDir: string;
    readonly cellId: string;
    readonly limit: CellLimit;
    /** When the cell's wall-clock limit runs out (ms since the epoch). */
    readonly deadline: number;
    readonly watchdog?: WatchdogOptions;
}

/** A server started in the environment: where its ports are reached, and how it is stopped. */
interface RunningServer {
    readonly addr: ServerAddress;
    readonly addrs: Readonly<Record<string, ServerAddress>>;
    /** Stops the server and keeps its log beside the raw output. */
    readonly stop: () => void;
}

function waitReady(host: Transport, command: string, timeoutS: number, what: string, opts: RunOptions): void {
    const deadline = Date.now() + timeoutS * 1000;
    let last: Completed | undefined;
    while (Date.now() < deadline) {
        last = host.run(["/bin/sh", "-c", command], 10, opts);
        if (last.status === 0) return;
        host.run(["sleep", "0.2"], 5);
    }
    throw new Error(`${what} not ready after ${timeoutS} s: ${(last?.stderr || last?.stdout || "").trim()}`);
}

/**
 * Starts the workload's server detached in the environment, finds its host-side addresses and
 * waits until it answers. On any failure the server is stopped before the error propagates.
 */
function startServer(workload: BoundWorkload, ctx: RunContext, place: CellPlace, hostOpts: RunOptions): RunningServer {
    const { host, env, inside, pidFile, serverLog } = place;
    const ports = workloadPorts(workload);
    const stop = () => {
        host.run(inside(stopScript(pidFile)), 60);
        // The server's log is evidence of the run: kept beside the raw output rather than left
        // in the environment's /tmp, which for native is the host's and outlives destroy.
        const log = host.run(inside(`cat ${q(serverLog)} 2>/dev/null; rm -f ${q(serverLog)}`), 60).stdout;
        if (log) fs.writeFileSync(path.join(place.rawDir, `${place.cellId}.server.log`), log);
    };
    try {
        host.mustRun(inside(detachedScript(workload.serverCommand!(ctx), pidFile, serverLog)), 60, `starting ${workload.name} server in ${env.name}`);
        const addrs = serverAddresses(env, ports, place.ip);
        const addr = addrs[ports[0].name];
        const serverLogTail = () => {
            const log = host.run(inside(`tail -n 20 ${q(serverLog)}`), 30).stdout.trim();
            return log ? `\nlast lines of the server log ${serverLog} in ${env.name}:\n${log}` : "";
        };
        if (workload.readinessCommand) {
            const timeoutS = workload.readinessTimeoutS ?? 60;
            try {
                waitReady(
                    host,
                    workload.readinessCommand(addr, { ...ctx, addr, addrs }),
                    timeoutS,
                    `${workload.name} server in ${env.name} at ${addr.host}:${addr.port}`,
                    hostOpts,
                );
            } catch (e) {
                throw new Error(`${(e as Error).message}${serverLogTail()}`, { cause: e });
            }
        }
        // A server that exited (port taken by another one) may leave a stranger answering the
        // readiness check; measuring that one would be wrong.
        if (host.run(inside(`p=$(cat ${q(pidFile)}) && ${runningCondition("p")}`), 30).status !== 0) {
            throw new Error(`${workload.name} server in ${env.name} exited right after it started${serverLogTail()}`);
        }
        return { addr, addrs, stop };
    } catch (e) {
        stop();
        throw e;
    }
}

/** Pauses the stack's other guests and resumes the cell's own. */
function quietOthers(inv: CellInvocation): void {
    const target = inv.env.target;
    const quiet = describeQuiet(quietGuests(transportOf(inv.env), inv.guests ?? [], inGuest(target) ? target.domain : undefined));
    if (quiet) progress(inv.resultsDir, `cell ${inv.cellId}: other guests of stack ${inv.stack}: ${quiet}`);
}

/**
 * The grouped schedule before a cell: the stack's other guests shut off, the cell's own booted
 * when it begins its group. Returns what the planned boot was, for the cell's record.
 */
function scheduleCell(inv: CellInvocation): string | undefined {
    const target = inv.env.target;
    const log = path.join(inv.resultsDir, "progress.log");
    // A cell retried in the middle of its group finds its guest off by the plan too (the later groups shut it off).
    const byPlan = inGuest(target) && fs.existsSync(log) && shutByPlan(fs.readFileSync(log, "utf8"), target.domain);
    const r = scheduleGrouped(
        transportOf(inv.env),
        inv.guests ?? [],
        inGuest(target) ? target : undefined,
        (inv.groupStart ?? false) || byPlan,
        LIFECYCLE_SCRIPT,
        inv.guestSshKey,
    );
    const line = describeGrouped(r);
    if (line) progress(inv.resultsDir, `cell ${inv.cellId}: schedule grouped: ${line}`);
    return (
        r.booted &&
        `schedule grouped: guest ${r.booted.domain} ${r.booted.resumed ? "resumed" : "booted"} for this group before the cell (planned, ${r.booted.seconds.toFixed(1)} s)`
    );
}

/** Finds the guest's address when the cell runs in one. */
function reachEnvironment(inv: CellInvocation): { readonly ip?: string; readonly inside: (script: string) => string[] } {
    const target = inv.env.target;
    const ip = inGuest(target) ? guestIp(transportOf(inv.env), target.domain) : undefined;
    return { ...(ip !== undefined && { ip }), inside: (script: string) => execArgv(target, script, ip) };
}

/**
 * The measured part of a cell: the password file, the server, the client. The runtime files and
 * any clone a killed script left are removed whatever happens.
 */
function measure(
    workload: BoundWorkload,
    place: CellPlace,
    password: string | undefined,
    cloneSource: CloneSource | undefined,
    sweep: readonly number[] | undefined,
): ClientRun {
    const { host, env, inside, ip, runDir } = place;
    const passwordFile = password ? `${runDir}/${place.cellId}.password` : undefined;
    // Host-side commands get the password in their environment, never in their argv.
    const hostOpts: RunOptions = password && workload.password ? { env: { [workload.password.clientEnv]: password } } : {};
    try {
        if (passwordFile) {
            host.mustRun(execArgv(env.target, `umask 077 && cat > ${q(passwordFile)}`, ip, { stdin: true }), 60, `writing the password file in ${env.name}`, {
                input: password,
            });
        }
        const bindShim = bindShimIn(env.target, REPO_ROOT);
        // The shim's path is this checkout's: a remote target has it only where setup built it there
        // too. Only a server preloads it: a client-only workload runs without.
        if (
            bindShim &&
            workload.serverCommand &&
            env.target.kind === "native" &&
            host.target.kind !== "local" &&
            host.attempt(["test", "-r", bindShim], 30).status !== 0
        ) {
            throw new Error(
                `the bind shim ${bindShim} is not on ${host.label}; native servers without a bind option preload it. Fix: build it there at the same path (images/build-bind-addr.sh in a checkout at ${REPO_ROOT})`,
            );
        }
        const ctx: RunContext = {
            dataDir: env.dataDir,
            listen: listenAddress(env.target, ip),
            ...(bindShim ? { bindShim } : {}),
            ...(passwordFile ? { passwordFile } : {}),
        };
        const server = workload.serverCommand && workloadPorts(workload).length > 0 ? startServer(workload, ctx, place, hostOpts) : undefined;
        try {
            return runClient(
                workload,
                {
                    ...ctx,
                    ...(server ? { addr: server.addr, addrs: server.addrs } : {}),
                    env,
                    ...(cloneSource ? { clones: clonesOf(cloneSource), originalExec: (script: string) => originalExec(env.target, script, ip) } : {}),
                },
                place,
                hostOpts,
            );
        } finally {
            server?.stop();
        }
    } finally {
        // The stack's folder goes once its last cell's files are gone: nothing is left on the host.
        host.run(inside(`rm -f ${passwordFile ? q(passwordFile) : ""} ${q(place.pidFile)}; rmdir ${q(runDir)} 2>/dev/null; true`), 60);
        // The run's script removes its clones itself (EXIT trap); this catches a killed script.
        if (cloneSource) removeLeftoverClones(host, cloneSource, env.target, Math.max(0, ...(sweep ?? [1])));
    }
}

/**
 * Runs the cell unless its CSV is there already with the same fingerprint; refuses a CSV measured
 * under another definition. A failure is recorded in cells/<cell>.error and progress.log; with
 * onFailure "continue" it ends only this cell (the return value is then the error record's path),
 * with "stop" it is thrown. An earlier failed attempt moves into superseded/ before the retry.
 * @param registered the workload to run; defaults to the registry's (tests pass their own).
 */
export function runCell(inv: CellInvocation, registered: AnyWorkload = getWorkload(inv.workload)): string {
    const cellsDir = path.join(inv.resultsDir, "cells");
    fs.mkdirSync(cellsDir, { recursive: true });
    fs.mkdirSync(path.join(inv.resultsDir, "raw"), { recursive: true });
    const csvPath = cellCsvPath(inv.resultsDir, inv.cellId);
    if (fs.existsSync(csvPath)) {
        const measuredAs = csvFingerprint(csvPath);
        if (measuredAs !== inv.fingerprint) {
            throw new StaleResultsError(staleCellsMessage(inv.stack, inv.runId, [{ cellId: inv.cellId, measured: measuredAs, planned: inv.fingerprint }]));
        }
        progress(inv.resultsDir, `cell ${inv.cellId}: already measured, keeping ${csvPath}`);
        return csvPath;
    }
    const before = fs.existsSync(cellErrorPath(inv.resultsDir, inv.cellId))
        ? supersede(inv.resultsDir, inv.cellId, `failed attempt set aside before cell ${inv.cellId} was run again`)
        : undefined;
    if (before) progress(inv.resultsDir, `cell ${inv.cellId}: retrying; the failed attempt is kept in ${before}`);
    try {
        return measureCell(inv, registered, csvPath);
    } catch (e) {
        const f = e instanceof CellFailure ? e : undefined;
        const message = e instanceof Error ? e.message : String(e);
        const file = writeCellError(inv.resultsDir, {
            cell: inv.cellId,
            failedAt: new Date().toISOString(),
            message,
            ...(f?.exitStatus !== undefined ? { exitStatus: f.exitStatus } : {}),
            ...(f?.raw !== undefined ? { raw: path.relative(inv.resultsDir, f.raw) } : {}),
            fingerprint: inv.fingerprint,
        });
        const then = inv.onFailure === "continue" ? "the run goes on (isobench:onCellFailure: continue)" : "the run stops (isobench:onCellFailure: stop)";
        progress(inv.resultsDir, `cell ${inv.cellId}: FAILED: ${message.split("\n")[0]}; recorded in ${file}; ${then}; the next up retries it`);
        if (inv.onFailure === "continue") {
            process.stderr.write(`isobench: cell ${inv.cellId} failed (recorded in ${file}): ${message}\n`);
            return file;
        }
        throw e;
    }
}

function measureCell(inv: CellInvocation, registered: AnyWorkload, csvPath: string): string {
    const cellStart = Date.now();
    const rawDir = path.join(inv.resultsDir, "raw");
    const params = { ...registered.defaults, ...inv.params };
    const env = inv.env;
    const host = transportOf(env);
    // The cell's own guest is paused (interleaved) or shut off (grouped, at its group's start)
    // whenever the stack's previous cell ran elsewhere: resumed or booted before the revival looks,
    // it is not taken for a stopped one (a reprobe and a false `revived` fact).
    let planned: string | undefined;
    if (inv.schedule === "grouped") planned = scheduleCell(inv);
    else quietOthers(inv);
    // A dockerd restart, a reboot or a hand stops environments between cells: bring them back first.
    const revived = reviveEnvironment(env, LIFECYCLE_SCRIPT, (domain) => guestIp(host, domain));
    if (planned && revived.length > 0) {
        // The container inside a guest booted by plan has no restart policy: starting it is part of the boot.
        planned += `; ${revived.join("; ")}`;
        progress(inv.resultsDir, `cell ${inv.cellId}: schedule grouped: ${revived.join("; ")} after the planned boot`);
    } else if (revived.length > 0) {
        progress(inv.resultsDir, `cell ${inv.cellId}: environment ${env.name} had stopped: ${revived.join("; ")}; probing it again`);
        reprobeEnvironment(inv.resultsDir, env, revived);
    }
    const { ip, inside } = reachEnvironment(inv);
    // An `instances` sweep of a self-contained workload runs it in simultaneous clones (workloads/instances.ts).
    const sweep = instanceSweep(registered.name, params);
    const effective = effectiveWorkload(registered, params);
    const inClones = effective !== registered;
    const workload = bindWorkload(effective, params);
    const cloneSource: CloneSource | undefined = workload.needsClones || inClones ? readCloneSource(host, env, LIFECYCLE_SCRIPT) : undefined;
    // performance.now() counts from this process's start: the share of the gap between cells that
    // is isobench's own (CLI start, quieting guests, finding the guest's address), not Pulumi's.
    progress(
        inv.resultsDir,
        `cell ${inv.cellId}: start (${workload.name} on ${env.name}, accel=${env.accel}, launched ${(performance.now() / 1000).toFixed(3)} s before)`,
    );

    // What can fail without leaving anything behind comes before the runtime folder is made.
    const password = workload.password ? stackPassword(workload.name) : undefined;
    const versionArgv = workload.versionPlacement === "host" ? ["/bin/sh", "-c", workload.versionCommand] : inside(workload.versionCommand);
    const versionOut = host.mustRun(versionArgv, 60, `${workload.name} version ${workload.versionPlacement === "host" ? "on the host" : `in ${env.name}`}`);
    const toolVersion = workload.parseVersion(versionOut);
    const runDir = runtimeDir(inv.stack);
    // Cells of a stack run one at a time, so a server PID file already there is a killed run's.
    const stale = host
        .mustRun(
            inside(`mkdir -p ${q(env.dataDir)} ${q(runDir)} && chmod 0700 ${q(runDir)} && ${stopStaleServersScript(runDir)}`),
            60,
            `creating the data directory ${env.dataDir} and the runtime folder ${runDir} in ${env.name}`,
        )
        .trim();
    if (stale) progress(inv.resultsDir, `cell ${inv.cellId}: ${stale.split("\n").join("; ")}`);
    const place: CellPlace = {
        host,
        env,
        inside,
        ip,
        runDir,
        pidFile: `${runDir}/${inv.cellId}.pid`,
        serverLog: `${runDir}/${inv.cellId}.server.log`,
        rawDir,
        cellId: inv.cellId,
        limit: inv.limit,
        deadline: cellStart + inv.limit.limitS * 1000,
        ...(inv.watchdog && { watchdog: inv.watchdog }),
    };
    const ticksBefore = hostCpuTicks(host);
    const startedAt = new Date();
    const measured = measure(workload, place, password, cloneSource, sweep);
    const steal = describeSteal(ticksBefore, hostCpuTicks(host));
    const samples = parseCell(inv, workload, params, inClones, measured, rawDir, toolVersion, startedAt, host.identity(), planned);
    writeFileAtomic(csvPath, samplesToCsv(samples));
    progress(inv.resultsDir, `cell ${inv.cellId}: done in ${measured.durationS.toFixed(1)} s, ${samples.length} samples, ${steal}`);
    return csvPath;
}

/**
 * The machine under test's CPU ticks (on a remote target, the target's); undefined when /proc/stat
 * cannot be read. Never throws: the read after a cell comes after its measurement, which a lost
 * SSH connection at that moment must not cost (the next cell's own steps find the connection lost).
 */
export function hostCpuTicks(host: Pick<Transport, "readFiles">): CpuTicks | undefined {
    try {
        const text = host.readFiles(["/proc/stat"]).get("/proc/stat");
        return text === undefined ? undefined : cpuTicks(text);
    } catch {
        return undefined;
    }
}

/**
 * The cell's share of host CPU time stolen by the hypervisor below the host, for progress.log:
 * a run that looked quiet and was noisy shows it here (run-report.ts sums it up per run).
 */
function describeSteal(before: CpuTicks | undefined, after: CpuTicks | undefined): string {
    const p = before && after ? stealPercent(before, after) : undefined;
    return p === undefined ? "host CPU steal unknown (/proc/stat unreadable or without a steal count)" : `host CPU steal ${p.toFixed(2)} %`;
}

/** Grace after the limit's TERM before `timeout` sends KILL, and for the host side to see it. */
const KILL_AFTER_S = 10;

/**
 * Runs `cmd` where `argvOf` puts it, ended when the cell's limit runs out: `timeout` runs in the
 * same place as the command (inside the container or guest for an inside step), so expiry ends the
 * command's whole process group there, not only the `docker exec` or `ssh` that carries it; the
 * host-side bound behind it catches a carrier that hangs itself.
 * @throws CellFailure naming the cell, the limit and where it came from, with the output so far kept
 */
function withinLimit(
    place: CellPlace,
    step: string,
    cmd: string,
    argvOf: (script: string) => string[],
    opts: RunOptions,
    watch?: { readonly ip: string; readonly domain: string; readonly options?: WatchdogOptions },
): Completed {
    const remainingS = Math.max(1, Math.ceil((place.deadline - Date.now()) / 1000));
    const t0 = Date.now();
    const carrier = argvOf(`timeout -k ${KILL_AFTER_S} ${remainingS} /bin/sh -c ${q(cmd)}`);
    const argv = watch ? watchedArgv(carrier, watch.ip, GUEST_KNOCK_PORT, watch.options) : carrier;
    const c = place.host.attempt(argv, remainingS + KILL_AFTER_S + 20, opts);
    const keep = () => {
        const rawPath = path.join(place.rawDir, `${place.cellId}.txt`);
        fs.writeFileSync(rawPath, c.stdout + (c.stderr ? `${RAW_STDERR_SEPARATOR}${c.stderr}` : ""));
        return rawPath;
    };
    const fired = c.status === WATCHDOG_STATUS ? c.stderr.split("\n").find((l) => l.startsWith(WATCHDOG_MARK)) : undefined;
    if (watch && fired) {
        const rawPath = keep();
        throw new CellFailure(
            `cell ${place.cellId}: guest ${place.env.name} stopped answering while ${step} ran (${fired.slice(WATCHDOG_MARK.length).trim()}); ended after ${((Date.now() - t0) / 1000).toFixed(0)} s instead of at the cell's limit of ${place.limit.limitS} s; output so far in ${rawPath}. Fix: look at the guest's serial console file (virsh dumpxml ${watch.domain} names it) and its QEMU log (/var/log/libvirt/qemu/${watch.domain}.log); the next isobench up retries the cell`,
            c.status,
            rawPath,
        );
    }
    const ranOut = Date.now() >= place.deadline - 500 && (c.status === 124 || c.status === 137 || c.status === -1);
    if (!ranOut) {
        if (c.error) throw new Error(`${argv[0]}: ${c.error}`);
        return c;
    }
    const rawPath = keep();
    throw new CellFailure(
        `cell ${place.cellId}: ${step} still running when the cell's wall-clock limit of ${place.limit.limitS} s (${place.limit.source}) ran out after ${((Date.now() - t0) / 1000).toFixed(0)} s of it; its processes in ${place.env.name} were ended; output so far in ${rawPath}. Fix: find why it hangs, or raise the limit`,
        c.status,
        rawPath,
    );
}

/** Runs the workload's prepare step and its measured client, on the host or inside the environment, within the cell's limit. */
function runClient(workload: BoundWorkload, ctx: RunContext, place: CellPlace, hostOpts: RunOptions): ClientRun {
    const onClientSide = (cmd: string) => (workload.clientPlacement === "inside" ? place.inside(cmd) : ["/bin/sh", "-c", cmd]);
    const clientOpts = workload.clientPlacement === "inside" ? {} : hostOpts;
    // A client inside a guest rides an SSH session whose keepalives end it within a minute of the
    // guest going silent (exec-target.ts sshArgv); a client on the host talking to the guest's server
    // has no such bound (redis-benchmark waits forever): the watchdog gives it one (guest-watchdog.ts).
    // A host-side step without a server in the guest (idle's sleep, lifecycle's virsh) waits on nothing there.
    const watch =
        workload.clientPlacement === "host" && workload.serverCommand !== undefined && inGuest(place.env.target) && place.ip !== undefined
            ? { ip: place.ip, domain: place.env.target.domain, ...(place.watchdog && { options: place.watchdog }) }
            : undefined;
    if (workload.prepareCommand) {
        const what = `${workload.name} prepare step for ${place.env.name}`;
        const r = withinLimit(place, what, workload.prepareCommand(ctx), onClientSide, clientOpts, watch);
        if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(-2000)}`);
    }
    const clientCmd = workload.clientCommand(ctx);
    const t0 = Date.now();
    const client = withinLimit(place, `${workload.name}'s measured run`, clientCmd, onClientSide, clientOpts, watch);
    return { client, durationS: (Date.now() - t0) / 1000, ...(ctx.addr ? { addr: ctx.addr } : {}) };
}

/** Keeps the raw output, refuses a failed or unparsable run, and turns the measurements into samples. */
function parseCell(
    inv: CellInvocation,
    workload: BoundWorkload,
    params: Readonly<Record<string, number | string>>,
    inClones: boolean,
    measured: ClientRun,
    rawDir: string,
    toolVersion: string,
    startedAt: Date,
    machine: MachineIdentity,
    plannedBoot: string | undefined,
): Sample[] {
    const { client } = measured;
    const rawPath = path.join(rawDir, `${inv.cellId}.txt`);
    fs.writeFileSync(rawPath, client.stdout + (client.stderr ? `${RAW_STDERR_SEPARATOR}${client.stderr}` : ""));
    if (client.status !== 0) {
        throw new CellFailure(
            `cell ${inv.cellId}: ${workload.name} exited with ${client.status}; raw output kept in ${rawPath}`,
            client.status ?? undefined,
            rawPath,
        );
    }
    let measurements;
    try {
        measurements = workload.parse(client.stdout);
    } catch (e) {
        if (e instanceof ParseError)
            throw new CellFailure(`cell ${inv.cellId}: ${e.message}; raw output in ${rawPath}`, client.status ?? undefined, rawPath, { cause: e });
        throw e;
    }
    return cellSamples({
        inv,
        workload: { name: workload.name, tool: workload.tool, notes: workload.notes() },
        params,
        measurements,
        toolVersion,
        startedAt,
        durationS: measured.durationS,
        machine,
        controller: os.hostname(),
        ...(measured.addr ? { addr: measured.addr } : {}),
        clonesOf: inClones ? inv.env.name : undefined,
        ...(plannedBoot && { plannedBoot }),
    });
}
