/**
 * Pieces shared by the client/server workloads (nuttcp, netperf, iperf, redis, mysql): parameter
 * checks, host words for the shell, the section markers a sweep's client script prints between
 * runs, and the timeout every host-side client gets (a client waiting for a dead server would
 * otherwise hold the whole experiment). Pure.
 */
import { Measurement } from "./workload";
import type { ServerAddress } from "../core/endpoints";
import { ParseError } from "../core/errors";

/** A comma-separated list of positive integers ("1,5,10" or a single number) → numbers. */
export function intList(workload: string, name: string, v: number | string): number[] {
    const items = typeof v === "number" ? [v] : v.split(",").map((s) => s.trim());
    const out = items.map((s) => (typeof s === "number" ? s : /^[0-9]+$/.test(s) ? Number(s) : NaN));
    if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n <= 0)) {
        throw new Error(
            `${workload}: parameter ${name} must be a positive integer or a comma-separated list of them (e.g. "1,5,10"), got ${JSON.stringify(v)}`,
        );
    }
    if (new Set(out).size !== out.length) throw new Error(`${workload}: parameter ${name} lists a value twice: ${JSON.stringify(v)}`);
    return out;
}

/** Host names and addresses pass through; anything else is single-quoted for the shell. */
export function hostWord(s: string): string {
    if (/^[A-Za-z0-9_.:%@+=,/-]+$/.test(s)) return s;
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The address a server binds (RunContext.listen), as a shell word; refuses to guess one. */
export function listenOf(workload: string, ctx: { readonly listen?: string }): string {
    if (!ctx.listen || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ctx.listen)) {
        throw new Error(`${workload}: the server needs the IPv4 address to bind (RunContext.listen), got ${JSON.stringify(ctx.listen)}`);
    }
    return ctx.listen;
}

export function portOf(workload: string, what: string, addr: ServerAddress | undefined): ServerAddress {
    if (!addr) throw new Error(`${workload}: the client runs on the host and needs the address of the server's ${what} port`);
    if (!Number.isInteger(addr.port) || addr.port < 1 || addr.port > 65535) {
        throw new Error(`${workload}: ${what} port must be 1-65535, got ${JSON.stringify(addr.port)}`);
    }
    return addr;
}

/**
 * `timeout` around a host-side client: SIGTERM after seconds, SIGKILL 10 s later. Exit status 124
 * then tells the runner the client hung.
 */
export function withTimeout(seconds: number, command: string): string {
    return `timeout -k 10 ${Math.ceil(seconds)} ${command}`;
}

const MARKER = /^### isobench (\S+) (.*)$/;

/** The line a client script prints before each run of a sweep: `### isobench <workload> k=v ...`. */
export function markerCommand(workload: string, point: Readonly<Record<string, string | number>>): string {
    const kv = Object.entries(point)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
    return `echo '### isobench ${workload} ${kv}'`;
}

export interface Section {
    readonly point: Readonly<Record<string, string>>;
    readonly text: string;
}

/**
 * Splits client output at its markers. Returns undefined when there is no marker (output of a
 * single run or an imported log).
 */
export function splitSections(workload: string, raw: string): Section[] | undefined {
    const lines = raw.replace(/\r\n/g, "\n").split("\n");
    const sections: { point: Record<string, string>; lines: string[] }[] = [];
    for (const line of lines) {
        const m = MARKER.exec(line.trim());
        if (m && m[1] === workload) {
            const point: Record<string, string> = {};
            for (const kv of m[2].trim().split(/\s+/)) {
                const eq = kv.indexOf("=");
                if (eq <= 0) throw new ParseError(workload, "marker", `malformed marker line ${JSON.stringify(line)}`);
                point[kv.slice(0, eq)] = kv.slice(eq + 1);
            }
            sections.push({ point, lines: [] });
        } else if (sections.length > 0) {
            sections[sections.length - 1].lines.push(line);
        }
    }
    if (sections.length === 0) return undefined;
    return sections.map((s) => ({ point: s.point, text: s.lines.join("\n") }));
}

/** Strict decimal (rejects "-nan", "1.", ""). */
export function decimal(s: string | undefined): number | undefined {
    return s !== undefined && /^[0-9]+(?:\.[0-9]+)?$/.test(s.trim()) ? Number(s.trim()) : undefined;
}

/** Directions of a bulk-throughput test, as its `directions` parameter lists them. */
export const DIRECTIONS = ["transmit", "receive"] as const;

/** The `directions` parameter ("transmit,receive") as a list; throws naming the workload on anything else. */
export function directionList(workload: string, directions: string): string[] {
    const list = directions.split(",").map((d) => d.trim());
    if (list.length === 0 || list.some((d) => !(DIRECTIONS as readonly string[]).includes(d)) || new Set(list).size !== list.length) {
        throw new Error(`${workload}: parameter directions must list "transmit" and/or "receive" (comma-separated), got ${JSON.stringify(directions)}`);
    }
    return list;
}

/**
 * Throughput of each direction from output whose runs are separated by markerCommand sections
 * (`direction=transmit|receive`), or of the single run of a plain log (imported output).
 * @param parseRun Gb/s of one run's output; throws ParseError naming the metric
 * @param requested the directions the command asked for; each must be present
 */
export function parseDirectionalThroughput(
    workload: string,
    raw: string,
    parseRun: (text: string, metric: string) => number,
    requested?: readonly string[],
): Measurement[] {
    const sections = splitSections(workload, raw);
    if (!sections) return [{ metric: "throughput_gbps", value: parseRun(raw, "throughput_gbps"), unit: "Gb/s", better: "higher" }];
    const out: Measurement[] = [];
    const seen = new Set<string>();
    for (const s of sections) {
        const dir = String(s.point.direction);
        if (!(DIRECTIONS as readonly string[]).includes(dir))
            throw new ParseError(workload, "direction", `marker names direction ${JSON.stringify(s.point.direction)}; expected transmit or receive`);
        const metric = `${dir}_gbps`;
        if (seen.has(dir)) throw new ParseError(workload, metric, `direction ${dir} appears twice in one output`);
        seen.add(dir);
        out.push({ metric, value: parseRun(s.text, metric), unit: "Gb/s", better: "higher" });
    }
    for (const d of requested ?? []) {
        if (!seen.has(d)) throw new ParseError(workload, `${d}_gbps`, `direction ${d} was requested but is not in the output (truncated output?)`);
    }
    return out;
}
