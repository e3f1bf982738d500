/**
 * The diskFormat and boot knobs without daemons: schema, the resolved guest and base image per
 * knob, declared facts, and the probe's parsers against output captured from real guests
 * (test/fixtures/disk-boot/README.md).
 */
import * as assert from "node:assert/strict";
import { parseSpec } from "../../experiment/spec";
import { SpecError } from "../../core/errors";
import { kvmEnvironment, dockerInKvmEnvironment, KvmEnv, DockerInKvmEnv } from "../../experiment/environment-handles";
import { UserError } from "../../core/errors";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { diskFileName, uefiFirmwareOf, xmlPathOf, OVMF } from "../../environments/kvm/guest-files";
import { contradictions, diskFileFacts, diskSourceOf, guestBootFacts, liveXmlFacts } from "../../environments/probe";
import { kvmCloneXml } from "../../environments/clone";
import { mockHost } from "../helpers/mock-program";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("disk-boot");
const spec = (environments: unknown[]) => parseSpec("t", { runId: "r1", workloads: ["sysbench-cpu"], environments, allowSoftwareEmulation: true });
const host = mockHost();
const kvm = (o: Record<string, unknown>) =>
    kvmEnvironment(spec([{ name: "g", kind: "kvm", ...o }]), spec([{ name: "g", kind: "kvm", ...o }]).environmentSpecs[0] as KvmEnv, host);

describe("diskFormat and boot knobs", () => {
    describe("schema", () => {
        it("accepts qcow2 and raw, bootloader and direct", () => {
            const s = spec([
                { name: "a", kind: "kvm", diskFormat: "raw", boot: "bootloader" },
                { name: "b", kind: "kvm", diskFormat: "qcow2" },
                { name: "c", kind: "kvm" },
            ]);
            const [a, b, c] = s.environmentSpecs as KvmEnv[];
            assert.equal(a.kvm.diskFormat, "raw");
            assert.equal(a.kvm.boot, "bootloader");
            assert.equal(b.kvm.diskFormat, "qcow2");
            assert.equal(c.kvm.diskFormat, undefined, "unset = qcow2, and not written so presets compare equal");
            assert.equal(c.kvm.boot, "direct");
        });
        it("names the allowed formats", () => {
            assert.throws(
                () => spec([{ name: "x", kind: "kvm", diskFormat: "vmdk" }]),
                (e: Error) => e instanceof SpecError && /isobench:environments\.0\.diskFormat: must be one of qcow2, raw/.test(e.message),
            );
            assert.throws(
                () => spec([{ name: "x", kind: "kvm", boot: "pxe" }]),
                (e: Error) => e instanceof SpecError && /isobench:environments\.0\.boot: must be one of direct, bootloader/.test(e.message),
            );
        });
    });

    describe("resolved guest", () => {
        it("raw: a <name>.img disk, type='raw', recorded as fmt=raw and declared as a raw copy", () => {
            const { domain, handle, baseImage } = kvm({ diskFormat: "raw" });
            assert.equal(domain.diskPath, "/guests/t/g.img");
            assert.equal(baseImage, "/img/disk.qcow2", "copied from the ordinary guest image");
            assert.match(renderDomainXml(domain), /<driver name='qemu' type='raw'\/>\n\s+<source file='\/guests\/t\/g\.img'\/>/);
            assert.equal(handle.variant, "vcpus=1;mem=1024m;cpu=default;pin=none;net=qemu;disk=cache-default;fmt=raw");
            assert.equal(handle.declared.disk_format, "raw");
            assert.equal(handle.declared.disk_backing, "none");
            assert.equal(handle.declared.boot, "direct");
            assert.equal(handle.declared.boot_firmware, "bios");
        });
        it("qcow2 (default): the overlay, declared as such, variant unchanged", () => {
            const { domain, handle, baseImage } = kvm({});
            assert.equal(domain.diskPath, "/guests/t/g.qcow2");
            assert.equal(baseImage, "/img/disk.qcow2");
            assert.equal(handle.variant, "vcpus=1;mem=1024m;cpu=default;pin=none;net=qemu;disk=cache-default");
            assert.equal(handle.declared.disk_format, "qcow2");
            assert.equal(handle.declared.disk_backing, "overlay");
        });
        it("bootloader: the bootloader image, the host's UEFI firmware with the guest's own variable store, no kernel", () => {
            const { domain, handle, baseImage } = kvm({ boot: "bootloader", diskBus: "virtio-scsi" });
            assert.equal(baseImage, "/imgb/disk.qcow2");
            assert.equal(domain.kernel, undefined);
            assert.equal(domain.cmdline, undefined);
            assert.deepEqual(domain.firmware, { code: host.uefiFirmware!.code, varsTemplate: host.uefiFirmware!.varsTemplate, nvram: "/guests/t/g.VARS.fd" });
            assert.match(handle.variant, /;bus=scsi;boot=bootloader-uefi$/);
            assert.equal(handle.declared.boot, "bootloader");
            assert.equal(handle.declared.boot_firmware, "uefi");
        });
        it("refuses bootloader boot it cannot provide, naming the fix", () => {
            const s = spec([{ name: "g", kind: "kvm", boot: "bootloader" }]);
            const env = s.environmentSpecs[0] as KvmEnv;
            assert.throws(
                () => kvmEnvironment(s, env, { ...host, guestImageBootloader: undefined }),
                (e: Error) =>
                    e instanceof UserError &&
                    /environment g: boot: bootloader needs the guest image with a bootloader\. Fix: images\/build-guest-bootloader-image\.sh/.test(e.message),
            );
            assert.throws(
                () => kvmEnvironment(s, env, { ...host, uefiFirmware: undefined }),
                (e: Error) => e instanceof UserError && /needs UEFI firmware .*Fix: apt-get install ovmf/.test(e.message),
            );
            const sd = spec([{ name: "d", kind: "docker-in-kvm", guest: { boot: "bootloader" } }]);
            assert.throws(
                () => dockerInKvmEnvironment(sd, sd.environmentSpecs[0] as DockerInKvmEnv, host, []),
                /environment d: boot: bootloader is available for kind kvm only/,
            );
        });
        it("file names beside the disk", () => {
            assert.equal(diskFileName("g"), "g.qcow2");
            assert.equal(diskFileName("g", "raw"), "g.img");
            assert.equal(xmlPathOf("/d/g.img"), "/d/g.xml");
            assert.equal(xmlPathOf("/d/g.qcow2"), "/d/g.xml");
            assert.equal(uefiFirmwareOf(OVMF, "/d/g.img").nvram, "/d/g.VARS.fd");
        });
    });

    describe("probe parsers on real output", () => {
        it("the live domain's disk file and the format libvirt hands QEMU", () => {
            const raw = fixture("virsh-dumpxml-live-raw.xml");
            const uefi = fixture("virsh-dumpxml-live-uefi.xml");
            assert.equal(liveXmlFacts(raw).xml_disk_format, "raw");
            assert.equal(liveXmlFacts(uefi).xml_disk_format, "qcow2");
            assert.equal(diskSourceOf(raw), "/work/wt/h3-disk-boot/.state/guests/it3b17346/raw.img");
            assert.equal(diskSourceOf(uefi), "/work/wt/h3-disk-boot/.state/guests/it3b17346/uefi.qcow2", "the overlay, not its backing store");
        });
        it("qemu-img info: raw copy vs overlay, and a format libvirt and the file disagree on", () => {
            assert.deepEqual(diskFileFacts("raw", fixture("qemu-img-info-raw-copy.json")), { disk_format: "raw", disk_backing: "none" });
            assert.deepEqual(diskFileFacts("qcow2", fixture("qemu-img-info-overlay.json")), { disk_format: "qcow2", disk_backing: "overlay" });
            assert.deepEqual(diskFileFacts("raw", fixture("qemu-img-info-overlay.json")), { disk_format: "file qcow2, libvirt raw", disk_backing: "overlay" });
        });
        it("boot path measured inside: direct kernel boot vs OVMF and systemd-boot", () => {
            assert.deepEqual(guestBootFacts(fixture("guest-boot-direct.txt")), {
                boot_firmware: "bios",
                boot_loader: "none",
                kernel_cmdline: "root=/dev/vda rw console=ttyS0 quiet",
                boot: "direct",
            });
            const uefi = guestBootFacts(fixture("guest-boot-uefi-systemd-boot.txt"));
            assert.equal(uefi.boot, "bootloader");
            assert.equal(uefi.boot_firmware, "uefi");
            assert.equal(uefi.boot_loader, "systemd-boot 252.39-1~deb12u2");
            assert.equal(uefi.kernel_cmdline, "initrd=\\initrd.img root=LABEL=isobench-root rw console=ttyS0 quiet");
            assert.equal(guestBootFacts("boot_firmware=bios\nboot_loader=BOOT_IMAGE\n").boot, "bootloader", "GRUB or syslinux");
        });
        it("declared facts of the resolved guests agree with the real guests, and a false one is named", () => {
            const raw = kvm({ diskFormat: "raw" }).handle.declared;
            const measuredRaw = { ...diskFileFacts("raw", fixture("qemu-img-info-raw-copy.json")), ...guestBootFacts(fixture("guest-boot-direct.txt")) };
            const keys = ["disk_format", "disk_backing", "boot", "boot_firmware"];
            const pick = (d: Record<string, string>) => Object.fromEntries(keys.map((k) => [k, d[k]]));
            assert.deepEqual(contradictions(pick(raw), measuredRaw), []);
            const uefi = kvm({ boot: "bootloader" }).handle.declared;
            const measuredUefi = {
                ...diskFileFacts("qcow2", fixture("qemu-img-info-overlay.json")),
                ...guestBootFacts(fixture("guest-boot-uefi-systemd-boot.txt")),
            };
            assert.deepEqual(contradictions(pick(uefi), measuredUefi), []);
            assert.deepEqual(contradictions(pick(raw), measuredUefi), [
                "disk_format: declared raw, measured qcow2",
                "disk_backing: declared none, measured overlay",
                "boot: declared direct, measured bootloader",
                "boot_firmware: declared bios, measured uefi",
            ]);
        });
    });

    it("a clone of a UEFI guest gets its own variable store", () => {
        const inactive = fixture("virsh-dumpxml-live-uefi.xml").replace(/<domain type='qemu' id='\d+'>/, "<domain type='qemu'>");
        const { xml } = kvmCloneXml(inactive, 2);
        assert.match(
            xml,
            /<nvram template='\/usr\/share\/OVMF\/OVMF_VARS_4M\.fd'>\/work\/wt\/h3-disk-boot\/\.state\/guests\/it3b17346\/isb-h3a-uefi-c2\.VARS\.fd<\/nvram>/,
        );
    });
});
