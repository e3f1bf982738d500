/**
 * Declares one experiment: environments, their probes, the serialized chain of cells and the
 * analysis step. Host facts are passed in (see host.ts), so this is testable under mocks.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ExperimentSpec, EnvironmentName, hostSettingsOf } from "./spec";
import { dockerEnvironment, dockerInKvmEnvironment, kvmEnvironment, nativeEnvironment, workloadNeeds } from "./environment-handles";
import { guestContainerCreateScript, guestContainerDeleteScript } from "../environments/docker-in-kvm";
import { rootDevice } from "../environments/kvm/knobs";
import { planCells } from "./plan";
import { CommandBackend, commandResource } from "../environments/command";
import { DockerEnvironment, ResolvedDockerDriver } from "../environments/docker";
import { KvmGuest } from "../environments/kvm-guest";
import { guestAccessOf, inGuest } from "../environments/exec-target";
import { EnvironmentHandle } from "../core/environment-handle";
import { getWorkload } from "../workloads";
import { workloadPorts } from "../workloads/workload";
import { CellInvocation, STACK_PASSWORD_ENV } from "./runner";
import { encodeArg } from "./command-args";
import { shellQuote as q } from "../core/shell";

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
}

export function declareExperiment(spec: ExperimentSpec, host: HostContext): Experiment {
    const resultsDir = path.join(host.resultsRoot, spec.stack, spec.runId);
    const isobench = path.join(host.repoRoot, "bin", "isobench");
    const serverPorts = spec.workloads.flatMap((w) => workloadPorts(getWorkload(w.name)));

    const handles: EnvironmentHandle[] = [];
    const ready = new Map<EnvironmentName, pulumi.Resource>();
    const readyReports: Record<string, pulumi.Output<string>> = {};
    for (const env of spec.environmentSpecs) {
        const name = env.name;
        if (env.kind === "native") {
            // The native data directory is the stack's like its volumes and disks: destroy removes it.
            const handle = nativeEnvironment(spec, env, host);
            commandResource(host.commandBackend, `${name}-data`, {
                create: `mkdir -p ${q(handle.dataDir)}`,
                delete: `rm -rf ${q(handle.dataDir)}`,
                triggers: [handle.dataDir],
            });
            handles.push(handle);
        } else if (env.kind === "docker") {
            const { container: c, handle } = dockerEnvironment(spec, env, host, serverPorts, workloadNeeds(spec, name));
            const d = new DockerEnvironment(name, { spec: c, driver: host.dockerDriver, commandBackend: host.commandBackend });
            ready.set(name, d.ready);
            readyReports[name] = d.readyReport;
            handles.push(handle);
        } else if (env.kind === "kvm") {
            const { domain, handle, baseImage } = kvmEnvironment(spec, env, host);
            const g = new KvmGuest(name, {
                domain,
                baseImage,
                sshKey: host.sshKey,
                bootTimeoutS: env.kvm.bootTimeoutS,
                lifecycleScript: path.join(host.repoRoot, "environments", "kvm", "guest-lifecycle.sh"),
                commandBackend: host.commandBackend,
            });
            ready.set(name, g.ready);
            readyReports[name] = g.bootReport;
            handles.push(handle);
        } else {
            const { domain, container, handle, baseImage } = dockerInKvmEnvironment(spec, env, host, serverPorts, workloadNeeds(spec, name));
            const g = new KvmGuest(name, {
                domain,
                baseImage,
                sshKey: host.sshKey,
                bootTimeoutS: env.kvm.bootTimeoutS,
                lifecycleScript: path.join(host.repoRoot, "environments", "kvm", "guest-lifecycle.sh"),
                commandBackend: host.commandBackend,
            });
            const lifecycle = path.join(host.repoRoot, "environments", "kvm", "guest-lifecycle.sh");
            const c = commandResource(
                host.commandBackend,
                `${name}-container`,
                {
                    create: guestContainerCreateScript(container, guestAccessOf(handle), lifecycle, rootDevice(env.kvm.diskBus)),
                    delete: guestContainerDeleteScript(container, guestAccessOf(handle), lifecycle),
                    triggers: [JSON.stringify(container), domain.name],
                },
                { dependsOn: [g.ready], deleteBeforeReplace: true, customTimeouts: { create: "30m" } },
            );
            ready.set(name, c.resource);
            readyReports[name] = pulumi.interpolate`${g.bootReport}\n${c.stdout}`;
            handles.push(handle);
        }
    }

    // Everything measured runs strictly one after another: probes first, then the cells.
    let previous: pulumi.Resource | undefined;
    let previousName: string | undefined;
    const chain: Array<{ name: string; after: string[] }> = [];
    const after = (name: string, env: EnvironmentName): pulumi.Resource[] => {
        chain.push({ name, after: [previousName, ready.has(env) ? `${env}-ready` : undefined].filter((n): n is string => !!n) });
        previousName = name;
        return [previous, ready.get(env)].filter((r): r is pulumi.Resource => r !== undefined);
    };

    const settings = hostSettingsOf(spec.host);
    // Applied settings stay for the stack's lifetime: host-restore runs when the stack is destroyed,
    // after everything that depends on it (the probes and cells). A changed declaration restores
    // first (deleteBeforeReplace), so the record always holds the host's own values.
    const hostSettings =
        spec.host.apply && Object.keys(settings).length > 0
            ? commandResource(
                  host.commandBackend,
                  "host-settings",
                  {
                      create: `${q(isobench)} host-apply ${q(spec.stack)} ${encodeArg("host-apply", settings)}`,
                      delete: `${q(isobench)} host-restore ${q(spec.stack)}`,
                      triggers: [JSON.stringify(settings)],
                  },
                  { deleteBeforeReplace: true },
              ).resource
            : undefined;
    if (hostSettings) chain.push({ name: "host-settings", after: [] });
    chain.push({ name: "probe-host", after: hostSettings ? ["host-settings"] : [] });
    previousName = "probe-host";
    previous = commandResource(
        host.commandBackend,
        "probe-host",
        {
            create: `${q(isobench)} probe-host ${q(resultsDir)} ${encodeArg("probe-host", settings)}${hostSettings ? ` ${q(spec.stack)}` : ""}`,
            triggers: [spec.runId, JSON.stringify(settings)],
        },
        hostSettings ? { dependsOn: [hostSettings] } : undefined,
    ).resource;
    for (const h of handles) {
        const name = `probe-${h.name}`;
        previous = commandResource(
            host.commandBackend,
            name,
            {
                create: `${q(isobench)} probe ${q(resultsDir)} ${encodeArg("probe", h)}`,
                triggers: [spec.runId, JSON.stringify(h)],
            },
            { dependsOn: after(name, h.name as EnvironmentName) },
        ).resource;
    }

    const cells = planCells(spec);
    const guests = handles.flatMap((h) => (inGuest(h.target) ? [h.target.domain] : []));
    // One random password per stack for the servers that authenticate their client (MariaDB),
    // made once and kept in the stack's state as a secret (encrypted with the stack's passphrase):
    // replaced only with the resource, so every cell of every up uses the same one.
    const password = cells.some((c) => getWorkload(c.workload.name).password)
        ? commandResource(
              host.commandBackend,
              "stack-password",
              {
                  create: "od -An -N24 -tx1 /dev/urandom | tr -d ' \\n'",
              },
              { additionalSecretOutputs: ["stdout"] },
          ).stdout
        : undefined;
    for (const cell of cells) {
        const inv: CellInvocation = {
            stack: spec.stack,
            runId: spec.runId,
            resultsDir,
            cellId: cell.id,
            workload: cell.workload.name,
            params: cell.workload.params,
            repetition: cell.repetition,
            env: handles.find((h) => h.name === cell.environment)!,
            guests,
        };
        const name = `cell-${cell.id}`;
        const secret = password && getWorkload(cell.workload.name).password ? password : undefined;
        previous = commandResource(
            host.commandBackend,
            name,
            {
                create: `${q(isobench)} run-cell ${encodeArg("run-cell", inv)}`,
                triggers: [spec.runId, cell.id, JSON.stringify(inv.params), inv.env.variant],
                ...(secret ? { environment: { [STACK_PASSWORD_ENV]: secret } } : {}),
            },
            {
                dependsOn: after(name, cell.environment),
                customTimeouts: { create: "60m" },
                ...(secret ? { additionalSecretOutputs: ["environment"] } : {}),
            },
        ).resource;
    }

    chain.push({ name: "analysis", after: previousName ? [previousName] : [] });
    const analysis = commandResource(
        host.commandBackend,
        "analysis",
        {
            create: `${q(isobench)} analyze ${q(resultsDir)} --quiet-progress`,
            triggers: [spec.runId, cells.map((c) => c.id).join(",")],
        },
        { dependsOn: previous ? [previous] : [] },
    );

    return {
        resultsDir,
        environments: handles,
        cellIds: cells.map((c) => c.id),
        overheadTable: analysis.stdout,
        readyReports,
        chain,
    };
}
