/**
 * How good the ETA of `isobench up` is on a recorded run: replays a progress.log through the
 * progress model (experiment/progress-model.ts) with the stack's plan, and at 25 %, 50 % and 75 %
 * of the cells prints the predicted time left next to the time the run actually still took.
 * Only the cells the stack file plans count: repetitions a precision goal added in later passes
 * (isobench:precision) are neither predicted by the model nor counted in the time left.
 * Figures to read, not assertions.
 *   node -r ts-node/register/transpile-only benchmarks/eta.ts [<stack> <progress.log> [<host CPUs>]]
 * Default: felter2014-small and its shipped run, docs/results/felter2014-small/progress.log.
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../core/paths";
import { formatDuration, ProgressModel } from "../experiment/progress-model";
import { paramsPrior, progressPlan } from "../experiment/progress-plan";
import { logEvents } from "../experiment/run-report";
import { loadStackSpec } from "../experiment/stack-file";

const [stack = "felter2014-small", log = path.join(REPO_ROOT, "docs", "results", "felter2014-small", "progress.log")] = process.argv.slice(2);
const spec = loadStackSpec(path.join(REPO_ROOT, "stacks"), stack);
const plan = progressPlan(spec);
const events = logEvents(fs.readFileSync(log, "utf8"));
const planned = new Set(plan.map((c) => c.id));
const dones = events.filter((e) => e.kind === "done" && planned.has(e.cell));
if (dones.length === 0) throw new Error(`${log}: no cell of the plan of stack ${stack} finished`);
const added = events.filter((e) => e.kind === "done" && !planned.has(e.cell)).length;
const end = dones[dones.length - 1].at;
// The shipped runs come from this project's 2-CPU machine; another run names its host's CPUs as a third argument.
const prior = paramsPrior(spec, Number(process.argv[4] ?? 2));
const model = new ProgressModel(plan, { prior, startedAt: events[0].at });
const zero = new ProgressModel(plan, { prior, startedAt: events[0].at }).snapshot(events[0].at);
console.log(
    `${stack}: ${plan.length} planned cells, ${dones.length} finished in ${log}, ${formatDuration((end - events[0].at) / 1000)} from the first line to the last of them done` +
        (added > 0 ? ` (${added} cells outside the plan, added repetitions, not counted)` : ""),
);
console.log(`before any cell (priors only): predicted ${formatDuration(zero.etaS ?? 0)}, actual ${formatDuration((end - events[0].at) / 1000)}`);
console.log("| cells done | predicted left | actual left | error |");
console.log("|---|---|---|---|");
const marks = [0.1, 0.25, 0.5, 0.75, 0.9].map((f) => Math.round(f * plan.length));
let done = 0;
for (const e of events) {
    model.apply(e);
    if (e.kind !== "done" || !planned.has(e.cell)) continue;
    done++;
    if (!marks.includes(done)) continue;
    const snap = model.snapshot(e.at);
    const actual = (end - e.at) / 1000;
    const predicted = snap.etaS ?? 0;
    const err = ((predicted - actual) / actual) * 100;
    console.log(
        `| ${snap.done}/${snap.total} (${Math.round((snap.done / snap.total) * 100)} %) | ${formatDuration(predicted)} | ${formatDuration(actual)} | ${err >= 0 ? "+" : ""}${err.toFixed(0)} % |`,
    );
}
