/**
 * `isobench up` killed and interrupted for real, on a native-only stack of the checkout (Pulumi
 * reads stack files only from stacks/), with its own file backend, results folder and measurement
 * lock in a temporary folder: SIGKILL of isobench and its pulumi during a cell, then one
 * `isobench up` that recovers and measures the rest; SIGINT of the whole process group (a
 * terminal's Ctrl-C) and SIGTERM of isobench alone, which stop after the running cell and name
 * the missing ones. benchmarks/faults.sh injects these and the slower faults into stacks with
 * Docker and a guest.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { CliStack, processesOf, waitFor } from "../helpers/cli-stack";
import { ToolGate } from "../helpers/tool-gate";
import { endProcesses, processAlive } from "../../experiment/recovery";

const CELLS = ["sysbench-cpu.native.r1", "sysbench-cpu.native.r2", "sysbench-cpu.native.r3"];

describe("isobench up killed and interrupted (real pulumi, native cells)", function () {
    this.timeout(10 * 60 * 1000);
    const stack = `itrec${process.pid}`;
    let cli: CliStack | undefined;
    // Holds the cell each test interrupts at its sysbench, until the test has done so.
    let gate: ToolGate | undefined;
    let work = "";
    let results = "";
    const isobench = (args: string[]) => cli!.isobench(args);
    const progressLog = () => (fs.existsSync(path.join(results, "progress.log")) ? fs.readFileSync(path.join(results, "progress.log"), "utf8") : "");
    const measured = () => CELLS.filter((c) => fs.existsSync(path.join(results, "cells", `${c}.csv`)));
    const locks = () => {
        const d = path.join(work, "backend", ".pulumi", "locks");
        return fs.existsSync(d) ? fs.readdirSync(d, { recursive: true }).filter((f) => String(f).endsWith(".json")) : [];
    };

    /** The stack, with the `hold`-th measured run (1: the first cell) held at the gate. */
    const start = (hold: number): ToolGate => {
        const g = (gate = new ToolGate(`isobench-${stack}-gate`, "sysbench", hold));
        cli = new CliStack(
            stack,
            {
                "isobench:runId": "rec-1",
                "isobench:repetitions": "3",
                "isobench:environments": ["native"],
                "isobench:workloads": [{ name: "sysbench-cpu", params: { timeSeconds: 1 } }],
            },
            g.env,
        );
        work = cli.work;
        results = cli.results("rec-1");
        return g;
    };

    afterEach(async () => {
        gate?.open();
        const c = cli;
        cli = undefined;
        try {
            if (!c) return;
            const orphans = processesOf(work);
            const d = await c.cleanup();
            endProcesses([...orphans, ...processesOf(work)]);
            assert.equal(d.code, 0, `isobench destroy failed:\n${d.out.slice(-3000)}`);
        } finally {
            gate?.remove();
            gate = undefined;
        }
    });

    it("after SIGKILL of isobench and pulumi during a cell, one isobench up clears what they left and measures the rest", async () => {
        const gate = start(2);
        const first = isobench(["up", stack]);
        await waitFor("the second cell to reach the gate", () => gate.held, 240);
        const pulumiPid = processesOf(work).find((p) => fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("pulumi\0up"));
        assert.ok(pulumiPid, "pulumi up runs");
        process.kill(first.child.pid!, "SIGKILL");
        process.kill(pulumiPid, "SIGKILL");
        await first.done;
        await waitFor("pulumi to be gone", () => !processAlive(pulumiPid), 10);
        assert.ok(processesOf(work).length > 0, "the plugins and the held cell outlive their pulumi (what recovery is for)");
        assert.equal(locks().length, 1, "the killed pulumi's lock is left in the backend");

        const second = isobench(["up", stack]);
        const code = await second.done;
        assert.equal(code, 0, second.out().slice(-4000));
        assert.match(second.out(), /recovery: ended \d+ process\(es\) left by a killed isobench up/);
        assert.match(second.out(), /recovery: cleared the stack's lock: pulumi pid \d+ that locked stack/);
        assert.match(second.out(), /recovery: dropped the unfinished creating of cell-sysbench-cpu\.native\.r2/);
        assert.deepEqual(measured(), CELLS, "every cell measured");
        assert.match(progressLog(), /recovery: ended/, "the recovery is recorded with the run");
        assert.deepEqual(processesOf(work), [], "nothing of either run still runs");
        assert.deepEqual(locks(), []);
    });

    it("SIGINT of the whole process group (Ctrl-C) cancels after the running cell, leaves nothing running, and the next up finishes", async () => {
        const gate = start(2);
        const first = isobench(["up", stack]);
        await waitFor("the second cell to reach the gate", () => gate.held, 240);
        // What a terminal's Ctrl-C does: every process of the foreground group gets SIGINT at once.
        process.kill(-first.child.pid!, "SIGINT");
        await waitFor("isobench to take the signal", () => /SIGINT: stopping after the running step/.test(first.out()), 60);
        gate.open();
        const code = await first.done;
        assert.notEqual(code, 0, "an interrupted run is not a success");
        assert.match(first.out(), /planned cell\(s\) have no results yet: .*sysbench-cpu\.native\.r3/);
        assert.ok(measured().includes("sysbench-cpu.native.r1"), "the cell measured before the signal is kept");
        await waitFor("the run's processes to end", () => processesOf(work).length === 0, 30);
        assert.deepEqual(locks(), [], "a cancelled run releases its lock");

        const second = isobench(["up", stack]);
        assert.equal(await second.done, 0, second.out().slice(-4000));
        assert.deepEqual(measured(), CELLS);
    });

    it("SIGTERM of isobench alone stops after the running cell, names the missing ones, and the next up finishes", async () => {
        const gate = start(1);
        const first = isobench(["up", stack]);
        await waitFor("the first cell to reach the gate", () => gate.held, 240);
        process.kill(first.child.pid!, "SIGTERM");
        await waitFor("isobench to take the signal", () => /SIGTERM: stopping after the running step/.test(first.out()), 60);
        gate.open();
        const code = await first.done;
        assert.notEqual(code, 0, "an interrupted run is not a success");
        assert.match(first.out(), /SIGTERM: stopping after the running step/);
        assert.match(first.out(), /planned cell\(s\) have no results yet: .*sysbench-cpu\.native\.r3/);
        assert.ok(measured().includes("sysbench-cpu.native.r1"), "the running cell finished and was kept");
        assert.deepEqual(processesOf(work), [], "pulumi and its plugins ended with it");
        assert.deepEqual(locks(), [], "a cancelled run releases its lock");

        const second = isobench(["up", stack]);
        assert.equal(await second.done, 0, second.out().slice(-4000));
        assert.deepEqual(measured(), CELLS);
    });
});
