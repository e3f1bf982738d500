/**
 * Reads the samples of a results directory (`<dir>/cells/*.csv`, written by the runner).
 * Nothing is skipped silently: every file that cannot be used, and every entry of cells/ that is
 * not a sample file, is returned as a problem next to the samples that could be read.
 */
import * as fs from "fs";
import * as path from "path";
import { Sample, samplesFromCsv } from "../core/samples";
import { readCellError } from "../core/results-layout";

export interface LoadProblem {
    /** Path of the offending file or entry. */
    readonly file: string;
    readonly error: string;
}

export interface LoadedResults {
    readonly dir: string;
    readonly cellsDir: string;
    /** The cells/*.csv files that were read (successfully or not), sorted. */
    readonly files: readonly string[];
    readonly samples: readonly Sample[];
    readonly problems: readonly LoadProblem[];
}

const BETTER = new Set(["higher", "lower"]);
const ACCEL = new Set(["kvm", "tcg", "none"]);
const ENV_KIND = new Set(["native", "docker", "kvm", "docker-in-kvm"]);

/**
 * What samplesFromCsv does not check: the enumerated columns, and the columns analysis groups by.
 * Throws naming the file and the CSV row (header = row 1).
 */
function validate(samples: readonly Sample[], file: string): void {
    samples.forEach((s, i) => {
        const row = i + 2;
        for (const c of ["environment", "workload", "metric", "unit"] as const) {
            if (!s[c]) throw new Error(`${file}: row ${row} has an empty ${c}`);
        }
        if (!BETTER.has(s.better)) throw new Error(`${file}: row ${row} has better "${s.better}", expected higher or lower`);
        if (!ACCEL.has(s.accel)) throw new Error(`${file}: row ${row} has accel "${s.accel}", expected kvm, tcg or none`);
        if (!ENV_KIND.has(s.env_kind)) throw new Error(`${file}: row ${row} has env_kind "${s.env_kind}", expected native, docker, kvm or docker-in-kvm`);
    });
}

/** Called after each cells/ entry: index of the entry (1-based), number of entries, rows so far. */
export type LoadProgress = (done: number, total: number, rows: number) => void;

export interface StreamedResults {
    readonly dir: string;
    readonly cellsDir: string;
    /** The cells/*.csv files that were read (successfully or not), sorted. */
    readonly files: readonly string[];
    /** Number of samples handed to onSample. */
    readonly rows: number;
    readonly problems: readonly LoadProblem[];
}

/** An entry of cells/, as listed by listCells. */
export interface CellEntry {
    readonly name: string;
    readonly isFile: boolean;
}

/**
 * The entries of <dir>/cells sorted by name (plain code-unit order); none when it is missing.
 * Failed cells (<cell>.error, core/results-layout.ts) are not read as samples but reported, with
 * their message; with `plan` (the cell ids of the stack's current plan), CSVs of other cells are
 * left out and reported too, so a run whose definition shrank is not analysed with cells it no
 * longer has.
 */
export function listCells(dir: string, plan?: readonly string[]): { cellsDir: string; entries: CellEntry[]; skipped: LoadProblem[] } {
    const cellsDir = path.join(dir, "cells");
    if (!fs.existsSync(cellsDir)) return { cellsDir, entries: [], skipped: [] };
    const planned = plan ? new Set(plan) : undefined;
    const skipped: LoadProblem[] = [];
    const entries = fs
        .readdirSync(cellsDir, { withFileTypes: true })
        .map((e) => ({ name: e.name, isFile: e.isFile() }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .filter((e) => {
            const file = path.join(cellsDir, e.name);
            if (e.name.endsWith(".error") && e.isFile) {
                const cell = e.name.slice(0, -".error".length);
                if (planned && !planned.has(cell)) return false;
                skipped.push({ file, error: `cell ${cell} failed and has no samples: ${readCellError(file).message.split("\n")[0]}` });
                return false;
            }
            if (planned && e.name.endsWith(".csv") && !planned.has(e.name.slice(0, -".csv".length))) {
                skipped.push({ file, error: "not a cell of the stack's current plan (left by an earlier definition of this run); not used" });
                return false;
            }
            return true;
        });
    return { cellsDir, entries, skipped };
}

/**
 * Reads the given entries of cellsDir one file at a time and hands each valid sample to
 * onSample, so memory holds one file's rows, not the whole run. A file is used entirely or not
 * at all (a file with one bad row is a problem, none of its rows are used). onProgress gets the
 * number of entries done (of these entries) and rows so far.
 */
export function readCellEntries(
    cellsDir: string,
    entries: readonly CellEntry[],
    onSample: (s: Sample) => void,
    onProgress?: (done: number, rows: number) => void,
): { files: string[]; rows: number; problems: LoadProblem[] } {
    const files: string[] = [];
    const problems: LoadProblem[] = [];
    let rows = 0;
    entries.forEach((e, index) => {
        const file = path.join(cellsDir, e.name);
        try {
            if (!e.name.endsWith(".csv")) {
                const hint = e.name.endsWith(".csv.tmp") ? " (a cell interrupted while writing its samples?)" : "";
                problems.push({ file, error: `not a .csv sample file${hint}; not read` });
                return;
            }
            if (!e.isFile) {
                problems.push({ file, error: "not a regular file; not read" });
                return;
            }
            files.push(file);
            try {
                const parsed = samplesFromCsv(fs.readFileSync(file, "utf8"), file);
                if (parsed.length === 0) {
                    problems.push({ file, error: "no sample rows (empty file or header only)" });
                    return;
                }
                validate(parsed, file);
                for (const s of parsed) onSample(s);
                rows += parsed.length;
            } catch (err) {
                const msg = err instanceof Error ? err.message : String(err);
                // samplesFromCsv and validate already name the file; the CSV parser's errors may not.
                problems.push({ file, error: msg.startsWith(file) ? msg.slice(file.length).replace(/^:\s*/, "") : msg });
            }
        } finally {
            onProgress?.(index + 1, rows);
        }
    });
    return { files, rows, problems };
}

/** Every cells/*.csv of dir through readCellEntries. A missing cells/ directory yields nothing. */
export function streamResultsDir(dir: string, onSample: (s: Sample) => void, onProgress?: LoadProgress): StreamedResults {
    const { cellsDir, entries, skipped } = listCells(dir);
    const r = readCellEntries(cellsDir, entries, onSample, (done, rows) => onProgress?.(done, entries.length, rows));
    return { dir, cellsDir, ...r, problems: [...skipped, ...r.problems] };
}

/** Loads every cells/*.csv of dir into memory (small runs, tests); see streamResultsDir. */
export function loadResultsDir(dir: string): LoadedResults {
    const samples: Sample[] = [];
    const r = streamResultsDir(dir, (s) => samples.push(s));
    return { dir, cellsDir: r.cellsDir, files: r.files, samples, problems: r.problems };
}
