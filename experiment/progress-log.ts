/**
 * progress.log of a results directory: one time-stamped line per event of a run (cells started
 * and done, recoveries, waits for the host), appended by every process of the run, echoed on
 * stderr. `isobench up` follows it for its progress line; experiment/run-report.ts reads it back.
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

/**
 * Calls `onLine` with each whole line appended to `file` from now on (polling, since the writers
 * are other processes); returns the function that stops following after reading what is left.
 */
export function followLog(file: string, onLine: (line: string) => void, everyMs = 500): () => void {
    let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
    let partial = "";
    const read = () => {
        if (!fs.existsSync(file)) return;
        const size = fs.statSync(file).size;
        if (size <= offset) return;
        const fd = fs.openSync(file, "r");
        const buf = Buffer.alloc(size - offset);
        fs.readSync(fd, buf, 0, buf.length, offset);
        fs.closeSync(fd);
        offset = size;
        const lines = (partial + buf.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) if (line) onLine(line);
    };
    const timer = setInterval(read, everyMs);
    return () => {
        clearInterval(timer);
        read();
    };
}
