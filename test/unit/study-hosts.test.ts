/**
 * The published setups on the servers they were written for, without having them (issue 19 part
 * 5): the felter2014, flux7-2014 and kek-hepix2015 stacks read, planned and declared under Pulumi
 * mocks against described hosts — the IBM study's server (2 sockets × 8 cores × 2 threads,
 * 256 GiB, 2 NUMA nodes, KVM and vhost-net) and a one-socket 16-thread 64 GiB server. The plan
 * fits or refuses as it should, pinning lands on hyperthread siblings of the right socket, guest
 * disks hold their files, expected durations are printed.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { mockHost, Registered, setRecordingMocks } from "../helpers/mock-program";
import { describedHost } from "../../experiment/described-host";
import { loadStackSpec } from "../../experiment/stack-file";
import { hostShapeOf } from "../../core/host-shape";
import { formatResourcePlan, resourcePlan, ResourcePlan } from "../../experiment/resource-plan";
import { capacityProblems } from "../../experiment/guest-capacity";
import type { Experiment, HostContext } from "../../experiment/program";
import type { ExperimentSpec } from "../../experiment/spec";

const STACKS = path.join(__dirname, "..", "..", "stacks");
const GiB = 2 ** 30;

/** The IBM study's server: CPUs 0-7 and 16-23 on socket 0, 8-15 and 24-31 on socket 1 (siblings k, k+16). */
const PAPER: HostContext = mockHost(describedHost("2x8x2,256g"));
/** One socket of 8 cores × 2 threads (siblings k, k+8), 64 GiB, KVM and vhost-net. */
const ONE_SOCKET: HostContext = mockHost(describedHost("1x8x2,64g"));

const registered: Registered[] = [];

async function declare(spec: ExperimentSpec, host: HostContext): Promise<Experiment> {
    registered.length = 0;
    const { declareExperiment } = await import("../../experiment/program");
    const exp = declareExperiment(spec, host);
    await new Promise((resolve) => exp.overheadTable.apply(resolve));
    return exp;
}

const domain = (name: string) => registered.find((r) => r.name === `${name}-domain`)!;
const xmlOf = (name: string) => domain(name).inputs.environment!.ISOBENCH_DOMAIN_XML;
const pins = (name: string) => [...xmlOf(name).matchAll(/<vcpupin vcpu='(\d+)' cpuset='(\d+)'\/>/g)].map((m) => Number(m[2]));
const load = (stack: string, host: HostContext) => loadStackSpec(STACKS, stack, hostShapeOf(host));

/** Each workload's line of the plan as printed, with its expected time. */
function expectedTimes(p: ResourcePlan): Map<string, string> {
    const text = formatResourcePlan(p);
    return new Map(p.workloads.map((w) => [w.name, new RegExp(`\\n {2}${w.name} +${w.cells} +.*? {2}(\\d[^\\n]*)\\n`).exec(text)?.[1] ?? ""]));
}

describe("the study stacks on the servers they were written for (described hosts, mocks)", function () {
    this.timeout(60000);
    before(() => setRecordingMocks(registered, "studies"));

    describe("felter2014 on the IBM study's server (2 × 8 cores × 2 threads, 256 GiB, 2 NUMA nodes)", () => {
        let spec: ExperimentSpec;
        let exp: Experiment;
        before(async () => {
            spec = load("felter2014", PAPER);
            exp = await declare(spec, PAPER);
        });

        it("fits with every guest up at once, and the plan prints the expected time of every workload", () => {
            const p = resourcePlan(spec, PAPER);
            assert.deepEqual(p.problems, []);
            assert.equal(p.verdict, "fits");
            assert.equal(p.together.guests, 6);
            assert.ok(p.together.memoryMiB <= 256 * 1024 - 512, `${p.together.memoryMiB} MiB of guests`);
            assert.equal(
                p.workloads.reduce((s, w) => s + w.cells, 0),
                380,
            );
            const times = expectedTimes(p);
            for (const [w, t] of times) assert.match(t, /^\d+(\.\d)? (s|min|h|days \(\d+ h\)) {2}\[parameters\]$/, `${w}: ${t}`);
            // MySQL's sweep alone: 15 thread counts × 60 s in 6 environments × 10 repetitions, plus its prepare and the cells' overhead.
            const mysql = p.workloads.find((w) => w.name === "mysql")!;
            assert.ok(mysql.seconds >= 15 * 60 * 60, `mysql ${mysql.seconds} s`);
            assert.match(
                formatResourcePlan(p),
                /\n {2}total +380 +\d+\.\d days \(\d+ h\), plus provisioning, probes, 60 s of host stability probe before each up pass and the analysis\n/,
            );
            assert.deepEqual(p.notes, [], "every CPU-wide workload's guest has all the host's CPUs");
        });

        it("sizes the CPU and memory guests to the host: all 32 CPUs, 35 % of its memory, its 2s8c2t topology", () => {
            for (const g of ["kvm-untuned", "kvm-tuned"]) {
                assert.match(xmlOf(g), /<vcpu placement='static'>32<\/vcpu>/);
                assert.match(xmlOf(g), /<memory unit='MiB'>91750<\/memory>/);
            }
            assert.match(xmlOf("kvm-tuned"), /<topology sockets='2'( dies='1')? cores='8' threads='2'\/>/);
            const tuned = exp.environments.find((e) => e.name === "kvm-tuned")!;
            assert.match(tuned.variant, /^vcpus=32;mem=91750m;cpu=host-passthrough;topo=2s8c2t;pin=1:1;emu=shared;net=vhost;/);
            assert.equal(tuned.recorded?.guest_sizing, "vcpus host → 32; memory 35% → 91750 MiB; topology host → 2s8c2t");
        });

        it("pins the tuned guest's vCPU pairs on hyperthread siblings, guest socket s on host socket s", () => {
            const p = pins("kvm-tuned");
            assert.equal(p.length, 32);
            const socketOf = (cpu: number) => PAPER.cpuPackages![cpu];
            for (let v = 0; v < 32; v += 2) {
                assert.deepEqual(
                    PAPER.cpuSiblings!.find((core) => core.includes(p[v])),
                    [p[v], p[v + 1]],
                    `vCPUs ${v} and ${v + 1} on the two threads of one core`,
                );
                assert.equal(socketOf(p[v]), v < 16 ? 0 : 1, `vCPU ${v} (guest socket ${v < 16 ? 0 : 1}) on host socket ${v < 16 ? 0 : 1}`);
            }
            assert.equal(new Set(p).size, 32, "every host CPU once");
        });

        it("grows the fio guest's disk to hold the paper's 16 GB file, and the plan says what each workload writes there", () => {
            const create = domain("kvm-fio").inputs.create as string;
            assert.match(create, new RegExp(`' create '[^']+' '[^']+' '[^']+' '[^']+kvm-fio\\.qcow2' ${16 * GiB}\\n`));
            assert.match(create, / grow-root 'isobench-felter2014-kvm-fio' /);
            const fio = resourcePlan(spec, PAPER).environments.find((e) => e.name === "kvm-fio")!;
            assert.deepEqual(
                fio.writes.map((w) => [w.workload, w.bytes]),
                [["fio", 16 * GiB]],
            );
            assert.equal(exp.environments.find((e) => e.name === "kvm-fio")!.recorded?.guest_disk?.startsWith("+16.0 GiB for fio 16.0 GiB"), true);
        });

        it("the MySQL guest has every CPU pinned 1:1 with the paper's SandyBridge model and 16 GiB", () => {
            assert.deepEqual(
                pins("kvm-mysql"),
                Array.from({ length: 32 }, (_, v) => v),
            );
            assert.match(xmlOf("kvm-mysql"), /<model[^>]*>SandyBridge<\/model>/);
            assert.match(xmlOf("kvm-mysql"), /<memory unit='MiB'>16384<\/memory>/);
        });
    });

    describe("felter2014 on a two-socket server with SMT off (2 × 16 cores × 1 thread, 256 GiB): no hand change", () => {
        const NO_SMT: HostContext = mockHost(describedHost("2x16x1,256g"));
        let spec: ExperimentSpec;
        before(async () => {
            spec = load("felter2014", NO_SMT);
            await declare(spec, NO_SMT);
        });

        it("fits, and the tuned guest has the host's topology with each vCPU on a core of its own, guest socket s on host socket s", () => {
            assert.deepEqual(resourcePlan(spec, NO_SMT).problems, []);
            assert.match(xmlOf("kvm-tuned"), /<topology sockets='2'( dies='1')? cores='16' threads='1'\/>/);
            const p = pins("kvm-tuned");
            assert.equal(p.length, 32);
            assert.equal(new Set(p).size, 32, "every host CPU once");
            for (let v = 0; v < 32; v++) assert.equal(NO_SMT.cpuPackages![p[v]], v < 16 ? 0 : 1, `vCPU ${v} on host socket ${v < 16 ? 0 : 1}`);
        });
    });

    describe("felter2014 on a one-socket server (8 cores × 2 threads, 64 GiB)", () => {
        let spec: ExperimentSpec;
        before(async () => {
            spec = load("felter2014", ONE_SOCKET);
            await declare(spec, ONE_SOCKET);
        });

        it("follows the host: 16 vCPUs in one socket of 8 cores × 2 threads, pinned on its siblings", () => {
            assert.match(xmlOf("kvm-tuned"), /<vcpu placement='static'>16<\/vcpu>/);
            assert.match(xmlOf("kvm-tuned"), /<topology sockets='1'( dies='1')? cores='8' threads='2'\/>/);
            assert.deepEqual(pins("kvm-tuned"), [0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15]);
        });

        it("isobench:schedule: auto makes it grouped here; written interleaved, the plan and up's preflight refuse it with the numbers and the fix", () => {
            assert.equal(spec.schedule, "grouped");
            assert.match(spec.scheduleWhy!, /^isobench:schedule: auto: the guests' \d+ MiB do not fit this host's 65536 MiB together/);
            assert.equal(load("felter2014", PAPER).schedule, "interleaved", "on the paper's server they fit together");
            const interleaved = { ...spec, schedule: "interleaved" as const };
            const p = resourcePlan(interleaved, ONE_SOCKET);
            assert.equal(p.verdict, "needs isobench:schedule: grouped");
            assert.equal(p.problems.length, 1);
            assert.match(
                p.problems[0],
                /^the 6 guests are up together for the whole run and need \d+ MiB together .*kvm-untuned 22937 MiB at isobench:environments\.5\.memory = "35%".* but the host has MemTotal 65536 MiB, of which 65024 MiB can go to guests .* Fix: set isobench:schedule: grouped \(one guest up at a time: the largest needs 22937 MiB.*\), or lower their memory \(memoryMiB, or memory: "<n>%" of the host\) until they add up to at most 65024 MiB/,
            );
            assert.deepEqual(capacityProblems(interleaved, { cpuCount: 16, memTotalMiB: 64 * 1024 }), p.problems, "up refuses on the same check");
            assert.match(formatResourcePlan(p), /\nverdict: needs isobench:schedule: grouped\n {2}- the 6 guests/);
        });

        it("fits under isobench:schedule: grouped: one guest of at most 22937 MiB at once, 60 planned boots (6 guests × 10 repetitions)", () => {
            const grouped = { ...spec, schedule: "grouped" as const };
            const p = resourcePlan(grouped, ONE_SOCKET);
            assert.equal(p.verdict, "fits");
            assert.deepEqual(p.together, { guests: 1, memoryMiB: 22937, vcpus: 16 });
            assert.equal(p.boots!.count, 60);
            assert.deepEqual(capacityProblems(grouped, { cpuCount: 16, memTotalMiB: 64 * 1024 }), [], "up admits it");
        });
    });

    describe("felter2014-small on the IBM study's server", () => {
        it("fits, and the plan says that its 2-vCPU guests are compared with native on 32 CPUs in the workloads that use every CPU", () => {
            const p = resourcePlan(load("felter2014-small", PAPER), PAPER);
            assert.equal(p.verdict, "fits");
            assert.deepEqual(
                p.notes.map((n) => n.split(":")[0]),
                [
                    "pxz runs one thread or process per CPU",
                    "linpack runs one thread or process per CPU",
                    "randomaccess runs one thread or process per CPU",
                    "likwid-stream runs one thread or process per CPU",
                ],
            );
            assert.match(
                p.notes[1],
                /kvm-untuned has 2 vCPUs, kvm-tuned has 2 vCPUs, but native, docker-nat use 32 host CPUs, so its ratios to native compare 2 CPUs with 32/,
            );
        });
    });

    for (const [stack, guest, small] of [
        ["flux7-2014", "kvm", { vcpus: 2, memoryMiB: 2048 }],
        ["kek-hepix2015", "kvm", { vcpus: 1, memoryMiB: 1024 }],
    ] as const) {
        for (const [label, host, cpus] of [
            ["the IBM study's server", PAPER, 32],
            ["a one-socket server", ONE_SOCKET, 16],
        ] as const) {
            describe(`${stack} on ${label}`, () => {
                let spec: ExperimentSpec;
                before(async () => {
                    spec = load(stack, host);
                    await declare(spec, host);
                });

                it("fits, under KVM, with the study's guest size and expected times printed", () => {
                    const p = resourcePlan(spec, host);
                    assert.deepEqual(p.problems, []);
                    assert.equal(p.verdict, "fits");
                    assert.match(xmlOf(guest), /^<domain type='kvm'/);
                    assert.match(xmlOf(guest), new RegExp(`<vcpu placement='static'>${small.vcpus}</vcpu>`));
                    assert.match(xmlOf(guest), new RegExp(`<memory unit='MiB'>${small.memoryMiB}</memory>`));
                    for (const [w, t] of expectedTimes(p)) assert.match(t, /^\d+(\.\d)? (s|min|h) {2}\[parameters\]$/, `${w}: ${t}`);
                    // The guest's disk holds its files without growing (64 MiB and 32 MiB files).
                    assert.doesNotMatch(domain(guest).inputs.create as string, /grow-root/);
                });

                if (stack === "flux7-2014") {
                    it("says that its 2-vCPU guest is compared with native on every host CPU in stress-ng's all-CPU test", () => {
                        assert.deepEqual(resourcePlan(spec, host).notes, [
                            `stress-ng-cpu runs one thread or process per CPU: kvm has 2 vCPUs, but native, docker-nat use ${cpus} host CPUs, so its ratios to native compare 2 CPUs with ${cpus}, not only virtualisation`,
                        ]);
                    });
                }
            });
        }
    }
});
