/**
 * What Pulumi is doing, in the words of the experiment: its engine events (Automation API
 * `onEvent`) for the resources the program declares (experiment/program.ts, environments/*) turned
 * into provisioning steps for the progress line — "creating guest kvm-tuned (booting it, waiting
 * for SSH)", "probing environment docker-nat". Resources that change nothing ("same") are no step.
 * Pure.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { resourceNameOf } from "./recovery";
import type { StepEvent } from "./progress-model";

type Verb = "create" | "delete" | "replace";

const VERBS: Readonly<Record<string, Verb>> = {
    create: "create",
    "create-replacement": "create",
    replace: "replace",
    update: "replace",
    delete: "delete",
    "delete-replaced": "delete",
    "discard-replaced": "delete",
};

const ING: Readonly<Record<Verb, string>> = { create: "creating", delete: "deleting", replace: "replacing" };

/** The step a resource's operation is, in words; undefined for resources that are no step of their own (components, the stack). */
export function describeStep(urn: string, op: string): string | undefined {
    const verb = VERBS[op];
    if (!verb) return undefined;
    const name = resourceNameOf(urn);
    // The URN's type path names the component a resource belongs to (…DockerInKvmEnvironment$command:local:Command::…).
    const type = urn.split("::")[2] ?? "";
    // The stack, the components and the providers make nothing of their own.
    if (!type.includes(":") || /:(Stack|[A-Za-z]*Environment|KvmGuest)$/.test(type) || /(^|\$)pulumi:providers:/.test(type)) return undefined;
    const ing = ING[verb];
    let m: RegExpExecArray | null;
    // Deleting a cell or a probe removes a record from the state, nothing on the host: no step.
    if ((m = /^cell-(.+)$/.exec(name))) return verb === "delete" ? undefined : `cell ${m[1]}: starting`;
    if ((m = /^probe-(.+)$/.exec(name))) return verb === "delete" ? undefined : m[1] === "host" ? "probing the host" : `probing environment ${m[1]}`;
    if ((m = /^(.+)-domain$/.exec(name))) return verb === "delete" ? `${ing} guest ${m[1]}` : `${ing} guest ${m[1]} (defining it, booting it, waiting for SSH)`;
    if ((m = /^(.+)-container$/.exec(name))) {
        if (verb === "delete") return `${ing} container ${m[1]}`;
        return type.includes("DockerInKvmEnvironment")
            ? `${ing} container ${m[1]} in its guest (loading the benchmark image into the guest, starting the container)`
            : `${ing} container ${m[1]}`;
    }
    if ((m = /^(.+)-data$/.exec(name))) return `${ing} the data ${type.includes("Volume") || type.includes("Docker") ? "volume" : "folder"} of ${m[1]}`;
    if (name === "host-settings") return verb === "delete" ? "restoring the host settings" : "applying the host settings";
    if (name === "analysis") return verb === "delete" ? undefined : "analysing the results (summary, plots, report)";
    if (name === "stack-password") return undefined;
    return `${ing} ${name}`;
}

/** The provisioning step an engine event starts or ends, when it is one. */
export function stepEvent(e: EngineEvent): StepEvent | undefined {
    const at = e.timestamp * 1000;
    if (e.resourcePreEvent && !e.resourcePreEvent.planning) {
        const { urn, op } = e.resourcePreEvent.metadata;
        const step = describeStep(urn, op);
        return step === undefined ? undefined : { kind: "step-start", at, step, id: urn };
    }
    if (e.resOutputsEvent && !e.resOutputsEvent.planning) return { kind: "step-end", at, id: e.resOutputsEvent.metadata.urn };
    if (e.resOpFailedEvent) return { kind: "step-end", at, id: e.resOpFailedEvent.metadata.urn, failed: true };
    return undefined;
}

/** Error diagnostics of the engine (a resource's failure message), for the terminal: Pulumi's full output is in its log. */
export function engineError(e: EngineEvent): string | undefined {
    const d = e.diagnosticEvent;
    if (!d || d.severity !== "error" || d.ephemeral) return undefined;
    // Colour directives (<{%reset%}>) are Pulumi's; the terminal gets plain text.
    const text = d.message.replace(/<\{%[^%]*%\}>/g, "").trim();
    return text ? `${d.urn ? `${resourceNameOf(d.urn)}: ` : ""}${text}` : undefined;
}
