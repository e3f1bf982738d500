/**
 * Every stack file under mocks: it validates, opens with the comment block a published setup needs
 * (study, section, deviations), and declares the expected resource graph — environments, cells per
 * workload and in all, one serialized chain, and each guest's size as the study sized it.
 * A stack file without an entry here fails, so a new stack cannot ship untested.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { mockHost, Registered, setRecordingMocks } from "../helpers/mock-program";
import { availableStacks, loadStackSpec } from "../../experiment/stack-file";
import type { Experiment, HostContext } from "../../experiment/program";
import { describedHost } from "../../experiment/described-host";
import { hostShapeOf } from "../../core/host-shape";

const STACKS_DIR = path.join(__dirname, "..", "..", "stacks");

interface Guest {
    readonly vcpus: number;
    readonly memoryMiB: number;
    /** Host CPU of each vCPU, when pinned. */
    readonly pin?: readonly number[];
    /** A pattern the domain XML must contain (CPU model, cache mode …). */
    readonly xml?: RegExp;
    /** GiB the guest's disk gets beyond the base image for its workloads' files (disk-plan.ts guestDiskGrowth); default 0. */
    readonly growGiB?: number;
}

interface Expected {
    /** The host the stack is meant for (CPU count, SMT siblings, accel). */
    readonly host: Partial<HostContext>;
    readonly environments: readonly string[];
    /** Environments per workload, in declaration order. */
    readonly cells: Readonly<Record<string, readonly string[]>>;
    readonly repetitions: number;
    readonly guests: Readonly<Record<string, Guest>>;
    /** A published setup opens with the study, its section and its deviations. */
    readonly study?: { readonly cites: RegExp; readonly sections: RegExp };
}

const SMALL_HOST: Partial<HostContext> = { accel: "tcg", hostCpuCount: 2, cpuSiblings: [[0], [1]], memTotalMiB: 24 * 1024 };
/** The paper's server: 2 sockets × 8 cores × 2 threads (siblings k and k+16), 256 GiB, KVM and vhost-net. */
const PAPER_HOST: Partial<HostContext> = describedHost("2x8x2,256g");

const CPU4 = ["native", "docker-nat", "kvm-untuned", "kvm-tuned"];
const MEM3 = ["native", "docker-nat", "kvm-untuned"];

const EXPECTED: Readonly<Record<string, Expected>> = {
    quick: {
        host: SMALL_HOST,
        repetitions: 3,
        environments: ["native", "docker-nat", "docker-host", "kvm-tuned"],
        cells: { "sysbench-cpu": ["native", "docker-nat", "docker-host", "kvm-tuned"], redis: ["native", "docker-nat", "docker-host", "kvm-tuned"] },
        guests: { "kvm-tuned": { vcpus: 1, memoryMiB: 1024, pin: [1] } },
    },
    matrix: {
        host: SMALL_HOST,
        repetitions: 3,
        environments: [
            "native",
            "docker-nat",
            "docker-host",
            "docker-nat-dnat",
            "docker-nat-unionfs",
            "docker-nat-limited",
            "docker-gvisor",
            "kvm-untuned-1cpu",
            "kvm-tuned-1cpu",
            "kvm-tuned-allcpu",
        ],
        cells: {
            "sysbench-cpu": ["native", "docker-nat", "docker-nat-limited", "docker-gvisor", "kvm-untuned-1cpu", "kvm-tuned-allcpu"],
            redis: ["native", "docker-nat", "docker-host", "docker-nat-dnat", "docker-nat-unionfs", "docker-gvisor", "kvm-untuned-1cpu", "kvm-tuned-1cpu"],
        },
        guests: {
            "kvm-untuned-1cpu": { vcpus: 1, memoryMiB: 1024 },
            "kvm-tuned-1cpu": { vcpus: 1, memoryMiB: 1024, pin: [1] },
            "kvm-tuned-allcpu": { vcpus: 2, memoryMiB: 1024, pin: [0, 1] },
        },
    },
    felter2014: {
        host: PAPER_HOST,
        repetitions: 10,
        environments: [
            "native",
            "docker-nat",
            "docker-host",
            "docker-nat-dnat",
            "docker-nat-unionfs",
            "kvm-untuned",
            "kvm-tuned",
            "kvm-nuttcp",
            "kvm-1cpu",
            "kvm-mysql",
            "kvm-fio",
        ],
        cells: {
            pxz: CPU4,
            linpack: CPU4,
            randomaccess: MEM3,
            stream: MEM3,
            nuttcp: ["native", "docker-nat", "docker-host", "kvm-nuttcp"],
            netperf: ["native", "docker-nat", "docker-nat-dnat", "docker-host", "kvm-1cpu"],
            fio: ["native", "docker-nat", "docker-nat-unionfs", "kvm-fio"],
            redis: ["native", "docker-nat", "docker-nat-dnat", "docker-host", "kvm-1cpu"],
            mysql: ["native", "docker-host", "docker-nat", "docker-nat-dnat", "docker-nat-unionfs", "kvm-mysql"],
        },
        guests: {
            // All host CPUs and 35 % of its 256 GiB. The default CPU model: no <cpu> element at all (QEMU's own model, no AVX, as the paper's raw kvm).
            "kvm-untuned": { vcpus: 32, memoryMiB: 91750, xml: /^(?![\s\S]*<cpu[\s>])/, growGiB: 1 },
            // The host's topology; vCPU pairs (2k, 2k+1) on the hyperthread siblings (k, k+16), guest socket s on host socket s, as the paper's Linpack guest.
            "kvm-tuned": {
                vcpus: 32,
                memoryMiB: 91750,
                pin: Array.from({ length: 32 }, (_, v) => (v % 2 === 0 ? v / 2 : (v - 1) / 2 + 16)),
                xml: /<cpu mode='host-passthrough'[\s\S]*<topology sockets='2'( dies='1')? cores='8' threads='2'\/>/,
                growGiB: 1,
            },
            "kvm-nuttcp": { vcpus: 4, memoryMiB: 1024, xml: /<cpu mode='host-passthrough'/ },
            "kvm-1cpu": { vcpus: 1, memoryMiB: 1536, xml: /<cpu mode='host-passthrough'/ },
            "kvm-mysql": { vcpus: 32, memoryMiB: 16384, pin: Array.from({ length: 32 }, (_, v) => v), xml: /<model[^>]*>SandyBridge<\/model>/, growGiB: 1 },
            // The paper's 16 GB fio file and the guest's own writes beyond the base's free room, with ext4's share.
            "kvm-fio": { vcpus: 32, memoryMiB: 52428, xml: /cache='none' io='native'/, growGiB: 16 },
        },
        study: { cites: /Felter[\s\S]*RC25482/, sections: /Table I[\s\S]*Fig\. 1[\s\S]*Fig\. 9/ },
    },
    "felter2014-small": {
        host: SMALL_HOST,
        repetitions: 3,
        environments: ["native", "docker-nat", "docker-host", "docker-nat-dnat", "docker-nat-unionfs", "kvm-untuned", "kvm-tuned", "kvm-1cpu"],
        cells: {
            pxz: CPU4,
            linpack: CPU4,
            randomaccess: MEM3,
            "likwid-stream": MEM3,
            nuttcp: ["native", "docker-nat", "docker-host", "kvm-tuned"],
            netperf: ["native", "docker-nat", "docker-nat-dnat", "docker-host", "kvm-1cpu"],
            fio: ["native", "docker-nat", "docker-nat-unionfs", "kvm-tuned"],
            redis: ["native", "docker-nat", "docker-nat-dnat", "docker-host", "kvm-1cpu"],
            mysql: ["native", "docker-host", "docker-nat", "docker-nat-dnat", "docker-nat-unionfs", "kvm-tuned"],
        },
        guests: {
            "kvm-untuned": { vcpus: 2, memoryMiB: 2048 },
            "kvm-tuned": { vcpus: 2, memoryMiB: 2048, pin: [0, 1] },
            "kvm-1cpu": { vcpus: 1, memoryMiB: 1024 },
        },
        study: { cites: /Felter[\s\S]*RC25482/, sections: /Table I[\s\S]*Fig\. 9/ },
    },
    "flux7-2014": {
        host: SMALL_HOST,
        repetitions: 3,
        environments: ["native", "docker-nat", "kvm"],
        cells: Object.fromEntries(["lifecycle", "idle", "stress-ng-cpu", "iperf", "fio"].map((w) => [w, ["native", "docker-nat", "kvm"]])),
        guests: { kvm: { vcpus: 2, memoryMiB: 2048 } },
        study: { cites: /Flux7[\s\S]*2014/, sections: /Start and stop times[\s\S]*CPU Overhead[\s\S]*Network Throughput[\s\S]*Disk Bandwidth/ },
    },
    "kek-hepix2015": {
        host: SMALL_HOST,
        repetitions: 3,
        environments: ["native", "docker", "kvm"],
        cells: {
            lifecycle: ["docker", "kvm"],
            "sysbench-cpu": ["native", "docker", "kvm"],
            "sysbench-memory": ["native", "docker", "kvm"],
            "sysbench-fileio": ["native", "docker", "kvm"],
        },
        guests: { kvm: { vcpus: 1, memoryMiB: 1024, xml: /cache='none'/ } },
        study: { cites: /KEK[\s\S]*HEPiX Fall 2015/, sections: /Boot a server and then delete[\s\S]*Boot a server and run Sysbench/ },
    },
    stacking: {
        host: SMALL_HOST,
        repetitions: 3,
        environments: ["native", "docker-nat", "docker-limited", "kvm", "docker-in-kvm"],
        cells: Object.fromEntries(
            ["sysbench-cpu", "netperf", "redis", "fio"].map((w) => [w, ["native", "docker-nat", "docker-limited", "kvm", "docker-in-kvm"]]),
        ),
        guests: { kvm: { vcpus: 2, memoryMiB: 2048, pin: [0, 1] }, "docker-in-kvm": { vcpus: 2, memoryMiB: 2048, pin: [0, 1], growGiB: 5 } },
        study: { cites: /critique/, sections: /docker-in-kvm[\s\S]*stacked overhead/ },
    },
};

const registered: Registered[] = [];

describe("stack files (mocks)", function () {
    this.timeout(60000);

    before(async () => {
        await setRecordingMocks(registered, "stacks");
    });

    it("every stack file has expectations here", () => {
        assert.deepEqual(availableStacks(STACKS_DIR), Object.keys(EXPECTED).sort());
    });

    for (const [stack, want] of Object.entries(EXPECTED)) {
        describe(stack, () => {
            let exp: Experiment;
            before(async () => {
                registered.length = 0;
                const { declareExperiment } = await import("../../experiment/program");
                exp = declareExperiment(loadStackSpec(STACKS_DIR, stack, hostShapeOf(mockHost(want.host))), mockHost(want.host));
                await new Promise((resolve) => exp.overheadTable.apply(resolve));
            });

            if (want.study) {
                const study = want.study;
                it("opens with the study, the sections it reproduces and its deviations", () => {
                    const text = fs.readFileSync(path.join(STACKS_DIR, `Pulumi.${stack}.yaml`), "utf8");
                    const header = text.slice(0, text.indexOf("\nconfig:"));
                    assert.ok(
                        header.split("\n").every((l) => l.startsWith("#")),
                        "the header is one comment block",
                    );
                    assert.ok(header.startsWith(`# ${stack} — `), "the first line names the stack");
                    assert.match(header, study.cites);
                    assert.match(header, study.sections);
                    assert.match(header, /[Dd]eliberate deviations|deviations of felter2014/);
                    assert.match(header, /software emulation/, "says what happens where KVM cannot boot guests");
                    assert.match(header, /--allow-emulation/, "names the flag that allows emulation for one run");
                    if (stack === "felter2014-small")
                        assert.match(header, /compare 2 CPUs with the host's/, "says how its guests compare with a larger host's CPUs");
                });

                it("does not allow software emulation: a study's guests are KVM or the stack refuses", () => {
                    assert.equal(loadStackSpec(STACKS_DIR, stack, hostShapeOf(mockHost(want.host))).allowSoftwareEmulation, false);
                });
            }

            it("declares the environments in order", () => {
                assert.deepEqual(
                    exp.environments.map((e) => e.name),
                    want.environments,
                );
            });

            it("runs each workload in its environments, every repetition", () => {
                const perWorkload = new Map<string, Set<string>>();
                for (const id of exp.cellIds) {
                    const [workload, env] = id.split(".");
                    if (!perWorkload.has(workload)) perWorkload.set(workload, new Set());
                    perWorkload.get(workload)!.add(env);
                }
                assert.deepEqual(
                    Object.fromEntries([...perWorkload].map(([w, s]) => [w, [...s].sort()])),
                    Object.fromEntries(Object.entries(want.cells).map(([w, e]) => [w, [...e].sort()])),
                );
                const expected = Object.values(want.cells).reduce((n, e) => n + e.length, 0) * want.repetitions;
                assert.equal(exp.cellIds.length, expected);
                assert.equal(new Set(exp.cellIds).size, expected, "cell ids are unique");
            });

            it("serializes host probe, environment probes, cells and analysis in one chain", () => {
                const names = exp.chain.map((c) => c.name);
                assert.equal(names[0], "probe-host");
                assert.equal(names.filter((n) => n.startsWith("cell-")).length, exp.cellIds.length);
                for (const e of want.environments) assert.ok(names.includes(`probe-${e}`), `probe-${e} is in the chain`);
                for (let i = 1; i < exp.chain.length; i++) {
                    assert.ok(exp.chain[i].after.includes(exp.chain[i - 1].name), `${names[i]} must wait for ${names[i - 1]}`);
                }
                const probes = names.filter((n) => n.startsWith("probe-"));
                assert.ok(names.indexOf(probes[probes.length - 1]) < names.findIndex((n) => n.startsWith("cell-")), "every probe runs before the first cell");
            });

            if (stack === "felter2014") {
                it("Docker gets SYS_NICE for the hpcc workloads' numactl --interleave, and says so in its variant", () => {
                    assert.match(registered.find((r) => r.name === "docker-nat-container")!.inputs.create as string, /'--cap-add' 'SYS_NICE'/);
                    assert.match(exp.environments.find((e) => e.name === "docker-nat")!.variant, /cap=SYS_NICE/);
                    assert.doesNotMatch(exp.environments.find((e) => e.name === "docker-host")!.variant, /cap=/, "docker-host runs no hpcc workload");
                });
            }

            it("native's data directory is a resource, so destroy removes it", () => {
                const data = registered.find((r) => r.name === "native-data");
                if (!want.environments.includes("native")) return assert.equal(data, undefined);
                assert.equal(data!.inputs.delete, `rm -rf '/var/tmp/isobench-data/${stack}'`);
            });

            it("sizes every guest as the study did", () => {
                const domains = registered.filter((r) => r.name.endsWith("-domain")).map((r) => r.name.slice(0, -"-domain".length));
                assert.deepEqual(domains.sort(), Object.keys(want.guests).sort());
                for (const [name, g] of Object.entries(want.guests)) {
                    const xml = registered.find((r) => r.name === `${name}-domain`)!.inputs.environment!.ISOBENCH_DOMAIN_XML;
                    assert.match(xml, new RegExp(`<vcpu placement='static'>${g.vcpus}</vcpu>`), `${name}: vcpus`);
                    assert.match(xml, new RegExp(`<memory unit='MiB'>${g.memoryMiB}</memory>`), `${name}: memory`);
                    const pins = [...xml.matchAll(/<vcpupin vcpu='(\d+)' cpuset='(\d+)'\/>/g)].map((m) => Number(m[2]));
                    assert.deepEqual(pins, g.pin ?? [], `${name}: vCPU pinning`);
                    if (g.xml) assert.match(xml, g.xml, `${name}: domain XML`);
                    assert.match(xml, new RegExp(`<domain type='${want.host.accel === "kvm" ? "kvm" : "qemu"}'`), `${name}: accelerator`);
                    const create = registered.find((r) => r.name === `${name}-domain`)!.inputs.create as string;
                    const grow = (g.growGiB ?? 0) * 2 ** 30;
                    if (grow > 0) {
                        assert.match(create, new RegExp(`' create '[^']+' '[^']+' '[^']+' '[^']+' ${grow}\n`), `${name}: disk grown by ${g.growGiB} GiB`);
                        assert.match(create, / grow-root '/, `${name}: root filesystem grown`);
                    } else {
                        assert.doesNotMatch(create, /grow-root/, `${name}: disk as built`);
                    }
                }
            });
        });
    }
});
