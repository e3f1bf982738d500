/**
 * Every container of the matrix stack (stacks/Pulumi.matrix.yaml), created on the real dockerd
 * with the scripts the cli driver runs, inspected (issue 15 §5): none is privileged or shares the
 * host's PID or IPC namespace or a device; each has exactly the capabilities its own declaration
 * and its workloads' declared needs add, and no more; every published port is bound to 127.0.0.1,
 * or, for the iptables-DNAT variant (userlandProxy: false, which Docker cannot carry on loopback),
 * to Docker's bridge gateway, an address only this host and its containers reach. One workload that
 * declares a capability (stream under a numactl policy needs SYS_NICE) is added to one environment,
 * so "only where declared" is tested on both sides. The gVisor row needs runsc registered
 * (ISOBENCH_RUNSC=1 scripts/daemons.sh); without it, it is left out and the title says so.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackSpec } from "../../experiment/stack-file";
import { gatherHost } from "../../experiment/host";
import { dockerEnvironment, DockerEnv, workloadNeeds } from "../../experiment/environment-handles";
import { cliCreateScript, cliDeleteScript, ContainerSpec } from "../../environments/container-spec";
import { attempt, mustRun } from "../../environments/process";
import { getWorkload } from "../../workloads";
import { workloadPorts } from "../../workloads/workload";
import { REPO_ROOT } from "../../core/paths";
import { leftoverResources } from "../helpers/leftovers";

const STACK = `itsec${process.pid}`;
const RUNSC = /"runsc"/.test(attempt(["docker", "info", "--format", "{{json .Runtimes}}"], 30).stdout);
/** The one environment that also runs a workload declaring a capability. */
const WITH_NEEDS = "docker-nat-limited";

interface Inspect {
    readonly Name: string;
    readonly HostConfig: {
        readonly Privileged: boolean;
        readonly CapAdd: string[] | null;
        readonly PidMode: string;
        readonly IpcMode: string;
        readonly Devices: unknown[] | null;
        readonly SecurityOpt: string[] | null;
        readonly NetworkMode: string;
        readonly PortBindings: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null;
    };
    readonly NetworkSettings: { readonly Ports: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

describe(`every container of the matrix stack: unprivileged, declared capabilities only, ports on loopback (dockerd${RUNSC ? "" : "; gVisor row left out: runsc not registered"})`, function () {
    this.timeout(10 * 60 * 1000);
    let stacksDir = "";
    const made: ContainerSpec[] = [];
    const expectedCaps = new Map<string, string[]>();
    let gateway = "";
    const inspected = new Map<string, Inspect>();
    const envs = new Map<string, DockerEnv>();

    before(function () {
        stacksDir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-itsec-"));
        const matrix = fs.readFileSync(path.join(REPO_ROOT, "stacks", "Pulumi.matrix.yaml"), "utf8");
        const stream = `    - name: stream\n      params: { arraySize: 30000, processes: 1, nb: 32, numactl: "interleave:all" }\n      environments: [${WITH_NEEDS}]\n`;
        fs.writeFileSync(
            path.join(stacksDir, `Pulumi.${STACK}.yaml`),
            matrix.replace("  isobench:allowSoftwareEmulation:", `${stream}  isobench:allowSoftwareEmulation:`),
        );
        const full = loadStackSpec(stacksDir, STACK);
        const keep = (e: { readonly kind: string; readonly name: string }) => e.kind === "docker" && (RUNSC || e.name !== "docker-gvisor");
        const spec = {
            ...full,
            environmentSpecs: full.environmentSpecs.filter(keep),
            environments: full.environments.filter((n) => keep(full.environmentSpecs.find((e) => e.name === n)!)),
        };
        const host = gatherHost(spec);
        gateway = host.dockerBridgeGateway ?? "";
        const serverPorts = spec.workloads.flatMap((w) => workloadPorts(getWorkload(w.name)));
        for (const e of spec.environmentSpecs) if (e.kind === "docker") envs.set(e.name, e);
        assert.ok(envs.size >= 5, "the matrix stack's Docker rows");
        for (const env of envs.values()) {
            const needs = workloadNeeds(spec, env.name);
            // Expected from the declarations themselves, not from the container spec built from them.
            expectedCaps.set(env.name, [...new Set([...env.docker.capAdd, ...needs.flatMap((n) => n.needs.capAdd ?? [])])].sort());
            const { container } = dockerEnvironment(spec, env, host, serverPorts, needs);
            made.push(container);
            mustRun(["/bin/sh", "-c", cliCreateScript(container)], 180, `creating ${container.name}`);
            inspected.set(env.name, (JSON.parse(mustRun(["docker", "inspect", container.name], 30, "docker inspect")) as Inspect[])[0]);
        }
    });

    after(function () {
        for (const c of made) attempt(["/bin/sh", "-c", cliDeleteScript(c)], 120);
        if (stacksDir) fs.rmSync(stacksDir, { recursive: true, force: true });
        assert.deepEqual(leftoverResources(`isobench-${STACK}-`), []);
    });

    it("the added workload declares a capability, so one container must have it and the others none", () => {
        assert.deepEqual(expectedCaps.get(WITH_NEEDS), ["SYS_NICE"]);
        assert.ok([...expectedCaps].filter(([n]) => n !== WITH_NEEDS).every(([, caps]) => caps.length === 0));
    });

    it("no container is privileged, shares the host's PID or IPC namespace, or has a device", () => {
        for (const [name, i] of inspected) {
            assert.equal(i.HostConfig.Privileged, false, name);
            assert.notEqual(i.HostConfig.PidMode, "host", name);
            assert.notEqual(i.HostConfig.IpcMode, "host", name);
            assert.deepEqual(i.HostConfig.Devices ?? [], [], name);
        }
    });

    it("each container has exactly the capabilities declared for it; seccomp stays on unless declared off", () => {
        for (const [name, i] of inspected) {
            assert.deepEqual([...(i.HostConfig.CapAdd ?? [])].map((c) => c.replace(/^CAP_/, "")).sort(), expectedCaps.get(name), name);
            assert.ok(!(i.HostConfig.SecurityOpt ?? []).some((o) => /unconfined/.test(o)), `${name}: ${i.HostConfig.SecurityOpt}`);
        }
    });

    it("every published port is bound to 127.0.0.1 (the DNAT variant: to the bridge gateway), as declared and as bound", () => {
        assert.match(gateway, /^\d+\.\d+\.\d+\.\d+$/, "Docker's bridge gateway");
        let ports = 0;
        for (const [name, i] of inspected) {
            const { docker } = envs.get(name)!;
            const allowed = docker.network === "nat" && !docker.userlandProxy ? gateway : "127.0.0.1";
            for (const bindings of [i.HostConfig.PortBindings, i.NetworkSettings.Ports]) {
                for (const [port, list] of Object.entries(bindings ?? {})) {
                    for (const b of list ?? []) {
                        ports++;
                        assert.equal(b.HostIp, allowed, `${name} ${port} bound to '${b.HostIp}'`);
                    }
                }
            }
            if (i.HostConfig.NetworkMode === "host")
                assert.deepEqual(Object.keys(i.HostConfig.PortBindings ?? {}), [], `${name}: host networking publishes nothing`);
        }
        assert.ok(ports > 0, "the matrix stack's redis rows publish ports");
    });
});
