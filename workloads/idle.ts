/**
 * Host resources an idle environment costs (Flux7 2014: "KVM uses ~1.5% more CPU usage compared to
 * Docker when idle"; "Docker requires consumed memory not provisioned memory"). Over a fixed
 * window in which nothing runs in the environment, the host's counters are read at the start and
 * at the end:
 *
 * - every kind: host-wide busy CPU (/proc/stat, all CPUs: user, nice, system, irq and softirq jiffies (not idle, iowait, steal) over all
 *   jiffies of the same read, times the CPU count) as `host_cpu_percent`, the reference the
 *   environments are compared on (native = baseline);
 * - Docker: the container's cgroup CPU time (v1 cpuacct.usage, v2 cpu.stat usage_usec) as
 *   `env_cpu_percent` and its memory (usage minus inactive file cache, as `docker stats`) as
 *   `env_memory_mib`; the container's containerd-shim (the parent of its init process) as
 *   `shim_cpu_percent` / `shim_memory_mib`;
 * - KVM: the domain's QEMU process (pid from /run/libvirt/qemu/<domain>.pid): utime+stime as
 *   `env_cpu_percent`, VmRSS as `env_memory_mib`.
 *
 * Percentages are of one CPU (200 % = two CPUs busy). The script prints raw counters only; all
 * arithmetic is in the parser, so the raw file is the whole evidence.
 */
import { EnvironmentHandle } from "../core/environment-handle";
import { shellQuote as q } from "../core/shell";
import { HOST_TOOLS_VERSION_COMMAND, parseHostToolsVersion } from "./host-tools";
import { SECONDS_PARAM } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";

export type IdleParams = {
    /** Length of the idle window in seconds. */
    windowS: number;
};

const NAME = "idle";

export const IDLE_METRICS = {
    hostCpu: "host_cpu_percent",
    envCpu: "env_cpu_percent",
    envMemory: "env_memory_mib",
    shimCpu: "shim_cpu_percent",
    shimMemory: "shim_memory_mib",
} as const;

/** Shell functions reading one sample of every counter; the docker/kvm parts set the env's sources first. */
const COUNTERS = [
    // Busy and total jiffies of all CPUs from one read of /proc/stat: their ratio needs no wall clock.
    `host_ticks() { awk '$1 == "cpu" { printf "host_busy_ticks=%d host_total_ticks=%d", $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }`,
    // utime + stime of a process in clock ticks (fields after the parenthesised command name).
    `proc_ticks() { sed 's/^.*) //' /proc/$1/stat | awk '{ print $12 + $13 }'; }`,
    `proc_rss_kib() { awk '$1 == "VmRSS:" { print $2 }' /proc/$1/status; }`,
].join("\n");

function dockerSources(container: string): string {
    return [
        `pid=$(docker inspect -f '{{.State.Pid}}' ${q(container)})`,
        `[ "$pid" -gt 0 ] || { echo "container ${container} is not running" >&2; exit 1; }`,
        `shim=$(awk '$1 == "PPid:" { print $2 }' /proc/$pid/status)`,
        `if [ -f /sys/fs/cgroup/cgroup.controllers ]; then`,
        `  cg=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/$pid/cgroup)`,
        `  env_cpu() { awk '$1 == "usage_usec" { print $2 * 1000 }' "$cg/cpu.stat"; }`,
        `  env_mem() { echo $(( $(cat "$cg/memory.current") - $(awk '$1 == "inactive_file" { print $2 }' "$cg/memory.stat") )); }`,
        `else`,
        `  cpu_cg=/sys/fs/cgroup/cpuacct$(awk -F: '$2 ~ /(^|,)cpuacct(,|$)/ { print $3 }' /proc/$pid/cgroup)`,
        `  mem_cg=/sys/fs/cgroup/memory$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/$pid/cgroup)`,
        `  env_cpu() { cat "$cpu_cg/cpuacct.usage"; }`,
        `  env_mem() { echo $(( $(cat "$mem_cg/memory.usage_in_bytes") - $(awk '$1 == "total_inactive_file" { print $2 }' "$mem_cg/memory.stat") )); }`,
        `fi`,
        `sample() { echo "$1 wall_s=$(date +%s.%N) $(host_ticks) env_cpu_ns=$(env_cpu) env_memory_bytes=$(env_mem) shim_ticks=$(proc_ticks $shim) shim_rss_kib=$(proc_rss_kib $shim)"; }`,
    ].join("\n");
}

function kvmSources(domain: string): string {
    const pidFile = `/run/libvirt/qemu/${domain}.pid`;
    return [
        `pid=$(cat ${q(pidFile)}) || { echo "no QEMU pid file ${pidFile}: is domain ${domain} running?" >&2; exit 1; }`,
        `kill -0 "$pid" || { echo "QEMU process $pid of ${domain} is gone" >&2; exit 1; }`,
        `sample() { echo "$1 wall_s=$(date +%s.%N) $(host_ticks) env_ticks=$(proc_ticks $pid) env_rss_kib=$(proc_rss_kib $pid)"; }`,
    ].join("\n");
}

/** The host script: counters, the idle window, counters again. Nothing runs inside the environment. */
export function idleScript(env: EnvironmentHandle, windowS: number): string {
    const t = env.target;
    const sources =
        t.kind === "docker"
            ? dockerSources(t.container)
            : t.kind === "kvm"
              ? kvmSources(t.domain)
              : `sample() { echo "$1 wall_s=$(date +%s.%N) $(host_ticks)"; }`;
    return (
        [
            "set -eu",
            COUNTERS,
            sources,
            `echo "idle kind=${t.kind} environment=${env.name} window_s=${windowS} clk_tck=$(getconf CLK_TCK) ncpu=$(grep -c '^cpu[0-9]' /proc/stat)"`,
            `sample start`,
            `sleep ${windowS}`,
            `sample end`,
        ].join("\n") + "\n"
    );
}

type Fields = Record<string, number>;

function fields(raw: string, which: "start" | "end", metric: string): Fields {
    const line = raw.split("\n").find((l) => l.startsWith(`${which} `));
    if (!line) throw new ParseError(NAME, metric, `no "${which} …" counter line in the output (truncated?)`);
    const out: Fields = {};
    for (const kv of line
        .slice(which.length + 1)
        .trim()
        .split(/\s+/)) {
        const m = /^([a-z_]+)=([0-9]+(?:\.[0-9]+)?)$/.exec(kv);
        if (!m) throw new ParseError(NAME, metric, `malformed counter ${JSON.stringify(kv)} in the "${which}" line (a counter could not be read?)`);
        out[m[1]] = Number(m[2]);
    }
    return out;
}

function need(f: Fields, key: string, which: string, metric: string): number {
    const v = f[key];
    if (v === undefined) throw new ParseError(NAME, metric, `the "${which}" line has no ${key}= counter (truncated?)`);
    return v;
}

/** Host CPU %, plus the environment's (and Docker's shim's) CPU % and memory MiB, from the two counter lines. */
export function parseIdle(raw: string): Measurement[] {
    const M = IDLE_METRICS;
    const head = /^idle kind=(native|docker|kvm) environment=\S+ window_s=\d+ clk_tck=(\d+) ncpu=(\d+)$/m.exec(raw);
    if (!head) throw new ParseError(NAME, M.hostCpu, `no "idle kind=… clk_tck=…" header line: not output of the idle workload`);
    const kind = head[1];
    const tck = Number(head[2]);
    const ncpu = Number(head[3]);
    const s = fields(raw, "start", M.hostCpu);
    const e = fields(raw, "end", M.hostCpu);
    const d = (key: string, metric: string) => {
        const v = need(e, key, "end", metric) - need(s, key, "start", metric);
        if (v < 0) throw new ParseError(NAME, metric, `${key} went backwards (${s[key]} → ${e[key]}); did the environment restart during the window?`);
        return v;
    };
    const wall = d("wall_s", M.hostCpu);
    if (wall <= 0) throw new ParseError(NAME, M.hostCpu, `the window lasted ${wall} s`);
    const pct = (seconds: number) => (100 * seconds) / wall;
    const total = d("host_total_ticks", M.hostCpu);
    if (total <= 0) throw new ParseError(NAME, M.hostCpu, `host_total_ticks did not advance during the window`);
    const out: Measurement[] = [{ metric: M.hostCpu, value: (100 * ncpu * d("host_busy_ticks", M.hostCpu)) / total, unit: "%", better: "lower" }];
    if (kind === "docker") {
        out.push({ metric: M.envCpu, value: pct(d("env_cpu_ns", M.envCpu) / 1e9), unit: "%", better: "lower" });
        out.push({ metric: M.envMemory, value: need(e, "env_memory_bytes", "end", M.envMemory) / 2 ** 20, unit: "MiB", better: "lower" });
        out.push({ metric: M.shimCpu, value: pct(d("shim_ticks", M.shimCpu) / tck), unit: "%", better: "lower" });
        out.push({ metric: M.shimMemory, value: need(e, "shim_rss_kib", "end", M.shimMemory) / 1024, unit: "MiB", better: "lower" });
    } else if (kind === "kvm") {
        out.push({ metric: M.envCpu, value: pct(d("env_ticks", M.envCpu) / tck), unit: "%", better: "lower" });
        out.push({ metric: M.envMemory, value: need(e, "env_rss_kib", "end", M.envMemory) / 1024, unit: "MiB", better: "lower" });
    }
    return out;
}

export const idle: Workload<IdleParams> = {
    name: NAME,
    tool: "procfs/cgroup",
    defaults: { windowS: 60 },
    paramSchema: { windowS: SECONDS_PARAM },
    versionCommand: HOST_TOOLS_VERSION_COMMAND,
    versionPlacement: "host",
    parseVersion: (out) => parseHostToolsVersion(NAME, out),
    lengthFixedBy: () => "time",
    expectedS: (p: IdleParams) => p.windowS,
    clientPlacement: "host",
    clientCommand(p: IdleParams, ctx: RunContext): string {
        if (!ctx.env) throw new Error(`${NAME}: needs the cell's environment (RunContext.env, set by the runner)`);
        if (!Number.isInteger(p.windowS) || p.windowS < 1)
            throw new Error(`${NAME}: parameter windowS must be a positive integer (seconds), got ${JSON.stringify(p.windowS)}`);
        return idleScript(ctx.env, p.windowS);
    },
    parse: (raw) => parseIdle(raw),
};
