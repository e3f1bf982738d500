/**
 * The `--name value` flags of the simulation scripts (claim-decision.ts, agreement-forecast.ts),
 * read with node's parseArgs: a flag the script does not know, or one without its value, is
 * refused naming it, instead of being read as a default.
 */
import { parseArgs } from "node:util";

export interface Flags<K extends string> {
    /** The arguments that are not flags, in order. */
    readonly positionals: readonly string[];
    /** The flag's text, or its default. */
    text(name: K): string;
    /** The flag as a positive number; throws naming the flag otherwise. */
    positive(name: K): number;
}

/** Reads `argv` against the flags `defaults` names, each with its default text. */
export function readFlags<K extends string>(argv: readonly string[], defaults: Readonly<Record<K, string>>): Flags<K> {
    const { values, positionals } = parseArgs({
        args: [...argv],
        options: Object.fromEntries(Object.entries<string>(defaults).map(([name, d]) => [name, { type: "string" as const, default: d }])),
        allowPositionals: true,
        strict: true,
    });
    const text = (name: K) => String((values as Record<string, unknown>)[name]);
    return {
        positionals,
        text,
        positive(name) {
            const v = Number(text(name));
            if (!(Number.isFinite(v) && v > 0)) throw new Error(`--${name}: ${text(name)} is not a positive number`);
            return v;
        },
    };
}
