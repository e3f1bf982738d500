import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parseVirshList, quietPlan } from "../../environments/kvm/quiet-guests";

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
