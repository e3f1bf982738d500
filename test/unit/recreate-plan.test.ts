import * as assert from "node:assert/strict";
import { provisionedEnvironments, recreateLine, replacementUrns } from "../../experiment/recreate-plan";

const urn = (type: string, name: string) => `urn:pulumi:s::isobench::${type}::${name}`;
const DYN = "pulumi-nodejs:dynamic:Resource";
const URNS = [
    urn("isobench:environments:DockerEnvironment", "docker-nat"),
    urn(`isobench:environments:DockerEnvironment$${DYN}`, "docker-nat-container"),
    urn(`isobench:environments:KvmGuest$${DYN}`, "kvm-tuned-domain"),
    urn(`isobench:environments:DockerInKvmEnvironment$isobench:environments:KvmGuest$${DYN}`, "dik-domain"),
    urn(`isobench:environments:DockerInKvmEnvironment$${DYN}`, "dik-container"),
    urn(DYN, "probe-docker-nat"),
    urn(DYN, "probe-kvm-tuned"),
    urn(DYN, "probe-dik"),
    urn(DYN, "cell-redis.docker-nat.r1"),
];

describe("re-creating environments removed outside isobench", () => {
    it("checks only environments whose container or guest the state records", () => {
        assert.deepEqual(provisionedEnvironments(URNS, ["native", "docker-nat", "docker-host", "kvm-tuned", "dik"]), ["docker-nat", "kvm-tuned", "dik"]);
        assert.deepEqual(provisionedEnvironments([], ["docker-nat"]), []);
    });

    it("replaces each gone layer's resource and the environment's probe, never a cell", () => {
        assert.deepEqual(replacementUrns(URNS, [{ env: "docker-nat", layers: ["container"] }]), [URNS[1], URNS[5]]);
        assert.deepEqual(replacementUrns(URNS, [{ env: "dik", layers: ["guest", "container"] }]), [URNS[3], URNS[4], URNS[7]]);
        // The container inside a running guest alone: the guest stays.
        assert.deepEqual(replacementUrns(URNS, [{ env: "dik", layers: ["container"] }]), [URNS[4], URNS[7]]);
        assert.deepEqual(replacementUrns(URNS, [{ env: "kvm-tuned", layers: [] }]), []);
        // A name that only starts like another environment's is not matched.
        assert.deepEqual(replacementUrns([urn(DYN, "docker-nat-2-container")], [{ env: "docker-nat", layers: ["container"] }]), []);
    });

    it("says what is made again", () => {
        assert.match(
            recreateLine({ env: "docker-nat", layers: ["container"] }),
            /^environment docker-nat: its container is gone \(removed outside isobench\); creating it again/,
        );
        assert.match(recreateLine({ env: "dik", layers: ["guest", "container"] }), /its guest and container are gone .*creating them again/);
    });
});
