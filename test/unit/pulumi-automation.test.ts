/**
 * The Automation API driving a stand-in `pulumi` through isobench's PulumiCommand
 * (experiment/pulumi-automation.ts): a real LocalWorkspace creates the stack when selecting it
 * fails, up runs in a process group of its own with its output in the log file and its pid
 * reported, the AbortSignal reaches it as SIGINT, and its exit code comes back. A Pulumi SDK whose
 * internal command interface changed fails here.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { exitCodeOf, IsobenchPulumi, openStack, runOperation } from "../../experiment/pulumi-automation";
import { waitFor } from "../helpers/cli-stack";

const FAKE = `#!/bin/bash
echo "$(cut -d' ' -f5 /proc/$$/stat) $*" >> "$FAKE_DIR/calls"
case "$1 $2" in
  "version "*) echo v3.259.0 ;;
  "stack select") [ -f "$FAKE_DIR/created" ] && exit 0; echo "error: no stack named '$4' found" >&2; exit 255 ;;
  "stack init") touch "$FAKE_DIR/created" ;;
  "stack output") echo '{}' ;;
  "stack history") echo '[]' ;;
  "up "*|"destroy "*)
    echo "$1: passphrase $PULUMI_CONFIG_PASSPHRASE, automation $PULUMI_AUTOMATION_API"
    trap 'echo "$1: got SIGINT"; exit 255' INT
    if [ -f "$FAKE_DIR/hang" ]; then touch "$FAKE_DIR/running"; while true; do sleep 0.1; done; fi ;;
esac
`;

describe("pulumi through the Automation API", function () {
    this.timeout(60_000);
    let dir: string;
    let env: NodeJS.ProcessEnv;

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-automation-"));
        fs.mkdirSync(path.join(dir, "bin"));
        fs.writeFileSync(path.join(dir, "bin", "pulumi"), FAKE, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: isobench\nruntime: nodejs\n");
        env = { PATH: `${path.join(dir, "bin")}:/usr/bin:/bin`, FAKE_DIR: dir, PULUMI_CONFIG_PASSPHRASE: "test" };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n");
    const myGroup = () => fs.readFileSync("/proc/self/stat", "utf8").split(" ")[4];

    it("selects the stack, creating it with the passphrase provider when it is not there; up runs in its own process group with its output in the log", async () => {
        const log = path.join(dir, "results", "pulumi.log");
        const session = await openStack("s1", dir, env, log);
        assert.ok(session.pulumi instanceof IsobenchPulumi);
        let started: number | undefined;
        session.pulumi.onStart = (pid) => (started = pid);
        const exit = await runOperation(session, "up", { replace: ["urn:pulumi:s1::isobench::x::y"] });
        assert.deepEqual(exit, { code: 0, signals: 0 });
        // The version (asked once, before the workspace exists), then what the Automation API runs.
        const [version, ...c] = calls();
        assert.match(version, / version$/);
        assert.match(c[0], / stack select --stack s1 --non-interactive$/);
        assert.match(c[1], / stack init s1 --secrets-provider passphrase --non-interactive$/);
        const up = c.find((l) => / up /.test(l))!;
        assert.match(
            up,
            / up --yes --skip-preview --replace urn:pulumi:s1::isobench::x::y --exec-kind auto\.local --event-log tcp:\/\/127\.0\.0\.1:\d+ --stack s1 --non-interactive$/,
        );
        for (const l of c) assert.notEqual(l.split(" ")[0], myGroup(), `pulumi ran in isobench's process group: ${l}`);
        assert.ok(started && started > 0, "the pid of up was reported");
        const text = fs.readFileSync(log, "utf8");
        assert.match(text, /=== \S+ pulumi up --yes/);
        assert.match(text, /up: passphrase test, automation true/, "the workspace's environment, and up's output in the log");
    });

    it("the AbortSignal reaches a running up as SIGINT; a second interrupt is sent on; the exit code comes back", async () => {
        fs.writeFileSync(path.join(dir, "created"), "");
        fs.writeFileSync(path.join(dir, "hang"), "");
        const log = path.join(dir, "pulumi.log");
        const { stack, pulumi } = await openStack("s2", dir, env, log);
        const abort = new AbortController();
        const up = stack.up({ signal: abort.signal, onEvent: () => undefined }).then(
            () => undefined,
            (e: unknown) => e,
        );
        await waitFor("the stand-in up to run", () => fs.existsSync(path.join(dir, "running")), 30);
        abort.abort();
        pulumi.interrupt();
        const e = await up;
        assert.equal(exitCodeOf(e), 255);
        assert.match(fs.readFileSync(log, "utf8"), /up: got SIGINT/);
        assert.equal(calls().filter((l) => / stack output /.test(l)).length, 0, "no outputs read after a failed up");
    });
});
