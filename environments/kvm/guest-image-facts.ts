/**
 * How large a guest image's disk is and how much room its root filesystem has, read from the
 * image file without booting or mounting it (the host preflight runs `qemu-img info` and
 * `qemu-io -r`; experiment/host.ts). Pure: parses what those print.
 */

/** Virtual size of the disk and bytes the image file takes on the host, from `qemu-img info --output=json`. */
export function qemuImgSizes(json: string): { readonly virtualBytes: number; readonly allocatedBytes: number } | undefined {
    let doc: unknown;
    try {
        doc = JSON.parse(json);
    } catch {
        return undefined;
    }
    const v = (doc as Record<string, unknown> | null)?.["virtual-size"];
    const a = (doc as Record<string, unknown> | null)?.["actual-size"];
    return typeof v === "number" && typeof a === "number" ? { virtualBytes: v, allocatedBytes: a } : undefined;
}

/** The bytes of a `qemu-io -c "read -v <offset> <length>"` hex dump ("00000400:  00 c0 02 00 …  ascii"), in order. */
export function qemuIoBytes(dump: string): Buffer {
    const bytes: number[] = [];
    for (const line of dump.split("\n")) {
        const m = /^[0-9a-f]{8}:\s+((?:[0-9a-f]{2} ){1,15}[0-9a-f]{2})/.exec(line);
        if (m) for (const h of m[1].split(" ")) bytes.push(parseInt(h, 16));
    }
    return Buffer.from(bytes);
}

/** Where an ext4 superblock starts on its device, and where `qemu-io` reads it. */
export const EXT4_SUPERBLOCK_OFFSET = 1024;
/** Bytes of the superblock that ext4Space reads. */
export const EXT4_SUPERBLOCK_READ = 512;

/**
 * Size and free space of the ext4 filesystem whose superblock is `sb`: block count times block
 * size, and the free block count, reserved blocks included (the guest's benchmarks run as root,
 * which may use them). The superblock's free count is exact for an image no kernel has mounted,
 * which is what the image builders leave (mkfs.ext4 -d writes it). Undefined when `sb` is not an
 * ext4 superblock (no 0xEF53 magic).
 */
export function ext4Space(sb: Buffer): { readonly sizeBytes: number; readonly freeBytes: number } | undefined {
    if (sb.length < 0x60 || sb.readUInt16LE(0x38) !== 0xef53) return undefined;
    const blockSize = 1024 * 2 ** sb.readUInt32LE(0x18);
    // 64-bit filesystems keep the high halves at 0x150 and 0x158.
    const wide = (sb.readUInt32LE(0x60) & 0x80) !== 0 && sb.length >= 0x15c;
    const hi = (at: number) => (wide ? sb.readUInt32LE(at) * 2 ** 32 : 0);
    const blocks = sb.readUInt32LE(0x04) + hi(0x150);
    const free = sb.readUInt32LE(0x0c) + hi(0x158);
    return { sizeBytes: blocks * blockSize, freeBytes: free * blockSize };
}
