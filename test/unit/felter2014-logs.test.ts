import { strict as assert } from "assert";
import {
    fio2Version,
    numaOptions,
    parseGupsRun,
    parseIntelLinpackRun,
    parseMcCalpinStream,
    splitDoitRuns,
    splitRedisLog,
    streamThreads,
} from "../../workloads/felter2014-logs";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

/** Excerpts of the authors' logs (test/fixtures/felter2014/README.md). */
const log = fixtureReader("felter2014/kvm-docker-comparison");

describe("workloads/felter2014-logs: the published logs of Felter et al. 2014", () => {
    it("Linpack: native linux.log has an empty run, a 1-trial, the 10-trial and an empty one-socket run", () => {
        const runs = splitDoitRuns(log("linpack/results/linux.log"));
        assert.deepEqual(
            runs.map((r) => r.index),
            [1, 2, 3, 4],
        );
        assert.equal(numaOptions(runs[2].header), "--physcpubind=0-31 --interleave=0,1");
        assert.equal(numaOptions(runs[3].header), "--physcpubind=0-7,16-23 --localalloc");
        const full = parseIntelLinpackRun(runs[2].text);
        assert.equal(full.trialsRequested, 10);
        assert.equal(full.complete, true);
        assert.equal(full.cpus, 2);
        assert.equal(full.problemSize, 45000);
        assert.deepEqual(full.gflops.slice(0, 3), [291.5018, 291.3511, 290.2783]);
        // The authors' spreadsheet mean (linpack.xlsx, 290.83) is the mean of these ten trials.
        assert.equal((full.gflops.reduce((a, b) => a + b, 0) / 10).toFixed(2), "290.83");
        const oneSocket = parseIntelLinpackRun(runs[3].text);
        assert.equal(oneSocket.complete, false);
        assert.deepEqual(oneSocket.gflops, []);
    });

    it("Linpack: docker.log's first run was logged before any header (run 0); vm.log tells the raw guest (32 CPUs) from the tuned one (2)", () => {
        const docker = splitDoitRuns(log("linpack/results/docker.log"));
        assert.equal(docker[0].index, 0);
        assert.deepEqual(parseIntelLinpackRun(docker[0].text).gflops, [288.057, 289.5239, 289.4029]);
        const vm = splitDoitRuns(log("linpack/results/vm.log")).filter((r) => /Intel\(R\) Optimized LINPACK/.test(r.text));
        const cpus = vm.map((r) => parseIntelLinpackRun(r.text)).map((l) => [l.cpus, l.gflops.length, l.complete]);
        assert.deepEqual(cpus, [
            [32, 1, true],
            [32, 10, true],
            [2, 0, false],
            [2, 0, false],
            [2, 6, false],
            [2, 10, true],
        ]);
    });

    it("Linpack: a trial whose residual check did not pass is refused", () => {
        const run = splitDoitRuns(log("linpack/results/linux.log"))[2].text.replace("3.301464e-02   pass", "3.301464e-02   fail");
        assertParseError(() => parseIntelLinpackRun(run), "linpack", "gflops");
    });

    it("STREAM: best rates per kernel and the thread count of each run", () => {
        const runs = splitDoitRuns(log("Stream/results/linux.two-socket.interleavedalloc.log"));
        assert.equal(runs.length, 3);
        assert.deepEqual(
            parseMcCalpinStream(runs[0].text).map((m) => [m.metric, m.value]),
            [
                ["copy_gbps", 41.2869],
                ["scale_gbps", 41.2835],
                ["add_gbps", 45.6895],
                ["triad_gbps", 45.7088],
            ],
        );
        assert.equal(streamThreads(runs[0].text), 32);
        assert.equal(streamThreads(splitDoitRuns(log("Stream/results/linux.single-socket.localalloc.log"))[0].text), 16);
        assertParseError(() => parseMcCalpinStream(runs[0].text.replace("Solution Validates", "")), "stream", "triad_gbps");
    });

    it("RandomAccess: GUP/s of each run; a failed verification is refused", () => {
        const runs = splitDoitRuns(log("RandomAccess/results/linux.single-socket.localalloc.log"));
        assert.equal(runs.length, 10);
        assert.deepEqual(parseGupsRun(runs[0].text), [{ metric: "gups", value: 0.012675061, unit: "GUP/s", better: "higher" }]);
        assertParseError(() => parseGupsRun(runs[0].text.replace("(passed)", "(failed)")), "randomaccess", "gups");
    });

    it("redis: one section per Run #r and connection count", () => {
        const s = splitRedisLog(log("redis/results/run_native_20140716_2211.txt"));
        assert.deepEqual(
            s.map((x) => [x.run, x.clients]),
            [
                [1, 50],
                [2, 50],
                [3, 50],
            ],
        );
        assert.match(s[0].text, /====== GET ======/);
        assert.doesNotMatch(s[0].text, /Run #2/);
    });

    it("fio 2.x: the version line before 'Starting N threads'", () => {
        assert.equal(fio2Version(log("fio/results/linux.log")), "2.0.8");
        assertParseError(() => fio2Version("Starting 29 threads\n"), "fio", "version");
    });
});
