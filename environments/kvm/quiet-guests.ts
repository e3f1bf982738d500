/**
 * Guests of a stack that the current cell does not use are paused (`virsh suspend`) while it runs,
 * and the cell's own guest is resumed. All of a stack's guests are provisioned up front and stay up
 * for the whole run; idle, they still cost host CPU — under software emulation each idle guest took
 * 20–30 % of a core on the 2-core development host — which would be charged to whatever runs
 * next to them (native, Docker, another guest). A paused guest costs none.
 *
 * The program names the stack's guests (CellInvocation.guests), so a cell touches exactly those:
 * another stack's guests — even felter2014-small's, whose names start like felter2014's — and the
 * short-lived clones a lifecycle or instances cell makes of its own guest are never paused. One
 * `virsh list` per cell reads every state; virsh runs again only when a state must change, and not
 * at all in a stack without guests. virsh asks the libvirtd of the machine the guests run on.
 */
import type { Transport } from "../transport";

export interface QuietResult {
    readonly paused: readonly string[];
    readonly resumed: readonly string[];
    readonly problems: readonly string[];
}

/** Domain name → state ("running", "paused", "shut off", …) from `virsh list --all`'s table. */
export function parseVirshList(text: string): Map<string, string> {
    const states = new Map<string, string>();
    for (const line of text.split("\n")) {
        // " 3    isobench-quick-kvm-tuned   running" / " -    name   shut off"
        const m = /^\s*(\d+|-)\s+(\S+)\s+(\S.*?)\s*$/.exec(line);
        if (m && m[2] !== "Name") states.set(m[2], m[3]);
    }
    return states;
}

/** What must change: the stack's running guests other than `keep` are paused, `keep` is resumed if paused. */
export function quietPlan(
    states: ReadonlyMap<string, string>,
    guests: readonly string[],
    keep: string | undefined,
): { readonly pause: string[]; readonly resume: string[] } {
    return {
        pause: guests.filter((g) => g !== keep && states.get(g) === "running"),
        resume: keep !== undefined && states.get(keep) === "paused" ? [keep] : [],
    };
}

/**
 * Pauses the running guests among `guests` other than `keep` and resumes `keep` (undefined: the
 * cell runs outside any guest). Failures are reported as problems, never thrown: the caller decides.
 */
export function quietGuests(host: Pick<Transport, "virsh">, guests: readonly string[], keep: string | undefined): QuietResult {
    if (guests.length === 0 && keep === undefined) return { paused: [], resumed: [], problems: [] };
    const list = host.virsh(30, ["list", "--all"]);
    if (list.status !== 0) {
        return { paused: [], resumed: [], problems: [`virsh list failed (exit ${list.status}): ${(list.stderr || list.stdout).trim().slice(0, 300)}`] };
    }
    const plan = quietPlan(parseVirshList(list.stdout), guests, keep);
    const paused: string[] = [];
    const resumed: string[] = [];
    const problems: string[] = [];
    for (const [verb, names, done] of [
        ["suspend", plan.pause, paused],
        ["resume", plan.resume, resumed],
    ] as const) {
        for (const d of names) {
            const r = host.virsh(60, [verb, d]);
            if (r.status === 0) done.push(d);
            else problems.push(`could not ${verb === "suspend" ? "pause" : "resume"} ${d}: ${(r.stderr || r.stdout).trim().slice(0, 200)}`);
        }
    }
    return { paused, resumed, problems };
}

/** One progress line, or undefined when nothing changed. */
export function describeQuiet(r: QuietResult): string | undefined {
    const parts = [r.paused.length ? `paused ${r.paused.join(", ")}` : "", r.resumed.length ? `resumed ${r.resumed.join(", ")}` : "", ...r.problems].filter(
        Boolean,
    );
    return parts.length ? parts.join("; ") : undefined;
}
