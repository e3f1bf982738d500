/**
 * Fault injection on the real daemons (issue 17): each fault below is injected into a small stack
 * run through `bin/isobench` as a user runs it, recovered with isobench commands only, the run
 * finished and destroyed; one table row per fault:
 *
 *   fault | recovery command | cells lost | cells re-measured | leftovers after destroy | s to recover
 *
 * - cells lost: cells of the plan without a CSV after the recovery, plus CSVs that existed when
 *   the fault struck and are neither in cells/ nor kept in superseded/;
 * - cells re-measured: CSVs that existed when the fault struck and were measured again (only a
 *   deliberate `--remeasure` should do that, and it keeps the old ones in superseded/);
 * - leftovers after destroy: what `isobench leftovers <stack>` lists, processes of the run still
 *   alive, and containers, volumes, domains and folders named after the stack;
 * - s to recover: wall time of the recovery command, which also measures the cells it finds
 *   missing (the column "cells measured by it" says how many).
 *
 * Stacks: native + docker-nat (sysbench-cpu, 3 repetitions) for the faults without a guest,
 * native + a kvm-tuned guest for the three that need one (software emulation where KVM cannot boot
 * guests). An environment is broken "between cells" while a native cell runs after one of its own.
 * Each stack has its own file backend, Pulumi home, results folder and measurement lock in a
 * temporary folder (test/helpers/cli-stack.ts), so the checkout's own stacks are not touched.
 * Faults restart dockerd and libvirtd: run it alone (benchmarks/faults.sh takes the machine's
 * test lock). Figures to read, never assertions in the test suite; exits 1 when a row breaks the
 * goal (0 lost, 0 leftovers, one isobench command) or an expectation of its fault.
 *
 *   node -r ts-node/register/transpile-only benchmarks/faults.ts [--list] [--only 1,3,…]
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { REPO_ROOT } from "../core/paths";
import { attempt, mustRun, virshArgv } from "../environments/process";
import { runtimeDir } from "../environments/exec-target";
import { endProcesses, processAlive } from "../experiment/recovery";
import { cellIntervals } from "../experiment/run-report";
import { CliRun, CliStack, processesOf, waitFor } from "../test/helpers/cli-stack";
import { leftoverFiles, leftoverResources, removeLeftovers } from "../test/helpers/leftovers";

const RUN_ID = "faults-1";
const REPETITIONS = 3;
const HOST_ENVS = ["native", "docker-nat"] as const;
const GUEST_ENV = "kvm-tuned";

interface Row {
    readonly fault: string;
    /** The fault's number in --list. */
    n?: number;
    recovery: string;
    lost: number;
    remeasured: number;
    measuredByRecovery: number;
    leftovers: number;
    recoverS: number;
    /** Expectations of the fault that did not hold, and anything else worth a look. */
    readonly problems: string[];
    readonly notes: string[];
}

type Config = Record<string, unknown>;

function hostConfig(extra: Config = {}): Config {
    return {
        "isobench:runId": RUN_ID,
        "isobench:repetitions": String(REPETITIONS),
        "isobench:environments": [...HOST_ENVS],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 3 } }],
        ...extra,
    };
}

function guestConfig(): Config {
    return {
        "isobench:runId": RUN_ID,
        "isobench:repetitions": String(REPETITIONS),
        "isobench:environments": ["native", GUEST_ENV],
        "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 2 } }],
        "isobench:allowSoftwareEmulation": true,
        "isobench:kvm": { vcpus: 1, memoryMiB: 768, bootTimeoutS: 300 },
    };
}

/** Cell ids of a config's plan: workload.environment.rN for every workload, environment and repetition. */
function plannedCells(config: Config): string[] {
    const envs = config["isobench:environments"] as string[];
    const workloads = (config["isobench:workloads"] as { name: string }[]).map((w) => w.name);
    const reps = Number(config["isobench:repetitions"]);
    return workloads.flatMap((w) => envs.flatMap((e) => Array.from({ length: reps }, (_, i) => `${w}.${e}.r${i + 1}`)));
}

/** A stack under test: its CLI, where its results go and what it has measured. */
class Subject {
    readonly cli: CliStack;
    config: Config;
    constructor(
        readonly stack: string,
        config: Config,
        extraEnv: NodeJS.ProcessEnv = {},
    ) {
        this.config = config;
        this.cli = new CliStack(stack, config, extraEnv);
    }
    get results(): string {
        return this.cli.results(RUN_ID);
    }
    reconfigure(config: Config): void {
        this.config = config;
        this.cli.writeConfig(config);
    }
    progressLog(): string {
        const f = path.join(this.results, "progress.log");
        return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : "";
    }
    /** sha256 of every cell CSV now in cells/. */
    csvs(): Map<string, string> {
        const dir = path.join(this.results, "cells");
        const out = new Map<string, string>();
        if (!fs.existsSync(dir)) return out;
        for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".csv")))
            out.set(
                f.slice(0, -4),
                crypto
                    .createHash("sha256")
                    .update(fs.readFileSync(path.join(dir, f)))
                    .digest("hex"),
            );
        return out;
    }
    /** sha256 of every CSV kept in superseded/<cell>/<k>/. */
    superseded(): Set<string> {
        const dir = path.join(this.results, "superseded");
        const out = new Set<string>();
        if (!fs.existsSync(dir)) return out;
        for (const f of fs
            .readdirSync(dir, { recursive: true })
            .map(String)
            .filter((n) => n.endsWith(".csv")))
            out.add(
                crypto
                    .createHash("sha256")
                    .update(fs.readFileSync(path.join(dir, f)))
                    .digest("hex"),
            );
        return out;
    }
    up(args: readonly string[] = []): CliRun {
        return this.cli.isobench(["up", this.stack, ...args]);
    }
    /** Waits for a progress.log line matching `re` (a cell's start or done). */
    async until(what: string, re: RegExp, timeoutS = 600): Promise<void> {
        await waitFor(what, () => re.test(this.progressLog()), timeoutS);
    }
    /** pulumi up of this stack, started by its isobench. */
    pulumiPid(): number | undefined {
        return processesOf(this.cli.work).find((p) => cmdline(p).startsWith("pulumi\0up"));
    }
}

function cmdline(pid: number): string {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
        return "";
    }
}

async function finished(run: CliRun): Promise<{ code: number; out: string }> {
    return { code: await run.done, out: run.out() };
}

const tail = (s: string, n = 1500) => s.slice(-n).trim();
const usingSystemd = () => fs.existsSync("/run/systemd/system");

function readPid(file: string): number | undefined {
    try {
        const pid = Number(fs.readFileSync(file, "utf8").trim());
        return pid > 0 && processAlive(pid) ? pid : undefined;
    } catch {
        return undefined;
    }
}

/** Ends a daemon the way a crash or an administrator's stop does: SIGTERM, then waits for it to be gone. */
async function stopDaemon(name: "dockerd" | "libvirtd"): Promise<void> {
    if (usingSystemd()) {
        mustRun(["systemctl", "stop", name === "dockerd" ? "docker" : "libvirtd"], 120, `stopping ${name}`);
        return;
    }
    const pid = readPid(name === "dockerd" ? "/var/run/docker.pid" : "/var/run/libvirtd.pid");
    if (!pid) throw new Error(`${name} is not running (no live pid in its pid file): start it with scripts/daemons.sh`);
    process.kill(pid, "SIGTERM");
    await waitFor(`${name} (pid ${pid}) to exit`, () => !processAlive(pid), 90);
}

/** Starts the daemons again as setup does (idempotent: only what is down is started). */
function startDaemons(): void {
    mustRun(["bash", path.join(REPO_ROOT, "scripts", "daemons.sh")], 300, "scripts/daemons.sh");
}

async function restartDaemon(name: "dockerd" | "libvirtd"): Promise<void> {
    await stopDaemon(name);
    startDaemons();
}

interface Scenario {
    readonly fault: string;
    readonly needsGuest?: boolean;
    /**
     * Runs the stack up to and through the fault; returns the isobench arguments that recover
     * (default: `up <stack>`), or null when no recovery command is needed.
     */
    readonly inject: (s: Subject, row: Row) => Promise<readonly string[] | null>;
    /** Checks after the recovery (and before destroy). */
    readonly after?: (s: Subject, row: Row) => void;
    /** A second stack run with the first (two stacks at once). */
    readonly companion?: boolean;
}

function expect(row: Row, ok: boolean, what: string): void {
    if (!ok) row.problems.push(what);
}

/** Signal a running `isobench up` during its second cell, and check it exits non-zero naming the missing cells. */
function interrupted(signal: NodeJS.Signals, target: "group" | "isobench"): Scenario["inject"] {
    return async (s, row) => {
        const first = s.up();
        await s.until("the second cell to start", /cell \S+\.r\d: start[\s\S]*cell \S+\.r\d: start/);
        const pid = first.child.pid!;
        process.kill(target === "group" ? -pid : pid, signal);
        const r = await finished(first);
        expect(row, r.code !== 0, `the interrupted up exited ${r.code}`);
        expect(row, /planned cell\(s\) have no results yet/.test(r.out), `the interrupted up did not name the missing cells:\n${tail(r.out)}`);
        await waitFor("the run's processes to end", () => processesOf(s.cli.work).length === 0, 60).catch(() =>
            row.problems.push(`processes of the interrupted run still alive: ${processesOf(s.cli.work).join(" ")}`),
        );
        return ["up", s.stack];
    };
}

/** SIGKILL of isobench and its pulumi once `ready` holds; Pulumi's plugins and the running cell are left as orphans. */
function hardKill(what: string, ready: (s: Subject) => boolean): Scenario["inject"] {
    return async (s, row) => {
        const first = s.up();
        await waitFor(what, () => ready(s), 900);
        const pulumi = s.pulumiPid();
        process.kill(first.child.pid!, "SIGKILL");
        if (pulumi) process.kill(pulumi, "SIGKILL");
        else row.notes.push("pulumi was not found running when isobench was killed");
        await first.done;
        const left = processesOf(s.cli.work).map((p) => cmdline(p).split("\0").slice(0, 2).join(" "));
        row.notes.push(`left running by the kill: ${left.length ? [...new Set(left)].join(", ") : "nothing"}`);
        return ["up", s.stack];
    };
}

/**
 * Whether a native cell is running now after a cell of `env` finished: the moment to break `env`
 * between its cells (a stack interleaves environments, so the next cell of `env` is still to come).
 */
function nativeRunsAfter(env: string): (s: Subject) => boolean {
    return (s) => {
        const log = s.progressLog();
        const starts = [...log.matchAll(/cell (\S+): start/g)].map((m) => m[1]);
        const last = starts[starts.length - 1];
        return (
            new RegExp(`cell \\S+\\.${env}\\.r\\d: done`).test(log) &&
            last !== undefined &&
            last.includes(".native.") &&
            !new RegExp(`cell ${last.replace(/\./g, "\\.")}: (done|FAILED)`).test(log)
        );
    };
}

const serverLeft = new Map<string, number>();
const startOf = (cell: RegExp) => (s: Subject) => new RegExp(`cell ${cell.source}: start`).test(s.progressLog());

const SCENARIOS: readonly Scenario[] = [
    { fault: "SIGINT of the process group during a cell", inject: interrupted("SIGINT", "group") },
    { fault: "SIGTERM of isobench only", inject: interrupted("SIGTERM", "isobench") },
    { fault: "SIGKILL of isobench+pulumi during a cell", inject: hardKill("the second cell to start", startOf(/\S+\.r2/)) },
    {
        fault: "SIGKILL during a guest's creation",
        needsGuest: true,
        inject: hardKill("the guest's domain to be defined", (s) => attempt(virshArgv(10, "domstate", `isobench-${s.stack}-${GUEST_ENV}`), 20).status === 0),
    },
    {
        // What leaves a server holding its port: everything of the run killed but the server
        // (an OOM kill or `pkill -9 node` of the controller), the server being redis-server.
        fault: "SIGKILL during a native server cell",
        inject: async (s, row) => {
            s.reconfigure(
                hostConfig({
                    "isobench:environments": ["native"],
                    "isobench:workloads": [{ name: "redis", params: { requests: 100000, clients: 50 } }],
                }),
            );
            const runDir = runtimeDir(s.stack);
            const serverPid = () =>
                fs.existsSync(runDir)
                    ? fs
                          .readdirSync(runDir)
                          .filter((f) => f.endsWith(".pid"))
                          .map((f) => Number(fs.readFileSync(path.join(runDir, f), "utf8").trim()))
                          .find((p) => p > 0 && processAlive(p))
                    : undefined;
            const first = s.up();
            await s.until("the second redis cell to start", /cell redis\.native\.r2: start/);
            await waitFor("its server to start", () => serverPid() !== undefined, 120);
            const server = serverPid()!;
            process.kill(first.child.pid!, "SIGKILL");
            for (const p of processesOf(s.cli.work)) if (p !== server) process.kill(p, "SIGKILL");
            await first.done;
            expect(row, processAlive(server), "the server did not outlive the kill (nothing for recovery to stop)");
            row.notes.push(`redis-server pid ${server} left holding its port`);
            serverLeft.set(s.stack, server);
            return ["up", s.stack];
        },
        after: (s, row) => {
            const server = serverLeft.get(s.stack);
            expect(row, server === undefined || !processAlive(server), `the server left by the killed cell (pid ${server}) still runs`);
            const said = [s.progressLog(), ...fs.readdirSync(path.join(s.results, "raw")).map((f) => fs.readFileSync(path.join(s.results, "raw", f), "utf8"))];
            expect(
                row,
                said.some((t) => /stopped server pid \d+ left by a killed run/.test(t)),
                "neither progress.log nor a raw file says the left server was stopped",
            );
        },
    },
    {
        fault: "dockerd restarted between cells",
        inject: async (s) => {
            const run = s.up();
            await waitFor("a native cell after a docker-nat one", () => nativeRunsAfter("docker-nat")(s), 600);
            await restartDaemon("dockerd");
            const r = await finished(run);
            return r.code === 0 ? null : ["up", s.stack];
        },
        after: (s, row) => row.notes.push(/had stopped/.test(s.progressLog()) ? "the stopped container was started again by the runner" : "no revival logged"),
    },
    {
        fault: "container stopped by hand",
        inject: async (s) => {
            const run = s.up();
            await waitFor("a native cell after a docker-nat one", () => nativeRunsAfter("docker-nat")(s), 600);
            mustRun(["docker", "stop", "-t", "2", `isobench-${s.stack}-docker-nat`], 60, "docker stop");
            const r = await finished(run);
            return r.code === 0 ? null : ["up", s.stack];
        },
        after: (s, row) => expect(row, /environment docker-nat had stopped/.test(s.progressLog()), "the stopped container's revival is not in progress.log"),
    },
    {
        fault: "guest shut off",
        needsGuest: true,
        inject: async (s) => {
            const run = s.up();
            await waitFor("a native cell after a guest one", () => nativeRunsAfter(GUEST_ENV)(s), 1200);
            mustRun(virshArgv(60, "destroy", `isobench-${s.stack}-${GUEST_ENV}`), 90, "virsh destroy");
            const r = await finished(run);
            return r.code === 0 ? null : ["up", s.stack];
        },
        after: (s, row) => expect(row, new RegExp(`environment ${GUEST_ENV} had stopped`).test(s.progressLog()), "the guest's revival is not in progress.log"),
    },
    {
        fault: "libvirtd restarted during a guest cell",
        needsGuest: true,
        inject: async (s) => {
            const run = s.up();
            await s.until("the second guest cell to start", new RegExp(`cell sysbench-cpu\\.${GUEST_ENV}\\.r2: start`), 1200);
            await restartDaemon("libvirtd");
            const r = await finished(run);
            return r.code === 0 ? null : ["up", s.stack];
        },
    },
    {
        fault: "a client that hangs (idle windowS 600, limit 12 s)",
        inject: async (s, row) => {
            const hanging = (windowS: number) =>
                hostConfig({
                    "isobench:workloads": [
                        { name: "sysbench-cpu", params: { timeSeconds: 3 } },
                        { name: "idle", params: { windowS }, timeoutS: 12 },
                    ],
                });
            s.reconfigure(hanging(600));
            const r = await finished(s.up());
            expect(row, r.code !== 0, "up with hanging cells exited 0");
            expect(row, /wall-clock limit of 12 s/.test(r.out + s.progressLog()), `no cell failed naming its limit:\n${tail(r.out)}`);
            const failed = fs.readdirSync(path.join(s.results, "cells")).filter((f) => f.endsWith(".error")).length;
            expect(row, failed === plannedCells(s.config).filter((c) => c.startsWith("idle.")).length, `${failed} .error files, one per idle cell expected`);
            // The user's fix: a window the limit allows.
            s.reconfigure(hanging(2));
            return ["up", s.stack];
        },
    },
    {
        fault: "results directory on a full filesystem (4 MiB tmpfs)",
        inject: async (s, row) => {
            const mnt = path.join(s.cli.work, "tmpfs-results");
            fs.mkdirSync(mnt);
            mustRun(["mount", "-t", "tmpfs", "-o", "size=4m", "isobench-faults", mnt], 30, "mounting a tmpfs");
            row.notes.push("recovery: the tmpfs grown to 2 GiB (space freed), then up");
            (s.cli.env as Record<string, string>).ISOBENCH_RESULTS_DIR = mnt;
            const r = await finished(s.up());
            expect(row, r.code !== 0, "up on a full filesystem exited 0");
            expect(row, /disk|free|space/i.test(r.out), `the refusal does not speak of space:\n${tail(r.out)}`);
            expect(row, leftoverResources(`isobench-${s.stack}-`).length === 0, "something was provisioned before the refusal");
            mustRun(["mount", "-o", "remount,size=2g", mnt], 30, "growing the tmpfs");
            return ["up", s.stack];
        },
        after: (s) => {
            // Results are copied out before the tmpfs goes, so the row's counts can still be read.
            const mnt = path.join(s.cli.work, "tmpfs-results");
            const keep = path.join(s.cli.work, "results");
            fs.cpSync(mnt, keep, { recursive: true });
            (s.cli.env as Record<string, string>).ISOBENCH_RESULTS_DIR = keep;
        },
    },
    {
        fault: "destroy with dockerd stopped",
        inject: async (s, row) => {
            const r = await finished(s.up());
            expect(row, r.code === 0, `the first up failed:\n${tail(r.out)}`);
            await stopDaemon("dockerd");
            try {
                const d = await finished(s.cli.isobench(["destroy", s.stack]));
                expect(row, d.code !== 0, "destroy with dockerd stopped exited 0");
            } finally {
                startDaemons();
            }
            expect(
                row,
                leftoverResources(`isobench-${s.stack}-docker-nat`).some((l) => l.startsWith("container")),
                "the container is gone though destroy could not reach dockerd",
            );
            return ["destroy", s.stack];
        },
    },
    {
        fault: "two stacks started at once",
        companion: true,
        inject: async () => ["up"],
    },
    {
        fault: "a changed parameter under the same runId",
        inject: async (s, row) => {
            const r = await finished(s.up());
            expect(row, r.code === 0, `the first up failed:\n${tail(r.out)}`);
            s.reconfigure(hostConfig({ "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 4 } }] }));
            const refused = await finished(s.up());
            expect(row, refused.code !== 0 && /--remeasure/.test(refused.out), `the changed definition was not refused with the fix:\n${tail(refused.out)}`);
            return ["up", s.stack, "--remeasure", "stale"];
        },
        after: (s, row) => row.notes.push(`re-measured on purpose (--remeasure stale); ${s.superseded().size} old CSVs kept in superseded/`),
    },
];

/** Leftovers after destroy: `isobench leftovers <stack>`'s lines, the run's live processes, and anything named after the stack. */
function leftoversAfterDestroy(s: Subject, row: Row): string[] {
    const lo = spawnSync(path.join(REPO_ROOT, "bin", "isobench"), ["leftovers", s.stack], { env: s.cli.env, encoding: "utf8", timeout: 300_000 });
    const listed =
        lo.status === 3
            ? lo.stdout
                  .trim()
                  .split("\n")
                  .filter((l) => l.trim())
            : [];
    if (lo.status !== 0 && lo.status !== 3) row.problems.push(`isobench leftovers exited ${lo.status}: ${tail(lo.stdout + lo.stderr, 500)}`);
    const procs = processesOf(s.cli.work).map((p) => `process ${p} ${cmdline(p).split("\0").slice(0, 3).join(" ")}`);
    const named = [...leftoverResources(`isobench-${s.stack}-`), ...leftoverFiles(s.stack)];
    return [...new Set([...listed, ...procs, ...named])];
}

/** Counts of a subject across the fault: what was measured when it struck against what is there now. */
function account(s: Subject, before: Map<string, string>, row: Row): void {
    const now = s.csvs();
    const kept = s.superseded();
    const missing = plannedCells(s.config).filter((c) => !now.has(c));
    const vanished = [...before].filter(([c, h]) => !now.has(c) && !kept.has(h)).map(([c]) => c);
    row.lost += missing.length + vanished.length;
    if (missing.length) row.problems.push(`planned cells without results: ${missing.join(", ")}`);
    if (vanished.length) row.problems.push(`measured cells gone: ${vanished.join(", ")}`);
    row.remeasured += [...before].filter(([c, h]) => now.has(c) && now.get(c) !== h).length;
    row.measuredByRecovery += [...now.keys()].filter((c) => !before.has(c) || before.get(c) !== now.get(c)).length;
}

async function runScenario(n: number, sc: Scenario): Promise<Row> {
    const row: Row = { fault: sc.fault, recovery: "", lost: 0, remeasured: 0, measuredByRecovery: 0, leftovers: 0, recoverS: 0, problems: [], notes: [] };
    const base = `flt${n}p${process.pid}`;
    const subjects = [new Subject(base, sc.needsGuest ? guestConfig() : hostConfig())];
    if (sc.companion) {
        // The second stack shares the first one's measurement lock: the host is one machine.
        // Named so that neither stack's name is a prefix of the other's: leftovers are found by name.
        subjects.push(new Subject(`flt${n}q${process.pid}`, hostConfig(), { ISOBENCH_MEASURE_LOCK: subjects[0].cli.env.ISOBENCH_MEASURE_LOCK }));
    }
    const [s] = subjects;
    const t0 = Date.now();
    try {
        let recovery: readonly string[] | null;
        let before: Map<string, string>[];
        if (sc.companion) {
            const runs = subjects.map((x) => x.up());
            const codes = await Promise.all(runs.map((r) => r.done));
            codes.forEach((c, i) => expect(row, c === 0, `up of ${subjects[i].stack} exited ${c}:\n${tail(runs[i].out())}`));
            const intervals = subjects.map((x) => [...cellIntervals(x.progressLog()).values()]);
            const overlaps = intervals[0].filter(([a0, a1]) => intervals[1].some(([b0, b1]) => a0 < b1 && b0 < a1)).length;
            expect(row, overlaps === 0, `${overlaps} cell(s) of the two stacks overlapped in time`);
            const waited = subjects.some((x) => /waiting for it to finish|another measurement/.test(x.progressLog()));
            expect(row, waited, "neither progress.log records a wait for the other stack");
            row.notes.push(`cells overlapping across the stacks: ${overlaps}; the second waited for the first: ${waited ? "yes, recorded" : "no"}`);
            recovery = null;
            before = subjects.map((x) => x.csvs());
        } else {
            recovery = await sc.inject(s, row);
            before = [s.csvs()];
        }
        row.recovery = recovery ? `isobench ${recovery.join(" ").replace(s.stack, "<stack>")}` : "none (the run itself)";
        if (recovery) {
            const r0 = Date.now();
            const r = await finished(s.cli.isobench(recovery));
            row.recoverS = (Date.now() - r0) / 1000;
            expect(row, r.code === 0, `the recovery command exited ${r.code}:\n${tail(r.out)}`);
            const said = r.out.match(/recovery: [^\n]*/g) ?? [];
            if (said.length) row.notes.push(...[...new Set(said.map((l) => l.replace(/\d+/g, "N")))]);
        }
        sc.after?.(s, row);
        for (const x of subjects) {
            const failed = x.progressLog().match(/cell \S+: FAILED[^\n]*/g) ?? [];
            row.notes.push(...failed.map((l) => `${x === s ? "" : `${x.stack}: `}${l.slice(0, 300)}`));
        }
        subjects.forEach((x, i) => account(x, before[i], row));
    } catch (e) {
        row.problems.push(`the scenario broke: ${(e as Error).message}`);
    } finally {
        for (const x of subjects) {
            const d = await finished(x.cli.isobench(["destroy", x.stack]));
            expect(row, d.code === 0, `destroy of ${x.stack} exited ${d.code}:\n${tail(d.out)}`);
            const left = leftoversAfterDestroy(x, row);
            row.leftovers += left.length;
            if (left.length) row.problems.push(`left after destroy: ${left.join("; ")}\ndestroy said:\n${tail(d.out, 2500)}`);
            // Whatever the row says, the benchmark itself leaves nothing.
            endProcesses(processesOf(x.cli.work));
            removeLeftovers([...leftoverResources(`isobench-${x.stack}-`), ...leftoverFiles(x.stack)]);
            spawnSync("umount", [path.join(x.cli.work, "tmpfs-results")]);
            fs.rmSync(x.cli.stackFile, { force: true });
            fs.rmSync(x.cli.work, { recursive: true, force: true });
        }
        if (sc.fault.includes("dockerd") || sc.fault.includes("libvirtd")) startDaemons();
    }
    row.notes.push(`scenario wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    return row;
}

function table(rows: readonly Row[]): string {
    const head = ["#", "fault", "recovery command", "cells lost", "cells re-measured", "leftovers after destroy", "s to recover", "cells measured by it", "ok"];
    const lines = rows.map((r) => [
        String(r.n),
        r.fault,
        r.recovery,
        String(r.lost),
        String(r.remeasured),
        String(r.leftovers),
        r.recoverS ? r.recoverS.toFixed(1) : "–",
        String(r.measuredByRecovery),
        r.problems.length ? "NO" : "yes",
    ]);
    return [head, head.map(() => "---"), ...lines].map((l) => `| ${l.join(" | ")} |`).join("\n");
}

async function main(): Promise<number> {
    const args = process.argv.slice(2);
    if (args.includes("--list")) {
        SCENARIOS.forEach((sc, i) => console.log(`${i + 1}. ${sc.fault}${sc.needsGuest ? " (guest)" : ""}`));
        return 0;
    }
    const only = args.includes("--only") ? new Set(args[args.indexOf("--only") + 1].split(",").map(Number)) : undefined;
    const picked = SCENARIOS.map((sc, i) => [i + 1, sc] as const).filter(([n]) => !only || only.has(n));
    const rows: Row[] = [];
    const t0 = Date.now();
    for (const [n, sc] of picked) {
        console.error(`[faults] ${n}. ${sc.fault}`);
        const row = await runScenario(n, sc);
        rows.push(Object.assign(row, { n }));
        console.error(`[faults] ${n}. ${row.problems.length ? `PROBLEMS:\n  ${row.problems.join("\n  ")}` : "ok"}\n  ${row.notes.join("\n  ")}`);
    }
    console.log(table(rows));
    console.log(`\n${rows.length} fault(s) in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
    for (const r of rows) {
        if (r.notes.length || r.problems.length)
            console.log(`\n${r.n}. ${r.fault}\n${[...r.problems.map((p) => `  PROBLEM: ${p}`), ...r.notes.map((x) => `  ${x}`)].join("\n")}`);
    }
    return rows.some((r) => r.problems.length || r.lost || r.leftovers) ? 1 : 0;
}

main().then(
    (code) => process.exit(code),
    (e) => {
        console.error(e);
        process.exit(1);
    },
);
