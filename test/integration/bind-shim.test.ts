/**
 * The bind shim (images/bind-addr.c), as setup builds it for the host: a wildcard IPv4 bind lands
 * on ISOBENCH_BIND_ADDR, an explicit address is kept, IPv6 is refused while the shim confines,
 * and without ISOBENCH_BIND_ADDR nothing changes. Probed with python3's socket module (C bind()).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import { REPO_ROOT } from "../../core/paths";

const PROBE = `
import socket, sys
fam, host = (socket.AF_INET6, "::") if sys.argv[1] == "6" else (socket.AF_INET, sys.argv[1])
s = socket.socket(fam, socket.SOCK_STREAM)
try:
    s.bind((host, 0)); print(s.getsockname()[0])
except OSError as e:
    print("error", e.errno)
`;

describe("bind shim (LD_PRELOAD, built by setup)", function () {
    this.timeout(60_000);
    let dir = "";
    let shim = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-shim-"));
        shim = path.join(dir, "bind-addr.so");
        const b = spawnSync("bash", [path.join(REPO_ROOT, "images", "build-bind-addr.sh"), shim], { encoding: "utf8" });
        assert.equal(b.status, 0, b.stderr);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const bindTo = (host: string, env: Record<string, string>) => {
        const r = spawnSync("python3", ["-c", PROBE, host], { encoding: "utf8", env: { ...process.env, LD_PRELOAD: shim, ...env } });
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    };

    it("moves a wildcard bind to ISOBENCH_BIND_ADDR and keeps an explicit one", () => {
        assert.equal(bindTo("0.0.0.0", { ISOBENCH_BIND_ADDR: "127.0.0.1" }), "127.0.0.1");
        assert.equal(bindTo("127.0.0.2", { ISOBENCH_BIND_ADDR: "127.0.0.1" }), "127.0.0.2");
    });

    it("refuses IPv6 and a malformed address while it confines; inert without ISOBENCH_BIND_ADDR", () => {
        assert.equal(bindTo("6", { ISOBENCH_BIND_ADDR: "127.0.0.1" }), `error ${os.constants.errno.EAFNOSUPPORT}`);
        assert.equal(bindTo("0.0.0.0", { ISOBENCH_BIND_ADDR: "not-an-address" }), `error ${os.constants.errno.EINVAL}`);
        assert.equal(bindTo("0.0.0.0", {}), "0.0.0.0");
    });
});
