/**
 * Prints the orchestration figures of one `isobench up` from its progress.log (benchmarks/orchestration.sh).
 * Usage: node build/benchmarks/orchestration-figures.js <progress.log> <up start ISO> <wall s> <guest boot s>
 */
import * as fs from "fs";
import { cellGaps } from "../experiment/run-report";
import { quantile } from "../analysis/statistics";

const [log, since, wallText, bootText] = process.argv.slice(2);
const wall = Number(wallText);
const boot = Number(bootText) || 0;
const { gaps, launches, spans } = cellGaps(fs.readFileSync(log, "utf8"), new Date(since));
const inCells = spans.reduce((a, b) => a + b, 0);
const pct = (x: number, of: number) => `${((x / of) * 100).toFixed(1)} %`;
console.log(`cells: ${spans.length}, wall ${wall.toFixed(1)} s, in cells (start -> done) ${inCells.toFixed(1)} s`);
if (gaps.length === 0) throw new Error(`${log}: no cell started after another finished since ${since}`);
console.log(
    `gap between cells (done -> next start): median ${quantile(gaps, 0.5).toFixed(3)} s, p95 ${quantile(gaps, 0.95).toFixed(3)} s, max ${Math.max(...gaps).toFixed(3)} s over ${gaps.length} gaps`,
);
console.log(
    `  of which isobench run-cell's own start and preparation: median ${quantile(launches, 0.5).toFixed(3)} s, p95 ${quantile(launches, 0.95).toFixed(3)} s; the rest is Pulumi's step and the provider`,
);
console.log(`guest boot (define -> SSH ready, longest): ${boot.toFixed(1)} s`);
console.log(`orchestration overhead: ${pct(wall - inCells, wall)} with boots, ${pct(wall - inCells - boot, wall - boot)} without`);
