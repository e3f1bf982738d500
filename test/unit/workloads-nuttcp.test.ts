import { strict as assert } from "assert";
import { nuttcp, parseNuttcp } from "../../workloads/nuttcp";
import { workloadPorts } from "../../workloads/workload";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("nuttcp");
const RUN = "nuttcp-6.1.2-T2-transmit-receive.txt";
const P = nuttcp.defaults;
const CTX = {
    addr: { host: "127.9.8.7", port: 32771 },
    addrs: { control: { host: "127.9.8.7", port: 32771 }, data: { host: "127.9.8.7", port: 5001 } },
    dataDir: "/data",
};

describe("workloads/nuttcp", () => {
    it("has nuttcp's defaults, a host-side client and a control port plus a same-number data port", () => {
        assert.deepEqual(P, { timeSeconds: 10, directions: "transmit,receive" });
        assert.equal(nuttcp.clientPlacement, "host");
        assert.deepEqual(workloadPorts(nuttcp), [
            { name: "control", port: 5000, protocol: "tcp" },
            { name: "data", port: 5001, protocol: "tcp", sameNumber: true },
        ]);
        // Behind a NAT or in a guest (no shim) the wildcard is the environment's own.
        assert.equal(nuttcp.serverCommand!(P, { dataDir: "/data", listen: "0.0.0.0", bindShim: "/s.so" }), "nuttcp -S -P5000 --nofork --no3rdparty");
        assert.equal(nuttcp.serverCommand!(P, { dataDir: "/data", listen: "192.168.122.7" }), "nuttcp -S -P5000 --nofork --no3rdparty");
        // On the host's network: through the shim, and never without it.
        const shimmed = nuttcp.serverCommand!(P, { dataDir: "/data", listen: "127.0.0.1", bindShim: "/s.so" });
        assert.match(
            shimmed,
            /\[ -r '\\''\/s\.so'\\'' \] \|\| \{ echo "nuttcp: the bind shim \/s\.so is missing.*exit 1; \}; ISOBENCH_BIND_ADDR=127\.0\.0\.1 LD_PRELOAD='\\''\/s\.so'\\'' exec nuttcp -S -P5000 --nofork --no3rdparty'$/,
        );
        assert.throws(() => nuttcp.serverCommand!(P, { dataDir: "/data" }), /needs the IPv4 address to bind/);
    });

    it("measures both directions with the announced data port; receive flips the data connection (-F) for NAT", () => {
        assert.equal(
            nuttcp.clientCommand({ ...P, timeSeconds: 3 }, CTX),
            "set -e; echo '### isobench nuttcp direction=transmit'; timeout -k 10 63 nuttcp -T3 -P32771 -p5001 -t 127.9.8.7; " +
                "echo '### isobench nuttcp direction=receive'; timeout -k 10 63 nuttcp -T3 -P32771 -p5001 -r -F 127.9.8.7",
        );
        assert.match(nuttcp.readinessCommand!(P, CTX.addr, CTX), /^timeout -k 10 15 nuttcp -T0\.1 -P32771 -p5001 -t 127\.9\.8\.7 >\/dev\/null$/);
        assert.throws(() => nuttcp.clientCommand({ ...P, directions: "up" }, CTX), /directions must list/);
        assert.throws(() => nuttcp.clientCommand({ ...P, timeSeconds: 0 }, CTX), /timeSeconds must be a positive integer/);
        assert.throws(() => nuttcp.clientCommand(P, { dataDir: "/data" }), /needs the address of the server.s control port/);
    });

    it("parses captured nuttcp 6.1.2 output into Gb/s per direction", () => {
        assert.deepEqual(parseNuttcp(fixture(RUN), P), [
            { metric: "transmit_gbps", value: 15642.6304 / 1000, unit: "Gb/s", better: "higher" },
            { metric: "receive_gbps", value: 16016.9419 / 1000, unit: "Gb/s", better: "higher" },
        ]);
    });

    it("accepts one unmarked run (imported logs), also the 5.x line without retrans/RTT and the -v prefix", () => {
        assert.deepEqual(
            parseNuttcp("  1178.3516 MB /  10.01 sec =  987.5135 Mbps 11 %TX 13 %RX\n").map((m) => [m.metric, m.value]),
            [["throughput_gbps", 0.9875135]],
        );
        assert.equal(parseNuttcp("nuttcp-t: 1178.3516 MB /  10.01 sec =  987.5135 Mbps 11 %TX 13 %RX 0 retrans 0.2 msRTT\n")[0].value, 0.9875135);
    });

    it("names nuttcp's own error (captured connection refused)", () => {
        const e = assertParseError(() => parseNuttcp(fixture("nuttcp-6.1.2-connection-refused.txt")), "nuttcp", "throughput_gbps");
        assert.match(e.message, /Connection refused/);
    });

    it("every truncation of the captured output throws ParseError when params are given", () => {
        const raw = fixture(RUN);
        const lastNumber = raw.lastIndexOf("16016.9419") + "16016.9419".length;
        for (let cut = 0; cut < lastNumber - 6; cut++) {
            assertParseError(() => parseNuttcp(raw.slice(0, cut), P), "nuttcp", /_gbps$|^direction$|^marker$/, `cut at ${cut}`);
        }
    });

    it("refuses a direction twice and a missing requested direction", () => {
        const raw = fixture(RUN);
        assertParseError(() => parseNuttcp(raw + raw, P), "nuttcp", "transmit_gbps");
        assertParseError(() => parseNuttcp(raw.slice(0, raw.indexOf("### isobench nuttcp direction=receive")), P), "nuttcp", "receive_gbps");
    });

    it("version from nuttcp -V (captured)", () => {
        assert.equal(nuttcp.parseVersion(fixture("nuttcp-6.1.2-version.txt")), "6.1.2");
        assertParseError(() => nuttcp.parseVersion("sh: nuttcp: not found"), "nuttcp", "version");
    });
});
