/**
 * nuttcp bulk TCP bandwidth (Felter et al. 2014, §network): `nuttcp -S` runs inside the
 * environment, the client on the host, so the environment's network path (loopback, Docker NAT,
 * host networking, virtio) is what is measured. Both directions in one cell:
 *   transmit: `nuttcp -t`, host → environment (the paper's "client→server");
 *   receive:  `nuttcp -r -F`, environment → host ("server→client").
 *
 * nuttcp talks over a control port (5000) and opens a separate data connection whose port the
 * client announces (-p 5001), so NAT must publish the data port at the same number (ServerPort
 * sameNumber). In receive mode nuttcp's server would open the data connection back to the client,
 * which no NAT allows; -F flips it so that the client connects in both directions.
 *
 * Defaults are nuttcp's own (10 s, one stream), which the paper's final scripts used. Result:
 * Gb/s (nuttcp reports Mbps, 10^6 bit/s).
 *
 * Metrics: transmit_gbps, receive_gbps; a log without isobench markers (one nuttcp run, e.g. an
 * imported published log) gives throughput_gbps.
 */
import { DIRECTIONS, directionList, hostWord, listenOf, markerCommand, parseDirectionalThroughput, portOf, withTimeout } from "./client-server";
import { shellQuote as q } from "../core/shell";
import { SECONDS_PARAM, listParam, positiveInt } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import type { ServerAddress, ServerPort } from "../core/endpoints";
import { ParseError } from "../core/errors";

export type NuttcpParams = {
    /** -T: seconds per direction. */
    timeSeconds: number;
    /** Directions to measure: "transmit,receive", "transmit" or "receive". */
    directions: string;
};

const NAME = "nuttcp";
const CONTROL_PORT = 5000;
const DATA_PORT = 5001;

const PORTS: readonly ServerPort[] = [
    { name: "control", port: CONTROL_PORT, protocol: "tcp" },
    { name: "data", port: DATA_PORT, protocol: "tcp", sameNumber: true },
];

const DIRECTION_FLAGS: Readonly<Record<string, string>> = { transmit: "-t", receive: "-r -F" };

export function nuttcpDirections(p: NuttcpParams): string[] {
    return directionList(NAME, p.directions);
}

function addresses(ctx: RunContext): { control: ServerAddress; data: ServerAddress } {
    const control = portOf(NAME, "control", ctx.addrs?.control ?? ctx.addr);
    const data = portOf(NAME, "data", ctx.addrs?.data ?? { host: control.host, port: DATA_PORT });
    if (data.host !== control.host) throw new Error(`${NAME}: control (${control.host}) and data (${data.host}) must be reachable at one address`);
    return { control, data };
}

function nuttcpCommand(seconds: number, flags: string, ctx: RunContext): string {
    const { control, data } = addresses(ctx);
    return `nuttcp -T${seconds} -P${control.port} -p${data.port} ${flags} ${hostWord(control.host)}`;
}

/**
 * One nuttcp result line (6.x: "  1057.1880 MB /   2.02 sec = 4397.9529 Mbps 18 %TX 20 %RX 0
 * retrans 0.14 msRTT"; 5.x ends after "%RX"; with -v it carries a "nuttcp-t: " prefix).
 */
const RESULT = /^\s*(?:nuttcp-[tr]: )?([0-9]+(?:\.[0-9]+)?) MB \/\s+([0-9]+(?:\.[0-9]+)?) sec =\s+([0-9]+(?:\.[0-9]+)?) Mbps\b/;

function parseRun(text: string, metric: string): number {
    const lines = text.split(/\r?\n/);
    const hits = lines.map((l) => RESULT.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    if (hits.length === 0) {
        const why = lines.map((l) => l.trim()).find((l) => /error|refused|timed? ?out|no route/i.test(l));
        throw new ParseError(
            NAME,
            metric,
            `no "<MB> MB / <s> sec = <x> Mbps" result line${why ? ` (nuttcp says: ${JSON.stringify(why)})` : " (truncated output?)"}`,
        );
    }
    if (hits.length > 1)
        throw new ParseError(NAME, metric, `${hits.length} result lines where one run prints one (interval reports with -i are not supported)`);
    const seconds = Number(hits[0][2]);
    if (seconds <= 0) throw new ParseError(NAME, metric, `the run lasted ${seconds} s`);
    return Number(hits[0][3]) / 1000;
}

export function parseNuttcp(raw: string, params?: NuttcpParams): Measurement[] {
    return parseDirectionalThroughput(NAME, raw, parseRun, params && nuttcpDirections(params));
}

/** "nuttcp-6.1.2" → "6.1.2". */
export function parseNuttcpVersion(output: string): string {
    const m = /nuttcp-v?([0-9]+\.[0-9]+(?:\.[0-9]+)?)/.exec(output);
    if (!m) throw new ParseError(NAME, "version", `no "nuttcp-<version>" in ${JSON.stringify(output.slice(0, 100))}`);
    return m[1];
}

export const nuttcp: Workload<NuttcpParams> = {
    name: NAME,
    tool: "nuttcp",
    defaults: { timeSeconds: 10, directions: "transmit,receive" },
    paramSchema: { timeSeconds: SECONDS_PARAM, directions: listParam(DIRECTIONS) },
    versionCommand: "nuttcp -V",
    parseVersion: parseNuttcpVersion,
    lengthFixedBy: () => "time",
    expectedS: (p: NuttcpParams) => nuttcpDirections(p).length * p.timeSeconds,
    serverPorts: PORTS,
    serverCommand(p: NuttcpParams, ctx: RunContext): string {
        // --nofork keeps the server in the foreground, so the runner's PID file stops it.
        const server = `nuttcp -S -P${CONTROL_PORT} --nofork --no3rdparty`;
        const listen = listenOf(NAME, ctx);
        // nuttcp has no option to pick its address. Where the environment has no shim (a guest)
        // or needs none (a NAT container), the wildcard holds only its own interfaces; on the
        // host's network it binds through the shim, and refuses to start without it.
        if (listen === "0.0.0.0" || !ctx.bindShim) return server;
        const shim = q(ctx.bindShim);
        return `sh -c ${q(`[ -r ${shim} ] || { echo "nuttcp: the bind shim ${ctx.bindShim} is missing, so the server would listen on every interface. Fix: run scripts/setup.sh (it builds the shim and the container image that carries it)" >&2; exit 1; }; ISOBENCH_BIND_ADDR=${listen} LD_PRELOAD=${shim} exec ${server}`)}`;
    },
    readinessCommand(p: NuttcpParams, addr: ServerAddress, ctx?: RunContext): string {
        // A bare TCP connect succeeds on Docker's userland proxy before anything listens inside;
        // a 0.1 s transfer proves the server answers on both ports.
        // stderr is kept: when the server never answers, the runner reports the client's last error.
        return withTimeout(15, `${nuttcpCommand(0.1, "-t", ctx ?? { addr, dataDir: "" })} >/dev/null`);
    },
    clientPlacement: "host",
    clientCommand(p: NuttcpParams, ctx: RunContext): string {
        const seconds = positiveInt(NAME, "timeSeconds", p.timeSeconds);
        const runs = nuttcpDirections(p).map(
            (d) => `${markerCommand(NAME, { direction: d })}; ${withTimeout(seconds + 60, nuttcpCommand(seconds, DIRECTION_FLAGS[d], ctx))}`,
        );
        return ["set -e", ...runs].join("; ");
    },
    parse: parseNuttcp,
};
