/**
 * Overhead of the SSH transport (issue 20): what measuring a machine through `isobench:target`
 * over SSH costs against measuring it locally, on the same machine. The same workload, natively,
 * with the same parameters, is run through `isobench up` in blocks that alternate:
 *
 * - local: a native stack with no target;
 * - over SSH: the same native stack with `isobench:target: {url, keyFile}` of a private sshd on
 *   127.0.0.1 (test/helpers/loopback-sshd.ts), so every command of a cell goes through SSH and
 *   back to this machine.
 *
 * Each stack is a test stack with its own backend, results folder and measurement lock
 * (test/helpers/cli-stack.ts), a fresh runId per block; both share a temporary state folder,
 * where the sshd's host key is pinned. Each block holds `--reps` cells; the order within a pair of
 * blocks alternates (local first, then SSH first) so that a drift of the machine falls on both.
 * Printed per workload:
 *
 * - the ratio over SSH / local of the primary metric (--metric, else the first the workload
 *   reports), block means paired by block, with the analysis's own interval (analysis/ratio.ts,
 *   paired on the log scale);
 * - the median and p95 gap between one cell's `done` and the next one's `start` in progress.log,
 *   and of it the `isobench run-cell` process's own start (`launched X s before`), for each side
 *   (experiment/run-report.ts cellGaps, as benchmarks/orchestration.sh reports them);
 * - the wall time of an `isobench up` on each side, and of the whole benchmark.
 *
 * Figures to read, never assertions in the test suite. Run it on a quiet machine, as root, after
 * scripts/setup.sh (openssh-server, the Pulumi toolchain):
 *
 *   node -r ts-node/register/transpile-only benchmarks/transport.ts <workload> [--metric m]
 *        [--param k=v …] [--blocks 6] [--reps 3]
 *
 * e.g. `… transport.ts sysbench-cpu --param timeSeconds=5` and
 *      `… transport.ts redis --metric get_rps --param requests=100000 --param clients=50 --param tests=set,get`.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pairedRatioOfMeans, RATIO_INTERVAL_METHOD } from "../analysis/ratio";
import { quantile } from "../analysis/statistics";
import { nativeDataDir } from "../environments/exec-target";
import { cellGaps } from "../experiment/run-report";
import { CliStack } from "../test/helpers/cli-stack";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../test/helpers/loopback-sshd";
import { blockOptions, BlockRunner, mean, metricValues } from "./up-blocks";

const USAGE = "transport.ts <workload> [--metric m] [--param k=v …] [--blocks 6] [--reps 3]";

/** One side of the comparison: its stack, and per block the metric's mean, the gaps and the up's wall time. */
interface Side {
    readonly name: "local" | "over SSH";
    readonly cli: CliStack;
    readonly target?: { readonly url: string; readonly keyFile: string };
    readonly means: number[];
    readonly gaps: number[];
    readonly launches: number[];
    readonly walls: number[];
}

const runner = new BlockRunner("transport");
const fmt = (xs: readonly number[], q: number) => (xs.length ? quantile(xs, q).toFixed(3) : "n/a");

async function main(): Promise<void> {
    const t0 = Date.now();
    const o = blockOptions(process.argv.slice(2), USAGE);
    if (!canRunSshd()) throw new Error("no sshd (/usr/sbin/sshd): scripts/setup.sh installs openssh-server");
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-transport-state-"));
    const env = { ISOBENCH_STATE_DIR: state };
    const sides: Side[] = [];
    let sshd: LoopbackSshd | undefined;
    let metric = o.metric;
    try {
        // Its own lock file, so the target's measurement lock is the benchmark's alone as the local stack's is (CliStack).
        sshd = await startLoopbackSshd(state, { setEnv: { ISOBENCH_MEASURE_LOCK: path.join(state, "target-measure.lock") } });
        const side = (name: Side["name"], stack: string, target?: Side["target"]): Side => ({
            name,
            cli: new CliStack(stack, {}, env),
            target,
            means: [],
            gaps: [],
            launches: [],
            walls: [],
        });
        sides.push(side("local", `tblocal${process.pid}`, undefined), side("over SSH", `tbssh${process.pid}`, sshd.stackTarget));
        const block = async (s: Side, b: number): Promise<number> => {
            const up = await runner.up(s.cli, {
                "isobench:runId": `transport-${b}`,
                "isobench:repetitions": String(o.reps),
                ...(s.target && { "isobench:target": s.target }),
                "isobench:environments": ["native"],
                "isobench:workloads": [{ name: o.workload, params: o.params }],
            });
            metric ??= up.rows[0]?.metric;
            const m = mean(metricValues(up, metric!, o.workload));
            const g = cellGaps(up.progressLog, up.startedAt);
            s.means.push(m);
            s.gaps.push(...g.gaps);
            s.launches.push(...g.launches);
            s.walls.push(up.wallS);
            return m;
        };
        for (let b = 1; b <= o.blocks; b++) {
            const order = b % 2 === 1 ? sides : [...sides].reverse();
            const got: string[] = [];
            for (const s of order) got.push(`${s.name} ${(await block(s, b)).toPrecision(6)} (up ${s.walls[s.walls.length - 1].toFixed(1)} s)`);
            console.error(`[transport] block ${b}/${o.blocks}: ${got.join(", then ")} ${metric}`);
        }
    } finally {
        for (const s of sides) {
            const d = await s.cli.cleanup();
            if (d.code !== 0) console.error(`[transport] isobench destroy ${s.cli.stack} exited ${d.code}:\n${d.out.slice(-2000)}`);
            fs.rmSync(nativeDataDir(s.cli.stack), { recursive: true, force: true });
        }
        sshd?.stop();
        fs.rmSync(state, { recursive: true, force: true });
    }
    const [local, ssh] = sides;
    const est = pairedRatioOfMeans(ssh.means, local.means, 0.95);
    const ci = est.ci ? `[${est.ci.low.toFixed(4)}, ${est.ci.high.toFixed(4)}]` : `(no interval: ${est.ciMissing})`;
    console.log(
        `${o.workload} ${metric} (${JSON.stringify(o.params)}), ${o.blocks} blocks × ${o.reps} cells per side, native, this machine local and over SSH (loopback sshd):`,
    );
    for (const s of sides) {
        console.log(
            `  ${s.name.padEnd(9)} mean ${mean(s.means).toPrecision(6)}; gap between cells (done -> next start) median ${fmt(s.gaps, 0.5)} s, p95 ${fmt(s.gaps, 0.95)} s over ${s.gaps.length} gaps` +
                ` (of which run-cell's own start: median ${fmt(s.launches, 0.5)} s, p95 ${fmt(s.launches, 0.95)} s); isobench up mean ${mean(s.walls).toFixed(1)} s`,
        );
    }
    console.log(`  ratio over SSH / local ${est.ratio.toFixed(4)} ${ci} (95 %, n = ${o.blocks} blocks, ${est.method}: ${RATIO_INTERVAL_METHOD})`);
    console.log(`  benchmark wall time ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
