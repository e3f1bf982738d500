import { strict as assert } from "assert";
import { idle, idleScript, parseIdle } from "../../workloads/idle";
import { assertParseErrorSays } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import type { EnvironmentHandle } from "../../core/environment-handle";

const fixture = fixtureReader("idle");

function byMetric(raw: string): Record<string, { value: number; unit: string }> {
    return Object.fromEntries(parseIdle(raw).map((m) => [m.metric, { value: m.value, unit: m.unit }]));
}

const handle = (target: EnvironmentHandle["target"]): EnvironmentHandle => ({
    name: target.kind,
    envKind: target.kind,
    variant: "",
    accel: "none",
    target,
    dataDir: "/data",
    declared: {},
});

describe("workloads/idle", () => {
    it("runs on the host with a 60 s window by default", () => {
        assert.equal(idle.clientPlacement, "host");
        assert.equal(idle.versionPlacement, "host");
        assert.deepEqual(idle.defaults, { windowS: 60 });
        assert.throws(() => idle.clientCommand({ windowS: 5 }, { dataDir: "/d" }), /needs the cell's environment/);
        assert.throws(() => idle.clientCommand({ windowS: 0 }, { dataDir: "/d", env: handle({ kind: "native" }) }), /windowS must be a positive integer/);
    });

    it("computes the Docker container's and shim's CPU and memory from captured counters", () => {
        const m = byMetric(fixture("idle-window5-docker-nat.txt"));
        assert.deepEqual(Object.keys(m), ["host_cpu_percent", "env_cpu_percent", "env_memory_mib", "shim_cpu_percent", "shim_memory_mib"]);
        // 57576458 ns → 57576458 ns, 1 → 1 tick: the idle container and its shim used no CPU in the window.
        assert.equal(m.env_cpu_percent.value, 0);
        assert.equal(m.shim_cpu_percent.value, 0);
        assert.equal(m.env_memory_mib.value, 479232 / 2 ** 20);
        assert.equal(m.shim_memory_mib.value, 13888 / 1024);
        // 1001 busy of 1003 jiffies on 2 CPUs (the shared host was saturated by other jobs).
        assert.equal(m.host_cpu_percent.value, (100 * 2 * 1001) / 1003);
        assert.equal(m.env_cpu_percent.unit, "%");
        assert.equal(m.env_memory_mib.unit, "MiB");
    });

    it("computes the QEMU process's CPU and RSS for a guest, host CPU only for native", () => {
        const kvm = byMetric(fixture("idle-window5-kvm-untuned.txt"));
        assert.deepEqual(Object.keys(kvm), ["host_cpu_percent", "env_cpu_percent", "env_memory_mib"]);
        assert.equal(kvm.env_memory_mib.value, 1158564 / 1024);
        // 4018 → 4023 ticks of 1/100 s over 5.035 s.
        assert.ok(Math.abs(kvm.env_cpu_percent.value - (100 * 0.05) / 5.035388955) < 1e-6);
        assert.ok(kvm.env_cpu_percent.value > 0 && kvm.env_cpu_percent.value < 100);
        assert.deepEqual(Object.keys(byMetric(fixture("idle-window5-native.txt"))), ["host_cpu_percent"]);
    });

    it("fails naming workload, metric and the cause on truncated or malformed output", () => {
        const raw = fixture("idle-window5-docker-nat.txt");
        assertParseErrorSays(() => parseIdle(raw.split("\n").slice(0, 2).join("\n")), "idle", "host_cpu_percent", /no "end …" counter line/);
        assertParseErrorSays(() => parseIdle(raw.replace(/ shim_rss_kib=13888\n$/, "\n")), "idle", "shim_memory_mib", /no shim_rss_kib= counter/);
        assertParseErrorSays(
            () => parseIdle(raw.replace(/(end .*env_memory_bytes=)479232/, "$1")),
            "idle",
            "host_cpu_percent",
            /malformed counter "env_memory_bytes="/,
        );
        assertParseErrorSays(() => parseIdle(raw.replace(/(end .*env_cpu_ns=)57576458/, "$1100")), "idle", "env_cpu_percent", /went backwards/);
        assertParseErrorSays(
            () => parseIdle(raw.replace(/(end .*host_total_ticks=)1637428/, "$11636425")),
            "idle",
            "host_cpu_percent",
            /host_total_ticks did not advance/,
        );
        assertParseErrorSays(
            () => parseIdle("cat: /run/libvirt/qemu/x.pid: No such file or directory\n"),
            "idle",
            "host_cpu_percent",
            /not output of the idle workload/,
        );
    });

    it("reads the container's cgroup and shim, or the guest's QEMU pid file, on the host", () => {
        const d = idleScript(handle({ kind: "docker", container: "c1", network: "nat" }), 7);
        assert.match(d, /docker inspect -f '\{\{\.State\.Pid\}\}' 'c1'/);
        assert.match(d, /cpuacct\.usage/);
        assert.match(d, /cpu\.stat/);
        assert.match(d, /\nsleep 7\nsample end\n$/);
        const k = idleScript(handle({ kind: "kvm", domain: "g1", sshKey: "/k", knownHosts: "/g/known_hosts" }), 7);
        assert.match(k, /cat '\/run\/libvirt\/qemu\/g1\.pid'/);
        assert.doesNotMatch(idleScript(handle({ kind: "native" }), 7), /docker|libvirt/);
    });
});
