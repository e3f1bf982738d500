import { strict as assert } from "assert";
import { parseSysbenchMemory, sysbenchMemory } from "../../workloads/sysbench-memory";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import { byMetric } from "../helpers/measurements";

const fixture = fixtureReader("sysbench-memory");
const V1 = "sysbench-1.0.20-read-write-1K-64M-threads1.txt";
const V1_T2 = "sysbench-1.0.20-read-1K-256M-threads2.txt";
const V04 = "sysbench-0.4.12-read-write-1K-100G-threads1-RECONSTRUCTED.txt";
/** KEK's 100G, time-bound: --time=3 --report-checkpoints=1 (a 1 s warm-up, 2 measured seconds). */
const V1_WARMUP = "sysbench-1.0.20-write-1K-100G-threads1-time2-warmup1.txt";
const CTX = { dataDir: "/data" };

describe("workloads/sysbench-memory", () => {
    it("has KEK's parameters as defaults and runs inside the environment", () => {
        assert.deepEqual(sysbenchMemory.defaults, {
            operations: "read,write",
            blockSize: "1K",
            totalSize: "100G",
            threads: 1,
            timeSeconds: 300,
            warmupSeconds: 0,
        });
        assert.equal(sysbenchMemory.clientPlacement, "inside");
        assert.equal(sysbenchMemory.serverCommand, undefined);
        assert.equal(sysbenchMemory.notes!(sysbenchMemory.defaults), "");
        assert.match(sysbenchMemory.notes!({ ...sysbenchMemory.defaults, totalSize: "64M" }), /scaled from KEK's 100G\/300 s to 64M\/300 s/);
    });

    it("builds one sysbench run per operation, in order", () => {
        assert.equal(
            sysbenchMemory.clientCommand(sysbenchMemory.defaults, CTX),
            "sysbench memory --memory-block-size=1K --memory-total-size=100G --threads=1 --time=300 --memory-oper=read run && " +
                "sysbench memory --memory-block-size=1K --memory-total-size=100G --threads=1 --time=300 --memory-oper=write run",
        );
        assert.equal(
            sysbenchMemory.clientCommand({ ...sysbenchMemory.defaults, operations: "write", threads: 2 }, CTX),
            "sysbench memory --memory-block-size=1K --memory-total-size=100G --threads=2 --time=300 --memory-oper=write run",
        );
    });

    it("rejects bad parameters before anything runs", () => {
        const d = sysbenchMemory.defaults;
        assert.throws(() => sysbenchMemory.clientCommand({ ...d, operations: "read,copy" }, CTX), /operations must be a comma-separated list .* read, write/);
        assert.throws(() => sysbenchMemory.clientCommand({ ...d, operations: "read,read" }, CTX), /distinct/);
        assert.throws(() => sysbenchMemory.clientCommand({ ...d, blockSize: "1K; rm -rf /" }, CTX), /blockSize must be a size/);
        assert.throws(() => sysbenchMemory.clientCommand({ ...d, threads: 0 }, CTX), /threads must be a positive integer/);
    });

    it("warmupSeconds: runs warm-up + measured seconds, reads the report after the warm-up's checkpoint (captured)", () => {
        const p = { ...sysbenchMemory.defaults, operations: "write", timeSeconds: 2, warmupSeconds: 1 };
        assert.equal(
            sysbenchMemory.clientCommand(p, CTX),
            "sysbench memory --memory-block-size=1K --memory-total-size=100G --threads=1 --time=3 --report-checkpoints=1 --memory-oper=write run",
        );
        assert.equal(sysbenchMemory.expectedS(p), 3);
        assert.match(sysbenchMemory.notes!(p), /^scaled from KEK's 100G\/300 s to 100G\/2 s; first 1 s of each run not measured/);
        // The checkpoint report says 5076.84 MiB/s over the warm-up.
        assert.deepEqual(byMetric(parseSysbenchMemory(fixture(V1_WARMUP), p)).write_mib_per_s.value, 4959.53);
        assertParseError(
            () => parseSysbenchMemory(fixture(V1), { ...sysbenchMemory.defaults, totalSize: "64M", timeSeconds: 5, warmupSeconds: 1 }),
            "sysbench-memory",
            "mib_per_s",
        );
        const warm = fixture(V1_WARMUP);
        assertEveryTruncationFails((r) => parseSysbenchMemory(r, p), warm, warm.lastIndexOf("execution time (avg/stddev):"), "sysbench-memory");
    });

    it("parses sysbench 1.0.20 read and write runs (captured)", () => {
        assert.deepEqual(parseSysbenchMemory(fixture(V1)), [
            { metric: "read_mib_per_s", value: 2353.77, unit: "MiB/s", better: "higher" },
            { metric: "read_ops_per_s", value: 2410257.22, unit: "ops/s", better: "higher" },
            { metric: "write_mib_per_s", value: 5469.03, unit: "MiB/s", better: "higher" },
            { metric: "write_ops_per_s", value: 5600283.36, unit: "ops/s", better: "higher" },
        ]);
        const m = byMetric(parseSysbenchMemory(fixture(V1_T2)));
        assert.deepEqual(Object.keys(m), ["read_mib_per_s", "read_ops_per_s"]);
        assert.equal(m.read_mib_per_s.value, 2970.76);
    });

    it("parses the sysbench 0.4.12 format (reconstructed: MB = 2^20 bytes, ops/sec)", () => {
        const m = byMetric(parseSysbenchMemory(fixture(V04)));
        assert.equal(m.read_mib_per_s.value, 2452.43);
        assert.equal(m.read_ops_per_s.value, 2511288.6);
        assert.equal(m.write_mib_per_s.value, 1758.84);
        assert.equal(m.write_ops_per_s.value, 1801054.96);
        // Internally consistent: 1K blocks, so MiB/s × 1024 = ops/s.
        assert.ok(Math.abs(m.read_mib_per_s.value * 1024 - m.read_ops_per_s.value) < 100);
    });

    it("checks the output against the params: threads and every requested operation", () => {
        const p = { ...sysbenchMemory.defaults, totalSize: "64M", timeSeconds: 5 };
        assert.equal(parseSysbenchMemory(fixture(V1), p).length, 4);
        assertParseError(() => parseSysbenchMemory(fixture(V1), { ...p, threads: 2 }), "sysbench-memory", "threads");
        assertParseError(() => parseSysbenchMemory(fixture(V1_T2), p), "sysbench-memory", "threads");
        assertParseError(() => parseSysbenchMemory(fixture(V1_T2), { ...p, threads: 2 }), "sysbench-memory", "write_mib_per_s");
    });

    it("throws ParseError for foreign, duplicated and truncated output", () => {
        assertParseError(() => parseSysbenchMemory(""), "sysbench-memory", "read_mib_per_s");
        assertParseError(() => parseSysbenchMemory("sh: 1: sysbench: not found\n"), "sysbench-memory", "read_mib_per_s");
        assertParseError(() => parseSysbenchMemory(fixture(V1_T2) + fixture(V1_T2)), "sysbench-memory", "read_mib_per_s");
        const raw = fixture(V1);
        assertParseError(() => parseSysbenchMemory(raw.replace(/^Total operations:.*$/m, "")), "sysbench-memory", "read_ops_per_s");
        assertParseError(() => parseSysbenchMemory(raw.replace(/\(6?[0-9.]+ MiB\/sec\)/, "(-nan MiB/sec)")), "sysbench-memory", "read_mib_per_s");
        const p = { ...sysbenchMemory.defaults, totalSize: "64M", timeSeconds: 5 };
        assertEveryTruncationFails((r) => parseSysbenchMemory(r, p), raw, raw.lastIndexOf("execution time (avg/stddev):"), "sysbench-memory");
        const old = fixture(V04);
        assertEveryTruncationFails((r) => parseSysbenchMemory(r, p), old, old.lastIndexOf("execution time (avg/stddev):"), "sysbench-memory");
    });

    it("reads the version from sysbench --version (captured)", () => {
        assert.equal(sysbenchMemory.parseVersion(fixture("sysbench-1.0.20-version.txt")), "1.0.20");
    });
});
