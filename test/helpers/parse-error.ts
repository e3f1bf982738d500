/** Asserts that fn throws the ParseError of `workload` for `metric` (a name or a pattern). */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ParseError } from "../../workloads/workload";

export function assertParseError(workload: string, fn: () => unknown, metric: string | RegExp, context = ""): ParseError {
    try {
        fn();
    } catch (e) {
        assert.ok(e instanceof ParseError, `${context}: expected ParseError, got ${String(e)}`);
        assert.equal(e.workload, workload, context);
        if (typeof metric === "string") assert.equal(e.metric, metric, `${context}: ${e.message}`);
        else assert.match(e.metric, metric, `${context}: ${e.message}`);
        return e;
    }
    assert.fail(`${context}: expected a ParseError, parse succeeded`);
}

/** Reader of test/fixtures/<workload>/<name>. */
export function fixtureReader(workload: string): (name: string) => string {
    const dir = path.join(__dirname, "..", "fixtures", workload);
    return (name) => fs.readFileSync(path.join(dir, name), "utf8");
}
