import { strict as assert } from "assert";
import { parseStressNgCpu, stressNgCpu } from "../../workloads/stress-ng-cpu";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("stress-ng-cpu");
const ALL = "stress-ng-0.15.06-all-workers0-time3.txt";
const ONE = "stress-ng-0.15.06-matrixprod-workers1-time2.txt";
const CTX = { dataDir: "/data" };

describe("workloads/stress-ng-cpu", () => {
    it("runs stress-ng --cpu inside the environment with stderr on stdout, and says it substitutes coremark", () => {
        assert.equal(stressNgCpu.clientPlacement, "inside");
        assert.equal(stressNgCpu.clientCommand(stressNgCpu.defaults, CTX), "stress-ng --cpu 0 --cpu-method all --metrics-brief -t 60 2>&1");
        assert.equal(
            stressNgCpu.clientCommand({ workers: 4, method: "matrixprod", timeSeconds: 5 }, CTX),
            "stress-ng --cpu 4 --cpu-method matrixprod --metrics-brief -t 5 2>&1",
        );
        assert.throws(() => stressNgCpu.clientCommand({ ...stressNgCpu.defaults, method: "all; reboot" }, CTX), /method/);
        assert.throws(() => stressNgCpu.clientCommand({ ...stressNgCpu.defaults, workers: -1 }, CTX), /workers/);
        assert.match(stressNgCpu.notes!(stressNgCpu.defaults), /substitutes for coremark/);
    });

    it("parses the metrics-brief table of stress-ng 0.15.06 (captured)", () => {
        assert.deepEqual(parseStressNgCpu(fixture(ALL)), [
            { metric: "bogo_ops_per_s", value: 916.55, unit: "bogo-ops/s", better: "higher" },
            { metric: "bogo_ops_per_s_cpu_time", value: 1610.11, unit: "bogo-ops/cpu-s", better: "higher" },
        ]);
        assert.equal(parseStressNgCpu(fixture(ONE), { workers: 1, method: "matrixprod", timeSeconds: 2 })[0].value, 469.27);
    });

    it("accepts the older info: prefix of the table", () => {
        const old = fixture(ONE).replace(/metrc:/g, "info: ");
        assert.equal(parseStressNgCpu(old)[0].value, 469.27);
    });

    it("checks the worker count against the params and rejects failures and truncation", () => {
        assertParseError(() => parseStressNgCpu(fixture(ONE), { workers: 2, method: "matrixprod", timeSeconds: 2 }), "stress-ng-cpu", "workers");
        assertParseError(() => parseStressNgCpu("stress-ng: error: [1] cpu-method must be one of: all ...\n"), "stress-ng-cpu", "bogo_ops_per_s");
        assertParseError(() => parseStressNgCpu("sh: stress-ng: not found\n"), "stress-ng-cpu", "bogo_ops_per_s");
        const raw = fixture(ALL);
        assertEveryTruncationFails(parseStressNgCpu, raw, raw.indexOf("successful run completed") + "successful run completed".length - 1, "stress-ng-cpu");
    });

    it("reads stress-ng --version (captured)", () => {
        assert.equal(stressNgCpu.parseVersion(fixture("stress-ng-0.15.06-version.txt")), "0.15.06");
    });
});
