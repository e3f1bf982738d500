/**
 * `isobench plan <stack> [--host <description>] [--allow-emulation]`: the stack's plan on this
 * host (or on a described one), printed before anything exists (experiment/resource-plan.ts).
 * Unlike up's preflight it refuses nothing itself and stops at nothing missing: what it cannot
 * read (a daemon down, an image not built) it says and plans without; it creates no resource, no
 * folder and no state.
 */
import * as path from "path";
import type { ExperimentSpec } from "./spec";
import type { HostContext } from "./program";
import { loadStackSpec } from "./stack-file";
import { ALLOW_EMULATION_ENV, guestAccel, imageRecordOn, measureDisks, measuredCells, missingOn } from "./host";
import { machineShape, readHostTopology } from "./host-shape-read";
import type { Transport } from "../environments/transport";
import { kvmProbeCache, stackTransport } from "./target";
import { hostShapeOf } from "../core/host-shape";
import { describedHost } from "./described-host";
import { PlanFacts, formatResourcePlan, resourcePlan, summarizePlan } from "./resource-plan";
import { cellHistoryFor } from "./cell-history";
import { withAddedRepetitions } from "./precision-run";
import { DiskFacts, diskPlan } from "./disk-plan";
import { probeKvmBoot } from "../environments/kvm-probe";
import { OVMF } from "../environments/kvm/guest-files";
import { readBridgeGateway } from "../environments/docker-bridge";
import { loadReferences } from "../analysis/published";
import { primaryMetrics } from "../analysis/precision";
import { REPO_ROOT, ImageStateFile, guestImageFiles, guestsDir, imageState, resultsRoot, stacksDir, stateDir } from "../core/paths";

/** Docker's default bridge gateway: where DNAT-published ports would be, for a plan without a daemon to ask. */
const DOCKER_DEFAULT_GATEWAY = "172.17.0.1";

/** The guest image `machine` records, when it has been built there. */
function builtImage(machine: Transport, state: string, file: ImageStateFile): string | undefined {
    const v = imageRecordOn(machine, state, file).value;
    return v !== undefined && missingOn(machine, [v]).length === 0 ? v : undefined;
}

/** The workloads isobench:precision can add repetitions to: those a published claim votes with. */
const precisionWorkloads = (): ReadonlySet<string> => new Set(primaryMetrics(loadReferences()).keys());

/** This host as the program would see it, read without creating anything, and what could not be read. */
function localHost(spec: ExperimentSpec, env: NodeJS.ProcessEnv): { host: HostContext; facts: PlanFacts; unread: string[] } {
    const state = stateDir(REPO_ROOT);
    // The stack's machine under test: this one unless isobench:target names another.
    const machine = stackTransport(spec, state);
    const unread: string[] = [];
    const kinds = new Set(spec.environmentSpecs.map((e) => e.kind));
    const wantsKvm = kinds.has("kvm") || kinds.has("docker-in-kvm");
    const wantsDocker = kinds.has("docker") || kinds.has("docker-in-kvm");
    const guestDir = builtImage(machine, state, "guest-image");
    const guestImage = guestDir
        ? guestImageFiles(guestDir)
        : { disk: "/guest-image-not-built/disk.qcow2", kernel: "/guest-image-not-built/vmlinuz", initrd: "/guest-image-not-built/initrd.img" };
    const dockerDir = builtImage(machine, state, "guest-image-docker");
    const bootloaderDir = builtImage(machine, state, "guest-image-bootloader");
    const containerImage = imageState(state, "container-image").value ?? "<container image not built>";
    let accel: HostContext["accel"] = "kvm";
    let kvmProblem: string | undefined;
    if (wantsKvm && !guestDir) {
        unread.push("whether KVM boots guests: the guest image is not built (images/build-all.sh); the plan assumes KVM");
    } else if (wantsKvm) {
        const probe = probeKvmBoot(machine, guestImage.kernel, guestImage.initrd, kvmProbeCache(machine.target, state));
        try {
            accel = guestAccel(spec, probe, env);
        } catch (e) {
            kvmProblem = (e as Error).message;
            accel = "tcg"; // what the run would be with --allow-emulation: its durations are planned so
        }
    }
    let docker: { dockerRootDir?: string; containerImageBytes?: number } = {};
    if (wantsDocker) {
        const info = machine.attempt(["docker", "info", "--format", "{{.DockerRootDir}}"], 20);
        const size = machine.attempt(["docker", "image", "inspect", "--format", "{{.Size}}", containerImage], 20);
        if (info.status === 0)
            docker = { dockerRootDir: info.stdout.trim(), ...(size.status === 0 && { containerImageBytes: Number(size.stdout.trim()) || 0 }) };
        else unread.push("Docker's data root: dockerd does not answer (scripts/daemons.sh starts it); the containers' files are not counted on its filesystem");
    }
    const topology = readHostTopology(machine);
    let gateway = DOCKER_DEFAULT_GATEWAY;
    if (wantsDocker) {
        try {
            gateway = readBridgeGateway(machine).address;
        } catch {
            // Only where ports are published: the plan is the same with Docker's default address.
        }
    }
    const host: HostContext = {
        repoRoot: REPO_ROOT,
        resultsRoot: resultsRoot(REPO_ROOT),
        stateDir: state,
        guestsDir: guestsDir(),
        containerImage,
        guestImage,
        ...(dockerDir && { guestImageDocker: guestImageFiles(dockerDir) }),
        ...(bootloaderDir && { guestImageBootloader: { disk: guestImageFiles(bootloaderDir).disk }, uefiFirmware: OVMF }),
        sshKey: path.join(state, "ssh", "id_ed25519"),
        accel,
        vhostAvailable: missingOn(machine, ["/dev/vhost-net"]).length === 0,
        hostCpuCount: topology.hostCpuCount,
        memTotalMiB: topology.memTotalMiB,
        dockerDriver: "cli",
        commandBackend: "dynamic",
        dockerBridgeGateway: gateway,
        cpuSiblings: topology.cpuSiblings,
        ...(topology.cpuPackages && { cpuPackages: topology.cpuPackages }),
        numaNodes: topology.numaNodes,
        ...(machine.target.kind === "ssh" && { target: machine.target }),
    };
    let disk: PlanFacts["disk"];
    if (!wantsKvm || guestDir) {
        try {
            disk = { ...measureDisks(machine, spec, host, docker, (l) => unread.push(l.replace(/^warning: /, ""))), movable: host };
        } catch (e) {
            unread.push(`the disks: ${(e as Error).message}`);
        }
    } else {
        unread.push("the disks: the guest image is not built, so the guests' disks cannot be sized against it");
    }
    const facts: PlanFacts = {
        ...(kvmProblem && { kvmProblem }),
        ...(disk && { disk }),
        history: cellHistoryFor(host.resultsRoot, REPO_ROOT, new Set(spec.workloads.map((w) => w.name))),
        measured: measuredCells(path.join(host.resultsRoot, spec.stack, spec.runId)),
        precisionWorkloads: precisionWorkloads(),
    };
    return { host, facts, unread };
}

/**
 * A described host (experiment/described-host.ts): the program's paths, no images, no disks to
 * measure, no earlier runs of its own.
 */
function otherHost(description: string): HostContext {
    return {
        repoRoot: REPO_ROOT,
        resultsRoot: resultsRoot(REPO_ROOT),
        stateDir: stateDir(REPO_ROOT),
        guestsDir: guestsDir(),
        containerImage: "isobench-bench:described-host",
        guestImage: { disk: "/described-host/guest/disk.qcow2", kernel: "/described-host/guest/vmlinuz", initrd: "/described-host/guest/initrd.img" },
        guestImageDocker: {
            disk: "/described-host/guest-docker/disk.qcow2",
            kernel: "/described-host/guest-docker/vmlinuz",
            initrd: "/described-host/guest-docker/initrd.img",
        },
        guestImageBootloader: { disk: "/described-host/guest-bootloader/disk.qcow2" },
        uefiFirmware: OVMF,
        sshKey: "/described-host/id_ed25519",
        dockerBridgeGateway: DOCKER_DEFAULT_GATEWAY,
        dockerDriver: "cli",
        commandBackend: "dynamic",
        ...describedHost(description),
    };
}

/**
 * What a described host's disks hold before the run, for what the run may write there: the images
 * as images/build-all.sh builds them (the 3 GiB guest image of which 1.1 GB is allocated and
 * 1.6 GiB of its root filesystem free, test/fixtures/guest-image; the 0.7 GB benchmark image),
 * nothing of the stack made or measured yet.
 */
function nominalDisks(host: HostContext): DiskFacts {
    const image = (disk: string) => ({ path: disk, virtualBytes: 3 * 2 ** 30, allocatedBytes: 1_092_886_528, rootFreeBytes: 1_743_880_192 });
    return {
        resultsRoot: host.resultsRoot,
        guestsDir: host.guestsDir,
        dockerRootDir: "/var/lib/docker",
        images: { direct: image(host.guestImage.disk), docker: image(host.guestImageDocker!.disk), bootloader: image(host.guestImageBootloader!.disk) },
        containerImageBytes: 686_000_000,
        existingDisks: new Map(),
        measured: new Set(),
    };
}

/** Runs `isobench plan …`. Exit 0 when the host can hold the plan, 1 when not. */
export function planCommand(opts: { readonly stack: string; readonly host?: string; readonly allowEmulation: boolean }): number {
    const { stack, allowEmulation } = opts;
    const description = opts.host;
    const env = { ...process.env, ...(allowEmulation && { [ALLOW_EMULATION_ENV]: "1" }) };
    let text: string;
    let fits: boolean;
    if (description !== undefined) {
        const host = otherHost(description);
        const spec = loadStackSpec(stacksDir(REPO_ROOT), stack, hostShapeOf(host));
        const plan = resourcePlan(spec, host, { disk: { plan: diskPlan(spec, nominalDisks(host)), movable: host }, precisionWorkloads: precisionWorkloads() });
        text = `${formatResourcePlan(plan)}\n(a described host: its free disk space and earlier runs are not known; its images are taken to be as this checkout builds them)`;
        fits = plan.verdict === "fits";
    } else {
        // As up and status plan it: with the repetitions the precision goal added to the run so far.
        const spec = withAddedRepetitions(loadStackSpec(stacksDir(REPO_ROOT), stack, machineShape), { resultsRoot: resultsRoot(REPO_ROOT) });
        const { host, facts, unread } = localHost(spec, env);
        const plan = resourcePlan(spec, host, facts);
        text = [formatResourcePlan(plan), ...unread.map((u) => `not read: ${u}`)].join("\n");
        fits = plan.verdict === "fits";
    }
    console.log(text);
    return fits ? 0 : 1;
}

/** `isobench up`'s line about the plan, for a stack the preflight admitted on this host. */
export function upPlanLine(spec: ExperimentSpec, host: HostContext): string {
    return summarizePlan(
        resourcePlan(spec, host, {
            history: cellHistoryFor(host.resultsRoot, REPO_ROOT, new Set(spec.workloads.map((w) => w.name))),
            measured: measuredCells(path.join(host.resultsRoot, spec.stack, spec.runId)),
            precisionWorkloads: precisionWorkloads(),
        }),
    );
}
