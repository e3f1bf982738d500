/**
 * Where a run's results live inside results/<stack>/<runId>/ (experiment/results-state.ts says
 * what each file means and how files move): shared by the runner, which writes them, and the
 * analysis, which reads them.
 */
import * as fs from "fs";
import * as path from "path";

export const cellCsvPath = (resultsDir: string, cellId: string) => path.join(resultsDir, "cells", `${cellId}.csv`);
/** The run's host stability probes (analysis/host-stability.ts HOST_STABILITY_COLUMNS), and where each probe's output is kept. */
export const hostStabilityCsvPath = (resultsDir: string) => path.join(resultsDir, "host-stability.csv");
export const hostStabilityRawPath = (resultsDir: string, probe: number) => path.join(resultsDir, "raw", "host-stability", `probe-${probe}.txt`);
export const cellErrorPath = (resultsDir: string, cellId: string) => path.join(resultsDir, "cells", `${cellId}.error`);

/** What cells/<cell>.error holds. */
export interface CellError {
    readonly cell: string;
    readonly failedAt: string;
    readonly message: string;
    /** The measured tool's exit status, when it ran and failed. */
    readonly exitStatus?: number;
    /** The raw output kept for it, relative to the results folder. */
    readonly raw?: string;
    readonly fingerprint: string;
}

/** The error record, or a stand-in naming the file when it cannot be read (it is still a failed cell). */
export function readCellError(file: string): CellError {
    const cell = path.basename(file).replace(/\.error$/, "");
    try {
        const e = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<CellError>;
        return {
            ...(typeof e.exitStatus === "number" ? { exitStatus: e.exitStatus } : {}),
            ...(typeof e.raw === "string" ? { raw: e.raw } : {}),
            cell,
            failedAt: String(e.failedAt ?? ""),
            message: String(e.message ?? "(no message)"),
            fingerprint: String(e.fingerprint ?? ""),
        };
    } catch (err) {
        return { cell, failedAt: "", message: `unreadable error record ${file}: ${(err as Error).message}`, fingerprint: "" };
    }
}
