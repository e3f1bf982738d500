/**
 * iperf TCP throughput (Flux7 2014, "Network Performance - Methodology: measured using iperf"):
 * `iperf3 -s` runs inside the environment, `iperf3 -c` on the host, one run per direction:
 *   transmit: host → environment;  receive: `-R`, environment → host.
 * iperf3 uses one port (5201) for control and data, so an ordinary NAT port mapping suffices.
 *
 * The study's parameters are not published (see notes §5.1); defaults are iperf's own (10 s, one
 * stream). Throughput is the receiver's (`end.sum_received.bits_per_second`), in Gb/s (10^9 bit/s).
 * `omitSeconds` (iperf3 -O) runs each direction that long before the measured seconds, with its
 * statistics left out (TCP's slow start, the first packets through a NAT or a guest's vhost).
 *
 * Parses iperf3 `--json` output and, for logs of the iperf 2 of 2014, its text summary line
 * ("[  3]  0.0-10.0 sec  10.9 GBytes  9.39 Gbits/sec").
 *
 * Metrics: transmit_gbps, receive_gbps; an unmarked log of one run gives throughput_gbps.
 */
import { DIRECTIONS, directionList, hostWord, listenOf, markerCommand, parseDirectionalThroughput, portOf, withTimeout } from "./client-server";
import { member } from "./json";
import { MAX_SECONDS, SECONDS_PARAM, countOrAuto, intParam, listParam, positiveInt } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import type { ServerAddress } from "../core/endpoints";
import { ParseError } from "../core/errors";

export type IperfParams = {
    /** -t: seconds per direction. */
    timeSeconds: number;
    /** -P: parallel streams. */
    streams: number;
    /** Directions to measure: "transmit,receive", "transmit" or "receive". */
    directions: string;
    /** -O: seconds run before each measured run, not counted (0: none, iperf's default). */
    omitSeconds: number;
};

const NAME = "iperf";
const PORT = 5201;
const DIRECTION_FLAGS: Readonly<Record<string, string>> = { transmit: "", receive: " -R" };

export function iperfDirections(p: IperfParams): string[] {
    return directionList(NAME, p.directions);
}

function clientCommand(addr: ServerAddress, args: string): string {
    return `iperf3 -c ${hostWord(addr.host)} -p ${addr.port} ${args}`;
}

/**
 * Succeeds when a 1 KB transfer completes. iperf3 3.12 exits 0 even when it reports an error in
 * its JSON, so success is the presence of the receiver's summary.
 */
function transferOk(addr: ServerAddress): string {
    return `${withTimeout(15, clientCommand(addr, "-n 1K --json"))} 2>&1 | grep -q '"sum_received"'`;
}

/**
 * One measured run, repeated (up to 10 tries, 1 s apart) while it does not complete: iperf3
 * serves one test at a time and closes its listener meanwhile, so a slow server (a guest under
 * software emulation) refuses or resets the next test for a moment after the previous one. A run
 * that did not complete measured nothing; every retry is reported on stderr (kept in the raw file).
 */
function completedRun(seconds: number, addr: ServerAddress, args: string): string {
    const once = withTimeout(seconds + 60, clientCommand(addr, args));
    return (
        `n=0; while out=$(${once} 2>&1); ! printf '%s' "$out" | grep -q '"sum_received"'; do ` +
        `n=$((n+1)); echo "iperf3 did not complete (try $n): $(printf '%s' "$out" | grep '"error"')" >&2; [ $n -lt 10 ] || break; sleep 1; done; printf '%s\\n' "$out"`
    );
}

const UNIT: Readonly<Record<string, number>> = { "": 1e-9, K: 1e-6, M: 1e-3, G: 1, T: 1e3 };
/** iperf 2 summary line; the last such line of a run is the total. */
const IPERF2_LINE = /^\[\s*(?:\d+|SUM)\]\s+[0-9.]+\s*-\s*[0-9.]+\s+sec\s+[0-9.]+\s+[KMGT]?Bytes\s+([0-9.]+)\s+([KMGT]?)bits\/sec/;

function parseRun(text: string, metric: string): number {
    const start = text.indexOf("{");
    if (start >= 0) {
        let doc: unknown;
        try {
            doc = JSON.parse(text.slice(start, text.lastIndexOf("}") + 1));
        } catch (e) {
            throw new ParseError(NAME, metric, `the iperf3 JSON does not parse (truncated output?): ${(e as Error).message}`);
        }
        const error = member(doc, "error");
        if (typeof error === "string") throw new ParseError(NAME, metric, `iperf3 reports an error: ${JSON.stringify(error)}`);
        const received = member(member(doc, "end"), "sum_received");
        const bps = member(received, "bits_per_second");
        const seconds = member(received, "seconds");
        if (typeof bps !== "number" || typeof seconds !== "number") {
            throw new ParseError(NAME, metric, `the iperf3 JSON has no end.sum_received.bits_per_second (a UDP test, or truncated output?)`);
        }
        if (seconds <= 0) throw new ParseError(NAME, metric, `the run lasted ${seconds} s`);
        return bps / 1e9;
    }
    const hits = text
        .split(/\r?\n/)
        .map((l) => IPERF2_LINE.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null);
    if (hits.length === 0) {
        const why = text
            .split(/\r?\n/)
            .map((l) => l.trim())
            .find((l) => /error|refused|failed/i.test(l));
        throw new ParseError(
            NAME,
            metric,
            `neither iperf3 JSON nor an iperf 2 "<x> Gbits/sec" summary line${why ? ` (iperf says: ${JSON.stringify(why)})` : " (truncated output?)"}`,
        );
    }
    const last = hits[hits.length - 1];
    return Number(last[1]) * UNIT[last[2]];
}

export function parseIperf(raw: string, params?: IperfParams): Measurement[] {
    return parseDirectionalThroughput(NAME, raw, parseRun, params && iperfDirections(params));
}

/** "iperf 3.12 (cJSON 1.7.15)" → "3.12". */
export function parseIperfVersion(output: string): string {
    const m = /^iperf3?\s+(?:version\s+)?([0-9]+\.[0-9]+(?:\.[0-9]+)?)/im.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "iperf <version>" in ${JSON.stringify(output.slice(0, 100))}`);
    return m[1];
}

export const iperf: Workload<IperfParams> = {
    name: NAME,
    tool: "iperf3",
    defaults: { timeSeconds: 10, streams: 1, directions: "transmit,receive", omitSeconds: 0 },
    paramSchema: { timeSeconds: SECONDS_PARAM, streams: intParam(1, 128), directions: listParam(DIRECTIONS), omitSeconds: intParam(0, MAX_SECONDS) },
    versionCommand: "iperf3 --version",
    parseVersion: parseIperfVersion,
    lengthFixedBy: () => "time",
    expectedS: (p: IperfParams) => iperfDirections(p).length * (p.omitSeconds + p.timeSeconds),
    serverPort: PORT,
    serverCommand(p: IperfParams, ctx: RunContext): string {
        // -B binds the control and the data connections (iperf3 uses one port for both).
        return `iperf3 -s -p ${PORT} -B ${listenOf(NAME, ctx)}`;
    },
    readinessCommand(p: IperfParams, addr: ServerAddress): string {
        // Docker's userland proxy accepts connections before the server listens: move 1 KB.
        return transferOk(portOf(NAME, "server", addr));
    },
    clientPlacement: "host",
    clientCommand(p: IperfParams, ctx: RunContext): string {
        const addr = portOf(NAME, "server", ctx.addr);
        const seconds = positiveInt(NAME, "timeSeconds", p.timeSeconds);
        const streams = positiveInt(NAME, "streams", p.streams);
        const omit = countOrAuto(NAME, "omitSeconds", p.omitSeconds);
        const runs = iperfDirections(p).map(
            (d) =>
                `${markerCommand(NAME, { direction: d })}; ${completedRun(omit + seconds, addr, `-t ${seconds}${omit > 0 ? ` -O ${omit}` : ""} -P ${streams}${DIRECTION_FLAGS[d]} --json`)}`,
        );
        return ["set -e", ...runs].join("; ");
    },
    notes: (p: IperfParams) => (p.omitSeconds > 0 ? `first ${p.omitSeconds} s of each run omitted (iperf3 -O)` : ""),
    parse: parseIperf,
};
