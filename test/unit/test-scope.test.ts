/**
 * test/helpers/scope.ts selectedByCommandLine: whether mocha's --grep/--fgrep/--invert on the
 * command line let a test run, which the smoke test asks before it boots a guest for minutes for
 * tests further down.
 */
import * as assert from "node:assert/strict";
import { selectedByCommandLine } from "../helpers/scope";

describe("which tests the command line's --grep selects (test/helpers/scope.ts)", () => {
    const title = "small stacks smoke test (real dockerd and libvirt, tiny scale) stacking (stack isb-smk1-stacking) sysbench-cpu in docker-in-kvm";
    const mocha = ["node", "mocha", "test/smoke/small-stacks.test.ts"];

    it("selects every test without a filter", () => {
        assert.equal(selectedByCommandLine(title, mocha), true);
    });

    it("reads --grep and -g as regular expressions, with the value apart or after =", () => {
        assert.equal(selectedByCommandLine(title, [...mocha, "--grep", "kek-hepix2015"]), false);
        assert.equal(selectedByCommandLine(title, [...mocha, "--grep", "stacking.*docker-in-kvm"]), true);
        assert.equal(selectedByCommandLine(title, [...mocha, "-g", "^small stacks"]), true);
        assert.equal(selectedByCommandLine(title, [...mocha, "--grep=flux7"]), false);
        assert.equal(selectedByCommandLine(title, [...mocha, "--grep", "/STACKING \\(stack/i"]), true, "mocha's /pattern/flags form");
        assert.equal(selectedByCommandLine(title, [...mocha, "--grep", "/STACKING \\(stack/"]), false);
    });

    it("reads --fgrep as a plain string and --invert as its negation", () => {
        assert.equal(selectedByCommandLine(title, [...mocha, "--fgrep", "(stack isb-smk1-stacking)"]), true);
        assert.equal(selectedByCommandLine(title, [...mocha, "-f", "felter2014-small ("]), false);
        assert.equal(selectedByCommandLine(title, [...mocha, "--grep", "stacking", "--invert"]), false);
        assert.equal(selectedByCommandLine(title, [...mocha, "-g", "felter", "-i"]), true);
    });
});
