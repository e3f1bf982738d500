/**
 * `isobench setup-target` against this machine reached over SSH (a private sshd on loopback with
 * its own host key and a key made for the test): the committed tree sent into a fresh folder
 * through the transport, then the whole setup of this checkout's path, twice, the second time
 * through the CLI. The target is this machine, so every step must find its work done (packages,
 * daemons, images), leave the daemons and image records as they were, and find the versions
 * there equal to the records here. Needs this machine set up (scripts/setup.sh) and, for the
 * whole setup, a checkout without uncommitted changes. doctor --target then reads this machine
 * through SSH as doctor reads it here.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { HostError } from "../../core/errors";
import { REPO_ROOT, stateDir } from "../../core/paths";
import { Transport, thisMachine, transportTo } from "../../environments/transport";
import { SETUP_STEPS, TREE_MARKER, parseTargetFacts, planSetupTarget, targetProbeScript } from "../../experiment/setup-target-plan";
import { controllerTree, sendTree, setupTarget } from "../../experiment/setup-target";
import { Check, doctor } from "../../experiment/doctor";
import { cliCommand } from "../helpers/cli-build";
import { canRunSshd, LoopbackSshd, startLoopbackSshd } from "../helpers/loopback-sshd";

function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; out: string } {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env, timeout: 120_000 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

/** The pid a daemon's pid file names, to tell that setup left it running rather than restarting it. */
const pidOf = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : "");
const records = () => {
    const dir = path.join(REPO_ROOT, ".state", "images");
    return fs.existsSync(dir) ? Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), "utf8")])) : {};
};

describe("isobench setup-target on this machine over a loopback sshd", function () {
    this.timeout(20 * 60 * 1000);
    let dir = "";
    let sshd: LoopbackSshd | undefined;
    let port = 0;
    let t: Transport | undefined;
    const shim = path.join(REPO_ROOT, ".tools", "lib", "isobench-bind-addr.so");
    let shimBefore = true;
    let stacks = "";
    let toolsBefore = true;

    before(async function () {
        if (!canRunSshd()) this.skip(); // scripts/setup.sh installs openssh-server
        shimBefore = fs.existsSync(shim);
        toolsBefore = fs.existsSync(path.join(REPO_ROOT, ".tools"));
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-setup-target-"));
        // The target's pinned host key where isobench keeps it, so the CLI's doctor reads the same image records.
        sshd = await startLoopbackSshd(stateDir(REPO_ROOT));
        port = sshd.port;
        t = transportTo(sshd.target);
        stacks = path.join(dir, "stacks");
        fs.mkdirSync(stacks);
        fs.writeFileSync(
            path.join(stacks, "Pulumi.loopback.yaml"),
            YAML.stringify({
                config: {
                    "isobench:runId": "setup-target-1",
                    "isobench:target": sshd.stackTarget,
                    "isobench:environments": ["native"],
                    "isobench:workloads": ["sysbench-cpu"],
                },
            }),
        );
    });

    /** isobench <args> through the CLI, with the test's stack folder. */
    const isobench = (...args: string[]) => {
        const c = cliCommand(args);
        return run(c.argv, { ...process.env, ...c.env, ISOBENCH_STACKS_DIR: stacks });
    };

    after(() => {
        try {
            sshd?.stop();
        } finally {
            // The bind shim is the one thing setup may have made in a checkout that had none.
            if (!shimBefore) fs.rmSync(shim, { force: true });
            if (!toolsBefore) fs.rmSync(path.join(REPO_ROOT, ".tools"), { recursive: true, force: true });
            if (dir) fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("sends the committed tree into a fresh folder through the transport, and skips it once it is there", async () => {
        const dest = path.join(dir, "tree");
        // Only the send is tested here: what the checkout has uncommitted stays out of it either way.
        const tree = { ...controllerTree(REPO_ROOT), dirty: [] };
        const probe = () => parseTargetFacts(t!.mustRun(["/bin/sh", "-c", targetProbeScript(dest)], 60, "probing the target"));
        const step = planSetupTarget({ ...tree, root: dest }, probe(), t!.label, "loopback")[0];
        assert.equal(step.skip, undefined);
        const sent = await sendTree(t!, tree, step, () => undefined);
        assert.equal(sent.status, 0, sent.stderr);
        const committed = run(["git", "-C", REPO_ROOT, "ls-tree", "-r", "--name-only", tree.commit]).out.trim().split("\n");
        for (const f of committed) assert.ok(fs.existsSync(path.join(dest, f)), `${f} arrived`);
        assert.equal(
            fs.readFileSync(path.join(dest, "scripts", "setup.sh"), "utf8"),
            run(["git", "-C", REPO_ROOT, "show", `${tree.commit}:scripts/setup.sh`]).out,
            "with the committed content",
        );
        assert.equal(fs.readFileSync(path.join(dest, TREE_MARKER), "utf8").trim(), tree.commit);
        assert.match(planSetupTarget({ ...tree, root: dest }, probe(), t!.label, "loopback")[0].skip ?? "", /holds .* already/);
    });

    it("sets this machine up through SSH finding everything done, twice (the second time with the CLI), leaving daemons and image records as they were", async function () {
        const tree = controllerTree(REPO_ROOT);
        if (tree.dirty.length > 0) {
            await assert.rejects(
                setupTarget(t!, tree, "loopback", () => undefined),
                (e: unknown) => e instanceof HostError && /uncommitted changes/.test(String(e)),
            );
            // The rest needs a checkout without uncommitted changes (CI's).
            this.skip();
        }
        const dockerd = pidOf("/var/run/docker.pid");
        const libvirtd = pidOf("/run/libvirtd.pid");
        const before = records();

        const lines: string[] = [];
        const check = await setupTarget(t!, tree, "loopback", (l) => lines.push(l));
        const log = lines.join("\n");
        assert.match(log, /step 1\/6 tree: skipped: .* is a git checkout of [0-9a-f]{12} already/);
        for (const s of SETUP_STEPS) assert.match(log, new RegExp(`step \\d/6 ${s}: done in \\d+ (s|min)`), `${s} ran and was timed`);
        assert.match(log, /\[setup\] Debian packages present, skipping/);
        assert.match(log, /dockerd already running: skipped/);
        assert.match(log, /container image \S+ already exists: skipped build/);
        assert.deepEqual(check.mismatches, [], "this machine's versions are its own records");
        assert.ok(check.compared > 0, "tools were compared");

        // The same through the CLI, with the stack file that names the target.
        const cli = isobench("setup-target", "loopback");
        assert.equal(cli.status, 0, cli.out.slice(-4000));
        assert.match(cli.out, /\[isobench\] step 1\/6 tree: skipped/);
        assert.match(cli.out, /\[isobench\] versions: \d+ tool versions and the image records match the controller's records/);

        assert.equal(pidOf("/var/run/docker.pid"), dockerd, "dockerd was left running, not restarted");
        assert.equal(pidOf("/run/libvirtd.pid"), libvirtd, "libvirtd too");
        assert.deepEqual(records(), before, "the image records name the same images");
        assert.equal(run(["docker", "info", "--format", "{{.ServerVersion}}"]).status, 0);
    });

    it("doctor --target checks this machine through SSH as doctor checks it here, and says which claims it can judge there", () => {
        const here = doctor(REPO_ROOT, thisMachine()).checks;
        const there = doctor(REPO_ROOT, t!).checks;
        const names = (cs: readonly Check[]) => cs.map((c) => c.name);
        assert.deepEqual(
            names(there),
            names(here)
                .filter((n) => !/^pulumi /.test(n))
                .map((n) => (n === "KVM boots guests" ? "KVM device" : n)),
            "the same rows, but the controller's Pulumi and the boot probe",
        );
        for (const c of there) {
            const mine = here.find((h) => h.name === c.name)!;
            if (c.name === "KVM device") continue;
            assert.equal(c.ok, mine.ok, `${c.name}: ${c.detail} vs ${mine.detail}`);
            // Free space moves between two reads; everything else is the same machine read twice.
            if (c.name !== "free space") assert.equal(c.detail, mine.detail, `${c.name} read through SSH as here`);
        }
        const cli = isobench("doctor", "--target", "loopback");
        assert.equal(cli.status, there.every((c) => c.ok) ? 0 : 1, cli.out.slice(-3000));
        assert.match(cli.out, new RegExp(`^ssh://root@127\\.0\\.0\\.1:${port} \\(the Pulumi toolchain is this machine's, not checked there\\):$`, "m"));
        assert.match(cli.out, /^claims of the published studies ssh:\/\/root@127\.0\.0\.1:\d+ can judge: \d+ of \d+/m);
        assert.match(cli.out, /^ {2}felter2014 fio-kvm-half-iops +no: kvm: isobench does not run guests on a remote target yet$/m);
    });
});
