/**
 * No silent emulation (issue 19 part 4): where KVM cannot boot guests, a stack runs its guests
 * under software emulation only when the run (`isobench up --allow-emulation`, which sets
 * ISOBENCH_ALLOW_EMULATION for the preflight and the Pulumi program) or the stack's own key allows
 * it, and the run's first line then says so.
 */
import * as assert from "node:assert/strict";
import { ALLOW_EMULATION_ENV, emulationAllowedBy, emulationBanner, guestAccel } from "../../experiment/host";
import { HostError } from "../../core/errors";
import { spawnSync } from "child_process";
import { cliCommand } from "../helpers/cli-build";

const BROKEN = { usable: false, detail: "/dev/kvm is missing or not accessible" };
const WORKING = { usable: true, detail: "a stock guest kernel booted under -accel kvm" };
const study = { stack: "flux7-2014", allowSoftwareEmulation: false };
const demo = { stack: "quick", allowSoftwareEmulation: true };

describe("software emulation only when allowed (experiment/host.ts)", () => {
    it("KVM that boots guests is used whatever is allowed", () => {
        assert.equal(guestAccel(study, WORKING, {}), "kvm");
        assert.equal(guestAccel(demo, WORKING, { [ALLOW_EMULATION_ENV]: "1" }), "kvm");
        assert.equal(emulationBanner(demo, "kvm", {}), undefined);
    });

    it("a study stack on a host without usable KVM is refused, naming the reason, the flag and the key", () => {
        assert.throws(
            () => guestAccel(study, BROKEN, {}),
            (e: Error) =>
                e instanceof HostError &&
                e.message.startsWith("KVM is requested but unusable: /dev/kvm is missing or not accessible. Fix: ") &&
                e.message.includes("`isobench up flux7-2014 --allow-emulation`") &&
                e.message.includes("isobench:allowSoftwareEmulation: true"),
        );
        // Only "1" allows it: an empty or other value is not a decision.
        assert.throws(() => guestAccel(study, BROKEN, { [ALLOW_EMULATION_ENV]: "" }), HostError);
        assert.throws(() => guestAccel(study, BROKEN, { [ALLOW_EMULATION_ENV]: "yes" }), HostError);
    });

    it("--allow-emulation (or the stack's key) emulates, and the run's first line says who allowed it", () => {
        const flag = { [ALLOW_EMULATION_ENV]: "1" };
        assert.equal(guestAccel(study, BROKEN, flag), "tcg");
        assert.equal(emulationAllowedBy(study, flag), "isobench up --allow-emulation");
        assert.match(
            emulationBanner(study, "tcg", flag)!,
            /^SOFTWARE EMULATION \(accel=tcg, allowed by isobench up --allow-emulation\): .*guest numbers are not KVM numbers/,
        );
        assert.equal(guestAccel(demo, BROKEN, {}), "tcg");
        assert.equal(emulationAllowedBy(demo, {}), "isobench:allowSoftwareEmulation: true in the stack");
        assert.match(emulationBanner(demo, "tcg", {})!, /^SOFTWARE EMULATION \(accel=tcg, allowed by isobench:allowSoftwareEmulation: true in the stack\)/);
        assert.equal(emulationAllowedBy(study, {}), undefined);
    });

    it("isobench up takes --allow-emulation anywhere after the command (a wrong stack is refused as a stack, not as arguments)", function () {
        this.timeout(120000);
        for (const args of [
            ["up", "nosuchstack", "--allow-emulation"],
            ["up", "--allow-emulation", "nosuchstack"],
        ]) {
            const { argv, env } = cliCommand(args);
            const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, ...env } });
            assert.equal(r.status, 1, r.stderr);
            assert.match(r.stderr, /unknown stack "nosuchstack"/);
        }
        // A second name is a second stack (up A B): every stack is read before any starts.
        const { argv, env } = cliCommand(["up", "quick", "--allow-emulation", "extra"]);
        const wrong = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: { ...process.env, ...env } });
        assert.equal(wrong.status, 1, wrong.stderr);
        assert.match(wrong.stderr, /unknown stack "extra"/);
    });
});
