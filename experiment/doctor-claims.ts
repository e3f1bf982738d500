/**
 * Which of the published studies' claims a machine can judge, from what doctor found there: a
 * claim compares environments (Docker against native, KVM against native, Docker against KVM),
 * and each side needs the machine to run it for real. Pure.
 */
import type { Claim, EnvSelector, Reference } from "../analysis/published";

/** What doctor found on the machine that matters to a claim. */
export interface MachineCapabilities {
    /** dockerd answers. */
    readonly docker: boolean;
    /**
     * Guests under KVM: `kvm` when KVM boots a stock guest there, `emulated` when it cannot (guests
     * would run under software emulation, whose points are never judged), `unknown` when it could
     * not be probed (no guest image yet), `remote` on a remote target (isobench does not run guests
     * there yet).
     */
    readonly kvm: "kvm" | "emulated" | "unknown" | "remote";
    /** /dev/vhost-net: the paper's tuned guest (kvm-tuned) uses in-kernel virtio-net. */
    readonly vhost: boolean;
}

export interface ClaimRow {
    readonly study: string;
    readonly claim: string;
    /** yes: every check can be judged; partly: only some of a check's environments; no; not applicable. */
    readonly verdict: "yes" | "partly" | "no" | "not applicable";
    /** Why not (or which part), empty for yes. */
    readonly why: string;
}

/** Why an environment kind (or named preset) cannot run for real on the machine; undefined when it can. */
function unavailable(kind: string, caps: MachineCapabilities): string | undefined {
    if (kind === "native") return undefined;
    if (kind === "docker") return caps.docker ? undefined : "dockerd does not answer";
    const guest = {
        kvm: undefined,
        emulated: "KVM cannot boot guests here, and emulated guests are never judged",
        unknown: "whether KVM boots guests here is unknown until the guest image is built",
        remote: "isobench does not run guests on a remote target yet",
    }[caps.kvm];
    if (kind === "kvm" || kind === "kvm-untuned") return guest;
    if (kind === "kvm-tuned") return guest ?? (caps.vhost ? undefined : "no /dev/vhost-net: kvm-tuned would not be the paper's tuned guest");
    if (kind === "docker-in-kvm") return guest ?? unavailable("docker", caps);
    return `unknown environment ${kind}`;
}

/** The kinds (or preset names) an environment selector can match, any one of which will do. */
function alternatives(sel: EnvSelector | undefined): string[] {
    if (!sel) return ["native"];
    if (sel.names) return [...sel.names];
    if (sel.kind === undefined) return ["docker", "kvm"];
    return typeof sel.kind === "string" ? [sel.kind] : [...sel.kind];
}

function claimRow(study: string, claim: Claim, caps: MachineCapabilities): ClaimRow {
    const row = (verdict: ClaimRow["verdict"], why = ""): ClaimRow => ({ study, claim: claim.id, verdict, why });
    if (claim.link_gbps !== undefined)
        return row("not applicable", `about saturating a ${claim.link_gbps} Gb/s link; isobench's client and server share the machine, so no link bounds them`);
    const partly: string[] = [];
    for (const check of claim.checks) {
        for (const side of [check.env, check.baseline]) {
            const alts = alternatives(side);
            const missing = alts.map((k) => [k, unavailable(k, caps)] as const).filter(([, why]) => why !== undefined);
            if (missing.length === alts.length) return row("no", `${missing.map(([k, why]) => `${k}: ${why}`).join("; ")}`);
            for (const [k, why] of missing) partly.push(`not ${k} (${why})`);
        }
    }
    const unique = [...new Set(partly)];
    return unique.length > 0 ? row("partly", unique.join("; ")) : row("yes");
}

/** One row per claim of every study. */
export function claimRows(refs: readonly Reference[], caps: MachineCapabilities): ClaimRow[] {
    return refs.flatMap((r) => r.claims.map((c) => claimRow(r.study, c, caps)));
}

/** The rows under a heading that counts them, as doctor prints them. */
export function formatClaimRows(rows: readonly ClaimRow[], machine: string): string[] {
    const yes = rows.filter((r) => r.verdict === "yes").length;
    const partly = rows.filter((r) => r.verdict === "partly").length;
    const w = Math.max(...rows.map((r) => `${r.study} ${r.claim}`.length));
    return [
        `claims of the published studies ${machine} can judge: ${yes} of ${rows.length}${partly ? `, ${partly} partly` : ""} (analysis/reference/)`,
        ...rows.map((r) => `  ${`${r.study} ${r.claim}`.padEnd(w)}  ${r.verdict}${r.why ? `: ${r.why}` : ""}`),
    ];
}
