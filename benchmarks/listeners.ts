/**
 * Where the server workloads' servers listen while their real clients run, natively, as a table
 * (issue 15's "ss before and after"): `ss -Hltnup` sampled every 50 ms from outside the cells,
 * so it works on any checkout, including one from before the servers were kept to loopback.
 *   node -r ts-node/register/transpile-only benchmarks/listeners.ts [CHECKOUT]
 * CHECKOUT defaults to this one; its node_modules must resolve (a worktree can link this one's).
 * mysql needs ISOBENCH_STACK_PASSWORD (any 16+ letters and digits) on a checkout that has the stack password.
 * Prints one line per listening socket of a server process: workload, process, address:port.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
const SERVERS: Record<string, string> = { nuttcp: "nuttcp", netperf: "netserver", iperf: "iperf3", redis: "redis-server", mysql: "mariadbd" };
const TINY: Record<string, Record<string, number | string>> = {
    nuttcp: { timeSeconds: 2 },
    netperf: { lengthSeconds: 2 },
    iperf: { timeSeconds: 2 },
    redis: { requests: 20000, clients: "10" },
    mysql: { tableSize: 1000, threads: "2", timeSeconds: 2, bufferPoolMB: 32 },
};

const { runCell } = require(path.join(root, "experiment", "runner")) as { runCell(inv: Record<string, unknown>): string };
const { provisionLiveEnvironments } = require(path.join(root, "test", "helpers", "live-environments")) as {
    provisionLiveEnvironments(o: { prefix: string; kinds: string[] }): { handles: Record<string, unknown>; dispose(): void };
};

async function main(): Promise<void> {
    const stack = `isbls${process.pid}`;
    const results = fs.mkdtempSync(path.join(os.tmpdir(), `${stack}-`));
    const live = provisionLiveEnvironments({ prefix: stack, kinds: ["native"] });
    const rows = new Set<string>();
    try {
        for (const [workload, proc] of Object.entries(SERVERS)) {
            const sampler = spawn("sh", ["-c", "while :; do ss -Hltnup; sleep 0.05; done"], { stdio: ["ignore", "pipe", "ignore"] });
            let seen = "";
            sampler.stdout.on("data", (b: Buffer) => {
                seen += b.toString();
            });
            try {
                runCell({
                    stack,
                    runId: "r",
                    resultsDir: results,
                    cellId: `${workload}.native.r1`,
                    workload,
                    params: TINY[workload],
                    repetition: 1,
                    env: live.handles.native,
                });
            } catch (e) {
                console.error(`${workload}: ${(e as Error).message.split("\n")[0]}`);
            }
            await new Promise((r) => setTimeout(r, 200));
            sampler.kill();
            for (const l of seen.split("\n").filter((x) => x.includes(`(("${proc}",`))) {
                const f = l.trim().split(/\s+/);
                rows.add(`${workload.padEnd(8)} ${proc.padEnd(13)} ${f[0]} ${f[4]}`);
            }
        }
    } finally {
        live.dispose();
        fs.rmSync(results, { recursive: true, force: true });
        fs.rmSync(path.join("/var/tmp/isobench-data", stack), { recursive: true, force: true });
    }
    console.log(`checkout ${root}\nworkload process       proto local-address:port`);
    for (const r of [...rows].sort()) console.log(r);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
