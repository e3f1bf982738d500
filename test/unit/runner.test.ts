/** The runner on the native target with a stand-in workload: results kept, bad output reported. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell, CellInvocation } from "../../experiment/runner";
import type { AnyWorkload } from "../../workloads";
import { samplesFromCsv } from "../../core/samples";
import { echoWorkload } from "../helpers/echo-workload";
import { runtimeDir } from "../../environments/exec-target";
import { echoCell } from "../helpers/invocation";

function workload(output: string): AnyWorkload {
    return echoWorkload(() => `printf '%s' '${output}'`);
}

describe("runner (native target)", () => {
    let dir = "";
    const inv = (cellId: string): CellInvocation => echoCell(dir, cellId);
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-runner-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("writes samples with tool version, accel and host facts, and keeps the raw output", () => {
        const csv = runCell(inv("c1"), workload("value=42"));
        const rows = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
        assert.equal(rows.length, 1);
        assert.equal(rows[0].value, 42);
        assert.equal(rows[0].tool_version, "sh-1.0");
        assert.equal(rows[0].accel, "none");
        assert.equal(rows[0].kernel, os.release());
        assert.equal(fs.readFileSync(path.join(dir, "raw", "c1.txt"), "utf8"), "value=42");
    });

    it("fails a cell whose output does not parse, naming the raw file, and keeps finished cells", () => {
        const done = runCell(inv("c1"), workload("value=1"));
        assert.throws(
            () => runCell(inv("c2"), workload("garbage")),
            (e: Error) => e.message.includes("echo: cannot parse value") && e.message.includes(path.join(dir, "raw", "c2.txt")),
        );
        assert.ok(fs.existsSync(done));
        assert.ok(!fs.existsSync(path.join(dir, "cells", "c2.csv")));
        assert.equal(fs.readFileSync(path.join(dir, "raw", "c2.txt"), "utf8"), "garbage");
    });

    it("refuses a workload that needs the stack's password without one before making anything in the environment", () => {
        const saved = process.env.ISOBENCH_STACK_PASSWORD;
        delete process.env.ISOBENCH_STACK_PASSWORD;
        const stack = `t-nopw-${process.pid}`;
        try {
            const w = { ...workload("value=1"), password: { clientEnv: "MYSQL_PWD" } } as AnyWorkload;
            assert.throws(() => runCell({ ...inv("c1"), stack }, w), /needs the stack's password in ISOBENCH_STACK_PASSWORD.*Fix: /);
            assert.ok(!fs.existsSync(runtimeDir(stack)), "no runtime folder");
            assert.ok(!fs.existsSync(path.join(dir, "data")), "no data directory");
        } finally {
            if (saved !== undefined) process.env.ISOBENCH_STACK_PASSWORD = saved;
        }
    });

    it("never measures a finished cell again", () => {
        const csv = runCell(inv("c1"), workload("value=7"));
        const before = fs.readFileSync(csv, "utf8");
        runCell(inv("c1"), workload("value=8"));
        assert.equal(fs.readFileSync(csv, "utf8"), before);
    });

    it("creates the data directory and gives each swept point its own params", () => {
        const sweep: AnyWorkload = {
            ...workload(""),
            defaults: { clients: 1, size: 50 },
            clientCommand: (_p, ctx) => `test -d ${ctx.dataDir} && printf 'c1=10 c5=40'`,
            parse: (raw) =>
                [...raw.matchAll(/c(\d+)=(\d+)/g)].map((m) => ({
                    metric: "rps",
                    value: Number(m[2]),
                    unit: "1/s",
                    better: "higher" as const,
                    point: { clients: Number(m[1]) },
                })),
        };
        const rows = samplesFromCsv(fs.readFileSync(runCell(inv("c1"), sweep), "utf8"), "c1");
        assert.deepEqual(
            rows.map((r) => [r.params, r.value]),
            [
                ["clients=1;size=50", 10],
                ["clients=5;size=50", 40],
            ],
        );
    });

    describe("server workloads", () => {
        /** A stand-in server (sleep) with a control port and an announced data port. */
        const server = (serverCommand: string, readyWhen = "true"): AnyWorkload => ({
            ...workload(""),
            serverPorts: [
                { name: "control", port: 1, protocol: "tcp" },
                { name: "data", port: 2, protocol: "tcp", sameNumber: true },
            ],
            serverCommand: (_p, ctx) => serverCommand.replaceAll("DATA", ctx.dataDir),
            readinessCommand: (_p, addr, ctx) => `${readyWhen.replaceAll("DATA", ctx!.dataDir)} && test ${addr.port} = ${ctx!.addrs!.control.port}`,
            prepareCommand: (_p, ctx) => `echo prepared > ${ctx.dataDir}/prepared`,
            clientPlacement: "host",
            clientCommand: (_p, ctx) => `cat ${ctx.dataDir}/prepared >/dev/null && printf 'control=${ctx.addrs!.control.port} data=${ctx.addrs!.data.port}'`,
            parse: (raw) => [...raw.matchAll(/(\w+)=(\d+)/g)].map((m) => ({ metric: m[1], value: Number(m[2]), unit: "port", better: "higher" as const })),
        });

        it("gives the client every port's address; an announced port gets a free port in the host's namespace; prepare runs first", () => {
            const rows = samplesFromCsv(fs.readFileSync(runCell(inv("s1"), server("sleep 30")), "utf8"), "s1");
            const port = (m: string) => rows.find((r) => r.metric === m)!.value;
            assert.equal(port("control"), 1);
            assert.notEqual(port("data"), 2, "natively nothing translates ports, and the fixed number may be published by a NAT container");
            assert.ok(port("data") > 1024 && port("data") < 65536);
            assert.match(rows[0].notes, /^client on host, server at 127\.0\.0\.1:1$/);
            assert.equal(
                fs.readFileSync(path.join(dir, "raw", "s1.txt"), "utf8"),
                `control=1 data=${port("data")}`,
                "prepare output stays out of the raw file",
            );
        });

        it("refuses a server that exited after starting (another one may be answering on its port), quoting its log", () => {
            assert.throws(
                // Ready only once the server has said it failed, and a second later: a loaded
                // machine may start the server's shell after a fixed sleep has ended.
                () =>
                    runCell(
                        inv("s2"),
                        server(
                            "sh -c 'echo bind: Address already in use >&2; touch DATA/failed; exit 1'",
                            "until test -e DATA/failed; do sleep 0.1; done; sleep 1",
                        ),
                    ),
                (e: Error) => /exited right after it started/.test(e.message) && /Address already in use/.test(e.message),
            );
            assert.ok(!fs.existsSync(path.join(dir, "cells", "s2.csv")));
        });
    });
});
