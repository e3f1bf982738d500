/**
 * Smoke test of the small study stacks on the real daemons: for each stack file, every environment
 * it declares is provisioned with the program's builders (test/helpers/stack-environments.ts) under
 * this suite's own stack name, probed (no contradiction with what was declared), every
 * (workload, environment) pair the stack declares runs once through runCell with the stack's
 * workload at a tiny scale, and the analysis summarizes the results and evaluates the claims of
 * the published studies. A full `pulumi up` of these stacks (three repetitions at the stacks'
 * scale) takes well over an hour on a 2-core host; this follows the stack files at a fraction.
 *
 * Not smoke-tested live: stacks/Pulumi.felter2014.yaml (full size; the same environments and
 * workload map as felter2014-small, which is).
 *
 * Resources: stack isb-smk<pid>-<short name>, so everything is isobench-isb-smk<pid>-…; guest folders
 * .state/guests/isb-smk<pid>-…, native data /var/tmp/isobench-data/isb-smk<pid>-…. Durations per stack and
 * in total are printed at the end. Measured once on the 2-core development host while other
 * benchmarks ran (load 10–23): felter2014-small 1750 s, flux7-2014 363 s, kek-hepix2015 380 s,
 * stacking 483 s (its docker-in-kvm guest, provisioned from the start, was ready after 1481 s),
 * total 2979 s; the hpcc cells (linpack, randomaccess, stream) in guests took 160–265 s each.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "csv-parse/sync";
import { loadStackSpec } from "../../experiment/stack-file";
import type { ExperimentSpec, WorkloadSelection } from "../../experiment/spec";
import { planCells } from "../../experiment/plan";
import { runCell } from "../../experiment/runner";
import { REPO_ROOT } from "../../core/paths";
import { samplesFromCsv } from "../../core/samples";
import { inGuest } from "../../environments/exec-target";
import { probeEnvironment } from "../../environments/probe";
import { probeHost } from "../../environments/host-facts";
import { thisMachine } from "../../environments/transport";
import { analyzeResultsDir, summarizeResultsDir } from "../../analysis/analyze";
import { applicableClaims, loadReferences } from "../../analysis/published";
import { StackEnvironments, provisionStackEnvironments } from "../helpers/stack-environments";
import { leftoverFiles, leftoverResources } from "../helpers/leftovers";
import { TEST_CELL } from "../helpers/invocation";
import { selectedByCommandLine } from "../helpers/scope";

const PREFIX = `isb-smk${process.pid}`;
const STACKS_DIR = path.join(REPO_ROOT, "stacks");

/** The small stacks; value: short name in resource names, and the study whose claims apply (analysis/reference). */
const SMALL_STACKS: ReadonlyArray<{ readonly file: string; readonly short: string; readonly study?: string }> = [
    { file: "felter2014-small", short: "felter", study: "felter2014" },
    { file: "flux7-2014", short: "flux7", study: "flux7-2014" },
    { file: "kek-hepix2015", short: "kek", study: "kek-hepix2015" },
    { file: "stacking", short: "stacking" },
];

type Params = Record<string, number | string>;

/**
 * Tiny parameters per workload, replacing the stack's scale (seconds natively, well under two
 * minutes in a software-emulated guest; cf. the TINY tables of workloads-compute/-network/
 * -environment.test.ts). `guest`: the environment is (in) a guest, where smaller still.
 */
const TINY: Readonly<Record<string, (guest: boolean) => Params>> = {
    pxz: () => ({ sizeMB: 1 }),
    // hpcc always runs its whole suite; under software emulation its fixed parts dominate, so guests get the smallest sizes.
    linpack: (guest) => ({ n: guest ? 256 : 512 }),
    randomaccess: (guest) => ({ log2Table: guest ? 14 : 18 }),
    stream: (guest) => ({ arraySize: guest ? 30000 : 100000 }),
    "likwid-stream": () => ({ arrayMB: 16, seconds: 1 }),
    nuttcp: () => ({ timeSeconds: 1 }),
    netperf: () => ({ lengthSeconds: 1 }),
    iperf: () => ({ timeSeconds: 1 }),
    fio: () => ({ size: "8m", runtimeSeconds: 1 }),
    redis: (guest) => ({ requests: guest ? 500 : 2000, clients: "1,10", tests: "set,get", timeoutSeconds: 300 }),
    mysql: (guest) => ({ tableSize: guest ? 500 : 2000, threads: "1,2", timeSeconds: 2, bufferPoolMB: 32 }),
    lifecycle: () => ({}),
    idle: () => ({ windowS: 2 }),
    "stress-ng-cpu": () => ({ timeSeconds: 2 }),
    "sysbench-cpu": () => ({ maxPrime: 2000, timeSeconds: 1 }),
    "sysbench-memory": () => ({ totalSize: "16M", timeSeconds: 2 }),
    "sysbench-fileio": () => ({ totalSize: "16M", timeSeconds: 1 }),
};

/**
 * The stack's workload at the tiny scale. An `instances` sweep is kept as the stack declares it in
 * native and Docker; in a guest it becomes 1, because every further instance is a clone that has to
 * boot (1–2 min each under software emulation), and the sweep itself is covered by
 * workloads-environment.test.ts.
 */
function tinyParams(w: WorkloadSelection, guest: boolean): Params {
    const tiny = TINY[w.name];
    if (!tiny) throw new Error(`workload ${w.name} of a small stack has no tiny parameters: add it to TINY in ${__filename}`);
    const instances = w.params.instances;
    return { ...tiny(guest), ...(instances !== undefined && { instances: guest ? 1 : instances }) };
}

const durations: Array<[string, number]> = [];
const seconds = (t0: number) => Math.round((Date.now() - t0) / 1000);

describe("small stacks smoke test (real dockerd and libvirt, tiny scale)", function () {
    this.timeout(60 * 60 * 1000);
    const tAll = Date.now();
    // The study stacks do not allow software emulation; this smoke test checks that their
    // environments and workloads work, which it can here only with emulated guests (as `isobench up
    // <stack> --allow-emulation` would run them).
    const specs = new Map(
        SMALL_STACKS.map((s) => [
            s.file,
            { ...loadStackSpec(STACKS_DIR, s.file), stack: `${PREFIX}-${s.short}`, runId: "smoke", allowSoftwareEmulation: true } as ExperimentSpec,
        ]),
    );
    const provisioning = new Map<string, Promise<StackEnvironments>>();
    const provision = (file: string): Promise<StackEnvironments> => {
        if (!provisioning.has(file)) {
            const p = provisionStackEnvironments(specs.get(file)!, { log: (l) => console.log(`      ${l}`) });
            p.catch(() => undefined); // awaited (and reported) by the stack's own before hook
            provisioning.set(file, p);
        }
        return provisioning.get(file)!;
    };
    // Made in a hook: a describe body runs even when --grep selects none of its tests,
    // and then no after hook would remove it.
    let results = "";
    before(() => {
        results = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}-results-`));
    });

    before(function () {
        for (const s of SMALL_STACKS) {
            assert.deepEqual(
                [...leftoverResources(`isobench-${PREFIX}-${s.short}-`), ...leftoverFiles(`${PREFIX}-${s.short}`)],
                [],
                `resources of an earlier smoke run of ${s.file} are still there; remove them first`,
            );
        }
        // Docker-in-KVM loads the 0.7 GB benchmark image into its guest's dockerd (~10 min under
        // software emulation): started now, it overlaps the other stacks instead of adding to them;
        // not when the command line's --grep selects none of that stack's tests.
        const suites = this.test?.parent?.suites ?? [];
        for (const s of SMALL_STACKS) {
            if (!specs.get(s.file)!.environmentSpecs.some((e) => e.kind === "docker-in-kvm")) continue;
            const suite = suites.find((x) => x.title.startsWith(`${s.file} (`));
            if (!suite || suite.tests.some((t) => selectedByCommandLine(t.fullTitle()))) provision(s.file);
        }
    });

    after(async function () {
        // Whatever a failed stack left provisioning: wait for it, then remove it.
        for (const p of provisioning.values()) {
            const live = await p.catch(() => undefined);
            live?.dispose();
        }
        fs.rmSync(results, { recursive: true, force: true });
        durations.push(["total", seconds(tAll)]);
        console.log(`      smoke durations (s): ${durations.map(([k, v]) => `${k} ${v}`).join(", ")}`);
        assert.deepEqual([...leftoverResources(`isobench-${PREFIX}-`), ...leftoverFiles(PREFIX)], [], "the smoke test leaves nothing behind");
    });

    for (const s of SMALL_STACKS) {
        describe(`${s.file} (stack ${PREFIX}-${s.short})`, function () {
            const spec = specs.get(s.file)!;
            let dir = "";
            before(() => {
                dir = path.join(results, spec.stack, spec.runId);
            });
            let live: StackEnvironments | undefined;
            let t0 = 0;
            const env = (name: string) => {
                const h = live?.handles.get(name);
                if (!h) throw new Error(`environment ${name} was not provisioned (see the before hook)`);
                return h;
            };

            before(async function () {
                t0 = Date.now();
                live = await provision(s.file);
                console.log(
                    `      ${spec.stack}: environments ready (s since provisioning began): ${Object.entries(live.readyS)
                        .map(([k, v]) => `${k} ${v}`)
                        .join(", ")}`,
                );
            });

            after(function () {
                try {
                    live?.dispose();
                } finally {
                    durations.push([s.file, seconds(t0)]);
                    console.log(`      ${s.file}: ${seconds(t0)} s`);
                }
                assert.deepEqual([...leftoverResources(`isobench-${spec.stack}-`), ...leftoverFiles(spec.stack)], [], `${s.file} leaves nothing behind`);
            });

            it("probes every declared environment without a contradiction", () => {
                probeHost(thisMachine(), dir, spec.host as Record<string, string>);
                for (const name of spec.environments) {
                    const measured = probeEnvironment(dir, env(name));
                    assert.ok(Object.keys(measured).length > 0, `${name}: facts measured`);
                }
                const csv: Array<Record<string, string>> = parse(fs.readFileSync(path.join(dir, "environments.csv"), "utf8"), { columns: true });
                assert.deepEqual([...new Set(csv.map((r) => r.environment))].sort(), [...spec.environments].sort());
            });

            // Every (workload, environment) pair of the stack once: the planner's cells of one repetition.
            for (const cell of planCells({ ...spec, repetitions: 1 })) {
                it(`${cell.workload.name} in ${cell.environment}`, () => {
                    const h = env(cell.environment);
                    const guest = inGuest(h.target);
                    const csv = runCell({
                        ...TEST_CELL,
                        stack: spec.stack,
                        runId: spec.runId,
                        resultsDir: dir,
                        cellId: cell.id,
                        workload: cell.workload.name,
                        params: tinyParams(cell.workload, guest),
                        repetition: cell.repetition,
                        env: h,
                    });
                    const rows = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
                    assert.ok(rows.length > 0, `${cell.id}: no samples`);
                    const accel = guest ? live!.host.accel : "none";
                    for (const r of rows) {
                        assert.equal(r.stack, spec.stack);
                        assert.equal(r.workload, cell.workload.name);
                        assert.equal(r.environment, cell.environment);
                        assert.equal(r.env_kind, h.envKind);
                        assert.equal(r.accel, accel, `${cell.id} ${r.metric}: accel`);
                        assert.ok(Number.isFinite(r.value), `${cell.id} ${r.metric} = ${r.value}`);
                        assert.notEqual(r.tool_version, "", `${cell.id} ${r.metric}: tool version`);
                    }
                });
            }

            it("analyzes the results: a summary row per pair, the study's claims evaluated", async () => {
                const md = await analyzeResultsDir(dir, { plots: false });
                const rows: Array<{ workload: string; environment: string }> = parse(fs.readFileSync(path.join(dir, "summary.csv"), "utf8"), { columns: true });
                const pairs = (list: Iterable<{ workload: string; environment: string }>) =>
                    [...new Set([...list].map((r) => `${r.workload} in ${r.environment}`))].sort();
                assert.deepEqual(
                    pairs(rows),
                    pairs(planCells({ ...spec, repetitions: 1 }).map((c) => ({ workload: c.workload.name, environment: c.environment }))),
                );

                const refs = loadReferences();
                const { summary } = await summarizeResultsDir(dir, { log: () => undefined });
                const { claims } = applicableClaims(refs, summary);
                const workloads = new Set(spec.workloads.map((w) => w.name));
                const expected = refs.flatMap((r) =>
                    r.claims.filter((c) => c.checks.some((k) => k.workloads.some((w) => workloads.has(w)))).map((c) => `${r.study}/${c.id}`),
                );
                assert.deepEqual(
                    claims.map((c) => `${c.study}/${c.claim.id}`).sort(),
                    expected.sort(),
                    "every claim about a workload of the stack is evaluated",
                );
                if (s.study)
                    assert.ok(
                        claims.some((c) => c.study === s.study),
                        `claims of ${s.study} evaluated`,
                    );
                for (const c of claims) {
                    assert.ok(["consistent", "inconsistent", "inconclusive", "not judgeable: emulated"].includes(c.status), `${c.claim.id}: ${c.status}`);
                    assert.notEqual(c.reason, "");
                }
                if (claims.length > 0) assert.match(md, /## Claims of the published studies/);
                console.log(`      ${s.file}: ${rows.length} summary rows; claims: ${claims.map((c) => `${c.study}/${c.claim.id} ${c.status}`).join(", ")}`);
            });
        });
    }
});
