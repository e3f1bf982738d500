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
}

/** A cell's "start" or "done" line of progress.log (experiment/runner.ts writes them). */
interface CellEvent {
    readonly at: number;
    readonly cell: string;
    readonly kind: "start" | "done";
    /** done: the runner's own start→done time. */
    readonly seconds?: number;
    /** start: seconds from the `isobench run-cell` process's start to this line (its share of a gap). */
    readonly launchS?: number;
}

const EVENT = /^(\S+) cell (\S+): (?:start \(.*?(?:launched ([0-9.]+) s before)?\)|done in ([0-9.]+) s)/;

/** The cell events at or after `since`, in log order. */
function cellEvents(progressLog: string, since: Date): CellEvent[] {
    const events: CellEvent[] = [];
    for (const line of progressLog.split("\n")) {
        const m = EVENT.exec(line);
        if (!m) continue;
        const at = new Date(m[1]).getTime();
        if (!(at >= since.getTime())) continue;
        events.push(
            m[4] !== undefined
                ? { at, cell: m[2], kind: "done", seconds: Number(m[4]) }
                : { at, cell: m[2], kind: "start", launchS: m[3] !== undefined ? Number(m[3]) : undefined },
        );
    }
    return events;
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
    return { cells: done.length, seconds: done.reduce((a, e) => a + (e.seconds ?? 0), 0) };
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
    return `${times.cells} cell(s) ran in this up: ${times.seconds.toFixed(1)} s of ${wallS.toFixed(1)} s wall time in cells, orchestration (Pulumi, provisioning, probes, analysis) ${orchestration.toFixed(1)} %`;
}
