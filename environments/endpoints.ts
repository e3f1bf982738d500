/**
 * Endpoint discovery: the host-side address at which a client reaches a server port inside an
 * environment (a published Docker port, the guest's address, loopback), and free host ports for
 * protocols that announce their port numbers.
 */
import { EnvironmentHandle } from "../core/environment-handle";
import { ServerAddress, ServerPort } from "../core/endpoints";
import { guestArgv } from "./exec-target";
import { Transport, transportOf } from "./transport";

/**
 * Host-side address of a server listening on `port` inside the environment.
 * @param sameNumber the protocol announces the port number, so NAT must publish it unchanged
 */
export function serverAddress(env: EnvironmentHandle, port: number, ip?: string, protocol: "tcp" | "udp" = "tcp", sameNumber = false): ServerAddress {
    const t = env.target;
    const host = transportOf(env);
    switch (t.kind) {
        case "native":
            return { host: "127.0.0.1", port };
        case "docker": {
            if (t.network === "host") return { host: "127.0.0.1", port };
            const out = host.mustRun(["docker", "port", t.container, `${port}/${protocol}`], 30, `docker port ${t.container}`);
            const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/m.exec(out.trim());
            if (!m)
                throw new Error(
                    `container ${t.container} publishes no IPv4 port for ${port}/${protocol} (docker port said "${out.trim()}"); recreate the environment so that it publishes every port of the selected workloads`,
                );
            if (sameNumber && Number(m[2]) !== port) {
                throw new Error(
                    `container ${t.container} publishes ${port}/${protocol} at host port ${m[2]}, but the protocol announces the port number to its peer and needs the same number on both sides; recreate the environment`,
                );
            }
            return { host: m[1], port: Number(m[2]) };
        }
        case "kvm":
            if (!ip) throw new Error(`guest ${t.domain}: IP unknown`);
            return { host: ip, port };
        case "docker-in-kvm": {
            if (!ip) throw new Error(`guest ${t.domain}: IP unknown`);
            if (t.network === "host") return { host: ip, port };
            // Published on the guest's addresses: reached at the guest IP, DNATed inside the guest.
            const out = host.mustRun(guestArgv(t, ["docker", "port", t.container, `${port}/${protocol}`], ip), 30, `docker port ${t.container} in ${t.domain}`);
            const m = /^0\.0\.0\.0:(\d+)$/m.exec(out.trim());
            if (!m)
                throw new Error(
                    `container ${t.container} in guest ${t.domain} publishes no IPv4 port for ${port}/${protocol} (docker port said "${out.trim()}")`,
                );
            if (sameNumber && Number(m[1]) !== port) {
                throw new Error(
                    `container ${t.container} in guest ${t.domain} publishes ${port}/${protocol} at port ${m[1]}, but the protocol needs the same number on both sides`,
                );
            }
            return { host: ip, port: Number(m[1]) };
        }
    }
}

/** Whether a server in this environment listens in the host's own network namespace. */
function sharesHostNetwork(t: EnvironmentHandle["target"]): boolean {
    return t.kind === "native" || (t.kind === "docker" && t.network === "host");
}

/** A port nothing is bound to at the moment, on the target, from the kernel's ephemeral range. */
// Servers bind the wildcard address: a port free on 127.0.0.1 alone may be one Docker publishes on
// a container's own loopback address (its random ports come from the same ephemeral range), and a
// wildcard listener could not bind it. ss lists every socket bound in the host's namespace,
// whatever its address, so a port it does not list takes a wildcard bind; ss (iproute2) is on
// every target, unlike Node.
function freeHostPort(host: Transport, protocol: "tcp" | "udp"): number {
    const flag = protocol === "tcp" ? "t" : "u";
    const script =
        // Not `read` from the file: dash reads it byte by byte, and procfs answers a second read of a sysctl with nothing.
        "r=$(cat /proc/sys/net/ipv4/ip_local_port_range); set -- $r; " +
        'for i in $(seq 200); do p=$(shuf -i "$1-$2" -n 1); ' +
        `[ -z "$(ss -Hln${flag} "( sport = :$p )")" ] && { echo "$p"; exit 0; }; done; ` +
        "echo 'no free port found in 200 tries' >&2; exit 1";
    const out = host.mustRun(["/bin/sh", "-c", script], 30, `finding a free ${protocol} port on ${host.label}`).trim();
    if (!/^\d+$/.test(out)) throw new Error(`finding a free ${protocol} port on ${host.label}: expected a port number, got "${out}"`);
    return Number(out);
}

/**
 * Host-side addresses of every server port, by name. A port the protocol announces (sameNumber)
 * is fixed only where a NAT needs it: in the host's network namespace a free port is used
 * instead, because a Docker NAT container of the same stack may already publish the fixed
 * number on its loopback address, and servers that bind the wildcard address (nuttcp's data
 * listener) would collide with it.
 */
export function serverAddresses(env: EnvironmentHandle, ports: readonly ServerPort[], ip?: string): Record<string, ServerAddress> {
    const host = transportOf(env);
    return Object.fromEntries(
        ports.map((p) => {
            if (p.sameNumber && sharesHostNetwork(env.target)) return [p.name, { host: "127.0.0.1", port: freeHostPort(host, p.protocol) }];
            return [p.name, serverAddress(env, p.port, ip, p.protocol, p.sameNumber === true)];
        }),
    );
}
