/**
 * Every environment a parsed stack declares, provisioned on the real daemons with the builders the
 * Pulumi program uses (experiment/program.ts): dockerEnvironment + the cli driver's scripts,
 * kvmEnvironment + renderDomainXml + guest-lifecycle.sh, dockerInKvmEnvironment + the guest
 * container scripts. Guests boot concurrently; dispose() removes everything, also after a partial
 * failure. Resource names come from `spec.stack` (`isobench-<stack>-<environment>`), so a test
 * passes a copy of a stack's spec with its own stack name.
 *
 * Guests are driven by child processes the event loop does not need to watch (output goes to
 * files, timeouts are `timeout(1)`'s): runCell blocks the loop, and provisioning of one stack may
 * go on while another stack's cells run.
 *
 *   const live = await provisionStackEnvironments({ ...loadStackSpec(dir, "flux7-2014"), stack: "isb-x-flux7" });
 *   try { runCell({ ..., env: live.handles.get("kvm")! }); } finally { live.dispose(); }
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawn } from "child_process";
import type { ExperimentSpec } from "../../experiment/spec";
import type { HostContext } from "../../experiment/program";
import { gatherHost } from "../../experiment/host";
import { REPO_ROOT } from "../../core/paths";
import { dockerEnvironment, dockerInKvmEnvironment, kvmEnvironment } from "../../experiment/environment-handles";
import { cliCreateScript, cliDeleteScript } from "../../environments/container-spec";
import { guestContainerCreateScript, guestContainerDeleteScript } from "../../environments/docker-in-kvm";
import { guestAccessOf, inGuest, nativeDataDir, runtimeDir } from "../../environments/exec-target";
import { EnvironmentHandle } from "../../core/environment-handle";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { DomainSpec } from "../../environments/kvm/domain-spec";
import { guestDiskGrowth } from "../../experiment/disk-plan";
import { mustRun } from "../../environments/process";
import { getWorkload } from "../../workloads";
import { workloadPorts } from "../../workloads/workload";

const LIFECYCLE = path.join(REPO_ROOT, "environments", "kvm", "guest-lifecycle.sh");

export interface StackEnvironmentsOptions {
    /**
     * Seconds a guest may take to answer SSH; default: the larger of the environment's
     * bootTimeoutS and 1200 (several guests booting at once under software emulation on a busy
     * host take far longer than one alone).
     */
    readonly bootTimeoutS?: number;
    /** Progress lines; default none. */
    readonly log?: (line: string) => void;
}

export interface StackEnvironments {
    readonly spec: ExperimentSpec;
    readonly host: HostContext;
    /** Runner handles by environment name, in the stack's declaration order. */
    readonly handles: ReadonlyMap<string, EnvironmentHandle>;
    /** Seconds from the start of provisioning until each environment was ready. */
    readonly readyS: Readonly<Record<string, number>>;
    /** Removes everything provisioned; safe to call twice. */
    dispose(): void;
}

/** Runs argv to completion without a pipe the (possibly blocked) event loop would have to drain. */
function runDetached(argv: readonly string[], timeoutS: number, what: string, logDir: string): Promise<string> {
    const base = path.join(logDir, what.replace(/[^A-Za-z0-9_.-]+/g, "_"));
    const out = fs.openSync(`${base}.out`, "w");
    const err = fs.openSync(`${base}.err`, "w");
    return new Promise((resolve, reject) => {
        const child = spawn("timeout", ["--kill-after=10", String(timeoutS), ...argv], { stdio: ["ignore", out, err] });
        const close = () => {
            fs.closeSync(out);
            fs.closeSync(err);
        };
        child.on("error", (e) => {
            close();
            reject(new Error(`${what}: ${e.message}`));
        });
        child.on("exit", (code, signal) => {
            close();
            const stdout = fs.readFileSync(`${base}.out`, "utf8");
            if (code === 0) return resolve(stdout);
            const tail = `${fs.readFileSync(`${base}.err`, "utf8")}${stdout}`.trim().split("\n").slice(-8).join(" | ");
            reject(new Error(`${what} failed (${code === 124 ? `timed out after ${timeoutS} s` : `exit ${code ?? signal}`}): ${tail}`));
        });
    });
}

/** Provisions all environments of `spec`; on any failure removes what was made and rejects with every error. */
export async function provisionStackEnvironments(spec: ExperimentSpec, opts: StackEnvironmentsOptions = {}): Promise<StackEnvironments> {
    const log = opts.log ?? (() => undefined);
    const t0 = Date.now();
    const since = () => Math.round((Date.now() - t0) / 100) / 10;
    const host = gatherHost(spec);
    const serverPorts = spec.workloads.flatMap((w) => workloadPorts(getWorkload(w.name)));
    const guestDir = path.join(host.guestsDir, spec.stack);
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${spec.stack}-provision-`));
    const handles = new Map<string, EnvironmentHandle>();
    const readyS: Record<string, number> = {};
    const cleanups: Array<{ what: string; run: () => void }> = [];

    const dispose = () => {
        const errors: string[] = [];
        for (const c of cleanups.splice(0).reverse()) {
            try {
                c.run();
            } catch (e) {
                errors.push(`${c.what}: ${(e as Error).message}`);
            }
        }
        if (errors.length) throw new Error(`environments of stack ${spec.stack}: cleanup failed: ${errors.join("; ")}`);
    };
    cleanups.push({ what: "provisioning logs", run: () => fs.rmSync(logDir, { recursive: true, force: true }) });

    /** Defines and starts a guest with its disk grown as the program grows it (the cleanup is registered first), resolves when SSH answers. */
    const bootGuest = async (name: string, domain: DomainSpec, baseDisk: string, bootTimeoutS: number, growBytes: number): Promise<void> => {
        cleanups.push({
            what: `guest ${domain.name}`,
            run: () => mustRun([LIFECYCLE, "delete", domain.name, domain.diskPath], 300, `removing guest ${domain.name}`),
        });
        const xml = domain.diskPath.replace(/\.qcow2$/, ".xml");
        fs.writeFileSync(xml, renderDomainXml(domain));
        await runDetached([LIFECYCLE, "create", domain.name, xml, baseDisk, domain.diskPath, String(growBytes)], 300, `create-${name}`, logDir);
        const timeout = opts.bootTimeoutS ?? Math.max(bootTimeoutS, 1200);
        await runDetached([LIFECYCLE, "wait-ssh", domain.name, host.sshKey, String(timeout)], timeout + 60, `wait-ssh-${name}`, logDir);
        if (growBytes > 0) {
            await runDetached([LIFECYCLE, "grow-root", domain.name, host.sshKey], 300, `grow-root-${name}`, logDir);
        }
        log(`${spec.stack}: guest ${name} answers SSH after ${since()} s`);
    };

    const guests: Array<Promise<void>> = [];
    try {
        // The guest folder (and with it every clone's disk) goes last; libvirt's qemu user must reach it.
        fs.mkdirSync(guestDir, { recursive: true });
        cleanups.push({
            what: `guest folder ${guestDir}`,
            run: () => {
                if (fs.existsSync(guestDir)) {
                    // Clones a killed lifecycle or instances cell left behind keep disks in the folder.
                    for (const h of handles.values()) {
                        if (inGuest(h.target)) mustRun([LIFECYCLE, "delete-clones", h.target.domain, guestDir], 300, `removing clones of ${h.target.domain}`);
                    }
                }
                fs.rmSync(guestDir, { recursive: true, force: true });
            },
        });
        for (const env of spec.environmentSpecs) {
            const name = env.name;
            if (env.kind === "native") {
                const dataDir = nativeDataDir(spec.stack);
                cleanups.push({ what: `native data ${dataDir}`, run: () => fs.rmSync(dataDir, { recursive: true, force: true }) });
                // A killed cell leaves its runtime folder on the host; in other environments it goes with them.
                cleanups.push({ what: "native runtime folder", run: () => fs.rmSync(runtimeDir(spec.stack), { recursive: true, force: true }) });
                fs.mkdirSync(dataDir, { recursive: true });
                handles.set(name, {
                    name,
                    envKind: "native",
                    variant: "",
                    accel: "none",
                    target: { kind: "native" },
                    dataDir,
                    declared: { nproc: String(host.hostCpuCount) },
                });
                readyS[name] = since();
            } else if (env.kind === "docker") {
                const { container, handle } = dockerEnvironment(spec, env, host, serverPorts);
                cleanups.push({
                    what: `container ${container.name}`,
                    run: () => mustRun(["/bin/sh", "-c", cliDeleteScript(container)], 120, `removing container ${container.name}`),
                });
                mustRun(["/bin/sh", "-c", cliCreateScript(container)], 180, `creating container ${container.name}`);
                handles.set(name, handle);
                readyS[name] = since();
            } else if (env.kind === "kvm") {
                const { domain, handle } = kvmEnvironment(spec, env, host);
                handles.set(name, handle);
                guests.push(
                    bootGuest(name, domain, host.guestImage.disk, env.kvm.bootTimeoutS, guestDiskGrowth(spec, env).bytes).then(() => {
                        readyS[name] = since();
                    }),
                );
            } else {
                const { domain, container, handle } = dockerInKvmEnvironment(spec, env, host, serverPorts);
                handles.set(name, handle);
                guests.push(
                    bootGuest(name, domain, host.guestImageDocker!.disk, env.kvm.bootTimeoutS, guestDiskGrowth(spec, env).bytes).then(async () => {
                        cleanups.push({
                            what: `container ${container.name} in ${domain.name}`,
                            run: () =>
                                mustRun(
                                    ["/bin/sh", "-c", guestContainerDeleteScript(container, guestAccessOf(handle), LIFECYCLE)],
                                    300,
                                    `removing ${container.name} in ${domain.name}`,
                                ),
                        });
                        // Loads the 0.7 GB benchmark image into the guest's dockerd: ~10 min under software emulation.
                        await runDetached(
                            ["/bin/sh", "-c", guestContainerCreateScript(container, guestAccessOf(handle), LIFECYCLE)],
                            3600,
                            `container-${name}`,
                            logDir,
                        );
                        readyS[name] = since();
                        log(`${spec.stack}: container ${container.name} in guest ${name} ready after ${since()} s`);
                    }),
                );
            }
        }
    } catch (e) {
        // Let guests already on their way finish or fail before removing them.
        await Promise.allSettled(guests);
        throw withCleanup(e as Error, dispose);
    }
    const settled = await Promise.allSettled(guests);
    const failed = settled.flatMap((s) => (s.status === "rejected" ? [(s.reason as Error).message] : []));
    if (failed.length > 0) throw withCleanup(new Error(`provisioning stack ${spec.stack} failed:\n  - ${failed.join("\n  - ")}`), dispose);
    const ordered = new Map(spec.environments.map((n) => [n, handles.get(n)!]));
    return { spec, host, handles: ordered, readyS, dispose };
}

function withCleanup(e: Error, dispose: () => void): Error {
    try {
        dispose();
    } catch (cleanupError) {
        e.message += `; ${(cleanupError as Error).message}`;
    }
    return e;
}
