import { strict as assert } from "assert";
import { getWorkload, WORKLOAD_NAMES, WORKLOADS, workloadNames } from "../../workloads";
import { redis } from "../../workloads/redis";
import { sysbenchCpu } from "../../workloads/sysbench-cpu";

describe("workloads/index", () => {
    it("registers every workload under its own name", () => {
        assert.deepEqual(WORKLOAD_NAMES, ["idle", "lifecycle", "redis", "sysbench-cpu"]);
        assert.deepEqual(workloadNames(), ["idle", "lifecycle", "redis", "sysbench-cpu"]);
        for (const [name, w] of Object.entries(WORKLOADS)) assert.equal(w.name, name);
        assert.equal(getWorkload("redis"), redis);
        assert.equal(getWorkload("sysbench-cpu"), sysbenchCpu);
    });

    it("throws naming the unknown workload and listing the allowed ones", () => {
        assert.throws(() => getWorkload("linpack"), (e: Error) => {
            assert.equal(e.message, 'unknown workload "linpack"; allowed: idle, lifecycle, redis, sysbench-cpu');
            return true;
        });
    });

    it("does not resolve object built-ins as workloads", () => {
        for (const name of ["constructor", "__proto__", "toString", "hasOwnProperty", ""]) {
            assert.throws(() => getWorkload(name), /unknown workload/);
        }
    });

    it("registry cannot be modified at run time", () => {
        assert.ok(Object.isFrozen(WORKLOADS));
        assert.ok(Object.isFrozen(WORKLOAD_NAMES));
    });
});
