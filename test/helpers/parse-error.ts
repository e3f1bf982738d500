/** Test helper: asserts that fn throws the ParseError of a workload for a metric. */
import { strict as assert } from "assert";
import { ParseError } from "../../core/errors";

export function assertParseError(fn: () => unknown, workload: string, metric: string | RegExp, context = ""): ParseError {
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

/** {@link assertParseError}, and the error's message matches: what it tells the user, not only which metric. */
export function assertParseErrorSays(fn: () => unknown, workload: string, metric: string | RegExp, message: RegExp): ParseError {
    const e = assertParseError(fn, workload, metric);
    assert.match(e.message, message);
    return e;
}

/** Every prefix of raw shorter than `end` must fail to parse with a ParseError of the workload. */
export function assertEveryTruncationFails(parse: (raw: string) => unknown, raw: string, end: number, workload: string, step = 1): void {
    assert.ok(end > 0 && end <= raw.length, `truncation end ${end} outside the fixture`);
    for (let cut = 0; cut < end; cut += step) assertParseError(() => parse(raw.slice(0, cut)), workload, /.*/, `cut at ${cut}`);
}
