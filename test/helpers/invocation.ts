/** Test helper: the CellInvocation fields that a test's lone cell takes as a stack's cell would. */
import type { CellInvocation } from "../../experiment/runner";

/** A fixed fingerprint and "stop", so that a failing cell throws as the test expects. */
export const TEST_CELL: Pick<CellInvocation, "fingerprint" | "onFailure"> = { fingerprint: "fp1-0000000000000000", onFailure: "stop" };
