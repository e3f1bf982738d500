/** Test helper: asserts that a computed number is within an absolute tolerance of the expected one. */
import { strict as assert } from "assert";

export function close(actual: number, expected: number, tol: number, what = ""): void {
    assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} is not within ${tol} of ${expected}`);
}
