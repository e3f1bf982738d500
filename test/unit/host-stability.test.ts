/**
 * The CPU-to-CPU round trip probe of `isobench doctor --stability`: its judgement
 * (analysis/host-stability.ts) on the probe's real output, and its script and CPU choice
 * (experiment/stability-probe.ts). The probe itself runs in test/integration/stability-probe.test.ts.
 */
import * as assert from "node:assert/strict";
import { STEADY_CV, judgeStability, parseProbeRates, repetitionsFor, roundTrips } from "../../analysis/host-stability";
import { tCritical } from "../../analysis/statistics";
import { probeCpus, probeScript } from "../../experiment/stability-probe";
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
            /^TCP round trip \(netperf TCP_RR, 1 s each\) between CPUs 0 and 1: median 53\.3 µs, 50\.8 µs–55\.9 µs over 10 samples \(CV [\d.]+ %\); on CPU 0 alone: median 16\.9 µs, 16\.7 µs–17 µs \(CV [\d.]+ %\); steady means CV ≤ 5 % between CPUs; at this spread a client-server mean needs 5 repetitions for ±5 % at 95 %$/,
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

    it("refuses output that is not the probe's, naming the line", () => {
        assert.throws(
            () => parseProbeRates("across 19000\nestablish control: are you sure there is a netserver listening on 127.0.0.1 at port 23456?\n"),
            /unexpected line "establish control: are you sure/,
        );
        assert.throws(() => parseProbeRates("across \n"), /unexpected line "across"/);
        assert.throws(() => parseProbeRates("same 0\n"), /unexpected line "same 0"/);
    });

    it("probes between the first CPUs of two cores, never two hyperthreads of one, and nothing on one core", () => {
        assert.deepEqual(probeCpus([[0], [1]]), [0, 1]);
        assert.deepEqual(
            probeCpus([
                [0, 8],
                [1, 9],
                [2, 10],
            ]),
            [0, 1],
        );
        assert.deepEqual(probeCpus([[0, 1]]), undefined);
    });

    it("pins netperf's two sides with -T, keeps netserver on loopback, and ends it with the script or by its own timeout", () => {
        const s = probeScript([0, 2], 5, 23456);
        assert.match(s, /^timeout 40 netserver -D -4 -L 127\.0\.0\.1,inet -p 23456 /m);
        assert.match(s, /trap 'kill \$s 2>\/dev\/null; wait \$s 2>\/dev\/null' EXIT/);
        assert.match(s, /x=\$\(netperf -H 127\.0\.0\.1 -p 23456 -T 0,2 -t TCP_RR -l 1 -P 0 -- -o THROUGHPUT \| tail -n 1\) \|\| exit 4; echo "across \$x"/);
        assert.match(s, /y=\$\(netperf -H 127\.0\.0\.1 -p 23456 -T 0,0 -t TCP_RR -l 1 -P 0 -- -o THROUGHPUT \| tail -n 1\) \|\| exit 4; echo "same \$y"/);
        assert.match(s, /while \[ \$r -lt 5 \]/);
    });
});
