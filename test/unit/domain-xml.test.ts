/**
 * Unit tests of the pure KVM guest modules: domain XML rendering, presets, variant keys.
 * Fixture XML lives in test/fixtures/domain-xml/; regenerate deliberately with
 * `ISOBENCH_UPDATE_FIXTURES=1 npx mocha test/unit/domain-xml.test.ts`, then review the diff.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { formatCpuset, parseCpuset } from "../../core/cpuset";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { DomainSpec } from "../../environments/kvm/domain-spec";
import { escapeXmlAttr, escapeXmlText, unescapeXml } from "../../core/xml";
import { DomainSpecError } from "../../core/errors";
import {
    GuestInput,
    GuestHostFacts,
    KvmOverrides,
    htSiblingPinning,
    kvmTuned,
    kvmUntuned,
    resolveDomainSpec,
    kvmVariantKey,
} from "../../environments/kvm/presets";
import { KvmPresetError } from "../../core/errors";

const FIXTURES = path.join(__dirname, "..", "fixtures", "domain-xml");

/** One knob at a time on kvm-untuned (kvm host, 4 CPUs): each has its own fixture, checked by libvirt in test/integration/domain-xml-knobs.test.ts. */
export const KNOB_CASES: ReadonlyArray<readonly [string, KvmOverrides, Partial<GuestInput>?]> = [
    ["cpu-host-passthrough", { cpuModel: "host-passthrough" }],
    ["cpu-named", { cpuModel: { named: "SandyBridge" } }],
    ["topology-ht", { topology: { sockets: 1, cores: 1, threads: 2 } }],
    ["pinning", { hostCpus: [2, 3] }],
    ["emulatorpin", { emulatorPin: "0" }],
    ["iothreads", { iothreads: 1, iothreadPin: "1" }],
    ["hugepages", { hugepages: true }],
    ["numa", { numaNodes: 2 }],
    ["disk-scsi", { diskBus: "virtio-scsi", iothreads: 1 }],
    ["disk-cache-io", { diskCache: "none", diskIo: "native" }],
    ["net-vhost-queues", { vhost: true, netQueues: 2 }],
    ["boot-disk", {}, { kernel: undefined, initrd: undefined, cmdline: undefined }],
    ["disk-raw", { diskFormat: "raw" }, { diskPath: "/var/lib/isobench/guests/isobench-quick-kvm-0.img" }],
    [
        "boot-bootloader-uefi",
        {},
        {
            kernel: undefined,
            initrd: undefined,
            cmdline: undefined,
            firmware: {
                code: "/usr/share/OVMF/OVMF_CODE_4M.fd",
                varsTemplate: "/usr/share/OVMF/OVMF_VARS_4M.fd",
                nvram: "/var/lib/isobench/guests/isobench-quick-kvm-0.VARS.fd",
            },
        },
    ],
];

const guest: GuestInput = {
    name: "isobench-quick-kvm-0",
    stack: "quick",
    vcpus: 2,
    memoryMiB: 2048,
    diskPath: "/var/lib/isobench/guests/isobench-quick-kvm-0.qcow2",
    kernel: "/var/lib/isobench/images/vmlinuz",
    initrd: "/var/lib/isobench/images/initrd.img",
    cmdline: "root=/dev/vda rw console=ttyS0",
    macAddress: "52:54:00:1b:00:01",
    serialLogPath: "/var/lib/isobench/guests/isobench-quick-kvm-0.serial.log",
    labels: { runId: "2026-01-01a" },
};
const kvmHost: GuestHostFacts = { accel: "kvm", vhostAvailable: true, hostCpuCount: 4 };
const tcgHost: GuestHostFacts = { accel: "tcg", vhostAvailable: false, hostCpuCount: 2 };

/** A minimal valid spec for renderer-level tests. */
const base: DomainSpec = {
    name: "g1",
    accel: "kvm",
    vcpus: 2,
    memoryMiB: 1024,
    cpuModel: "default",
    diskPath: "/tmp/g1.qcow2",
    diskCache: "default",
    vhost: false,
    metadata: { stack: "s", environment: "kvm-untuned" },
};

function compareWithFixture(file: string, actual: string): void {
    const p = path.join(FIXTURES, file);
    if (process.env.ISOBENCH_UPDATE_FIXTURES === "1") {
        fs.mkdirSync(FIXTURES, { recursive: true });
        fs.writeFileSync(p, actual);
        return;
    }
    assert.ok(fs.existsSync(p), `fixture ${p} is missing; create it with ISOBENCH_UPDATE_FIXTURES=1 and review it`);
    assert.equal(actual, fs.readFileSync(p, "utf8"), `rendered XML differs from ${p}`);
}

function throwsMatching(fn: () => unknown, type: new (...a: never[]) => Error, ...patterns: RegExp[]): void {
    assert.throws(fn, (e: unknown) => {
        assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
        for (const p of patterns) assert.match((e as Error).message, p);
        return true;
    });
}

describe("kvm domain XML", () => {
    describe("fixtures (full XML per preset)", () => {
        it("kvm-untuned under kvm", () => {
            compareWithFixture("kvm-untuned.xml", renderDomainXml(resolveDomainSpec(kvmUntuned, guest, kvmHost)));
        });
        it("kvm-tuned under kvm (4 host CPUs, vhost-net present)", () => {
            compareWithFixture("kvm-tuned.xml", renderDomainXml(resolveDomainSpec(kvmTuned, guest, kvmHost)));
        });
        it("kvm-tuned under tcg (2 host CPUs, vhost: false)", () => {
            const spec = resolveDomainSpec(kvmTuned, guest, tcgHost, { vhost: false });
            compareWithFixture("kvm-tuned-tcg.xml", renderDomainXml(spec));
        });
    });

    describe("fixtures (one per knob, on kvm-untuned)", () => {
        for (const [knob, overrides, g] of KNOB_CASES) {
            it(knob, () => {
                compareWithFixture(`knob-${knob}.xml`, renderDomainXml(resolveDomainSpec(kvmUntuned, { ...guest, ...g }, kvmHost, overrides)));
            });
        }
        it("knob variants are recorded in the variant key", () => {
            const key = (o: KvmOverrides, g: Partial<GuestInput> = {}) => kvmVariantKey(resolveDomainSpec(kvmUntuned, { ...guest, ...g }, kvmHost, o));
            assert.equal(
                key({ diskBus: "virtio-scsi", iothreads: 1, iothreadPin: "1", numaNodes: 2, netQueues: 2 }),
                "cpu=default;pin=none;net=qemu;disk=cache-default;bus=scsi;iothreads=1;iopin=1;numa=2;queues=2",
            );
            assert.equal(key({}), "cpu=default;pin=none;net=qemu;disk=cache-default", "qcow2 and direct kernel boot are the unnamed defaults");
            assert.equal(key({ diskFormat: "raw" }), "cpu=default;pin=none;net=qemu;disk=cache-default;fmt=raw");
            const noKernel = { kernel: undefined, initrd: undefined, cmdline: undefined };
            assert.equal(
                key({}, { ...noKernel, firmware: { code: "/c", varsTemplate: "/v", nvram: "/n" } }),
                "cpu=default;pin=none;net=qemu;disk=cache-default;boot=bootloader-uefi",
            );
            assert.equal(key({}, noKernel), "cpu=default;pin=none;net=qemu;disk=cache-default;boot=bootloader-bios");
            assert.equal(
                key({ diskFormat: "raw" }, { ...noKernel, firmware: { code: "/c", varsTemplate: "/v", nvram: "/n" } }),
                "cpu=default;pin=none;net=qemu;disk=cache-default;fmt=raw;boot=bootloader-uefi",
            );
        });
        it("refuses knobs libvirt would reject or ignore", () => {
            throwsMatching(() => renderDomainXml({ ...base, numaNodes: 3 }), DomainSpecError, /numaNodes: must be an integer between 1 and vcpus \(2\)/);
            throwsMatching(
                () => renderDomainXml({ ...base, vcpus: 2, memoryMiB: 1025, numaNodes: 2 }),
                DomainSpecError,
                /must divide vcpus \(2\) and memoryMiB \(1025\)/,
            );
            throwsMatching(() => renderDomainXml({ ...base, netQueues: 4 }), DomainSpecError, /netQueues: must be an integer between 1 and vcpus/);
            throwsMatching(() => renderDomainXml({ ...base, iothreadPin: "0" }), DomainSpecError, /iothreadPin: is set but iothreads is 0/);
        });
        it("ht-siblings pinning puts vCPU pairs on hyperthreads of one core", () => {
            assert.deepEqual(
                htSiblingPinning("kvm-tuned", 4, [
                    [0, 16],
                    [1, 17],
                    [2, 18],
                ]),
                [0, 16, 1, 17],
            );
            // Without SMT: a core of its own for each vCPU; a guest topology of two threads per core cannot be honoured.
            assert.deepEqual(htSiblingPinning("kvm-tuned", 2, [[0], [1]]), [0, 1]);
            throwsMatching(
                () => htSiblingPinning("kvm-tuned", 2, [[0], [1]], undefined, { sockets: 1, cores: 1, threads: 2 }),
                KvmPresetError,
                /on a host without hyperthreads \(lscpu: Thread\(s\) per core: 1\) pinning "ht-siblings" gives each vCPU a host core of its own, but the guest's topology has 2 threads per core; give the host's topology \(topology: host\)/,
            );
            throwsMatching(() => htSiblingPinning("kvm-tuned", 3, [[0], [1]]), KvmPresetError, /3 vCPUs need at most 2, the host's cores/);
            throwsMatching(
                () =>
                    htSiblingPinning("kvm-tuned", 3, [
                        [0, 2],
                        [1, 3],
                    ]),
                KvmPresetError,
                /3 vCPUs need an even count of at most 4/,
            );
        });
        it("ht-siblings pinning takes the host's cores socket by socket, and puts each guest socket on a host socket of its own", () => {
            // A two-socket host that numbers its CPUs alternately: CPU c is on socket c % 2, its sibling c + 16.
            const cores = Array.from({ length: 16 }, (_, c) => [c, c + 16]);
            const packages = Array.from({ length: 32 }, (_, c) => (c % 16) % 2);
            const socket0 = [0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30];
            const socket1 = [1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31];
            assert.deepEqual(htSiblingPinning("kvm-tuned", 32, cores, packages, { sockets: 2, cores: 8, threads: 2 }), [...socket0, ...socket1]);
            // Without a topology of several sockets: the first socket's cores first.
            assert.deepEqual(htSiblingPinning("kvm-tuned", 4, cores, packages), [0, 16, 2, 18]);
            // Guest sockets of 4 cores: the first 4 hyperthreaded cores of each host socket.
            assert.deepEqual(htSiblingPinning("kvm-tuned", 16, cores, packages, { sockets: 2, cores: 4, threads: 2 }), [
                ...socket0.slice(0, 8),
                ...socket1.slice(0, 8),
            ]);
            // The same server with SMT off, and the guest's topology: host (2 sockets × 8 cores × 1 thread).
            const single = Array.from({ length: 16 }, (_, c) => [c]);
            assert.deepEqual(
                htSiblingPinning("kvm-tuned", 16, single, packages, { sockets: 2, cores: 8, threads: 1 }),
                [0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15],
            );
            throwsMatching(
                () => htSiblingPinning("kvm-tuned", 32, cores, undefined, { sockets: 2, cores: 8, threads: 2 }),
                KvmPresetError,
                /puts each of the guest's 2 sockets on a host socket of its own, with 8 cores of two threads each; this host has 1 socket\(s\) with 16 such cores\. Give a topology this host has \(topology: host\)/,
            );
        });
    });

    describe("pinning", () => {
        it("has no <cputune> when nothing is pinned", () => {
            const xml = renderDomainXml(base);
            assert.doesNotMatch(xml, /cputune|vcpupin|emulatorpin/);
        });
        it("pins vCPU i to pinning[i]", () => {
            const xml = renderDomainXml({ ...base, pinning: [3, 1] });
            assert.match(xml, /<cputune>\n\s+<vcpupin vcpu='0' cpuset='3'\/>\n\s+<vcpupin vcpu='1' cpuset='1'\/>\n\s+<\/cputune>/);
            assert.doesNotMatch(xml, /emulatorpin/);
        });
        it("renders emulator pinning alone", () => {
            const xml = renderDomainXml({ ...base, emulatorPin: "0" });
            assert.match(xml, /<cputune>\n\s+<emulatorpin cpuset='0'\/>\n\s+<\/cputune>/);
            assert.doesNotMatch(xml, /vcpupin/);
        });
        it("kvm-untuned declares none, kvm-tuned pins every vCPU and the emulator", () => {
            assert.doesNotMatch(renderDomainXml(resolveDomainSpec(kvmUntuned, guest, kvmHost)), /cputune/);
            const tuned = resolveDomainSpec(kvmTuned, guest, kvmHost);
            assert.deepEqual(tuned.pinning, [1, 2]);
            assert.equal(tuned.emulatorPin, "0,3");
        });
        it("kvm-tuned uses every host CPU when the guest is as large as the host", () => {
            const spec = resolveDomainSpec(kvmTuned, guest, tcgHost, { vhost: false });
            assert.deepEqual(spec.pinning, [0, 1]);
            assert.equal(spec.emulatorPin, "0-1");
            assert.match(kvmVariantKey(spec), /pin=1:1;emu=shared/);
        });
        it("explicit hostCpus and hostCpus: false", () => {
            const explicit = resolveDomainSpec(kvmTuned, guest, kvmHost, { hostCpus: [2, 3] });
            assert.deepEqual(explicit.pinning, [2, 3]);
            assert.equal(explicit.emulatorPin, "0-1");
            const none = resolveDomainSpec(kvmTuned, guest, kvmHost, { hostCpus: false });
            assert.equal(none.pinning, undefined);
            assert.equal(none.emulatorPin, undefined);
            assert.doesNotMatch(renderDomainXml(none), /cputune/);
        });
    });

    describe("network backend", () => {
        it("vhost: false writes <driver name='qemu'/> and nothing about vhost", () => {
            const xml = renderDomainXml(base);
            assert.match(xml, /<interface type='network'>[\s\S]*<driver name='qemu'\/>[\s\S]*<\/interface>/);
            assert.doesNotMatch(xml, /name='vhost'/);
        });
        it("vhost: true writes <driver name='vhost'/>", () => {
            const xml = renderDomainXml({ ...base, vhost: true });
            assert.match(xml, /<driver name='vhost'\/>/);
            assert.doesNotMatch(xml, /<driver name='qemu'\/>/);
        });
        it("presets: vhost only in kvm-tuned", () => {
            assert.equal(resolveDomainSpec(kvmUntuned, guest, kvmHost).vhost, false);
            assert.equal(resolveDomainSpec(kvmTuned, guest, kvmHost).vhost, true);
        });
        it("network defaults to 'default', MAC is rendered lower-case", () => {
            const xml = renderDomainXml({ ...base, macAddress: "52:54:00:AB:CD:EF" });
            assert.match(xml, /<source network='default'\/>/);
            assert.match(xml, /<mac address='52:54:00:ab:cd:ef'\/>/);
        });
    });

    describe("CPU, disk, memory, boot", () => {
        it("maps accel to the domain type", () => {
            assert.match(renderDomainXml(base), /^<domain type='kvm'>/);
            assert.match(renderDomainXml({ ...base, accel: "tcg" }), /^<domain type='qemu'>/);
        });
        it("renders CPU models", () => {
            assert.doesNotMatch(renderDomainXml(base), /<cpu/);
            assert.match(renderDomainXml({ ...base, cpuModel: "host-passthrough" }), /<cpu mode='host-passthrough' check='none' migratable='off'>/);
            assert.match(
                renderDomainXml({ ...base, cpuModel: { named: "qemu64" } }),
                /<cpu mode='custom' match='exact'>\n\s+<model fallback='forbid'>qemu64<\/model>/,
            );
            assert.match(renderDomainXml({ ...base, accel: "tcg", cpuModel: { named: "max" } }), /<cpu mode='maximum' check='none' migratable='off'>/);
            assert.match(
                renderDomainXml({ ...base, topology: { sockets: 1, cores: 2, threads: 1 } }),
                /<cpu>\n\s+<topology sockets='1' cores='2' threads='1'\/>\n\s+<\/cpu>/,
            );
        });
        it("kvm-tuned falls back to the named model max only under tcg", () => {
            assert.equal(resolveDomainSpec(kvmTuned, guest, kvmHost).cpuModel, "host-passthrough");
            assert.deepEqual(resolveDomainSpec(kvmTuned, guest, tcgHost, { vhost: false }).cpuModel, { named: "max" });
            assert.equal(resolveDomainSpec(kvmUntuned, guest, tcgHost).cpuModel, "default");
        });
        it("renders disk cache and io only when set", () => {
            assert.match(renderDomainXml(base), /<driver name='qemu' type='qcow2'\/>/);
            assert.match(renderDomainXml({ ...base, diskCache: "none", diskIo: "native" }), /<driver name='qemu' type='qcow2' cache='none' io='native'\/>/);
            assert.match(
                renderDomainXml({ ...base, diskCache: "writeback", diskIo: "threads" }),
                /<driver name='qemu' type='qcow2' cache='writeback' io='threads'\/>/,
            );
        });
        it("renders hugepages only when requested", () => {
            assert.doesNotMatch(renderDomainXml(base), /memoryBacking/);
            assert.match(renderDomainXml({ ...base, hugepages: true }), /<memoryBacking>\n\s+<hugepages\/>\n\s+<\/memoryBacking>/);
        });
        it("boots from disk without a kernel, directly with one", () => {
            assert.match(renderDomainXml(base), /<boot dev='hd'\/>/);
            const xml = renderDomainXml({ ...base, kernel: "/k", initrd: "/i", cmdline: "console=ttyS0" });
            assert.match(xml, /<kernel>\/k<\/kernel>\n\s+<initrd>\/i<\/initrd>\n\s+<cmdline>console=ttyS0<\/cmdline>/);
            assert.doesNotMatch(xml, /<boot/);
        });
        it("renders the disk format: qcow2 unless raw is asked for", () => {
            assert.match(renderDomainXml({ ...base, diskFormat: "qcow2" }), /<driver name='qemu' type='qcow2'\/>/);
            assert.match(
                renderDomainXml({ ...base, diskFormat: "raw", diskCache: "none", diskIo: "native" }),
                /<driver name='qemu' type='raw' cache='none' io='native'\/>/,
            );
            assert.equal(
                resolveDomainSpec(kvmUntuned, guest, kvmHost, { diskFormat: "qcow2" }).diskFormat,
                undefined,
                "qcow2 is the default and not written into the spec",
            );
            assert.equal(resolveDomainSpec(kvmUntuned, guest, kvmHost, { diskFormat: "raw" }).diskFormat, "raw");
        });
        it("boots through UEFI pflash firmware with the guest's own variable store, without kernel", () => {
            const xml = renderDomainXml({ ...base, firmware: { code: "/fw/CODE.fd", varsTemplate: "/fw/VARS.fd", nvram: "/g/g1.VARS.fd" } });
            assert.match(
                xml,
                /<os>\n\s+<type arch='x86_64' machine='q35'>hvm<\/type>\n\s+<loader readonly='yes' type='pflash'>\/fw\/CODE\.fd<\/loader>\n\s+<nvram template='\/fw\/VARS\.fd'>\/g\/g1\.VARS\.fd<\/nvram>\n\s+<boot dev='hd'\/>\n\s+<\/os>/,
            );
            assert.doesNotMatch(xml, /<kernel>|<initrd>|<cmdline>/);
        });
        it("uses a file serial console when a log path is given, else a pty", () => {
            assert.match(renderDomainXml({ ...base, serialLogPath: "/tmp/s.log" }), /<serial type='file'>\n\s+<source path='\/tmp\/s.log'\/>/);
            assert.match(renderDomainXml(base), /<serial type='pty'>/);
        });
        it("is q35 with a virtio disk and NIC and no hand-made PCI addresses", () => {
            const xml = renderDomainXml(base);
            assert.match(xml, /machine='q35'/);
            assert.match(xml, /<target dev='vda' bus='virtio'\/>/);
            assert.match(xml, /<model type='virtio'\/>/);
            assert.doesNotMatch(xml, /<address /);
        });
    });

    describe("metadata and escaping", () => {
        it("records stack, environment, variant, accel and labels in the isobench namespace", () => {
            const spec = resolveDomainSpec(kvmTuned, guest, kvmHost);
            const xml = renderDomainXml(spec);
            assert.match(
                xml,
                /<isobench:env xmlns:isobench='https:\/\/isobench.dev\/xmlns\/1' stack='quick' environment='kvm-tuned' variant='[^']+' accel='kvm'>/,
            );
            assert.ok(xml.includes(`variant='${kvmVariantKey(spec)}'`));
            assert.match(xml, /<isobench:label name='runId' value='2026-01-01a'\/>/);
            assert.match(xml, /<description>isobench kvm-tuned guest of stack quick \(accel=kvm; cpu=host-passthrough;/);
        });
        it("escapes attribute and text values", () => {
            const nasty = `a&b<c>"d'e`;
            const xml = renderDomainXml({
                ...base,
                diskPath: "/tmp/x&y's <disk>.qcow2",
                kernel: "/k&<>",
                cmdline: `init=/bin/sh -c "a<b && c>d"`,
                serialLogPath: `/tmp/"q".log`,
                metadata: { stack: nasty, environment: "kvm-untuned", description: nasty, labels: { [nasty]: "tab\there\nline" } },
            });
            assert.ok(xml.includes("<source file='/tmp/x&amp;y&apos;s &lt;disk&gt;.qcow2'/>"));
            assert.ok(xml.includes("<kernel>/k&amp;&lt;&gt;</kernel>"));
            assert.ok(xml.includes(`<cmdline>init=/bin/sh -c "a&lt;b &amp;&amp; c&gt;d"</cmdline>`));
            assert.ok(xml.includes("<source path='/tmp/&quot;q&quot;.log'/>"));
            assert.ok(xml.includes("stack='a&amp;b&lt;c&gt;&quot;d&apos;e'"));
            assert.ok(xml.includes(`<description>a&amp;b&lt;c&gt;"d'e</description>`));
            assert.ok(xml.includes("<isobench:label name='a&amp;b&lt;c&gt;&quot;d&apos;e' value='tab&#9;here&#10;line'/>"));
            // No raw specials survive inside attribute values.
            for (const m of xml.matchAll(/='([^']*)'/g)) assert.doesNotMatch(m[1], /[<>&"](?!(amp|lt|gt|quot|apos|#\d+);)/);
        });
        it("escape helpers", () => {
            assert.equal(escapeXmlText(`<a href="x">&'`), `&lt;a href="x"&gt;&amp;'`);
            assert.equal(escapeXmlAttr(`<"'&>\r`), "&lt;&quot;&apos;&amp;&gt;&#13;");
            for (const v of [`<"'&>\r\n\t`, "&amp; is already escaped", "plain"]) assert.equal(unescapeXml(escapeXmlAttr(v)), v);
            assert.equal(unescapeXml("&#x41;&#66;&unknown;"), "AB&unknown;");
        });
        it("refuses characters XML cannot carry", () => {
            throwsMatching(
                () => renderDomainXml({ ...base, metadata: { stack: "a\u0001b", environment: "e" } }),
                DomainSpecError,
                /metadata\.stack/,
                /U\+0001/,
            );
        });
    });

    describe("renderer validation", () => {
        const cases: Array<[string, Partial<DomainSpec> | Record<string, unknown>, RegExp[]]> = [
            ["vcpus 0", { vcpus: 0 }, [/vcpus/, />= 1/]],
            ["fractional vcpus", { vcpus: 1.5 }, [/vcpus/]],
            ["memory below 128 MiB", { memoryMiB: 64 }, [/memoryMiB/, />= 128/]],
            ["pinning shorter than vcpus", { pinning: [0] }, [/pinning/, /1 entries but vcpus is 2/]],
            ["negative host CPU", { pinning: [0, -1] }, [/pinning/, /vCPU 1/]],
            ["host-passthrough under tcg", { accel: "tcg", cpuModel: "host-passthrough" }, [/host-passthrough is not usable under accel=tcg/, /named/]],
            ["io=native with default cache", { diskIo: "native" }, [/io=native requires diskCache "none"/]],
            ["io=native with writeback", { diskIo: "native", diskCache: "writeback" }, [/io=native requires/]],
            ["vhost under tcg", { accel: "tcg", vhost: true }, [/vhost/, /type='qemu'/]],
            ["topology mismatch", { topology: { sockets: 2, cores: 2, threads: 1 } }, [/topology/, /= 4, but vcpus is 2/]],
            ["initrd without kernel", { initrd: "/i" }, [/initrd/, /kernel/]],
            ["cmdline without kernel", { cmdline: "x" }, [/cmdline/]],
            ["relative disk path", { diskPath: "g.qcow2" }, [/diskPath/, /absolute/]],
            ["unknown disk format", { diskFormat: "vmdk" }, [/diskFormat: must be "qcow2" or "raw", got "vmdk"/]],
            ["firmware with a kernel", { kernel: "/k", firmware: { code: "/c", varsTemplate: "/v", nvram: "/n" } }, [/firmware: is set together with kernel/]],
            ["relative nvram path", { firmware: { code: "/c", varsTemplate: "/v", nvram: "n.fd" } }, [/firmware\.nvram/, /absolute/]],
            ["bad name", { name: "a/b" }, [/name/]],
            ["bad MAC", { macAddress: "52:54:00:00:00" }, [/macAddress/]],
            ["multicast MAC", { macAddress: "01:00:5e:00:00:01" }, [/multicast/]],
            ["bad emulator cpuset", { emulatorPin: "0-" }, [/emulatorPin/, /cpuset/]],
            ["mode as model name", { cpuModel: { named: "host-passthrough" } }, [/mode, not a model/]],
            ["vhost not boolean", { vhost: undefined }, [/vhost/]],
            ["missing environment", { metadata: { stack: "s", environment: "" } }, [/metadata\.environment/]],
        ];
        for (const [title, patch, patterns] of cases) {
            it(`refuses ${title}`, () => {
                throwsMatching(() => renderDomainXml({ ...base, ...patch } as DomainSpec), DomainSpecError, ...patterns);
            });
        }
    });

    describe("preset resolution refusals", () => {
        it("vhost requested but /dev/vhost-net missing names the device and the fix", () => {
            throwsMatching(
                () => resolveDomainSpec(kvmTuned, guest, { ...kvmHost, vhostAvailable: false }),
                KvmPresetError,
                /^kvm-tuned: /,
                /\/dev\/vhost-net/,
                /modprobe vhost_net/,
            );
        });
        it("vhost under tcg must be turned off explicitly", () => {
            throwsMatching(() => resolveDomainSpec(kvmTuned, guest, tcgHost), KvmPresetError, /tcg/, /vhost: false/);
        });
        it("pinning to a host CPU that does not exist", () => {
            throwsMatching(() => resolveDomainSpec(kvmTuned, guest, kvmHost, { hostCpus: [0, 7] }), KvmPresetError, /vCPU 1 to host CPU 7/, /CPUs 0-3 only/);
        });
        it("1:1 pinning of more vCPUs than host CPUs", () => {
            throwsMatching(() => resolveDomainSpec(kvmTuned, { ...guest, vcpus: 3 }, tcgHost, { vhost: false }), KvmPresetError, /3 vCPUs/, /CPUs 0-1 only/);
        });
        it("hostCpus of the wrong length", () => {
            throwsMatching(() => resolveDomainSpec(kvmTuned, guest, kvmHost, { hostCpus: [0] }), KvmPresetError, /1 host CPUs for 2 vCPUs/);
        });
        it("emulator pinned to a missing host CPU", () => {
            throwsMatching(() => resolveDomainSpec(kvmTuned, guest, kvmHost, { emulatorPin: "0,9" }), KvmPresetError, /emulatorPin "0,9"/, /host CPU 9/);
        });
        it("explicit host-passthrough under tcg", () => {
            throwsMatching(
                () => resolveDomainSpec(kvmUntuned, guest, tcgHost, { cpuModel: "host-passthrough" }),
                KvmPresetError,
                /host-passthrough/,
                /named model/,
            );
        });
        it("io=native override without cache=none", () => {
            throwsMatching(() => resolveDomainSpec(kvmUntuned, guest, kvmHost, { diskIo: "native" }), DomainSpecError, /io=native requires/);
        });
    });

    describe("kvmVariantKey", () => {
        it("kvm-tuned under kvm", () => {
            assert.equal(
                kvmVariantKey(resolveDomainSpec(kvmTuned, guest, kvmHost)),
                "cpu=host-passthrough;topo=cores;pin=1:1;emu=separate;net=vhost;disk=cache-none;io=native",
            );
        });
        it("kvm-tuned under tcg records what changed", () => {
            assert.equal(
                kvmVariantKey(resolveDomainSpec(kvmTuned, guest, tcgHost, { vhost: false })),
                "cpu=max;topo=cores;pin=1:1;emu=shared;net=qemu;disk=cache-none;io=native",
            );
        });
        it("kvm-untuned, and accel is not part of the key", () => {
            const k = kvmVariantKey(resolveDomainSpec(kvmUntuned, guest, kvmHost));
            assert.equal(k, "cpu=default;pin=none;net=qemu;disk=cache-default");
            assert.equal(kvmVariantKey(resolveDomainSpec(kvmUntuned, guest, tcgHost)), k);
        });
        it("does not depend on guest size", () => {
            const big: GuestHostFacts = { ...kvmHost, hostCpuCount: 16 };
            const one = kvmVariantKey(resolveDomainSpec(kvmTuned, { ...guest, vcpus: 1 }, big));
            const four = kvmVariantKey(resolveDomainSpec(kvmTuned, { ...guest, vcpus: 4 }, big));
            assert.equal(one, four);
        });
        it("records hugepages, shared pinning and odd topologies", () => {
            assert.match(kvmVariantKey(resolveDomainSpec(kvmTuned, guest, kvmHost, { hugepages: true })), /;mem=hugepages$/);
            assert.match(kvmVariantKey({ ...base, pinning: [0, 0] }), /pin=shared/);
            assert.match(kvmVariantKey({ ...base, vcpus: 4, topology: { sockets: 2, cores: 1, threads: 2 } }), /topo=2s1c2t/);
            assert.match(kvmVariantKey({ ...base, topology: { sockets: 2, cores: 1, threads: 1 } }), /topo=sockets/);
            assert.match(kvmVariantKey({ ...base, emulatorPin: "0" }), /emu=pinned/);
            assert.match(kvmVariantKey({ ...base, cpuModel: { named: "EPYC" } }), /^cpu=EPYC;/);
        });
    });

    describe("cpuset", () => {
        it("parses and formats", () => {
            assert.deepEqual(parseCpuset("0-3,^2,6"), [0, 1, 3, 6]);
            assert.equal(formatCpuset([5, 0, 1, 2, 2]), "0-2,5");
            assert.throws(() => parseCpuset("3-1"), /reversed/);
            assert.throws(() => parseCpuset("^1"), /names no host CPU/);
            assert.throws(() => parseCpuset("a"), /not a cpuset/);
        });
    });
});
