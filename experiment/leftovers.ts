/**
 * `isobench leftovers [<stack>] [--clean]`: reads what isobench made on a machine (this one, or a
 * stack's isobench:target, through its transport) and every stack's state, lets
 * experiment/leftovers-plan.ts decide what no state owns, and on request removes it. The listings
 * are shared with the test helpers (test/helpers/leftovers.ts), so the tests and the user see the
 * same things. What only the controller has (isobench's own processes, the backend's locks) is
 * read here whichever machine is searched.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { UserError } from "../core/errors";
import { guestsDir, hostRecordsDir, resultsRoot } from "../core/paths";
import { bootTimeS } from "../core/proc-stat";
import { nativeDataDir, runtimeDir } from "../environments/exec-target";
import { ISOBENCH_XMLNS } from "../environments/kvm/domain-spec";
import { Completed, combinedOutput } from "../environments/process";
import { Transport, thisMachine } from "../environments/transport";
import { lockFileOn, lockOwner } from "./measure-lock";
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

function mustList(machine: Transport, what: string, r: Completed, fix: string): string {
    if (r.error || r.status !== 0) {
        const out = (r.error ?? combinedOutput(r)).slice(-500);
        const there = machine.target.kind === "local" ? "" : ` on ${machine.label}`;
        throw new UserError(`${what}${there} failed (exit ${r.status}): ${out}${/[.?!]$/.test(out) ? "" : "."} ${fix}${there && " there"}`);
    }
    return r.stdout;
}

const docker = (machine: Transport, what: string, argv: readonly string[]) => mustList(machine, what, machine.attempt(argv, 60), DOCKERD_FIX);

/** Every container with isobench's labels read (`docker ps -a`) on `machine`. @throws UserError when dockerd does not answer */
export function listContainers(machine: Transport = thisMachine()): DockerObject[] {
    return parseDockerListing(docker(machine, "docker ps -a", ["docker", "ps", "-a", "--no-trunc", "--format", dockerFormat("Names")]));
}

/** Every volume with isobench's labels read (`docker volume ls`) on `machine`. @throws UserError when dockerd does not answer */
export function listVolumes(machine: Transport = thisMachine()): DockerObject[] {
    return parseDockerListing(docker(machine, "docker volume ls", ["docker", "volume", "ls", "--format", dockerFormat("Name")]));
}

/** Every libvirt domain's name (`virsh list --all --name`) on `machine`. @throws UserError when libvirtd does not answer */
export function listDomainNames(machine: Transport = thisMachine()): string[] {
    return mustList(machine, "virsh list --all", machine.virsh(30, ["list", "--all", "--name"]), LIBVIRT_FIX)
        .split("\n")
        .map((s) => s.trim())
        .filter((s) => s !== "");
}

/** Every domain on `machine` with what its isobench metadata says (none: not one of isobench's, or made without it). */
export function listDomains(machine: Transport = thisMachine()): DomainFact[] {
    return listDomainNames(machine).map((name) => {
        const md = machine.virsh(30, ["metadata", name, "--uri", ISOBENCH_XMLNS]);
        return md.status === 0 ? { name, ...parseDomainMetadata(md.stdout) } : { name };
    });
}

// USER_HZ: the unit of /proc/<pid>/stat's start time on every Linux architecture isobench runs on.
const CLOCK_TICKS_PER_S = 100;

/** When the process of a /proc/<pid>/stat text started (ms since the epoch), undefined when it does not run (a zombie does not). */
function startMs(stat: string | undefined, boot: number): number | undefined {
    if (stat === undefined) return undefined;
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state) of proc(5); field 22 is the start time in clock ticks since boot.
    if (fields[0] === "Z") return undefined;
    return (boot + Number(fields[19]) / CLOCK_TICKS_PER_S) * 1000;
}

/** When process `pid` of this machine started (ms since the epoch), undefined when it does not run (a zombie does not). */
export function processStartMs(pid: number, boot = bootTimeS(fs.readFileSync("/proc/stat", "utf8"))): number | undefined {
    try {
        return startMs(fs.readFileSync(`/proc/${pid}/stat`, "utf8"), boot);
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

/**
 * Lists the per-stack folders of "$1" (real folders, not symbolic links, none of "$4…"): `D name`,
 * then, when "$2" is 1, `F name` per file and, when "$3" is 1, `P <mtime> <content>` after each
 * `*.pid` file.
 */
const LIST_FOLDERS_SCRIPT = `parent=$1 files=$2 pids=$3; shift 3
[ -d "$parent" ] || exit 0
for d in "$parent"/* "$parent"/.[!.]* "$parent"/..?*; do
  { [ -d "$d" ] && [ ! -L "$d" ]; } || continue
  skip=; for x; do [ "$d" = "$x" ] && skip=1; done; [ -z "$skip" ] || continue
  printf 'D %s\\n' "\${d##*/}"
  [ "$files" = 1 ] || continue
  ls -A1 -- "$d" | while IFS= read -r f; do
    printf 'F %s\\n' "$f"
    case $f in *.pid) if [ "$pids" = 1 ] && [ -f "$d/$f" ]; then printf 'P %s %s\\n' "$(stat -c %.3Y -- "$d/$f")" "$(head -c 32 -- "$d/$f" | tr -d '\\n ')"; fi;; esac
  done
done`;

/**
 * The per-stack folders under `parent` (`<parent>/<stack>`, real folders only: a symbolic link
 * is never followed) with their files; `*.pid` files are read when `pids`, and no files are listed
 * when `files` is false (a data folder may hold millions).
 */
export function listFolders(
    parent: string,
    opts: { readonly files?: boolean; readonly pids?: boolean; readonly exclude?: readonly string[] } = {},
    machine: Transport = thisMachine(),
): Folder[] {
    const flag = (b: boolean) => (b ? "1" : "0");
    const argv = ["/bin/sh", "-c", LIST_FOLDERS_SCRIPT, "sh", parent, flag(opts.files !== false), flag(opts.pids === true), ...(opts.exclude ?? [])];
    const out = mustList(machine, `listing ${parent}`, machine.attempt(argv, 60), "Fix: check that the folder is readable");
    const folders: Array<{ name: string; files: Array<{ name: string; pidText?: string; writtenMs?: number }> }> = [];
    for (const line of out.split("\n")) {
        const [kind, rest] = [line.slice(0, 1), line.slice(2)];
        const folder = folders[folders.length - 1];
        if (kind === "D") folders.push({ name: rest, files: [] });
        else if (kind === "F" && folder) folder.files.push({ name: rest });
        else if (kind === "P" && folder?.files.length) {
            const [mtime, text = ""] = rest.split(" ");
            Object.assign(folder.files[folder.files.length - 1], { pidText: text, writtenMs: Number(mtime) * 1000 });
        }
    }
    // The processes the PID files name, read on the machine in one round trip.
    const pids = [...new Set(folders.flatMap((f) => f.files.flatMap((x) => (x.pidText && /^[1-9]\d*$/.test(x.pidText) ? [Number(x.pidText)] : []))))];
    const proc =
        pids.length > 0 ? machine.readFiles(["/proc/stat", ...pids.flatMap((p) => [`/proc/${p}/stat`, `/proc/${p}/cmdline`])]) : new Map<string, string>();
    const boot = bootTimeS(proc.get("/proc/stat") ?? "");
    const pidFact = (text: string | undefined, writtenMs: number | undefined): Pick<FolderFile, "pid"> => {
        if (text === undefined || !/^[1-9]\d*$/.test(text)) return {};
        const pid = Number(text);
        const startedMs = startMs(proc.get(`/proc/${pid}/stat`), boot);
        const argvText = proc.get(`/proc/${pid}/cmdline`) ?? "";
        return {
            pid: {
                pid,
                writtenMs: writtenMs ?? 0,
                ...(startedMs !== undefined && { startedMs, command: shortCommand(argvText.split("\0").slice(0, -1)) }),
            },
        };
    };
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    return folders.sort(byName).map((f) => ({
        name: f.name,
        path: path.join(parent, f.name),
        files: f.files.sort(byName).map((x) => ({ name: x.name, ...pidFact(x.pidText, x.writtenMs) })),
    }));
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

/**
 * Whether a process holds `machine`'s measurement lock (read from /proc/locks there: nothing is
 * locked to find out), and who last did.
 */
export function measureLockFact(file: string, machine: Transport = thisMachine()): MeasureLockFact | undefined {
    const st = machine.attempt(["stat", "-c", "%d %i", "--", file], 30);
    const m = st.status === 0 ? /^(\d+) (\d+)$/.exec(st.stdout.trim()) : null;
    if (!m) return undefined;
    const [dev, ino] = [Number(m[1]), Number(m[2])];
    const device = procLocksDevice(dev);
    const locks = machine.readFiles(["/proc/locks"]).get("/proc/locks") ?? "";
    const held = parseProcLocks(locks).some((l) => l.type === "FLOCK" && l.inode === ino && l.device === device);
    return { file, held, holder: lockOwner(file, machine) };
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

/** What shows a run: this controller's processes and backend locks, and the searched machine's measurement lock. */
function inUseFacts(ctx: LeftoversContext, project: string, machine: Transport): InUseFacts {
    const measureLock = measureLockFact(lockFileOn(machine, ctx.env), machine);
    return { processes: listProcesses(), locks: listLocks(ctx.env, project), ...(measureLock && { measureLock }) };
}

export interface Found {
    readonly plan: LeftoverPlan;
    /** Sources that could not be read (a daemon that does not answer): their leftovers are unknown. */
    readonly problems: readonly string[];
}

/**
 * What no state owns on `machine`, of stack `only` or of all. The objects are listed before the
 * states are read, and what shows a run is read both before and after (experiment/leftovers-plan.ts
 * Listings). On a remote target only what lives there is reported: the controller's own processes
 * and locks are the search of this machine's.
 * @throws UserError when a stack's state cannot be read
 */
export function findLeftovers(ctx: LeftoversContext, only?: string, machine: Transport = thisMachine()): Found {
    const project = projectName(ctx.repoRoot);
    const before = inUseFacts(ctx, project, machine);
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
    const containers = tryList(() => listContainers(machine));
    const volumes = tryList(() => listVolumes(machine));
    const domains = tryList(() => listDomains(machine));
    const guestFolders = listFolders(parents.guests, {}, machine);
    const dataDirs = listFolders(parents.data, { files: false }, machine);
    const runtimeFolders = listFolders(parents.runtime, { pids: true, exclude: [hostRecordsDir()] }, machine);
    const states = readStates(ctx);
    const after = inUseFacts(ctx, project, machine);
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
    if (machine.target.kind === "local") return { plan, problems };
    return { plan: { ...plan, leftovers: plan.leftovers.filter((l) => l.kind !== "process" && l.kind !== "lock") }, problems };
}

export interface Removal {
    readonly item: Leftover;
    readonly ok: boolean;
    /** What was done, or why it could not be. */
    readonly done: string;
}

function removeDomain(machine: Transport, name: string): string | undefined {
    const state = machine.virsh(30, ["domstate", name]);
    if (state.status === 0 && state.stdout.trim() !== "shut off") {
        const d = machine.virsh(60, ["destroy", name]);
        if (d.status !== 0 && machine.virsh(30, ["domstate", name]).stdout.trim() !== "shut off") return `virsh destroy failed: ${combinedOutput(d)}`;
    }
    const u = machine.virsh(60, ["undefine", "--nvram", name]);
    const u2 = u.status === 0 ? u : machine.virsh(60, ["undefine", name]);
    if (listDomainNames(machine).includes(name)) return `still defined after virsh undefine: ${combinedOutput(u2)}`;
    return undefined;
}

/**
 * SIGTERM to the servers' pids on `machine`, up to 5 s for them to end, then SIGKILL; prints the
 * pids that needed SIGKILL, then `alive <pid>` for any still running.
 */
const END_SERVERS_SCRIPT = `running() { kill -0 "$1" 2>/dev/null && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
for p; do kill "$p" 2>/dev/null; done
i=0; while [ $i -lt 50 ]; do left=; for p; do running "$p" && left=1; done; [ -n "$left" ] || break; sleep 0.1; i=$((i+1)); done
for p; do if running "$p"; then kill -9 "$p" 2>/dev/null; echo "$p"; fi; done
sleep 0.2; for p; do running "$p" && echo "alive $p"; done; true`;

/** Ends the servers on `machine`: which needed SIGKILL and which still run. */
function endServers(machine: Transport, pids: readonly number[]): { readonly sigkilled: number[]; readonly alive: number[] } {
    if (pids.length === 0) return { sigkilled: [], alive: [] };
    const r = machine.attempt(["/bin/sh", "-c", END_SERVERS_SCRIPT, "sh", ...pids.map(String)], 60);
    const lines = r.stdout.split("\n");
    return {
        sigkilled: lines.filter((l) => /^\d+$/.test(l)).map(Number),
        alive: r.error || r.status !== 0 ? [...pids] : lines.flatMap((l) => (/^alive \d+$/.test(l) ? [Number(l.slice(6))] : [])),
    };
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

function removeOne(
    item: Leftover,
    ended: { readonly sigkilled: readonly number[]; readonly alive: readonly number[] },
    ctx: LeftoversContext,
    machine: Transport,
): Removal {
    const done = (ok: boolean, text: string): Removal => ({ item, ok, done: ok ? text : `NOT removed: ${text}` });
    switch (item.kind) {
        case "server":
        case "process": {
            if (ended.alive.includes(item.pid!)) return done(false, `pid ${item.pid} still runs after SIGKILL`);
            return done(true, ended.sigkilled.includes(item.pid!) ? "ended (SIGKILL: SIGTERM did not end it within 5 s)" : "ended (SIGTERM)");
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
            const r = machine.attempt(argv, 120);
            return r.status === 0
                ? done(true, `removed (${REMOVAL[item.kind]})`)
                : done(false, `${argv.join(" ")}: ${r.error ?? combinedOutput(r).slice(-500)}`);
        }
        case "domain": {
            const failed = removeDomain(machine, item.name);
            return failed ? done(false, failed) : done(true, `removed (${REMOVAL.domain})`);
        }
        default: {
            const refused = refusedPath(item.path!, ctx, item);
            if (refused) return done(false, refused);
            const r = machine.attempt(["/bin/sh", "-c", 'rm -rf -- "$1"; [ ! -e "$1" ] && [ ! -L "$1" ]', "sh", item.path!], 120);
            return r.status === 0 ? done(true, `removed (${REMOVAL[item.kind]})`) : done(false, `${item.path} is still there${r.error ? ` (${r.error})` : ""}`);
        }
    }
}

/**
 * Removes each leftover on `machine` (what findLeftovers found there) in the order given
 * (experiment/leftovers-plan.ts REMOVAL_ORDER); never throws, reports each.
 */
export function removeLeftovers(items: readonly Leftover[], ctx: LeftoversContext, machine: Transport = thisMachine()): Removal[] {
    // One grace period for all the processes; they go before everything they may be using. A
    // server lives on the machine its cell ran on; an orphaned isobench process on this controller.
    const pidsOf = (kind: Leftover["kind"]) => items.flatMap((i) => (i.kind === kind && i.pid !== undefined ? [i.pid] : []));
    const servers = endServers(machine, pidsOf("server"));
    const processes = pidsOf("process");
    const sigkilled = [...servers.sigkilled, ...(processes.length > 0 ? endProcesses(processes) : [])];
    const ended = { sigkilled, alive: [...servers.alive, ...processes.filter(processAlive)] };
    return items.map((item) => {
        try {
            return removeOne(item, ended, ctx, machine);
        } catch (e) {
            return { item, ok: false, done: `NOT removed: ${(e as Error).message}` };
        }
    });
}
