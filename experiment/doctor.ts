/** `isobench doctor`: what this host can run, what is missing, and how to fix it. */
import * as fs from "fs";
import * as path from "path";
import { probeKvmBoot } from "../environments/kvm-probe";
import { attempt, combinedOutput, virshArgv } from "../environments/process";
import { pulumiAvailable, pulumiEnv } from "./pulumi-cli";
import { guestImageFiles, imageState, stateDir as stateDirOf } from "../core/paths";
import { OVMF } from "../environments/kvm/guest-files";
import { onPath, pluginInstalled, userlandProxyOn } from "./host";
import { measureHost } from "../environments/host-facts";
import { thisMachine } from "../environments/transport";
import { BRIDGE_GATEWAY_FIX, readBridgeGateway } from "../environments/docker-bridge";

export interface Check {
    readonly name: string;
    readonly ok: boolean;
    readonly detail: string;
    /** How to fix it; empty when ok. */
    readonly fix: string;
}

function run(argv: string[]): { ok: boolean; out: string } {
    const c = attempt(argv, 20);
    return { ok: c.status === 0, out: combinedOutput(c) };
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

/** dockerd, gVisor, the userland proxy and the bridge gateway. */
function dockerChecks(add: AddCheck): void {
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
            const g = readBridgeGateway(thisMachine());
            gateway = { ok: true, detail: `${g.address}, from ${g.source}` };
        } catch (e) {
            gateway = { ok: false, detail: (e as Error).message };
        }
        add("docker bridge gateway", gateway.ok, gateway.detail, BRIDGE_GATEWAY_FIX);
    }
}

/** The host's settings and versions, as host.csv records them (informational). */
function hostChecks(checks: Check[]): void {
    const h = measureHost(thisMachine());
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

/** libvirtd and its default network, whether KVM boots guests, vhost-net and hugepages. */
function virtualisationChecks(add: AddCheck, stateDir: string): void {
    const v = run(virshArgv(20, "version"));
    add(
        "libvirt",
        v.ok,
        v.ok ? (v.out.split("\n").find((l) => /hypervisor/i.test(l)) ?? v.out).trim() : v.out.split("\n").slice(-1)[0],
        "run scripts/daemons.sh (or: apt-get install libvirt-daemon-system && systemctl start libvirtd)",
    );
    const n = run(virshArgv(20, "net-info", "default"));
    add(
        "libvirt network default",
        n.ok && /Active:\s+yes/.test(n.out),
        n.ok ? (/Active:\s+(\w+)/.exec(n.out)?.[0] ?? n.out) : n.out.split("\n").slice(-1)[0],
        "virsh net-start default (scripts/daemons.sh does it)",
    );

    const guest = imageState(stateDir, "guest-image");
    if (guest.value !== undefined) {
        const files = guestImageFiles(guest.value);
        const p = probeKvmBoot(thisMachine(), files.kernel, files.initrd, path.join(stateDir, "kvm-probe.json"));
        add(
            "KVM boots guests",
            p.usable,
            p.detail,
            "use a host with hardware virtualisation (bare metal, or nested KVM that boots stock kernels); or run isobench up <stack> --allow-emulation (guests under QEMU software emulation, labelled accel=tcg: not KVM numbers)",
        );
    } else {
        add("KVM boots guests", false, `unknown: no guest image (${guest.file} missing)`, "run images/build-guest-image.sh, then isobench doctor again");
    }
    add(
        "vhost-net",
        fs.existsSync("/dev/vhost-net"),
        fs.existsSync("/dev/vhost-net") ? "/dev/vhost-net present" : "/dev/vhost-net missing",
        "modprobe vhost_net (kvm-tuned then uses in-kernel virtio-net)",
    );
    const hp = fs.existsSync("/proc/meminfo") ? (/HugePages_Total:\s+(\d+)/.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1] ?? "0") : "0";
    add("hugepages", Number(hp) > 0, `HugePages_Total=${hp}`, "echo 1024 > /proc/sys/vm/nr_hugepages (needed only for guests with hugepages: true)");
}

/** The benchmark tools on the host and the built images. */
function toolAndImageChecks(add: AddCheck, checks: Check[], stateDir: string): void {
    for (const [name, argv, fix] of TOOLS) {
        const r = run(argv);
        add(name, r.ok, r.ok ? r.out.split("\n")[0] : "not found", fix);
    }
    for (const [name, file, fix] of [
        ["container image", "container-image", "images/build-container-image.sh"],
        ["guest image", "guest-image", "images/build-guest-image.sh"],
    ] as const) {
        const s = imageState(stateDir, file);
        add(name, s.value !== undefined, s.value ?? `${s.file} missing`, `run ${fix} (or scripts/setup.sh)`);
    }
    // Optional: only environments with boot: bootloader need them (refused before provisioning otherwise).
    const boot = imageState(stateDir, "guest-image-bootloader");
    const ovmf = [OVMF.code, OVMF.varsTemplate].every((f) => fs.existsSync(f));
    checks.push({
        name: "bootloader guest image (boot: bootloader)",
        ok: true,
        detail: `${boot.value ?? "not built: images/build-guest-bootloader-image.sh"}; UEFI firmware ${ovmf ? "present" : "missing: apt-get install ovmf"}`,
        fix: "",
    });
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

export function doctor(repoRoot: string): Check[] {
    const checks: Check[] = [];
    const add: AddCheck = (name, ok, detail, fix) => checks.push({ name, ok, detail, fix: ok ? "" : fix });
    const stateDir = stateDirOf(repoRoot);

    dockerChecks(add);
    hostChecks(checks);
    virtualisationChecks(add, stateDir);
    toolAndImageChecks(add, checks, stateDir);
    pulumiChecks(add, checks, repoRoot);
    return checks;
}

export function formatChecks(checks: readonly Check[]): string {
    const w = Math.max(...checks.map((c) => c.name.length));
    return checks.map((c) => `${c.ok ? " ok " : "MISS"}  ${c.name.padEnd(w)}  ${c.detail}${c.fix ? `\n      ${"".padEnd(w)}  fix: ${c.fix}` : ""}`).join("\n");
}
