/**
 * Throwaway instances equivalent to a running environment ("clones"), for the Flux7 start/stop
 * measurement and the KEK concurrency sweeps. A clone is derived from the running environment
 * itself (`docker inspect`, `virsh dumpxml --inactive`), so it matches however the environment was
 * declared (variant knobs of other branches included) without a second description of it.
 *
 * Pure part: parsing the inspect JSON, rendering `docker run` argv, rewriting domain XML and the
 * shell snippets that create/remove a clone. I/O part (bottom): reading the source of a running
 * environment and removing leftover clones.
 *
 * Clones are named `<original>-c<k>` (k >= 1) and labelled `isobench.clone-of=<original>`, so a
 * leftover is recognizable and {@link removeLeftoverClones} finds it.
 */
import { UserError } from "../core/errors";
import * as path from "path";
import { execArgv, sshArgv } from "./exec-target";
import { EnvironmentHandle, ExecTarget } from "../core/environment-handle";
import type { CloneScripts, Clones } from "../core/clones";
import type { Transport } from "./transport";
import { shellQuote as q } from "../core/shell";
import { escapeXmlAttr, unescapeXml } from "../core/xml";
import { virshArgv } from "./process";
import { dockerRemovalScript, HOST_DOCKERD_FIX } from "./container-spec";

/** argv of virsh against the system libvirtd of the machine it runs on: run through the environment's transport, that machine is the environment's. */
const virshThere = (...args: string[]) => virshArgv(30, ...args);

/** A clone's name: `<original>-c<k>`. */
export function cloneName(original: string, k: number): string {
    if (!Number.isInteger(k) || k < 1) throw new Error(`clone index must be an integer >= 1, got ${k}`);
    return `${original}-c${k}`;
}

/** Whether name is a clone of original (as named by {@link cloneName}). */
export function isCloneOf(original: string, name: string): boolean {
    return name.startsWith(`${original}-c`) && /^[1-9][0-9]*$/.test(name.slice(original.length + 2));
}

// ---- Docker ---------------------------------------------------------------------------------

/** The part of `docker inspect <container>` a clone is built from. */
export interface DockerInspect {
    readonly Name: string;
    /** Image ID (sha256:…): the clone runs exactly the same image even if the tag moved. */
    readonly Image: string;
    readonly Config: {
        readonly Image: string;
        readonly Cmd?: readonly string[] | null;
        readonly Entrypoint?: readonly string[] | null;
        readonly Env?: readonly string[] | null;
        readonly Labels?: Readonly<Record<string, string>> | null;
        readonly User?: string;
        readonly WorkingDir?: string;
    };
    readonly HostConfig: {
        readonly NetworkMode: string;
        readonly PortBindings?: Readonly<Record<string, ReadonlyArray<{ HostIp?: string; HostPort?: string }> | null>> | null;
        readonly Runtime?: string;
        readonly CpusetCpus?: string;
        readonly CpusetMems?: string;
        readonly NanoCpus?: number;
        readonly CpuQuota?: number;
        readonly CpuPeriod?: number;
        readonly CpuShares?: number;
        readonly Memory?: number;
        readonly MemorySwap?: number;
        readonly MemoryReservation?: number;
        readonly PidsLimit?: number | null;
        readonly BlkioWeight?: number;
        readonly ShmSize?: number;
        readonly Privileged?: boolean;
        readonly SecurityOpt?: readonly string[] | null;
        readonly CapAdd?: readonly string[] | null;
        readonly CapDrop?: readonly string[] | null;
        readonly Devices?: ReadonlyArray<{ PathOnHost: string; PathInContainer: string; CgroupPermissions: string }> | null;
        readonly Tmpfs?: Readonly<Record<string, string>> | null;
        readonly Sysctls?: Readonly<Record<string, string>> | null;
        readonly Init?: boolean | null;
        readonly PidMode?: string;
        readonly IpcMode?: string;
        readonly UsernsMode?: string;
    };
    readonly Mounts?: ReadonlyArray<{
        readonly Type: string;
        readonly Name?: string;
        readonly Source: string;
        readonly Destination: string;
        readonly RW: boolean;
    }> | null;
}

/** Parses `docker inspect <container>` output (a one-element array); throws naming the container. */
export function parseDockerInspect(json: string, container: string): DockerInspect {
    let v: unknown;
    try {
        v = JSON.parse(json);
    } catch (e) {
        throw new Error(`docker inspect ${container}: output is not JSON (${(e as Error).message})`, { cause: e });
    }
    const d = Array.isArray(v) ? v[0] : undefined;
    if (!d || typeof d !== "object" || typeof d.Image !== "string" || !d.Config || !d.HostConfig || typeof d.HostConfig.NetworkMode !== "string") {
        throw new Error(`docker inspect ${container}: not the inspect output of one container (expected [{Image, Config, HostConfig, …}])`);
    }
    return d as DockerInspect;
}

/** A Docker clone: its container, the fresh volumes it gets and its `docker run` argv. */
export interface DockerClone {
    readonly name: string;
    readonly original: string;
    readonly volumes: readonly string[];
    readonly runArgs: readonly string[];
}

/** Docker's default /dev/shm size; not passed when unchanged. */
const DEFAULT_SHM = 64 * 1024 * 1024;

/**
 * The `docker run` of clone k of the inspected container: same image (by ID), network mode,
 * published ports (on the same host address, host port chosen by Docker), mounts (named volumes
 * replaced by fresh volumes `<volume>-c<k>`, bind and tmpfs mounts kept), runtime, cgroup limits
 * (cpuset, CPUs, quota, shares, memory, swap, pids, blkio), security options, capabilities,
 * devices, sysctls, init, pid/ipc/userns modes, user, working directory, environment, entrypoint
 * and command. Container-scoped network modes cannot be cloned and are refused.
 */
export function dockerClone(d: DockerInspect, k: number): DockerClone {
    const original = d.Name.replace(/^\//, "");
    const name = cloneName(original, k);
    const h = d.HostConfig;
    const c = d.Config;
    if (h.NetworkMode.startsWith("container:")) {
        throw new Error(`container ${original} shares the network of ${h.NetworkMode.slice(10)}; such a container cannot be cloned`);
    }
    const a: string[] = ["docker", "run", "-d", "--name", name];
    a.push("--network", h.NetworkMode === "default" ? "bridge" : h.NetworkMode);
    if (h.NetworkMode !== "host") {
        for (const [port, bindings] of Object.entries(h.PortBindings ?? {})) {
            // A fixed host port cannot be bound twice; clones always get one chosen by Docker.
            for (const b of bindings ?? [{}]) a.push("-p", `${b.HostIp ? `${b.HostIp}:` : ""}:${port}`);
        }
    }
    const volumes: string[] = [];
    for (const m of d.Mounts ?? []) {
        if (m.Type === "volume") {
            const vol = `${m.Name ?? path.basename(path.dirname(m.Source))}-c${k}`;
            volumes.push(vol);
            a.push("--mount", `type=volume,source=${vol},target=${m.Destination}${m.RW ? "" : ",readonly"}`);
        } else if (m.Type === "bind") {
            a.push("--mount", `type=bind,source=${m.Source},target=${m.Destination}${m.RW ? "" : ",readonly"}`);
        } else if (m.Type === "tmpfs") {
            a.push("--mount", `type=tmpfs,target=${m.Destination}`);
        } else {
            throw new Error(`container ${original} has a mount of type "${m.Type}" at ${m.Destination}, which clones do not support`);
        }
    }
    for (const [p, opts] of Object.entries(h.Tmpfs ?? {})) a.push("--tmpfs", opts ? `${p}:${opts}` : p);
    if (h.Runtime && h.Runtime !== "runc") a.push("--runtime", h.Runtime);
    if (h.CpusetCpus) a.push("--cpuset-cpus", h.CpusetCpus);
    if (h.CpusetMems) a.push("--cpuset-mems", h.CpusetMems);
    if (h.NanoCpus) a.push("--cpus", String(h.NanoCpus / 1e9));
    if (h.CpuQuota) a.push("--cpu-quota", String(h.CpuQuota));
    if (h.CpuPeriod) a.push("--cpu-period", String(h.CpuPeriod));
    if (h.CpuShares) a.push("--cpu-shares", String(h.CpuShares));
    if (h.Memory) a.push("--memory", `${h.Memory}b`);
    if (h.MemorySwap) a.push("--memory-swap", h.MemorySwap < 0 ? "-1" : `${h.MemorySwap}b`);
    if (h.MemoryReservation) a.push("--memory-reservation", `${h.MemoryReservation}b`);
    if (h.PidsLimit) a.push("--pids-limit", String(h.PidsLimit));
    if (h.BlkioWeight) a.push("--blkio-weight", String(h.BlkioWeight));
    if (h.ShmSize && h.ShmSize !== DEFAULT_SHM) a.push("--shm-size", `${h.ShmSize}b`);
    if (h.Privileged) a.push("--privileged");
    for (const s of h.SecurityOpt ?? []) a.push("--security-opt", s);
    for (const s of h.CapAdd ?? []) a.push("--cap-add", s);
    for (const s of h.CapDrop ?? []) a.push("--cap-drop", s);
    for (const dev of h.Devices ?? []) a.push("--device", `${dev.PathOnHost}:${dev.PathInContainer}:${dev.CgroupPermissions}`);
    for (const [key, v] of Object.entries(h.Sysctls ?? {})) a.push("--sysctl", `${key}=${v}`);
    if (h.Init) a.push("--init");
    if (h.PidMode) a.push("--pid", h.PidMode);
    if (h.IpcMode && h.IpcMode !== "private") a.push("--ipc", h.IpcMode);
    if (h.UsernsMode) a.push("--userns", h.UsernsMode);
    if (c.User) a.push("--user", c.User);
    if (c.WorkingDir) a.push("--workdir", c.WorkingDir);
    for (const e of c.Env ?? []) a.push("-e", e);
    const labels: Record<string, string> = { ...(c.Labels ?? {}), "isobench.clone-of": original, "isobench.clone": String(k) };
    for (const [key, v] of Object.entries(labels)) a.push("--label", `${key}=${v}`);
    const entry = c.Entrypoint ?? [];
    if (entry.length > 0) a.push("--entrypoint", entry[0]);
    a.push(d.Image, ...entry.slice(1), ...(c.Cmd ?? []));
    return { name, original, volumes, runArgs: a };
}

/** Creates the clone's volumes and container, then waits (bounded) until `docker exec` answers. */
export function dockerCloneCreateScript(c: DockerClone, timeoutS: number): string {
    const label = `--label ${q(`isobench.clone-of=${c.original}`)}`;
    return [
        ...c.volumes.map((v) => `docker volume create ${label} ${q(v)} >/dev/null`),
        `${c.runArgs.map(q).join(" ")} >/dev/null`,
        `i=0; until docker exec ${q(c.name)} true 2>/dev/null; do i=$((i+1)); [ $i -le ${timeoutS * 20} ] || { echo "clone ${c.name} did not answer docker exec within ${timeoutS}s" >&2; exit 1; }; sleep 0.05; done`,
    ].join("\n");
}

/** Removes the clone's container and volumes; succeeds when they are already gone, fails while dockerd does not answer. */
export function dockerCloneRemoveScript(c: DockerClone): string {
    return dockerRemovalScript({ containers: [c.name], volumes: c.volumes, fix: HOST_DOCKERD_FIX });
}

// ---- KVM ------------------------------------------------------------------------------------

/** Paths of a KVM clone; all beside the original's overlay so that they are found together. */
export interface KvmClonePaths {
    readonly name: string;
    readonly xmlPath: string;
    readonly diskPath: string;
    readonly serialLogPath?: string;
}

/** What {@link kvmCloneXml} needs from the original's inactive XML. */
export interface DomainFacts {
    readonly name: string;
    /** Path of the single file-backed disk (the original's qcow2 overlay). */
    readonly diskPath: string;
    /** Path of the file-backed serial console, when there is one. */
    readonly serialLogPath?: string;
}

/** Reads name, disk and serial log from `virsh dumpxml --inactive` output; refuses live XML. */
export function domainFacts(xml: string): DomainFacts {
    if (/<domain\b[^>]*\sid=['"]/.test(xml)) {
        throw new Error("domain XML is the live XML of a running domain (it has an id); clone from `virsh dumpxml --inactive`");
    }
    const name = /<name>([^<]+)<\/name>/.exec(xml);
    if (!name) throw new Error("domain XML has no <name>");
    const disks = [...xml.matchAll(/<disk\b[^>]*\bdevice=['"]disk['"][^>]*>([\s\S]*?)<\/disk>/g)];
    if (disks.length !== 1) throw new Error(`domain ${name[1]} has ${disks.length} disks; a clone needs exactly one file-backed disk`);
    const src = /<source\s+file=(['"])(.*?)\1/.exec(disks[0][1]);
    if (!src) throw new Error(`domain ${name[1]}: its disk is not file-backed (<source file=…>); cannot make a fresh overlay for a clone`);
    const serial = /<serial\s+type=['"]file['"]\s*>\s*<source\s+path=(['"])(.*?)\1/.exec(xml);
    return { name: unescapeXml(name[1]), diskPath: unescapeXml(src[2]), ...(serial ? { serialLogPath: unescapeXml(serial[2]) } : {}) };
}

/** The clone's file paths: `<dir of the original overlay>/<clone>.{qcow2,xml,serial.log}`. */
export function kvmClonePaths(facts: DomainFacts, k: number): KvmClonePaths {
    const name = cloneName(facts.name, k);
    const dir = path.dirname(facts.diskPath);
    return {
        name,
        xmlPath: path.join(dir, `${name}.xml`),
        diskPath: path.join(dir, `${name}.qcow2`),
        ...(facts.serialLogPath ? { serialLogPath: path.join(dir, `${name}.serial.log`) } : {}),
    };
}

/**
 * The clone's domain XML: the original's inactive XML with a new name, no UUID and no MAC (libvirt
 * generates fresh ones and checks them for collisions), its own overlay, serial log and UEFI
 * variable store, and a
 * description saying whose clone it is. Everything else (CPU model, pinning, memory, disk cache,
 * NIC backend, kernel) stays as it is.
 */
export function kvmCloneXml(xml: string, k: number): { readonly xml: string; readonly paths: KvmClonePaths } {
    const facts = domainFacts(xml);
    const p = kvmClonePaths(facts, k);
    let out = xml.replace(/<name>[^<]+<\/name>/, `<name>${escapeXmlAttr(p.name)}</name>`);
    out = out.replace(/^\s*<uuid>[^<]*<\/uuid>\s*\n/m, "");
    out = out.replace(/^\s*<mac\s+address=['"][^'"]*['"]\s*\/>\s*\n/gm, "");
    out = out.replace(
        /(<disk\b[^>]*\bdevice=['"]disk['"][^>]*>[\s\S]*?<source\s+file=)(['"])(.*?)\2/,
        (_m, pre: string, quote: string) => `${pre}${quote}${escapeXmlAttr(p.diskPath)}${quote}`,
    );
    if (facts.serialLogPath && p.serialLogPath) {
        // The console element mirrors the serial port and names the same file.
        const oldPath = new RegExp(`(<source\\s+path=)(['"])${escapeRegExp(escapeXmlAttr(facts.serialLogPath))}\\2`, "g");
        out = out.replace(oldPath, (_m, pre: string, quote: string) => `${pre}${quote}${escapeXmlAttr(p.serialLogPath!)}${quote}`);
    }
    // A UEFI guest's variable store is its own (libvirt makes it from the template at start and
    // `virsh undefine --nvram` removes it): a clone sharing the original's would write into it.
    out = out.replace(
        /(<nvram\b[^>]*>)[^<]*(<\/nvram>)/,
        (_m, open: string, close: string) => `${open}${escapeXmlAttr(path.join(path.dirname(p.diskPath), `${p.name}.VARS.fd`))}${close}`,
    );
    out = out.replace(/<description>([^<]*)<\/description>/, (_m, d: string) => `<description>clone ${k} of ${escapeXmlAttr(facts.name)}: ${d}</description>`);
    return { xml: out, paths: p };
}

function escapeRegExp(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ---- one interface over all kinds -----------------------------------------------------------

/** What is needed to make clones of one running environment; read by {@link readCloneSource}. */
export type CloneSource =
    /** numactl: the original's policy prefix (exec-target.ts), so every instance of a sweep runs under it. */
    | { readonly kind: "native"; readonly numactl?: readonly string[] }
    | { readonly kind: "docker"; readonly inspect: DockerInspect; readonly network: "nat" | "host"; readonly numactl?: readonly string[] }
    | {
          readonly kind: "kvm";
          /** `virsh dumpxml --inactive` of the original. */
          readonly xml: string;
          /** Backing file of the original's overlay: clones get fresh overlays on it. */
          readonly baseImage: string;
          /**
           * Bytes the original's disk is larger than the base (kvm-guest.ts diskGrowBytes): a clone's
           * overlay grows as much and its root filesystem with it, so its workloads' files fit as
           * the original's do. 0: as large as the base.
           */
          readonly growBytes: number;
          readonly sshKey: string;
          /** The original's known_hosts; clones' disks are in its folder, so their keys go there too. */
          readonly knownHosts: string;
          /** environments/kvm/guest-lifecycle.sh */
          readonly lifecycleScript: string;
      };

/**
 * Create/remove/exec snippets for clone k of the source's environment. A native "instance" is a
 * process (`sleep`), so native start/stop is the cost of starting and killing one process.
 */
/** The numactl prefix as shell words with a trailing space, or "". */
function numactlWords(numactl: readonly string[] | undefined): string {
    return numactl ? `${numactl.map(q).join(" ")} ` : "";
}

/** The clones of the source's environment as a workload takes them (core/clones.ts). */
export function clonesOf(src: CloneSource): Clones {
    return { shareFilesystem: src.kind === "native", scripts: (k, timeoutS) => cloneScripts(src, k, timeoutS) };
}

export function cloneScripts(src: CloneSource, k: number, timeoutS: number): CloneScripts {
    switch (src.kind) {
        case "native": {
            const pidFile = `"$ISOBENCH_TMP/native-c${k}.pid"`;
            return {
                name: `native-c${k}`,
                create: `sleep 86400 </dev/null >/dev/null 2>&1 & echo $! > ${pidFile}; kill -0 "$(cat ${pidFile})"`,
                // Gone = no longer running: the orphaned sleep stays a zombie until init reaps it.
                remove: `if [ -f ${pidFile} ]; then p=$(cat ${pidFile}); kill $p 2>/dev/null || true; while [ -r /proc/$p/stat ] && [ "$(sed 's/^.*) \\(.\\).*/\\1/' /proc/$p/stat 2>/dev/null)" != Z ]; do sleep 0.01; done; rm -f ${pidFile}; fi`,
                exec: (script) => `${numactlWords(src.numactl)}/bin/sh -c ${q(script)}`,
            };
        }
        case "docker": {
            const c = dockerClone(src.inspect, k);
            return {
                name: c.name,
                create: dockerCloneCreateScript(c, timeoutS),
                remove: dockerCloneRemoveScript(c),
                exec: (script) => `docker exec ${q(c.name)} ${numactlWords(src.numactl)}/bin/sh -c ${q(script)}`,
            };
        }
        case "kvm": {
            const { xml, paths } = kvmCloneXml(src.xml, k);
            const lc = q(src.lifecycleScript);
            const eof = "ISOBENCH_CLONE_XML_EOF";
            if (xml.includes(eof)) throw new Error(`domain XML contains ${eof}`);
            const extra = [paths.xmlPath, paths.serialLogPath]
                .filter((f): f is string => !!f)
                .map(q)
                .join(" ");
            return {
                name: paths.name,
                create: [
                    `cat > ${q(paths.xmlPath)} <<'${eof}'\n${xml.replace(/\n$/, "")}\n${eof}`,
                    `${lc} create ${q(paths.name)} ${q(paths.xmlPath)} ${q(src.baseImage)} ${q(paths.diskPath)}${src.growBytes > 0 ? ` ${src.growBytes}` : ""} >&2`,
                    // No pipefail in sh: take the address in two steps so a failed wait fails the create.
                    `ip=$(${lc} wait-ssh ${q(paths.name)} ${q(src.sshKey)} ${timeoutS})`,
                    ...(src.growBytes > 0 ? [`${lc} grow-root ${q(paths.name)} ${q(src.sshKey)} >&2`] : []),
                    `printf '%s\\n' "$ip" | tail -n 1`,
                ].join("\n"),
                remove: [`${lc} delete ${q(paths.name)} ${q(paths.diskPath)} >&2`, `rm -f ${extra}`].join("\n"),
                exec: (script, ipVar) =>
                    sshArgv({ domain: paths.name, sshKey: src.sshKey, knownHosts: src.knownHosts }, "IP")
                        .map((w) => (w === "root@IP" ? `"root@$${ipVar}"` : q(w)))
                        .join(" ") + ` ${q(script)}`,
            };
        }
    }
}

/** Shell words running `script` inside the original environment (argv of exec-target, quoted). */
export function originalExec(target: ExecTarget, script: string, ip?: string): string {
    return execArgv(target, script, ip).map(q).join(" ");
}

// ---- I/O ------------------------------------------------------------------------------------

/** Reads what clones of the running environment are made from, on `host`, the machine it runs on; throws naming what is missing. */
export function readCloneSource(host: Pick<Transport, "mustRun">, env: EnvironmentHandle, lifecycleScript: string): CloneSource {
    const t = env.target;
    switch (t.kind) {
        case "native":
            return t.numactl ? { kind: "native", numactl: t.numactl } : { kind: "native" };
        case "docker": {
            const out = host.mustRun(["docker", "inspect", "--type", "container", t.container], 30, `docker inspect ${t.container} (environment ${env.name})`);
            return { kind: "docker", inspect: parseDockerInspect(out, t.container), network: t.network, ...(t.numactl && { numactl: t.numactl }) };
        }
        case "kvm": {
            const xml = host.mustRun(virshThere("dumpxml", "--inactive", t.domain), 60, `virsh dumpxml --inactive ${t.domain} (environment ${env.name})`);
            const facts = domainFacts(xml);
            const info = host.mustRun(["qemu-img", "info", "-U", "--output=json", facts.diskPath], 60, `qemu-img info ${facts.diskPath} (disk of ${t.domain})`);
            const backing = JSON.parse(info) as { "full-backing-filename"?: string; "backing-filename"?: string; "virtual-size"?: number };
            const base = backing["full-backing-filename"] ?? backing["backing-filename"];
            if (!base) throw new Error(`${facts.diskPath} (disk of ${t.domain}) has no backing file; clones need an overlay on a shared base image`);
            const baseInfo = JSON.parse(host.mustRun(["qemu-img", "info", "-U", "--output=json", base], 60, `qemu-img info ${base} (base of ${t.domain})`)) as {
                "virtual-size"?: number;
            };
            const growBytes = Math.max(0, (backing["virtual-size"] ?? 0) - (baseInfo["virtual-size"] ?? 0));
            return { kind: "kvm", xml, baseImage: base, growBytes, sshKey: t.sshKey, knownHosts: t.knownHosts, lifecycleScript };
        }
        case "docker-in-kvm":
            throw new UserError(
                `environment ${env.name} is docker-in-kvm: lifecycle, idle and instances sweeps cannot clone a container inside a guest yet; run them in docker or kvm environments`,
            );
    }
}

/** Names of leftover clones of the environment (containers / domains named `<original>-c<k>`) on `host`. */
export function listClones(host: Pick<Transport, "mustRun">, target: ExecTarget): string[] {
    switch (target.kind) {
        case "native":
            return [];
        case "docker": {
            const r = host.mustRun(
                ["docker", "ps", "-a", "--filter", `label=isobench.clone-of=${target.container}`, "--format", "{{.Names}}"],
                30,
                "docker ps",
            );
            return r
                .split("\n")
                .map((s) => s.trim())
                .filter((n) => isCloneOf(target.container, n));
        }
        case "kvm": {
            const r = host.mustRun(virshThere("list", "--all", "--name"), 60, "virsh list");
            return r
                .split("\n")
                .map((s) => s.trim())
                .filter((n) => isCloneOf(target.domain, n));
        }
        case "docker-in-kvm":
            return []; // never cloned (readCloneSource refuses)
    }
}

/**
 * Removes every clone the source describes up to index maxK and any other leftover clone of the
 * environment (with its volumes or overlay); used in `finally` after the run's own cleanup.
 * Returns the names it found still present, for the record.
 */
export function removeLeftoverClones(
    host: Pick<Transport, "mustRun" | "attempt">,
    src: CloneSource,
    target: ExecTarget,
    maxK: number,
    timeoutS = 300,
): string[] {
    if (src.kind === "native") return [];
    const found = listClones(host, target);
    const ks = new Set<number>(Array.from({ length: maxK }, (_, i) => i + 1));
    const original = target.kind === "docker" ? target.container : target.kind === "kvm" ? target.domain : "";
    for (const n of found) ks.add(Number(n.slice(original.length + 2)));
    const script = [...ks]
        .sort((a, b) => a - b)
        .map((k) => cloneScripts(src, k, 60).remove)
        .join("\n");
    if (script) {
        const r = host.attempt(["/bin/sh", "-c", script], timeoutS);
        if (r.error || r.status !== 0) throw new Error(`removing clones of ${original} failed: ${(r.stderr || r.stdout).trim().slice(-2000)}`);
    }
    return found;
}
