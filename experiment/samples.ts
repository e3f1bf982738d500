/**
 * The one data model of isobench (DESIGN.md "Samples"): tidy rows, one per measured value.
 * Every number carries the facts needed to judge it (environment, tool version, accel).
 */
import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";

export const SAMPLE_COLUMNS = [
    "run_id", "stack", "cell_id", "environment", "env_kind", "variant", "workload", "params",
    "repetition", "metric", "value", "unit", "better", "started_at", "duration_s", "tool",
    "tool_version", "accel", "host", "kernel", "cpu_model", "notes",
] as const;

export type EnvKind = "native" | "docker" | "kvm" | "docker-in-kvm";
export type Accel = "kvm" | "tcg" | "none";
export type Better = "higher" | "lower";

export interface Sample {
    readonly run_id: string;
    readonly stack: string;
    readonly cell_id: string;
    readonly environment: string;
    readonly env_kind: EnvKind;
    readonly variant: string;
    readonly workload: string;
    readonly params: string;
    readonly repetition: number;
    readonly metric: string;
    readonly value: number;
    readonly unit: string;
    readonly better: Better;
    readonly started_at: string;
    readonly duration_s: number;
    readonly tool: string;
    readonly tool_version: string;
    readonly accel: Accel;
    readonly host: string;
    readonly kernel: string;
    readonly cpu_model: string;
    readonly notes: string;
}

export function samplesToCsv(samples: readonly Sample[]): string {
    return stringify(samples.map((s) => SAMPLE_COLUMNS.map((c) => s[c])), {
        header: true,
        columns: [...SAMPLE_COLUMNS],
    });
}

/** Parses sample CSV; throws naming the file when the header is not the sample schema. */
export function samplesFromCsv(text: string, source: string): Sample[] {
    const rows: string[][] = parse(text, { relax_column_count: false });
    if (rows.length === 0) return [];
    const header = rows[0];
    const expected = SAMPLE_COLUMNS.join(",");
    if (header.join(",") !== expected) {
        throw new Error(`${source}: header is "${header.join(",")}", expected the sample schema "${expected}"`);
    }
    return rows.slice(1).map((r, i) => {
        const o: Record<string, string> = {};
        SAMPLE_COLUMNS.forEach((c, j) => (o[c] = r[j]));
        const value = Number(o.value);
        if (!Number.isFinite(value)) throw new Error(`${source}: row ${i + 2} has non-numeric value "${o.value}"`);
        return {
            ...(o as unknown as Sample),
            repetition: Number(o.repetition),
            value,
            duration_s: Number(o.duration_s),
        };
    });
}
