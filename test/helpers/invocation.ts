/** Test helper: the CellInvocation fields that a test's lone cell takes as a stack's cell would. */
import type { CellInvocation } from "../../experiment/runner";

/** A fixed fingerprint, "stop" (a failing cell throws, as the test expects) and the default limit. */
export const TEST_CELL: Pick<CellInvocation, "fingerprint" | "onFailure" | "limit"> = {
    fingerprint: "fp1-0000000000000000",
    onFailure: "stop",
    limit: { limitS: 3600, source: "a test's default" },
};
