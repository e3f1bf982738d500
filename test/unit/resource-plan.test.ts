/**
 * The plan of a stack on a host (experiment/resource-plan.ts), the expected duration of a cell
 * (experiment/cell-limit.ts), earlier runs' durations (experiment/cell-history.ts) and described
 * hosts (experiment/described-host.ts), without any daemon.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mockHost } from "../helpers/mock-program";
import { parseSpec } from "../../experiment/spec";
import { resourcePlan, formatResourcePlan, formatDuration, summarizePlan, PLANNED_BOOT_S } from "../../experiment/resource-plan";
import { expectedCellS } from "../../experiment/cell-limit";
import { EarlierCell, earlierRunsPrior, historyKey, paramsPrior, PRIOR_OVERHEAD_S } from "../../experiment/progress-plan";
import { DEFAULT_CLASS_FACTOR, DEFAULT_GAP_S, ProgressModel } from "../../experiment/progress-model";
import { describedHost } from "../../experiment/described-host";
import { readCellHistory, readShippedHistory, withShipped } from "../../experiment/cell-history";
import { DISK_MARGIN_BYTES } from "../../experiment/disk-plan";
import { UsageError, UserError } from "../../core/errors";
import { REPO_ROOT } from "../../core/paths";
import { parseCommandLine } from "../../experiment/cli-args";
import { planCommand } from "../../experiment/plan-command";

const GiB = 1024 ** 3;

const small = (over: Record<string, unknown> = {}) =>
    parseSpec("plantest", {
        runId: "r1",
        environments: ["native", "docker-nat", { name: "kvm", kind: "kvm", vcpus: 2, memoryMiB: 2048 }],
        workloads: [
            { name: "sysbench-cpu", params: { timeSeconds: 5 } },
            { name: "pxz", params: { sizeMB: 2 } },
            { name: "fio", params: { size: "64m", runtimeSeconds: 2 }, environments: ["native", "kvm"] },
        ],
        ...over,
    });

describe("a cell's expected duration (experiment/cell-limit.ts, experiment/progress-plan.ts)", () => {
    const redisSpec = (requests: number) =>
        parseSpec("priortest", {
            runId: "r1",
            environments: ["native", { name: "kvm", kind: "kvm", vcpus: 2, memoryMiB: 2048 }],
            workloads: [{ name: "redis", params: { requests, clients: "10", tests: "get" } }],
        });
    const spec = redisSpec(20000);
    const cell = (environment: string, kind: "native" | "kvm") => ({
        id: `redis.${environment}.r1`,
        workload: "redis",
        environment,
        kind,
        lengthFixedBy: "work" as const,
    });

    it("without earlier runs, the parameters' estimate plus a cell's overhead", () => {
        const prior = earlierRunsPrior(spec, 2, "tcg", new Map());
        assert.equal(prior(cell("native", "native")), paramsPrior(spec, 2)(cell("native", "native")));
        assert.equal(prior(cell("native", "native")), expectedCellS(spec.workloads[0], 2)! + PRIOR_OVERHEAD_S);
    });

    it("earlier runs of the workload in the same kind of environment under the same accelerator scale it by their median of took/expected", () => {
        const p = paramsPrior(spec, 2)(cell("kvm", "kvm")) as number;
        const history = new Map([
            // Other parameters (a prior of 100 s) that took 3, 5 and 40 times their prior: the median, 5.
            [historyKey("redis", "kvm", "tcg"), [300, 500, 4000].map((seconds) => ({ seconds, priorS: 100 }))],
            // KVM's history says nothing of an emulated guest where the emulated guest has its own.
            [historyKey("redis", "kvm", "kvm"), [{ seconds: 1, priorS: 100 }]],
        ]);
        const prior = earlierRunsPrior(spec, 2, "tcg", history);
        assert.deepEqual(prior(cell("kvm", "kvm")), { earlierS: 5 * p });
        assert.deepEqual(earlierRunsPrior(spec, 2, "kvm", history)(cell("kvm", "kvm")), { earlierS: p / 100 });
        // Twice the requests: twice the earlier runs' figure.
        const twice = redisSpec(40000);
        const p2 = paramsPrior(twice, 2)(cell("kvm", "kvm")) as number;
        assert.ok(Math.abs(p2 - PRIOR_OVERHEAD_S - 2 * (p - PRIOR_OVERHEAD_S)) < 1e-9);
        assert.deepEqual(earlierRunsPrior(twice, 2, "tcg", history)(cell("kvm", "kvm")), { earlierS: 5 * p2 });
    });

    it("takes this machine's cells first (same kind, same class as they are, another class through the default factors), then the shipped runs' in the same order; all but the first approximate", () => {
        const p = (kind: "native" | "kvm") => paramsPrior(spec, 2)(cell(kind, kind)) as number;
        const approx = { approximate: true } as const;
        // Natively the cells took a tenth of their prior: an emulated guest is expected 10 times that, a KVM guest 1.2 times.
        const local = new Map([[historyKey("redis", "native", "none"), [{ seconds: 10, priorS: 100 }]]]);
        assert.deepEqual(earlierRunsPrior(spec, 2, "tcg", local)(cell("kvm", "kvm")), { earlierS: p("kvm") * 0.1 * DEFAULT_CLASS_FACTOR.emulated, ...approx });
        assert.deepEqual(earlierRunsPrior(spec, 2, "kvm", local)(cell("kvm", "kvm")), { earlierS: p("kvm") * 0.1 * DEFAULT_CLASS_FACTOR.guest, ...approx });
        const timed = { ...cell("kvm", "kvm"), lengthFixedBy: "time" as const };
        assert.deepEqual(
            earlierRunsPrior(spec, 2, "tcg", local)(timed),
            { earlierS: p("kvm") * 0.1, ...approx },
            "a time-bound cell lasts its time in every class",
        );
        // Docker's cells stand for native's as they are: one class, the host's.
        const docker = new Map([[historyKey("redis", "docker", "none"), [{ seconds: 20, priorS: 100 }]]]);
        assert.deepEqual(earlierRunsPrior(spec, 2, "kvm", docker)(cell("native", "native")), { earlierS: p("native") * 0.2, ...approx });
        // The shipped runs fill in the kinds this machine lacks, say so, and come after all of this machine's own.
        const shipped = new Map([
            [historyKey("redis", "kvm", "tcg"), [{ seconds: 30, priorS: 100, shipped: true }]],
            [historyKey("redis", "native", "none"), [{ seconds: 99, priorS: 100, shipped: true }]],
        ]);
        const merged = withShipped(local, shipped);
        assert.deepEqual(merged.get(historyKey("redis", "native", "none")), local.get(historyKey("redis", "native", "none")));
        assert.deepEqual(earlierRunsPrior(spec, 2, "tcg", merged)(cell("native", "native")), { earlierS: p("native") * 0.1 });
        assert.deepEqual(
            earlierRunsPrior(spec, 2, "tcg", merged)(cell("kvm", "kvm")),
            { earlierS: p("kvm") * 0.1 * DEFAULT_CLASS_FACTOR.emulated, ...approx },
            "this machine's native cells before the shipped emulated ones",
        );
        const fresh = withShipped(new Map(), shipped);
        assert.deepEqual(earlierRunsPrior(spec, 2, "tcg", fresh)(cell("kvm", "kvm")), { earlierS: p("kvm") * 0.3, shipped: true, ...approx });
        assert.deepEqual(earlierRunsPrior(spec, 2, "tcg", fresh)(cell("native", "native")), { earlierS: p("native") * 0.99, shipped: true, ...approx });
    });

    it("the progress model corrects approximate figures by what the run measures: another class of the workload first, else the run's ratio to such figures", () => {
        const plan = [
            { id: "redis.native.r1", workload: "redis", environment: "native", kind: "native" as const, lengthFixedBy: "work" as const },
            { id: "pxz.native.r1", workload: "pxz", environment: "native", kind: "native" as const, lengthFixedBy: "work" as const },
        ];
        const model = new ProgressModel(plan, {
            prior: (c) => ({ earlierS: c.workload === "redis" ? 100 : 40, shipped: true, approximate: true }),
            hostAccel: "kvm",
            startedAt: 0,
        });
        assert.equal(model.expectedS(plan[1]), 40, "nothing measured yet: the figure as it is");
        // Redis took half the shipped figure here: pxz's is halved too.
        model.learn([
            { kind: "start", at: 0, cell: "redis.native.r1", accel: "none" },
            { kind: "done", at: 50_000, cell: "redis.native.r1", seconds: 50 },
        ]);
        assert.equal(model.expectedS(plan[1]), 20);
        // This machine's own figure for the same kind is taken as it is.
        const exact = new ProgressModel(plan, { prior: (c) => ({ earlierS: c.workload === "redis" ? 100 : 40 }), hostAccel: "kvm", startedAt: 0 });
        exact.learn([
            { kind: "start", at: 0, cell: "redis.native.r1", accel: "none" },
            { kind: "done", at: 50_000, cell: "redis.native.r1", seconds: 50 },
        ]);
        assert.equal(exact.expectedS(plan[1]), 40);
    });

    it("reads the runs shipped in docs/results as history, every cell marked shipped, emulated guests' under tcg", () => {
        const h = readShippedHistory(path.join(REPO_ROOT, "docs", "results"), new Set(["redis"]));
        const tcg = h.get(historyKey("redis", "kvm", "tcg"))!;
        assert.ok(tcg.length >= 9, `the felter2014-small runs' emulated Redis cells: ${tcg.length}`);
        assert.ok([...h.values()].flat().every((c) => c.shipped === true && c.seconds > 0 && c.priorS > 0));
        assert.ok((h.get(historyKey("redis", "native", "none")) ?? []).length >= 9);
        assert.equal(h.get(historyKey("redis", "kvm", "kvm")), undefined, "no shipped run had a guest under KVM");
    });

    it("work spread over one process or thread per CPU is divided among the environment's CPUs when they are known", () => {
        const hpl = { name: "linpack", params: { n: 10000 } };
        assert.ok(Math.abs(expectedCellS(hpl, 32)! - expectedCellS(hpl)! / 32) < 1e-6);
        // An explicit count is the count, whatever the CPUs.
        assert.equal(
            expectedCellS({ name: "linpack", params: { n: 10000, processes: 2 } }, 32),
            expectedCellS({ name: "linpack", params: { n: 10000, processes: 2 } }),
        );
        assert.ok(expectedCellS({ name: "pxz", params: {} }, 16)! < expectedCellS({ name: "pxz", params: {} })!);
    });
});

describe("described hosts (experiment/described-host.ts)", () => {
    it("2x8x2,256g: the IBM study's server, hyperthread siblings k and k+16 on the socket of core k", () => {
        const h = describedHost("2x8x2,256g");
        assert.equal(h.hostCpuCount, 32);
        assert.equal(h.memTotalMiB, 256 * 1024);
        assert.deepEqual(h.numaNodes, [0, 1]);
        assert.deepEqual(h.cpuSiblings![0], [0, 16]);
        assert.deepEqual(h.cpuSiblings![8], [8, 24]);
        assert.deepEqual([h.cpuPackages![0], h.cpuPackages![7], h.cpuPackages![8], h.cpuPackages![16], h.cpuPackages![24]], [0, 0, 1, 0, 1]);
        assert.equal(h.accel, "kvm");
        assert.equal(h.vhostAvailable, true);
    });

    it("1x8x2,64g,tcg,no-vhost", () => {
        const h = describedHost("1x8x2,64g,tcg,no-vhost");
        assert.equal(h.hostCpuCount, 16);
        assert.deepEqual(h.cpuSiblings![3], [3, 11]);
        assert.deepEqual(h.numaNodes, [0]);
        assert.equal(h.accel, "tcg");
        assert.equal(h.vhostAvailable, false);
    });

    it("refuses what is not a description, naming the syntax", () => {
        for (const bad of ["2x8x2", "2x8,256g", "2x8x2,256", "2x8x2,256g,fast", "0x8x2,1g"]) {
            assert.throws(
                () => describedHost(bad),
                (e: Error) => e instanceof UserError && /--host: ".*" is not a host description\. Write <sockets>x/.test(e.message),
                bad,
            );
        }
    });
});

describe("the resource plan (experiment/resource-plan.ts)", () => {
    const host = mockHost({ accel: "kvm", memTotalMiB: 24 * 1024, hostCpuCount: 2 });

    it("counts cells per workload and expects their time from the parameters, in all and per workload", () => {
        const p = resourcePlan(small(), host);
        assert.deepEqual(
            p.workloads.map((w) => [w.name, w.cells, w.measured, w.unknown, w.fromHistory]),
            [
                ["sysbench-cpu", 9, 0, 0, 0],
                ["pxz", 9, 0, 0, 0],
                ["fio", 6, 0, 0, 0],
            ],
        );
        const cpu = p.workloads[0];
        // sysbench-cpu's length is its timeSeconds in every environment: 5 s, a cell's overhead, the gap to the next.
        assert.equal(cpu.seconds, 9 * (5 + PRIOR_OVERHEAD_S + DEFAULT_GAP_S));
        assert.equal(
            p.totalS,
            p.workloads.reduce((s, w) => s + w.seconds, 0),
        );
        assert.equal(p.verdict, "fits");
        assert.deepEqual(p.problems, []);
        assert.deepEqual(p.together, { guests: 1, memoryMiB: 2048, vcpus: 2 });
        const text = formatResourcePlan(p);
        assert.match(
            text,
            /^stack plantest, run r1: 3 repetitions\nhost: 2 CPUs \(2 cores × 1 thread\), 1 NUMA node, MemTotal 24576 MiB, guests under KVM, no vhost-net\n/,
        );
        assert.match(text, /\n {2}sysbench-cpu +9 +native, docker-nat, kvm +81 s {2}\[parameters\]\n/);
        assert.match(text, /\n {2}total +24 +\d+ min, plus provisioning, probes, 60 s of host stability probe before each up pass and the analysis\n/);
        assert.match(
            text,
            /\n {2}kvm +kvm +2 vCPUs, 2048 MiB +pxz 2\.0 MiB .*; fio 64\.0 MiB \(isobench:workloads\.2\.params\.size = 64m; removed after each cell\)\n/,
        );
        assert.match(text, /\nverdict: fits$/);
        assert.match(
            summarizePlan(p),
            /^plan: 24 cells, expected \d+ min \(from the parameters, which err long; isobench plan plantest itemises it\); 1 guest up at once with 2048 MiB$/,
        );
    });

    it("takes what earlier runs of the workload took on this host, per kind of environment and accelerator, and leaves out measured cells", () => {
        const spec = small();
        const twice = (kind: string, accel: string): [string, EarlierCell[]] => [historyKey("sysbench-cpu", kind, accel), [{ seconds: 14, priorS: 7 }]];
        // A KVM guest's history, an emulated guest's (not this host's accelerator) for fio.
        const history = new Map<string, EarlierCell[]>([
            twice("native", "none"),
            twice("docker", "none"),
            twice("kvm", "kvm"),
            [historyKey("fio", "kvm", "tcg"), [{ seconds: 1, priorS: 100 }]],
        ]);
        const measured = new Set(["sysbench-cpu.native.r1"]);
        const p = resourcePlan(spec, host, { history, measured });
        const cpu = p.workloads.find((w) => w.name === "sysbench-cpu")!;
        // Twice the prior of 5 s + 2 s, and the gap.
        assert.deepEqual([cpu.cells, cpu.measured, cpu.fromHistory, cpu.seconds], [9, 1, 8, 8 * (14 + DEFAULT_GAP_S)]);
        // fio ran only in an emulated guest: its cells here take that figure through the classes' factors.
        const fio = p.workloads.find((w) => w.name === "fio")!;
        assert.equal(fio.fromHistory, fio.cells);
        assert.match(formatResourcePlan(p), /\n {2}sysbench-cpu +9 \(1 measured\) +native, docker-nat, kvm +2 min {2}\[earlier runs\]\n/);
        assert.match(summarizePlan(p), /\(14 cell\(s\) from earlier runs, the rest from the parameters, which err long; isobench plan \S+ itemises it\)/);
        // Every cell left timed from earlier runs: no "rest" from the parameters.
        const all = new Map(spec.workloads.map((w) => [historyKey(w.name, "native", "none"), [{ seconds: 5, priorS: 10 }]]));
        assert.match(summarizePlan(resourcePlan(spec, host, { history: all, measured })), /\(23 cell\(s\) from earlier runs; isobench plan \S+ itemises it\)/);
    });

    it("without earlier runs, work in an emulated guest is expected the default class factor longer; a timed cell lasts its time", () => {
        const kvm = resourcePlan(small(), host).workloads;
        const tcg = resourcePlan(small(), { ...host, accel: "tcg" }).workloads;
        assert.equal(tcg[0].seconds, kvm[0].seconds, "sysbench-cpu's timeSeconds");
        const pxz = paramsPrior(small(), 2)({ id: "pxz.kvm.r1", workload: "pxz", environment: "kvm", kind: "kvm", lengthFixedBy: "work" }) as number;
        assert.ok(Math.abs(tcg[1].seconds - kvm[1].seconds - 3 * pxz * (DEFAULT_CLASS_FACTOR.emulated - DEFAULT_CLASS_FACTOR.guest)) < 1e-6);
    });

    it("with isobench:precision: what its repetitions may add beyond the total, only to the workloads it judges, never to emulated guests", () => {
        const spec = small({ precision: { relativeHalfWidth: 0.05, maxRepetitions: 5 } });
        const tcg = { ...host, accel: "tcg" as const };
        const p = resourcePlan(spec, tcg, { precisionWorkloads: new Set(["sysbench-cpu", "fio"]) });
        // sysbench-cpu: native and docker-nat (kvm is emulated), 2 more repetitions each; fio: native only.
        const cpuCell = 5 + PRIOR_OVERHEAD_S + DEFAULT_GAP_S;
        assert.deepEqual(
            { ...p.precision!, seconds: undefined },
            { relativeHalfWidth: 0.05, cap: 5, cells: 2 * 2 + 2 * 1, seconds: undefined, unknownCells: 0, workloads: ["sysbench-cpu", "fio"] },
        );
        const fioNative = paramsPrior(
            spec,
            2,
        )({ id: "fio.native.r1", workload: "fio", environment: "native", kind: "native", lengthFixedBy: "work" }) as number;
        assert.ok(Math.abs(p.precision!.seconds - (2 * 2 * cpuCell + 2 * (fioNative + DEFAULT_GAP_S))) < 1e-6, String(p.precision!.seconds));
        assert.equal(
            p.totalS,
            p.workloads.reduce((s, w) => s + w.seconds, 0),
            "the bound is not in the total",
        );
        const text = formatResourcePlan(p);
        assert.match(
            text,
            /^stack plantest, run r1: 3 repetitions; isobench:precision \(±5 %\) may add repetitions up to 5 per cell to sysbench-cpu, fio, in their environments not under emulation \(6 cells at most\)\n/,
        );
        assert.match(text, /\n {2}total +24 +\d+ min; up to \d+ min if the precision goal adds all 6 cells it may, plus provisioning/);
        assert.match(summarizePlan(p), /^plan: 24 cells, expected \d+ min, up to \d+ min with every repetition isobench:precision may add \(/);
        // Repetitions added already count toward the cap; without a goal there is no bound.
        const resumed = small({ precision: { relativeHalfWidth: 0.05, maxRepetitions: 5 } });
        const added = {
            ...resumed,
            addedRepetitions: [4, 5].map((repetition) => ({
                workload: "sysbench-cpu",
                repetition,
                environments: ["native", "docker-nat"],
                at: "",
                reason: "",
            })),
        };
        assert.deepEqual(resourcePlan(added, tcg, { precisionWorkloads: new Set(["sysbench-cpu"]) }).precision, undefined);
        const partly = { ...resumed, addedRepetitions: [added.addedRepetitions[0]] };
        const one = resourcePlan(partly, tcg, { precisionWorkloads: new Set(["sysbench-cpu"]) });
        assert.deepEqual([one.precision!.cells, one.precision!.seconds], [2, 2 * cpuCell], "repetition 4 added: one more (5) at most, in two environments");
        assert.equal(one.workloads[0].cells, 9 + 2, "the added repetition is planned, in the total");
        assert.equal(resourcePlan(small(), tcg).precision, undefined);
    });

    it("under grouped, the precision goal's bound counts a boot per guest and added repetition, shared by the guest's workloads", () => {
        const spec = small({ precision: { relativeHalfWidth: 0.05, maxRepetitions: 5 }, schedule: "grouped" });
        const p = resourcePlan(spec, host, { precisionWorkloads: new Set(["sysbench-cpu", "fio"]) });
        const interleaved = resourcePlan({ ...spec, schedule: "interleaved" }, host, { precisionWorkloads: new Set(["sysbench-cpu", "fio"]) });
        // Both workloads run in the guest kvm (not emulated here): 2 more repetitions, 2 boots, not 4.
        assert.equal(p.precision!.boots, 2);
        assert.equal(p.precision!.seconds - interleaved.precision!.seconds, 2 * PLANNED_BOOT_S.kvm);
        assert.match(formatResourcePlan(p), /; up to [^;]+ \(2 more guest boots under grouped, at 20 s each\) if the precision goal adds all 10 cells it may/);
    });

    const twoBig = (schedule?: string) =>
        small({
            environments: ["native", { name: "a", kind: "kvm", memoryMiB: 16384 }, { name: "b", kind: "kvm", memoryMiB: 16384 }],
            workloads: ["sysbench-cpu"],
            ...(schedule && { schedule }),
        });

    it("guests that fit one at a time but not together: interleaved needs isobench:schedule: grouped, with that fix", () => {
        const p = resourcePlan(twoBig(), host);
        assert.equal(p.verdict, "needs isobench:schedule: grouped");
        assert.equal(p.needs, "grouped");
        assert.deepEqual(p.upAtOnce, { interleaved: { guests: 2, memoryMiB: 32768, vcpus: 2 }, grouped: { guests: 1, memoryMiB: 16384, vcpus: 1 } });
        assert.equal(p.problems.length, 1);
        assert.match(
            p.problems[0],
            /^the 2 guests are up together for the whole run and need 32768 MiB together.* Fix: set isobench:schedule: grouped \(one guest up at a time: the largest needs 16384 MiB/,
        );
        const text = formatResourcePlan(p);
        assert.match(
            text,
            /\nby schedule: interleaved 2 guests, 32768 MiB at once; grouped 1 guest, at most 16384 MiB at once, .*; the stack needs isobench:schedule: grouped\nup at the same time: 2 guests/,
        );
        assert.match(text, /\nverdict: needs isobench:schedule: grouped\n/);
    });

    it("the same guests under grouped fit: one guest's memory at once, and one planned boot per guest per repetition in the time", () => {
        const p = resourcePlan(twoBig("grouped"), host);
        assert.equal(p.verdict, "fits");
        assert.deepEqual(p.problems, []);
        assert.deepEqual(p.together, { guests: 1, memoryMiB: 16384, vcpus: 1 });
        assert.deepEqual(p.boots, { count: 2 * 3, seconds: 2 * 3 * PLANNED_BOOT_S.kvm });
        const interleaved = resourcePlan(twoBig(), host);
        assert.equal(p.totalS, interleaved.totalS + 6 * PLANNED_BOOT_S.kvm, "the boots are in the expected time");
        assert.equal(resourcePlan(twoBig("grouped"), { ...host, accel: "tcg" }).boots!.seconds, 6 * PLANNED_BOOT_S.tcg);
        assert.match(formatResourcePlan(p), /\nschedule: grouped /);
        assert.match(summarizePlan(p), /1 guest up at once with 16384 MiB \(schedule grouped: 6 planned guest boots/);
        // A resumed run counts only the groups with a cell still to run: repetition 1 of a and b is done.
        const resumed = resourcePlan(twoBig("grouped"), host, { measured: new Set(["sysbench-cpu.a.r1", "sysbench-cpu.b.r1"]) });
        assert.equal(resumed.boots!.count, 4);
    });

    it("a stack that fits interleaved says so under either schedule; a guest too big alone fits neither", () => {
        assert.equal(resourcePlan(small(), host).needs, "interleaved");
        assert.equal(resourcePlan(small({ schedule: "grouped" }), host).needs, "interleaved");
        const huge = resourcePlan(
            small({
                environments: ["native", { name: "a", kind: "kvm", memoryMiB: 30000 }, { name: "b", kind: "kvm", memoryMiB: 1024 }],
                workloads: ["sysbench-cpu"],
                schedule: "grouped",
            }),
            host,
        );
        assert.equal(huge.needs, "neither");
        assert.equal(huge.verdict, "does not fit");
        assert.match(formatResourcePlan(huge), /the guests do not fit this host under either/);
    });

    it("a guest too big alone, an environment the host cannot provide, a full disk and unusable KVM are each a problem of their own", () => {
        const spec = small({
            environments: [
                "native",
                { name: "huge", kind: "kvm", vcpus: 4, memoryMiB: 32768 },
                { name: "sib", kind: "kvm", preset: "kvm-tuned", vcpus: 2, topology: { sockets: 1, cores: 1, threads: 2 }, pinning: "ht-siblings" },
            ],
            workloads: ["sysbench-cpu"],
        });
        const need = { path: "/repo/results/plantest/r1", bytes: 10 * GiB, what: "results", keys: [] };
        const p = resourcePlan(spec, host, {
            kvmProblem: "KVM is requested but unusable: no /dev/kvm. Fix: …",
            disk: { plan: { needs: [need], guestProblems: [] }, filesystems: [{ mount: "/", freeBytes: 5 * GiB, needs: [need] }], movable: host },
        });
        assert.equal(p.verdict, "does not fit");
        assert.match(p.problems[0], /^KVM is requested but unusable/);
        assert.ok(p.problems.some((l) => /^environment sib: .*on a host without hyperthreads .* but the guest's topology has 2 threads per core/.test(l)));
        assert.ok(p.problems.some((l) => /^environment huge \(isobench:environments\.1\.vcpus\): 4 vCPUs, but the host has CPUs 0-1 only/.test(l)));
        assert.ok(p.problems.some((l) => /^environment huge \(isobench:environments\.1\.memoryMiB\): 32768 MiB/.test(l)));
        assert.ok(p.problems.some((l) => l.startsWith("the filesystem mounted at / has 5.0 GiB free, but the plan may write 10.0 GiB there")));
        assert.equal(p.diskBytes, 10 * GiB);
        // The environment it could not plan still has its cells counted.
        assert.equal(p.workloads[0].cells, 9);
        assert.ok(DISK_MARGIN_BYTES > 0);
    });

    it("notes a guest with fewer vCPUs than native where the work spreads over every CPU (pxz, hpcc), not where it does not", () => {
        const p = resourcePlan(small(), { ...host, hostCpuCount: 32, cpuSiblings: undefined });
        assert.deepEqual(p.notes, [
            "pxz runs one thread or process per CPU: kvm has 2 vCPUs, but native, docker-nat use 32 host CPUs, so its ratios to native compare 2 CPUs with 32, not only virtualisation",
        ]);
        assert.deepEqual(resourcePlan(small(), host).notes, [], "2 vCPUs on a 2-CPU host compare equal CPUs");
    });
});

describe("earlier runs' cell durations (experiment/cell-history.ts)", () => {
    let root = "";
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-history-"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    const csv = (cell: string, accel: string) =>
        [
            "run_id,stack,cell_id,environment,env_kind,variant,workload,params,repetition,metric,value,unit,better,started_at,duration_s,tool,tool_version,accel,host,kernel,cpu_model,notes,fingerprint",
            `r,s,${cell},kvm,kvm,v,sysbench-cpu,p,1,events_per_s,1,e,higher,t,1,sysbench,1,${accel},h,k,c,,fp`,
            "",
        ].join("\n");
    /** A run folder: its resolved spec, the CPUs its environments saw, progress.log and the cells' CSVs. */
    function run(dir: string, timeSeconds: number, log: string[], cells: Record<string, string>, withSpec = true): void {
        fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
        const spec = parseSpec("s", {
            runId: "r",
            environments: ["native", { name: "kvm", kind: "kvm", vcpus: 2, memoryMiB: 2048 }],
            workloads: [{ name: "sysbench-cpu", params: { timeSeconds } }, { name: "redis" }],
        });
        if (withSpec) {
            fs.mkdirSync(path.join(dir, "provenance"));
            fs.writeFileSync(path.join(dir, "provenance", "spec.json"), JSON.stringify(spec));
        }
        fs.writeFileSync(
            path.join(dir, "environments.csv"),
            "environment,env_kind,variant,accel,fact,value,declared,measured_at\nnative,native,host,none,nproc,4,,t\nkvm,kvm,v,tcg,nproc,2,2,t\n",
        );
        fs.writeFileSync(path.join(dir, "progress.log"), log.join("\n") + "\n");
        for (const [cell, accel] of Object.entries(cells)) fs.writeFileSync(path.join(dir, "cells", `${cell}.csv`), csv(cell, accel));
    }

    it("reads start to done of every finished cell of every stack's runs, with its prior in its run, by workload, kind and accel", () => {
        run(
            path.join(root, "s", "r"),
            10,
            [
                "2026-01-01T00:00:00.000Z cell sysbench-cpu.kvm.r1: start (sysbench-cpu on kvm, accel=tcg, launched 0.1 s before)",
                "2026-01-01T00:00:30.000Z cell sysbench-cpu.kvm.r1: done in 25.0 s, 3 samples",
                // Never finished: says nothing about its duration.
                "2026-01-01T00:01:00.000Z cell sysbench-cpu.kvm.r2: start (sysbench-cpu on kvm, accel=tcg, launched 0.1 s before)",
                // Another workload than those asked for.
                "2026-01-01T00:02:00.000Z cell redis.kvm.r1: start (redis on kvm, accel=tcg, launched 0.1 s before)",
                "2026-01-01T00:03:00.000Z cell redis.kvm.r1: done in 50.0 s, 3 samples",
                "2026-01-01T00:04:00.000Z cell sysbench-cpu.native.r1: start (x)",
                "2026-01-01T00:04:12.000Z cell sysbench-cpu.native.r1: done in 11.0 s, 3 samples",
            ],
            { "sysbench-cpu.kvm.r1": "tcg", "sysbench-cpu.kvm.r2": "tcg", "redis.kvm.r1": "tcg", "sysbench-cpu.native.r1": "none" },
        );
        run(
            path.join(root, "t", "x"),
            20,
            ["2026-01-02T00:00:00.000Z cell sysbench-cpu.kvm.r1: start (x)", "2026-01-02T00:00:40.000Z cell sysbench-cpu.kvm.r1: done in 39.0 s, 3 samples"],
            { "sysbench-cpu.kvm.r1": "tcg" },
        );
        // A run from before provenance was recorded: its parameters are not known.
        run(
            path.join(root, "t", "old"),
            10,
            ["2026-01-03T00:00:00.000Z cell sysbench-cpu.kvm.r1: start (x)", "2026-01-03T00:00:40.000Z cell sysbench-cpu.kvm.r1: done in 39.0 s, 3 samples"],
            { "sysbench-cpu.kvm.r1": "tcg" },
            false,
        );
        const h = readCellHistory(root, new Set(["sysbench-cpu"]));
        assert.deepEqual(
            [...h.entries()],
            [
                [
                    historyKey("sysbench-cpu", "kvm", "tcg"),
                    [
                        { seconds: 30, priorS: 10 + PRIOR_OVERHEAD_S },
                        { seconds: 40, priorS: 20 + PRIOR_OVERHEAD_S },
                    ],
                ],
                [historyKey("sysbench-cpu", "native", "none"), [{ seconds: 12, priorS: 10 + PRIOR_OVERHEAD_S }]],
            ],
        );
        assert.deepEqual([...readCellHistory(path.join(root, "absent"), new Set(["sysbench-cpu"])).entries()], []);
    });
});

describe("isobench plan (experiment/plan-command.ts)", () => {
    /** What planCommand returns and prints. */
    /** The command line as the CLI parses it (cli-args.ts), then planCommand. */
    function run(args: string[]): { code: number | undefined; out: string } {
        const lines: string[] = [];
        const log = console.log;
        console.log = (l: string) => lines.push(l);
        try {
            const inv = parseCommandLine(["plan", ...args]);
            assert.ok(inv.command === "plan");
            return { code: planCommand(inv), out: lines.join("\n") };
        } finally {
            console.log = log;
        }
    }

    it("plans a stack on a described host: exit 0 when it fits, 1 with the fix when it does not, and says what it could not know", () => {
        const fits = run(["felter2014", "--host", "2x8x2,256g"]);
        assert.equal(fits.code, 0);
        assert.match(
            fits.out,
            /^stack felter2014, run felter2014-1: 10 repetitions\nhost: 32 CPUs \(2 sockets × 8 cores × 2 threads\), 2 NUMA nodes, MemTotal 262144 MiB, guests under KVM, vhost-net available\n/,
        );
        assert.match(
            fits.out,
            /; the run may write 80.3 GiB on the host's disks\n\nverdict: fits\n\(a described host: its free disk space and earlier runs are not known; its images are taken to be as this checkout builds them\)$/,
        );
        assert.match(fits.out, /\nschedule: interleaved \(.*\); isobench:schedule: auto: the guests' \d+ MiB fit this host's 262144 MiB together\n/);
        // isobench:schedule: auto makes it grouped where the guests do not fit together.
        const small = run(["felter2014", "--host", "1x8x2,64g"]);
        assert.equal(small.code, 0);
        assert.match(
            small.out,
            /\nschedule: grouped \(.*\); isobench:schedule: auto: the guests' \d+ MiB do not fit this host's 65536 MiB together, so one guest at a time\n/,
        );
        // The MySQL guest's fixed 16 GiB does not fit a 16 GiB host under either schedule.
        const tiny = run(["felter2014", "--host", "1x4x2,16g"]);
        assert.equal(tiny.code, 1);
        assert.match(tiny.out, /\nverdict: does not fit\n {2}- .*kvm-mysql/);
        // Emulated guests on a described host.
        assert.match(run(["quick", "--host", "1x2x1,8g,tcg"]).out, /\n {2}kvm-tuned +kvm \(tcg\) +1 vCPU, 1024 MiB/);
    });

    it("takes exactly one stack and an optional host, and refuses a bad description or stack naming the fix", () => {
        assert.throws(() => run([]), UsageError);
        assert.throws(() => run(["a", "b"]), UsageError);
        assert.throws(() => run(["quick", "--host"]), UsageError);
        assert.throws(
            () => run(["quick", "--host", "big"]),
            (e: Error) => e instanceof UserError && /--host: "big" is not a host description/.test(e.message),
        );
        assert.throws(() => run(["quik", "--host", "1x2x1,8g"]), /unknown stack "quik".*did you mean "quick"/s);
    });
});

describe("formatDuration", () => {
    it("seconds, minutes, hours, days", () => {
        assert.equal(formatDuration(45), "45 s");
        assert.equal(formatDuration(600), "10 min");
        assert.equal(formatDuration(5 * 3600), "5.0 h");
        assert.equal(formatDuration(3 * 86400), "3.0 days (72 h)");
    });
});
