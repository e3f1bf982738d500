/**
 * Can the target's KVM boot a stock guest kernel? /dev/kvm existing is not enough: nested,
 * paravirtual KVM (as on the machines isobench is developed on) hangs stock kernels after
 * "Probing EDD". The probe boots the guest image's kernel and initrd under -accel kvm for a bounded
 * time, on the target through its transport, and looks for the kernel handing over to init.
 * Results are cached per target, kernel image and the target's kernel.
 */
import * as fs from "fs";
import * as path from "path";
import type { Transport } from "./transport";

export interface KvmProbeResult {
    readonly usable: boolean;
    readonly detail: string;
    readonly kernelImage: string;
    readonly hostKernel: string;
    /** The transport's label (`local`, `ssh://…`); absent in caches written before targets, which were local. */
    readonly target?: string;
    readonly checkedAt: string;
}

/** The marker the kernel prints when it starts the initramfs' init: boot worked. */
export function bootedToInit(serial: string): boolean {
    return /Run \/\S+ as init process/.test(serial);
}

/**
 * @param host the machine whose KVM is probed; the kernel and initrd are paths on it
 * @param cacheFile on the controller, one per target (a cache naming another target is not reused)
 */
export function probeKvmBoot(
    host: Pick<Transport, "attempt" | "identity" | "label">,
    kernel: string,
    initrd: string,
    cacheFile: string,
    timeoutS = 40,
): KvmProbeResult {
    const hostKernel = host.identity().kernel;
    if (fs.existsSync(cacheFile)) {
        const cached = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as KvmProbeResult;
        if (cached.kernelImage === kernel && cached.hostKernel === hostKernel && (cached.target ?? "local") === host.label) return cached;
    }
    const result = (usable: boolean, detail: string): KvmProbeResult => {
        const r = { usable, detail, kernelImage: kernel, hostKernel, target: host.label, checkedAt: new Date().toISOString() };
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        fs.writeFileSync(cacheFile, JSON.stringify(r, null, 2) + "\n");
        return r;
    };
    if (host.attempt(["test", "-r", "/dev/kvm", "-a", "-w", "/dev/kvm"], 30).status !== 0) {
        return result(false, "/dev/kvm is missing or not accessible (no hardware virtualisation, or the kvm module is not loaded)");
    }
    // timeout(1) on the target: ending the ssh client would leave a remote qemu running.
    const r = host.attempt(
        [
            "timeout",
            String(timeoutS),
            "qemu-system-x86_64",
            "-accel",
            "kvm",
            "-machine",
            "q35",
            "-cpu",
            "host",
            "-m",
            "512",
            "-smp",
            "1",
            "-display",
            "none",
            "-serial",
            "stdio",
            "-no-reboot",
            "-monitor",
            "none",
            "-kernel",
            kernel,
            "-initrd",
            initrd,
            // panic=-1 + -no-reboot: a boot that fails ends qemu instead of hanging until the timeout.
            "-append",
            "console=ttyS0 panic=-1 rdinit=/bin/false",
        ],
        timeoutS + 30,
    );
    // 127: timeout(1) found no qemu-system-x86_64 to run.
    if (r.status === 127) return result(false, "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
    if (bootedToInit(r.stdout)) return result(true, "a stock guest kernel booted under -accel kvm");
    const lastLine = r.stdout.trim().split("\n").slice(-1)[0] ?? "";
    return result(
        false,
        `a stock guest kernel did not reach init under -accel kvm within ${timeoutS} s (last console line: "${lastLine.trim()}"; stderr: "${(r.stderr + (r.error ?? "")).trim().slice(0, 300)}")`,
    );
}
