/**
 * Live environments for integration tests of workloads: the host itself, a Docker NAT container and
 * a KVM guest (software emulation where KVM is unusable), provisioned once per mocha suite with
 * the same building blocks the Pulumi program uses (containerSpec + cli scripts, resolveDomainSpec
 * + guest-lifecycle.sh) and removed again in dispose(). Each suite passes its own prefix, so suites
 * running at the same time on the shared daemons never touch each other's containers or guests.
 *
 *   const suite = liveSuite({ prefix: `it4a${process.pid}`, kinds: ["native", "docker", "kvm"] });
 *   runCell({ ..., resultsDir: suite.resultsDir, env: suite.live.handles.docker! }, workload);
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { REPO_ROOT } from "../../core/paths";
import { cliCreateScript, cliDeleteScript, PortRequest } from "../../environments/container-spec";
import { nativeDataDir } from "../../environments/exec-target";
import { EnvironmentHandle } from "../../core/environment-handle";
import { DockerEnv, KvmEnv, dockerEnvironment, kvmEnvironment } from "../../experiment/environment-handles";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { mustRun, run } from "../../environments/process";
import { leftoverResources } from "./leftovers";

/** "docker": a Docker NAT container; "docker-host": one on the host's network. */
export type LiveKind = "native" | "docker" | "docker-host" | "kvm";

export interface LiveEnvironmentsOptions {
    /** Names every container, volume, domain and disk (`<prefix>-…`); unique per suite. */
    readonly prefix: string;
    readonly kinds: readonly LiveKind[];
    /**
     * Container ports Docker NAT publishes: numbers are TCP ports on 127.0.0.1 with a random host
     * port; objects may be UDP and fixed at the same number (e.g. `workloadPorts(netperf)`).
     */
    readonly serverPorts?: readonly PortRequest[];
}

export interface LiveEnvironments {
    readonly handles: Partial<Record<LiveKind, EnvironmentHandle>>;
    /** Removes everything provisioned; safe to call twice and after a failed provisioning. */
    dispose(): void;
}

const LIFECYCLE = path.join(REPO_ROOT, "environments", "kvm", "guest-lifecycle.sh");

/** Runs `provision`; when it throws, removes what it made and adds any cleanup failure to the error. */
function disposingOnError(dispose: () => void, provision: () => void): void {
    try {
        provision();
    } catch (e) {
        try {
            dispose();
        } catch (cleanupError) {
            (e as Error).message += `; ${(cleanupError as Error).message}`;
        }
        throw e;
    }
}

/** Provisions the requested environments; "kvm" is the process's {@link sharedGuest}. */
export function provisionLiveEnvironments(opts: LiveEnvironmentsOptions): LiveEnvironments {
    const stack = opts.prefix;
    const envName = (k: LiveKind) => (k === "docker" ? "docker-nat" : k === "kvm" ? "kvm-untuned" : k);
    const environments = opts.kinds.map(envName);
    const spec = parseSpec(stack, {
        runId: "live",
        environments,
        workloads: ["sysbench-cpu"],
        allowSoftwareEmulation: true,
    });
    const host = gatherHost(spec);
    const envSpec = (name: string) => spec.environmentSpecs.find((e) => e.name === name)!;
    const handles: Partial<Record<LiveKind, EnvironmentHandle>> = {};
    const cleanups: Array<() => void> = [];
    const dispose = () => {
        const errors: string[] = [];
        for (const c of cleanups.splice(0).reverse()) {
            try {
                c();
            } catch (e) {
                errors.push((e as Error).message);
            }
        }
        if (errors.length) throw new Error(`live environments of ${stack}: cleanup failed: ${errors.join("; ")}`);
    };
    disposingOnError(dispose, () => {
        if (opts.kinds.includes("native")) {
            const dataDir = nativeDataDir(stack);
            cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
            handles.native = { name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir, declared: {} };
        }
        for (const kind of (["docker", "docker-host"] as const).filter((k) => opts.kinds.includes(k))) {
            const { container: c, handle } = dockerEnvironment(spec, envSpec(envName(kind)) as DockerEnv, host, opts.serverPorts ?? []);
            cleanups.push(() => mustRun(["/bin/sh", "-c", cliDeleteScript(c)], 120, `removing container ${c.name}`));
            mustRun(["/bin/sh", "-c", cliCreateScript(c)], 120, `creating container ${c.name}`);
            handles[kind] = handle;
        }
        if (opts.kinds.includes("kvm")) handles.kvm = sharedGuest().handle;
    });
    return { handles, dispose };
}

export interface LiveSuiteOptions extends LiveEnvironmentsOptions {
    /** Runs before the environments are disposed (e.g. removing clones a failed test left behind). */
    readonly beforeDispose?: (live: LiveEnvironments) => void;
    /** What else must be gone after dispose, beside the containers, volumes and domains of the prefix. */
    readonly leftovers?: () => string[];
}

/** What the tests of a {@link liveSuite} use; read inside tests, once its before hook has run. */
export interface LiveSuite {
    readonly live: LiveEnvironments;
    /** A results folder in the temp dir, removed after the suite. */
    readonly resultsDir: string;
}

/**
 * The hooks of a mocha suite on live environments, registered in the calling describe: before its
 * tests a results folder and the environments; after them, whatever happens, the environments
 * disposed and the folder removed, then nothing left that the prefix names (a leftover on the
 * shared daemons would run beside the next suite's cells). The hooks take the suite's timeout.
 */
export function liveSuite(opts: LiveSuiteOptions): LiveSuite {
    let live: LiveEnvironments | undefined;
    let resultsDir: string | undefined;
    before(() => {
        resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${opts.prefix}-results-`));
        live = provisionLiveEnvironments(opts);
    });
    after(() => {
        try {
            if (live) opts.beforeDispose?.(live);
            live?.dispose();
        } finally {
            if (resultsDir) fs.rmSync(resultsDir, { recursive: true, force: true });
        }
        assert.deepEqual([...leftoverResources(`isobench-${opts.prefix}-`), ...(opts.leftovers?.() ?? [])], [], "left behind");
    });
    const provisioned = <T>(v: T | undefined): T => {
        if (v === undefined) throw new Error(`live environments of ${opts.prefix}: read before the suite's before hook ran (or it failed)`);
        return v;
    };
    return {
        get live() {
            return provisioned(live);
        },
        get resultsDir() {
            return provisioned(resultsDir);
        },
    };
}

/** The guest every suite of a mocha process shares, and where its files live. */
export interface SharedGuest {
    readonly handle: EnvironmentHandle;
    /** Its folder in the guests folder (disk, domain XML, known_hosts; clones of it are made there too). */
    readonly guestDir: string;
    /** Prefix of everything it names (`isobench-<stack>-`), for leftover checks. */
    readonly prefix: string;
}

/**
 * vCPUs of the suites' guests whose size no test checks. Under emulation (tcg) a guest of two boots
 * to SSH in ~27 s instead of ~35 s and shuts down in ~6 s instead of ~8 s (the shared guest cycled
 * twice each way on a 2-core host), and guest boots are most of the suites' time.
 */
export const TEST_GUEST_VCPUS = 2;

let shared: (SharedGuest & { dispose(): void }) | undefined;
const SHARED_STACK = `itguest${process.pid}`;
const SHARED_BOOT_S = 600;

/**
 * One untuned guest (TEST_GUEST_VCPUS, 1024 MiB) for every suite of this mocha process that only runs cells
 * in "a guest": each boot costs about half a minute under software emulation, and the suites change nothing in
 * it that another relies on (each cell writes under its own stack's data directory, clones are
 * removed by the cell that made them). Booted on first use; removed by {@link disposeSharedGuest}
 * from the root hook (test/helpers/root-hooks.ts). A suite whose guest must differ (domain knobs,
 * disk format, boot path, a Pulumi-managed guest) boots its own and says why.
 */
export function sharedGuest(): SharedGuest {
    if (shared) return shared;
    const spec = parseSpec(SHARED_STACK, {
        runId: "live",
        environments: ["kvm-untuned"],
        workloads: ["sysbench-cpu"],
        allowSoftwareEmulation: true,
        kvm: { vcpus: TEST_GUEST_VCPUS, memoryMiB: 1024, bootTimeoutS: SHARED_BOOT_S },
    });
    const host = gatherHost(spec);
    const { domain, handle } = kvmEnvironment(spec, spec.environmentSpecs[0] as KvmEnv, host);
    // The program's guest folder (<guestsDir>/<stack>): libvirt's qemu user must reach it.
    const dir = path.dirname(domain.diskPath);
    const dispose = () => {
        shared = undefined;
        mustRun([LIFECYCLE, "delete-clones", domain.name, dir], 300, `removing clones of ${domain.name}`);
        mustRun([LIFECYCLE, "delete", domain.name, domain.diskPath], 180, `removing guest ${domain.name}`);
        fs.rmSync(dir, { recursive: true, force: true });
    };
    disposingOnError(dispose, () => {
        fs.mkdirSync(dir, { recursive: true });
        const xml = path.join(dir, "domain.xml");
        fs.writeFileSync(xml, renderDomainXml(domain));
        mustRun([LIFECYCLE, "create", domain.name, xml, host.guestImage.disk, domain.diskPath], 180, `creating guest ${domain.name}`);
        const wait = run([LIFECYCLE, "wait-ssh", domain.name, host.sshKey, String(SHARED_BOOT_S)], SHARED_BOOT_S + 60);
        if (wait.status !== 0) throw new Error(`guest ${domain.name} did not answer SSH: ${wait.stderr.trim().split("\n").slice(-5).join(" | ")}`);
    });
    shared = { handle, guestDir: dir, prefix: `isobench-${SHARED_STACK}-`, dispose };
    return shared;
}

/** Removes the shared guest if one was booted; an error names what was left. */
export function disposeSharedGuest(): void {
    const s = shared;
    if (!s) return;
    s.dispose();
    const left = [...leftoverResources(s.prefix), ...(fs.existsSync(s.guestDir) ? [`dir ${s.guestDir}`] : [])];
    if (left.length) throw new Error(`the shared guest left ${left.join(", ")}`);
}
