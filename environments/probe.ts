/**
 * Environment facts measured from the inside (and, for Docker and KVM, as the daemon reports
 * them), written to environments.csv. Declared facts that the measurement contradicts stop the run.
 */
import { quietGuests } from "./kvm/quiet-guests";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { execArgv, guestArgv, inGuest } from "./exec-target";
import { EnvironmentHandle } from "../core/environment-handle";
import { guestIp } from "./kvm/guest-ip";
import { Transport, transportOf } from "./transport";
import { shellQuote as q } from "../core/shell";
import { Runner, measureNatPath } from "./nat-path";
import { capabilityNames, capsAddedToDocker, seccompMode } from "./capabilities";
import { parseNumactlShow } from "../core/numa";
import { unescapeXml } from "../core/xml";

/**
 * Runs inside every environment (POSIX sh); prints key=value lines: CPUs and flags, cgroup limits
 * in effect (v2, else v1; unlimited = max), the data directory's filesystem and mount point,
 * network interfaces and namespace, NUMA nodes, hugepages, whether the kernel is gVisor's, the
 * effective capabilities and seccomp mode of a process there (/proc/self/status), and the numactl
 * policy it runs under (`numactl --show`, lines joined with "|"; see insideDerivedFacts).
 */
export function insideFactsScript(dataDir: string): string {
    const d = q(dataDir);
    return [
        `mkdir -p ${d} 2>/dev/null`,
        `echo "nproc=$(nproc)"`,
        `echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"`,
        `for f in avx avx2 avx512f; do if grep -qw $f /proc/cpuinfo; then echo $f=yes; else echo $f=no; fi; done`,
        `echo "kernel=$(uname -r)"`,
        `echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"`,
        `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo cgroup_version=2; cs=$(cat /sys/fs/cgroup/cpuset.cpus.effective 2>/dev/null); cm=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo max); qu=\${cm%% *}; pe=\${cm##* }; mm=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || echo max)`,
        `else echo cgroup_version=1; cs=$(cat /sys/fs/cgroup/cpuset/cpuset.effective_cpus 2>/dev/null); qu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>/dev/null || echo -1); pe=$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us 2>/dev/null || echo 100000); mm=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo max); fi`,
        `echo "cgroup_cpuset=\${cs:-none}"`,
        `if [ "$qu" = max ] || [ "$qu" = -1 ]; then echo cgroup_cpus=max; else awk -v q="$qu" -v p="$pe" 'BEGIN { printf "cgroup_cpus=%g\\n", q / p }'; fi`,
        // cgroup v1 writes "unlimited" as a page-rounded 2^63-1 (19 digits).
        `if [ "$mm" = max ] || [ \${#mm} -ge 19 ]; then echo cgroup_memory=max; else echo "cgroup_memory=$mm"; fi`,
        `if [ -d ${d} ]; then echo "data_fstype=$(stat -f -c %T ${d})"; echo "data_mount=$(df -P ${d} | awk 'NR == 2 {print $6}')"; else echo data_fstype=none; fi`,
        `di=$(ip -o route show default 2>/dev/null | awk '{print $5; exit}'); echo "default_if=$di"`,
        `echo "ipv4=$(ip -o -4 addr show scope global 2>/dev/null | awk '{print $2 "=" $4}' | tr '\n' ' ' | sed 's/ *$//')"`,
        `echo "net_ifaces=$(ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | sort | tr '\\n' ',' | sed 's/,$//')"`,
        `echo "netns_inode=$(readlink /proc/self/ns/net)"`,
        `if [ -n "$di" ]; then echo "net_queues=$(ls -d /sys/class/net/$di/queues/rx-* 2>/dev/null | wc -l)"; fi`,
        `echo "numa_nodes=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)"`,
        `echo "hugepages_total=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)"`,
        `if dmesg 2>/dev/null | grep -q gVisor; then echo sandbox=gvisor; else echo sandbox=none; fi`,
        `echo "cap_eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)"`,
        `echo "seccomp_field=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)"`,
        `if command -v numactl >/dev/null 2>&1; then echo "numactl_show=$(numactl --show 2>&1 | tr '\n' '|')"; fi`,
    ].join("\n");
}

/**
 * Turns the raw capability, seccomp and numactl lines of the inside script into facts: cap_eff
 * (the mask) and caps (its names), caps_added (beyond Docker's default set; containers only),
 * seccomp_mode (filter, disabled, strict), and numa_* (parseNumactlShow).
 */
export function insideDerivedFacts(raw: Readonly<Record<string, string>>, envKind: EnvironmentHandle["envKind"]): Record<string, string> {
    const { seccomp_field: seccomp, numactl_show: show, ...rest } = raw;
    const out: Record<string, string> = { ...rest };
    // gVisor and other sandboxes may show no (or an odd) CapEff/Seccomp line: recorded as missing, not parsed.
    if (raw.cap_eff && /^[0-9a-fA-F]{1,16}$/.test(raw.cap_eff)) {
        const names = capabilityNames(raw.cap_eff);
        out.caps = names.join("+") || "none";
        if (envKind === "docker" || envKind === "docker-in-kvm") out.caps_added = capsAddedToDocker(names);
    }
    if (seccomp) out.seccomp_mode = seccompMode(seccomp);
    if (show !== undefined) Object.assign(out, parseNumactlShow(show.replace(/\|/g, "\n")));
    return out;
}

/** The inside script for the container data directory (kept for callers of the first version). */
export const INSIDE_FACTS_SCRIPT = insideFactsScript("/data");

export function parseFacts(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        const i = line.indexOf("=");
        if (i > 0) out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return out;
}

/** Contradictions between declared and measured facts, one sentence each. */
export function contradictions(declared: Readonly<Record<string, string>>, measured: Readonly<Record<string, string>>): string[] {
    return Object.entries(declared)
        .filter(([k, v]) => measured[k] !== v)
        .map(([k, v]) => `${k}: declared ${v}, measured ${measured[k] ?? "(not measured)"}`);
}

/** Parses `virsh vcpupin` output ("0      1") into "vcpu:cpu" pairs, e.g. "0:1,1:2". */
export function parseVcpupin(text: string): string {
    const pairs: string[] = [];
    for (const line of text.split("\n")) {
        const m = /^\s*(\d+)\s+(\S+)\s*$/.exec(line);
        if (m) pairs.push(`${m[1]}:${m[2]}`);
    }
    return pairs.join(",");
}

/** `virsh emulatorpin` ("emulator: CPU Affinity … *: 0-1") → "0-1". */
export function parseEmulatorpin(text: string): string {
    return /^\s*\*:\s*(\S+)\s*$/m.exec(text)?.[1] ?? "unknown";
}

/**
 * CPU mode as declared (environments/kvm/knobs.ts): libvirt (9.0) writes QEMU's default model out as
 * `<cpu mode='custom'><model>qemu64</model>` in the live XML, which is what `default` asked for.
 */
function cpuMode(cpuTag: string, model: string | undefined): string {
    const mode = /mode='([\w-]+)'/.exec(cpuTag)?.[1];
    if (mode === undefined || (mode === "custom" && model === "qemu64")) return "default";
    return mode;
}

/** Facts of a live domain XML (what libvirt actually runs, not what was asked). */
export function liveXmlFacts(xml: string): Record<string, string> {
    const iface = /<interface[\s\S]*?<\/interface>/.exec(xml)?.[0] ?? "";
    const driver = /<driver name='(\w+)'/.exec(iface);
    const queues = /<driver [^>]*queues='(\d+)'/.exec(iface);
    const disk = /<disk type='file' device='disk'>[\s\S]*?<\/disk>/.exec(xml)?.[0] ?? "";
    const cpu = /<cpu(?: [^>]*)?\/?>/.exec(xml)?.[0] ?? "";
    const model = /<cpu[\s\S]*?<model[^>]*>([^<]+)<\/model>/.exec(xml)?.[1];
    return {
        vhost: driver ? driver[1] : "unspecified",
        domain_type: /<domain type='(\w+)'/.exec(xml)?.[1] ?? "unknown",
        hugepages: /<hugepages\/>/.test(xml) ? "yes" : "no",
        cpu_mode: cpuMode(cpu, model),
        cpu_model: model ?? "none",
        disk_bus: /<target dev='\w+' bus='(\w+)'/.exec(disk)?.[1] ?? "unknown",
        disk_cache: /<driver [^>]*cache='(\w+)'/.exec(disk)?.[1] ?? "default",
        disk_io: /<driver [^>]*io='(\w+)'/.exec(disk)?.[1] ?? "default",
        iothreads: /<iothreads>(\d+)<\/iothreads>/.exec(xml)?.[1] ?? "0",
        xml_net_queues: queues ? queues[1] : "1",
        xml_disk_format: /<driver [^>]*type='(\w+)'/.exec(disk)?.[1] ?? "unknown",
    };
}

/** The file behind the live domain's disk (`<source file=…>`), undefined when it is not file-backed. */
export function diskSourceOf(xml: string): string | undefined {
    const disk = /<disk type='file' device='disk'>[\s\S]*?<\/disk>/.exec(xml)?.[0] ?? "";
    const src = /<source file='([^']*)'/.exec(disk)?.[1];
    return src === undefined ? undefined : unescapeXml(src);
}

/**
 * The disk file as qemu-img finds it (`qemu-img info -U --output=json`): its format and whether it
 * is an overlay on a backing file. When the format libvirt hands QEMU (`xmlFormat`) is not what
 * the file is, disk_format says both, so it contradicts any declaration.
 */
export function diskFileFacts(xmlFormat: string, qemuImgInfoJson: string): { disk_format: string; disk_backing: string } {
    const info = JSON.parse(qemuImgInfoJson) as { format?: string; "backing-filename"?: string };
    const file = info.format ?? "unknown";
    return {
        disk_format: file === xmlFormat ? file : `file ${file}, libvirt ${xmlFormat}`,
        disk_backing: info["backing-filename"] ? "overlay" : "none",
    };
}

/**
 * Runs in a guest (POSIX sh, not in a container, whose /sys/firmware Docker masks): how it was
 * booted, measured from inside. UEFI firmware leaves /sys/firmware/efi; systemd-boot leaves its
 * LoaderInfo variable (UTF-16 after 4 attribute bytes; efivarfs cannot seek, hence cat | tail);
 * GRUB and syslinux put BOOT_IMAGE= on the kernel command line. QEMU's direct kernel boot leaves
 * none of them.
 */
export const GUEST_BOOT_SCRIPT = [
    `if [ -d /sys/firmware/efi ]; then echo boot_firmware=uefi; else echo boot_firmware=bios; fi`,
    `li=/sys/firmware/efi/efivars/LoaderInfo-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f`,
    `if [ -r "$li" ]; then echo "boot_loader=$(cat "$li" | tail -c +5 | tr -d '\\000')"; elif grep -q 'BOOT_IMAGE=' /proc/cmdline; then echo boot_loader=BOOT_IMAGE; else echo boot_loader=none; fi`,
    `echo "kernel_cmdline=$(cat /proc/cmdline)"`,
].join("\n");

/** boot = bootloader when a bootloader identified itself (LoaderInfo or BOOT_IMAGE), else direct. */
export function guestBootFacts(text: string): Record<string, string> {
    const f = parseFacts(text);
    return { ...f, boot: f.boot_loader && f.boot_loader !== "none" ? "bootloader" : "direct" };
}

/** Threads of the guest's QEMU process named vhost-<pid>: vhost-net in use when > 0. */
function vhostThreads(host: Transport, domain: string): string {
    const pid = host.attempt(["cat", `/run/libvirt/qemu/${domain}.pid`], 10).stdout.trim();
    if (!/^\d+$/.test(pid)) return "unknown (no QEMU pid)";
    const comms = host
        .attempt(["ps", "-eLo", "comm"], 30)
        .stdout.split("\n")
        .map((l) => l.trim());
    return String(comms.filter((c) => c === `vhost-${pid}`).length);
}

/**
 * What dockerd reports about a container, and the NAT path measured on the wire.
 * @param netnsRef the network namespace of the daemon's host (the host, or the guest)
 */
function dockerFacts(
    container: string,
    run: Runner,
    onHost: Runner,
    netnsRef: string,
    inside: Readonly<Record<string, string>>,
    connectHost?: string,
): Record<string, string> {
    const out = (argv: string[], what: string) => {
        const c = run(argv);
        if (c.status !== 0) throw new Error(`${what} failed (exit ${c.status}): ${(c.stderr || c.stdout).trim().slice(-1000)}`);
        return c.stdout;
    };
    const f = parseFacts(
        out(
            [
                "docker",
                "inspect",
                "-f",
                "network_mode={{.HostConfig.NetworkMode}}\nmount_type={{range .Mounts}}{{.Type}}{{end}}\nrunning={{.State.Running}}\nruntime={{.HostConfig.Runtime}}",
                container,
            ],
            `docker inspect ${container}`,
        ),
    );
    const ports = run(["docker", "port", container]).stdout.trim().replace(/\n/g, " ");
    const info = parseFacts(
        out(
            ["docker", "info", "-f", "storage_driver={{.Driver}}\ndocker_version={{.ServerVersion}}\nsecurity_options={{range .SecurityOptions}}{{.}} {{end}}"],
            "docker info",
        ),
    );
    const runtimes = run(["docker", "info", "-f", "{{json .Runtimes}}"]).stdout;
    const args = (/"runsc":\{[^}]*"runtimeArgs":\[([^\]]*)\]/.exec(runtimes)?.[1] ?? "").replace(/"/g, "");
    return {
        ...f,
        mount_type: f.mount_type || "none",
        published_ports: ports || "none",
        netns: inside.netns_inode === netnsRef ? "host" : "own",
        ...(f.network_mode === "bridge" && { nat_path: measureNatPath(container, run, onHost, connectHost) }),
        ...(f.runtime === "runsc" && { runsc_args: args || "none" }),
        ...info,
    };
}

function outsideFacts(host: Transport, h: EnvironmentHandle, inside: Readonly<Record<string, string>>, ip?: string): Record<string, string> {
    const t = h.target;
    const onHost: Runner = (argv) => host.attempt(argv, 120);
    const hostNs = (() => {
        const r = onHost(["readlink", "/proc/self/ns/net"]);
        return r.status === 0 ? r.stdout.trim() : "unknown";
    })();
    if (t.kind === "native") return { netns: inside.netns_inode === hostNs ? "host" : "own" };
    if (t.kind === "docker") return dockerFacts(t.container, onHost, onHost, hostNs, inside);
    if (t.kind === "kvm" || t.kind === "docker-in-kvm") {
        const virsh = (...a: string[]) => {
            const c = host.virsh(30, a);
            if (c.error || c.status !== 0)
                throw new Error(`virsh ${a[0]} failed (exit ${c.status}): ${(c.stderr || c.stdout || c.error || "").trim().slice(-2000)}`);
            return c.stdout;
        };
        let docker: Record<string, string> = {};
        if (t.kind === "docker-in-kvm") {
            const run: Runner = (argv) => host.attempt(guestArgv(t, argv, ip), 120);
            const guestNs = run(["readlink", "/proc/self/ns/net"]).stdout.trim();
            docker = dockerFacts(t.container, run, onHost, guestNs, inside, ip);
        }
        const xml = virsh("dumpxml", t.domain);
        const live = liveXmlFacts(xml);
        const src = diskSourceOf(xml);
        const disk =
            src === undefined
                ? { disk_format: "not file-backed", disk_backing: "unknown" }
                : diskFileFacts(live.xml_disk_format, host.mustRun(["qemu-img", "info", "-U", "--output=json", src], 60, `qemu-img info ${src}`));
        const boot = guestBootFacts(host.mustRun(guestArgv(t, ["/bin/sh", "-c", GUEST_BOOT_SCRIPT], ip), 120, `boot facts of ${t.domain}`));
        return {
            ...docker,
            ...live,
            ...disk,
            ...boot,
            vcpupin: parseVcpupin(virsh("vcpupin", t.domain)),
            emulatorpin: parseEmulatorpin(virsh("emulatorpin", t.domain)),
            vhost_threads: vhostThreads(host, t.domain),
            qemu_version: (/Running hypervisor: QEMU (\S+)/.exec(virsh("version")) ?? [])[1] ?? "unknown",
        };
    }
    return {};
}

const COLUMNS = ["environment", "env_kind", "variant", "accel", "fact", "value", "declared", "measured_at"] as const;

/** Measures one environment, writes envfacts/<name>.json and regenerates environments.csv. */
/**
 * Probes an environment again after it was brought back (environments/revive.ts) or created again
 * (`isobench up` replacing what was removed): the facts of the earlier probe move to
 * envfacts/superseded/<env>.<k>.json (kept, not in environments.csv), and the new ones record what
 * was done as the fact `fact` (`revived`, `recreated`).
 */
export function reprobeEnvironment(resultsDir: string, h: EnvironmentHandle, revived: readonly string[], fact = "revived"): Record<string, string> {
    const dir = path.join(resultsDir, "envfacts");
    const current = path.join(dir, `${h.name}.json`);
    if (fs.existsSync(current)) {
        const aside = path.join(dir, "superseded");
        fs.mkdirSync(aside, { recursive: true });
        const k = fs.readdirSync(aside).filter((f) => f.startsWith(`${h.name}.`)).length + 1;
        fs.renameSync(current, path.join(aside, `${h.name}.${k}.json`));
    }
    return probeEnvironment(resultsDir, { ...h, recorded: { ...h.recorded, [fact]: `${new Date().toISOString()} ${revived.join("; ")}` } });
}

/** Whether this run's results hold a probe of the environment already. */
export function probed(resultsDir: string, env: string): boolean {
    return fs.existsSync(path.join(resultsDir, "envfacts", `${env}.json`));
}

export function probeEnvironment(resultsDir: string, h: EnvironmentHandle): Record<string, string> {
    if (inGuest(h.target)) {
        // A re-run's probe finds the guest as the last cell left it, possibly paused.
        const problems = quietGuests(transportOf(h), [h.target.domain], h.target.domain).problems;
        if (problems.length) throw new Error(`probe ${h.name}: ${problems.join("; ")}; check \`virsh domstate ${h.target.domain} --reason\` and resume it`);
    }
    const host = transportOf(h);
    const ip = inGuest(h.target) ? guestIp(host, h.target.domain) : undefined;
    const inside = insideDerivedFacts(parseFacts(host.mustRun(execArgv(h.target, insideFactsScript(h.dataDir), ip), 120, `probe inside ${h.name}`)), h.envKind);
    const measured = { ...inside, ...outsideFacts(host, h, inside, ip), ...h.recorded };
    const dir = path.join(resultsDir, "envfacts");
    fs.mkdirSync(dir, { recursive: true });
    const at = new Date().toISOString();
    fs.writeFileSync(path.join(dir, `${h.name}.json`), JSON.stringify({ handle: h, measured, measuredAt: at }, null, 2) + "\n");
    const rows: string[][] = [];
    for (const f of fs
        .readdirSync(dir)
        .filter((x) => x.endsWith(".json"))
        .sort()) {
        const e = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as { handle: EnvironmentHandle; measured: Record<string, string>; measuredAt: string };
        for (const [k, v] of Object.entries(e.measured)) {
            rows.push([e.handle.name, e.handle.envKind, e.handle.variant, e.handle.accel, k, v, e.handle.declared[k] ?? "", e.measuredAt]);
        }
    }
    fs.writeFileSync(path.join(resultsDir, "environments.csv"), stringify(rows, { header: true, columns: [...COLUMNS] }));
    const bad = contradictions(h.declared, measured);
    if (bad.length > 0) {
        throw new Error(`environment ${h.name} is not what was declared:\n  - ${bad.join("\n  - ")}\n(facts in ${path.join(resultsDir, "environments.csv")})`);
    }
    return measured;
}
