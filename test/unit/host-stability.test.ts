/**
 * The CPU-to-CPU round trip probe of `isobench doctor --stability`: its judgement
 * (analysis/host-stability.ts) on the probe's real output, and its script and CPU choice
 * (experiment/stability-probe.ts). The probe itself runs in test/integration/stability-probe.test.ts.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    HOST_STABILITY_COLUMNS,
    STEADY_CV,
    judgeStability,
    parseProbeRates,
    repetitionsFor,
    roundTrips,
    stabilityBrief,
    stabilityRow,
} from "../../analysis/host-stability";
import { readHostStability } from "../../analysis/facts";
import { hostStabilitySection } from "../../analysis/report";
import { stringify } from "csv-stringify/sync";
import { tCritical } from "../../analysis/statistics";
import { netserverLifeS, probeCpus, probeScript } from "../../experiment/stability-probe";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("netperf");

describe("the CPU-to-CPU round trip probe (analysis/host-stability.ts, experiment/stability-probe.ts)", () => {
    it("reads the probe's output as captured on the development host, each rate into its placement", () => {
        const rates = parseProbeRates(fixture("stability-probe-2.7.0-dev-host.txt"));
        assert.equal(rates.across.length, 10);
        assert.equal(rates.same.length, 10);
        assert.equal(rates.across[0], 19672.66);
        assert.equal(rates.same[9], 59869.88);
    });

    it("turns rates into round trips (one transaction in flight: 1 / rate) with their median, range and CV", () => {
        const r = roundTrips([20000, 25000, 50000])!;
        assert.deepEqual([r.samples, r.medianUs, r.minUs, r.maxUs], [3, 40, 20, 50]);
        const mean = (50 + 40 + 20) / 3;
        const sd = Math.sqrt(((50 - mean) ** 2 + (40 - mean) ** 2 + (20 - mean) ** 2) / 2);
        assert.ok(Math.abs(r.cv! - sd / mean) < 1e-12);
        assert.equal(roundTrips([20000, 50000])!.medianUs, 35, "an even count's median is the middle pair's mean");
        assert.equal(roundTrips([]), undefined);
        assert.equal(roundTrips([10000])!.cv, null);
    });

    it("calls the development host's captured probe steady, with the figures in one line", () => {
        const s = judgeStability(parseProbeRates(fixture("stability-probe-2.7.0-dev-host.txt")), [0, 1], 1)!;
        assert.equal(s.steady, true);
        assert.ok(s.across.cv! < STEADY_CV);
        assert.match(
            s.detail,
            /^TCP round trip \(netperf TCP_RR, 1 s each\) between CPUs 0 and 1: median 53\.3 µs, 50\.8 µs–55\.9 µs over 10 samples \(CV [\d.]+ %\); on CPU 0 alone: median 16\.9 µs, 16\.7 µs–17 µs \(CV [\d.]+ %\); steady means CV ≤ 5 % between CPUs; were a client-server cell's repetitions to vary as these samples do, a mean would need 5 repetitions for ±5 % at 95 %$/,
        );
    });

    it("calls a round trip that moved by more than the limit unsteady, and one sample no evidence of steadiness", () => {
        // The two states Redis showed within two minutes on the development host, as netperf rates.
        const unsteady = judgeStability({ across: [19000, 19500, 6500, 7000, 18800, 6800], same: [57000, 57200] }, [0, 1], 1)!;
        assert.equal(unsteady.steady, false);
        assert.ok(unsteady.across.cv! > 0.3);
        const one = judgeStability({ across: [19000], same: [] }, [0, 2], 1)!;
        assert.equal(one.steady, false);
        assert.match(one.detail, /over 1 samples \(no spread from one sample\); on one CPU: not measured/);
        assert.equal(judgeStability({ across: [], same: [57000] }, [0, 1], 1), undefined);
    });

    it("says how many repetitions a mean needs for the goal at the measured spread: the smallest n with t(n - 1) · CV / √n within it", () => {
        const ok = (cv: number, n: number) => (tCritical(0.95, n - 1) * cv) / Math.sqrt(n) <= 0.05;
        for (const cv of [0.01, 0.032, 0.059, 0.2]) {
            const n = repetitionsFor(cv, 0.05)!;
            assert.ok(ok(cv, n) && (n === 2 || !ok(cv, n - 1)), `cv ${cv}: ${n}`);
        }
        // The development host's two probes: 10 samples at 3.2 %, 40 at 5.9 %; the stacks stop at 6.
        assert.equal(repetitionsFor(0.032, 0.05), 5);
        assert.equal(repetitionsFor(0.059, 0.05), 8);
        assert.equal(repetitionsFor(5, 0.05, 0.95, 100), undefined);
    });

    it("keeps a run's probe as a row of host-stability.csv that the analysis reads back into the summary and a comparison's header", () => {
        const s = judgeStability(parseProbeRates(fixture("stability-probe-2.7.0-dev-host.txt")), [0, 1], 1)!;
        const measured = stabilityRow(
            { at: "2026-12-07T23:40:00.000Z", cellsMeasured: 0, seconds: 20 },
            { stability: s, cpus: [0, 1], raw: "raw/host-stability/probe-1.txt" },
        );
        assert.deepEqual(Object.keys(measured), [...HOST_STABILITY_COLUMNS]);
        assert.equal(measured.across_samples, "10");
        assert.equal(measured.across_median_us, "53.2866", "median of the 10 round trips in µs, six significant digits");
        assert.equal(measured.steady, "true");
        assert.equal(measured.error, "");
        const failed = stabilityRow(
            { at: "2026-12-08T01:10:00.000Z", cellsMeasured: 114, seconds: 20 },
            { error: "the probe failed (exit 5):\nnetperf and netserver are not installed there" },
        );
        assert.equal(failed.error, "the probe failed (exit 5): netperf and netserver are not installed there", "one line in the CSV");
        assert.equal(failed.across_cv, "");

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-stability-"));
        try {
            fs.writeFileSync(
                path.join(dir, "host-stability.csv"),
                stringify(
                    [measured, failed].map((r) => HOST_STABILITY_COLUMNS.map((c) => r[c])),
                    { header: true, columns: [...HOST_STABILITY_COLUMNS] },
                ),
            );
            const read = readHostStability(dir);
            assert.equal(read.problem, undefined);
            assert.deepEqual(read.rows, [measured, failed]);
            const section = hostStabilitySection(read.rows).join("\n");
            assert.match(section, /^## Host stability\n\nBefore each `isobench up` pass/);
            assert.match(
                section,
                /\n- 2026-12-07T23:40:00\.000Z, before the first cell, 20 s: round trip between CPUs 0 and 1 median 53\.3 µs, 50\.8 µs–55\.9 µs over 10 samples \(CV [\d.]+ %; steady\); on one CPU median 16\.9 µs \(CV [\d.]+ %\)\n/,
            );
            assert.match(
                section,
                /\n- 2026-12-08T01:10:00\.000Z, after 114 cell\(s\), 20 s: not measured \(the probe failed \(exit 5\): netperf and netserver are not installed there\)\n/,
            );
            assert.match(stabilityBrief(read.rows), /^round trip between CPUs: CV [\d.]+ %, not measured \(2 probes\)$/);
            assert.equal(stabilityBrief([]), "not probed");
            assert.deepEqual(hostStabilitySection([]), [], "a run without probes has no section");
            fs.writeFileSync(path.join(dir, "host-stability.csv"), "at,cv\n1,2\n");
            const bad = readHostStability(dir);
            assert.match(bad.problem!, /host-stability\.csv: header is "at,cv", expected "at,cells_measured,/);
            assert.equal(
                stabilityBrief(bad.rows, bad.problem),
                "host-stability.csv unreadable (the report's Problems say why)",
                "not taken for a run that never probed",
            );
            fs.writeFileSync(path.join(dir, "host-stability.csv"), "");
            assert.deepEqual(readHostStability(dir), { rows: [] }, "an empty file: a probe that had not written yet");
            fs.rmSync(path.join(dir, "host-stability.csv"));
            assert.deepEqual(readHostStability(dir), { rows: [] }, "no probe taken: nothing to show, no problem");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("refuses output that is not the probe's, naming the line", () => {
        assert.throws(
            () => parseProbeRates("across 19000\nestablish control: are you sure there is a netserver listening on 127.0.0.1 at port 23456?\n"),
            /unexpected line "establish control: are you sure/,
        );
        assert.throws(() => parseProbeRates("across \n"), /unexpected line "across"/);
        assert.throws(() => parseProbeRates("same 0\n"), /unexpected line "same 0"/);
    });

    it("probes between the first CPUs of two cores of one socket, never two hyperthreads of one core, and nothing on one core", () => {
        assert.deepEqual(probeCpus([[0], [1]]), [0, 1]);
        const ht = [
            [0, 8],
            [1, 9],
            [2, 10],
        ];
        assert.deepEqual(probeCpus(ht), [0, 1]);
        // Two sockets whose cores alternate (CPU 1 on socket 1): the next core of CPU 0's socket.
        assert.deepEqual(probeCpus(ht, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0]), [0, 2]);
        assert.deepEqual(probeCpus([[0], [1]], [0, 1]), [0, 1], "no second core in the socket: the next core");
        assert.deepEqual(probeCpus([[0, 1]]), undefined);
    });

    describe("the probe's script under /bin/sh, with stand-ins for netperf and netserver", () => {
        let dir: string;
        beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-probe-"))));
        afterEach(() => {
            const pid = Number(fs.existsSync(path.join(dir, "netserver.pid")) ? fs.readFileSync(path.join(dir, "netserver.pid"), "utf8") : 0);
            if (pid && alive(pid)) process.kill(pid, "SIGKILL");
            fs.rmSync(dir, { recursive: true, force: true });
        });
        const alive = (pid: number) => {
            try {
                process.kill(pid, 0);
                return true;
            } catch {
                return false;
            }
        };
        /** netserver records its pid and waits (or exits at once when `listens` is false); netperf prints `rate` or fails. */
        const tools = (o: { listens: boolean; netperf: "ok" | "fail" }) => {
            const w = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
            w("netserver", o.listens ? `echo $$ > ${dir}/netserver.pid; exec sleep 300` : "exit 1");
            w(
                "netperf",
                o.netperf === "ok"
                    ? 'case "$*" in *"-T 0,0"*) echo 57000.5;; *) echo 19000.25;; esac'
                    : 'echo "establish control: are you sure there is a netserver listening?" >&2; exit 1',
            );
        };
        const run = (rounds: number) =>
            spawnSync("/bin/sh", ["-c", probeScript([0, 1], rounds, 23456)], {
                encoding: "utf8",
                env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
                timeout: 30_000,
            });
        const serverPid = () => Number(fs.readFileSync(path.join(dir, "netserver.pid"), "utf8"));

        it("prints one pair per round and ends netserver", () => {
            tools({ listens: true, netperf: "ok" });
            const r = run(2);
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(parseProbeRates(r.stdout), { across: [19000.25, 19000.25], same: [57000.5, 57000.5] });
            assert.equal(alive(serverPid()), false);
        });

        it("fails with netperf's own words when a sample fails, and ends netserver", () => {
            tools({ listens: true, netperf: "ok" });
            // The first (unreported) sample answers, the next fails.
            fs.writeFileSync(
                path.join(dir, "netperf"),
                `#!/bin/sh\nif [ -e ${dir}/once ]; then echo "recv_response: connection reset" >&2; exit 1; fi; touch ${dir}/once; echo 19000\n`,
                { mode: 0o755 },
            );
            const r = run(2);
            assert.equal(r.status, 4);
            assert.match(r.stderr, /recv_response: connection reset\nnetperf -T 0,1 failed \(exit 1\)/);
            assert.equal(alive(serverPid()), false);
        });

        it("exits 5 naming the package where netperf or netserver is not installed", () => {
            const empty = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-no-netperf-"));
            try {
                const r = spawnSync("/bin/sh", ["-c", probeScript([0, 1], 2, 23456)], { encoding: "utf8", env: { PATH: empty }, timeout: 30_000 });
                assert.equal(r.status, 5, r.stderr);
                assert.match(r.stderr, /^netperf and netserver are not installed there \(Debian: apt-get install netperf, from non-free/);
            } finally {
                fs.rmSync(empty, { recursive: true, force: true });
            }
        });

        it("exits 3 when netserver cannot listen, so that another port is tried", () => {
            tools({ listens: false, netperf: "fail" });
            const r = run(2);
            assert.equal(r.status, 3);
            assert.match(r.stderr, /netserver could not listen on 127\.0\.0\.1:23456/);
        });

        it("ends netserver when the script is terminated (a dropped SSH connection, Ctrl-C)", async () => {
            tools({ listens: true, netperf: "ok" });
            fs.writeFileSync(path.join(dir, "netperf"), "#!/bin/sh\nsleep 0.3; echo 19000\n", { mode: 0o755 });
            const child = spawn("/bin/sh", ["-c", probeScript([0, 1], 100, 23456)], {
                env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
                stdio: "ignore",
            });
            const exited = new Promise((resolve) => child.on("exit", resolve));
            while (!fs.existsSync(path.join(dir, "netserver.pid"))) await new Promise((r) => setTimeout(r, 50));
            await new Promise((r) => setTimeout(r, 800));
            assert.equal(alive(serverPid()), true);
            child.kill("SIGTERM");
            await exited;
            for (let i = 0; i < 20 && alive(serverPid()); i++) await new Promise((r) => setTimeout(r, 100));
            assert.equal(alive(serverPid()), false);
        });

        it("gives netserver a life of its own that outlasts the samples", () => {
            assert.match(probeScript([0, 1], 5, 23456), /^timeout 50 netserver -D -4 -L 127\.0\.0\.1,inet -p 23456 /m);
            assert.equal(netserverLifeS(5), 5 * 2 * 2 + 30);
        });
    });
});
