/**
 * How `isobench up` and `destroy` show where they are: on a terminal one line redrawn in place (a
 * bar, cells done/total, failed, the running cell or step, elapsed, ETA); elsewhere (CI, nohup, a
 * pipe) plain lines, one per cell end and per provisioning step. The formatting is pure; LiveView
 * writes to a stream.
 */
import { formatDuration, ProgressModel, ProgressSnapshot } from "./progress-model";
import type { ProgressEvent } from "./progress-model";
import type { LogEvent } from "./run-report";

const BAR_WIDTH = 20;

function counts(s: ProgressSnapshot): string {
    return `${s.done}/${s.total} cells${s.failed.length ? `, ${s.failed.length} failed` : ""}`;
}

function timing(s: ProgressSnapshot): string {
    return `elapsed ${formatDuration(s.elapsedS)}${s.etaS !== undefined ? `, ETA ${formatDuration(s.etaS)}` : ""}`;
}

/** What runs now: the cell (with its environment) or the provisioning step, and for how long. */
export function nowLine(s: ProgressSnapshot): string | undefined {
    if (s.current) return `${s.current.cell} (${s.current.workload} on ${s.current.environment}, ${formatDuration(s.current.sinceS)})`;
    if (s.step) return `${s.step.what}, ${formatDuration(s.step.sinceS)}`;
    return undefined;
}

/** The terminal's line: "[████░░░░] 40/102 cells, 1 failed | redis.kvm.r2 (redis on kvm, 12 s) | elapsed 10 min 02 s, ETA 14 min 30 s", cut to `columns`. */
export function barLine(s: ProgressSnapshot, columns: number): string {
    const filled = s.total ? Math.round(((s.done + s.failed.length) / s.total) * BAR_WIDTH) : 0;
    const bar = `[${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}]`;
    const now = nowLine(s);
    const line = [`${bar} ${counts(s)}`, now, timing(s)].filter(Boolean).join(" | ");
    return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
}

/** A plain line for a finished or failed cell: "41/102 cells, 1 failed, elapsed …, ETA …: redis.kvm.r2 done in 14.2 s". */
export function cellEndLine(s: ProgressSnapshot, e: LogEvent): string | undefined {
    if (e.kind === "done") return `${counts(s)}, ${timing(s)}: ${e.cell} done in ${e.seconds.toFixed(1)} s`;
    if (e.kind === "failed") return `${counts(s)}, ${timing(s)}: ${e.cell} FAILED: ${e.message.split(";")[0]}`;
    if (e.kind === "kept") return `${counts(s)}, ${timing(s)}: ${e.cell} already measured, kept`;
    return undefined;
}

/** A plain line for a provisioning step that starts: "creating guest kvm (…): 0/102 cells, elapsed 12 s". */
export function stepStartLine(s: ProgressSnapshot, step: string): string {
    return `${step}… (${counts(s)}, ${timing(s)})`;
}

export interface ViewOptions {
    readonly out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
    /** Redraw one line in place (a terminal) or write plain lines. */
    readonly live: boolean;
    readonly now?: () => number;
    /** Prefix of plain lines. */
    readonly prefix?: string;
}

/**
 * Feeds the model and shows it. Other messages go through `say` so the live line is cleared first
 * and drawn again after them.
 */
export class LiveView {
    private timer?: NodeJS.Timeout;
    private drawn = false;
    private readonly steps = new Map<string, { what: string; at: number }>();

    constructor(
        readonly model: ProgressModel,
        private readonly opts: ViewOptions,
    ) {
        if (opts.live) {
            this.timer = setInterval(() => this.draw(), 1000);
            this.timer.unref();
        }
    }

    private now(): number {
        return (this.opts.now ?? Date.now)();
    }

    apply(e: ProgressEvent): void {
        this.model.apply(e);
        if (this.opts.live) {
            if (e.kind === "failed") this.say(`${e.cell} FAILED: ${e.message}`);
            this.draw();
            return;
        }
        const s = this.model.snapshot(this.now());
        if (e.kind === "step-start") {
            this.steps.set(e.id, { what: e.step, at: e.at });
            if (!e.step.startsWith("cell ")) this.line(stepStartLine(s, e.step));
        } else if (e.kind === "step-end") {
            const st = this.steps.get(e.id);
            this.steps.delete(e.id);
            if (st && !st.what.startsWith("cell ") && (e.failed || e.at - st.at >= 5000)) {
                this.line(`${st.what.split(" (")[0]}: ${e.failed ? "failed" : "done"} after ${formatDuration((e.at - st.at) / 1000)}`);
            }
        } else {
            const l = cellEndLine(s, e as LogEvent);
            if (l) this.line(l);
        }
    }

    /** A message above the live line (or a plain line). */
    say(text: string): void {
        this.clear();
        this.line(text);
        if (this.opts.live) this.draw();
    }

    private line(text: string): void {
        this.opts.out.write(`${this.opts.prefix ?? "[isobench] "}${text}\n`);
    }

    private clear(): void {
        if (this.opts.live && this.drawn) this.opts.out.write("\r\x1b[2K");
        this.drawn = false;
    }

    draw(): void {
        if (!this.opts.live) return;
        this.opts.out.write(`\r\x1b[2K${barLine(this.model.snapshot(this.now()), (this.opts.out.columns ?? 100) - 1)}`);
        this.drawn = true;
    }

    /** Stops redrawing and leaves the last line on the terminal. */
    close(): void {
        if (this.timer) clearInterval(this.timer);
        if (this.opts.live && this.drawn) {
            this.draw();
            this.opts.out.write("\n");
        }
        this.drawn = false;
    }
}
