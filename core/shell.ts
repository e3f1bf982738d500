/** Quotes a string as one POSIX shell word (single quotes; embedded quotes escaped). */
export function shellQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Shell lines that time a create script: START_CLOCK first, PRINT_READY_SECONDS last prints
 * `ready_s=<seconds since START_CLOCK>`, the report format of environment readiness.
 */
export const START_CLOCK = "t0=$(date +%s.%N)";
export const PRINT_READY_SECONDS = `awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "ready_s=%.3f\\n", b - a }'`;
