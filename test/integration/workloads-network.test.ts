/**
 * The network and server workloads (nuttcp, netperf, iperf, redis, mysql) measured through runCell
 * at a tiny scale on the host, in a Docker NAT container and in a guest (software emulation here):
 * the server inside each environment, the client on the host, over the environment's network path.
 * Checks sample counts, units, swept points and plausible ranges, and that nothing is left behind.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import { runCell } from "../../experiment/runner";
import { samplesFromCsv, Sample } from "../../core/samples";
import { getWorkload } from "../../workloads";
import { workloadPorts } from "../../workloads/workload";
import { LiveKind, liveSuite } from "../helpers/live-environments";
import { FULL_MATRIX } from "../helpers/scope";
import { TEST_CELL } from "../helpers/invocation";

const WORKLOADS = ["nuttcp", "netperf", "iperf", "redis", "mysql"] as const;
type Name = (typeof WORKLOADS)[number];

/** Tiny parameters; guests under software emulation get smaller ones still. */
function tinyParams(w: Name, kind: LiveKind): Record<string, number | string> {
    const slow = kind === "kvm";
    switch (w) {
        case "nuttcp":
            return { timeSeconds: 1 };
        case "netperf":
            return { lengthSeconds: 1 };
        case "iperf":
            return { timeSeconds: 1 };
        case "redis":
            return { requests: slow ? 500 : 2000, clients: "1,10", timeoutSeconds: 300 };
        case "mysql":
            return { tableSize: slow ? 500 : 2000, threads: "1,2", timeSeconds: 2, bufferPoolMB: 32 };
    }
}

interface Expectation {
    readonly count: number;
    /** metric → [unit, low, high] */
    readonly ranges: Readonly<Record<string, readonly [string, number, number]>>;
    readonly points?: { readonly key: string; readonly values: readonly number[] };
}

const GBPS: readonly [string, number, number] = ["Gb/s", 0.001, 1000];
const REDIS_TESTS = ["ping_inline", "ping_mbulk", "set", "get", "lpush", "lpop", "sadd"];

const EXPECT: Readonly<Record<Name, Expectation>> = {
    nuttcp: { count: 2, ranges: { transmit_gbps: GBPS, receive_gbps: GBPS } },
    iperf: { count: 2, ranges: { transmit_gbps: GBPS, receive_gbps: GBPS } },
    netperf: {
        count: 4,
        ranges: { tcp_rr_tps: ["trans/s", 10, 1e6], udp_rr_tps: ["trans/s", 10, 1e6], tcp_rr_latency_us: ["us", 1, 1e5], udp_rr_latency_us: ["us", 1, 1e5] },
    },
    redis: {
        count: 2 * REDIS_TESTS.length * 3,
        ranges: Object.fromEntries(
            REDIS_TESTS.flatMap((t) => [
                [`${t}_rps`, ["req/s", 20, 1e7]],
                [`${t}_latency_avg_ms`, ["ms", 0, 10_000]],
                [`${t}_latency_p99_ms`, ["ms", 0, 10_000]],
            ]),
        ),
        points: { key: "clients", values: [1, 10] },
    },
    mysql: {
        count: 2 * 3,
        ranges: { transactions_per_s: ["trans/s", 0.5, 1e6], latency_avg_ms: ["ms", 0, 60_000], latency_p95_ms: ["ms", 0, 60_000] },
        points: { key: "threads", values: [1, 2] },
    },
};

function pointOf(s: Sample, key: string): number | undefined {
    const m = new RegExp(`(?:^|;)${key}=([0-9]+)(?:;|$)`).exec(s.params);
    return m ? Number(m[1]) : undefined;
}

// npm test measures each server once: every one in a Docker NAT container, redis in a guest. The
// client runs on the host either way, so its output is parsed here as it would be natively; each
// server with its real client natively (and in docker-host) is server-listeners.test.ts's.
// test:smoke runs every workload natively and in a guest as well.
const KINDS: readonly LiveKind[] = ["native", "docker", "kvm"];
const inKind = (kind: LiveKind): ReadonlyArray<(typeof WORKLOADS)[number]> => (FULL_MATRIX || kind === "docker" ? WORKLOADS : kind === "kvm" ? ["redis"] : []);

describe("network and server workloads in native, Docker NAT and KVM (real dockerd and libvirt)", function () {
    this.timeout(60 * 60 * 1000);
    const prefix = `it4bnet${process.pid}`;
    const suite = liveSuite({
        prefix,
        kinds: KINDS.filter((k) => inKind(k).length > 0),
        serverPorts: WORKLOADS.flatMap((w) => workloadPorts(getWorkload(w))),
    });

    for (const kind of KINDS) {
        for (const w of inKind(kind)) {
            it(`${w} in ${kind}: server inside, client on the host`, () => {
                const env = suite.live.handles[kind]!;
                const csv = runCell({
                    ...TEST_CELL,
                    stack: prefix,
                    runId: "r",
                    resultsDir: suite.resultsDir,
                    cellId: `${w}.${kind}.r1`,
                    workload: w,
                    params: tinyParams(w, kind),
                    repetition: 1,
                    env,
                });
                const rows = samplesFromCsv(fs.readFileSync(csv, "utf8"), csv);
                const e = EXPECT[w];
                assert.equal(rows.length, e.count, `${w} in ${kind}: ${rows.map((r) => r.metric).join(", ")}`);
                for (const r of rows) {
                    const range = e.ranges[r.metric];
                    assert.ok(range, `${w} in ${kind}: unexpected metric ${r.metric}`);
                    const [unit, low, high] = range;
                    assert.equal(r.unit, unit, `${r.metric} unit`);
                    assert.ok(r.value > low && r.value < high, `${w} in ${kind}: ${r.metric}=${r.value} ${r.unit} outside (${low}, ${high})`);
                    assert.equal(r.env_kind, kind);
                    assert.match(r.notes, /^client on host, server at /);
                    assert.ok(r.tool_version.length > 0);
                }
                if (e.points) {
                    const seen = [...new Set(rows.map((r) => pointOf(r, e.points!.key)))].sort((a, b) => a! - b!);
                    assert.deepEqual(seen, e.points.values, `${w} in ${kind}: one set of values per ${e.points.key}`);
                }
                if (w === "netperf") {
                    for (const t of ["tcp_rr", "udp_rr"]) {
                        const tps = rows.find((r) => r.metric === `${t}_tps`)!.value;
                        const us = rows.find((r) => r.metric === `${t}_latency_us`)!.value;
                        assert.ok(Math.abs(us - 1e6 / tps) < 1e-6 * us, `${t}: latency = 1e6 / transactions per second`);
                    }
                }
            });
        }
    }
});
