/**
 * numactl policies and container needs without daemons: the policy forms and their checks, the
 * numactl argv, the parsers of `numactl --show` and /proc/self/status against output captured on
 * this machine (test/fixtures/environments/README.md), declared facts that match what the parser
 * reads under the same policy, and how workload needs reach a container's variant and facts.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { parseSpec } from "../../experiment/spec";
import { SpecError } from "../../core/errors";
import {
    NumaPolicy,
    declaredNumaFacts,
    missingNodes,
    numaContainerNeeds,
    numaPolicyKey,
    numactlArgv,
    parseNumaPolicyKey,
    parseNumactlShow,
} from "../../core/numa";
import { capabilityNames, capsAddedToDocker, seccompMode } from "../../environments/capabilities";
import { needsRecord, withNeeds } from "../../core/container-needs";
import { insideDerivedFacts, parseFacts } from "../../environments/probe";
import { dockerVariantOf } from "../../core/environment-spec";
import { dockerEnvironment, dockerInKvmEnvironment, nativeEnvironment, numaProblems, workloadNeeds } from "../../experiment/environment-handles";
import { execArgv } from "../../environments/exec-target";
import { thisMachine } from "../../environments/transport";
import { dockerRunArgs } from "../../environments/container-spec";
import { stream, randomAccess, linpack } from "../../workloads";
import type { HpccCommonParams } from "../../workloads/hpcc";
import type { Workload } from "../../workloads/workload";
import type { HostContext } from "../../experiment/program";
import { mockHost } from "../helpers/mock-program";

const FIX = path.join(__dirname, "..", "fixtures", "environments");
const fixture = (f: string) => fs.readFileSync(path.join(FIX, f), "utf8");
const capEff = (status: string) => /^CapEff:\s*(\S+)/m.exec(status)![1];
const seccompField = (status: string) => /^Seccomp:\s*(\S+)/m.exec(status)![1];

const host: HostContext = mockHost({ sshKey: "/k", numaNodes: [0] });

describe("numactl policies", () => {
    const cases: Array<[string, NumaPolicy, string]> = [
        ["numactl-show-membind.txt", { membind: "0" }, "membind:0"],
        ["numactl-show-interleave-all.txt", { interleave: "all" }, "interleave:all"],
        ["numactl-show-preferred.txt", { preferred: 0 }, "preferred:0"],
        ["numactl-show-localalloc.txt", { localalloc: true }, "localalloc"],
        ["numactl-show-cpunodebind-membind.txt", { cpunodebind: "0", membind: "0" }, "cpunodebind:0+membind:0"],
    ];
    for (const [file, policy, key] of cases) {
        it(`${key}: argv, key round trip, and the declared facts are what numactl --show reports under it`, () => {
            assert.equal(numaPolicyKey(policy), key);
            assert.deepEqual(parseNumaPolicyKey(key), policy);
            const argv = numactlArgv(policy);
            assert.equal(argv[0], "numactl");
            // The fixture was captured with exactly these options (README).
            const measured = parseNumactlShow(fixture(file));
            const declared = declaredNumaFacts(policy, [0]);
            for (const [k, v] of Object.entries(declared)) assert.equal(measured[k], v, `${k} of ${file}`);
        });
    }

    it("parses every field of numactl --show, including the localalloc line without a newline", () => {
        assert.deepEqual(parseNumactlShow(fixture("numactl-show-interleave-all.txt")), { numa_policy: "interleave", numa_nodebind: "0", numa_interleave: "0" });
        assert.deepEqual(parseNumactlShow(fixture("numactl-show-localalloc.txt")), { numa_policy: "local", numa_nodebind: "0" });
        assert.deepEqual(parseNumactlShow(fixture("numactl-show.txt")), { numa_policy: "default", numa_nodebind: "0" });
        assert.deepEqual(parseNumactlShow("no numactl here"), {});
    });

    it("records that a container without SYS_NICE cannot even read its policy", () => {
        assert.equal(parseNumactlShow(fixture("numactl-show-docker-no-sys-nice.txt")).numa_error, "get_mempolicy: Operation not permitted");
        assert.match(fixture("numactl-membind-docker-no-sys-nice.txt"), /set_mempolicy: Operation not permitted/);
    });

    it("a memory policy needs SYS_NICE in a container, a CPU binding alone nothing", () => {
        assert.deepEqual(numaContainerNeeds({ interleave: "all" }), { capAdd: ["SYS_NICE"], why: "numactl interleave:all" });
        assert.deepEqual(numaContainerNeeds({ localalloc: true }).capAdd, ["SYS_NICE"]);
        assert.deepEqual(numaContainerNeeds({ cpunodebind: "0" }), {});
    });

    it("refuses malformed keys and two memory policies, naming the part", () => {
        assert.throws(() => parseNumaPolicyKey("membind"), /"membind" is not a policy field/);
        assert.throws(() => parseNumaPolicyKey("interleave:x"), /"interleave:x" is not a policy field/);
        assert.throws(() => parseNumaPolicyKey("membind:0+interleave:all"), /sets membind and interleave; numactl applies one memory policy/);
        assert.throws(() => parseNumaPolicyKey("membind:0+membind:1"), /"membind:1" is not a policy field/);
    });

    it("names nodes the environment does not have", () => {
        assert.equal(missingNodes({ membind: "0-1" }, [0]), "numactl membind:0-1 names NUMA node 1, but there is only node 0");
        assert.equal(missingNodes({ interleave: "all", preferred: 0 }, [0]), undefined);
    });
});

describe("capabilities and seccomp from /proc/self/status", () => {
    it("decodes CapEff of a default container as Docker's default set", () => {
        const names = capabilityNames(capEff(fixture("proc-status-docker-default.txt")));
        assert.equal(names.length, 14);
        assert.equal(capsAddedToDocker(names), "none");
        assert.equal(seccompMode(seccompField(fixture("proc-status-docker-default.txt"))), "filter");
    });

    it("sees SYS_NICE added, and seccomp unconfined as disabled", () => {
        assert.equal(capsAddedToDocker(capabilityNames(capEff(fixture("proc-status-docker-sys-nice.txt")))), "SYS_NICE");
        assert.equal(seccompMode(seccompField(fixture("proc-status-docker-unconfined.txt"))), "disabled");
        assert.equal(capsAddedToDocker(capabilityNames(capEff(fixture("proc-status-docker-unconfined.txt")))), "none");
    });

    it("derives the probe's facts from the inside script's raw lines", () => {
        const status = fixture("proc-status-docker-sys-nice.txt");
        const raw = parseFacts(
            `nproc=2\ncap_eff=${capEff(status)}\nseccomp_field=${seccompField(status)}\nnumactl_show=${fixture("numactl-show-membind.txt").replace(/\n/g, "|")}`,
        );
        const f = insideDerivedFacts(raw, "docker");
        assert.equal(f.caps_added, "SYS_NICE");
        assert.equal(f.seccomp_mode, "filter");
        assert.equal(f.numa_policy, "bind");
        assert.equal(f.numa_membind, "0");
        assert.equal(f.numactl_show, undefined);
        assert.equal(insideDerivedFacts(raw, "native").caps_added, undefined, "caps_added is relative to Docker's defaults: containers only");
        assert.throws(() => capabilityNames("zz"), /not a capability mask/);
        assert.deepEqual(
            insideDerivedFacts({ cap_eff: "", seccomp_field: "", nproc: "1" }, "docker"),
            { cap_eff: "", nproc: "1" },
            "a sandbox without the lines: nothing derived, no crash",
        );
    });
});

describe("container needs", () => {
    const spec = (over: Record<string, unknown>) => parseSpec("t", { runId: "r1", ...over });

    it("hpcc workloads declare SYS_NICE for a numactl memory policy and run under it", () => {
        // A generic function rather than a loop: each hpcc workload has its own params besides the shared ones.
        const check = <P extends HpccCommonParams>(w: Workload<P>) => {
            const under = (numactl: string): P => ({ ...w.defaults, numactl });
            assert.deepEqual(w.containerNeeds!(under("interleave:all")).capAdd, ["SYS_NICE"]);
            assert.deepEqual(w.containerNeeds!(w.defaults), {});
            assert.match(w.clientCommand(under("cpunodebind:0+membind:0"), { dataDir: "/data" }), /\nnumactl --cpunodebind=0 --membind=0 mpirun /);
            assert.doesNotMatch(w.clientCommand(w.defaults, { dataDir: "/data" }), /numactl/);
            assert.match(w.notes!(under("localalloc")), /run under numactl --localalloc$/);
        };
        check(stream);
        check(randomAccess);
        check(linpack);
    });

    it("unions the needs of the workloads running in an environment into its container, variant and facts", () => {
        const s = spec({
            environments: ["native", "docker-nat", { name: "dk", kind: "docker", network: "host", capAdd: ["IPC_LOCK"] }],
            workloads: [{ name: "stream", params: { numactl: "interleave:all" }, environments: ["native", "docker-nat"] }, "sysbench-cpu"],
        });
        const nat = s.environmentSpecs[1];
        const dk = s.environmentSpecs[2];
        assert.ok(nat.kind === "docker" && dk.kind === "docker");
        const needs = workloadNeeds(s, "docker-nat");
        assert.deepEqual(needs, [{ by: "stream", needs: { capAdd: ["SYS_NICE"], why: "numactl interleave:all" } }]);
        assert.deepEqual(workloadNeeds(s, "dk"), [], "stream does not run in dk");
        const e = dockerEnvironment(s, nat, host, [], needs);
        assert.deepEqual(e.container.capAdd, ["SYS_NICE"]);
        assert.match(dockerRunArgs(e.container).join(" "), /--cap-add SYS_NICE/);
        assert.equal(e.handle.variant, "net=nat;proxy=userland;storage=volume;runtime=runc;cap=SYS_NICE");
        assert.equal(e.handle.declared.caps_added, "SYS_NICE");
        assert.equal(e.handle.recorded?.container_needs, "stream: cap SYS_NICE (numactl interleave:all)");
        const plain = dockerEnvironment(s, dk, host, [], workloadNeeds(s, "dk"));
        assert.equal(plain.handle.declared.caps_added, "IPC_LOCK");
        assert.equal(plain.handle.recorded?.container_needs, "none");
    });

    it("withNeeds keeps declared capabilities and seccomp, and records who asked", () => {
        const d = withNeeds(dockerVariantOf({ capAdd: ["SYS_NICE"] }), [
            { by: "a", needs: { capAdd: ["SYS_NICE", "IPC_LOCK"] } },
            { by: "b", needs: { seccomp: "unconfined", why: "x" } },
        ]);
        assert.deepEqual(d.capAdd, ["IPC_LOCK", "SYS_NICE"]);
        assert.equal(d.seccomp, "unconfined");
        assert.equal(
            needsRecord([
                { by: "a", needs: { capAdd: ["SYS_NICE"] } },
                { by: "b", needs: { seccomp: "unconfined", why: "x" } },
                { by: "c", needs: {} },
            ]),
            "a: cap SYS_NICE; b: seccomp unconfined (x)",
        );
    });

    it("an environment's own numactl policy: native runs under it, Docker adds SYS_NICE and runs under it", () => {
        const s = spec({
            environments: [
                { name: "nat-bind", kind: "native", numactl: { cpunodebind: "0", membind: "0" } },
                { name: "dk-bind", kind: "docker", network: "host", numactl: { membind: "0" } },
                { name: "dik-bind", kind: "docker-in-kvm", docker: { network: "host", numactl: { interleave: "all" } } },
            ],
            workloads: ["sysbench-cpu"],
            allowSoftwareEmulation: true,
        });
        const [n, d, dik] = s.environmentSpecs;
        assert.ok(n.kind === "native" && d.kind === "docker" && dik.kind === "docker-in-kvm");
        const nh = nativeEnvironment(s, n, host);
        assert.equal(nh.variant, "numactl=cpunodebind:0+membind:0");
        assert.deepEqual(execArgv(nh.target, "true"), ["numactl", "--cpunodebind=0", "--membind=0", "/bin/sh", "-c", "true"]);
        assert.deepEqual(nh.declared, { nproc: "2", numa_policy: "bind", numa_nodebind: "0", numa_membind: "0" });
        const dh = dockerEnvironment(s, d, host, []).handle;
        assert.equal(dh.variant, "net=host;storage=volume;runtime=runc;cap=SYS_NICE;numactl=membind:0");
        assert.deepEqual(execArgv(dh.target, "true"), ["docker", "exec", "isobench-t-dk-bind", "numactl", "--membind=0", "/bin/sh", "-c", "true"]);
        assert.equal(dh.declared.numa_policy, "bind");
        assert.equal(dh.recorded?.container_needs, "environment: cap SYS_NICE (numactl membind:0)");
        const kh = dockerInKvmEnvironment(s, dik, host, []).handle;
        assert.match(kh.variant, /;docker\.cap=SYS_NICE;docker\.numactl=interleave:all$/);
        assert.equal(kh.declared.numa_interleave, "0");
        assert.match(
            execArgv(kh.target, "true", "10.0.0.2").at(-1)!,
            /^'docker' 'exec' 'isobench-t-dik-bind' 'numactl' '--interleave=all' '\/bin\/sh' '-c' 'true'$/,
        );
        assert.equal(
            nativeEnvironment(s, { name: "plain", kind: "native" }, host).variant,
            "",
            "a native environment without a policy keeps its empty variant",
        );
    });

    it("refuses bad policies and unknown capabilities before provisioning, naming the key", () => {
        const refuses = (over: Record<string, unknown>, re: RegExp) =>
            assert.throws(
                () => spec(over),
                (e: Error) => e instanceof SpecError && re.test(e.message),
            );
        refuses(
            { environments: [{ name: "n", kind: "native", numactl: { membind: "0", localalloc: true } }], workloads: ["sysbench-cpu"] },
            /isobench:environments\.0 \(n\): numactl sets membind and localalloc; numactl applies one memory policy/,
        );
        refuses(
            { environments: [{ name: "n", kind: "native", numactl: { membind: "x" } }], workloads: ["sysbench-cpu"] },
            /isobench:environments\.0\.numactl\.membind: "x" does not match/,
        );
        refuses(
            { environments: [{ name: "d", kind: "docker", capAdd: ["CAP_SYS_NICE"] }], workloads: ["sysbench-cpu"] },
            /capAdd CAP_SYS_NICE is not a Linux capability \(write it without CAP_/,
        );
        refuses(
            { environments: [{ name: "k", kind: "docker-in-kvm", docker: { network: "host", numactl: { membind: "1" } } }], workloads: ["sysbench-cpu"] },
            /\(k\): docker\.numactl membind:1 names NUMA node 1, but there is only node 0 in the guest; set guest\.numa/,
        );
        refuses(
            { environments: ["native"], workloads: [{ name: "stream", params: { numactl: "interleave" } }] },
            /isobench:workloads\.0\.params\.numactl: must be a numactl policy key such as "interleave:all"/,
        );
        // The schema checks each field's syntax; parseNumaPolicyKey (through containerNeeds) the policy as a whole.
        refuses(
            { environments: ["native"], workloads: [{ name: "stream", params: { numactl: "membind:0+interleave:all" } }] },
            /isobench:workloads\.0\.params \(stream\): stream: parameter numactl: numactl policy "membind:0\+interleave:all" sets membind and interleave/,
        );
    });

    it("numaProblems checks environments and workload parameters against the host's (or guest's) nodes", () => {
        const s = spec({
            environments: [{ name: "n", kind: "native", numactl: { membind: "1" } }, "docker-nat", { name: "k", kind: "kvm", numa: 2, vcpus: 2 }],
            workloads: [{ name: "stream", params: { numactl: "preferred:1" } }],
            allowSoftwareEmulation: true,
        });
        assert.deepEqual(numaProblems(s, [0]), [
            "environment n: numactl membind:1 names NUMA node 1, but there is only node 0 on this host. Fix: name existing nodes (numactl -H lists them)",
            "workload stream in environment n: numactl preferred:1 names NUMA node 1, but there is only node 0 on this host. Fix: change its numactl parameter, or its environments list",
            "workload stream in environment docker-nat: numactl preferred:1 names NUMA node 1, but there is only node 0 on this host. Fix: change its numactl parameter, or its environments list",
        ]);
        assert.deepEqual(numaProblems(s, [0, 1]), []);
    });
});

describe("numactl policies in clones (instances sweeps)", () => {
    it("every clone of a native or Docker environment runs under the original's policy", async () => {
        const { cloneScripts } = await import("../../environments/clone");
        const { parseDockerInspect } = await import("../../environments/clone");
        const numactl = ["numactl", "--membind=0"];
        assert.equal(cloneScripts({ kind: "native", numactl }, 1, 30).exec("true", "ip"), "'numactl' '--membind=0' /bin/sh -c 'true'");
        assert.equal(cloneScripts({ kind: "native" }, 1, 30).exec("true", "ip"), "/bin/sh -c 'true'");
        const { readCloneSource } = await import("../../environments/clone");
        const h = nativeEnvironment({ stack: "s" }, { name: "nb", kind: "native", numactl: { membind: "0" } }, host);
        assert.deepEqual(readCloneSource(thisMachine(), h, "/lc"), { kind: "native", numactl });
        const inspect = parseDockerInspect(
            fs.readFileSync(path.join(__dirname, "..", "fixtures", "clone", "docker-20.10.24-inspect-nat-volume.json"), "utf8"),
            "x",
        );
        assert.equal(
            cloneScripts({ kind: "docker", inspect, network: "nat", numactl }, 1, 30).exec("true", "ip"),
            "docker exec 'isobench-it4c-docker-nat-c1' 'numactl' '--membind=0' /bin/sh -c 'true'",
        );
    });
});
