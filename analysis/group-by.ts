/** Items grouped by key, groups and items in first-seen order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
    const m = new Map<string, T[]>();
    for (const it of items) {
        const k = key(it);
        const list = m.get(k);
        if (list) list.push(it);
        else m.set(k, [it]);
    }
    return m;
}
