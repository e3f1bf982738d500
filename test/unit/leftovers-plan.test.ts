/**
 * `isobench leftovers`, the pure part: what no stack's state owns, decided on listings captured on
 * the development host (test/fixtures/leftovers/README.md says how): `docker ps -a` and `docker
 * volume ls` with isobench's labels, `virsh metadata`, /proc/locks, the processes of a real
 * `isobench up` during a cell, and the `pulumi stack export` of that stack (native + docker-nat).
 */
import * as assert from "node:assert/strict";
import {
    Facts,
    Folder,
    Leftover,
    Listings,
    ProcessFact,
    REMOVAL_ORDER,
    StackState,
    formatLeftovers,
    measureLockHolder,
    ownership,
    parseDockerListing,
    parseDomainMetadata,
    parseProcLocks,
    pidFileProcessRuns,
    planLeftovers,
    procLocksDevice,
    processStack,
    stackOfName,
    tokensOf,
} from "../../experiment/leftovers-plan";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("leftovers");
const EXPORT = JSON.parse(fixture("stack-export.json")) as unknown;
const PROCESSES = JSON.parse(fixture("processes-during-cell.json")) as ProcessFact[];
const OWNER_PID = 28738; // the isobench up whose processes the fixture holds

const EMPTY: Listings = { containers: [], volumes: [], domains: [], guestFolders: [], dataDirs: [], runtimeFolders: [], processes: [], locks: [] };
const FACTS: Facts = {
    states: [{ stack: "locap", exported: EXPORT }],
    knownStacks: ["quick", "locap"],
    backend: "file:///b",
    host: "vm",
    alive: () => false,
    self: 1,
    protectedPaths: ["/repo/results"],
};
const plan = (l: Partial<Listings>, f: Partial<Facts> = {}) => planLeftovers({ ...EMPTY, ...l }, { ...FACTS, ...f });
const names = (xs: readonly Leftover[]) => xs.map((x) => `${x.kind} ${x.name}`);

describe("leftovers: captured listings", () => {
    it("reads docker ps -a and docker volume ls with isobench's labels", () => {
        assert.deepEqual(parseDockerListing(fixture("docker-ps.txt")), [
            { name: "locap-plain", managed: false },
            { name: "isobench-locap-docker-nat-c1", managed: true, stack: "locap", environment: "docker-nat", cloneOf: "isobench-locap-docker-nat" },
            { name: "isobench-locap-docker-nat", managed: true, stack: "locap", environment: "docker-nat" },
        ]);
        assert.deepEqual(parseDockerListing(fixture("docker-volume-ls.txt")), [
            { name: "isobench-locap-docker-nat-data", managed: true, stack: "locap", environment: "docker-nat" },
            { name: "isobench-locap-docker-nat-data-c1", managed: false, cloneOf: "isobench-locap-docker-nat" },
            { name: "locap-plain-vol", managed: false },
        ]);
    });

    it("reads a domain's stack and environment from virsh metadata", () => {
        assert.deepEqual(parseDomainMetadata(fixture("virsh-metadata.xml")), { stack: "locap", environment: "kvm-tuned" });
        assert.deepEqual(parseDomainMetadata(`<isobench:env xmlns:isobench='u' stack='a&amp;b' environment='k'/>`), { stack: "a&b", environment: "k" });
        assert.deepEqual(parseDomainMetadata(""), {});
    });

    it("finds a held flock in /proc/locks by the file's device and inode", () => {
        const [dev, ino] = fixture("proc-locks.stat").trim().split(" ").map(Number);
        const locks = parseProcLocks(fixture("proc-locks.txt"));
        assert.ok(locks.length > 10, "every line read");
        assert.equal(procLocksDevice(dev), "fe:00");
        assert.deepEqual(
            locks.filter((l) => l.inode === ino && l.device === procLocksDevice(dev)),
            [{ type: "FLOCK", pid: 26653, device: "fe:00", inode: ino }],
        );
        assert.deepEqual(parseProcLocks("1: FLOCK  ADVISORY  WRITE 5 fe:00:7 0 EOF\n1: -> FLOCK  ADVISORY  WRITE 6 fe:00:7 0 EOF\n"), [
            { type: "FLOCK", pid: 5, device: "fe:00", inode: 7 },
        ]);
    });

    it("reads the measurement lock's holder as acquireMeasureLock writes it", () => {
        assert.deepEqual(measureLockHolder("stack quick, isobench pid 28512, since 2026-12-03T14:06:16.356Z\n"), { stack: "quick", pid: 28512 });
        assert.equal(measureLockHolder(""), undefined);
    });

    it("tells from a command line which stack a process works for", () => {
        const byPid = new Map(PROCESSES.map((p) => [p.pid, processStack(p.argv)]));
        assert.equal(byPid.get(29417), "locap", "pulumi up --stack locap");
        assert.equal(byPid.get(29500), "locap", "the Pulumi program (--stack)");
        assert.equal(byPid.get(30620), "locap", "sh -c '…/bin/isobench' run-cell <base64>");
        assert.equal(byPid.get(30621), "locap", "node …/cli.js run-cell <base64>");
        assert.equal(byPid.get(29486), undefined, "the language host says nothing");
        assert.equal(processStack(["node", "/x/build/experiment/cli.js", "up", "felter2014"]), "felter2014");
        assert.equal(processStack(["node", "/x/build/experiment/cli.js", "leftovers", "felter2014"]), undefined, "looking is not using");
        assert.equal(processStack(["sh", "-c", "isobench run-cell !!notbase64"]), undefined);
    });
});

describe("leftovers: what the states own", () => {
    const owned = ownership([{ stack: "locap", exported: EXPORT }]);

    it("names the container, its volume and the native data folder of the captured stack", () => {
        for (const t of ["isobench-locap-docker-nat", "isobench-locap-docker-nat-data", "/var/tmp/isobench-data/locap"]) assert.ok(owned.tokens.has(t), t);
        assert.ok(!owned.tokens.has("isobench-locap-docker-nat-c1"), "a clone is never in a state");
        assert.deepEqual([...owned.stacks], ["locap"]);
    });

    it("splits scripts, filters, mounts and XML into the words and paths they name", () => {
        assert.deepEqual(tokensOf("--filter 'name=^/?isobench-q-d$' -v isobench-q-d-data:/data <source file='/g/q/k.qcow2'/> mkdir -p \"/t/q/\""), [
            "--filter",
            "name",
            "isobench-q-d",
            "-v",
            "isobench-q-d-data",
            "/data",
            "source",
            "file",
            "/g/q/k.qcow2",
            "mkdir",
            "-p",
            "/t/q",
        ]);
    });

    it("counts pending operations (recover removes those) and skips the serialized provider code", () => {
        const o = ownership([
            {
                stack: "p",
                exported: {
                    deployment: {
                        resources: [{ inputs: { __provider: "isobench-p-hidden", create: "x" } }],
                        pending_operations: [{ resource: { inputs: { create: "docker run --name 'isobench-p-half'" } } }],
                    },
                },
            },
        ]);
        assert.ok(o.tokens.has("isobench-p-half"));
        assert.ok(!o.tokens.has("isobench-p-hidden"));
    });
});

describe("leftovers: the plan", () => {
    const containers = parseDockerListing(fixture("docker-ps.txt"));
    const volumes = parseDockerListing(fixture("docker-volume-ls.txt"));

    it("lists clones and nothing a state owns or isobench did not label", () => {
        const p = plan({ containers, volumes, dataDirs: [{ name: "locap", path: "/var/tmp/isobench-data/locap", files: [] }] });
        assert.deepEqual(names(p.leftovers), ["container isobench-locap-docker-nat-c1", "volume isobench-locap-docker-nat-data-c1"]);
        assert.match(p.leftovers[0].why, /labelled isobench\.clone-of=isobench-locap-docker-nat: a clone.*; no stack's state names it$/);
        assert.equal(p.leftovers[1].stack, "locap", "a clone volume's stack comes from its original's name");
        assert.deepEqual(p.notes, []);
    });

    it("lists everything labelled when no state names it, saying the stack has no state", () => {
        const p = plan({ containers, volumes, dataDirs: [{ name: "locap", path: "/var/tmp/isobench-data/locap", files: [] }] }, { states: [] });
        assert.deepEqual(names(p.leftovers), [
            "container isobench-locap-docker-nat-c1",
            "container isobench-locap-docker-nat",
            "volume isobench-locap-docker-nat-data",
            "volume isobench-locap-docker-nat-data-c1",
            "data-dir /var/tmp/isobench-data/locap",
        ]);
        assert.match(
            p.leftovers[1].why,
            /^labelled isobench\.managed=true, isobench\.stack=locap; no stack's state names it \(stack locap has no state in file:\/\/\/b\)$/,
        );
    });

    it("judges nothing of a stack that holds the host's measurement lock, and says so", () => {
        const measureLock = { file: "/run/lock/m", held: true, holder: "stack locap, isobench pid 28738, since 2026-12-03T14:19:13.961Z" };
        const p = plan({ containers, volumes, measureLock }, { states: [] });
        assert.deepEqual(p.leftovers, []);
        assert.match(p.notes[0], /^stack locap is in use now \(it holds the host's measurement lock \(stack locap, isobench pid 28738/);
        assert.equal(
            plan({ containers, measureLock: { ...measureLock, held: false } }, { states: [] }).leftovers.length,
            2,
            "a free lock's old text is no run",
        );
    });

    it("judges nothing of a stack a live run works for: its processes are no leftovers either", () => {
        const p = plan({ containers, processes: PROCESSES }, { states: [], alive: (pid) => pid === OWNER_PID });
        assert.deepEqual(p.leftovers, []);
        assert.match(p.notes[0], /^stack locap is in use now \(pid 29417 runs for it \(pulumi up --yes --skip-preview --stack locap\)\)/);
    });

    it("a run seen only before the listings still counts", () => {
        const p = plan(
            { containers, before: { processes: [{ pid: 5, argv: ["pulumi", "up", "--stack", "locap"] }], locks: [] } },
            { alive: (pid) => pid === 5 },
        );
        assert.deepEqual(p.leftovers, []);
    });

    it("lists the processes of a killed isobench up under its stack, found through their run's mark", () => {
        const p = plan({ processes: PROCESSES });
        assert.deepEqual(
            p.leftovers.map((x) => [x.kind, x.pid, x.stack]),
            PROCESSES.map((x) => ["process", x.pid, "locap"]),
        );
        assert.match(p.leftovers[1].name, /^pid 29486 \(\/work\/wtG\/\.tools\/bin\/pulumi-language-nodejs 127\.0\.0\.1:34621\)$/);
        assert.match(
            p.leftovers[1].why,
            /^marked 28738@file:\/\/\/tmp\/wtG-lo\.pgZk\/backend by the isobench up that started it \(pid 28738\), which is gone$/,
        );
        assert.deepEqual(plan({ processes: PROCESSES }, { only: "quick" }).leftovers, [], "another stack's");
    });

    it("attributes an orphan with nothing on its command line through the measurement lock's last holder", () => {
        const processes = [{ pid: 7, argv: ["sleep", "600"], owner: "99@file:///b" }];
        const p = plan({ processes, measureLock: { file: "/m", held: false, holder: "stack felter2014, isobench pid 99, since x" } }, { only: "felter2014" });
        assert.deepEqual(
            p.leftovers.map((x) => [x.kind, x.stack]),
            [["process", "felter2014"]],
        );
        assert.equal(plan({ processes }).leftovers[0].stack, "?");
    });

    it("a PID file names a server only if its process started before the file was written", () => {
        assert.ok(pidFileProcessRuns({ pid: 5, writtenMs: 10_000, startedMs: 9_990 }));
        assert.ok(pidFileProcessRuns({ pid: 5, writtenMs: 10_000, startedMs: 11_500 }), "start times are known to the second's boot time");
        assert.ok(!pidFileProcessRuns({ pid: 5, writtenMs: 10_000, startedMs: 60_000 }), "the pid was reused");
        assert.ok(!pidFileProcessRuns({ pid: 5, writtenMs: 10_000 }), "nothing runs");
    });

    it("lists a killed cell's server, its files and the runtime folder when no cell of the stack runs", () => {
        const run: Folder = {
            name: "q",
            path: "/run/isobench/q",
            files: [
                { name: "redis.native.r1.pid", pid: { pid: 42, writtenMs: 1000, startedMs: 990, command: "redis-server --bind 127.0.0.1" } },
                { name: "redis.native.r1.server.log" },
                { name: "old.pid", pid: { pid: 43, writtenMs: 1000, startedMs: 90_000, command: "bash" } },
            ],
        };
        const p = plan({ runtimeFolders: [run] });
        assert.deepEqual(names(p.leftovers), [
            "server pid 42 (redis-server --bind 127.0.0.1)",
            "runtime-file /run/isobench/q/redis.native.r1.pid",
            "runtime-file /run/isobench/q/redis.native.r1.server.log",
            "runtime-file /run/isobench/q/old.pid",
            "runtime-dir /run/isobench/q",
        ]);
        assert.equal(p.leftovers[0].pid, 42);
        assert.match(p.leftovers[3].why, /^PID file of pid 43, which no longer runs;/);
        const busy = plan({ runtimeFolders: [run], processes: [{ pid: 8, argv: ["pulumi", "up", "--stack", "q"] }] }, { alive: (pid) => pid === 8 });
        assert.deepEqual(busy.leftovers, [], "a running cell's files are its own");
    });

    it("attributes a domain by its metadata, and by the longest known stack prefix when it has none", () => {
        const domains = [
            { name: "isobench-felter2014-small-kvm-tuned" },
            { name: "isobench-odd-name", stack: "felter2014", environment: "kvm" },
            { name: "someone-elses-vm" },
        ];
        const known = { knownStacks: ["felter2014", "felter2014-small"] };
        assert.deepEqual(
            plan({ domains }, known).leftovers.map((x) => [x.name, x.stack]),
            [
                ["isobench-felter2014-small-kvm-tuned", "felter2014-small"],
                ["isobench-odd-name", "felter2014"],
            ],
        );
        assert.deepEqual(names(plan({ domains }, { ...known, only: "felter2014" }).leftovers), ["domain isobench-odd-name"]);
        assert.equal(stackOfName("isobench-felter2014-small-kvm", ["felter2014", "felter2014-small"]), "felter2014-small");
        assert.equal(stackOfName("isobench-x-kvm", ["felter2014"]), undefined);
    });

    it("in a guest folder a state owns, lists only the files no state names; an unowned folder goes whole", () => {
        const guestState: StackState = {
            stack: "g",
            exported: {
                deployment: {
                    resources: [
                        {
                            inputs: {
                                create: "install -d -m 0711 '/gd' '/gd/g'\nprintf '%s\\n' \"$ISOBENCH_DOMAIN_XML\" > '/gd/g/kvm.xml'\n'/r/lc.sh' create 'isobench-g-kvm' '/gd/g/kvm.xml' '/base.qcow2' '/gd/g/kvm.qcow2'",
                                delete: "rm -f '/gd/g/kvm.xml' '/gd/g/kvm.serial.log'",
                            },
                        },
                    ],
                },
            },
        };
        const owned: Folder = {
            name: "g",
            path: "/gd/g",
            files: ["known_hosts", "kvm-c1.qcow2", "kvm-c1.xml", "kvm.qcow2", "kvm.serial.log", "kvm.xml"].map((name) => ({ name })),
        };
        const other: Folder = { name: "h", path: "/gd/h", files: [{ name: "kvm.qcow2" }] };
        const p = plan({ guestFolders: [owned, other], domains: [{ name: "isobench-g-kvm", stack: "g" }] }, { states: [guestState] });
        assert.deepEqual(names(p.leftovers), ["guest-file /gd/g/kvm-c1.qcow2", "guest-file /gd/g/kvm-c1.xml", "guest-dir /gd/h"]);
        assert.match(p.leftovers[0].why, /^a clone's file/);
        assert.match(p.leftovers[2].why, /^stack h's guest folder \(1 file\(s\): kvm\.qcow2\); no stack's state names it \(stack h has no state/);
    });

    it("never lists a folder that holds or lies in the results", () => {
        const p = plan({ guestFolders: [{ name: "x", path: "/repo/results/x", files: [] }], dataDirs: [{ name: "r", path: "/repo", files: [] }] });
        assert.deepEqual(p.leftovers, []);
    });

    it("lists a lock whose pulumi ran here and is gone; a live one makes the stack in use; another host's is a note", () => {
        const lock = (pid: number, hostname: string) => ({
            stack: "q",
            lock: { file: `/b/.pulumi/locks/organization/isobench/q/${pid}.json`, pid, hostname, timestamp: "t" },
        });
        const stale = plan({ locks: [lock(11, "vm")] });
        assert.deepEqual(names(stale.leftovers), ["lock /b/.pulumi/locks/organization/isobench/q/11.json"]);
        assert.match(stale.leftovers[0].why, /^a stale lock: pulumi pid 11 that locked stack q at t is gone$/);
        const live = plan({ locks: [lock(12, "vm")], runtimeFolders: [{ name: "q", path: "/run/isobench/q", files: [] }] }, { alive: (pid) => pid === 12 });
        assert.deepEqual(live.leftovers, []);
        assert.match(live.notes[0], /^stack q is in use now \(pulumi pid 12 holds its lock since t\)/);
        const remote = plan({ locks: [lock(13, "elsewhere")] });
        assert.deepEqual(remote.leftovers, []);
        assert.match(remote.notes[0], /locked by pulumi pid 13 on host elsewhere .*cannot be told from here/);
    });

    it("lists one stack's leftovers only when asked for it, in removal order", () => {
        const p = plan(
            {
                containers,
                dataDirs: [
                    { name: "locap", path: "/var/tmp/isobench-data/locap", files: [] },
                    { name: "quick", path: "/var/tmp/isobench-data/quick", files: [] },
                ],
                runtimeFolders: [{ name: "quick", path: "/run/isobench/quick", files: [] }],
                processes: PROCESSES,
            },
            { states: [], only: "quick" },
        );
        assert.deepEqual(names(p.leftovers), ["runtime-dir /run/isobench/quick", "data-dir /var/tmp/isobench-data/quick"]);
        const all = plan({ containers, processes: PROCESSES, dataDirs: [{ name: "quick", path: "/var/tmp/isobench-data/quick", files: [] }] }, { states: [] });
        const ranks = all.leftovers.map((x) => REMOVAL_ORDER.indexOf(x.kind));
        assert.deepEqual(
            ranks,
            [...ranks].sort((a, b) => a - b),
        );
        assert.deepEqual([...new Set(all.leftovers.map((x) => x.kind))], ["process", "container", "data-dir"]);
    });
});

describe("leftovers: output", () => {
    const items: Leftover[] = [
        { kind: "container", name: "isobench-q-docker-nat", stack: "q", why: "labelled" },
        { kind: "data-dir", name: "/var/tmp/isobench-data/q", stack: "q", why: "no state" },
    ];
    it("one line per leftover: kind, name, stack and why in aligned columns", () => {
        assert.deepEqual(formatLeftovers(items.map((item) => ({ item }))), [
            "container  isobench-q-docker-nat     stack q  labelled",
            "data-dir   /var/tmp/isobench-data/q  stack q  no state",
        ]);
    });
    it("a very long name (a lock file's path) pushes only its own line", () => {
        const lock: Leftover = { kind: "lock", name: `/b/${"x".repeat(80)}.json`, stack: "q", why: "stale" };
        const lines = formatLeftovers(
            [lock, ...items].map((item) => ({ item })),
            30,
        );
        assert.equal(lines[0], `lock       ${lock.name}  stack q  stale`);
        assert.equal(lines[1], "container  isobench-q-docker-nat           stack q  labelled");
    });
    it("with what was done, for --clean", () => {
        assert.deepEqual(formatLeftovers([{ item: items[0], done: "removed (docker rm -f)" }]), [
            "container  isobench-q-docker-nat  stack q  labelled  -> removed (docker rm -f)",
        ]);
    });
});
