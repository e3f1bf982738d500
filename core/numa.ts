/**
 * numactl policies: what a stack declares for an environment (`numactl: {cpunodebind, membind |
 * interleave | preferred | localalloc}`) or a workload takes as a parameter (the same policy as a
 * key, e.g. "cpunodebind:0+membind:0"), the numactl argv that applies it, the facts the probe
 * must find (`numactl --show` inside), and the nodes it needs. Pure: no I/O.
 */
import { formatCpuset, parseCpuset } from "./cpuset";
import type { ContainerNeeds } from "./container-needs";

/** Node lists are numactl's syntax restricted to what parseCpuset reads ("0", "0-1", "0,2"). */
export interface NumaPolicy {
    /** Run on the CPUs of these nodes (sched_setaffinity; no capability needed). */
    readonly cpunodebind?: string;
    /** Allocate only from these nodes (MPOL_BIND). */
    readonly membind?: string;
    /** Interleave pages over these nodes, or "all" (MPOL_INTERLEAVE). */
    readonly interleave?: string;
    /** Prefer this node (MPOL_PREFERRED). */
    readonly preferred?: number;
    /** Allocate on the node of the CPU that touches the page (MPOL_LOCAL; the paper's one-socket runs). */
    readonly localalloc?: boolean;
}

export type MemoryPolicy = "bind" | "interleave" | "preferred" | "local" | "default";

/** A node list; node numbers have at most 4 digits (Linux has at most 1024 nodes), so no range is absurdly long. */
const NODE_LIST = "\\d{1,4}(-\\d{1,4})?(,\\d{1,4}(-\\d{1,4})?)*";
const NODES = `^${NODE_LIST}$`;

/** JSON schema of the object form (stack files). */
export const numaPolicySchema = {
    type: "object",
    additionalProperties: false,
    minProperties: 1,
    properties: {
        cpunodebind: { type: "string", pattern: NODES },
        membind: { type: "string", pattern: NODES },
        interleave: { type: "string", pattern: `(${NODES})|^all$` },
        preferred: { type: "integer", minimum: 0, maximum: 1023 },
        localalloc: { const: true },
    },
} as const;

/**
 * Pattern of a policy key (the workload parameter form, parseNumaPolicyKey): its fields' syntax
 * only; parseNumaPolicyKey also refuses a field twice and two memory policies.
 */
export const NUMA_POLICY_KEY_PATTERN = (() => {
    const field = `cpunodebind:${NODE_LIST}|membind:${NODE_LIST}|interleave:(${NODE_LIST}|all)|preferred:\\d{1,4}|localalloc`;
    return `^(${field})(\\+(${field})){0,4}$`;
})();

const MEMORY_KEYS = ["membind", "interleave", "preferred", "localalloc"] as const;

/** Problems of a policy that its schema cannot express (one memory policy at most). */
export function numaPolicyErrors(p: NumaPolicy): string[] {
    const memory = MEMORY_KEYS.filter((k) => p[k] !== undefined);
    return memory.length > 1 ? [`sets ${memory.join(" and ")}; numactl applies one memory policy, choose one`] : [];
}

export function memoryPolicyOf(p: NumaPolicy): MemoryPolicy {
    if (p.membind !== undefined) return "bind";
    if (p.interleave !== undefined) return "interleave";
    if (p.preferred !== undefined) return "preferred";
    if (p.localalloc) return "local";
    return "default";
}

/** `numactl` argv prefix, e.g. ["numactl", "--cpunodebind=0", "--membind=0"]. */
export function numactlArgv(p: NumaPolicy): string[] {
    const a = ["numactl"];
    if (p.cpunodebind !== undefined) a.push(`--cpunodebind=${p.cpunodebind}`);
    if (p.membind !== undefined) a.push(`--membind=${p.membind}`);
    if (p.interleave !== undefined) a.push(`--interleave=${p.interleave}`);
    if (p.preferred !== undefined) a.push(`--preferred=${p.preferred}`);
    if (p.localalloc) a.push("--localalloc");
    return a;
}

/** Canonical key: the set fields in a fixed order joined with "+", e.g. "cpunodebind:0+membind:0", "localalloc". */
export function numaPolicyKey(p: NumaPolicy): string {
    const parts: string[] = [];
    if (p.cpunodebind !== undefined) parts.push(`cpunodebind:${p.cpunodebind}`);
    if (p.membind !== undefined) parts.push(`membind:${p.membind}`);
    if (p.interleave !== undefined) parts.push(`interleave:${p.interleave}`);
    if (p.preferred !== undefined) parts.push(`preferred:${p.preferred}`);
    if (p.localalloc) parts.push("localalloc");
    return parts.join("+");
}

/**
 * The policy a key names (the inverse of numaPolicyKey; the workload parameter form).
 * @throws Error naming the bad part and the allowed forms
 */
export function parseNumaPolicyKey(key: string): NumaPolicy {
    const usage = `use fields joined with "+": cpunodebind:<nodes>, membind:<nodes>, interleave:<nodes|all>, preferred:<node>, localalloc (e.g. "cpunodebind:0+membind:0")`;
    const out: Record<string, string | number | boolean> = {};
    const nodes = new RegExp(NODES);
    for (const part of key.split("+")) {
        const [k, v, ...rest] = part.split(":");
        const ok =
            rest.length === 0 &&
            !(k in out) &&
            ((k === "localalloc" && v === undefined) ||
                ((k === "cpunodebind" || k === "membind") && v !== undefined && nodes.test(v)) ||
                (k === "interleave" && v !== undefined && (v === "all" || nodes.test(v))) ||
                (k === "preferred" && v !== undefined && /^\d+$/.test(v)));
        if (!ok) throw new Error(`numactl policy "${key}": "${part}" is not a policy field; ${usage}`);
        out[k] = k === "localalloc" ? true : k === "preferred" ? Number(v) : v!;
    }
    const p = out as NumaPolicy;
    const errors = numaPolicyErrors(p);
    if (errors.length > 0) throw new Error(`numactl policy "${key}" ${errors[0]}`);
    return p;
}

/** Every NUMA node the policy names ("all" names none in particular). */
export function numaNodesOf(p: NumaPolicy): number[] {
    const lists = [p.cpunodebind, p.membind, p.interleave === "all" ? undefined : p.interleave].filter((l): l is string => l !== undefined);
    const nodes = lists.flatMap((l) => parseCpuset(l));
    if (p.preferred !== undefined) nodes.push(p.preferred);
    return [...new Set(nodes)].sort((a, b) => a - b);
}

/** The nodes a policy names that `available` does not have, as a sentence, or undefined. */
export function missingNodes(p: NumaPolicy, available: readonly number[]): string | undefined {
    const missing = numaNodesOf(p).filter((n) => !available.includes(n));
    if (missing.length === 0) return undefined;
    return `numactl ${numaPolicyKey(p)} names NUMA node${missing.length > 1 ? "s" : ""} ${missing.join(", ")}, but there ${available.length === 1 ? "is only node" : "are nodes"} ${formatCpuset([...available])}`;
}

/**
 * What a container needs to apply the policy: Docker's default seccomp profile allows
 * set_mempolicy, mbind and get_mempolicy only to containers with CAP_SYS_NICE (without it numactl
 * fails with "set_mempolicy: Operation not permitted"; test/fixtures/environments), so every memory
 * policy needs SYS_NICE; cpunodebind alone (sched_setaffinity) needs nothing.
 */
export function numaContainerNeeds(p: NumaPolicy): ContainerNeeds {
    return memoryPolicyOf(p) === "default" ? {} : { capAdd: ["SYS_NICE"], why: `numactl ${numaPolicyKey(p)}` };
}

/** A space-separated node or CPU list of numactl ("0 1 ") as a cpuset ("0-1"); "" when empty. */
function nodeList(text: string | undefined): string {
    const nums = (text ?? "")
        .trim()
        .split(/\s+/)
        .filter((w) => /^\d+$/.test(w))
        .map(Number);
    return nums.length ? formatCpuset(nums) : "";
}

/**
 * Facts of `numactl --show` (what the process running it gets): numa_policy (bind, interleave,
 * preferred, local, default), numa_nodebind, numa_membind (the bind mask, meaningful for bind),
 * numa_interleave (for interleave), numa_preferred (for preferred). Empty when no policy line.
 */
export function parseNumactlShow(show: string): Record<string, string> {
    // numactl 2.0.16 prints "preferred node: " without a newline under localalloc, so fields are
    // found anywhere on a line, not only at its start.
    const get = (k: string) => new RegExp(`(?:^|\\s)${k}:[ \\t]*([^\\n]*)`, "m").exec(show)?.[1];
    const policy = get("policy")?.trim();
    if (policy === undefined) return {};
    const f: Record<string, string> = { numa_policy: policy, numa_nodebind: nodeList(get("nodebind")) };
    if (policy === "bind") f.numa_membind = nodeList(get("membind"));
    if (policy === "interleave") f.numa_interleave = nodeList(get("interleavemask"));
    if (policy === "preferred") f.numa_preferred = nodeList(get("preferred"));
    if (/Operation not permitted/.test(show)) f.numa_error = "get_mempolicy: Operation not permitted";
    return f;
}

/**
 * What parseNumactlShow must find under the policy. `nodes` are the environment's nodes
 * (interleave "all" and a cpunodebind-less policy mean all of them).
 */
export function declaredNumaFacts(p: NumaPolicy, nodes: readonly number[]): Record<string, string> {
    const f: Record<string, string> = {
        numa_policy: memoryPolicyOf(p),
        numa_nodebind: formatCpuset(p.cpunodebind !== undefined ? parseCpuset(p.cpunodebind) : [...nodes]),
    };
    if (p.membind !== undefined) f.numa_membind = formatCpuset(parseCpuset(p.membind));
    if (p.interleave !== undefined) f.numa_interleave = formatCpuset(p.interleave === "all" ? [...nodes] : parseCpuset(p.interleave));
    if (p.preferred !== undefined) f.numa_preferred = String(p.preferred);
    return f;
}
