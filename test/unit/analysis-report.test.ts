import { strict as assert } from "assert";
import { summarize } from "../../analysis/overhead";
import { formatMeanStddev, renderMarkdown } from "../../analysis/report";
import type { Sample } from "../../experiment/samples";
import { sample } from "../helpers/sample";


const series = (environment: string, metric: string, values: number[], extra: Partial<Sample> = {}) =>
    values.map((value) => sample({ environment, metric, value, ...extra }));

describe("analysis/report", () => {
    it("formats mean ± stddev with about 4 significant digits", () => {
        assert.equal(formatMeanStddev(101, 1), "101.0 ± 1.0");
        assert.equal(formatMeanStddev(42333.335, 942.8), "42333 ± 943");
        assert.equal(formatMeanStddev(0.805, 0.00707), "0.8050 ± 0.0071");
        assert.equal(formatMeanStddev(0.9, null), "0.9000 ± n/a");
        assert.equal(formatMeanStddev(0, 0), "0 ± 0");
    });

    const summary = summarize([
        ...series("native", "events_per_s", [100, 102, 101]),
        ...series("kvm-tuned", "events_per_s", [78, 78, 78], { accel: "tcg" }),
        ...series("docker-nat", "events_per_s", [101, 101, 101]),
        ...series("native", "latency_avg_ms", [1, 1], { unit: "ms", better: "lower" }),
        ...series("docker-nat", "latency_avg_ms", [1.25, 1.25], { unit: "ms", better: "lower" }),
        ...series("docker-nat", "get_rps", [80000, 80002], { workload: "redis", params: "clients=50|x", unit: "req/s" }),
    ]);
    const md = renderMarkdown(summary, { source: "/results/quick/r1", loadProblems: ["/results/quick/r1/cells/bad.csv: header is wrong"] });
    const lines = md.split("\n");

    it("has one table per workload and params with the agreed columns", () => {
        assert.equal(lines[0], "# isobench summary");
        assert.ok(lines.includes("Samples from `/results/quick/r1`."));
        assert.ok(lines.includes("## sysbench-cpu — `maxPrime=20000;threads=1;timeSeconds=10`"));
        assert.ok(lines.includes("## redis — `clients=50|x`"));
        const header = "| environment | workload | metric | n | mean ± stddev | unit | overhead vs native | accel |";
        assert.equal(lines.filter((l) => l === header).length, 2);
        assert.match(md, /negative = worse than native/);
    });

    it("renders baseline, negative and zero overheads in paper style", () => {
        // docker-nat: ratio 1, rse = sqrt(1/(3·101²)) = 0.0057164, df 2 → t 4.3027 → ×/÷ 1.0249 → -2.4%…+2.5%.
        assert.ok(lines.includes("| native | sysbench-cpu | events_per_s | 3 | 101.0 ± 1.0 | events/s | baseline | none |"), md);
        assert.ok(lines.includes("| docker-nat | sysbench-cpu | events_per_s | 3 | 101.0 ± 0.0 | events/s | 0% (CI -2%…+2%) | none |"), md);
        assert.ok(lines.includes("| docker-nat | sysbench-cpu | latency_avg_ms | 2 | 1.250 ± 0.000 | ms | -20% (CI -20%…-20%) | none |"), md);
    });

    it("marks software-emulated rows and explains the mark", () => {
        const row = lines.find((l) => l.startsWith("| kvm-tuned |"));
        assert.ok(row);
        // 78/101 = 0.7723 → -22.8%; ×/÷ 1.0249 (as above) → -24.6%…-20.9%.
        assert.match(row, /\| -23% \(CI -25%…-21%\) † \| tcg \|$/);
        assert.match(md, /† measured \(partly\) under software emulation .* not KVM performance/);
    });

    it("escapes pipes in cells and explains missing native", () => {
        assert.ok(lines.includes("| docker-nat | redis | get_rps | 2 | 80001 ± 1 | req/s | n/a (no native) | none |"), md);
        const odd = renderMarkdown(summarize(series("native", "a|b", [1])));
        assert.ok(odd.includes("| native | sysbench-cpu | a\\|b | 1 |"), odd);
        assert.match(md, /- n\/a \(no native\): no "native" samples for workload redis, params "clients=50\|x", metric get_rps .* — docker-nat\/redis\/get_rps/);
    });

    it("lists load and grouping problems", () => {
        const i = lines.indexOf("## Problems");
        assert.ok(i > 0);
        assert.equal(lines[i + 2], "- /results/quick/r1/cells/bad.csv: header is wrong");
    });

    it("has no Notes or Problems sections when there is nothing to say", () => {
        const clean = renderMarkdown(summarize([...series("native", "m", [1, 2]), ...series("docker-nat", "m", [1, 2])]));
        assert.doesNotMatch(clean, /## Notes|## Problems/);
    });
});
