/** Worker thread of read-cells.ts: reads its slice of cells/ and sends back the accumulators' state. */
import { parentPort, workerData } from "worker_threads";
import { FactsAccumulator } from "./facts";
import { readCellEntries } from "./load";
import { GroupAccumulator } from "./overhead";
import type { WorkerInput, WorkerProgress, WorkerResult } from "./read-cells";

const input = workerData as WorkerInput;
const groups = new GroupAccumulator();
const facts = new FactsAccumulator();
let lastPost = 0;
const r = readCellEntries(
    input.cellsDir,
    input.entries,
    (s) => {
        groups.add(s);
        facts.add(s);
    },
    (done, rows) => {
        const now = Date.now();
        if (now - lastPost >= 500 || done === input.entries.length) {
            lastPost = now;
            parentPort!.postMessage({ kind: "progress", done, rows } satisfies WorkerProgress);
        }
    },
);
parentPort!.postMessage({ kind: "done", ...r, groups: groups.state(), facts: facts.state() } satisfies WorkerResult);
