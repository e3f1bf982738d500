/**
 * Guest sizes written relative to the host (issue 19 part 2): `vcpus: host`, `memory: "<n>%"`,
 * `topology: host`, `numa: host`, resolved when the stack is read (core/host-shape.ts,
 * experiment/spec.ts), recorded in the variant and as guest_sizing, refused naming the key when
 * they cannot be resolved.
 */
import * as assert from "node:assert/strict";
import * as os from "os";
import * as path from "path";
import { loadStackSpec } from "../../experiment/stack-file";
import { HostShape, hostShapeOf, resolveRelativeSize } from "../../core/host-shape";
import { parseSpec } from "../../experiment/spec";
import { SpecError } from "../../core/errors";
import { environmentPlans } from "../../experiment/environment-handles";
import { describedHost } from "../../experiment/described-host";
import { mockHost } from "../helpers/mock-program";

const PAPER: HostShape = { cpus: 32, memTotalMiB: 256 * 1024, sockets: 2, threadsPerCore: 2, numaNodes: 2 };
const ONE_SOCKET: HostShape = { cpus: 16, memTotalMiB: 64 * 1024, sockets: 1, threadsPerCore: 2, numaNodes: 1 };

const spec = (environments: unknown[], host: HostShape | undefined, kvm?: Record<string, unknown>) =>
    parseSpec("rel", { runId: "r", environments: ["native", ...environments], workloads: ["sysbench-cpu"], ...(kvm && { kvm }) }, host);

const refusal = (f: () => unknown): string => {
    try {
        f();
    } catch (e) {
        assert.ok(e instanceof SpecError, String(e));
        return (e as Error).message;
    }
    assert.fail("expected a SpecError");
};

describe("host-relative guest sizes (core/host-shape.ts)", () => {
    it("the shape of a host from its facts: sockets from the CPUs' packages, threads per core from the siblings", () => {
        assert.deepEqual(hostShapeOf(describedHost("2x8x2,256g")), PAPER);
        assert.deepEqual(hostShapeOf(describedHost("1x8x2,64g")), ONE_SOCKET);
        assert.equal(hostShapeOf({ hostCpuCount: 2 }), undefined, "no memory, no shape");
    });

    it("resolves each relative value and says what it became; leaves absolute values as they are", () => {
        const r = resolveRelativeSize({ vcpus: "host", memory: "35%", topology: "host", numa: "host", diskBus: "virtio-blk" }, PAPER, "k");
        assert.deepEqual(r.size, {
            diskBus: "virtio-blk",
            vcpus: 32,
            memoryMiB: 91750,
            memoryShare: "35%",
            topology: { sockets: 2, cores: 8, threads: 2 },
            numa: 2,
        });
        assert.deepEqual(r.became, ["vcpus host → 32", "memory 35% → 91750 MiB", "topology host → 2s8c2t", "numa host → 2"]);
        assert.deepEqual(r.problems, []);
        const fixed = { vcpus: 4, memoryMiB: 1024, topology: { sockets: 1, cores: 4, threads: 1 } } as const;
        assert.deepEqual(resolveRelativeSize(fixed, undefined, "k"), { size: fixed, became: [], problems: [] });
        // topology: host with the guest's own vCPUs, or isobench:kvm's when it has none.
        assert.deepEqual(resolveRelativeSize({ vcpus: 8, topology: "host" }, PAPER, "k").size.topology, { sockets: 2, cores: 2, threads: 2 });
        assert.deepEqual(resolveRelativeSize({ topology: "host" }, ONE_SOCKET, "k", 4).size.topology, { sockets: 1, cores: 2, threads: 2 });
    });

    it("refuses what cannot be resolved, naming the key and the fix", () => {
        assert.deepEqual(resolveRelativeSize({ vcpus: 6, topology: "host" }, PAPER, "isobench:environments.3").problems, [
            "isobench:environments.3.topology: host is 2 socket(s) × 2 thread(s) per core here, which 6 vCPUs do not fill evenly; give vcpus a multiple of 4 (vcpus: host), or an explicit topology",
        ]);
        assert.deepEqual(resolveRelativeSize({ memory: "1%" }, { ...ONE_SOCKET, memTotalMiB: 2048 }, "k").problems, [
            "k.memory: 1% of this host's 2048 MiB is 20 MiB, less than a guest's 256 MiB; give a larger share, or memoryMiB",
        ]);
        assert.deepEqual(resolveRelativeSize({ memory: "10%", memoryMiB: 1024 }, PAPER, "k").problems, [
            'k: memoryMiB and memory both set; keep one (memory: "<n>%" is a share of the host\'s memory)',
        ]);
        assert.match(resolveRelativeSize({ vcpus: "host" }, undefined, "k").problems[0], /^k: host-relative sizes \(host, "<n>%"\) need the host's facts/);
    });
});

describe("host-relative sizes in a stack (experiment/spec.ts)", () => {
    it("a guest written relative to the host becomes that host's size: the variant says the result, guest_sizing the rule", () => {
        const s = spec(
            [
                {
                    name: "big",
                    kind: "kvm",
                    preset: "kvm-tuned",
                    vcpus: "host",
                    memory: "40%",
                    topology: "host",
                    cpuModel: "host-passthrough",
                    pinning: "ht-siblings",
                },
            ],
            PAPER,
        );
        const big = s.environmentSpecs[1];
        assert.ok(big.kind === "kvm");
        assert.equal(big.kvm.vcpus, 32);
        assert.equal(big.kvm.memoryMiB, 104857);
        assert.deepEqual(big.kvm.topology, { sockets: 2, cores: 8, threads: 2 });
        assert.equal(big.kvm.sizing, "vcpus host → 32; memory 40% → 104857 MiB; topology host → 2s8c2t");
        const host = mockHost({ ...describedHost("2x8x2,256g") });
        const plan = environmentPlans(s, host).find((p) => p.handle.name === "big")!;
        assert.match(plan.handle.variant, /^vcpus=32;mem=104857m;cpu=host-passthrough;topo=2s8c2t;pin=1:1;/);
        assert.equal(plan.handle.recorded?.guest_sizing, "vcpus host → 32; memory 40% → 104857 MiB; topology host → 2s8c2t");
        // The same stack on a one-socket host: another size, and the pinning on that host's siblings.
        const small = environmentPlans(
            spec([{ name: "big", kind: "kvm", preset: "kvm-tuned", vcpus: "host", memory: "40%", topology: "host", pinning: "ht-siblings" }], ONE_SOCKET),
            mockHost({ ...describedHost("1x8x2,64g") }),
        ).find((p) => p.handle.name === "big")!;
        assert.match(small.handle.variant, /^vcpus=16;mem=26214m;cpu=host-passthrough;topo=1s8c2t;pin=1:1;/);
        assert.ok(small.kind === "kvm");
        assert.deepEqual(small.domain.pinning, [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]);
    });

    it("isobench:kvm's defaults may be relative too, and the preset guests that take them record it", () => {
        const s = spec(["kvm-untuned"], ONE_SOCKET, { vcpus: "host", memory: "25%" });
        const g = s.environmentSpecs[1];
        assert.ok(g.kind === "kvm");
        assert.deepEqual([g.kvm.vcpus, g.kvm.memoryMiB, g.kvm.memoryShare, g.kvm.sizing], [16, 16384, "25%", "vcpus host → 16; memory 25% → 16384 MiB"]);
        // A guest that sets its own memory does not take the default's share.
        const own = spec([{ name: "own", kind: "kvm", memoryMiB: 2048 }], ONE_SOCKET, { memory: "25%" }).environmentSpecs[1];
        assert.ok(own.kind === "kvm");
        assert.deepEqual([own.kvm.memoryMiB, own.kvm.memoryShare], [2048, undefined]);
    });

    it("a stack file read without a host's shape is read for this host (status, ls, destroy read felter2014 so)", () => {
        const s = loadStackSpec(path.join(__dirname, "..", "..", "stacks"), "felter2014");
        const untuned = s.environmentSpecs.find((e) => e.name === "kvm-untuned")!;
        assert.ok(untuned.kind === "kvm");
        assert.equal(untuned.kvm.vcpus, os.cpus().length);
        assert.equal(untuned.kvm.sizing?.startsWith(`vcpus host → ${os.cpus().length}; memory 35% → `), true);
    });

    it("numa: host gives the guest the host's NUMA nodes", () => {
        const g = spec([{ name: "n", kind: "kvm", vcpus: "host", memoryMiB: 4096, numa: "host" }], PAPER).environmentSpecs[1];
        assert.ok(g.kind === "kvm");
        assert.equal(g.kvm.numa, 2);
    });

    it("refuses relative sizes that do not resolve, with every problem named by its key", () => {
        const m = refusal(() =>
            spec(
                [
                    { name: "a", kind: "kvm", vcpus: 6, topology: "host" },
                    { name: "b", kind: "docker-in-kvm", guest: { memory: "50%", memoryMiB: 1024 } },
                ],
                PAPER,
            ),
        );
        assert.match(m, /^stack "rel" has an invalid config:\n {2}- isobench:environments\.1\.topology: host is 2 socket\(s\)/);
        assert.match(m, /\n {2}- isobench:environments\.2\.guest: memoryMiB and memory both set/);
        // What the schema refuses: a word that is not host, a share that is no percentage.
        assert.match(
            refusal(() => spec([{ name: "a", kind: "kvm", vcpus: "all" }], PAPER)),
            /isobench:environments\.1\.vcpus: must be one of host or an integer from 1 to 512/,
        );
        assert.match(
            refusal(() => spec([{ name: "a", kind: "kvm", memory: "40" }], PAPER)),
            /isobench:environments\.1\.memory: must be a share of the host's memory from "1%" to "99%", got "40"/,
        );
        assert.match(
            refusal(() => spec([{ name: "a", kind: "kvm", memory: "100%" }], PAPER)),
            /isobench:environments\.1\.memory: must be a share/,
        );
    });
});
