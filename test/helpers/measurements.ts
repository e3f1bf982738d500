/** Test helper: a parser's measurements by metric name, so a test asserts on one metric at a time. */
import type { Measurement } from "../../workloads/workload";

export function byMetric(ms: readonly Measurement[]): Record<string, Measurement> {
    return Object.fromEntries(ms.map((m) => [m.metric, m]));
}

/** Only the values: what most parser tests compare. */
export function valuesByMetric(ms: readonly Measurement[]): Record<string, number> {
    return Object.fromEntries(ms.map((m) => [m.metric, m.value]));
}
