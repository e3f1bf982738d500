import { strict as assert } from "assert";
import { iperf, parseIperf } from "../../workloads/iperf";
import { workloadPorts } from "../../workloads/workload";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("iperf");
const RUN = "iperf3-3.12-t2-transmit-receive.json.txt";
const P = iperf.defaults;
const CTX = { addr: { host: "192.168.122.50", port: 5201 }, dataDir: "/data" };

describe("workloads/iperf", () => {
    it("iperf3 server inside on one port, client on the host, both directions", () => {
        assert.deepEqual(P, { timeSeconds: 10, streams: 1, directions: "transmit,receive", omitSeconds: 0 });
        assert.deepEqual(workloadPorts(iperf), [{ name: "server", port: 5201, protocol: "tcp" }]);
        assert.equal(iperf.serverCommand!(P, { dataDir: "/data", listen: "127.0.0.1" }), "iperf3 -s -p 5201 -B 127.0.0.1");
        assert.throws(() => iperf.serverCommand!(P, { dataDir: "/data" }), /needs the IPv4 address to bind/);
        const cmd = iperf.clientCommand({ ...P, timeSeconds: 2 }, CTX);
        assert.match(
            cmd,
            /^set -e; echo '### isobench iperf direction=transmit'; n=0; while out=\$\(timeout -k 10 62 iperf3 -c 192\.168\.122\.50 -p 5201 -t 2 -P 1 --json 2>&1\); ! printf '%s' "\$out" \| grep -q '"sum_received"'; do /,
        );
        assert.match(
            cmd,
            /; echo '### isobench iperf direction=receive'; n=0; while out=\$\(timeout -k 10 62 iperf3 -c 192\.168\.122\.50 -p 5201 -t 2 -P 1 -R --json 2>&1\);/,
        );
        assert.match(cmd, /\[ \$n -lt 10 \] \|\| break; sleep 1; done; printf '%s\\n' "\$out"$/);
        // iperf3 3.12 exits 0 after reporting an error in its JSON: readiness looks for the summary.
        assert.equal(iperf.readinessCommand!(P, CTX.addr), "timeout -k 10 15 iperf3 -c 192.168.122.50 -p 5201 -n 1K --json 2>&1 | grep -q '\"sum_received\"'");
        assert.throws(() => iperf.clientCommand({ ...P, streams: 0 }, CTX), /streams must be a positive integer/);
        assert.equal(iperf.notes!(P), "");
    });

    it("omitSeconds runs each direction that long first and leaves it out of the numbers (iperf3 -O)", () => {
        const p = { ...P, timeSeconds: 10, omitSeconds: 2 };
        const cmd = iperf.clientCommand(p, CTX);
        // The run's limit covers the omitted seconds too.
        assert.match(cmd, /timeout -k 10 72 iperf3 -c 192\.168\.122\.50 -p 5201 -t 10 -O 2 -P 1 --json/);
        assert.match(cmd, /timeout -k 10 72 iperf3 -c 192\.168\.122\.50 -p 5201 -t 10 -O 2 -P 1 -R --json/);
        assert.equal(iperf.expectedS(p), 24);
        assert.match(iperf.notes!(p), /first 2 s of each run omitted \(iperf3 -O\)/);
        assert.throws(() => iperf.clientCommand({ ...p, omitSeconds: -1 }, CTX), /omitSeconds must be 0/);
    });

    it("parses captured iperf3 3.12 --json: the receiver's bits per second in Gb/s", () => {
        const raw = fixture(RUN);
        const docs = raw
            .split(/^### isobench iperf direction=\w+$/m)
            .slice(1)
            .map((t) => JSON.parse(t));
        assert.deepEqual(parseIperf(raw, P), [
            { metric: "transmit_gbps", value: docs[0].end.sum_received.bits_per_second / 1e9, unit: "Gb/s", better: "higher" },
            { metric: "receive_gbps", value: docs[1].end.sum_received.bits_per_second / 1e9, unit: "Gb/s", better: "higher" },
        ]);
        assert.ok(parseIperf(raw).every((m) => m.value > 0.1 && m.value < 1000));
    });

    it("parses iperf 2 text output of the study's era (published example): the total line", () => {
        assert.deepEqual(
            parseIperf(fixture("iperf-2.0-t30-i5-PUBLISHED-linux-perf-guide.txt")).map((m) => [m.metric, m.value]),
            [["throughput_gbps", 0.0937]],
        );
    });

    it("reports iperf3's JSON error (captured connection refused)", () => {
        const e = assertParseError(() => parseIperf(fixture("iperf3-3.12-connection-refused.json.txt")), "iperf", "throughput_gbps");
        assert.match(e.message, /Connection refused/);
    });

    it("every truncation of the captured output throws ParseError when params are given", () => {
        const raw = fixture(RUN);
        for (let cut = 0; cut < raw.trimEnd().length - 1; cut += 13) {
            assertParseError(() => parseIperf(raw.slice(0, cut), P), "iperf", /_gbps$|^direction$|^marker$/, `cut at ${cut}`);
        }
    });

    it("version from iperf3 --version (captured)", () => {
        assert.equal(iperf.parseVersion(fixture("iperf3-3.12-version.txt")), "3.12");
        assert.equal(iperf.parseVersion("iperf version 2.0.5 (08 Jul 2010) pthreads"), "2.0.5");
        assertParseError(() => iperf.parseVersion("nope"), "iperf", "version");
    });
});
