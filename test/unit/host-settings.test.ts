/**
 * Applying and restoring declared host settings without touching the host: the pure plan from
 * snapshots (this host's real THP and /proc/swaps files; the shapes of cpufreq files it lacks),
 * the refusals naming the missing sysfs path and the fix, records of other stacks, and the I/O half
 * on a fake root (a temporary directory laid out like /sys, /proc and /etc).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostRecord, HostSnapshot, activeSwaps, conflicts, fstabSwaps, mergeRecord, planHostSettings, restoreActions } from "../../environments/host-settings";
import { applyHostSettings, checkHostSettings, readHostSnapshot, readRecords, restoreHostSettings } from "../../environments/host-apply";
import { hostSettingsOf, parseSpec } from "../../experiment/spec";

const FIX = path.join(__dirname, "..", "fixtures", "environments");
const NO_SWAP = fs.readFileSync(path.join(FIX, "proc-swaps-none.txt"), "utf8");
// The kernel's /proc/swaps layout with two devices (this host has no swap to capture).
const TWO_SWAPS = `${NO_SWAP.trimEnd()}\n/dev/sda2                               partition\t4194300\t\t0\t\t-2\n/swapfile                               file\t\t1048572\t\t0\t\t10\n`;

/** This host as it is: THP madvise, no swap, no cpufreq. */
const here: HostSnapshot = { thp: "always [madvise] never", procSwaps: NO_SWAP, fstab: "", governors: [], unwritable: [], root: true };

describe("host settings: plan", () => {
    it("changes THP and undoes it; nothing to do when already as declared", () => {
        const p = planHostSettings({ thp: "never" }, here);
        assert.deepEqual(p.problems, []);
        assert.deepEqual(p.changes, [
            {
                setting: "thp",
                from: "madvise",
                to: "never",
                apply: [{ kind: "write", path: "/sys/kernel/mm/transparent_hugepage/enabled", value: "never" }],
                restore: [{ kind: "write", path: "/sys/kernel/mm/transparent_hugepage/enabled", value: "madvise" }],
            },
        ]);
        assert.deepEqual(planHostSettings({ thp: "madvise", swap: "off" }, here), { changes: [], problems: [] });
    });

    it("refuses governor and boost without cpufreq, naming the missing sysfs paths and the fix", () => {
        const p = planHostSettings({ governor: "performance", boost: "off" }, here);
        assert.equal(p.changes.length, 0);
        assert.match(
            p.problems[0],
            /isobench:host\.governor: \/sys\/devices\/system\/cpu\/cpu0\/cpufreq\/scaling_governor does not exist .*Fix: run on a host with a cpufreq driver.*or remove isobench:host\.governor/,
        );
        assert.match(
            p.problems[1],
            /isobench:host\.boost: neither \/sys\/devices\/system\/cpu\/cpufreq\/boost nor \/sys\/devices\/system\/cpu\/intel_pstate\/no_turbo exists.*Fix:/,
        );
    });

    it("sets the governor of every CPU that differs and refuses one the driver does not offer", () => {
        const s: HostSnapshot = {
            ...here,
            governors: [
                { path: "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", value: "powersave", available: "performance powersave" },
                { path: "/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", value: "performance", available: "performance powersave" },
            ],
        };
        const c = planHostSettings({ governor: "performance" }, s).changes[0];
        assert.deepEqual(
            [c.from, c.apply.length, c.restore],
            ["powersave", 1, [{ kind: "write", path: "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", value: "powersave" }]],
        );
        assert.match(
            planHostSettings({ governor: "schedutil" }, s).problems[0],
            /schedutil is not in \/sys\/devices\/system\/cpu\/cpu0\/cpufreq\/scaling_available_governors \("performance powersave"\)/,
        );
    });

    it("boost through cpufreq/boost (1 = on) or intel_pstate/no_turbo (1 = off)", () => {
        const boost = planHostSettings(
            { boost: "off" },
            { ...here, boost: { path: "/sys/devices/system/cpu/cpufreq/boost", kind: "cpufreq-boost", value: "1" } },
        ).changes[0];
        assert.deepEqual(
            [boost.from, boost.apply, boost.restore.map((a) => a.kind === "write" && a.value)],
            ["on", [{ kind: "write", path: "/sys/devices/system/cpu/cpufreq/boost", value: "0" }], ["1"]],
        );
        const turbo = planHostSettings(
            { boost: "off" },
            { ...here, boost: { path: "/sys/devices/system/cpu/intel_pstate/no_turbo", kind: "no-turbo", value: "0" } },
        ).changes[0];
        assert.deepEqual(turbo.apply, [{ kind: "write", path: "/sys/devices/system/cpu/intel_pstate/no_turbo", value: "1" }]);
    });

    it("swap off: swapoff every active device, restored at its priority", () => {
        assert.deepEqual(activeSwaps(TWO_SWAPS), [
            { device: "/dev/sda2", priority: -2 },
            { device: "/swapfile", priority: 10 },
        ]);
        const c = planHostSettings({ swap: "off" }, { ...here, procSwaps: TWO_SWAPS }).changes[0];
        assert.deepEqual(c.apply, [
            { kind: "run", argv: ["swapoff", "/dev/sda2"] },
            { kind: "run", argv: ["swapoff", "/swapfile"] },
        ]);
        assert.deepEqual(c.restore, [
            { kind: "run", argv: ["swapon", "/dev/sda2"] },
            { kind: "run", argv: ["swapon", "-p", "10", "/swapfile"] },
        ]);
    });

    it("swap on: the swap entries of /etc/fstab, refused when there are none or when not root", () => {
        const fstab =
            "# <file system> <mount point> <type> <options>\nUUID=1 / ext4 defaults 0 1\n/swapfile none swap sw 0 0\n/dev/sdb1 none swap noauto 0 0\n";
        assert.deepEqual(fstabSwaps(fstab), ["/swapfile"]);
        assert.deepEqual(planHostSettings({ swap: "on" }, { ...here, fstab }).changes[0].apply, [{ kind: "run", argv: ["swapon", "/swapfile"] }]);
        assert.match(
            planHostSettings({ swap: "on" }, here).problems[0],
            /no swap is active and \/etc\/fstab lists no swap device.*Fix: add a swap device to \/etc\/fstab/,
        );
        assert.match(planHostSettings({ swap: "off" }, { ...here, procSwaps: TWO_SWAPS, root: false }).problems[0], /needs swapoff, which only root may run/);
    });

    it("refuses a value THP does not offer and a sysfs file it cannot write", () => {
        assert.match(planHostSettings({ thp: "sometimes" }, here).problems[0], /sometimes is not offered by \/sys\/kernel\/mm\/transparent_hugepage\/enabled/);
        assert.match(
            planHostSettings({ thp: "never" }, { ...here, unwritable: ["/sys/kernel/mm/transparent_hugepage/enabled"] }).problems[0],
            /cannot write \/sys\/kernel\/mm\/transparent_hugepage\/enabled/,
        );
        assert.match(planHostSettings({ thp: "never" }, { ...here, thp: undefined }).problems[0], /transparent_hugepage\/enabled does not exist/);
    });

    it("records: an unrestored record keeps its originals, other stacks' settings conflict, restore runs last change first", () => {
        const thp = planHostSettings({ thp: "never" }, here).changes[0];
        const old: HostRecord = { stack: "a", appliedAt: "t0", changes: [thp] };
        // The host now shows the applied value, so a new plan would record "never" as the original.
        const again = planHostSettings({ thp: "always" }, { ...here, thp: "always madvise [never]" }).changes;
        assert.deepEqual(mergeRecord(old, "a", again, "t1"), { stack: "a", appliedAt: "t0", changes: [thp] });
        assert.match(
            conflicts({ thp: "always" }, "b", [old])[0],
            /isobench:host\.thp: stack a has set it to never \(from madvise\) and not restored it yet.*Fix: isobench destroy a first/,
        );
        assert.deepEqual(conflicts({ thp: "always" }, "a", [old]), []);
        assert.deepEqual(conflicts({ swap: "off" }, "b", [old]), []);
        const two: HostRecord = {
            stack: "a",
            appliedAt: "t0",
            changes: [thp, { setting: "boost", from: "on", to: "off", apply: [], restore: [{ kind: "write", path: "/b", value: "1" }] }],
        };
        assert.deepEqual(
            restoreActions(two).map((a) => a.kind === "write" && a.path),
            ["/b", "/sys/kernel/mm/transparent_hugepage/enabled"],
        );
    });

    it("the spec accepts apply and the probe never compares it", () => {
        const s = parseSpec("t", { runId: "r", environments: ["native"], workloads: ["idle"], host: { thp: "never", apply: true } });
        assert.deepEqual(hostSettingsOf(s.host), { thp: "never" });
    });
});

describe("host settings: apply and restore on a fake root", () => {
    let root: string;
    let records: string;
    const ran: string[][] = [];
    const io = () => ({
        root,
        recordsDir: records,
        run: (argv: readonly string[]) => {
            ran.push([...argv]);
        },
    });
    const put = (p: string, v: string) => {
        fs.mkdirSync(path.dirname(root + p), { recursive: true });
        fs.writeFileSync(root + p, v);
    };
    const get = (p: string) => fs.readFileSync(root + p, "utf8").trim();

    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "isb-h3b-root-"));
        records = path.join(root, "records");
        ran.length = 0;
        put("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        for (const c of [0, 1]) {
            put(`/sys/devices/system/cpu/cpu${c}/cpufreq/scaling_governor`, "powersave\n");
            put(`/sys/devices/system/cpu/cpu${c}/cpufreq/scaling_available_governors`, "performance powersave\n");
        }
        put("/sys/devices/system/cpu/cpufreq/boost", "1\n");
        put("/proc/swaps", TWO_SWAPS);
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("reads the snapshot from the tree", () => {
        const s = readHostSnapshot(io());
        assert.equal(s.thp, "always [madvise] never");
        assert.deepEqual(
            s.governors.map((g) => [g.path, g.value]),
            [
                ["/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "powersave"],
                ["/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor", "powersave"],
            ],
        );
        assert.deepEqual(s.boost, { path: "/sys/devices/system/cpu/cpufreq/boost", kind: "cpufreq-boost", value: "1" });
    });

    it("applies, records the previous values, and restores them on restore (THP, whose kernel file rewrites itself, is tested on the real host)", () => {
        const io1 = {
            ...io(),
            run: (argv: readonly string[]) => {
                ran.push([...argv]);
                put("/proc/swaps", argv[0] === "swapoff" ? NO_SWAP : TWO_SWAPS);
            },
        };
        const changes = applyHostSettings(io1, "s1", { governor: "performance", boost: "off", swap: "off" }, new Date("2026-01-01T00:00:00Z"));
        assert.deepEqual(
            changes.map((c) => `${c.setting}:${c.from}->${c.to}`),
            ["swap:/dev/sda2,/swapfile->off", "governor:powersave->performance", "boost:on->off"],
        );
        assert.equal(get("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"), "performance");
        assert.equal(get("/sys/devices/system/cpu/cpu1/cpufreq/scaling_governor"), "performance");
        assert.equal(get("/sys/devices/system/cpu/cpufreq/boost"), "0");
        assert.deepEqual(ran, [
            ["swapoff", "/dev/sda2"],
            ["swapoff", "/swapfile"],
        ]);
        assert.deepEqual(
            readRecords(io1).map((r) => [r.stack, r.appliedAt]),
            [["s1", "2026-01-01T00:00:00.000Z"]],
        );
        assert.throws(() => checkHostSettings(io1, "s2", { governor: "powersave" }), /stack s1 has set it to performance/);
        ran.length = 0;
        const restored = restoreHostSettings(io1, "s1");
        assert.equal(restored.length, 3);
        assert.equal(get("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"), "powersave");
        assert.equal(get("/sys/devices/system/cpu/cpufreq/boost"), "1");
        // Last change first: boost, governor, then swap back on at the recorded priorities.
        assert.deepEqual(ran, [
            ["swapon", "/dev/sda2"],
            ["swapon", "-p", "10", "/swapfile"],
        ]);
        assert.deepEqual(readRecords(io1), []);
        assert.deepEqual(restoreHostSettings(io1, "s1"), [], "nothing recorded, nothing to restore");
    });

    it("keeps the record when a restore action fails, so a second destroy can finish it", () => {
        applyHostSettings(io(), "s1", { boost: "off" });
        fs.rmSync(root + "/sys/devices/system/cpu/cpufreq", { recursive: true });
        assert.throws(
            () => restoreHostSettings(io(), "s1"),
            /restoring the host settings of stack s1 failed \(record kept in .*s1\.json\):\n {2}- echo 1 > \/sys\/devices\/system\/cpu\/cpufreq\/boost/,
        );
        assert.equal(readRecords(io()).length, 1);
    });

    it("refuses before changing anything when a setting cannot be applied, and fails when a write does not take", () => {
        fs.rmSync(root + "/sys/devices/system/cpu/cpufreq/boost");
        assert.throws(
            () => applyHostSettings(io(), "s1", { thp: "never", boost: "off" }),
            /isobench:host\.apply cannot apply.*\n {2}- isobench:host\.boost: neither/,
        );
        assert.equal(get("/sys/kernel/mm/transparent_hugepage/enabled"), "always [madvise] never");
        assert.deepEqual(readRecords(io()), []);
        // The fake file keeps the written word without brackets: the check after applying sees no selection.
        assert.throws(
            () => applyHostSettings(io(), "s1", { thp: "never" }),
            /host setting thp: set to never, but the host shows unavailable \(the record in .* restores it on destroy\)/,
        );
        assert.equal(readRecords(io()).length, 1, "the record is written before the change, so destroy can restore");
    });
});
