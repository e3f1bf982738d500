/**
 * The one data model of isobench (docs/architecture.md "How one sample flows"): tidy rows, one per measured value.
 * Every number carries the facts needed to judge it (environment, tool version, accel).
 */
import { stringify } from "csv-stringify/sync";
import Papa from "papaparse";

export const SAMPLE_COLUMNS = [
    "run_id",
    "stack",
    "cell_id",
    "environment",
    "env_kind",
    "variant",
    "workload",
    "params",
    "repetition",
    "metric",
    "value",
    "unit",
    "better",
    "started_at",
    "duration_s",
    "tool",
    "tool_version",
    "accel",
    "host",
    "kernel",
    "cpu_model",
    "notes",
    "fingerprint",
    "controller",
] as const;

/** The columns before `controller` was added: such files are read with an empty controller. */
const BEFORE_CONTROLLER = SAMPLE_COLUMNS.slice(0, -1);
/** The columns before `fingerprint` was added: such files are read with an empty fingerprint too. */
const BEFORE_FINGERPRINT = SAMPLE_COLUMNS.slice(0, -2);

export type EnvKind = "native" | "docker" | "kvm" | "docker-in-kvm";
export type Accel = "kvm" | "tcg" | "none";
export type Better = "higher" | "lower";

/** Whether numbers measured under `accel` came (partly: "mixed", an aggregate) from software emulation, not KVM. */
export function isEmulated(accel: string): boolean {
    return accel === "tcg" || accel === "mixed";
}

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
    /**
     * What defined the measurement (experiment/fingerprint.ts: workload, parameters with defaults,
     * environment variant, images), so a definition changed under the same runId is refused rather
     * than its old numbers kept; "" in files written before fingerprints existed.
     */
    readonly fingerprint: string;
    /**
     * The host name of the machine that drove the measurement (isobench's controller): `host` is
     * the machine measured, which is another one when the stack's isobench:target is remote; ""
     * in files written before it was recorded.
     */
    readonly controller: string;
}

export function samplesToCsv(samples: readonly Sample[]): string {
    return stringify(
        samples.map((s) => SAMPLE_COLUMNS.map((c) => s[c])),
        {
            header: true,
            columns: [...SAMPLE_COLUMNS],
        },
    );
}

/**
 * Parses sample CSV; throws naming the file when the header is not the sample schema, a row has
 * the wrong number of fields, a quote is unbalanced or a value is not numeric. papaparse rather
 * than csv-parse: about 3× faster, which matters when analysis reads a million rows.
 */
export function samplesFromCsv(text: string, source: string): Sample[] {
    const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: true, delimiter: ",", newline: text.includes("\r\n") ? "\r\n" : "\n" });
    const quoteError = parsed.errors.find((e) => e.type === "Quotes");
    if (quoteError) throw new Error(`${source}: row ${(quoteError.row ?? 0) + 1}: ${quoteError.message}`);
    const rows = parsed.data;
    if (rows.length === 0) return [];
    const header = rows[0];
    const expected = SAMPLE_COLUMNS.join(",");
    const width = [SAMPLE_COLUMNS, BEFORE_CONTROLLER, BEFORE_FINGERPRINT].find((c) => header.join(",") === c.join(","))?.length;
    if (width === undefined) {
        throw new Error(`${source}: header is "${header.join(",")}", expected the sample schema "${expected}"`);
    }
    const out: Sample[] = new Array(rows.length - 1);
    for (let i = 1; i < rows.length; i++) {
        const r = rows[i];
        if (r.length !== width) {
            throw new Error(`${source}: row ${i + 1} has ${r.length} fields, expected ${width} (the sample schema)`);
        }
        const value = Number(r[10]);
        if (r[10] === "" || !Number.isFinite(value)) throw new Error(`${source}: row ${i + 1} has non-numeric value "${r[10]}"`);
        // Field by field in SAMPLE_COLUMNS order (no intermediate record: a million rows pass here).
        out[i - 1] = {
            run_id: r[0],
            stack: r[1],
            cell_id: r[2],
            environment: r[3],
            env_kind: r[4] as EnvKind,
            variant: r[5],
            workload: r[6],
            params: r[7],
            repetition: Number(r[8]),
            metric: r[9],
            value,
            unit: r[11],
            better: r[12] as Better,
            started_at: r[13],
            duration_s: Number(r[14]),
            tool: r[15],
            tool_version: r[16],
            accel: r[17] as Accel,
            host: r[18],
            kernel: r[19],
            cpu_model: r[20],
            notes: r[21],
            fingerprint: width > BEFORE_FINGERPRINT.length ? r[22] : "",
            controller: width > BEFORE_CONTROLLER.length ? r[23] : "",
        };
    }
    return out;
}
