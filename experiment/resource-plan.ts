/**
 * A stack's plan on a host, before anything exists: what `isobench plan <stack>` prints and what
 * `isobench up` refuses on. Cells and expected duration per workload and in all (the progress
 * display's model before its first cell: earlier runs of the workload on this host where there
 * are some, else the parameters), the environments that are
 * up at the same time with their memory, vCPUs and disks, what each workload writes in each
 * environment, and whether the host can hold it all, with the fix when it cannot. Pure: the host's
 * facts, the filesystems' free space and earlier runs' durations are passed in (experiment/host.ts,
 * experiment/plan-command.ts and experiment/cell-history.ts read them).
 *
 * It decides nothing of its own: guests against the host's RAM and CPUs is guest-capacity.ts,
 * disks is disk-plan.ts, a cell's expected duration is progress-model.ts with progress-plan.ts's prior, and how an environment is
 * made on this host is environment-handles.ts; this puts them side by side.
 */
import type { ExperimentSpec, Schedule } from "./spec";
import type { HostContext } from "./program";
import { environmentPlans, EnvironmentPlan } from "./environment-handles";
import { environmentCpus } from "./cell-limit";
import { groupStarts, planCells } from "./plan";
import { capacityProblems, HOST_RESERVE_MIB } from "./guest-capacity";
import { DiskPlan, FilesystemSpace, MovablePaths, filesystemProblems, formatBytes, workloadWrites } from "./disk-plan";
import { CellHistory, earlierRunsPrior, progressPlan } from "./progress-plan";
import { DEFAULT_CLASS_FACTOR, DEFAULT_GAP_S, ProgressModel } from "./progress-model";
import { getWorkload } from "../workloads";
import { repetitionCap } from "../core/precision";
import { isEmulated } from "../core/samples";

/** What the plan is given besides the spec and the host's context. */
export interface PlanFacts {
    /** Why guests cannot run on this host at all (KVM unusable and emulation not allowed); a refusal. */
    readonly kvmProblem?: string;
    /** What the plan may write per filesystem and in each guest (disk-plan.ts), and, when measured, the filesystems' free space. */
    readonly disk?: { readonly plan: DiskPlan; readonly filesystems?: readonly FilesystemSpace[]; readonly movable: MovablePaths };
    /** Durations of earlier runs' cells on this host (cell-history.ts). */
    readonly history?: CellHistory;
    /** Cells of the run that are measured already: not run again. */
    readonly measured?: ReadonlySet<string>;
    /**
     * The workloads isobench:precision can add repetitions to: those a published claim votes with
     * (analysis/precision.ts primaryMetrics). Undefined: every workload, which errs long.
     */
    readonly precisionWorkloads?: ReadonlySet<string>;
}

/**
 * The most the precision goal can add to a run (isobench:precision): each workload it can judge
 * repeated in its environments not under emulation up to the goal's cap. Up adds them only where
 * the half-width misses, so a run takes between totalS and totalS + seconds.
 */
export interface PrecisionBound {
    /** The goal's ±relative half-width and the cap on repetitions per cell (repetitionCap). */
    readonly relativeHalfWidth: number;
    readonly cap: number;
    /** Cells the goal may add and their expected seconds, gaps included (and, under grouped, the boots they need). */
    readonly cells: number;
    readonly seconds: number;
    /** Of those cells, how many neither earlier runs nor the parameters give a length (not in seconds). */
    readonly unknownCells: number;
    /** Under grouped: the guest boots the added repetitions need (one per guest and repetition), in seconds. */
    readonly boots?: number;
    /** The workloads it may add them to. */
    readonly workloads: readonly string[];
}

/** One workload's cells and how long they are expected to take. */
export interface WorkloadPlan {
    readonly name: string;
    readonly environments: readonly string[];
    readonly cells: number;
    /** Of them, measured already (a resumed run). */
    readonly measured: number;
    /** Expected seconds of the cells still to run whose duration is known. */
    readonly seconds: number;
    /** Cells still to run whose duration neither earlier runs nor the parameters give. */
    readonly unknown: number;
    /** Of the cells still to run, how many are expected from earlier runs' durations on this machine. */
    readonly fromHistory: number;
    /** Of them, how many from the runs the checkout ships instead, where this machine has none (cell-history.ts). */
    readonly fromShipped?: number;
}

/** One environment: its size where it has one, and what its workloads write there. */
export interface EnvironmentRow {
    readonly name: string;
    readonly kind: string;
    readonly accel: string;
    /** Guests: vCPUs and memory; undefined for native and containers (they share the host's). */
    readonly vcpus?: number;
    readonly memoryMiB?: number;
    /** Guests: bytes their disk gets beyond the base image for their workloads' files (disk-plan.ts guestDiskGrowth). */
    readonly diskGrowBytes?: number;
    /** The variant, as environments.csv and every sample record it. */
    readonly variant: string;
    readonly writes: ReadonlyArray<{ readonly workload: string; readonly bytes: number; readonly describe: string }>;
}

export type Verdict = "fits" | "needs isobench:schedule: grouped" | "does not fit";

/** Guests up at the same time, their memory and vCPUs. */
export interface UpAtOnce {
    readonly guests: number;
    readonly memoryMiB: number;
    readonly vcpus: number;
}

/**
 * Seconds a planned boot of the grouped schedule is expected to add: the guest's start until it
 * answers SSH and the shutdown before the next group. An estimate, not measured here (nothing
 * records boot times between runs yet): a direct-kernel Debian guest reached SSH in about 26 s
 * under emulation on the development host, and boots in seconds under KVM.
 */
export const PLANNED_BOOT_S: Readonly<Record<"kvm" | "tcg", number>> = { kvm: 20, tcg: 60 };

export interface ResourcePlan {
    readonly stack: string;
    readonly runId: string;
    readonly repetitions: number;
    /** The host as the plan saw it, in one line. */
    readonly host: string;
    readonly workloads: readonly WorkloadPlan[];
    readonly environments: readonly EnvironmentRow[];
    /** Expected seconds of the cells still to run whose duration is known, and of the planned boots under grouped. */
    readonly totalS: number;
    readonly unknownCells: number;
    /** isobench:schedule of the stack, as resolved on this host. */
    readonly schedule: Schedule;
    /** Where the stack said auto: what decided it (ExperimentSpec.scheduleWhy). */
    readonly scheduleWhy?: string;
    /** Guests up at the same time under each schedule: interleaved, all of them for the whole run; grouped, the largest one. */
    readonly upAtOnce: Readonly<Record<Schedule, UpAtOnce>>;
    /** Guests up at the same time under the stack's schedule (upAtOnce[schedule]). */
    readonly together: UpAtOnce;
    /** The schedule the stack needs on this host: interleaved where all guests fit together, grouped where only one at a time does, "neither"; undefined when the host's memory is not known. */
    readonly needs?: Schedule | "neither";
    /** Under grouped: the planned boots still to come (one per guest and repetition) and their expected seconds, in totalS. */
    readonly boots?: { readonly count: number; readonly seconds: number };
    /** With isobench:precision: what its repetitions may add beyond totalS (not in it). */
    readonly precision?: PrecisionBound;
    /** Bytes the plan may write on the host (disk-plan.ts), when known. */
    readonly diskBytes?: number;
    /** isobench:stabilityProbeS: seconds of the host stability probe before each up pass; undefined or 0 = none. */
    readonly stabilityProbeS?: number;
    /** Why the host cannot hold the plan, one line each with its fix; empty when it can. */
    readonly problems: readonly string[];
    /** What a reader of the results must know that is no refusal (e.g. guests smaller than the host). */
    readonly notes: readonly string[];
    readonly verdict: Verdict;
}

const cpusOf = (p: EnvironmentPlan, spec: ExperimentSpec, host: HostContext) =>
    environmentCpus(
        spec.environmentSpecs.find((e) => e.name === p.handle.name),
        host.hostCpuCount,
    );

/** The host in one line: CPUs, cores, NUMA nodes, memory, how guests run. */
export function describeHost(host: HostContext): string {
    const cores = host.cpuSiblings?.length;
    const threads = cores ? Math.max(...host.cpuSiblings!.map((c) => c.length)) : undefined;
    const nodes = host.numaNodes?.length ?? 1;
    const sockets = host.cpuPackages ? new Set(host.cpuPackages).size : undefined;
    const shape =
        cores && sockets
            ? `${sockets} socket${sockets === 1 ? "" : "s"} × ${cores / sockets} cores × ${threads}`
            : cores
              ? `${cores} cores × ${threads}`
              : undefined;
    return [
        `${host.hostCpuCount} CPUs${shape ? ` (${shape} thread${threads === 1 ? "" : "s"})` : ""}`,
        `${nodes} NUMA node${nodes === 1 ? "" : "s"}`,
        host.memTotalMiB !== undefined ? `MemTotal ${host.memTotalMiB} MiB` : "memory unknown",
        host.accel === "kvm" ? "guests under KVM" : "guests under QEMU software emulation (tcg)",
        host.vhostAvailable ? "vhost-net available" : "no vhost-net",
    ].join(", ");
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * Notes on guests with fewer CPUs than the native and Docker environments they are compared with,
 * in the workloads whose work spreads over every CPU the environment has (Workload.spreadsOverCpus):
 * there a ratio to native measures the CPU count as much as virtualisation.
 */
function cpuNotes(spec: ExperimentSpec, plans: readonly EnvironmentPlan[], host: HostContext): string[] {
    const byName = new Map(plans.map((p) => [p.handle.name, { kind: p.kind, cpus: cpusOf(p, spec, host) }]));
    const notes: string[] = [];
    for (const w of spec.workloads) {
        const wl = getWorkload(w.name);
        if (!wl.spreadsOverCpus?.({ ...wl.defaults, ...w.params })) continue;
        const envs = (w.environments ?? spec.environments).flatMap((n) => (byName.has(n) ? [{ name: n, ...byName.get(n)! }] : []));
        const baseline = envs.filter((e) => e.kind === "native" || e.kind === "docker");
        const widest = Math.max(0, ...baseline.map((e) => e.cpus));
        const small = envs.filter((e) => (e.kind === "kvm" || e.kind === "docker-in-kvm") && e.cpus < widest);
        if (small.length === 0) continue;
        notes.push(
            `${w.name} runs one thread or process per CPU: ${small.map((e) => `${e.name} has ${plural(e.cpus, "vCPU")}`).join(", ")}, but ${baseline
                .filter((e) => e.cpus === widest)
                .map((e) => e.name)
                .join(
                    ", ",
                )} use ${plural(widest, "host CPU")}, so its ratios to native compare ${[...new Set(small.map((e) => e.cpus))].join("/")} CPUs with ${widest}, not only virtualisation`,
        );
    }
    return notes;
}

/** The plan of `spec` on `host`. */
export function resourcePlan(spec: ExperimentSpec, host: HostContext, facts: PlanFacts = {}): ResourcePlan {
    const problems: string[] = [];
    if (facts.kvmProblem) problems.push(facts.kvmProblem);
    // One environment at a time, so that one the host cannot provide (ht-siblings without
    // hyperthreads, pinning to CPUs it lacks, …) is a problem of its own and the rest is planned.
    const plans: EnvironmentPlan[] = [];
    for (const e of spec.environmentSpecs) {
        try {
            plans.push(...environmentPlans({ ...spec, environmentSpecs: [e], environments: [e.name] }, host));
        } catch (err) {
            problems.push((err as Error).message);
        }
    }
    const measured = facts.measured ?? new Set<string>();
    const cells = planCells(spec);
    // The progress display's model before any cell has run: the plan's estimate and up's first ETA are one figure.
    const prior = earlierRunsPrior(spec, host.hostCpuCount, host.accel, facts.history ?? new Map());
    const model = new ProgressModel(progressPlan(spec), { prior, hostAccel: host.accel, startedAt: 0 });
    const planned = new Map(progressPlan(spec).map((c) => [c.id, c]));
    const workloads: WorkloadPlan[] = spec.workloads.map((w) => {
        const mine = cells.filter((c) => c.workload.name === w.name);
        const todo = mine.filter((c) => !measured.has(c.id));
        let seconds = 0;
        let unknown = 0;
        let fromHistory = 0;
        let fromShipped = 0;
        for (const c of todo) {
            const cell = planned.get(c.id)!;
            const p = prior(cell);
            if (p === undefined) {
                unknown++;
                continue;
            }
            if (typeof p === "object" && p.shipped) fromShipped++;
            else if (typeof p === "object") fromHistory++;
            seconds += model.expectedS(cell) + DEFAULT_GAP_S;
        }
        return {
            name: w.name,
            environments: w.environments ?? spec.environments,
            cells: mine.length,
            measured: mine.length - todo.length,
            seconds,
            unknown,
            fromHistory,
            fromShipped,
        };
    });
    const precision = precisionBound(spec, cells, plans, facts.precisionWorkloads, (id) => {
        const cell = planned.get(id)!;
        return prior(cell) === undefined ? undefined : model.expectedS(cell) + DEFAULT_GAP_S;
    });
    if (host.memTotalMiB !== undefined) problems.push(...capacityProblems(spec, { cpuCount: host.hostCpuCount, memTotalMiB: host.memTotalMiB }));
    const capacity = problems.length;
    if (facts.disk) {
        problems.push(...(facts.disk.filesystems ? filesystemProblems(facts.disk.filesystems, facts.disk.movable) : []), ...facts.disk.plan.guestProblems);
    }
    const writes = workloadWrites(spec);
    const environments: EnvironmentRow[] = plans.map((p) => ({
        name: p.handle.name,
        kind: p.handle.envKind,
        accel: p.handle.accel,
        ...(p.kind === "kvm" || p.kind === "docker-in-kvm" ? { vcpus: p.domain.vcpus, memoryMiB: p.domain.memoryMiB, diskGrowBytes: p.diskGrowth.bytes } : {}),
        variant: p.handle.variant,
        writes: writes.filter((w) => w.environment === p.handle.name),
    }));
    const guests = environments.filter((e) => e.memoryMiB !== undefined);
    const upAtOnce: Record<Schedule, UpAtOnce> = {
        interleaved: {
            guests: guests.length,
            memoryMiB: guests.reduce((s, g) => s + g.memoryMiB!, 0),
            vcpus: guests.reduce((s, g) => s + g.vcpus!, 0),
        },
        grouped: {
            guests: Math.min(guests.length, 1),
            memoryMiB: Math.max(0, ...guests.map((g) => g.memoryMiB!)),
            vcpus: Math.max(0, ...guests.map((g) => g.vcpus!)),
        },
    };
    const needs = scheduleNeeded(spec, host);
    const onlyTogether = problems.length === 1 && capacity === 1 && /are up together/.test(problems[0]);
    const boots = spec.schedule === "grouped" ? plannedBoots(cells, measured, environments) : undefined;
    return {
        stack: spec.stack,
        runId: spec.runId,
        repetitions: spec.repetitions,
        host: describeHost(host),
        workloads,
        environments,
        totalS: workloads.reduce((s, w) => s + w.seconds, 0) + (boots?.seconds ?? 0),
        unknownCells: workloads.reduce((s, w) => s + w.unknown, 0),
        schedule: spec.schedule,
        ...(spec.scheduleWhy && { scheduleWhy: spec.scheduleWhy }),
        upAtOnce,
        together: upAtOnce[spec.schedule],
        ...(needs && { needs }),
        ...(boots && { boots }),
        ...(precision && { precision }),
        ...(facts.disk && { diskBytes: facts.disk.plan.needs.reduce((s, n) => s + n.bytes, 0) }),
        ...(spec.stabilityProbeS && { stabilityProbeS: spec.stabilityProbeS }),
        problems,
        notes: cpuNotes(spec, plans, host),
        verdict: problems.length === 0 ? "fits" : onlyTogether ? "needs isobench:schedule: grouped" : "does not fit",
    };
}

/**
 * What isobench:precision may add: for each workload it can judge, one more cell per environment not
 * under emulation (the precision loop adds none there: emulated numbers are never judged) for every
 * repetition between the workload's planned ones and the cap. Each added cell is expected to take
 * what the workload's first-repetition cell in that environment does (a cell of unknown length
 * counts none: the total says those apart). Undefined without a goal or
 * when nothing can be added.
 */
function precisionBound(
    spec: ExperimentSpec,
    cells: ReturnType<typeof planCells>,
    plans: readonly EnvironmentPlan[],
    judged: ReadonlySet<string> | undefined,
    cellS: (id: string) => number | undefined,
): PrecisionBound | undefined {
    if (!spec.precision) return undefined;
    const cap = repetitionCap(spec.precision);
    const emulated = new Set(plans.filter((p) => isEmulated(p.handle.accel)).map((p) => p.handle.name));
    const guests = new Set(plans.filter((p) => p.kind === "kvm" || p.kind === "docker-in-kvm").map((p) => p.handle.name));
    let count = 0;
    let seconds = 0;
    let unknownCells = 0;
    const workloads: string[] = [];
    // Under grouped, a guest is booted once per repetition it has cells in: the added repetitions of every workload it runs share that boot.
    const bootsUpTo = new Map<string, number>();
    for (const w of spec.workloads) {
        if (judged && !judged.has(w.name)) continue;
        const mine = cells.filter((c) => c.workload.name === w.name);
        const planned = Math.max(0, ...mine.map((c) => c.repetition));
        const more = cap - planned;
        const first = mine.filter((c) => c.repetition === 1 && !emulated.has(c.environment));
        if (more <= 0 || first.length === 0) continue;
        workloads.push(w.name);
        count += more * first.length;
        for (const c of first) {
            const s = cellS(c.id);
            if (s === undefined) unknownCells += more;
            else seconds += more * s;
            if (guests.has(c.environment)) bootsUpTo.set(c.environment, Math.max(bootsUpTo.get(c.environment) ?? 0, more));
        }
    }
    if (count === 0) return undefined;
    const boots = spec.schedule === "grouped" ? [...bootsUpTo.values()].reduce((a, b) => a + b, 0) : 0;
    return {
        relativeHalfWidth: spec.precision.relativeHalfWidth,
        cap,
        cells: count,
        seconds: seconds + boots * PLANNED_BOOT_S.kvm,
        unknownCells,
        ...(boots > 0 && { boots }),
        workloads,
    };
}

/** Which schedule the stack's guests need on `host`: the guests' memory under each, as guest-capacity.ts judges it. */
function scheduleNeeded(spec: ExperimentSpec, host: HostContext): Schedule | "neither" | undefined {
    if (host.memTotalMiB === undefined) return undefined;
    const size = { cpuCount: host.hostCpuCount, memTotalMiB: host.memTotalMiB };
    if (capacityProblems({ ...spec, schedule: "interleaved" }, size).length === 0) return "interleaved";
    return capacityProblems({ ...spec, schedule: "grouped" }, size).length === 0 ? "grouped" : "neither";
}

/** The grouped schedule's boots still to come: one per group of a guest's cells with a cell not measured yet. */
function plannedBoots(
    cells: ReturnType<typeof planCells>,
    measured: ReadonlySet<string>,
    environments: readonly EnvironmentRow[],
): { count: number; seconds: number } {
    const accel = new Map(environments.filter((e) => e.memoryMiB !== undefined).map((e) => [e.name, e.accel === "tcg" ? "tcg" : "kvm"] as const));
    const starts = groupStarts(cells);
    let count = 0;
    let seconds = 0;
    cells.forEach((c, i) => {
        const a = accel.get(c.environment);
        if (a === undefined || !starts.has(c.id)) return;
        // The group: from its start to the next start.
        let end = i + 1;
        while (end < cells.length && !starts.has(cells[end].id)) end++;
        if (cells.slice(i, end).every((x) => measured.has(x.id))) return;
        count++;
        seconds += PLANNED_BOOT_S[a];
    });
    return { count, seconds };
}

/** Seconds as a person plans with them: "45 s", "12 min", "3.4 h", "2.1 days (51 h)". */
export function formatDuration(s: number): string {
    if (s < 90) return `${Math.round(s)} s`;
    if (s < 90 * 60) return `${Math.round(s / 60)} min`;
    if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
    return `${(s / 86400).toFixed(1)} days (${Math.round(s / 3600)} h)`;
}

/** Where a workload's expected time came from: "earlier runs", "shipped runs (4) and parameters", … */
function sourcesOf(w: Pick<WorkloadPlan, "unknown" | "fromHistory" | "fromShipped" | "cells" | "measured">): string {
    const todo = w.cells - w.measured;
    const shipped = w.fromShipped ?? 0;
    const params = todo - w.unknown - w.fromHistory - shipped;
    const parts: [string, number][] = [
        ["earlier runs", w.fromHistory],
        ["shipped runs", shipped],
        ["parameters", params],
    ];
    const used = parts.filter(([, n]) => n > 0);
    if (used.length === 0) return "-";
    const names = used.map(([name, n]) => (used.length > 1 && name !== "parameters" ? `${name} (${n})` : name));
    return names.length === 1 ? names[0] : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function durationOf(w: Pick<WorkloadPlan, "seconds" | "unknown" | "fromHistory" | "fromShipped" | "cells" | "measured">): string {
    const todo = w.cells - w.measured;
    if (todo === 0) return "done";
    const known = w.unknown === todo ? "unknown" : formatDuration(w.seconds);
    const unknown = w.unknown > 0 && w.unknown < todo ? ` + ${w.unknown} cell(s) of unknown length` : "";
    return `${known}${unknown}  [${sourcesOf(w)}]`;
}

function table(rows: readonly (readonly string[])[]): string[] {
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
    return rows.map((r) => "  " + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  "));
}

/** The plan as `isobench plan` prints it. */
export function formatResourcePlan(p: ResourcePlan): string {
    const out: string[] = [];
    out.push(`stack ${p.stack}, run ${p.runId}: ${p.repetitions} repetitions${p.precision ? `; ${precisionText(p.precision)}` : ""}`);
    out.push(`host: ${p.host}`);
    out.push(
        (p.schedule === "grouped"
            ? `schedule: grouped (every environment is provisioned at the start, guests one at a time; within each repetition each environment's cells run back to back, a guest started before its group and shut off after it, environments in an order that rotates between repetitions)`
            : `schedule: interleaved (every environment is provisioned at the start and stays up for the whole run; within each repetition the environments take turns, in an order that rotates between repetitions)`) +
            (p.scheduleWhy ? `; ${p.scheduleWhy}` : ""),
    );
    out.push(
        "",
        `cells and expected time per workload, ${DEFAULT_GAP_S} s between cells included ([earlier runs]: what cells of the workload took on this host before, in the same kind of environment under the same accelerator, scaled by the parameters, or where only another kind ran it, that kind's times (a guest's through the default slowdowns below); [shipped runs]: the same from the runs in docs/results, on the development machines (2 vCPUs of a nested microVM, guests emulated), where this host ran none of the workload; [parameters]: the slow rates of workloads/expected.ts, work × ${DEFAULT_CLASS_FACTOR.emulated} in an emulated guest and × ${DEFAULT_CLASS_FACTOR.guest} in a KVM guest, which errs long):`,
    );
    out.push(
        ...table([
            ["workload", "cells", "environments", "expected"],
            ...p.workloads.map((w) => [w.name, `${w.cells}${w.measured ? ` (${w.measured} measured)` : ""}`, w.environments.join(", "), durationOf(w)]),
            [
                "total",
                String(p.workloads.reduce((s, w) => s + w.cells, 0)),
                "",
                `${formatDuration(p.totalS)}${p.unknownCells ? ` + ${p.unknownCells} cell(s) of unknown length (each up to its limit)` : ""}${p.boots ? `, with ${bootsText(p.boots)}` : ""}${p.precision ? `; up to ${precisionUpTo(p)} if the precision goal adds all ${p.precision.cells} cells it may` : ""}, plus provisioning, probes${p.stabilityProbeS ? `, ${p.stabilityProbeS} s of host stability probe before each up pass` : ""} and the analysis`,
            ],
        ]),
    );
    out.push("", "environments (guests: vCPUs, memory and what their disk gets beyond the guest image; native and containers share the host's):");
    out.push(
        ...table([
            ["environment", "kind", "size", "its workloads write there"],
            ...p.environments.map((e) => [
                e.name,
                `${e.kind}${e.accel === "tcg" ? " (tcg)" : ""}`,
                e.memoryMiB !== undefined
                    ? `${plural(e.vcpus!, "vCPU")}, ${e.memoryMiB} MiB${e.diskGrowBytes ? `, disk +${formatBytes(e.diskGrowBytes, "near")}` : ""}`
                    : "host",
                e.writes.length ? e.writes.map((w) => w.describe).join("; ") : "-",
            ]),
        ]),
    );
    const i = p.upAtOnce.interleaved;
    const g = p.upAtOnce.grouped;
    out.push("");
    if (i.guests > 1) {
        out.push(
            `by schedule: interleaved ${plural(i.guests, "guest")}, ${i.memoryMiB} MiB at once; grouped ${plural(g.guests, "guest")}, at most ${g.memoryMiB} MiB at once, at one boot per guest per repetition; ${
                p.needs === undefined
                    ? "the host's memory is not known"
                    : p.needs === "neither"
                      ? "the guests do not fit this host under either"
                      : p.needs === "interleaved"
                        ? "the stack fits interleaved (the default)"
                        : "the stack needs isobench:schedule: grouped"
            }`,
        );
    }
    out.push(
        `up at the same time: ${plural(p.together.guests, "guest")} with ${p.together.memoryMiB} MiB of memory and ${plural(p.together.vcpus, "vCPU")} in all (${
            p.schedule === "grouped"
                ? "grouped: the guest of the current group; the others are shut off"
                : "a guest the current cell does not use is paused: its vCPUs do not compete, its memory stays taken"
        }; the host keeps ${HOST_RESERVE_MIB} MiB for itself)` +
            (p.diskBytes !== undefined ? `; the run may write ${formatBytes(p.diskBytes)} on the host's disks` : ""),
    );
    for (const n of p.notes) out.push(`note: ${n}`);
    out.push("", `verdict: ${p.verdict}`);
    for (const l of p.problems) out.push(`  - ${l}`);
    if (p.verdict === "needs isobench:schedule: grouped") {
        out.push(
            "  The guests fit one at a time but not all together: with isobench:schedule: grouped each guest is booted for its own cells of a repetition and shut off after them (docs/reproduce-on-your-server.md, Interleaved or grouped).",
        );
    }
    return out.join("\n");
}

/** The plan in one line, as `isobench up` prints it before Pulumi starts. */
export function summarizePlan(p: ResourcePlan): string {
    const cells = p.workloads.reduce((s, w) => s + w.cells, 0);
    const measured = p.workloads.reduce((s, w) => s + w.measured, 0);
    const fromHistory = p.workloads.reduce((s, w) => s + w.fromHistory, 0);
    const fromShipped = p.workloads.reduce((s, w) => s + (w.fromShipped ?? 0), 0);
    const todo = cells - measured - p.unknownCells;
    const sources = [
        fromHistory ? `${fromHistory} cell(s) from earlier runs` : "",
        fromShipped ? `${fromShipped} cell(s) from the runs docs/results ships` : "",
    ].filter(Boolean);
    return (
        `plan: ${cells} cells${measured ? ` (${measured} measured already)` : ""}, expected ${formatDuration(p.totalS)}` +
        `${p.unknownCells ? ` + ${p.unknownCells} cell(s) of unknown length` : ""}${p.precision ? `, up to ${precisionUpTo(p)} with every repetition isobench:precision may add` : ""} (${sources.length ? `${sources.join(", ")}${fromHistory + fromShipped < todo ? ", the rest from the parameters, which err long" : ""}` : "from the parameters, which err long"}; isobench plan ${p.stack} itemises it)` +
        `; ${plural(p.together.guests, "guest")} up at once with ${p.together.memoryMiB} MiB` +
        (p.boots ? ` (schedule grouped: ${bootsText(p.boots)})` : "") +
        (p.scheduleWhy ? `; ${p.scheduleWhy}` : "")
    );
}

/** The total with every cell the precision goal may add: "5.0 h", with what it cannot time said apart. */
const precisionUpTo = (p: ResourcePlan) => {
    const b = p.precision!;
    const unknown = p.unknownCells + b.unknownCells;
    return (
        formatDuration(p.totalS + b.seconds) +
        (unknown ? ` + ${unknown} cell(s) of unknown length` : "") +
        (b.boots ? ` (${plural(b.boots, "more guest boot")} under grouped, at ${PLANNED_BOOT_S.kvm} s each)` : "")
    );
};

const precisionText = (b: PrecisionBound) =>
    `isobench:precision (±${+(b.relativeHalfWidth * 100).toFixed(2)} %) may add repetitions up to ${b.cap} per cell to ${b.workloads.join(", ")}, in their environments not under emulation (${plural(b.cells, "cell")} at most)`;

const bootsText = (b: { readonly count: number; readonly seconds: number }) =>
    `${plural(b.count, "planned guest boot")} (${formatDuration(b.seconds)} at ${PLANNED_BOOT_S.kvm} s each under KVM, ${PLANNED_BOOT_S.tcg} s emulated, an estimate)`;
