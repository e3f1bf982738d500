/**
 * Guests of a stack that the current cell does not use are paused (`virsh suspend`) while it runs,
 * and the cell's own guest is resumed. All of a stack's guests are provisioned up front and stay up
 * for the whole run; idle, they still cost host CPU — under software emulation each idle guest took
 * 20–30 % of a core on the 2-core development host — which would be charged to whatever runs
 * next to them (native, Docker, another guest). A paused guest costs none.
 *
 * A guest belongs to a stack by its domain metadata (`<isobench:env stack=… environment=…>`), not
 * by its name: `isobench-felter2014-` is also the prefix of every felter2014-small guest. Clones
 * made by `instances`/`lifecycle` carry their original's metadata, so they count as the cell's own.
 */
import { shellQuote as q } from "../shell";
import { run } from "../process";

/** Output line prefixes of the script, parsed by {@link parseQuietOutput}. */
const PAUSED = "paused ";
const RESUMED = "resumed ";
const PROBLEM = "problem ";

/** Shell resuming the guest named in `$d`, reporting the outcome in {@link parseQuietOutput}'s format. */
const RESUME_D = `if virsh resume "$d" >/dev/null 2>&1; then echo "${RESUMED}$d"; else echo "${PROBLEM}could not resume $d"; fi`;

/**
 * Shell that pauses the running guests of `stack` other than those of environment `keep` and
 * resumes paused guests of `keep` (undefined: the cell runs outside any guest, pause them all).
 * Without virsh or libvirtd there are no guests to quiet, and the script prints nothing.
 */
export function quietGuestsScript(stack: string, keep: string | undefined): string {
    // libvirt re-serializes metadata with double quotes, whatever quotes the defined XML used.
    const mine = `stack="${stack}" `;
    const own = keep === undefined ? "" : `stack="${stack}" environment="${keep}"`;
    // `has PATTERN`: guest $d's XML, read into $x, contains PATTERN (never true for an empty one).
    return [
        "command -v virsh >/dev/null 2>&1 || exit 0",
        "virsh -q version >/dev/null 2>&1 || exit 0",
        `mine=${q(mine)}; own=${q(own)}`,
        'has() { [ -n "$1" ] && case "$x" in *"$1"*) true ;; *) false ;; esac; }',
        "for d in $(virsh list --name --state-running); do",
        '  x=$(virsh dumpxml "$d" 2>/dev/null) || continue',
        '  has "$mine" && ! has "$own" || continue',
        `  if virsh suspend "$d" >/dev/null 2>&1; then echo "${PAUSED}$d"; else echo "${PROBLEM}could not pause $d"; fi`,
        "done",
        "for d in $(virsh list --name --state-paused); do",
        '  x=$(virsh dumpxml "$d" 2>/dev/null) || continue',
        `  has "$own" && ${RESUME_D}`,
        "done",
        "exit 0",
    ].join("\n");
}

export interface QuietResult {
    readonly paused: readonly string[];
    readonly resumed: readonly string[];
    readonly problems: readonly string[];
}

export function parseQuietOutput(out: string): QuietResult {
    const lines = out.split("\n").map((l) => l.trim()).filter(Boolean);
    const pick = (p: string) => lines.filter((l) => l.startsWith(p)).map((l) => l.slice(p.length));
    return { paused: pick(PAUSED), resumed: pick(RESUMED), problems: pick(PROBLEM) };
}

/** Runs {@link quietGuestsScript}; a failure of the script itself is reported as a problem, never thrown. */
export function quietGuests(stack: string, keep: string | undefined): QuietResult {
    const r = run(["/bin/sh", "-c", quietGuestsScript(stack, keep)], 120);
    const parsed = parseQuietOutput(r.stdout);
    if (r.status === 0) return parsed;
    return { ...parsed, problems: [...parsed.problems, `quieting the other guests failed (exit ${r.status}): ${r.stderr.trim().slice(0, 300)}`] };
}

/** One progress line, or undefined when nothing changed. */
export function describeQuiet(r: QuietResult): string | undefined {
    const parts = [
        r.paused.length ? `paused ${r.paused.join(", ")}` : "",
        r.resumed.length ? `resumed ${r.resumed.join(", ")}` : "",
        ...r.problems,
    ].filter(Boolean);
    return parts.length ? parts.join("; ") : undefined;
}

/** Resumes a guest paused by an earlier cell (a re-run's probe needs it running). */
export function resumeIfPaused(domain: string): QuietResult {
    return parseQuietOutput(run(["/bin/sh", "-c", `d=${q(domain)}; [ "$(virsh domstate "$d" 2>/dev/null)" != paused ] || ${RESUME_D}`], 60).stdout);
}
