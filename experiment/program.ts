/**
 * Declares one experiment: environments, their probes, the serialized chain of cells and the
 * analysis step. Host facts are passed in (see host.ts), so this is testable under mocks.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ExperimentSpec, hostSettingsOf } from "./spec";
import { EnvironmentPlan, environmentPlans } from "./environment-handles";
import { planInvocations } from "./cell-invocations";
import type { ResultsState } from "./results-state";
import { DockerInKvmEnvironment } from "../environments/docker-in-kvm-environment";
import { NativeEnvironment } from "../environments/native";
import { CommandArgs, CommandBackend, CommandResource, ProvisionedEnvironment, commandResource } from "../environments/command";
import { DockerEnvironment, ResolvedDockerDriver } from "../environments/docker";
import { KvmGuest, KvmGuestArgs } from "../environments/kvm-guest";
import { guestAccessOf } from "../environments/exec-target";
import { EnvironmentHandle } from "../core/environment-handle";
import { getWorkload } from "../workloads";
import { CellInvocation, STACK_PASSWORD_ENV } from "./runner";
import { encodeArg } from "./command-args";
import { shellQuote as q } from "../core/shell";
import { guestLifecycleScript } from "../core/paths";
import { LOCAL_TARGET, SshTarget } from "../core/transport";

/** Facts about the host the program needs; gathered by experiment/host.ts before declaring anything. */
export interface HostContext {
    /** Absolute path of the isobench checkout (bin/isobench, scripts). */
    readonly repoRoot: string;
    /** Where results go: <resultsRoot>/<stack>/<runId>/. */
    readonly resultsRoot: string;
    /** .state: image records, the SSH key, the Pulumi backend; private to root. */
    readonly stateDir: string;
    /** Per-stack guest disks, XML, serial logs and known_hosts live under <guestsDir>/<stack>/ (paths.ts guestsDir). */
    readonly guestsDir: string;
    readonly containerImage: string;
    readonly guestImage: { readonly disk: string; readonly kernel: string; readonly initrd: string };
    readonly sshKey: string;
    readonly accel: "kvm" | "tcg";
    readonly vhostAvailable: boolean;
    readonly hostCpuCount: number;
    /** The machine under test when it is not this one (isobench:target); every handle carries it as its `machine`. */
    readonly target?: SshTarget;
    /** MemTotal of /proc/meminfo, in MiB: what guests sized as a share of the host's memory and the resource plan count from. */
    readonly memTotalMiB?: number;
    readonly dockerDriver: ResolvedDockerDriver;
    readonly commandBackend: CommandBackend;
    /** Docker's bridge gateway address: ports published there are carried by iptables DNAT (userlandProxy: false). */
    readonly dockerBridgeGateway?: string;
    /** Guest image with the Docker engine (docker-in-kvm); built by ISOBENCH_GUEST_VARIANT=docker images/build-guest-image.sh. */
    readonly guestImageDocker?: { readonly disk: string; readonly kernel: string; readonly initrd: string };
    /** Guest image whose disk boots through UEFI and systemd-boot (boot: bootloader); built by images/build-guest-bootloader-image.sh. */
    readonly guestImageBootloader?: { readonly disk: string };
    /** UEFI firmware code and variable store template for bootloader guests (Debian package ovmf). */
    readonly uefiFirmware?: { readonly code: string; readonly varsTemplate: string };
    /** Host cores as lists of their hyperthreads (pinning: ht-siblings). */
    readonly cpuSiblings?: readonly (readonly number[])[];
    /** The socket (sysfs physical_package_id) of each host CPU, by CPU number; undefined when unknown. */
    readonly cpuPackages?: readonly number[];
    /** The host's online NUMA nodes (/sys/devices/system/node/online); undefined = [0]. */
    readonly numaNodes?: readonly number[];
}

export interface Experiment {
    readonly resultsDir: string;
    readonly environments: readonly EnvironmentHandle[];
    readonly cellIds: readonly string[];
    /** The analysis step's output: the overhead table in Markdown. */
    readonly overheadTable: pulumi.Output<string>;
    readonly readyReports: Readonly<Record<string, pulumi.Output<string>>>;
    /** Every measuring resource in run order with the resources it waits for (names), as declared. */
    readonly chain: ReadonlyArray<{ readonly name: string; readonly after: readonly string[] }>;
    /** By guest, the probe its creation waits for (isobench:schedule: grouped: the previous guest's, which shut it off). */
    readonly creationAfter: Readonly<Record<string, string>>;
}

/**
 * The measuring resources in run order: each waits for the one before it and for its
 * environment, so probes, cells and analysis run strictly one after another. Records every link
 * by name (Experiment.chain) as declared.
 */
class MeasurementChain {
    readonly links: Array<{ name: string; after: string[] }> = [];
    private previous?: pulumi.Resource;
    private previousName?: string;

    constructor(private readonly provisioned: ReadonlyMap<string, ProvisionedEnvironment>) {}

    /** Declares the next link; `make` gets what it must depend on (the previous link, its environment). */
    add(name: string, environment: string | undefined, make: (dependsOn: pulumi.Resource[]) => CommandResource): CommandResource {
        const ready = environment === undefined ? undefined : this.provisioned.get(environment)?.ready;
        this.links.push({ name, after: [this.previousName, ready ? `${environment}-ready` : undefined].filter((n): n is string => !!n) });
        const made = make([this.previous, ready].filter((r): r is pulumi.Resource => r !== undefined));
        this.previous = made.resource;
        this.previousName = name;
        return made;
    }
}

/**
 * Declares one environment's component from its plan.
 * @param after what a guest's creation waits for (KvmGuestArgs.after)
 */
function provision(plan: EnvironmentPlan, host: HostContext, after: readonly pulumi.Resource[] = []): ProvisionedEnvironment {
    const name = plan.handle.name;
    const machine = plan.handle.machine ?? LOCAL_TARGET;
    const guestArgs = (p: Extract<EnvironmentPlan, { kind: "kvm" | "docker-in-kvm" }>): KvmGuestArgs => ({
        machine,
        domain: p.domain,
        baseImage: p.baseImage,
        sshKey: host.sshKey,
        bootTimeoutS: p.bootTimeoutS,
        diskGrowBytes: p.diskGrowth.bytes,
        lifecycleScript: guestLifecycleScript(host.repoRoot),
        commandBackend: host.commandBackend,
        ...(after.length > 0 && { after }),
    });
    switch (plan.kind) {
        case "native":
            return new NativeEnvironment(name, { dataDir: plan.handle.dataDir, commandBackend: host.commandBackend, machine });
        case "docker":
            return new DockerEnvironment(name, { spec: plan.container, driver: host.dockerDriver, commandBackend: host.commandBackend, machine });
        case "kvm":
            return new KvmGuest(name, guestArgs(plan));
        case "docker-in-kvm":
            return new DockerInKvmEnvironment(name, {
                guest: guestArgs(plan),
                container: plan.container,
                access: guestAccessOf(plan.handle),
            });
    }
}

/** What every declaring step shares. */
interface Declaring {
    readonly spec: ExperimentSpec;
    readonly host: HostContext;
    readonly resultsDir: string;
    readonly results: ResultsState;
    /** bin/isobench, quoted for the shell */
    readonly isobench: string;
    readonly chain: MeasurementChain;
}

const commandOf = (d: Declaring) => (name: string, args: CommandArgs, opts?: pulumi.CustomResourceOptions) =>
    commandResource(d.host.commandBackend, name, args, opts);

/** host-settings (when the stack applies them) and the host's probe, first in the chain. */
function declareHostSteps(d: Declaring): void {
    const { spec, isobench } = d;
    const command = commandOf(d);
    const settings = hostSettingsOf(spec.host);
    const applied = spec.host.apply && Object.keys(settings).length > 0;
    if (applied) {
        // Applied settings stay for the stack's lifetime: host-restore runs when the stack is destroyed,
        // after everything that depends on it (the probes and cells). A changed declaration restores
        // first (deleteBeforeReplace), so the record always holds the host's own values.
        d.chain.add("host-settings", undefined, () =>
            command(
                "host-settings",
                {
                    create: `${isobench} host-apply ${q(spec.stack)} ${encodeArg("host-apply", settings)}`,
                    delete: `${isobench} host-restore ${q(spec.stack)}`,
                    triggers: [JSON.stringify(settings)],
                },
                { deleteBeforeReplace: true },
            ),
        );
    }
    d.chain.add("probe-host", undefined, (dependsOn) =>
        command(
            "probe-host",
            {
                create: `${isobench} probe-host ${q(d.resultsDir)} ${encodeArg("probe-host", settings)}${applied ? ` ${q(spec.stack)}` : ""}${d.host.target ? ` --machine ${encodeArg("machine", d.host.target)}` : ""}`,
                triggers: [spec.runId, JSON.stringify(settings)],
            },
            { dependsOn },
        ),
    );
}

/**
 * Each environment, provisioned, then probed: its measured facts, before any cell. Under
 * isobench:schedule: grouped a guest's probe also shuts it off, and the next guest is created only
 * after it, so guests come up one at a time at provisioning as in the cells; otherwise every
 * environment is created at once. Returns, by guest, the probe its creation waits for.
 */
function declareEnvironments(d: Declaring, plans: readonly EnvironmentPlan[], provisioned: Map<string, ProvisionedEnvironment>): Record<string, string> {
    const command = commandOf(d);
    const grouped = d.spec.schedule === "grouped";
    let previous: { readonly probe: pulumi.Resource; readonly name: string } | undefined;
    const creationAfter: Record<string, string> = {};
    for (const p of plans) {
        const h = p.handle;
        const shutOff = grouped && (p.kind === "kvm" || p.kind === "docker-in-kvm");
        if (shutOff && previous) creationAfter[h.name] = previous.name;
        provisioned.set(h.name, provision(p, d.host, shutOff && previous ? [previous.probe] : []));
        const name = `probe-${h.name}`;
        const create = `${d.isobench} probe ${q(d.resultsDir)} ${encodeArg("probe", h)}${shutOff ? " --shut-off" : ""}`;
        const probe = d.chain.add(name, h.name, (dependsOn) => command(name, { create, triggers: [d.spec.runId, JSON.stringify(h)] }, { dependsOn }));
        if (shutOff) previous = { probe: probe.resource, name };
    }
    return creationAfter;
}

/** The planned cells, one command resource each; returns their ids. */
function declareCells(d: Declaring, invocations: readonly CellInvocation[]): string[] {
    const command = commandOf(d);
    // One random password per stack for the servers that authenticate their client (MariaDB),
    // made once and kept in the stack's state as a secret (encrypted with the stack's passphrase):
    // replaced only with the resource, so every cell of every up uses the same one.
    const password = invocations.some((c) => getWorkload(c.workload).password)
        ? command("stack-password", { create: "od -An -N24 -tx1 /dev/urandom | tr -d ' \\n'" }, { additionalSecretOutputs: ["stdout"] }).stdout
        : undefined;
    for (const inv of invocations) {
        const secret = password && getWorkload(inv.workload).password ? password : undefined;
        const args: CommandArgs = {
            create: `${d.isobench} run-cell ${encodeArg("run-cell", inv)}`,
            // A new fingerprint or attempt replaces the cell, so run-cell runs again: see ResultsState.
            triggers: [inv.runId, inv.cellId, inv.fingerprint, String(d.results.attempts.get(inv.cellId) ?? 0)],
            ...(secret ? { environment: { [STACK_PASSWORD_ENV]: secret } } : {}),
        };
        d.chain.add(`cell-${inv.cellId}`, inv.env.name, (dependsOn) =>
            command(`cell-${inv.cellId}`, args, {
                dependsOn,
                // The runner ends the cell at its limit; Pulumi's own bound (the command plugin honours it) only backs that up.
                customTimeouts: { create: `${inv.limit.limitS + 600}s` },
                ...(secret ? { additionalSecretOutputs: ["environment"] } : {}),
            }),
        );
    }
    return invocations.map((c) => c.cellId);
}

/** The analysis step, last in the chain; returns its overhead table. */
function declareAnalysis(d: Declaring, cellIds: readonly string[]): pulumi.Output<string> {
    const precision = d.spec.precision;
    const plan = encodeArg("analyze-plan", { cells: cellIds, ...(precision && { precision }) });
    const create = `${d.isobench} analyze ${q(d.resultsDir)} --quiet-progress --plan ${plan}`;
    // A retried or re-measured cell changes the attempts, and so analyses again; so does another precision goal.
    const attempts = cellIds.map((c) => d.results.attempts.get(c) ?? 0).join(",");
    const triggers = [d.spec.runId, cellIds.join(","), attempts, ...(precision ? [JSON.stringify(precision)] : [])];
    return d.chain.add("analysis", undefined, (dependsOn) => commandOf(d)("analysis", { create, triggers }, { dependsOn })).stdout;
}

/** A run whose results folder holds nothing of the plan yet (tests; the first up). */
export const NO_RESULTS: ResultsState = { attempts: new Map() };

/** Provision each environment and chain the measurements: host, probes, cells, analysis. */
export function declareExperiment(spec: ExperimentSpec, host: HostContext, results: ResultsState = NO_RESULTS): Experiment {
    const plans = environmentPlans(spec, host);
    const provisioned = new Map<string, ProvisionedEnvironment>();
    const handles = plans.map((p) => p.handle);
    const resultsDir = path.join(host.resultsRoot, spec.stack, spec.runId);
    const d: Declaring = {
        spec,
        host,
        resultsDir,
        results,
        isobench: q(path.join(host.repoRoot, "bin", "isobench")),
        chain: new MeasurementChain(provisioned),
    };
    declareHostSteps(d);
    const creationAfter = declareEnvironments(d, plans, provisioned);
    const cellIds = declareCells(d, planInvocations(spec, resultsDir, plans));
    const overheadTable = declareAnalysis(d, cellIds);
    const readyReports: Record<string, pulumi.Output<string>> = {};
    for (const [name, p] of provisioned) if (p.readyReport) readyReports[name] = p.readyReport;
    return { resultsDir, environments: handles, cellIds, overheadTable, readyReports, chain: d.chain.links, creationAfter };
}
