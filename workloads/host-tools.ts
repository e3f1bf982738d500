/**
 * Versions of the host software that creates and runs environments (kernel, Docker engine, libvirt,
 * QEMU), for workloads that measure the environments themselves (lifecycle, idle): their "tool" is
 * the container engine or hypervisor, asked on the host.
 */
import { ParseError } from "../core/errors";

/** Prints `kernel <release>`, `docker <server version>` and `virsh version`; absent parts are skipped. */
export const HOST_TOOLS_VERSION_COMMAND = [
    `echo "kernel $(uname -r)"`,
    `docker version --format 'docker {{.Server.Version}}' 2>/dev/null || true`,
    `timeout 30 virsh -c qemu:///system version 2>/dev/null || true`,
].join("; ");

/** "docker 20.10.24+dfsg1; libvirt 9.0.0; qemu 7.2.22; kernel 6.1.0" from HOST_TOOLS_VERSION_COMMAND's output. */
export function parseHostToolsVersion(workload: string, output: string): string {
    const kernel = /^kernel (\S+)\s*$/m.exec(output);
    if (!kernel) throw new ParseError(workload, "version", `no "kernel <release>" line in ${JSON.stringify(output.slice(0, 120))}`);
    const parts: string[] = [];
    const docker = /^docker (\d\S*)\s*$/m.exec(output);
    if (docker) parts.push(`docker ${docker[1]}`);
    const libvirt = /^Using library: libvirt (\S+)\s*$/m.exec(output);
    if (libvirt) parts.push(`libvirt ${libvirt[1]}`);
    const qemu = /^Running hypervisor: QEMU (\S+)\s*$/m.exec(output);
    if (qemu) parts.push(`qemu ${qemu[1]}`);
    parts.push(`kernel ${kernel[1]}`);
    return parts.join("; ");
}
