/**
 * Container needs and numactl policies against the real dockerd and this host: a workload whose
 * numactl parameter needs SYS_NICE gets it in the container it runs in (and runs), the same
 * workload fails in a container without it, an environment's own numactl policy is what the probe
 * measures inside (natively and in a container), and every fact lands in environments.csv.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { DockerEnv, NativeEnv, dockerEnvironment, nativeEnvironment, workloadNeeds } from "../../experiment/environment-handles";
import { ContainerSpec, cliCreateScript, cliDeleteScript } from "../../environments/container-spec";
import { EnvironmentHandle } from "../../core/environment-handle";
import { probeEnvironment } from "../../environments/probe";
import { mustRun, run } from "../../environments/process";
import { runCell } from "../../experiment/runner";
import { samplesFromCsv } from "../../core/samples";
import { leftoverResources } from "../helpers/leftovers";
import { TEST_CELL } from "../helpers/invocation";

const PREFIX = `isb-cn${process.pid}-`;
const STACK = `h3b${process.pid}`;
const STREAM = { arraySize: 30000, processes: 1, nb: 32, numactl: "interleave:all" };

describe("container needs and numactl policies (dockerd, this host)", function () {
    this.timeout(600_000);
    const spec = parseSpec("h3b", {
        runId: "it",
        environments: [
            { name: "nbind", kind: "native", numactl: { cpunodebind: "0", membind: "0" } },
            { name: "dbind", kind: "docker", network: "none", numactl: { membind: "0" } },
            { name: "dplain", kind: "docker", network: "none" },
        ],
        workloads: [
            { name: "stream", params: STREAM, environments: ["nbind", "dbind"] },
            { name: "sysbench-cpu", environments: ["dplain"] },
        ],
    });
    const created: ContainerSpec[] = [];
    const handles: Record<string, EnvironmentHandle> = {};
    let results: string;

    before(function () {
        results = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}results-`));
        const host = gatherHost(spec);
        handles.nbind = { ...nativeEnvironment(spec, spec.environmentSpecs[0] as NativeEnv, host), dataDir: path.join(results, "native-data") };
        for (const env of spec.environmentSpecs.slice(1) as DockerEnv[]) {
            const { container, handle } = dockerEnvironment(spec, env, host, [], workloadNeeds(spec, env.name));
            // Renamed to this suite's prefix on the shared daemon.
            const name = `${PREFIX}${env.name}`;
            const c: ContainerSpec = { ...container, name, ...(container.volume && { volume: { ...container.volume, name: `${name}-data` } }) };
            created.push(c);
            mustRun(["/bin/sh", "-c", cliCreateScript(c)], 120, `creating ${name}`);
            handles[env.name] = { ...handle, target: { ...(handle.target as Extract<EnvironmentHandle["target"], { kind: "docker" }>), container: name } };
        }
    });

    after(function () {
        for (const c of created) run(["/bin/sh", "-c", cliDeleteScript(c)], 120);
        // ISOBENCH_KEEP_RESULTS=<dir>: keep environments.csv and the cells (for the figures in docs).
        if (results && process.env.ISOBENCH_KEEP_RESULTS) fs.cpSync(results, process.env.ISOBENCH_KEEP_RESULTS, { recursive: true });
        if (results) fs.rmSync(results, { recursive: true, force: true });
        assert.deepEqual(leftoverResources(PREFIX), []);
    });

    it("the probe measures SYS_NICE and the membind policy inside the container whose policy needs it", () => {
        const h = handles.dbind;
        assert.equal(h.variant, "net=none;storage=volume;runtime=runc;cap=SYS_NICE;numactl=membind:0");
        const m = probeEnvironment(results, h);
        assert.equal(m.caps_added, "SYS_NICE");
        assert.equal(m.seccomp_mode, "filter");
        assert.equal(m.numa_policy, "bind");
        assert.equal(m.numa_membind, "0");
        assert.equal(m.numa_error, undefined);
        assert.equal(m.container_needs, "environment: cap SYS_NICE (numactl membind:0); stream: cap SYS_NICE (numactl interleave:all)");
    });

    it("a container nothing asks anything of has Docker's defaults, and cannot read its memory policy", () => {
        const m = probeEnvironment(results, handles.dplain);
        assert.equal(m.caps_added, "none");
        assert.equal(m.numa_error, "get_mempolicy: Operation not permitted");
        assert.equal(m.container_needs, "none");
    });

    it("native commands run under the declared numactl policy", () => {
        const m = probeEnvironment(results, handles.nbind);
        assert.equal(handles.nbind.variant, "numactl=cpunodebind:0+membind:0");
        assert.deepEqual([m.numa_policy, m.numa_nodebind, m.numa_membind], ["bind", "0", "0"]);
        const csv = fs.readFileSync(path.join(results, "environments.csv"), "utf8");
        assert.match(csv, /^nbind,native,numactl=cpunodebind:0\+membind:0,none,numa_policy,bind,bind,/m);
        assert.match(csv, /^dbind,docker,[^,]*cap=SYS_NICE[^,]*,none,caps_added,SYS_NICE,SYS_NICE,/m);
        assert.match(csv, /^dbind,docker,.*,container_needs,environment: cap SYS_NICE \(numactl membind:0\); stream: cap SYS_NICE/m);
    });

    it("stream with numactl interleave:all runs in the container with SYS_NICE and natively", () => {
        for (const env of ["dbind", "nbind"]) {
            const csv = runCell({
                ...TEST_CELL,
                stack: STACK,
                runId: "it",
                resultsDir: results,
                cellId: `stream.${env}.r1`,
                workload: "stream",
                params: STREAM,
                repetition: 1,
                env: handles[env],
            });
            const samples = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
            const triad = samples.find((s) => s.metric === "triad_gbps")!;
            assert.ok(triad.value > 0);
            assert.equal(triad.variant, handles[env].variant);
            assert.match(triad.notes, /run under numactl --interleave=all/);
            assert.match(triad.params, /numactl=interleave:all/);
        }
    });

    it("the same stream fails in a container without SYS_NICE: the need is real", () => {
        assert.throws(
            () =>
                runCell({
                    ...TEST_CELL,
                    stack: STACK,
                    runId: "it",
                    resultsDir: results,
                    cellId: "stream.dplain.r1",
                    workload: "stream",
                    params: STREAM,
                    repetition: 1,
                    env: handles.dplain,
                }),
            /cell stream\.dplain\.r1: stream exited with 1/,
        );
        assert.match(fs.readFileSync(path.join(results, "raw", "stream.dplain.r1.txt"), "utf8"), /set_mempolicy: Operation not permitted/);
    });
});
