import * as assert from "node:assert/strict";
import { EXT4_SUPERBLOCK_READ, ext4Space, qemuImgSizes, qemuIoBytes } from "../../environments/kvm/guest-image-facts";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("guest-image");
const diskBoot = fixtureReader("disk-boot");

describe("guest image sizes and free space (environments/kvm/guest-image-facts.ts)", () => {
    it("reads the virtual size and the file's allocated bytes from qemu-img info", () => {
        assert.deepEqual(qemuImgSizes(fixture("base.qemu-img-info.json")), { virtualBytes: 3221225472, allocatedBytes: 1092886528 });
        // A raw copy of a running guest: sparse, about the base's data, not its 3 GiB.
        assert.deepEqual(qemuImgSizes(diskBoot("qemu-img-info-raw-copy.json")), { virtualBytes: 3221225472, allocatedBytes: 1093935104 });
        assert.equal(qemuImgSizes("not json"), undefined);
        assert.equal(qemuImgSizes('{"virtual-size": 1}'), undefined);
    });

    it("reads the guest image's root filesystem from its ext4 superblock as qemu-io dumps it", () => {
        const sb = qemuIoBytes(fixture("base-superblock.qemu-io.txt"));
        assert.equal(sb.length, EXT4_SUPERBLOCK_READ);
        assert.deepEqual(ext4Space(sb), { sizeBytes: 3 * 2 ** 30, freeBytes: 490562 * 4096 });
        assert.deepEqual(ext4Space(qemuIoBytes(fixture("docker-superblock.qemu-io.txt"))), { sizeBytes: 3 * 2 ** 30, freeBytes: 425752 * 4096 });
    });

    it("refuses what is not an ext4 superblock, or too short to be one", () => {
        assert.equal(ext4Space(Buffer.alloc(EXT4_SUPERBLOCK_READ)), undefined);
        assert.equal(ext4Space(qemuIoBytes("qemu-io: can't open device x: No such file\n")), undefined);
    });

    it("adds the high halves of a 64-bit filesystem's block counts", () => {
        const sb = Buffer.alloc(EXT4_SUPERBLOCK_READ);
        sb.writeUInt16LE(0xef53, 0x38);
        sb.writeUInt32LE(2, 0x18); // 4 KiB blocks
        sb.writeUInt32LE(0x80, 0x60); // INCOMPAT_64BIT
        sb.writeUInt32LE(5, 0x04);
        sb.writeUInt32LE(1, 0x150);
        sb.writeUInt32LE(3, 0x0c);
        sb.writeUInt32LE(1, 0x158);
        assert.deepEqual(ext4Space(sb), { sizeBytes: (2 ** 32 + 5) * 4096, freeBytes: (2 ** 32 + 3) * 4096 });
        sb.writeUInt32LE(0, 0x60);
        assert.deepEqual(ext4Space(sb), { sizeBytes: 5 * 4096, freeBytes: 3 * 4096 });
    });
});
