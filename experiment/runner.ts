/**
 * Runs one cell: one workload, one repetition, on one environment. Called by the cell's command
 * resource through `isobench run-cell`. Raw output is kept beside the CSV; a cell whose CSV
 * already exists is never measured again, so nothing measured is ever overwritten.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { getWorkload, AnyWorkload } from "../workloads";
import { ParseError, ServerAddress } from "../workloads/workload";
import { EnvironmentHandle, execArgv, detachedScript, guestArgv, inGuest, stopScript } from "../environments/exec-target";
import { Sample, samplesToCsv } from "./samples";
import { guestIp } from "../environments/kvm/guest-ip";
import { Completed, mustRun, run } from "../environments/process";
import { shellQuote as q } from "../environments/shell";

export interface CellInvocation {
    readonly stack: string;
    readonly runId: string;
    readonly resultsDir: string;
    readonly cellId: string;
    readonly workload: string;
    readonly params: Readonly<Record<string, number | string>>;
    readonly repetition: number;
    readonly env: EnvironmentHandle;
}

export function progress(resultsDir: string, line: string): void {
    const stamped = `${new Date().toISOString()} ${line}`;
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.appendFileSync(path.join(resultsDir, "progress.log"), stamped + "\n");
    process.stderr.write(stamped + "\n");
}

/** Host-side address of a server listening on `port` inside the environment. */
export function serverAddress(env: EnvironmentHandle, port: number, ip?: string): ServerAddress {
    const t = env.target;
    switch (t.kind) {
        case "native":
            return { host: "127.0.0.1", port };
        case "docker": {
            if (t.network === "host") return { host: "127.0.0.1", port };
            const out = mustRun(["docker", "port", t.container, `${port}/tcp`], 30, `docker port ${t.container}`);
            const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/m.exec(out.trim());
            if (!m) throw new Error(`container ${t.container} publishes no IPv4 port for ${port}/tcp (docker port said "${out.trim()}")`);
            return { host: m[1], port: Number(m[2]) };
        }
        case "kvm":
            if (!ip) throw new Error(`guest ${t.domain}: IP unknown`);
            return { host: ip, port };
        case "docker-in-kvm": {
            if (!ip) throw new Error(`guest ${t.domain}: IP unknown`);
            if (t.network === "host") return { host: ip, port };
            // Published on the guest's addresses: reached at the guest IP, DNATed inside the guest.
            const out = mustRun(guestArgv(t, ["docker", "port", t.container, `${port}/tcp`], ip), 30, `docker port ${t.container} in ${t.domain}`);
            const m = /^0\.0\.0\.0:(\d+)$/m.exec(out.trim());
            if (!m) throw new Error(`container ${t.container} in guest ${t.domain} publishes no IPv4 port for ${port}/tcp (docker port said "${out.trim()}")`);
            return { host: ip, port: Number(m[1]) };
        }
    }
}

export function hostFacts(): { host: string; kernel: string; cpu_model: string } {
    const cpus = os.cpus();
    return { host: os.hostname(), kernel: os.release(), cpu_model: cpus.length ? cpus[0].model.trim() : "unknown" };
}

function waitReady(command: string, timeoutS: number, what: string): void {
    const deadline = Date.now() + timeoutS * 1000;
    let last: Completed | undefined;
    while (Date.now() < deadline) {
        last = run(["/bin/sh", "-c", command], 10);
        if (last.status === 0) return;
        run(["sleep", "0.2"], 5);
    }
    throw new Error(`${what} not ready after ${timeoutS} s: ${(last?.stderr || last?.stdout || "").trim()}`);
}

/** @param workload the workload to run; defaults to the registry's (tests pass their own). */
export function runCell(inv: CellInvocation, workload: AnyWorkload = getWorkload(inv.workload)): string {
    const cellsDir = path.join(inv.resultsDir, "cells");
    const rawDir = path.join(inv.resultsDir, "raw");
    fs.mkdirSync(cellsDir, { recursive: true });
    fs.mkdirSync(rawDir, { recursive: true });
    const csvPath = path.join(cellsDir, `${inv.cellId}.csv`);
    if (fs.existsSync(csvPath)) {
        progress(inv.resultsDir, `cell ${inv.cellId}: already measured, keeping ${csvPath}`);
        return csvPath;
    }
    const params = { ...workload.defaults, ...inv.params } as Record<string, number | string>;
    const env = inv.env;
    const ip = inGuest(env.target) ? guestIp(env.target.domain) : undefined;
    const inside = (script: string) => execArgv(env.target, script, ip);
    progress(inv.resultsDir, `cell ${inv.cellId}: start (${workload.name} on ${env.name}, accel=${env.accel})`);

    mustRun(inside(`mkdir -p ${q(env.dataDir)}`), 60, `creating the data directory ${env.dataDir} in ${env.name}`);
    const versionOut = mustRun(inside(workload.versionCommand), 60, `${workload.name} version in ${env.name}`);
    const toolVersion = workload.parseVersion(versionOut);

    const pidFile = `/tmp/isobench-${inv.stack}-${inv.cellId}.pid`;
    const serverLog = `/tmp/isobench-${inv.stack}-${inv.cellId}.server.log`;
    let addr: ServerAddress | undefined;
    const startedAt = new Date();
    let t0 = 0;
    let client: Completed;
    try {
        if (workload.serverCommand && workload.serverPort !== undefined) {
            mustRun(inside(detachedScript(workload.serverCommand(params as any, { dataDir: env.dataDir }), pidFile, serverLog)), 60, `starting ${workload.name} server in ${env.name}`);
            addr = serverAddress(env, workload.serverPort, ip);
            if (workload.readinessCommand) waitReady(workload.readinessCommand(params as any, addr), 60, `${workload.name} server in ${env.name} at ${addr.host}:${addr.port}`);
        }
        const clientCmd = workload.clientCommand(params as any, { addr, dataDir: env.dataDir });
        const argv = workload.clientPlacement === "inside" ? inside(clientCmd) : ["/bin/sh", "-c", clientCmd];
        t0 = Date.now();
        client = run(argv, 3600);
    } finally {
        if (addr) run(inside(stopScript(pidFile)), 60);
    }
    const durationS = (Date.now() - t0) / 1000;
    const rawPath = path.join(rawDir, `${inv.cellId}.txt`);
    fs.writeFileSync(rawPath, client.stdout + (client.stderr ? `\n--- stderr ---\n${client.stderr}` : ""));
    if (client.status !== 0) {
        throw new Error(`cell ${inv.cellId}: ${workload.name} exited with ${client.status}; raw output kept in ${rawPath}`);
    }
    let measurements;
    try {
        measurements = workload.parse(client.stdout, params as any);
    } catch (e) {
        if (e instanceof ParseError) throw new Error(`cell ${inv.cellId}: ${e.message}; raw output in ${rawPath}`);
        throw e;
    }
    const facts = hostFacts();
    const paramText = (point?: Readonly<Record<string, number | string>>) =>
        Object.entries({ ...params, ...point }).map(([k, v]) => `${k}=${v}`).join(";");
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
        notes: workload.clientPlacement === "host" ? `client on host, server at ${addr?.host}:${addr?.port}` : "",
    }));
    const tmp = `${csvPath}.tmp`;
    fs.writeFileSync(tmp, samplesToCsv(samples));
    fs.renameSync(tmp, csvPath);
    progress(inv.resultsDir, `cell ${inv.cellId}: done in ${durationS.toFixed(1)} s, ${samples.length} samples`);
    return csvPath;
}
