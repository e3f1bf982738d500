/**
 * What isobench keeps in .state stays root's: the folder and every folder under it 0700; the
 * passphrase that encrypts the stacks' secrets is the user's, or the default the checked-in stack
 * files were made with.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, ensurePrivateDir } from "../../core/paths";
import { DEFAULT_PASSPHRASE, passphraseEnv } from "../../experiment/pulumi-cli";

describe(".state: private folders, and the passphrase", () => {
    let tmp = "";
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-state-"));
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
    const mode = (p: string) => fs.lstatSync(p).mode & 0o777;

    it("makes the state folder and every folder under it 0700, keeps files' modes and does not follow links", () => {
        const state = path.join(tmp, ".state");
        const outside = path.join(tmp, "outside");
        fs.mkdirSync(path.join(state, "pulumi", ".pulumi", "stacks"), { recursive: true, mode: 0o755 });
        fs.mkdirSync(outside, { mode: 0o755 });
        fs.chmodSync(outside, 0o755);
        fs.writeFileSync(path.join(state, "kvm-probe.json"), "{}", { mode: 0o644 });
        fs.symlinkSync(outside, path.join(state, "link"));
        ensurePrivateDir(state);
        for (const d of [state, path.join(state, "pulumi"), path.join(state, "pulumi", ".pulumi"), path.join(state, "pulumi", ".pulumi", "stacks")])
            assert.equal(mode(d), 0o700, d);
        assert.equal(mode(path.join(state, "kvm-probe.json")), 0o644);
        assert.equal(mode(outside), 0o755, "a link's target is not the state's");
        const fresh = path.join(tmp, "new", ".state");
        ensurePrivateDir(fresh);
        assert.equal(mode(fresh), 0o700);
    });

    it("uses the user's passphrase, else the one the checked-in stack files were made with", () => {
        assert.deepEqual(passphraseEnv({ PULUMI_CONFIG_PASSPHRASE: "mine" }), { PULUMI_CONFIG_PASSPHRASE: "mine" });
        assert.deepEqual(passphraseEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "/k" }), { PULUMI_CONFIG_PASSPHRASE_FILE: "/k" });
        assert.deepEqual(passphraseEnv({}), { PULUMI_CONFIG_PASSPHRASE: DEFAULT_PASSPHRASE });
        // Each stack file with an encryptionsalt was made with it; another passphrase is refused by Pulumi.
        const salted = fs
            .readdirSync(path.join(REPO_ROOT, "stacks"))
            .filter((f) => /encryptionsalt:/.test(fs.readFileSync(path.join(REPO_ROOT, "stacks", f), "utf8")));
        assert.ok(salted.length > 0);
    });
});
