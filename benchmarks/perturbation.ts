/**
 * Harness perturbation (issue 18, part 7): does measuring through isobench change the number?
 * The same workload, natively, with the same parameters, is run in blocks that alternate:
 *
 * - by hand: the workload's own command lines (server, readiness, prepare, client) run with plain
 *   bash, no isobench runner, no Pulumi;
 * - through isobench: `isobench up` of a native stack with that workload (own backend and results
 *   folder; test/helpers/cli-stack.ts), a fresh runId per block.
 *
 * Each block holds `--reps` runs; the order within a pair of blocks alternates (hand first, then
 * isobench first) so that a drift of the machine falls on both. The block means are paired by
 * block and the ratio isobench / by-hand of the workload's primary metric gets the analysis's own
 * interval (analysis/ratio.ts, paired on the log scale). Figures to read, never assertions in the
 * test suite. Run it on a quiet machine, as root, after scripts/setup.sh:
 *
 *   node -r ts-node/register/transpile-only benchmarks/perturbation.ts <workload> [--metric m]
 *        [--param k=v …] [--blocks 6] [--reps 3]
 *
 * e.g. `… perturbation.ts sysbench-cpu --param timeSeconds=5` and
 *      `… perturbation.ts redis --metric get_rps --param requests=100000 --param clients=50 --param tests=set,get`.
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pairedRatioOfMeans, RATIO_INTERVAL_METHOD } from "../analysis/ratio";
import { getWorkload } from "../workloads/index";
import { Measurement, RunContext } from "../workloads/workload";
import { CliStack } from "../test/helpers/cli-stack";
import { BlockOptions, blockOptions, BlockRunner, mean, metricValues } from "./up-blocks";

type Options = BlockOptions;

const sh = (script: string, timeoutS: number) => spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: timeoutS * 1000 });

/** One run of the workload by hand: its server started in the background, its client measured; returns what it measured. */
function byHand(o: Options, dataDir: string): Measurement[] {
    const w = getWorkload(o.workload);
    const params = { ...w.defaults, ...o.params };
    const addr = { host: "127.0.0.1", port: w.serverPort ?? 0 };
    const ctx: RunContext = { dataDir, listen: "127.0.0.1", addr, addrs: { server: addr } };
    let server: ReturnType<typeof spawn> | undefined;
    try {
        if (w.serverCommand) {
            server = spawn("bash", ["-c", `exec ${w.serverCommand(params, ctx)}`], { stdio: "ignore", detached: true });
            const ready = w.readinessCommand!(params, addr, ctx);
            const until = Date.now() + (w.readinessTimeoutS ?? 60) * 1000;
            while (sh(ready, 10).status !== 0) {
                if (Date.now() > until) throw new Error(`${o.workload}'s server did not become ready by hand`);
                sh("sleep 0.2", 5);
            }
        }
        if (w.prepareCommand) {
            const p = sh(w.prepareCommand(params, ctx), 3600);
            if (p.status !== 0) throw new Error(`prepare failed: ${p.stderr}`);
        }
        const r = sh(w.clientCommand(params, ctx), 3600);
        if (r.status !== 0) throw new Error(`${o.workload} by hand exited ${r.status}: ${r.stderr.slice(-500)}`);
        return w.parse(r.stdout, params);
    } finally {
        if (server?.pid) {
            try {
                process.kill(-server.pid, "SIGTERM");
            } catch {
                /* already gone */
            }
            sh(`while kill -0 ${server.pid} 2>/dev/null; do sleep 0.1; done`, 30);
        }
    }
}

const runner = new BlockRunner("perturbation");

/** One block through isobench: `isobench up` with `reps` repetitions under a fresh runId; returns the metric per repetition. */
async function throughIsobench(cli: CliStack, o: Options, metric: string, block: number): Promise<number[]> {
    const up = await runner.up(cli, {
        "isobench:runId": `perturb-${block}`,
        "isobench:repetitions": String(o.reps),
        "isobench:environments": ["native"],
        "isobench:workloads": [{ name: o.workload, params: o.params }],
    });
    return metricValues(up, metric, o.workload);
}

async function main(): Promise<void> {
    const o = blockOptions(process.argv.slice(2), "perturbation.ts <workload> [--metric m] [--param k=v …] [--blocks 6] [--reps 3]");
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-perturb-"));
    const cli = new CliStack(`perturb${process.pid}`, {});
    const hand: number[] = [];
    const harness: number[] = [];
    // The metric: --metric, else the first the workload reports.
    let metric = o.metric;
    const handBlock = () =>
        Array.from({ length: o.reps }, () => {
            runner.check();
            const ms = byHand(o, dataDir);
            metric ??= ms[0].metric;
            const m = ms.find((x) => x.metric === metric);
            if (!m) throw new Error(`${o.workload} reports no metric ${metric}; it reports ${ms.map((x) => x.metric).join(", ")}`);
            return m.value;
        });
    try {
        for (let b = 1; b <= o.blocks; b++) {
            let h: number[];
            let t: number[];
            if (b % 2 === 1) {
                h = handBlock();
                t = await throughIsobench(cli, o, metric!, b);
            } else {
                t = await throughIsobench(cli, o, metric!, b);
                h = handBlock();
            }
            hand.push(mean(h));
            harness.push(mean(t));
            console.error(`[perturbation] block ${b}/${o.blocks}: by hand ${mean(h).toPrecision(6)}, through isobench ${mean(t).toPrecision(6)} ${metric}`);
        }
    } finally {
        await cli.cleanup();
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
    const est = pairedRatioOfMeans(harness, hand, 0.95);
    const ci = est.ci ? `[${est.ci.low.toFixed(4)}, ${est.ci.high.toFixed(4)}]` : `(no interval: ${est.ciMissing})`;
    console.log(`${o.workload} ${metric} (${JSON.stringify(o.params)}), ${o.blocks} blocks × ${o.reps} runs, native:`);
    console.log(`  by hand           mean ${mean(hand).toPrecision(6)}`);
    console.log(`  through isobench  mean ${mean(harness).toPrecision(6)}`);
    console.log(`  ratio isobench / by hand ${est.ratio.toFixed(4)} ${ci} (95 %, ${est.method}: ${RATIO_INTERVAL_METHOD})`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
