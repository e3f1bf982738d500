/**
 * Which path carries traffic to a container's published port: docker-proxy (the userland proxy)
 * or iptables DNAT. Measured, not inferred from configuration: the probe opens one TCP connection
 * to the published address and looks at the packet counter of the port's DNAT rule in the nat
 * table's DOCKER chain (the nat table sees the first packet of every new connection). If the
 * counter moved, DNAT carried it; if not and a docker-proxy listens on that address and port, the
 * userland proxy did.
 */
import type { Completed } from "./process";

/** Runs argv where the Docker daemon is (the host, or a guest over SSH). */
export type Runner = (argv: readonly string[]) => Completed;

function must(run: Runner, argv: readonly string[], what: string): string {
    const c = run(argv);
    if (c.status !== 0) throw new Error(`${what} failed (exit ${c.status}): ${(c.stderr || c.stdout || c.error || "").trim().slice(-1000)}`);
    return c.stdout;
}
import { NAT_PROBE_PORT } from "./container-spec";

/** Sum of the packet counters of DNAT rules for `hostIp:hostPort` in `iptables -t nat -L DOCKER -n -v -x`. */
export function dnatPackets(listing: string, hostIp: string, hostPort: number): number {
    let sum = 0;
    for (const line of listing.split("\n")) {
        const f = line.trim().split(/\s+/);
        // pkts bytes target prot opt in out source destination [match…]
        if (f[2] !== "DNAT" || !line.includes(`dpt:${hostPort} `)) continue;
        if (f[8] !== hostIp && f[8] !== "0.0.0.0/0") continue;
        sum += Number(f[0]);
    }
    return sum;
}

/** Whether `ps -eo args` lists a docker-proxy for hostIp:hostPort. */
export function proxyListening(psArgs: string, hostIp: string, hostPort: number): boolean {
    return psArgs.split("\n").some((l) => /docker-proxy/.test(l) && l.includes(`-host-ip ${hostIp} `) && new RegExp(`-host-port ${hostPort}(\\s|$)`).test(l));
}

/** Published host address and port of the container's probe port, from `docker port`. */
export function publishedProbePort(container: string, run: Runner): { ip: string; port: number } | undefined {
    const r = run(["docker", "port", container, `${NAT_PROBE_PORT}/tcp`]);
    const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/m.exec(r.stdout.trim());
    return m ? { ip: m[1], port: Number(m[2]) } : undefined;
}

/**
 * `userland-proxy`, `dnat`, or a sentence saying why it could not be told.
 * @param run where dockerd runs (counters and processes are read there)
 * @param onHost runs argv on the machine under test, whose client connects to the port
 * @param connectHost address the host connects to when the port is published on 0.0.0.0 of a guest
 */
export function measureNatPath(container: string, run: Runner, onHost: Runner, connectHost?: string): string {
    const pub = publishedProbePort(container, run);
    if (!pub) return "unknown (no published probe port)";
    const count = () =>
        dnatPackets(must(run, ["iptables", "-w", "5", "-t", "nat", "-L", "DOCKER", "-n", "-v", "-x"], "iptables -t nat -L DOCKER"), pub.ip, pub.port);
    const before = count();
    // Nothing listens on the probe port: the connection is refused or reset, which is enough.
    onHost(["timeout", "3", "bash", "-c", `exec 3<>/dev/tcp/${connectHost ?? pub.ip}/${pub.port}`]);
    const after = count();
    if (after > before) return "dnat";
    return proxyListening(must(run, ["ps", "-eo", "args"], "ps"), pub.ip, pub.port) ? "userland-proxy" : "unknown (no DNAT packet and no docker-proxy)";
}
