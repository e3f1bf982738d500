/** Boot time and CPU steal from /proc/stat (core/proc-stat.ts), on reads captured on the development host. */
import * as assert from "node:assert/strict";
import { bootTimeS, cpuTicks, stealPercent } from "../../core/proc-stat";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("environments");

describe("host CPU steal (/proc/stat)", () => {
    it("reads all CPUs' ticks and the steal count from the aggregate line of a real read", () => {
        const before = cpuTicks(fixture("proc-stat-before.txt"));
        // cpu  927760 24 400291 1364372 5613 0 86842 816 0 0: guest and guest_nice are already in user and nice
        assert.deepEqual(before, { total: 927760 + 24 + 400291 + 1364372 + 5613 + 0 + 86842 + 816, steal: 816 });
    });

    it("gives the share of the interval's ticks that were stolen: none between the two captured reads", () => {
        const before = cpuTicks(fixture("proc-stat-before.txt"))!;
        const after = cpuTicks(fixture("proc-stat-after.txt"))!;
        assert.ok(after.total - before.total > 3000, "20 s on 2 CPUs at 100 Hz is about 4000 ticks");
        assert.equal(stealPercent(before, after), 0);
        // The same interval had the hypervisor taken 400 of its ticks:
        const stolen = { total: after.total + 400, steal: after.steal + 400 };
        assert.ok(Math.abs(stealPercent(before, stolen)! - (400 / (after.total + 400 - before.total)) * 100) < 1e-9);
    });

    it("reads the boot time, the same in both reads; 0 without a btime line", () => {
        assert.equal(bootTimeS(fixture("proc-stat-before.txt")), 1796557377);
        assert.equal(bootTimeS(fixture("proc-stat-after.txt")), 1796557377);
        assert.equal(bootTimeS("cpu  1 2 3 4 5 6 7 8 0 0\n"), 0);
    });

    it("knows nothing rather than a wrong number: no aggregate line, a kernel without steal, no tick passed, counters reset", () => {
        const real = fixture("proc-stat-before.txt");
        assert.equal(cpuTicks(real.split("\n").slice(1).join("\n")), undefined);
        assert.equal(cpuTicks("cpu  927760 24 400291 1364372 5613 0 86842\n"), undefined);
        const t = cpuTicks(real)!;
        assert.equal(stealPercent(t, t), undefined);
        assert.equal(stealPercent(t, { total: t.total + 100, steal: 0 }), undefined);
    });
});
