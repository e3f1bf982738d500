/**
 * Applying declared host settings (`isobench:host: {thp, swap, governor, boost, apply: true}`):
 * from a snapshot of what the host has now to the actions that set what is declared and the
 * actions that put the previous values back. Pure: the snapshot is read and the actions are run by
 * environments/host-apply.ts.
 *
 * Where each setting lives:
 *  - thp: /sys/kernel/mm/transparent_hugepage/enabled ("always [madvise] never");
 *  - swap: /proc/swaps (active devices); off = swapoff each active device, on = swapon the swap
 *    entries of /etc/fstab (there is nothing else to switch on), restored the other way round;
 *  - governor: /sys/devices/system/cpu/cpu<N>/cpufreq/scaling_governor of every CPU;
 *  - boost: /sys/devices/system/cpu/cpufreq/boost (1 = on), else intel_pstate/no_turbo (1 = off).
 */
import { selected } from "./host-facts";

export type Setting = "thp" | "swap" | "governor" | "boost";

/** The settings a stack declares (HostDeclared without `apply`). */
export interface DeclaredSettings {
    readonly thp?: string;
    readonly swap?: string;
    readonly governor?: string;
    readonly boost?: string;
}

export const THP_PATH = "/sys/kernel/mm/transparent_hugepage/enabled";
export const CPUFREQ_BOOST_PATH = "/sys/devices/system/cpu/cpufreq/boost";
export const NO_TURBO_PATH = "/sys/devices/system/cpu/intel_pstate/no_turbo";
export const GOVERNOR_PATH_0 = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor";

/** What the host has now; a missing file is undefined. */
export interface HostSnapshot {
    /** Content of THP_PATH. */
    readonly thp?: string;
    /** Content of /proc/swaps. */
    readonly procSwaps: string;
    /** Content of /etc/fstab ("" when absent). */
    readonly fstab: string;
    /** Each CPU's scaling_governor file, its value and scaling_available_governors. */
    readonly governors: ReadonlyArray<{ readonly path: string; readonly value: string; readonly available: string }>;
    /** The boost switch the host has, if any. */
    readonly boost?: { readonly path: string; readonly kind: "cpufreq-boost" | "no-turbo"; readonly value: string };
    /** Paths among those to be written that this process cannot write. */
    readonly unwritable: readonly string[];
    /** Whether this process may run swapon/swapoff (root). */
    readonly root: boolean;
}

export type HostAction = { readonly kind: "write"; readonly path: string; readonly value: string } | { readonly kind: "run"; readonly argv: readonly string[] };

/** One setting to change: what it is now, what it becomes, how, and how to undo it. */
export interface HostChange {
    readonly setting: Setting;
    readonly from: string;
    readonly to: string;
    readonly apply: readonly HostAction[];
    readonly restore: readonly HostAction[];
}

export interface HostPlan {
    readonly changes: readonly HostChange[];
    /** Settings that cannot be applied here, each naming the missing path or tool and the fix. */
    readonly problems: readonly string[];
}

/** Active swap devices of /proc/swaps with their priorities. */
export function activeSwaps(procSwaps: string): Array<{ device: string; priority: number }> {
    return procSwaps
        .trim()
        .split("\n")
        .slice(1)
        .filter((l) => l.trim())
        .map((l) => {
            const f = l.trim().split(/\s+/);
            return { device: f[0], priority: Number(f[4] ?? -1) };
        });
}

/** Swap devices /etc/fstab lists (type swap, not noauto). */
export function fstabSwaps(fstab: string): string[] {
    return fstab
        .split("\n")
        .map((l) => l.replace(/#.*/, "").trim().split(/\s+/))
        .filter((f) => f.length >= 3 && f[2] === "swap" && !(f[3] ?? "").split(",").includes("noauto"))
        .map((f) => f[0]);
}

/** swapon argv restoring a device at its priority (-p takes -1…32767; kernel-assigned ones below that are reassigned by the kernel). */
function swaponArgv(device: string, priority: number): string[] {
    return priority >= -1 ? ["swapon", "-p", String(priority), device] : ["swapon", device];
}

const REMOVE = (setting: Setting) => `or remove isobench:host.${setting} (the measured value is recorded in host.csv either way)`;

function planThp(to: string, s: HostSnapshot, problems: string[]): HostChange | undefined {
    if (s.thp === undefined) {
        problems.push(
            `isobench:host.thp: ${THP_PATH} does not exist (kernel without transparent hugepages). Fix: run on a kernel with CONFIG_TRANSPARENT_HUGEPAGE, ${REMOVE("thp")}`,
        );
        return undefined;
    }
    const from = selected(s.thp);
    if (!new RegExp(`(^|\\s|\\[)${to}(\\]|\\s|$)`).test(s.thp)) {
        problems.push(`isobench:host.thp: ${to} is not offered by ${THP_PATH} ("${s.thp}"). Fix: declare one of its values, ${REMOVE("thp")}`);
        return undefined;
    }
    if (from === to) return undefined;
    return { setting: "thp", from, to, apply: [{ kind: "write", path: THP_PATH, value: to }], restore: [{ kind: "write", path: THP_PATH, value: from }] };
}

function planSwap(to: string, s: HostSnapshot, problems: string[]): HostChange | undefined {
    const active = activeSwaps(s.procSwaps);
    const from = active.length ? "on" : "off";
    if (from === to) return undefined;
    if (!s.root) {
        problems.push(
            `isobench:host.swap: ${to} needs swap${to === "on" ? "on" : "off"}, which only root may run. Fix: run isobench as root, ${REMOVE("swap")}`,
        );
        return undefined;
    }
    if (to === "off") {
        return {
            setting: "swap",
            from: active.map((a) => a.device).join(","),
            to: "off",
            apply: active.map((a) => ({ kind: "run", argv: ["swapoff", a.device] })),
            restore: active.map((a) => ({ kind: "run", argv: swaponArgv(a.device, a.priority) })),
        };
    }
    const devices = fstabSwaps(s.fstab);
    if (devices.length === 0) {
        problems.push(
            `isobench:host.swap: on, but no swap is active and /etc/fstab lists no swap device to switch on. Fix: add a swap device to /etc/fstab (or swapon one), ${REMOVE("swap")}`,
        );
        return undefined;
    }
    return {
        setting: "swap",
        from: "off",
        to: devices.join(","),
        apply: devices.map((d) => ({ kind: "run", argv: ["swapon", d] })),
        restore: devices.map((d) => ({ kind: "run", argv: ["swapoff", d] })),
    };
}

function planGovernor(to: string, s: HostSnapshot, problems: string[]): HostChange | undefined {
    if (s.governors.length === 0) {
        problems.push(
            `isobench:host.governor: ${GOVERNOR_PATH_0} does not exist (no cpufreq driver in this kernel or VM), so the governor cannot be set. Fix: run on a host with a cpufreq driver (bare metal, or a VM that exposes one; modprobe acpi-cpufreq), ${REMOVE("governor")}`,
        );
        return undefined;
    }
    const lacking = s.governors.filter((g) => !g.available.split(/\s+/).includes(to));
    if (lacking.length > 0) {
        problems.push(
            `isobench:host.governor: ${to} is not in ${lacking[0].path.replace(/scaling_governor$/, "scaling_available_governors")} ("${lacking[0].available}"). Fix: declare one of those (or load its module, e.g. modprobe cpufreq_${to}), ${REMOVE("governor")}`,
        );
        return undefined;
    }
    const differ = s.governors.filter((g) => g.value !== to);
    if (differ.length === 0) return undefined;
    return {
        setting: "governor",
        from: [...new Set(differ.map((g) => g.value))].join(","),
        to,
        apply: differ.map((g) => ({ kind: "write", path: g.path, value: to })),
        restore: differ.map((g) => ({ kind: "write", path: g.path, value: g.value })),
    };
}

function planBoost(to: string, s: HostSnapshot, problems: string[]): HostChange | undefined {
    if (!s.boost) {
        problems.push(
            `isobench:host.boost: neither ${CPUFREQ_BOOST_PATH} nor ${NO_TURBO_PATH} exists (no cpufreq boost control in this kernel or VM), so boost cannot be set. Fix: run on a host whose cpufreq driver exposes one (acpi-cpufreq or intel_pstate), ${REMOVE("boost")}`,
        );
        return undefined;
    }
    const on = s.boost.kind === "cpufreq-boost" ? s.boost.value === "1" : s.boost.value === "0";
    const from = on ? "on" : "off";
    if (from === to) return undefined;
    const value = (wantOn: boolean) => (s.boost!.kind === "cpufreq-boost" ? (wantOn ? "1" : "0") : wantOn ? "0" : "1");
    return {
        setting: "boost",
        from,
        to,
        apply: [{ kind: "write", path: s.boost.path, value: value(to === "on") }],
        restore: [{ kind: "write", path: s.boost.path, value: s.boost.value }],
    };
}

/** The changes that make the host as declared, and what cannot be applied here. */
export function planHostSettings(declared: DeclaredSettings, s: HostSnapshot): HostPlan {
    const problems: string[] = [];
    const changes = [
        declared.thp !== undefined ? planThp(declared.thp, s, problems) : undefined,
        declared.swap !== undefined ? planSwap(declared.swap, s, problems) : undefined,
        declared.governor !== undefined ? planGovernor(declared.governor, s, problems) : undefined,
        declared.boost !== undefined ? planBoost(declared.boost, s, problems) : undefined,
    ].filter((c): c is HostChange => c !== undefined);
    for (const c of changes) {
        for (const a of c.apply) {
            if (a.kind === "write" && s.unwritable.includes(a.path)) {
                problems.push(
                    `isobench:host.${c.setting}: cannot write ${a.path} (permission denied or read-only sysfs). Fix: run isobench as root on a host whose sysfs is writable, ${REMOVE(c.setting)}`,
                );
            }
        }
    }
    return { changes, problems };
}

/** What the record of a stack's applied settings holds (written before the first change). */
export interface HostRecord {
    readonly stack: string;
    readonly appliedAt: string;
    readonly changes: readonly HostChange[];
}

/**
 * Merges a new plan into the record left by an earlier apply of the same stack that was not
 * restored (a crash, or a create run again): a setting already recorded keeps its recorded
 * original value and restore actions, since the host now shows the applied value.
 */
export function mergeRecord(previous: HostRecord | undefined, stack: string, changes: readonly HostChange[], at: string): HostRecord {
    const kept = previous?.changes ?? [];
    const fresh = changes.filter((c) => !kept.some((k) => k.setting === c.setting));
    return { stack, appliedAt: previous?.appliedAt ?? at, changes: [...kept, ...fresh] };
}

/** Settings of `stack`'s declaration that another stack has applied and not yet restored. */
export function conflicts(declared: DeclaredSettings, stack: string, others: readonly HostRecord[]): string[] {
    const settings = (Object.keys(declared) as Setting[]).filter((k) => declared[k] !== undefined);
    return others
        .filter((r) => r.stack !== stack)
        .flatMap((r) =>
            r.changes
                .filter((c) => settings.includes(c.setting))
                .map(
                    (c) =>
                        `isobench:host.${c.setting}: stack ${r.stack} has set it to ${c.to} (from ${c.from}) and not restored it yet; two stacks restoring one setting would leave the host wrong. Fix: isobench destroy ${r.stack} first, or remove isobench:host.${c.setting}`,
                ),
        );
}

/** The restore actions of a record, last change first. */
export function restoreActions(r: HostRecord): HostAction[] {
    return [...r.changes].reverse().flatMap((c) => [...c.restore]);
}
