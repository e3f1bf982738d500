/**
 * Declares one experiment: environments, their probes, the serialized chain of cells and the
 * analysis step. Host facts are passed in (see host.ts), so this is testable under mocks.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ExperimentSpec, EnvironmentName } from "./spec";
import { planCells } from "./plan";
import { CommandBackend, commandResource } from "../environments/command";
import { containerSpec, DATA_DIR, resourceName } from "../environments/container-spec";
import { DockerEnvironment, ResolvedDockerDriver } from "../environments/docker";
import { KvmGuest } from "../environments/kvm-guest";
import { EnvironmentHandle, GUEST_DATA_DIR, nativeDataDir } from "../environments/exec-target";
import { KVM_PRESETS, KvmOverrides, resolveDomainSpec, variantKey } from "../environments/kvm/presets";
import { getWorkload } from "../workloads";
import { workloadPorts } from "../workloads/workload";
import type { CellInvocation } from "./runner";
import { shellQuote as q } from "../environments/shell";

/** Facts about the host the program needs; gathered by experiment/host.ts before declaring anything. */
export interface HostContext {
    /** Absolute path of the isobench checkout (bin/isobench, scripts). */
    readonly repoRoot: string;
    /** Where results go: <resultsRoot>/<stack>/<runId>/. */
    readonly resultsRoot: string;
    /** Per-stack guest disks, XML and serial logs live under <stateDir>/guests/<stack>/. */
    readonly stateDir: string;
    readonly containerImage: string;
    readonly guestImage: { readonly disk: string; readonly kernel: string; readonly initrd: string };
    readonly sshKey: string;
    readonly accel: "kvm" | "tcg";
    readonly vhostAvailable: boolean;
    readonly hostCpuCount: number;
    readonly dockerDriver: ResolvedDockerDriver;
    readonly commandBackend: CommandBackend;
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

function b64(o: unknown): string {
    return Buffer.from(JSON.stringify(o)).toString("base64");
}

export function declareExperiment(spec: ExperimentSpec, host: HostContext): Experiment {
    const resultsDir = path.join(host.resultsRoot, spec.stack, spec.runId);
    const isobench = path.join(host.repoRoot, "bin", "isobench");
    const serverPorts = spec.workloads.flatMap((w) => workloadPorts(getWorkload(w.name)));

    const handles: EnvironmentHandle[] = [];
    const ready = new Map<EnvironmentName, pulumi.Resource>();
    const readyReports: Record<string, pulumi.Output<string>> = {};
    for (const env of spec.environments) {
        if (env === "native") {
            handles.push({ name: env, envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir: nativeDataDir(spec.stack), declared: {} });
        } else if (env === "docker-nat" || env === "docker-host") {
            const network = env === "docker-nat" ? "nat" : "host";
            const c = containerSpec({ stack: spec.stack, environment: env, image: host.containerImage, network, serverPorts });
            const d = new DockerEnvironment(env, { spec: c, driver: host.dockerDriver, commandBackend: host.commandBackend });
            ready.set(env, d.ready);
            readyReports[env] = d.readyReport;
            handles.push({
                name: env,
                envKind: "docker",
                variant: `net=${network};storage=volume;driver=${host.dockerDriver}`,
                accel: "none",
                target: { kind: "docker", container: c.name, network },
                dataDir: DATA_DIR,
                declared: {
                    network_mode: c.networkMode,
                    mount_type: "volume",
                    running: "true",
                },
            });
        } else {
            const preset = KVM_PRESETS[env];
            const guestDir = path.join(host.stateDir, "guests", spec.stack);
            const name = resourceName(spec.stack, env);
            const overrides: KvmOverrides = {
                vhost: env === "kvm-tuned"
                    ? spec.kvm.vhost === "on" || (spec.kvm.vhost === "auto" && host.vhostAvailable && host.accel === "kvm")
                    : spec.kvm.vhost === "on",
                ...(env === "kvm-tuned" && spec.kvm.pinning ? { hostCpus: spec.kvm.pinning } : {}),
            };
            const domain = resolveDomainSpec(preset, {
                name,
                stack: spec.stack,
                vcpus: spec.kvm.vcpus,
                memoryMiB: spec.kvm.memoryMiB,
                diskPath: path.join(guestDir, `${env}.qcow2`),
                kernel: host.guestImage.kernel,
                initrd: host.guestImage.initrd,
                cmdline: "root=/dev/vda rw console=ttyS0 quiet",
                serialLogPath: path.join(guestDir, `${env}.serial.log`),
                labels: { runId: spec.runId },
            }, { accel: host.accel, vhostAvailable: host.vhostAvailable, hostCpuCount: host.hostCpuCount }, overrides);
            const g = new KvmGuest(env, {
                domain,
                baseImage: host.guestImage.disk,
                sshKey: host.sshKey,
                bootTimeoutS: spec.kvm.bootTimeoutS,
                lifecycleScript: path.join(host.repoRoot, "environments", "kvm", "guest-lifecycle.sh"),
                commandBackend: host.commandBackend,
            });
            ready.set(env, g.ready);
            readyReports[env] = g.bootReport;
            handles.push({
                name: env,
                envKind: "kvm",
                variant: variantKey(domain),
                accel: host.accel,
                target: { kind: "kvm", domain: name, sshKey: host.sshKey },
                dataDir: GUEST_DATA_DIR,
                declared: {
                    nproc: String(domain.vcpus),
                    domain_type: domain.accel === "kvm" ? "kvm" : "qemu",
                    vhost: domain.vhost ? "vhost" : "qemu",
                    ...(domain.pinning ? { vcpupin: domain.pinning.map((c, i) => `${i}:${c}`).join(",") } : {}),
                    hugepages: domain.hugepages ? "yes" : "no",
                },
            });
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

    for (const h of handles) {
        const name = `probe-${h.name}`;
        previous = commandResource(host.commandBackend, name, {
            create: `${q(isobench)} probe ${q(resultsDir)} ${b64(h)}`,
            triggers: [spec.runId, JSON.stringify(h)],
        }, { dependsOn: after(name, h.name as EnvironmentName) }).resource;
    }

    const cells = planCells(spec);
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
        };
        const name = `cell-${cell.id}`;
        previous = commandResource(host.commandBackend, name, {
            create: `${q(isobench)} run-cell ${b64(inv)}`,
            triggers: [spec.runId, cell.id, JSON.stringify(inv.params), inv.env.variant],
        }, { dependsOn: after(name, cell.environment), customTimeouts: { create: "60m" } }).resource;
    }

    chain.push({ name: "analysis", after: previousName ? [previousName] : [] });
    const analysis = commandResource(host.commandBackend, "analysis", {
        create: `${q(isobench)} analyze ${q(resultsDir)} --quiet-progress`,
        triggers: [spec.runId, cells.map((c) => c.id).join(",")],
    }, { dependsOn: previous ? [previous] : [] });

    return {
        resultsDir,
        environments: handles,
        cellIds: cells.map((c) => c.id),
        overheadTable: analysis.stdout,
        readyReports,
        chain,
    };
}
