/**
 * Where the servers of the server workloads listen, on the host's own network: each runs natively
 * and in a Docker container on the host's network through runCell, and while its real client runs
 * (control and data connections open), `ss -ltnup` is sampled every 50 ms. Every socket a server
 * process listens on must be on the loopback address: nobody on the LAN reaches a benchmark server.
 * nuttcp, whose server has no option to choose its address, binds through the bind shim
 * (images/bind-addr.c); its data listener lives only until the client connects, hence the sampling.
 * The native cells are also npm test's proof that each server runs natively and answers its real
 * client (workloads-network.test.ts parses the clients' output, against servers in a container).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { AnyWorkload, getWorkload } from "../../workloads";
import { workloadPorts } from "../../workloads/workload";
import { liveSuite } from "../helpers/live-environments";
import { leftoverFiles } from "../helpers/leftovers";
import { TEST_CELL } from "../helpers/invocation";

const PREFIX = `itss${process.pid}`;
const SERVERS = { nuttcp: "nuttcp", netperf: "netserver", iperf: "iperf3", redis: "redis-server", mysql: "mariadbd" } as const;
type Name = keyof typeof SERVERS;
// The listeners are sampled for as long as the client runs: a second of traffic shows them all.
const TINY: Record<Name, Record<string, number | string>> = {
    nuttcp: { timeSeconds: 1 },
    netperf: { lengthSeconds: 1 },
    iperf: { timeSeconds: 1 },
    redis: { requests: 2000, clients: "10", timeoutSeconds: 120 },
    mysql: { tableSize: 1000, threads: "2", timeSeconds: 1, bufferPoolMB: 32 },
};
const MARK = "### isobench listeners";

/** The workload with its real client run in the background while ss samples the listeners. */
function watched(w: AnyWorkload): AnyWorkload {
    return {
        ...w,
        clientCommand: (p, ctx) =>
            [
                `( ${w.clientCommand(p, ctx)} ) >/dev/null 2>&1 & c=$!`,
                `echo '${MARK}'`,
                // Once at least, then every 50 ms until the client is done (the servers outlive it).
                'while :; do ss -Hltnup; kill -0 "$c" 2>/dev/null || break; sleep 0.05; done | sort -u',
                'wait "$c"; echo "client_exit=$?"',
            ].join("\n"),
        parse: (out) => [{ metric: "listeners", value: out.split("\n").length, unit: "lines", better: "higher" }],
    } as AnyWorkload;
}

/** "<local address:port> <process>" of every listening socket of `proc` in ss output. */
function listenersOf(raw: string, proc: string): string[] {
    return raw
        .split("\n")
        .filter((l) => l.includes(`(("${proc}",`))
        .map((l) => {
            const f = l.trim().split(/\s+/);
            return `${f[0]} ${f[4]}`;
        });
}

describe("server listeners on the host's network: loopback only (ss, real servers)", function () {
    this.timeout(20 * 60_000);
    const suite = liveSuite({
        prefix: PREFIX,
        kinds: ["native", "docker-host"],
        serverPorts: (Object.keys(SERVERS) as Name[]).flatMap((w) => workloadPorts(getWorkload(w))),
        leftovers: () => leftoverFiles(PREFIX),
    });

    for (const kind of ["native", "docker-host"] as const) {
        for (const name of Object.keys(SERVERS) as Name[]) {
            it(`${name} in ${kind}: ${SERVERS[name]} listens on 127.0.0.1 only, control and data`, () => {
                const cellId = `${name}.${kind}.r1`;
                runCell(
                    {
                        ...TEST_CELL,
                        stack: PREFIX,
                        runId: "r",
                        resultsDir: suite.resultsDir,
                        cellId,
                        workload: name,
                        params: TINY[name],
                        repetition: 1,
                        env: suite.live.handles[kind]!,
                    },
                    watched(getWorkload(name)),
                );
                const raw = fs.readFileSync(path.join(suite.resultsDir, "raw", `${cellId}.txt`), "utf8");
                assert.match(raw, /^client_exit=0$/m, `the real client ran against the server:\n${raw}`);
                const seen = listenersOf(raw.slice(raw.indexOf(MARK)), SERVERS[name]);
                assert.ok(seen.length > 0, `ss saw no listener of ${SERVERS[name]}:\n${raw}`);
                const open = seen.filter((l) => !/ 127\.0\.0\.1:\d+$/.test(l));
                assert.deepEqual(open, [], `listeners not on loopback (all seen: ${seen.join(", ")})`);
            });
        }
    }
});
