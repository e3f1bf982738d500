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

const DONE = /^(\S+) cell (\S+): done in ([0-9.]+) s/;

/** Cells that finished since `since` according to progress.log's "cell <id>: done in X s" lines. */
export function cellTimesSince(progressLog: string, since: Date): CellTimes {
    let cells = 0;
    let seconds = 0;
    for (const line of progressLog.split("\n")) {
        const m = DONE.exec(line);
        if (!m || !(new Date(m[1]).getTime() >= since.getTime())) continue;
        cells += 1;
        seconds += Number(m[3]);
    }
    return { cells, seconds };
}

const STAMP = /^(\S+) cell (\S+): (start|done in) /;

/**
 * Idle time between cells: for each cell that started after another finished (in log order, since
 * `since`), the seconds from that "done" line to this "start" line — Pulumi's step, the provider,
 * the CLI starting — and the start→done span of every cell.
 */
export function cellGaps(progressLog: string, since: Date): { readonly gaps: number[]; readonly spans: number[] } {
    const gaps: number[] = [];
    const spans: number[] = [];
    let lastDone: number | undefined;
    const started = new Map<string, number>();
    for (const line of progressLog.split("\n")) {
        const m = STAMP.exec(line);
        if (!m) continue;
        const t = new Date(m[1]).getTime();
        if (!(t >= since.getTime())) continue;
        if (m[3] === "start") {
            if (lastDone !== undefined) gaps.push((t - lastDone) / 1000);
            started.set(m[2], t);
            lastDone = undefined;
        } else {
            const s = started.get(m[2]);
            if (s !== undefined) spans.push((t - s) / 1000);
            lastDone = t;
        }
    }
    return { gaps, spans };
}

/** "102 cells, 1510.2 s of 1720.5 s wall time in cells: orchestration 12.2 %". */
export function describeRun(times: CellTimes, wallS: number): string {
    if (times.cells === 0) return `no cell ran in this up (${wallS.toFixed(1)} s wall time)`;
    const orchestration = wallS > 0 ? Math.max(0, (1 - times.seconds / wallS) * 100) : 0;
    return `${times.cells} cell(s) ran in this up: ${times.seconds.toFixed(1)} s of ${wallS.toFixed(1)} s wall time in cells, orchestration (Pulumi, provisioning, probes, analysis) ${orchestration.toFixed(1)} %`;
}
