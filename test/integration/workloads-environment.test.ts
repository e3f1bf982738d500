/**
 * The workloads that measure environments themselves (lifecycle, idle) and instances sweeps
 * (KEK concurrency, with sysbench-cpu) through runCell on live native, Docker and KVM (tcg)
 * environments at a tiny scale: sample counts, units, plausible ranges, and no clone left behind.
 *
 * Environments are provisioned here with the same code the stacks use (containerSpec +
 * cliCreateScript; resolveDomainSpec + guest-lifecycle.sh), named with the `it4c` prefix, and
 * removed in after hooks. KVM keeps to 1 vCPU / 512 MiB and at most 2 guests at once (the host has
 * 2 CPUs and boots software-emulated guests in about a minute).
 * Skips a kind with a message when its daemon, image or SSH key is missing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { Sample, samplesFromCsv } from "../../experiment/samples";
import { cliCreateScript, cliDeleteScript, containerSpec, DATA_DIR } from "../../environments/container-spec";
import { EnvironmentHandle, GUEST_DATA_DIR } from "../../environments/exec-target";
import { KVM_PRESETS, resolveDomainSpec } from "../../environments/kvm/presets";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { attempt, mustRun, virshArgv } from "../../environments/process";
import { shellQuote as q } from "../../environments/shell";

const REPO = path.join(__dirname, "..", "..");
const STACK = `it4c${process.pid}`;
const LIFECYCLE_SH = path.join(REPO, "environments", "kvm", "guest-lifecycle.sh");
const STATE = path.join(REPO, ".state");

function readState(file: string): string | undefined {
    const p = path.join(STATE, "images", file);
    return fs.existsSync(p) ? fs.readFileSync(p, "utf8").trim() : undefined;
}

function sh(script: string, timeoutS: number, what: string): string {
    return mustRun(["/bin/sh", "-c", script], timeoutS, what);
}

/** Runs one cell and returns its samples. */
function cell(resultsDir: string, env: EnvironmentHandle, workload: string, params: Record<string, number | string>): Sample[] {
    const id = `${workload}.${env.name}.${Object.values(params).join("-").replace(/[^A-Za-z0-9]/g, "_")}`;
    const csv = runCell({ stack: STACK, runId: "int", resultsDir, cellId: id, workload, params, repetition: 1, env });
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

function dockerClonesOf(container: string): string[] {
    const out = mustRun(["docker", "ps", "-a", "--format", "{{.Names}}"], 30, "docker ps");
    const vols = mustRun(["docker", "volume", "ls", "-q", "--filter", `label=isobench.clone-of=${container}`], 30, "docker volume ls");
    return [...out.split("\n").filter((n) => n.startsWith(`${container}-c`)), ...vols.split("\n").filter(Boolean)];
}

function guestClonesOf(domain: string, dir: string): string[] {
    const names = mustRun(virshArgv(30, "list", "--all", "--name"), 60, "virsh list").split("\n").filter((n) => n.startsWith(`${domain}-c`));
    const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.startsWith(`${domain}-c`)) : [];
    return [...names, ...files];
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
    assert.deepEqual(samples.map((s) => s.metric), metrics);
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
    let resultsDir = "";

    before(() => {
        resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), `${STACK}-results-`));
    });
    after(() => {
        if (resultsDir) fs.rmSync(resultsDir, { recursive: true, force: true });
    });

    describe("native", () => {
        const env: EnvironmentHandle = {
            name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" },
            dataDir: path.join(os.tmpdir(), `${STACK}-native-data`), declared: {},
        };
        after(() => fs.rmSync(env.dataDir, { recursive: true, force: true }));

        it("lifecycle: a process starts and stops in well under a second", () => {
            checkLifecycle(cell(resultsDir, env, "lifecycle", { instances: "1,2" }), [1, 2], [0, 5], [0, 5]);
        });
        it("idle: host CPU only", () => {
            checkIdle(cell(resultsDir, env, "idle", { windowS: 2 }), ["host_cpu_percent"]);
        });
        it("sysbench-cpu with instances 1,2: one sample per instance plus the aggregate", () => {
            checkInstances(cell(resultsDir, env, "sysbench-cpu", { instances: "1,2", timeSeconds: 1 }));
        });
    });

    describe("docker", () => {
        const image = readState("container-image");
        const spec = containerSpec({ stack: STACK, environment: "docker-nat", image: image ?? "none", network: "nat", serverPorts: [6379] });
        const env: EnvironmentHandle = {
            name: "docker-nat", envKind: "docker", variant: "net=nat;storage=volume;driver=cli", accel: "none",
            target: { kind: "docker", container: spec.name, network: "nat" }, dataDir: DATA_DIR, declared: {},
        };

        before(function () {
            if (!image || attempt(["docker", "info"], 30).status !== 0) {
                console.log("      skipping: docker is not reachable or no container image is built (.state/images/container-image)");
                this.skip();
            }
            this.timeout(120_000);
            sh(cliCreateScript(spec), 120, `creating ${spec.name}`);
        });
        after(function () {
            this.timeout(120_000);
            if (!image) return;
            sh(cliDeleteScript(spec), 120, `removing ${spec.name}`);
            assert.deepEqual(dockerClonesOf(spec.name), [], "clones left after teardown");
        });

        it("lifecycle 1,2: container create→ready and removal in seconds, no clone left", () => {
            checkLifecycle(cell(resultsDir, env, "lifecycle", { instances: "1,2" }), [1, 2], [0.01, 60], [0.01, 60]);
            assert.deepEqual(dockerClonesOf(spec.name), []);
        });
        it("idle: the container's cgroup and shim", () => {
            checkIdle(cell(resultsDir, env, "idle", { windowS: 2 }),
                ["host_cpu_percent", "env_cpu_percent", "env_memory_mib", "shim_cpu_percent", "shim_memory_mib"], [0, 512]);
        });
        it("sysbench-cpu with instances 1,2 in the container and a clone, no clone left", () => {
            checkInstances(cell(resultsDir, env, "sysbench-cpu", { instances: "1,2", timeSeconds: 1 }));
            assert.deepEqual(dockerClonesOf(spec.name), []);
        });
        it("teardown removes a leftover clone of a killed measurement", () => {
            const img = mustRun(["docker", "inspect", "-f", "{{.Image}}", spec.name], 30, "docker inspect").trim();
            mustRun(["docker", "volume", "create", "--label", `isobench.clone-of=${spec.name}`, `${spec.volume.name}-c9`], 30, "volume create");
            mustRun(["docker", "run", "-d", "--name", `${spec.name}-c9`, "--label", `isobench.clone-of=${spec.name}`, img, "sleep", "infinity"], 60, "leftover clone");
            assert.equal(dockerClonesOf(spec.name).length, 2);
            sh(cliDeleteScript(spec), 120, `removing ${spec.name}`);
            assert.deepEqual(dockerClonesOf(spec.name), []);
            sh(cliCreateScript(spec), 120, `re-creating ${spec.name}`);
        });
    });

    describe("kvm (1 vCPU, 512 MiB)", () => {
        const guestImage = readState("guest-image");
        const sshKey = path.join(STATE, "ssh", "id_ed25519");
        const dir = path.join(os.tmpdir(), `${STACK}-guests`);
        const name = `isobench-${STACK}-kvm-untuned`;
        const diskPath = path.join(dir, "kvm-untuned.qcow2");
        const env: EnvironmentHandle = {
            name: "kvm-untuned", envKind: "kvm", variant: "", accel: "tcg",
            target: { kind: "kvm", domain: name, sshKey }, dataDir: GUEST_DATA_DIR, declared: {},
        };

        before(function () {
            if (!guestImage || !fs.existsSync(sshKey) || attempt(virshArgv(30, "list"), 60).status !== 0) {
                console.log("      skipping: libvirt is not reachable, or no guest image / SSH key (.state/images/guest-image, .state/ssh)");
                this.skip();
            }
            this.timeout(15 * 60_000);
            fs.mkdirSync(dir, { recursive: true });
            const d = resolveDomainSpec(KVM_PRESETS["kvm-untuned"], {
                name, stack: STACK, vcpus: 1, memoryMiB: 512, diskPath,
                kernel: path.join(guestImage!, "vmlinuz"), initrd: path.join(guestImage!, "initrd.img"),
                cmdline: "root=/dev/vda rw console=ttyS0 quiet", serialLogPath: path.join(dir, "kvm-untuned.serial.log"),
            }, { accel: "tcg", vhostAvailable: false, hostCpuCount: os.cpus().length });
            const xmlPath = path.join(dir, "kvm-untuned.xml");
            fs.writeFileSync(xmlPath, renderDomainXml(d));
            const lc = q(LIFECYCLE_SH);
            sh(`${lc} create ${q(name)} ${q(xmlPath)} ${q(path.join(guestImage!, "disk.qcow2"))} ${q(diskPath)} && ${lc} wait-ssh ${q(name)} ${q(sshKey)} 600`, 700, `booting ${name}`);
        });
        after(function () {
            this.timeout(300_000);
            if (!guestImage || !fs.existsSync(dir)) return;
            const lc = q(LIFECYCLE_SH);
            sh(`${lc} delete-clones ${q(name)} ${q(dir)} && ${lc} delete ${q(name)} ${q(diskPath)}`, 300, `removing ${name}`);
            assert.deepEqual(guestClonesOf(name, dir), [], "clones left after teardown");
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("lifecycle 1: guest define→SSH-ready and destroy+undefine, no clone left", () => {
            checkLifecycle(cell(resultsDir, env, "lifecycle", { instances: 1 }), [1], [2, 900], [0.05, 120]);
            assert.deepEqual(guestClonesOf(name, dir), []);
        });
        it("idle: the guest's QEMU process", () => {
            // QEMU's RSS includes guest RAM touched so far and, under tcg, the translation cache.
            checkIdle(cell(resultsDir, env, "idle", { windowS: 2 }), ["host_cpu_percent", "env_cpu_percent", "env_memory_mib"], [20, 4096]);
        });
        it("sysbench-cpu with instances 1,2 in the guest and a clone, no clone left", () => {
            checkInstances(cell(resultsDir, env, "sysbench-cpu", { instances: "1,2", timeSeconds: 1, maxPrime: 2000 }));
            assert.deepEqual(guestClonesOf(name, dir), []);
        });
    });
});
