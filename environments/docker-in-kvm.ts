/**
 * Docker inside a KVM guest (docker-in-kvm): scripts that put the benchmark image into the guest's
 * dockerd (docker save | ssh docker load, so the guest needs no registry) and create the container
 * there with exactly the cli driver's script (environments/container-spec.ts). Pure: builds shell (the component is docker-in-kvm-environment.ts).
 */
import { ContainerSpec, cliCreateScript, cliDeleteScript } from "./container-spec";
import { sshArgv } from "./exec-target";
import { GuestAccess } from "../core/environment-handle";
import { virshArgv } from "./process";
import { PRINT_READY_SECONDS, START_CLOCK, shellQuote as q } from "../core/shell";

/** `ssh … root@$ip`, the address in the script's variable `ip`. */
function ssh(guest: GuestAccess): string {
    return sshArgv(guest, "IP")
        .map((w) => (w === "root@IP" ? `"root@$ip"` : q(w)))
        .join(" ");
}

/**
 * Size the guest's disk is grown to before the image is loaded: the guest image's 3 GB root
 * filesystem has about 1.5 GB free, and the benchmark image (686 MB with every study tool) is
 * unpacked there next to its tar stream. The overlay grows online (virsh blockresize) and the
 * guest's ext4 with it (resize2fs on the mounted root; the disk has no partition table).
 */
export const GUEST_DISK_FOR_DOCKER = "8G";

/** Create: grow the disk, wait for the guest's dockerd, load the image if the guest lacks it, create the container; prints ready_s. */
export function guestContainerCreateScript(s: ContainerSpec, guest: GuestAccess, lifecycle: string, rootDev = "/dev/vda"): string {
    const g = ssh(guest);
    const domain = guest.domain;
    return [
        "set -e",
        START_CLOCK,
        `ip=$(${q(lifecycle)} ip ${q(domain)})`,
        `${virshArgv(60, "blockresize", domain, rootDev.replace("/dev/", ""), GUEST_DISK_FOR_DOCKER).map(q).join(" ")} >/dev/null`,
        `${g} resize2fs ${q(rootDev)} >/dev/null 2>&1`,
        `for i in $(seq 120); do ${g} docker info >/dev/null 2>&1 && break; sleep 1; done`,
        `${g} docker info >/dev/null || { echo "dockerd in guest ${domain} does not answer" >&2; exit 1; }`,
        `if ! ${g} docker image inspect ${q(s.image)} >/dev/null 2>&1; then docker save ${q(s.image)} | ${g} docker load >/dev/null; fi`,
        `${g} ${q(cliCreateScript(s))} >/dev/null`,
        PRINT_READY_SECONDS,
    ].join("\n");
}

/** Delete: remove the container and its volume in the guest; succeeds when the guest is already gone. */
export function guestContainerDeleteScript(s: ContainerSpec, guest: GuestAccess, lifecycle: string): string {
    return [`ip=$(${q(lifecycle)} ip ${q(guest.domain)} 2>/dev/null) || exit 0`, `${ssh(guest)} ${q(cliDeleteScript(s))} || true`].join("\n");
}
