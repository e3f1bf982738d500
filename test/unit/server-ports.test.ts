/** Several server ports per workload: what Docker NAT publishes and how (pure parts). */
import { strict as assert } from "assert";
import { containerSpec, NAT_PROBE_PORT, dockerRunArgs, publishAddressFor, publishedPorts, publishFlag } from "../../environments/container-spec";
import { getWorkload } from "../../workloads";
import { workloadPorts } from "../../workloads/workload";

const ALL = ["nuttcp", "netperf", "iperf", "redis", "mysql"].flatMap((w) => workloadPorts(getWorkload(w)));

describe("server ports", () => {
    it("a workload with only serverPort has one TCP port named server; serverPorts wins", () => {
        assert.deepEqual(workloadPorts({ serverPort: 6379 }), [{ name: "server", port: 6379, protocol: "tcp" }]);
        assert.deepEqual(workloadPorts({}), []);
        assert.deepEqual(workloadPorts({ serverPort: 1, serverPorts: [{ name: "a", port: 2, protocol: "udp" }] }), [{ name: "a", port: 2, protocol: "udp" }]);
    });

    it("publishes every port of every workload once, per protocol, data ports at the same number", () => {
        assert.deepEqual(
            publishedPorts(ALL).map((p) => `${p.port}/${p.protocol}${p.hostPort ? `=${p.hostPort}` : ""}`),
            ["3307/tcp", "5000/tcp", "5001/tcp=5001", "5201/tcp", "6379/tcp", "12867/tcp", "12868/tcp=12868", "12868/udp=12868"],
        );
        assert.deepEqual(publishedPorts([6379, 6379, { port: 6379, protocol: "tcp" }]), [{ port: 6379, protocol: "tcp" }]);
        assert.deepEqual(publishedPorts([{ port: 9, protocol: "tcp", sameNumber: true }, 9]), [{ port: 9, protocol: "tcp", hostPort: 9 }]);
        assert.throws(() => publishedPorts([70000]), /not a port number/);
    });

    it("a container with fixed host ports publishes on its own loopback address, derived from its name", () => {
        const fixed = publishedPorts(ALL);
        const a = publishAddressFor("isobench-quick-docker-nat", fixed);
        assert.match(a, /^127\.([1-9][0-9]*)\.[0-9]+\.[1-9][0-9]*$/);
        assert.equal(publishAddressFor("isobench-quick-docker-nat", fixed), a, "stable across runs");
        assert.notEqual(publishAddressFor("isobench-quick-docker-nat-unionfs", fixed), a, "another container, another address");
        assert.equal(publishAddressFor("x", publishedPorts([6379])), "127.0.0.1", "no fixed ports: the plain loopback address");
    });

    it("renders -p flags for TCP, UDP, random and fixed host ports", () => {
        assert.equal(publishFlag("127.0.0.1", { port: 6379, protocol: "tcp" }), "127.0.0.1::6379");
        assert.equal(publishFlag("127.9.8.7", { port: 12868, protocol: "udp", hostPort: 12868 }), "127.9.8.7:12868:12868/udp");
        const spec = containerSpec({ stack: "s", environment: "docker-nat", image: "img", network: "nat", serverPorts: ALL });
        const args = dockerRunArgs(spec);
        const flags = args.flatMap((a, i) => (args[i - 1] === "-p" ? [a] : []));
        assert.equal(flags.length, 9, "the workloads' 8 ports and the NAT probe port");
        assert.ok(flags.includes(`${spec.publishAddress}::${NAT_PROBE_PORT}`));
        assert.ok(flags.every((f) => f.startsWith(`${spec.publishAddress}:`)));
        assert.ok(flags.includes(`${spec.publishAddress}:12868:12868/udp`));
        assert.deepEqual(containerSpec({ stack: "s", environment: "docker-host", image: "img", network: "host", serverPorts: ALL }).publish, []);
    });
});
