/**
 * The `params` column of a sample (`clients=50;dataSize=50;tests=get,set`): the parameter point a
 * value was measured at, swept points already merged in. Pure.
 */

/** key → value of a params string; later duplicates win. Entries without "=" are ignored. */
export function parseParams(params: string): Map<string, string> {
    const m = new Map<string, string>();
    for (const part of params.split(";")) {
        const i = part.indexOf("=");
        if (i > 0) m.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
    }
    return m;
}

/** The numeric value of a parameter, or undefined when absent or not a number. */
export function numericParam(params: string, key: string): number | undefined {
    const v = parseParams(params).get(key);
    if (v === undefined || v === "") return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : undefined;
}

/**
 * The parameters that vary between the given params strings and are numeric in all of them: the
 * swept axes (e.g. clients for Redis, threads for MySQL). Sorted by name.
 */
export function sweptNumericKeys(all: readonly string[]): string[] {
    const parsed = [...new Set(all)].map(parseParams);
    if (parsed.length < 2) return [];
    const keys = new Set<string>();
    for (const p of parsed) for (const k of p.keys()) keys.add(k);
    return [...keys]
        .filter((k) => parsed.every((p) => p.has(k) && Number.isFinite(Number(p.get(k))) && p.get(k) !== ""))
        .filter((k) => new Set(parsed.map((p) => p.get(k))).size > 1)
        .sort();
}

/** params without the given key: the "series" a swept point belongs to. */
export function paramsWithout(params: string, key: string): string {
    return params
        .split(";")
        .filter((part) => part.split("=")[0].trim() !== key)
        .join(";");
}

/** The keys whose values differ between the params strings (what tells their points apart), sorted. */
export function varyingKeys(all: readonly string[]): string[] {
    const parsed = [...new Set(all)].map(parseParams);
    const keys = new Set<string>();
    for (const p of parsed) for (const k of p.keys()) keys.add(k);
    return [...keys].filter((k) => new Set(parsed.map((p) => p.get(k))).size > 1).sort();
}

/** "clients=50 threads=2": only the given keys of params, for labels where the full point is too long. */
export function shortParams(params: string, keys: readonly string[]): string {
    const p = parseParams(params);
    return keys.map((k) => `${k}=${p.get(k) ?? "?"}`).join(" ");
}
