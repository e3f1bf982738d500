/**
 * `pulumi up` / `pulumi destroy` of a small stack with everything of this branch, through the real
 * engine (temporary file backend and project, as tiny-stack.test.ts): host settings applied by the
 * host-settings resource and restored by destroy (declared as the host already is, so the shared
 * host is not changed; the real change is tested in host-settings.test.ts), a native environment
 * under a numactl policy, and a Docker environment that gets SYS_NICE because stream's numactl
 * parameter needs it.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { samplesFromCsv } from "../../core/samples";
import { selected } from "../../environments/host-facts";
import { THP_PATH } from "../../environments/host-settings";
import { leftoverFiles, leftoverResources, removeLeftovers } from "../helpers/leftovers";
import { ShResult, TempStack } from "../helpers/temp-stack";

describe("stack with host settings, numactl and container needs (pulumi up/destroy)", function () {
    this.timeout(30 * 60 * 1000);
    const stack = `isb-h3b-${process.pid}`;
    const thp = selected(fs.readFileSync(THP_PATH, "utf8"));
    let project: TempStack | undefined;
    let dir = "";
    let records = "";
    let up: ShResult = { status: null, out: "" };
    let recordAfterUp: unknown;

    before(function () {
        project = new TempStack({
            stack,
            config: {
                "isobench:runId": "it-1",
                "isobench:repetitions": 3,
                "isobench:environments": [
                    { name: "native", kind: "native", numactl: { cpunodebind: "0", membind: "0" } },
                    { name: "dk", kind: "docker", network: "none" },
                ],
                "isobench:workloads": [{ name: "stream", params: { arraySize: 30000, processes: 1, nb: 32, numactl: "interleave:all" } }],
                "isobench:host": { thp, swap: "off", apply: true },
            },
            env: (work) => ({ ISOBENCH_HOST_RECORDS_DIR: path.join(work, "records") }),
        });
        records = path.join(project.work, "records");
        dir = project.resultsDir("it-1");
        up = project.up(20 * 60);
        const rec = path.join(records, `${stack}.json`);
        recordAfterUp = fs.existsSync(rec) ? JSON.parse(fs.readFileSync(rec, "utf8")) : undefined;
    });

    after(function () {
        if (!project) return;
        const d = project.destroy(10 * 60);
        const left = [...leftoverResources(`isobench-${stack}-`), ...leftoverFiles(stack)];
        removeLeftovers(left);
        const recordsLeft = fs.existsSync(records) ? fs.readdirSync(records) : [];
        project.remove();
        assert.equal(d.status, 0, `pulumi destroy failed:\n${d.out}`);
        assert.deepEqual(left, [], "pulumi destroy left resources behind");
        assert.deepEqual(recordsLeft, [], "destroy ran host-restore, which removes the record");
        assert.equal(selected(fs.readFileSync(THP_PATH, "utf8")), thp);
    });

    it("pulumi up succeeds, with host-apply run by the host-settings resource", () => {
        assert.equal(up.status, 0, up.out.slice(-6000));
        assert.deepEqual(
            recordAfterUp,
            { stack, appliedAt: (recordAfterUp as { appliedAt: string }).appliedAt, changes: [] },
            "declared as the host is: recorded, nothing changed",
        );
        const hostCsv = fs.readFileSync(path.join(dir, "host.csv"), "utf8");
        assert.match(hostCsv, new RegExp(`,thp,${thp},${thp},`));
        assert.match(hostCsv, /,host_settings_applied,none \(the host was as declared\),,/);
    });

    it("the facts show the policy natively and SYS_NICE in the container, with who asked", () => {
        const csv = fs.readFileSync(path.join(dir, "environments.csv"), "utf8");
        assert.match(csv, /^native,native,numactl=cpunodebind:0\+membind:0,none,numa_policy,bind,bind,/m);
        assert.match(csv, /^dk,docker,net=none;storage=volume;runtime=runc;cap=SYS_NICE,none,caps_added,SYS_NICE,SYS_NICE,/m);
        assert.match(csv, /^dk,docker,[^,]*,none,container_needs,stream: cap SYS_NICE \(numactl interleave:all\),/m);
    });

    it("every stream cell ran under numactl, in both environments, and the analysis compares them", () => {
        const cells = fs.readdirSync(path.join(dir, "cells")).filter((f) => f.endsWith(".csv"));
        assert.equal(cells.length, 3 * 2);
        for (const f of cells) {
            const rows = samplesFromCsv(fs.readFileSync(path.join(dir, "cells", f), "utf8"), f);
            assert.ok(rows.every((r) => /run under numactl --interleave=all/.test(r.notes)));
            assert.ok(
                rows.every(
                    (r) => r.variant === (r.environment === "dk" ? "net=none;storage=volume;runtime=runc;cap=SYS_NICE" : "numactl=cpunodebind:0+membind:0"),
                ),
            );
        }
        assert.match(fs.readFileSync(path.join(dir, "summary.md"), "utf8"), /dk/);
    });
});
