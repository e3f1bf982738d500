/**
 * The one argument of `isobench run-cell`, `probe`, `probe-host` and `host-apply`: what the program
 * encodes the CLI decodes unchanged, and anything else is refused, naming what is wrong, before it
 * reaches the runner. (That every argument the program writes decodes: program-matrix.test.ts.)
 */
import * as assert from "node:assert/strict";
import { PrecompiledValidators, buildValidator, decodeArg, encodeArg } from "../../experiment/command-args";
import { validatorsSource } from "../../scripts/compile-validators";
import { UserError } from "../../core/errors";
import type { CellInvocation } from "../../experiment/runner";
import { TEST_CELL } from "../helpers/invocation";

const cell: CellInvocation = {
    ...TEST_CELL,
    stack: "s",
    runId: "r1",
    resultsDir: "/r",
    cellId: "redis.kvm.r1",
    workload: "redis",
    params: { requests: 1000, clients: "50" },
    repetition: 1,
    env: {
        name: "kvm",
        envKind: "kvm",
        variant: "vcpus=1",
        accel: "tcg",
        dataDir: "/var/lib/isobench-data",
        declared: { vcpupin: "0:1" },
        target: { kind: "kvm", domain: "isobench-s-kvm", sshKey: "/k", knownHosts: "/g/s/known_hosts" },
    },
    guests: ["isobench-s-kvm"],
};
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64");
const refused = (re: RegExp) => (e: unknown) => e instanceof UserError && re.test((e as Error).message);

describe("command arguments: one encoder, one checked decoder", () => {
    it("round-trips a cell, an environment handle, host facts and host settings", () => {
        assert.deepEqual(decodeArg("run-cell", encodeArg("run-cell", cell)), cell);
        assert.deepEqual(decodeArg("probe", encodeArg("probe", cell.env)), cell.env);
        assert.deepEqual(decodeArg("probe-host", encodeArg("probe-host", { thp: "never" })), { thp: "never" });
        assert.deepEqual(decodeArg("host-apply", encodeArg("host-apply", { thp: "never", boost: "off" })), { thp: "never", boost: "off" });
    });

    it("refuses what this isobench does not write, naming the place", () => {
        assert.throws(() => decodeArg("run-cell", "not base64 json"), refused(/isobench run-cell: the argument is not base64 of JSON/));
        const { cellId: _c, ...noCell } = cell;
        assert.throws(() => decodeArg("run-cell", b64(noCell)), refused(/run-cell: .*\(top\) must have required property 'cellId'/));
        assert.throws(() => decodeArg("run-cell", b64({ ...cell, repetition: 0 })), refused(/\/repetition must be >= 1/));
        assert.throws(
            () => decodeArg("run-cell", b64({ ...cell, env: { ...cell.env, target: { kind: "kvm", domain: "d", sshKey: "/k" } } })),
            refused(/\/env\/target/),
        );
        assert.throws(() => decodeArg("probe", b64({ ...cell.env, extra: 1 })), refused(/must NOT have additional properties/));
        assert.throws(() => decodeArg("host-apply", b64({ thp: 1 })), refused(/\/thp must be string/));
    });

    // The build writes these validators as JavaScript (scripts/compile-validators.ts) so cells do not
    // load ajv; they must judge every value exactly as the schemas compiled by ajv do.
    it("the build's precompiled validators judge like ajv's compiled ones, and one made from other schemas is ignored", () => {
        const mod: { exports: Record<string, unknown> } = { exports: {} };
        new Function("exports", "module", "require", validatorsSource())(mod.exports, mod, require);
        const pre = mod.exports as PrecompiledValidators;
        const { cellId: _c, ...noCell } = cell;
        const cases: [Parameters<typeof buildValidator>[0], unknown][] = [
            ["run-cell", cell],
            ["run-cell", noCell],
            ["run-cell", { ...cell, repetition: 0 }],
            ["run-cell", { ...cell, params: { a: true } }],
            ["run-cell", { ...cell, env: { ...cell.env, target: { kind: "docker", container: "c", network: "bridge" } } }],
            ["probe", cell.env],
            ["probe", { ...cell.env, extra: 1 }],
            ["probe-host", { thp: "never" }],
            ["probe-host", { thp: 2 }],
            ["host-apply", { thp: "never", boost: "off" }],
            ["host-apply", { thp: 1 }],
        ];
        for (const [command, value] of cases) {
            const fast = buildValidator(command, pre);
            const slow = buildValidator(command, undefined);
            assert.equal(fast.precompiled, true, command);
            assert.equal(slow.precompiled, false, command);
            assert.equal(fast.validate(value), slow.validate(value), `${command} ${JSON.stringify(value)}`);
            assert.deepEqual(fast.validate.errors ?? null, slow.validate.errors ?? null, `${command} ${JSON.stringify(value)}`);
        }
        assert.equal(buildValidator("run-cell", { ...pre, digest: "other schemas" }).precompiled, false);
    });
});
