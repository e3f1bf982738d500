import * as assert from "node:assert/strict";
import { parseSpec } from "../../experiment/spec";
import { SpecError } from "../../core/errors";

const base = { runId: "r1", environments: ["native", "docker-nat"] };

describe("experiment spec: instances sweeps", () => {
    it("accepts a sweep on self-contained workloads and on lifecycle", () => {
        const s = parseSpec("t", {
            ...base,
            workloads: [
                { name: "sysbench-cpu", params: { instances: "1,2,4" } },
                { name: "lifecycle", params: { instances: 2 } },
            ],
        });
        assert.deepEqual(
            s.workloads.map((w) => w.params.instances),
            ["1,2,4", 2],
        );
    });

    it("refuses a bad count and a host-client workload before anything is provisioned", () => {
        assert.throws(
            () => parseSpec("t", { ...base, workloads: [{ name: "sysbench-cpu", params: { instances: "1,64" } }] }),
            (e: Error) =>
                e instanceof SpecError &&
                /isobench:workloads\.0\.params \(sysbench-cpu\): sysbench-cpu: parameter instances must be .* between 1 and 32/.test(e.message),
        );
        assert.throws(
            () => parseSpec("t", { ...base, workloads: [{ name: "redis", params: { instances: 2 } }] }),
            (e: Error) => e instanceof SpecError && /redis: the instances parameter applies to self-contained workloads only/.test(e.message),
        );
    });
});
