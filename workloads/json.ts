/**
 * Reading tool output that is JSON (fio, iperf3): a parsed document is of unknown shape until each
 * member a parser reads is checked where it is read.
 */

/** Member `key` of a JSON object; undefined when `v` is no object (null, an array, a scalar) or has no such member. */
export function member(v: unknown, key: string): unknown {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return undefined;
    return (v as Readonly<Record<string, unknown>>)[key];
}
