/**
 * Reads a results directory's cells into group and fact accumulators, in worker threads when the
 * run is large: parsing a million CSV rows is CPU-bound, and each worker reads a contiguous slice
 * of the sorted files, so merging the slices in order gives exactly the sequential result.
 */
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { FactsAccumulator, FactsState } from "./facts";
import { CellEntry, listCells, LoadProblem, readCellEntries } from "./load";
import { GroupAccumulator } from "./overhead";

/** Below this many cell files, starting workers costs more than it saves. */
export const PARALLEL_MIN_FILES = 400;

export interface CellsRead {
    readonly cellsDir: string;
    readonly files: readonly string[];
    readonly rows: number;
    readonly problems: readonly LoadProblem[];
    readonly groups: GroupAccumulator;
    readonly facts: FactsAccumulator;
}

/** What a worker sends back (see read-cells-worker.ts). */
export interface WorkerResult {
    readonly kind: "done";
    readonly files: string[];
    readonly rows: number;
    readonly problems: LoadProblem[];
    readonly groups: ReadonlyMap<string, unknown>;
    readonly facts: FactsState;
}
export interface WorkerProgress {
    readonly kind: "progress";
    readonly done: number;
    readonly rows: number;
}
export interface WorkerInput {
    readonly cellsDir: string;
    readonly entries: readonly CellEntry[];
}

function startWorker(input: WorkerInput, onProgress: (p: WorkerProgress) => void): Promise<WorkerResult> {
    // Under ts-node (bin/isobench, mocha) the worker must register it too before loading TypeScript.
    const code = __filename.endsWith(".ts")
        ? `require(${JSON.stringify(require.resolve("ts-node/register/transpile-only"))}); require(${JSON.stringify(path.join(__dirname, "read-cells-worker.ts"))});`
        : `require(${JSON.stringify(path.join(__dirname, "read-cells-worker.js"))});`;
    return new Promise((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: input });
        let result: WorkerResult | undefined;
        w.on("message", (m: WorkerResult | WorkerProgress) => {
            if (m.kind === "progress") onProgress(m);
            else result = m;
        });
        w.on("error", reject);
        w.on("exit", (code) => (result ? resolve(result) : reject(new Error(`analysis worker exited with code ${code} before sending its result`))));
    });
}

/**
 * Reads every cells/*.csv of dir. workers: how many threads (default: up to 2 when there are at
 * least PARALLEL_MIN_FILES entries, else 1 = in this thread). onProgress gets entries done of all.
 */
export async function readCells(
    dir: string,
    opts: { workers?: number; onProgress?: (done: number, total: number, rows: number) => void; plan?: readonly string[] } = {},
): Promise<CellsRead> {
    const { cellsDir, entries, skipped } = listCells(dir, opts.plan);
    const groups = new GroupAccumulator();
    const facts = new FactsAccumulator();
    const workers = Math.max(1, Math.min(entries.length, opts.workers ?? (entries.length >= PARALLEL_MIN_FILES ? Math.min(2, os.availableParallelism()) : 1)));
    if (workers === 1) {
        const r = readCellEntries(
            cellsDir,
            entries,
            (s) => {
                groups.add(s);
                facts.add(s);
            },
            (done, rows) => opts.onProgress?.(done, entries.length, rows),
        );
        return { cellsDir, ...r, problems: [...skipped, ...r.problems], groups, facts };
    }
    const size = Math.ceil(entries.length / workers);
    const slices = Array.from({ length: workers }, (_, i) => entries.slice(i * size, (i + 1) * size)).filter((s) => s.length > 0);
    const done = slices.map(() => 0);
    const rows = slices.map(() => 0);
    const sum = (a: number[]) => a.reduce((x, y) => x + y, 0);
    const results = await Promise.all(
        slices.map((slice, i) =>
            startWorker({ cellsDir, entries: slice }, (p) => {
                done[i] = p.done;
                rows[i] = p.rows;
                opts.onProgress?.(sum(done), entries.length, sum(rows));
            }),
        ),
    );
    const files: string[] = [];
    const problems: LoadProblem[] = [...skipped];
    let total = 0;
    for (const r of results) {
        files.push(...r.files);
        problems.push(...r.problems);
        total += r.rows;
        groups.merge(r.groups);
        facts.merge(r.facts);
    }
    return { cellsDir, files, rows: total, problems, groups, facts };
}
