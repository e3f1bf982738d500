/**
 * Can this host's KVM boot a stock guest kernel? /dev/kvm existing is not enough: nested,
 * paravirtual KVM (as on the machines isobench is developed on) hangs stock kernels after
 * "Probing EDD". The probe boots the guest image's kernel and initrd under -accel kvm for a bounded
 * time and looks for the kernel handing over to init. Results are cached per kernel image + host.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";

export interface KvmProbeResult {
    readonly usable: boolean;
    readonly detail: string;
    readonly kernelImage: string;
    readonly hostKernel: string;
    readonly checkedAt: string;
}

/** The marker the kernel prints when it starts the initramfs' init: boot worked. */
export function bootedToInit(serial: string): boolean {
    return /Run \/\S+ as init process/.test(serial);
}

export function probeKvmBoot(kernel: string, initrd: string, cacheFile: string, timeoutS = 40): KvmProbeResult {
    const hostKernel = os.release();
    if (fs.existsSync(cacheFile)) {
        const cached = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as KvmProbeResult;
        if (cached.kernelImage === kernel && cached.hostKernel === hostKernel) return cached;
    }
    const result = (usable: boolean, detail: string): KvmProbeResult => {
        const r = { usable, detail, kernelImage: kernel, hostKernel, checkedAt: new Date().toISOString() };
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        fs.writeFileSync(cacheFile, JSON.stringify(r, null, 2) + "\n");
        return r;
    };
    try {
        fs.accessSync("/dev/kvm", fs.constants.R_OK | fs.constants.W_OK);
    } catch {
        return result(false, "/dev/kvm is missing or not accessible (no hardware virtualisation, or the kvm module is not loaded)");
    }
    const r = spawnSync(
        "qemu-system-x86_64",
        [
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
        { encoding: "utf8", timeout: timeoutS * 1000, maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.error && (r.error as NodeJS.ErrnoException).code === "ENOENT") {
        return result(false, "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)");
    }
    const serial = r.stdout ?? "";
    if (bootedToInit(serial)) return result(true, "a stock guest kernel booted under -accel kvm");
    const lastLine = serial.trim().split("\n").slice(-1)[0] ?? "";
    return result(
        false,
        `a stock guest kernel did not reach init under -accel kvm within ${timeoutS} s (last console line: "${lastLine.trim()}"; stderr: "${(r.stderr ?? "").trim().slice(0, 300)}")`,
    );
}
