/** Quotes a string as one POSIX shell word (single quotes; embedded quotes escaped). */
export function shellQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}
