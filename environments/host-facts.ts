/**
 * Host configuration and software versions, measured before the first environment is probed and
 * written to host.csv: CPU governor, turbo/boost, transparent hugepages, swap, the numactl policy
 * native runs get, hugepages, and the versions of kernel, Docker, containerd, runc, runsc, QEMU and
 * libvirt. Settings a stack declares (`isobench:host`) that the host contradicts stop the run.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { contradictions } from "./probe";
import type { Transport } from "./transport";

const GOVERNOR = "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor";
const NO_TURBO = "/sys/devices/system/cpu/intel_pstate/no_turbo";
const BOOST = "/sys/devices/system/cpu/cpufreq/boost";
const THP = "/sys/kernel/mm/transparent_hugepage/enabled";
const THP_DEFRAG = "/sys/kernel/mm/transparent_hugepage/defrag";

/** The bracketed choice of a sysfs selector ("always [madvise] never" → "madvise"). */
export function selected(text: string | undefined): string {
    const m = /\[(\w+)\]/.exec(text ?? "");
    return m ? m[1] : "unavailable";
}

/** First line of a command's output, or `missing` when it cannot run. */
function version(c: { readonly status: number; readonly stdout: string; readonly stderr: string }, re: RegExp): string {
    if (c.status !== 0) return "missing";
    const m = re.exec(`${c.stdout}${c.stderr}`);
    return m ? m[1] : `${c.stdout}`.split("\n")[0].trim();
}

/** Swap in use: "off" when /proc/swaps lists no device, else "on (<total kB>)". */
export function swapState(procSwaps: string): string {
    const rows = procSwaps
        .trim()
        .split("\n")
        .slice(1)
        .filter((l) => l.trim());
    if (rows.length === 0) return "off";
    const kb = rows.reduce((s, l) => s + Number(l.trim().split(/\s+/)[2] ?? 0), 0);
    return `on (${kb} kB)`;
}

/** `numactl --show` → "policy=default;physcpubind=0 1". */
export function numactlPolicy(show: string): string {
    const get = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, "m").exec(show)?.[1]?.trim();
    const policy = get("policy");
    return policy === undefined ? "unknown" : `policy=${policy};physcpubind=${get("physcpubind") ?? "?"};membind=${get("membind") ?? "?"}`;
}

/** The machine under test's settings and versions, read through its transport. */
export function measureHost(host: Transport): Record<string, string> {
    const files = host.readFiles([GOVERNOR, NO_TURBO, BOOST, THP, THP_DEFRAG, "/proc/meminfo", "/proc/swaps"]);
    const read = (f: string) => files.get(f)?.trim();
    const gov = read(GOVERNOR);
    const noTurbo = read(NO_TURBO);
    const boost = read(BOOST);
    const meminfo = read("/proc/meminfo") ?? "";
    const numa = host.attempt(["numactl", "--show"], 10);
    const count = (argv: string[]) => host.run(argv, 10).stdout.trim();
    const id = host.identity();
    const v = (argv: string[], re: RegExp) => version(host.attempt(argv, 20), re);
    return {
        governor: gov ?? "unavailable (no cpufreq in this kernel/VM)",
        boost:
            noTurbo !== undefined
                ? noTurbo === "1"
                    ? "off"
                    : "on"
                : boost !== undefined
                  ? boost === "1"
                      ? "on"
                      : "off"
                  : "unavailable (no intel_pstate or cpufreq boost)",
        thp: selected(read(THP)),
        thp_defrag: selected(read(THP_DEFRAG)),
        swap: swapState(read("/proc/swaps") ?? ""),
        hugepages_total: /HugePages_Total:\s+(\d+)/.exec(meminfo)?.[1] ?? "0",
        hugepages_free: /HugePages_Free:\s+(\d+)/.exec(meminfo)?.[1] ?? "0",
        hugepage_size_kb: /Hugepagesize:\s+(\d+)/.exec(meminfo)?.[1] ?? "unknown",
        numa_nodes: count(["/bin/sh", "-c", "ls /sys/devices/system/node 2>/dev/null | grep -c '^node[0-9][0-9]*$'"]) || "0",
        native_numactl_policy: numa.status === 0 ? numactlPolicy(numa.stdout) : "numactl not installed (native runs get the kernel's default policy)",
        cpus: count(["getconf", "_NPROCESSORS_ONLN"]),
        cpu_model: id.cpu_model,
        kernel: id.kernel,
        docker: v(["docker", "version", "--format", "{{.Server.Version}}"], /^(\S+)/),
        containerd: v(["containerd", "--version"], /containerd \S+ (\S+)/),
        runc: v(["runc", "--version"], /runc version (\S+)/),
        runsc: v(["runsc", "--version"], /runsc version (\S+)/),
        qemu: v(["qemu-system-x86_64", "--version"], /QEMU emulator version (\S+)/),
        libvirt: version(host.virsh(20, ["version"]), /Using library: libvirt (\S+)/),
    };
}

/** Contradictions between declared host settings and measured ones (swap "on" matches "on (N kB)"). */
export function compareHost(declared: Readonly<Record<string, string>>, measured: Readonly<Record<string, string>>): string[] {
    const m = { ...measured, swap: measured.swap?.startsWith("on") ? "on" : measured.swap };
    return contradictions(declared, m);
}

/** Measures the host, writes host.csv, and throws when a declared setting is contradicted. */
/**
 * @param recorded facts written beside the measured ones (host_settings_applied: what
 * isobench:host.apply changed for this stack, from → to)
 */
export function probeHost(
    host: Transport,
    resultsDir: string,
    declared: Readonly<Record<string, string>>,
    recorded: Readonly<Record<string, string>> = {},
): Record<string, string> {
    const measured = { ...measureHost(host), ...recorded };
    fs.mkdirSync(resultsDir, { recursive: true });
    const at = new Date().toISOString();
    const name = host.identity().host;
    const rows = Object.entries(measured).map(([k, v]) => [name, k, v, declared[k] ?? "", at]);
    fs.writeFileSync(path.join(resultsDir, "host.csv"), stringify(rows, { header: true, columns: ["host", "fact", "value", "declared", "measured_at"] }));
    const bad = compareHost(declared, measured);
    if (bad.length > 0) {
        throw new Error(
            `the host is not configured as isobench:host declares:\n  - ${bad.join("\n  - ")}\n(facts in ${path.join(resultsDir, "host.csv")}; change the host, or the declaration)`,
        );
    }
    return measured;
}
