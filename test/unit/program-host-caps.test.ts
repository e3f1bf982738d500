/**
 * The program under mocks with host settings applied (isobench:host.apply), a native environment
 * under a numactl policy, and a workload whose numactl parameter needs SYS_NICE in containers:
 * the host-settings resource (apply on create, restore on delete, before the probes), the
 * container's capabilities, and what the handles carry into probes and cells.
 */
import * as assert from "node:assert/strict";
import { parseSpec } from "../../experiment/spec";
import type { Experiment } from "../../experiment/program";
import type { EnvironmentHandle } from "../../core/environment-handle";
import { Registered, mockHost, setRecordingMocks } from "../helpers/mock-program";

const registered: Registered[] = [];

const decode = (cmd: string) => JSON.parse(Buffer.from(cmd.trim().split(" ").at(-1)!, "base64").toString("utf8"));

async function declare(hostKey: Record<string, unknown> | undefined, dockerDriver: "cli" | "provider" = "cli"): Promise<Experiment> {
    registered.length = 0;
    const { declareExperiment } = await import("../../experiment/program");
    const spec = parseSpec("caps", {
        runId: "r1",
        environments: [{ name: "native-bind", kind: "native", numactl: { cpunodebind: "0", membind: "0" } }, "docker-nat", "docker-host"],
        workloads: [{ name: "stream", params: { arraySize: 1000000, numactl: "interleave:all" }, environments: ["native-bind", "docker-nat"] }, "sysbench-cpu"],
        ...(hostKey && { host: hostKey }),
    });
    const exp = declareExperiment(spec, mockHost({ dockerDriver, numaNodes: [0] }));
    await new Promise((resolve) => exp.overheadTable.apply(resolve));
    return exp;
}

const byName = (n: string) => registered.find((r) => r.name === n)!;

describe("program with host settings and container needs (mocks)", function () {
    this.timeout(60000);
    before(() => setRecordingMocks(registered, "caps"));

    it("apply: true declares host-settings (apply on create, restore on delete) before probe-host", async () => {
        const exp = await declare({ thp: "never", swap: "off", apply: true });
        const r = byName("host-settings");
        assert.match(r.inputs.create!, /^'\/repo\/bin\/isobench' host-apply 'caps' \S+$/);
        assert.deepEqual(decode(r.inputs.create!), { thp: "never", swap: "off" });
        assert.equal(r.inputs.delete, "'/repo/bin/isobench' host-restore 'caps'");
        assert.deepEqual(
            exp.chain.slice(0, 3).map((c) => [c.name, c.after]),
            [
                ["host-settings", []],
                ["probe-host", ["host-settings"]],
                ["probe-native-bind", ["probe-host", "native-bind-ready"]],
            ],
        );
        // The probe compares the settings only: `apply` is no host fact.
        const probe = byName("probe-host").inputs.create as string;
        assert.match(probe, / 'caps'$/, "probe-host gets the stack, to record what was applied");
        assert.deepEqual(JSON.parse(Buffer.from(probe.split(" ").at(-2)!, "base64").toString("utf8")), { thp: "never", swap: "off" });
    });

    it("without apply there is no host-settings resource and the probe gets the declaration as before", async () => {
        const exp = await declare({ thp: "madvise" });
        assert.equal(
            registered.find((r) => r.name === "host-settings"),
            undefined,
        );
        assert.deepEqual(exp.chain[0], { name: "probe-host", after: [] });
        assert.deepEqual(decode(byName("probe-host").inputs.create!), { thp: "madvise" });
        await declare(undefined);
        assert.equal(
            registered.find((r) => r.name === "host-settings"),
            undefined,
        );
    });

    for (const driver of ["cli", "provider"] as const) {
        it(`${driver} driver: the container of the environment stream runs in gets SYS_NICE, the other does not`, async () => {
            const exp = await declare(undefined, driver);
            const nat = exp.environments.find((e) => e.name === "docker-nat")!;
            const hostNet = exp.environments.find((e) => e.name === "docker-host")!;
            assert.equal(nat.variant, "net=nat;proxy=userland;storage=volume;runtime=runc;cap=SYS_NICE");
            assert.equal(nat.declared.caps_added, "SYS_NICE");
            assert.equal(nat.recorded?.container_needs, "stream: cap SYS_NICE (numactl interleave:all)");
            assert.equal(hostNet.variant, "net=host;storage=volume;runtime=runc");
            assert.equal(hostNet.declared.caps_added, "none");
            if (driver === "cli") {
                assert.match(byName("docker-nat-container").inputs.create!, /'--cap-add' 'SYS_NICE'/);
                assert.doesNotMatch(byName("docker-host-container").inputs.create!, /--cap-add/);
            } else {
                const c = registered.find((r) => r.type === "docker:index/container:Container" && r.inputs.name === "isobench-caps-docker-nat")!;
                assert.deepEqual(c.inputs.capabilities, { adds: ["SYS_NICE"] });
            }
        });
    }

    it("native under a numactl policy: its probe and cells carry the numactl prefix and the declared facts", async () => {
        await declare(undefined);
        const probe = decode(byName("probe-native-bind").inputs.create!) as EnvironmentHandle;
        assert.deepEqual(probe.target, { kind: "native", numactl: ["numactl", "--cpunodebind=0", "--membind=0"] });
        assert.equal(probe.variant, "numactl=cpunodebind:0+membind:0");
        assert.equal(probe.declared.numa_policy, "bind");
        const cell = decode(byName("cell-stream.native-bind.r1").inputs.create!) as { env: EnvironmentHandle; params: Record<string, unknown> };
        assert.deepEqual(cell.env.target, probe.target);
        assert.equal(cell.params.numactl, "interleave:all");
    });
});
