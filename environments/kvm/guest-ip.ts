/** Finds a running guest's IPv4 address from libvirt's DHCP lease. */
import { attempt, virshArgv } from "../process";

export function parseDomifaddr(text: string): string | undefined {
    const m = /ipv4\s+(\d+\.\d+\.\d+\.\d+)\//.exec(text);
    return m ? m[1] : undefined;
}

export function guestIp(domain: string): string {
    const r = attempt(virshArgv(30, "domifaddr", domain, "--source", "lease"), 60);
    const ip = r.status === 0 ? parseDomifaddr(r.stdout) : undefined;
    if (!ip) {
        throw new Error(`guest ${domain}: no DHCP lease found (virsh domifaddr: ${(r.stderr || r.stdout).trim() || "empty"}); is the guest running and the libvirt 'default' network up?`);
    }
    return ip;
}
