import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readCells } from "../../analysis/read-cells";
import { summarizeGroups } from "../../analysis/overhead";

const FIXTURE = path.join(__dirname, "..", "fixtures", "analysis", "quick-1");

describe("analysis/read-cells: worker threads give exactly the sequential result", function () {
    this.timeout(60000);
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "it5-read-cells-"));
        fs.cpSync(FIXTURE, dir, { recursive: true });
        fs.writeFileSync(path.join(dir, "cells", "zz-broken.csv"), "garbage\n");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("3 workers vs this thread: same groups (values in file order), facts, problems and progress total", async () => {
        const progress: number[] = [];
        const seq = await readCells(dir, { workers: 1 });
        const par = await readCells(dir, { workers: 3, onProgress: (done, total) => progress.push(done, total) });
        assert.equal(par.rows, 252);
        assert.equal(par.rows, seq.rows);
        assert.deepEqual(par.files, seq.files);
        assert.deepEqual(par.problems, seq.problems);
        assert.match(par.problems[0].error, /header is "garbage"/);
        assert.deepEqual(summarizeGroups(par.groups.finish()), summarizeGroups(seq.groups.finish()));
        assert.deepEqual(par.facts.finish(), seq.facts.finish());
        assert.deepEqual(progress.slice(-2), [25, 25]);
    });
});
