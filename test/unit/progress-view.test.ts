/** The progress line of up: a bar redrawn on a terminal, plain lines elsewhere (experiment/progress-view.ts). */
import * as assert from "node:assert/strict";
import { PassThrough } from "stream";
import { PlannedCell, ProgressModel } from "../../experiment/progress-model";
import { barLine, LiveView } from "../../experiment/progress-view";

const T0 = Date.parse("2026-12-04T10:00:00Z");
const PLAN: PlannedCell[] = [1, 2, 3, 4].map((r) => ({
    id: `fio.native.r${r}`,
    workload: "fio",
    environment: "native",
    kind: "native",
    lengthFixedBy: "work",
}));
const model = () => new ProgressModel(PLAN, { prior: () => 10, startedAt: T0 });

function capture(live: boolean, now: () => number) {
    const out = Object.assign(new PassThrough(), { isTTY: live, columns: 200 });
    let text = "";
    out.on("data", (d) => (text += d));
    const view = new LiveView(model(), { out, live, now });
    return { view, text: () => text };
}

describe("progress view", () => {
    it("the bar: done/total, failed, the running cell with its environment, elapsed and ETA, cut to the terminal's width", () => {
        const m = model();
        m.apply({ kind: "start", at: T0, cell: "fio.native.r1" });
        m.apply({ kind: "done", at: T0 + 10_000, cell: "fio.native.r1", seconds: 9 });
        m.apply({ kind: "start", at: T0 + 11_000, cell: "fio.native.r2" });
        m.apply({ kind: "failed", at: T0 + 12_000, cell: "fio.native.r2", message: "exited 1" });
        m.apply({ kind: "start", at: T0 + 13_000, cell: "fio.native.r3" });
        const s = m.snapshot(T0 + 16_000);
        assert.equal(barLine(s, 200), "[██████████░░░░░░░░░░] 1/4 cells, 1 failed | fio.native.r3 (fio on native, 3 s) | elapsed 16 s, ETA 18 s");
        assert.equal(barLine(s, 30).length, 30);
    });

    it("plain lines (not a terminal): one per provisioning step and per cell end, with done/total and ETA; no escape codes", () => {
        let now = T0;
        const { view, text } = capture(false, () => now);
        view.apply({ kind: "step-start", at: T0, step: "creating guest kvm (booting)", id: "u1" });
        now = T0 + 40_000;
        view.apply({ kind: "step-end", at: now, id: "u1" });
        view.apply({ kind: "start", at: now, cell: "fio.native.r1" });
        now += 10_000;
        view.apply({ kind: "done", at: now, cell: "fio.native.r1", seconds: 9.4 });
        view.say("recovery: nothing");
        view.close();
        assert.equal(
            text(),
            [
                "[isobench] creating guest kvm (booting)… (0/4 cells, elapsed 0 s, ETA 48 s)",
                "[isobench] creating guest kvm: done after 40 s",
                "[isobench] 1/4 cells, elapsed 50 s, ETA 36 s: fio.native.r1 done in 9.4 s",
                "[isobench] recovery: nothing",
                "",
            ].join("\n"),
        );
    });

    it("on a terminal: one line redrawn in place, messages above it, a newline at the end", () => {
        const { view, text } = capture(true, () => T0 + 5000);
        view.apply({ kind: "start", at: T0, cell: "fio.native.r1" });
        view.say("recovery: nothing");
        view.close();
        const t = text();
        assert.ok(t.startsWith("\r\x1b[2K[░"), JSON.stringify(t));
        const CLEAR = "\r\x1b[2K";
        assert.ok(
            t.includes(`${CLEAR}[isobench] recovery: nothing\n${CLEAR}[░░░░░░░░░░░░░░░░░░░░] 0/4 cells | fio.native.r1 (fio on native, 5 s)`),
            JSON.stringify(t),
        );
        assert.ok(t.endsWith("\n"));
        assert.equal(t.split("\n").length, 3, "the message and the last bar only");
    });
});
