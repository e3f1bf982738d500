/**
 * The experiment spec: a stack's `isobench:*` config, validated and with defaults applied.
 * Pure (no Pulumi, no I/O) so that the CLI can validate a stack file before anything is
 * provisioned and index.ts can validate the same config inside `pulumi up`.
 */
import Ajv, { ErrorObject } from "ajv";
import { getWorkload, WORKLOAD_NAMES } from "../workloads";
import { effectiveWorkload } from "../workloads/instances";
import { UserError } from "./errors";

export const ENVIRONMENT_NAMES = ["native", "docker-nat", "docker-host", "kvm-untuned", "kvm-tuned"] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];
export type DockerDriver = "auto" | "provider" | "cli";
export type VhostMode = "auto" | "on" | "off";

export interface KvmSizing {
    /** vCPUs of the guest (the paper used 1 for Redis/netperf, all host CPUs for Linpack). */
    readonly vcpus: number;
    readonly memoryMiB: number;
    /** Host CPU per vCPU for the tuned preset; default: the last `vcpus` host CPUs. */
    readonly pinning?: readonly number[];
    /** vhost-net: on = required, off = never, auto = used where /dev/vhost-net exists (recorded). */
    readonly vhost: VhostMode;
    /** Seconds to wait for the guest's SSH (software emulation boots take ~30 s). */
    readonly bootTimeoutS: number;
}

export interface WorkloadSelection {
    readonly name: string;
    /** Overrides of the workload's defaults (the stack's `scale`). */
    readonly params: Readonly<Record<string, number | string>>;
}

export interface ExperimentSpec {
    readonly stack: string;
    readonly runId: string;
    readonly repetitions: number;
    readonly environments: readonly EnvironmentName[];
    readonly workloads: readonly WorkloadSelection[];
    readonly allowSoftwareEmulation: boolean;
    readonly dockerDriver: DockerDriver;
    readonly kvm: KvmSizing;
}

/** A bad stack config; the message names the key, the bad value and what is allowed. */
export class SpecError extends UserError {}

const schema = {
    type: "object",
    additionalProperties: false,
    required: ["runId", "environments", "workloads"],
    properties: {
        runId: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" },
        repetitions: { type: "integer", minimum: 3, maximum: 1000 },
        environments: { type: "array", minItems: 1, uniqueItems: true, items: { enum: [...ENVIRONMENT_NAMES] } },
        workloads: {
            type: "array",
            minItems: 1,
            items: {
                anyOf: [
                    { enum: [...WORKLOAD_NAMES] },
                    {
                        type: "object",
                        additionalProperties: false,
                        required: ["name"],
                        properties: {
                            name: { enum: [...WORKLOAD_NAMES] },
                            params: { type: "object", additionalProperties: { type: ["number", "string"] } },
                        },
                    },
                ],
            },
        },
        allowSoftwareEmulation: { type: "boolean" },
        dockerDriver: { enum: ["auto", "provider", "cli"] },
        kvm: {
            type: "object",
            additionalProperties: false,
            properties: {
                vcpus: { type: "integer", minimum: 1, maximum: 512 },
                memoryMiB: { type: "integer", minimum: 256 },
                pinning: { type: "array", items: { type: "integer", minimum: 0 } },
                vhost: { enum: ["auto", "on", "off"] },
                bootTimeoutS: { type: "integer", minimum: 10 },
            },
        },
    },
} as const;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true });
const validate = ajv.compile(schema);

function describe(e: ErrorObject): string {
    const key = "isobench:" + e.instancePath.replace(/^\//, "").replace(/\//g, ".");
    const where = e.instancePath ? key : "isobench config";
    switch (e.keyword) {
        case "enum":
            return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(", ")}`;
        case "additionalProperties":
            return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}" (allowed: ${Object.keys(
                e.instancePath === "" ? schema.properties : e.instancePath === "/kvm" ? schema.properties.kvm.properties : { name: 1, params: 1 },
            ).join(", ")})`;
        case "required":
            return `${where}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        default:
            return `${where}: ${e.message}`;
    }
}

/**
 * Validates the `isobench:*` keys of a stack (prefix stripped) and applies defaults.
 * @throws SpecError listing every problem, each naming its key and the allowed values.
 */
export function parseSpec(stack: string, config: Readonly<Record<string, unknown>>): ExperimentSpec {
    if (!validate(config)) {
        // anyOf failures repeat the enum message per branch; report each distinct line once.
        const lines = [...new Set((validate.errors ?? []).filter((e) => e.keyword !== "anyOf").map(describe))];
        throw new SpecError(`stack "${stack}" has an invalid config:\n  - ${lines.join("\n  - ")}`);
    }
    const c = config as Record<string, any>;
    const workloads: WorkloadSelection[] = (c.workloads as unknown[]).map((w) =>
        typeof w === "string" ? { name: w, params: {} } : { name: (w as any).name, params: (w as any).params ?? {} },
    );
    const names = workloads.map((w) => w.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new SpecError(`stack "${stack}": isobench:workloads lists "${dup}" twice`);
    for (const w of workloads) {
        try {
            effectiveWorkload(getWorkload(w.name), w.params);
        } catch (e) {
            throw new SpecError(`stack "${stack}": isobench:workloads ${w.name}.params: ${(e as Error).message}`);
        }
    }
    const kvm = c.kvm ?? {};
    const sizing: KvmSizing = {
        vcpus: kvm.vcpus ?? 1,
        memoryMiB: kvm.memoryMiB ?? 1024,
        pinning: kvm.pinning,
        vhost: kvm.vhost ?? "auto",
        bootTimeoutS: kvm.bootTimeoutS ?? 180,
    };
    if (sizing.pinning && sizing.pinning.length !== sizing.vcpus) {
        throw new SpecError(
            `stack "${stack}": isobench:kvm.pinning has ${sizing.pinning.length} entries but isobench:kvm.vcpus is ${sizing.vcpus}; give one host CPU per vCPU`,
        );
    }
    return {
        stack,
        runId: c.runId,
        repetitions: c.repetitions ?? 3,
        environments: c.environments,
        workloads,
        allowSoftwareEmulation: c.allowSoftwareEmulation ?? false,
        dockerDriver: c.dockerDriver ?? "auto",
        kvm: sizing,
    };
}

/**
 * Pulumi hands config to programs as strings and rewrites stack files with scalars quoted
 * ("3", "true"), so a string is read as the JSON it encodes; runId always stays a string.
 */
export function configValue(key: string, value: unknown): unknown {
    if (key === "runId" || typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** Turns a Pulumi stack YAML's `config:` map into the un-prefixed isobench keys. */
export function isobenchKeys(config: Readonly<Record<string, unknown>>, stack: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) {
        if (k.startsWith("isobench:")) out[k.slice("isobench:".length)] = configValue(k.slice("isobench:".length), v);
        else if (!k.includes(":")) throw new SpecError(`stack "${stack}": config key "${k}" has no namespace; write "isobench:${k}"`);
    }
    return out;
}
