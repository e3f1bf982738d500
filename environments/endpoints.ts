/**
 * Endpoint discovery: the host-side address at which a client reaches a server port inside an
 * environment (a published Docker port, the guest's address, loopback), and free host ports for
 * protocols that announce their port numbers.
 */
import { EnvironmentHandle } from "../core/environment-handle";
import { ServerAddress, ServerPort } from "../core/endpoints";
import { guestArgv } from "./exec-target";
import { mustRun } from "./process";

/**
 * Host-side address of a server listening on `port` inside the environment.
 * @param sameNumber the protocol announces the port number, so NAT must publish it unchanged
 */
export function serverAddress(env: EnvironmentHandle, port: number, ip?: string, protocol: "tcp" | "udp" = "tcp", sameNumber = false): ServerAddress {
    const t = env.target;
    switch (t.kind) {
        case "native":
            return { host: "127.0.0.1", port };
        case "docker": {
            if (t.network === "host") return { host: "127.0.0.1", port };
            const out = mustRun(["docker", "port", t.container, `${port}/${protocol}`], 30, `docker port ${t.container}`);
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
            const out = mustRun(guestArgv(t, ["docker", "port", t.container, `${port}/${protocol}`], ip), 30, `docker port ${t.container} in ${t.domain}`);
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

/** A port nothing listens on at the moment, from the kernel's ephemeral range. */
// The probe binds the wildcard address, as the servers do: a port free on 127.0.0.1 alone may be
// one Docker publishes on a container's own loopback address (its random ports come from the same
// ephemeral range), and a wildcard listener could not bind it.
function freeHostPort(protocol: "tcp" | "udp"): number {
    const probe =
        protocol === "tcp"
            ? "const s=require('net').createServer().listen(0,'0.0.0.0',()=>{console.log(s.address().port);s.close()})"
            : "const s=require('dgram').createSocket('udp4');s.bind(0,'0.0.0.0',()=>{console.log(s.address().port);s.close()})";
    return Number(mustRun([process.execPath, "-e", probe], 30, `finding a free ${protocol} port`).trim());
}

/**
 * Host-side addresses of every server port, by name. A port the protocol announces (sameNumber)
 * is fixed only where a NAT needs it: in the host's network namespace a free port is used
 * instead, because a Docker NAT container of the same stack may already publish the fixed
 * number on its loopback address, and servers that bind the wildcard address (nuttcp's data
 * listener) would collide with it.
 */
export function serverAddresses(env: EnvironmentHandle, ports: readonly ServerPort[], ip?: string): Record<string, ServerAddress> {
    return Object.fromEntries(
        ports.map((p) => {
            if (p.sameNumber && sharesHostNetwork(env.target)) return [p.name, { host: "127.0.0.1", port: freeHostPort(p.protocol) }];
            return [p.name, serverAddress(env, p.port, ip, p.protocol, p.sameNumber === true)];
        }),
    );
}
