/**
 * Rendered domain XML against the real libvirt daemon: virt-xml-validate (when installed), then
 * `virsh define`, `virsh dumpxml` checks, and `virsh undefine` in an after hook. Guests are only
 * defined, never started, so no disk, kernel or CPU time is needed. Both presets are rendered for
 * accel=tcg (software emulation works on every host; kvm-tuned then uses `vhost: false`).
 * Skips with a message when libvirtd is not reachable at LIBVIRT_DEFAULT_URI / qemu:///system.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderDomainXml } from "../../environments/kvm/domain-xml";
import { domainFacts, kvmCloneXml } from "../../environments/clone";
import { escapeXmlAttr } from "../../core/xml";
import { GuestInput, KvmOverrides, KvmPreset, kvmTuned, kvmUntuned, resolveDomainSpec } from "../../environments/kvm/presets";

const URI = process.env.LIBVIRT_DEFAULT_URI ?? "qemu:///system";
const RUN = `isobench-test-${process.pid}-${Date.now().toString(36)}`;

/** Runs virsh under a timeout (a hung daemon fails the test instead of hanging it). */
function virsh(...args: string[]): string {
    return execFileSync("virsh", ["-c", URI, ...args], { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
}

function hasCommand(cmd: string): boolean {
    try {
        execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

describe("domain XML against libvirt (integration)", function () {
    this.timeout(60_000);
    const defined: string[] = [];
    let dir = "";

    before(function () {
        if (!hasCommand("virsh")) {
            console.log("      skipping: virsh is not installed (apt-get install libvirt-clients)");
            this.skip();
        }
        try {
            virsh("list", "--all", "--name");
        } catch (e) {
            const err = e as { stderr?: string; message: string };
            console.log(`      skipping: libvirtd is not reachable at ${URI} (start it: virtlogd -d; libvirtd -d): ${(err.stderr || err.message).trim()}`);
            this.skip();
        }
        if (os.cpus().length < 2) {
            console.log("      skipping: the pinning check needs at least 2 host CPUs");
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), `${RUN}-`));
    });

    after(function () {
        const failures: string[] = [];
        for (const name of defined) {
            try {
                virsh("undefine", "--nvram", name);
            } catch {
                try {
                    virsh("undefine", name);
                } catch (e) {
                    failures.push(`${name}: ${(e as Error).message}`);
                }
            }
        }
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
        // Never leave a domain behind silently.
        const left = defined.filter((n) => virsh("list", "--all", "--name").split("\n").includes(n));
        assert.deepEqual(left, [], `domains left defined: ${left.join(", ")}; ${failures.join("; ")}`);
    });

    function defineAndDump(suffix: string, preset: KvmPreset, guest: Partial<GuestInput>, overrides: KvmOverrides): string {
        const name = `${RUN}-${suffix}`;
        const spec = resolveDomainSpec(
            preset,
            {
                name,
                stack: "integration",
                vcpus: 2,
                memoryMiB: 256,
                diskPath: path.join(dir, `${name}.qcow2`),
                kernel: path.join(dir, "vmlinuz"),
                initrd: path.join(dir, "initrd.img"),
                cmdline: "root=/dev/vda rw console=ttyS0",
                serialLogPath: path.join(dir, `${name}.serial.log`),
                labels: { runId: RUN },
                ...guest,
            },
            { accel: "tcg", vhostAvailable: fs.existsSync("/dev/vhost-net"), hostCpuCount: os.cpus().length },
            overrides,
        );
        const file = path.join(dir, `${name}.xml`);
        fs.writeFileSync(file, renderDomainXml(spec));
        if (hasCommand("virt-xml-validate")) {
            // Exit status 0 = valid against libvirt's RelaxNG schema (it reports "validates" on stderr).
            try {
                execFileSync("virt-xml-validate", [file, "domain"], { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
            } catch (e) {
                const err = e as { stdout?: string; stderr?: string };
                assert.fail(`virt-xml-validate rejected ${file}:\n${err.stdout ?? ""}${err.stderr ?? ""}`);
            }
        }
        virsh("define", file);
        defined.push(name);
        return virsh("dumpxml", "--inactive", name);
    }

    it("kvm-tuned under tcg: vCPUs 0,1 pinned to host CPUs 0,1, emulator pinned, userspace virtio-net", () => {
        const xml = defineAndDump("tuned", kvmTuned, {}, { vhost: false, hostCpus: [0, 1] });
        assert.match(xml, /<domain type='qemu'/);
        assert.match(xml, /<vcpupin vcpu='0' cpuset='0'\/>/);
        assert.match(xml, /<vcpupin vcpu='1' cpuset='1'\/>/);
        assert.match(xml, /<emulatorpin cpuset='[0-9,-]+'\/>/);
        assert.match(xml, /<cpu mode='maximum' check='none' migratable='off'>/);
        assert.match(xml, /<topology sockets='1' dies='1' cores='2' threads='1'\/>/);
        assert.match(xml, /<driver name='qemu' type='qcow2' cache='none' io='native'\/>/);
        assert.match(xml, /<interface type='network'>[\s\S]*?<driver name='qemu'\/>[\s\S]*?<\/interface>/);
        assert.match(xml, /<isobench:env [^>]*environment=["']kvm-tuned["']/);
    });

    it("kvm-untuned under tcg: no pinning, default CPU and cache, userspace virtio-net", () => {
        const xml = defineAndDump("untuned", kvmUntuned, {}, {});
        assert.doesNotMatch(xml, /vcpupin|emulatorpin/);
        // libvirt (9.0) writes QEMU's default model out as <model fallback='forbid'>qemu64</model>.
        assert.doesNotMatch(xml, /host-passthrough|mode='maximum'|<topology/);
        const model = /<model fallback='forbid'>([^<]+)<\/model>/.exec(xml);
        if (model) assert.equal(model[1], "qemu64");
        assert.match(xml, /<driver name='qemu' type='qcow2'\/>/);
        assert.match(xml, /<interface type='network'>[\s\S]*?<driver name='qemu'\/>[\s\S]*?<\/interface>/);
        assert.doesNotMatch(xml, /vhost/);
    });

    it("libvirt puts the NIC on PCI bus 1, which a systemd guest names enp1s0", () => {
        const xml = virsh("dumpxml", "--inactive", `${RUN}-untuned`);
        const iface = /<interface type='network'>[\s\S]*?<\/interface>/.exec(xml)?.[0] ?? "";
        assert.match(iface, /<address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'\/>/);
    });

    it("escaped values come back unchanged from libvirt", () => {
        const nasty = `a&b<c>"d'e`;
        defineAndDump("escape", kvmUntuned, { stack: nasty, labels: { [nasty]: nasty } }, {});
        const desc = virsh("desc", `${RUN}-escape`, "--config").trim();
        assert.ok(desc.includes(`stack ${nasty} (`), `description was: ${desc}`);
        const md = virsh("metadata", `${RUN}-escape`, "https://isobench.dev/xmlns/1", "--config");
        assert.ok(md.includes('stack="a&amp;b&lt;c&gt;&quot;d\'e"'), `metadata was: ${md}`);
    });

    // The clone finds the original's paths in libvirt's own output by escaping them as libvirt does
    // (core/xml.ts): a mismatch would leave the clone writing to the original's serial log.
    it("paths with XML specials: libvirt escapes them as core/xml.ts does, and a clone of the dumped XML rewrites every one", () => {
        const nasty = `p&q<r>"s't`;
        const diskPath = path.join(dir, `${nasty}.qcow2`);
        const serialLogPath = path.join(dir, `${nasty}.serial.log`);
        const xml = defineAndDump("paths", kvmUntuned, { diskPath, serialLogPath }, {});
        assert.ok(xml.includes(`'${escapeXmlAttr(diskPath)}'`), `libvirt wrote the disk path otherwise:\n${xml}`);
        assert.ok(xml.includes(`'${escapeXmlAttr(serialLogPath)}'`), `libvirt wrote the serial path otherwise:\n${xml}`);
        assert.deepEqual(domainFacts(xml), { name: `${RUN}-paths`, diskPath, serialLogPath });
        const clone = kvmCloneXml(xml, 1);
        assert.ok(!clone.xml.includes(escapeXmlAttr(serialLogPath)), "the clone still names the original's serial log");
        const file = path.join(dir, "clone.xml");
        fs.writeFileSync(file, clone.xml);
        virsh("define", file);
        defined.push(clone.paths.name);
        const back = domainFacts(virsh("dumpxml", "--inactive", clone.paths.name));
        assert.deepEqual(back, { name: clone.paths.name, diskPath: clone.paths.diskPath, serialLogPath: clone.paths.serialLogPath });
    });
});
