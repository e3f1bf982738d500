/**
 * netperf request/response latency (Felter et al. 2014, §network): TCP_RR and UDP_RR with
 * 100-byte requests and 200-byte responses (`-r 100,200`), 60 s each, as in the paper's scripts.
 * netserver runs inside the environment, netperf on the host, so the environment's network path
 * is measured. Round-trip latency = 1e6 / transactions per second (the paper's spreadsheet formula).
 *
 * netperf uses a control connection (12867 here) and a data connection whose port netserver learns
 * from the client; `-- -P ,12868` fixes it, and NAT publishes 12868 over TCP and UDP at the same
 * number (ServerPort sameNumber). No test-specific -H: netserver would bind its data socket to
 * that address, which does not exist inside a NAT container. The paper's Docker script published only the control port,
 * which is why its Docker NAT cells are empty.
 *
 * Parses the classic netperf report (2.4 to 2.7: banner "... TCP REQUEST/RESPONSE TEST ...",
 * then the "Trans. Rate per sec" table).
 *
 * Metrics: <test>_tps (trans/s), <test>_latency_us (µs), with <test> = tcp_rr, udp_rr.
 */
import { decimal, hostWord, listenOf, markerCommand, portOf, splitSections, withTimeout } from "./client-server";
import { SECONDS_PARAM, intParam, listParam, positiveInt } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import type { ServerAddress, ServerPort } from "../core/endpoints";
import { ParseError } from "../core/errors";

export type NetperfParams = {
    /** -l: seconds per test. */
    lengthSeconds: number;
    /** -t: comma-separated tests (TCP_RR, UDP_RR). */
    tests: string;
    /** -r request size in bytes. */
    requestSize: number;
    /** -r response size in bytes. */
    responseSize: number;
};

const NAME = "netperf";
/** Not netperf's default 12865: a distribution netserver started at boot (Debian's init script) holds that one. */
const CONTROL_PORT = 12867;
const DATA_PORT = 12868;
const TESTS = ["TCP_RR", "UDP_RR"] as const;

const PORTS: readonly ServerPort[] = [
    { name: "control", port: CONTROL_PORT, protocol: "tcp" },
    { name: "data", port: DATA_PORT, protocol: "tcp", sameNumber: true },
    { name: "data-udp", port: DATA_PORT, protocol: "udp", sameNumber: true },
];

export function netperfTests(p: NetperfParams): string[] {
    const list = p.tests.split(",").map((t) => t.trim().toUpperCase());
    if (list.length === 0 || list.some((t) => !(TESTS as readonly string[]).includes(t)) || new Set(list).size !== list.length) {
        throw new Error(`${NAME}: parameter tests must list ${TESTS.join(" and/or ")} (comma-separated), got ${JSON.stringify(p.tests)}`);
    }
    return list;
}

function netperfCommand(test: string, length: string, p: NetperfParams, ctx: RunContext): string {
    const control = portOf(NAME, "control", ctx.addrs?.control ?? ctx.addr);
    const dataPort = (test === "UDP_RR" ? ctx.addrs?.["data-udp"] : ctx.addrs?.data)?.port ?? DATA_PORT;
    // The data address (test-specific -H) is where netserver binds its data socket and where
    // netperf connects it: the server's own address when the client reaches it as such (host
    // network, guest); behind a NAT the two differ and netserver binds inside the container.
    const dataHost = ctx.listen && ctx.listen === control.host ? ` -H ${hostWord(ctx.listen)}` : "";
    return (
        `netperf -4 -H ${hostWord(control.host)} -p ${control.port} -l ${length} -t ${test} -- ` +
        `-r ${positiveInt(NAME, "requestSize", p.requestSize)},${positiveInt(NAME, "responseSize", p.responseSize)} -P ,${dataPort}${dataHost}`
    );
}

const BANNER = /\b(TCP|UDP) REQUEST\/RESPONSE TEST\b/;

/**
 * One test's report: the banner, the column headers ending in "per sec", then the first data row
 * "16384  131072 100  200  3.00  4599.31" (send/recv socket sizes, request, response, elapsed s,
 * transactions/s).
 */
function parseRun(text: string, expected: string | undefined): { test: string; tps: number } {
    const lines = text.split(/\r?\n/);
    const banner = lines.map((l) => BANNER.exec(l)).find((m) => m !== null);
    const metricFor = (t: string) => `${t.toLowerCase()}_tps`;
    if (!banner) {
        const why = lines.map((l) => l.trim()).find((l) => /error|refused|establish|timed? ?out/i.test(l));
        const test = expected ?? "rr";
        throw new ParseError(
            NAME,
            metricFor(test),
            `no "TCP|UDP REQUEST/RESPONSE TEST" banner${why ? ` (netperf says: ${JSON.stringify(why)})` : " (truncated output?)"}`,
        );
    }
    const test = `${banner[1]}_RR`;
    const metric = metricFor(test);
    if (expected && expected !== test) throw new ParseError(NAME, metric, `the output is a ${test} report, the marker says ${expected}`);
    const header = lines.findIndex((l) => /\bper sec\b/.test(l));
    if (header < 0) throw new ParseError(NAME, metric, `no "Trans. Rate per sec" header (truncated output?)`);
    const rows = lines
        .slice(header + 1)
        .map((l) => l.trim())
        .filter((l) => l.length > 0);
    const fields = rows.length > 0 ? rows[0].split(/\s+/) : [];
    if (fields.length !== 6 || fields.some((f) => decimal(f) === undefined)) {
        throw new ParseError(NAME, metric, `the first row after the header is ${JSON.stringify(rows[0] ?? "")}, not 6 numbers (truncated output?)`);
    }
    // The remote socket sizes follow on a row of their own; without it the rate may be cut short.
    const remote = rows.length > 1 ? rows[1].split(/\s+/) : [];
    if (remote.length !== 2 || remote.some((f) => decimal(f) === undefined)) {
        throw new ParseError(NAME, metric, `no remote socket-size row after the result row (truncated output?)`);
    }
    const elapsed = Number(fields[4]);
    const tps = Number(fields[5]);
    if (elapsed <= 0 || tps <= 0) throw new ParseError(NAME, metric, `${tps} transactions/s over ${elapsed} s: no transaction completed`);
    return { test, tps };
}

function toMeasurements(test: string, tps: number): Measurement[] {
    const key = test.toLowerCase();
    return [
        { metric: `${key}_tps`, value: tps, unit: "trans/s", better: "higher" },
        { metric: `${key}_latency_us`, value: 1e6 / tps, unit: "us", better: "lower" },
    ];
}

export function parseNetperf(raw: string, params?: NetperfParams): Measurement[] {
    const sections = splitSections(NAME, raw) ?? [{ point: {} as Record<string, string>, text: raw }];
    const out: Measurement[] = [];
    const seen = new Set<string>();
    for (const s of sections) {
        const { test, tps } = parseRun(s.text, s.point.test);
        if (seen.has(test)) throw new ParseError(NAME, `${test.toLowerCase()}_tps`, `${test} appears twice in one output`);
        seen.add(test);
        out.push(...toMeasurements(test, tps));
    }
    if (params) {
        for (const t of netperfTests(params)) {
            if (!seen.has(t)) throw new ParseError(NAME, `${t.toLowerCase()}_tps`, `${t} was requested but is not in the output (truncated output?)`);
        }
    }
    return out;
}

/** "Netperf version 2.7.0" → "2.7.0". */
export function parseNetperfVersion(output: string): string {
    const m = /Netperf version ([0-9]+\.[0-9]+(?:\.[0-9]+)?)/i.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "Netperf version <x>" in ${JSON.stringify(output.slice(0, 100))}`);
    return m[1];
}

export const netperf: Workload<NetperfParams> = {
    name: NAME,
    tool: "netperf",
    defaults: { lengthSeconds: 60, tests: "TCP_RR,UDP_RR", requestSize: 100, responseSize: 200 },
    // netserver prints the version of the netperf package it belongs to.
    paramSchema: { lengthSeconds: SECONDS_PARAM, tests: listParam(TESTS), requestSize: intParam(1, 1_048_576), responseSize: intParam(1, 1_048_576) },
    versionCommand: "netserver -V",
    parseVersion: parseNetperfVersion,
    lengthFixedBy: () => "time",
    expectedS: (p: NetperfParams) => netperfTests(p).length * p.lengthSeconds,
    serverPorts: PORTS,
    serverCommand(p: NetperfParams, ctx: RunContext): string {
        // -D: stay in the foreground so the runner's PID file stops it. -L binds the control
        // listener; the data sockets are bound where the client's test-specific -H says.
        return `netserver -D -4 -L ${listenOf(NAME, ctx)},inet -p ${CONTROL_PORT}`;
    },
    readinessCommand(p: NetperfParams, addr: ServerAddress, ctx?: RunContext): string {
        // Ten transactions (negative -l counts transactions): proves control and data ports answer.
        // stderr is kept: when the server never answers, the runner reports the client's last error.
        return withTimeout(15, `${netperfCommand("TCP_RR", "-10", p, ctx ?? { addr, dataDir: "" })} >/dev/null`);
    },
    clientPlacement: "host",
    clientCommand(p: NetperfParams, ctx: RunContext): string {
        const seconds = positiveInt(NAME, "lengthSeconds", p.lengthSeconds);
        const runs = netperfTests(p).map(
            (t) => `${markerCommand(NAME, { test: t })}; ${withTimeout(seconds + 60, netperfCommand(t, String(seconds), p, ctx))}`,
        );
        return ["set -e", ...runs].join("; ");
    },
    parse: parseNetperf,
};
