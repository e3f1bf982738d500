/**
 * Validation of workload parameters before they go into a shell command line. Each check throws
 * an Error naming the workload, the parameter and the value, so a bad stack file fails with the
 * fix in the message instead of a shell error inside an environment.
 */

export function positiveInt(workload: string, name: string, v: unknown): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
        throw new Error(`${workload}: parameter ${name} must be a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
}

/** A non-negative integer; 0 usually means "derive it inside the environment" (e.g. CPUs). */
export function countOrAuto(workload: string, name: string, v: unknown): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
        throw new Error(`${workload}: parameter ${name} must be 0 (automatic) or a positive integer, got ${JSON.stringify(v)}`);
    }
    return v;
}

export function positiveNumber(workload: string, name: string, v: unknown): number {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
        throw new Error(`${workload}: parameter ${name} must be a positive number, got ${JSON.stringify(v)}`);
    }
    return v;
}

/** A size as the tools spell it: digits with an optional K/M/G/T suffix ("4K", "16g", "100G"). */
export function sizeWord(workload: string, name: string, v: unknown): string {
    if (typeof v !== "string" || !/^[1-9][0-9]*[KMGTkmgt]?$/.test(v)) {
        throw new Error(`${workload}: parameter ${name} must be a size such as 4K, 64M or 16G, got ${JSON.stringify(v)}`);
    }
    return v;
}

/** Bytes of a size word, binary multiples (what sysbench and fio mean by K/M/G). */
export function sizeBytes(size: string): number {
    const m = /^([0-9]+)([KMGTkmgt]?)$/.exec(size);
    if (!m) throw new Error(`not a size: ${JSON.stringify(size)}`);
    const exp = " KMGT".indexOf((m[2] || " ").toUpperCase());
    return Number(m[1]) * 1024 ** exp;
}

export function oneOf<T extends string>(workload: string, name: string, v: unknown, allowed: readonly T[]): T {
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
        throw new Error(`${workload}: parameter ${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v as T;
}

/** A comma-separated list whose every item is one of allowed, in the given order, without repeats. */
export function listOf<T extends string>(workload: string, name: string, v: unknown, allowed: readonly T[]): T[] {
    const items = typeof v === "string" ? v.split(",").map((s) => s.trim()) : [];
    if (items.length === 0 || items.some((i) => !(allowed as readonly string[]).includes(i)) || new Set(items).size !== items.length) {
        throw new Error(`${workload}: parameter ${name} must be a comma-separated list of distinct items from ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return items as T[];
}
