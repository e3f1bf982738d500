/**
 * What a results folder's provenance holds and how two provenances differ (core/provenance.ts
 * says where each file lives). Pure: experiment/provenance-record.ts gathers the facts and
 * writes the files, experiment/rerun.ts reads them back.
 */
import { createHash } from "crypto";
import YAML from "yaml";
import type { ExperimentSpec } from "./spec";
import { getWorkload } from "../workloads";
import { describeCheckout, type ProvenanceRecord } from "../core/provenance";

/** Top-level keys of a stack file that are secrets of the Pulumi state: removed from the recorded copy. */
export const SECRET_STACK_KEYS = ["encryptionsalt", "encryptedkey"] as const;

/**
 * The stack file as recorded: the passphrase's salt and encrypted key removed, every `secure:`
 * config value replaced, comments and layout kept. A file that is not YAML is recorded as a note
 * (it cannot have been run).
 */
export function redactStackFile(text: string, stack: string): { text: string; removed: string[] } {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) return { text: `# stacks/Pulumi.${stack}.yaml was not valid YAML when recorded\n`, removed: ["the whole file"] };
    const removed: string[] = [];
    for (const k of SECRET_STACK_KEYS) {
        if (doc.has(k)) {
            doc.delete(k);
            removed.push(k);
        }
    }
    YAML.visit(doc, {
        Pair(_, pair) {
            if (YAML.isScalar(pair.key) && pair.key.value === "secure") {
                pair.value = doc.createNode("[secret removed]");
                if (!removed.includes("secure config values")) removed.push("secure config values");
            }
        },
    });
    const note = `# stacks/Pulumi.${stack}.yaml as run${removed.length ? `, without ${removed.join(" and ")} (secrets of the Pulumi state)` : ""} (isobench provenance)\n`;
    return { text: note + doc.toString(), removed };
}

/**
 * The files `git status --porcelain=v1 -z --untracked-files=all` lists, stack files left out: the
 * stack file as run is recorded itself, and `up --from` writes a new one into stacks/.
 */
export function dirtyFiles(porcelainZ: string): string[] {
    const entries = porcelainZ.split("\0");
    const out: string[] = [];
    for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (e.length < 4) continue;
        const file = e.slice(3);
        // A rename or copy is followed by its source path.
        if (e[0] === "R" || e[0] === "C") i++;
        if (/^stacks\/Pulumi\.[^/]+\.yaml$/.test(file)) continue;
        out.push(file);
    }
    return out;
}

/** Each workload's parameters with its defaults filled in: what its cells ran with (and what a fingerprint hashes). */
export function effectiveParams(spec: Pick<ExperimentSpec, "workloads">): Record<string, Record<string, number | string>> {
    return Object.fromEntries(spec.workloads.map((w) => [w.name, { ...getWorkload(w.name).defaults, ...w.params }]));
}

/** The packages of images/packages.txt, in order, each once (as images/build-all.sh reads it). */
export function packageList(text: string): string[] {
    return [
        ...new Set(
            text
                .split("\n")
                .map((l) => l.replace(/#.*/, "").replace(/\s/g, ""))
                .filter(Boolean),
        ),
    ];
}

/** `dpkg-query -W -f '${Package}\t${db:Status-Status}\t${Version}\n'` as package → version, "not installed" for the rest. */
export function installedVersions(dpkgQuery: string, packages: readonly string[]): Record<string, string> {
    const found = new Map<string, string>();
    for (const line of dpkgQuery.split("\n")) {
        const [name, status, version] = line.split("\t");
        // An architecture-qualified name (libfoo:amd64) is the package too.
        if (status === "installed" && version) found.set(name.replace(/:.*/, ""), version);
    }
    return Object.fromEntries(packages.map((p) => [p, found.get(p) ?? "not installed"]));
}

export const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The texts a pass writes into provenance/. */
export interface ProvenanceTexts {
    readonly record: string;
    readonly stackFile: string;
    readonly spec: string;
}

/**
 * What a pass changes in the recorded texts: the record's parts by name (isobench, images,
 * software, workloadParams), stack.yaml, spec.json. A text that was not there before is not a change.
 */
export function changedTexts(before: Partial<ProvenanceTexts>, now: Partial<ProvenanceTexts>): string[] {
    const out: string[] = [];
    if (before.record !== undefined && now.record !== undefined && before.record !== now.record) {
        const parts = (t: string): Record<string, unknown> => {
            try {
                return JSON.parse(t) as Record<string, unknown>;
            } catch {
                return {};
            }
        };
        const a = parts(before.record);
        const b = parts(now.record);
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
        out.push(...(keys.length ? keys : ["provenance.json"]));
    }
    if (before.stackFile !== undefined && now.stackFile !== undefined && before.stackFile !== now.stackFile) out.push("stack.yaml");
    if (before.spec !== undefined && now.spec !== undefined && before.spec !== now.spec) out.push("spec.json");
    return out;
}

/** What one side of a comparison knows: its provenance record (if any) and its host.csv facts. */
export interface ComparableSide {
    readonly record?: Pick<ProvenanceRecord, "isobench" | "images" | "software" | "hostPackages">;
    readonly hostFacts: Readonly<Record<string, string>>;
}

/** host.csv facts a re-run is compared on: what decides the numbers besides the spec. */
const HOST_FACTS: ReadonlyArray<[string, string]> = [
    ["kernel", "kernel"],
    ["cpu_model", "CPU model"],
    ["cpus", "CPUs"],
    ["docker", "Docker"],
    ["containerd", "containerd"],
    ["runc", "runc"],
    ["runsc", "runsc"],
    ["qemu", "QEMU"],
    ["libvirt", "libvirt"],
];

/** One side as labelled values, in the order a report lists them. */
export function comparableFacts(side: ComparableSide): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const r = side.record;
    if (r) {
        out.push(["isobench commit", describeCheckout(r.isobench)]);
        if (r.images.container) {
            out.push(["container image", r.images.container.tag], ["container image ID", r.images.container.id]);
        }
        for (const [kind, g] of Object.entries(r.images.guests).sort(([a], [b]) => a.localeCompare(b))) {
            out.push([`${kind}`, g.name]);
            if (g.build.kernel) out.push([`${kind} kernel`, g.build.kernel]);
            for (const [f, h] of Object.entries(g.sha256).sort(([a], [b]) => a.localeCompare(b))) out.push([`${kind} ${f} sha256`, h]);
        }
        out.push(["Node", r.software.node], ["Pulumi CLI", r.software.pulumiCli], ["@pulumi/pulumi", r.software.pulumiSdk]);
        for (const [p, v] of Object.entries(r.hostPackages ?? {})) out.push([`host package ${p}`, v]);
    }
    for (const [fact, label] of HOST_FACTS) if (side.hostFacts[fact] !== undefined) out.push([label, side.hostFacts[fact]]);
    return out;
}

/**
 * What differs between the original run and this host and checkout, one line each, over what the
 * original recorded: a fact the original has no record of is not a difference.
 */
export function provenanceDifferences(original: ComparableSide, here: ComparableSide): string[] {
    const mine = new Map(comparableFacts(here));
    return comparableFacts(original).flatMap(([label, was]) => {
        const now = mine.get(label) ?? "none";
        return now === was ? [] : [`${label}: ${was} in the original, ${now} here`];
    });
}
