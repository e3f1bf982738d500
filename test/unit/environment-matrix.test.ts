/**
 * The environment matrix without daemons: stack schema and messages, canonical variant strings,
 * declared facts, per-workload environments, and the parsers of the probe against output captured
 * on this machine (test/fixtures/environments/README.md says how).
 */
import * as assert from "node:assert/strict";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { SpecError } from "../../core/errors";
import { dockerVariantKey, dockerVariantOf } from "../../core/environment-spec";
import { planCells } from "../../experiment/plan";
import { containerSpec, dockerRunArgs, cliCreateScript, cliDeleteScript } from "../../environments/container-spec";
import { declaredDockerFacts } from "../../environments/docker-facts";
import { declaredKvmFacts } from "../../environments/kvm/knobs";
import { kvmTuned, resolveDomainSpec } from "../../environments/kvm/presets";
import { dnatPackets, proxyListening } from "../../environments/nat-path";
import { liveXmlFacts, parseEmulatorpin, parseVcpupin, contradictions, diskFileFacts, guestBootFacts } from "../../environments/probe";
import { numactlPolicy, selected, swapState, compareHost } from "../../environments/host-facts";
import { userlandProxyOn } from "../../experiment/host";
import { DockerInKvmEnv, dockerInKvmEnvironment } from "../../experiment/environment-handles";
import { execArgv } from "../../environments/exec-target";
import { shellQuote } from "../../core/shell";
import { guestContainerCreateScript, guestContainerDeleteScript } from "../../environments/docker-in-kvm";
import { mockHost } from "../helpers/mock-program";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("environments");
const diskBootFixture = fixtureReader("disk-boot");
const base = { runId: "r1", workloads: ["sysbench-cpu"] };
const spec = (environments: unknown[], over: Record<string, unknown> = {}) => parseSpec("t", { ...base, environments, ...over });
const refuses = (environments: unknown[], re: RegExp, over: Record<string, unknown> = {}) =>
    assert.throws(
        () => spec(environments, over),
        (e: Error) => e instanceof SpecError && re.test(e.message),
    );

describe("environment matrix: stack schema", () => {
    it("keeps the preset names and resolves them to explicit configurations", () => {
        const s = spec(["native", "docker-nat", "docker-host", "kvm-untuned", "kvm-tuned"]);
        assert.deepEqual(s.environments, ["native", "docker-nat", "docker-host", "kvm-untuned", "kvm-tuned"]);
        const nat = s.environmentSpecs[1];
        assert.ok(nat.kind === "docker");
        assert.deepEqual(nat.docker, { network: "nat", userlandProxy: true, storage: "volume", limits: {}, runtime: "runc", capAdd: [], seccomp: "default" });
        const tuned = s.environmentSpecs[4];
        assert.ok(tuned.kind === "kvm");
        assert.equal(tuned.kvm.preset, "kvm-tuned");
        assert.equal(tuned.kvm.vcpus, 1);
    });

    it("the DNAT and union-filesystem presets are docker-nat with one knob changed, the same variant as the object they stand for", () => {
        const s = spec([
            "docker-nat-dnat",
            "docker-nat-unionfs",
            { name: "dnat-object", kind: "docker", network: "nat", userlandProxy: false },
            { name: "unionfs-object", kind: "docker", network: "nat", storage: "unionfs" },
        ]);
        const [dnat, unionfs, dnatObject, unionfsObject] = s.environmentSpecs.map((e) => (e.kind === "docker" ? e.docker : undefined));
        assert.deepEqual(dnat, { network: "nat", userlandProxy: false, storage: "volume", limits: {}, runtime: "runc", capAdd: [], seccomp: "default" });
        assert.deepEqual(unionfs, { network: "nat", userlandProxy: true, storage: "unionfs", limits: {}, runtime: "runc", capAdd: [], seccomp: "default" });
        assert.deepEqual(dnat, dnatObject);
        assert.deepEqual(unionfs, unionfsObject);
        assert.equal(dockerVariantKey(dnat!), "net=nat;proxy=dnat;storage=volume;runtime=runc");
    });

    it("accepts objects of every kind with free names", () => {
        const everyKnob = {
            preset: "kvm-tuned",
            vcpus: 1,
            cpuModel: "SandyBridge",
            topology: { sockets: 1, cores: 1, threads: 1 },
            pinning: [1],
            emulatorPin: "0",
            iothreads: 1,
            iothreadPin: "0",
            hugepages: false,
            numa: 1,
            diskBus: "virtio-scsi",
            diskCache: "writeback",
            diskIo: "threads",
            netQueues: 1,
            vhost: "off",
            boot: "direct",
        };
        const s = spec([
            { name: "bare", kind: "native" },
            {
                name: "d1",
                kind: "docker",
                network: "none",
                storage: "unionfs",
                limits: { cpuset: "0-1", cpus: 1.5, memory: "2g" },
                runtime: "runsc",
                capAdd: ["SYS_NICE"],
                seccomp: "unconfined",
            },
            { name: "kvm-1cpu", kind: "kvm", ...everyKnob },
            { name: "dik", kind: "docker-in-kvm", guest: { vcpus: 2 }, docker: { network: "host" } },
        ]);
        assert.deepEqual(s.environments, ["bare", "d1", "kvm-1cpu", "dik"]);
        const k = s.environmentSpecs[2];
        assert.ok(k.kind === "kvm");
        // Every knob as the stack wrote it, the left-out ones from isobench:kvm, and nothing else
        // of the item (name, kind): the knobs are the schema's, carried through without a hand list.
        assert.deepEqual(k.kvm, { ...everyKnob, cpuModel: { named: "SandyBridge" }, memoryMiB: 1024, bootTimeoutS: 180 });
        const dik = s.environmentSpecs[3];
        assert.ok(dik.kind === "docker-in-kvm");
        assert.deepEqual(dik.kvm, {
            preset: "kvm-untuned",
            vcpus: 2,
            memoryMiB: 1024,
            pinning: "preset",
            iothreads: 0,
            numa: 0,
            diskBus: "virtio-blk",
            netQueues: 1,
            vhost: "auto",
            boot: "direct",
            bootTimeoutS: 180,
        });
    });

    it("names the key and allowed values of a bad item", () => {
        refuses(
            ["lxc"],
            /isobench:environments\.0: must be one of native, docker-nat, docker-host, docker-nat-dnat, docker-nat-unionfs, kvm-untuned, kvm-tuned \(or an object with name and kind: native, docker, kvm, docker-in-kvm\)/,
        );
        refuses([{ name: "x", kind: "lxc" }], /isobench:environments\.0\.kind: must be one of native, docker, kvm, docker-in-kvm/);
        refuses([{ name: "x", kind: "docker", network: "bridge" }], /isobench:environments\.0\.network: must be one of nat, host, none/);
        refuses([{ name: "x", kind: "docker", limits: { memory: "2GB" } }], /isobench:environments\.0\.limits\.memory: "2GB" does not match/);
        refuses(
            [{ name: "x", kind: "docker", vcpus: 2 }],
            /isobench:environments\.0: unknown key "vcpus" \(allowed: name, kind, network, userlandProxy, storage, limits, runtime, capAdd, seccomp, numactl\)/,
        );
        refuses([{ name: "x", kind: "kvm", diskBus: "ide" }], /isobench:environments\.0\.diskBus: must be one of virtio-blk, virtio-scsi/);
        refuses([{ name: "x", kind: "kvm", diskFormat: "vmdk" }], /isobench:environments\.0\.diskFormat: must be one of qcow2, raw/);
        refuses([{ kind: "kvm" }], /isobench:environments\.0: missing required key "name"/);
        refuses([{ name: "Bad.Name", kind: "native" }], /isobench:environments\.0\.name: "Bad\.Name" does not match/);
    });

    it("refuses inconsistent combinations, naming the environment", () => {
        refuses(["native", { name: "native", kind: "native" }], /isobench:environments\.1: the name "native" is used twice/);
        refuses([{ name: "k", kind: "kvm", vcpus: 2, pinning: [1] }], /isobench:environments\.0 \(k\): pinning lists 1 host CPUs for 2 vCPUs/);
        refuses([{ name: "k", kind: "kvm", iothreadPin: "0" }], /\(k\): iothreadPin is set but iothreads is 0/);
        refuses([{ name: "d", kind: "docker", network: "host", userlandProxy: true }], /\(d\): userlandProxy applies to network nat only/);
        refuses(
            [{ name: "d", kind: "docker", network: "none" }],
            /isobench:workloads\.0 \(redis\) runs a server on port 6379, which environment "d" \(network none\) cannot expose/,
            { workloads: ["redis"] },
        );
        refuses(["native"], /isobench:workloads\.0\.environments\.0: "kvm-1cpu" is not in isobench:environments \(native\)/, {
            workloads: [{ name: "redis", environments: ["kvm-1cpu"] }],
        });
    });

    it("per-workload environments: the guest size follows the workload", () => {
        const s = spec(
            ["native", { name: "kvm-1cpu", kind: "kvm", preset: "kvm-tuned", vcpus: 1 }, { name: "kvm-allcpu", kind: "kvm", preset: "kvm-tuned", vcpus: 2 }],
            {
                workloads: [
                    { name: "redis", environments: ["native", "kvm-1cpu"] },
                    { name: "sysbench-cpu", environments: ["native", "kvm-allcpu"] },
                ],
            },
        );
        const cells = planCells(s);
        assert.deepEqual(new Set(cells.filter((c) => c.workload.name === "redis").map((c) => c.environment)), new Set(["native", "kvm-1cpu"]));
        assert.deepEqual(new Set(cells.filter((c) => c.workload.name === "sysbench-cpu").map((c) => c.environment)), new Set(["native", "kvm-allcpu"]));
        assert.equal(cells.length, 3 * 2 * 2);
    });
});

describe("environment matrix: Docker variants", () => {
    it("canonical variant strings", () => {
        assert.equal(dockerVariantKey(dockerVariantOf({ network: "nat" })), "net=nat;proxy=userland;storage=volume;runtime=runc");
        assert.equal(
            dockerVariantKey(dockerVariantOf({ network: "nat", userlandProxy: false, storage: "unionfs" })),
            "net=nat;proxy=dnat;storage=unionfs;runtime=runc",
        );
        assert.equal(dockerVariantKey(dockerVariantOf({ network: "host" })), "net=host;storage=volume;runtime=runc");
        assert.equal(
            dockerVariantKey(dockerVariantOf({ network: "nat", limits: { cpuset: "1", cpus: 0.5, memory: "2g" }, capAdd: ["SYS_NICE", "IPC_LOCK"] })),
            "net=nat;proxy=userland;storage=volume;runtime=runc;cpuset=1;cpus=0.5;mem=2g;cap=IPC_LOCK+SYS_NICE",
        );
        assert.equal(
            dockerVariantKey(dockerVariantOf({ network: "none", runtime: "runsc", seccomp: "unconfined" })),
            "net=none;storage=volume;runtime=runsc;seccomp=unconfined",
        );
    });

    const args = (d: Record<string, unknown>) =>
        containerSpec({
            stack: "s",
            environment: "e",
            image: "img",
            network: "nat",
            docker: dockerVariantOf(d),
            serverPorts: [6379],
            dnatAddress: "172.17.0.1",
        });

    it("renders each knob into docker run", () => {
        assert.deepEqual(dockerRunArgs(args({ network: "nat" })).slice(0, 12), [
            "docker",
            "run",
            "-d",
            "--name",
            "isobench-s-e",
            "--network",
            "bridge",
            "-p",
            "127.0.0.1::9",
            "-p",
            "127.0.0.1::6379",
            "--mount",
        ]);
        assert.ok(dockerRunArgs(args({ network: "nat", userlandProxy: false })).includes("172.17.0.1::6379"));
        const none = dockerRunArgs(args({ network: "none", storage: "unionfs" }));
        assert.deepEqual(none.slice(5, 7), ["--network", "none"]);
        assert.ok(!none.includes("-p") && !none.includes("--mount"));
        const lim = dockerRunArgs(
            args({ network: "host", limits: { cpuset: "1", cpus: 0.5, memory: "256m" }, runtime: "runsc", capAdd: ["SYS_NICE"], seccomp: "unconfined" }),
        ).join(" ");
        assert.match(lim, /--runtime runsc --cpuset-cpus 1 --cpus 0\.5 --memory 256m --cap-add SYS_NICE --security-opt seccomp=unconfined/);
        assert.doesNotMatch(lim, / -p /);
    });

    it("creates and deletes a volume only for storage volume", () => {
        assert.match(cliCreateScript(args({ storage: "volume" })), /docker volume create/);
        assert.doesNotMatch(cliCreateScript(args({ storage: "unionfs" })), /docker volume/);
        // Only the clone sweep (by label) mentions volumes; the environment's own volume is not removed.
        assert.doesNotMatch(cliDeleteScript(args({ storage: "unionfs" })), /docker volume rm -f '/);
        assert.match(cliDeleteScript(args({ storage: "volume" })), /docker volume rm -f '/);
    });

    it("refuses DNAT publishing without the bridge gateway", () => {
        assert.throws(
            () =>
                containerSpec({ stack: "s", environment: "e", image: "i", network: "nat", docker: dockerVariantOf({ userlandProxy: false }), serverPorts: [] }),
            /needs the bridge gateway/,
        );
    });

    it("declares what the probe must measure", () => {
        assert.deepEqual(declaredDockerFacts(dockerVariantOf({ network: "nat", limits: { cpuset: "1", memory: "256m" } }), 2), {
            running: "true",
            network_mode: "bridge",
            mount_type: "volume",
            data_mount: "/data",
            runtime: "runc",
            sandbox: "none",
            nproc: "1",
            netns: "own",
            nat_path: "userland-proxy",
            cgroup_cpuset: "1",
            cgroup_cpus: "max",
            cgroup_memory: "268435456",
            caps_added: "none",
            seccomp_mode: "filter",
        });
        const union = declaredDockerFacts(dockerVariantOf({ network: "none", storage: "unionfs", runtime: "runsc" }), 2);
        assert.equal(union.data_fstype, undefined, "gVisor shows its gofer filesystem (v9fs), not overlayfs");
        assert.equal(declaredDockerFacts(dockerVariantOf({ storage: "unionfs" }), 2).data_fstype, "overlayfs");
        assert.equal(union.net_ifaces, "lo");
        assert.equal(union.sandbox, "gvisor");
        assert.equal(union.cgroup_cpus, undefined, "gVisor hides the host's cgroups: recorded, not compared");
    });
});

describe("environment matrix: probe parsers on captured output", () => {
    it("DNAT packet counters per published address and port", () => {
        const listing = fixture("iptables-nat-docker.txt");
        assert.equal(dnatPackets(listing, "172.17.0.1", 32768), 0);
        assert.equal(dnatPackets(listing.replace(/^(\s+)0(\s+)0( DNAT .*172\.17\.0\.1 .*dpt:32768 )/m, "$11$260$3"), "172.17.0.1", 32768), 1);
        // The same host port on another address is another rule.
        assert.equal(dnatPackets(listing.replace(/^(\s+)0(\s+)0( DNAT .*127\.10\.20\.30 .*dpt:32768 )/m, "$15$2300$3"), "172.17.0.1", 32768), 0);
    });

    it("docker-proxy processes per address and port", () => {
        const ps = fixture("ps-docker-proxy.txt");
        assert.ok(proxyListening(ps, "127.0.0.1", 32774));
        assert.ok(proxyListening(ps, "172.17.0.1", 32768));
        assert.ok(!proxyListening(ps, "127.0.0.1", 32768));
        assert.ok(!proxyListening(ps, "127.0.0.1", 3277));
    });

    it("userland proxy setting from Docker's nat OUTPUT rule", () => {
        assert.equal(userlandProxyOn(fixture("iptables-nat-output-userland-proxy.txt")), true);
        assert.equal(userlandProxyOn("-P OUTPUT ACCEPT\n-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER\n"), false);
        assert.equal(userlandProxyOn("-P OUTPUT ACCEPT\n"), undefined);
    });

    it("vCPU and emulator pinning as virsh reports them", () => {
        assert.equal(parseVcpupin(fixture("virsh-vcpupin.txt")), "0:1,1:0");
        assert.equal(parseEmulatorpin(fixture("virsh-emulatorpin.txt")), "0");
    });

    it("facts of the live domain XML", () => {
        assert.deepEqual(liveXmlFacts(fixture("virsh-dumpxml-live-kvm-pinned.xml")), {
            vhost: "qemu",
            domain_type: "qemu",
            hugepages: "no",
            cpu_mode: "maximum",
            cpu_model: "none",
            disk_bus: "virtio",
            disk_cache: "none",
            disk_io: "native",
            iothreads: "1",
            xml_net_queues: "2",
            xml_disk_format: "qcow2",
        });
    });

    it("the guest's declared facts agree with what libvirt reported for the same guest", () => {
        const d = resolveDomainSpec(
            kvmTuned,
            { name: "g", stack: "s", vcpus: 2, memoryMiB: 1024, diskPath: "/g.qcow2", kernel: "/k" },
            { accel: "tcg", vhostAvailable: false, hostCpuCount: 2 },
            { vhost: false, hostCpus: [1, 0], emulatorPin: "0", iothreads: 1, iothreadPin: "1", numaNodes: 2, netQueues: 2 },
        );
        const declared = declaredKvmFacts(d, 2);
        const live = {
            ...liveXmlFacts(fixture("virsh-dumpxml-live-kvm-pinned.xml")),
            vcpupin: parseVcpupin(fixture("virsh-vcpupin.txt")),
            emulatorpin: parseEmulatorpin(fixture("virsh-emulatorpin.txt")),
        };
        const shared = Object.keys(declared).filter((k) => k in live);
        assert.deepEqual(shared.sort(), [
            "cpu_mode",
            "disk_bus",
            "disk_cache",
            "disk_io",
            "domain_type",
            "emulatorpin",
            "hugepages",
            "iothreads",
            "vcpupin",
            "vhost",
        ]);
        // Disk file and boot path as measured on real guests (test/fixtures/disk-boot).
        const disk = diskFileFacts("qcow2", diskBootFixture("qemu-img-info-overlay.json"));
        const boot = guestBootFacts(diskBootFixture("guest-boot-direct.txt"));
        assert.deepEqual(contradictions(declared, { ...live, ...disk, ...boot, nproc: "2", numa_nodes: "2", net_queues: "2" }), []);
    });

    it("QEMU's default CPU model, as libvirt writes it into the live XML, is cpu_mode default", () => {
        const live = fixture("virsh-dumpxml-live-kvm-pinned.xml").replace(
            /<cpu mode='maximum'[^>]*>/,
            "<cpu mode='custom' match='exact' check='none'>\n    <model fallback='forbid'>qemu64</model>",
        );
        assert.equal(liveXmlFacts(live).cpu_mode, "default");
        assert.equal(liveXmlFacts(live.replace("qemu64", "SandyBridge")).cpu_mode, "custom");
    });

    it("host settings", () => {
        assert.equal(swapState(fixture("proc-swaps-none.txt")), "off");
        assert.equal(swapState("Filename\tType\tSize\tUsed\tPriority\n/swapfile file 1048572 0 -2\n"), "on (1048572 kB)");
        assert.equal(numactlPolicy(fixture("numactl-show.txt")), "policy=default;physcpubind=0 1;membind=0");
        assert.equal(selected("always [madvise] never"), "madvise");
        assert.equal(selected(undefined), "unavailable");
        assert.deepEqual(compareHost({ thp: "never", swap: "on" }, { thp: "madvise", swap: "on (4 kB)" }), ["thp: declared never, measured madvise"]);
    });

    it("contradictions name fact, declared and measured", () => {
        assert.deepEqual(contradictions({ nproc: "1", nat_path: "dnat" }, { nproc: "1" }), ["nat_path: declared dnat, measured (not measured)"]);
    });
});

describe("environment matrix: docker-in-kvm", () => {
    const host = mockHost();
    const s = spec(
        [
            {
                name: "dik",
                kind: "docker-in-kvm",
                guest: { preset: "kvm-tuned", vcpus: 1, vhost: "off" },
                docker: { network: "nat", limits: { memory: "256m" } },
            },
        ],
        { workloads: ["redis"] },
    );
    const env = s.environmentSpecs[0] as DockerInKvmEnv;

    it("publishes on the guest's addresses (DNAT in the guest) and records both layers in the variant", () => {
        const { domain, container, handle } = dockerInKvmEnvironment(s, env, host, [6379]);
        assert.equal(domain.kernel, "/imgd/vmlinuz", "boots the guest image with Docker");
        assert.match(domain.cmdline!, /apparmor=0$/);
        assert.equal(container.publishAddress, "0.0.0.0");
        assert.equal(handle.envKind, "docker-in-kvm");
        assert.match(
            handle.variant,
            /^vcpus=1;mem=1024m;cpu=max;topo=cores;pin=1:1;emu=separate;net=qemu;.*;docker\.net=nat;docker\.proxy=dnat;docker\.storage=volume;docker\.runtime=runc;docker\.mem=256m$/,
        );
        assert.deepEqual(handle.target, {
            kind: "docker-in-kvm",
            domain: "isobench-t-dik",
            sshKey: host.sshKey,
            knownHosts: path.join(path.dirname(domain.diskPath), "known_hosts"),
            container: "isobench-t-dik",
            network: "nat",
        });
        assert.equal(handle.declared.vcpupin, "0:1");
        assert.equal(handle.declared.nat_path, "dnat");
        assert.equal(handle.declared.cgroup_cpuset, "0", "all CPUs of the guest");
        assert.equal(handle.declared.cgroup_memory, String(256 * 1024 * 1024));
        assert.equal(handle.declared.net_queues, undefined, "the container's veth, not the guest NIC");
    });

    it("runs commands through ssh and docker exec, quoted for the guest's shell", () => {
        const { handle } = dockerInKvmEnvironment(s, env, host, [6379]);
        const argv = execArgv(handle.target, "echo 'a b'", "192.168.122.5");
        assert.deepEqual(argv.slice(-2), ["root@192.168.122.5", `'docker' 'exec' 'isobench-t-dik' '/bin/sh' '-c' 'echo '\\''a b'\\'''`]);
        assert.throws(() => execArgv(handle.target, "true"), /no IP address known/);
    });

    it("logs in with strict host-key checking against the stack's known_hosts, under the domain's name", () => {
        const { handle, domain } = dockerInKvmEnvironment(s, env, host, [6379]);
        const argv = execArgv(handle.target, "true", "192.168.122.5");
        const opts = argv.flatMap((w, i) => (argv[i - 1] === "-o" ? [w] : []));
        assert.deepEqual(
            opts.filter((o) => /^(StrictHostKeyChecking|UserKnownHostsFile|GlobalKnownHostsFile|HostKeyAlias|CheckHostIP|UpdateHostKeys)=/.test(o)),
            [
                "StrictHostKeyChecking=yes",
                `UserKnownHostsFile=${path.dirname(domain.diskPath)}/known_hosts`,
                "GlobalKnownHostsFile=/dev/null",
                "HostKeyAlias=isobench-t-dik",
                "CheckHostIP=no",
                "UpdateHostKeys=no",
            ],
        );
        assert.ok(!argv.some((w) => /StrictHostKeyChecking=no|UserKnownHostsFile=\/dev\/null/.test(w)));
    });

    it("loads the image into the guest's dockerd and creates the container with the cli driver's script", () => {
        const { container } = dockerInKvmEnvironment(s, env, host, [6379]);
        const create = guestContainerCreateScript(container, { domain: "isobench-t-dik", sshKey: "/k", knownHosts: "/g/known_hosts" }, "/repo/lc.sh");
        assert.match(create, /'StrictHostKeyChecking=yes' .*'UserKnownHostsFile=\/g\/known_hosts' .*'HostKeyAlias=isobench-t-dik' .*"root@\$ip"/);
        assert.match(create, /docker save 'isobench-bench:0123456789ab' \| 'ssh' .* docker load/);
        // The guest's disk already has room for the image: it was grown when the guest was created (kvm-guest.ts).
        assert.doesNotMatch(create, /blockresize|resize2fs/);
        assert.ok(create.includes(shellQuote(cliCreateScript(container))), "the cli driver's own create script, run in the guest");
        assert.match(cliCreateScript(container), /'--memory' '256m'/);
        assert.match(cliCreateScript(container), /'-p' '0\.0\.0\.0::6379'/);
        // The delete runs the cli driver's own delete script in the guest; what it decides is test/unit/honest-delete.test.ts.
        const del = guestContainerDeleteScript(container, { domain: "isobench-t-dik", sshKey: "/k", knownHosts: "/g/known_hosts" }, "/repo/lc.sh");
        assert.match(del, /'\/repo\/lc\.sh' state 'isobench-t-dik'/);
        assert.ok(del.includes(shellQuote(cliDeleteScript(container, "start dockerd in guest isobench-t-dik and run isobench destroy again"))));
    });

    it("refuses what a guest cannot do", () => {
        refuses([{ name: "d", kind: "docker-in-kvm", docker: { userlandProxy: true } }], /\(d\): docker\.userlandProxy must be false in a guest/);
        refuses([{ name: "d", kind: "docker-in-kvm", docker: { runtime: "runsc" } }], /\(d\): docker\.runtime runsc is not available in the guest image/);
        assert.throws(
            () => dockerInKvmEnvironment(s, env, { ...host, guestImageDocker: undefined }, []),
            /ISOBENCH_GUEST_VARIANT=docker images\/build-guest-image\.sh/,
        );
    });
});
