/**
 * Pausing the guests a cell does not use, on the real libvirtd: three firmware-only guests (no disk,
 * so they start at once and sit in SeaBIOS) — two of stack "isbq<pid>" and one of stack
 * "isbq<pid>-small", whose guest names share the prefix — and quietGuests as the runner calls it,
 * with the stack's guests as the program lists them.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mustRun, run } from "../../environments/process";
import { quietGuests } from "../../environments/kvm/quiet-guests";
import { thisMachine } from "../../environments/transport";
import { leftoverResources } from "../helpers/leftovers";

const STACK = `isbq${process.pid}`;
const [X, Y, Z] = [`${STACK}-x`, `${STACK}-y`, `${STACK}-small-z`];
const MINE = [X, Y];
const GUESTS = [
    { name: X, stack: STACK, env: "x" },
    { name: Y, stack: STACK, env: "y" },
    { name: Z, stack: `${STACK}-small`, env: "z" },
];

function domainXml(g: (typeof GUESTS)[number]): string {
    return `<domain type='qemu'>
  <name>${g.name}</name>
  <metadata><isobench:env xmlns:isobench='https://isobench.dev/xmlns/1' stack='${g.stack}' environment='${g.env}' variant='' accel='tcg'/></metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices>
</domain>
`;
}

const state = (name: string) => mustRun(["virsh", "domstate", name], 30, `state of ${name}`).trim();

describe("quietGuests (real libvirtd)", function () {
    this.timeout(120_000);
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isbq-"));
        for (const g of GUESTS) {
            const f = path.join(dir, `${g.name}.xml`);
            fs.writeFileSync(f, domainXml(g));
            mustRun(["virsh", "create", f], 60, `starting ${g.name}`);
        }
    });

    after(() => {
        for (const g of GUESTS) run(["virsh", "destroy", g.name], 60);
        fs.rmSync(dir, { recursive: true, force: true });
        assert.deepEqual(leftoverResources(`${STACK}-`), []);
    });

    it("pauses the stack's other guests, keeps the cell's own, leaves other stacks alone", () => {
        const r = quietGuests(thisMachine(), MINE, X);
        assert.deepEqual(r, { paused: [Y], resumed: [], problems: [] });
        assert.equal(state(X), "running");
        assert.equal(state(Y), "paused");
        assert.equal(state(Z), "running", "a stack whose name starts the same is not touched");
    });

    it("a cell outside any guest pauses them all; the next guest cell resumes its own", () => {
        assert.deepEqual(quietGuests(thisMachine(), MINE, undefined), { paused: [X], resumed: [], problems: [] });
        assert.deepEqual(quietGuests(thisMachine(), MINE, Y), { paused: [], resumed: [Y], problems: [] });
        assert.equal(state(X), "paused");
        assert.equal(state(Y), "running");
        assert.deepEqual(quietGuests(thisMachine(), MINE, Y), { paused: [], resumed: [], problems: [] }, "nothing to do the second time");
    });

    it("a probe resumes its own guest and pauses nothing else", () => {
        assert.deepEqual(quietGuests(thisMachine(), [X], X), { paused: [], resumed: [X], problems: [] });
        assert.equal(state(Y), "running");
    });
});
