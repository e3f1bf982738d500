/**
 * The quick stack's Pulumi program under mocks: environments, variants, the serialized chain and
 * triggers, for both Docker drivers and both command backends.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { repetitionsPath } from "../../core/precision";
import { loadStackSpec } from "../../experiment/stack-file";
import type { ResultsState } from "../../experiment/results-state";
import { decodeArg } from "../../experiment/command-args";
import type { HostContext, Experiment } from "../../experiment/program";
import type { Registered } from "../helpers/mock-program";

const registered: Registered[] = [];

function host(over: Partial<HostContext>): HostContext {
    return {
        repoRoot: "/repo",
        resultsRoot: "/repo/results",
        stateDir: "/repo/.state",
        guestsDir: "/guests",
        containerImage: "isobench-bench:0123456789ab",
        guestImage: { disk: "/img/disk.qcow2", kernel: "/img/vmlinuz", initrd: "/img/initrd.img" },
        sshKey: "/repo/.state/ssh/id_ed25519",
        accel: "tcg",
        vhostAvailable: false,
        hostCpuCount: 2,
        dockerDriver: "cli",
        commandBackend: "plugin",
        ...over,
    };
}

function unwrap<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

async function declare(over: Partial<HostContext>, results?: ResultsState, schedule?: "grouped"): Promise<Experiment> {
    registered.length = 0;
    const { declareExperiment } = await import("../../experiment/program");
    const { withAddedRepetitions } = await import("../../experiment/precision-run");
    const h = host(over);
    // As index.ts: the stack file, and the repetitions its run's repetitions.json added.
    const stack = loadStackSpec(path.join(__dirname, "..", "..", "stacks"), "quick");
    const spec = withAddedRepetitions(schedule ? { ...stack, schedule } : stack, h);
    const exp = declareExperiment(spec, h, results);
    await unwrap(exp.overheadTable);
    return exp;
}

const byName = (n: string) => registered.find((r) => r.name === n);

describe("quick stack program (mocks)", function () {
    this.timeout(60000);

    before(async () => {
        await pulumi.runtime.setMocks(
            {
                newResource(args: pulumi.runtime.MockResourceArgs) {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                    return { id: `${args.name}-id`, state: { ...args.inputs, stdout: args.name === "analysis" ? "| table |" : "" } };
                },
                call(args: pulumi.runtime.MockCallArgs) {
                    throw new Error(`Mock not implemented: ${args.token}`);
                },
            },
            "isobench",
            "quick",
            false,
        );
    });

    for (const commandBackend of ["plugin", "dynamic"] as const) {
        describe(`command backend ${commandBackend}`, () => {
            let exp: Experiment;
            before(async () => {
                exp = await declare({ commandBackend, dockerDriver: "cli" });
            });

            it("declares the four environments with their variants and accel", () => {
                assert.deepEqual(
                    exp.environments.map((e) => [e.name, e.envKind, e.accel]),
                    [
                        ["native", "native", "none"],
                        ["docker-nat", "docker", "none"],
                        ["docker-host", "docker", "none"],
                        ["kvm-tuned", "kvm", "tcg"],
                    ],
                );
                assert.equal(exp.environments[1].variant, "net=nat;proxy=userland;storage=volume;runtime=runc");
                assert.equal(exp.environments[2].variant, "net=host;storage=volume;runtime=runc");
                assert.match(exp.environments[3].variant, /^vcpus=1;mem=1024m;cpu=max;/);
                assert.match(exp.environments[3].variant, /pin=1:1/);
                assert.match(exp.environments[3].variant, /net=qemu/, "no vhost where /dev/vhost-net is absent");
            });

            it("uses the right resource type for command resources", () => {
                const cell = registered.find((r) => r.name.startsWith("cell-"))!;
                assert.equal(cell.type, commandBackend === "plugin" ? "command:local:Command" : "pulumi-nodejs:dynamic/isobench-command:Resource");
            });

            it("publishes NAT ports on 127.0.0.1 and none with host networking", () => {
                const nat = byName("docker-nat-container")!.inputs.create as string;
                const hostnet = byName("docker-host-container")!.inputs.create as string;
                assert.match(nat, /'--network' 'bridge'/);
                assert.match(nat, /'-p' '127\.0\.0\.1::\d+'/);
                assert.match(hostnet, /'--network' 'host'/);
                assert.doesNotMatch(hostnet, /'-p'/);
                assert.match(nat, /isobench\.stack=quick/);
            });

            it("serializes probes, cells and analysis in one chain", () => {
                const names = exp.chain.map((c) => c.name);
                assert.equal(names.filter((n) => n.startsWith("cell-")).length, exp.cellIds.length);
                assert.equal(exp.cellIds.length, 3 * 2 * 4);
                for (let i = 1; i < exp.chain.length; i++) {
                    assert.ok(exp.chain[i].after.includes(exp.chain[i - 1].name), `${names[i]} must wait for ${names[i - 1]}`);
                }
                const kvmCell = exp.chain.find((c) => c.name.includes(".kvm-tuned."))!;
                assert.ok(kvmCell.after.includes("kvm-tuned-ready"), "a KVM cell waits for its guest");
            });

            it("puts the runId and the cell into every cell's triggers", () => {
                const cells = registered.filter((r) => r.name.startsWith("cell-"));
                assert.equal(cells.length, 24);
                for (const c of cells) {
                    assert.equal(c.inputs.triggers?.[0], "quick-2");
                    assert.equal(c.inputs.triggers?.[1], c.name.slice("cell-".length));
                }
            });

            it("gives every cell its fingerprint in its argument and triggers, and the analysis step the plan", () => {
                const cells = registered.filter((r) => r.name.startsWith("cell-"));
                const fps = new Set<string>();
                for (const c of cells) {
                    const inv = decodeArg("run-cell", (c.inputs.create as string).split(" ").pop()!);
                    assert.match(inv.fingerprint, /^fp1-[0-9a-f]{16}$/);
                    assert.equal(inv.onFailure, "continue", "the default of isobench:onCellFailure");
                    assert.deepEqual(c.inputs.triggers?.slice(2), [inv.fingerprint, "0"]);
                    fps.add(inv.fingerprint);
                }
                assert.equal(fps.size, 2 * 4, "one definition per workload and environment; repetitions share it");
                const analysis = byName("analysis")!.inputs.create as string;
                // The analysis reads the plan's cells and judges them against the stack's precision goal.
                assert.deepEqual(decodeArg("analyze-plan", analysis.split(" ").pop()!), {
                    cells: exp.cellIds,
                    precision: { relativeHalfWidth: 0.05, maxRepetitions: 6 },
                });
            });

            it("renders the guest's domain XML into the guest resource", () => {
                const g = byName("kvm-tuned-domain")!;
                const xml = g.inputs.environment!.ISOBENCH_DOMAIN_XML;
                assert.match(xml, /<domain type='qemu'/);
                assert.match(xml, /<vcpupin vcpu='0' cpuset='1'\/>/);
                assert.match(g.inputs.delete!, /guest-lifecycle\.sh' delete 'isobench-quick-kvm-tuned'/);
            });
        });
    }

    it("a cell attempted again gets a new trigger, and so does the analysis; the others keep theirs", async () => {
        const triggersOf = () =>
            new Map(registered.filter((r) => r.name.startsWith("cell-") || r.name === "analysis").map((r) => [r.name, JSON.stringify(r.inputs.triggers)]));
        await declare({});
        const first = triggersOf();
        await declare({}, { attempts: new Map([["redis.native.r2", 1]]) });
        const second = triggersOf();
        const changed = [...first.keys()].filter((k) => first.get(k) !== second.get(k));
        assert.deepEqual(changed, ["cell-redis.native.r2", "analysis"]);
    });

    it("declares the cells of the repetitions isobench:precision added, after the planned ones, on every later declaration", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-program-precision-"));
        try {
            const before = await declare({ resultsRoot: root });
            const planned = before.cellIds;
            const analysisBefore = JSON.stringify(byName("analysis")!.inputs.triggers);
            fs.mkdirSync(path.join(root, "quick", "quick-2"), { recursive: true });
            const added = {
                workload: "redis",
                repetition: 4,
                environments: ["native", "docker-nat", "docker-host"],
                at: "2026-12-04T10:00:00.000Z",
                reason: "get_rps",
            };
            fs.writeFileSync(
                repetitionsPath(path.join(root, "quick", "quick-2")),
                JSON.stringify({ goal: { relativeHalfWidth: 0.05, maxRepetitions: 6 }, added: [added], decisions: [] }),
            );
            for (let up = 0; up < 2; up++) {
                // Each up (a pass that measures them, and a later no-change one) declares the same cells: none is deleted.
                const exp = await declare({ resultsRoot: root });
                assert.deepEqual(exp.cellIds.slice(0, planned.length), planned, "the planned cells keep their place in the chain");
                assert.deepEqual(exp.cellIds.slice(planned.length), ["redis.native.r4", "redis.docker-nat.r4", "redis.docker-host.r4"]);
                const names = exp.chain.map((c) => c.name);
                assert.ok(names.indexOf("cell-redis.native.r4") < names.indexOf("analysis"), "measured before the analysis");
                const cell = byName("cell-redis.docker-host.r4")!;
                const inv = decodeArg("run-cell", (cell.inputs.create as string).split(" ").pop()!);
                assert.equal(inv.repetition, 4);
                assert.equal(inv.env.name, "docker-host");
                // The analysis reads them too, so it runs again.
                const analysis = byName("analysis")!;
                assert.deepEqual(decodeArg("analyze-plan", (analysis.inputs.create as string).split(" ").pop()!).cells, exp.cellIds);
                assert.notEqual(JSON.stringify(analysis.inputs.triggers), analysisBefore);
            }
            // The emulated guest was not measured again, so it has no fourth repetition.
            assert.equal(byName("cell-redis.kvm-tuned.r4"), undefined);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("under isobench:schedule: grouped, chains each environment's cells of a repetition together and tells the group's first cell to boot its guest", async () => {
        const interleaved = await declare({});
        const interleavedArgs = registered.filter((r) => r.name.startsWith("cell-")).map((r) => r.inputs.create);
        const exp = await declare({}, undefined, "grouped");
        const cells = exp.chain.filter((c) => c.name.startsWith("cell-"));
        assert.deepEqual([...exp.cellIds].sort(), [...interleaved.cellIds].sort(), "the same cells");
        // Still one chain: each cell waits for the one before it.
        for (let i = 1; i < cells.length; i++) assert.ok(cells[i].after.includes(cells[i - 1].name));
        const runs: string[] = [];
        for (const id of exp.cellIds) {
            const [, env, rep] = /^[^.]+\.(.+)\.(r\d+)$/.exec(id)!;
            if (runs[runs.length - 1] !== `${env}.${rep}`) runs.push(`${env}.${rep}`);
        }
        assert.equal(runs.length, new Set(runs).size, `one group per environment and repetition: ${runs.join(" ")}`);
        assert.deepEqual(runs.slice(0, 4), ["native.r1", "docker-nat.r1", "docker-host.r1", "kvm-tuned.r1"]);
        assert.deepEqual(runs.slice(4, 8), ["docker-nat.r2", "docker-host.r2", "kvm-tuned.r2", "native.r2"], "rotated in the next repetition");
        const invs = exp.cellIds.map((id) => decodeArg("run-cell", (byName(`cell-${id}`)!.inputs.create as string).split(" ").pop()!));
        assert.ok(
            invs.every((inv) => inv.schedule === "grouped" && inv.guestSshKey === "/repo/.state/ssh/id_ed25519"),
            "every cell can power the guests off",
        );
        assert.deepEqual(
            invs.filter((inv) => inv.groupStart).map((inv) => `${inv.env.name}.r${inv.repetition}`),
            runs,
            "the first cell of each group, and only it, boots its guest",
        );
        // The interleaved stack's cells keep the arguments they had before the key existed.
        await declare({});
        assert.deepEqual(
            registered.filter((r) => r.name.startsWith("cell-")).map((r) => r.inputs.create),
            interleavedArgs,
        );
        assert.ok(interleavedArgs.every((a) => decodeArg("run-cell", (a as string).split(" ").pop()!).schedule === undefined));
    });

    it("the provider driver makes the same containers as the cli driver", async () => {
        await declare({ dockerDriver: "provider" });
        const nat = registered.find((r) => r.type === "docker:index/container:Container" && r.name === "docker-nat-container")!;
        const hostnet = registered.find((r) => r.type === "docker:index/container:Container" && r.name === "docker-host-container")!;
        assert.equal(nat.inputs.networkMode, "bridge");
        assert.deepEqual(
            nat.inputs.ports?.map((p) => [p.ip, p.internal]),
            [
                ["127.0.0.1", 9],
                ["127.0.0.1", 6379],
            ],
        );
        assert.equal(hostnet.inputs.networkMode, "host");
        assert.deepEqual(hostnet.inputs.ports, []);
        assert.equal(nat.inputs.name, "isobench-quick-docker-nat");
        assert.deepEqual(nat.inputs.mounts, [{ type: "volume", source: "isobench-quick-docker-nat-data", target: "/data" }]);
        assert.ok(nat.inputs.labels?.some((l) => l.label === "isobench.stack" && l.value === "quick"));
    });
});
