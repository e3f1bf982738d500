/**
 * What the probe must measure inside and at a Docker container for its declared configuration
 * (the keys environments/probe.ts measures). Pure.
 */
import type { DockerVariant } from "../core/environment-spec";
import { memoryBytes } from "../core/environment-spec";
import { formatCpuset, parseCpuset } from "../core/cpuset";
import { DATA_DIR } from "./container-spec";
import { declaredNumaFacts } from "../core/numa";

/**
 * Declared facts of a container:
 *  - network: network_mode (bridge/host/none), netns (host = the host's network namespace, own =
 *    a private one), net_ifaces=lo for none, nat_path (userland-proxy or dnat) for nat;
 *  - storage: mount_type (volume/none as docker inspect reports the mount), data_mount (the mount
 *    point holding the data directory: /data for a volume, / for the container layer);
 *  - limits as cgroups enforce them: cgroup_cpuset, cgroup_cpus (CFS quota in CPUs or max),
 *    cgroup_memory (bytes or max), and nproc (the cpuset's size; --cpus leaves nproc alone);
 *  - runtime (docker inspect) and sandbox (gvisor when the kernel inside is gVisor's);
 *  - caps_added (CapEff inside beyond Docker's default set, "none" or e.g. SYS_NICE) and
 *    seccomp_mode (filter, or disabled for seccomp unconfined), from /proc/self/status inside;
 *  - with a numactl policy, what `numactl --show` reports inside (environments/numactl.ts).
 * gVisor shows neither the host's cgroup files nor a real network namespace inside the sandbox
 * (every sandbox reports net:[110]), so under runsc cgroup limits and netns are recorded, not compared.
 */
export function declaredDockerFacts(d: DockerVariant, hostCpuCount: number, numaNodes: readonly number[] = [0]): Record<string, string> {
    const cpus = d.limits.cpuset !== undefined ? parseCpuset(d.limits.cpuset) : Array.from({ length: hostCpuCount }, (_, i) => i);
    const f: Record<string, string> = {
        running: "true",
        network_mode: d.network === "nat" ? "bridge" : d.network,
        mount_type: d.storage === "volume" ? "volume" : "none",
        data_mount: d.storage === "volume" ? DATA_DIR : "/",
        runtime: d.runtime,
        sandbox: d.runtime === "runsc" ? "gvisor" : "none",
        nproc: String(cpus.length),
    };
    if (d.runtime === "runc") f.netns = d.network === "host" ? "host" : "own";
    if (d.network === "none") f.net_ifaces = "lo";
    if (d.network === "nat") f.nat_path = d.userlandProxy ? "userland-proxy" : "dnat";
    // gVisor serves the root filesystem through its gofer (v9fs inside), so only runc shows overlayfs.
    if (d.storage === "unionfs" && d.runtime === "runc") f.data_fstype = "overlayfs";
    if (d.runtime === "runc") {
        f.cgroup_cpuset = formatCpuset(cpus);
        f.cgroup_cpus = d.limits.cpus !== undefined ? String(d.limits.cpus) : "max";
        f.cgroup_memory = d.limits.memory !== undefined ? String(memoryBytes(d.limits.memory)) : "max";
        f.caps_added = d.capAdd.length ? [...d.capAdd].sort().join("+") : "none";
        f.seccomp_mode = d.seccomp === "unconfined" ? "disabled" : "filter";
    }
    if (d.numactl) Object.assign(f, declaredNumaFacts(d.numactl, numaNodes));
    return f;
}
