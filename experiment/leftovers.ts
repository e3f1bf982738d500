/**
 * `isobench leftovers [<stack>] [--clean]`: reads what isobench made on this host and every
 * stack's state, lets experiment/leftovers-plan.ts decide what no state owns, and on request
 * removes it. The listings are shared with the test helpers (test/helpers/leftovers.ts), so the
 * tests and the user see the same things.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { UserError } from "../core/errors";
import { guestsDir, hostRecordsDir, resultsRoot } from "../core/paths";
import { nativeDataDir, runtimeDir } from "../environments/exec-target";
import { ISOBENCH_XMLNS } from "../environments/kvm/domain-spec";
import { attempt, combinedOutput, virshArgv } from "../environments/process";
import { lockOwner, measureLockFile } from "./measure-lock";
import { backendDir, endProcesses, locksDirOf, processAlive, readLocks, RUN_OWNER_ENV } from "./recovery";
import { availableStacks } from "./stack-file";
import { projectName } from "./pulumi-cli";
import {
    DockerObject,
    DomainFact,
    Folder,
    FolderFile,
    InUseFacts,
    isInside,
    Leftover,
    LeftoverPlan,
    LockFact,
    MeasureLockFact,
    ProcessFact,
    REMOVAL,
    StackState,
    dockerFormat,
    parseDockerListing,
    parseDomainMetadata,
    parseProcLocks,
    planLeftovers,
    procLocksDevice,
    shortCommand,
} from "./leftovers-plan";

const DOCKERD_FIX = "Fix: start dockerd (scripts/daemons.sh)";
const LIBVIRT_FIX = "Fix: start libvirtd (scripts/daemons.sh)";

function mustList(what: string, argv: readonly string[], fix: string): string {
    const r = attempt(argv, 60);
    if (r.status !== 0) {
        const out = combinedOutput(r).slice(-500);
        throw new UserError(`${what} failed (exit ${r.status}): ${out}${/[.?!]$/.test(out) ? "" : "."} ${fix}`);
    }
    return r.stdout;
}

/** Every container with isobench's labels read (`docker ps -a`). @throws UserError when dockerd does not answer */
export function listContainers(): DockerObject[] {
    return parseDockerListing(mustList("docker ps -a", ["docker", "ps", "-a", "--no-trunc", "--format", dockerFormat("Names")], DOCKERD_FIX));
}

/** Every volume with isobench's labels read (`docker volume ls`). @throws UserError when dockerd does not answer */
export function listVolumes(): DockerObject[] {
    return parseDockerListing(mustList("docker volume ls", ["docker", "volume", "ls", "--format", dockerFormat("Name")], DOCKERD_FIX));
}

/** Every libvirt domain's name (`virsh list --all --name`). @throws UserError when libvirtd does not answer */
export function listDomainNames(): string[] {
    return mustList("virsh list --all", virshArgv(30, "list", "--all", "--name"), LIBVIRT_FIX)
        .split("\n")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

/** Every domain with what its isobench metadata says (none: not one of isobench's, or made without it). */
export function listDomains(): DomainFact[] {
    return listDomainNames().map((name) => {
        const md = attempt(virshArgv(30, "metadata", name, "--uri", ISOBENCH_XMLNS), 60);
        return md.status === 0 ? { name, ...parseDomainMetadata(md.stdout) } : { name };
    });
}

// USER_HZ: the unit of /proc/<pid>/stat's start time on every Linux architecture isobench runs on.
const CLOCK_TICKS_PER_S = 100;

function bootTimeS(): number {
    return Number(/^btime (\d+)$/m.exec(fs.readFileSync("/proc/stat", "utf8"))?.[1] ?? 0);
}

/** When process `pid` started (ms since the epoch), undefined when it does not run (a zombie does not). */
export function processStartMs(pid: number, boot = bootTimeS()): number | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // fields[0] is field 3 (state) of proc(5); field 22 is the start time in clock ticks since boot.
        if (fields[0] === "Z") return undefined;
        return (boot + Number(fields[19]) / CLOCK_TICKS_PER_S) * 1000;
    } catch {
        return undefined;
    }
}

function argvOf(pid: number | string): string[] {
    try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
    } catch {
        return [];
    }
}

function pidFileFact(file: string, boot: number): Pick<FolderFile, "pid"> {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8").trim();
    } catch {
        return {};
    }
    if (!/^[1-9]\d*$/.test(text)) return {};
    const pid = Number(text);
    const startedMs = processStartMs(pid, boot);
    return { pid: { pid, writtenMs: fs.statSync(file).mtimeMs, ...(startedMs !== undefined && { startedMs, command: shortCommand(argvOf(pid)) }) } };
}

/**
 * The per-stack folders under `parent` (`<parent>/<stack>`, real folders only: a symbolic link
 * is never followed) with their files; `*.pid` files are read when `pids`, and no files are listed
 * when `files` is false (a data folder may hold millions).
 */
export function listFolders(parent: string, opts: { readonly files?: boolean; readonly pids?: boolean; readonly exclude?: readonly string[] } = {}): Folder[] {
    if (!fs.existsSync(parent)) return [];
    const boot = bootTimeS();
    return fs
        .readdirSync(parent, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !(opts.exclude ?? []).includes(path.join(parent, e.name)))
        .map((e) => e.name)
        .sort()
        .map((name) => {
            const dir = path.join(parent, name);
            const files =
                opts.files === false
                    ? []
                    : fs
                          .readdirSync(dir)
                          .sort()
                          .map((f) => ({ name: f, ...(opts.pids && f.endsWith(".pid") ? pidFileFact(path.join(dir, f), boot) : {}) }));
            return { name, path: dir, files };
        });
}

/** Where isobench writes per-stack folders: guests, native data, runtime files. */
export function stackFolderParents(): { readonly guests: string; readonly data: string; readonly runtime: string } {
    return { guests: guestsDir(), data: path.dirname(nativeDataDir("-")), runtime: path.dirname(runtimeDir("-")) };
}

/** Every process of the host with its command line and, if it has one, its ISOBENCH_RUN_OWNER mark. */
export function listProcesses(): ProcessFact[] {
    const out: ProcessFact[] = [];
    const pids = fs
        .readdirSync("/proc")
        .filter((e) => /^\d+$/.test(e))
        .map(Number)
        .sort((a, b) => a - b);
    for (const e of pids) {
        const argv = argvOf(e);
        if (argv.length === 0) continue; // a kernel thread, or gone
        let owner: string | undefined;
        try {
            const environ = fs.readFileSync(`/proc/${e}/environ`, "latin1");
            const at = environ.indexOf(`${RUN_OWNER_ENV}=`);
            if (at === 0 || (at > 0 && environ[at - 1] === "\0")) {
                const end = environ.indexOf("\0", at);
                owner = environ.slice(at + RUN_OWNER_ENV.length + 1, end < 0 ? undefined : end);
            }
        } catch {
            /* gone, or not readable */
        }
        out.push({ pid: e, argv, ...(owner !== undefined && { owner }) });
    }
    return out;
}

/** Every stack lock of the file backend (none for another kind of backend). */
export function listLocks(env: NodeJS.ProcessEnv, project: string): LockFact[] {
    const dir = backendDir(env);
    if (!dir) return [];
    const root = locksDirOf(dir, project);
    if (!fs.existsSync(root)) return [];
    return fs.readdirSync(root).flatMap((stack) => readLocks(dir, project, stack).map((lock) => ({ stack, lock })));
}

/** Whether a process holds the host's measurement lock (read from /proc/locks: nothing is locked to find out), and who last did. */
export function measureLockFact(file: string): MeasureLockFact | undefined {
    let st: fs.Stats;
    try {
        st = fs.statSync(file);
    } catch {
        return undefined;
    }
    const device = procLocksDevice(st.dev);
    const held = parseProcLocks(fs.readFileSync("/proc/locks", "utf8")).some((l) => l.type === "FLOCK" && l.inode === st.ino && l.device === device);
    return { file, held, holder: lockOwner(file) };
}

export interface LeftoversContext {
    /** The checkout: Pulumi.yaml, the stacks' files, results/. */
    readonly repoRoot: string;
    /** The checkout's stack files (stacks/). */
    readonly stacksDir: string;
    /** Every pulumi call's environment (experiment/pulumi-cli.ts pulumiEnv). */
    readonly env: NodeJS.ProcessEnv;
}

function pulumiJson(args: readonly string[], ctx: LeftoversContext, what: string): unknown {
    const r = spawnSync("pulumi", args, { cwd: ctx.repoRoot, env: ctx.env, encoding: "utf8", maxBuffer: 1024 * 1024 * 1024, timeout: 120_000 });
    if (r.status === 0) {
        try {
            return JSON.parse(r.stdout) as unknown;
        } catch {
            /* reported below */
        }
    }
    throw new UserError(
        `${what} (pulumi ${args.join(" ")}) failed: ${r.error ? r.error.message : (r.stderr || r.stdout).trim().slice(-1000)}. ` +
            `Nothing was listed or removed: without every stack's state nobody can tell what is owned. ` +
            `Fix: make sure pulumi runs (scripts/pulumi-toolchain.sh) with the backend the stacks were made with (PULUMI_BACKEND_URL, now ${ctx.env.PULUMI_BACKEND_URL ?? "unset"})`,
    );
}

/** The stacks the backend has, and each one's state (`pulumi stack ls`, `pulumi stack export`). @throws UserError when one cannot be read */
export function readStates(ctx: LeftoversContext): StackState[] {
    const ls = pulumiJson(["stack", "ls", "--json"], ctx, "listing the backend's stacks");
    const names = (Array.isArray(ls) ? ls : []).map((s: { name?: unknown }) => String(s.name ?? "")).filter((n) => n !== "");
    return names.map((stack) => ({ stack, exported: pulumiJson(["stack", "export", "--stack", stack], ctx, `reading stack ${stack}'s state`) }));
}

function inUseFacts(ctx: LeftoversContext, project: string): InUseFacts {
    const measureLock = measureLockFact(measureLockFile(ctx.env));
    return { processes: listProcesses(), locks: listLocks(ctx.env, project), ...(measureLock && { measureLock }) };
}

export interface Found {
    readonly plan: LeftoverPlan;
    /** Sources that could not be read (a daemon that does not answer): their leftovers are unknown. */
    readonly problems: readonly string[];
}

/**
 * What no state owns, of stack `only` or of all. The objects are listed before the states are
 * read, and what shows a run is read both before and after (experiment/leftovers-plan.ts Listings).
 * @throws UserError when a stack's state cannot be read
 */
export function findLeftovers(ctx: LeftoversContext, only?: string): Found {
    const project = projectName(ctx.repoRoot);
    const before = inUseFacts(ctx, project);
    const problems: string[] = [];
    const tryList = <T>(f: () => T[]): T[] => {
        try {
            return f();
        } catch (e) {
            problems.push((e as Error).message);
            return [];
        }
    };
    const parents = stackFolderParents();
    const containers = tryList(listContainers);
    const volumes = tryList(listVolumes);
    const domains = tryList(listDomains);
    const guestFolders = listFolders(parents.guests);
    const dataDirs = listFolders(parents.data, { files: false });
    const runtimeFolders = listFolders(parents.runtime, { pids: true, exclude: [hostRecordsDir()] });
    const states = readStates(ctx);
    const after = inUseFacts(ctx, project);
    const plan = planLeftovers(
        { containers, volumes, domains, guestFolders, dataDirs, runtimeFolders, ...after, before },
        {
            states,
            knownStacks: [...availableStacks(ctx.stacksDir), ...states.map((s) => s.stack)],
            backend: ctx.env.PULUMI_BACKEND_URL ?? "the backend",
            host: os.hostname(),
            alive: processAlive,
            self: process.pid,
            ...(only !== undefined && { only }),
            protectedPaths: [resultsRoot(ctx.repoRoot)],
        },
    );
    return { plan, problems };
}

export interface Removal {
    readonly item: Leftover;
    readonly ok: boolean;
    /** What was done, or why it could not be. */
    readonly done: string;
}

function removeDomain(name: string): string | undefined {
    const state = attempt(virshArgv(30, "domstate", name), 60);
    if (state.status === 0 && state.stdout.trim() !== "shut off") {
        const d = attempt(virshArgv(60, "destroy", name), 90);
        if (d.status !== 0 && attempt(virshArgv(30, "domstate", name), 60).stdout.trim() !== "shut off") return `virsh destroy failed: ${combinedOutput(d)}`;
    }
    const u = attempt(virshArgv(60, "undefine", "--nvram", name), 90);
    const u2 = u.status === 0 ? u : attempt(virshArgv(60, "undefine", name), 90);
    if (listDomainNames().includes(name)) return `still defined after virsh undefine: ${combinedOutput(u2)}`;
    return undefined;
}

/** Why `p` must not be removed (outside the folders isobench writes to, or holding results), if so. */
function refusedPath(p: string, ctx: LeftoversContext, item: Leftover): string | undefined {
    const parents = stackFolderParents();
    const backend = backendDir(ctx.env);
    const allowed = item.kind === "lock" ? (backend ? [backend] : []) : [parents.guests, parents.data, parents.runtime];
    if (!allowed.some((r) => isInside(p, r) && p !== r)) return `${p} is outside the folders isobench writes to (${allowed.join(", ")}); not removing it`;
    const results = resultsRoot(ctx.repoRoot);
    if (isInside(p, results) || isInside(results, p)) return `${p} holds or is in the results (${results}), which are never deleted`;
    return undefined;
}

function removeOne(item: Leftover, sigkilled: readonly number[], ctx: LeftoversContext): Removal {
    const done = (ok: boolean, text: string): Removal => ({ item, ok, done: ok ? text : `NOT removed: ${text}` });
    switch (item.kind) {
        case "server":
        case "process": {
            if (processAlive(item.pid!)) return done(false, `pid ${item.pid} still runs after SIGKILL`);
            return done(true, sigkilled.includes(item.pid!) ? "ended (SIGKILL: SIGTERM did not end it within 5 s)" : "ended (SIGTERM)");
        }
        case "lock": {
            const refused = refusedPath(item.path!, ctx, item);
            if (refused) return done(false, refused);
            const r = spawnSync("pulumi", ["cancel", "--yes", "--stack", item.stack], { cwd: ctx.repoRoot, env: ctx.env, encoding: "utf8", timeout: 120_000 });
            if (fs.existsSync(item.path!)) return done(false, `pulumi cancel failed: ${(r.error?.message ?? `${r.stdout}${r.stderr}`).trim().slice(-500)}`);
            return done(true, `cleared (${REMOVAL.lock})`);
        }
        case "container":
        case "volume": {
            const argv = item.kind === "container" ? ["docker", "rm", "-f", item.name] : ["docker", "volume", "rm", item.name];
            const r = attempt(argv, 120);
            return r.status === 0 ? done(true, `removed (${REMOVAL[item.kind]})`) : done(false, `${argv.join(" ")}: ${combinedOutput(r).slice(-500)}`);
        }
        case "domain": {
            const failed = removeDomain(item.name);
            return failed ? done(false, failed) : done(true, `removed (${REMOVAL.domain})`);
        }
        default: {
            const refused = refusedPath(item.path!, ctx, item);
            if (refused) return done(false, refused);
            fs.rmSync(item.path!, { recursive: true, force: true });
            return fs.existsSync(item.path!) ? done(false, `${item.path} is still there`) : done(true, `removed (${REMOVAL[item.kind]})`);
        }
    }
}

/** Removes each leftover in the order given (experiment/leftovers-plan.ts REMOVAL_ORDER); never throws, reports each. */
export function removeLeftovers(items: readonly Leftover[], ctx: LeftoversContext): Removal[] {
    const pids = items.flatMap((i) => (i.pid !== undefined ? [i.pid] : []));
    // One grace period for all the processes; they go before everything they may be using.
    const sigkilled = pids.length > 0 ? endProcesses(pids) : [];
    return items.map((item) => {
        try {
            return removeOne(item, sigkilled, ctx);
        } catch (e) {
            return { item, ok: false, done: `NOT removed: ${(e as Error).message}` };
        }
    });
}
