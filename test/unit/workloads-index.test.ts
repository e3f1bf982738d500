import { strict as assert } from "assert";
import { getWorkload, WORKLOAD_NAMES, WORKLOADS } from "../../workloads";
import { redis } from "../../workloads/redis";
import { sysbenchCpu } from "../../workloads/sysbench-cpu";

describe("workloads/index", () => {
    it("registers every workload under its own name", () => {
        // Other branches add workloads: check the sorted list contains these rather than equals it.
        assert.deepEqual(WORKLOAD_NAMES, [...WORKLOAD_NAMES].sort());
        for (const n of [
            "fio",
            "idle",
            "iperf",
            "lifecycle",
            "likwid-stream",
            "linpack",
            "mysql",
            "netperf",
            "nuttcp",
            "pxz",
            "randomaccess",
            "redis",
            "stream",
            "stress-ng-cpu",
            "sysbench-cpu",
            "sysbench-fileio",
            "sysbench-memory",
        ]) {
            assert.ok(WORKLOAD_NAMES.includes(n), n);
        }
        assert.deepEqual(WORKLOAD_NAMES, [...WORKLOAD_NAMES].sort());
        for (const [name, w] of Object.entries(WORKLOADS)) assert.equal(w.name, name);
        assert.equal(getWorkload("redis"), redis);
        assert.equal(getWorkload("sysbench-cpu"), sysbenchCpu);
    });

    it("throws naming the unknown workload and listing the allowed ones", () => {
        assert.throws(
            () => getWorkload("coremark"),
            (e: Error) => {
                assert.equal(e.message, `unknown workload "coremark"; allowed: ${WORKLOAD_NAMES.join(", ")}`);
                assert.match(
                    e.message,
                    /allowed: fio, idle, iperf, lifecycle, likwid-stream, linpack, mysql, netperf, nuttcp, pxz, randomaccess, redis, stream/,
                );
                return true;
            },
        );
        assert.throws(() => getWorkload("sysbench-cpus"), /^Error: unknown workload "sysbench-cpus" — did you mean "sysbench-cpu"\?; allowed: fio,/);
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
