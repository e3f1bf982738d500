/**
 * Mocha's spec reporter plus, at the end, where the time went: the slowest test files (wall time
 * from their first suite's start to its end, hooks included) and the slowest tests and hooks. The
 * before hooks that provision containers and boot guests are most of a run's time, and mocha's own
 * per-test durations leave them out, so hooks are timed here.
 *
 * ISOBENCH_TEST_TIMES=<file> also writes every file, test and hook with its seconds as JSON.
 */
import * as fs from "fs";
import * as path from "path";
import * as Mocha from "mocha";

const { Spec } = Mocha.reporters;
const { EVENT_HOOK_BEGIN, EVENT_HOOK_END, EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_FAIL, EVENT_TEST_PASS } = Mocha.Runner.constants;

interface Timed {
    readonly kind: "file" | "test" | "hook";
    readonly title: string;
    readonly file: string;
    readonly seconds: number;
}

const SHOWN = 12;

class TimingReporter extends Spec {
    constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
        super(runner, options);
        const timed: Timed[] = [];
        const fileStart = new Map<string, number>();
        const hookStart = new Map<Mocha.Hook, number>();
        const rel = (f?: string) => (f ? path.relative(process.cwd(), f) : "?");
        const t0 = Date.now();

        runner.on(EVENT_SUITE_BEGIN, (s: Mocha.Suite) => {
            if (s.file && !fileStart.has(s.file)) fileStart.set(s.file, Date.now());
        });
        runner.on(EVENT_SUITE_END, (s: Mocha.Suite) => {
            // A file's top-level suites end one by one; its time runs to the last of them.
            if (s.file && s.parent?.root) {
                const i = timed.findIndex((t) => t.kind === "file" && t.file === rel(s.file));
                const entry: Timed = { kind: "file", title: rel(s.file), file: rel(s.file), seconds: (Date.now() - fileStart.get(s.file)!) / 1000 };
                if (i >= 0) timed[i] = entry;
                else timed.push(entry);
            }
        });
        runner.on(EVENT_HOOK_BEGIN, (h: Mocha.Hook) => hookStart.set(h, Date.now()));
        runner.on(EVENT_HOOK_END, (h: Mocha.Hook) => {
            const start = hookStart.get(h);
            if (start === undefined) return;
            hookStart.delete(h);
            timed.push({ kind: "hook", title: h.fullTitle(), file: rel(h.file ?? h.parent?.file), seconds: (Date.now() - start) / 1000 });
        });
        const onTest = (t: Mocha.Test) => timed.push({ kind: "test", title: t.fullTitle(), file: rel(t.file), seconds: (t.duration ?? 0) / 1000 });
        runner.on(EVENT_TEST_PASS, onTest);
        runner.on(EVENT_TEST_FAIL, (t: Mocha.Runnable) => {
            if ((t as { type?: string }).type === "test") onTest(t as Mocha.Test);
        });

        runner.once(EVENT_RUN_END, () => {
            const total = (Date.now() - t0) / 1000;
            const top = (kinds: Timed["kind"][]) =>
                timed
                    .filter((t) => kinds.includes(t.kind))
                    .sort((a, b) => b.seconds - a.seconds)
                    .slice(0, SHOWN);
            const line = (t: Timed) =>
                `  ${t.seconds.toFixed(1).padStart(7)} s  ${t.kind === "file" ? t.title : `${t.kind.padEnd(4)} ${t.title}  (${t.file})`}`;
            const out = [
                "",
                `Time: ${total.toFixed(1)} s in all. Slowest files:`,
                ...top(["file"]).map(line),
                "Slowest tests and hooks:",
                ...top(["test", "hook"]).map(line),
                "",
            ];
            process.stdout.write(out.join("\n") + "\n");
            const file = process.env.ISOBENCH_TEST_TIMES;
            if (file) fs.writeFileSync(file, JSON.stringify({ totalSeconds: total, timed }, null, 1));
        });
    }
}

export = TimingReporter;
