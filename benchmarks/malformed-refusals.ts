/**
 * How fast malformed stacks are refused (issue 15: each in under 5 s), measured and printed, never
 * asserted in tests: every case of test/fixtures/malformed-stacks through validateForUp in this
 * process, and each case once through the compiled CLI (`node build/experiment/cli.js up`, node's
 * start included), with docker, virsh, qemu-img and pulumi shimmed to fail so a refusal that got
 * through would show. Prints count, median, p95 and the slowest case of each.
 *   npm run build && node -r ts-node/register/transpile-only benchmarks/malformed-refusals.ts [--cli-all]
 * Without --cli-all the CLI part takes the first case of each category (one node start each).
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CASES_FILE, MalformedCase, writeCase } from "../test/fixtures/malformed-stacks/generate";
import { validateForUp } from "../experiment/up-preflight";

const REPO = path.resolve(__dirname, "..");
const DIR = path.join(REPO, "test", "fixtures", "malformed-stacks");
const CASES: readonly MalformedCase[] = JSON.parse(fs.readFileSync(path.join(DIR, CASES_FILE), "utf8"));

function figures(label: string, times: ReadonlyArray<readonly [string, number]>): void {
    const sorted = [...times].sort((a, b) => a[1] - b[1]);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))][1];
    const [slowName, slowMs] = sorted[sorted.length - 1];
    console.log(
        `${label}: ${sorted.length} refusals; median ${at(0.5).toFixed(1)} ms, p95 ${at(0.95).toFixed(1)} ms, slowest ${slowMs.toFixed(1)} ms (${slowName})`,
    );
}

function main(): void {
    const cli = path.join(REPO, "build", "experiment", "cli.js");
    if (!fs.existsSync(cli)) throw new Error(`${cli} is missing. Fix: npm run build`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-bench-malformed-"));
    const [stacks, state, results, guests, shims] = ["stacks", "state", "results", "guests", "shims"].map((d) => path.join(tmp, d));
    for (const d of [stacks, state, results, guests, shims]) fs.mkdirSync(d);
    const env = { ISOBENCH_STACKS_DIR: stacks, ISOBENCH_STATE_DIR: state, ISOBENCH_RESULTS_DIR: results, ISOBENCH_GUESTS_DIR: guests };
    Object.assign(process.env, env);
    for (const exe of ["docker", "virsh", "qemu-img", "pulumi"]) fs.writeFileSync(path.join(shims, exe), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    try {
        const inProcess: Array<[string, number]> = [];
        for (const c of CASES) {
            const stack = writeCase(stacks, c);
            const t0 = process.hrtime.bigint();
            try {
                validateForUp(stacks, stack);
                throw new Error(`${c.name} was not refused`);
            } catch (e) {
                if ((e as Error).message.endsWith("was not refused")) throw e;
            }
            inProcess.push([c.name, Number(process.hrtime.bigint() - t0) / 1e6]);
        }
        figures("in process (validateForUp)", inProcess);

        const all = process.argv.includes("--cli-all");
        const picked = all ? CASES : CASES.filter((c, i) => CASES.findIndex((x) => x.category === c.category) === i);
        const viaCli: Array<[string, number]> = [];
        for (const c of picked) {
            const stack = writeCase(stacks, c);
            const t0 = process.hrtime.bigint();
            const r = spawnSync("node", [cli, "up", stack], {
                encoding: "utf8",
                timeout: 60_000,
                cwd: REPO,
                env: { ...process.env, ...env, PATH: `${shims}:${process.env.PATH ?? ""}` },
            });
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            if (r.status !== 1) throw new Error(`${c.name}: isobench up exited ${r.status}, not 1:\n${r.stderr}`);
            viaCli.push([c.name, ms]);
        }
        figures(`through the CLI (node start included${all ? "" : ", one case per category"})`, viaCli);
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

main();
