import { strict as assert } from "assert";
import { parseRedisBenchmark, redis, RedisParams, redisTestKey } from "../../workloads/redis";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import { valuesByMetric } from "../helpers/measurements";

const fixture = fixtureReader("redis");

const CSV7 = "redis-benchmark-7.0.15-csv.txt";
const HUMAN7 = "redis-benchmark-7.0.15-human.txt";
const QUIET7 = "redis-benchmark-7.0.15-quiet.txt";
const REFUSED7 = "redis-benchmark-7.0.15-connection-refused.txt";
const HUMAN28 = "redis-benchmark-2.8-human-RECONSTRUCTED.txt";
const QUIET28 = "redis-benchmark-2.8-quiet-RECONSTRUCTED.txt";
const CSV28 = "redis-benchmark-2.8-csv-RECONSTRUCTED.txt";

/** The tests of the single-run fixtures. */
const TESTS = ["ping_inline", "set", "get", "lpush", "lpop", "sadd"];
const P: RedisParams = { ...redis.defaults, tests: TESTS.join(",") };
const SWEEP7 = "redis-benchmark-7.0.15-csv-sweep-clients1-10-50.txt";
const FELTER28 = "redis-benchmark-2.8.13-felter2014-run_native_20140717_1655-head.txt";

/** rps of the reconstructed 2.8 fixtures (100000 requests / printed duration). */
const RPS_28 = { ping_inline_rps: 105263.16, set_rps: 102040.82, get_rps: 106382.98, lpush_rps: 103092.78, lpop_rps: 101010.1, sadd_rps: 104166.67 };

describe("workloads/redis", () => {
    describe("definition", () => {
        it("has the paper's parameters and a host-side client", () => {
            assert.equal(redis.name, "redis");
            assert.equal(redis.tool, "redis-benchmark");
            // What the defaults make redis-benchmark do, not the defaults object again: the paper's
            // 50-byte values, 100 000-key space, 500 000 requests per test, no pipelining, its tests,
            // over the client counts of the published logs.
            const cmd = redis.clientCommand(redis.defaults, { addr: { host: "h", port: 1 }, dataDir: "/data" });
            const runs = [...cmd.matchAll(/timeout -k 10 (\d+) redis-benchmark -h h -p 1 -c (\d+) (.*?) --csv/g)];
            assert.deepEqual(
                runs.map((m) => Number(m[2])),
                [1, 2, 4, 5, 10, 20, 30, 50, 70, 100, 120],
            );
            for (const [, timeout, , flags] of runs) {
                assert.equal(flags, "-n 500000 -d 50 -r 100000 -P 1 -t ping,set,get,lpush,lpop,sadd");
                assert.equal(timeout, "900");
            }
            assert.equal(redis.clientPlacement, "host");
            assert.equal(redis.serverPort, 6379);
            assert.equal(redis.versionCommand, "redis-server --version");
        });

        it("builds server, readiness and a client sweep with a marker, FLUSHALL and a timeout per client count", () => {
            assert.equal(
                redis.serverCommand!(P, { dataDir: "/data", listen: "192.168.122.5" }),
                "redis-server --port 6379 --bind 192.168.122.5 --protected-mode no --save '' --appendonly no",
            );
            assert.equal(
                redis.readinessCommand!(P, { host: "192.168.122.10", port: 6379 }),
                "redis-cli -h 192.168.122.10 -p 6379 ping 2>/dev/null | grep -qx PONG",
            );
            assert.equal(
                redis.clientCommand({ ...redis.defaults, clients: "1,50", requests: 1000 }, { addr: { host: "127.0.0.1", port: 16379 }, dataDir: "/data" }),
                "set -e; " +
                    "echo '### isobench redis clients=1'; timeout -k 10 60 redis-cli -h 127.0.0.1 -p 16379 flushall >/dev/null; " +
                    "timeout -k 10 900 redis-benchmark -h 127.0.0.1 -p 16379 -c 1 -n 1000 -d 50 -r 100000 -P 1 -t ping,set,get,lpush,lpop,sadd --csv; " +
                    "echo '### isobench redis clients=50'; timeout -k 10 60 redis-cli -h 127.0.0.1 -p 16379 flushall >/dev/null; " +
                    "timeout -k 10 900 redis-benchmark -h 127.0.0.1 -p 16379 -c 50 -n 1000 -d 50 -r 100000 -P 1 -t ping,set,get,lpush,lpop,sadd --csv",
            );
            assert.match(redis.clientCommand({ ...P, clients: 8 }, { addr: { host: "h", port: 1 }, dataDir: "/data" }), /clients=8'.* -c 8 /);
        });

        it("quotes odd host names and validates parameters", () => {
            assert.match(redis.clientCommand(P, { addr: { host: "my host", port: 1 }, dataDir: "/data" }), /redis-benchmark -h 'my host' -p 1 /);
            assert.throws(() => redis.clientCommand(P, { dataDir: "/data" }), /needs the address of the server.s server port/);
            assert.throws(
                () => redis.clientCommand({ ...P, clients: 0 }, { addr: { host: "h", port: 1 }, dataDir: "/data" }),
                /clients must be a positive integer/,
            );
            assert.throws(
                () => redis.clientCommand({ ...P, clients: "1,x" }, { addr: { host: "h", port: 1 }, dataDir: "/data" }),
                /clients must be a positive integer or a comma-separated list/,
            );
            assert.throws(() => redis.clientCommand({ ...P, clients: "5,5" }, { addr: { host: "h", port: 1 }, dataDir: "/data" }), /lists a value twice/);
            assert.throws(
                () => redis.clientCommand({ ...P, tests: "set;rm -rf /" }, { addr: { host: "h", port: 1 }, dataDir: "/data" }),
                /tests must be comma-separated/,
            );
        });

        it("names metrics after the test title", () => {
            assert.equal(redisTestKey("PING_INLINE"), "ping_inline");
            assert.equal(redisTestKey("MSET (10 keys)"), "mset_10_keys");
            assert.equal(redisTestKey("LRANGE_100 (first 100 elements)"), "lrange_100_first_100_elements");
        });
    });

    describe("parse: redis-benchmark 7.0.15 (captured)", () => {
        it("--csv: rps, avg and p99 latency of every test, with units and directions", () => {
            const ms = redis.parse(fixture(CSV7), P);
            assert.equal(ms.length, 18);
            assert.deepEqual(ms.slice(0, 3), [
                { metric: "ping_inline_rps", value: 44444.44, unit: "req/s", better: "higher" },
                { metric: "ping_inline_latency_avg_ms", value: 0.77, unit: "ms", better: "lower" },
                { metric: "ping_inline_latency_p99_ms", value: 2.695, unit: "ms", better: "lower" },
            ]);
            assert.deepEqual(valuesByMetric(ms), {
                ping_inline_rps: 44444.44,
                ping_inline_latency_avg_ms: 0.77,
                ping_inline_latency_p99_ms: 2.695,
                set_rps: 42553.19,
                set_latency_avg_ms: 0.721,
                set_latency_p99_ms: 1.279,
                get_rps: 47619.05,
                get_latency_avg_ms: 0.692,
                get_latency_p99_ms: 1.151,
                lpush_rps: 39215.69,
                lpush_latency_avg_ms: 0.878,
                lpush_latency_p99_ms: 4.119,
                lpop_rps: 40816.33,
                lpop_latency_avg_ms: 0.814,
                lpop_latency_p99_ms: 2.751,
                sadd_rps: 40816.33,
                sadd_latency_avg_ms: 0.784,
                sadd_latency_p99_ms: 2.983,
            });
        });

        it("human output (with \\r progress lines): the same metrics from the summaries", () => {
            const ms = redis.parse(fixture(HUMAN7), P);
            assert.deepEqual(valuesByMetric(ms), {
                ping_inline_rps: 38461.54,
                ping_inline_latency_avg_ms: 0.773,
                ping_inline_latency_p99_ms: 1.967,
                set_rps: 37735.85,
                set_latency_avg_ms: 0.842,
                set_latency_p99_ms: 2.591,
                get_rps: 41666.67,
                get_latency_avg_ms: 0.809,
                get_latency_p99_ms: 4.367,
                lpush_rps: 31746.03,
                lpush_latency_avg_ms: 1.037,
                lpush_latency_p99_ms: 3.239,
                lpop_rps: 45454.55,
                lpop_latency_avg_ms: 0.719,
                lpop_latency_p99_ms: 1.327,
                sadd_rps: 43478.26,
                sadd_latency_avg_ms: 0.774,
                sadd_latency_p99_ms: 2.231,
            });
            for (const m of ms) assert.equal(m.better, m.metric.endsWith("_rps") ? "higher" : "lower");
        });

        it("-q output: rps only (it has no average or p99 latency)", () => {
            assert.deepEqual(valuesByMetric(redis.parse(fixture(QUIET7), P)), {
                ping_inline_rps: 29411.76,
                set_rps: 40000,
                get_rps: 42553.19,
                lpush_rps: 42553.19,
                lpop_rps: 38461.54,
                sadd_rps: 44444.44,
            });
        });
    });

    describe("parse: redis-benchmark 2.8 formats (reconstructed fixtures)", () => {
        it("human output: rps per test, no latency metrics", () => {
            const ms = parseRedisBenchmark(fixture(HUMAN28), P);
            assert.deepEqual(valuesByMetric(ms), RPS_28);
            assert.ok(ms.every((m) => m.unit === "req/s" && m.better === "higher"));
        });

        it("human output whose \\r were lost in a log (progress glued to the header)", () => {
            const raw = fixture(HUMAN28).replace(/\r/g, "");
            assert.match(raw, /SET: 101533\.33====== SET ======/);
            assert.deepEqual(valuesByMetric(parseRedisBenchmark(raw, P)), RPS_28);
        });

        it("-q output", () => {
            assert.deepEqual(valuesByMetric(parseRedisBenchmark(fixture(QUIET28), P)), RPS_28);
            assert.deepEqual(valuesByMetric(parseRedisBenchmark(fixture(QUIET28).replace(/\r/g, ""), P)), RPS_28);
        });

        it("header-less two-column --csv", () => {
            assert.deepEqual(valuesByMetric(parseRedisBenchmark(fixture(CSV28), P)), RPS_28);
        });
    });

    describe("parse: requested tests", () => {
        it("every requested test must be in the output", () => {
            const e = assertParseError(() => redis.parse(fixture(CSV7), { ...P, tests: "set,get,incr" }), "redis", "incr_rps");
            assert.match(e.message, /incr was requested but is not in the output/);
        });

        it("a family name is satisfied by its members (ping → ping_inline)", () => {
            assert.equal(redis.parse(fixture(CSV7), { ...P, tests: "ping,set" }).length, 18);
        });

        it("without params, whatever tests are present are returned", () => {
            const raw = fixture(CSV7)
                .split("\n")
                .filter((l) => !l.startsWith('"SADD"'))
                .join("\n");
            assert.equal(redis.parse(raw).length, 15);
            assertParseError(() => redis.parse(raw, P), "redis", "sadd_rps");
        });
    });

    describe("parse: garbage, errors and truncated output", () => {
        it("throws ParseError on empty and unrelated output", () => {
            assertParseError(() => redis.parse(""), "redis", "rps");
            assertParseError(() => redis.parse("hello world\nthis is not redis-benchmark\n"), "redis", "rps");
            assertParseError(() => redis.parse("\u0000\u00ff\u0001"), "redis", "rps");
        });

        it("reports what redis-benchmark said when it could not connect (captured)", () => {
            const e = assertParseError(() => redis.parse(fixture(REFUSED7), P), "redis", "rps");
            assert.match(e.message, /Connection refused/);
        });

        it("refuses non-numbers and malformed CSV", () => {
            assertParseError(() => redis.parse(fixture(CSV7).replace('"GET","47619.05"', '"GET","-nan"')), "redis", "get_rps");
            assertParseError(() => redis.parse(fixture(CSV7).replace('"0.814"', '"-nan"')), "redis", "lpop_latency_avg_ms");
            assertParseError(() => redis.parse(fixture(CSV7).replace('"LPUSH","39215.69",', '"LPUSH","39215.69,')), "redis", "lpush_rps");
            assertParseError(() => redis.parse(fixture(CSV7).replace('"2.983","3.335"', '"2.983"')), "redis", "sadd_rps");
        });

        it("refuses concatenated runs (a test twice)", () => {
            const e = assertParseError(() => redis.parse(fixture(HUMAN7) + fixture(HUMAN7)), "redis", "ping_inline_rps");
            assert.match(e.message, /appears twice/);
            assertParseError(() => redis.parse(fixture(CSV28) + fixture(CSV28)), "redis", "ping_inline_rps");
        });

        it("--csv: every truncation throws ParseError when params are given", () => {
            const raw = fixture(CSV7);
            assert.ok(raw.endsWith('"3.335"\n'));
            for (let cut = 0; cut < raw.length - 1; cut++) {
                assertParseError(() => redis.parse(raw.slice(0, cut), P), "redis", /_rps$|_latency_(avg|p99)_ms$|^rps$/, `cut at ${cut}`);
            }
            assert.equal(redis.parse(raw.slice(0, raw.length - 1), P).length, 18); // only the final newline missing
        });

        it("human output: every truncation before the last latency table throws ParseError", () => {
            const raw = fixture(HUMAN7);
            const lastValues = raw.lastIndexOf("        0.774     0.264");
            assert.ok(lastValues > 0);
            for (let cut = 0; cut < lastValues; cut += 1) {
                assertParseError(() => redis.parse(raw.slice(0, cut), P), "redis", /_rps$|_latency_(avg|p99)_ms$|^rps$/, `cut at ${cut}`);
            }
        });

        it("human output: names the test and metric of the cut block", () => {
            const raw = fixture(HUMAN7);
            const summary = raw.lastIndexOf("Summary:");
            const e = assertParseError(() => redis.parse(raw.slice(0, summary)), "redis", "sadd_rps");
            assert.match(e.message, /====== SADD ======.*truncated/);
            const table = raw.lastIndexOf("  latency summary (msec):");
            assertParseError(() => redis.parse(raw.slice(0, table)), "redis", "sadd_latency_avg_ms");
            const values = raw.lastIndexOf("        0.774     0.264");
            assertParseError(() => redis.parse(raw.slice(0, values + "        0.774     0.264     0.743".length)), "redis", "sadd_latency_avg_ms");
        });
    });

    describe("version", () => {
        it("parses redis-server --version (captured)", () => {
            assert.equal(redis.parseVersion(fixture("redis-server-7.0.15-version.txt")), "7.0.15");
            assert.equal(redis.parseVersion("Redis server v=2.8.13 sha=00000000:0 malloc=jemalloc-3.6.0 bits=64 build=1\n"), "2.8.13");
        });

        it("throws ParseError on anything else", () => {
            assertParseError(() => redis.parseVersion("redis-server: command not found"), "redis", "version");
        });
    });

    describe("parse: client sweeps", () => {
        const SP: RedisParams = { ...redis.defaults, clients: "1,10,50" };

        it("a captured sweep (7.0.15 --csv, markers from the client command): every value carries its client count", () => {
            const ms = redis.parse(fixture(SWEEP7), SP);
            assert.equal(ms.length, 3 * 7 * 3); // 3 client counts × 7 tests (ping → inline + mbulk) × rps/avg/p99
            const at = (clients: number, metric: string) => ms.find((m) => m.point?.clients === clients && m.metric === metric)?.value;
            assert.equal(at(1, "get_rps"), 26666.67);
            assert.equal(at(10, "get_rps"), 36363.64);
            assert.equal(at(50, "get_latency_avg_ms"), 0.803);
            assert.equal(at(50, "ping_mbulk_rps"), 44444.44);
            assert.ok(ms.every((m) => m.point !== undefined && [1, 10, 50].includes(m.point.clients as number)));
        });

        it("a sweep missing a requested client count (cut after a marker) throws ParseError", () => {
            const raw = fixture(SWEEP7);
            const cut = raw.indexOf("### isobench redis clients=50");
            const e = assertParseError(() => redis.parse(raw.slice(0, cut), SP), "redis", "clients");
            assert.match(e.message, /50 clients/);
            assertParseError(() => redis.parse(raw.slice(0, cut + 40), SP), "redis", /_rps$/);
            assertParseError(() => redis.parse(raw + raw, SP), "redis", "clients");
        });

        it("every truncation of the captured sweep throws ParseError", () => {
            const raw = fixture(SWEEP7);
            for (let cut = 0; cut < raw.length - 1; cut += 7) {
                assertParseError(() => redis.parse(raw.slice(0, cut), SP), "redis", /_rps$|_latency_(avg|p99)_ms$|^rps$|^clients$|^marker$/, `cut at ${cut}`);
            }
        });

        it('the paper\'s published 2.8.13 log (two client counts, four invocations each): one point per "N parallel clients"', () => {
            const ms = redis.parse(fixture(FELTER28), { ...redis.defaults, clients: "60,70" });
            assert.equal(ms.length, 2 * 7);
            const at = (clients: number, metric: string) => ms.find((m) => m.point?.clients === clients && m.metric === metric)?.value;
            assert.equal(at(60, "ping_inline_rps"), 108885.02);
            assert.equal(at(60, "ping_bulk_rps"), 120948.24);
            assert.equal(at(60, "get_rps"), 106022.05);
            assert.equal(at(70, "sadd_rps"), 116577.29);
            assert.ok(ms.every((m) => m.unit === "req/s"));
        });

        it("the published log cut inside the last block names that block", () => {
            const raw = fixture(FELTER28);
            const e = assertParseError(() => redis.parse(raw.slice(0, raw.lastIndexOf("116577.29"))), "redis", "sadd_rps");
            assert.match(e.message, /SADD/);
        });
    });
});
