/**
 * Applies declared host settings and restores them (the I/O half of environments/host-settings.ts):
 * reads the snapshot, writes the record of previous values BEFORE changing anything, runs the
 * actions, checks the result; restore runs the record's undo actions and removes the record.
 * `root` prefixes every path read or written, so tests can work on a fake /sys.
 */
import * as fs from "fs";
import * as path from "path";
import { mustRun } from "./process";
import {
    CPUFREQ_BOOST_PATH,
    DeclaredSettings,
    HostAction,
    HostChange,
    HostRecord,
    HostSnapshot,
    NO_TURBO_PATH,
    THP_PATH,
    conflicts,
    mergeRecord,
    planHostSettings,
    restoreActions,
} from "./host-settings";
import { UserError } from "../core/errors";
import { writeFileAtomic } from "../core/files";

export interface HostIo {
    /** Prefix of every host path ("" = the real host). */
    readonly root: string;
    /** Directory of the records (experiment/paths.ts hostRecordsDir). */
    readonly recordsDir: string;
    /** Runs swapon/swapoff (tests replace it). */
    readonly run?: (argv: readonly string[]) => void;
}

function read(io: HostIo, p: string): string | undefined {
    try {
        return fs.readFileSync(io.root + p, "utf8").trim();
    } catch {
        return undefined;
    }
}

function writable(io: HostIo, p: string): boolean {
    try {
        fs.accessSync(io.root + p, fs.constants.W_OK);
        return true;
    } catch {
        return false;
    }
}

export function readHostSnapshot(io: HostIo): HostSnapshot {
    const cpuDir = "/sys/devices/system/cpu";
    const cpus = (() => {
        try {
            return fs
                .readdirSync(io.root + cpuDir)
                .filter((d) => /^cpu\d+$/.test(d))
                .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)));
        } catch {
            return [];
        }
    })();
    const governors = cpus.flatMap((c) => {
        const p = `${cpuDir}/${c}/cpufreq/scaling_governor`;
        const value = read(io, p);
        return value === undefined ? [] : [{ path: p, value, available: read(io, `${cpuDir}/${c}/cpufreq/scaling_available_governors`) ?? "" }];
    });
    const boostValue = read(io, CPUFREQ_BOOST_PATH);
    const noTurbo = read(io, NO_TURBO_PATH);
    const boost =
        boostValue !== undefined
            ? { path: CPUFREQ_BOOST_PATH, kind: "cpufreq-boost" as const, value: boostValue }
            : noTurbo !== undefined
              ? { path: NO_TURBO_PATH, kind: "no-turbo" as const, value: noTurbo }
              : undefined;
    const candidates = [THP_PATH, ...governors.map((g) => g.path), ...(boost ? [boost.path] : [])];
    return {
        thp: read(io, THP_PATH),
        procSwaps: read(io, "/proc/swaps") ?? "",
        fstab: read(io, "/etc/fstab") ?? "",
        governors,
        boost,
        unwritable: candidates.filter((p) => read(io, p) !== undefined && !writable(io, p)),
        root: process.getuid?.() === 0,
    };
}

function recordPath(io: HostIo, stack: string): string {
    return path.join(io.recordsDir, `${stack}.json`);
}

export function readRecords(io: HostIo): HostRecord[] {
    if (!fs.existsSync(io.recordsDir)) return [];
    return fs
        .readdirSync(io.recordsDir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => JSON.parse(fs.readFileSync(path.join(io.recordsDir, f), "utf8")) as HostRecord);
}

/** The changes applying `declared` would make; throws a UserError listing what cannot be applied here (the preflight). */
export function checkHostSettings(io: HostIo, stack: string, declared: DeclaredSettings): readonly HostChange[] {
    const plan = planHostSettings(declared, readHostSnapshot(io));
    const problems = [...plan.problems, ...conflicts(declared, stack, readRecords(io))];
    if (problems.length > 0) throw new UserError(`isobench:host.apply cannot apply the declared host settings:\n  - ${problems.join("\n  - ")}`);
    return plan.changes;
}

function act(io: HostIo, a: HostAction): void {
    if (a.kind === "write") fs.writeFileSync(io.root + a.path, a.value);
    else (io.run ?? ((argv) => mustRun(argv, 600, argv.join(" "))))(a.argv);
}

/** What a setting shows now when it is not yet `c.to` (planning it again still finds a change), else undefined. */
function stillDiffers(io: HostIo, c: HostChange): string | undefined {
    return planHostSettings({ [c.setting]: c.to }, readHostSnapshot(io)).changes[0]?.from;
}

/**
 * Applies `declared`: records the previous values (merged with an unrestored record of this stack),
 * then changes the host and checks each setting. Returns the record's changes.
 */
export function applyHostSettings(io: HostIo, stack: string, declared: DeclaredSettings, now = new Date()): readonly HostChange[] {
    const changes = checkHostSettings(io, stack, declared);
    const file = recordPath(io, stack);
    const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as HostRecord) : undefined;
    const record = mergeRecord(previous, stack, changes, now.toISOString());
    fs.mkdirSync(io.recordsDir, { recursive: true });
    writeFileAtomic(file, JSON.stringify(record, null, 2) + "\n");
    for (const c of changes) {
        for (const a of c.apply) act(io, a);
        const shows = stillDiffers(io, c);
        if (shows !== undefined)
            throw new Error(`host setting ${c.setting}: set to ${c.to}, but the host shows ${shows} (the record in ${file} restores it on destroy)`);
    }
    return record.changes;
}

/** Puts back what applyHostSettings recorded for `stack` and removes the record; no record = nothing to do. */
export function restoreHostSettings(io: HostIo, stack: string): readonly HostChange[] {
    const file = recordPath(io, stack);
    if (!fs.existsSync(file)) return [];
    const record = JSON.parse(fs.readFileSync(file, "utf8")) as HostRecord;
    const failed: string[] = [];
    for (const a of restoreActions(record)) {
        try {
            act(io, a);
        } catch (e) {
            failed.push(`${a.kind === "write" ? `echo ${a.value} > ${a.path}` : a.argv.join(" ")}: ${(e as Error).message}`);
        }
    }
    if (failed.length > 0) throw new Error(`restoring the host settings of stack ${stack} failed (record kept in ${file}):\n  - ${failed.join("\n  - ")}`);
    fs.rmSync(file);
    return record.changes;
}

/** One line per change, for the resource's stdout and the log. */
export function describeChanges(changes: readonly HostChange[]): string {
    return changes.length ? changes.map((c) => `${c.setting}: ${c.from} -> ${c.to}`).join("\n") : "no host setting to change";
}
