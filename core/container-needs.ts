/**
 * What a workload (or an environment's own numactl policy) needs from a Docker container beyond
 * its declared variant: extra capabilities, or no seccomp filter. Environments are provisioned once
 * per stack and every cell in them shares the container, so a need cannot be granted to one cell
 * alone: the container gets the union of the needs of everything that runs in it, and its variant
 * (`cap=`, `seccomp=`) and facts (`container_needs`, `caps_added`, `seccomp_mode`) say so. Pure.
 */
import type { DockerVariant } from "./environment-spec";

export interface ContainerNeeds {
    /** Capabilities to add (Docker spelling without CAP_, e.g. SYS_NICE). */
    readonly capAdd?: readonly string[];
    /** "unconfined" = run without a seccomp filter. */
    readonly seccomp?: "unconfined";
    /** Why, for the record (e.g. "numactl interleave:all"). */
    readonly why?: string;
}

/** A need and who has it (a workload name, or "environment" for the environment's own policy). */
export interface AttributedNeeds {
    readonly by: string;
    readonly needs: ContainerNeeds;
}

function isEmpty(n: ContainerNeeds): boolean {
    return (n.capAdd ?? []).length === 0 && n.seccomp === undefined;
}

/** The variant with every need added: capabilities as a sorted union, seccomp unconfined if anyone needs it. */
export function withNeeds(d: DockerVariant, needs: readonly AttributedNeeds[]): DockerVariant {
    const caps = new Set([...d.capAdd, ...needs.flatMap((n) => n.needs.capAdd ?? [])]);
    const unconfined = d.seccomp === "unconfined" || needs.some((n) => n.needs.seccomp === "unconfined");
    return { ...d, capAdd: [...caps].sort(), seccomp: unconfined ? "unconfined" : "default" };
}

/**
 * The record of who needed what, e.g. "stream: cap SYS_NICE (numactl interleave:all); environment:
 * cap SYS_NICE (numactl membind:0)", or "none".
 */
export function needsRecord(needs: readonly AttributedNeeds[]): string {
    const parts = needs
        .filter((n) => !isEmpty(n.needs))
        .map(({ by, needs: n }) => {
            const what = [...(n.capAdd ?? []).map((c) => `cap ${c}`), ...(n.seccomp ? [`seccomp ${n.seccomp}`] : [])].join(", ");
            return `${by}: ${what}${n.why ? ` (${n.why})` : ""}`;
        });
    return parts.length ? parts.join("; ") : "none";
}
