/**
 * The grouped schedule's side of a cell (isobench:schedule: grouped, experiment/plan.ts): before
 * each cell every other guest of the stack is shut off, not paused (a paused guest keeps its
 * memory), and the cell's own guest, when the cell begins its group, is started: a planned boot,
 * which the runner records as such and does not probe again. So is a guest the schedule itself
 * shut off last (shutByPlan: a failed cell in the middle of a group retried by a later up finds its
 * guest off by plan). Any other shut-off guest in the middle of its group (a host reboot, a crash)
 * stays the revival's to find and record (environments/revive.ts). Containers stay up under either
 * schedule: they hold little.
 *
 * Stopping comes before starting, so two guests never hold their memory at once; a guest that
 * cannot be shut off fails the cell (measuring next to it is what the schedule exists to avoid).
 */
import { GuestAccess } from "../../core/environment-handle";
import { UserError } from "../../core/errors";
import type { Transport } from "../transport";
import { parseVirshList } from "./quiet-guests";
import { REVIVE_BOOT_TIMEOUT_S } from "../revive";

/** Seconds a guest gets to shut down cleanly before it is forced off (guest-lifecycle.sh stop). */
export const SHUTDOWN_TIMEOUT_S = 120;

/** What must change before a cell: guests to shut off, and whether the cell's own guest is booted or resumed. */
export interface GroupedPlan {
    readonly stop: readonly string[];
    /** "boot": shut off at its group's start, as planned; "resume": paused (by an interleaved run of the stack before); undefined: nothing. */
    readonly own?: "boot" | "resume";
}

/**
 * Pure: from every domain's state, the stack's guests, the cell's own guest (undefined outside a
 * guest) and whether the cell begins its environment's group.
 */
export function groupedPlan(states: ReadonlyMap<string, string>, guests: readonly string[], keep: string | undefined, groupStart: boolean): GroupedPlan {
    const stop = guests.filter((g) => g !== keep && states.has(g) && states.get(g) !== "shut off");
    const state = keep === undefined ? undefined : states.get(keep);
    const own = state === "paused" ? "resume" : state === "shut off" && groupStart ? "boot" : undefined;
    return { stop, ...(own && { own }) };
}

const escaped = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Whether the last thing progress.log says of `domain` is that the grouped schedule shut it off
 * (describeGrouped's "shut off <domain>"), rather than that it was booted, resumed or revived since.
 */
export function shutByPlan(progressLog: string, domain: string): boolean {
    const d = escaped(domain);
    const event = new RegExp(`(shut off ${d}(?=[\\s;]|$))|((?:booted|resumed) ${d} for its group|guest ${d} was )`, "g");
    let last: "off" | "on" | undefined;
    for (const m of progressLog.matchAll(event)) last = m[1] ? "off" : "on";
    return last === "off";
}

export interface GroupedResult {
    /** Guests shut off, each with how ("shutdown" or "forced"). */
    readonly stopped: ReadonlyArray<{ readonly domain: string; readonly how: string }>;
    /** The cell's own guest when it was booted (or resumed) for its group, with the seconds until it answered SSH. */
    readonly booted?: { readonly domain: string; readonly seconds: number; readonly resumed: boolean };
}

const output = (c: { stderr: string; stdout: string; error?: string }) => `${c.stderr || c.stdout}${c.error ?? ""}`.trim().slice(-400);

/**
 * Shuts off the stack's guests other than the cell's own, then boots the own one when the cell
 * begins its group, on `host`, the machine the guests run on. @throws UserError when virsh does not answer or a guest cannot be stopped or started
 */
export function scheduleGrouped(
    host: Pick<Transport, "attempt" | "virsh">,
    guests: readonly string[],
    own: GuestAccess | undefined,
    groupStart: boolean,
    lifecycle: string,
    sshKey: string | undefined = own?.sshKey,
): GroupedResult {
    if (guests.length === 0 && own === undefined) return { stopped: [] };
    const list = host.virsh(30, ["list", "--all"]);
    if (list.status !== 0) throw new UserError(`the grouped schedule cannot read the guests' states: virsh list failed: ${output(list)}`);
    const plan = groupedPlan(parseVirshList(list.stdout), guests, own?.domain, groupStart);
    const stopped: Array<{ domain: string; how: string }> = [];
    for (const d of plan.stop) stopped.push({ domain: d, how: stopGuest(host, d, lifecycle, sshKey) });
    if (!plan.own || !own) return { stopped };
    const t0 = Date.now();
    const r = host.attempt([lifecycle, "start", own.domain, own.sshKey, String(REVIVE_BOOT_TIMEOUT_S)], REVIVE_BOOT_TIMEOUT_S + 60);
    if (r.status !== 0) throw new UserError(`the grouped schedule could not start guest ${own.domain} for its group: ${output(r)}`);
    return { stopped, booted: { domain: own.domain, seconds: (Date.now() - t0) / 1000, resumed: plan.own === "resume" } };
}

/**
 * Shuts a guest off (guest-lifecycle.sh stop: poweroff over SSH, forced after SHUTDOWN_TIMEOUT_S);
 * returns how ("shutdown" or "forced"). @throws UserError when it cannot
 */
function stopGuest(host: Pick<Transport, "attempt">, domain: string, lifecycle: string, sshKey: string | undefined): string {
    const r = host.attempt([lifecycle, "stop", domain, String(SHUTDOWN_TIMEOUT_S), ...(sshKey ? [sshKey] : [])], SHUTDOWN_TIMEOUT_S + 120);
    if (r.status !== 0) {
        throw new UserError(
            `the grouped schedule could not shut off guest ${domain}, whose memory the next group needs: ${output(r)}. Fix: look at virsh domstate ${domain}, then run isobench up again`,
        );
    }
    return r.stdout.trim() || "shutdown";
}

/**
 * Under the grouped schedule, a guest is shut off once its probe has measured it, before the
 * stack's next guest is created (experiment/program.ts makes that one wait for this probe): so at
 * provisioning, too, one guest at a time holds its memory. Returns the progress line, whose
 * "shut off <domain>" tells the guest's first cell (shutByPlan) that the boot it needs is planned.
 */
export function shutOffAfterProbe(host: Pick<Transport, "attempt">, own: GuestAccess, lifecycle: string): string {
    const how = stopGuest(host, own.domain, lifecycle, own.sshKey);
    return describeGrouped({ stopped: [{ domain: own.domain, how }] })!;
}

/** One progress line, or undefined when nothing changed. */
export function describeGrouped(r: GroupedResult): string | undefined {
    const parts = [
        ...r.stopped.map((s) => `shut off ${s.domain}${s.how === "forced" ? " (forced: it did not shut down in time)" : ""}`),
        ...(r.booted ? [`${r.booted.resumed ? "resumed" : "booted"} ${r.booted.domain} for its group in ${r.booted.seconds.toFixed(1)} s (planned)`] : []),
    ];
    return parts.length ? parts.join("; ") : undefined;
}
