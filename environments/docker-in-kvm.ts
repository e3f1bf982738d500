/**
 * Docker inside a KVM guest (docker-in-kvm): scripts that put the benchmark image into the guest's
 * dockerd (docker save | ssh docker load, so the guest needs no registry) and create the container
 * there with exactly the cli driver's script (environments/container-spec.ts). Pure: builds shell.
 */
import { ContainerSpec, cliCreateScript, cliDeleteScript } from "./container-spec";
import { SSH_OPTIONS } from "./exec-target";
import { PRINT_READY_SECONDS, START_CLOCK, shellQuote as q } from "./shell";

function ssh(sshKey: string): string {
    return `ssh ${SSH_OPTIONS.map(q).join(" ")} -i ${q(sshKey)} "root@$ip"`;
}

/** Create: wait for the guest's dockerd, load the image if the guest lacks it, create the container; prints ready_s. */
export function guestContainerCreateScript(s: ContainerSpec, domain: string, sshKey: string, lifecycle: string): string {
    const g = ssh(sshKey);
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

/** Delete: remove the container and its volume in the guest; succeeds when the guest is already gone. */
export function guestContainerDeleteScript(s: ContainerSpec, domain: string, sshKey: string, lifecycle: string): string {
    return [
        `ip=$(${q(lifecycle)} ip ${q(domain)} 2>/dev/null) || exit 0`,
        `${ssh(sshKey)} ${q(cliDeleteScript(s))} || true`,
    ].join("\n");
}
