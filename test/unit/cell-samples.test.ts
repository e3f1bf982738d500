/** A cell's samples: each measurement becomes one row carrying the cell's environment, parameters and provenance. */
import * as assert from "node:assert/strict";
import { cellSamples } from "../../experiment/cell-samples";
import type { CellInvocation } from "../../experiment/runner";
import { TEST_CELL } from "../helpers/invocation";

const inv: CellInvocation = {
    ...TEST_CELL,
    stack: "quick",
    runId: "r7",
    resultsDir: "/r",
    cellId: "redis.kvm.r2",
    workload: "redis",
    params: { clients: 50 },
    repetition: 2,
    env: {
        name: "kvm",
        envKind: "kvm",
        variant: "tuned",
        accel: "tcg",
        dataDir: "/d",
        declared: {},
        target: { kind: "kvm", domain: "g", sshKey: "/k", knownHosts: "/h" },
    },
};
const base = {
    inv,
    workload: { name: "redis", tool: "redis-benchmark", notes: "pipeline 1" },
    params: { clients: 50, requests: 1000 },
    toolVersion: "7.0.15",
    startedAt: new Date("2026-12-03T06:00:00.000Z"),
    durationS: 1.23456,
    machine: { host: "h1", kernel: "6.1.0", cpu_model: "Xeon" },
    controller: "laptop",
};

describe("cell samples", () => {
    it("one row per measurement, the point merged over the parameters, every provenance column filled", () => {
        const rows = cellSamples({
            ...base,
            measurements: [
                { metric: "get_rps", value: 100, unit: "req/s", better: "higher", point: { clients: 10 } },
                { metric: "set_rps", value: 90, unit: "req/s", better: "higher" },
            ],
            addr: { host: "192.168.122.5", port: 6379 },
        });
        assert.equal(rows.length, 2);
        assert.deepEqual(rows[0], {
            run_id: "r7",
            stack: "quick",
            cell_id: "redis.kvm.r2",
            environment: "kvm",
            env_kind: "kvm",
            variant: "tuned",
            workload: "redis",
            params: "clients=10;requests=1000",
            repetition: 2,
            metric: "get_rps",
            value: 100,
            unit: "req/s",
            better: "higher",
            started_at: "2026-12-03T06:00:00.000Z",
            duration_s: 1.235,
            tool: "redis-benchmark",
            tool_version: "7.0.15",
            accel: "tcg",
            host: "h1",
            kernel: "6.1.0",
            cpu_model: "Xeon",
            notes: "pipeline 1; client on host, server at 192.168.122.5:6379",
            fingerprint: "fp1-0000000000000000",
            controller: "laptop",
        });
        assert.equal(rows[1].params, "clients=50;requests=1000");
    });

    it("says when the numbers come from simultaneous clones, and leaves empty notes out", () => {
        const [row] = cellSamples({
            ...base,
            workload: { ...base.workload, notes: "" },
            measurements: [{ metric: "events_per_s", value: 5, unit: "events/s", better: "higher", point: { instances: 2 } }],
            clonesOf: "kvm",
        });
        assert.equal(row.notes, "2 simultaneous instances (clones of kvm)");
    });
});
