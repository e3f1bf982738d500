/**
 * The experiment spec: a stack's `isobench:*` config, validated and with defaults applied.
 * Pure (no Pulumi, no I/O) so that the CLI can validate a stack file before anything is
 * provisioned and index.ts can validate the same config inside `pulumi up`.
 */
import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import { getWorkload, WORKLOAD_NAMES } from "../workloads";
import { effectiveWorkload, INSTANCES_PARAM, INSTANCES_SCHEMA } from "../workloads/instances";
import { isCapability } from "../environments/capabilities";
import { resourceName } from "../environments/container-spec";
import { parseCpuset } from "../core/cpuset";
import { DOMAIN_NAME_RE, cpuModelNameError, diskModeError } from "../environments/kvm/domain-spec";
import { KVM_PRESETS, diskModes } from "../environments/kvm/presets";
import { missingNodes, NumaPolicy, numaPolicyErrors } from "../core/numa";

import {
    ENV_KINDS,
    EnvironmentInput,
    EnvironmentSpec,
    PresetName,
    HOST_CPU_SCHEMA,
    KvmDefaults,
    PRESET_NAMES,
    ResolvedEnvironmentInput,
    ResolvedKvmInput,
    environmentOf,
    environmentSchemas,
    guestNumaNodes,
    GuestEnvironmentSpec,
    isGuest,
    kvmSchema,
} from "../core/environment-spec";
import { SchemaType, wordOr } from "../core/schema";
import { SpecError } from "../core/errors";
import { HostShape, HostShapeSource, resolveRelativeSize } from "../core/host-shape";
import { didYouMean } from "../core/closest";
import type { AddedRepetition, PrecisionGoal } from "../core/precision";
import { SshAddress, parseSshUrl } from "../core/transport";
import { concurrentMemoryProblem, guestSizes } from "./guest-capacity";

export { PRESET_NAMES } from "../core/environment-spec";
export type { EnvironmentSpec, VhostMode } from "../core/environment-spec";

/** An environment's name: a preset name or the `name` of an object item. */
export type EnvironmentName = string;
export type DockerDriver = "auto" | "provider" | "cli";

export interface WorkloadSelection {
    readonly name: string;
    /** Overrides of the workload's defaults (the stack's `scale`). */
    readonly params: Readonly<Record<string, number | string>>;
    /**
     * The environments this workload runs in (names from isobench:environments); undefined = all.
     * This is how per-workload guest sizes are expressed (1 vCPU for Redis, all CPUs for Linpack).
     */
    readonly environments?: readonly string[];
    /** Wall-clock limit of each of its cells, in seconds; overrides isobench:cellTimeoutS. */
    readonly timeoutS?: number;
}

/**
 * Host settings a stack declares; the probe measures them and a mismatch stops the run. With
 * `apply: true` isobench sets them for the stack's lifetime and restores the previous values on
 * destroy (environments/host-settings.ts); without it, a host that differs is refused.
 */
export interface HostDeclared {
    readonly thp?: "always" | "madvise" | "never";
    readonly swap?: "on" | "off";
    readonly governor?: string;
    readonly boost?: "on" | "off";
    readonly apply?: boolean;
}

/** The declared settings alone (without `apply`), as the probe compares them. */
export function hostSettingsOf(h: HostDeclared): Record<string, string> {
    const { apply: _apply, ...settings } = h;
    return settings as Record<string, string>;
}

export type OnCellFailure = "stop" | "continue";

/**
 * How guests share the host over a run. "interleaved" (the default): every environment is up for
 * the whole run and within each repetition the environments take turns cell by cell, so slow
 * drift of the host is spread over all of them; all guests' memory is taken at once. "grouped":
 * within each repetition each environment's cells run back to back, and a guest is started before
 * its group and shut off after it, so one guest holds memory at a time, at one boot per guest per
 * repetition (experiment/plan.ts orders the cells, environments/kvm/guest-schedule.ts boots them).
 */
export type Schedule = "interleaved" | "grouped";
/** What a stack may write: a schedule, or "auto", which the host decides (resolveSchedule). */
export type ScheduleChoice = Schedule | "auto";

export interface ExperimentSpec {
    readonly stack: string;
    readonly runId: string;
    readonly repetitions: number;
    /** Environment names in declaration order. */
    readonly environments: readonly EnvironmentName[];
    /** Every environment with all knobs resolved, same order as `environments`. */
    readonly environmentSpecs: readonly EnvironmentSpec[];
    readonly workloads: readonly WorkloadSelection[];
    readonly allowSoftwareEmulation: boolean;
    readonly dockerDriver: DockerDriver;
    /**
     * What a failed cell does to the rest of the run: "continue" (the default) records the failure
     * in cells/<cell>.error and measures the other cells, so one bad cell does not cost a night's
     * matrix; "stop" ends the run at the failed cell. Either way the next up retries it.
     */
    readonly onCellFailure: OnCellFailure;
    /** isobench:schedule: whether guests are up together (interleaved) or one at a time (grouped); see Schedule. */
    readonly schedule: Schedule;
    /** Why: where the stack said `auto`, what the host's memory decided (the plan and the run's first line say it). */
    readonly scheduleWhy?: string;
    /** Wall-clock limit of every cell, in seconds, unless its workload sets timeoutS; undefined = the default (cellLimitS). */
    readonly cellTimeoutS?: number;
    readonly kvm: KvmDefaults;
    readonly host: HostDeclared;
    /** `isobench:precision`: repetitions are added (up to its maxima) until every primary metric's mean meets it and, with maxClaimRepetitions, every judged claim is decided; undefined = the planned repetitions only. */
    readonly precision?: PrecisionGoal;
    /**
     * Repetitions added for the precision goal: not from the stack file but from the run's
     * repetitions.json (experiment/precision-run.ts withAddedRepetitions), so the plan declares them on every up.
     */
    readonly addedRepetitions?: readonly AddedRepetition[];
    /** `isobench:target`: the machine under test reached over SSH; undefined = the machine isobench runs on. */
    readonly target?: SshAddress;
    /**
     * `isobench:stabilityProbeS`: seconds of the host stability probe before each `isobench up`
     * pass (experiment/stability-record.ts), 0 = none. Absent from specs recorded before it existed.
     */
    readonly stabilityProbeS?: number;
}

/**
 * The probe's default length: 30 one-second samples of each placement. On the development host 10
 * samples gave a CV of 3.2 % between CPUs where 40 over two minutes gave 5.9 %: a shorter probe
 * calls an unsteady machine steady.
 */
export const DEFAULT_STABILITY_PROBE_S = 60;
/** The shortest probe: two samples of each placement, the fewest that show a spread. */
export const MIN_STABILITY_PROBE_S = 4;

/**
 * What a stack may be called. The name becomes the stack file's name, container and guest names,
 * the native data directory that destroy removes with rm -rf, results/<stack>/ and the Pulumi
 * stack, so it is one spelling that is safe in all of them: no path separators, dots, quotes or
 * shell characters, and no leading "-" that a command would read as an option.
 */
export const STACK_NAME_PATTERN = "^[a-z0-9][a-z0-9-]{0,39}$";

/** @throws SpecError naming the stack name and the allowed pattern */
export function checkStackName(stack: string): void {
    if (typeof stack !== "string" || !new RegExp(STACK_NAME_PATTERN).test(stack)) {
        throw new SpecError(
            `stack name ${shown(stack)} does not match ${STACK_NAME_PATTERN}: lower-case letters, digits and "-", at most 40 characters. Fix: rename stacks/Pulumi.<stack>.yaml`,
        );
    }
}

/** A value as a message shows it: JSON (so newlines and quotes stay visible), cut short. */
function shown(v: unknown): string {
    // JSON has no NaN or Infinity (it writes null); YAML's .nan and .inf do reach here.
    const s = typeof v === "number" && !Number.isFinite(v) ? String(v) : (JSON.stringify(v) ?? String(v));
    return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** A cell's wall-clock limit: from 10 s to a week. */
const CELL_TIMEOUT_SCHEMA = { type: "integer", minimum: 10, maximum: 604_800 } as const;

const schema = {
    type: "object",
    additionalProperties: false,
    required: ["runId", "environments", "workloads"],
    properties: {
        runId: { type: "string", pattern: "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$" },
        repetitions: { type: "integer", minimum: 3, maximum: 1000 },
        precision: {
            type: "object",
            additionalProperties: false,
            required: ["relativeHalfWidth", "maxRepetitions"],
            properties: {
                relativeHalfWidth: { type: "number", exclusiveMinimum: 0 },
                maxRepetitions: { type: "integer", minimum: 3, maximum: 1000 },
                maxClaimRepetitions: { type: "integer", minimum: 3, maximum: 1000 },
            },
        },
        // Items are checked one by one below (a preset name, or an object validated by its kind).
        environments: { type: "array", minItems: 1, maxItems: 64, items: { type: ["string", "object"] } },
        workloads: {
            type: "array",
            minItems: 1,
            maxItems: 64,
            items: wordOr(WORKLOAD_NAMES, {
                type: "object",
                additionalProperties: false,
                required: ["name"],
                properties: {
                    name: { enum: [...WORKLOAD_NAMES] },
                    // Checked below against the workload's own parameter schema.
                    params: { type: "object" },
                    environments: { type: "array", minItems: 1, maxItems: 64, uniqueItems: true, items: { type: "string" } },
                    timeoutS: CELL_TIMEOUT_SCHEMA,
                },
            }),
        },
        allowSoftwareEmulation: { type: "boolean" },
        dockerDriver: { enum: ["auto", "provider", "cli"] },
        // "local", or {url, keyFile}: checked by targetOf, which names what is wrong and the fix.
        target: { type: ["string", "object"] },
        onCellFailure: { enum: ["stop", "continue"] },
        schedule: { enum: ["interleaved", "grouped", "auto"] },
        cellTimeoutS: CELL_TIMEOUT_SCHEMA,
        stabilityProbeS: { type: "integer", minimum: 0, maximum: 600 },
        kvm: {
            type: "object",
            additionalProperties: false,
            // The same knobs as each guest's (environment-spec.ts), as stack-wide defaults.
            properties: {
                vcpus: kvmSchema.vcpus,
                memoryMiB: kvmSchema.memoryMiB,
                memory: kvmSchema.memory,
                pinning: { type: "array", minItems: 1, maxItems: 512, items: HOST_CPU_SCHEMA },
                vhost: kvmSchema.vhost,
                bootTimeoutS: kvmSchema.bootTimeoutS,
            },
        },
        host: {
            type: "object",
            additionalProperties: false,
            properties: {
                thp: { enum: ["always", "madvise", "never"] },
                swap: { enum: ["on", "off"] },
                governor: { type: "string", pattern: "^[a-z]{1,32}$" },
                boost: { enum: ["on", "off"] },
                apply: { type: "boolean" },
            },
        },
    },
} as const;

/** The `isobench:*` keys of a stack as the schema admits them (environment items and workload params are checked on their own). */
type StackConfig = SchemaType<typeof schema>;

const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, verbose: true });
const validate = ajv.compile<StackConfig>(schema);
const validateEnv: Readonly<Record<string, ValidateFunction>> = Object.fromEntries(Object.entries(environmentSchemas).map(([k, s]) => [k, ajv.compile(s)]));
/** Each workload's params: its own parameters, and the instances sweep every workload is offered (effectiveWorkload says which can run it). */
const validateParams: Readonly<Record<string, ValidateFunction>> = Object.fromEntries(
    WORKLOAD_NAMES.map((n) => [
        n,
        ajv.compile({
            type: "object",
            additionalProperties: false,
            properties: { [INSTANCES_PARAM]: INSTANCES_SCHEMA, ...getWorkload(n).paramSchema },
        }),
    ]),
);

function describe(e: ErrorObject, prefix = ""): string {
    const path = prefix + e.instancePath;
    // instancePath escapes "/" and "~" in keys (JSON Pointer); the message shows the key as written.
    const where = path
        ? "isobench:" +
          path
              .replace(/^\//, "")
              .split("/")
              .map((k) => k.replace(/~1/g, "/").replace(/~0/g, "~"))
              .join(".")
        : "isobench config";
    const description = (e.parentSchema as { description?: string } | undefined)?.description;
    switch (e.keyword) {
        case "enum": {
            const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
            const hint = typeof e.data === "string" ? didYouMean(e.data, allowed.map(String)) : "";
            return `${where}: must be one of ${allowed.join(", ")}${description ? ` or ${description}` : ""}${hint}`;
        }
        case "const":
            return `${where}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
        case "additionalProperties": {
            const key = (e.params as { additionalProperty: string }).additionalProperty;
            const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
            return `${where}: unknown key ${shown(key)}${didYouMean(key, allowed)} (allowed: ${allowed.join(", ")})`;
        }
        case "required":
            return `${where}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
        case "pattern":
            return description
                ? `${where}: must be ${description}, got ${shown(e.data)}`
                : `${where}: ${shown(e.data)} does not match ${(e.params as { pattern: string }).pattern}`;
        default:
            return `${where}: ${e.message}${e.data !== undefined && typeof e.data !== "object" ? `, got ${shown(e.data)}` : ""}`;
    }
}

/** An error of the failing branch itself; "if" and "anyOf" only say that a branch failed. */
function reported(e: ErrorObject): boolean {
    return e.keyword !== "if" && e.keyword !== "anyOf";
}

/** Lines a refusal lists; a file with thousands of bad items would otherwise bury the first. */
const MAX_LINES = 20;

function fail(stack: string, lines: readonly string[]): never {
    const unique = [...new Set(lines)];
    const more = unique.length > MAX_LINES ? [`… and ${unique.length - MAX_LINES} more`] : [];
    throw new SpecError(`stack "${stack}" has an invalid config:\n  - ${[...unique.slice(0, MAX_LINES), ...more].join("\n  - ")}`);
}

/** Schema errors of the environment items, each naming its key. */
function environmentItemErrors(items: readonly unknown[]): string[] {
    const lines: string[] = [];
    items.forEach((item, i) => {
        const key = `isobench:environments.${i}`;
        if (typeof item === "string") {
            if (!(PRESET_NAMES as readonly string[]).includes(item)) {
                lines.push(
                    `${key}: must be one of ${PRESET_NAMES.join(", ")} (or an object with name and kind: ${ENV_KINDS.join(", ")})${didYouMean(item, PRESET_NAMES)}`,
                );
            }
            return;
        }
        const kind = (item as { kind?: unknown }).kind;
        // Own keys only: "toString" or "constructor" is not a kind.
        if (typeof kind !== "string" || !Object.prototype.hasOwnProperty.call(validateEnv, kind)) {
            lines.push(`${key}.kind: must be one of ${ENV_KINDS.join(", ")}${typeof kind === "string" ? didYouMean(kind, ENV_KINDS) : ""}`);
            return;
        }
        const v = validateEnv[kind];
        if (!v(item)) lines.push(...(v.errors ?? []).filter(reported).map((e) => describe(e, `/environments/${i}`)));
    });
    return lines;
}

/** Schema errors of each workload item's params against its workload's parameter schema, each naming its key. */
function workloadParamErrors(items: readonly unknown[]): string[] {
    return items.flatMap((item, i) => {
        if (typeof item === "string" || (item as { params?: unknown }).params === undefined) return [];
        const v = validateParams[(item as { name: string }).name];
        return v((item as { params: unknown }).params) ? [] : (v.errors ?? []).filter(reported).map((e) => describe(e, `/workloads/${i}/params`));
    });
}

/**
 * The cpusets and node lists of an environment, by key: the schema checks their syntax,
 * parseCpuset what it cannot (a reversed range such as "3-1"), which Docker and libvirt would
 * otherwise refuse only when the environment is created.
 */
function cpusetsOf(e: EnvironmentSpec, key: string): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const nodes = (at: string, p: NumaPolicy | undefined) => {
        for (const f of ["cpunodebind", "membind", "interleave"] as const) {
            const v = p?.[f];
            if (v !== undefined && v !== "all") out.push([`${at}.numactl.${f}`, v]);
        }
    };
    if (e.kind === "native") nodes(key, e.numactl);
    const dockerAt = e.kind === "docker-in-kvm" ? `${key}.docker` : key;
    if (e.kind === "docker" || e.kind === "docker-in-kvm") {
        if (e.docker.limits.cpuset !== undefined) out.push([`${dockerAt}.limits.cpuset`, e.docker.limits.cpuset]);
        nodes(dockerAt, e.docker.numactl);
    }
    const guestAt = e.kind === "docker-in-kvm" ? `${key}.guest` : key;
    if (isGuest(e)) {
        if (e.kvm.emulatorPin !== undefined && e.kvm.emulatorPin !== "none") out.push([`${guestAt}.emulatorPin`, e.kvm.emulatorPin]);
        if (e.kvm.iothreadPin !== undefined) out.push([`${guestAt}.iothreadPin`, e.kvm.iothreadPin]);
    }
    return out;
}

/** The rules of a guest (kvm, docker-in-kvm) that need no host facts, so they are refused with the stack's key. */
function guestConsistency(stack: string, e: GuestEnvironmentSpec, key: string): string[] {
    const lines: string[] = [];
    if (Array.isArray(e.kvm.pinning) && e.kvm.pinning.length !== e.kvm.vcpus) {
        lines.push(`${key} (${e.name}): pinning lists ${e.kvm.pinning.length} host CPUs for ${e.kvm.vcpus} vCPUs; give one host CPU per vCPU`);
    }
    if (e.kvm.iothreadPin !== undefined && e.kvm.iothreads === 0) {
        lines.push(`${key} (${e.name}): iothreadPin is set but iothreads is 0; set iothreads >= 1`);
    }
    const guestAt = e.kind === "docker-in-kvm" ? `${key}.guest` : key;
    const t = e.kvm.topology;
    if (typeof t === "object" && t.sockets * t.cores * t.threads !== e.kvm.vcpus) {
        lines.push(
            `${guestAt}.topology (${e.name}): ${t.sockets} sockets × ${t.cores} cores × ${t.threads} threads = ${t.sockets * t.cores * t.threads} vCPUs, but vcpus is ${e.kvm.vcpus}; make them equal`,
        );
    }
    const model = e.kvm.cpuModel;
    const modelError = typeof model === "object" ? cpuModelNameError(model.named) : undefined;
    if (modelError) lines.push(`${guestAt}.cpuModel (${e.name}): ${modelError}`);
    const disk = diskModes(KVM_PRESETS[e.kvm.preset], e.kvm);
    const diskError = diskModeError(disk.diskCache, disk.diskIo);
    if (diskError)
        lines.push(
            `${guestAt}.${e.kvm.diskIo !== undefined ? "diskIo" : "diskCache"} (${e.name}): ${diskError}${e.kvm.diskIo === undefined ? ` (io=native is ${e.kvm.preset}'s)` : ""}`,
        );
    const domain = resourceName(stack, e.name);
    if (!DOMAIN_NAME_RE.test(domain)) {
        lines.push(
            `${key} (${e.name}): the guest's domain name "${domain}" is ${domain.length} characters, more than libvirt domain names may have here (64); shorten the environment name or the stack name`,
        );
    }
    if (e.kvm.numa > e.kvm.vcpus) {
        lines.push(`${key} (${e.name}): numa ${e.kvm.numa} nodes need at least as many vCPUs (vcpus is ${e.kvm.vcpus})`);
    }
    return lines;
}

/** The rules of a container (docker, docker-in-kvm) and of NUMA policies. */
function containerConsistency(e: EnvironmentSpec, key: string): string[] {
    const lines: string[] = [];
    if (e.kind === "docker-in-kvm") {
        if (e.docker.userlandProxy)
            lines.push(
                `${key} (${e.name}): docker.userlandProxy must be false in a guest: the host reaches published ports at the guest's address, where the guest's iptables DNAT carries them`,
            );
        if (e.docker.runtime === "runsc") lines.push(`${key} (${e.name}): docker.runtime runsc is not available in the guest image; use runc`);
    }
    const numactl = e.kind === "native" ? e.numactl : e.kind === "kvm" ? undefined : e.docker.numactl;
    if (numactl) for (const m of numaPolicyErrors(numactl)) lines.push(`${key} (${e.name}): numactl ${m}`);
    if (numactl && e.kind === "docker-in-kvm") {
        const miss = missingNodes(numactl, guestNumaNodes(e.kvm));
        if (miss) lines.push(`${key} (${e.name}): docker.${miss} in the guest; set guest.numa, or change the policy`);
    }
    if (e.kind === "docker" || e.kind === "docker-in-kvm") {
        const unknown = e.docker.capAdd.filter((c) => !isCapability(c));
        if (unknown.length > 0) lines.push(`${key} (${e.name}): capAdd ${unknown.join(", ")} is not a Linux capability (write it without CAP_, e.g. SYS_NICE)`);
        if (e.docker.network !== "nat" && e.docker.userlandProxy) {
            lines.push(`${key} (${e.name}): userlandProxy applies to network nat only (network is ${e.docker.network})`);
        }
    }
    return lines;
}

/** Each workload's environments exist, and a server workload runs only where its port can be reached. */
function workloadConsistency(envs: readonly EnvironmentSpec[], workloads: readonly WorkloadSelection[]): string[] {
    const lines: string[] = [];
    const names = envs.map((e) => e.name);
    workloads.forEach((w, i) => {
        (w.environments ?? []).forEach((n, j) => {
            if (!names.includes(n)) lines.push(`isobench:workloads.${i}.environments.${j}: "${n}" is not in isobench:environments (${names.join(", ")})`);
        });
        const port = getWorkload(w.name).serverPort;
        if (port === undefined) return;
        for (const e of envs) {
            const runsHere = !w.environments || w.environments.includes(e.name);
            if (runsHere && (e.kind === "docker" || e.kind === "docker-in-kvm") && e.docker.network === "none") {
                lines.push(
                    `isobench:workloads.${i} (${w.name}) runs a server on port ${port}, which environment "${e.name}" (network none) cannot expose; give ${w.name} an environments list without it, or use network nat or host`,
                );
            }
        }
    });
    return lines;
}

/** Cross-key checks of the resolved environments (names, pinning length, networks). */
function environmentConsistency(stack: string, envs: readonly EnvironmentSpec[], workloads: readonly WorkloadSelection[]): string[] {
    const lines: string[] = [];
    const names = envs.map((e) => e.name);
    names.forEach((n, i) => {
        if (names.indexOf(n) !== i) lines.push(`isobench:environments.${i}: the name "${n}" is used twice; every environment needs its own name`);
    });
    envs.forEach((e, i) => {
        const key = `isobench:environments.${i}`;
        for (const [at, cpuset] of cpusetsOf(e, key)) {
            try {
                parseCpuset(cpuset);
            } catch (err) {
                lines.push(`${at} (${e.name}): ${(err as Error).message}`);
            }
        }
        if (isGuest(e)) lines.push(...guestConsistency(stack, e, key));
        lines.push(...containerConsistency(e, key));
    });
    lines.push(...workloadConsistency(envs, workloads));
    return lines;
}

/**
 * isobench:kvm's defaults and every environment item with its guest's host-relative sizes
 * (`vcpus: host`, `memory: "40%"`, `topology: host`, `numa: host`) resolved against the host's
 * shape, each with what they became; refused, naming the key, when they cannot be.
 */
function resolveGuestSizes(
    stack: string,
    c: StackConfig,
    host: HostShapeSource,
): { sizing: KvmDefaults; environments: Array<{ item: PresetName | ResolvedEnvironmentInput; became?: string }> } {
    const problems: string[] = [];
    const joined = (b: readonly string[]) => (b.length > 0 ? b.join("; ") : undefined);
    const kvm = resolveRelativeSize(c.kvm ?? {}, host, "isobench:kvm");
    problems.push(...kvm.problems);
    const k = kvm.size;
    const sizing: KvmDefaults = {
        vcpus: k.vcpus ?? 1,
        memoryMiB: k.memoryMiB ?? 1024,
        pinning: k.pinning,
        vhost: k.vhost ?? "auto",
        bootTimeoutS: k.bootTimeoutS ?? 180,
        ...(joined(kvm.became) && { sizing: joined(kvm.became) }),
        ...(k.memoryShare && { memoryShare: k.memoryShare }),
    };
    // Each item passed its own kind's schema (environmentItemErrors), which the top-level schema leaves open.
    const environments = (c.environments as ReadonlyArray<PresetName | EnvironmentInput>).map((item, i) => {
        if (typeof item === "string" || (item.kind !== "kvm" && item.kind !== "docker-in-kvm")) return { item };
        const key = `isobench:environments.${i}${item.kind === "docker-in-kvm" ? ".guest" : ""}`;
        const r = resolveRelativeSize(item.kind === "kvm" ? item : (item.guest ?? {}), host, key, sizing.vcpus);
        problems.push(...r.problems);
        const resolved = item.kind === "kvm" ? (r.size as ResolvedEnvironmentInput) : { ...item, guest: r.size as ResolvedKvmInput };
        const became = joined(r.became);
        return { item: resolved, ...(became && { became }) };
    });
    if (problems.length > 0) fail(stack, problems);
    return { sizing, environments };
}

/** Reads the shape of the machine a stack measures: its isobench:target (undefined: this machine). */
export type MachineShapeOf = (target: SshAddress | undefined) => HostShape | undefined;

/**
 * Validates the `isobench:*` keys of a stack (prefix stripped) and applies defaults.
 * @param machineShape the shape of the machine under test, which host-relative guest sizes are
 *   resolved against (experiment/host-shape-read.ts), or how to read it once the target is known
 *   (read only when a size is host-relative or the schedule is auto)
 * @throws SpecError listing every problem, each naming its key and the allowed values.
 */
export function parseSpec(stack: string, config: Readonly<Record<string, unknown>>, machineShape?: HostShape | MachineShapeOf): ExperimentSpec {
    checkStackName(stack);
    if (!validate(config)) {
        fail(
            stack,
            (validate.errors ?? []).filter(reported).map((e) => describe(e)),
        );
    }
    const c: StackConfig = config;
    const target = targetOf(stack, c.target);
    let read: { shape: HostShape | undefined } | undefined;
    const host: HostShapeSource = typeof machineShape === "function" ? () => (read ??= { shape: machineShape(target) }).shape : machineShape;
    const precisionErrors = precisionGoalErrors(c.precision, c.repetitions ?? 3);
    if (precisionErrors.length > 0) fail(stack, precisionErrors);
    if (c.stabilityProbeS !== undefined && c.stabilityProbeS > 0 && c.stabilityProbeS < MIN_STABILITY_PROBE_S)
        fail(stack, [
            `isobench:stabilityProbeS: ${c.stabilityProbeS} s is too short for two samples of each placement; set 0 (no probe) or at least ${MIN_STABILITY_PROBE_S} (the default is ${DEFAULT_STABILITY_PROBE_S})`,
        ]);
    const itemErrors = [...environmentItemErrors(c.environments), ...workloadParamErrors(c.workloads)];
    if (itemErrors.length > 0) fail(stack, itemErrors);
    const workloads: WorkloadSelection[] = c.workloads.map((w) =>
        typeof w === "string"
            ? { name: w, params: {} }
            : {
                  name: w.name,
                  params: (w.params ?? {}) as WorkloadSelection["params"],
                  ...(w.environments && { environments: w.environments }),
                  ...(w.timeoutS !== undefined && { timeoutS: w.timeoutS }),
              },
    );
    const names = workloads.map((w) => w.name);
    const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
    if (dup >= 0)
        fail(stack, [
            `isobench:workloads.${dup}: "${names[dup]}" is listed twice (also isobench:workloads.${names.indexOf(names[dup])}); list each workload once`,
        ]);
    // What the parameter schemas cannot say (a sweep only where the workload can run one, a
    // numactl policy with one memory policy), through the functions the workloads use themselves.
    const semantic: string[] = [];
    workloads.forEach((w, i) => {
        try {
            const wl = getWorkload(w.name);
            effectiveWorkload(wl, w.params);
            wl.containerNeeds?.({ ...wl.defaults, ...w.params });
        } catch (e) {
            semantic.push(`isobench:workloads.${i}.params (${w.name}): ${(e as Error).message}`);
        }
    });
    if (semantic.length > 0) fail(stack, semantic);
    const { sizing, environments: items } = resolveGuestSizes(stack, c, host);
    if (sizing.pinning && sizing.pinning.length !== sizing.vcpus) {
        throw new SpecError(
            `stack "${stack}": isobench:kvm.pinning has ${sizing.pinning.length} entries but isobench:kvm.vcpus is ${sizing.vcpus}; give one host CPU per vCPU`,
        );
    }
    const environmentSpecs = items.map(({ item, became }) => environmentOf(item, sizing, became));
    const consistency = environmentConsistency(stack, environmentSpecs, workloads);
    if (consistency.length > 0) fail(stack, consistency);
    if (target) {
        const remote = remoteTargetErrors(c.dockerDriver, c.host?.apply === true);
        if (remote.length > 0) fail(stack, remote);
    }
    const schedule = resolveSchedule(stack, c.schedule ?? "interleaved", environmentSpecs, host);
    return {
        stack,
        runId: c.runId,
        repetitions: c.repetitions ?? 3,
        environments: environmentSpecs.map((e) => e.name),
        environmentSpecs,
        workloads,
        allowSoftwareEmulation: c.allowSoftwareEmulation ?? false,
        dockerDriver: c.dockerDriver ?? "auto",
        onCellFailure: c.onCellFailure ?? "continue",
        schedule: schedule.schedule,
        ...(schedule.why && { scheduleWhy: schedule.why }),
        ...(c.cellTimeoutS !== undefined && { cellTimeoutS: c.cellTimeoutS }),
        kvm: sizing,
        host: { ...(c.host ?? {}) },
        ...(c.precision && { precision: c.precision }),
        ...(target && { target }),
        stabilityProbeS: c.stabilityProbeS ?? DEFAULT_STABILITY_PROBE_S,
    };
}

/**
 * isobench:schedule: auto: interleaved where the stack's guests fit the host's memory together,
 * else grouped (one guest at a time), so that a study stack runs on a smaller server without a
 * hand edit; the design changes with it (docs/reproduce-on-your-server.md, "Interleaved or
 * grouped"), which is why the choice is said and recorded (scheduleWhy, the resolved spec).
 * @throws SpecError when auto has no host to decide on
 */
function resolveSchedule(
    stack: string,
    choice: ScheduleChoice,
    environmentSpecs: readonly EnvironmentSpec[],
    hostSource: HostShapeSource,
): { readonly schedule: Schedule; readonly why?: string } {
    if (choice !== "auto") return { schedule: choice };
    const host = typeof hostSource === "function" ? hostSource() : hostSource;
    if (!host) throw new SpecError(`stack "${stack}": isobench:schedule: auto needs the host's memory to decide; write interleaved or grouped`);
    const size = { cpuCount: host.cpus, memTotalMiB: host.memTotalMiB };
    const sizes = guestSizes({ environmentSpecs });
    const guests = sizes.reduce((sum, g) => sum + g.memoryMiB, 0);
    if (!concurrentMemoryProblem(sizes, size))
        return { schedule: "interleaved", why: `isobench:schedule: auto: the guests' ${guests} MiB fit this host's ${host.memTotalMiB} MiB together` };
    return {
        schedule: "grouped",
        why: `isobench:schedule: auto: the guests' ${guests} MiB do not fit this host's ${host.memTotalMiB} MiB together, so one guest at a time`,
    };
}

const TARGET_FORM =
    'write isobench:target: {url: "ssh://user@host[:port]", keyFile: /path/to/private/key}, or leave it out (or "local") to measure this machine';

/** `isobench:target` as the stack writes it: undefined for this machine. @throws SpecError naming the key and the fix */
function targetOf(stack: string, given: unknown): SshAddress | undefined {
    if (given === undefined || given === "local") return undefined;
    const bad = (what: string): never => fail(stack, [`isobench:target: ${what}. Fix: ${TARGET_FORM}`]);
    if (typeof given === "string") {
        return bad(
            given.startsWith("ssh://")
                ? `${shown(given)} names no key file: a remote target needs one`
                : `${shown(given)} is neither "local" nor a remote target`,
        );
    }
    const o = given as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => k !== "url" && k !== "keyFile");
    if (unknown.length > 0) bad(`unknown key ${shown(unknown[0])}${didYouMean(unknown[0], ["url", "keyFile"])} (allowed: url, keyFile)`);
    if (typeof o.url !== "string") return bad("url is missing or not a string");
    const url = parseSshUrl(o.url);
    if (typeof url === "string") return bad(`url ${url}`);
    if (typeof o.keyFile !== "string" || !o.keyFile.startsWith("/"))
        return bad(`keyFile ${o.keyFile === undefined ? "is missing" : `${shown(o.keyFile)} is not an absolute path`}`);
    return { kind: "ssh", ...url, keyFile: o.keyFile };
}

/** What a remote target cannot do yet: refused before anything is provisioned. */
function remoteTargetErrors(dockerDriver: string | undefined, applyHost: boolean): string[] {
    const lines: string[] = [];
    if (dockerDriver === "provider") {
        lines.push(
            `isobench:dockerDriver: "provider" does not reach a remote target yet. Fix: set isobench:dockerDriver: cli (or auto, which picks cli there)`,
        );
    }
    if (applyHost) {
        lines.push(
            `isobench:host.apply: a remote target's settings are not set by isobench yet. Fix: set them on the target yourself and declare them without apply (isobench checks them)`,
        );
    }
    return lines;
}

/** What the schema cannot say of isobench:precision: a fraction below 1, maxima not below the planned repetitions and each other. */
function precisionGoalErrors(p: PrecisionGoal | undefined, repetitions: number): string[] {
    if (!p) return [];
    const lines: string[] = [];
    if (!(p.relativeHalfWidth < 1))
        lines.push(`isobench:precision.relativeHalfWidth: ${shown(p.relativeHalfWidth)} is not a fraction of the mean below 1; write 0.05 for ±5 %`);
    if (p.maxRepetitions < repetitions)
        lines.push(
            `isobench:precision.maxRepetitions: ${p.maxRepetitions} is below isobench:repetitions (${repetitions}), which every cell gets anyway; set it to at least ${repetitions}`,
        );
    if (p.maxClaimRepetitions !== undefined && p.maxClaimRepetitions < p.maxRepetitions)
        lines.push(
            `isobench:precision.maxClaimRepetitions: ${p.maxClaimRepetitions} is below isobench:precision.maxRepetitions (${p.maxRepetitions}), which the half-width goal may reach anyway; set it to at least ${p.maxRepetitions}, or leave it out to add no repetitions for undecided claims`,
        );
    return lines;
}

/**
 * Pulumi hands config to programs as strings and rewrites stack files with scalars quoted
 * ("3", "true"), so a string is read as the JSON it encodes; runId always stays a string.
 */
function configValue(key: string, value: unknown): unknown {
    if (key === "runId" || typeof value !== "string") return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/**
 * Turns a Pulumi stack YAML's `config:` map into the un-prefixed isobench keys. A key of another
 * namespace is refused: it is a typo of isobench: (and would silently leave a default in place),
 * or a Pulumi provider's setting, which would change what isobench provisions past its checks.
 */
export function isobenchKeys(config: Readonly<Record<string, unknown>>, stack: string): Record<string, unknown> {
    const entries = Object.entries(config).map(([k, v]): [string, unknown] => {
        if (k.startsWith("isobench:")) return [k.slice("isobench:".length), configValue(k.slice("isobench:".length), v)];
        const colon = k.indexOf(":");
        if (colon < 0) throw new SpecError(`stack "${stack}": config key ${shown(k)} has no namespace; write ${shown(`isobench:${k}`)}`);
        throw new SpecError(
            `stack "${stack}": config key ${shown(k)} is not an isobench key: isobench reads only isobench:<key> (did you mean ${shown(`isobench:${k.slice(colon + 1)}`)}?)`,
        );
    });
    // fromEntries defines own properties: a key "isobench:__proto__" stays a key (and is refused) instead of setting the prototype.
    return Object.fromEntries(entries);
}
