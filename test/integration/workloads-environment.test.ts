/**
 * The workloads that measure environments themselves (lifecycle, idle) and instances sweeps
 * (KEK concurrency, with sysbench-cpu) through runCell on live native, Docker and KVM (tcg)
 * environments (test/helpers/live-environments.ts) at a tiny scale: sample counts, units,
 * plausible ranges, and no clone left behind. KVM keeps to 1 vCPU / 512 MiB and at most 2 guests
 * at once (the host has 2 CPUs and boots software-emulated guests in about a minute).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { REPO_ROOT } from "../../core/paths";
import { Sample, samplesFromCsv } from "../../core/samples";
import { cliCreateScript, cliDeleteScript, containerSpec } from "../../environments/container-spec";
import { EnvironmentHandle } from "../../core/environment-handle";
import { mustRun } from "../../environments/process";
import { liveSuite, sharedGuest } from "../helpers/live-environments";
import { leftoverResources } from "../helpers/leftovers";
import { FULL_MATRIX } from "../helpers/scope";
import { TEST_CELL } from "../helpers/invocation";

const PREFIX = `it4c${process.pid}`;
const LIFECYCLE_SH = path.join(REPO_ROOT, "environments", "kvm", "guest-lifecycle.sh");

function sh(script: string, timeoutS: number, what: string): string {
    return mustRun(["/bin/sh", "-c", script], timeoutS, what);
}

/** Runs one cell and returns its samples. */
function cell(resultsDir: string, env: EnvironmentHandle, workload: string, params: Record<string, number | string>): Sample[] {
    const id = `${workload}.${env.name}.${Object.values(params)
        .join("-")
        .replace(/[^A-Za-z0-9]/g, "_")}`;
    const csv = runCell({ ...TEST_CELL, stack: PREFIX, runId: "int", resultsDir, cellId: id, workload, params, repetition: 1, env });
    return samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
}

function values(samples: readonly Sample[], metric: string, instances?: number): number[] {
    return samples
        .filter((s) => s.metric === metric && (instances === undefined || s.params.split(";").includes(`instances=${instances}`)))
        .map((s) => s.value);
}

function inRange(vs: readonly number[], lo: number, hi: number, what: string): void {
    assert.ok(vs.length > 0, `${what}: no values`);
    for (const v of vs) assert.ok(v >= lo && v <= hi, `${what}: ${v} not in [${lo}, ${hi}]`);
}

/** Containers, volumes and domains named like a clone of the environment, and clone files of guests. */
function clonesOf(env: EnvironmentHandle): string[] {
    const t = env.target;
    if (t.kind === "native") return [];
    const original = t.kind === "docker" ? t.container : t.domain;
    const guestDir = sharedGuest().guestDir;
    const files = t.kind === "kvm" && fs.existsSync(guestDir) ? fs.readdirSync(guestDir).filter((f) => f.startsWith(`${original}-c`)) : [];
    const vols =
        t.kind === "docker"
            ? mustRun(["docker", "volume", "ls", "-q", "--filter", `label=isobench.clone-of=${original}`], 30, "docker volume ls")
                  .split("\n")
                  .filter(Boolean)
            : [];
    return [...leftoverResources(`${original}-c`), ...vols, ...files];
}

/** Checks shared by every environment kind. */
function checkLifecycle(samples: Sample[], sweep: number[], createRange: [number, number], removeRange: [number, number]): void {
    for (const n of sweep) {
        assert.equal(values(samples, "create_ready_s", n).length, n, `create_ready_s samples for instances=${n}`);
        assert.equal(values(samples, "ready_removed_s", n).length, n, `ready_removed_s samples for instances=${n}`);
    }
    assert.equal(samples.length, 2 * sweep.reduce((a, b) => a + b, 0));
    for (const s of samples) assert.deepEqual([s.unit, s.better, s.workload], ["s", "lower", "lifecycle"]);
    inRange(values(samples, "create_ready_s"), ...createRange, "create_ready_s");
    inRange(values(samples, "ready_removed_s"), ...removeRange, "ready_removed_s");
    assert.match(samples[0].tool_version, /kernel \S+/);
}

function checkIdle(samples: Sample[], metrics: string[], memRange?: [number, number]): void {
    assert.deepEqual(
        samples.map((s) => s.metric),
        metrics,
    );
    for (const s of samples) assert.equal(s.unit, s.metric.endsWith("_mib") ? "MiB" : "%");
    // Percent of one CPU; the host has os.cpus().length of them.
    for (const s of samples.filter((x) => x.unit === "%")) inRange([s.value], 0, 100 * os.cpus().length, s.metric);
    if (memRange) inRange(values(samples, "env_memory_mib"), ...memRange, "env_memory_mib");
}

function checkInstances(samples: Sample[]): void {
    for (const n of [1, 2]) {
        const eps = values(samples, "events_per_s", n);
        assert.equal(eps.length, n, `events_per_s samples for instances=${n}`);
        inRange(eps, 0.1, 1e6, `events_per_s instances=${n}`);
        const agg = values(samples, "events_per_s_aggregate", n);
        assert.equal(agg.length, 1);
        assert.ok(Math.abs(agg[0] - eps.reduce((a, b) => a + b, 0)) < 0.02 * agg[0], "aggregate = sum of instances");
        assert.equal(values(samples, "latency_avg_ms", n).length, n);
    }
    for (const s of samples) {
        assert.equal(s.tool_version, "1.0.20");
        assert.equal(s.unit, s.metric.startsWith("events") ? "events/s" : "ms");
    }
}

describe("lifecycle, idle and instances sweeps on live environments (integration)", function () {
    this.timeout(30 * 60_000);
    const suite = liveSuite({
        prefix: PREFIX,
        kinds: ["native", "docker", "kvm"],
        // A clone a failed test left behind would run next to the next suite's cells.
        beforeDispose(live) {
            const kvm = live.handles.kvm?.target;
            if (kvm?.kind === "kvm") sh(`${LIFECYCLE_SH} delete-clones ${kvm.domain} ${sharedGuest().guestDir}`, 300, "removing guest clones");
        },
    });
    const env = (k: "native" | "docker" | "kvm") => suite.live.handles[k]!;

    describe("native", () => {
        it("lifecycle: a process starts and stops in well under a second", () => {
            checkLifecycle(cell(suite.resultsDir, env("native"), "lifecycle", { instances: "1,2" }), [1, 2], [0, 5], [0, 5]);
        });
        it("idle: host CPU only", () => {
            checkIdle(cell(suite.resultsDir, env("native"), "idle", { windowS: 1 }), ["host_cpu_percent"]);
        });
        it("sysbench-cpu with instances 1,2: one sample per instance plus the aggregate", () => {
            checkInstances(cell(suite.resultsDir, env("native"), "sysbench-cpu", { instances: "1,2", timeSeconds: 1 }));
        });
    });

    describe("docker", () => {
        it("lifecycle 1,2: container create→ready and removal in seconds, no clone left", () => {
            checkLifecycle(cell(suite.resultsDir, env("docker"), "lifecycle", { instances: "1,2" }), [1, 2], [0.01, 60], [0.01, 60]);
            assert.deepEqual(clonesOf(env("docker")), []);
        });
        it("idle: the container's cgroup and shim", () => {
            checkIdle(
                cell(suite.resultsDir, env("docker"), "idle", { windowS: 1 }),
                ["host_cpu_percent", "env_cpu_percent", "env_memory_mib", "shim_cpu_percent", "shim_memory_mib"],
                [0, 512],
            );
        });
        it("sysbench-cpu with instances 1,2 in the container and a clone, no clone left", () => {
            checkInstances(cell(suite.resultsDir, env("docker"), "sysbench-cpu", { instances: "1,2", timeSeconds: 1 }));
            assert.deepEqual(clonesOf(env("docker")), []);
        });
        it("teardown removes a leftover clone of a killed measurement", () => {
            const container = (env("docker").target as { container: string }).container;
            const img = mustRun(["docker", "inspect", "-f", "{{.Image}}", container], 30, "docker inspect").trim();
            mustRun(["docker", "volume", "create", "--label", `isobench.clone-of=${container}`, `${container}-data-c9`], 30, "volume create");
            mustRun(
                ["docker", "run", "-d", "--name", `${container}-c9`, "--label", `isobench.clone-of=${container}`, img, "sleep", "infinity"],
                60,
                "leftover clone",
            );
            assert.equal(clonesOf(env("docker")).length, 2, "the clone container by name and its volume by label");
            // The same spec the harness created the container from.
            const spec = containerSpec({ stack: PREFIX, environment: "docker-nat", image: img, network: "nat", serverPorts: [] });
            assert.equal(spec.name, container);
            sh(cliDeleteScript(spec), 120, `removing ${container}`);
            assert.deepEqual(clonesOf(env("docker")), []);
            sh(
                cliCreateScript({ ...spec, image: mustRun(["cat", path.join(REPO_ROOT, ".state", "images", "container-image")], 5, "image").trim() }),
                120,
                `re-creating ${container}`,
            );
        });
    });

    describe("kvm (the shared guest)", () => {
        it("lifecycle 1: guest define→SSH-ready and destroy+undefine, no clone left", () => {
            checkLifecycle(cell(suite.resultsDir, env("kvm"), "lifecycle", { instances: 1 }), [1], [2, 900], [0.05, 120]);
            assert.deepEqual(clonesOf(env("kvm")), []);
        });
        // The guest's idle counters and its clones for instances are smoke-scope: one guest clone
        // (lifecycle) proves the path, each further one is another emulated boot.
        if (FULL_MATRIX)
            it("idle: the guest's QEMU process", () => {
                // QEMU's RSS includes guest RAM touched so far and, under tcg, the translation cache.
                checkIdle(cell(suite.resultsDir, env("kvm"), "idle", { windowS: 1 }), ["host_cpu_percent", "env_cpu_percent", "env_memory_mib"], [20, 4096]);
            });
        if (FULL_MATRIX)
            it("sysbench-cpu with instances 1,2 in the guest and a clone, no clone left", () => {
                checkInstances(cell(suite.resultsDir, env("kvm"), "sysbench-cpu", { instances: "1,2", timeSeconds: 1, maxPrime: 2000 }));
                assert.deepEqual(clonesOf(env("kvm")), []);
            });
    });
});
