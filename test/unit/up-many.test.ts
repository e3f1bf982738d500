/** `isobench up A B …`: the checks before anything starts, each stack's own up, the exit and the summary (experiment/up-many.ts). */
import * as assert from "node:assert/strict";
import { UsageError } from "../../core/errors";
import { checkDistinctResults, childUpArgs, overallExit, summaryLines } from "../../experiment/up-many";

describe("up with several stacks", () => {
    it("refuses, naming both, two stacks that write one results folder, and a stack named twice", () => {
        assert.throws(
            () =>
                checkDistinctResults([
                    { stack: "a", resultsDir: "/r/a/1" },
                    { stack: "b", resultsDir: "/r/b/1" },
                    { stack: "c", resultsDir: "/r/a/1" },
                ]),
            (e: unknown) =>
                e instanceof UsageError &&
                /^up: stacks a and c both write \/r\/a\/1: .*Fix: name each stack once, or give one of them another isobench:runId$/.test(e.message),
        );
        assert.throws(
            () =>
                checkDistinctResults([
                    { stack: "a", resultsDir: "/r/a/1" },
                    { stack: "a", resultsDir: "/r/a/1" },
                ]),
            (e: unknown) => e instanceof UsageError && /^up: stack a is named twice: .*Fix: name each stack once$/.test(e.message),
        );
        assert.doesNotThrow(() =>
            checkDistinctResults([
                { stack: "a", resultsDir: "/r/a/1" },
                { stack: "b", resultsDir: "/r/b/1" },
            ]),
        );
    });

    it("gives each stack's up the options that apply to all", () => {
        assert.deepEqual(childUpArgs("a", { verbose: false, allowEmulation: false }), ["up", "a"]);
        assert.deepEqual(childUpArgs("b", { verbose: true, allowEmulation: true }), ["up", "b", "--verbose", "--allow-emulation"]);
    });

    it("exits 0 only when every stack's up did, else with the largest of their statuses", () => {
        const o = (stack: string, code: number) => ({ stack, code, wallS: 1 });
        assert.equal(overallExit([o("a", 0), o("b", 0)]), 0);
        assert.equal(overallExit([o("a", 3), o("b", 0), o("c", 1)]), 3);
    });

    it("sums up each stack's result and wall time in the order given, then the whole", () => {
        const lines = summaryLines(
            [
                { stack: "lab-a", code: 0, wallS: 125 },
                { stack: "b", code: 3, wallS: 12 },
            ],
            130,
        );
        assert.deepEqual(lines, ["  lab-a  done in 2 min 05 s", "  b      FAILED (exit 3) in 12 s", "2 stacks in 2 min 10 s: 1 failed (b)"]);
    });
});
