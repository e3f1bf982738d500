/**
 * One description of a benchmark container, rendered for both Docker drivers so that the
 * `provider` (@pulumi/docker) and `cli` (docker CLI) drivers create the same container.
 * Pure: no Pulumi, no I/O.
 */
import { createHash } from "crypto";
import { PRINT_READY_SECONDS, START_CLOCK, shellQuote as q } from "../core/shell";
import { DockerVariant, dockerVariantOf, memoryBytes } from "../core/environment-spec";
export type DockerNetwork = "nat" | "host" | "none";

/** A server port to publish: a bare number is a TCP port with a host port chosen by Docker. */
export type PortRequest =
    | number
    | {
          readonly port: number;
          readonly protocol: "tcp" | "udp";
          /** Publish at the same number on the host (protocols that announce their data port). */
          readonly sameNumber?: boolean;
      };

export interface PublishedPort {
    readonly port: number;
    readonly protocol: "tcp" | "udp";
    /** Fixed host port (= port) when the protocol needs it; otherwise Docker picks one. */
    readonly hostPort?: number;
}

export interface ContainerSpec {
    readonly name: string;
    readonly image: string;
    /** Docker network mode: "bridge" for NAT, "host" for host networking, "none" for loopback only. */
    readonly networkMode: "bridge" | "host" | "none";
    /** Ports published on `publishAddress` (only with NAT). */
    readonly publish: readonly PublishedPort[];
    /**
     * Host address the ports are published on. An address in 127.0.0.0/8, where docker-proxy (the
     * userland proxy) carries the traffic (Docker's OUTPUT DNAT rule skips 127.0.0.0/8 while the
     * proxy is on), or the bridge gateway, where iptables DNAT carries it.
     */
    readonly publishAddress: string;
    /** Named volume at the data directory; absent when the data directory lives in the container layer. */
    readonly volume?: { readonly name: string; readonly target: string };
    readonly labels: Readonly<Record<string, string>>;
    readonly command: readonly string[];
    /** OCI runtime; absent = the daemon's default (runc). */
    readonly runtime?: string;
    readonly cpuset?: string;
    readonly cpus?: number;
    /** Memory limit in MiB. */
    readonly memoryMiB?: number;
    readonly capAdd: readonly string[];
    readonly securityOpt: readonly string[];
}

export interface ContainerSpecArgs {
    readonly stack: string;
    readonly environment: string;
    readonly image: string;
    /** Shorthand for `docker: { network }` with every other knob at its default. */
    readonly network: DockerNetwork;
    /** The full Docker configuration; overrides `network`. */
    readonly docker?: DockerVariant;
    /** Server ports of the selected workloads. */
    readonly serverPorts: readonly PortRequest[];
    /** Bridge gateway address (docker network inspect bridge), where published ports are DNATed; needed for userlandProxy false. */
    readonly dnatAddress?: string;
}

/**
 * Ports to publish, deduplicated by port and protocol, sorted. A port some workload needs at the
 * same number on both sides is published so for all.
 */
export function publishedPorts(requests: readonly PortRequest[]): PublishedPort[] {
    const byKey = new Map<string, PublishedPort>();
    for (const r of requests) {
        const p = typeof r === "number" ? { port: r, protocol: "tcp" as const } : r;
        if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) throw new Error(`server port ${JSON.stringify(p.port)} is not a port number (1-65535)`);
        const key = `${p.port}/${p.protocol}`;
        const same = (typeof r !== "number" && r.sameNumber) || byKey.get(key)?.hostPort !== undefined;
        byKey.set(key, same ? { port: p.port, protocol: p.protocol, hostPort: p.port } : { port: p.port, protocol: p.protocol });
    }
    return [...byKey.values()].sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
}

/**
 * Loopback address a container publishes on. Fixed host ports would collide between containers
 * on 127.0.0.1 (two NAT variants in one stack, stacks of other users), so a container with fixed
 * ports gets its own address in 127.0.0.0/8, derived from its name; Docker's userland proxy
 * serves it exactly as it serves 127.0.0.1.
 */
export function publishAddressFor(containerName: string, ports: readonly PublishedPort[]): string {
    if (!ports.some((p) => p.hostPort !== undefined)) return "127.0.0.1";
    const h = createHash("sha256").update(containerName).digest();
    return `127.${1 + (h[0] % 254)}.${h[1]}.${1 + (h[2] % 254)}`;
}

/** Data directory of workloads inside the container: a named volume, or a directory of the container layer (unionfs). */
export const DATA_DIR = "/data";

/**
 * Published with NAT even when no workload has a server, so the probe can always measure which
 * path (userland proxy or DNAT) carries traffic to the container. Nothing listens on it.
 */
export const NAT_PROBE_PORT = 9;

export function resourceName(stack: string, environment: string): string {
    return `isobench-${stack}-${environment}`;
}

export function containerSpec(a: ContainerSpecArgs): ContainerSpec {
    const name = resourceName(a.stack, a.environment);
    const d = a.docker ?? dockerVariantOf({ network: a.network });
    if (d.network === "nat" && !d.userlandProxy && !a.dnatAddress) {
        throw new Error(`${a.environment}: userlandProxy false needs the bridge gateway address to publish on (dnatAddress)`);
    }
    // Docker discards published ports in host mode; declaring none keeps both drivers honest.
    const publish = d.network === "nat" ? publishedPorts([...a.serverPorts, NAT_PROBE_PORT]) : [];
    return {
        name,
        image: a.image,
        networkMode: d.network === "nat" ? "bridge" : d.network,
        publish,
        publishAddress: d.network === "nat" && !d.userlandProxy ? a.dnatAddress! : publishAddressFor(name, publish),
        ...(d.storage === "volume" && { volume: { name: `${name}-data`, target: DATA_DIR } }),
        labels: { "isobench.stack": a.stack, "isobench.environment": a.environment, "isobench.managed": "true" },
        command: ["sleep", "infinity"],
        ...(d.runtime !== "runc" && { runtime: d.runtime }),
        ...(d.limits.cpuset !== undefined && { cpuset: d.limits.cpuset }),
        ...(d.limits.cpus !== undefined && { cpus: d.limits.cpus }),
        ...(d.limits.memory !== undefined && { memoryMiB: memoryBytes(d.limits.memory) / 1024 ** 2 }),
        capAdd: d.capAdd,
        securityOpt: d.seccomp === "unconfined" ? ["seccomp=unconfined"] : [],
    };
}

/** Value of `docker run -p`: "127.0.0.1::6379", "127.9.8.7:12866:12866/udp". */
export function publishFlag(address: string, p: PublishedPort): string {
    return `${address}:${p.hostPort ?? ""}:${p.port}${p.protocol === "udp" ? "/udp" : ""}`;
}

/** `docker run` argv of the cli driver. */
export function dockerRunArgs(s: ContainerSpec): string[] {
    const args = ["docker", "run", "-d", "--name", s.name, "--network", s.networkMode];
    for (const p of s.publish) args.push("-p", publishFlag(s.publishAddress, p));
    if (s.volume) args.push("--mount", `type=volume,source=${s.volume.name},target=${s.volume.target}`);
    if (s.runtime) args.push("--runtime", s.runtime);
    if (s.cpuset !== undefined) args.push("--cpuset-cpus", s.cpuset);
    if (s.cpus !== undefined) args.push("--cpus", String(s.cpus));
    if (s.memoryMiB !== undefined) args.push("--memory", `${s.memoryMiB}m`);
    for (const c of s.capAdd) args.push("--cap-add", c);
    for (const o of s.securityOpt) args.push("--security-opt", o);
    for (const [k, v] of Object.entries(s.labels)) args.push("--label", `${k}=${v}`);
    args.push(s.image, ...s.command);
    return args;
}

/**
 * Create script of the cli driver: volume, container, then wait until `docker exec` answers.
 * Prints `ready_s=<seconds>` (container create → ready) as its last line.
 */
export function cliCreateScript(s: ContainerSpec): string {
    const labels = Object.entries(s.labels)
        .map(([k, v]) => `--label ${q(`${k}=${v}`)}`)
        .join(" ");
    return [
        "set -e",
        START_CLOCK,
        ...(s.volume ? [`docker volume create ${labels} ${q(s.volume.name)} >/dev/null`] : []),
        `${dockerRunArgs(s).map(q).join(" ")} >/dev/null`,
        `for i in $(seq 300); do docker exec ${q(s.name)} true 2>/dev/null && break; sleep 0.1; done`,
        `docker exec ${q(s.name)} true`,
        PRINT_READY_SECONDS,
    ].join("\n");
}

/** What a user does when the docker CLI cannot reach dockerd on the host. */
export const HOST_DOCKERD_FIX = "start dockerd (bash scripts/daemons.sh) and run the step again (for a delete: isobench destroy)";

/** A regex matching exactly `name` in a `--filter name=` of docker ps / docker volume ls. */
function exactName(name: string): string {
    return `^${name.replace(/[.+*?^$()[\]{}|\\]/g, "\\$&")}$`;
}

/**
 * Lines that end the script with status 1 unless dockerd answers. A removal that cannot reach the
 * daemon must fail: reporting success would drop the resource from the stack's state and leave the
 * container running with nothing left that knows about it.
 */
export function requireDockerd(fix: string): string {
    return `docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || { echo "dockerd does not answer at \${DOCKER_HOST:-unix:///var/run/docker.sock}; nothing was removed. Fix: "${q(fix)} >&2; exit 1; }`;
}

/** What {@link dockerRemovalScript} removes. */
export interface DockerRemoval {
    readonly containers: readonly string[];
    readonly volumes: readonly string[];
    /** A label (key=value) whose containers and volumes go too: leftover clones of a killed measurement. */
    readonly label?: string;
    /** Said when dockerd does not answer. */
    readonly fix: string;
}

/**
 * Removes containers and volumes, then proves from dockerd that none of them is left. Succeeds when
 * they were already gone; fails (status 1, naming what and why) when dockerd does not answer or
 * something is still there, so that a Pulumi delete keeps the resource in state for the next try.
 */
export function dockerRemovalScript(r: DockerRemoval): string {
    const fail = (what: string) => `{ echo ${q(what)} >&2; exit 1; }`;
    const lines = ["set -e", requireDockerd(r.fix)];
    if (r.label) {
        const f = q(`label=${r.label}`);
        lines.push(
            `ids=$(docker ps -aq --filter ${f}) || ${fail(`cannot list containers labelled ${r.label}`)}`,
            `[ -z "$ids" ] || docker rm -f $ids >/dev/null`,
        );
    }
    for (const c of r.containers) lines.push(`docker rm -f ${q(c)} >/dev/null 2>&1 || true`);
    if (r.label) {
        const f = q(`label=${r.label}`);
        lines.push(
            `vols=$(docker volume ls -q --filter ${f}) || ${fail(`cannot list volumes labelled ${r.label}`)}`,
            `[ -z "$vols" ] || docker volume rm -f $vols >/dev/null`,
        );
    }
    for (const v of r.volumes) lines.push(`docker volume rm -f ${q(v)} >/dev/null 2>&1 || true`);
    const containerFilters = [...r.containers.map((c) => `name=${exactName(c)}`), ...(r.label ? [`label=${r.label}`] : [])];
    for (const f of containerFilters) {
        lines.push(
            `left=$(docker ps -aq --filter ${q(f)}) || ${fail(`cannot list containers (${f}) after removing them`)}`,
            `[ -z "$left" ] || ${fail(`a container (${f}) is still there after docker rm -f`)}`,
        );
    }
    const volumeFilters = [...r.volumes.map((v) => `name=${exactName(v)}`), ...(r.label ? [`label=${r.label}`] : [])];
    for (const f of volumeFilters) {
        lines.push(
            `left=$(docker volume ls -q --filter ${q(f)}) || ${fail(`cannot list volumes (${f}) after removing them`)}`,
            `[ -z "$left" ] || ${fail(`a volume (${f}) is still there after docker volume rm -f`)}`,
        );
    }
    return lines.join("\n");
}

/**
 * Delete script of the cli driver: the container, its volume and leftover clones
 * (environments/clone.ts) of a measurement that was killed. Succeeds when they are already gone,
 * fails while dockerd does not answer.
 */
export function cliDeleteScript(s: ContainerSpec, fix: string = HOST_DOCKERD_FIX): string {
    return dockerRemovalScript({
        containers: [s.name],
        volumes: s.volume ? [s.volume.name] : [],
        label: `isobench.clone-of=${s.name}`,
        fix,
    });
}
