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

/** The largest whole number of MiB in `bytes` as a size word ("1650M"), undefined below 1 MiB: the answer to "at most how large". */
export function mibWord(bytes: number, suffix: "m" | "M" = "M"): string | undefined {
    const mib = Math.floor(bytes / 2 ** 20);
    return mib >= 1 ? `${mib}${suffix}` : undefined;
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

// ---- parameter schemas ------------------------------------------------------------------------
// The stack file's `params` are checked against these JSON Schemas when the stack is parsed
// (experiment/spec.ts), before anything is provisioned; the command builders above check again
// because they are also called directly (tests, `isobench parse`). The schemas are the stricter
// of the two: bounded ranges and exact spellings, since every string here reaches a shell.

/** JSON Schema of one parameter; `description` is what the refusal says is expected. */
export type ParamSchema = Readonly<Record<string, unknown>>;

/** Longest a cell may ask one step to run or wait: a day. */
export const MAX_SECONDS = 86400;
/** Most threads, workers or processes one cell may start: far above any host's CPU count. */
export const MAX_THREADS = 4096;

export function intParam(minimum: number, maximum: number): ParamSchema {
    return { type: "integer", minimum, maximum };
}

export const SECONDS_PARAM = intParam(1, MAX_SECONDS);
/** 0 = one per CPU of the environment. */
export const THREADS_OR_AUTO_PARAM = intParam(0, MAX_THREADS);
export const THREADS_PARAM = intParam(1, MAX_THREADS);

/** A size word (see sizeWord), at most nine digits. */
export const SIZE_PARAM: ParamSchema = { type: "string", pattern: "^[1-9][0-9]{0,8}[KMGTkmgt]?$", description: "a size such as 4K, 64M or 16G" };

/**
 * Pattern of a comma-separated list of items matching `item` (a regex without anchors or
 * capturing groups), no item twice: the lookahead refuses an item that appears again later.
 */
export function distinctListPattern(item: string): string {
    return `^(?!(?:.*,)?([^,]+),(?:.*,)?\\1(?:,|$))(?:${item})(?:,(?:${item}))*$`;
}

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A comma-separated list of distinct items from allowed (what listOf accepts, without spaces). */
export function listParam(allowed: readonly string[]): ParamSchema {
    return {
        type: "string",
        pattern: distinctListPattern(allowed.map(escapeRegex).join("|")),
        description: `a comma-separated list of distinct items from ${allowed.join(", ")}`,
    };
}

/**
 * A positive integer of at most `digits` digits, or a comma-separated list of distinct ones (a
 * sweep, e.g. "1,10,50"); written without leading zeros, so distinct strings are distinct numbers.
 */
export function intListParam(digits: number): ParamSchema {
    const max = 10 ** digits - 1;
    return {
        type: ["integer", "string"],
        minimum: 1,
        maximum: max,
        pattern: distinctListPattern(`[1-9][0-9]{0,${digits - 1}}`),
        description: `a positive integer or a comma-separated list of distinct ones up to ${max} (e.g. "1,10,50")`,
    };
}

/** A word of lower-case letters, digits and "_" (a tool's method or test name), at most 40 characters. */
export function wordParam(what: string): ParamSchema {
    return { type: "string", pattern: "^[a-z0-9_]{1,40}$", description: what };
}
