/**
 * `isobench status` and `isobench ls`: what a stack's run has measured, what failed and what is
 * missing, how long it took and how long the rest will, whether a run is active now, and which
 * environments are up; read from the files a run leaves (results folder, progress.log, the
 * measurement lock, the backend's stack lock and state), never from a running isobench, so it
 * answers after the terminal of the run is gone. `stackStatus` and the formatting are pure.
 */
import { formatDuration, ProgressModel } from "./progress-model";
import type { CellPrior, PlannedCell } from "./progress-model";
import { LogEvent, logEvents } from "./run-report";

/** A run of `isobench up` (or of pulumi) that is alive now. */
export interface ActiveRun {
    /** The `isobench up` process, from its start line in progress.log. */
    readonly isobenchPid?: number;
    /** The pulumi update holding the stack's lock in the backend (also a plain `pulumi up`). */
    readonly pulumiPid?: number;
    readonly since?: number;
    /** Who holds the host's measurement lock when it is not this stack. */
    readonly waitingFor?: string;
}

export interface EnvironmentState {
    readonly name: string;
    readonly kind: PlannedCell["kind"];
    /** Whether the stack's Pulumi state holds the environment's resources. */
    readonly provisioned: boolean;
    /** What docker or libvirt say of its container or guest ("running", "exited", "shut off", "absent"); undefined when not asked. */
    readonly state?: string;
}

export interface StatusInput {
    readonly stack: string;
    readonly runId: string;
    readonly resultsDir: string;
    /** The machine the stack measures: `local` or `ssh://user@host:port` (core/transport.ts targetLabel). */
    readonly target: string;
    readonly plan: readonly PlannedCell[];
    readonly prior: CellPrior;
    /** Cell ids with a CSV, and with an .error and no CSV. */
    readonly measured: ReadonlySet<string>;
    readonly errors: ReadonlySet<string>;
    readonly progressLog: string;
    readonly active?: ActiveRun;
    readonly environments: readonly EnvironmentState[];
    /** How guests run on this host when known ("tcg": software emulation), for the estimate of guests not measured yet. */
    readonly hostAccel?: string;
    readonly now: number;
}

export interface StackStatus {
    readonly stack: string;
    readonly runId: string;
    readonly resultsDir: string;
    readonly target: string;
    readonly total: number;
    readonly done: readonly string[];
    readonly failed: readonly string[];
    readonly missing: readonly string[];
    /** Seconds the ups of this run took (each from its start to its end or last event; the active one to now). */
    readonly spentS: number;
    readonly ups: number;
    /** Seconds the cells still to measure are expected to take (the active up's, else the next up's). */
    readonly etaS?: number;
    readonly current?: { readonly cell: string; readonly sinceS: number };
    readonly active?: ActiveRun;
    readonly environments: readonly EnvironmentState[];
}

/** The ups of progress.log: each from its start line (or the log's first event) to its end line or its last event. */
export function upSessions(events: readonly LogEvent[]): Array<{ start: number; end: number; ended: boolean; pid?: number; events: LogEvent[] }> {
    const sessions: Array<{ start: number; end: number; ended: boolean; pid?: number; events: LogEvent[] }> = [];
    for (const e of events) {
        const cur = sessions.at(-1);
        if (e.kind === "up-start" || !cur || cur.ended) {
            sessions.push({ start: e.at, end: e.at, ended: false, ...(e.kind === "up-start" ? { pid: e.pid } : {}), events: e.kind === "up-start" ? [] : [e] });
            continue;
        }
        cur.end = e.at;
        if (e.kind === "up-end") cur.ended = true;
        else cur.events.push(e);
    }
    return sessions;
}

export function stackStatus(i: StatusInput): StackStatus {
    const planned = new Set(i.plan.map((c) => c.id));
    const done = i.plan.filter((c) => i.measured.has(c.id)).map((c) => c.id);
    const failed = i.plan.filter((c) => !i.measured.has(c.id) && i.errors.has(c.id)).map((c) => c.id);
    const missing = i.plan.filter((c) => !i.measured.has(c.id) && !i.errors.has(c.id)).map((c) => c.id);
    const events = logEvents(i.progressLog).filter((e) => !("cell" in e) || planned.has(e.cell));
    const sessions = upSessions(events);
    const last = sessions.at(-1);
    const live = i.active !== undefined && last !== undefined && !last.ended;
    const spentS = sessions.reduce((a, s, k) => a + ((live && k === sessions.length - 1 ? i.now : s.end) - s.start) / 1000, 0);
    const model = new ProgressModel(i.plan, {
        prior: i.prior,
        measured: i.measured,
        startedAt: last?.start ?? i.now,
        ...(i.hostAccel !== undefined ? { hostAccel: i.hostAccel } : {}),
    });
    model.learn(events);
    // The active up's own events say which cell runs and which it will not retry.
    if (live) for (const e of last!.events) model.apply(e);
    const snap = model.snapshot(i.now);
    return {
        stack: i.stack,
        runId: i.runId,
        resultsDir: i.resultsDir,
        target: i.target,
        total: i.plan.length,
        done,
        failed,
        missing,
        spentS,
        ups: sessions.length,
        ...(snap.etaS !== undefined ? { etaS: snap.etaS } : {}),
        ...(live && snap.current ? { current: { cell: snap.current.cell, sinceS: snap.current.sinceS } } : {}),
        ...(i.active ? { active: i.active } : {}),
        environments: i.environments,
    };
}

/** Up to `n` names, then how many more. */
function names(ids: readonly string[], n = 12): string {
    return ids.length <= n ? ids.join(", ") : `${ids.slice(0, n).join(", ")} and ${ids.length - n} more`;
}

/** The lines `isobench status` prints for one stack. */
export function formatStatus(s: StackStatus): string[] {
    const lines = [`stack ${s.stack}, run ${s.runId} (${s.resultsDir})`, `  target: ${s.target}`];
    const a = s.active;
    if (a) {
        const who = [a.isobenchPid !== undefined ? `isobench up pid ${a.isobenchPid}` : "", a.pulumiPid !== undefined ? `pulumi pid ${a.pulumiPid}` : ""]
            .filter(Boolean)
            .join(", ");
        const what = s.current
            ? `, on cell ${s.current.cell} for ${formatDuration(s.current.sinceS)}`
            : a.waitingFor
              ? `, waiting for its target (held by ${a.waitingFor})`
              : "";
        lines.push(`  active: yes (${who}${a.since !== undefined ? `, since ${new Date(a.since).toISOString()}` : ""}${what})`);
    } else lines.push("  active: no");
    lines.push(`  cells: ${s.done.length}/${s.total} done, ${s.failed.length} failed, ${s.missing.length} missing`);
    if (s.failed.length) lines.push(`  failed: ${names(s.failed)}`);
    if (s.missing.length) lines.push(`  missing: ${names(s.missing)}`);
    const left = s.etaS !== undefined ? `${formatDuration(s.etaS)} ${a ? "left" : "left to measure (the next isobench up)"}` : "nothing left to measure";
    lines.push(`  time: ${formatDuration(s.spentS)} spent in ${s.ups} up(s); ${left}`);
    const env = s.environments.map((e) => `${e.name} ${e.provisioned ? (e.state && e.state !== "running" ? `up (${e.state})` : "up") : "down"}`);
    lines.push(`  environments: ${env.join(", ") || "none planned"}`);
    return lines;
}

/** One result run of a stack for `isobench ls`. */
export interface RunListing {
    readonly runId: string;
    readonly cells: number;
    readonly failed: number;
    /** The first and last time a file of the run was written (ms). */
    readonly first?: number;
    readonly last?: number;
}

export function formatListing(
    stacks: ReadonlyArray<{ stack: string; runId?: string; target?: string; provisioned: boolean; runs: readonly RunListing[] }>,
): string[] {
    const lines: string[] = [];
    for (const s of stacks) {
        const about = [s.runId ? `runId ${s.runId}` : "", s.target ? `target ${s.target}` : ""].filter(Boolean).join(", ");
        lines.push(`${s.stack}${about ? ` (${about})` : ""}${s.provisioned ? ", provisioned" : ""}`);
        if (s.runs.length === 0) lines.push("  no results");
        for (const r of s.runs) {
            const when =
                r.first !== undefined
                    ? `${new Date(r.first).toISOString().slice(0, 16).replace("T", " ")} – ${new Date(r.last!).toISOString().slice(0, 16).replace("T", " ")}`
                    : "";
            lines.push(
                `  ${r.runId}: ${r.cells} cell(s)${r.failed ? `, ${r.failed} failed` : ""}${when ? `, ${when} UTC` : ""}${r.runId === s.runId ? " (current)" : ""}`,
            );
        }
    }
    return lines;
}
