/**
 * libvirt cpuset strings (`"0"`, `"0-3"`, `"0-3,^2,6"`): parse and format. Pure.
 */

/**
 * Returns the sorted host CPUs a cpuset names.
 * @throws Error on bad syntax, a reversed range or an empty result.
 */
export function parseCpuset(cpuset: string): number[] {
    if (typeof cpuset !== "string" || !/^\^?\d+(-\d+)?(,\^?\d+(-\d+)?)*$/.test(cpuset)) {
        throw new Error(`"${String(cpuset)}" is not a cpuset; use a list like "0", "0-3" or "0,2-3,^2"`);
    }
    const included = new Set<number>();
    const excluded = new Set<number>();
    for (const part of cpuset.split(",")) {
        const negate = part.startsWith("^");
        const [lo, hi] = (negate ? part.slice(1) : part).split("-").map(Number);
        const end = hi ?? lo;
        if (end < lo) throw new Error(`range "${part}" in cpuset "${cpuset}" is reversed`);
        for (let c = lo; c <= end; c++) (negate ? excluded : included).add(c);
    }
    const cpus = [...included].filter((c) => !excluded.has(c)).sort((a, b) => a - b);
    if (cpus.length === 0) throw new Error(`cpuset "${cpuset}" names no host CPU`);
    return cpus;
}

/** Formats host CPUs as the shortest cpuset (`[0, 1, 2, 5]` → `"0-2,5"`); duplicates collapse. */
export function formatCpuset(cpus: readonly number[]): string {
    const sorted = [...new Set(cpus)].sort((a, b) => a - b);
    const parts: string[] = [];
    for (let i = 0; i < sorted.length;) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        parts.push(j === i ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
        i = j + 1;
    }
    return parts.join(",");
}
