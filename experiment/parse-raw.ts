/**
 * `isobench parse <workload> <raw-file> [--params k=v,…]`: re-parses kept raw tool output
 * (results/<stack>/<run>/raw/<cell>.txt) or someone else's published log into sample rows.
 *
 * A raw file alone does not know where it was measured: environment, env_kind and accel are
 * "unknown"; host, kernel, cpu_model, started_at and duration_s are empty; repetition is 0. When
 * the file sits at results/<stack>/<run>/raw/<cell>.txt, stack, run_id and cell_id come from its
 * path (the cell's CSV next to it has the full facts). tool_version is read from the output when
 * the tool prints it there (sysbench banner), else "unknown". params holds exactly the --params
 * given; only then does the parser check the output against them (merged over the defaults).
 */
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../core/errors";
import { didYouMean } from "../core/closest";
import { Sample, samplesToCsv } from "../core/samples";
import type { AnyWorkload } from "../workloads";
import { ParseError } from "../core/errors";

/** How the runner appends a cell's stderr to its raw file (experiment/runner.ts). */
export const RAW_STDERR_SEPARATOR = "\n--- stderr ---\n";

/** The tool's stdout part of a raw file written by the runner (the whole text otherwise). */
export function rawStdout(raw: string): string {
    const i = raw.indexOf(RAW_STDERR_SEPARATOR);
    return i < 0 ? raw : raw.slice(0, i);
}

/**
 * "k=v,k=v" (or the samples' "k=v;k=v") into params; numeric values become numbers. A piece
 * without "=" continues the previous value, so list values keep their commas:
 * "operations=read,write,threads=2" → { operations: "read,write", threads: 2 }.
 */
export function parseParamsArg(text: string): Record<string, number | string> {
    const out: Record<string, string> = {};
    let last: string | undefined;
    for (const piece of text.split(/[,;]/)) {
        const eq = piece.indexOf("=");
        if (eq > 0) {
            last = piece.slice(0, eq).trim();
            out[last] = piece.slice(eq + 1).trim();
        } else if (last !== undefined && piece.trim() !== "") {
            out[last] += `,${piece.trim()}`;
        } else if (piece.trim() !== "") {
            throw new UserError(`--params: "${piece}" is not k=v (expected e.g. --params totalSize=64M,timeSeconds=5)`);
        }
    }
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, /^-?[0-9]+(?:\.[0-9]+)?$/.test(v) ? Number(v) : v]));
}

/** stack, run_id, cell_id from results/<stack>/<run>/raw/<cell>.txt, else the file's base name. */
function originOf(file: string): { stack: string; run_id: string; cell_id: string } {
    const parts = path.resolve(file).split(path.sep);
    const n = parts.length;
    const cell = path.basename(file).replace(/\.txt$/, "");
    if (n >= 5 && parts[n - 2] === "raw" && parts[n - 5] === "results") return { stack: parts[n - 4], run_id: parts[n - 3], cell_id: cell };
    return { stack: "", run_id: "", cell_id: cell };
}

/** Samples of one raw file; ParseError becomes a UserError naming workload, metric and file. */
export function samplesFromRawFile(workload: AnyWorkload, file: string, params?: Record<string, number | string>): Sample[] {
    let raw: string;
    try {
        raw = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new UserError(`cannot read raw file ${file}: ${(e as Error).message}`);
    }
    const unknownParams = Object.keys(params ?? {}).filter((k) => !(k in workload.defaults));
    if (unknownParams.length) {
        const known = Object.keys(workload.defaults);
        throw new UserError(
            `${workload.name} has no parameter ${unknownParams.map((k) => k + didYouMean(k, known)).join(", ")}; its parameters: ${known.join(", ")}`,
        );
    }
    const full = params ? { ...workload.defaults, ...params } : undefined;
    const text = rawStdout(raw);
    let measurements;
    try {
        measurements = workload.parse(text, full);
    } catch (e) {
        if (e instanceof ParseError) throw new UserError(`${e.message}; raw file ${file}`);
        throw new UserError(`${workload.name}: ${(e as Error).message}; raw file ${file}`);
    }
    let toolVersion = "unknown";
    try {
        toolVersion = workload.parseVersion(text);
    } catch {
        // Most tools print their version only when asked; the cell CSV has it.
    }
    const origin = originOf(file);
    const paramText = (point?: Readonly<Record<string, number | string>>) =>
        Object.entries({ ...params, ...point })
            .map(([k, v]) => `${k}=${v}`)
            .join(";");
    const notes = [full && workload.notes ? workload.notes(full) : "", `parsed from ${file}`].filter((n) => n !== "").join("; ");
    return measurements.map((m) => ({
        ...origin,
        // Not knowable from the raw file: see the module comment.
        environment: "unknown",
        env_kind: "unknown" as Sample["env_kind"],
        variant: "",
        workload: workload.name,
        params: paramText(m.point),
        repetition: 0,
        metric: m.metric,
        value: m.value,
        unit: m.unit,
        better: m.better,
        started_at: "",
        duration_s: "" as unknown as number,
        tool: workload.tool,
        tool_version: toolVersion,
        accel: "unknown" as Sample["accel"],
        host: "",
        kernel: "",
        cpu_model: "",
        notes,
        // Parsed outside a run: nothing says what defined the measurement, or who drove it.
        fingerprint: "",
        controller: "",
    }));
}

/** The CSV `isobench parse` prints. */
export function parseRawToCsv(workload: AnyWorkload, file: string, params?: Record<string, number | string>): string {
    return samplesToCsv(samplesFromRawFile(workload, file, params));
}
