/**
 * The allowed name a refused one was probably meant to be, for "did you mean" hints. Written here
 * rather than taken from fast-levenshtein, the one such package in node_modules: that one is only a
 * dev-time dependency of eslint, unmaintained since 2017, untyped, and without transpositions.
 */

/** Optimal-string-alignment distance: Levenshtein plus a swap of two adjacent letters, the commonest typo. */
export function editDistance(a: string, b: string): number {
    let before: number[] = [];
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const row = [i];
        for (let j = 1; j <= b.length; j++) {
            row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j], before[j - 2] + 1);
        }
        [before, prev] = [prev, row];
    }
    return prev[b.length];
}

/**
 * The candidate nearest to word, when it is near and alone at that distance. Near is within
 * max(2, a third of the longer name): two slips in a short key, more in a long one that was
 * abbreviated ("timeSecs" for "timeSeconds"). Case is ignored, since "memorymib" means "memoryMiB".
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    let tied = false;
    for (const c of new Set(candidates)) {
        const d = editDistance(word.toLowerCase(), c.toLowerCase());
        // d >= c.length: nothing of c is kept (an empty key is not a misspelt "on"), however short both are.
        if (d >= c.length || d > Math.max(2, Math.floor(Math.max(word.length, c.length) / 3))) continue;
        if (d < bestDistance) [best, bestDistance, tied] = [c, d, false];
        else if (d === bestDistance) tied = true;
    }
    return tied ? undefined : best;
}

/** ` — did you mean "x"?` for the closest candidate, or "" when none is close; goes right after the refused name. */
export function didYouMean(word: string, candidates: readonly string[]): string {
    const c = closest(word, candidates);
    return c === undefined ? "" : ` — did you mean ${JSON.stringify(c)}?`;
}
