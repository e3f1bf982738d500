/**
 * Where a run is and how long the rest will take: cells done, failed and left of the stack's plan,
 * the cell or provisioning step running now, and an ETA from the durations measured so far. Fed
 * with the events of progress.log (experiment/run-report.ts logEvents) and with the provisioning
 * steps Pulumi's engine reports (experiment/engine-steps.ts); `isobench up` draws it live,
 * `isobench status` computes it from the files afterwards. Pure: time comes in with the events and
 * with `snapshot(now)`.
 *
 * The ETA sums, over the cells still to run, the mean measured span (a cell's start line to its
 * done line) of cells of the same workload in the same class of environment, plus the median gap
 * between a cell's end and the start of the next one of that class (Pulumi's step, the run-cell
 * process's start, and for a guest resuming it from its pause).
 * Classes, because the same workload takes minutes longer in an emulated guest than natively:
 * host (native, Docker), guest (KVM) and emulated (a guest under software emulation). How much
 * slower a class is shows only on cells whose length the work fixes (redis's requests: 10× longer
 * emulated on this host), not on those a time parameter fixes (sysbench-cpu's timeSeconds: the
 * same seconds, whatever the speed, plus a slower start): Workload.lengthFixedBy says which. A
 * workload not yet measured in a class takes its spans in another class, times how the two classes
 * compare on the workloads of its kind measured in both; with none, a work-bound one takes the
 * default factor of the classes and a time-bound one its span unchanged. A workload measured
 * nowhere in this run gets its prior (an injected function, experiment/progress-plan.ts): what
 * earlier runs on this host took for the workload in its class, used as it is, or else the
 * workload's expected seconds from its params, scaled by how the measured cells of its kind
 * compared with their priors. `isobench plan` asks the same model before any cell, so its
 * estimate and the first ETA of `up` are one figure.
 */
import type { LogEvent } from "./run-report";
import type { LengthFixedBy } from "../workloads/workload";
import { mean, median } from "../analysis/statistics";

export type EnvironmentKind = "native" | "docker" | "kvm" | "docker-in-kvm";
export type EnvironmentClass = "host" | "guest" | "emulated";

/** One cell of the plan, as the model needs it. */
export interface PlannedCell {
    readonly id: string;
    readonly workload: string;
    readonly environment: string;
    readonly kind: EnvironmentKind;
    /** What fixes the cell's length (Workload.lengthFixedBy with the cell's params). */
    readonly lengthFixedBy: LengthFixedBy;
}

/**
 * A cell's expected seconds before any such cell was measured in this run: a number is the
 * parameters' estimate (calibrated by the run's measurements); `earlierS` is what earlier runs on
 * this host took for it in its class (used as it is); undefined when unknown.
 */
export type CellPrior = (cell: PlannedCell) => number | EarlierPrior | undefined;

/**
 * What earlier runs say a cell takes. `shipped`: from the runs the checkout ships (cell-history.ts
 * readShippedHistory), not this machine's. `approximate`: shipped, or carried over from another
 * kind of environment; the run's own measurements then correct it (ProgressModel.expectedS).
 */
export interface EarlierPrior {
    readonly earlierS: number;
    readonly shipped?: boolean;
    readonly approximate?: boolean;
}

/** A provisioning step Pulumi is on (creating a guest, probing an environment), from its engine events. */
export type StepEvent =
    | { readonly kind: "step-start"; readonly at: number; readonly step: string; readonly id: string }
    | { readonly kind: "step-end"; readonly at: number; readonly id: string; readonly failed?: boolean };

export type ProgressEvent = LogEvent | StepEvent;

/**
 * Without measurements: how much slower a work-bound cell of each class is than the same cell on
 * the host (a time-bound one lasts its time in every class). A best guess, hence not
 * experiment/cell-limit.ts's EMULATION_SLOWDOWN (50), the worst case a cell's limit and
 * `isobench plan` must not fall short of.
 */
/** The class of cells in an environment of `kind` whose guests ran under `accel`. */
export function environmentClass(kind: string, accel: string): EnvironmentClass {
    return kind === "native" || kind === "docker" ? "host" : accel === "tcg" ? "emulated" : "guest";
}

export const DEFAULT_CLASS_FACTOR: Readonly<Record<EnvironmentClass, number>> = {
    host: 1,
    guest: 1.2,
    // This project's emulated guests ran felter2014-small's work-bound cells 6-10× slower than the host (mean span per
    // workload: pxz 7×, HPL 8-10×, RandomAccess 8×, STREAM 7×, redis 6×), quick's redis 5-10× (vs docker-nat's and native's).
    emulated: 10,
};
/** Seconds between two cells before any gap was measured (this host: about 1.3 s). */
export const DEFAULT_GAP_S = 2;
/** Seconds of a cell whose workload gives no estimate and nothing measured says better. */
export const UNKNOWN_CELL_S = 60;

export interface ProgressOptions {
    readonly prior: CellPrior;
    /** Cells measured before this run (their CSV is there): counted as done from the start. */
    readonly measured?: Iterable<string>;
    /** Cells whose last attempt failed and that this run does not retry (status, an up's precision passes); an up retries them. */
    readonly failed?: Iterable<string>;
    /** The host's accel when known (up): "tcg" makes every guest an emulated one. */
    readonly hostAccel?: string;
    /** When the run began (ms); elapsed time counts from here. */
    readonly startedAt: number;
}

export interface ProgressSnapshot {
    readonly total: number;
    readonly done: number;
    /** Failed in this run (or before, for status), in the order they failed. */
    readonly failed: readonly string[];
    /** Neither done nor failed, the running cell included, in plan order. */
    readonly left: readonly string[];
    readonly current?: { readonly cell: string; readonly workload: string; readonly environment: string; readonly sinceS: number };
    /** The provisioning step Pulumi is on, when no cell runs. */
    readonly step?: { readonly what: string; readonly sinceS: number };
    readonly elapsedS: number;
    /** Seconds until the last planned cell is done; undefined when nothing is left. */
    readonly etaS?: number;
}

/** The median, or undefined where nothing was measured yet. */
const medianOf = (xs: readonly number[]): number | undefined => (xs.length > 0 ? median(xs) : undefined);

export class ProgressModel {
    private readonly byId: ReadonlyMap<string, PlannedCell>;
    private readonly lengthOf: ReadonlyMap<string, LengthFixedBy>;
    private readonly done = new Set<string>();
    private readonly failed: string[] = [];
    /** Measured spans (s) per workload and class. */
    private readonly spans = new Map<string, number[]>();
    /** Seconds from one cell's end to the next one's start, by the class of the cell that starts (resuming a paused guest takes longer). */
    private readonly gaps = new Map<EnvironmentClass, number[]>();
    /** What each environment's cells said their accel was. */
    private readonly accel = new Map<string, string>();
    private readonly started = new Map<string, number>();
    private current?: { cell: string; at: number };
    private lastEnd?: number;
    private readonly steps = new Map<string, { what: string; at: number }>();

    constructor(
        private readonly plan: readonly PlannedCell[],
        private readonly opts: ProgressOptions,
    ) {
        this.byId = new Map(plan.map((c) => [c.id, c]));
        this.lengthOf = new Map(plan.map((c) => [c.workload, c.lengthFixedBy]));
        for (const c of opts.measured ?? []) if (this.byId.has(c)) this.done.add(c);
        for (const c of opts.failed ?? []) if (this.byId.has(c) && !this.done.has(c)) this.failed.push(c);
    }

    /**
     * Learns durations from events of earlier runs (the same progress.log before this up) without
     * counting their cells: what is done is what `measured` said.
     */
    learn(events: readonly ProgressEvent[]): void {
        let lastEnd: number | undefined;
        const started = new Map<string, number>();
        for (const e of events) {
            if (e.kind === "up-start") lastEnd = undefined;
            else if (e.kind === "start") {
                if (e.accel) this.noteAccel(e.cell, e.accel);
                if (lastEnd !== undefined) this.addGap(e.cell, (e.at - lastEnd) / 1000);
                started.set(e.cell, e.at);
                lastEnd = undefined;
            } else if (e.kind === "done" || e.kind === "failed") {
                const s = started.get(e.cell);
                if (e.kind === "done" && s !== undefined) this.addSpan(e.cell, (e.at - s) / 1000);
                started.delete(e.cell);
                lastEnd = e.at;
            }
        }
    }

    apply(e: ProgressEvent): void {
        switch (e.kind) {
            case "start":
                if (e.accel) this.noteAccel(e.cell, e.accel);
                if (this.lastEnd !== undefined) this.addGap(e.cell, (e.at - this.lastEnd) / 1000);
                this.lastEnd = undefined;
                this.started.set(e.cell, e.at);
                this.current = { cell: e.cell, at: e.at };
                // A failed cell that starts again is being retried: running, not failed.
                if (this.failed.includes(e.cell)) this.failed.splice(this.failed.indexOf(e.cell), 1);
                return;
            case "done":
            case "kept":
            case "failed": {
                const s = this.started.get(e.cell);
                if (e.kind === "done" && s !== undefined) this.addSpan(e.cell, (e.at - s) / 1000);
                this.started.delete(e.cell);
                if (this.current?.cell === e.cell) this.current = undefined;
                if (e.kind === "failed") {
                    if (!this.failed.includes(e.cell) && this.byId.has(e.cell)) this.failed.push(e.cell);
                } else if (this.byId.has(e.cell)) {
                    this.done.add(e.cell);
                    const i = this.failed.indexOf(e.cell);
                    if (i >= 0) this.failed.splice(i, 1);
                }
                // A kept cell ran nothing: the gap before the next cell is not one between two measurements.
                this.lastEnd = e.kind === "kept" ? undefined : e.at;
                return;
            }
            case "up-start":
            case "up-end":
                this.lastEnd = undefined;
                this.current = undefined;
                return;
            case "step-start":
                this.steps.set(e.id, { what: e.step, at: e.at });
                return;
            case "step-end":
                this.steps.delete(e.id);
                return;
        }
    }

    snapshot(now: number): ProgressSnapshot {
        const failed = new Set(this.failed);
        const left = this.plan.filter((c) => !this.done.has(c.id) && !failed.has(c.id)).map((c) => c.id);
        const cur = this.current && this.byId.get(this.current.cell);
        const step = cur ? undefined : [...this.steps.values()].at(-1);
        return {
            total: this.plan.length,
            done: this.done.size,
            failed: [...this.failed],
            left,
            ...(cur && this.current
                ? { current: { cell: cur.id, workload: cur.workload, environment: cur.environment, sinceS: (now - this.current.at) / 1000 } }
                : {}),
            ...(step ? { step: { what: step.what, sinceS: (now - step.at) / 1000 } } : {}),
            elapsedS: (now - this.opts.startedAt) / 1000,
            ...(left.length > 0 ? { etaS: this.eta(left, cur && this.current ? { cell: cur, sinceS: (now - this.current.at) / 1000 } : undefined) } : {}),
        };
    }

    /** Seconds a cell of the plan is expected to take (its span), from what was measured and the prior. */
    expectedS(cell: PlannedCell): number {
        const cls = this.classOf(cell);
        const own = this.spans.get(key(cell.workload, cls));
        if (own) return mean(own);
        const prior = this.opts.prior(cell);
        if (typeof prior === "object" && !prior.approximate) return prior.earlierS;
        for (const other of CLASSES) {
            const there = this.spans.get(key(cell.workload, other));
            if (other !== cls && there) return mean(there) * this.classRatio(cls, other, cell.lengthFixedBy);
        }
        // Another machine's figure or another kind's: as much faster or slower as this run has been against such figures so far.
        if (typeof prior === "object") return prior.earlierS * (medianOf(this.approximateRatios()) ?? 1);
        const measuredMean = this.classMean(cls);
        if (prior === undefined) return measuredMean ?? UNKNOWN_CELL_S * DEFAULT_CLASS_FACTOR[cls];
        return prior * this.calibration(cls, cell.lengthFixedBy);
    }

    private eta(left: readonly string[], current: { cell: PlannedCell; sinceS: number } | undefined): number {
        const all = medianOf([...this.gaps.values()].flat()) ?? DEFAULT_GAP_S;
        const gap = (c: PlannedCell) => medianOf(this.gaps.get(this.classOf(c)) ?? []) ?? all;
        let s = 0;
        for (const id of left) {
            const c = this.byId.get(id)!;
            if (current && current.cell.id === id) s += Math.max(0, this.expectedS(c) - current.sinceS);
            else s += this.expectedS(c) + gap(c);
        }
        return s;
    }

    private addGap(cell: string, seconds: number): void {
        const c = this.byId.get(cell);
        if (!c || !(seconds >= 0)) return;
        const cls = this.classOf(c);
        this.gaps.set(cls, [...(this.gaps.get(cls) ?? []), seconds]);
    }

    private noteAccel(cell: string, accel: string): void {
        const c = this.byId.get(cell);
        if (c) this.accel.set(c.environment, accel);
    }

    private addSpan(cell: string, seconds: number): void {
        const c = this.byId.get(cell);
        if (!c || !(seconds >= 0)) return;
        const k = key(c.workload, this.classOf(c));
        this.spans.set(k, [...(this.spans.get(k) ?? []), seconds]);
    }

    classOf(cell: PlannedCell): EnvironmentClass {
        const known = this.accel.get(cell.environment) ?? this.opts.hostAccel;
        if (cell.kind === "native" || cell.kind === "docker" || known !== undefined) return environmentClass(cell.kind, known ?? "none");
        // A guest not run yet is emulated when another guest of the stack was.
        const guests = this.plan.filter((c) => c.kind === "kvm" || c.kind === "docker-in-kvm").map((c) => this.accel.get(c.environment));
        return guests.includes("tcg") ? "emulated" : "guest";
    }

    /**
     * How much longer a cell of class `a` takes than one of class `b`, for cells whose length
     * `length` fixes: the median over such workloads measured in both. Without one, the defaults'
     * ratio for work-bound cells, and 1 for time-bound ones.
     */
    private classRatio(a: EnvironmentClass, b: EnvironmentClass, length: LengthFixedBy): number {
        const ratios: number[] = [];
        for (const [k, xs] of this.spans) {
            const [w, cls] = splitKey(k);
            const other = this.spans.get(key(w, b));
            if (cls === a && other && this.lengthOf.get(w) === length) ratios.push(mean(xs) / mean(other));
        }
        return medianOf(ratios) ?? (length === "work" ? DEFAULT_CLASS_FACTOR[a] / DEFAULT_CLASS_FACTOR[b] : 1);
    }

    /**
     * Measured span over prior for the class's measured workloads of the same kind (median), or
     * scaled from another class; without any, the default factor (work) or 1 (time).
     */
    private calibration(cls: EnvironmentClass, length: LengthFixedBy): number {
        const own = this.priorRatios(cls, length);
        if (own.length > 0) return median(own);
        for (const other of CLASSES) {
            const r = this.priorRatios(other, length);
            if (r.length > 0) return median(r) * this.classRatio(cls, other, length);
        }
        return length === "work" ? DEFAULT_CLASS_FACTOR[cls] : 1;
    }

    private priorRatios(cls: EnvironmentClass, length: LengthFixedBy): number[] {
        const out: number[] = [];
        for (const [k, xs] of this.spans) {
            const [w, c] = splitKey(k);
            if (c !== cls || this.lengthOf.get(w) !== length) continue;
            const sample = this.plan.find((p) => p.workload === w && this.classOf(p) === cls);
            const prior = sample && this.opts.prior(sample);
            if (typeof prior === "number" && prior > 0) out.push(mean(xs) / prior);
        }
        return out;
    }

    /** Measured span over the approximate earlier figure, for each workload and class of this run that had one. */
    private approximateRatios(): number[] {
        const out: number[] = [];
        for (const [k, xs] of this.spans) {
            const [w, c] = splitKey(k);
            const sample = this.plan.find((p) => p.workload === w && this.classOf(p) === c);
            const prior = sample && this.opts.prior(sample);
            if (typeof prior === "object" && prior.approximate && prior.earlierS > 0) out.push(mean(xs) / prior.earlierS);
        }
        return out;
    }

    private classMean(cls: EnvironmentClass): number | undefined {
        const xs = [...this.spans].filter(([k]) => splitKey(k)[1] === cls).flatMap(([, v]) => v);
        return xs.length ? mean(xs) : undefined;
    }
}

const CLASSES: readonly EnvironmentClass[] = ["host", "guest", "emulated"];
const key = (workload: string, cls: EnvironmentClass) => `${workload}\u0000${cls}`;
const splitKey = (k: string) => k.split("\u0000") as [string, EnvironmentClass];

/** "1 h 02 min", "4 min 05 s", "12 s". */
export function formatDuration(s: number): string {
    const t = Math.max(0, Math.round(s));
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const sec = t % 60;
    if (h > 0) return `${h} h ${String(m).padStart(2, "0")} min`;
    if (m > 0) return `${m} min ${String(sec).padStart(2, "0")} s`;
    return `${sec} s`;
}
