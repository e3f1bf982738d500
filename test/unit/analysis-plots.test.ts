import { strict as assert } from "assert";
import { DOMParser } from "@xmldom/xmldom";
import { PNG } from "pngjs";
import { summarize } from "../../analysis/overhead";
import { availableFontFiles, plotSpecs, renderPlots, RenderedPlot } from "../../analysis/plots";
import { comparePublished, loadReferences } from "../../analysis/published";
import type { Sample } from "../../core/samples";
import { sample } from "../helpers/sample";

const reps = (environment: string, workload: string, metric: string, values: number[], extra: Partial<Sample> = {}) =>
    values.map((value, i) => sample({ environment, workload, metric, value, repetition: i + 1, ...extra }));

/** Texts and mark classes of an SVG, via a real XML parser (the SVG must be well-formed). */
function inspectSvg(svg: string): { texts: string[]; marks: string[]; width: number } {
    const errors: string[] = [];
    const doc = new DOMParser({
        onError: (level, msg) => {
            if (level !== "warning") errors.push(msg);
        },
    }).parseFromString(svg, "image/svg+xml");
    assert.deepEqual(errors, [], "SVG parses without errors");
    const root = doc.documentElement!;
    assert.equal(root.nodeName, "svg");
    const texts = Array.from(doc.getElementsByTagName("text")).map((t) => t.textContent ?? "");
    const marks = Array.from(doc.getElementsByTagName("g"))
        .map((g) => g.getAttribute("class") ?? "")
        .filter((c) => c.includes("role-mark"));
    return { texts, marks, width: Number(root.getAttribute("width")) };
}

/** Decodes the PNG; asserts a plausible size and that it is not one flat colour. */
function inspectPng(png: Buffer): { width: number; height: number; distinctGreys: number } {
    const img = PNG.sync.read(png);
    const greys = new Set<number>();
    for (let i = 0; i < img.data.length; i += 4 * 7) greys.add((img.data[i] + img.data[i + 1] + img.data[i + 2]) >> 2);
    return { width: img.width, height: img.height, distinctGreys: greys.size };
}

describe("analysis/plots (vega-lite → SVG, resvg → PNG)", function () {
    this.timeout(60000);
    const summary = summarize([
        // Redis swept over clients, three environments.
        ...[10, 50].flatMap((clients) => [
            ...reps(
                "native",
                "redis",
                "get_rps",
                [100000, 101000, 102000].map((v) => (v * clients) / 50),
                { params: `d=50;clients=${clients}`, unit: "req/s" },
            ),
            ...reps(
                "docker-nat",
                "redis",
                "get_rps",
                [70000, 71000, 72000].map((v) => (v * clients) / 50),
                { params: `d=50;clients=${clients}`, unit: "req/s", variant: "net=nat" },
            ),
            ...reps("native", "redis", "get_latency_avg_ms", [0.5, 0.51, 0.52], { params: `d=50;clients=${clients}`, unit: "ms", better: "lower" }),
            ...reps("docker-nat", "redis", "get_latency_avg_ms", [0.7, 0.71, 0.72], {
                params: `d=50;clients=${clients}`,
                unit: "ms",
                better: "lower",
                variant: "net=nat",
            }),
        ]),
        // fio completion-latency percentiles of one job.
        ...[
            [50, 258, 620],
            [90, 300, 900],
            [99, 400, 1500],
        ].flatMap(([p, nat, kvm]) => [
            ...reps("native", "fio", `randread16_clat_p${p}_us`, [nat, nat + 2], { params: "", unit: "us", better: "lower" }),
            ...reps("kvm-tuned", "fio", `randread16_clat_p${p}_us`, [kvm, kvm + 5], { params: "", unit: "us", better: "lower" }),
        ]),
    ]);
    const published = comparePublished(loadReferences(), summary);
    const specs = plotSpecs(summary, published);
    let plots: RenderedPlot[] = [];
    let problems: string[] = [];

    before(async () => {
        ({ plots, problems } = await renderPlots(specs));
    });

    it("one figure per kind the data supports", () => {
        assert.deepEqual(
            specs.map((s) => s.name),
            [
                // No means-redis: the sweep figure shows every mean ± CI against clients.
                "ratio-fio",
                "means-fio",
                "ratio-redis",
                "sweep-redis-clients",
                "fio-latency-cdf",
                "published-vs-ours",
            ],
        );
        assert.deepEqual(problems, []);
        assert.equal(plots.length, specs.length);
        assert.ok(availableFontFiles().length > 0, "DejaVu Sans installed (fonts-dejavu-core)");
    });

    it("ratio bars with error bars, labelled with metric direction and environments", () => {
        const p = inspectSvg(plots.find((x) => x.name === "ratio-redis")!.svg);
        assert.ok(
            p.marks.some((m) => m.startsWith("mark-rect")),
            `bars: ${p.marks}`,
        );
        assert.ok(p.marks.filter((m) => m.startsWith("mark-rule")).length >= 1, `error bars/baseline: ${p.marks}`);
        assert.ok(p.texts.includes("get_rps ↑ clients=50"), p.texts.join("|"));
        assert.ok(p.texts.includes("get_latency_avg_ms ↓ clients=10"), p.texts.join("|"));
        assert.ok(p.texts.includes("docker-nat"));
        assert.ok(p.texts.includes("redis: environment / native (log scale)"));
    });

    it("throughput and latency vs clients: lines with points, one panel per metric", () => {
        const p = inspectSvg(plots.find((x) => x.name === "sweep-redis-clients")!.svg);
        assert.ok(
            p.marks.some((m) => m.startsWith("mark-line")),
            p.marks.join(","),
        );
        assert.ok(p.texts.includes("get_rps ↑ (req/s)") && p.texts.includes("get_latency_avg_ms ↓ (ms)"), p.texts.join("|"));
        assert.ok(p.texts.includes("clients"));
    });

    it("fio latency CDF: percentile vs latency per environment", () => {
        const p = inspectSvg(plots.find((x) => x.name === "fio-latency-cdf")!.svg);
        assert.ok(p.marks.some((m) => m.startsWith("mark-line")));
        assert.ok(p.texts.includes("completion latency (µs)") && p.texts.includes("percentile"));
        assert.ok(p.texts.includes("randread16") && p.texts.includes("kvm-tuned"), p.texts.join("|"));
    });

    it("ours vs published side by side", () => {
        const p = inspectSvg(plots.find((x) => x.name === "published-vs-ours")!.svg);
        assert.ok(
            p.texts.some((t) => t.startsWith("Redis GET req/s at 50 clients, Docker NAT")),
            p.texts.join("|"),
        );
        assert.ok(p.texts.includes("ours") && p.texts.some((t) => t.startsWith("published (DERIVED-R")), p.texts.join("|"));
    });

    it("every PNG decodes, has the SVG's aspect at 2× and is not blank", () => {
        for (const plot of plots) {
            const png = inspectPng(plot.png);
            const svgWidth = inspectSvg(plot.svg).width;
            assert.ok(Math.abs(png.width - 2 * svgWidth) <= 2, `${plot.name}: png ${png.width} vs svg ${svgWidth}`);
            assert.ok(png.height > 100, `${plot.name}: height ${png.height}`);
            assert.ok(png.distinctGreys > 10, `${plot.name}: only ${png.distinctGreys} grey levels`);
        }
    });

    it("rendering is deterministic", async () => {
        const again = await renderPlots(specs.slice(0, 1));
        assert.equal(again.plots[0].svg, plots[0].svg);
    });

    it("a large sweep gets one ratio panel per metric, and its PNG stays within 4000 px", async () => {
        const big = summarize(
            [1, 2, 5, 10, 20, 30, 50, 70, 100, 120].flatMap((clients) =>
                ["get", "set", "lpush", "lpop"].flatMap((t) => [
                    ...reps("native", "redis", `${t}_rps`, [100, 101], { params: `clients=${clients}`, unit: "req/s" }),
                    ...reps("docker-nat", "redis", `${t}_rps`, [70, 71], { params: `clients=${clients}`, unit: "req/s" }),
                ]),
            ),
        );
        const spec = plotSpecs(big).find((p) => p.name === "ratio-redis")!;
        const {
            plots: [plot],
        } = await renderPlots([spec]);
        const svg = inspectSvg(plot.svg);
        assert.ok(svg.texts.includes("get_rps ↑") && svg.texts.includes("lpop_rps ↑"), svg.texts.join("|"));
        assert.ok(svg.texts.includes("clients"), "the swept parameter labels the x axis");
        const png = inspectPng(plot.png);
        assert.ok(Math.max(png.width, png.height) <= 4000, `${png.width}×${png.height}`);
    });

    it("a summary without native still gets the means figure", () => {
        const names = plotSpecs(summarize(reps("docker-nat", "redis", "get_rps", [1, 2], { unit: "req/s" }))).map((s) => s.name);
        assert.deepEqual(names, ["means-redis"]);
    });

    it("every legend marks an emulated environment: (tcg) in the ratio, means and sweep data", () => {
        const emulated = summarize([
            ...[1, 2].flatMap((threads) => [
                ...reps("native", "sysbench-cpu", "events_per_s", [100, 101, 102], { params: `threads=${threads}` }),
                ...reps("kvm-tuned", "sysbench-cpu", "events_per_s", [10, 11, 12], { params: `threads=${threads}`, accel: "tcg" }),
            ]),
        ]);
        const environments = plotSpecs(emulated).flatMap((p) =>
            ((p.spec as { data: { values: { environment: string }[] } }).data.values ?? []).map((v) => `${p.name}: ${v.environment}`),
        );
        assert.ok(environments.includes("ratio-sysbench-cpu: kvm-tuned (tcg)"), environments.join("\n"));
        assert.ok(environments.includes("sweep-sysbench-cpu-threads: kvm-tuned (tcg)"), environments.join("\n"));
        assert.ok(!environments.some((e) => / kvm-tuned$/.test(e)), "no unmarked emulated label");
    });
});
