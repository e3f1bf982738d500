/**
 * `isobench doctor [--target <stack>]`: what a machine can run, what is missing and how to fix it,
 * and which of the studies' claims it can judge. Every check reaches the machine through its
 * transport, so a remote target is checked by the same code as this machine; only the Pulumi
 * toolchain (the controller's) and the KVM boot probe (which starts a guest here) are this
 * machine's alone.
 */
import { probeKvmBoot } from "../environments/kvm-probe";
import { Completed, combinedOutput } from "../environments/process";
import { pulumiAvailable, pulumiEnv } from "./pulumi-cli";
import { guestImageFiles, guestsDir, imageState, stateDir as stateDirOf } from "../core/paths";
import { OVMF } from "../environments/kvm/guest-files";
import { imageRecordOn, onPath, pluginInstalled, userlandProxyOn } from "./host";
import { kvmProbeCache } from "./target";
import { measureHost } from "../environments/host-facts";
import { Transport, thisMachine } from "../environments/transport";
import { BRIDGE_GATEWAY_FIX, readBridgeGateway } from "../environments/docker-bridge";
import { MachineCapabilities } from "./doctor-claims";
import { probeStability } from "./stability-probe";
import { UNSTEADY_ADVICE } from "../analysis/host-stability";

export interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    /** How to fix it; empty when ok. */
    readonly fix: string;
}

const TOOLS: Array<[string, string[], string]> = [
    ["sysbench", ["sysbench", "--version"], "apt-get install sysbench"],
    ["redis-server", ["redis-server", "--version"], "apt-get install redis-server"],
    ["redis-benchmark", ["redis-benchmark", "--version"], "apt-get install redis-tools"],
    ["qemu-img", ["qemu-img", "--version"], "apt-get install qemu-utils"],
    ["debootstrap", ["debootstrap", "--version"], "apt-get install debootstrap"],
];

/** Records one check; the fix is kept only for a failed one. */
type AddCheck = (name: string, ok: boolean, detail: string, fix: string) => void;

/** A bounded command on the machine: whether it exited 0, and its output. */
function runOn(machine: Transport, argv: string[]): { ok: boolean; out: string } {
    const c = machine.attempt(argv, 20);
    return { ok: c.status === 0 && !c.error, out: combinedOutput(c) };
}

/** dockerd, gVisor, the userland proxy and the bridge gateway. */
function dockerChecks(add: AddCheck, machine: Transport): void {
    const run = (argv: string[]) => runOn(machine, argv);
    const d = run(["docker", "info", "--format", "{{.ServerVersion}} storage={{.Driver}}"]);
    add(
        "docker",
        d.ok,
        d.ok ? `dockerd ${d.out}` : d.out.split("\n").slice(-1)[0],
        "run scripts/daemons.sh (or: apt-get install docker.io && systemctl start docker)",
    );
    if (d.ok) {
        const rt = run(["docker", "info", "--format", "{{json .Runtimes}}"]);
        const runsc = /"runsc"/.test(rt.out);
        add(
            "docker runtime runsc (gVisor)",
            runsc,
            runsc ? `registered: ${/"runsc":(\{[^}]*\})/.exec(rt.out)?.[1] ?? ""}` : "not registered (only environments with runtime: runsc need it)",
            "apt-get install runsc; ISOBENCH_RUNSC=1 scripts/daemons.sh",
        );
        const out = run(["iptables", "-w", "5", "-t", "nat", "-S", "OUTPUT"]);
        const proxy = out.ok ? userlandProxyOn(out.out) : undefined;
        add(
            "docker userland proxy",
            proxy !== undefined,
            proxy === undefined
                ? "unknown (no DOCKER rule in the nat OUTPUT chain)"
                : proxy
                  ? "on: loopback-published ports go through docker-proxy; userlandProxy: false publishes on the bridge gateway (DNAT)"
                  : "off: every published port is DNATed (userlandProxy: true environments are refused)",
            "run dockerd with iptables enabled (the default)",
        );
        let gateway: { ok: boolean; detail: string };
        try {
            const g = readBridgeGateway(machine);
            gateway = { ok: true, detail: `${g.address}, from ${g.source}` };
        } catch (e) {
            gateway = { ok: false, detail: (e as Error).message };
        }
        add("docker bridge gateway", gateway.ok, gateway.detail, BRIDGE_GATEWAY_FIX);
    }
}

/** The host's settings and versions, as host.csv records them (informational). */
function hostChecks(checks: Check[], machine: Transport): void {
    const h = measureHost(machine);
    checks.push({
        name: "host settings (recorded in host.csv)",
        ok: true,
        detail: `governor ${h.governor}; boost ${h.boost}; THP ${h.thp}; swap ${h.swap}; hugepages ${h.hugepages_total}; numactl ${h.native_numactl_policy}`,
        fix: "",
    });
    checks.push({
        name: "host versions",
        ok: true,
        detail: `kernel ${h.kernel}; docker ${h.docker}; containerd ${h.containerd}; runc ${h.runc}; runsc ${h.runsc}; qemu ${h.qemu}; libvirt ${h.libvirt}`,
        fix: "",
    });
}

/** The bounded virsh call as a check reads it. */
const virshOn = (machine: Transport, ...args: string[]): { ok: boolean; out: string } => {
    const c: Completed = machine.virsh(20, args);
    return { ok: c.status === 0 && !c.error, out: combinedOutput(c) };
};

/** Prints which device files exist and what /dev/kvm allows, one word a line (parsed by deviceFacts). */
const DEVICES_SCRIPT =
    "[ -e /dev/vhost-net ] && echo vhost-net; [ -c /dev/kvm ] && echo kvm; [ -r /dev/kvm ] && [ -w /dev/kvm ] && echo kvm-rw; " +
    `[ -e ${OVMF.code} ] && [ -e ${OVMF.varsTemplate} ] && echo ovmf; grep -qE '^flags.*\\b(vmx|svm)\\b' /proc/cpuinfo && echo vmx-svm; true`;

/** libvirtd and its default network, whether KVM boots guests, vhost-net and hugepages. */
function virtualisationChecks(add: AddCheck, machine: Transport, stateDir: string, devices: ReadonlySet<string>): MachineCapabilities["kvm"] {
    const v = virshOn(machine, "version");
    add(
        "libvirt",
        v.ok,
        v.ok ? (v.out.split("\n").find((l) => /hypervisor/i.test(l)) ?? v.out).trim() : v.out.split("\n").slice(-1)[0],
        "run scripts/daemons.sh (or: apt-get install libvirt-daemon-system && systemctl start libvirtd)",
    );
    const n = virshOn(machine, "net-info", "default");
    add(
        "libvirt network default",
        n.ok && /Active:\s+yes/.test(n.out),
        n.ok ? (/Active:\s+(\w+)/.exec(n.out)?.[0] ?? n.out) : n.out.split("\n").slice(-1)[0],
        "virsh net-start default (scripts/daemons.sh does it)",
    );

    let kvm: MachineCapabilities["kvm"] = machine.target.kind === "local" ? "unknown" : "remote";
    const kvmFix = "use a host with hardware virtualisation on (bare metal, or nested KVM that boots stock kernels) and the kvm_intel/kvm_amd module loaded";
    if (machine.target.kind === "local") {
        const guest = imageState(stateDir, "guest-image");
        if (guest.value !== undefined) {
            const files = guestImageFiles(guest.value);
            const p = probeKvmBoot(machine, files.kernel, files.initrd, kvmProbeCache(machine.target, stateDir));
            add(
                "KVM boots guests",
                p.usable,
                p.detail,
                "use a host with hardware virtualisation (bare metal, or nested KVM that boots stock kernels); or run isobench up <stack> --allow-emulation (guests under QEMU software emulation, labelled accel=tcg: not KVM numbers)",
            );
            kvm = p.usable ? "kvm" : "emulated";
        } else {
            add("KVM boots guests", false, `unknown: no guest image (${guest.file} missing)`, "run images/build-guest-image.sh, then isobench doctor again");
        }
    } else {
        // The boot probe starts a guest on this machine; on a target only the device can be checked until guests run there.
        const usable = devices.has("kvm") && devices.has("kvm-rw");
        add(
            "KVM device",
            usable,
            `${usable ? "/dev/kvm present, read-write" : devices.has("kvm") ? "/dev/kvm present but not read-write for this login" : "/dev/kvm missing"}; CPU virtualisation flags ${devices.has("vmx-svm") ? "vmx/svm present" : "absent"}; whether it boots a stock guest is probed on this machine only`,
            kvmFix,
        );
    }
    add(
        "vhost-net",
        devices.has("vhost-net"),
        devices.has("vhost-net") ? "/dev/vhost-net present" : "/dev/vhost-net missing",
        "modprobe vhost_net (kvm-tuned then uses in-kernel virtio-net)",
    );
    const meminfo = machine.readFiles(["/proc/meminfo"]).get("/proc/meminfo") ?? "";
    const hp = /HugePages_Total:\s+(\d+)/.exec(meminfo)?.[1] ?? "0";
    add("hugepages", Number(hp) > 0, `HugePages_Total=${hp}`, "echo 1024 > /proc/sys/vm/nr_hugepages (needed only for guests with hugepages: true)");
    return kvm;
}

/** The benchmark tools on the machine and the built images. */
function toolAndImageChecks(add: AddCheck, checks: Check[], machine: Transport, stateDir: string, devices: ReadonlySet<string>): void {
    for (const [name, argv, fix] of TOOLS) {
        const r = runOn(machine, argv);
        add(name, r.ok, r.ok ? r.out.split("\n")[0] : "not found", fix);
    }
    // up runs containers from the image this machine records, on whichever machine it measures.
    const container = imageState(stateDir, "container-image");
    const there = container.value !== undefined && runOn(machine, ["docker", "image", "inspect", "--format", "{{.Id}}", container.value]).ok;
    add(
        "container image",
        there,
        container.value === undefined
            ? `${container.file} missing`
            : there
              ? container.value
              : `${container.value} is not in the Docker daemon of ${machine.label}`,
        machine.target.kind === "local" ? "run images/build-container-image.sh (or scripts/setup.sh)" : "run isobench setup-target <stack>",
    );
    const guest = imageRecordOn(machine, stateDir, "guest-image");
    add(
        "guest image",
        guest.value !== undefined,
        guest.value ?? `${guest.file} missing`,
        machine.target.kind === "local" ? "run images/build-guest-image.sh (or scripts/setup.sh)" : "run isobench setup-target <stack>",
    );
    // Optional: only environments with boot: bootloader need them (refused before provisioning otherwise).
    const boot = imageRecordOn(machine, stateDir, "guest-image-bootloader");
    checks.push({
        name: "bootloader guest image (boot: bootloader)",
        ok: true,
        detail: `${boot.value ?? "not built: images/build-guest-bootloader-image.sh"}; UEFI firmware ${devices.has("ovmf") ? "present" : "missing: apt-get install ovmf"}`,
        fix: "",
    });
}

/** Below this, a stack's containers, guest disks or native data run out before much is measured (isobench plan says what a stack needs). */
const LOW_SPACE_BYTES = 5e9;

/** Prints `<path> <free KiB>` for each argument, for the nearest folder of it that exists. */
const FREE_SPACE_SCRIPT = 'for p; do q="$p"; while [ ! -e "$q" ]; do q=$(dirname "$q"); done; echo "$p $(df -Pk "$q" | awk \'NR == 2 { print $4 }\')"; done';

/** Free space where a stack writes: Docker's data root, the guests' disks, native data (/var/tmp). */
function spaceChecks(add: AddCheck, machine: Transport): void {
    const root = runOn(machine, ["docker", "info", "--format", "{{.DockerRootDir}}"]);
    const places: Array<[string, string]> = [
        ...(root.ok && root.out.trim() ? ([["Docker's data root", root.out.trim()]] as Array<[string, string]>) : []),
        ["guest disks", guestsDir()],
        ["native data", "/var/tmp"],
    ];
    const r = runOn(machine, ["/bin/sh", "-c", FREE_SPACE_SCRIPT, "sh", ...places.map(([, p]) => p)]);
    const free = new Map(
        r.out
            .split("\n")
            .map((l) => /^(\S+) (\d+)$/.exec(l))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1], Number(m[2]) * 1024]),
    );
    const rows = places.map(([what, p]) => ({ what, p, bytes: free.get(p) }));
    const low = rows.filter((x) => x.bytes === undefined || x.bytes < LOW_SPACE_BYTES);
    add(
        "free space",
        r.ok && low.length === 0,
        rows.map((x) => `${x.what} ${x.p}: ${x.bytes === undefined ? "unknown" : `${(x.bytes / 1e9).toFixed(1)} GB free`}`).join("; "),
        `free space there (at least ${LOW_SPACE_BYTES / 1e9} GB each); isobench plan <stack> says what a stack needs`,
    );
}

/** The Pulumi CLI, its nodejs language host and the command plugin. */
function pulumiChecks(add: AddCheck, checks: Check[], repoRoot: string): void {
    const env = pulumiEnv(repoRoot);
    const pv = pulumiAvailable(env);
    add(
        "pulumi CLI",
        !!pv,
        pv ? `pulumi ${pv}` : "not found on PATH nor in .tools/bin",
        "run scripts/pulumi-toolchain.sh (builds it from Go modules) or install Pulumi: https://www.pulumi.com/docs/install/",
    );
    // pulumiEnv puts .tools/bin first on PATH, where scripts/pulumi-toolchain.sh installs it.
    const lh = onPath("pulumi-language-nodejs", env);
    add("pulumi nodejs language host", lh, lh ? "present" : "missing", "run scripts/pulumi-toolchain.sh");
    // The same lookup that decides the backend of command resources (experiment/host.ts).
    const cmdPlugin = pluginInstalled("command", env);
    checks.push({
        name: "pulumi command plugin",
        ok: true,
        detail: cmdPlugin ? "present: command resources use @pulumi/command" : "absent: command resources use isobench's dynamic provider (same semantics)",
        fix: "",
    });
}

export interface DoctorReport {
    readonly checks: readonly Check[];
    /** What the checks found that decides which published claims the machine can judge (doctor-claims.ts). */
    readonly capabilities: MachineCapabilities;
}

/**
 * Every check of `machine` (this one by default; a stack's remote target with --target). The image
 * records are read at this checkout's state path there, where setup-target's build writes them.
 */
export function doctor(repoRoot: string, machine: Transport = thisMachine()): DoctorReport {
    const checks: Check[] = [];
    const add: AddCheck = (name, ok, detail, fix) => checks.push({ name, ok, detail, fix: ok ? "" : fix });
    const stateDir = stateDirOf(repoRoot);
    const devices = new Set(runOn(machine, ["/bin/sh", "-c", DEVICES_SCRIPT]).out.split("\n"));

    dockerChecks(add, machine);
    hostChecks(checks, machine);
    const kvm = virtualisationChecks(add, machine, stateDir, devices);
    toolAndImageChecks(add, checks, machine, stateDir, devices);
    spaceChecks(add, machine);
    // The Pulumi toolchain runs on the controller whatever the target is.
    if (machine.target.kind === "local") pulumiChecks(add, checks, repoRoot);
    const ok = (name: string) => checks.some((c) => c.name === name && c.ok);
    return { checks, capabilities: { docker: ok("docker"), kvm, vhost: devices.has("vhost-net") } };
}

/**
 * `isobench doctor --stability`: the CPU-to-CPU round trip probe as a check (not part of doctor():
 * it takes its seconds). Not ok when unsteady or when the probe could not run.
 */
export function stabilityCheck(machine: Transport, seconds: number): Check {
    const p = probeStability(machine, seconds);
    if (!p.ok)
        return {
            name: "stability",
            ok: false,
            detail: `not measured: ${p.why}`,
            fix: "the reason above says what failed; netperf and netserver must run there (apt-get install netperf, the netperf workload's tool)",
        };
    return { name: "stability", ok: p.stability.steady, detail: p.stability.detail, fix: p.stability.steady ? "" : UNSTEADY_ADVICE };
}

export function formatChecks(checks: readonly Check[]): string {
    const w = Math.max(...checks.map((c) => c.name.length));
    return checks.map((c) => `${c.ok ? " ok " : "MISS"}  ${c.name.padEnd(w)}  ${c.detail}${c.fix ? `\n      ${"".padEnd(w)}  fix: ${c.fix}` : ""}`).join("\n");
}
