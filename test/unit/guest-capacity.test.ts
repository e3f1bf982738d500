import * as assert from "node:assert/strict";
import * as path from "path";
import {
    GuestSize,
    HOST_RESERVE_MIB,
    capacityProblems,
    concurrentMemoryProblem,
    guestCapacityProblems,
    guestSizes,
    memTotalMiB,
} from "../../experiment/guest-capacity";
import { parseSpec } from "../../experiment/spec";
import { availableStacks, loadStackSpec } from "../../experiment/stack-file";

const STACKS = path.join(__dirname, "..", "..", "stacks");
/** This project's own machine: 24 GiB and 2 CPUs. */
const SMALL = { memTotalMiB: 24 * 1024, cpuCount: 2 };
const guest = (name: string, vcpus: number, memoryMiB: number, i = 0): GuestSize => ({ name, key: `isobench:environments.${i}`, vcpus, memoryMiB });

describe("guest sizes against the host (experiment/guest-capacity.ts)", () => {
    it("reads MemTotal in MiB from /proc/meminfo", () => {
        assert.equal(memTotalMiB("MemTotal:       24683568 kB\nMemFree:        23677960 kB\n"), 24105);
        assert.equal(memTotalMiB("MemFree: 1 kB\n"), undefined);
        assert.equal(memTotalMiB(""), undefined);
    });

    it("takes every kvm and docker-in-kvm guest with the key of its knobs", () => {
        const spec = parseSpec("t", {
            runId: "r",
            workloads: ["sysbench-cpu"],
            kvm: { vcpus: 2, memoryMiB: 2048 },
            environments: ["native", "kvm-tuned", { name: "big", kind: "kvm", memoryMiB: 4096 }, { name: "dik", kind: "docker-in-kvm", guest: { vcpus: 1 } }],
        });
        assert.deepEqual(guestSizes(spec), [
            { name: "kvm-tuned", key: "isobench:environments.1", vcpus: 2, memoryMiB: 2048 },
            { name: "big", key: "isobench:environments.2", vcpus: 2, memoryMiB: 4096 },
            { name: "dik", key: "isobench:environments.3.guest", vcpus: 1, memoryMiB: 2048 },
        ]);
    });

    it("admits guests that fit, up to the host's RAM less the reserve and one vCPU per host CPU", () => {
        const usable = SMALL.memTotalMiB - HOST_RESERVE_MIB;
        assert.deepEqual(guestCapacityProblems([], SMALL), []);
        assert.deepEqual(guestCapacityProblems([guest("a", 2, usable)], SMALL), []);
        assert.deepEqual(guestCapacityProblems([guest("a", 1, usable - 1024), guest("b", 2, 1024, 1)], SMALL), []);
    });

    it("refuses a guest with more memory than the host can give one guest, naming the key, the sizes and the fix", () => {
        const [line, ...rest] = guestCapacityProblems([guest("kvm-untuned", 2, 102400, 2)], SMALL);
        assert.deepEqual(rest, []);
        assert.equal(
            line,
            "environment kvm-untuned (isobench:environments.2.memoryMiB): 102400 MiB, but the host has MemTotal 24576 MiB, of which 24064 MiB can go to guests (512 MiB is kept for the host). Fix: set memoryMiB to at most 24064 (isobench:kvm.memoryMiB for environments that take the stack-wide size), or run the stack on a host with MemTotal of at least 102912 MiB",
        );
        assert.deepEqual(guestCapacityProblems([guest("a", 1, SMALL.memTotalMiB - HOST_RESERVE_MIB + 1)], SMALL).length, 1);
    });

    it("refuses guests that fit one by one but not together, naming each guest and its size, the total and the host's RAM", () => {
        const both = [guest("a", 2, 16384, 1), guest("b", 2, 8192, 3)];
        assert.deepEqual(guestCapacityProblems(both, SMALL), []);
        assert.equal(
            concurrentMemoryProblem(both, SMALL),
            'the 2 guests are up together for the whole run and need 24576 MiB together once their benchmarks have touched their memory (a 16384 MiB at isobench:environments.1.memoryMiB, b 8192 MiB at isobench:environments.3.memoryMiB), but the host has MemTotal 24576 MiB, of which 24064 MiB can go to guests (512 MiB is kept for the host); a guest that then swaps measures the swapping. Fix: lower their memory (memoryMiB, or memory: "<n>%" of the host) until they add up to at most 24064 MiB, or split the guests over several stacks',
        );
        assert.equal(concurrentMemoryProblem([guest("a", 2, 8192, 1), guest("b", 2, 8192, 3)], SMALL), undefined);
    });

    it("refuses more vCPUs than host CPUs, as the 1:1 pinning of kvm-tuned does, for every preset", () => {
        const lines = guestCapacityProblems([guest("kvm-untuned", 4, 1024, 2)], SMALL);
        assert.deepEqual(lines, [
            "environment kvm-untuned (isobench:environments.2.vcpus): 4 vCPUs, but the host has CPUs 0-1 only, and a guest with more vCPUs than host CPUs measures their time-sharing. Fix: set vcpus to at most 2 (isobench:kvm.vcpus for environments that take the stack-wide size), or run the stack on a host with at least 4 CPUs",
        ]);
        assert.match(guestCapacityProblems([guest("a", 2, 1024)], { memTotalMiB: 4096, cpuCount: 1 })[0], /2 vCPUs, but the host has CPU 0 only/);
    });

    it("admits every stack but felter2014 on this project's 24 GiB, 2-CPU machine", () => {
        const shape = { cpus: 2, memTotalMiB: SMALL.memTotalMiB, sockets: 1, threadsPerCore: 1, numaNodes: 1 };
        const refused = availableStacks(STACKS).filter((s) => capacityProblems(loadStackSpec(STACKS, s, shape), SMALL).length > 0);
        assert.deepEqual(refused, ["felter2014"]);
        // Its host-relative guests shrink to the host (2 vCPUs, 35 % of 24 GiB), but the paper's 4-vCPU nuttcp guest does not.
        // Their memory together would not fit either, but schedule: auto resolves to grouped here, one guest at a time.
        const spec = loadStackSpec(STACKS, "felter2014", shape);
        assert.equal(spec.schedule, "grouped");
        const lines = capacityProblems(spec, SMALL);
        assert.equal(lines.length, 1, lines.join("\n"));
        assert.match(lines[0], /^environment kvm-nuttcp \(isobench:environments\.7\.vcpus\): 4 vCPUs, but the host has CPUs 0-1 only/);
    });

    it("admits felter2014 on the study's host with all its guests up at once: the memory of the host-relative guests adds up to what it has", () => {
        // 2 × 8 cores × 2 hyperthreads and 256 GiB: 35 % + 35 % + 20 % of it and 18.5 GiB for the small guests.
        const study = { memTotalMiB: 256 * 1024, cpuCount: 32 };
        const shape = { cpus: 32, memTotalMiB: study.memTotalMiB, sockets: 2, threadsPerCore: 2, numaNodes: 2 };
        const spec = loadStackSpec(STACKS, "felter2014", shape);
        assert.deepEqual(capacityProblems(spec, study), []);
        assert.equal(
            guestSizes(spec).reduce((s, g) => s + g.memoryMiB, 0),
            2 * Math.floor(0.35 * 262144) + Math.floor(0.2 * 262144) + 1024 + 1536 + 16384,
        );
        // The paper's own sizes (100, 100, 96 and 16 GiB) would not have fit at once.
        const paper = [
            guest("kvm-untuned", 32, 102400, 4),
            guest("kvm-tuned", 32, 102400, 5),
            guest("kvm-mysql", 32, 16384, 8),
            guest("kvm-fio", 32, 98304, 9),
        ];
        assert.match(concurrentMemoryProblem(paper, study) ?? "", /^the 4 guests .* need 319488 MiB together .* MemTotal 262144 MiB/);
    });
});
