/**
 * Writing result and record files so that a reader (the analysis, the next cell, a crash) sees
 * either the old file or the whole new one, never half of it.
 */
import * as fs from "fs";

/** Writes `data` to `file` through `<file>.tmp` and a rename (atomic on one filesystem). */
export function writeFileAtomic(file: string, data: string | Buffer): void {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
}
