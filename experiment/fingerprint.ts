/**
 * A cell's fingerprint: one short hash of everything that defines its measurement, written into
 * every row of its CSV. Under one runId the runner keeps a CSV that is already there (nothing
 * measured is overwritten), so without it a changed parameter, environment or image would leave
 * the old numbers standing under the new definition. Pure.
 */
import { createHash } from "crypto";
import * as path from "path";

/** What defines a measurement. */
export interface CellDefinition {
    readonly workload: string;
    /** The cell's parameters with the workload's defaults filled in: a changed default changes the measurement too. */
    readonly params: Readonly<Record<string, number | string>>;
    /** The environment's variant (EnvironmentHandle.variant): its declared configuration. */
    readonly variant: string;
    /**
     * The images the tools run from (environmentImages): their identity pins the tool versions.
     * Native tools come from the host's packages, which no image names; their version is in
     * every row's tool_version, read when the cell runs.
     */
    readonly images: readonly string[];
}

/** `fp1-<16 hex>`: sha256 over the definition in one canonical JSON (keys sorted), truncated. */
export function cellFingerprint(d: CellDefinition): string {
    const params = Object.fromEntries(Object.entries(d.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const canonical = JSON.stringify([d.workload, params, d.variant, [...d.images].sort()]);
    return `fp1-${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;
}

/**
 * Identity of an image as a fingerprint sees it: the container image's tag (content-addressed by
 * images/build-container-image.sh) as is, a guest image's disk by the name of its folder
 * (.cache/images/guest-<hash>), so that the checkout's location does not enter the fingerprint.
 */
export function imageIdentity(image: { readonly container: string } | { readonly guestDisk: string }): string {
    return "container" in image ? image.container : path.basename(path.dirname(image.guestDisk));
}

/** A planned cell and the fingerprint it will be measured under. */
export interface PlannedFingerprint {
    readonly cellId: string;
    readonly fingerprint: string;
}

/** A cell whose CSV was measured under another definition than the plan's. */
export interface StaleCell {
    readonly cellId: string;
    /** The CSV's fingerprint; "" when it was written before fingerprints existed. */
    readonly measured: string;
    readonly planned: string;
}

/** The planned cells whose existing CSV (by cell id: its fingerprint) does not match the plan. */
export function staleCells(planned: readonly PlannedFingerprint[], measured: ReadonlyMap<string, string>): StaleCell[] {
    return planned.flatMap((p) => {
        const m = measured.get(p.cellId);
        return m === undefined || m === p.fingerprint ? [] : [{ cellId: p.cellId, measured: m, planned: p.fingerprint }];
    });
}

/** The refusal of stale cells: which, why, and the two ways out. */
export function staleCellsMessage(stack: string, runId: string, stale: readonly StaleCell[]): string {
    const shown = stale
        .slice(0, 10)
        .map((s) => `  - ${s.cellId}: ${s.measured ? `measured as ${s.measured}` : "measured before fingerprints were recorded"}, planned as ${s.planned}`);
    const more = stale.length > shown.length ? [`  … and ${stale.length - shown.length} more`] : [];
    return [
        `run ${runId} of stack ${stack} already holds ${stale.length} cell(s) measured under another definition (workload parameters, environment, image or isobench version changed):`,
        ...shown,
        ...more,
        `Fix: give the stack a new isobench:runId to measure the new definition beside the old results, or run \`isobench up ${stack} --remeasure ${stale.length === 1 ? stale[0].cellId : "<cell>,…"}\` (or --remeasure stale) to move the old CSVs aside into superseded/ and measure them again. Nothing was provisioned.`,
    ].join("\n");
}
