/**
 * scripts/publish-results.sh keeps what it publishes safe (issue 15 §7): paths of the machine are
 * rewritten, a copy that holds a private key or a stack secret is refused before anything reaches
 * the destination, and the shipped docs/results pass the same scan. The real run's folder (a
 * mysql cell with the stack's password, a guest) is published in tiny-stack.test.ts.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../../core/paths";

const SCRIPT = path.join(REPO_ROOT, "scripts", "publish-results.sh");
const publish = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync("bash", [SCRIPT, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
    return { status: r.status, out: `${r.stdout}${r.stderr}` };
};

/** Absolute paths that name this machine's folders: the checkout, its parent, homes, temp folders. */
export function machinePaths(text: string, extra: readonly string[] = []): string[] {
    const re = /(?<![\w<>.~-])\/(?:work|root|home|tmp)\/[^\s"'<>)]*/g;
    return [...(text.match(re) ?? []), ...extra.filter((p) => text.includes(p))];
}

/** This machine's own addresses: not loopback, not the Docker or libvirt bridges (as the script decides). */
function hostAddresses(): string[] {
    const out = spawnSync("ip", ["-o", "addr", "show"], { encoding: "utf8" }).stdout ?? "";
    return out
        .split("\n")
        .map((l) => l.trim().split(/\s+/))
        .filter((f) => (f[2] === "inet" || (f[2] === "inet6" && f.includes("global"))) && !/^(lo|docker|virbr|br-|veth|vnet)/.test(f[1]))
        .map((f) => f[3].replace(/\/.*/, ""));
}

function walk(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe("scripts/publish-results.sh: only what is safe to publish", function () {
    this.timeout(60_000);
    let tmp = "";
    let run = "";
    let pem = "";
    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-publish-test-"));
        run = path.join(tmp, "results", "s", "r1");
        fs.mkdirSync(path.join(run, "raw"), { recursive: true });
        fs.mkdirSync(path.join(run, "plots"));
        fs.writeFileSync(path.join(run, "summary.md"), "# summary\n");
        fs.writeFileSync(path.join(run, "report.html"), `<p>from ${run}</p>\n`);
        fs.writeFileSync(
            path.join(run, "raw", "lifecycle.kvm.r1.txt"),
            `disk ${REPO_ROOT}/.state/guests/s/x.qcow2 is already gone\nkey ${REPO_ROOT}/.state/ssh/id_ed25519\n`,
        );
        fs.writeFileSync(
            path.join(run, "environments.csv"),
            `native,native,,none,ipv4,${hostAddresses()
                .map((a) => `x=${a}/24`)
                .join(" ")} virbr0=192.168.122.1/24 docker0=172.17.0.1/16\n`,
        );
        fs.writeFileSync(path.join(run, "host-stability.csv"), "at,cells_measured\n2026-12-08T01:14:00.000Z,0\n");
        fs.writeFileSync(path.join(run, "plots", "p.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x2f, 0x77, 0x6f, 0x72, 0x6b, 0x2f, 0x00, 0xff]));
        spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path.join(tmp, "k")]);
        pem = fs.readFileSync(path.join(tmp, "k"), "utf8");
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("rewrites the results folder and the checkout to <results> and <checkout>; binary files stay byte for byte", () => {
        const dest = path.join(tmp, "pub");
        const r = publish([run, dest]);
        assert.equal(r.status, 0, r.out);
        assert.equal(fs.readFileSync(path.join(dest, "report.html"), "utf8"), "<p>from <results></p>\n");
        assert.equal(
            fs.readFileSync(path.join(dest, "raw", "lifecycle.kvm.r1.txt"), "utf8"),
            "disk <checkout>/.state/guests/s/x.qcow2 is already gone\nkey <checkout>/.state/ssh/id_ed25519\n",
        );
        assert.deepEqual(fs.readFileSync(path.join(dest, "plots", "p.png")), fs.readFileSync(path.join(run, "plots", "p.png")));
        assert.equal(
            fs.readFileSync(path.join(dest, "host-stability.csv"), "utf8"),
            fs.readFileSync(path.join(run, "host-stability.csv"), "utf8"),
            "the host's probes travel with the run",
        );
        // The host's own addresses go; the bridges' private ones (evidence of the NAT path) stay.
        assert.equal(
            fs.readFileSync(path.join(dest, "environments.csv"), "utf8"),
            `native,native,,none,ipv4,${hostAddresses()
                .map(() => "x=<host-address>/24")
                .join(" ")} virbr0=192.168.122.1/24 docker0=172.17.0.1/16\n`,
        );
        for (const f of walk(dest).filter((f) => !f.endsWith(".png"))) assert.deepEqual(machinePaths(fs.readFileSync(f, "utf8"), [REPO_ROOT, tmp]), [], f);
    });

    it("carries provenance/ into the destination, scrubbed like the rest; a stack file's secrets are refused", () => {
        const prov = path.join(run, "provenance");
        fs.mkdirSync(path.join(prov, "superseded", "1"), { recursive: true });
        fs.writeFileSync(path.join(prov, "stack.yaml"), `# a re-run of quick/quick-1 (${run})\nconfig:\n  isobench:runId: r1\n`);
        fs.writeFileSync(path.join(prov, "provenance.json"), `{"isobench": {"commit": "abc", "dirtyFiles": ["${REPO_ROOT}/x.ts"]}}\n`);
        fs.writeFileSync(path.join(prov, "passes.csv"), "at,isobench_commit\n2026-12-01T00:00:00Z,abc\n");
        fs.writeFileSync(path.join(prov, "superseded", "1", "spec.json"), "{}\n");
        const dest = path.join(tmp, "pub");
        const r = publish([run, dest]);
        assert.equal(r.status, 0, r.out);
        assert.deepEqual(
            walk(path.join(dest, "provenance"))
                .map((f) => path.relative(dest, f))
                .sort(),
            ["provenance/passes.csv", "provenance/provenance.json", "provenance/stack.yaml", "provenance/superseded/1/spec.json"],
        );
        assert.equal(
            fs.readFileSync(path.join(dest, "provenance", "stack.yaml"), "utf8"),
            "# a re-run of quick/quick-1 (<results>)\nconfig:\n  isobench:runId: r1\n",
        );
        assert.match(fs.readFileSync(path.join(dest, "provenance", "provenance.json"), "utf8"), /"<checkout>\/x\.ts"/);
        // A stack file copied by hand, with the passphrase's salt.
        fs.writeFileSync(
            path.join(prov, "stack.yaml"),
            "config:\n  isobench:runId: r1\nencryptionsalt: v1:Zo9/Ls0CKKU=:v1:B/KoBbxGiE4odQa6:bAsU9Yu5S3PGYNGaPMUprvJv6eigjQ==\n",
        );
        const again = publish([run, path.join(tmp, "pub2")]);
        assert.equal(again.status, 1);
        assert.match(again.out, /provenance\/stack\.yaml: a Pulumi stack file's secret/);
        assert.ok(!again.out.includes("Zo9/Ls0CKKU"));
        assert.ok(!fs.existsSync(path.join(tmp, "pub2")));
        fs.writeFileSync(path.join(prov, "stack.yaml"), "config:\n  other:token:\n    secure: v1:abcdefghijkl\n");
        assert.match(publish(["--check", run]).out, /a Pulumi stack file's secret/);
    });

    it("refuses a run whose raw output holds a private key, naming the file and not the key; nothing is written", () => {
        fs.writeFileSync(path.join(run, "raw", "leak.server.log"), `starting\n${pem}`);
        const dest = path.join(tmp, "pub");
        const r = publish([run, dest]);
        assert.equal(r.status, 1);
        assert.match(r.out, /raw\/leak\.server\.log: a private key block/);
        assert.match(r.out, /refusing to publish .*nothing was written/);
        assert.ok(!r.out.includes(pem.split("\n")[1]), "the key is not printed");
        assert.ok(!fs.existsSync(dest));
    });

    it("refuses a run that holds the stack's password or the state passphrase", () => {
        fs.writeFileSync(path.join(run, "raw", "mysql.native.r1.server.log"), "user sbtest password 9f8e7d6c5b4a39281706\n");
        const r = publish([run, path.join(tmp, "pub")], { ISOBENCH_STACK_PASSWORD: "9f8e7d6c5b4a39281706" });
        assert.equal(r.status, 1);
        assert.match(r.out, /mysql\.native\.r1\.server\.log: the value of \$ISOBENCH_STACK_PASSWORD/);
        assert.ok(!r.out.includes("9f8e7d6c5b4a39281706"));
        const p = publish(["--check", run], { PULUMI_CONFIG_PASSPHRASE: "sbtest password" });
        assert.equal(p.status, 1);
        assert.match(p.out, /the value of \$PULUMI_CONFIG_PASSPHRASE/);
    });

    it("the shipped docs/results pass the scan and name no folder of the machine that ran them", () => {
        const docs = path.join(REPO_ROOT, "docs", "results");
        const r = publish(["--check", docs]);
        assert.equal(r.status, 0, r.out);
        // Asked once: the folder holds thousands of files.
        const addresses = hostAddresses().map((a) => ({ a, re: new RegExp(`(^|[^0-9a-f:.])${a.replace(/\./g, "\\.")}($|[^0-9a-f:.])`, "i") }));
        const found = walk(docs)
            .filter((f) => !f.endsWith(".png"))
            .flatMap((f) => {
                const text = fs.readFileSync(f, "utf8");
                return machinePaths(text, [REPO_ROOT])
                    .concat(addresses.filter(({ re }) => re.test(text)).map(({ a }) => a))
                    .map((p) => `${path.relative(docs, f)}: ${p}`);
            });
        assert.deepEqual(found, []);
    });
});
