/** Test-only sample factory: plausible defaults, tests override what matters. */
import type { Sample } from "../../core/samples";

let rep = 0;

export function sample(o: Partial<Sample> & Pick<Sample, "environment" | "metric" | "value">): Sample {
    const kind = o.environment === "native" ? "native" : o.environment.startsWith("kvm") ? "kvm" : "docker";
    return {
        run_id: "r1",
        stack: "test",
        cell_id: `c${rep}`,
        env_kind: kind,
        variant: "",
        workload: "sysbench-cpu",
        params: "maxPrime=20000;threads=1;timeSeconds=10",
        repetition: rep++,
        unit: "events/s",
        better: "higher",
        started_at: "2026-01-01T00:00:00.000Z",
        duration_s: 10,
        tool: "sysbench",
        tool_version: "1.0.20",
        accel: kind === "kvm" ? "kvm" : "none",
        host: "h",
        kernel: "6.1",
        cpu_model: "cpu",
        notes: "",
        fingerprint: "",
        controller: "h",
        ...o,
    };
}
