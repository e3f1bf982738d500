/** Where isobench keeps its state and results; each overridable by environment for tests. */
import * as fs from "fs";
import * as path from "path";

export { REPO_ROOT } from "./repo-root";

/** Images' state files, SSH key, the Pulumi backend: $ISOBENCH_STATE_DIR or <repo>/.state (0700, see ensurePrivateDir). */
export function stateDir(repoRoot: string): string {
    return process.env.ISOBENCH_STATE_DIR ?? path.join(repoRoot, ".state");
}

/**
 * Guest disks, domain XML, serial logs and known_hosts, one folder per stack:
 * $ISOBENCH_GUESTS_DIR or /var/lib/libvirt/images/isobench. Not under .state, which is root's
 * alone (0700): QEMU runs as libvirt-qemu and must traverse every parent folder of a disk, and
 * libvirt's own image folder is made for that (0711: traversable, not listable).
 */
export function guestsDir(): string {
    return process.env.ISOBENCH_GUESTS_DIR ?? "/var/lib/libvirt/images/isobench";
}

/**
 * Makes `dir` (the state folder) and every folder under it private to root (0700), creating `dir`
 * if needed: Pulumi state, the SSH key, image records, caches. Files keep their own modes; a
 * folder nobody else can enter hides them anyway. Symbolic links are not followed.
 */
export function ensurePrivateDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const walk = (d: string): void => {
        if ((fs.lstatSync(d).mode & 0o777) !== 0o700) fs.chmodSync(d, 0o700);
        for (const e of fs.readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(d, e.name));
    };
    walk(dir);
}

/** Where Pulumi reads stack files (Pulumi.yaml's stackConfigDir), relative to the checkout. */
export const STACK_CONFIG_DIR = "stacks";

/**
 * Where `isobench up` reads Pulumi.<stack>.yaml: $ISOBENCH_STACKS_DIR or <repo>/stacks. Another
 * folder can be validated but not run (experiment/up-preflight.ts): Pulumi reads only its own.
 */
export function stacksDir(repoRoot: string): string {
    return process.env.ISOBENCH_STACKS_DIR ?? path.join(repoRoot, STACK_CONFIG_DIR);
}

/** Results of all stacks: $ISOBENCH_RESULTS_DIR or <repo>/results. */
export function resultsRoot(repoRoot: string): string {
    return process.env.ISOBENCH_RESULTS_DIR ?? path.join(repoRoot, "results");
}

export type ImageStateFile = "container-image" | "guest-image" | "guest-image-docker" | "guest-image-bootloader";

/** What an image builder recorded in .state/images/<file> (image name or folder), if it ran. */
export function imageState(state: string, file: ImageStateFile): { readonly file: string; readonly value?: string } {
    const p = path.join(state, "images", file);
    return { file: p, value: fs.existsSync(p) ? fs.readFileSync(p, "utf8").trim() : undefined };
}

/** The files of a built guest image folder. */
export function guestImageFiles(dir: string): { readonly disk: string; readonly kernel: string; readonly initrd: string } {
    return { disk: path.join(dir, "disk.qcow2"), kernel: path.join(dir, "vmlinuz"), initrd: path.join(dir, "initrd.img") };
}

/**
 * Records of host settings isobench applied and will restore on destroy, one <stack>.json each:
 * $ISOBENCH_HOST_RECORDS_DIR or /run/isobench/host-settings. Host-wide, not per checkout, because
 * the settings are (two checkouts must see each other's); under /run because a reboot undoes the
 * settings and so must forget the records.
 */
export function hostRecordsDir(): string {
    return process.env.ISOBENCH_HOST_RECORDS_DIR ?? "/run/isobench/host-settings";
}

/** environments/kvm/guest-lifecycle.sh of the checkout: what creates, starts, reaches and deletes guests. */
export function guestLifecycleScript(repoRoot: string): string {
    return path.join(repoRoot, "environments", "kvm", "guest-lifecycle.sh");
}
