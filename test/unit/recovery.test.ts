/**
 * What a killed run leaves and how the next one decides to clear it: stale locks, orphaned
 * processes, pending operations (on the shape `pulumi stack export` writes), stale server PID
 * files, and the host's measurement lock (real flock(1) on a temporary file).
 */
import * as assert from "node:assert/strict";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { lockDecision, orphansOf, pendingOperations, processAlive, resourceNameOf, withoutPendingOperations } from "../../experiment/recovery";
import { acquireMeasureLock, holderArgv, lockOwner, lockPlace, lockProbeArgv, machineName, parseHeldLine } from "../../experiment/measure-lock";
import { runningCondition, stopScript, stopStaleServersScript } from "../../environments/exec-target";
import { LOCAL_TARGET, SshTarget } from "../../core/transport";

const LOCK = { file: "/s/.pulumi/locks/organization/isobench/quick/u.json", pid: 4242, hostname: "vm", timestamp: "2026-12-03T08:37:41Z" };

describe("recovery: a killed run's lock", () => {
    it("clears a lock whose pulumi ran here and is gone", () => {
        const d = lockDecision(LOCK, "quick", "vm", () => false);
        assert.equal(d.action, "clear");
        assert.match(d.why, /pulumi pid 4242 that locked stack quick .* is gone/);
    });
    it("refuses a lock whose pulumi still runs, saying how to stop it", () => {
        const d = lockDecision(LOCK, "quick", "vm", (p) => p === 4242);
        assert.equal(d.action, "refuse");
        assert.match(d.why, /being updated by pulumi pid 4242 .*kill -INT 4242/);
    });
    it("refuses a lock taken on another host: its process cannot be checked from here", () => {
        const d = lockDecision(LOCK, "quick", "other", () => false);
        assert.equal(d.action, "refuse");
        assert.match(d.why, /on host vm .*remove \/s\/\.pulumi\/locks/);
    });
});

describe("recovery: orphaned processes", () => {
    const url = "file:///work/x/.state/pulumi";
    it("are the marked processes of this backend whose isobench is gone", () => {
        const marked = [
            { pid: 10, owner: `100@${url}` }, // isobench 100 gone: orphan
            { pid: 11, owner: `101@${url}` }, // isobench 101 alive: its run goes on
            { pid: 12, owner: `100@file:///other/.state/pulumi` }, // another checkout's
            { pid: 13, owner: `7@${url}` }, // this process's own run
        ];
        assert.deepEqual(
            orphansOf(marked, url, (p) => p === 101, 7),
            [10],
        );
    });
    it("a zombie counts as gone, a live process as alive", () => {
        assert.equal(processAlive(process.pid), true);
        assert.equal(processAlive(2 ** 22 + 1), false);
    });
});

describe("recovery: pending operations", () => {
    // The shape of `pulumi stack export --show-secrets` after a SIGKILL during a cell and a container's creation.
    const exported = {
        version: 3,
        deployment: {
            manifest: {},
            resources: [{ urn: "urn:pulumi:q::isobench::pulumi:pulumi:Stack::isobench-q" }],
            pending_operations: [
                {
                    resource: {
                        urn: "urn:pulumi:q::isobench::pulumi-nodejs:dynamic/isobench-command:Resource::cell-sysbench-cpu.native.r3",
                        inputs: { __provider: "…", create: "x" },
                    },
                    type: "creating",
                },
                {
                    resource: {
                        urn: "urn:pulumi:q::isobench::isobench:environment:Docker$pulumi-nodejs:dynamic/isobench-command:Resource::container-docker-nat",
                        inputs: { create: "docker create …", delete: "docker rm -f isobench-q-docker-nat", environment: { A: "1" }, dir: "/w" },
                    },
                    type: "creating",
                },
            ],
        },
    };
    it("names each one and carries the delete step of a resource that has one", () => {
        const ops = pendingOperations(exported);
        assert.deepEqual(
            ops.map((o) => [o.type, resourceNameOf(o.urn), o.deleteScript]),
            [
                ["creating", "cell-sysbench-cpu.native.r3", undefined],
                ["creating", "container-docker-nat", "docker rm -f isobench-q-docker-nat"],
            ],
        );
        assert.deepEqual(ops[1].environment, { A: "1" });
        assert.equal(ops[1].dir, "/w");
    });
    it("are dropped from the deployment and nothing else is", () => {
        const out = withoutPendingOperations(exported) as typeof exported;
        assert.equal("pending_operations" in out.deployment, false);
        assert.deepEqual(out.deployment.resources, exported.deployment.resources);
        assert.equal(out.version, 3);
        assert.equal(exported.deployment.pending_operations.length, 2, "the input is not changed");
    });
    it("an export without any is empty", () => {
        assert.deepEqual(pendingOperations({ deployment: { resources: [] } }), []);
        assert.deepEqual(pendingOperations(undefined), []);
    });
});

describe("recovery: servers a killed cell left", () => {
    it("are stopped from their PID files, which go; this shell and a dead PID are left alone", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-stale-"));
        // Started as detachedScript starts servers: its shell exits, so init reaps it when it ends.
        const pid = Number(spawnSync("/bin/sh", ["-c", "nohup sleep 300 >/dev/null 2>&1 </dev/null & echo $!"], { encoding: "utf8" }).stdout);
        try {
            fs.writeFileSync(path.join(dir, "redis.native.r1.pid"), `${pid}\n`);
            fs.writeFileSync(path.join(dir, "gone.pid"), "4194305\n");
            fs.writeFileSync(path.join(dir, "self.pid"), "SELF\n");
            // The script's own shell writes its PID into self.pid first, as a reused number would be.
            const r = spawnSync("/bin/sh", ["-c", `sed -i "s/SELF/$$/" ${dir}/self.pid; ${stopStaleServersScript(dir)}`], { encoding: "utf8" });
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stdout.trim(), `stopped server pid ${pid} left by a killed run (${dir}/redis.native.r1.pid)`);
            assert.equal(processAlive(pid), false);
            assert.deepEqual(fs.readdirSync(dir), []);
        } finally {
            if (processAlive(pid)) process.kill(pid, "SIGKILL");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("a server that ended but was never reaped (a zombie, as in a container whose PID 1 reaps nothing) counts as ended", async () => {
        // The child's parent execs a sleep that never waits for it: killed, the child stays a zombie.
        const parent = spawn("/bin/sh", ["-c", "sleep 300 & echo $!; exec sleep 301"], { stdio: ["ignore", "pipe", "ignore"] });
        const running = (pid: number) => spawnSync("/bin/sh", ["-c", `p=${pid}; ${runningCondition("p")}`]).status === 0;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-zombie-"));
        try {
            const child = await new Promise<number>((resolve) => parent.stdout!.once("data", (d) => resolve(Number(String(d).trim()))));
            assert.ok(child > 0, "the parent's child sleep runs");
            assert.equal(running(child), true);
            process.kill(child, "SIGKILL");
            for (let i = 0; i < 50 && !/^State:\s*Z/m.test(fs.readFileSync(`/proc/${child}/status`, "utf8")); i++) spawnSync("sleep", ["0.1"]);
            assert.match(fs.readFileSync(`/proc/${child}/status`, "utf8"), /^State:\s*Z/m, "a zombie");
            assert.equal(spawnSync("kill", ["-0", String(child)]).status, 0, "kill -0 alone takes it for running");
            assert.equal(running(child), false);
            assert.equal(running(4194305), false, "a PID nobody has");
            // The stop step sees it as ended: it removes the PID file and says nothing more.
            fs.writeFileSync(path.join(dir, "s.pid"), `${child}\n`);
            const stop = spawnSync("/bin/sh", ["-c", stopScript(path.join(dir, "s.pid"))], { encoding: "utf8" });
            assert.equal(stop.status, 0, stop.stderr);
            assert.deepEqual(fs.readdirSync(dir), []);
        } finally {
            parent.kill("SIGKILL");
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
    it("an empty runtime folder says nothing", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-stale-"));
        try {
            const r = spawnSync("/bin/sh", ["-c", stopStaleServersScript(dir)], { encoding: "utf8" });
            assert.equal(r.status, 0);
            assert.equal(r.stdout, "");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("measurement lock: the target's side (pure)", () => {
    const ssh: SshTarget = {
        kind: "ssh",
        user: "root",
        host: "server.example",
        port: 2222,
        keyFile: "/k/id",
        knownHosts: "/s/known_hosts",
        controlPath: "/s/cm",
        dockerSocket: "/s/docker.sock",
    };

    it("holds the lock locally with flock on this machine, behind the pid watcher", () => {
        const argv = holderArgv(LOCAL_TARGET, "/run/lock/x.lock", "stack a");
        assert.deepEqual(argv.slice(0, 2), ["sh", "-c"]);
        assert.deepEqual(argv.slice(4, 7), ["flock", "-x", "/run/lock/x.lock"]);
        assert.deepEqual(argv.slice(-2), ["stack a", "/run/lock/x.lock"]);
    });

    it("holds a remote target's lock with flock run there, over the shared connection; the watcher stays here", () => {
        const argv = holderArgv(ssh, "/run/lock/x.lock", "stack a, isobench pid 1");
        assert.deepEqual(argv.slice(0, 2), ["sh", "-c"]);
        assert.match(argv[2], /kill -0 "\$pid"/, "the pid watched is the controller's");
        assert.equal(argv[4], "ssh");
        assert.ok(argv.includes("ControlPath=/s/cm"), "rides on the target's shared connection");
        const remote = argv[argv.length - 1];
        assert.ok(remote.startsWith("'flock' '-x' '/run/lock/x.lock' 'sh' '-c' "), remote);
        assert.ok(remote.endsWith(" 'sh' 'stack a, isobench pid 1' '/run/lock/x.lock'"), remote);
        assert.equal(argv[argv.length - 2], "server.example");
    });

    it("reads the previous owner from the holder's first line", () => {
        assert.equal(parseHeldLine("held stack a, isobench pid 1\n"), "stack a, isobench pid 1");
        assert.equal(parseHeldLine("held \n"), "");
        assert.equal(parseHeldLine("held"), "");
        assert.equal(parseHeldLine("flock: cannot open"), undefined);
    });

    it("names a remote lock by its target, a local one by its file", () => {
        assert.equal(lockPlace(LOCAL_TARGET, "local", "/run/lock/x.lock"), "/run/lock/x.lock");
        assert.equal(lockPlace(ssh, "ssh://root@server.example:2222", "/run/lock/x.lock"), "ssh://root@server.example:2222:/run/lock/x.lock");
        assert.equal(machineName(LOCAL_TARGET, "local"), "this host");
        assert.equal(machineName(ssh, "ssh://root@server.example:2222"), "ssh://root@server.example:2222");
    });

    it("the probe says free (0), held (1) or no flock (127), creating the lock's folder and naming its file", function () {
        this.timeout(20_000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-lock-"));
        try {
            const file = path.join(dir, "sub", "x.lock");
            const probe = (env: NodeJS.ProcessEnv, at?: string) => {
                const argv = lockProbeArgv(at);
                const r = spawnSync(argv[0], argv.slice(1), { env, encoding: "utf8" });
                return { status: r.status, file: r.stdout.split("\n")[0] };
            };
            assert.deepEqual(probe({ PATH: process.env.PATH }, file), { status: 0, file });
            assert.equal(fs.existsSync(path.dirname(file)), true);
            // Without a file named, the machine's own ISOBENCH_MEASURE_LOCK says where its lock is.
            const other = path.join(dir, "other", "y.lock");
            assert.deepEqual(probe({ PATH: process.env.PATH, ISOBENCH_MEASURE_LOCK: other }), { status: 0, file: other });
            const holder = spawn("flock", ["-x", file, "sleep", "30"], { stdio: "ignore" });
            try {
                let status = probe({ PATH: process.env.PATH }, file).status;
                for (let i = 0; i < 50 && status === 0; i++) {
                    spawnSync("sleep", ["0.1"]);
                    status = probe({ PATH: process.env.PATH }, file).status;
                }
                assert.equal(status, 1);
            } finally {
                holder.kill();
            }
            // /bin/sh is found by its path; flock is not on this PATH.
            assert.equal(probe({ PATH: "/nonexistent" }, file).status, 127);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("measurement lock (flock on a temporary file)", function () {
    this.timeout(20_000);
    let dir = "";
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-lock-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("a second taker waits for the first, says whom it waits for, and records the wait", async () => {
        const file = path.join(dir, "measure.lock");
        const first = await acquireMeasureLock("stack a, isobench pid 1", () => {}, { file });
        assert.equal(first.waitedS < 5, true);
        assert.equal(first.waitedFor, "");
        assert.equal(lockOwner(file), "stack a, isobench pid 1");
        const said: string[] = [];
        const second = acquireMeasureLock("stack b, isobench pid 2", (l) => said.push(l), { file, sayEveryS: 1 });
        await new Promise((r) => setTimeout(r, 1500));
        first.release();
        const held = await second;
        try {
            assert.equal(held.waitedFor, "stack a, isobench pid 1");
            assert.ok(held.waitedS >= 1.4, `waited ${held.waitedS} s`);
            assert.match(said[0], /another measurement holds this host \(stack a, isobench pid 1; lock .*\): waiting/);
            assert.ok(said.some((l) => /still waiting \d+ s for stack a/.test(l)));
            assert.equal(lockOwner(file), "stack b, isobench pid 2");
        } finally {
            held.release();
        }
    });

    it("a taker that found the lock free but then blocks behind another records the wait too", async () => {
        const file = path.join(dir, "measure.lock");
        // Both check the free lock before either flock runs: what two stacks started together do.
        const said: string[][] = [[], []];
        const takers = ["stack a", "stack b"].map((o, i) => acquireMeasureLock(o, (l) => said[i].push(l), { file }));
        const first = await Promise.race(takers.map((t, i) => t.then((held) => ({ held, i }))));
        await new Promise((r) => setTimeout(r, 2500));
        first.held.release();
        const other = await takers[1 - first.i];
        try {
            assert.equal(first.held.waitedFor, "");
            assert.equal(other.waitedFor, first.i === 0 ? "stack a" : "stack b");
            assert.ok(other.waitedS >= 2.4, `waited ${other.waitedS} s`);
            assert.match(said[1 - first.i][0], /another measurement holds this host .*waiting for it to finish/);
        } finally {
            other.release();
        }
    });

    it("stays held while the watched process lives, even when its taker lets go", async () => {
        const file = path.join(dir, "measure.lock");
        const watched = spawn("sleep", ["2"], { stdio: "ignore" });
        const held = await acquireMeasureLock("stack a", () => {}, { file });
        held.watch(watched.pid!);
        held.release();
        await new Promise((r) => setTimeout(r, 500));
        assert.notEqual(spawnSync("flock", ["-n", file, "true"]).status, 0, "held while the watched process runs");
        await new Promise((r) => watched.once("exit", r));
        // The holder checks once a second.
        let free = false;
        for (let i = 0; i < 30 && !free; i++) {
            await new Promise((r) => setTimeout(r, 100));
            free = spawnSync("flock", ["-n", file, "true"]).status === 0;
        }
        assert.equal(free, true, "released once the watched process is gone");
    });
});
