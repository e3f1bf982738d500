/**
 * The host stability probe of a run (isobench:stabilityProbeS): before each `isobench up` pass,
 * with the machine's measurement lock held and no cell running, the probe of `isobench doctor
 * --stability` (experiment/stability-probe.ts) measures how steady the CPU-to-CPU round trip is,
 * and its judgement goes into the run's host-stability.csv, its output into raw/host-stability/.
 * A run's cells of client-server workloads vary with that round trip, and neither steal nor load
 * shows it, so without the probe two runs that disagree cannot say whether one had the noisier
 * machine. A probe that fails (netperf missing, one core) is recorded with why and never fails the run.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import type { Transport } from "../environments/transport";
import { HOST_STABILITY_COLUMNS, describeProbe, probeMoment, stabilityRow, type HostStabilityRow } from "../analysis/host-stability";
import { hostStabilityCsvPath, hostStabilityRawPath } from "../core/results-layout";
import { appendProgress } from "./progress-log";
import { probeStability } from "./stability-probe";

/** Rows already in the run's host-stability.csv. */
function probesSoFar(file: string): number {
    if (!fs.existsSync(file)) return 0;
    return Math.max(0, fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length - 1);
}

/**
 * Probes `machine` for about `seconds` and appends the result to the run's host-stability.csv (and
 * a line to progress.log, which `isobench up` shows). Returns the row.
 * @param cellsMeasured how many of the run's cells were measured before this probe
 */
export function recordHostStability(resultsDir: string, machine: Transport, seconds: number, cellsMeasured: number): HostStabilityRow {
    const file = hostStabilityCsvPath(resultsDir);
    const n = probesSoFar(file) + 1;
    const at = new Date().toISOString();
    const outcome = probeStability(machine, seconds);
    let row: HostStabilityRow;
    if (outcome.ok) {
        const raw = hostStabilityRawPath(resultsDir, n);
        fs.mkdirSync(path.dirname(raw), { recursive: true });
        fs.writeFileSync(raw, outcome.raw);
        row = stabilityRow({ at, cellsMeasured, seconds }, { ...outcome, raw: path.relative(resultsDir, raw) });
    } else {
        row = stabilityRow({ at, cellsMeasured, seconds }, { error: outcome.why });
    }
    fs.mkdirSync(resultsDir, { recursive: true });
    const header = !fs.existsSync(file) || fs.statSync(file).size === 0;
    fs.appendFileSync(file, stringify([HOST_STABILITY_COLUMNS.map((c) => row[c])], { header, columns: [...HOST_STABILITY_COLUMNS] }));
    appendProgress(resultsDir, `host stability probe ${n} (${seconds} s, ${probeMoment(row)}): ${describeProbe(row)}`);
    return row;
}
