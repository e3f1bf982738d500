import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { guestIp, parseMac, parseDomifaddr } from "../../environments/kvm/guest-ip";
import type { Completed } from "../../environments/process";

// Output of `virsh domifaddr --source arp` and `virsh domiflist` (libvirt 9.0.0) on a guest whose
// DHCP lease had expired while it was paused.
const ARP = ` Name       MAC address          Protocol     Address
-------------------------------------------------------------------------------
 vnet7      52:54:00:d2:9f:02    ipv4         192.168.122.13/0
`;
const IFLIST = ` Interface   Type      Source    Model    MAC
-------------------------------------------------------------
 vnet7       network   default   virtio   52:54:00:d2:9f:02
`;

describe("guest IP", () => {
    it("reads the address from lease or ARP output, and the MAC from domifaddr or domiflist", () => {
        assert.equal(parseDomifaddr(ARP), "192.168.122.13");
        assert.equal(parseDomifaddr(" Name       MAC address          Protocol     Address\n----\n"), undefined);
        assert.equal(parseMac(IFLIST), "52:54:00:d2:9f:02");
        assert.equal(parseMac(ARP), "52:54:00:d2:9f:02");
        assert.equal(parseMac("error: failed to get domain"), undefined);
    });

    it("asks the libvirtd of the guest's own machine, lease then ARP, then the address last seen for the same MAC", () => {
        const saved = process.env.ISOBENCH_STATE_DIR;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-guest-ip-"));
        process.env.ISOBENCH_STATE_DIR = dir;
        try {
            const asked: string[][] = [];
            let answers: Record<string, Completed> = {};
            const target = {
                virsh(_timeoutS: number, args: readonly string[]): Completed {
                    asked.push([...args]);
                    return answers[args.join(" ")] ?? { stdout: "", stderr: "error: no answer", status: 1 };
                },
            };
            answers = { "domifaddr g --source arp": { stdout: ARP, stderr: "", status: 0 } };
            assert.equal(guestIp(target, "g"), "192.168.122.13");
            assert.deepEqual(asked, [
                ["domifaddr", "g", "--source", "lease"],
                ["domifaddr", "g", "--source", "arp"],
            ]);
            // Lease and ARP both forgot the paused guest: the address seen before, its MAC unchanged.
            answers = { "domiflist g": { stdout: IFLIST, stderr: "", status: 0 } };
            assert.equal(guestIp(target, "g"), "192.168.122.13");
            answers = { "domiflist g": { stdout: IFLIST.replace("9f:02", "9f:03"), stderr: "", status: 0 } };
            assert.throws(() => guestIp(target, "g"), /guest g: no IPv4 address found .*MAC 52:54:00:d2:9f:03/);
        } finally {
            if (saved === undefined) delete process.env.ISOBENCH_STATE_DIR;
            else process.env.ISOBENCH_STATE_DIR = saved;
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
