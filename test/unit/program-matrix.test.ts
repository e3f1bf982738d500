/**
 * The matrix stack (stacks/Pulumi.matrix.yaml) plus a docker-in-kvm environment under mocks: the
 * resource inputs of every Docker variant with both drivers, guests sized per workload, and the
 * guest-then-container chain of docker-in-kvm.
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { mockHost, Registered, setRecordingMocks } from "../helpers/mock-program";
import { loadStackSpec } from "../../experiment/stack-file";
import { parseSpec } from "../../experiment/spec";
import type { HostContext, Experiment } from "../../experiment/program";

const registered: Registered[] = [];

async function declare(over: Partial<HostContext>): Promise<Experiment> {
    registered.length = 0;
    const { declareExperiment } = await import("../../experiment/program");
    const m = loadStackSpec(path.join(__dirname, "..", "..", "stacks"), "matrix");
    const spec = parseSpec("matrix", {
        runId: m.runId,
        allowSoftwareEmulation: true,
        repetitions: 3,
        environments: [
            "native",
            "docker-nat",
            "docker-host",
            { name: "docker-nat-dnat", kind: "docker", network: "nat", userlandProxy: false },
            { name: "docker-nat-unionfs", kind: "docker", network: "nat", storage: "unionfs" },
            { name: "docker-nat-limited", kind: "docker", network: "nat", limits: { cpuset: "1", cpus: 1, memory: "1g" } },
            { name: "docker-gvisor", kind: "docker", network: "nat", runtime: "runsc" },
            { name: "kvm-1cpu", kind: "kvm", preset: "kvm-tuned", vcpus: 1 },
            { name: "kvm-allcpu", kind: "kvm", preset: "kvm-tuned", vcpus: 2, pinning: [0, 1] },
            { name: "dik", kind: "docker-in-kvm", guest: { vcpus: 1 }, docker: { network: "nat" } },
            { name: "kvm-raw-uefi", kind: "kvm", vcpus: 1, diskFormat: "raw", boot: "bootloader" },
        ],
        workloads: [
            { name: "redis", environments: ["native", "docker-nat", "kvm-1cpu", "dik"] },
            { name: "sysbench-cpu", environments: ["native", "docker-nat-limited", "kvm-allcpu"] },
        ],
    });
    const exp = declareExperiment(spec, mockHost(over));
    await new Promise((resolve) => exp.overheadTable.apply(resolve));
    return exp;
}

const byName = (n: string) => registered.find((r) => r.name === n)!;

describe("matrix program (mocks)", function () {
    this.timeout(60000);
    before(async () => {
        await setRecordingMocks(registered, "matrix");
    });

    it("the matrix stack file is valid", () => {
        const m = loadStackSpec(path.join(__dirname, "..", "..", "stacks"), "matrix");
        assert.equal(m.environments.length, 10);
    });

    it("cli driver: each Docker variant's docker run", async () => {
        await declare({ dockerDriver: "cli" });
        const run = (n: string) => byName(`${n}-container`).inputs.create as string;
        assert.match(run("docker-nat"), /'-p' '127\.0\.0\.1::6379'/);
        assert.match(run("docker-nat-dnat"), /'-p' '172\.17\.0\.1::6379'/);
        assert.doesNotMatch(run("docker-nat-unionfs"), /--mount|docker volume/);
        assert.match(run("docker-nat-limited"), /'--cpuset-cpus' '1' '--cpus' '1' '--memory' '1024m'/);
        assert.match(run("docker-gvisor"), /'--runtime' 'runsc'/);
        assert.match(run("docker-host"), /'--network' 'host'/);
    });

    it("provider driver: the same containers as resource inputs", async () => {
        const exp = await declare({ dockerDriver: "provider" });
        const c = (n: string) => registered.find((r) => r.type === "docker:index/container:Container" && r.name === `${n}-container`)!.inputs;
        assert.deepEqual(
            c("docker-nat-dnat").ports?.map((p) => p.ip),
            ["172.17.0.1", "172.17.0.1"],
        );
        assert.deepEqual(c("docker-nat-unionfs").mounts, []);
        assert.ok(!registered.some((r) => r.name === "docker-nat-unionfs-data"), "no volume for unionfs");
        assert.equal(c("docker-nat-limited").cpuSet, "1");
        assert.equal(c("docker-nat-limited").cpus, "1");
        assert.equal(c("docker-nat-limited").memory, 1024);
        assert.equal(c("docker-gvisor").runtime, "runsc");
        assert.equal(
            exp.environments.find((e) => e.name === "docker-nat-limited")!.variant,
            "net=nat;proxy=userland;storage=volume;runtime=runc;cpuset=1;cpus=1;mem=1g",
        );
    });

    it("guests sized per workload, cells only where the workload runs", async () => {
        const exp = await declare({});
        const xml = (n: string) => byName(`${n}-domain`).inputs.environment!.ISOBENCH_DOMAIN_XML;
        assert.match(xml("kvm-1cpu"), /<vcpu placement='static'>1<\/vcpu>/);
        assert.match(xml("kvm-allcpu"), /<vcpu placement='static'>2<\/vcpu>[\s\S]*<vcpupin vcpu='1' cpuset='1'\/>/);
        assert.deepEqual(
            new Set(exp.cellIds.filter((c) => c.startsWith("redis.")).map((c) => c.split(".")[1])),
            new Set(["native", "docker-nat", "kvm-1cpu", "dik"]),
        );
        assert.equal(exp.cellIds.length, 3 * (4 + 3));
    });

    it("raw disk and bootloader boot: a raw copy of the bootloader image, OVMF, no kernel", async () => {
        await declare({});
        const r = byName("kvm-raw-uefi-domain").inputs;
        assert.match(
            r.create as string,
            /create 'isobench-matrix-kvm-raw-uefi' '\/guests\/matrix\/kvm-raw-uefi\.xml' '\/imgb\/disk\.qcow2' '\/guests\/matrix\/kvm-raw-uefi\.img'/,
        );
        assert.match(r.delete as string, /delete 'isobench-matrix-kvm-raw-uefi' '\/guests\/matrix\/kvm-raw-uefi\.img'/);
        const x = (r.environment as Record<string, string>).ISOBENCH_DOMAIN_XML;
        assert.match(
            x,
            /<loader readonly='yes' type='pflash'>\/fw\/CODE\.fd<\/loader>\n\s+<nvram template='\/fw\/VARS\.fd'>\/guests\/matrix\/kvm-raw-uefi\.VARS\.fd<\/nvram>/,
        );
        assert.match(x, /<driver name='qemu' type='raw'\/>/);
        assert.doesNotMatch(x, /<kernel>/);
    });

    it("docker-in-kvm: guest from the Docker image, then the container, then its probe", async () => {
        const exp = await declare({});
        assert.match(byName("dik-domain").inputs.create as string, /'\/imgd\/disk\.qcow2'/);
        assert.match(byName("dik-container").inputs.create as string, /docker save 'isobench-bench:0123456789ab'/);
        const probe = exp.chain.find((c) => c.name === "probe-dik")!;
        assert.ok(probe.after.includes("dik-ready"));
        assert.equal(exp.chain[0].name, "probe-host");
    });
});

describe("the program's command arguments (mocks)", function () {
    this.timeout(60000);
    before(async () => {
        await setRecordingMocks(registered, "matrix");
    });

    it("every isobench command the matrix program writes decodes with the CLI's checked decoder", async () => {
        await declare({ dockerDriver: "cli" });
        const { decodeArg } = await import("../../experiment/command-args");
        const re = /'[^']*bin\/isobench' (run-cell|probe-host|probe|host-apply) (?:'[^']*' )*([A-Za-z0-9+/=]+)/;
        const seen = new Map<string, number>();
        for (const r of registered) {
            const m = typeof r.inputs.create === "string" ? re.exec(r.inputs.create) : null;
            if (!m) continue;
            const command = m[1] as "run-cell" | "probe" | "probe-host" | "host-apply";
            assert.doesNotThrow(() => decodeArg(command, m[2]), `${r.name}: ${command}`);
            seen.set(command, (seen.get(command) ?? 0) + 1);
        }
        assert.ok((seen.get("run-cell") ?? 0) > 10 && (seen.get("probe") ?? 0) === 11 && seen.get("probe-host") === 1, JSON.stringify([...seen]));
    });
});
