import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { lifecycle, lifecycleScript, parseLifecycle } from "../../workloads/lifecycle";
import { clonesOf, parseDockerInspect } from "../../environments/clone";
import { assertParseErrorSays } from "../helpers/parse-error";

const DIR = path.join(__dirname, "..", "fixtures");
const fixture = (name: string) => fs.readFileSync(path.join(DIR, name), "utf8");
const DOCKER = "lifecycle/lifecycle-docker-20.10.24-instances-1-2.txt";
const NATIVE = "lifecycle/lifecycle-native-instances-1-2.txt";
const KVM = "lifecycle/lifecycle-kvm-tcg-libvirt-9.0.0-instances-1.txt";
const P12 = { instances: "1,2", readyTimeoutS: 600 };

describe("workloads/lifecycle", () => {
    it("runs on the host, reads the environment's clone source, records host tool versions", () => {
        assert.equal(lifecycle.clientPlacement, "host");
        assert.equal(lifecycle.versionPlacement, "host");
        assert.equal(lifecycle.needsClones, true);
        assert.deepEqual(lifecycle.defaults, { instances: 1, readyTimeoutS: 600 });
        assert.equal(
            lifecycle.parseVersion(fixture("host-tools/host-tools-version.txt")),
            "docker 20.10.24+dfsg1; libvirt 9.0.0; qemu 7.2.22; kernel 6.18.44-fc-v669",
        );
    });

    it("parses a captured Docker run: one create and one remove sample per instance and count", () => {
        const ms = parseLifecycle(fixture(DOCKER), P12);
        assert.equal(ms.length, 6);
        assert.deepEqual(
            ms.map((m) => [m.metric, m.value, m.point]),
            [
                ["create_ready_s", 0.669, { instances: 1 }],
                ["ready_removed_s", 0.268, { instances: 1 }],
                ["create_ready_s", 1.021, { instances: 2 }],
                ["ready_removed_s", 0.41, { instances: 2 }],
                ["create_ready_s", 1.15, { instances: 2 }],
                ["ready_removed_s", 0.468, { instances: 2 }],
            ],
        );
        for (const m of ms) assert.deepEqual([m.unit, m.better], ["s", "lower"]);
    });

    it("parses captured native (process) and KVM (tcg guest) runs", () => {
        const native = parseLifecycle(fixture(NATIVE), P12);
        assert.equal(native.length, 6);
        for (const m of native) assert.ok(m.value < 1, `${m.metric} ${m.value}`);
        const kvm = parseLifecycle(fixture(KVM), { instances: 1, readyTimeoutS: 600 });
        assert.equal(kvm.length, 2);
        assert.ok(kvm[0].value > 5, `a tcg guest boots in more than 5 s, got ${kvm[0].value}`);
    });

    it("fails naming workload, metric and the missing instance on truncated output", () => {
        const raw = fixture(DOCKER);
        const lines = raw.trimEnd().split("\n");
        assertParseErrorSays(
            () => parseLifecycle(lines.slice(0, -1).join("\n"), P12),
            "lifecycle",
            "create_ready_s",
            /no result line for instance 2 of instances=2/,
        );
        assertParseErrorSays(
            () => parseLifecycle(lines.join("\n").replace(/ready_removed_s=0\.468$/, "ready_removed_s=0."), P12),
            "lifecycle",
            "create_ready_s",
            /malformed result line/,
        );
        assertParseErrorSays(
            () => parseLifecycle("", { instances: 1, readyTimeoutS: 1 }),
            "lifecycle",
            "create_ready_s",
            /no result line for instance 1 of instances=1/,
        );
        assertParseErrorSays(() => parseLifecycle("docker: Cannot connect to the Docker daemon\n"), "lifecycle", "create_ready_s", /no "lifecycle instances=/);
    });

    it("creates and removes N instances at once per count and removes every clone on exit", () => {
        const src = {
            kind: "docker" as const,
            inspect: parseDockerInspect(fixture("clone/docker-20.10.24-inspect-nat-volume.json"), "x"),
            network: "nat" as const,
        };
        const s = lifecycleScript(clonesOf(src), [1, 2], 30);
        assert.match(s, /^set -u\n/);
        assert.match(s, /trap cleanup EXIT/);
        // The cleanup removes clones 1..max(instances) whatever happened.
        const cleanup = s.slice(s.indexOf("cleanup() {"), s.indexOf("trap cleanup EXIT"));
        assert.match(cleanup, /docker rm -f 'isobench-it4c-docker-nat-c1'/);
        assert.match(cleanup, /docker rm -f 'isobench-it4c-docker-nat-c2'/);
        assert.equal(s.split("# ---- instances=").length - 1, 2);
        assert.equal(s.match(/echo "lifecycle instances=2 instance=\d /g)?.length, 2);
        assert.throws(
            () => lifecycle.clientCommand({ instances: "1,x", readyTimeoutS: 30 }, { dataDir: "/d", clones: clonesOf(src) }),
            /instances must be a count or a comma-separated list/,
        );
        assert.throws(() => lifecycle.clientCommand({ instances: 1, readyTimeoutS: 30 }, { dataDir: "/d" }), /needs the environment's clones/);
    });
});
