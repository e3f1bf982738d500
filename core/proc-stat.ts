/**
 * What isobench reads of /proc/stat: the boot time, and CPU steal on the machine under test: the share of its CPU time the hypervisor below it gave to
 * someone else while a cell ran. On a virtual machine (a cloud instance, the microVM the shipped
 * results come from) a busy neighbour shows up here and nowhere else, as a noisier run that looked
 * quiet (load average, nothing else running). Pure: /proc/stat text in, ticks and shares out.
 */

/** Clock ticks of all CPUs together, from /proc/stat's aggregate `cpu` line. */
export interface CpuTicks {
    /** user + nice + system + idle + iowait + irq + softirq + steal (guest time is already in user and nice). */
    readonly total: number;
    readonly steal: number;
}

/** The aggregate line's ticks; undefined when the text has none or its kernel counts no steal (before 2.6.11). */
export function cpuTicks(procStat: string): CpuTicks | undefined {
    const line = procStat.split("\n").find((l) => /^cpu\s/.test(l));
    if (!line) return undefined;
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (fields.length < 8 || fields.some((f) => !Number.isFinite(f) || f < 0)) return undefined;
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] };
}

/** Percent of all CPUs' time stolen between two reads; undefined when no tick passed or the counters went back (a reboot). */
export function stealPercent(before: CpuTicks, after: CpuTicks): number | undefined {
    const total = after.total - before.total;
    const steal = after.steal - before.steal;
    if (!(total > 0) || steal < 0) return undefined;
    return (steal / total) * 100;
}

/** The boot time in /proc/stat's text (seconds since the epoch); 0 when the text has none. */
export function bootTimeS(procStat: string): number {
    return Number(/^btime (\d+)$/m.exec(procStat)?.[1] ?? 0);
}
