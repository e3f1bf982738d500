/**
 * Names of a guest's files beside its disk, and the UEFI firmware bootloader guests run on.
 * Pure: the firmware paths are Debian's (package ovmf); whether they exist is checked by the host
 * preflight (experiment/host.ts).
 */
import type { DiskFormat, UefiFirmware } from "./domain-spec";

/** The disk file of guest `name`: a qcow2 overlay `<name>.qcow2` or a raw full copy `<name>.img`. */
export function diskFileName(name: string, format: DiskFormat = "qcow2"): string {
    return `${name}.${format === "raw" ? "img" : "qcow2"}`;
}

/** The domain XML written beside a guest's disk: `<dir>/<name>.xml` for `<dir>/<name>.{qcow2,img}`. */
export function xmlPathOf(diskPath: string): string {
    return diskPath.replace(/\.(qcow2|img)$/, "") + ".xml";
}

/**
 * The known_hosts of the guests whose disks share `diskPath`'s folder (one folder per stack):
 * guest-lifecycle.sh records each guest's own host key there when it is created and drops it when
 * the guest is deleted (`known_hosts_in` there is the same rule).
 */
export function knownHostsOf(diskPath: string): string {
    return diskPath.replace(/\/[^/]*$/, "") + "/known_hosts";
}

/**
 * OVMF without Secure Boot (systemd-boot in the bootloader image is unsigned) in the 4 MiB flash
 * layout, from Debian's ovmf package.
 */
export const OVMF = Object.freeze({
    code: "/usr/share/OVMF/OVMF_CODE_4M.fd",
    varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd",
});

/** The firmware of one guest: shared code and template, its own variable store beside its disk. */
export function uefiFirmwareOf(fw: { readonly code: string; readonly varsTemplate: string }, diskPath: string): UefiFirmware {
    return { code: fw.code, varsTemplate: fw.varsTemplate, nvram: diskPath.replace(/\.(qcow2|img)$/, "") + ".VARS.fd" };
}
