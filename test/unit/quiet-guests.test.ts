import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parseVirshList, quietGuests, quietPlan } from "../../environments/kvm/quiet-guests";
import type { Completed } from "../../environments/process";
import { describeGrouped, groupedPlan, shutByPlan } from "../../environments/kvm/guest-schedule";

// `virsh -c qemu:///system list --all` of libvirt 9.0.0 with a running, a paused and a defined guest.
const LIST = fs.readFileSync(path.join(__dirname, "..", "fixtures", "quiet-guests", "virsh-list-all.txt"), "utf8");
const [A, B, OFF] = ["isobench-capture-cap-a", "isobench-capture-cap-b", "isobench-capture-cap-off"];

describe("quiet guests: virsh list and the plan", () => {
    it("reads every domain's state, including two-word ones, and skips the header", () => {
        assert.deepEqual(
            [...parseVirshList(LIST)],
            [
                [A, "running"],
                [B, "paused"],
                [OFF, "shut off"],
            ],
        );
        assert.equal(parseVirshList(" Id   Name   State\n--------------------\n\n").size, 0);
    });

    it("pauses the stack's other running guests and resumes the cell's own", () => {
        const states = parseVirshList(LIST);
        assert.deepEqual(quietPlan(states, [A, B, OFF], B), { pause: [A], resume: [B] });
        assert.deepEqual(quietPlan(states, [A, B, OFF], undefined), { pause: [A], resume: [] }, "a host cell pauses all");
        assert.deepEqual(quietPlan(states, [A, B, OFF], A), { pause: [], resume: [] }, "already as needed");
    });

    it("never touches a guest the stack does not list", () => {
        assert.deepEqual(quietPlan(parseVirshList(LIST), [B], B), { pause: [], resume: [B] });
        assert.deepEqual(quietPlan(parseVirshList(LIST), [], undefined), { pause: [], resume: [] });
    });
});

describe("the grouped schedule's plan (environments/kvm/guest-schedule.ts)", () => {
    const states = parseVirshList(LIST);

    it("shuts off every other guest of the stack that is not off, paused ones too (a paused guest keeps its memory)", () => {
        assert.deepEqual(groupedPlan(states, [A, B, OFF], OFF, true), { stop: [A, B], own: "boot" });
        assert.deepEqual(groupedPlan(states, [A, B, OFF], undefined, false), { stop: [A, B] }, "a host cell shuts off all");
        assert.deepEqual(groupedPlan(states, [B], undefined, true), { stop: [B] }, "never a guest the stack does not list");
    });

    it("boots the cell's own guest only at its group's start: shut off in the middle of a group is the revival's (a fault)", () => {
        assert.deepEqual(groupedPlan(states, [A, OFF], OFF, true), { stop: [A], own: "boot" });
        assert.deepEqual(groupedPlan(states, [A, OFF], OFF, false), { stop: [A] });
        assert.deepEqual(groupedPlan(states, [A, OFF], A, true), { stop: [] }, "running already: nothing to do");
        assert.deepEqual(groupedPlan(states, [A, B], B, false), { stop: [A], own: "resume" }, "paused (by an interleaved run before): resumed");
    });

    it("says what it did in one progress line", () => {
        assert.equal(describeGrouped({ stopped: [] }), undefined);
        assert.equal(
            describeGrouped({ stopped: [{ domain: A, how: "forced" }], booted: { domain: OFF, seconds: 31.25, resumed: false } }),
            `shut off ${A} (forced: it did not shut down in time); booted ${OFF} for its group in 31.3 s (planned)`,
        );
    });

    it("knows a guest the schedule shut off last from one the host or a crash shut off: progress.log's last word on it", () => {
        const at = (line: string) => `2026-12-04T10:00:00.000Z ${line}\n`;
        const offByPlan =
            at(`cell a.native.r1: schedule grouped: shut off ${A}; shut off ${A}-2`) +
            at(`cell a.kvm2.r1: schedule grouped: booted ${A}-2 for its group in 30.0 s (planned)`);
        assert.equal(shutByPlan(offByPlan, A), true);
        assert.equal(shutByPlan(offByPlan, `${A}-2`), false, "booted since, and not mistaken for its prefix");
        assert.equal(shutByPlan(offByPlan + at(`cell a.kvm.r1: schedule grouped: booted ${A} for its group in 31.0 s (planned)`), A), false);
        assert.equal(
            shutByPlan(
                offByPlan + at(`cell b.kvm.r1: environment kvm had stopped: guest ${A} was shut off; started it again and it answers SSH; probing it again`),
                A,
            ),
            false,
            "revived since",
        );
        assert.equal(shutByPlan(at(`cell a.native.r1: schedule grouped: shut off ${A} (forced: it did not shut down in time)`), A), true);
        assert.equal(shutByPlan("", A), false, "never shut off by the schedule");
    });
});

describe("quietGuests through the guests' machine", () => {
    it("lists, pauses and resumes with that machine's virsh, reporting what failed instead of throwing", () => {
        const asked: string[] = [];
        const target = {
            virsh(_timeoutS: number, args: readonly string[]): Completed {
                asked.push(args.join(" "));
                if (args[0] === "list") return { stdout: LIST, stderr: "", status: 0 };
                return args[0] === "resume" ? { stdout: "", stderr: "error: cannot resume", status: 1 } : { stdout: "", stderr: "", status: 0 };
            },
        };
        const states = parseVirshList(LIST);
        const running = [...states].filter(([, s]) => s === "running").map(([n]) => n);
        const paused = [...states].filter(([, s]) => s === "paused").map(([n]) => n);
        assert.ok(running.length > 0 && paused.length > 0, "the fixture has a running and a paused guest");
        const r = quietGuests(target, [...running, ...paused], paused[0]);
        assert.deepEqual(r.paused, running);
        assert.deepEqual(r.resumed, []);
        assert.match(r.problems.join(), new RegExp(`could not resume ${paused[0]}: error: cannot resume`));
        assert.deepEqual(asked, ["list --all", ...running.map((n) => `suspend ${n}`), `resume ${paused[0]}`]);
        asked.length = 0;
        assert.deepEqual(quietGuests(target, [], undefined), { paused: [], resumed: [], problems: [] });
        assert.deepEqual(asked, [], "no virsh at all in a stack without guests");
    });
});
