/**
 * The environment matrix on this host's real dockerd: every Docker variant is provisioned with the
 * same scripts the cli driver runs, the probe measures them from the inside, and the measured
 * facts must match the declared ones (probeEnvironment throws on a contradiction; the assertions
 * below check the key facts by value as well). Teardown must leave nothing behind. The KVM knob
 * families (pinning, IO threads, NUMA, multiqueue, disk format, boot path) are provisioned and
 * probed in disk-boot-knobs.test.ts, whose two guests boot at once; docker-in-kvm is smoke scope.
 *
 * Resource names start with isobench-it3m (stack it3m<pid>).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { guestsDir } from "../../core/paths";
import type { HostContext } from "../../experiment/program";
import { dockerEnvironment, dockerInKvmEnvironment, DockerEnv, DockerInKvmEnv } from "../../experiment/environment-handles";
import { cliCreateScript, cliDeleteScript } from "../../environments/container-spec";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { probeEnvironment } from "../../environments/probe";
import { probeHost } from "../../environments/host-facts";
import { thisMachine } from "../../environments/transport";
import { runCell } from "../../experiment/runner";
import { samplesFromCsv } from "../../core/samples";
import { guestContainerCreateScript, guestContainerDeleteScript } from "../../environments/docker-in-kvm";
import { attempt, mustRun, virshArgv } from "../../environments/process";
import { guestAccessOf, sshArgv } from "../../environments/exec-target";
import { EnvironmentHandle } from "../../core/environment-handle";
import { FULL_MATRIX } from "../helpers/scope";
import { TEST_CELL } from "../helpers/invocation";
import { guestDiskGrowth } from "../../experiment/disk-plan";

const REPO = path.resolve(__dirname, "..", "..");
const LIFECYCLE = path.join(REPO, "environments", "kvm", "guest-lifecycle.sh");
const stack = `it3m${process.pid}`;
const prefix = `isobench-${stack}-`;

const DOCKER_ENVS = [
    { name: "nat-proxy", kind: "docker", network: "nat", userlandProxy: true, storage: "volume" },
    { name: "nat-dnat", kind: "docker", network: "nat", userlandProxy: false, storage: "unionfs" },
    { name: "host", kind: "docker", network: "host", storage: "volume" },
    { name: "none", kind: "docker", network: "none", storage: "unionfs" },
    { name: "limits", kind: "docker", network: "nat", limits: { cpuset: "1", cpus: 0.5, memory: "256m" } },
    { name: "gvisor", kind: "docker", network: "nat", runtime: "runsc", storage: "unionfs" },
];
/** gVisor needs `apt-get install runsc; ISOBENCH_RUNSC=1 scripts/daemons.sh`; without it the row is refused (tested below). */
const RUNSC = /"runsc"/.test(attempt(["docker", "info", "--format", "{{json .Runtimes}}"], 30).stdout);

/** ISOBENCH_KEEP_RESULTS=<dir>: copy environments.csv and host.csv there (for the closing table). */
function keepResults(results: string, suffix = ""): void {
    const keep = process.env.ISOBENCH_KEEP_RESULTS;
    if (!keep) return;
    fs.mkdirSync(keep, { recursive: true });
    for (const f of ["environments.csv", "host.csv"]) {
        if (fs.existsSync(path.join(results, f))) fs.copyFileSync(path.join(results, f), path.join(keep, f.replace(".csv", `${suffix}.csv`)));
    }
}

function leftovers(): string[] {
    const found: string[] = [];
    for (const [what, argv] of [
        ["container", ["docker", "ps", "-a", "--format", "{{.Names}}"]],
        ["volume", ["docker", "volume", "ls", "--format", "{{.Name}}"]],
        ["domain", virshArgv(30, "list", "--all", "--name")],
    ] as const) {
        for (const n of attempt([...argv], 60)
            .stdout.split("\n")
            .map((s) => s.trim()))
            if (n.startsWith(prefix)) found.push(`${what} ${n}`);
    }
    return found;
}

describe("environment matrix on real dockerd", function () {
    this.timeout(20 * 60 * 1000);
    const spec = parseSpec(stack, {
        runId: "m1",
        environments: ["native", ...DOCKER_ENVS.filter((e) => RUNSC || e.runtime !== "runsc")],
        workloads: [{ name: "sysbench-cpu", environments: ["native"] }],
        allowSoftwareEmulation: true,
    });
    // Made in a hook: a describe body runs even when --grep selects none of its tests,
    // and then no after hook would remove it.
    let results = "";
    before(() => {
        results = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-it3m-"));
    });
    let host: HostContext;
    const measured = new Map<string, Record<string, string>>();
    const handles = new Map<string, EnvironmentHandle>();
    const deletes: string[] = [];

    before(function () {
        host = gatherHost(spec);
        for (const env of spec.environmentSpecs.filter((e): e is DockerEnv => e.kind === "docker")) {
            const { container, handle } = dockerEnvironment(spec, env, host, []);
            deletes.push(cliDeleteScript(container));
            mustRun(["/bin/sh", "-c", cliCreateScript(container)], 180, `creating ${env.name}`);
            handles.set(env.name, handle);
        }
        handles.set("native", {
            name: "native",
            envKind: "native",
            variant: "",
            accel: "none",
            target: { kind: "native" },
            dataDir: path.join(results, "native-data"),
            declared: { nproc: String(host.hostCpuCount) },
        });
        probeHost(thisMachine(), results, {});
        for (const [name, h] of handles) measured.set(name, probeEnvironment(results, h));
        keepResults(results);
    });

    after(function () {
        for (const d of deletes) attempt(["/bin/sh", "-c", d], 120);
        assert.deepEqual(leftovers(), [], "teardown leaves no container, volume or domain");
        fs.rmSync(results, { recursive: true, force: true });
    });

    it("records the host's settings and versions in host.csv", () => {
        const csv = fs.readFileSync(path.join(results, "host.csv"), "utf8");
        for (const fact of [
            "governor",
            "boost",
            "thp",
            "swap",
            "native_numactl_policy",
            "kernel",
            "docker",
            "containerd",
            "runc",
            "runsc",
            "qemu",
            "libvirt",
        ]) {
            assert.match(csv, new RegExp(`^[^,]+,${fact},`, "m"), fact);
        }
        assert.match(csv, /,docker,20\.10\./);
    });

    it("records every environment in environments.csv with declared and measured values", () => {
        const csv = fs.readFileSync(path.join(results, "environments.csv"), "utf8");
        for (const name of handles.keys()) assert.match(csv, new RegExp(`^${name},`, "m"));
        assert.match(csv, /^nat-dnat,docker,net=nat;proxy=dnat;storage=unionfs;runtime=runc,none,nat_path,dnat,dnat,/m);
    });

    it("NAT through the userland proxy vs iptables DNAT, as measured on the wire", () => {
        assert.equal(measured.get("nat-proxy")!.nat_path, "userland-proxy");
        assert.equal(measured.get("nat-dnat")!.nat_path, "dnat");
        assert.match(measured.get("nat-dnat")!.published_ports, new RegExp(`${host.dockerBridgeGateway!.replace(/\./g, "\\.")}:\\d+`));
        assert.equal(measured.get("host")!.netns, "host");
        assert.equal(measured.get("nat-proxy")!.netns, "own");
        assert.equal(measured.get("none")!.net_ifaces, "lo");
    });

    it("volume vs the container's own layer for the data directory", () => {
        const vol = measured.get("nat-proxy")!;
        const union = measured.get("nat-dnat")!;
        assert.equal(vol.mount_type, "volume");
        assert.equal(vol.data_mount, "/data");
        assert.notEqual(vol.data_fstype, "overlayfs");
        assert.equal(union.mount_type, "none");
        assert.equal(union.data_mount, "/");
        assert.equal(union.data_fstype, "overlayfs");
        assert.equal(union.storage_driver, "overlay2");
    });

    it("cgroup limits in effect inside the container", () => {
        const l = measured.get("limits")!;
        assert.equal(l.cgroup_cpuset, "1");
        assert.equal(l.cgroup_cpus, "0.5");
        assert.equal(l.cgroup_memory, String(256 * 1024 * 1024));
        assert.equal(l.nproc, "1");
        const free = measured.get("nat-proxy")!;
        assert.equal(free.cgroup_cpus, "max");
        assert.equal(free.cgroup_memory, "max");
    });

    it("gVisor (runsc) sandbox", function () {
        if (!RUNSC) this.skip();
        const g = measured.get("gvisor")!;
        assert.equal(g.runtime, "runsc");
        assert.equal(g.sandbox, "gvisor");
        assert.equal(measured.get("nat-proxy")!.sandbox, "none");
    });

    it("refuses a contradiction, naming environment, fact, declared and measured", () => {
        const h = handles.get("nat-proxy")!;
        assert.throws(
            () => probeEnvironment(results, { ...h, name: "nat-proxy-lie", declared: { ...h.declared, nat_path: "dnat" } }),
            /environment nat-proxy-lie is not what was declared:\n {2}- nat_path: declared dnat, measured userland-proxy/,
        );
        fs.rmSync(path.join(results, "envfacts", "nat-proxy-lie.json"));
    });
});

// Loading the benchmark image into an emulated guest takes about 10 min: smoke scope.
(FULL_MATRIX ? describe : () => undefined)("docker-in-kvm on real libvirt (Docker engine inside a tcg guest)", function () {
    this.timeout(25 * 60 * 1000);
    const dstack = `it3d${process.pid}`;
    const spec = parseSpec(dstack, {
        runId: "d1",
        environments: [
            {
                name: "dik",
                kind: "docker-in-kvm",
                guest: { vcpus: 1, memoryMiB: 1024, bootTimeoutS: 420 },
                docker: { network: "nat", limits: { memory: "512m" } },
            },
        ],
        workloads: [{ name: "redis", params: { requests: 2000 } }],
        allowSoftwareEmulation: true,
    });
    // Made in a hook: a describe body runs even when --grep selects none of its tests,
    // and then no after hook would remove it.
    let results = "";
    before(() => {
        results = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-it3d-"));
    });
    let host: HostContext;
    let handle: EnvironmentHandle;
    let built: ReturnType<typeof dockerInKvmEnvironment>;
    let measured: Record<string, string>;
    const undo: string[][] = [];

    before(function () {
        host = gatherHost(spec);
        const env = spec.environmentSpecs[0] as DockerInKvmEnv;
        built = dockerInKvmEnvironment(spec, env, host, [6379]);
        handle = built.handle;
        const d = built.domain;
        fs.mkdirSync(path.dirname(d.diskPath), { recursive: true });
        const xmlPath = d.diskPath.replace(/\.qcow2$/, ".xml");
        fs.writeFileSync(xmlPath, renderDomainXml(d));
        undo.push([LIFECYCLE, "delete", d.name, d.diskPath]);
        // The disk grown as the program grows it: room for the benchmark image the container needs.
        const grow = String(guestDiskGrowth(spec, env).bytes);
        mustRun([LIFECYCLE, "create", d.name, xmlPath, host.guestImageDocker!.disk, d.diskPath, grow], 300, "defining the guest");
        mustRun([LIFECYCLE, "wait-ssh", d.name, host.sshKey, "420"], 480, "booting the guest");
        mustRun([LIFECYCLE, "grow-root", d.name, host.sshKey], 300, "growing the guest's root filesystem");
        undo.unshift(["/bin/sh", "-c", guestContainerDeleteScript(built.container, guestAccessOf(handle), LIFECYCLE)]);
        mustRun(["/bin/sh", "-c", guestContainerCreateScript(built.container, guestAccessOf(handle), LIFECYCLE)], 1800, "container in the guest");
        measured = probeEnvironment(results, handle);
        keepResults(results, "-docker-in-kvm");
    });

    after(function () {
        for (const argv of undo) attempt(argv, 300);
        fs.rmSync(path.join(guestsDir(), dstack), { recursive: true, force: true });
        const left = attempt(virshArgv(30, "list", "--all", "--name"), 60)
            .stdout.split("\n")
            .filter((n) => n.startsWith(`isobench-${dstack}-`));
        assert.deepEqual(left, [], "teardown leaves no domain");
        fs.rmSync(results, { recursive: true, force: true });
    });

    it("measures the guest layer and the container layer", () => {
        assert.equal(handle.envKind, "docker-in-kvm");
        assert.equal(measured.domain_type, "qemu");
        assert.equal(measured.vcpupin, "0:0-1");
        assert.equal(measured.network_mode, "bridge");
        assert.equal(measured.nat_path, "dnat", "the host reaches the container through the guest's iptables DNAT");
        assert.equal(measured.mount_type, "volume");
        assert.equal(measured.storage_driver, "overlay2");
        assert.equal(measured.cgroup_memory, String(512 * 1024 * 1024));
        assert.equal(measured.nproc, "1");
        assert.equal(measured.netns, "own");
    });

    it("runs a redis cell: server in the container in the guest, client on the host", () => {
        const csv = runCell({
            ...TEST_CELL,
            stack: dstack,
            runId: "d1",
            resultsDir: results,
            cellId: "redis.dik.r1",
            workload: "redis",
            params: { requests: 2000 },
            repetition: 1,
            env: handle,
        });
        const samples = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
        assert.ok(samples.length > 0);
        for (const s of samples) {
            assert.equal(s.env_kind, "docker-in-kvm");
            assert.equal(s.accel, "tcg");
            assert.ok(s.value > 0);
        }
        assert.match(samples[0].notes, /server at 192\.168\.\d+\.\d+:\d+/);
    });

    it("the container's delete removes it from the guest's dockerd and succeeds again once it is gone", () => {
        const del = ["/bin/sh", "-c", guestContainerDeleteScript(built.container, guestAccessOf(handle), LIFECYCLE)];
        mustRun(del, 300, "deleting the container in the guest");
        const ip = mustRun([LIFECYCLE, "ip", guestAccessOf(handle).domain], 60, "guest ip").trim();
        const inGuest = mustRun([...sshArgv(guestAccessOf(handle), ip), "docker ps -aq --filter name=" + built.container.name], 120, "docker ps in the guest");
        assert.equal(inGuest.trim(), "", "no container left in the guest");
        mustRun(del, 300, "deleting it again");
    });
});

describe("refusals before provisioning on this host", function () {
    this.timeout(120000);
    const base = { runId: "r", workloads: ["sysbench-cpu"], allowSoftwareEmulation: true };

    it("vhost requested where /dev/vhost-net is missing", function () {
        if (fs.existsSync("/dev/vhost-net")) this.skip();
        assert.throws(
            () => gatherHost(parseSpec("it3r", { ...base, environments: [{ name: "kvm-vhost", kind: "kvm", preset: "kvm-tuned", vhost: "on" }] })),
            /environment kvm-vhost: vhost is "on" but \/dev\/vhost-net does not exist\. Fix: modprobe vhost_net/,
        );
    });

    it("runsc requested where dockerd does not know it", function () {
        if (RUNSC) this.skip();
        assert.throws(
            () => gatherHost(parseSpec("it3r", { ...base, environments: [{ name: "gv", kind: "docker", runtime: "runsc" }] })),
            /environment gv: runtime runsc \(gVisor\) is not registered with dockerd .*Fix: apt-get install runsc, then ISOBENCH_RUNSC=1 scripts\/daemons\.sh/s,
        );
    });

    it("hugepages requested where none are reserved", function () {
        if (/HugePages_Free:\s+[1-9]/.test(fs.readFileSync("/proc/meminfo", "utf8"))) this.skip();
        assert.throws(
            () => gatherHost(parseSpec("it3r", { ...base, environments: [{ name: "kvm-huge", kind: "kvm", hugepages: true }] })),
            /environment kvm-huge: hugepages: true needs 512 free huge pages of 2048 kB for 1024 MiB, but the host has 0 free .*Fix: echo 512 > \/proc\/sys\/vm\/nr_hugepages/,
        );
    });

    it("ht-siblings pinning of a two-thread guest topology on a host without hyperthreads", function () {
        if (fs.readFileSync("/sys/devices/system/cpu/cpu0/topology/thread_siblings_list", "utf8").includes(",")) this.skip();
        const kvmHt = { name: "kvm-ht", kind: "kvm", vcpus: 2, topology: { sockets: 1, cores: 1, threads: 2 }, pinning: "ht-siblings" };
        assert.throws(
            () => gatherHost(parseSpec("it3r", { ...base, environments: [kvmHt] })),
            /environment kvm-ht: kvm-untuned: on a host without hyperthreads \(lscpu: Thread\(s\) per core: 1\) pinning "ht-siblings" gives each vCPU a host core of its own, but the guest's topology has 2 threads per core/,
        );
    });

    it("a declared host setting the host does not have", () => {
        const thp = /\[(\w+)\]/.exec(fs.readFileSync("/sys/kernel/mm/transparent_hugepage/enabled", "utf8"))![1];
        const other = thp === "never" ? "always" : "never";
        assert.throws(
            () => gatherHost(parseSpec("it3r", { ...base, environments: ["native"], host: { thp: other } })),
            new RegExp(`the host is not configured as isobench:host declares .*thp: declared ${other}, measured ${thp}`, "s"),
        );
    });
});
