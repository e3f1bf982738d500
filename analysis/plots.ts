/**
 * Plots of a Summary: Vega-Lite specifications built from the data (pure), rendered headless to
 * SVG by Vega and to PNG by resvg (no browser, no native build). One specification per figure:
 *   ratio-<workload>     environment / native per metric with the ratio's interval (error bars)
 *   means-<workload>     mean ± 95 % interval per metric and environment (also without native)
 *   sweep-<workload>     mean ± 95 % interval vs the swept parameter (clients, threads), per metric
 *   fio-latency-cdf      completion-latency percentiles per job and environment
 *   published-vs-ours    published ratio next to ours, per published value
 */
import * as fs from "fs";
import * as path from "path";
import type { TopLevelSpec } from "vega-lite";
import { directionArrow, formatPercent, Summary, SummaryRow } from "./overhead";
import { numericParam, paramsWithout, shortParams, sweptNumericKeys, varyingKeys } from "./params";
import type { PublishedComparison } from "./published";
import { groupBy } from "./group-by";
import { writeFileAtomic } from "../core/files";
import { isEmulated } from "../core/samples";
import { environmentLabel } from "./emulated";

export interface PlotSpec {
    /** File stem, also the anchor in report.html. */
    readonly name: string;
    readonly title: string;
    readonly spec: TopLevelSpec;
}

export interface RenderedPlot extends PlotSpec {
    readonly svg: string;
    readonly png: Buffer;
}

/** Fonts tried for PNG text, in order (Debian fonts-dejavu-core). */
export const FONT_FILES = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"];
const FONT = "DejaVu Sans";

const CONFIG = { font: FONT, background: "white", axis: { labelLimit: 480 }, legend: { labelLimit: 320 } } as const;

function sanitize(name: string): string {
    return name.replace(/[^A-Za-z0-9._-]+/g, "_");
}

/** The environment as every legend names it: emulated numbers are marked, "kvm-tuned (tcg)". */
function label(r: SummaryRow): string {
    return environmentLabel(r.environment, isEmulated(r.accel));
}

/** Metric label with its direction, plus the params that distinguish sibling points. */
function pointLabel(r: SummaryRow, distinguishing: readonly string[]): string {
    const extra = shortParams(r.params, distinguishing);
    return `${r.metric} ${directionArrow(r.better)}${extra ? ` ${extra}` : ""}`;
}

/**
 * Log-scale window for ratio plots: 2× and ½× are equally far from 1. Intervals of noisy groups
 * can span orders of magnitude; they are clipped to a window around the ratios so the bars stay
 * readable, and callers say so in the subtitle.
 */
function clipToWindow(values: { ratio: number; low: number; high: number }[]): { lo: number; hi: number; clipped: boolean } {
    const lo = Math.min(1, ...values.map((v) => v.ratio)) / 4;
    const hi = Math.max(1, ...values.map((v) => v.ratio)) * 4;
    let clipped = false;
    for (const v of values) {
        if (v.low < lo || v.high > hi) clipped = true;
        v.low = Math.max(v.low, lo);
        v.high = Math.min(v.high, hi);
    }
    return { lo, hi, clipped };
}

/** More distinct points than this in one ratio chart: one panel per metric instead. */
const MAX_POINTS_PER_PANEL = 30;

function ratioSpec(workload: string, rows: readonly SummaryRow[], confidence: number): PlotSpec | null {
    const keys = varyingKeys(rows.map((r) => r.params));
    const values = rows.flatMap((r) => {
        if (r.overhead.kind !== "compared") return [];
        const o = r.overhead;
        return [
            {
                point: pointLabel(r, keys),
                metric: `${r.metric} ${directionArrow(r.better)}`,
                at: shortParams(r.params, keys) || "—",
                environment: label(r),
                ratio: o.ratio,
                low: o.ratioCi?.low ?? o.ratio,
                high: o.ratioCi?.high ?? o.ratio,
                change: formatPercent(o.percent),
                verdict: o.verdict,
            },
        ];
    });
    if (values.length === 0) return null;
    const { lo, hi, clipped } = clipToWindow(values);
    const pct = Math.round(confidence * 100);
    const scale = { type: "log", domain: [lo, hi] };
    // A sweep (Redis: 21 metrics × 10 client counts) would make one chart thousands of pixels
    // wide: then one panel per metric with the swept point on the x axis.
    const faceted = new Set(values.map((v) => v.point)).size > MAX_POINTS_PER_PANEL;
    const x = faceted ? "at" : "point";
    const layer = [
        {
            mark: { type: "bar" },
            encoding: {
                x: { field: x, type: "nominal", title: faceted ? keys.join(" ") : null, sort: null },
                xOffset: { field: "environment", type: "nominal" },
                y: { field: "ratio", type: "quantitative", title: "environment / native", scale },
                // Bars grow from 1 (= native), up for more, down for less than native.
                y2: { datum: 1 },
                color: { field: "environment", type: "nominal", title: "environment" },
                tooltip: [{ field: "environment" }, { field: "point" }, { field: "change" }, { field: "verdict" }],
            },
        },
        {
            mark: { type: "errorbar", ticks: true },
            encoding: {
                x: { field: x, type: "nominal", sort: null },
                xOffset: { field: "environment", type: "nominal" },
                y: { field: "low", type: "quantitative", title: "environment / native", scale },
                y2: { field: "high" },
            },
        },
        { mark: { type: "rule", strokeDash: [4, 3], color: "black" }, encoding: { y: { datum: 1, type: "quantitative", scale } } },
    ];
    const title = {
        text: `${workload}: environment / native (log scale)`,
        subtitle: `error bars: ${pct} % interval of the ratio (log scale)${clipped ? ` (clipped to ${lo.toPrecision(2)}…${hi.toPrecision(2)})` : ""}; ↑ higher is better, ↓ lower is better`,
    };
    const spec = faceted
        ? {
              $schema: "https://vega.github.io/schema/vega-lite/v5.json",
              title,
              data: { values },
              facet: { field: "metric", type: "nominal", title: null, header: { labelLimit: 300 } },
              columns: 3,
              spec: { width: { step: 10 }, height: 150, layer },
              config: CONFIG,
          }
        : { $schema: "https://vega.github.io/schema/vega-lite/v5.json", title, data: { values }, width: { step: 14 }, height: 220, layer, config: CONFIG };
    return {
        name: `ratio-${sanitize(workload)}`,
        title: `${workload}: environment / native (bars) with ${pct} % interval of the ratio (error bars); 1 = native`,
        spec: spec as TopLevelSpec,
    };
}

function meansSpec(workload: string, rows: readonly SummaryRow[]): PlotSpec {
    const keys = varyingKeys(rows.map((r) => r.params));
    const values = rows.map((r) => ({
        point: pointLabel(r, keys),
        unit: r.unit,
        environment: label(r),
        mean: r.stats.mean,
        low: r.stats.ci95?.low ?? r.stats.mean,
        high: r.stats.ci95?.high ?? r.stats.mean,
        n: r.stats.n,
    }));
    return {
        name: `means-${sanitize(workload)}`,
        title: `${workload}: mean per environment with its 95 % confidence interval (error bars), one panel per metric`,
        spec: {
            $schema: "https://vega.github.io/schema/vega-lite/v5.json",
            title: { text: `${workload}: mean ± 95 % CI`, subtitle: "one panel per metric and parameter point" },
            data: { values },
            facet: { field: "point", type: "nominal", title: null, header: { labelLimit: 260 } },
            columns: 4,
            resolve: { scale: { y: "independent" } },
            spec: {
                width: 160,
                height: 120,
                layer: [
                    {
                        mark: "bar",
                        encoding: {
                            x: { field: "environment", type: "nominal", title: null },
                            y: { field: "mean", type: "quantitative", title: null },
                            color: { field: "environment", type: "nominal", title: "environment" },
                            tooltip: [{ field: "environment" }, { field: "mean" }, { field: "unit" }, { field: "n" }],
                        },
                    },
                    {
                        mark: { type: "errorbar", ticks: true },
                        encoding: {
                            x: { field: "environment", type: "nominal" },
                            y: { field: "low", type: "quantitative", title: null },
                            y2: { field: "high" },
                        },
                    },
                ],
            },
            config: CONFIG,
        } as TopLevelSpec,
    };
}

function sweepSpecs(workload: string, rows: readonly SummaryRow[]): PlotSpec[] {
    const keys = sweptNumericKeys(rows.map((r) => r.params));
    return keys.map((key) => {
        const values = rows.flatMap((r) => {
            const x = numericParam(r.params, key);
            if (x === undefined) return [];
            const rest = paramsWithout(r.params, key);
            return [
                {
                    x,
                    metric: `${r.metric} ${directionArrow(r.better)} (${r.unit})`,
                    series: rest,
                    environment: label(r),
                    mean: r.stats.mean,
                    low: r.stats.ci95?.low ?? r.stats.mean,
                    high: r.stats.ci95?.high ?? r.stats.mean,
                },
            ];
        });
        return {
            name: `sweep-${sanitize(workload)}-${sanitize(key)}`,
            title: `${workload}: mean ± 95 % CI vs ${key}, one panel per metric`,
            spec: {
                $schema: "https://vega.github.io/schema/vega-lite/v5.json",
                title: { text: `${workload} vs ${key}`, subtitle: "mean ± 95 % CI; ↑ higher is better, ↓ lower is better" },
                data: { values },
                facet: { field: "metric", type: "nominal", title: null, header: { labelLimit: 300 } },
                columns: 3,
                resolve: { scale: { y: "independent" } },
                spec: {
                    width: 220,
                    height: 150,
                    layer: [
                        {
                            mark: { type: "line", point: true },
                            encoding: {
                                x: { field: "x", type: "quantitative", title: key },
                                y: { field: "mean", type: "quantitative", title: null },
                                color: { field: "environment", type: "nominal", title: "environment" },
                                detail: { field: "series", type: "nominal" },
                            },
                        },
                        {
                            mark: { type: "errorbar", ticks: true },
                            encoding: {
                                x: { field: "x", type: "quantitative" },
                                y: { field: "low", type: "quantitative", title: null },
                                y2: { field: "high" },
                                color: { field: "environment", type: "nominal" },
                            },
                        },
                    ],
                },
                config: CONFIG,
            } as TopLevelSpec,
        };
    });
}

const CLAT = /^(.+)_clat_p(\d+(?:\.\d+)?)_us$/;

function fioCdfSpec(rows: readonly SummaryRow[]): PlotSpec | null {
    const values = rows.flatMap((r) => {
        const m = CLAT.exec(r.metric);
        if (!m) return [];
        return [{ job: r.params ? `${m[1]} (${r.params})` : m[1], percentile: Number(m[2]), latency_us: r.stats.mean, environment: label(r) }];
    });
    if (values.length === 0) return null;
    return {
        name: "fio-latency-cdf",
        title: "fio: completion-latency distribution (percentiles, mean over repetitions) per job and environment",
        spec: {
            $schema: "https://vega.github.io/schema/vega-lite/v5.json",
            title: { text: "fio completion latency CDF", subtitle: "percentile vs latency; mean of each percentile over repetitions" },
            data: { values },
            facet: { field: "job", type: "nominal", title: null },
            columns: 2,
            spec: {
                width: 300,
                height: 180,
                mark: { type: "line", point: true },
                encoding: {
                    x: { field: "latency_us", type: "quantitative", title: "completion latency (µs)", scale: { type: "log" } },
                    y: { field: "percentile", type: "quantitative", title: "percentile", scale: { domain: [0, 100] } },
                    color: { field: "environment", type: "nominal", title: "environment" },
                    order: { field: "percentile", type: "quantitative" },
                },
            },
            config: CONFIG,
        } as TopLevelSpec,
    };
}

function publishedSpec(comparisons: readonly PublishedComparison[]): PlotSpec | null {
    if (comparisons.length === 0) return null;
    const values = comparisons.flatMap((c) => {
        const label = `${c.published.label} — ours: ${environmentLabel(c.environment, c.emulated)}${c.params ? ` ${varyingLabel(c)}` : ""}`;
        return [
            {
                label,
                source: `published (${c.published.status}${c.published.approximate ? ", approx." : ""})`,
                ratio: c.publishedRatio,
                low: c.publishedRatio,
                high: c.publishedRatio,
            },
            { label, source: environmentLabel("ours", c.emulated), ratio: c.ratio, low: c.ratioCi?.low ?? c.ratio, high: c.ratioCi?.high ?? c.ratio },
        ];
    });
    const { lo, hi, clipped } = clipToWindow(values);
    const scale = { type: "log", domain: [lo, hi] };
    return {
        name: "published-vs-ours",
        title: "Published ratio to native next to ours (with our interval)",
        spec: {
            $schema: "https://vega.github.io/schema/vega-lite/v5.json",
            title: {
                text: "ours vs published: environment / native (log scale)",
                subtitle: `1 = native; error bars: our interval${clipped ? ` (clipped to ${lo.toPrecision(2)}…${hi.toPrecision(2)})` : ""}`,
            },
            data: { values },
            height: { step: 12 },
            width: 320,
            layer: [
                {
                    mark: "bar",
                    encoding: {
                        y: { field: "label", type: "nominal", title: null, sort: null },
                        yOffset: { field: "source", type: "nominal" },
                        x: { field: "ratio", type: "quantitative", title: "environment / native", scale },
                        x2: { datum: 1 },
                        color: { field: "source", type: "nominal", title: null },
                    },
                },
                {
                    mark: { type: "errorbar", ticks: true },
                    encoding: {
                        y: { field: "label", type: "nominal", sort: null },
                        yOffset: { field: "source", type: "nominal" },
                        x: { field: "low", type: "quantitative", title: "environment / native", scale },
                        x2: { field: "high" },
                    },
                },
                { mark: { type: "rule", strokeDash: [4, 3], color: "black" }, encoding: { x: { datum: 1, type: "quantitative", scale } } },
            ],
            config: CONFIG,
        } as TopLevelSpec,
    };
}

function varyingLabel(c: PublishedComparison): string {
    return shortParams(c.params, Object.keys(c.published.params));
}

/** Every figure the summary supports, in report order. */
export function plotSpecs(summary: Summary, comparisons: readonly PublishedComparison[] = []): PlotSpec[] {
    const out: PlotSpec[] = [];
    for (const [workload, rows] of groupBy(summary.rows, (r) => r.workload)) {
        const ratio = ratioSpec(workload, rows, summary.confidence);
        if (ratio) out.push(ratio);
        const sweeps = sweepSpecs(workload, rows);
        // A sweep figure already shows every mean ± CI against the swept parameter.
        if (sweeps.length === 0) out.push(meansSpec(workload, rows));
        out.push(...sweeps);
    }
    const cdf = fioCdfSpec(summary.rows.filter((r) => r.workload === "fio"));
    if (cdf) out.push(cdf);
    const pub = publishedSpec(comparisons);
    if (pub) out.push(pub);
    return out;
}

/** Renders a Vega-Lite specification to SVG with Vega's headless (canvas-free) renderer. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
    const vega = await import("vega");
    const vl = await import("vega-lite");
    const compiled = vl.compile(spec).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: "none" });
    try {
        return await view.toSVG();
    } finally {
        view.finalize();
    }
}

/** Fonts for PNG text: the first existing of FONT_FILES; empty when none (text would be lost). */
export function availableFontFiles(): string[] {
    return FONT_FILES.filter((f) => fs.existsSync(f));
}

/** Largest PNG side in pixels: a huge figure at 2× would need hundreds of MB to rasterize. */
const MAX_PNG_SIDE = 4000;

/** Rasterizes SVG to PNG with resvg (2×, less for figures that would exceed MAX_PNG_SIDE), DejaVu Sans for text. */
export async function renderPng(svg: string, fontFiles: readonly string[]): Promise<Buffer> {
    const { Resvg } = await import("@resvg/resvg-js");
    const dim = (a: string) => Number(new RegExp(`<svg[^>]*\\s${a}="([0-9.]+)"`).exec(svg)?.[1] ?? 0);
    const side = Math.max(dim("width"), dim("height"), 1);
    const resvg = new Resvg(svg, {
        fitTo: { mode: "zoom", value: Math.min(2, MAX_PNG_SIDE / side) },
        font: { fontFiles: [...fontFiles], loadSystemFonts: fontFiles.length === 0, defaultFontFamily: FONT },
        background: "white",
    });
    return resvg.render().asPng();
}

export async function renderPlots(
    specs: readonly PlotSpec[],
    onEach?: (done: number, total: number, name: string) => void,
): Promise<{ plots: RenderedPlot[]; problems: string[] }> {
    const fonts = availableFontFiles();
    const problems = fonts.length === 0 ? [`no font at ${FONT_FILES[0]}: PNG plots may lack text; install fonts-dejavu-core (scripts/setup.sh)`] : [];
    const plots: RenderedPlot[] = [];
    for (const [i, p] of specs.entries()) {
        try {
            const svg = await renderSvg(p.spec);
            plots.push({ ...p, svg, png: await renderPng(svg, fonts) });
        } catch (e) {
            problems.push(`plot ${p.name} could not be rendered: ${(e as Error).message}`);
        }
        onEach?.(i + 1, specs.length, p.name);
    }
    return { plots, problems };
}

/** Writes <dir>/<name>.svg and .png for every plot; returns the written paths. */
export function writePlots(dir: string, plots: readonly RenderedPlot[]): string[] {
    fs.mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const p of plots) {
        for (const [ext, data] of [
            ["svg", p.svg],
            ["png", p.png],
        ] as const) {
            const file = path.join(dir, `${p.name}.${ext}`);
            writeFileAtomic(file, data);
            written.push(file);
        }
    }
    return written;
}
