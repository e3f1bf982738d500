/**
 * Environment facts measured from the inside (and, for Docker and KVM, as the daemon reports
 * them), written to environments.csv. Declared facts that the measurement contradicts stop the run.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { EnvironmentHandle, execArgv } from "./exec-target";
import { guestIp } from "./kvm/guest-ip";
import { attempt, mustRun, virshArgv } from "./process";

/** Runs inside every environment; prints key=value lines. */
export const INSIDE_FACTS_SCRIPT = [
    `echo "nproc=$(nproc)"`,
    `echo "cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"`,
    `if grep -qw avx /proc/cpuinfo; then echo avx=yes; else echo avx=no; fi`,
    `echo "kernel=$(uname -r)"`,
    `echo "mem_total_kb=$(awk '/MemTotal/ {print $2}' /proc/meminfo)"`,
    `echo "cgroup_cpu_max=$(cat /sys/fs/cgroup/cpu.max 2>/dev/null || echo none)"`,
    `echo "cgroup_memory_max=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || echo none)"`,
    `if [ -d /data ]; then echo "data_fstype=$(stat -f -c %T /data)"; else echo data_fstype=none; fi`,
    `echo "default_if=$(ip -o route show default 2>/dev/null | awk '{print $5; exit}')"`,
    `echo "ipv4=$(ip -o -4 addr show scope global 2>/dev/null | awk '{print $2 "=" $4}' | tr '\\n' ' ' | sed 's/ *$//')"`,
].join("\n");

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

function outsideFacts(h: EnvironmentHandle): Record<string, string> {
    const t = h.target;
    if (t.kind === "docker") {
        const f = parseFacts(mustRun(["docker", "inspect", "-f",
            "network_mode={{.HostConfig.NetworkMode}}\nmount_type={{range .Mounts}}{{.Type}}{{end}}\nrunning={{.State.Running}}", t.container], 120, `docker inspect ${t.container}`));
        const ports = attempt(["docker", "port", t.container], 120).stdout.trim().replace(/\n/g, " ");
        const info = parseFacts(mustRun(["docker", "info", "-f", "storage_driver={{.Driver}}\ndocker_version={{.ServerVersion}}"], 120, "docker info"));
        return { ...f, published_ports: ports || "none", ...info };
    }
    if (t.kind === "kvm") {
        const virsh = (...a: string[]) => mustRun(virshArgv(30, ...a), 120, `virsh ${a[0]}`);
        const xml = virsh("dumpxml", t.domain);
        const driver = /<interface[\s\S]*?<driver name='(\w+)'/.exec(xml);
        const type = /<domain type='(\w+)'/.exec(xml);
        return {
            vcpupin: parseVcpupin(virsh("vcpupin", t.domain)),
            vhost: driver ? driver[1] : "unspecified",
            domain_type: type ? type[1] : "unknown",
            hugepages: /<hugepages\/>/.test(xml) ? "yes" : "no",
            qemu_version: (/Running hypervisor: QEMU (\S+)/.exec(virsh("version")) ?? [])[1] ?? "unknown",
        };
    }
    return {};
}

const COLUMNS = ["environment", "env_kind", "variant", "accel", "fact", "value", "declared", "measured_at"] as const;

/** Measures one environment, writes envfacts/<name>.json and regenerates environments.csv. */
export function probeEnvironment(resultsDir: string, h: EnvironmentHandle): Record<string, string> {
    const ip = h.target.kind === "kvm" ? guestIp(h.target.domain) : undefined;
    const inside = parseFacts(mustRun(execArgv(h.target, INSIDE_FACTS_SCRIPT, ip), 120, `probe inside ${h.name}`));
    const measured = { ...inside, ...outsideFacts(h) };
    const dir = path.join(resultsDir, "envfacts");
    fs.mkdirSync(dir, { recursive: true });
    const at = new Date().toISOString();
    fs.writeFileSync(path.join(dir, `${h.name}.json`), JSON.stringify({ handle: h, measured, measuredAt: at }, null, 2) + "\n");
    const rows: string[][] = [];
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".json")).sort()) {
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
