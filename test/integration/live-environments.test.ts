/**
 * The live-environment harness the workload integration tests build on: sysbench-cpu measured
 * through runCell on the host, in a Docker NAT container and in the shared guest, and nothing left
 * behind.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { runCell } from "../../experiment/runner";
import { guestsDir } from "../../core/paths";
import { samplesFromCsv } from "../../core/samples";
import { LiveKind, liveSuite } from "../helpers/live-environments";
import { TEST_CELL } from "../helpers/invocation";

describe("live environments harness (real dockerd and libvirt)", function () {
    this.timeout(20 * 60 * 1000);
    const prefix = `itlive${process.pid}`;
    const guestFolder = path.join(guestsDir(), prefix);
    const suite = liveSuite({
        prefix,
        kinds: ["native", "docker", "kvm"],
        leftovers: () => (fs.existsSync(guestFolder) ? [`dir ${guestFolder}`] : []),
    });

    for (const kind of ["native", "docker", "kvm"] as LiveKind[]) {
        it(`runs sysbench-cpu in ${kind} through runCell, which creates the data directory there`, () => {
            const env = suite.live.handles[kind]!;
            const csv = runCell({
                ...TEST_CELL,
                stack: prefix,
                runId: "r",
                resultsDir: suite.resultsDir,
                cellId: `sysbench-cpu.${kind}.r1`,
                workload: "sysbench-cpu",
                params: { maxPrime: 2000, timeSeconds: 1 },
                repetition: 1,
                env,
            });
            const rows = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
            const eps = rows.find((r) => r.metric === "events_per_s");
            assert.ok(eps && eps.value > 10, `events/s plausible in ${kind}: ${JSON.stringify(eps)}`);
            assert.equal(rows[0].env_kind, kind);
            assert.equal(rows[0].accel, kind === "kvm" ? env.accel : "none");
            const inEnv =
                kind === "native"
                    ? ["test", "-d", env.dataDir]
                    : kind === "docker"
                      ? ["docker", "exec", (env.target as { container: string }).container, "test", "-d", env.dataDir]
                      : undefined;
            if (inEnv) assert.equal(spawnSync(inEnv[0], inEnv.slice(1)).status, 0, `${env.dataDir} exists in ${kind}`);
        });
    }
});
