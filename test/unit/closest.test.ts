import * as assert from "node:assert/strict";
import { closest, didYouMean, editDistance } from "../../core/closest";

describe("closest name (core/closest.ts)", () => {
    it("counts insertions, deletions, substitutions and adjacent swaps as one edit each", () => {
        assert.equal(editDistance("", ""), 0);
        assert.equal(editDistance("abc", ""), 3);
        assert.equal(editDistance("", "abc"), 3);
        assert.equal(editDistance("repetition", "repetitions"), 1);
        assert.equal(editDistance("memoryMB", "memoryMiB"), 1);
        assert.equal(editDistance("vcpsu", "vcpus"), 1);
        assert.equal(editDistance("kitten", "sitting"), 3);
        assert.equal(editDistance("timeSecs", "timeSeconds"), 3);
    });

    it("suggests the unique nearest name within max(2, a third of the longer name)", () => {
        const params = ["instances", "maxPrime", "threads", "timeSeconds"];
        assert.equal(closest("timeSecs", params), "timeSeconds");
        assert.equal(closest("thread", params), "threads");
        assert.equal(closest("TIMESECONDS", params), "timeSeconds");
        assert.equal(closest("primes", params), undefined);
        assert.equal(closest("cpus", ["vcpus", "memoryMiB"]), "vcpus");
    });

    it("suggests nothing for a tie, an empty word or a name with nothing in common", () => {
        assert.equal(closest("ab", ["ac", "ad"]), undefined);
        assert.equal(closest("", ["on", "off"]), undefined);
        assert.equal(closest("x", ["on"]), undefined);
        assert.equal(closest("anything", []), undefined);
    });

    it("words the hint to follow the refused name", () => {
        assert.equal(didYouMean("request", ["requests", "clients"]), ' — did you mean "requests"?');
        assert.equal(didYouMean("zzz", ["requests"]), "");
    });
});
