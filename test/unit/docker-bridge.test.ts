import * as assert from "node:assert/strict";
import { bridgeGatewayOf, bridgeInterfaceOf, inSubnet } from "../../environments/docker-bridge";
import { fixtureReader } from "../helpers/fixtures";

// Captured on this project's development machine (docker.io 20.10.24, Debian 12): `docker network
// inspect bridge` right after the first start of a dockerd without state (no Gateway), the same
// after a restart (Gateway present), and `ip -j -4 addr show dev docker0`.
const read = fixtureReader("docker-bridge");

describe("Docker bridge gateway", () => {
    const iface = read("ip-addr-docker0.json");

    it("comes from the bridge interface on a first-start dockerd, whose inspect output has no gateway", () => {
        const first = read("inspect-first-start.json");
        assert.equal(JSON.parse(first)[0].IPAM.Config[0].Gateway, undefined, "the fixture is the first-start state");
        const g = bridgeGatewayOf(first, iface);
        assert.equal(g.address, "172.17.0.1");
        assert.match(g.source, /interface docker0 .*no gateway.*first-start/);
    });

    it("agrees with docker network inspect once dockerd has been restarted", () => {
        const restarted = read("inspect-restarted.json");
        assert.equal(JSON.parse(restarted)[0].IPAM.Config[0].Gateway, "172.17.0.1", "the fixture is the restarted state");
        const g = bridgeGatewayOf(restarted, iface);
        assert.equal(g.address, "172.17.0.1");
        assert.match(g.source, /docker network inspect bridge, matching interface docker0/);
    });

    it("refuses a missing interface, an address outside the subnet, and a disagreement, naming what it saw", () => {
        const restarted = read("inspect-restarted.json");
        assert.throws(
            () => bridgeGatewayOf(read("inspect-first-start.json"), "[]"),
            /docker0 has no IPv4 address in Docker's bridge subnet 172\.17\.0\.0\/16 \(interface addresses: none\)/,
        );
        const elsewhere = iface.replace(/172\.17\.0\.1/g, "10.9.0.1");
        assert.throws(() => bridgeGatewayOf(restarted, elsewhere), /interface addresses: 10\.9\.0\.1; docker network inspect says gateway 172\.17\.0\.1/);
        const other = iface.replace(/172\.17\.0\.1"/g, '172.17.0.2"');
        assert.throws(() => bridgeGatewayOf(restarted, other), /says gateway 172\.17\.0\.1, but interface docker0 has 172\.17\.0\.2/);
        assert.throws(() => bridgeGatewayOf("not json", iface), /did not print JSON/);
        assert.throws(() => bridgeGatewayOf('[{"IPAM":{"Config":[]}}]', iface), /no IPv4 subnet/);
    });

    it("follows a renamed bridge (com.docker.network.bridge.name) and ignores other interfaces", () => {
        const renamed = read("inspect-first-start.json").replace('"com.docker.network.bridge.name": "docker0"', '"com.docker.network.bridge.name": "br-lab"');
        assert.equal(bridgeInterfaceOf(renamed), "br-lab");
        assert.throws(() => bridgeGatewayOf(renamed, iface), /br-lab has no IPv4 address/);
        assert.equal(bridgeGatewayOf(renamed, iface.replace(/"docker0"/g, '"br-lab"')).address, "172.17.0.1");
    });

    it("tests subnet membership by prefix", () => {
        assert.ok(inSubnet("172.17.0.1", "172.17.0.0/16"));
        assert.ok(inSubnet("172.17.255.254", "172.17.0.0/16"));
        assert.ok(!inSubnet("172.18.0.1", "172.17.0.0/16"));
        assert.ok(inSubnet("10.0.0.1", "0.0.0.0/0"));
        assert.ok(!inSubnet("300.1.1.1", "0.0.0.0/0"));
        assert.ok(!inSubnet("10.0.0.1", "10.0.0.0/33"));
    });
});
