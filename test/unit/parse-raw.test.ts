import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UserError } from "../../core/errors";
import { parseParamsArg, parseRawToCsv, rawStdout, samplesFromRawFile } from "../../experiment/parse-raw";
import { SAMPLE_COLUMNS, samplesFromCsv } from "../../core/samples";
import { getWorkload } from "../../workloads";

const FIXTURES = path.join(__dirname, "..", "fixtures");
const REPO = path.join(__dirname, "..", "..");

describe("isobench parse (experiment/parse-raw)", () => {
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "it4a-parse-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("reads --params k=v lists, keeping commas inside list values and numbers as numbers", () => {
        assert.deepEqual(parseParamsArg("totalSize=64M,timeSeconds=5"), { totalSize: "64M", timeSeconds: 5 });
        assert.deepEqual(parseParamsArg("operations=read,write,threads=2"), { operations: "read,write", threads: 2 });
        assert.deepEqual(parseParamsArg("maxPrime=20000;threads=1;timeSeconds=10"), { maxPrime: 20000, threads: 1, timeSeconds: 10 });
        assert.throws(() => parseParamsArg("threads"), UserError);
    });

    it("uses only the tool's stdout of a runner raw file", () => {
        assert.equal(rawStdout("out\n--- stderr ---\nsysbench 1.0.20 prepare log\n"), "out");
        assert.equal(rawStdout("only stdout\n"), "only stdout\n");
    });

    it("turns a kept raw file into samples: origin from its results path, unknowable facts marked", () => {
        const dir = path.join(tmp, "results", "quick", "run-1", "raw");
        fs.mkdirSync(dir, { recursive: true });
        const file = path.join(dir, "fileio-docker-r0.txt");
        // As the runner writes it: stdout, then prepare/cleanup logs of stderr after the separator.
        const raw = fs.readFileSync(path.join(FIXTURES, "sysbench-fileio", "sysbench-1.0.20-4modes-4K-64M-128files-direct-time2.txt"), "utf8");
        fs.writeFileSync(file, `${raw}\n--- stderr ---\nsysbench 1.0.20 (using system LuaJIT 2.1.0-beta3)\n128 files, 512Kb each\n`);
        const samples = samplesFromRawFile(getWorkload("sysbench-fileio"), file, { totalSize: "64M", timeSeconds: 2 });
        assert.equal(samples.length, 16);
        const s = samples[0];
        assert.deepEqual(
            [s.stack, s.run_id, s.cell_id, s.environment, s.env_kind, s.accel, s.workload, s.params, s.metric, s.value, s.unit, s.tool, s.tool_version, s.host],
            [
                "quick",
                "run-1",
                "fileio-docker-r0",
                "unknown",
                "unknown",
                "unknown",
                "sysbench-fileio",
                "totalSize=64M;timeSeconds=2",
                "seqrd_mib_per_s",
                35.06,
                "MiB/s",
                "sysbench",
                "1.0.20",
                "",
            ],
        );
        assert.match(s.notes, /^scaled from KEK's 8G\/300 s to 64M\/2 s; parsed from .*fileio-docker-r0.txt$/);
    });

    it("prints CSV in the sample schema that reads back", () => {
        const file = path.join(FIXTURES, "felter2014", "kvm-docker-comparison", "fio", "results", "linux.log");
        const csv = parseRawToCsv(getWorkload("fio"), file);
        assert.equal(csv.split("\n")[0], SAMPLE_COLUMNS.join(","));
        const back = samplesFromCsv(csv, "parse output");
        assert.equal(back.length, 45);
        assert.equal(back.find((s) => s.metric === "random_read_16x8_read_iops")!.value, 84044);
        assert.equal(back[0].cell_id, "linux.log");
        assert.equal(back[0].params, "");
    });

    it("names workload, metric and file when the output does not parse, and refuses unknown parameters", () => {
        const file = path.join(tmp, "cut.txt");
        const raw = fs.readFileSync(path.join(FIXTURES, "stress-ng-cpu", "stress-ng-0.15.06-all-workers0-time3.txt"), "utf8");
        fs.writeFileSync(file, raw.slice(0, raw.indexOf(" cpu ")));
        assert.throws(
            () => samplesFromRawFile(getWorkload("stress-ng-cpu"), file),
            (e: Error) => {
                assert.ok(e instanceof UserError);
                assert.match(e.message, /^stress-ng-cpu: cannot parse bogo_ops_per_s: .*; raw file .*cut\.txt$/);
                return true;
            },
        );
        assert.throws(() => samplesFromRawFile(getWorkload("stress-ng-cpu"), path.join(tmp, "missing.txt")), /cannot read raw file .*missing\.txt/);
        assert.throws(
            () => samplesFromRawFile(getWorkload("stress-ng-cpu"), file, { threads: 2 }),
            /stress-ng-cpu has no parameter threads; its parameters: workers, method, timeSeconds/,
        );
        assert.throws(
            () => samplesFromRawFile(getWorkload("stress-ng-cpu"), file, { worker: 2 }),
            /stress-ng-cpu has no parameter worker — did you mean "workers"\?; its parameters: workers,/,
        );
    });

    it("is a CLI command: CSV on stdout, a clear error and exit 1 otherwise", function () {
        this.timeout(60_000);
        const cli = (...args: string[]) => spawnSync(path.join(REPO, "bin", "isobench"), ["parse", ...args], { encoding: "utf8" });
        const ok = cli(
            "sysbench-memory",
            path.join(FIXTURES, "sysbench-memory", "sysbench-0.4.12-read-write-1K-100G-threads1-RECONSTRUCTED.txt"),
            "--params",
            "operations=read,write",
        );
        assert.equal(ok.status, 0, ok.stderr);
        const rows = samplesFromCsv(ok.stdout, "stdout");
        assert.deepEqual(
            rows.map((r) => [r.metric, r.value, r.tool_version]),
            [
                ["read_mib_per_s", 2452.43, "0.4.12"],
                ["read_ops_per_s", 2511288.6, "0.4.12"],
                ["write_mib_per_s", 1758.84, "0.4.12"],
                ["write_ops_per_s", 1801054.96, "0.4.12"],
            ],
        );
        const unknown = cli("coremark", "x.txt");
        assert.equal(unknown.status, 1);
        assert.match(unknown.stderr, /^isobench: unknown workload "coremark"; allowed: .*stress-ng-cpu/);
        assert.match(cli("redsi", "x.txt").stderr, /^isobench: unknown workload "redsi" — did you mean "redis"\?; allowed: /);
        const bad = cli("linpack", path.join(FIXTURES, "fio", "fio-3.33-version.txt"));
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /^isobench: linpack: cannot parse gflops: no HPC Challenge banner.*; raw file .*fio-3.33-version.txt\n$/);
        assert.equal(cli("fio").status, 2);
    });
});
