/**
 * What isobench keeps in .state stays root's: the folder and every folder under it 0700, and the
 * passphrase that encrypts the stacks' secrets is the checkout's own random one, not a default
 * everyone knows (unless the user sets one, or the backend holds stacks made with the old default).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensurePrivateDir } from "../../core/paths";
import { LEGACY_PASSPHRASE, passphraseEnv } from "../../experiment/pulumi-cli";

describe(".state: private folders and the checkout's own passphrase", () => {
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

    it("gives a fresh checkout its own random passphrase file (0600), the same on every call", () => {
        const state = path.join(tmp, ".state");
        ensurePrivateDir(state);
        const a = passphraseEnv(state, path.join(state, "pulumi"), {});
        assert.deepEqual(a, { PULUMI_CONFIG_PASSPHRASE_FILE: path.join(state, "pulumi-passphrase") });
        assert.match(fs.readFileSync(a.PULUMI_CONFIG_PASSPHRASE_FILE!, "utf8"), /^[0-9a-f]{64}\n$/);
        assert.equal(mode(a.PULUMI_CONFIG_PASSPHRASE_FILE!), 0o600);
        const first = fs.readFileSync(a.PULUMI_CONFIG_PASSPHRASE_FILE!, "utf8");
        assert.deepEqual(passphraseEnv(state, path.join(state, "pulumi"), {}), a);
        assert.equal(fs.readFileSync(a.PULUMI_CONFIG_PASSPHRASE_FILE!, "utf8"), first);
        const other = path.join(tmp, "other");
        ensurePrivateDir(other);
        assert.notEqual(
            fs.readFileSync(passphraseEnv(other, path.join(other, "pulumi"), {}).PULUMI_CONFIG_PASSPHRASE_FILE!, "utf8"),
            first,
            "random per checkout",
        );
    });

    it("keeps the user's passphrase, and the old default for a backend that already holds stacks made with it", () => {
        const state = path.join(tmp, ".state");
        const backend = path.join(state, "pulumi");
        assert.deepEqual(passphraseEnv(state, backend, { PULUMI_CONFIG_PASSPHRASE: "mine" }), { PULUMI_CONFIG_PASSPHRASE: "mine" });
        assert.deepEqual(passphraseEnv(state, backend, { PULUMI_CONFIG_PASSPHRASE_FILE: "/k" }), { PULUMI_CONFIG_PASSPHRASE_FILE: "/k" });
        fs.mkdirSync(path.join(backend, ".pulumi", "stacks", "isobench"), { recursive: true });
        fs.writeFileSync(path.join(backend, ".pulumi", "stacks", "isobench", "quick.json"), "{}");
        assert.deepEqual(passphraseEnv(state, backend, {}), { PULUMI_CONFIG_PASSPHRASE: LEGACY_PASSPHRASE });
        assert.ok(!fs.existsSync(path.join(state, "pulumi-passphrase")));
        assert.deepEqual(passphraseEnv(state, backend, { PULUMI_BACKEND_URL: "s3://bucket" }), { PULUMI_CONFIG_PASSPHRASE: LEGACY_PASSPHRASE });
    });
});
