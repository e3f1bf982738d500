/**
 * What one `isobench up` achieved, read back from the results directory: which planned cells have
 * their CSV, and how much of the wall time the cells themselves took (the rest is orchestration:
 * Pulumi, provisioning, probes, analysis). Pure; the CLI reads the files.
 */

/** Planned cell ids without a `cells/<id>.csv`, in plan order. */
export function missingCells(planned: readonly string[], present: ReadonlySet<string>): string[] {
    return planned.filter((id) => !present.has(`${id}.csv`));
}

export interface CellTimes {
    /** Cells finished at or after `since`. */
    readonly cells: number;
    /** Sum of their run times (the runner's "done in X s"). */
    readonly seconds: number;
    /** Host CPU steal over the cells whose "done" line gives it; undefined when none does. */
    readonly steal?: StealSummary;
}

/** How much CPU the hypervisor below the machine under test took while cells ran. */
export interface StealSummary {
    /** Cells whose "done" line gives their steal. */
    readonly cells: number;
    /** Their steal weighted by each cell's run time, in percent of all CPUs' time. */
    readonly meanPercent: number;
    readonly maxPercent: number;
    /** The cell with the most. */
    readonly maxCell: string;
}

/** A cell's "start" or "done" line of progress.log (experiment/runner.ts writes them). */
interface CellEvent {
    readonly at: number;
    readonly cell: string;
    readonly kind: "start" | "done";
    /** done: the runner's own start→done time. */
    readonly seconds?: number;
    /** done: host CPU steal during the cell, in percent, where the line gives it. */
    readonly stealPercent?: number;
    /** start: seconds from the `isobench run-cell` process's start to this line (its share of a gap). */
    readonly launchS?: number;
}

/**
 * Every line of progress.log that says where a run is, in log order: a cell's start (with its
 * environment's accel), done, FAILED or "already measured" line (experiment/runner.ts), and the
 * start and end of each `isobench up` (experiment/cli.ts writes them; a log from before they
 * existed has none). Other lines (recoveries, quieted guests) are not events.
 */
export type LogEvent =
    | { readonly kind: "start"; readonly at: number; readonly cell: string; readonly accel?: string; readonly launchS?: number }
    | { readonly kind: "done"; readonly at: number; readonly cell: string; readonly seconds: number; readonly stealPercent?: number }
    | { readonly kind: "failed"; readonly at: number; readonly cell: string; readonly message: string }
    | { readonly kind: "kept"; readonly at: number; readonly cell: string }
    | { readonly kind: "up-start"; readonly at: number; readonly pid: number }
    | { readonly kind: "up-end"; readonly at: number; readonly pid: number; readonly exit: number };

const CELL_LINE =
    /^(\S+) cell (\S+): (?:start \((?:.*?accel=(\w+))?.*?(?:launched ([0-9.]+) s before)?\)|done in ([0-9.]+) s(?:.*?, host CPU steal ([0-9.]+) %)?|FAILED: (.*)|already measured, keeping )/;
const UP_LINE = /^(\S+) up: (started|finished) by isobench pid (\d+)(?:.*?\(exit (-?\d+)\))?/;

/** The line `isobench up` writes to progress.log as it starts (before it waits for the host). */
export function upStartedLine(pid: number, toMeasure: number, planned: number): string {
    return `up: started by isobench pid ${pid}: ${toMeasure} of ${planned} planned cell(s) to measure`;
}

/** The line `isobench up` writes to progress.log when its Pulumi has ended. */
export function upFinishedLine(pid: number, exit: number, wallS: number): string {
    return `up: finished by isobench pid ${pid} after ${wallS.toFixed(1)} s (exit ${exit})`;
}

/** The events of progress.log at or after `since`, in log order. */
export function logEvents(progressLog: string, since = new Date(0)): LogEvent[] {
    const events: LogEvent[] = [];
    for (const line of progressLog.split("\n")) {
        const m = CELL_LINE.exec(line);
        const u = m ? undefined : UP_LINE.exec(line);
        const at = new Date((m ?? u)?.[1] ?? NaN).getTime();
        if (!(at >= since.getTime())) continue;
        if (u) {
            const pid = Number(u[3]);
            events.push(u[2] === "started" ? { kind: "up-start", at, pid } : { kind: "up-end", at, pid, exit: Number(u[4] ?? 1) });
        } else if (m![5] !== undefined)
            events.push({ kind: "done", at, cell: m![2], seconds: Number(m![5]), ...(m![6] !== undefined && { stealPercent: Number(m![6]) }) });
        else if (m![7] !== undefined) events.push({ kind: "failed", at, cell: m![2], message: m![7] });
        else if (m![0].endsWith("already measured, keeping ")) events.push({ kind: "kept", at, cell: m![2] });
        else
            events.push({
                kind: "start",
                at,
                cell: m![2],
                ...(m![3] !== undefined && { accel: m![3] }),
                ...(m![4] !== undefined && { launchS: Number(m![4]) }),
            });
    }
    return events;
}

/** The cell start and done events at or after `since`, in log order. */
function cellEvents(progressLog: string, since: Date): CellEvent[] {
    return logEvents(progressLog, since).flatMap((e): CellEvent[] =>
        e.kind === "start"
            ? [{ at: e.at, cell: e.cell, kind: "start", launchS: e.launchS }]
            : e.kind === "done"
              ? [{ at: e.at, cell: e.cell, kind: "done", seconds: e.seconds, stealPercent: e.stealPercent }]
              : [],
    );
}

/**
 * Each cell's [start, end] in ms since the epoch, from its "start" and "done" lines; a cell that
 * started and has no "done" (running, failed, killed) ends at +Infinity, so it overlaps everything after it.
 */
export function cellIntervals(progressLog: string): Map<string, [number, number]> {
    const out = new Map<string, [number, number]>();
    for (const e of cellEvents(progressLog, new Date(0))) {
        if (e.kind === "start") out.set(e.cell, [e.at, Number.POSITIVE_INFINITY]);
        else if (out.has(e.cell)) out.get(e.cell)![1] = e.at;
    }
    return out;
}

/** Cells that finished since `since` according to progress.log's "cell <id>: done in X s" lines. */
export function cellTimesSince(progressLog: string, since: Date): CellTimes {
    const done = cellEvents(progressLog, since).filter((e) => e.kind === "done");
    const steal = stealOf(done);
    return { cells: done.length, seconds: done.reduce((a, e) => a + (e.seconds ?? 0), 0), ...(steal && { steal }) };
}

function stealOf(done: readonly CellEvent[]): StealSummary | undefined {
    const known = done.filter((e) => e.stealPercent !== undefined);
    if (known.length === 0) return undefined;
    const seconds = known.reduce((a, e) => a + (e.seconds ?? 0), 0);
    const weighted = known.reduce((a, e) => a + e.stealPercent! * (e.seconds ?? 0), 0);
    const max = known.reduce((a, e) => (e.stealPercent! > a.stealPercent! ? e : a));
    return {
        cells: known.length,
        meanPercent: seconds > 0 ? weighted / seconds : known.reduce((a, e) => a + e.stealPercent!, 0) / known.length,
        maxPercent: max.stealPercent!,
        maxCell: max.cell,
    };
}

export interface CellGaps {
    /** Seconds from one cell's "done" to the next cell's "start" (log order). */
    readonly gaps: number[];
    /** Of each gap, the part after the next `isobench run-cell` process started (0 where the line does not say). */
    readonly launches: number[];
    /** Each cell's "start" → "done". */
    readonly spans: number[];
}

/**
 * Idle time between cells: for each cell that started after another finished (in log order, since
 * `since`), the seconds from that "done" line to this "start" line — Pulumi's step and the provider,
 * then the CLI starting and preparing the cell (`launches`) — and the start→done span of every cell.
 */
export function cellGaps(progressLog: string, since: Date): CellGaps {
    const gaps: number[] = [];
    const launches: number[] = [];
    const spans: number[] = [];
    let lastDone: number | undefined;
    const started = new Map<string, number>();
    for (const e of cellEvents(progressLog, since)) {
        if (e.kind === "start") {
            if (lastDone !== undefined) {
                gaps.push((e.at - lastDone) / 1000);
                launches.push(e.launchS ?? 0);
            }
            started.set(e.cell, e.at);
            lastDone = undefined;
        } else {
            const s = started.get(e.cell);
            if (s !== undefined) spans.push((e.at - s) / 1000);
            lastDone = e.at;
        }
    }
    return { gaps, launches, spans };
}

/** "102 cells, 1510.2 s of 1720.5 s wall time in cells: orchestration 12.2 %". */
export function describeRun(times: CellTimes, wallS: number): string {
    if (times.cells === 0) return `no cell ran in this up (${wallS.toFixed(1)} s wall time)`;
    const orchestration = wallS > 0 ? Math.max(0, (1 - times.seconds / wallS) * 100) : 0;
    const line = `${times.cells} cell(s) ran in this up: ${times.seconds.toFixed(1)} s of ${wallS.toFixed(1)} s wall time in cells, orchestration (Pulumi, provisioning, probes, analysis) ${orchestration.toFixed(1)} %`;
    const st = times.steal;
    if (!st) return line;
    // Steal is the one disturbance a quiet-looking virtual machine cannot hide: name its worst cell.
    return `${line}; host CPU steal during ${st.cells === times.cells ? "the" : `${st.cells} of the`} cells ${st.meanPercent.toFixed(2)} % (time-weighted), at most ${st.maxPercent.toFixed(2)} % in ${st.maxCell}`;
}
