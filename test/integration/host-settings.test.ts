/**
 * Host settings on this (shared) host: THP is applied and restored for real, through the same CLI
 * commands the stack's host-settings resource runs, and probe-host measures the applied value in
 * between; governor and boost are refused before provisioning because this VM has no cpufreq; swap
 * is never switched (this host has none, so `swap: off` must plan nothing). THP is put back in
 * `finally` whatever happens, and the window it differs is kept short.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { selected } from "../../environments/host-facts";
import { THP_PATH } from "../../environments/host-settings";
import { attempt } from "../../environments/process";
import { REPO_ROOT } from "../../core/paths";

const ISOBENCH = path.join(REPO_ROOT, "bin", "isobench");
const spec = (host: Record<string, unknown>) => parseSpec("isb-h3b-host", { runId: "it", environments: ["native"], workloads: ["idle"], host });

describe("host settings on this host", function () {
    this.timeout(120_000);
    let records: string;
    let results: string;
    let saved: string | undefined;

    before(function () {
        if (process.getuid?.() !== 0 || !fs.existsSync(THP_PATH)) this.skip();
        records = fs.mkdtempSync(path.join(os.tmpdir(), "isb-h3b-records-"));
        results = fs.mkdtempSync(path.join(os.tmpdir(), "isb-h3b-results-"));
        saved = process.env.ISOBENCH_HOST_RECORDS_DIR;
        process.env.ISOBENCH_HOST_RECORDS_DIR = records;
    });

    after(() => {
        if (saved === undefined) delete process.env.ISOBENCH_HOST_RECORDS_DIR;
        else process.env.ISOBENCH_HOST_RECORDS_DIR = saved;
        for (const d of [records, results]) if (d) fs.rmSync(d, { recursive: true, force: true });
    });

    it("applies THP with host-apply, probe-host measures it, host-restore puts the original back", () => {
        const original = selected(fs.readFileSync(THP_PATH, "utf8"));
        const target = original === "never" ? "madvise" : "never";
        const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64");
        // The preflight of a stack that applies THP passes and names the change.
        const logged: string[] = [];
        gatherHost(spec({ thp: target, apply: true }), { log: (l) => logged.push(l) });
        assert.ok(logged.includes(`host settings (isobench:host.apply): thp ${original} -> ${target}; restored on isobench destroy`), logged.join("\n"));
        let applied = "",
            during = "",
            probe = { status: -1, stdout: "", stderr: "" } as ReturnType<typeof attempt>,
            restoredOut = "";
        try {
            applied = attempt([ISOBENCH, "host-apply", "isb-h3b-host", b64({ thp: target, swap: "off" })], 60).stdout;
            during = selected(fs.readFileSync(THP_PATH, "utf8"));
            probe = attempt([ISOBENCH, "probe-host", results, b64({ thp: target }), "isb-h3b-host"], 60);
            restoredOut = attempt([ISOBENCH, "host-restore", "isb-h3b-host"], 60).stdout;
        } finally {
            if (selected(fs.readFileSync(THP_PATH, "utf8")) !== original) fs.writeFileSync(THP_PATH, original);
        }
        assert.equal(during, target);
        assert.equal(applied.trim(), `applied:\nthp: ${original} -> ${target}`, "swap is off here, so swap: off changes nothing");
        assert.equal(probe.status, 0, probe.stderr);
        const hostCsv = fs.readFileSync(path.join(results, "host.csv"), "utf8");
        assert.match(hostCsv, new RegExp(`,thp,${target},${target},`));
        assert.match(hostCsv, new RegExp(`,host_settings_applied,thp ${original} -> ${target},,`));
        assert.equal(restoredOut.trim(), `restored:\nthp: ${target} -> ${original}`);
        assert.equal(selected(fs.readFileSync(THP_PATH, "utf8")), original);
        assert.deepEqual(fs.readdirSync(records), [], "the record is gone once restored");
    });

    it("refuses governor and boost before provisioning where the host has no cpufreq, naming the path", function () {
        if (fs.existsSync("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor")) this.skip();
        assert.throws(
            () => gatherHost(spec({ governor: "performance", boost: "off", apply: true })),
            /isobench:host\.apply cannot apply the declared host settings:\n {2}- isobench:host\.governor: \/sys\/devices\/system\/cpu\/cpu0\/cpufreq\/scaling_governor does not exist .*\n {2}- isobench:host\.boost: neither \/sys\/devices\/system\/cpu\/cpufreq\/boost nor/,
        );
    });

    it("without apply, a host that differs is refused with apply: true among the fixes", () => {
        const other = selected(fs.readFileSync(THP_PATH, "utf8")) === "never" ? "always" : "never";
        assert.throws(() => gatherHost(spec({ thp: other })), /thp: declared never|thp: declared always/);
        assert.throws(() => gatherHost(spec({ thp: other })), /Fix: set isobench:host\.apply: true/);
    });

    it("swap: on is refused here (no swap active, none in /etc/fstab); swap is never touched", function () {
        if (
            !/^Filename[^\n]*\n?$/.test(fs.readFileSync("/proc/swaps", "utf8")) ||
            /\sswap\s/.test(fs.existsSync("/etc/fstab") ? fs.readFileSync("/etc/fstab", "utf8") : "")
        )
            this.skip();
        assert.throws(
            () => gatherHost(spec({ swap: "on", apply: true })),
            /isobench:host\.swap: on, but no swap is active and \/etc\/fstab lists no swap device/,
        );
    });
});
