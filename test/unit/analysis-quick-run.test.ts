/**
 * End to end on the samples of a real run (test/fixtures/analysis/quick-1, see its README):
 * every output of `isobench analyze`, the report page's self-containment, --compare and the CLI's
 * handling of bad input.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "csv-parse/sync";
import { analyzeResultsDir, SUMMARY_COLUMNS } from "../../analysis/analyze";

const FIXTURE = path.join(__dirname, "..", "fixtures", "analysis", "quick-1");
const CLI = path.join(__dirname, "..", "..", "bin", "isobench");

function copyFixture(to: string): string {
    fs.cpSync(FIXTURE, to, { recursive: true });
    return to;
}

describe("analysis on a real quick run (fixture quick-1)", function () {
    this.timeout(120000);
    let root: string;
    let dir: string;
    let md: string;
    let html: string;
    const log: string[] = [];

    before(async () => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "it5-quick-"));
        dir = copyFixture(path.join(root, "quick-1"));
        md = await analyzeResultsDir(dir, { progress: true, log: (l) => log.push(l) });
        html = fs.readFileSync(path.join(dir, "report.html"), "utf8");
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("summary.csv: one row per comparison (4 environments × 21 redis/sysbench metrics)", () => {
        const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(dir, "summary.csv"), "utf8"), { columns: true });
        assert.deepEqual(Object.keys(rows[0]), [...SUMMARY_COLUMNS]);
        assert.equal(rows.length, 84);
        const kvm = rows.find((r) => r.environment === "kvm-tuned" && r.metric === "events_per_s")!;
        assert.equal(kvm.accel, "tcg");
        assert.equal(kvm.paired, "yes");
        assert.equal(kvm.method, "log-paired");
        // 150–233 events/s against native's 1526–1606, three each with df = 2: p 0.002 alone, 0.12
        // after Holm over the run's 63 comparisons, so no difference is shown for the run as a whole.
        assert.ok(Number(kvm.p_value) < 0.01, kvm.p_value);
        assert.ok(Number(kvm.p_holm) > 0.05, kvm.p_holm);
        assert.equal(kvm.verdict, "not distinguished");
        assert.match(kvm.note, /software emulation \(accel tcg or mixed\), not KVM/);
        assert.ok(Number(kvm.ratio_vs_native) < 0.2);
    });

    it("summary.md: paper-style table, claims with numbers and the tcg caveat, published values", () => {
        assert.match(md, /\| sysbench-cpu \| events_per_s ↑ \| \+2% not distinguished \| \+1% not distinguished \| -87% not distinguished † \|/);
        assert.match(
            md,
            /Verdicts: Holm's step-down over the run's 63 comparison\(s\) with native .*; of the \d+ row\(s\) whose interval excludes 1 on its own, 0 show a difference/,
        );
        assert.match(
            md,
            /\| Docker NAT costs Redis about 28 % of its throughput at 20 or more clients .*? \| (consistent|inconclusive|inconsistent) \| .*docker-nat get_rps @ clients=50: ratio 0\.539/,
        );
        assert.match(
            md,
            /\| Redis GET req\/s at 50 clients, KVM \(1 vCPU\) \(approx\.\) \| 0\.841 \(DERIVED-R\) \| kvm-tuned \(tcg\) get_rps @ clients=50 \| 0\.088 † \|/,
        );
        assert.doesNotMatch(md, /KVM adds ~80% to TCP round-trip latency/, "claims about workloads the run did not measure are left out");
    });

    it("plots as SVG and PNG", () => {
        const files = fs.readdirSync(path.join(dir, "plots")).sort();
        for (const name of ["ratio-redis", "means-redis", "ratio-sysbench-cpu", "means-sysbench-cpu", "published-vs-ours"]) {
            assert.ok(files.includes(`${name}.svg`) && files.includes(`${name}.png`), files.join(" "));
        }
        assert.equal(
            fs
                .readFileSync(path.join(dir, "plots", "ratio-redis.png"))
                .subarray(1, 4)
                .toString(),
            "PNG",
        );
    });

    it("report.html carries tables, plots, environment facts (declared vs measured), host facts, tool versions, verdicts", () => {
        assert.match(html, /<h2 id="overhead">Change vs native<\/h2>/);
        // Emulated numbers are not coloured as a verdict on KVM.
        assert.match(html, /<td class="emulated">-87% not distinguished †<\/td>/);
        assert.match(html, /<h2 id="claims">/);
        assert.equal((html.match(/<figure id="plot-/g) ?? []).length, 5);
        assert.equal((html.match(/<svg /g) ?? []).length, 5);
        // declared vs measured: kvm-tuned declared 1 vCPU and the guest saw 1.
        assert.match(html, /<td>kvm-tuned<\/td><td>kvm<\/td><td>[^<]*<\/td><td>tcg<\/td><td>nproc<\/td><td>1<\/td><td>1<\/td><td>matches<\/td>/);
        assert.match(html, /qemu_version<\/td><td><\/td><td>9\.0\.0/);
        assert.match(html, /host vm, kernel 6\.18\.44-fc-v669, CPU AMD EPYC, accel none/);
        assert.match(html, /<li>redis: redis-benchmark 7\.0\.15<\/li>/);
        assert.match(html, /<li>sysbench-cpu: sysbench 1\.0\.20<\/li>/);
        assert.match(html, /Sign convention/);
    });

    it("report.html is self-contained: no script, no stylesheet link, no external or file reference", () => {
        assert.doesNotMatch(html, /<script|<link|<iframe|<img /i);
        const refs = [...html.matchAll(/(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
        assert.deepEqual(
            refs.filter((r) => !r.startsWith("#") && !r.startsWith("data:")),
            [],
        );
        assert.doesNotMatch(html, /url\((?!#|data:)/);
    });

    it("prints progress", () => {
        assert.ok(
            log.some((l) => /^analyze: read 24\/24 entries of .* \(252 samples/.test(l)),
            log.join("\n"),
        );
        assert.ok(
            log.some((l) => /^analyze: plot 5\/5 published-vs-ours$/.test(l)),
            log.join("\n"),
        );
        assert.ok(
            log.some((l) => /wrote 13 files/.test(l)),
            log.join("\n"),
        );
    });

    describe("isobench analyze (CLI)", () => {
        const run = (...args: string[]) => spawnSync(CLI, ["analyze", ...args], { encoding: "utf8" });

        it("--compare sets two runs side by side and writes compare.md/.csv", () => {
            const other = path.join(root, "after");
            copyFixture(other);
            // A "tuning change": sysbench-cpu on kvm-tuned twice as fast in the other run.
            const f = path.join(other, "cells", "sysbench-cpu.kvm-tuned.r1.csv");
            fs.writeFileSync(
                f,
                fs.readFileSync(f, "utf8").replace(/,events_per_s,([0-9.]+),/, (_m, v) => `,events_per_s,${Number(v) * 2},`),
            );
            const r = run(dir, "--compare", other, "--no-plots", "--quiet-progress");
            assert.equal(r.status, 0, r.stderr);
            // Nothing but, when this test runs on edited sources, bin/isobench's notice that it recompiles.
            assert.equal(r.stderr.replace(/^\[isobench\] sources are newer than build\/: compiling \(npm run build\)\n/, ""), "");
            const cmp = fs.readFileSync(path.join(dir, "compare.md"), "utf8");
            assert.ok(r.stdout.includes(cmp.trim().split("\n")[0]));
            assert.match(
                cmp,
                /\| sysbench-cpu \| [^|]* \| events_per_s ↑ \| kvm-tuned \(tcg\) \| [0-9.]+ \| [0-9.]+ \| \+[0-9]+% \| \[[^\]]*\] \| (faster|not distinguished) \|/,
            );
            assert.match(
                cmp,
                /\| sysbench-cpu \| [^|]* \| events_per_s ↑ \| native \| ([0-9.]+) \| \1 \| 0% \| \[-\d+%, \+\d+%\] \| not distinguished \| baseline \| baseline \|/,
            );
            const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(dir, "compare.csv"), "utf8"), { columns: true });
            assert.equal(rows.length, 84);
        });

        it("--compare ends stdout with the agreement line; --require-agreement exits 3 on FAIL, 0 on PASS", () => {
            const other = path.join(root, "halved");
            copyFixture(other);
            // Docker NAT's sysbench at half speed in every repetition: a verdict of its own that the base run does not share.
            for (const r of [1, 2, 3]) {
                const f = path.join(other, "cells", `sysbench-cpu.docker-nat.r${r}.csv`);
                fs.writeFileSync(
                    f,
                    fs.readFileSync(f, "utf8").replace(/,events_per_s,([0-9.]+),/, (_m, v) => `,events_per_s,${Number(v) / 2},`),
                );
            }
            const lastLine = (out: string) => out.trimEnd().split("\n").at(-1)!;
            const plain = run(dir, "--compare", other, "--no-plots", "--quiet-progress");
            assert.equal(plain.status, 0, plain.stderr);
            assert.match(
                lastLine(plain.stdout),
                /^agreement: FAIL — \d+ of \d+ claim statuses agree, \d+ of \d+ change-vs-native verdicts agree \([0-9.]+ %\); bar: /,
            );
            const strict = run(dir, "--compare", other, "--require-agreement", "0.95", "--no-plots", "--quiet-progress");
            assert.equal(strict.status, 3, strict.stderr);
            assert.equal(lastLine(strict.stdout), lastLine(plain.stdout));
            const rows: Record<string, string>[] = parse(fs.readFileSync(path.join(dir, "compare-agreement.csv"), "utf8"), { columns: true });
            const nat = rows.find(
                (r) => r.kind === "verdict" && r.environment === "docker-nat" && r.workload === "sysbench-cpu" && r.metric === "events_per_s",
            )!;
            assert.deepEqual([nat.counted, nat.agree, nat.other], ["yes", "no", "slower"]);
            assert.ok(
                rows.filter((r) => r.environment === "kvm-tuned").every((r) => r.counted === "no" && r.left_out === "emulated in the two runs"),
                "the emulated guest is never counted",
            );
            assert.match(fs.readFileSync(path.join(dir, "compare.md"), "utf8"), /## Do the verdicts repeat\? Agreement of the two runs/);

            const self = run(dir, "--compare", dir, "--require-agreement", "1", "--no-plots", "--quiet-progress");
            assert.equal(self.status, 0, self.stderr);
            assert.match(
                lastLine(self.stdout),
                /^agreement: PASS — (\d+) of \1 claim statuses agree, (\d+) of \2 change-vs-native verdicts agree \(100\.0 %\); bar: every claim status and ≥ 100 % of the verdicts$/,
            );
        });

        it("an empty results dir: a clear message, exit 1, no stack trace", () => {
            const empty = path.join(root, "empty");
            fs.mkdirSync(path.join(empty, "cells"), { recursive: true });
            const r = run(empty);
            assert.equal(r.status, 1);
            assert.match(r.stderr, /^isobench: analyze: no samples in .*empty: no cells\/\*\.csv were found/);
            assert.doesNotMatch(r.stderr, /\n\s+at /);
        });

        it("bad options are named", () => {
            const r = run(dir, "--confidence", "95");
            assert.equal(r.status, 1);
            assert.match(r.stderr, /--confidence must be a number between 0 and 1/);
            const r2 = run();
            assert.match(r2.stderr, /which results directory\?/);
            const r3 = run(dir, "--bogus");
            assert.match(r3.stderr, /unknown option --bogus/);
            const r4 = run(dir, "--require-agreement", "0.95");
            assert.match(r4.stderr, /--require-agreement needs a second run to agree with: add --compare <other results dir>/);
            const r5 = run(dir, "--compare", dir, "--require-agreement", "95");
            assert.equal(r5.status, 1);
            assert.match(r5.stderr, /--require-agreement must be the share of verdicts that must agree, above 0 and at most 1 \(e\.g\. 0\.95\), got "95"/);
            assert.doesNotMatch(r.stderr + r2.stderr + r3.stderr + r4.stderr + r5.stderr, /\n\s+at /);
        });
    });
});
