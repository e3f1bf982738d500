import { strict as assert } from "assert";
import { summarize } from "../../analysis/overhead";
import { evaluateClaims, loadReferences } from "../../analysis/published";
import { formatMeanStddev, overheadTable, renderMarkdown } from "../../analysis/report";
import { renderHtml } from "../../analysis/html";
import type { RenderedPlot } from "../../analysis/plots";
import type { Sample } from "../../core/samples";
import { sample } from "../helpers/sample";

/** Repetitions 1..n so environments pair with native. */
const series = (environment: string, metric: string, values: number[], extra: Partial<Sample> = {}) =>
    values.map((value, i) => sample({ environment, metric, value, repetition: i + 1, ...extra }));

describe("analysis/report (summary.md)", () => {
    it("formats mean ± stddev with about 4 significant digits", () => {
        assert.equal(formatMeanStddev(101, 1), "101.0 ± 1.0");
        assert.equal(formatMeanStddev(42333.335, 942.8), "42333 ± 943");
        assert.equal(formatMeanStddev(0.805, 0.00707), "0.8050 ± 0.0071");
        assert.equal(formatMeanStddev(0.9, null), "0.9000 ± n/a");
        assert.equal(formatMeanStddev(0, 0), "0 ± 0");
    });

    const summary = summarize([
        ...series("native", "events_per_s", [100, 102, 101]),
        ...series("kvm-tuned", "events_per_s", [78, 79, 78], { accel: "tcg" }),
        ...series("docker-nat", "events_per_s", [101, 101, 101]),
        ...series("native", "latency_avg_ms", [1, 1.01], { unit: "ms", better: "lower" }),
        ...series("docker-nat", "latency_avg_ms", [1.8, 1.81], { unit: "ms", better: "lower" }),
        ...series("docker-nat", "get_rps", [80000, 80002], { workload: "redis", params: "clients=50|x", unit: "req/s" }),
        ...series("native", "noisy", [10, 11, 10, 12, 11, 50]),
    ]);
    const claims = evaluateClaims(loadReferences(), summary);
    const md = renderMarkdown(summary, { source: "/results/quick/r1", loadProblems: ["/results/quick/r1/cells/bad.csv: header is wrong"], claims });
    const lines = md.split("\n");

    it("states the sign convention once, at the top", () => {
        assert.equal(lines[0], "# isobench summary");
        assert.ok(lines.includes("Samples from `/results/quick/r1`."));
        assert.match(md, /\*\*Sign convention\*\* — change vs native = \(environment mean \/ native mean − 1\) · 100/);
        assert.equal(md.split("Sign convention").length, 2);
    });

    it("paper-style table: one row per benchmark, one column per environment, change and verdict in each cell", () => {
        const i = lines.indexOf("## Change vs native (paper style)");
        assert.ok(i > 0, md);
        // An environment whose numbers are emulated is marked in the header as well as in its cells.
        assert.equal(lines[i + 2], "| workload | metric | docker-nat | kvm-tuned (tcg) |");
        // Throughput 22 % below native: -22% slower; latency 1.8×: +80% slower (the paper's "+80%").
        assert.ok(lines.includes("| sysbench-cpu | events_per_s ↑ | 0% not distinguished | -22% slower † |"), md);
        assert.ok(lines.includes("| sysbench-cpu | latency_avg_ms ↓ | +80% slower |  |"), md);
        assert.ok(lines.includes("| redis | get_rps ↑ | n/a (no native) |  |"), md);
    });

    it("the point column appears only when a parameter varies within a workload", () => {
        const t = overheadTable(
            summarize([
                ...series("native", "get_rps", [1, 2], { workload: "redis", params: "clients=10;d=50" }),
                ...series("native", "get_rps", [1, 2], { workload: "redis", params: "clients=50;d=50" }),
                ...series("docker-nat", "get_rps", [1, 2], { workload: "redis", params: "clients=50;d=50" }),
            ]),
        );
        assert.deepEqual(t.header, ["workload", "metric", "point", "docker-nat"]);
        assert.deepEqual(
            t.rows.map((r) => r[2]),
            ["clients=10", "clients=50"],
        );
    });

    it("details: n, mean ± sd, median, min, max, 95% CI, change with its interval, pairing, outliers, accel", () => {
        assert.ok(
            lines.includes(
                "| environment | metric | n | mean ± stddev | median | min | max | 95% CI of mean | unit | change vs native | CI of change | paired | outliers | accel |",
            ),
        );
        const kvm = lines.find((l) => l.startsWith("| kvm-tuned (tcg) | events_per_s"));
        assert.ok(kvm, md);
        assert.match(
            kvm,
            /^\| kvm-tuned \(tcg\) \| events_per_s ↑ \| 3 \| 78\.33 ± 0\.58 \| 78\.00 \| 78\.00 \| 79\.00 \| 76\.90 … 79\.77 \| events\/s \| -22% slower † \| \[-2\d%, -2\d%\] \| yes \| n<4 \| tcg \|$/,
        );
        const noisy = lines.find((l) => l.startsWith("| native | noisy"));
        assert.match(noisy!, /\| 50\.00 \(rep 6\) \|/);
    });

    it("marks software-emulated rows and explains the mark", () => {
        assert.match(md, /- † and \(tcg\): measured \(partly\) under QEMU software emulation .* not KVM/);
    });

    it("claims table with status and numbers, the tally and what each status means", () => {
        const i = lines.indexOf("## Claims of the published studies");
        assert.ok(i > 0);
        assert.match(
            lines[i + 2],
            /^Tally: \d+ consistent, \d+ inconsistent, \d+ inconclusive(; [^.]*\(not counted\))?\. Statuses — consistent: .*not judgeable: emulated: /,
        );
        assert.equal(lines[i + 4], "| claim | our data vs the claim | numbers | source |");
        assert.ok(
            lines.some((l) => l.startsWith("| Docker adds negligible CPU overhead (within 5 %) | consistent | ")),
            md,
        );
        assert.ok(
            lines.some((l) =>
                l.startsWith("| KVM adds ~80% to TCP round-trip latency (netperf TCP_RR) | not measured here | KVM / native TCP_RR round trip: not measured"),
            ),
            md,
        );
    });

    it("escapes pipes in cells and explains missing native", () => {
        const odd = renderMarkdown(summarize(series("native", "a|b", [1])));
        assert.ok(odd.includes("| native | a\\|b ↑ | 1 |"), odd);
        assert.match(md, /- n\/a \(no native\): no "native" samples for workload redis, params "clients=50\|x", metric get_rps — docker-nat\/redis\/get_rps/);
        assert.match(md, /values outside Tukey's fences .* included in every statistic/);
    });

    it("lists load and grouping problems", () => {
        const i = lines.indexOf("## Problems");
        assert.ok(i > 0);
        assert.equal(lines[i + 2], "- /results/quick/r1/cells/bad.csv: header is wrong");
    });

    it("has no Notes or Problems sections when there is nothing to say", () => {
        const clean = renderMarkdown(summarize([...series("native", "m", [100, 101]), ...series("docker-nat", "m", [100, 102])]));
        assert.doesNotMatch(clean, /## Notes|## Problems/);
    });

    it("opens with the software emulation a run allowed, naming the emulated environments, and says nothing of it otherwise", () => {
        assert.equal(
            lines[2],
            "**SOFTWARE EMULATION: this run allowed guests to run under QEMU software emulation (accel=tcg), and kvm-tuned did. Their numbers are the emulator's, not KVM's, and say nothing about virtualisation overhead (marked † and (tcg) below; their claims are not judged).**",
        );
        const kvm = renderMarkdown(summarize([...series("native", "m", [100, 101]), ...series("kvm-tuned", "m", [90, 91], { accel: "kvm" })]));
        assert.doesNotMatch(kvm, /SOFTWARE EMULATION/);
    });

    it("notes guests with fewer CPUs than native where the workload starts one thread or process per CPU", () => {
        const fact = (environment: string, value: string) => ({
            environment,
            env_kind: environment === "native" ? "native" : "kvm",
            variant: "",
            accel: "kvm",
            fact: "nproc",
            value,
            declared: value,
            measured_at: "t",
        });
        const facts = [fact("native", "32"), fact("kvm-tuned", "2"), fact("kvm-1cpu", "1")];
        const hpl = { workload: "linpack", params: "n=1000;memoryPercent=0;nb=128;processes=0" };
        const rows = summarize([
            ...series("native", "gflops", [10, 11], hpl),
            ...series("kvm-tuned", "gflops", [1, 1.1], hpl),
            ...series("native", "events_per_s", [100, 101]),
            ...series("kvm-1cpu", "events_per_s", [99, 98]),
        ]);
        const md = renderMarkdown(rows, { environmentFacts: facts });
        assert.match(
            md,
            /\n- kvm-tuned had 2 CPU\(s\), native 32 \(nproc in environments\.csv\): linpack start one thread or process per CPU, so their ratios to native compare CPU counts as well as virtualisation\.\n/,
        );
        // One thread whatever the CPUs (sysbench-cpu threads=1): no note; nor without the facts.
        assert.doesNotMatch(md, /kvm-1cpu had/);
        assert.doesNotMatch(renderMarkdown(rows), /CPU\(s\), native/);
        const equal = [fact("native", "2"), fact("kvm-tuned", "2")];
        assert.doesNotMatch(renderMarkdown(rows, { environmentFacts: equal }), /CPU\(s\), native/);
    });

    it("without native: no overhead table, the problem is stated, statistics remain", () => {
        const s = renderMarkdown(summarize(series("docker-nat", "m", [1, 2])));
        assert.doesNotMatch(s, /## Change vs native/);
        assert.match(s, /no "native" baseline in these results: statistics are reported/);
        assert.match(s, /\| docker-nat \| m ↑ \| 2 \| 1\.500 ± 0\.707 \|/);
    });
});

describe("analysis/html (report.html)", () => {
    it("escapes markup in text and in the plot's id attribute, and leaves apostrophes as they are", () => {
        const html = renderHtml({
            title: `a<b & "c"`,
            source: "/r",
            summary: summarize(series("native", "m", [1, 2])),
            claims: [],
            published: [],
            plots: [{ name: `p"q`, title: "Intel's <x>", spec: {} as RenderedPlot["spec"], svg: "<svg/>", png: Buffer.alloc(0) }],
            environmentFacts: [],
            hostFacts: { byEnvironment: new Map(), toolVersions: [], runs: [] },
            problems: [],
            provenance: [],
            generatedAt: "t",
        });
        assert.ok(html.includes("<title>a&lt;b &amp; &quot;c&quot;</title>"), html);
        assert.ok(html.includes(`<figure id="plot-p&quot;q"><svg/><figcaption>Intel's &lt;x&gt; (plots/p&quot;q.svg, .png)</figcaption>`), html);
        assert.doesNotMatch(html, /SOFTWARE EMULATION/);
    });

    it("says under the title that the run allowed software emulation, when a guest was emulated", () => {
        const html = renderHtml({
            title: "t",
            source: "/r",
            summary: summarize([...series("native", "m", [1, 2]), ...series("kvm-1cpu", "m", [3, 4], { accel: "tcg" })]),
            claims: [],
            published: [],
            plots: [],
            environmentFacts: [],
            hostFacts: { byEnvironment: new Map(), toolVersions: [], runs: [] },
            problems: [],
            provenance: [],
            generatedAt: "t",
        });
        assert.match(
            html,
            /<h1>t<\/h1>\s*<p class="emulated-run"><b>SOFTWARE EMULATION: this run allowed guests to run under QEMU software emulation \(accel=tcg\), and kvm-1cpu did\./,
        );
    });
});
