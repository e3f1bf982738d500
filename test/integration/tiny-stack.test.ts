/**
 * `pulumi up` and `pulumi destroy` of a tiny stack on real dockerd and libvirt, on a temporary
 * file backend, in a temporary project that links to this checkout's sources. Asserts sample rows
 * for every cell, serialized cells, and that destroy leaves no container, domain, volume or disk.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { guestsDir, imageState, REPO_ROOT, stateDir } from "../../core/paths";
import { samplesFromCsv } from "../../core/samples";
import { readPasses } from "../../core/provenance";
import { leftoverFiles, leftoverResources, removeLeftovers } from "../helpers/leftovers";
import { sh, TempStack } from "../helpers/temp-stack";

describe("tiny stack on real dockerd and libvirt", function () {
    this.timeout(30 * 60 * 1000);
    const stack = `itest${process.pid}`;
    let project: TempStack | undefined;
    let dir = "";
    let upOutput = "";
    let upStatus: number | null = null;
    let password = "";

    before(function () {
        if (sh(["docker", "info"]).status !== 0 || sh(["timeout", "20", "virsh", "-c", "qemu:///system", "version"]).status !== 0) {
            throw new Error("dockerd and libvirtd must be running: run scripts/setup.sh (or scripts/daemons.sh) first");
        }
        project = new TempStack({
            stack,
            config: {
                "isobench:runId": "it-1",
                "isobench:repetitions": 3,
                "isobench:environments": ["native", "docker-nat", "docker-host", "kvm-tuned"],
                "isobench:workloads": [
                    { name: "sysbench-cpu", params: { timeSeconds: 1 } },
                    // A server workload through the stack, in a container and natively; the server in a
                    // guest and behind docker-host is proven by workloads-network.test.ts, and its 6 cells
                    // here cost about 75 s of the suite's time.
                    { name: "redis", environments: ["native", "docker-nat"], params: { requests: 2000, clients: 50 } },
                    // Natively only: the stack's password path (a Pulumi secret through to MariaDB).
                    { name: "mysql", environments: ["native"], params: { tableSize: 1000, threads: "2", timeSeconds: 1, bufferPoolMB: 64 } },
                ],
                "isobench:allowSoftwareEmulation": true,
                // One vCPU, not TEST_GUEST_VCPUS: the tuned preset then pins it beside the emulator's
                // own CPU, the separate-emulator layout a tuned guest has on a real server.
                "isobench:kvm": { vcpus: 1, memoryMiB: 768, bootTimeoutS: 240 },
            },
        });
        dir = project.resultsDir("it-1");
        const up = project.up(25 * 60);
        upOutput = up.out;
        upStatus = up.status;
    });

    after(function () {
        if (!project) return;
        const d = project.destroy(10 * 60);
        const left = [...leftoverResources(`isobench-${stack}-`), ...leftoverFiles(stack)];
        const guestDir = path.join(guestsDir(), stack);
        const inGuestDir = fs.existsSync(guestDir) ? fs.readdirSync(guestDir).join(", ") : "";
        // Belt and braces: never leave anything behind, even when destroy failed.
        removeLeftovers(left);
        project.remove();
        assert.equal(d.status, 0, `pulumi destroy failed:\n${d.out}`);
        assert.deepEqual(left, [], `pulumi destroy left resources behind (guest folder: ${inGuestDir})`);
    });

    it("pulumi up succeeds", () => {
        assert.equal(upStatus, 0, upOutput.slice(-6000));
    });

    it("writes sample rows for every cell, with accel and tool versions", () => {
        const cells = fs.readdirSync(path.join(dir, "cells")).filter((f) => f.endsWith(".csv"));
        assert.equal(cells.length, 3 * (4 + 2 + 1), "3 repetitions of sysbench-cpu × 4 environments, redis × 2 and mysql natively");
        const intervals: Array<[number, number, string]> = [];
        for (const f of cells) {
            const rows = samplesFromCsv(fs.readFileSync(path.join(dir, "cells", f), "utf8"), f);
            assert.ok(rows.length > 0, `${f} has no rows`);
            for (const r of rows) {
                assert.ok(r.tool_version.length > 0);
                assert.equal(r.accel, r.env_kind === "kvm" ? "tcg" : "none");
            }
            const start = Date.parse(rows[0].started_at);
            intervals.push([start, start + rows[0].duration_s * 1000, f]);
            assert.ok(fs.existsSync(path.join(dir, "raw", f.replace(/\.csv$/, ".txt"))), `raw output of ${f} kept`);
        }
        intervals.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < intervals.length; i++) {
            assert.ok(intervals[i][0] >= intervals[i - 1][1], `${intervals[i][2]} overlaps ${intervals[i - 1][2]}`);
        }
    });

    it("keeps each server's log with the raw output and no runtime folder on the host", () => {
        const logs = fs.readdirSync(path.join(dir, "raw")).filter((f) => f.endsWith(".server.log"));
        assert.deepEqual(logs.map((f) => f.split(".")[0]).sort(), [...Array(3).fill("mysql"), ...Array(3 * 2).fill("redis")], "one per server cell");
        assert.ok(logs.every((f) => fs.readFileSync(path.join(dir, "raw", f), "utf8").length > 0));
        assert.deepEqual(
            leftoverFiles(stack).filter((f) => f.includes("/run/isobench/")),
            [],
        );
    });

    it("takes the guest its other cells paused for a quiet one, not a stopped one: no revival, no second probe", () => {
        assert.match(fs.readFileSync(path.join(dir, "progress.log"), "utf8"), /other guests of stack \S+: paused isobench-\S+-kvm-tuned/);
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "progress.log"), "utf8"), /had stopped/);
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "environments.csv"), "utf8"), /,revived,/);
        assert.ok(!fs.existsSync(path.join(dir, "envfacts", "superseded")), "each environment probed once");
    });

    it("keeps the stack's password a secret: encrypted in the state, in no result, raw output or runtime file", () => {
        const plain = project!.pulumi(["stack", "export", "--show-secrets", "--stack", stack], 60);
        assert.equal(plain.status, 0, plain.out);
        // --show-secrets prints a secret as {<secret signature>: …, plaintext: "<JSON of the value>"}.
        const out = (JSON.parse(plain.out).deployment.resources as Array<{ urn: string; outputs?: { stdout?: unknown } }>).find((r) =>
            r.urn.endsWith("::stack-password"),
        )?.outputs?.stdout;
        const pw =
            typeof out === "string"
                ? out
                : typeof out === "object" && out !== null && "plaintext" in out
                  ? (JSON.parse(String((out as { plaintext: unknown }).plaintext)) as string)
                  : typeof out === "object" && out !== null && "value" in out
                    ? String((out as { value: unknown }).value)
                    : JSON.stringify(out);
        assert.match(pw, /^[0-9a-f]{48}$/, "a random password of 24 bytes");
        const state = project!.pulumi(["stack", "export", "--stack", stack], 60);
        assert.equal(state.status, 0, state.out);
        assert.ok(!state.out.includes(pw), "the exported state holds the password only encrypted");
        const holders = sh(["grep", "-rlF", pw, dir, path.join(project!.work, "backend")]).out.trim();
        assert.equal(holders, "", `files that hold the password in clear: ${holders}`);
        assert.ok(!fs.existsSync(`/run/isobench/${stack}`), "the runtime folder (password file, PIDs, logs) is gone");
        password = pw;
    });

    it("publishes safely: the published folder holds no password, private key or path of this machine", () => {
        assert.ok(password, "the password test ran first");
        const dest = path.join(project!.work, "published");
        const env = { env: { ...process.env, ISOBENCH_STACK_PASSWORD: password } };
        const pub = sh(["bash", path.join(REPO_ROOT, "scripts", "publish-results.sh"), dir, dest], env);
        assert.equal(pub.status, 0, pub.out);
        const check = sh(["bash", path.join(REPO_ROOT, "scripts", "publish-results.sh"), "--check", dest], env);
        assert.equal(check.status, 0, check.out);
        const machine = [REPO_ROOT, project!.work, dir, ...(os.homedir() === "/" ? [] : [`${os.homedir()}/`]), "-----BEGIN", password];
        const walk = (d: string): string[] =>
            fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
        const offending = walk(dest)
            .filter((f) => !f.endsWith(".png"))
            .flatMap((f) => {
                const text = fs.readFileSync(f, "utf8");
                return machine.filter((m) => text.includes(m)).map((m) => `${path.relative(dest, f)}: ${m === password ? "the password" : m}`);
            });
        assert.deepEqual(offending, [], "published files naming a path of this machine, a key or the password");
        // The guest's host key was recorded for the run and is not among the results.
        assert.equal(sh(["grep", "-rl", "ssh-ed25519", dest]).out.trim(), "");
    });

    it("records environment facts that match the declared variants", () => {
        const csv = fs.readFileSync(path.join(dir, "environments.csv"), "utf8");
        assert.match(csv, /docker-host,docker,[^,]*,none,network_mode,host,host/);
        assert.match(csv, /docker-nat,docker,[^,]*,none,network_mode,bridge,bridge/);
        assert.match(csv, /kvm-tuned,kvm,[^,]*,tcg,vcpupin,0:1,0:1/);
    });

    it("records provenance: the container image's ID and the guest image's build and hashes it ran from", () => {
        const record = JSON.parse(fs.readFileSync(path.join(dir, "provenance", "provenance.json"), "utf8"));
        assert.equal(record.images.container.tag, imageState(stateDir(REPO_ROOT), "container-image").value);
        assert.match(record.images.container.id, /^sha256:[0-9a-f]{64}$/);
        const guest = record.images.guests["guest-image"];
        assert.match(guest.name, /^guest-[0-9a-f]{12}$/);
        assert.equal(guest.build.hash, guest.name.slice("guest-".length));
        assert.match(guest.sha256.vmlinuz, /^[0-9a-f]{64}$/);
        assert.ok(guest.diskBytes > 0);
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "provenance", "spec.json"), "utf8")).environments, [
            "native",
            "docker-nat",
            "docker-host",
            "kvm-tuned",
        ]);
    });

    it("writes the analysis with overhead vs native", () => {
        const md = fs.readFileSync(path.join(dir, "summary.md"), "utf8");
        assert.match(md, /docker-nat/);
        assert.match(md, /kvm-tuned/);
    });

    it("a no-change pulumi up re-runs nothing, and adds a pass to provenance/passes.csv (a preview adds none)", () => {
        const passes = () => readPasses(dir).map((p) => p.changed);
        assert.deepEqual(passes(), ["first pass"]);
        const preview = project!.pulumi(["preview", "--stack", stack], 300);
        assert.equal(preview.status, 0, preview.out.slice(-3000));
        assert.deepEqual(passes(), ["first pass"]);
        const again = project!.up(300);
        assert.equal(again.status, 0, again.out.slice(-3000));
        assert.doesNotMatch(again.out, /created|replaced|updated \(/);
        assert.match(again.out, /unchanged/);
        assert.deepEqual(passes(), ["first pass", "nothing"]);
    });

    // Last: it leaves a half-destroyed stack, which the after hook's destroy finishes.
    it("destroy while a daemon does not answer fails and keeps what it could not remove in state and on the host", () => {
        const dockerAway = { DOCKER_HOST: `unix://${path.join(project!.work, "no-dockerd.sock")}` };
        const libvirtAway = { LIBVIRT_DEFAULT_URI: `qemu+unix:///system?socket=${path.join(project!.work, "no-libvirtd.sock")}` };
        const destroyWith = (away: NodeJS.ProcessEnv) =>
            sh(["pulumi", "destroy", "--yes", "--skip-preview", "--stack", stack], { cwd: project!.work, env: { ...project!.env, ...away }, timeoutS: 600 });
        const inState = (name: string) => {
            const exported = project!.pulumi(["stack", "export", "--stack", stack], 60);
            assert.equal(exported.status, 0, exported.out);
            // The command resource whose delete step removes it.
            return (JSON.parse(exported.out).deployment.resources as Array<{ inputs?: { delete?: unknown } }>).some(
                (r) => typeof r.inputs?.delete === "string" && r.inputs.delete.includes(`'${name}'`),
            );
        };
        const exists = (r: string) => leftoverResources(`isobench-${stack}-`).includes(r);
        const [nat, hostnet, guest] = [`isobench-${stack}-docker-nat`, `isobench-${stack}-docker-host`, `isobench-${stack}-kvm-tuned`];

        const both = destroyWith({ ...dockerAway, ...libvirtAway });
        assert.notEqual(both.status, 0, `destroy reported success with no daemon to reach:\n${both.out.slice(-3000)}`);
        assert.match(both.out, /dockerd does not answer at unix:\/\/.*no-dockerd\.sock; nothing was removed/);
        for (const n of [nat, hostnet, guest]) assert.ok(inState(n), `${n} is still in the stack's state`);
        for (const r of [`container ${nat}`, `container ${hostnet}`, `domain ${guest}`]) assert.ok(exists(r), `${r} still exists`);

        const libvirt = destroyWith(libvirtAway);
        assert.notEqual(libvirt.status, 0, `destroy reported success with libvirt away:\n${libvirt.out.slice(-3000)}`);
        assert.match(libvirt.out, /libvirt at qemu\+unix:.* is not reachable/);
        assert.ok(!exists(`container ${nat}`) && !exists(`container ${hostnet}`), "with dockerd back, the containers went");
        assert.ok(inState(guest) && exists(`domain ${guest}`), "the guest stays in state and on the host");
    });
});
