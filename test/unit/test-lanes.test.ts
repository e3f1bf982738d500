/**
 * scripts/test-lanes.sh runs the `apart` lane's integration files beside the `live` lane's. What
 * keeps them from failing each other is a rule of what an `apart` file may use, checked here on
 * the files' text so that an edit that breaks it fails before two runs collide: no shared guest (it
 * belongs to the live lane's process), no benchmark server (they listen on fixed loopback ports),
 * nothing of the host's settings, and stacks only through helpers that give each its own measure lock.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../../core/paths";

const SCRIPT = path.join(REPO_ROOT, "scripts", "test-lanes.sh");

function apartNames(): string[] {
    const m = /^APART=\(([^)]*)\)/m.exec(fs.readFileSync(SCRIPT, "utf8"));
    assert.ok(m, "scripts/test-lanes.sh declares APART=( … )");
    return m[1].split(/\s+/).filter(Boolean);
}

/** What an apart file must not use, with why. */
const FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
    [/\bsharedGuest\(/, "the shared guest (the live lane's)"],
    [/["'](redis|mysql|netperf|iperf|nuttcp)["']/, "a benchmark server (fixed loopback ports)"],
    [/\bTHP_PATH\b|host-settings|isobench:host["']/, "the host's settings"],
    [/\bnew (?!TempStack|CliStack)\w*Stack\(/, "a stack helper without a measure lock of its own"],
];

describe("test lanes (scripts/test-lanes.sh)", () => {
    it("names apart files that exist and use nothing the live lane may be using at the same time", () => {
        const names = apartNames();
        assert.ok(names.length > 0);
        const broken = names.flatMap((name) => {
            const file = path.join(REPO_ROOT, "test", "integration", `${name}.test.ts`);
            if (!fs.existsSync(file)) return [`${name}: no test/integration/${name}.test.ts`];
            // Comments may name anything; code may not.
            const code = fs
                .readFileSync(file, "utf8")
                .replace(/\/\*[\s\S]*?\*\//g, "")
                .replace(/(^|[^:])\/\/.*$/gm, "$1");
            return FORBIDDEN.filter(([re]) => re.test(code)).map(([, what]) => `${name}: uses ${what}`);
        });
        assert.deepEqual(broken, []);
    });

    it("gives every stack of the test helpers a measure lock of its own", () => {
        for (const helper of ["temp-stack.ts", "cli-stack.ts"]) {
            const text = fs.readFileSync(path.join(REPO_ROOT, "test", "helpers", helper), "utf8");
            assert.match(text, /ISOBENCH_MEASURE_LOCK: path\.join\(this\.work, "measure\.lock"\)/, helper);
        }
    });
});
