/**
 * The gateway address of Docker's default bridge network: where ports are published for iptables
 * DNAT (userlandProxy: false) and where a container reaches the host.
 *
 * A dockerd started for the very first time (no state under /var/lib/docker/network) lists the
 * bridge's subnet in `docker network inspect bridge` but no `Gateway`; the field appears only after
 * a restart. The bridge interface (docker0) carries the address in both cases, so the kernel's view
 * decides and the inspect field, where present, must agree with it.
 */
import { combinedOutput } from "./process";
import type { Transport } from "./transport";

export interface BridgeGateway {
    /** IPv4 address of the bridge on the host, e.g. 172.17.0.1. */
    readonly address: string;
    /** Where the address came from, for `isobench doctor` and error messages. */
    readonly source: string;
}

interface InspectedNetwork {
    readonly Options?: Record<string, string> | null;
    readonly IPAM?: { readonly Config?: ReadonlyArray<{ readonly Subnet?: string; readonly Gateway?: string }> | null } | null;
}

interface IpAddrEntry {
    readonly ifname?: string;
    readonly addr_info?: ReadonlyArray<{ readonly family?: string; readonly local?: string; readonly prefixlen?: number }>;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function ipv4ToInt(ip: string): number | undefined {
    const m = IPV4.exec(ip);
    if (!m) return undefined;
    const parts = m.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

/** Whether `ip` lies in `cidr` (IPv4 only). */
export function inSubnet(ip: string, cidr: string): boolean {
    const [base, bits] = cidr.split("/");
    const a = ipv4ToInt(ip);
    const b = ipv4ToInt(base ?? "");
    const n = Number(bits);
    if (a === undefined || b === undefined || !Number.isInteger(n) || n < 0 || n > 32) return false;
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/** What to do when the gateway cannot be told; shared by the preflight and `isobench doctor`. */
export const BRIDGE_GATEWAY_FIX =
    "check that dockerd runs with its default bridge (scripts/daemons.sh); ip -4 addr show docker0 should list an address in the bridge subnet";

/** The Linux bridge interface behind Docker's default network (`com.docker.network.bridge.name`, docker0 by default). */
export function bridgeInterfaceOf(inspectJson: string): string {
    return interfaceOf(parseInspect(inspectJson));
}

function interfaceOf(net: InspectedNetwork): string {
    return net.Options?.["com.docker.network.bridge.name"] || "docker0";
}

function parseInspect(inspectJson: string): InspectedNetwork {
    let parsed: unknown;
    try {
        parsed = JSON.parse(inspectJson);
    } catch {
        throw new Error(`docker network inspect bridge did not print JSON: ${inspectJson.slice(0, 200)}`);
    }
    const net = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!net || typeof net !== "object") throw new Error("docker network inspect bridge printed no network");
    return net as InspectedNetwork;
}

/**
 * The bridge gateway from `docker network inspect bridge` and `ip -j -4 addr show dev <bridge>`
 * (pure; both outputs as printed). Throws with the reason when they cannot give one address.
 */
export function bridgeGatewayOf(inspectJson: string, ipAddrJson: string): BridgeGateway {
    const net = parseInspect(inspectJson);
    const iface = interfaceOf(net);
    const configs = (net.IPAM?.Config ?? []).filter((c) => c.Subnet && ipv4ToInt(c.Subnet.split("/")[0]) !== undefined);
    if (configs.length === 0) throw new Error("docker network inspect bridge lists no IPv4 subnet");
    let entries: IpAddrEntry[] = [];
    try {
        const parsed = JSON.parse(ipAddrJson || "[]");
        entries = Array.isArray(parsed) ? parsed : [];
    } catch {
        throw new Error(`ip -j addr show dev ${iface} did not print JSON: ${ipAddrJson.slice(0, 200)}`);
    }
    const addrs = entries
        .filter((e) => !e.ifname || e.ifname === iface)
        .flatMap((e) => e.addr_info ?? [])
        .filter((a) => a.family === "inet" && a.local)
        .map((a) => a.local as string);
    const subnets = configs.map((c) => c.Subnet as string);
    const onIface = addrs.find((a) => subnets.some((s) => inSubnet(a, s)));
    const declared = configs.map((c) => c.Gateway).find((g): g is string => !!g && ipv4ToInt(g) !== undefined);
    if (!onIface) {
        throw new Error(
            `bridge interface ${iface} has no IPv4 address in Docker's bridge subnet ${subnets.join(", ")} ` +
                `(interface addresses: ${addrs.join(", ") || "none"}${declared ? `; docker network inspect says gateway ${declared}` : ""})`,
        );
    }
    if (declared && declared !== onIface) {
        throw new Error(`docker network inspect bridge says gateway ${declared}, but interface ${iface} has ${onIface}`);
    }
    return {
        address: onIface,
        source: declared
            ? `docker network inspect bridge, matching interface ${iface}`
            : `interface ${iface} (docker network inspect bridge lists subnet ${subnets.join(", ")} but no gateway, as a first-start dockerd does)`,
    };
}

/** Reads the bridge gateway from the running dockerd and the interface of the host it runs on. */
export function readBridgeGateway(host: Transport): BridgeGateway {
    const inspect = host.attempt(["docker", "network", "inspect", "bridge"], 20);
    if (inspect.status !== 0) throw new Error(`docker network inspect bridge failed: ${combinedOutput(inspect)}`);
    const iface = bridgeInterfaceOf(inspect.stdout);
    const ip = host.attempt(["ip", "-j", "-4", "addr", "show", "dev", iface], 20);
    // A missing interface is reported by bridgeGatewayOf with the subnet it expected.
    return bridgeGatewayOf(inspect.stdout, ip.status === 0 ? ip.stdout : "[]");
}
