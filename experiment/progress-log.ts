/**
 * progress.log of a results directory: one time-stamped line per event of a run (cells started
 * and done, recoveries, waits for the host), appended by every process of the run, echoed on
 * stderr. `isobench up` tails it to the terminal; experiment/run-report.ts reads it back.
 */
import * as fs from "fs";
import * as path from "path";

/** Appends a line and echoes it on stderr (cells: their stderr is the provider's log). */
export function progress(resultsDir: string, line: string): void {
    process.stderr.write(appendProgress(resultsDir, line) + "\n");
}

/** Appends a line without echoing it (`isobench up`, whose own output already says it); returns the stamped line. */
export function appendProgress(resultsDir: string, line: string): string {
    const stamped = `${new Date().toISOString()} ${line}`;
    fs.mkdirSync(resultsDir, { recursive: true });
    fs.appendFileSync(path.join(resultsDir, "progress.log"), stamped + "\n");
    return stamped;
}
