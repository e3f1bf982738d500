/** A stand-in workload for runner tests: runs `clientCommand` and parses one `value=<n>` line. */
import { ParseError } from "../../core/errors";
import type { AnyWorkload } from "../../workloads";

export function echoWorkload(clientCommand: AnyWorkload["clientCommand"]): AnyWorkload {
    return {
        name: "echo",
        tool: "sh",
        defaults: {},
        paramSchema: {},
        versionCommand: "echo sh-1.0",
        parseVersion: (s) => s.trim(),
        expectedS: () => 1,
        lengthFixedBy: () => "work",
        clientPlacement: "inside",
        clientCommand,
        parse(raw) {
            const m = /^value=(\d+)$/.exec(raw.trim());
            if (!m) throw new ParseError("echo", "value", `no "value=" line`);
            return [{ metric: "value", value: Number(m[1]), unit: "1", better: "higher" }];
        },
    };
}
