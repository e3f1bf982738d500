/**
 * `isobench doctor --stability` against the real netperf and netserver of this machine: the probe
 * measures both placements, its netserver listens on loopback only while it runs, and nothing of
 * it outlives the probe.
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import { parseProbeRates } from "../../analysis/host-stability";
import { probeScript, probeStability } from "../../experiment/stability-probe";
import { thisMachine } from "../../environments/transport";
import { recordHostStability } from "../../experiment/stability-record";
import { readHostStability } from "../../analysis/facts";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Processes left by a probe: its netserver has a port of 20000–29999 and listens on 127.0.0.1 (the netperf workload's listens elsewhere). */
const probeLeftovers = (): string[] =>
    spawnSync("pgrep", ["-af", "netserver"], { encoding: "utf8" })
        .stdout.split("\n")
        .filter((l) => /-L 127\.0\.0\.1,inet -p 2\d{4}\b/.test(l));

describe("the CPU-to-CPU round trip probe on this machine (experiment/stability-probe.ts)", function () {
    this.timeout(120_000);

    afterEach(() => {
        for (const l of probeLeftovers()) process.kill(Number(l.split(" ")[0]));
    });

    it("samples both placements with the real netperf while its netserver listens on loopback only", async () => {
        const port = 20000 + (process.pid % 10000);
        const child = spawn("/bin/sh", ["-c", probeScript([0, 1], 3, port)], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        const listening = new Set<string>();
        let done = false;
        void exited.then(() => (done = true));
        while (!done) {
            for (const l of spawnSync("ss", ["-Hltnp"], { encoding: "utf8" }).stdout.split("\n")) {
                if (l.includes("netserver") && l.includes(`:${port} `)) listening.add(l.trim().split(/\s+/)[3]);
            }
            await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(await exited, 0, err);
        assert.deepEqual([...listening], [`127.0.0.1:${port}`], "netserver was seen listening, on loopback only");
        const rates = parseProbeRates(out);
        assert.equal(rates.across.length, 3);
        assert.equal(rates.same.length, 3);
        assert.deepEqual(probeLeftovers(), [], "netserver ends with the probe");
    });

    it("judges what it measured, as doctor --stability prints it, and leaves nothing running", () => {
        const p = probeStability(thisMachine(), 4);
        assert.ok(p.ok, p.ok ? "" : p.why);
        assert.equal(p.stability.across.samples, 2);
        assert.equal(p.stability.same!.samples, 2);
        // A loopback round trip on any machine isobench runs on: microseconds, not seconds.
        assert.ok(p.stability.across.medianUs > 1 && p.stability.across.medianUs < 10_000, p.stability.detail);
        assert.match(p.stability.detail, /^TCP round trip \(netperf TCP_RR, 1 s each\) between CPUs \d+ and \d+: median /);
        assert.deepEqual(probeLeftovers(), []);
    });

    it("a run's probes append to its host-stability.csv under one header, each with its raw output and a progress line", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-stability-run-"));
        try {
            const first = recordHostStability(dir, thisMachine(), 4, 0);
            const second = recordHostStability(dir, thisMachine(), 4, 3);
            assert.equal(first.error, "", first.error);
            assert.equal(second.error, "", second.error);
            const text = fs.readFileSync(path.join(dir, "host-stability.csv"), "utf8");
            assert.equal(text.split("\n").filter((l) => l.startsWith("at,")).length, 1, "one header");
            assert.deepEqual(
                readHostStability(dir).rows.map((r) => [r.cells_measured, r.raw]),
                [
                    ["0", "raw/host-stability/probe-1.txt"],
                    ["3", "raw/host-stability/probe-2.txt"],
                ],
            );
            for (const n of [1, 2])
                assert.equal(parseProbeRates(fs.readFileSync(path.join(dir, "raw", "host-stability", `probe-${n}.txt`), "utf8")).across.length, 2);
            const log = fs.readFileSync(path.join(dir, "progress.log"), "utf8");
            assert.match(log, /host stability probe 1 \(4 s, before the first cell\): round trip between CPUs/);
            assert.match(log, /host stability probe 2 \(4 s, after 3 cell\(s\)\): round trip between CPUs/);
            assert.deepEqual(probeLeftovers(), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
