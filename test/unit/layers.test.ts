/**
 * The layers hold (docs/architecture.md): no import runs from a folder to one of the same or a
 * higher layer. Checked on the checkout itself and, so the check is known to bite, on a small tree
 * with one wrong arrow of each kind.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { folderGraph, wrongArrows } from "../../scripts/import-graph";
import { REPO_ROOT } from "../../core/paths";

describe("layers: index.ts → experiment/ → environments/, workloads/, analysis/ → core/", () => {
    it("this checkout has no import against the layers", () => {
        const wrong = wrongArrows(folderGraph(REPO_ROOT)).flatMap((e) => e.imports);
        assert.deepEqual(wrong, []);
    });

    it("core/ imports no other folder of the product", () => {
        assert.deepEqual(
            folderGraph(REPO_ROOT).filter((e) => e.from === "core"),
            [],
        );
    });

    it("finds an upward import, a sideways one and a dynamic one", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-layers-"));
        try {
            const put = (f: string, text: string) => {
                fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
                fs.writeFileSync(path.join(tmp, f), text);
            };
            put("core/a.ts", 'import { x } from "../experiment/spec";\n');
            put("workloads/w.ts", 'import type { T } from "../environments/e";\nimport { y } from "../core/a";\n');
            put("analysis/s.ts", 'export async function f() { return import("../experiment/run"); }\n');
            put("experiment/spec.ts", 'import { w } from "../workloads/w";\n');
            const wrong = wrongArrows(folderGraph(tmp)).map((e) => `${e.from}>${e.to}`);
            assert.deepEqual(wrong, ["analysis>experiment", "core>experiment", "workloads>environments"]);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });
});
