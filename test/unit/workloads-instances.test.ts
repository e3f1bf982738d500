import { strict as assert } from "assert";
import { instanceSweep, instancesScript, parseInstancesOutput, splitInstancesOutput, withInstances } from "../../workloads/instances";
import { clonesOf, parseDockerInspect } from "../../environments/clone";
import { redis, sysbenchCpu, AnyWorkload } from "../../workloads";
import { assertParseErrorSays } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const RAW = fixtureReader("instances")("sysbench-1.0.20-cpu-prime20000-time3-docker-instances-1-2.txt");
/** The clone source of a captured Docker NAT container with a data volume. */
const DOCKER_NAT = {
    kind: "docker" as const,
    inspect: parseDockerInspect(fixtureReader("clone")("docker-20.10.24-inspect-nat-volume.json"), "x"),
    network: "nat" as const,
};
const PARAMS = { maxPrime: 20000, threads: 1, timeSeconds: 3, instances: "1,2" };
const SB = sysbenchCpu as AnyWorkload;

describe("workloads/instances", () => {
    it("reads a count or a sweep and refuses anything else", () => {
        assert.equal(instanceSweep("w", {}), undefined);
        assert.deepEqual(instanceSweep("w", { instances: 4 }), [4]);
        assert.deepEqual(instanceSweep("w", { instances: "1, 2,4" }), [1, 2, 4]);
        assert.throws(() => instanceSweep("w", { instances: "0" }), /w: parameter instances must be a count .* between 1 and 32/);
        assert.throws(() => instanceSweep("w", { instances: "33" }), /between 1 and 32/);
        assert.throws(() => instanceSweep("w", { instances: "1,,2" }), /must be a count/);
        assert.throws(() => instanceSweep("w", { instances: "2,2" }), /lists a count twice/);
    });

    it("splits a captured run into one section per instance", () => {
        const s = splitInstancesOutput(RAW);
        assert.deepEqual(
            s.map((x) => [x.instances, x.instance, x.status]),
            [
                [1, 1, 0],
                [2, 1, 0],
                [2, 2, 0],
            ],
        );
        assert.match(s[0].stdout, /^sysbench 1\.0\.20/);
        assert.ok(!s[0].stdout.includes("##isobench##"));
    });

    it("gives each instance's values with point {instances} and the aggregate of throughput metrics", () => {
        const ms = parseInstancesOutput(SB, RAW, PARAMS);
        const eps = ms.filter((m) => m.metric === "events_per_s");
        assert.deepEqual(
            eps.map((m) => [m.value, m.point]),
            [
                [771.34, { instances: 1 }],
                [245.61, { instances: 2 }],
                [242.24, { instances: 2 }],
            ],
        );
        const agg = ms.filter((m) => m.metric === "events_per_s_aggregate");
        assert.deepEqual(
            agg.map((m) => [m.point, m.unit, m.better]),
            [
                [{ instances: 1 }, "events/s", "higher"],
                [{ instances: 2 }, "events/s", "higher"],
            ],
        );
        assert.equal(agg[0].value, 771.34);
        assert.equal(agg[1].value, 487.85);
        // Latencies are per instance only: a sum of latencies means nothing.
        assert.equal(ms.filter((m) => m.metric.startsWith("latency") && m.metric.endsWith("_aggregate")).length, 0);
        assert.equal(ms.length, 3 * 3 + 2);
    });

    it("fails naming the workload on a missing instance, a failed instance or truncated tool output", () => {
        const cut = RAW.slice(0, RAW.lastIndexOf("##isobench## instances=2 instance=2"));
        assertParseErrorSays(() => parseInstancesOutput(SB, cut, PARAMS), "sysbench-cpu", /.*/, /0 complete instance section\(s\) for instances=2, expected 2/);
        assertParseErrorSays(
            () => parseInstancesOutput(SB, RAW.replace("instances=2 instance=2 status=0", "instances=2 instance=2 status=137"), PARAMS),
            "sysbench-cpu",
            /.*/,
            /instance 2 of 2 exited with 137/,
        );
        const truncated = RAW.replace(/(##isobench## instances=2 instance=2 status=0\n[\s\S]*?)Threads fairness:[\s\S]*?(##isobench## stderr)/, "$1$2");
        assertParseErrorSays(() => parseInstancesOutput(SB, truncated, PARAMS), "sysbench-cpu", /.*/, /instance 2 of 2: .*Threads fairness/);
    });

    it("runs the command in the original and N-1 clones at once and removes the clones", () => {
        const s = instancesScript({
            command: "sysbench cpu run",
            sweep: [1, 3],
            clones: clonesOf(DOCKER_NAT),
            originalExec: (c) => `docker exec orig sh -c '${c}'`,
            dataDir: "/data",
            readyTimeoutS: 30,
        });
        const body3 = s.slice(s.indexOf("# ---- instances=3"));
        assert.equal(body3.match(/docker exec orig sh -c 'mkdir -p '\/data' && sysbench cpu run'/g)?.length, 1);
        assert.equal(body3.match(/docker exec 'isobench-it4c-docker-nat-c\d' \/bin\/sh -c 'mkdir -p '\\''\/data'\\'' && sysbench cpu run'/g)?.length, 2);
        assert.match(body3, /docker rm -f 'isobench-it4c-docker-nat-c2'/);
        // Clones of the largest count are removed by the EXIT trap too.
        assert.match(s.slice(0, s.indexOf("trap cleanup EXIT")), /docker rm -f 'isobench-it4c-docker-nat-c2'/);
        assert.doesNotMatch(s.slice(0, s.indexOf("# ---- instances=3")), /docker run .*-c1/);
    });

    it("native instances are processes on one filesystem: each gets its own data directory", () => {
        const s = instancesScript({
            command: (dir) => `sysbench fileio --dir ${dir} run`,
            sweep: [1, 2],
            clones: clonesOf({ kind: "native" }),
            originalExec: (c) => `sh -c '${c}'`,
            dataDir: "/var/tmp/d",
            readyTimeoutS: 30,
        });
        const body2 = s.slice(s.indexOf("# ---- instances=2"));
        assert.match(body2, /mkdir -p '\/var\/tmp\/d' && sysbench fileio --dir \/var\/tmp\/d run/);
        assert.match(body2, /mkdir -p '\\''\/var\/tmp\/d\/instance-2'\\'' && sysbench fileio --dir \/var\/tmp\/d\/instance-2 run/);
        const d = instancesScript({
            command: (dir) => `run ${dir}`,
            sweep: [2],
            clones: clonesOf(DOCKER_NAT),
            originalExec: (c) => `sh -c '${c}'`,
            dataDir: "/data",
            readyTimeoutS: 30,
        });
        assert.doesNotMatch(d, /instance-2/, "containers have their own filesystems");
    });

    it("applies to self-contained workloads only", () => {
        assert.throws(() => withInstances(redis as AnyWorkload), /redis: the instances parameter applies to self-contained workloads only/);
        const w = withInstances(SB);
        assert.equal(w.name, "sysbench-cpu");
        assert.equal(w.clientPlacement, "host");
        assert.equal(w.versionCommand, sysbenchCpu.versionCommand);
        assert.throws(() => w.clientCommand(PARAMS, { dataDir: "/d" }), /needs the environment's clones/);
    });
});
