/** followLog: the lines other processes append to progress.log, as `isobench up` reads them (experiment/progress-log.ts). */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { followLog } from "../../experiment/progress-log";

describe("following progress.log", () => {
    it("reports whole lines appended after it started, a line split across writes once it is whole, and what is left when stopped", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-follow-"));
        try {
            const file = path.join(dir, "progress.log");
            fs.writeFileSync(file, "before the up\n");
            const lines: string[] = [];
            // A poll interval longer than the test: only stop() reads.
            const stop = followLog(file, (l) => lines.push(l), 3_600_000);
            fs.appendFileSync(file, "a\nb");
            fs.appendFileSync(file, "c\n\nd");
            stop();
            assert.deepEqual(lines, ["a", "bc"], "the partial line d is not reported");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("waits for a file that does not exist yet", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-follow-"));
        try {
            const file = path.join(dir, "later.log");
            const lines: string[] = [];
            const stop = followLog(file, (l) => lines.push(l), 3_600_000);
            fs.writeFileSync(file, "first\n");
            stop();
            assert.deepEqual(lines, ["first"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
