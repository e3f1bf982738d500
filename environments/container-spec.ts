/**
 * One description of a benchmark container, rendered for both Docker drivers so that the
 * `provider` (@pulumi/docker) and `cli` (docker CLI) drivers create the same container.
 * Pure: no Pulumi, no I/O.
 */
import { PRINT_READY_SECONDS, START_CLOCK, shellQuote as q } from "./shell";
export type DockerNetwork = "nat" | "host";

export interface ContainerSpec {
    readonly name: string;
    readonly image: string;
    /** Docker network mode: "bridge" for NAT, "host" for host networking. */
    readonly networkMode: "bridge" | "host";
    /** Ports published on 127.0.0.1 with a host port chosen by Docker (never with host networking). */
    readonly publish: readonly number[];
    readonly volume: { readonly name: string; readonly target: string };
    readonly labels: Readonly<Record<string, string>>;
    readonly command: readonly string[];
}

export interface ContainerSpecArgs {
    readonly stack: string;
    readonly environment: string;
    readonly image: string;
    readonly network: DockerNetwork;
    /** Server ports of the selected workloads. */
    readonly serverPorts: readonly number[];
}

/** Data directory of workloads inside the container (a named volume in this slice). */
export const DATA_DIR = "/data";

export function resourceName(stack: string, environment: string): string {
    return `isobench-${stack}-${environment}`;
}

export function containerSpec(a: ContainerSpecArgs): ContainerSpec {
    const name = resourceName(a.stack, a.environment);
    return {
        name,
        image: a.image,
        networkMode: a.network === "host" ? "host" : "bridge",
        // Docker discards published ports in host mode; declaring none keeps both drivers honest.
        publish: a.network === "host" ? [] : [...new Set(a.serverPorts)].sort((x, y) => x - y),
        volume: { name: `${name}-data`, target: DATA_DIR },
        labels: { "isobench.stack": a.stack, "isobench.environment": a.environment, "isobench.managed": "true" },
        command: ["sleep", "infinity"],
    };
}


/** `docker run` argv of the cli driver. */
export function dockerRunArgs(s: ContainerSpec): string[] {
    const args = ["docker", "run", "-d", "--name", s.name, "--network", s.networkMode];
    for (const p of s.publish) args.push("-p", `127.0.0.1::${p}`);
    args.push("--mount", `type=volume,source=${s.volume.name},target=${s.volume.target}`);
    for (const [k, v] of Object.entries(s.labels)) args.push("--label", `${k}=${v}`);
    args.push(s.image, ...s.command);
    return args;
}

/**
 * Create script of the cli driver: volume, container, then wait until `docker exec` answers.
 * Prints `ready_s=<seconds>` (container create → ready) as its last line.
 */
export function cliCreateScript(s: ContainerSpec): string {
    const labels = Object.entries(s.labels).map(([k, v]) => `--label ${q(`${k}=${v}`)}`).join(" ");
    return [
        "set -e",
        START_CLOCK,
        `docker volume create ${labels} ${q(s.volume.name)} >/dev/null`,
        `${dockerRunArgs(s).map(q).join(" ")} >/dev/null`,
        `for i in $(seq 300); do docker exec ${q(s.name)} true 2>/dev/null && break; sleep 0.1; done`,
        `docker exec ${q(s.name)} true`,
        PRINT_READY_SECONDS,
    ].join("\n");
}

/** Delete script of the cli driver; succeeds when things are already gone. */
export function cliDeleteScript(s: ContainerSpec): string {
    const cloneOf = q(`label=isobench.clone-of=${s.name}`);
    return [
        // Leftover clones (environments/clone.ts) of a measurement that was killed.
        `docker ps -aq --filter ${cloneOf} | xargs -r docker rm -f >/dev/null 2>&1 || true`,
        `docker volume ls -q --filter ${cloneOf} | xargs -r docker volume rm -f >/dev/null 2>&1 || true`,
        `docker rm -f ${q(s.name)} >/dev/null 2>&1 || true`,
        `docker volume rm -f ${q(s.volume.name)} >/dev/null 2>&1 || true`,
        `! docker container inspect ${q(s.name)} >/dev/null 2>&1`,
    ].join("\n");
}
