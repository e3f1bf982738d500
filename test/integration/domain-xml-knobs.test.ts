/**
 * Every knob fixture of test/fixtures/domain-xml (one knob each, see test/unit/domain-xml.test.ts)
 * against libvirt's own validation: virt-xml-validate, then `virsh define` on the real daemon and
 * `virsh undefine`. Domains are named isobench-it3x<pid>-<knob> and never started.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { attempt, virshArgv } from "../../environments/process";

const FIXTURES = path.join(__dirname, "..", "fixtures", "domain-xml");
const PREFIX = process.env.ISOBENCH_IT_PREFIX ?? `isobench-it3x${process.pid}-`;

describe("knob fixtures against libvirt (integration)", function () {
    this.timeout(120_000);
    // Made in a hook: a describe body runs even when --grep selects none of its tests,
    // and then no after hook would remove it.
    let dir = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-it3x-"));
    });
    const defined: string[] = [];

    after(() => {
        for (const n of defined) attempt(virshArgv(30, "undefine", "--nvram", n), 60);
        fs.rmSync(dir, { recursive: true, force: true });
        const left = attempt(virshArgv(30, "list", "--all", "--name"), 60)
            .stdout.split("\n")
            .filter((n) => n.startsWith(PREFIX));
        assert.deepEqual(left, [], "no knob domain is left defined");
    });

    for (const f of fs
        .readdirSync(FIXTURES)
        .filter((x) => x.startsWith("knob-"))
        .sort()) {
        it(f, () => {
            const name = PREFIX + f.replace(/^knob-|\.xml$/g, "");
            const file = path.join(dir, f);
            fs.writeFileSync(file, fs.readFileSync(path.join(FIXTURES, f), "utf8").replace(/<name>[^<]*<\/name>/, `<name>${name}</name>`));
            const v = attempt(["virt-xml-validate", file, "domain"], 60);
            assert.equal(v.status, 0, `virt-xml-validate rejected ${f}: ${v.stdout}${v.stderr}`);
            const d = attempt(virshArgv(30, "define", file), 60);
            assert.equal(d.status, 0, `virsh define rejected ${f}: ${d.stdout}${d.stderr}`);
            defined.push(name);
            const xml = attempt(virshArgv(30, "dumpxml", "--inactive", name), 60).stdout;
            if (f.includes("scsi")) assert.match(xml, /<controller type='scsi' index='0' model='virtio-scsi'>\s*<driver iothread='1'\/>/);
            if (f.includes("numa")) assert.match(xml, /<cell id='1' cpus='1' memory='1048576' unit='KiB'\/>/);
            if (f.includes("queues")) assert.match(xml, /<driver name='vhost' queues='2'\/>/);
            if (f.includes("iothreads")) assert.match(xml, /<iothreadpin iothread='1' cpuset='1'\/>/);
            if (f.includes("disk-raw")) assert.match(xml, /<driver name='qemu' type='raw'\/>/);
            if (f.includes("bootloader-uefi"))
                assert.match(
                    xml,
                    /<loader readonly='yes' type='pflash'>\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd<\/loader>\s*<nvram template='\/usr\/share\/OVMF\/OVMF_VARS_4M\.fd'>/,
                );
        });
    }
});
