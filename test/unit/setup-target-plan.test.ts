/** setup-target's plan (experiment/setup-target-plan.ts) and its version comparison (experiment/tool-versions.ts), on recorded outputs. */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostError } from "../../core/errors";
import { ControllerTree, TREE_MARKER, TargetFacts, parseTargetFacts, planSetupTarget, targetProbeScript } from "../../experiment/setup-target-plan";
import { compareToolVersions, parseToolVersions } from "../../experiment/tool-versions";
import { controllerTree, removedSince, sendTree, versionLines } from "../../experiment/setup-target";
import { transportTo } from "../../environments/transport";
import { LOCAL_TARGET } from "../../core/transport";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const tree: ControllerTree = { root: "/srv/isobench", commit: COMMIT, dirty: [] };
const LABEL = "ssh://root@lab:22";

/** What targetProbeScript printed on a fresh Debian 12 server. */
const FRESH_DEBIAN = "uid=0\nos_id=debian\nos_like=\nos_name=Debian GNU/Linux 12 (bookworm)\nsent_commit=\n";

const facts = (out = FRESH_DEBIAN): TargetFacts => parseTargetFacts(out);
const refused = (f: () => unknown, re: RegExp) => assert.throws(f, (e: unknown) => e instanceof HostError && re.test((e as Error).message));

describe("setup-target's plan", () => {
    it("on a fresh Debian target: sends the tree, runs setup.sh --target step by step, then compares versions", () => {
        const steps = planSetupTarget(tree, facts(), LABEL, "lab");
        assert.deepEqual(
            steps.map((s) => [s.name, s.skip]),
            [
                ["tree", undefined],
                ["packages", undefined],
                ["daemons", undefined],
                ["shim", undefined],
                ["images", undefined],
                ["versions", undefined],
            ],
        );
        assert.deepEqual(steps[2].argv, ["bash", "/srv/isobench/scripts/setup.sh", "--target", "--only", "daemons"]);
        assert.deepEqual(steps[5].argv, ["bash", "/srv/isobench/images/tool-versions.sh"]);
        assert.match(steps[0].what, /commit 0123456789ab \(git archive\) to ssh:\/\/root@lab:22:\/srv\/isobench/);
    });

    it("extracts the tree at the same path and marks it with its commit", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-plan-"));
        try {
            const src = path.join(dir, "src");
            fs.mkdirSync(src);
            fs.writeFileSync(path.join(src, "a.txt"), "content");
            const tar = spawnSync("tar", ["-c", "-C", src, "a.txt"]);
            const step = planSetupTarget({ ...tree, root: path.join(dir, "dest dir") }, facts(), LABEL, "lab")[0];
            const r = spawnSync(step.argv[0], step.argv.slice(1), { input: tar.stdout, encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(fs.readFileSync(path.join(dir, "dest dir", "a.txt"), "utf8"), "content");
            assert.equal(fs.readFileSync(path.join(dir, "dest dir", TREE_MARKER), "utf8"), `${COMMIT}\n`);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("skips the tree where it was sent before, or where a clean checkout of the same commit is (a second run)", () => {
        assert.match(
            planSetupTarget(tree, facts(`${FRESH_DEBIAN}sent_commit=${COMMIT}\n`), LABEL, "lab")[0].skip ?? "",
            /holds 0123456789ab already \(\.isobench-tree\)/,
        );
        assert.match(
            planSetupTarget(tree, facts(`${FRESH_DEBIAN}git_checkout=1\ngit_head=${COMMIT}\n`), LABEL, "lab")[0].skip ?? "",
            /is a git checkout of 0123456789ab already/,
        );
        assert.equal(
            planSetupTarget(tree, facts(`${FRESH_DEBIAN}sent_commit=${"f".repeat(40)}\n`), LABEL, "lab")[0].skip,
            undefined,
            "another commit is sent again",
        );
        assert.ok(
            planSetupTarget(tree, facts(`${FRESH_DEBIAN}sent_commit=${COMMIT}\n`), LABEL, "lab")
                .slice(1)
                .every((s) => s.skip === undefined),
            "setup.sh's steps always run: each says itself what it skipped",
        );
    });

    it("takes Ubuntu (ID_LIKE debian) as well", () => {
        const ubuntu = "uid=0\nos_id=ubuntu\nos_like=debian\nos_name=Ubuntu 24.04 LTS\n";
        assert.equal(planSetupTarget(tree, facts(ubuntu), LABEL, "lab").length, 6);
    });

    it("refuses, with the fix, a dirty checkout here, a non-root login, another OS, missing commands, and a checkout there it would overwrite", () => {
        refused(
            () => planSetupTarget({ ...tree, dirty: ["a.ts", "b.ts", "c.ts", "d.ts", "e.ts", "f.ts"] }, facts(), LABEL, "lab"),
            /uncommitted changes \(a\.ts, b\.ts, c\.ts, d\.ts, e\.ts, … \(6 files\)\).*Fix: commit them \(or git stash them\), then run isobench setup-target lab again/,
        );
        refused(
            () => planSetupTarget(tree, facts(FRESH_DEBIAN.replace("uid=0", "uid=1000")), LABEL, "lab"),
            /logs in as uid 1000.*Fix: make isobench:target's url ssh:\/\/root@/,
        );
        refused(
            () => planSetupTarget(tree, facts("uid=0\nos_id=fedora\nos_like=\nos_name=Fedora Linux 40\n"), LABEL, "lab"),
            /runs Fedora Linux 40; setup-target sets up Debian and Ubuntu/,
        );
        refused(() => planSetupTarget(tree, facts(`${FRESH_DEBIAN}missing=tar\n`), LABEL, "lab"), /lacks tar\. Fix: apt-get install tar there/);
        refused(
            () => planSetupTarget(tree, facts(`${FRESH_DEBIAN}git_checkout=1\ngit_head=${"e".repeat(40)}\n`), LABEL, "lab"),
            /:\/srv\/isobench is a git checkout that is at eeeeeeeeeeee, not this checkout's 0123456789ab; setup-target does not overwrite a checkout\. Fix: .*git -C \/srv\/isobench checkout 0123456789abcdef/,
        );
        refused(
            () => planSetupTarget(tree, facts(`${FRESH_DEBIAN}git_checkout=1\ngit_head=${COMMIT}\ngit_dirty=1\n`), LABEL, "lab"),
            /has uncommitted changes/,
        );
    });

    it("reads the probe script's own output on this machine", () => {
        const r = spawnSync("/bin/sh", ["-c", targetProbeScript(process.cwd())], { encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
        const f = parseTargetFacts(r.stdout);
        assert.equal(f.uid, process.getuid!());
        assert.equal(f.gitCheckout, fs.existsSync(path.join(process.cwd(), ".git")));
        if (f.gitCheckout) assert.match(f.gitHead, /^[0-9a-f]{40}$/);
        assert.throws(() => parseTargetFacts("bash: not found\n"), /cannot read the target's facts/);
    });
});

/** images/tool-versions.sh's output on a machine with everything built. */
const LISTING = [
    "image\tcontainer-image\tisobench-bench:1a2b3c4d5e6f",
    "image\tguest-image\t/srv/isobench/.cache/images/guest-aaaa",
    "image\tguest-image-bootloader\t/srv/isobench/.cache/images/guest-boot-bbbb",
    "host\tredis-server\t5:7.0.15-1~deb12u10",
    "host\tsysbench\t1.0.20+ds-5",
    "container\tredis-server\t5:7.0.15-1~deb12u10",
    "container\tsysbench\t1.0.20+ds-5",
    "guest\tredis-server\t5:7.0.15-1~deb12u10",
    "guest\tsysbench\t1.0.20+ds-5",
    "missing\tguest-docker\tno guest-image-docker recorded (/srv/isobench/.state/images/guest-image-docker)",
    "",
].join("\n");

describe("tool versions against the controller's records", () => {
    it("reads the listing: image records, versions per place, places that could not be read", () => {
        const v = parseToolVersions(LISTING);
        assert.equal(v.images.get("container-image"), "isobench-bench:1a2b3c4d5e6f");
        assert.equal(v.versions.get("container")?.get("sysbench"), "1.0.20+ds-5");
        assert.match(v.missing.get("guest-docker") ?? "", /no guest-image-docker recorded/);
        assert.throws(() => parseToolVersions("host\tsysbench\n"), /not kind<TAB>key<TAB>value/);
        assert.throws(() => parseToolVersions("vm\tsysbench\t1\n"), /unknown kind "vm"/);
    });

    it("matches a target set up from the same mirror and scripts, saying what it could not compare", () => {
        const c = compareToolVersions(parseToolVersions(LISTING), parseToolVersions(LISTING), LABEL);
        assert.deepEqual(c.mismatches, []);
        assert.equal(c.compared, 6);
        assert.deepEqual(c.notCompared, [
            "tools in the docker-in-kvm guest image: the controller has no record (no guest-image-docker recorded (/srv/isobench/.state/images/guest-image-docker))",
        ]);
        assert.deepEqual(versionLines(c, "lab").slice(-1), ["versions: 6 tool versions and the image records match the controller's records"]);
    });

    it("names each tool, place and both versions that differ, and an image the target built under another name", () => {
        const target = LISTING.replace("container-image\tisobench-bench:1a2b3c4d5e6f", "container-image\tisobench-bench:ffffffffffff")
            .replace("host\tredis-server\t5:7.0.15-1~deb12u10", "host\tredis-server\t5:7.0.15-1~deb12u11")
            .replace("guest\tsysbench\t1.0.20+ds-5\n", "");
        const c = compareToolVersions(parseToolVersions(LISTING), parseToolVersions(target), LABEL);
        assert.deepEqual(c.mismatches, [
            "container-image: ssh://root@lab:22 built isobench-bench:ffffffffffff, the controller records isobench-bench:1a2b3c4d5e6f (the name hashes packages.txt, the build scripts and the Debian suite; isobench up looks for the controller's)",
            "redis-server natively: 5:7.0.15-1~deb12u11 on ssh://root@lab:22, the controller records 5:7.0.15-1~deb12u10",
            "sysbench in the guest image: not installed on ssh://root@lab:22, the controller records 1.0.20+ds-5",
        ]);
        const lines = versionLines(c, "lab");
        assert.match(lines.at(-1)!, /^Fix: .*then run isobench setup-target lab again/);
        assert.ok(lines.includes("versions: 3 differ from the controller's records:"));
    });

    it("says so when the target lacks a place the controller has (no container image listed there)", () => {
        const target = LISTING.split("\n")
            .filter((l) => !l.startsWith("container\t"))
            .join("\n")
            .concat("missing\tcontainer\tdocker run isobench-bench:1a2b3c4d5e6f failed: no such image\n");
        const c = compareToolVersions(parseToolVersions(LISTING), parseToolVersions(target), LABEL);
        assert.ok(
            c.notCompared.includes("tools in the container image: ssh://root@lab:22 has none (docker run isobench-bench:1a2b3c4d5e6f failed: no such image)"),
        );
        assert.equal(c.compared, 4);
    });
});

describe("setup-target's tree", () => {
    let dir = "";
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-tree-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("sends the committed tree (not uncommitted or untracked files) through the transport, and lists what is uncommitted", async () => {
        const repo = path.join(dir, "repo");
        const git = (...a: string[]) => assert.equal(spawnSync("git", ["-C", repo, ...a], { encoding: "utf8" }).status, 0, `git ${a.join(" ")}`);
        fs.mkdirSync(path.join(repo, "scripts"), { recursive: true });
        fs.writeFileSync(path.join(repo, "scripts", "setup.sh"), "echo committed\n");
        // More than a pipe holds, so that a target that stops reading would leave git blocked.
        fs.writeFileSync(path.join(repo, "data.bin"), Buffer.alloc(1 << 20, 7));
        git("init", "-q");
        git("add", ".");
        git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "c");
        fs.writeFileSync(path.join(repo, "scripts", "setup.sh"), "echo changed\n");
        fs.writeFileSync(path.join(repo, "untracked.txt"), "x");
        const dirtyTree = controllerTree(repo);
        assert.deepEqual(dirtyTree.dirty, ["scripts/setup.sh"], "untracked files do not count, changed ones do");
        const dest = path.join(dir, "dest");
        const tree = { ...dirtyTree, root: dest, dirty: [] };
        const step = planSetupTarget(tree, facts(), "local", "lab")[0];
        // The archive comes from the repository; the step extracts it where the plan says.
        const lines: string[] = [];
        const c = await sendTree(transportTo(LOCAL_TARGET), { ...tree, root: repo }, step, (l) => lines.push(l));
        assert.equal(c.status, 0, c.stderr);
        assert.equal(fs.readFileSync(path.join(dest, "scripts", "setup.sh"), "utf8"), "echo committed\n");
        assert.ok(!fs.existsSync(path.join(dest, "untracked.txt")));
        assert.equal(fs.readFileSync(path.join(dest, TREE_MARKER), "utf8").trim(), dirtyTree.commit);

        // The next commit removes a file: sending it over the first removes it there too.
        git("rm", "-q", "data.bin");
        git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "d");
        const next = { ...controllerTree(repo), dirty: [] };
        const facts2 = parseTargetFacts(transportTo(LOCAL_TARGET).mustRun(["/bin/sh", "-c", targetProbeScript(dest)], 30, "probe"));
        assert.equal(facts2.sentCommit, dirtyTree.commit);
        const lines2: string[] = [];
        const removed = removedSince(next, facts2.sentCommit, (l) => lines2.push(l));
        assert.deepEqual(removed, ["data.bin"]);
        const step2 = planSetupTarget({ ...next, root: dest }, facts2, "local", "lab", removed)[0];
        assert.match(step2.what, /removing 1 file\(s\) [0-9a-f]{12} had$/);
        assert.equal((await sendTree(transportTo(LOCAL_TARGET), next, step2, () => undefined)).status, 0);
        assert.ok(!fs.existsSync(path.join(dest, "data.bin")), "removed there");
        assert.ok(fs.existsSync(path.join(dest, "scripts", "setup.sh")), "the rest stays");
        assert.deepEqual(
            removedSince(next, "e".repeat(40), (l) => lines2.push(l)),
            [],
        );
        assert.match(lines2.at(-1)!, /holds commit eeeeeeeeeeee, which this checkout does not know/);
        const bad = await sendTree(transportTo(LOCAL_TARGET), { ...tree, root: repo, commit: "f".repeat(40) }, step, () => undefined);
        assert.match(bad.error ?? "", /^git archive f{40} failed/);
        // A target that stops reading at once: the send fails instead of waiting on git forever.
        const refused = await sendTree(transportTo(LOCAL_TARGET), { ...tree, root: repo }, { ...step, argv: ["/bin/sh", "-c", "exit 3"] }, () => undefined);
        assert.equal(refused.status, 3);
    });
});
