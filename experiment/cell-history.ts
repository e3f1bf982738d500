/**
 * How long cells took in earlier runs on this host, so that `isobench plan`, up's preflight and
 * the progress display before a cell of the kind has run expect what this host actually does
 * rather than what the parameters suggest at slow rates. Every results/<stack>/<run>/ gives each
 * cell's start and done (progress.log, run-report.ts cellIntervals), the accelerator it ran under
 * (its CSV), and what its parameters made the workload expect there (provenance/spec.json, the
 * resolved spec, with the CPUs environments.csv says its environment saw). Any stack's run counts:
 * a cell of the same workload in the same kind of environment under the same accelerator, whatever
 * its parameters, says how this host's speed compares with the parameters' estimate. A run without
 * provenance (before it was recorded) says nothing about parameters and is left out. Reads files only.
 */
import * as fs from "fs";
import * as path from "path";
import { cellIntervals } from "./run-report";
import { csvDefinition } from "./results-state";
import { cellCsvPath } from "../core/results-layout";
import { parse } from "csv-parse/sync";
import { provenanceFiles } from "../core/provenance";
import type { ExperimentSpec } from "./spec";
import { CellHistory, EarlierCell, historyKey, paramsPrior } from "./progress-plan";

const subdirs = (dir: string): string[] =>
    fs.existsSync(dir)
        ? fs
              .readdirSync(dir, { withFileTypes: true })
              .filter((d) => d.isDirectory())
              .map((d) => path.join(dir, d.name))
        : [];

/** The CPU count each environment of a run saw (environments.csv, fact nproc). */
function nprocs(runDir: string): Map<string, number> {
    const file = path.join(runDir, "environments.csv");
    const out = new Map<string, number>();
    if (!fs.existsSync(file)) return out;
    let rows: Array<Record<string, string>>;
    try {
        rows = parse(fs.readFileSync(file, "utf8"), { columns: true });
    } catch {
        return out;
    }
    for (const r of rows) {
        const n = Number(r.measured || r.value);
        if (r.fact === "nproc" && n > 0) out.set(r.environment, n);
    }
    return out;
}

/**
 * The finished cells under `resultsRoot` (results/<stack>/<run>/) whose workload is one of
 * `workloads`. A cell without a done line (running, failed, killed), without a readable CSV, or of
 * a run without a resolved spec is left out: it says nothing about how long its definition takes.
 */
export function readCellHistory(resultsRoot: string, workloads: ReadonlySet<string>): CellHistory {
    const history = new Map<string, EarlierCell[]>();
    for (const runDir of subdirs(resultsRoot).flatMap(subdirs)) addRun(history, runDir, workloads, false);
    return history;
}

/**
 * The same from the runs this checkout ships (docs/results/<name>/, one run per folder), marked
 * `shipped`: what a fresh machine has before its own first run. They come from the development
 * machines (2 vCPUs of a nested microVM, guests emulated), so earlierRunsPrior takes them only where
 * this machine ran none of the workload, and the plan names them.
 */
export function readShippedHistory(shippedRoot: string, workloads: ReadonlySet<string>): CellHistory {
    const history = new Map<string, EarlierCell[]>();
    for (const runDir of subdirs(shippedRoot)) addRun(history, runDir, workloads, true);
    return history;
}

function addRun(history: Map<string, EarlierCell[]>, runDir: string, workloads: ReadonlySet<string>, shipped: boolean): void {
    const log = path.join(runDir, "progress.log");
    const specFile = provenanceFiles(runDir).spec;
    if (!fs.existsSync(log) || !fs.existsSync(specFile)) return;
    let spec: Pick<ExperimentSpec, "workloads" | "environmentSpecs">;
    try {
        spec = JSON.parse(fs.readFileSync(specFile, "utf8"));
        if (!Array.isArray(spec.workloads) || !Array.isArray(spec.environmentSpecs)) return;
    } catch {
        return;
    }
    const cpus = nprocs(runDir);
    // The host's CPUs: what an environment without a limit (native) saw.
    const prior = paramsPrior(spec, Math.max(1, ...cpus.values()));
    for (const [cell, [start, end]] of cellIntervals(fs.readFileSync(log, "utf8"))) {
        const [workload, environment] = cell.split(".");
        if (!Number.isFinite(end) || !workloads.has(workload)) continue;
        const kind = spec.environmentSpecs.find((e) => e.name === environment)?.kind;
        let accel;
        try {
            const csv = cellCsvPath(runDir, cell);
            accel = fs.existsSync(csv) ? csvDefinition(csv).accel : undefined;
        } catch {
            continue; // a CSV the analysis would list as a problem
        }
        if (!kind || !accel) continue;
        const p = prior({ id: cell, workload, environment, kind, lengthFixedBy: "work" });
        if (typeof p !== "number" || !(p > 0)) continue;
        const key = historyKey(workload, kind, accel);
        history.set(key, [...(history.get(key) ?? []), { seconds: (end - start) / 1000, priorS: p, ...(shipped && { shipped }) }]);
    }
}

/** The runs this checkout ships, in docs/results (scripts/publish-results.sh puts them there). */
export const shippedResultsDir = (repoRoot: string) => path.join(repoRoot, "docs", "results");

/** What earlier runs say of `workloads`: this machine's runs under `resultsRoot`, and the shipped runs for what they lack. */
export function cellHistoryFor(resultsRoot: string, repoRoot: string, workloads: ReadonlySet<string>): CellHistory {
    return withShipped(readCellHistory(resultsRoot, workloads), readShippedHistory(shippedResultsDir(repoRoot), workloads));
}

/** `local`'s cells, and `shipped`'s for every key `local` has none of. */
export function withShipped(local: CellHistory, shipped: CellHistory): CellHistory {
    const out = new Map(local);
    for (const [k, cells] of shipped) if (!out.has(k)) out.set(k, cells);
    return out;
}
