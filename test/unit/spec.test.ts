import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { SpecError } from "../../core/errors";
import { loadStackSpec } from "../../experiment/stack-file";
import { groupStarts, planCells } from "../../experiment/plan";
import { WORKLOAD_NAMES } from "../../workloads";

const STACKS = path.join(__dirname, "..", "..", "stacks");
const base = { runId: "r1", environments: ["native", "docker-nat"], workloads: ["sysbench-cpu"] };

describe("experiment spec", () => {
    it("applies defaults", () => {
        const s = parseSpec("t", base);
        assert.equal(s.repetitions, 3);
        assert.equal(s.dockerDriver, "auto");
        assert.equal(s.allowSoftwareEmulation, false);
        assert.deepEqual(s.workloads, [{ name: "sysbench-cpu", params: {} }]);
        assert.equal(s.kvm.vhost, "auto");
        assert.equal(s.schedule, "interleaved");
        assert.equal(s.stabilityProbeS, 60, "a minute's probe of the host's round trip before each up pass");
    });

    it("reads isobench:stabilityProbeS: 0 for none, at least 4 s, at most 600; names the key and the fix", () => {
        assert.equal(parseSpec("t", { ...base, stabilityProbeS: 0 }).stabilityProbeS, 0);
        assert.equal(parseSpec("t", { ...base, stabilityProbeS: 4 }).stabilityProbeS, 4);
        assert.throws(
            () => parseSpec("t", { ...base, stabilityProbeS: 2 }),
            /isobench:stabilityProbeS: 2 s is too short for two samples of each placement; set 0 \(no probe\) or at least 4 \(the default is 60\)/,
        );
        assert.throws(() => parseSpec("t", { ...base, stabilityProbeS: 601 }), /isobench:stabilityProbeS: must be <= 600/);
        assert.throws(() => parseSpec("t", { ...base, stabilityProbeS: -1 }), /isobench:stabilityProbeS: must be >= 0/);
    });

    it("reads isobench:schedule, and names the key, the allowed values and the closest one for a bad one", () => {
        assert.equal(parseSpec("t", { ...base, schedule: "grouped" }).schedule, "grouped");
        assert.throws(
            () => parseSpec("t", { ...base, schedule: "groupd" }),
            (e: Error) => e instanceof SpecError && /isobench:schedule: must be one of interleaved, grouped, auto — did you mean "grouped"/.test(e.message),
        );
    });

    it("isobench:schedule: auto is interleaved where the guests fit the host's memory together, else grouped, and says why", () => {
        const guests = {
            ...base,
            schedule: "auto",
            environments: ["native", { name: "a", kind: "kvm", memoryMiB: 20480 }, { name: "b", kind: "kvm", memoryMiB: 20480 }],
        };
        const shape = (memTotalMiB: number) => ({ cpus: 16, memTotalMiB, sockets: 1, threadsPerCore: 2, numaNodes: 1 });
        const big = parseSpec("t", guests, shape(64 * 1024));
        assert.equal(big.schedule, "interleaved");
        assert.equal(big.scheduleWhy, "isobench:schedule: auto: the guests' 40960 MiB fit this host's 65536 MiB together");
        const small = parseSpec("t", guests, shape(32 * 1024));
        assert.equal(small.schedule, "grouped");
        assert.match(small.scheduleWhy!, /the guests' 40960 MiB do not fit this host's 32768 MiB together, so one guest at a time/);
        // A written schedule is the schedule, whatever the host.
        assert.equal(parseSpec("t", { ...guests, schedule: "interleaved" }, shape(32 * 1024)).scheduleWhy, undefined);
        assert.throws(
            () => parseSpec("t", guests),
            (e: Error) => e instanceof SpecError && /isobench:schedule: auto needs the host's memory to decide; write interleaved or grouped/.test(e.message),
        );
    });

    it("names the key and the allowed values for an unknown environment", () => {
        assert.throws(
            () => parseSpec("t", { ...base, environments: ["native", "lxc"] }),
            (e: Error) =>
                e instanceof SpecError &&
                /isobench:environments\.1: must be one of native, docker-nat, docker-host, docker-nat-dnat, docker-nat-unionfs, kvm-untuned, kvm-tuned/.test(
                    e.message,
                ),
        );
    });

    it("names the key and the allowed values for an unknown workload", () => {
        assert.throws(
            () => parseSpec("t", { ...base, workloads: ["coremark"] }),
            (e: Error) => e.message.includes(`isobench:workloads.0: must be one of ${WORKLOAD_NAMES.join(", ")}`),
        );
    });

    it("refuses negative and too few repetitions", () => {
        assert.throws(() => parseSpec("t", { ...base, repetitions: -1 }), /isobench:repetitions: must be >= 3/);
        assert.throws(() => parseSpec("t", { ...base, repetitions: 2 }), /isobench:repetitions: must be >= 3/);
    });

    it("reads isobench:precision: the relative half-width and the most repetitions; none without the key", () => {
        assert.equal(parseSpec("t", base).precision, undefined);
        const s = parseSpec("t", { ...base, repetitions: 4, precision: { relativeHalfWidth: 0.02, maxRepetitions: 10 } });
        assert.deepEqual(s.precision, { relativeHalfWidth: 0.02, maxRepetitions: 10 });
        // As Pulumi hands structured config to the program: a JSON string (see isobenchKeys).
        const fromYaml = loadStackSpec(STACKS, "quick");
        assert.deepEqual(fromYaml.precision, { relativeHalfWidth: 0.05, maxRepetitions: 6 });
        assert.equal(parseSpec("t", { ...base, precision: { relativeHalfWidth: 0.05, maxRepetitions: 3 } }).precision!.maxRepetitions, 3);
        const claims = parseSpec("t", { ...base, precision: { relativeHalfWidth: 0.05, maxRepetitions: 6, maxClaimRepetitions: 10 } });
        assert.equal(claims.precision!.maxClaimRepetitions, 10);
    });

    it("refuses a bad isobench:precision, naming the key and the fix", () => {
        const bad =
            (precision: unknown, repetitions = 3) =>
            () =>
                parseSpec("t", { ...base, repetitions, precision });
        assert.throws(bad({ relativeHalfWidth: 0, maxRepetitions: 6 }), /isobench:precision\.relativeHalfWidth: must be > 0, got 0/);
        assert.throws(bad({ relativeHalfWidth: -0.1, maxRepetitions: 6 }), /isobench:precision\.relativeHalfWidth: must be > 0/);
        assert.throws(bad({ relativeHalfWidth: "5%", maxRepetitions: 6 }), /isobench:precision\.relativeHalfWidth: must be number, got "5%"/);
        assert.throws(
            bad({ relativeHalfWidth: 5, maxRepetitions: 6 }),
            /isobench:precision\.relativeHalfWidth: 5 is not a fraction of the mean below 1; write 0\.05 for ±5 %/,
        );
        assert.throws(
            bad({ relativeHalfWidth: 0.05, maxRepetitions: 4 }, 5),
            /isobench:precision\.maxRepetitions: 4 is below isobench:repetitions \(5\), which every cell gets anyway; set it to at least 5/,
        );
        assert.throws(
            bad({ relativeHalfWidth: 0.05, maxRepetitions: 6, maxClaimRepetitions: 5 }),
            /isobench:precision\.maxClaimRepetitions: 5 is below isobench:precision\.maxRepetitions \(6\), which the half-width goal may reach anyway; set it to at least 6, or leave it out to add no repetitions for undecided claims/,
        );
        assert.throws(
            bad({ relativeHalfWidth: 0.05, maxRepetitions: 6, maxClaimRepetitions: "ten" }),
            /isobench:precision\.maxClaimRepetitions: must be integer/,
        );
        assert.throws(bad({ relativeHalfWidth: 0.05, maxRepetitions: 2 }), /isobench:precision\.maxRepetitions: must be >= 3/);
        assert.throws(bad({ relativeHalfWidth: 0.05, maxRepetitions: 6.5 }), /isobench:precision\.maxRepetitions: must be integer/);
        assert.throws(bad({ relativeHalfWidth: 0.05 }), /isobench:precision: missing required key "maxRepetitions"/);
        assert.throws(
            bad({ relativeHalfWidth: 0.05, maxRepetitions: 6, max: 6 }),
            /isobench:precision: unknown key "max" .*\(allowed: relativeHalfWidth, maxRepetitions, maxClaimRepetitions\)/,
        );
        assert.throws(bad(0.05), /isobench:precision: must be object/);
    });

    it("refuses unknown keys, naming the closest one first and then the allowed ones", () => {
        assert.throws(
            () => parseSpec("t", { ...base, repetition: 3 }),
            /unknown key "repetition" — did you mean "repetitions"\? \(allowed: runId, repetitions,/,
        );
        assert.throws(() => parseSpec("t", { ...base, sweep: 3 }), /unknown key "sweep" \(allowed: runId, repetitions,/);
    });

    it("names the closest workload, preset or kind for a misspelt one", () => {
        assert.throws(
            () => parseSpec("t", { ...base, workloads: ["sysbench-cpus"] }),
            /isobench:workloads\.0: must be one of .* — did you mean "sysbench-cpu"\?/,
        );
        assert.throws(
            () => parseSpec("t", { ...base, environments: ["docker_nat"] }),
            /isobench:environments\.0: must be one of .* — did you mean "docker-nat"\?/,
        );
        assert.throws(
            () => parseSpec("t", { ...base, environments: [{ name: "n", kind: "nativ" }] }),
            /isobench:environments\.0\.kind: must be one of .* — did you mean "native"\?/,
        );
    });

    it("refuses pinning that does not match vcpus", () => {
        assert.throws(() => parseSpec("t", { ...base, kvm: { vcpus: 2, pinning: [1] } }), /kvm.pinning has 1 entries but isobench:kvm.vcpus is 2/);
    });

    it("validates the quick stack file", () => {
        const s = loadStackSpec(STACKS, "quick");
        assert.deepEqual(s.environments, ["native", "docker-nat", "docker-host", "kvm-tuned"]);
        assert.equal(s.allowSoftwareEmulation, true);
        assert.ok(s.repetitions >= 3);
    });

    it("refuses an unknown stack, listing the available ones", () => {
        assert.throws(() => loadStackSpec(STACKS, "nope"), /unknown stack "nope": .*Available stacks: .*quick/);
        assert.throws(() => loadStackSpec(STACKS, "quik"), /unknown stack "quik" — did you mean "quick"\?: .*Available stacks: .*quick/);
    });

    it("refuses malformed YAML naming the file", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-spec-"));
        try {
            fs.writeFileSync(path.join(dir, "Pulumi.bad.yaml"), "config:\n  isobench:runId: [unclosed\n");
            assert.throws(() => loadStackSpec(dir, "bad"), /Pulumi\.bad\.yaml is not valid YAML/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("run plan", () => {
    it("interleaves environments and rotates their order per repetition", () => {
        const cells = planCells({ environments: ["native", "docker-nat", "kvm-tuned"], workloads: [{ name: "redis", params: {} }], repetitions: 3 });
        assert.equal(cells.length, 9);
        assert.deepEqual(
            cells.slice(0, 3).map((c) => c.environment),
            ["native", "docker-nat", "kvm-tuned"],
        );
        assert.deepEqual(
            cells.slice(3, 6).map((c) => c.environment),
            ["docker-nat", "kvm-tuned", "native"],
        );
        assert.equal(new Set(cells.map((c) => c.id)).size, 9);
    });

    it("appends the repetitions the precision goal added, after the planned ones and only where they were added", () => {
        const spec = {
            environments: ["native", "docker-nat", "kvm-tuned"],
            workloads: [
                { name: "redis", params: {} },
                { name: "fio", params: {}, environments: ["native", "kvm-tuned"] },
            ],
            repetitions: 3,
        };
        const at = "2026-12-04T00:00:00.000Z";
        const planned = planCells(spec).map((c) => c.id);
        const cells = planCells({
            ...spec,
            addedRepetitions: [
                { workload: "redis", repetition: 4, environments: ["native", "docker-nat"], at, reason: "" },
                // Repeated, a repetition the stack plans anyway, and a workload, environment it no longer has: nothing.
                { workload: "redis", repetition: 4, environments: ["native"], at, reason: "" },
                { workload: "fio", repetition: 3, environments: ["native"], at, reason: "" },
                { workload: "mysql", repetition: 4, environments: ["native"], at, reason: "" },
                { workload: "fio", repetition: 4, environments: ["native", "docker-nat"], at, reason: "" },
                { workload: "redis", repetition: 5, environments: ["native", "docker-nat"], at, reason: "" },
            ],
        });
        // The cells measured before keep their order: the added ones come after all of them.
        assert.deepEqual(
            cells.slice(0, planned.length).map((c) => c.id),
            planned,
        );
        // Rotated as a planned repetition would be; docker-nat is none of fio's environments.
        assert.deepEqual(
            cells.slice(planned.length).map((c) => c.id),
            ["redis.docker-nat.r4", "redis.native.r4", "fio.native.r4", "redis.native.r5", "redis.docker-nat.r5"],
        );
        assert.deepEqual(
            cells.slice(planned.length).map((c) => c.repetition),
            [4, 4, 4, 5, 5],
        );
    });
});

describe("run plan under isobench:schedule: grouped", () => {
    const spec = {
        environments: ["native", "kvm-a", "kvm-b"],
        workloads: [
            { name: "redis", params: {} },
            { name: "fio", params: {}, environments: ["native", "kvm-b"] },
            { name: "pxz", params: {} },
        ],
        repetitions: 3,
        schedule: "grouped" as const,
    };

    it("runs each environment's cells of a repetition back to back, environments rotating between repetitions", () => {
        const cells = planCells(spec);
        assert.deepEqual(
            cells.map((c) => c.id),
            [
                ...["redis.native.r1", "fio.native.r1", "pxz.native.r1", "redis.kvm-a.r1", "pxz.kvm-a.r1", "redis.kvm-b.r1", "fio.kvm-b.r1", "pxz.kvm-b.r1"],
                ...["redis.kvm-a.r2", "pxz.kvm-a.r2", "redis.kvm-b.r2", "fio.kvm-b.r2", "pxz.kvm-b.r2", "redis.native.r2", "fio.native.r2", "pxz.native.r2"],
                ...["redis.kvm-b.r3", "fio.kvm-b.r3", "pxz.kvm-b.r3", "redis.native.r3", "fio.native.r3", "pxz.native.r3", "redis.kvm-a.r3", "pxz.kvm-a.r3"],
            ],
        );
        // The same cells as interleaved, only in another order.
        assert.deepEqual(
            cells.map((c) => c.id).sort(),
            planCells({ ...spec, schedule: "interleaved" })
                .map((c) => c.id)
                .sort(),
        );
    });

    it("marks the first cell of each environment's group: one group per environment and repetition", () => {
        const cells = planCells(spec);
        const starts = [...groupStarts(cells)];
        assert.deepEqual(starts, [
            "redis.native.r1",
            "redis.kvm-a.r1",
            "redis.kvm-b.r1",
            "redis.kvm-a.r2",
            "redis.kvm-b.r2",
            "redis.native.r2",
            "redis.kvm-b.r3",
            "redis.native.r3",
            "redis.kvm-a.r3",
        ]);
        // Interleaved, every cell but one starts a group (fio.native.r2 follows redis.native.r2).
        assert.equal(groupStarts(planCells({ ...spec, schedule: "interleaved" })).size, 23);
    });

    it("groups each precision decision's added cells by environment too, after the planned ones", () => {
        const at = "2026-12-04T00:00:00.000Z";
        const planned = planCells(spec).map((c) => c.id);
        const cells = planCells({
            ...spec,
            addedRepetitions: [
                { workload: "redis", repetition: 4, environments: ["native", "kvm-a", "kvm-b"], at, reason: "" },
                { workload: "pxz", repetition: 4, environments: ["native", "kvm-a"], at, reason: "" },
                { workload: "redis", repetition: 5, environments: ["native", "kvm-b"], at, reason: "" },
            ],
        });
        assert.deepEqual(
            cells.slice(0, planned.length).map((c) => c.id),
            planned,
        );
        // Repetition 4 rotates back to native, kvm-a, kvm-b; repetition 5 to kvm-a, kvm-b, native.
        assert.deepEqual(
            cells.slice(planned.length).map((c) => c.id),
            ["redis.native.r4", "pxz.native.r4", "redis.kvm-a.r4", "pxz.kvm-a.r4", "redis.kvm-b.r4", "redis.kvm-b.r5", "redis.native.r5"],
        );
    });
});

describe("stack files as Pulumi rewrites them", () => {
    it("reads quoted scalars the way Pulumi hands them to the program", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-spec-"));
        try {
            fs.writeFileSync(
                path.join(dir, "Pulumi.q.yaml"),
                'config:\n  isobench:runId: "7"\n  isobench:repetitions: "4"\n  isobench:allowSoftwareEmulation: "true"\n  isobench:environments: [native]\n  isobench:workloads: [redis]\n',
            );
            const s = loadStackSpec(dir, "q");
            assert.equal(s.runId, "7");
            assert.equal(s.repetitions, 4);
            assert.equal(s.allowSoftwareEmulation, true);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
