import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "csv-parse/sync";
import { analyzeResultsDir, SUMMARY_COLUMNS } from "../../analysis/analyze";
import { loadResultsDir } from "../../analysis/load";
import { Sample, SAMPLE_COLUMNS, samplesToCsv } from "../../core/samples";
import { sample } from "../helpers/sample";
import { sysbenchCpu } from "../../workloads/sysbench-cpu";
import { ratioOfMeans } from "../../analysis/ratio";
import { UserError } from "../../core/errors";

/** One cell file per (environment, repetition), as the runner writes them. */
function writeCell(dir: string, name: string, samples: Sample[]): void {
    fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
    fs.writeFileSync(path.join(dir, "cells", name), samplesToCsv(samples));
}

describe("analysis/load and analysis/analyze (temp results dir)", () => {
    let root: string;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-analysis-test-"));
    });
    after(() => {
        fs.rmSync(root, { recursive: true, force: true });
    });

    /** A results dir with native 100/102 and docker-nat 90/92 events/s, plus broken files. */
    function resultsDir(name: string): string {
        const dir = path.join(root, name);
        writeCell(dir, "native-1.csv", [sample({ environment: "native", metric: "events_per_s", value: 100 })]);
        writeCell(dir, "native-2.csv", [sample({ environment: "native", metric: "events_per_s", value: 102 })]);
        writeCell(dir, "docker-nat-1.csv", [sample({ environment: "docker-nat", metric: "events_per_s", value: 90 })]);
        writeCell(dir, "docker-nat-2.csv", [sample({ environment: "docker-nat", metric: "events_per_s", value: 92 })]);
        return dir;
    }

    describe("loadResultsDir", () => {
        it("reads every cells/*.csv and reports every file it could not use", () => {
            const dir = resultsDir("load");
            const cells = path.join(dir, "cells");
            fs.writeFileSync(path.join(cells, "bad-header.csv"), "a,b,c\n1,2,3\n");
            fs.writeFileSync(path.join(cells, "empty.csv"), "");
            fs.writeFileSync(path.join(cells, "header-only.csv"), SAMPLE_COLUMNS.join(",") + "\n");
            fs.writeFileSync(
                path.join(cells, "bad-better.csv"),
                samplesToCsv([sample({ environment: "native", metric: "m", value: 1, better: "more" as never })]),
            );
            fs.writeFileSync(
                path.join(cells, "nan.csv"),
                samplesToCsv([sample({ environment: "native", metric: "m", value: 1 })]).replace(",1,events/s,", ",oops,events/s,"),
            );
            fs.writeFileSync(path.join(cells, "ragged.csv"), samplesToCsv([sample({ environment: "native", metric: "m", value: 1 })]) + "x,y\n");
            fs.writeFileSync(path.join(cells, "kvm-1.csv.tmp"), "partial");

            const loaded = loadResultsDir(dir);
            assert.equal(loaded.samples.length, 4);
            assert.deepEqual(loaded.samples.map((s) => s.value).sort(), [100, 102, 90, 92].sort());
            assert.equal(loaded.files.length, 10);
            const problems = Object.fromEntries(loaded.problems.map((p) => [path.basename(p.file), p.error]));
            assert.deepEqual(Object.keys(problems).sort(), [
                "bad-better.csv",
                "bad-header.csv",
                "empty.csv",
                "header-only.csv",
                "kvm-1.csv.tmp",
                "nan.csv",
                "ragged.csv",
            ]);
            assert.match(problems["bad-header.csv"], /header is "a,b,c", expected the sample schema/);
            assert.match(problems["empty.csv"], /no sample rows/);
            assert.match(problems["header-only.csv"], /no sample rows/);
            assert.match(problems["bad-better.csv"], /row 2 has better "more", expected higher or lower/);
            assert.match(problems["nan.csv"], /row 2 has non-numeric value "oops"/);
            assert.match(problems["ragged.csv"], /\S/);
            assert.match(problems["kvm-1.csv.tmp"], /not a \.csv sample file \(a cell interrupted/);
        });

        it("a directory without cells/ gives no files, no samples and no problems", () => {
            const dir = path.join(root, "no-cells");
            fs.mkdirSync(dir);
            const loaded = loadResultsDir(dir);
            assert.deepEqual([loaded.files.length, loaded.samples.length, loaded.problems.length], [0, 0, 0]);
        });
    });

    describe("analyzeResultsDir", () => {
        it("writes summary.csv, summary.md, plots and report.html, and returns the Markdown", async () => {
            const dir = resultsDir("analyze");
            fs.writeFileSync(path.join(dir, "cells", "broken.csv"), "not,a,sample,file\n");
            const md = await analyzeResultsDir(dir, { plots: false });

            assert.equal(fs.readFileSync(path.join(dir, "summary.md"), "utf8"), md);
            assert.ok(md.includes("| sysbench-cpu | events_per_s ↑ | -10% slower |"), md);
            assert.match(md, /## Problems\n\n- .*broken\.csv: header is "not,a,sample,file"/);
            assert.match(md, /environments\.csv: missing/);
            assert.ok(fs.existsSync(path.join(dir, "report.html")));

            const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(dir, "summary.csv"), "utf8"), { columns: true });
            assert.deepEqual(Object.keys(rows[0]), [...SUMMARY_COLUMNS]);
            assert.equal(rows.length, 2);
            const [native, docker] = rows;
            assert.equal(native.environment, "native");
            assert.equal(native.overhead_status, "baseline");
            assert.equal(native.change, "baseline");
            assert.equal(native.ratio_vs_native, "");
            assert.equal(Number(native.mean), 101);
            assert.equal(docker.environment, "docker-nat");
            assert.equal(docker.n, "2");
            assert.equal(Number(docker.mean), 91);
            assert.equal(Number(docker.median), 91);
            assert.equal(Number(docker.min), 90);
            assert.equal(Number(docker.max), 92);
            assert.ok(Math.abs(Number(docker.stddev) - Math.SQRT2) < 1e-12);
            // CI of the mean: 91 ± t(0.975, 1) · sqrt(2) / sqrt(2)
            assert.ok(Math.abs(Number(docker.ci95_low) - (91 - 12.7062)) < 1e-4);
            assert.ok(Math.abs(Number(docker.ratio_vs_native) - 91 / 101) < 1e-12);
            assert.ok(Math.abs(Number(docker.change_pct) - (91 / 101 - 1) * 100) < 1e-9);
            const ref = ratioOfMeans([90, 92], [100, 102], 0.95).ci!;
            assert.ok(Math.abs(Number(docker.ratio_ci_low) - ref.low) < 1e-12);
            assert.ok(Math.abs(Number(docker.change_ci_high_pct) - (ref.high - 1) * 100) < 1e-9);
            assert.equal(docker.change, "-10%");
            assert.equal(docker.verdict, "slower");
            assert.equal(docker.confidence, "0.95");
            assert.equal(docker.method, "log-welch");
            assert.equal(docker.paired, "no");
            assert.match(docker.note, /not paired: repetitions differ/);
            assert.equal(docker.overhead_status, "compared");
            assert.equal(docker.tool_versions, "1.0.20");
        });

        it("works end to end from a captured sysbench fixture through the parser", async () => {
            const raw = fs.readFileSync(path.join(__dirname, "..", "fixtures", "sysbench-cpu", "sysbench-1.0.20-cpu-prime20000-threads1-time10.txt"), "utf8");
            const dir = path.join(root, "from-fixture");
            const ms = sysbenchCpu.parse(raw, sysbenchCpu.defaults);
            for (const environment of ["native", "kvm-tuned"]) {
                writeCell(
                    dir,
                    `${environment}.csv`,
                    ms.map((m) =>
                        sample({
                            environment,
                            metric: m.metric,
                            value: m.value,
                            unit: m.unit,
                            better: m.better,
                            accel: environment === "native" ? "none" : "tcg",
                        }),
                    ),
                );
            }
            const md = await analyzeResultsDir(dir, { plots: false });
            assert.ok(md.includes("| sysbench-cpu | events_per_s ↑ | 0% undetermined † |"), md);
            assert.ok(md.includes("| native | latency_p95_ms ↓ | 1 | 1.270 ± n/a |"), md);
        });

        it("the confidence option changes intervals and is recorded", async () => {
            const dir = resultsDir("confidence");
            await analyzeResultsDir(dir, { plots: false, confidence: 0.9 });
            const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(dir, "summary.csv"), "utf8"), { columns: true });
            assert.equal(rows[1].confidence, "0.9");
            assert.ok(Math.abs(Number(rows[1].ratio_ci_low) - ratioOfMeans([90, 92], [100, 102], 0.9).ci!.low) < 1e-12);
        });

        it("throws a UserError naming the dir when no cells/*.csv exist, and writes nothing", async () => {
            const dir = path.join(root, "empty-results");
            fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
            await assert.rejects(analyzeResultsDir(dir), (e: Error) => {
                assert.ok(e instanceof UserError);
                assert.ok(e.message.includes(dir), e.message);
                assert.match(e.message, /no samples .*no cells\/\*\.csv were found/);
                return true;
            });
            assert.equal(fs.existsSync(path.join(dir, "summary.md")), false);
        });

        it("throws listing the problems when files exist but none is usable (e.g. a wrong header)", async () => {
            const dir = path.join(root, "all-broken");
            fs.mkdirSync(path.join(dir, "cells"), { recursive: true });
            fs.writeFileSync(path.join(dir, "cells", "x.csv"), "garbage\n");
            await assert.rejects(
                analyzeResultsDir(dir),
                (e: Error) =>
                    e instanceof UserError &&
                    /no samples in .*all-broken: 1 cells\/\*\.csv file\(s\) found but none could be used: .*x\.csv: header is "garbage", expected the sample schema/.test(
                        e.message,
                    ),
            );
        });

        it("throws a UserError when the directory does not exist", async () => {
            await assert.rejects(
                analyzeResultsDir(path.join(root, "nope")),
                (e: Error) => e instanceof UserError && /results directory .*nope does not exist/.test(e.message),
            );
        });

        it("partial results without native: statistics are written, the missing baseline is named", async () => {
            const dir = path.join(root, "no-native");
            writeCell(dir, "docker-nat-1.csv", [sample({ environment: "docker-nat", metric: "events_per_s", value: 90 })]);
            writeCell(dir, "docker-nat-2.csv", [sample({ environment: "docker-nat", metric: "events_per_s", value: 92 })]);
            const md = await analyzeResultsDir(dir, { plots: false });
            assert.match(md, /no "native" baseline in these results: statistics are reported, overheads, verdicts and claims cannot be computed/);
            assert.match(md, /claims of the published studies were not evaluated/);
            assert.match(md, /\| docker-nat \| events_per_s ↑ \| 2 \| 91\.00 ± 1\.41 \|/);
            const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(dir, "summary.csv"), "utf8"), { columns: true });
            assert.equal(rows[0].overhead_status, "no-native");
        });
    });
});
