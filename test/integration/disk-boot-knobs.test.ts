/**
 * The KVM knob families on this host's real libvirt (software emulation here), in two guests that
 * boot at once: one with pinning, emulator pinning, an IO thread, two NUMA nodes and two queues on
 * a raw full copy of the guest image (direct kernel boot), and one booted by UEFI firmware and
 * systemd-boot from the bootloader guest image (qcow2 overlay). Each guest costs an emulated boot
 * of about a minute, so the knobs share them; the qcow2 overlay with direct kernel boot is every
 * other guest's. Each is provisioned with the lifecycle script KvmGuest runs, probed from the
 * inside and through libvirt/qemu-img, and must be what it declares; a false declaration stops
 * the probe. Teardown must remove the domains, their disks and the UEFI variable store.
 *
 * Needs images/build-guest-bootloader-image.sh (images/build-all.sh builds it). Domains are named
 * $ISOBENCH_IT_PREFIX<env> (default isobench-it3b<pid>-<env>).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { gatherHost } from "../../experiment/host";
import { kvmEnvironment, KvmEnv } from "../../experiment/environment-handles";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { DomainSpec } from "../../environments/kvm/domain-spec";
import { knownHostsOf, xmlPathOf } from "../../environments/kvm/guest-files";
import { probeEnvironment } from "../../environments/probe";
import { attempt, mustRun } from "../../environments/process";
import { execArgv } from "../../environments/exec-target";
import { EnvironmentHandle } from "../../core/environment-handle";
import { leftoverResources } from "../helpers/leftovers";
import { TEST_GUEST_VCPUS } from "../helpers/live-environments";

const REPO = path.resolve(__dirname, "..", "..");
const LIFECYCLE = path.join(REPO, "environments", "kvm", "guest-lifecycle.sh");
const stack = `it3b${process.pid}`;
const PREFIX = process.env.ISOBENCH_IT_PREFIX ?? `isobench-${stack}-`;

describe("KVM knobs on real libvirt: pinning, IO thread, NUMA and queues on a raw disk; UEFI and systemd-boot", function () {
    this.timeout(20 * 60 * 1000);
    const spec = parseSpec(stack, {
        runId: "b1",
        environments: [
            // A tuned guest's knobs on a raw disk: one emulated boot for both families.
            {
                name: "raw",
                kind: "kvm",
                preset: "kvm-tuned",
                vcpus: 2,
                memoryMiB: 1024,
                pinning: [1, 0],
                emulatorPin: "0",
                iothreads: 1,
                iothreadPin: "1",
                numa: 2,
                netQueues: 2,
                vhost: "off",
                diskFormat: "raw",
                bootTimeoutS: 600,
            },
            { name: "uefi", kind: "kvm", vcpus: TEST_GUEST_VCPUS, memoryMiB: 1024, boot: "bootloader", bootTimeoutS: 600 },
        ],
        workloads: [{ name: "sysbench-cpu", environments: ["raw"] }],
        allowSoftwareEmulation: true,
    });
    // Made in a hook: a describe body runs even when --grep selects none of its tests,
    // and then no after hook would remove it.
    let results = "";
    before(() => {
        results = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-it3b-"));
    });
    const guests = new Map<string, { domain: DomainSpec; handle: EnvironmentHandle; measured?: Record<string, string> }>();
    let guestDir = "";

    before(function () {
        const host = gatherHost(spec);
        // The bootloader guest (an overlay, made at once) boots while the raw copy is written.
        for (const env of [...(spec.environmentSpecs as KvmEnv[])].reverse()) {
            const built = kvmEnvironment(spec, env, host);
            const name = PREFIX + env.name;
            const domain: DomainSpec = { ...built.domain, name };
            const handle: EnvironmentHandle = {
                ...built.handle,
                target: { kind: "kvm", domain: name, sshKey: host.sshKey, knownHosts: knownHostsOf(domain.diskPath) },
            };
            guests.set(env.name, { domain, handle });
            guestDir = path.dirname(domain.diskPath);
            fs.mkdirSync(guestDir, { recursive: true });
            fs.writeFileSync(xmlPathOf(domain.diskPath), renderDomainXml(domain));
            mustRun([LIFECYCLE, "create", name, xmlPathOf(domain.diskPath), built.baseImage, domain.diskPath], 900, `creating ${name}`);
        }
        // Both boot at once (each emulated vCPU keeps one host core busy; tests run one at a time).
        for (const env of spec.environmentSpecs as KvmEnv[]) {
            const g = guests.get(env.name)!;
            mustRun([LIFECYCLE, "wait-ssh", g.domain.name, host.sshKey, String(env.kvm.bootTimeoutS)], env.kvm.bootTimeoutS + 60, `booting ${g.domain.name}`);
            g.measured = probeEnvironment(results, g.handle);
        }
    });

    after(function () {
        for (const { domain } of guests.values()) attempt([LIFECYCLE, "delete", domain.name, domain.diskPath], 300);
        const left: string[] = [];
        for (const { domain } of guests.values()) {
            for (const f of [domain.diskPath, domain.firmware?.nvram]) if (f && fs.existsSync(f)) left.push(f);
        }
        if (guestDir) fs.rmSync(guestDir, { recursive: true, force: true });
        fs.rmSync(results, { recursive: true, force: true });
        assert.deepEqual([...leftoverResources(PREFIX), ...left], [], "teardown leaves no domain, disk or variable store");
    });

    it("raw: the live domain runs a raw full copy, declared and recorded as such", () => {
        const g = guests.get("raw")!;
        assert.match(g.domain.diskPath, /\/raw\.img$/);
        assert.equal(g.measured!.xml_disk_format, "raw");
        assert.equal(g.measured!.disk_format, "raw");
        assert.equal(g.measured!.disk_backing, "none");
        assert.equal(g.measured!.boot, "direct");
        assert.equal(g.measured!.boot_firmware, "bios");
        assert.equal(g.measured!.boot_loader, "none");
        assert.match(g.handle.variant, /;pin=1:1;.*;fmt=raw$/);
        const info = JSON.parse(mustRun(["qemu-img", "info", "-U", "--output=json", g.domain.diskPath], 60, "qemu-img info")) as {
            format: string;
            "virtual-size": number;
        };
        assert.equal(info.format, "raw");
        assert.equal(info["virtual-size"], 3 * 1024 ** 3, "a full copy of the 3 GiB guest image");
    });

    it("raw: the guest's pinning, IO thread, NUMA nodes and queues as libvirt and the guest report them", () => {
        const k = guests.get("raw")!.measured!;
        assert.equal(k.domain_type, "qemu", "software emulation here");
        assert.equal(k.vcpupin, "0:1,1:0");
        assert.equal(k.emulatorpin, "0");
        assert.equal(k.iothreads, "1");
        assert.equal(k.numa_nodes, "2");
        assert.equal(k.net_queues, "2");
        assert.equal(k.nproc, "2");
        assert.equal(k.vhost, "qemu");
        assert.equal(k.vhost_threads, "0");
        assert.equal(guests.get("raw")!.handle.accel, "tcg");
    });

    it("bootloader: UEFI firmware and systemd-boot booted the guest, as measured from inside", () => {
        const g = guests.get("uefi")!;
        assert.equal(g.measured!.boot, "bootloader");
        assert.equal(g.measured!.boot_firmware, "uefi");
        assert.match(g.measured!.boot_loader, /^systemd-boot \d+/);
        assert.match(g.measured!.kernel_cmdline, /root=LABEL=isobench-root rw console=ttyS0/);
        assert.equal(g.measured!.disk_format, "qcow2");
        assert.equal(g.measured!.disk_backing, "overlay");
        assert.match(g.handle.variant, /;boot=bootloader-uefi$/);
        assert.ok(fs.existsSync(g.domain.firmware!.nvram), "libvirt made the guest's own variable store from the template");
    });

    it("each guest made its own SSH host key at first boot; both are recorded in the stack's known_hosts", () => {
        const keys = [...guests.values()].map(({ domain, handle }) => {
            const ip = mustRun([LIFECYCLE, "ip", domain.name], 60, "guest ip").trim();
            const own = mustRun(execArgv(handle.target, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub", ip), 60, `reading ${domain.name}'s key`).trim();
            const entries = fs
                .readFileSync(knownHostsOf(domain.diskPath), "utf8")
                .split("\n")
                .filter((l) => l.startsWith(`${domain.name} `));
            assert.deepEqual(entries, [`${domain.name} ${own}`]);
            return own;
        });
        assert.equal(new Set(keys).size, 2, "two guests of one root filesystem, two host keys");
    });

    it("the guest on direct kernel boot is not taken for a bootloader guest", () => {
        const raw = guests.get("raw")!.measured!;
        assert.doesNotMatch(raw.kernel_cmdline, /BOOT_IMAGE=|LABEL=/);
    });

    it("environments.csv records format and boot path, declared and measured", () => {
        const csv = fs.readFileSync(path.join(results, "environments.csv"), "utf8");
        assert.match(csv, /^raw,kvm,[^,]*fmt=raw,tcg,disk_format,raw,raw,/m);
        assert.match(csv, /^uefi,kvm,[^,]*boot=bootloader-uefi,tcg,boot,bootloader,bootloader,/m);
        assert.match(csv, /^uefi,kvm,[^,]*,tcg,boot_firmware,uefi,uefi,/m);
    });

    it("a declaration the guest contradicts stops the probe", () => {
        // One probe (several seconds under tcg) with a false disk and a false boot declaration.
        const uefi = guests.get("uefi")!.handle;
        const lie = { disk_format: "raw", disk_backing: "none", boot: "direct", boot_firmware: "bios" };
        assert.throws(
            () => probeEnvironment(results, { ...uefi, name: "uefi-lie", declared: { ...uefi.declared, ...lie } }),
            (e: Error) => {
                assert.match(e.message, /^environment uefi-lie is not what was declared:\n/);
                for (const line of [
                    "disk_format: declared raw, measured qcow2",
                    "disk_backing: declared none, measured overlay",
                    "boot: declared direct, measured bootloader",
                    "boot_firmware: declared bios, measured uefi",
                ])
                    assert.ok(e.message.includes(`\n  - ${line}\n`), `${line} in: ${e.message}`);
                return true;
            },
        );
    });
});

describe("guest-lifecycle.sh delete removes a guest's own disk only (real libvirt, no guest)", function () {
    this.timeout(120_000);
    let dir = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-it3b-del-"));
    });
    const name = `${PREFIX}absent`;
    const del = (f: string) => attempt([LIFECYCLE, "delete", name, f], 60);
    const img = (f: string, fmt: "raw" | "qcow2", mode = 0o644, backing?: string): string => {
        const p = path.join(dir, f);
        mustRun(["qemu-img", "create", "-q", "-f", fmt, ...(backing ? ["-F", "qcow2", "-b", backing] : []), p, "16M"], 60, `qemu-img create ${f}`);
        fs.chmodSync(p, mode);
        return p;
    };
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("removes a raw copy and a qcow2 overlay", () => {
        const base = img("base.qcow2", "qcow2", 0o444);
        for (const f of [img("g.img", "raw"), img("g.qcow2", "qcow2", 0o644, base)]) {
            const r = del(f);
            assert.equal(r.status, 0, r.stderr);
            assert.ok(!fs.existsSync(f), `${f} removed`);
        }
    });

    it("refuses a base image, a read-only raw file and a raw file not named *.img", () => {
        for (const f of [img("base2.qcow2", "qcow2", 0o444), img("ro.img", "raw", 0o444), img("g.xml", "raw")]) {
            const r = del(f);
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /is neither a qcow2 overlay with a backing file nor a writable raw copy named \*\.img; not removing it/);
            assert.ok(fs.existsSync(f), `${f} kept`);
        }
    });
});
