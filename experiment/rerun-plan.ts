/**
 * `isobench up --from <results dir>`: the stack file that runs a recorded experiment again. Every
 * value of the original's resolved spec is written out — each environment as an object with all
 * its knobs, each workload's parameters with the defaults the original ran with — so this
 * checkout's defaults cannot change the experiment; the file is read back through parseSpec and
 * compared with the original before anything is written. Pure: experiment/rerun.ts reads and writes.
 */
import YAML from "yaml";
import { isDeepStrictEqual } from "util";
import type { DockerVariant, EnvironmentSpec, KvmKnobs } from "../core/environment-spec";
import { describeCheckout, type PassRow, type ProvenanceRecord } from "../core/provenance";
import { SpecError, UserError } from "../core/errors";
import { DEFAULT_STABILITY_PROBE_S, ExperimentSpec, checkStackName, isobenchKeys, parseSpec } from "./spec";
import { effectiveParams } from "./provenance";

/** A recorded run as `up --from` reads it (experiment/rerun.ts readOriginal). */
export interface OriginalRun {
    /** The folder given to --from, as given. */
    readonly dir: string;
    readonly record: ProvenanceRecord;
    readonly spec: ExperimentSpec;
    /** provenance/stack.yaml's text, for its opening comments; "" when absent. */
    readonly stackFile: string;
    readonly passes: readonly PassRow[];
    readonly hostFacts: Readonly<Record<string, string>>;
    readonly host?: string;
}

const MAX_STACK = 40;
const MAX_RUN_ID = 64;

/** `<stack>-rerun`, shortened to fit a stack name. */
export function defaultRerunStack(stack: string): string {
    return `${stack.slice(0, MAX_STACK - "-rerun".length).replace(/-+$/, "")}-rerun`;
}

const ymd = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, "");

/** `<runId>-rerun-<yyyymmdd>`, or the next free `-<n>` of it; always a valid runId. */
export function rerunRunId(runId: string, today: Date, taken: (runId: string) => boolean): string {
    const tail = `-rerun-${ymd(today)}`;
    // Room for "-<n>" up to -999.
    const base = `${runId.slice(0, MAX_RUN_ID - tail.length - 4).replace(/[-._]+$/, "")}${tail}`;
    for (let n = 1; ; n++) {
        const id = n === 1 ? base : `${base}-${n}`;
        if (!taken(id)) return id;
    }
}

function dockerItem(d: DockerVariant): Record<string, unknown> {
    return {
        network: d.network,
        userlandProxy: d.userlandProxy,
        storage: d.storage,
        limits: { ...d.limits },
        runtime: d.runtime,
        capAdd: [...d.capAdd],
        seccomp: d.seccomp,
        ...(d.numactl ? { numactl: { ...d.numactl } } : {}),
    };
}

/**
 * A guest's sizes are written as the numbers the original's host-relative sizes became: the re-run
 * repeats the experiment, not its fit to another host. How they came about (`sizing`,
 * `memoryShare`) is the original's record, not a stack key.
 */
function withoutSizingNotes<T extends { readonly sizing?: string; readonly memoryShare?: string }>(k: T): Omit<T, "sizing" | "memoryShare"> {
    const { sizing: _s, memoryShare: _m, ...rest } = k;
    return rest;
}

function guestItem(k: KvmKnobs): Record<string, unknown> {
    const { preset, vcpus, memoryMiB, cpuModel, ...rest } = withoutSizingNotes(k);
    return { preset, vcpus, memoryMiB, ...(cpuModel !== undefined ? { cpuModel: typeof cpuModel === "object" ? cpuModel.named : cpuModel } : {}), ...rest };
}

/** An environment as a stack's object item that resolves to exactly it (environmentOf). */
export function environmentItem(e: EnvironmentSpec): Record<string, unknown> {
    switch (e.kind) {
        case "native":
            return { name: e.name, kind: "native", ...(e.numactl ? { numactl: { ...e.numactl } } : {}) };
        case "docker":
            return { name: e.name, kind: "docker", ...dockerItem(e.docker) };
        case "kvm":
            return { name: e.name, kind: "kvm", ...guestItem(e.kvm) };
        case "docker-in-kvm":
            return { name: e.name, kind: "docker-in-kvm", guest: guestItem(e.kvm), docker: dockerItem(e.docker) };
    }
}

/** Drops undefined (JSON's view, and the stack file's). */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** The `config:` map of a stack that reproduces `spec` under `runId`, each workload with `params` (defaults filled in). */
export function stackConfigOf(
    spec: ExperimentSpec,
    params: Readonly<Record<string, Readonly<Record<string, number | string>>>>,
    runId: string,
): Record<string, unknown> {
    return plain({
        "isobench:runId": runId,
        "isobench:repetitions": spec.repetitions,
        ...(spec.precision ? { "isobench:precision": { ...spec.precision } } : {}),
        "isobench:environments": spec.environmentSpecs.map(environmentItem),
        "isobench:workloads": spec.workloads.map((w) => ({
            name: w.name,
            params: { ...(params[w.name] ?? w.params) },
            ...(w.environments ? { environments: [...w.environments] } : {}),
            ...(w.timeoutS !== undefined ? { timeoutS: w.timeoutS } : {}),
        })),
        "isobench:allowSoftwareEmulation": spec.allowSoftwareEmulation,
        "isobench:dockerDriver": spec.dockerDriver,
        "isobench:onCellFailure": spec.onCellFailure,
        // A spec recorded before isobench:schedule existed ran interleaved. The schedule that ran, not auto:
        // on another host auto could choose the other one, and the re-run repeats what ran.
        "isobench:schedule": spec.schedule ?? "interleaved",
        ...(spec.cellTimeoutS !== undefined ? { "isobench:cellTimeoutS": spec.cellTimeoutS } : {}),
        // An original from before the probe existed took none; its re-run takes the default, so that a comparison of the two has one run's figure at least.
        "isobench:stabilityProbeS": spec.stabilityProbeS ?? DEFAULT_STABILITY_PROBE_S,
        "isobench:kvm": { ...withoutSizingNotes(spec.kvm) },
        ...(Object.keys(spec.host).length > 0 ? { "isobench:host": { ...spec.host } } : {}),
    });
}

/** Where two JSON values differ, one "path: a → b" line each ("(none)" for a missing key). */
export function jsonDifferences(a: unknown, b: unknown, at = ""): string[] {
    if (isDeepStrictEqual(a, b)) return [];
    const show = (v: unknown) => (v === undefined ? "(none)" : JSON.stringify(v));
    const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
    if (isMap(a) && isMap(b) && Array.isArray(a) === Array.isArray(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
        return keys.flatMap((k) => jsonDifferences(a[k], b[k], at ? `${at}.${k}` : k));
    }
    return [`${at || "(the whole spec)"}: ${show(a)} in the original, ${show(b)} here`];
}

/** The spec as it ran, for comparing two: each workload with its full parameters, without the names a re-run changes. */
function ranAs(spec: ExperimentSpec, params: Readonly<Record<string, Readonly<Record<string, number | string>>>>): unknown {
    // The stability probe measures the host before the cells, not the experiment: its length is no difference.
    const { stack: _s, runId: _r, stabilityProbeS: _p, ...rest } = spec;
    const noted = (e: EnvironmentSpec) => (e.kind === "kvm" || e.kind === "docker-in-kvm" ? { ...e, kvm: withoutSizingNotes(e.kvm) } : e);
    return plain({
        ...rest,
        // A run recorded before isobench:schedule existed ran interleaved: not a difference.
        schedule: spec.schedule ?? "interleaved",
        // How auto resolved is the original's record, like the sizing notes; the re-run states the schedule that ran.
        scheduleWhy: undefined,
        kvm: withoutSizingNotes(spec.kvm),
        environmentSpecs: spec.environmentSpecs.map(noted),
        workloads: spec.workloads.map((w) => ({ ...w, params: params[w.name] ?? w.params })),
    });
}

export interface RerunPlan {
    readonly stack: string;
    readonly runId: string;
    /** The stack file's text. */
    readonly yaml: string;
    /** Where the re-run's resolved spec differs from the original's (a parameter this checkout added, …): warnings, not refusals. */
    readonly specDifferences: readonly string[];
}

export interface RerunRequest {
    readonly original: OriginalRun;
    /** --stack; default: defaultRerunStack(original's stack). */
    readonly stack?: string;
    readonly stackFileExists: (stack: string) => boolean;
    readonly runIdTaken: (stack: string, runId: string) => boolean;
    readonly today: Date;
}

/** The original stack file's opening comments (what study, which deviations), without the provenance note. */
function openingComments(stackFile: string): string[] {
    const lines: string[] = [];
    for (const l of stackFile.split("\n")) {
        if (!l.startsWith("#")) break;
        if (!l.includes("(isobench provenance)")) lines.push(l);
    }
    return lines;
}

/**
 * The re-run's stack name, runId and stack file.
 * @throws UserError when the stack file exists already or the name is not a stack name;
 * SpecError when this checkout does not accept the original's spec
 */
export function planRerun(req: RerunRequest): RerunPlan {
    const o = req.original;
    const stack = req.stack ?? defaultRerunStack(o.spec.stack);
    checkStackName(stack);
    if (req.stackFileExists(stack)) {
        throw new UserError(
            `stacks/Pulumi.${stack}.yaml exists already (an earlier re-run, or another stack); it is not overwritten. Fix: name the re-run with --stack <name>, or run that stack with isobench up ${stack}`,
        );
    }
    const runId = rerunRunId(o.spec.runId, req.today, (id) => req.runIdTaken(stack, id));
    const config = stackConfigOf(o.spec, o.record.workloadParams, runId);
    let again: ExperimentSpec;
    try {
        again = parseSpec(stack, isobenchKeys(config, stack));
    } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        throw new SpecError(
            `the resolved spec recorded in ${o.dir}/provenance/spec.json is not a valid stack for this checkout of isobench:\n${e.message}\nFix: run the re-run from the original's checkout (git checkout ${o.record.isobench.commit}), or write the stack file by hand from ${o.dir}/provenance/stack.yaml`,
        );
    }
    const specDifferences = jsonDifferences(ranAs(o.spec, o.record.workloadParams), ranAs(again, effectiveParams(again)));
    const started = o.passes[0]?.at ?? "unknown";
    const header = [
        `# ${stack}: a re-run of ${o.spec.stack}/${o.spec.runId} (${o.dir}), written by isobench up --from.`,
        `# The original: isobench ${describeCheckout(o.record.isobench)}, host ${o.host ?? "not recorded"}, first pass ${started}.`,
        `# Its resolved spec is written out in full: every environment with all its knobs, every workload`,
        `# with the parameters it ran with (defaults included), so this checkout's defaults do not change`,
        `# the experiment. KVM knobs the original left to its preset take this checkout's preset values.`,
        ...(openingComments(o.stackFile).length ? ["#", "# The original stack file opened with:", ...openingComments(o.stackFile)] : []),
    ];
    return { stack, runId, yaml: `${header.join("\n")}\n${YAML.stringify({ config })}`, specDifferences };
}
