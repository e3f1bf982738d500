import { strict as assert } from "assert";
import { parseSysbenchCpu, parseSysbenchVersion, sysbenchCpu } from "../../workloads/sysbench-cpu";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import { byMetric } from "../helpers/measurements";

const CTX = { dataDir: "/data" };

const fixture = fixtureReader("sysbench-cpu");

const V1_T1 = "sysbench-1.0.20-cpu-prime20000-threads1-time10.txt";
const V1_T2 = "sysbench-1.0.20-cpu-prime2000-threads2-time2.txt";
const V04 = "sysbench-0.4.12-cpu-prime20000-threads1-RECONSTRUCTED.txt";
/** --time=3 --report-checkpoints=1: the warm-up's checkpoint report, then the final one over the last 2 s. */
const V1_WARMUP = "sysbench-1.0.20-prime2000-threads1-time2-warmup1.txt";

describe("workloads/sysbench-cpu", () => {
    describe("definition", () => {
        it("has the KEK-style defaults, runs inside the environment, no server", () => {
            assert.equal(sysbenchCpu.name, "sysbench-cpu");
            assert.equal(sysbenchCpu.tool, "sysbench");
            assert.deepEqual(sysbenchCpu.defaults, { maxPrime: 20000, threads: 1, timeSeconds: 10, warmupSeconds: 0 });
            assert.equal(sysbenchCpu.clientPlacement, "inside");
            assert.equal(sysbenchCpu.serverCommand, undefined);
            assert.equal(sysbenchCpu.serverPort, undefined);
            assert.equal(sysbenchCpu.versionCommand, "sysbench --version");
        });

        it("builds the sysbench 1.0 command line", () => {
            assert.equal(sysbenchCpu.clientCommand(sysbenchCpu.defaults, CTX), "sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run");
            assert.equal(
                sysbenchCpu.clientCommand({ maxPrime: 2000, threads: 4, timeSeconds: 30, warmupSeconds: 0 }, CTX),
                "sysbench cpu --cpu-max-prime=2000 --threads=4 --time=30 run",
            );
        });

        it("rejects parameters that are not positive integers", () => {
            assert.throws(
                () => sysbenchCpu.clientCommand({ maxPrime: 20000, threads: 0, timeSeconds: 10, warmupSeconds: 0 }, CTX),
                /threads must be a positive integer/,
            );
            assert.throws(() => sysbenchCpu.clientCommand({ maxPrime: 1.5, threads: 1, timeSeconds: 10, warmupSeconds: 0 }, CTX), /maxPrime/);
            assert.throws(
                () => sysbenchCpu.clientCommand({ maxPrime: 20000, threads: 1, timeSeconds: "10; rm -rf /" as unknown as number, warmupSeconds: 0 }, CTX),
                /timeSeconds/,
            );
        });
    });

    describe("parse: sysbench 1.0.20 (captured)", () => {
        it("reads events/s, avg and 95th percentile latency of the default run", () => {
            const ms = sysbenchCpu.parse(fixture(V1_T1));
            assert.deepEqual(ms, [
                { metric: "events_per_s", value: 1228.23, unit: "events/s", better: "higher" },
                { metric: "latency_avg_ms", value: 0.81, unit: "ms", better: "lower" },
                { metric: "latency_p95_ms", value: 1.27, unit: "ms", better: "lower" },
            ]);
        });

        it("reads the two-thread run", () => {
            const m = byMetric(sysbenchCpu.parse(fixture(V1_T2)));
            assert.equal(m.events_per_s.value, 40260.77);
            assert.equal(m.latency_avg_ms.value, 0.05);
            assert.equal(m.latency_p95_ms.value, 0.02);
        });

        it("accepts CRLF line ends", () => {
            const m = byMetric(sysbenchCpu.parse(fixture(V1_T1).replace(/\n/g, "\r\n")));
            assert.equal(m.events_per_s.value, 1228.23);
            assert.equal(m.latency_p95_ms.value, 1.27);
        });

        it("checks the output against the params when given", () => {
            assert.equal(sysbenchCpu.parse(fixture(V1_T1), sysbenchCpu.defaults).length, 3);
            assertParseError(() => sysbenchCpu.parse(fixture(V1_T1), { ...sysbenchCpu.defaults, threads: 2 }), "sysbench-cpu", "threads");
            assertParseError(() => sysbenchCpu.parse(fixture(V1_T1), { ...sysbenchCpu.defaults, maxPrime: 10000 }), "sysbench-cpu", "maxPrime");
            assertParseError(() => sysbenchCpu.parse(fixture(V1_T2), sysbenchCpu.defaults), "sysbench-cpu", "threads");
        });

        it("refuses a run reporting another percentile than the 95th", () => {
            const raw = fixture(V1_T1).replace("95th percentile:", "99th percentile:");
            const e = assertParseError(() => sysbenchCpu.parse(raw), "sysbench-cpu", "latency_p95_ms");
            assert.match(e.message, /99th percentile/);
        });
    });

    describe("parse: sysbench 0.4.12 format (reconstructed fixture)", () => {
        it("derives events/s = events / total time and reads the per-request statistics", () => {
            const ms = parseSysbenchCpu(fixture(V04));
            assert.deepEqual(ms, [
                { metric: "events_per_s", value: 10000 / 24.8731, unit: "events/s", better: "higher" },
                { metric: "latency_avg_ms", value: 2.49, unit: "ms", better: "lower" },
                { metric: "latency_p95_ms", value: 2.58, unit: "ms", better: "lower" },
            ]);
            assert.equal(ms[0].value.toFixed(4), "402.0408");
        });

        it("checks the 0.4 output against the params (prime limit)", () => {
            assert.equal(parseSysbenchCpu(fixture(V04), { maxPrime: 20000, threads: 1, timeSeconds: 10, warmupSeconds: 0 }).length, 3);
            assertParseError(
                () => parseSysbenchCpu(fixture(V04), { maxPrime: 10000, threads: 1, timeSeconds: 10, warmupSeconds: 0 }),
                "sysbench-cpu",
                "maxPrime",
            );
        });

        it("refuses a zero total time", () => {
            const raw = fixture(V04).replace("24.8731s", "0.0000s");
            assertParseError(() => parseSysbenchCpu(raw), "sysbench-cpu", "events_per_s");
        });
    });

    describe("warm-up (warmupSeconds: a report checkpoint at its end)", () => {
        const P = { maxPrime: 2000, threads: 1, timeSeconds: 2, warmupSeconds: 1 };

        it("runs warm-up + measured seconds with a checkpoint at the warm-up's end", () => {
            assert.equal(sysbenchCpu.clientCommand(P, CTX), "sysbench cpu --cpu-max-prime=2000 --threads=1 --time=3 --report-checkpoints=1 run");
            assert.equal(sysbenchCpu.expectedS(P), 3);
            assert.match(sysbenchCpu.notes!(P), /first 1 s of each run not measured/);
            assert.equal(sysbenchCpu.notes!(sysbenchCpu.defaults), "");
            assert.throws(() => sysbenchCpu.clientCommand({ ...P, warmupSeconds: -1 }, CTX), /warmupSeconds must be 0/);
        });

        it("reads the final report, not the warm-up's checkpoint report (captured)", () => {
            const m = byMetric(sysbenchCpu.parse(fixture(V1_WARMUP), P));
            // The checkpoint report says 28736.63 events/s over the warm-up; the final one covers the 2 measured seconds.
            assert.equal(m.events_per_s.value, 31137.36);
            assert.equal(m.latency_avg_ms.value, 0.03);
        });

        it("refuses output without the checkpoint the params asked for: its numbers would include the warm-up", () => {
            assertParseError(() => sysbenchCpu.parse(fixture(V1_T1), { ...sysbenchCpu.defaults, warmupSeconds: 2 }), "sysbench-cpu", "events_per_s");
            // Without a warm-up asked for, output with a checkpoint is still read from its final report.
            assert.equal(byMetric(sysbenchCpu.parse(fixture(V1_WARMUP))).events_per_s.value, 31137.36);
        });

        it("throws ParseError for every truncation before the final report's last section", () => {
            const raw = fixture(V1_WARMUP);
            const end = raw.lastIndexOf("    execution time (avg/stddev):");
            for (let cut = 0; cut < end; cut++) {
                // A cut inside the header's numbers contradicts the params instead.
                assertParseError(
                    () => sysbenchCpu.parse(raw.slice(0, cut), P),
                    "sysbench-cpu",
                    /^(events_per_s|latency_avg_ms|latency_p95_ms|maxPrime|threads)$/,
                    `cut at ${cut}`,
                );
            }
        });
    });

    describe("parse: garbage and truncated output", () => {
        it("throws ParseError for empty and unrelated output", () => {
            assertParseError(() => sysbenchCpu.parse(""), "sysbench-cpu", "events_per_s");
            const e = assertParseError(() => sysbenchCpu.parse("bash: sysbench: command not found\n"), "sysbench-cpu", "events_per_s");
            assert.match(e.message, /^sysbench-cpu: cannot parse events_per_s: .*not sysbench output/);
            assertParseError(() => sysbenchCpu.parse("\u0000\u0001binary\u00ff garbage"), "sysbench-cpu", "events_per_s");
        });

        it("throws ParseError naming the missing metric", () => {
            const raw = fixture(V1_T1);
            assertParseError(() => sysbenchCpu.parse(raw.replace(/events per second:.*\n/, "")), "sysbench-cpu", "events_per_s");
            assertParseError(() => sysbenchCpu.parse(raw.replace(/ +avg: .*\n/, "")), "sysbench-cpu", "latency_avg_ms");
            assertParseError(() => sysbenchCpu.parse(raw.replace(/ +95th percentile: .*\n/, "")), "sysbench-cpu", "latency_p95_ms");
            assertParseError(() => sysbenchCpu.parse(raw.replace("events per second:  1228.23", "events per second:  -nan")), "sysbench-cpu", "events_per_s");
        });

        for (const name of [V1_T1, V1_T2, V04]) {
            it(`throws ParseError for every truncation of ${name} before its final section`, () => {
                const raw = fixture(name);
                const end = raw.indexOf("    execution time (avg/stddev):");
                assert.ok(end > 0);
                for (let cut = 0; cut < end; cut++) {
                    assertParseError(
                        () => sysbenchCpu.parse(raw.slice(0, cut)),
                        "sysbench-cpu",
                        /^(events_per_s|latency_avg_ms|latency_p95_ms)$/,
                        `cut at ${cut}`,
                    );
                }
            });
        }

        it("names the value that may have been cut (truncated in the middle of the 95th percentile)", () => {
            const raw = fixture(V1_T1);
            const at = raw.indexOf("1.27\n");
            assertParseError(() => sysbenchCpu.parse(raw.slice(0, at + 2)), "sysbench-cpu", "latency_p95_ms"); // "...: 1."
            assertParseError(() => sysbenchCpu.parse(raw.slice(0, at + 3)), "sysbench-cpu", "latency_p95_ms"); // "...: 1.2", no fairness section
        });
    });

    describe("version", () => {
        it("parses sysbench --version (captured) and the 0.4 banner", () => {
            assert.equal(sysbenchCpu.parseVersion(fixture("sysbench-1.0.20-version.txt")), "1.0.20");
            assert.equal(parseSysbenchVersion("sysbench 0.4.12:  multi-threaded system evaluation benchmark\n"), "0.4.12");
        });

        it("throws ParseError on anything else", () => {
            const e = assertParseError(() => sysbenchCpu.parseVersion("command not found"), "sysbench-cpu", "version");
            assert.match(e.message, /command not found/);
        });
    });
});
