/** isobench:target: read and refused before anything is provisioned; a remote one's pinned state and reachability. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { SpecError, HostError } from "../../core/errors";
import { parseSshUrl } from "../../core/transport";
import { checkReachable, stackTarget, stackTransport, targetStateDir } from "../../experiment/target";
import { environmentPlans } from "../../experiment/environment-handles";
import type { HostContext } from "../../experiment/program";

const base = { runId: "r1", environments: ["native", "docker-nat"], workloads: ["sysbench-cpu"] };
const remote = (extra: Record<string, unknown> = {}) => ({
    ...base,
    target: { url: "ssh://root@10.0.0.7:2222", keyFile: "/keys/id" },
    dockerDriver: "cli",
    ...extra,
});

function refusal(config: Record<string, unknown>): string {
    try {
        parseSpec("t", config);
    } catch (e) {
        assert.ok(e instanceof SpecError, String(e));
        return e.message;
    }
    assert.fail("the stack was accepted");
}

describe("isobench:target", () => {
    it("is this machine when left out or local", () => {
        assert.equal(parseSpec("t", base).target, undefined);
        assert.equal(parseSpec("t", { ...base, target: "local" }).target, undefined);
    });

    it("reads ssh://user@host[:port] with its key file", () => {
        assert.deepEqual(parseSpec("t", remote()).target, { kind: "ssh", user: "root", host: "10.0.0.7", port: 2222, keyFile: "/keys/id" });
        assert.deepEqual(parseSshUrl("ssh://bench@server.example"), { user: "bench", host: "server.example", port: 22 });
        assert.deepEqual(parseSshUrl("ssh://root@[fd00::7]:22"), { user: "root", host: "fd00::7", port: 22 });
    });

    it("refuses what is not a target, naming the key and the fix", () => {
        for (const [target, why] of [
            ["ssh://root@h", /names no key file/],
            ["remote", /neither "local" nor a remote target/],
            [{ url: "ssh://root@-oProxyCommand=x", keyFile: "/k" }, /is not ssh:\/\/user@host\[:port\]/],
            [{ url: "ssh://root@h:70000", keyFile: "/k" }, /port 70000 .* is not between 1 and 65535/],
            [{ url: "ssh://root@h", keyFile: "id_rsa" }, /keyFile "id_rsa" is not an absolute path/],
            [{ url: "ssh://root@h" }, /keyFile is missing/],
            [{ url: "ssh://root@h", keyFile: "/k", keyfile: "/k" }, /unknown key "keyfile".*allowed: url, keyFile/],
        ] as const) {
            const m = refusal({ ...base, target });
            assert.match(m, /isobench:target: /);
            assert.match(m, why);
            assert.match(m, /Fix: write isobench:target: \{url: "ssh:\/\/user@host\[:port\]", keyFile:/);
        }
    });

    it("takes guests on a remote target, and refuses the provider driver and host.apply there: they do not reach one yet", () => {
        const guests = ["native", "kvm-tuned", { name: "dik", kind: "docker-in-kvm" }];
        assert.deepEqual(parseSpec("t", remote({ environments: guests })).environments, ["native", "kvm-tuned", "dik"]);
        assert.match(refusal(remote({ dockerDriver: "provider" })), /isobench:dockerDriver: "provider" does not reach a remote target yet/);
        assert.match(refusal(remote({ host: { thp: "never", apply: true } })), /isobench:host.apply: a remote target's settings are not set by isobench yet/);
        assert.ok(parseSpec("t", remote({ dockerDriver: "auto" })).target, "auto picks cli there");
    });

    describe("its state (.state/targets/<user@host-port>/)", () => {
        let dir = "";
        beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-target-"))));
        afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

        const address = (keyFile: string, port = 2222) => ({ kind: "ssh" as const, user: "root", host: "127.0.0.1", port, keyFile });

        it("is this machine for a stack without a target, touching nothing", () => {
            assert.deepEqual(stackTarget({}, dir), { kind: "local" });
            assert.deepEqual(fs.readdirSync(dir), []);
        });

        it("refuses a missing key file, and a host key that was never pinned, saying how to pin it", () => {
            assert.throws(
                () => stackTarget({ target: address(path.join(dir, "nokey")) }, dir),
                (e: Error) => e instanceof HostError && /isobench:target.keyFile: .*nokey does not exist/.test(e.message),
            );
            const key = path.join(dir, "id");
            fs.writeFileSync(key, "k");
            const known = path.join(targetStateDir(address(key), dir), "known_hosts");
            assert.throws(
                () => stackTarget({ target: address(key) }, dir),
                (e: Error) =>
                    e instanceof HostError &&
                    e.message.includes(`no pinned host key for ssh://root@127.0.0.1:2222 in ${known}`) &&
                    e.message.includes(`ssh-keyscan -p 2222 127.0.0.1 > ${known}`),
            );
            assert.equal(fs.statSync(path.dirname(known)).mode & 0o777, 0o700, "the target's folder is private");
        });

        it("gives a pinned target its known_hosts and sockets, which every handle of the stack carries", () => {
            const key = path.join(dir, "id");
            fs.writeFileSync(key, "k");
            const state = targetStateDir(address(key), dir);
            fs.mkdirSync(state, { recursive: true });
            fs.writeFileSync(path.join(state, "known_hosts"), "[127.0.0.1]:2222 ssh-ed25519 AAAA\n");
            const t = stackTarget({ target: address(key) }, dir);
            assert.deepEqual(t, {
                ...address(key),
                knownHosts: path.join(state, "known_hosts"),
                controlPath: path.join(state, "cm"),
                dockerSocket: path.join(state, "docker.sock"),
            });
            const spec = parseSpec("t", remote({ target: { url: "ssh://root@127.0.0.1:2222", keyFile: key } }));
            const host = {
                repoRoot: "/r",
                resultsRoot: "/r/results",
                stateDir: dir,
                guestsDir: "/g",
                containerImage: "img",
                guestImage: { disk: "", kernel: "", initrd: "" },
                sshKey: "",
                accel: "kvm",
                vhostAvailable: false,
                hostCpuCount: 4,
                dockerDriver: "cli",
                commandBackend: "dynamic",
                dockerBridgeGateway: "172.17.0.1",
                target: t,
            } as unknown as HostContext;
            for (const p of environmentPlans(spec, host)) assert.deepEqual(p.handle.machine, t, p.handle.name);
        });

        it("fails preflight with the target named when it does not answer", async () => {
            const key = path.join(dir, "id");
            fs.writeFileSync(key, "k");
            const port = await new Promise<number>((resolve) => {
                const s = net.createServer().listen(0, "127.0.0.1", () => {
                    const p = (s.address() as net.AddressInfo).port;
                    s.close(() => resolve(p));
                });
            });
            const state = targetStateDir(address(key, port), dir);
            fs.mkdirSync(state, { recursive: true });
            fs.writeFileSync(path.join(state, "known_hosts"), `[127.0.0.1]:${port} ssh-ed25519 AAAA\n`);
            assert.throws(
                () => checkReachable(stackTransport({ target: address(key, port) }, dir)),
                (e: Error) =>
                    e instanceof HostError &&
                    new RegExp(`isobench:target ssh://root@127\\.0\\.0\\.1:${port} is unreachable: .*Nothing was provisioned\\. Fix: `).test(e.message),
            );
        });
    });
});
