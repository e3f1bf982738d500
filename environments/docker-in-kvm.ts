/**
 * Docker inside a KVM guest (docker-in-kvm): scripts that put the benchmark image into the guest's
 * dockerd (docker save | ssh docker load, so the guest needs no registry) and create the container
 * there with exactly the cli driver's script (environments/container-spec.ts). Pure: builds shell (the component is docker-in-kvm-environment.ts).
 */
import { ContainerSpec, cliCreateScript, cliDeleteScript } from "./container-spec";
import { sshArgv } from "./exec-target";
import { GuestAccess } from "../core/environment-handle";
import { PRINT_READY_SECONDS, START_CLOCK, shellQuote as q } from "../core/shell";

/** `ssh … root@$ip`, the address in the script's variable `ip`. */
function ssh(guest: GuestAccess): string {
    return sshArgv(guest, "IP")
        .map((w) => (w === "root@IP" ? `"root@$ip"` : q(w)))
        .join(" ");
}

/**
 * Create: wait for the guest's dockerd, load the image if the guest lacks it, create the container;
 * prints ready_s. The guest's disk has room for the image already (experiment/disk-plan.ts
 * guestDiskGrowth, grown when the guest was created).
 */
export function guestContainerCreateScript(s: ContainerSpec, guest: GuestAccess, lifecycle: string): string {
    const g = ssh(guest);
    const domain = guest.domain;
    return [
        "set -e",
        START_CLOCK,
        `ip=$(${q(lifecycle)} ip ${q(domain)})`,
        `for i in $(seq 120); do ${g} docker info >/dev/null 2>&1 && break; sleep 1; done`,
        `${g} docker info >/dev/null || { echo "dockerd in guest ${domain} does not answer" >&2; exit 1; }`,
        `if ! ${g} docker image inspect ${q(s.image)} >/dev/null 2>&1; then docker save ${q(s.image)} | ${g} docker load >/dev/null; fi`,
        `${g} ${q(cliCreateScript(s))} >/dev/null`,
        PRINT_READY_SECONDS,
    ].join("\n");
}

/**
 * Delete: remove the container and its volume in the guest. Succeeds when the guest is gone (the
 * container lived on its disk); fails, keeping the resource in state, while libvirt or the guest's
 * dockerd does not answer or the guest is not running, since the container then still exists on a
 * disk that outlives this step.
 */
export function guestContainerDeleteScript(s: ContainerSpec, guest: GuestAccess, lifecycle: string): string {
    const d = q(guest.domain);
    const notRunning = `guest ${guest.domain} is $state, so container ${s.name} on its disk cannot be removed. Fix: start it (virsh start ${guest.domain}, or virsh resume when paused) and run isobench destroy again`;
    return [
        "set -e",
        `state=$(${q(lifecycle)} state ${d})`,
        `[ "$state" != absent ] || { echo "guest ${guest.domain} is gone, and container ${s.name} with its disk" >&2; exit 0; }`,
        `[ "$state" = running ] || { echo "${notRunning}" >&2; exit 1; }`,
        `ip=$(${q(lifecycle)} ip ${d})`,
        `${ssh(guest)} ${q(cliDeleteScript(s, `start dockerd in guest ${guest.domain} and run isobench destroy again`))}`,
    ].join("\n");
}
