/**
 * What every layer knows of an environment: the handle the runner, the probe, the workloads and
 * the analysis share, and how commands reach it (its target). Types only; environments/exec-target.ts
 * builds the argv from them.
 */
import type { EnvKind, Accel } from "./samples";
import type { Target } from "./transport";

/**
 * `numactl` (optional on native and container targets): the argv prefix, e.g. ["numactl",
 * "--membind=0"], every command in the environment runs under (core/numa.ts), so the
 * server, the measured command and the probe all get the declared policy.
 */
export type ExecTarget =
    | { readonly kind: "native"; readonly numactl?: readonly string[] }
    | { readonly kind: "docker"; readonly container: string; readonly network: "nat" | "host"; readonly numactl?: readonly string[] }
    | ({ readonly kind: "kvm" } & GuestAccess)
    /** A container of the Docker engine inside a KVM guest: `ssh guest docker exec <container> …`. */
    | ({
          readonly kind: "docker-in-kvm";
          readonly container: string;
          readonly network: "nat" | "host" | "none";
          readonly numactl?: readonly string[];
      } & GuestAccess);

/** How the host logs in to a guest as root, and how it knows it reached that guest. */
export interface GuestAccess {
    /** The libvirt domain; also the guest's name in known_hosts (HostKeyAlias), whatever its lease. */
    readonly domain: string;
    /** Private key whose public half is root's authorized key in the image. */
    readonly sshKey: string;
    /**
     * The stack's known_hosts (environments/kvm/guest-files.ts knownHostsOf): the host key each
     * guest announced on its serial console when it was created, checked strictly on every login.
     */
    readonly knownHosts: string;
}

/** What a cell needs to know about its environment; serialized into the cell command. */
export interface EnvironmentHandle {
    readonly name: string;
    readonly envKind: EnvKind;
    /** Canonical key=value list of the declared configuration. */
    readonly variant: string;
    readonly accel: Accel;
    readonly target: ExecTarget;
    /**
     * The machine under test the environment lives on (isobench:target), through which every
     * command reaches `target`; omitted for the machine isobench runs on.
     */
    readonly machine?: Target;
    /** The workload data directory inside the environment (see RunContext.dataDir). */
    readonly dataDir: string;
    /**
     * Facts the probe must find measured inside/at the environment (e.g. network_mode=host,
     * nproc=1, vcpupin=0:1, vhost=qemu); a contradiction stops the run.
     */
    readonly declared: Readonly<Record<string, string>>;
    /**
     * Facts that are recorded, not measured (e.g. container_needs: which workload asked for which
     * capability); the probe writes them to environments.csv beside the measured ones.
     */
    readonly recorded?: Readonly<Record<string, string>>;
}
