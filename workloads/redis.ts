/**
 * Redis key-value store (Felter et al. 2014, §Redis): redis-server runs inside the environment,
 * redis-benchmark runs on the host against it, so the network path (loopback, Docker NAT,
 * host networking, virtio) is part of what is measured.
 *
 * Parameters follow the paper's scripts (`redis/benchmark` in thewmf/kvm-docker-comparison):
 * 50-byte values (-d 50), random keys from a 100 000-key space (-r 100000), no pipelining,
 * 500 000 requests per test, tests ping (PING_INLINE and PING_BULK/MBULK), set, get, lpush, lpop,
 * sadd, and a sweep over the client counts of the published logs (1..120). One cell runs the whole
 * sweep: before each client count the keyspace is flushed (FLUSHALL, as the paper's script did) and
 * a marker line is printed; every value carries `point: {clients: N}`. Each redis-benchmark run
 * has a timeout, because redis-benchmark retries forever when no server answers.
 *
 * The parser accepts every output mode of redis-benchmark 7.x (`--csv` with latency columns, the
 * default human-readable report, `-q`) and of redis-benchmark 2.8 (the paper's version: human,
 * `-q` and header-less two-column `--csv`) so that published logs can be imported. 2.8 output and
 * `-q` output carry no average/p99 latency, so only `<test>_rps` is produced from them.
 *
 * Without markers (imported logs), the "N parallel clients" line of each human-format block gives
 * the point, so a published 2.8 log covering several client counts imports as a sweep.
 *
 * Metric names: `<test>_rps`, `<test>_latency_avg_ms`, `<test>_latency_p99_ms`, where <test> is
 * the test title lower-cased with every run of other characters than [a-z0-9] turned into "_"
 * (PING_INLINE → ping_inline, "MSET (10 keys)" → mset_10_keys).
 */
import { decimal, hostWord, intList, listenOf, markerCommand, portOf, splitSections, withTimeout } from "./client-server";
import { SLOW_RATES } from "./expected";
import { SECONDS_PARAM, distinctListPattern, intListParam, intParam, positiveInt } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import type { ServerAddress } from "../core/endpoints";
import { ParseError } from "../core/errors";

export type RedisParams = {
    /** -d: value size in bytes. */
    dataSize: number;
    /** -r: random keys drawn from this many. */
    keyspace: number;
    /** -n: requests per test. */
    requests: number;
    /** -c: parallel client connections; a comma-separated list sweeps them in one cell. */
    clients: number | string;
    /** -t: comma-separated test names as redis-benchmark 7 spells them. */
    tests: string;
    /** -P: requests per pipeline (1 = no pipelining, as in the paper). */
    pipeline: number;
    /** Seconds after which one redis-benchmark run (one client count) is killed. */
    timeoutSeconds: number;
};

const NAME = "redis";
const DEFAULT_PORT = 6379;

/** The client counts of a sweep, in the order given. */
export function redisClientCounts(p: RedisParams): number[] {
    return intList(NAME, "clients", p.clients);
}

/** Requested test names, validated: lower-case words separated by commas. */
export function redisTestList(tests: string): string[] {
    const list = tests.split(",").map((t) => t.trim().toLowerCase());
    if (list.length === 0 || list.some((t) => !/^[a-z0-9_]+$/.test(t))) {
        throw new Error(`${NAME}: parameter tests must be comma-separated redis-benchmark test names (e.g. "set,get"), got ${JSON.stringify(tests)}`);
    }
    return list;
}

/** Metric prefix of a redis-benchmark test title: "PING_INLINE" → "ping_inline". */
export function redisTestKey(title: string): string {
    return title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "");
}

interface TestResult {
    rps: number;
    /** "N parallel clients" of a human-format block. */
    clients?: number;
    /** Only redis-benchmark ≥ 6.2 reports them (CSV columns, human "latency summary"). */
    avgMs?: number;
    p99Ms?: number;
}

function requireNumber(s: string | undefined, metric: string, what: string): number {
    const v = decimal(s);
    if (v === undefined) throw new ParseError(NAME, metric, `${what} is not a number: ${JSON.stringify(s)}`);
    return v;
}

// ---- the three output modes -------------------------------------------------------------------

/** Segments of the output: lines, with the \r-separated progress updates split apart. */
function segments(raw: string): string[] {
    return raw.split(/\r\n|\r|\n/);
}

const HUMAN_HEADER = /====== (.+?) ======/;

/**
 * Default (human) report, 2.8 and 7.x: "====== SET ======" opens a block that ends with
 * "<x> requests per second" (7.x: "throughput summary: <x> requests per second") and, in 7.x,
 * a "latency summary (msec):" table with a header row (avg min p50 p95 p99 max) and a value row.
 * The header may follow progress updates on the same line when \r was lost in a log.
 */
function parseHuman(raw: string): Map<string, TestResult> {
    const blocks: { title: string; lines: string[] }[] = [];
    for (const seg of segments(raw)) {
        const h = HUMAN_HEADER.exec(seg);
        if (h) blocks.push({ title: h[1].trim(), lines: [] });
        else if (blocks.length > 0) blocks[blocks.length - 1].lines.push(seg);
    }
    const results = new Map<string, TestResult>();
    for (const { title, lines } of blocks) {
        const key = redisTestKey(title);
        const clientsLine = lines.map((l) => /^\s*([0-9]+) parallel clients\s*$/.exec(l)).find((m) => m !== null);
        const clients = clientsLine ? Number(clientsLine[1]) : undefined;
        const id = clients === undefined ? key : `${clients}\u0000${key}`;
        if (results.has(id))
            throw new ParseError(
                NAME,
                `${key}_rps`,
                `test ${title}${clients === undefined ? "" : ` with ${clients} clients`} appears twice in one output (several runs concatenated?)`,
            );
        const rpsLine = lines.find((l) => /requests per second/.test(l));
        const rpsMatch = rpsLine && /(?:^|\s|:)([0-9]+(?:\.[0-9]+)?) requests per second/.exec(rpsLine);
        if (!rpsMatch) {
            throw new ParseError(NAME, `${key}_rps`, `the "====== ${title} ======" block has no "<x> requests per second" line (truncated output?)`);
        }
        const result: TestResult = { rps: Number(rpsMatch[1]), clients };
        // 7.x blocks carry the latency report; 2.8 blocks only whole-millisecond "<= N milliseconds" lines.
        const is7 = lines.some((l) => /^Latency by percentile distribution:|^\s*latency summary \(msec\):/.test(l));
        if (is7) {
            const at = lines.findIndex((l) => /^\s*latency summary \(msec\):/.test(l));
            const names = at >= 0 ? (lines[at + 1] ?? "").trim().split(/\s+/) : [];
            const values = at >= 0 ? (lines[at + 2] ?? "").trim().split(/\s+/) : [];
            const col = (name: string, metric: string): number => {
                const i = names.indexOf(name);
                if (at < 0 || i < 0 || values.length !== names.length) {
                    throw new ParseError(
                        NAME,
                        metric,
                        `the "====== ${title} ======" block has no complete "latency summary (msec)" table with a ${name} column (truncated output?)`,
                    );
                }
                return requireNumber(values[i], metric, `${name} latency of ${title}`);
            };
            result.avgMs = col("avg", `${key}_latency_avg_ms`);
            result.p99Ms = col("p99", `${key}_latency_p99_ms`);
        }
        results.set(id, result);
    }
    return results;
}

const CSV_LINE = /^"[^"]*"(?:,"[^"]*")*$/;

/**
 * --csv: 7.x prints a header row ("test","rps","avg_latency_ms",...,"p99_latency_ms",...) then one
 * row per test; 2.8 (and 6.0) print header-less "TEST","rps" rows.
 */
function parseCsv(raw: string): Map<string, TestResult> {
    const lines = segments(raw)
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    const rows: string[][] = [];
    for (const line of lines) {
        if (!CSV_LINE.test(line)) {
            if (/^"/.test(line)) {
                const first = /^"([^"]*)"/.exec(line);
                const key = first ? redisTestKey(first[1]) : "csv";
                throw new ParseError(NAME, `${key}_rps`, `malformed CSV line ${JSON.stringify(line)} (truncated output?)`);
            }
            continue; // e.g. "WARNING: Could not fetch server CONFIG"
        }
        rows.push(line.slice(1, -1).split('","'));
    }
    let header: string[] = ["test", "rps"];
    if (rows.length > 0 && rows[0][0] === "test") header = rows.shift()!;
    const iRps = header.indexOf("rps");
    const iAvg = header.indexOf("avg_latency_ms");
    const iP99 = header.indexOf("p99_latency_ms");
    if (iRps < 0) throw new ParseError(NAME, "rps", `CSV header ${JSON.stringify(header.join(","))} has no "rps" column`);
    const results = new Map<string, TestResult>();
    for (const row of rows) {
        const key = redisTestKey(row[0]);
        if (row.length !== header.length) {
            throw new ParseError(NAME, `${key}_rps`, `CSV row for ${row[0]} has ${row.length} fields, the header has ${header.length} (truncated output?)`);
        }
        if (results.has(key)) throw new ParseError(NAME, `${key}_rps`, `test ${row[0]} appears twice in one output (several runs concatenated?)`);
        const result: TestResult = { rps: requireNumber(row[iRps], `${key}_rps`, `rps of ${row[0]}`) };
        if (iAvg >= 0) result.avgMs = requireNumber(row[iAvg], `${key}_latency_avg_ms`, `avg latency of ${row[0]}`);
        if (iP99 >= 0) result.p99Ms = requireNumber(row[iP99], `${key}_latency_p99_ms`, `p99 latency of ${row[0]}`);
        results.set(key, result);
    }
    return results;
}

/**
 * -q: "SET: 43478.26 requests per second" (2.8) or "..., p50=0.711 msec" (7.x). Progress updates
 * ("SET: 12345.00" in 2.8, "SET: rps=... (overall: ...)" in 7.x) precede it, \r-separated.
 */
const QUIET_LINE = /([A-Z][A-Z0-9_]*(?: \([^)]*\))?): ([0-9]+(?:\.[0-9]+)?) requests per second/;

function parseQuiet(raw: string): Map<string, TestResult> {
    const results = new Map<string, TestResult>();
    for (const seg of segments(raw)) {
        const m = QUIET_LINE.exec(seg);
        if (!m) continue;
        const key = redisTestKey(m[1]);
        if (results.has(key)) throw new ParseError(NAME, `${key}_rps`, `test ${m[1]} appears twice in one output (several runs concatenated?)`);
        results.set(key, { rps: Number(m[2]) });
    }
    return results;
}

/** Test key of a result id (human-format ids carry the client count in front). */
function keyOf(id: string): string {
    return id.split("\u0000").pop()!;
}

function toMeasurements(results: Map<string, TestResult>, point?: Record<string, number>): Measurement[] {
    const out: Measurement[] = [];
    for (const [id, r] of results) {
        const key = keyOf(id);
        const at = point ?? (r.clients === undefined ? undefined : { clients: r.clients });
        const withPoint = (m: Measurement): Measurement => (at ? { ...m, point: at } : m);
        out.push(withPoint({ metric: `${key}_rps`, value: r.rps, unit: "req/s", better: "higher" }));
        if (r.avgMs !== undefined) out.push(withPoint({ metric: `${key}_latency_avg_ms`, value: r.avgMs, unit: "ms", better: "lower" }));
        if (r.p99Ms !== undefined) out.push(withPoint({ metric: `${key}_latency_p99_ms`, value: r.p99Ms, unit: "ms", better: "lower" }));
    }
    return out;
}

/**
 * Parses redis-benchmark output (any mode, 2.8 or 7.x), a marked client sweep of the client
 * command or one unmarked output. With params, every requested test must be present for every
 * requested client count: a test name t is satisfied by a result t or t_* ("ping" → ping_inline
 * and ping_mbulk).
 */
export function parseRedisBenchmark(raw: string, params?: RedisParams): Measurement[] {
    const sections = splitSections(NAME, raw);
    if (!sections) return parseOne(raw, params);
    const out: Measurement[] = [];
    const seen = new Set<number>();
    for (const s of sections) {
        const clients = Number(s.point.clients);
        if (!Number.isInteger(clients) || clients <= 0) throw new ParseError(NAME, "clients", `marker has no client count: ${JSON.stringify(s.point)}`);
        if (seen.has(clients)) throw new ParseError(NAME, "clients", `client count ${clients} appears twice in one output`);
        seen.add(clients);
        const ms = parseOne(s.text, params, `with ${clients} clients`);
        out.push(...ms.map((m) => ({ ...m, point: { clients } })));
    }
    if (params) {
        for (const c of redisClientCounts(params)) {
            if (!seen.has(c)) throw new ParseError(NAME, "clients", `the sweep asked for ${c} clients, the output has no run with them (truncated output?)`);
        }
    }
    return out;
}

function parseOne(raw: string, params?: RedisParams, where = ""): Measurement[] {
    let results: Map<string, TestResult>;
    if (segments(raw).some((s) => HUMAN_HEADER.test(s))) results = parseHuman(raw);
    else if (segments(raw).some((s) => CSV_LINE.test(s.trim()) || /^"/.test(s.trim()))) results = parseCsv(raw);
    else results = parseQuiet(raw);

    if (results.size === 0) {
        const why = segments(raw)
            .map((s) => s.trim())
            .find((s) => /could not connect|error|refused/i.test(s));
        throw new ParseError(
            NAME,
            "rps",
            `no redis-benchmark results in the output${where ? ` ${where}` : ""}${why ? ` (it says: ${JSON.stringify(why)})` : ""}`,
        );
    }
    if (params) {
        const found = [...new Set([...results.keys()].map(keyOf))];
        for (const t of redisTestList(params.tests)) {
            if (!found.some((k) => k === t || k.startsWith(`${t}_`))) {
                throw new ParseError(
                    NAME,
                    `${t}_rps`,
                    `test ${t} was requested but is not in the output${where ? ` ${where}` : ""} (found: ${found.join(", ")}; truncated output?)`,
                );
            }
        }
    }
    return toMeasurements(results);
}

/** "Redis server v=7.0.15 sha=..." → "7.0.15". */
export function parseRedisVersion(output: string): string {
    const m = /\bv=([0-9]+\.[0-9]+(?:\.[0-9]+)?)\b/.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "v=<version>" in ${JSON.stringify(output.slice(0, 100))}`);
    return m[1];
}

export const redis: Workload<RedisParams> = {
    name: NAME,
    tool: "redis-benchmark",
    defaults: {
        dataSize: 50,
        keyspace: 100000,
        requests: 500000,
        clients: "1,2,4,5,10,20,30,50,70,100,120",
        tests: "ping,set,get,lpush,lpop,sadd",
        pipeline: 1,
        timeoutSeconds: 900,
    },
    paramSchema: {
        // redis-benchmark stores values up to Redis' 512 MB string limit.
        dataSize: intParam(1, 536_870_912),
        keyspace: intParam(1, 1_000_000_000),
        requests: intParam(1, 1_000_000_000),
        clients: intListParam(4),
        tests: {
            type: "string",
            pattern: distinctListPattern("[a-z0-9_]{1,20}"),
            description: 'comma-separated distinct redis-benchmark test names in lower case (e.g. "set,get")',
        },
        pipeline: intParam(1, 10_000),
        timeoutSeconds: SECONDS_PARAM,
    },
    versionCommand: "redis-server --version",
    parseVersion: parseRedisVersion,
    // Each client count runs every test under its own timeoutSeconds, which bounds it.
    lengthFixedBy: () => "work",
    expectedS: (p: RedisParams) =>
        redisClientCounts(p).length * Math.min(p.timeoutSeconds, (redisTestList(p.tests).length * p.requests) / SLOW_RATES.redisRequestsPerS),
    serverPort: DEFAULT_PORT,
    // The port is fixed, not a parameter: Docker NAT publishes it when the container is created.
    serverCommand(p: RedisParams, ctx: RunContext): string {
        // Foreground process (the runner detaches it); no persistence so disk I/O stays out of it.
        // Protected mode (no password: loopback clients only) would refuse the client behind a NAT
        // or outside a guest; the bind address, not protected mode, keeps the server to its client.
        return `redis-server --port ${DEFAULT_PORT} --bind ${listenOf(NAME, ctx)} --protected-mode no --save '' --appendonly no`;
    },
    readinessCommand(p: RedisParams, addr: ServerAddress): string {
        // redis-cli exits 0 on error replies such as LOADING, so wait for the PONG itself.
        const a = portOf(NAME, "server", addr);
        return `redis-cli -h ${hostWord(a.host)} -p ${a.port} ping 2>/dev/null | grep -qx PONG`;
    },
    clientCommand(p: RedisParams, { addr }: RunContext): string {
        const a = portOf(NAME, "server", addr);
        const server = `-h ${hostWord(a.host)} -p ${a.port}`;
        const timeout = positiveInt(NAME, "timeoutSeconds", p.timeoutSeconds);
        const runs = redisClientCounts(p).map((c) =>
            [
                markerCommand(NAME, { clients: c }),
                `${withTimeout(60, `redis-cli ${server} flushall`)} >/dev/null`,
                withTimeout(timeout, benchmarkCommand(p, server, c)),
            ].join("; "),
        );
        return ["set -e", ...runs].join("; ");
    },
    clientPlacement: "host",
    parse: parseRedisBenchmark,
};

function benchmarkCommand(p: RedisParams, server: string, clients: number): string {
    return [
        "redis-benchmark",
        server,
        `-c ${clients}`,
        `-n ${positiveInt(NAME, "requests", p.requests)}`,
        `-d ${positiveInt(NAME, "dataSize", p.dataSize)}`,
        `-r ${positiveInt(NAME, "keyspace", p.keyspace)}`,
        `-P ${positiveInt(NAME, "pipeline", p.pipeline)}`,
        `-t ${redisTestList(p.tests).join(",")}`,
        "--csv",
    ].join(" ");
}
