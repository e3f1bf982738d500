/**
 * How long cells took in earlier runs on this host, by what defined them, so that `isobench plan`
 * (and up's preflight) can expect what this host actually does rather than what the parameters
 * suggest at slow rates: every results/<stack>/<run>/progress.log gives each cell's start and done
 * (run-report.ts cellIntervals), its CSV the fingerprint (workload, parameters with defaults,
 * environment variant, images) and accel it ran under. Any stack's run counts: a fingerprint does
 * not depend on the stack. Reads files only.
 */
import * as fs from "fs";
import * as path from "path";
import { cellIntervals } from "./run-report";
import { csvDefinition } from "./results-state";
import { cellCsvPath } from "../core/results-layout";

/** Seconds each earlier cell took, by historyKey(fingerprint, accel). */
export type CellHistory = ReadonlyMap<string, readonly number[]>;

export const historyKey = (fingerprint: string, accel: string): string => `${fingerprint}@${accel}`;

const subdirs = (dir: string): string[] =>
    fs.existsSync(dir)
        ? fs
              .readdirSync(dir, { withFileTypes: true })
              .filter((d) => d.isDirectory())
              .map((d) => path.join(dir, d.name))
        : [];

/**
 * Durations of the finished cells under `resultsRoot` (results/<stack>/<run>/) whose workload is
 * one of `workloads`. A cell without a done line (running, failed, killed) or without a readable
 * CSV with a fingerprint is left out: it says nothing about how long its definition takes.
 */
export function readCellHistory(resultsRoot: string, workloads: ReadonlySet<string>): CellHistory {
    const history = new Map<string, number[]>();
    for (const runDir of subdirs(resultsRoot).flatMap(subdirs)) {
        const log = path.join(runDir, "progress.log");
        if (!fs.existsSync(log)) continue;
        for (const [cell, [start, end]] of cellIntervals(fs.readFileSync(log, "utf8"))) {
            if (!Number.isFinite(end) || !workloads.has(cell.split(".")[0])) continue;
            const csv = cellCsvPath(runDir, cell);
            let def;
            try {
                def = fs.existsSync(csv) ? csvDefinition(csv) : undefined;
            } catch {
                continue; // a CSV the analysis would list as a problem: no definition to match
            }
            if (!def?.fingerprint) continue;
            const key = historyKey(def.fingerprint, def.accel);
            history.set(key, [...(history.get(key) ?? []), (end - start) / 1000]);
        }
    }
    return history;
}
