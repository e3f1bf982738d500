import { strict as assert } from "assert";
import { FIO_JOBS, fio, fioJobFile, parseFio } from "../../workloads/fio";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import { valuesByMetric } from "../helpers/measurements";

const fixture = fixtureReader("fio");
const JSON_333 = "fio-3.33-8jobs-32m-runtime2.txt";
const TEXT_333 = "fio-3.33-normal-3jobs-32m-runtime2.txt";
/** The paper's fio 2.0.8 logs, in the excerpts of the authors' repository (test/fixtures/felter2014/README.md). */
const paperLog = fixtureReader("felter2014/kvm-docker-comparison/fio/results");
const PAPER_NATIVE = "linux.log";
const PAPER_KVM = "vm.log";
const CTX = { dataDir: "/var/lib/isobench-data" };
const ALL_DIRS = 9; // eight jobs, the mixed one reads and writes

describe("workloads/fio", () => {
    it("defaults to the paper's job file: eight jobs, 16g, 60 s random runtime, whole file sequentially", () => {
        assert.deepEqual(Object.keys(FIO_JOBS), [
            "sequential-fill",
            "seq-read-1",
            "seq-read-2",
            "random-write-16",
            "random-write-16x8",
            "random-read-16",
            "random-read-16x8",
            "mixed-random-rw-32x8",
        ]);
        assert.deepEqual(fio.defaults, {
            jobs: Object.keys(FIO_JOBS).join(","),
            size: "16g",
            runtimeSeconds: 60,
            seqRuntimeSeconds: 0,
            timeBased: 0,
            rampSeconds: 0,
        });
        assert.equal(fio.notes!(fio.defaults), "");
        assert.match(fio.notes!({ ...fio.defaults, size: "64m" }), /size=64m/);
    });

    it("writes the job file: global libaio/direct in the data directory, stonewall between jobs, runtime only on random jobs", () => {
        const job = fioJobFile(fio.defaults, CTX.dataDir);
        assert.match(
            job,
            /^\[global\]\nioengine=libaio\ndirect=1\nsize=16g\ngroup_reporting\nthread\ndirectory=\/var\/lib\/isobench-data\nfilename=fio-test-file\n/,
        );
        assert.match(
            job,
            /\n\[sequential-fill\]\ndescription=Sequential fill phase\nrw=write\nbs=1M\niodepth=16\n\n\[seq-read-1\]\nstonewall\nrw=read\nbs=1M\niodepth=1\n/,
        );
        assert.match(job, /\n\[mixed-random-rw-32x8\]\nstonewall\nrw=randrw\nrwmixread=70\nbs=4K\niodepth=32\nnumjobs=8\nruntime=60\n$/);
        assert.equal(job.match(/^runtime=60$/gm)!.length, 5);
        assert.equal(job.match(/^stonewall$/gm)!.length, 7);
        assert.doesNotMatch(job, /time_based|ramp_time/);
        const scaled = fioJobFile({ ...fio.defaults, jobs: "seq-read-2,random-read-16", size: "64m", runtimeSeconds: 3, seqRuntimeSeconds: 2 }, "/d");
        assert.match(
            scaled,
            /\[seq-read-2\]\nrw=read\nbs=1M\niodepth=2\nruntime=2\n\n\[random-read-16\]\nstonewall\ndescription=Random read steady state phase\nrw=randread\nbs=4K\niodepth=16\nruntime=3\n$/,
        );
        assert.throws(() => fioJobFile({ ...fio.defaults, jobs: "seq-read-3" }, "/d"), /jobs must be/);
        assert.throws(() => fioJobFile({ ...fio.defaults, size: "16 g" }, "/d"), /size must be a size/);
    });

    it("timeBased makes every job with a runtime run all of it, rampSeconds keeps each job's start out of the numbers", () => {
        const p = { ...fio.defaults, size: "64m", runtimeSeconds: 10, seqRuntimeSeconds: 10, timeBased: 1, rampSeconds: 2 };
        const job = fioJobFile(p, "/d");
        // Every one of the eight jobs, the sequential ones included: a 64 MB file is read in milliseconds.
        assert.equal(job.match(/\nruntime=10\ntime_based\nramp_time=2\n/g)!.length, 8);
        assert.match(job, /\n\[seq-read-1\]\nstonewall\nrw=read\nbs=1M\niodepth=1\nruntime=10\ntime_based\nramp_time=2\n/);
        // Without a sequential runtime a sequential job keeps the paper's one pass over the file: time_based needs a runtime.
        const wholeFile = fioJobFile({ ...p, seqRuntimeSeconds: 0 }, "/d");
        assert.equal(wholeFile.match(/^time_based$/gm)!.length, 5);
        assert.match(wholeFile, /\n\[seq-read-1\]\nstonewall\nrw=read\nbs=1M\niodepth=1\nramp_time=2\n/);
        assert.match(fio.clientCommand(p, CTX), /time_based\nramp_time=2/);
        // Each job: ramp + runtime, after laying out 64 MiB at the slow write rate.
        assert.equal(fio.expectedS(p), (64 * 2 ** 20) / 50e6 + 8 * 12);
        assert.match(fio.notes!(p), /time_based: every job with a runtime runs all of it.*ramp_time=2 s per job not measured/);
        assert.throws(() => fioJobFile({ ...p, timeBased: 2 }, "/d"), /timeBased must be 1 .* or 0/);
        assert.throws(() => fioJobFile({ ...p, rampSeconds: -1 }, "/d"), /rampSeconds must be 0/);
    });

    it("a cell is time-bound only when time_based runs every job for its runtime and that outlasts laying out the file", () => {
        const p = { ...fio.defaults, size: "64m", runtimeSeconds: 10, seqRuntimeSeconds: 10, timeBased: 1, rampSeconds: 2 };
        assert.equal(fio.lengthFixedBy(p), "time");
        // The paper's jobs end after `size` bytes; a job without a runtime goes over the whole file.
        assert.equal(fio.lengthFixedBy({ ...p, timeBased: 0 }), "work");
        assert.equal(fio.lengthFixedBy({ ...p, seqRuntimeSeconds: 0 }), "work");
        // 16 GB at the slow write rate (5 min) outlasts 8 × 12 s of runs.
        assert.equal(fio.lengthFixedBy({ ...p, size: "16g" }), "work");
        assert.equal(fio.lengthFixedBy(fio.defaults), "work");
    });

    it("checks O_DIRECT before running fio with JSON output, and removes the test file", () => {
        const cmd = fio.clientCommand(fio.defaults, CTX);
        assert.ok(cmd.indexOf("oflag=direct") < cmd.indexOf("fio --output-format=json"));
        assert.match(cmd, /trap 'rm -f "\$d\/fio-test-file" "\$d\/isobench.fio"' EXIT/);
        assert.match(cmd, /exit 3/);
    });

    it("parses fio 3.33 JSON (captured): bandwidth in 10^6 B/s, IOPS, clat percentiles in µs", () => {
        const ms = parseFio(fixture(JSON_333), { ...fio.defaults, size: "32m", runtimeSeconds: 2 });
        assert.equal(ms.length, ALL_DIRS * 5);
        const v = valuesByMetric(ms);
        assert.equal(v.sequential_fill_write_bw_mb_s, 1677.7216);
        assert.equal(v.sequential_fill_write_iops, 1600);
        assert.equal(v.random_read_16x8_read_clat_p50_us, 1499.136);
        assert.equal(v.random_read_16x8_read_clat_p99_us, 5668.864);
        assert.ok(v.mixed_random_rw_32x8_write_iops > 0);
        const units = new Set(ms.map((m) => `${m.metric.replace(/^.*_(bw_mb_s|iops|clat_p\d+_us)$/, "$1")}:${m.unit}:${m.better}`));
        assert.deepEqual([...units].sort(), [
            "bw_mb_s:MB/s:higher",
            "clat_p50_us:us:lower",
            "clat_p95_us:us:lower",
            "clat_p99_us:us:lower",
            "iops:IOPS:higher",
        ]);
    });

    it("parses fio 3.33 normal text output (captured)", () => {
        const v = valuesByMetric(parseFio(fixture(TEXT_333)));
        assert.equal(v.sequential_fill_write_bw_mb_s, (1882 * 1024 * 1024) / 1e6);
        assert.equal(v.sequential_fill_write_iops, 1882);
        assert.equal(v.sequential_fill_write_clat_p95_us, 14615);
        assert.equal(v.random_read_16x8_read_iops, 87800);
        assert.equal(v.random_read_16x8_read_clat_p50_us, 1369);
        assert.equal(v.mixed_random_rw_32x8_read_iops, 55600);
    });

    it("imports the paper's fio 2.0.8 logs (thewmf/kvm-docker-comparison fio/results)", () => {
        const n = valuesByMetric(parseFio(paperLog(PAPER_NATIVE), fio.defaults));
        assert.equal(Object.keys(n).length, ALL_DIRS * 5);
        // bw=806597KB/s (KB = 1024 B in fio 2.x), iops=787, clat 50th 2416 µs.
        assert.equal(n.seq_read_2_read_bw_mb_s, (806597 * 1024) / 1e6);
        assert.equal(n.seq_read_2_read_iops, 787);
        assert.equal(n.seq_read_2_read_clat_p50_us, 2416);
        // The published figures: random read 84044 IOPS, write 112034, mixed 73177 + 31376.
        assert.equal(n.random_read_16x8_read_iops, 84044);
        assert.equal(n.random_write_16x8_write_iops, 112034);
        assert.equal(n.mixed_random_rw_32x8_read_iops + n.mixed_random_rw_32x8_write_iops, 104553);
        assert.equal(n.random_read_16x8_read_clat_p95_us, 2024);
        // The KVM log reports the sequential fill's percentiles in msec.
        const k = valuesByMetric(parseFio(paperLog(PAPER_KVM), fio.defaults));
        assert.equal(k.sequential_fill_write_clat_p50_us, 23000);
        assert.equal(k.random_read_16_read_clat_p50_us, 620);
    });

    it("throws ParseError naming job and metric for errors, missing jobs and truncation", () => {
        const paper = paperLog(PAPER_NATIVE);
        const e = assertParseError(
            () => parseFio(paper.replace("seq-read-2: (groupid=2, jobs=1): err= 0", "seq-read-2: (groupid=2, jobs=1): err= 5")),
            "fio",
            "seq_read_2_read_bw_mb_s",
        );
        assert.match(e.message, /err=5/);
        assertParseError(() => parseFio(paper.replace(/ 50\.00th=\[\s*[0-9]+\],/g, "")), "fio", /_clat_p50_us$/);
        assertParseError(() => parseFio(""), "fio", "bw_mb_s");
        const odirect = assertParseError(() => parseFio("fio: O_DIRECT (direct I/O) is not supported on the tmpfs file system at /data\n"), "fio", "bw_mb_s");
        assert.match(odirect.message, /O_DIRECT/);
        const json = fixture(JSON_333);
        assertParseError(() => parseFio(json.replace('"error" : 0', '"error" : 5')), "fio", /_bw_mb_s$/);
        assertEveryTruncationFails((r) => parseFio(r, fio.defaults), json, json.lastIndexOf("}"), "fio", 97);
        // Up to the last value read (the mixed job's write 99th percentile) every cut must fail.
        const lastValue = paper.lastIndexOf("99.00th=[") + "99.00th=[ 4128]".length - 1;
        assertEveryTruncationFails((r) => parseFio(r, fio.defaults), paper, lastValue, "fio", 13);
    });

    it("refuses JSON output without a value it reads, naming the job and the metric", () => {
        const raw = fixture(JSON_333);
        type Job = { jobname?: string; read: { bw_bytes?: number; iops?: number; clat_ns: { percentile: Record<string, number> } } };
        const doc: { jobs: Job[] } = JSON.parse(raw.slice(raw.search(/^\{/m), raw.lastIndexOf("\n}") + 2));
        const withSecondJob = (edit: (job: Job) => void) => {
            const d = structuredClone(doc);
            edit(d.jobs[1]);
            return JSON.stringify(d, null, 2);
        };
        assert.equal(parseFio(withSecondJob(() => {})).length, parseFio(raw).length);
        assertParseError(() => parseFio(withSecondJob((j) => delete j.read.bw_bytes)), "fio", "seq_read_1_read_bw_mb_s");
        assertParseError(() => parseFio(withSecondJob((j) => delete j.read.iops)), "fio", "seq_read_1_read_iops");
        assertParseError(() => parseFio(withSecondJob((j) => delete j.read.clat_ns.percentile["95.000000"])), "fio", "seq_read_1_read_clat_p95_us");
        const e = assertParseError(() => parseFio(withSecondJob((j) => delete j.jobname)), "fio", "bw_mb_s");
        assert.match(e.message, /job 2 of the JSON output has no "jobname"/);
    });

    it("reads fio --version (captured)", () => {
        assert.equal(fio.parseVersion(fixture("fio-3.33-version.txt")), "3.33");
        assertParseError(() => fio.parseVersion("fio: command not found"), "fio", "version");
    });
});
