/** The transport to the machine under test: argv built for local and SSH targets, and the local one run for real. */
import * as assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { Readable } from "stream";
import {
    LOCAL_TARGET,
    SshTarget,
    copyToArgv,
    dockerEnv,
    dockerForwardArgv,
    onTargetArgv,
    parseIdentity,
    scriptCommand,
    targetLabel,
} from "../../core/transport";
import { transportTo } from "../../environments/transport";
import { measureHost } from "../../environments/host-facts";

const remote: SshTarget = {
    kind: "ssh",
    user: "root",
    host: "server.example",
    port: 2222,
    keyFile: "/keys/id_ed25519",
    knownHosts: "/state/targets/t/known_hosts",
    controlPath: "/state/targets/t/cm",
    dockerSocket: "/state/targets/t/docker.sock",
};

/** The words a POSIX shell makes of `line`, as ssh's remote login shell would. */
function wordsOf(line: string): string[] {
    const r = spawnSync("/bin/sh", ["-c", `eval "set -- $1"; for w in "$@"; do printf '%s\\0' "$w"; done`, "sh", line], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\0").slice(0, -1);
}

/** The value of `-o name=value` in argv. */
function option(argv: readonly string[], name: string): string | undefined {
    for (let i = 0; i + 1 < argv.length; i++) if (argv[i] === "-o" && argv[i + 1].startsWith(`${name}=`)) return argv[i + 1].slice(name.length + 1);
    return undefined;
}

describe("transport (core/transport.ts)", () => {
    it("runs argv as it is on the local target", () => {
        assert.deepEqual(onTargetArgv(LOCAL_TARGET, ["docker", "ps"]), ["docker", "ps"]);
        assert.equal(scriptCommand(LOCAL_TARGET, "mkdir -p '/a b'"), "mkdir -p '/a b'");
        assert.equal(targetLabel(LOCAL_TARGET), "local");
        assert.deepEqual(dockerEnv(LOCAL_TARGET), {});
    });

    it("pins the host key, multiplexes and keeps the connection alive over SSH", () => {
        const argv = onTargetArgv(remote, ["true"]);
        assert.equal(argv[0], "ssh");
        assert.equal(option(argv, "StrictHostKeyChecking"), "yes");
        assert.equal(option(argv, "UserKnownHostsFile"), remote.knownHosts);
        assert.equal(option(argv, "GlobalKnownHostsFile"), "/dev/null");
        assert.equal(option(argv, "IdentityFile"), remote.keyFile);
        assert.equal(option(argv, "IdentitiesOnly"), "yes");
        assert.equal(option(argv, "BatchMode"), "yes");
        assert.equal(option(argv, "ControlMaster"), "auto");
        assert.equal(option(argv, "ControlPath"), remote.controlPath);
        assert.match(option(argv, "ControlPersist") ?? "", /^\d+$/);
        assert.equal(option(argv, "ServerAliveInterval"), "15");
        assert.equal(option(argv, "Port"), "2222");
        assert.equal(option(argv, "User"), "root");
        assert.deepEqual(argv.slice(-3, -1), ["--", "server.example"]);
        assert.equal(targetLabel(remote), "ssh://root@server.example:2222");
    });

    it("quotes each word so the remote shell gets the argv back unchanged", () => {
        const words = ["/bin/sh", "-c", `echo "it's $HOME" | tr a b; rm -rf '/x y'`, "", "*"];
        assert.deepEqual(wordsOf(onTargetArgv(remote, words).at(-1)!), words);
    });

    it("wraps a command resource's script so the controller's shell runs ssh with it", () => {
        const script = `docker run -d --name 'c 1' img sh -c 'sleep infinity' && echo "ready_s=$x"`;
        const line = scriptCommand(remote, script);
        const argv = wordsOf(line);
        assert.equal(argv[0], "ssh");
        assert.deepEqual(wordsOf(argv.at(-1)!), ["/bin/sh", "-c", script]);
    });

    it("carries the variables a script reads to the target, where ssh would drop them, and leaves a local script as it is", () => {
        const xml = `<domain type='kvm'>\n  <name>it's "here"</name>\n</domain>`;
        const script = 'printf "%s\\n" "$ISOBENCH_DOMAIN_XML"';
        assert.equal(scriptCommand(LOCAL_TARGET, script, { ISOBENCH_DOMAIN_XML: xml }), script);
        const remoteScript = wordsOf(wordsOf(scriptCommand(remote, script, { ISOBENCH_DOMAIN_XML: xml })).at(-1)!).at(-1)!;
        // What the target's /bin/sh gets prints the value unchanged.
        const r = spawnSync("/bin/sh", ["-c", remoteScript], { encoding: "utf8", env: {} });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout, `${xml}\n`);
        assert.throws(() => scriptCommand(remote, script, { "A-B": "x" }), /not a shell variable name/);
    });

    it("copies with scp to the target, an IPv6 address in brackets", () => {
        const v6 = { ...remote, host: "fd00::1" };
        const argv = copyToArgv(v6, "/l/f", "/r/f");
        assert.equal(argv[0], "scp");
        assert.equal(option(argv, "UserKnownHostsFile"), remote.knownHosts);
        assert.deepEqual(argv.slice(-2), ["/l/f", "[fd00::1]:/r/f"]);
    });

    it("gives Docker clients the target's socket forwarded over the shared connection, ", () => {
        assert.deepEqual(dockerEnv(remote), { DOCKER_HOST: `unix://${remote.dockerSocket}` });
        const fwd = dockerForwardArgv(remote);
        assert.deepEqual(fwd.slice(-6), ["-O", "forward", "-L", `${remote.dockerSocket}:/var/run/docker.sock`, "--", "server.example"]);
        assert.equal(option(fwd, "ControlPath"), remote.controlPath);
    });

    it("reads a machine's identity, and refuses output that is not one", () => {
        assert.deepEqual(parseIdentity("h1\n6.1.0-18-amd64\nIntel(R) Xeon(R) CPU E5-2665\n"), {
            host: "h1",
            kernel: "6.1.0-18-amd64",
            cpu_model: "Intel(R) Xeon(R) CPU E5-2665",
        });
        assert.throws(() => parseIdentity("h1\n6.1\n"), /cannot read the machine's identity/);
    });
});

describe("transport (environments/transport.ts)", () => {
    let dir = "";
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-transport-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs commands, copies files and reads the identity of the local target through the same code path", () => {
        const local = transportTo(LOCAL_TARGET);
        assert.equal(local.mustRun(["/bin/sh", "-c", "echo $((6 * 7))"], 10, "arithmetic").trim(), "42");
        assert.equal(local.attempt(["/bin/sh", "-c", "exit 3"], 10).status, 3);
        const src = path.join(dir, "a");
        fs.writeFileSync(src, "payload");
        local.copyTo(src, path.join(dir, "b"));
        local.copyFrom(path.join(dir, "b"), path.join(dir, "c"));
        assert.equal(fs.readFileSync(path.join(dir, "c"), "utf8"), "payload");
        const id = local.identity();
        assert.equal(id.host, os.hostname());
        assert.equal(id.kernel, os.release());
        assert.equal(id.cpu_model, os.cpus()[0]?.model.trim() || "unknown");
        assert.equal(local, transportTo({ kind: "local" }), "one transport per target");
    });

    it("streams a long step's lines as they come, with its stdin piped in, and reports a timeout", async () => {
        const local = transportTo(LOCAL_TARGET);
        const lines: string[] = [];
        const c = await local.stream(
            ["/bin/sh", "-c", "echo one; cat; echo two >&2; printf last; exit 4"],
            30,
            (l) => lines.push(l),
            Readable.from(["piped\n"]),
        );
        assert.deepEqual([...lines].sort(), ["last", "one", "piped", "two"]);
        assert.equal(c.status, 4);
        assert.equal(c.stdout, "one\npiped\nlast");
        assert.equal(c.stderr, "two\n");
        const slow = await local.stream(["sleep", "30"], 1, () => undefined);
        assert.equal(slow.error, "timed out after 1 s");
    });

    it("reads small files in one round trip, leaving out those it cannot read", () => {
        const a = path.join(dir, "a");
        const b = path.join(dir, "b b");
        fs.writeFileSync(a, "always [madvise] never\n");
        fs.writeFileSync(b, "µ\n\nlast");
        const files = transportTo(LOCAL_TARGET).readFiles([a, path.join(dir, "missing"), b]);
        assert.deepEqual(
            [...files.entries()],
            [
                [a, "always [madvise] never\n"],
                [b, "µ\n\nlast"],
            ],
        );
    });

    it("measures the host's settings and versions through it (host.csv's facts)", () => {
        const h = measureHost(transportTo(LOCAL_TARGET));
        assert.equal(h.kernel, os.release());
        assert.equal(h.cpus, String(os.cpus().length));
        const thp = "/sys/kernel/mm/transparent_hugepage/enabled";
        assert.equal(h.thp, fs.existsSync(thp) ? /\[(\w+)\]/.exec(fs.readFileSync(thp, "utf8"))![1] : "unavailable");
        assert.match(h.swap, /^(off|on \(\d+ kB\))$/);
        assert.match(h.numa_nodes, /^\d+$/);
    });

    it("fails what ran when the connection drops mid-command, naming the target, and forwards secrets on stdin only", () => {
        // An ssh that runs the remote command here, then reports the connection dropped, as ssh does.
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        fs.writeFileSync(
            path.join(bin, "ssh"),
            `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/argv\ncat > ${dir}/stdin\necho 'Connection to 10.0.0.7 closed by remote host.' >&2\nexit 255\n`,
            { mode: 0o755 },
        );
        const saved = process.env.PATH;
        process.env.PATH = `${bin}:${saved}`;
        try {
            const t = transportTo({ ...remote, host: "10.0.0.7", port: 22 });
            const c = t.attempt(["mysql", "-e", "select 1"], 30, { env: { MYSQL_PWD: "s3cretpassword0001" } });
            assert.match(c.error ?? "", /the target ssh:\/\/root@10\.0\.0\.7:22 did not answer over SSH \(Connection to 10\.0\.0\.7 closed by remote host\.\)/);
            assert.ok(!fs.readFileSync(path.join(dir, "argv"), "utf8").includes("s3cretpassword0001"), "the secret is not in ssh's argv");
            assert.equal(fs.readFileSync(path.join(dir, "stdin"), "utf8"), "MYSQL_PWD=s3cretpassword0001\n\n");
            // A remote command's own exit 255 without ssh's words stays the command's status.
            fs.writeFileSync(path.join(bin, "ssh"), "#!/bin/sh\necho 'tool failed' >&2\nexit 255\n", { mode: 0o755 });
            const own = t.attempt(["false"], 30);
            assert.equal(own.status, 255);
            assert.equal(own.error, undefined);
        } finally {
            process.env.PATH = saved;
        }
    });

    it("names the target and the fix when SSH cannot reach it, instead of a bare exit status", async () => {
        // A port that was free a moment ago: the connection is refused at once.
        const port = await new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (s.address() as net.AddressInfo).port;
                s.close(() => resolve(p));
            });
        });
        const t = transportTo({ ...remote, host: "127.0.0.1", port, controlPath: path.join(dir, "cm"), knownHosts: path.join(dir, "known_hosts") });
        const c = t.attempt(["true"], 30);
        assert.equal(c.status, 255);
        assert.match(c.error ?? "", new RegExp(`the target ssh://root@127\\.0\\.0\\.1:${port} did not answer over SSH .*Fix: `));
        assert.throws(() => t.mustRun(["true"], 30, "reaching it"), /did not answer over SSH/);
        assert.throws(() => t.identity(), /did not answer over SSH/);
    });
});
