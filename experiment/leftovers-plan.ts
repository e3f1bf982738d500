/**
 * What isobench made on this host that no stack's Pulumi state owns (`isobench leftovers`),
 * decided from what was read: Docker's and libvirt's listings, the folders isobench writes to, the
 * processes and locks of killed runs, and every stack's exported state. Pure: reading and removing
 * are experiment/leftovers.ts.
 *
 * Ownership is a fact of the states: a thing is owned when some stack's state names it (its
 * create or delete script, a domain's XML, a provider's outputs). That isobench made it is a fact
 * of its labels (containers, volumes: isobench.managed, isobench.clone-of), its libvirt metadata
 * (domains) or where it lies (the guests folder, the native data folder, the runtime folder, a
 * process's ISOBENCH_RUN_OWNER mark). The `isobench-<stack>-` name prefix only attributes a domain
 * that carries no metadata. Nothing of a stack that is in use now (measuring, locked by a live
 * pulumi, a cell running) is judged: what a running `up` is making is not yet in its state.
 */
import { lockDecision, StackLock } from "./recovery";

export type LeftoverKind =
    "server" | "process" | "lock" | "container" | "volume" | "domain" | "guest-file" | "guest-dir" | "runtime-file" | "runtime-dir" | "data-dir";

/**
 * The order things are listed and removed in: processes first (a server may hold a container's
 * port, a plugin the lock's promise), then the lock, containers before their volumes, domains
 * before their disks, files before their folders.
 */
export const REMOVAL_ORDER: readonly LeftoverKind[] = [
    "server",
    "process",
    "lock",
    "container",
    "volume",
    "domain",
    "guest-file",
    "guest-dir",
    "runtime-file",
    "runtime-dir",
    "data-dir",
];

export interface Leftover {
    readonly kind: LeftoverKind;
    /** A container's, volume's or domain's name; a file's path; `pid <n> (<command>)`; a lock file. */
    readonly name: string;
    /** The stack it was made for; "?" when nothing says. */
    readonly stack: string;
    /** Why it is a leftover: the facts that say isobench made it and that no state owns it. */
    readonly why: string;
    /** The process to end (server, process). */
    readonly pid?: number;
    /** The file or folder to remove (guest-*, runtime-*, data-dir, lock). */
    readonly path?: string;
}

/** The labels isobench puts on containers and volumes (environments/container-spec.ts, clone.ts). */
export const LABELS = {
    managed: "isobench.managed",
    stack: "isobench.stack",
    environment: "isobench.environment",
    cloneOf: "isobench.clone-of",
} as const;

/** The --format of `docker ps -a` (nameField Names) and `docker volume ls` (Name) that parseDockerListing reads. */
export function dockerFormat(nameField: "Names" | "Name"): string {
    return [`{{.${nameField}}}`, ...Object.values(LABELS).map((l) => `{{.Label "${l}"}}`)].join("\t");
}

/** A container or volume with isobench's labels (empty labels left out). */
export interface DockerObject {
    readonly name: string;
    readonly managed: boolean;
    readonly stack?: string;
    readonly environment?: string;
    readonly cloneOf?: string;
}

/** The lines `docker ps -a` / `docker volume ls` print with {@link dockerFormat}. */
export function parseDockerListing(text: string): DockerObject[] {
    return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((line) => {
            const [name, managed, stack, environment, cloneOf] = line.split("\t").map((f) => f.trim());
            return {
                name,
                managed: managed === "true",
                ...(stack && { stack }),
                ...(environment && { environment }),
                ...(cloneOf && { cloneOf }),
            };
        });
}

/** A libvirt domain and what its isobench metadata says (environments/kvm/domain-xml.ts), if it has any. */
export interface DomainFact {
    readonly name: string;
    readonly stack?: string;
    readonly environment?: string;
}

const unescapeXml = (s: string) =>
    s
        .replace(/&apos;/g, "'")
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&");

/** stack and environment of the element `virsh metadata <domain> --uri <ISOBENCH_XMLNS>` prints. */
export function parseDomainMetadata(xml: string): { stack?: string; environment?: string } {
    const env = /<(?:\w+:)?env\b([^>]*)>/.exec(xml)?.[1] ?? "";
    const attr = (name: string) => {
        const m = new RegExp(`\\b${name}=(?:"([^"]*)"|'([^']*)')`).exec(env);
        return m ? unescapeXml(m[1] ?? m[2]) : undefined;
    };
    const stack = attr("stack");
    const environment = attr("environment");
    return { ...(stack !== undefined && { stack }), ...(environment !== undefined && { environment }) };
}

/** What a PID file says, and what runs under that pid now. */
export interface PidFact {
    readonly pid: number;
    /** When the file was last written (ms since the epoch). */
    readonly writtenMs: number;
    /** When the process with that pid started (ms since the epoch); absent when none runs. */
    readonly startedMs?: number;
    readonly command?: string;
}

/**
 * Whether the process a PID file names still runs. A pid is reused once its process is gone, so a
 * process that started after the file was written (`cmd & echo $! >file`: the process comes
 * first) is another one. Start times are known to the clock tick and boot time to the second.
 */
export function pidFileProcessRuns(p: PidFact, slackMs = 2000): boolean {
    return p.startedMs !== undefined && p.startedMs <= p.writtenMs + slackMs;
}

export interface FolderFile {
    readonly name: string;
    /** For `*.pid` files that hold a number. */
    readonly pid?: PidFact;
}

/** A per-stack folder (`<parent>/<stack>`) and the files in it. */
export interface Folder {
    /** The folder's name: the stack's. */
    readonly name: string;
    readonly path: string;
    readonly files: readonly FolderFile[];
}

/** A process, with the ISOBENCH_RUN_OWNER mark of the `isobench up` that started it, if any. */
export interface ProcessFact {
    readonly pid: number;
    readonly argv: readonly string[];
    readonly owner?: string;
}

/** The isobench pid of an owner mark `<pid>@<backend URL>` (recovery.ts runOwner). */
export function ownerPid(owner: string): number {
    return Number(owner.slice(0, owner.indexOf("@")));
}

/** The backend URL of an owner mark. */
export function ownerBackend(owner: string): string {
    return owner.slice(owner.indexOf("@") + 1);
}

/**
 * The stack a process works for, when its command line says: `pulumi … --stack <s>` (also the
 * Pulumi program's own process), `isobench up|destroy|recover <s>`, or a cell (`isobench run-cell
 * <base64 JSON with the stack>`, also as the `sh -c` that the command resource runs).
 */
export function processStack(argv: readonly string[]): string | undefined {
    const at = argv.indexOf("--stack");
    if (at >= 0 && argv[at + 1]) return argv[at + 1];
    for (let i = 0; i + 2 < argv.length; i++) {
        if (/(^|\/)(isobench|cli\.js)'?$/.test(argv[i]) && ["up", "destroy", "recover"].includes(argv[i + 1])) return argv[i + 2];
    }
    const cell = /(?:^|[\s/'])(?:isobench|cli\.js)'?\s+run-cell\s+([A-Za-z0-9+/=]+)/.exec(argv.join(" "));
    if (cell) {
        try {
            const stack = (JSON.parse(Buffer.from(cell[1], "base64").toString("utf8")) as { stack?: unknown }).stack;
            if (typeof stack === "string") return stack;
        } catch {
            /* not a cell's argument */
        }
    }
    return undefined;
}

/** A command line shortened for one output line. */
export function shortCommand(argv: readonly string[], max = 60): string {
    const s = argv.join(" ").replace(/\s+/g, " ").trim();
    return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export interface LockFact {
    readonly stack: string;
    readonly lock: StackLock;
}

/** The host's measurement lock (experiment/measure-lock.ts): whether a process holds it, and what its file says. */
export interface MeasureLockFact {
    readonly file: string;
    readonly held: boolean;
    /** "stack <s>, isobench pid <p>, since <t>" as the last holder wrote it ("" when none did). */
    readonly holder: string;
}

/** Stack and isobench pid from the measurement lock's text. */
export function measureLockHolder(text: string): { stack: string; pid: number } | undefined {
    const m = /^stack (\S+), isobench pid (\d+)/.exec(text.trim());
    return m ? { stack: m[1].replace(/,$/, ""), pid: Number(m[2]) } : undefined;
}

/** One line of /proc/locks: the lock type, its holder and the locked file's device and inode. */
export interface ProcLock {
    readonly type: string;
    readonly pid: number;
    /** "maj:min" in hex, as /proc/locks writes it. */
    readonly device: string;
    readonly inode: number;
}

export function parseProcLocks(text: string): ProcLock[] {
    const out: ProcLock[] = [];
    for (const line of text.split("\n")) {
        // "9: FLOCK  ADVISORY  WRITE 29732 fe:00:9805825 0 EOF" (a blocked waiter's line has "->" after the number)
        const m = /^\d+:\s+(?:->\s+)?(\S+)\s+\S+\s+\S+\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
        if (m && !line.includes("->")) out.push({ type: m[1], pid: Number(m[2]), device: `${m[3]}:${m[4]}`, inode: Number(m[5]) });
    }
    return out;
}

/** "maj:min" of a stat() device number as /proc/locks prints it. */
export function procLocksDevice(dev: number): string {
    const major = (dev >> 8) & 0xfff;
    const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    return `${major.toString(16).padStart(2, "0")}:${minor.toString(16).padStart(2, "0")}`;
}

/** One stack's state as `pulumi stack export` wrote it (secrets not shown). */
export interface StackState {
    readonly stack: string;
    readonly exported: unknown;
}

/** Every word and path the states name, and which stacks have a state. */
export interface Ownership {
    readonly tokens: ReadonlySet<string>;
    readonly stacks: ReadonlySet<string>;
}

/**
 * Splits text into the words and paths it names: shell scripts quote them ('isobench-x-docker-nat'),
 * filters wrap them (name=^/?isobench-x$), XML encloses them (<name>…</name>, file='/…'), `-v`
 * joins a volume to its mount point with ":". Trailing slashes are dropped.
 */
export function tokensOf(text: string): string[] {
    return text
        .split(/[\s'"`;&|<>(){}[\]\\$^?*!#=,:]+/)
        .map((t) => t.replace(/\/+$/, ""))
        .filter((t) => t !== "");
}

/** Every string under `v`, except the serialized provider code of dynamic resources. */
function stringsOf(v: unknown, out: string[]): void {
    if (typeof v === "string") out.push(v);
    else if (Array.isArray(v)) for (const x of v) stringsOf(x, out);
    else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) if (k !== "__provider") stringsOf(x, out);
}

/** What the states name: each resource's inputs and outputs, pending operations included (recover removes those). */
export function ownership(states: readonly StackState[]): Ownership {
    const tokens = new Set<string>();
    const stacks = new Set<string>();
    for (const s of states) {
        stacks.add(s.stack);
        const deployment = (s.exported as { deployment?: { resources?: unknown[]; pending_operations?: Array<{ resource?: unknown }> } })?.deployment;
        const strings: string[] = [];
        for (const r of deployment?.resources ?? []) {
            const { inputs, outputs } = (r ?? {}) as { inputs?: unknown; outputs?: unknown };
            stringsOf(inputs, strings);
            stringsOf(outputs, strings);
        }
        for (const op of deployment?.pending_operations ?? []) {
            const { inputs, outputs } = (op?.resource ?? {}) as { inputs?: unknown; outputs?: unknown };
            stringsOf(inputs, strings);
            stringsOf(outputs, strings);
        }
        for (const str of strings) for (const t of tokensOf(str)) tokens.add(t);
    }
    return { tokens, stacks };
}

/** Whether `p` is `root` or inside it (both absolute, normalised). */
export function isInside(p: string, root: string): boolean {
    const r = root.replace(/\/+$/, "");
    return p === r || p.startsWith(`${r}/`);
}

export interface Listings {
    /** `docker ps -a` */
    readonly containers: readonly DockerObject[];
    /** `docker volume ls` */
    readonly volumes: readonly DockerObject[];
    readonly domains: readonly DomainFact[];
    /** `<guests folder>/<stack>` (core/paths.ts guestsDir): disks, domain XML, serial logs, known_hosts. */
    readonly guestFolders: readonly Folder[];
    /** `/var/tmp/isobench-data/<stack>` (environments/exec-target.ts nativeDataDir). */
    readonly dataDirs: readonly Folder[];
    /** `/run/isobench/<stack>` (runtimeDir): PID files, server logs, password files of running cells. */
    readonly runtimeFolders: readonly Folder[];
    /** Every process of the host. */
    readonly processes: readonly ProcessFact[];
    /** The file backend's stack locks. */
    readonly locks: readonly LockFact[];
    readonly measureLock?: MeasureLockFact;
    /**
     * The same facts read before everything else: a run that was going on at either time is in
     * use (one that started after the first read has every object it made named in its state,
     * which is read after the objects are listed).
     */
    readonly before?: InUseFacts;
}

/** What shows that a stack is in use: its processes, its lock, the host's measurement lock. */
export type InUseFacts = Pick<Listings, "processes" | "locks" | "measureLock">;

export interface Facts {
    /** The state of every stack the backend has. */
    readonly states: readonly StackState[];
    /** Stack files and the backend's stacks: the names a domain's prefix may stand for. */
    readonly knownStacks: readonly string[];
    /** The backend, for messages. */
    readonly backend: string;
    readonly host: string;
    readonly alive: (pid: number) => boolean;
    /** This process (never a leftover of itself). */
    readonly self: number;
    /** Only this stack's leftovers; all stacks' when undefined. */
    readonly only?: string;
    /** Never listed, whatever else holds: the results (evidence, never deleted). */
    readonly protectedPaths: readonly string[];
}

export interface LeftoverPlan {
    /** In {@link REMOVAL_ORDER}. */
    readonly leftovers: readonly Leftover[];
    /** What was not judged, and why (stacks in use, locks of other hosts). */
    readonly notes: readonly string[];
}

/** The stack whose `isobench-<stack>-` prefix `name` has; the longest when several fit. */
export function stackOfName(name: string, stacks: Iterable<string>): string | undefined {
    let best: string | undefined;
    for (const s of stacks) if (name.startsWith(`isobench-${s}-`) && (best === undefined || s.length > best.length)) best = s;
    return best;
}

/** Stacks in use at either reading, and what showed it. */
function stacksInUse(l: Listings, f: Facts): Map<string, string> {
    const busy = new Map<string, string>();
    const mark = (stack: string, why: string) => busy.has(stack) || busy.set(stack, why);
    for (const u of [l, ...(l.before ? [l.before] : [])]) {
        const holder = u.measureLock && measureLockHolder(u.measureLock.holder);
        if (u.measureLock?.held && holder) mark(holder.stack, `it holds the host's measurement lock (${u.measureLock.holder})`);
        for (const { stack, lock } of u.locks) {
            if (lock.hostname === f.host && f.alive(lock.pid)) mark(stack, `pulumi pid ${lock.pid} holds its lock since ${lock.timestamp}`);
        }
        for (const p of u.processes) {
            // A process whose isobench is gone is a leftover, not a sign of a run.
            if (p.pid === f.self || (p.owner && !f.alive(ownerPid(p.owner)))) continue;
            const stack = processStack(p.argv);
            if (stack !== undefined) mark(stack, `pid ${p.pid} runs for it (${shortCommand(p.argv, 50)})`);
        }
    }
    return busy;
}

/**
 * What no state owns, of the stack `f.only` or of every stack, in {@link REMOVAL_ORDER}.
 * @returns the leftovers and notes on what was not judged
 */
export function planLeftovers(l: Listings, f: Facts): LeftoverPlan {
    const owned = ownership(f.states);
    const owns = (nameOrPath: string) => owned.tokens.has(nameOrPath.replace(/\/+$/, ""));
    const busy = stacksInUse(l, f);
    const inScope = (stack: string) => f.only === undefined || stack === f.only;
    const judged = (stack: string) => inScope(stack) && !busy.has(stack);
    const candidates = new Set([...f.knownStacks, ...owned.stacks, ...(f.only !== undefined ? [f.only] : [])]);
    for (const c of l.containers) if (c.stack) candidates.add(c.stack);
    const noState = (stack: string) =>
        `no stack's state names it${owned.stacks.has(stack) || stack === "?" ? "" : ` (stack ${stack} has no state in ${f.backend})`}`;
    const protectedPath = (p: string) => f.protectedPaths.some((r) => isInside(p, r) || isInside(r, p));
    const out: Leftover[] = [];
    const notes: string[] = [];

    // Processes: servers named by a PID file of a stack no cell of which runs, and plugins whose isobench is gone.
    const servers = new Set<number>();
    for (const folder of l.runtimeFolders) {
        if (!judged(folder.name)) continue;
        for (const file of folder.files) {
            if (file.pid && pidFileProcessRuns(file.pid) && file.pid.pid !== f.self) {
                servers.add(file.pid.pid);
                out.push({
                    kind: "server",
                    name: `pid ${file.pid.pid} (${file.pid.command ?? "?"})`,
                    stack: folder.name,
                    why: `${folder.path}/${file.name} names it and no cell of stack ${folder.name} runs: a server a killed cell left`,
                    pid: file.pid.pid,
                });
            }
        }
    }
    const lastHolder = l.measureLock && measureLockHolder(l.measureLock.holder);
    const orphans = l.processes.filter((p) => p.owner && p.pid !== f.self && !servers.has(p.pid) && !f.alive(ownerPid(p.owner)));
    const groupStack = new Map<string, string>();
    for (const p of orphans) {
        const s = processStack(p.argv);
        if (s !== undefined && !groupStack.has(p.owner!)) groupStack.set(p.owner!, s);
    }
    for (const p of orphans) {
        const owner = p.owner!;
        const stack = groupStack.get(owner) ?? (lastHolder && lastHolder.pid === ownerPid(owner) ? lastHolder.stack : "?");
        if (!judged(stack)) continue;
        out.push({
            kind: "process",
            name: `pid ${p.pid} (${shortCommand(p.argv)})`,
            stack,
            why: `marked ${owner} by the isobench up that started it (pid ${ownerPid(owner)}), which is gone`,
            pid: p.pid,
        });
    }

    for (const { stack, lock } of l.locks) {
        if (!inScope(stack)) continue;
        if (lock.hostname !== f.host) {
            notes.push(`stack ${stack} is locked by pulumi pid ${lock.pid} on host ${lock.hostname} (${lock.file}): whether it runs cannot be told from here`);
            continue;
        }
        if (busy.has(stack)) continue;
        const d = lockDecision(lock, stack, f.host, f.alive);
        if (d.action === "clear") out.push({ kind: "lock", name: lock.file, stack, why: `a stale lock: ${d.why}`, path: lock.file });
    }

    const docker = (kind: "container" | "volume", objects: readonly DockerObject[]) => {
        for (const o of objects) {
            if (!o.managed && !o.cloneOf) continue;
            const stack = o.stack ?? stackOfName(o.cloneOf ?? o.name, candidates) ?? "?";
            if (!judged(stack) || owns(o.name)) continue;
            const made = o.cloneOf
                ? `labelled ${LABELS.cloneOf}=${o.cloneOf}: a clone, which lives only while its cell runs`
                : `labelled ${LABELS.managed}=true${o.stack ? `, ${LABELS.stack}=${o.stack}` : ""}`;
            out.push({ kind, name: o.name, stack, why: `${made}; ${noState(stack)}` });
        }
    };
    docker("container", l.containers);
    docker("volume", l.volumes);

    for (const d of l.domains) {
        if (d.stack === undefined && !d.name.startsWith("isobench-")) continue;
        const stack = d.stack ?? stackOfName(d.name, candidates) ?? "?";
        if (!judged(stack) || owns(d.name)) continue;
        const made = d.stack !== undefined ? `its isobench metadata names stack ${d.stack}` : `named isobench-… (no isobench metadata)`;
        out.push({ kind: "domain", name: d.name, stack, why: `${made}; ${noState(stack)}` });
    }

    for (const g of l.guestFolders) {
        if (!judged(g.name) || protectedPath(g.path)) continue;
        if (!owns(g.path)) {
            const files = g.files.map((x) => x.name);
            const shown = files.length > 4 ? `${files.slice(0, 4).join(", ")}, …` : files.join(", ");
            out.push({
                kind: "guest-dir",
                name: g.path,
                stack: g.name,
                why: `stack ${g.name}'s guest folder (${files.length} file(s)${files.length ? `: ${shown}` : ""}); ${noState(g.name)}`,
                path: g.path,
            });
            continue;
        }
        for (const file of g.files) {
            const p = `${g.path}/${file.name}`;
            // The folder's known_hosts serves every guest in it; the folder is owned, so it is too.
            if (file.name === "known_hosts" || owns(p)) continue;
            const clone = /-c[1-9][0-9]*\.[^/]+$/.test(file.name) ? "a clone's file, which lives only while its cell runs; " : "";
            out.push({ kind: "guest-file", name: p, stack: g.name, why: `${clone}${noState(g.name)}`, path: p });
        }
    }

    for (const r of l.runtimeFolders) {
        if (!judged(r.name) || protectedPath(r.path)) continue;
        for (const file of r.files) {
            const p = `${r.path}/${file.name}`;
            const what = file.pid
                ? pidFileProcessRuns(file.pid)
                    ? `PID file of the server above`
                    : `PID file of pid ${file.pid.pid}, which no longer runs`
                : /\.server\.log$/.test(file.name)
                  ? "a server's log"
                  : /\.password$/.test(file.name)
                    ? "a password file"
                    : "a cell's runtime file";
            out.push({ kind: "runtime-file", name: p, stack: r.name, why: `${what}; no cell of stack ${r.name} runs (a cell removes its own)`, path: p });
        }
        out.push({
            kind: "runtime-dir",
            name: r.path,
            stack: r.name,
            why: `stack ${r.name}'s runtime folder; no cell of it runs (the last cell removes it)`,
            path: r.path,
        });
    }

    for (const d of l.dataDirs) {
        if (!judged(d.name) || protectedPath(d.path) || owns(d.path)) continue;
        out.push({ kind: "data-dir", name: d.path, stack: d.name, why: `stack ${d.name}'s native data folder; ${noState(d.name)}`, path: d.path });
    }

    for (const [stack, why] of busy) {
        if (inScope(stack)) notes.push(`stack ${stack} is in use now (${why}): nothing of it is judged until that ends`);
    }
    // Array.prototype.sort is stable: within a kind, the order they were found in.
    return { leftovers: out.sort((a, b) => REMOVAL_ORDER.indexOf(a.kind) - REMOVAL_ORDER.indexOf(b.kind)), notes };
}

/** How each kind is removed, as the output says it. */
export const REMOVAL: Readonly<Record<LeftoverKind, string>> = {
    server: "SIGTERM, SIGKILL after 5 s",
    process: "SIGTERM, SIGKILL after 5 s",
    lock: "pulumi cancel",
    container: "docker rm -f",
    volume: "docker volume rm",
    domain: "virsh destroy, undefine --nvram",
    "guest-file": "rm",
    "guest-dir": "rm -r",
    "runtime-file": "rm",
    "runtime-dir": "rm -r",
    "data-dir": "rm -r",
};

/**
 * One line per leftover (kind, name, stack, why; and what was done, for --clean), columns aligned;
 * a name longer than `maxNameWidth` (a lock file's path) pushes its own line only.
 */
export function formatLeftovers(rows: ReadonlyArray<{ readonly item: Leftover; readonly done?: string }>, maxNameWidth = 64): string[] {
    const width = (f: (r: (typeof rows)[number]) => string) => Math.max(0, ...rows.map((r) => f(r).length));
    const kw = width((r) => r.item.kind);
    const nw = Math.min(
        maxNameWidth,
        width((r) => r.item.name),
    );
    const sw = width((r) => `stack ${r.item.stack}`);
    return rows.map(({ item, done }) =>
        [item.kind.padEnd(kw), item.name.padEnd(nw), `stack ${item.stack}`.padEnd(sw), item.why, ...(done !== undefined ? [`-> ${done}`] : [])]
            .join("  ")
            .trimEnd(),
    );
}
