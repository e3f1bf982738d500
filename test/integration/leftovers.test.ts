/**
 * `isobench leftovers` on the real dockerd, libvirtd, Pulumi and /proc, with a file backend,
 * results folder, state folder and measurement lock of its own in a temporary folder:
 *
 * - stack itlo<pid>-own is run for real (`isobench up`, native and docker-nat) and killed with
 *   SIGKILL (isobench and pulumi) during its second cell (in the container, 30 s, so the cell
 *   outlives the checks; the first, native, takes a fraction of a second): its plugins, cell and a
 *   stale lock are left, while
 *   its container and native data folder are in its state;
 * - stack itlo<pid> has no state at all: a labelled container and volume, a libvirt domain with
 *   isobench metadata (defined, never started) and its guest folder, a native data folder, and a
 *   runtime folder whose PID file names a live process are made by hand.
 *
 * Each is listed under its stack with --clean removing it, and nothing a state owns is touched.
 * Everything is removed in the after hook whatever happened.
 */
import * as assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { REPO_ROOT, guestsDir, imageState, stateDir } from "../../core/paths";
import { nativeDataDir, runtimeDir } from "../../environments/exec-target";
import { ISOBENCH_XMLNS } from "../../environments/kvm/domain-spec";
import { endProcesses, processAlive } from "../../experiment/recovery";
import { processesOf, waitFor } from "../helpers/cli-stack";
import { leftoverFiles, leftoverResources, removeLeftovers, stackLeftovers } from "../helpers/leftovers";

const ISOBENCH = path.join(REPO_ROOT, "bin", "isobench");

function run(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutS?: number } = {}) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", env: opts.env, cwd: REPO_ROOT, timeout: (opts.timeoutS ?? 120) * 1000 });
    return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function must(argv: readonly string[]): string {
    const r = run(argv);
    if (r.status !== 0) throw new Error(`${argv.join(" ")} failed (${r.status}): ${r.out}`);
    return r.stdout;
}

/** The benchmark image: the checkout's record, else any isobench-bench image dockerd has. */
function benchImage(): string {
    const recorded = imageState(stateDir(REPO_ROOT), "container-image").value;
    if (recorded) return recorded;
    const any = must(["docker", "images", "isobench-bench", "--format", "{{.Repository}}:{{.Tag}}"]).split("\n")[0]?.trim();
    if (!any) throw new Error("no isobench-bench image in dockerd: run images/build-container-image.sh (or scripts/setup.sh)");
    return any;
}

const exists = (argv: readonly string[]) => run(argv).status === 0;

describe("isobench leftovers (real dockerd, libvirt, pulumi)", function () {
    this.timeout(15 * 60 * 1000);
    const stack = `itlo${process.pid}`;
    const owned = `itlo${process.pid}-own`;
    const ownedFile = path.join(REPO_ROOT, "stacks", `Pulumi.${owned}.yaml`);
    const container = `isobench-${stack}-docker-nat`;
    const volume = `${container}-data`;
    const domain = `isobench-${stack}-kvm`;
    const guestDir = path.join(guestsDir(), stack);
    const dataDir = nativeDataDir(stack);
    const runDir = runtimeDir(stack);
    const pidFile = path.join(runDir, "redis.native.r1.pid");
    const serverLog = path.join(runDir, "redis.native.r1.server.log");
    let work = "";
    let env: NodeJS.ProcessEnv = {};
    let server: ChildProcess | undefined;
    let ownedUp: { child: ChildProcess; done: Promise<number>; out: () => string } | undefined;

    const isobench = (args: string[], timeoutS = 300) => run([ISOBENCH, ...args], { env, timeoutS });
    const locks = () => {
        const d = path.join(work, "backend", ".pulumi", "locks");
        return fs.existsSync(d) ? fs.readdirSync(d, { recursive: true }).filter((f) => String(f).endsWith(".json")) : [];
    };

    before(async function () {
        if (run(["docker", "info"]).status !== 0 || run(["timeout", "20", "virsh", "-c", "qemu:///system", "version"]).status !== 0) {
            throw new Error("dockerd and libvirtd must be running: run scripts/setup.sh (or scripts/daemons.sh) first");
        }
        const image = benchImage();
        work = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${stack}-`));
        fs.mkdirSync(path.join(work, "backend"));
        fs.mkdirSync(path.join(work, "state", "images"), { recursive: true });
        fs.writeFileSync(path.join(work, "state", "images", "container-image"), `${image}\n`);
        env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}`,
            PULUMI_HOME: path.join(work, "pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "test",
            ISOBENCH_RESULTS_DIR: path.join(work, "results"),
            ISOBENCH_MEASURE_LOCK: path.join(work, "measure.lock"),
            ISOBENCH_STATE_DIR: path.join(work, "state"),
        };

        // The stack with a state, killed during its second cell: the first is over at once, the
        // second (in the container) outlives the checks.
        const config = {
            "isobench:runId": "lo-1",
            "isobench:repetitions": "3",
            "isobench:environments": ["native", "docker-nat"],
            "isobench:workloads": [
                { name: "sysbench-memory", environments: ["native"], params: { totalSize: "16M", timeSeconds: 1 } },
                { name: "sysbench-cpu", environments: ["docker-nat"], params: { timeSeconds: 30 } },
            ],
        };
        fs.writeFileSync(ownedFile, YAML.stringify({ config }));
        let out = "";
        const child = spawn(ISOBENCH, ["up", owned], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout!.on("data", (d) => (out += d));
        child.stderr!.on("data", (d) => (out += d));
        ownedUp = { child, out: () => out, done: new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1))) };
        const progress = path.join(work, "results", owned, "lo-1", "progress.log");
        const started = () => (fs.existsSync(progress) ? (fs.readFileSync(progress, "utf8").match(/cell \S+: start \(/g) ?? []).length : 0);
        await waitFor("the second cell to start", () => started() >= 2, 480).catch((e: Error) => {
            throw new Error(`${e.message}\n${out.slice(-3000)}`);
        });
        const pulumiPid = processesOf(work).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("pulumi\0up"));
        assert.ok(pulumiPid, "pulumi up runs");
        process.kill(child.pid!, "SIGKILL");
        process.kill(pulumiPid, "SIGKILL");
        await ownedUp.done;
        await waitFor("pulumi to be gone", () => !processAlive(pulumiPid), 10);

        // The stack without a state: what a killed run of another checkout, or a lost state, leaves.
        const labels = ["--label", "isobench.managed=true", "--label", `isobench.stack=${stack}`, "--label", "isobench.environment=docker-nat"];
        must(["docker", "volume", "create", ...labels, volume]);
        must(["docker", "run", "-d", ...labels, "--name", container, "--mount", `type=volume,source=${volume},target=/data`, image, "sleep", "600"]);
        const xml = path.join(work, "domain.xml");
        fs.writeFileSync(
            xml,
            `<domain type='qemu'><name>${domain}</name><memory unit='MiB'>64</memory><metadata>` +
                `<isobench:env xmlns:isobench='${ISOBENCH_XMLNS}' stack='${stack}' environment='kvm'/></metadata>` +
                `<os><type arch='x86_64'>hvm</type></os></domain>`,
        );
        must(["timeout", "30", "virsh", "-c", "qemu:///system", "define", xml]);
        fs.mkdirSync(guestDir, { recursive: true });
        for (const f of ["kvm.qcow2", "kvm.xml", "known_hosts"]) fs.writeFileSync(path.join(guestDir, f), "");
        fs.mkdirSync(dataDir, { recursive: true });
        fs.writeFileSync(path.join(dataDir, "dump.rdb"), "data");
        fs.mkdirSync(runDir, { recursive: true, mode: 0o700 });
        server = spawn("sleep", ["600"], { detached: true, stdio: "ignore" });
        server.unref();
        await waitFor("the sleep to run", () => server!.pid !== undefined && processAlive(server!.pid), 10);
        fs.writeFileSync(pidFile, `${server.pid}\n`);
        fs.writeFileSync(serverLog, "Ready to accept connections\n");
    });

    after(async function () {
        let destroyed: ReturnType<typeof isobench> | undefined;
        try {
            if (ownedUp && ownedUp.child.exitCode === null && ownedUp.child.signalCode === null) process.kill(ownedUp.child.pid!, "SIGKILL");
            if (server?.pid && processAlive(server.pid)) endProcesses([server.pid]);
            if (work) {
                destroyed = isobench(["destroy", owned], 600);
                endProcesses(processesOf(work));
            }
        } finally {
            // Belt and braces, whatever failed: the prefix also covers itlo<pid>-own's objects.
            removeLeftovers([...leftoverResources(`isobench-${stack}-`), ...leftoverFiles(stack)]);
            fs.rmSync(ownedFile, { force: true });
            if (work) fs.rmSync(work, { recursive: true, force: true });
        }
        assert.deepEqual([...leftoverResources(`isobench-${stack}-`), ...leftoverFiles(stack)], [], "nothing of the test is left");
        if (destroyed) assert.equal(destroyed.status, 0, `isobench destroy ${owned} failed:\n${destroyed.out.slice(-3000)}`);
    });

    it("lists, under the stack without a state, each thing made for it, and exits 3", () => {
        const r = isobench(["leftovers", stack]);
        console.log(`    $ isobench leftovers ${stack}\n${r.stdout.replace(/^/gm, "    ")}`);
        assert.equal(r.status, 3, r.out);
        const lines = r.stdout.trim().split("\n");
        const line = (kind: string, name: string) => lines.find((l) => l.startsWith(`${kind} `) && l.includes(` ${name} `));
        for (const [kind, name] of [
            ["server", `pid ${server!.pid} (sleep 600)`],
            ["container", container],
            ["volume", volume],
            ["domain", domain],
            ["guest-dir", guestDir],
            ["runtime-file", pidFile],
            ["runtime-file", serverLog],
            ["runtime-dir", runDir],
            ["data-dir", dataDir],
        ]) {
            assert.ok(line(kind, name), `${kind} ${name} listed:\n${r.stdout}`);
            assert.match(line(kind, name)!, new RegExp(`  stack ${stack}  `), "under its stack");
        }
        assert.match(
            line("container", container)!,
            /labelled isobench\.managed=true, isobench\.stack=itlo\d+; no stack's state names it \(stack itlo\d+ has no state in file:/,
        );
        assert.match(line("domain", domain)!, /its isobench metadata names stack itlo\d+/);
        assert.ok(!r.stdout.includes(`${owned}`), "another stack's things are not this one's (a longer name with the same prefix)");
    });

    it("lists the killed run's processes and stale lock, and nothing its state owns", () => {
        assert.ok(processesOf(work).length > 0, "the plugins outlive their pulumi");
        const r = isobench(["leftovers", owned]);
        console.log(`    $ isobench leftovers ${owned}\n${r.stdout.replace(/^/gm, "    ")}`);
        assert.equal(r.status, 3, r.out);
        assert.match(r.stdout, /^process +pid \d+ .*marked \d+@file:.* by the isobench up that started it \(pid \d+\), which is gone$/m);
        assert.match(r.stdout, /^lock +\S+\.json +stack itlo\d+-own +a stale lock: pulumi pid \d+ that locked stack itlo\d+-own at .* is gone$/m);
        assert.doesNotMatch(r.stdout, /^(container|volume|data-dir) /m, "its container, volume and data folder are in its state");
        // The helper sees what the command sees.
        const found = stackLeftovers(owned, env);
        assert.deepEqual(found.problems, []);
        assert.ok(found.plan.leftovers.some((x) => x.kind === "lock"));
    });

    it("--clean removes each, says what was done, exits 0, and a second look finds nothing", () => {
        const r = isobench(["leftovers", stack, "--clean"]);
        console.log(`    $ isobench leftovers ${stack} --clean\n${r.stdout.replace(/^/gm, "    ")}`);
        assert.equal(r.status, 0, r.out);
        assert.match(r.stdout, new RegExp(`^server .*-> ended \\(SIG(TERM|KILL)`, "m"));
        assert.match(r.stdout, new RegExp(`^container +${container} .*-> removed \\(docker rm -f\\)$`, "m"));
        assert.match(r.stdout, new RegExp(`^domain +${domain} .*-> removed \\(virsh destroy, undefine --nvram\\)$`, "m"));
        assert.ok(!processAlive(server!.pid!), "the server is ended");
        assert.ok(!exists(["docker", "container", "inspect", container]), "container removed");
        assert.ok(!exists(["docker", "volume", "inspect", volume]), "volume removed");
        assert.ok(!exists(["timeout", "30", "virsh", "-c", "qemu:///system", "dominfo", domain]), "domain undefined");
        for (const p of [guestDir, dataDir, runDir]) assert.ok(!fs.existsSync(p), `${p} removed`);
        const again = isobench(["leftovers", stack]);
        assert.equal(again.status, 0, again.out);
        assert.match(again.stdout, /^\[isobench\] no leftovers of stack itlo\d+$/m);
    });

    it("--clean ends the killed run's processes and clears its lock, and leaves what its state owns", () => {
        const r = isobench(["leftovers", owned, "--clean"]);
        console.log(`    $ isobench leftovers ${owned} --clean\n${r.stdout.replace(/^/gm, "    ")}`);
        assert.equal(r.status, 0, r.out);
        assert.match(r.stdout, /^lock .*-> cleared \(pulumi cancel\)$/m);
        assert.deepEqual(processesOf(work), [], "nothing of the killed run still runs");
        assert.deepEqual(locks(), [], "the lock is gone");
        assert.ok(exists(["docker", "container", "inspect", `isobench-${owned}-docker-nat`]), "the state's container stays");
        assert.ok(fs.existsSync(nativeDataDir(owned)), "the state's data folder stays");
        assert.ok(fs.existsSync(path.join(work, "results", owned, "lo-1", "cells")), "results stay");
        assert.equal(isobench(["leftovers", owned]).status, 0);
    });
});
