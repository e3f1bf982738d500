import { strict as assert } from "assert";
import { netperf, parseNetperf } from "../../workloads/netperf";
import { workloadPorts } from "../../workloads/workload";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("netperf");
const RUN = "netperf-2.7.0-l2-tcp_rr-udp_rr.txt";
const P = netperf.defaults;
const A = { host: "127.9.8.7", port: 32772 };
const CTX = { addr: A, addrs: { control: A, data: { host: A.host, port: 12868 }, "data-udp": { host: A.host, port: 12868 } }, dataDir: "/data" };

describe("workloads/netperf", () => {
    it("has the paper's parameters (TCP_RR and UDP_RR, -r 100,200, 60 s) and publishes the data port over TCP and UDP", () => {
        assert.deepEqual(P, { lengthSeconds: 60, tests: "TCP_RR,UDP_RR", requestSize: 100, responseSize: 200 });
        assert.equal(netperf.clientPlacement, "host");
        assert.deepEqual(
            workloadPorts(netperf).map((p) => `${p.name}:${p.port}/${p.protocol}${p.sameNumber ? "=" : ""}`),
            ["control:12867/tcp", "data:12868/tcp=", "data-udp:12868/udp="],
        );
        assert.equal(netperf.serverCommand!(P, { dataDir: "/data", listen: "127.0.0.1" }), "netserver -D -4 -L 127.0.0.1,inet -p 12867");
    });

    it("runs each test against the control port with a fixed data port and data target", () => {
        assert.equal(
            netperf.clientCommand({ ...P, lengthSeconds: 5 }, CTX),
            "set -e; echo '### isobench netperf test=TCP_RR'; timeout -k 10 65 netperf -4 -H 127.9.8.7 -p 32772 -l 5 -t TCP_RR -- -r 100,200 -P ,12868; " +
                "echo '### isobench netperf test=UDP_RR'; timeout -k 10 65 netperf -4 -H 127.9.8.7 -p 32772 -l 5 -t UDP_RR -- -r 100,200 -P ,12868",
        );
        assert.match(netperf.readinessCommand!(P, A, CTX), / -l -10 -t TCP_RR /);
        // The server's own address as the client reaches it (host network, guest): the data
        // socket is bound there too; behind a NAT (listen is the container's wildcard) it is not.
        assert.match(
            netperf.clientCommand(P, { ...CTX, listen: "127.9.8.7" }),
            /-t TCP_RR -- -r 100,200 -P ,12868 -H 127\.9\.8\.7; .* -P ,12868 -H 127\.9\.8\.7$/,
        );
        assert.doesNotMatch(netperf.clientCommand(P, { ...CTX, listen: "0.0.0.0" }), / -H 0\.0\.0\.0/);
        assert.throws(() => netperf.clientCommand({ ...P, tests: "TCP_STREAM" }, CTX), /tests must list TCP_RR and\/or UDP_RR/);
        assert.throws(() => netperf.clientCommand({ ...P, requestSize: -1 }, CTX), /requestSize must be a positive integer/);
    });

    it("parses captured netperf 2.7.0 output: transactions/s and latency = 1e6 / tps", () => {
        assert.deepEqual(parseNetperf(fixture(RUN), P), [
            { metric: "tcp_rr_tps", value: 49138.08, unit: "trans/s", better: "higher" },
            { metric: "tcp_rr_latency_us", value: 1e6 / 49138.08, unit: "us", better: "lower" },
            { metric: "udp_rr_tps", value: 66139.2, unit: "trans/s", better: "higher" },
            { metric: "udp_rr_latency_us", value: 1e6 / 66139.2, unit: "us", better: "lower" },
        ]);
    });

    it("accepts the pre-2.7 report without the MIGRATED prefix (published example)", () => {
        const ms = parseNetperf(fixture("netperf-2.6-tcp_rr-PUBLISHED-crossbar-notes.txt"));
        assert.deepEqual(
            ms.map((m) => [m.metric, m.value]),
            [
                ["tcp_rr_tps", 26851.95],
                ["tcp_rr_latency_us", 1e6 / 26851.95],
            ],
        );
    });

    it("names netperf's complaint when no netserver answers (captured)", () => {
        const e = assertParseError(() => parseNetperf(fixture("netperf-2.7.0-connection-refused.txt")), "netperf", "rr_tps");
        assert.match(e.message, /establish control/);
    });

    it("a failed UDP_RR (netperf's send_data error after the banner) is a ParseError for udp_rr_tps", () => {
        const raw = fixture(RUN);
        const udp = raw.indexOf("### isobench netperf test=UDP_RR");
        const failed =
            raw.slice(0, udp) +
            "### isobench netperf test=UDP_RR\n" +
            raw.slice(udp).split("\n")[1] +
            "\nsend_data: data send error: Invalid argument (errno 22)\n";
        assertParseError(() => parseNetperf(failed, P), "netperf", "udp_rr_tps");
    });

    it("every truncation of the captured output throws ParseError when params are given", () => {
        const raw = fixture(RUN);
        const last = raw.lastIndexOf("66139.20") + 4;
        for (let cut = 0; cut < last; cut++) {
            assertParseError(() => parseNetperf(raw.slice(0, cut), P), "netperf", /_tps$|^marker$/, `cut at ${cut}`);
        }
    });

    it("refuses a test twice, a mismatched marker and zero transactions", () => {
        const raw = fixture(RUN);
        assertParseError(() => parseNetperf(raw + raw, P), "netperf", "tcp_rr_tps");
        assertParseError(() => parseNetperf(raw.replace("test=UDP_RR", "test=TCP_RR")), "netperf", /_tps$/);
        assertParseError(() => parseNetperf(raw.replace("49138.08", "0.00")), "netperf", "tcp_rr_tps");
    });

    it("version from netserver -V (captured)", () => {
        assert.equal(netperf.parseVersion(fixture("netperf-2.7.0-version.txt")), "2.7.0");
        assertParseError(() => netperf.parseVersion(""), "netperf", "version");
    });
});
