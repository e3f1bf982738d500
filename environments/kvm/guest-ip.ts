/**
 * Finds a running guest's IPv4 address: libvirt's DHCP lease, else the host's ARP table, else the
 * address last seen for this very guest (same MAC). The fallbacks matter for paused guests: the
 * runner pauses guests a cell does not use, a paused guest cannot renew its lease, and dnsmasq
 * forgets an expired lease while the guest — whose clock stood still — keeps using the address.
 * virsh asks the libvirtd of the machine the guest runs on (its transport). The address seen last
 * is kept on the controller, under the domain's name (one stack, one target).
 */
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT, stateDir } from "../../core/paths";
import type { Transport } from "../transport";

export function parseDomifaddr(text: string): string | undefined {
    const m = /ipv4\s+(\d+\.\d+\.\d+\.\d+)\//.exec(text);
    return m ? m[1] : undefined;
}

/** The first MAC address in `virsh domiflist` or `virsh domifaddr` output. */
export function parseMac(text: string): string | undefined {
    const m = /\b([0-9a-f]{2}(?::[0-9a-f]{2}){5})\b/i.exec(text);
    return m ? m[1].toLowerCase() : undefined;
}

const cacheFile = (domain: string) => path.join(stateDir(REPO_ROOT), "guest-ip", domain);

function domainMac(host: Pick<Transport, "virsh">, domain: string): string | undefined {
    const r = host.virsh(30, ["domiflist", domain]);
    return r.status === 0 ? parseMac(r.stdout) : undefined;
}

export function guestIp(host: Pick<Transport, "virsh">, domain: string): string {
    const tried: string[] = [];
    for (const source of ["lease", "arp"]) {
        const r = host.virsh(30, ["domifaddr", domain, "--source", source]);
        const ip = r.status === 0 ? parseDomifaddr(r.stdout) : undefined;
        if (ip) {
            // domifaddr prints the interface's MAC next to the address: no second virsh call.
            const mac = parseMac(r.stdout);
            if (mac) {
                fs.mkdirSync(path.dirname(cacheFile(domain)), { recursive: true });
                fs.writeFileSync(cacheFile(domain), `${mac} ${ip}\n`);
            }
            return ip;
        }
        tried.push(`${source}: ${(r.stderr || r.stdout).trim().split("\n").slice(-1)[0] || "empty"}`);
    }
    const cached = fs.existsSync(cacheFile(domain)) ? fs.readFileSync(cacheFile(domain), "utf8").trim().split(" ") : [];
    const mac = domainMac(host, domain);
    if (cached.length === 2 && mac && cached[0] === mac) return cached[1];
    throw new Error(
        `guest ${domain}: no IPv4 address found (virsh domifaddr ${tried.join("; ")}; no address seen before for MAC ${mac ?? "unknown"}); is the guest running and the libvirt 'default' network up?`,
    );
}
