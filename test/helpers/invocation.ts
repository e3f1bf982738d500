/** Test helper: cell invocations of a test's lone cell, as a stack's program would make them. */
import * as path from "path";
import type { CellInvocation } from "../../experiment/runner";
import type { EnvironmentHandle } from "../../core/environment-handle";

/** A fixed fingerprint, "stop" (a failing cell throws, as the test expects) and the default limit. */
export const TEST_CELL: Pick<CellInvocation, "fingerprint" | "onFailure" | "limit"> = {
    fingerprint: "fp1-0000000000000000",
    onFailure: "stop",
    limit: { limitS: 3600, source: "a test's default" },
};

/** The host as a native environment, its data folder inside `resultsDir`. */
export function nativeHandle(resultsDir: string): EnvironmentHandle {
    return { name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir: path.join(resultsDir, "data"), declared: {} };
}

/** A container on the host's network, named `container`, as environment docker-host. */
export function dockerHostHandle(container: string): EnvironmentHandle {
    return {
        name: "docker-host",
        envKind: "docker",
        variant: "",
        accel: "none",
        target: { kind: "docker", container, network: "host" },
        dataDir: "/data",
        declared: {},
    };
}

/** Cell `cellId` of the stand-in workload "echo" (test/helpers/echo-workload.ts), natively unless `o` says otherwise. */
export function echoCell(resultsDir: string, cellId: string, o: Partial<CellInvocation> = {}): CellInvocation {
    return { ...TEST_CELL, stack: "t", runId: "r", resultsDir, cellId, workload: "echo", params: {}, repetition: 1, env: nativeHandle(resultsDir), ...o };
}
