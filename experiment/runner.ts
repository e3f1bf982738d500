/**
 * Runs one cell: one workload, one repetition, on one environment. Called by the cell's command
 * resource through `isobench run-cell`. Raw output is kept beside the CSV; a cell whose CSV
 * already exists is never measured again, so nothing measured is ever overwritten.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { getWorkload, AnyWorkload } from "../workloads";
import { RunContext, ServerAddress, ServerPort, workloadPorts } from "../workloads/workload";
import { ParseError } from "../core/errors";
import { bindShimIn, execArgv, detachedScript, guestArgv, inGuest, listenAddress, runtimeDir, stopScript } from "../environments/exec-target";
import { EnvironmentHandle } from "../core/environment-handle";
import { Sample, samplesToCsv } from "../core/samples";
import { RAW_STDERR_SEPARATOR } from "./parse-raw";
import { guestIp } from "../environments/kvm/guest-ip";
import { Completed, RunOptions, mustRun, run } from "../environments/process";
import { shellQuote as q } from "../core/shell";
import { CloneSource, clonesOf, originalExec, readCloneSource, removeLeftoverClones } from "../environments/clone";
import { describeQuiet, quietGuests } from "../environments/kvm/quiet-guests";
import { effectiveWorkload, instanceSweep } from "../workloads/instances";
import { REPO_ROOT } from "../core/paths";
import { writeFileAtomic } from "../core/files";

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

export function progress(resultsDir: string, line: string): void {
    const stamped = `${new Date().toISOString()} ${line}`;
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.appendFileSync(path.join(resultsDir, "progress.log"), stamped + "\n");
    process.stderr.write(stamped + "\n");
}

/**
 * Host-side address of a server listening on `port` inside the environment.
 * @param sameNumber the protocol announces the port number, so NAT must publish it unchanged
 */
export function serverAddress(env: EnvironmentHandle, port: number, ip?: string, protocol: "tcp" | "udp" = "tcp", sameNumber = false): ServerAddress {
    const t = env.target;
    switch (t.kind) {
        case "native":
            return { host: "127.0.0.1", port };
        case "docker": {
            if (t.network === "host") return { host: "127.0.0.1", port };
            const out = mustRun(["docker", "port", t.container, `${port}/${protocol}`], 30, `docker port ${t.container}`);
            const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/m.exec(out.trim());
            if (!m)
                throw new Error(
                    `container ${t.container} publishes no IPv4 port for ${port}/${protocol} (docker port said "${out.trim()}"); recreate the environment so that it publishes every port of the selected workloads`,
                );
            if (sameNumber && Number(m[2]) !== port) {
                throw new Error(
                    `container ${t.container} publishes ${port}/${protocol} at host port ${m[2]}, but the protocol announces the port number to its peer and needs the same number on both sides; recreate the environment`,
                );
            }
            return { host: m[1], port: Number(m[2]) };
        }
        case "kvm":
            if (!ip) throw new Error(`guest ${t.domain}: IP unknown`);
            return { host: ip, port };
        case "docker-in-kvm": {
            if (!ip) throw new Error(`guest ${t.domain}: IP unknown`);
            if (t.network === "host") return { host: ip, port };
            // Published on the guest's addresses: reached at the guest IP, DNATed inside the guest.
            const out = mustRun(guestArgv(t, ["docker", "port", t.container, `${port}/${protocol}`], ip), 30, `docker port ${t.container} in ${t.domain}`);
            const m = /^0\.0\.0\.0:(\d+)$/m.exec(out.trim());
            if (!m)
                throw new Error(
                    `container ${t.container} in guest ${t.domain} publishes no IPv4 port for ${port}/${protocol} (docker port said "${out.trim()}")`,
                );
            if (sameNumber && Number(m[1]) !== port) {
                throw new Error(
                    `container ${t.container} in guest ${t.domain} publishes ${port}/${protocol} at port ${m[1]}, but the protocol needs the same number on both sides`,
                );
            }
            return { host: ip, port: Number(m[1]) };
        }
    }
}

export function hostFacts(): { host: string; kernel: string; cpu_model: string } {
    const cpus = os.cpus();
    return { host: os.hostname(), kernel: os.release(), cpu_model: cpus.length ? cpus[0].model.trim() : "unknown" };
}

/** Whether a server in this environment listens in the host's own network namespace. */
function sharesHostNetwork(t: EnvironmentHandle["target"]): boolean {
    return t.kind === "native" || (t.kind === "docker" && t.network === "host");
}

/** A port nothing listens on at the moment, from the kernel's ephemeral range. */
// The probe binds the wildcard address, as the servers do: a port free on 127.0.0.1 alone may be
// one Docker publishes on a container's own loopback address (its random ports come from the same
// ephemeral range), and a wildcard listener could not bind it.
function freeHostPort(protocol: "tcp" | "udp"): number {
    const probe =
        protocol === "tcp"
            ? "const s=require('net').createServer().listen(0,'0.0.0.0',()=>{console.log(s.address().port);s.close()})"
            : "const s=require('dgram').createSocket('udp4');s.bind(0,'0.0.0.0',()=>{console.log(s.address().port);s.close()})";
    return Number(mustRun([process.execPath, "-e", probe], 30, `finding a free ${protocol} port`).trim());
}

/**
 * Host-side addresses of every server port, by name. A port the protocol announces (sameNumber)
 * is fixed only where a NAT needs it: in the host's network namespace a free port is used
 * instead, because a Docker NAT container of the same stack may already publish the fixed
 * number on its loopback address, and servers that bind the wildcard address (nuttcp's data
 * listener) would collide with it.
 */
export function serverAddresses(env: EnvironmentHandle, ports: readonly ServerPort[], ip?: string): Record<string, ServerAddress> {
    return Object.fromEntries(
        ports.map((p) => {
            if (p.sameNumber && sharesHostNetwork(env.target)) return [p.name, { host: "127.0.0.1", port: freeHostPort(p.protocol) }];
            return [p.name, serverAddress(env, p.port, ip, p.protocol, p.sameNumber === true)];
        }),
    );
}

function waitReady(command: string, timeoutS: number, what: string, opts: RunOptions): void {
    const deadline = Date.now() + timeoutS * 1000;
    let last: Completed | undefined;
    while (Date.now() < deadline) {
        last = run(["/bin/sh", "-c", command], 10, opts);
        if (last.status === 0) return;
        run(["sleep", "0.2"], 5);
    }
    throw new Error(`${what} not ready after ${timeoutS} s: ${(last?.stderr || last?.stdout || "").trim()}`);
}

/** @param registered the workload to run; defaults to the registry's (tests pass their own). */
export function runCell(inv: CellInvocation, registered: AnyWorkload = getWorkload(inv.workload)): string {
    const cellsDir = path.join(inv.resultsDir, "cells");
    const rawDir = path.join(inv.resultsDir, "raw");
    fs.mkdirSync(cellsDir, { recursive: true });
    fs.mkdirSync(rawDir, { recursive: true });
    const csvPath = path.join(cellsDir, `${inv.cellId}.csv`);
    if (fs.existsSync(csvPath)) {
        progress(inv.resultsDir, `cell ${inv.cellId}: already measured, keeping ${csvPath}`);
        return csvPath;
    }
    const params = { ...registered.defaults, ...inv.params } as Record<string, number | string>;
    const env = inv.env;
    const quiet = describeQuiet(quietGuests(inv.guests ?? [], inGuest(env.target) ? env.target.domain : undefined));
    if (quiet) progress(inv.resultsDir, `cell ${inv.cellId}: other guests of stack ${inv.stack}: ${quiet}`);
    const ip = inGuest(env.target) ? guestIp(env.target.domain) : undefined;
    const inside = (script: string) => execArgv(env.target, script, ip);
    // An `instances` sweep of a self-contained workload runs it in simultaneous clones (workloads/instances.ts).
    const sweep = instanceSweep(registered.name, params);
    const workload = effectiveWorkload(registered, params);
    const cloneSource: CloneSource | undefined =
        workload.needsClones || workload !== registered ? readCloneSource(env, path.join(REPO_ROOT, "environments", "kvm", "guest-lifecycle.sh")) : undefined;
    // performance.now() counts from this process's start: the share of the gap between cells that
    // is isobench's own (CLI start, quieting guests, finding the guest's address), not Pulumi's.
    progress(
        inv.resultsDir,
        `cell ${inv.cellId}: start (${workload.name} on ${env.name}, accel=${env.accel}, launched ${(performance.now() / 1000).toFixed(3)} s before)`,
    );

    // What can fail without leaving anything behind comes before the runtime folder is made.
    const password = workload.password ? stackPassword(workload.name) : undefined;
    const versionArgv = workload.versionPlacement === "host" ? ["/bin/sh", "-c", workload.versionCommand] : inside(workload.versionCommand);
    const versionOut = mustRun(versionArgv, 60, `${workload.name} version ${workload.versionPlacement === "host" ? "on the host" : `in ${env.name}`}`);
    const toolVersion = workload.parseVersion(versionOut);
    const runDir = runtimeDir(inv.stack);
    mustRun(
        inside(`mkdir -p ${q(env.dataDir)} ${q(runDir)} && chmod 0700 ${q(runDir)}`),
        60,
        `creating the data directory ${env.dataDir} and the runtime folder ${runDir} in ${env.name}`,
    );

    const pidFile = `${runDir}/${inv.cellId}.pid`;
    const serverLog = `${runDir}/${inv.cellId}.server.log`;
    const passwordFile = password ? `${runDir}/${inv.cellId}.password` : undefined;
    // Host-side commands get the password in their environment, never in their argv.
    const hostOpts: RunOptions = password && workload.password ? { env: { [workload.password.clientEnv]: password } } : {};
    let addr: ServerAddress | undefined;
    let started = false;
    const startedAt = new Date();
    let t0 = 0;
    let client: Completed;
    const ports = workloadPorts(workload);
    const onClientSide = (cmd: string) => (workload.clientPlacement === "inside" ? inside(cmd) : ["/bin/sh", "-c", cmd]);
    const clientOpts = workload.clientPlacement === "inside" ? {} : hostOpts;
    try {
        if (passwordFile) {
            mustRun(execArgv(env.target, `umask 077 && cat > ${q(passwordFile)}`, ip, { stdin: true }), 60, `writing the password file in ${env.name}`, {
                input: password,
            });
        }
        const bindShim = bindShimIn(env.target, REPO_ROOT);
        let ctx: RunContext = {
            dataDir: env.dataDir,
            listen: listenAddress(env.target, ip),
            ...(bindShim ? { bindShim } : {}),
            ...(passwordFile ? { passwordFile } : {}),
        };
        if (workload.serverCommand && ports.length > 0) {
            started = true;
            mustRun(
                inside(detachedScript(workload.serverCommand(params as any, ctx), pidFile, serverLog)),
                60,
                `starting ${workload.name} server in ${env.name}`,
            );
            const addrs = serverAddresses(env, ports, ip);
            addr = addrs[ports[0].name];
            ctx = { ...ctx, addr, addrs };
            const serverLogTail = () => {
                const log = run(inside(`tail -n 20 ${q(serverLog)}`), 30).stdout.trim();
                return log ? `\nlast lines of the server log ${serverLog} in ${env.name}:\n${log}` : "";
            };
            if (workload.readinessCommand) {
                const timeoutS = workload.readinessTimeoutS ?? 60;
                try {
                    waitReady(
                        workload.readinessCommand(params as any, addr, ctx),
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
            // An exited server not yet reaped is a zombie: kill -0 still succeeds on it.
            if (run(inside(`p=$(cat ${q(pidFile)}) && kill -0 "$p" && ! grep -q '^State:[[:space:]]*Z' "/proc/$p/status"`), 30).status !== 0) {
                throw new Error(`${workload.name} server in ${env.name} exited right after it started${serverLogTail()}`);
            }
        }
        ctx = {
            ...ctx,
            env,
            ...(cloneSource ? { clones: clonesOf(cloneSource), originalExec: (script: string) => originalExec(env.target, script, ip) } : {}),
        };
        if (workload.prepareCommand) {
            mustRun(onClientSide(workload.prepareCommand(params as any, ctx)), 3600, `${workload.name} prepare step for ${env.name}`, clientOpts);
        }
        const clientCmd = workload.clientCommand(params as any, ctx);
        t0 = Date.now();
        client = run(onClientSide(clientCmd), 3600, clientOpts);
    } finally {
        if (started) {
            run(inside(stopScript(pidFile)), 60);
            // The server's log is evidence of the run: kept beside the raw output rather than left
            // in the environment's /tmp, which for native is the host's and outlives destroy.
            const log = run(inside(`cat ${q(serverLog)} 2>/dev/null; rm -f ${q(serverLog)}`), 60).stdout;
            if (log) fs.writeFileSync(path.join(rawDir, `${inv.cellId}.server.log`), log);
        }
        // The stack's folder goes once its last cell's files are gone: nothing is left on the host.
        run(inside(`rm -f ${passwordFile ? q(passwordFile) : ""} ${q(pidFile)}; rmdir ${q(runDir)} 2>/dev/null; true`), 60);
        // The run's script removes its clones itself (EXIT trap); this catches a killed script.
        if (cloneSource) removeLeftoverClones(cloneSource, env.target, Math.max(0, ...(sweep ?? [1])));
    }
    const durationS = (Date.now() - t0) / 1000;
    const rawPath = path.join(rawDir, `${inv.cellId}.txt`);
    fs.writeFileSync(rawPath, client.stdout + (client.stderr ? `${RAW_STDERR_SEPARATOR}${client.stderr}` : ""));
    if (client.status !== 0) {
        throw new Error(`cell ${inv.cellId}: ${workload.name} exited with ${client.status}; raw output kept in ${rawPath}`);
    }
    let measurements;
    try {
        measurements = workload.parse(client.stdout, params as any);
    } catch (e) {
        if (e instanceof ParseError) throw new Error(`cell ${inv.cellId}: ${e.message}; raw output in ${rawPath}`, { cause: e });
        throw e;
    }
    const facts = hostFacts();
    const paramText = (point?: Readonly<Record<string, number | string>>) =>
        Object.entries({ ...params, ...point })
            .map(([k, v]) => `${k}=${v}`)
            .join(";");
    const samples: Sample[] = measurements.map((m) => ({
        run_id: inv.runId,
        stack: inv.stack,
        cell_id: inv.cellId,
        environment: env.name,
        env_kind: env.envKind,
        variant: env.variant,
        workload: workload.name,
        params: paramText(m.point),
        repetition: inv.repetition,
        metric: m.metric,
        value: m.value,
        unit: m.unit,
        better: m.better,
        started_at: startedAt.toISOString(),
        duration_s: Math.round(durationS * 1000) / 1000,
        tool: workload.tool,
        tool_version: toolVersion,
        accel: env.accel,
        ...facts,
        notes: [
            workload.notes?.(params as any) ?? "",
            addr ? `client on host, server at ${addr.host}:${addr.port}` : "",
            workload !== registered ? `${m.point?.instances ?? ""} simultaneous instances (clones of ${env.name})` : "",
        ]
            .filter((n) => n !== "")
            .join("; "),
    }));
    writeFileAtomic(csvPath, samplesToCsv(samples));
    progress(inv.resultsDir, `cell ${inv.cellId}: done in ${durationS.toFixed(1)} s, ${samples.length} samples`);
    return csvPath;
}
