/**
 * isobench:schedule: grouped on real libvirt: `pulumi up` of a native + guest stack, a no-change
 * `up`, and `destroy`. It needs its own guests, made by Pulumi: the schedule shuts guests off and
 * boots them again between groups, which the suites' shared guest (sharedGuest()) must never be. A
 * poller samples `virsh list` for the whole run, so "a guest runs only during its own groups" is
 * observed, not inferred from isobench's own log. Three repetitions, the fewest a stack may
 * declare: each environment has been first and last.
 *
 * `npm test` proves the real path with one guest: shut off by its probe, booted when its group
 * begins, shut off for native's group (3 boots under emulation, ~3 min). The smoke scope adds a
 * second guest, so that two guests are checked against each other, each booted once per
 * repetition (8 boots, ~8 min); that the second guest is created only after the first one's probe
 * shut it off is the program's order, proven under mocks (test/unit/program.test.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { spawn, ChildProcess } from "child_process";
import { guestsDir } from "../../core/paths";
import { samplesFromCsv } from "../../core/samples";
import { cellIntervals } from "../../experiment/run-report";
import { TEST_GUEST_VCPUS } from "../helpers/live-environments";
import { FULL_MATRIX } from "../helpers/scope";
import { leftoverFiles, leftoverResources, removeLeftovers } from "../helpers/leftovers";
import { sh, TempStack } from "../helpers/temp-stack";

/** The stack's guests, the groups in the order they must run, and the repetitions in which each guest is booted by plan. */
const CASE = FULL_MATRIX
    ? {
          guests: ["kvm-a", "kvm-b"],
          groups: ["native.r1", "kvm-a.r1", "kvm-b.r1", "kvm-a.r2", "kvm-b.r2", "native.r2", "kvm-b.r3", "native.r3", "kvm-a.r3"],
          boots: { "kvm-a": [1, 2, 3], "kvm-b": [1, 2, 3] } as Record<string, number[]>,
      }
    : {
          guests: ["kvm-a"],
          // kvm-a's group of repetition 2 follows its group of repetition 1: the guest stays up.
          groups: ["native.r1", "kvm-a.r1", "kvm-a.r2", "native.r2", "native.r3", "kvm-a.r3"],
          boots: { "kvm-a": [1, 3] } as Record<string, number[]>,
      };

describe(`isobench:schedule: grouped on real libvirt (${CASE.guests.length === 1 ? "one guest" : "two guests"})`, function () {
    this.timeout(40 * 60 * 1000);
    const stack = `itgrp${process.pid}`;
    const domainOf = (env: string) => `isobench-${stack}-${env}`;
    const domains = CASE.guests.map(domainOf);
    let project: TempStack | undefined;
    let poller: ChildProcess | undefined;
    let dir = "";
    let samplesFile = "";
    let up: { status: number | null; out: string } = { status: null, out: "" };
    const REPS = 3;
    const ENVS = 1 + CASE.guests.length;

    before(function () {
        if (sh(["timeout", "20", "virsh", "-c", "qemu:///system", "version"]).status !== 0) {
            throw new Error("libvirtd must be running: run scripts/setup.sh (or scripts/daemons.sh) first");
        }
        project = new TempStack({
            stack,
            config: {
                "isobench:runId": "grp-1",
                "isobench:repetitions": REPS,
                "isobench:schedule": "grouped",
                "isobench:environments": ["native", ...CASE.guests.map((name) => ({ name, kind: "kvm" }))],
                // Two workloads, so that each group has two cells that must run back to back.
                "isobench:workloads": [
                    { name: "sysbench-cpu", params: { timeSeconds: 1 } },
                    { name: "sysbench-memory", params: { totalSize: "16M", timeSeconds: 1 } },
                ],
                "isobench:allowSoftwareEmulation": true,
                "isobench:kvm": { vcpus: TEST_GUEST_VCPUS, memoryMiB: 768, bootTimeoutS: 240 },
            },
        });
        dir = project.resultsDir("grp-1");
        // One line per sample: "<epoch ms> <running domains of the stack, space-separated>".
        samplesFile = path.join(project.work, "virsh-running.txt");
        poller = spawn(
            "bash",
            [
                "-c",
                `while :; do echo "$(date +%s%3N) $(timeout 10 virsh -c qemu:///system list --state-running --name | grep -F -- '-${stack}-' | tr '\\n' ' ')"; sleep 0.5; done >> ${JSON.stringify(samplesFile)}`,
            ],
            { stdio: "ignore", detached: true },
        );
        up = project.up(30 * 60);
    });

    after(function () {
        if (poller?.pid) {
            try {
                process.kill(-poller.pid, "SIGTERM");
            } catch {
                // already gone
            }
        }
        if (!project) return;
        const d = project.destroy(10 * 60);
        const left = [...leftoverResources(`isobench-${stack}-`), ...leftoverFiles(stack)];
        const guestDir = path.join(guestsDir(), stack);
        const inGuestDir = fs.existsSync(guestDir) ? fs.readdirSync(guestDir).join(", ") : "";
        removeLeftovers(left);
        project.remove();
        assert.equal(d.status, 0, `pulumi destroy failed:\n${d.out.slice(-3000)}`);
        assert.deepEqual(left, [], `pulumi destroy left resources behind (guest folder: ${inGuestDir})`);
    });

    it("pulumi up succeeds", () => {
        assert.equal(up.status, 0, up.out.slice(-6000));
    });

    /** Every cell's rows: environment, repetition, start and end (ms), notes. */
    const cells = () =>
        fs
            .readdirSync(path.join(dir, "cells"))
            .filter((f) => f.endsWith(".csv"))
            .map((f) => {
                const r = samplesFromCsv(fs.readFileSync(path.join(dir, "cells", f), "utf8"), f)[0];
                const start = Date.parse(r.started_at);
                return { id: r.cell_id, env: r.environment, rep: r.repetition, start, end: start + r.duration_s * 1000, notes: r.notes };
            })
            .sort((a, b) => a.start - b.start);

    it("runs each environment's cells of a repetition back to back, strictly one after another, environments rotating", () => {
        const all = cells();
        assert.equal(all.length, REPS * ENVS * 2);
        for (let i = 1; i < all.length; i++) assert.ok(all[i].start >= all[i - 1].end, `${all[i].id} overlaps ${all[i - 1].id}`);
        const groups: string[] = [];
        for (const c of all) if (groups[groups.length - 1] !== `${c.env}.r${c.rep}`) groups.push(`${c.env}.r${c.rep}`);
        assert.deepEqual(groups, CASE.groups);
    });

    it("boots a guest when its group begins and it is off, by plan: in the group's first cell's notes and progress.log, never as a revival", () => {
        const all = cells();
        const log = fs.readFileSync(path.join(dir, "progress.log"), "utf8");
        for (const env of CASE.guests) {
            const booted = all.filter((c) => c.env === env && /schedule grouped: guest \S+ booted for this group before the cell \(planned/.test(c.notes));
            assert.deepEqual(
                booted.map((c) => c.rep),
                CASE.boots[env],
                `${env}: a planned boot in these repetitions`,
            );
            for (const c of booted) {
                const first = all.find((x) => x.env === env && x.rep === c.rep)!;
                assert.equal(c.id, first.id, "the boot is before the group's first cell");
            }
            assert.equal(log.match(new RegExp(`booted ${domainOf(env)} for its group`, "g"))?.length, CASE.boots[env].length);
        }
        assert.doesNotMatch(log, /had stopped/);
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "environments.csv"), "utf8"), /,revived,/);
        assert.ok(!fs.existsSync(path.join(dir, "envfacts", "superseded")), "each environment probed once");
    });

    it("virsh saw each guest running only during its own groups, and never two guests at once, at provisioning or during a cell", () => {
        const samples = fs
            .readFileSync(samplesFile, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => {
                const [at, ...running] = l.trim().split(/\s+/);
                return { at: Number(at), running };
            });
        const running = (x: { running: string[] }) => domains.filter((d) => x.running.includes(d));
        const log = fs.readFileSync(path.join(dir, "progress.log"), "utf8");
        // Provisioning too: a second guest is created after the first one's probe shut it off.
        for (const x of samples) assert.ok(running(x).length <= 1, `${running(x).join(" and ")} running at ${new Date(x.at).toISOString()}`);
        for (const env of CASE.guests) assert.match(log, new RegExp(`probe ${env}: schedule grouped: shut off ${domainOf(env)}`));
        const intervals = [...cellIntervals(log)].map(([id, [s, e]]) => ({ id, s, e }));
        assert.equal(intervals.length, REPS * ENVS * 2);
        let seen = 0;
        for (const c of intervals) {
            const during = samples.filter((x) => x.at >= c.s && x.at <= c.e);
            seen += during.length;
            const env = c.id.split(".")[1];
            for (const x of during) {
                assert.deepEqual(
                    running(x).filter((d) => d !== domainOf(env)),
                    [],
                    `${c.id} ran with ${x.running.join(", ")} up`,
                );
            }
        }
        assert.ok(seen > 0, "the poller sampled during the cells");
    });

    it("a second up changes nothing and boots nothing", () => {
        const before = fs.readFileSync(path.join(dir, "progress.log"), "utf8").match(/for its group/g)?.length;
        const again = project!.up(600);
        assert.equal(again.status, 0, again.out.slice(-3000));
        assert.doesNotMatch(again.out, /created|replaced|updated \(/);
        assert.match(again.out, /unchanged/);
        assert.equal(fs.readFileSync(path.join(dir, "progress.log"), "utf8").match(/for its group/g)?.length, before);
    });
});
