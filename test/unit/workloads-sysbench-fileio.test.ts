import { strict as assert } from "assert";
import { parseSysbenchFileio, sysbenchFileio } from "../../workloads/sysbench-fileio";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import { valuesByMetric } from "../helpers/measurements";

const fixture = fixtureReader("sysbench-fileio");
const V1 = "sysbench-1.0.20-4modes-4K-64M-128files-direct-time2.txt";
const V04 = "sysbench-0.4.12-rndrd-seqwr-4K-8G-128files-direct-RECONSTRUCTED.txt";
const V1_WARMUP = "sysbench-1.0.20-rndrd-seqwr-4K-16M-16files-direct-time2-warmup1.txt";
const CTX = { dataDir: "/var/lib/isobench data" };

describe("workloads/sysbench-fileio", () => {
    it("has KEK's parameters as defaults", () => {
        assert.deepEqual(sysbenchFileio.defaults, {
            modes: "seqrd,rndrd,seqwr,rndwr",
            blockSize: "4K",
            totalSize: "8G",
            files: 128,
            extraFlags: "direct",
            threads: 1,
            timeSeconds: 300,
            warmupSeconds: 0,
        });
        assert.equal(sysbenchFileio.clientPlacement, "inside");
    });

    it("warmupSeconds: each mode runs warm-up + measured seconds and is read after the warm-up's checkpoint (captured)", () => {
        const p = { ...sysbenchFileio.defaults, modes: "rndrd,seqwr", totalSize: "16M", files: 16, timeSeconds: 2, warmupSeconds: 1 };
        const cmd = sysbenchFileio.clientCommand(p, CTX);
        assert.match(cmd, /--file-test-mode=rndrd --threads=1 --time=3 --report-checkpoints=1 run\n/);
        assert.match(cmd, /--file-test-mode=seqwr --threads=1 --time=3 --report-checkpoints=1 run\n/);
        // Per mode: fresh files at the slow write rate, then warm-up and measured seconds.
        assert.equal(sysbenchFileio.expectedS(p), 2 * ((16 * 2 ** 20) / 50e6 + 3));
        // Writing 16 MiB (0.3 s) is short next to the 3 s of each timed run; 2 GiB (43 s) is not.
        assert.equal(sysbenchFileio.lengthFixedBy(p), "time");
        assert.equal(sysbenchFileio.lengthFixedBy({ ...p, totalSize: "2G" }), "work");
        assert.match(sysbenchFileio.notes!(p), /first 1 s of each run not measured/);
        const m = valuesByMetric(parseSysbenchFileio(fixture(V1_WARMUP), p));
        // The checkpoint reports say 37.77 and 27.00 MiB/s over the warm-ups.
        assert.equal(m.rndrd_mib_per_s, 43.39);
        assert.equal(m.seqwr_mib_per_s, 35.08);
        assertParseError(
            () => parseSysbenchFileio(fixture(V1), { ...sysbenchFileio.defaults, totalSize: "64M", timeSeconds: 2, warmupSeconds: 1 }),
            "sysbench-fileio",
            "mib_per_s",
        );
        const warm = fixture(V1_WARMUP);
        assertEveryTruncationFails((r) => parseSysbenchFileio(r, p), warm, warm.lastIndexOf("execution time (avg/stddev):"), "sysbench-fileio");
    });

    it("prepares fresh files per mode in the data directory, checks O_DIRECT first, reports only the runs on stdout", () => {
        const cmd = sysbenchFileio.clientCommand({ ...sysbenchFileio.defaults, modes: "rndrd,seqwr" }, CTX);
        const lines = cmd.split("\n");
        assert.equal(lines[1], "d='/var/lib/isobench data'/sysbench-fileio");
        assert.ok(cmd.indexOf("oflag=direct") < cmd.indexOf("prepare"), "O_DIRECT probe before prepare");
        const files = "--file-num=128 --file-total-size=8G --file-block-size=4K";
        const runs = lines.filter((l) => /^sysbench fileio/.test(l));
        assert.deepEqual(runs, [
            `sysbench fileio ${files} prepare >&2`,
            `sysbench fileio ${files} --file-extra-flags=direct --file-test-mode=rndrd --threads=1 --time=300 run`,
            `sysbench fileio ${files} cleanup >&2`,
            `sysbench fileio ${files} prepare >&2`,
            `sysbench fileio ${files} --file-extra-flags=direct --file-test-mode=seqwr --threads=1 --time=300 run`,
            `sysbench fileio ${files} cleanup >&2`,
        ]);
        assert.match(cmd, /trap 'sysbench fileio .* cleanup/);
        const buffered = sysbenchFileio.clientCommand({ ...sysbenchFileio.defaults, extraFlags: "none" }, CTX);
        assert.doesNotMatch(buffered, /oflag=direct|--file-extra-flags/);
        assert.throws(() => sysbenchFileio.clientCommand({ ...sysbenchFileio.defaults, modes: "rndrd,bogus" }, CTX), /modes must be/);
    });

    it("parses the four KEK modes of sysbench 1.0.20 (captured)", () => {
        const m = valuesByMetric(parseSysbenchFileio(fixture(V1), { ...sysbenchFileio.defaults, totalSize: "64M", timeSeconds: 2 }));
        assert.equal(Object.keys(m).length, 16);
        assert.equal(m.seqrd_mib_per_s, 35.06);
        assert.equal(m.seqrd_ops_per_s, 8974.86);
        assert.equal(m.rndrd_latency_avg_ms, 0.11);
        assert.equal(m.rndrd_latency_p95_ms, 0.13);
        assert.equal(m.seqwr_mib_per_s, 3.42);
        assert.equal(m.rndwr_ops_per_s, 622.47);
        assert.equal(m.rndwr_latency_p95_ms, 2.76);
    });

    it("parses the sysbench 0.4.12 format (reconstructed: Mb/sec = MiB/s, Requests/sec)", () => {
        const m = valuesByMetric(parseSysbenchFileio(fixture(V04)));
        assert.deepEqual(m, {
            rndrd_mib_per_s: 14.136,
            rndrd_ops_per_s: 3618.81,
            rndrd_latency_avg_ms: 0.28,
            rndrd_latency_p95_ms: 0.52,
            seqwr_mib_per_s: 32.598,
            seqwr_ops_per_s: 8345.17,
            seqwr_latency_avg_ms: 0.11,
            seqwr_latency_p95_ms: 0.19,
        });
        assertParseError(() => parseSysbenchFileio(fixture(V04), sysbenchFileio.defaults), "sysbench-fileio", "seqrd_mib_per_s");
    });

    it("names sysbench's own failure (FATAL) and output without a mode", () => {
        const failed = fixture(V1).replace(
            /Doing random write test\n/,
            "Doing random write test\nFATAL: Size of file 'test_file.18' is 384KiB, but at least 512KiB is expected.\n",
        );
        const e = assertParseError(() => parseSysbenchFileio(failed), "sysbench-fileio", "rndwr_mib_per_s");
        assert.match(e.message, /FATAL: Size of file/);
        assertParseError(
            () => parseSysbenchFileio("sysbench-fileio: O_DIRECT (direct I/O) is not supported on the tmpfs file system at /data\n"),
            "sysbench-fileio",
            "mib_per_s",
        );
        assertParseError(() => parseSysbenchFileio(fixture(V1).replace(/^Doing .* test$/gm, "")), "sysbench-fileio", "mib_per_s");
    });

    it("throws ParseError for every truncation", () => {
        const raw = fixture(V1);
        assertEveryTruncationFails(
            (r) => parseSysbenchFileio(r, { ...sysbenchFileio.defaults, totalSize: "64M", timeSeconds: 2 }),
            raw,
            raw.lastIndexOf("execution time (avg/stddev):"),
            "sysbench-fileio",
            3,
        );
        const old = fixture(V04);
        assertEveryTruncationFails(
            (r) => parseSysbenchFileio(r, { ...sysbenchFileio.defaults, modes: "rndrd,seqwr" }),
            old,
            old.lastIndexOf("execution time (avg/stddev):"),
            "sysbench-fileio",
            3,
        );
    });
});
