/**
 * A run's results folder as the next `up` reads it, and the two moves that change it besides a
 * measurement: recording a failed cell and setting a measured one aside. Results are evidence: no
 * file here is ever deleted or overwritten; what is replaced moves into superseded/.
 *
 *   cells/<cell>.csv        the cell's samples (every row carries the cell's fingerprint)
 *   cells/<cell>.error      its last failed attempt (JSON: CellError), while it has no CSV
 *   raw/<cell>.*            the tools' raw output and server log of the last attempt
 *   superseded/<cell>/<k>/  attempt k set aside: its CSV or error and raw files, and why
 */
import * as fs from "fs";
import * as path from "path";
import { samplesFromCsv } from "../core/samples";
import { writeFileAtomic } from "../core/files";
import { CellError, cellCsvPath, cellErrorPath } from "../core/results-layout";

export { cellCsvPath, cellErrorPath, readCellError } from "../core/results-layout";

export const SUPERSEDED_DIR = "superseded";

/**
 * What the results folder says about the planned cells when the program runs: how many times each
 * cell was attempted beyond its first measurement. A cell that failed, or whose CSV was moved
 * aside by --remeasure, gets a new count, which replaces its resource so that run-cell runs again;
 * the count stays put once the cell is measured (its error then moves into superseded/).
 */
export interface ResultsState {
    readonly attempts: ReadonlyMap<string, number>;
}

export function writeCellError(resultsDir: string, e: CellError): string {
    const file = cellErrorPath(resultsDir, e.cell);
    writeFileAtomic(file, `${JSON.stringify(e, null, 2)}\n`);
    return file;
}

/** The fingerprint the CSV's rows carry ("" when written before fingerprints, or with no rows). */
export function csvFingerprint(file: string): string {
    return csvDefinition(file).fingerprint;
}

/** What defined a cell's CSV and where it ran: its rows' fingerprint and accel ("" for either when it has no rows). */
export function csvDefinition(file: string): { readonly fingerprint: string; readonly accel: string } {
    const first = samplesFromCsv(fs.readFileSync(file, "utf8"), file)[0];
    return { fingerprint: first?.fingerprint ?? "", accel: first?.accel ?? "" };
}

/** The numbers of the cell's attempts set aside in superseded/. */
function supersededAttempts(resultsDir: string, cellId: string): number[] {
    const d = path.join(resultsDir, SUPERSEDED_DIR, cellId);
    return fs.existsSync(d)
        ? fs
              .readdirSync(d)
              .filter((n) => /^\d+$/.test(n))
              .map(Number)
        : [];
}

/**
 * Set by `isobench up` for the precision passes that follow a pass with failed cells: those cells
 * keep the attempt count they failed under, so Pulumi sees no change and does not run them again
 * in that up (a cell that failed by hanging would cost its whole limit in every pass); the next up
 * retries them as always.
 */
export const HOLD_FAILED_ENV = "ISOBENCH_HOLD_FAILED";

/**
 * What the folder says about the planned cells: attempts (program.ts ResultsState), measured
 * fingerprints, failed cells. With holdFailed, a failed cell's attempts leave its error out: the
 * count its resource was created with (HOLD_FAILED_ENV).
 */
export function readResultsState(
    resultsDir: string,
    cellIds: readonly string[],
    opts: { readonly holdFailed?: boolean } = {},
): { readonly state: ResultsState; readonly fingerprints: ReadonlyMap<string, string>; readonly failed: readonly string[] } {
    const attempts = new Map<string, number>();
    const fingerprints = new Map<string, string>();
    const failed: string[] = [];
    for (const id of cellIds) {
        const csv = fs.existsSync(cellCsvPath(resultsDir, id));
        const error = !csv && fs.existsSync(cellErrorPath(resultsDir, id));
        if (csv) fingerprints.set(id, csvFingerprint(cellCsvPath(resultsDir, id)));
        if (error) failed.push(id);
        const n = supersededAttempts(resultsDir, id).length + (error && !opts.holdFailed ? 1 : 0);
        if (n > 0) attempts.set(id, n);
    }
    return { state: { attempts }, fingerprints, failed };
}

/**
 * Moves the cell's CSV or error record and its raw files into superseded/<cell>/<k>/ with a note
 * of why, so that the cell can be measured again without losing what it had. Returns the folder,
 * or undefined when the cell had nothing to move.
 */
export function supersede(resultsDir: string, cellId: string, why: string): string | undefined {
    const rawDir = path.join(resultsDir, "raw");
    const moving = [
        cellCsvPath(resultsDir, cellId),
        cellErrorPath(resultsDir, cellId),
        // raw/<cell>.txt, raw/<cell>.server.log, …: the cell id and a dot, so r1 never takes r10's.
        ...(fs.existsSync(rawDir) ? fs.readdirSync(rawDir).filter((n) => n.startsWith(`${cellId}.`)) : []).map((n) => path.join(rawDir, n)),
    ].filter((f) => fs.existsSync(f));
    if (!moving.some((f) => f.endsWith(".csv") || f.endsWith(".error"))) return undefined;
    const to = path.join(resultsDir, SUPERSEDED_DIR, cellId, String(Math.max(0, ...supersededAttempts(resultsDir, cellId)) + 1));
    fs.mkdirSync(to, { recursive: true });
    for (const f of moving) {
        const dest = path.join(to, path.relative(resultsDir, f));
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.renameSync(f, dest);
    }
    fs.writeFileSync(path.join(to, "why.txt"), `${new Date().toISOString()} ${why}\n`);
    return to;
}
