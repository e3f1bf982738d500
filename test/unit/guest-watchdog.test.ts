/**
 * The guest watchdog's wrapper (environments/guest-watchdog.ts) run by the real bash at intervals
 * of a fraction of a second: a kernel that answers, with a connection (a listener of this process
 * on 127.0.0.1) or a refusal (a port nobody listens on), and one that does not: a listener in a
 * child process that never accepts, whose accept queue is full, so the kernel drops new SYNs as a
 * silent guest does (an outside address is no stand-in: a proxy of the machine may answer it). The path through runCell with a real
 * guest that stops answering is test/integration/guest-watchdog.test.ts.
 */
import * as assert from "node:assert/strict";
import * as net from "net";
import { spawn } from "child_process";
import { WATCHDOG_MARK, WATCHDOG_STATUS, watchedArgv } from "../../environments/guest-watchdog";
import { attempt } from "../../environments/process";

const FAST = { intervalS: 0.2, probeS: 1, misses: 3 };

/** Runs argv asynchronously (the listener lives in this process's event loop) with optional stdin. */
function run(argv: readonly string[], input = ""): Promise<{ status: number | null; stdout: string; stderr: string; ms: number }> {
    const t0 = Date.now();
    return new Promise((resolve, reject) => {
        const p = spawn(argv[0], argv.slice(1), { stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        p.stdout.on("data", (d) => (stdout += d));
        p.stderr.on("data", (d) => (stderr += d));
        p.on("error", reject);
        p.on("close", (status) => resolve({ status, stdout, stderr, ms: Date.now() - t0 }));
        p.stdin.end(input);
    });
}

/** Processes whose command line carries the marker, other than the pgrep itself. */
const left = (marker: string) => attempt(["pgrep", "-f", marker], 10).stdout.trim();

describe("guest watchdog (environments/guest-watchdog.ts, real bash)", function () {
    this.timeout(60 * 1000);
    let server: net.Server;
    let port = 0;
    let closed = 0;

    before(async () => {
        server = net.createServer((s) => s.destroy());
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
        port = (server.address() as net.AddressInfo).port;
        // A port that was free a moment ago: connections to it are refused.
        const probe = net.createServer();
        await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
        closed = (probe.address() as net.AddressInfo).port;
        await new Promise<void>((r) => probe.close(() => r()));
    });
    after(() => new Promise<void>((r) => server.close(() => r())));

    /** A port on 127.0.0.1 whose listener never accepts and whose queue (backlog 1: two connections; Node takes 0 for its default) is full; ended by the returned function. */
    async function silentPort(): Promise<{ port: number; end: () => void }> {
        const code =
            "const s=require('net').createServer();" +
            "s.listen({port:0,host:'127.0.0.1',backlog:1},()=>{console.log(s.address().port);" +
            "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0);});";
        const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
        const port = await new Promise<number>((resolve, reject) => {
            child.stdout.once("data", (d) => resolve(Number(String(d).trim())));
            child.once("error", reject);
        });
        const fillers = [net.connect(port, "127.0.0.1"), net.connect(port, "127.0.0.1")];
        await Promise.all(fillers.map((f) => new Promise<void>((r, reject) => f.once("connect", () => r()).once("error", reject))));
        return {
            port,
            end: () => {
                for (const f of fillers) f.destroy();
                child.kill("SIGKILL");
            },
        };
    }

    for (const [answer, knock] of [
        ["a connection", () => port],
        ["a refusal", () => closed],
    ] as const) {
        it(`passes the carrier's output, stdin and exit status through while the kernel answers with ${answer}, and leaves nothing running`, async () => {
            const r = await run(watchedArgv(["/bin/sh", "-c", "sleep 1.5; cat; echo out-7; exit 7"], "127.0.0.1", knock(), FAST), "from-stdin\n");
            assert.equal(r.status, 7, r.stderr);
            assert.equal(r.stdout, "from-stdin\nout-7\n");
            assert.doesNotMatch(r.stderr, new RegExp(WATCHDOG_MARK));
            assert.equal(left("isobench-watchdog"), "");
        });
    }

    it("ends the carrier and its children after the misses in a row, says why, and exits with its own status", async () => {
        // The runner's shape: a shell, then `timeout` (its own process group), then the command.
        const carrier = ["/bin/sh", "-c", `timeout -k 5 60 /bin/sh -c 'echo partial; sleep 57.5'; echo after`];
        const silent = await silentPort();
        let r;
        try {
            r = await run(watchedArgv(carrier, "127.0.0.1", silent.port, FAST));
        } finally {
            silent.end();
        }
        assert.equal(r.status, WATCHDOG_STATUS);
        assert.equal(r.stdout, "partial\n", "the output so far is kept");
        assert.match(
            r.stderr,
            new RegExp(
                `^${WATCHDOG_MARK} no answer from 127\\.0\\.0\\.1 to 3 TCP connection attempts in a row \\(port ${silent.port}, 0\\.2 s apart, each waiting 1 s; the last: no reply in 1 s\\)$`,
                "m",
            ),
        );
        // Under 10 s, not only under the carrier's 60: a helper of the watchdog's (the 10-s grace
        // before KILL) that kept the output pipe open made the caller wait 14 s.
        assert.ok(r.ms < 10_000, `took ${r.ms} ms: the watchdog ends the carrier in seconds, and nothing of it keeps the output open`);
        assert.equal(left("sleep 57.5"), "", "the carrier's child is gone");
        assert.equal(left("isobench-watchdog"), "");
    });
});
