import * as assert from "node:assert/strict";
import { parseMac, parseDomifaddr } from "../../environments/kvm/guest-ip";

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
});
