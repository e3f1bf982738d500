/**
 * doctor on a target, replayed from recorded outputs (test/fixtures/doctor-target), and which
 * published claims a machine can judge (experiment/doctor-claims.ts).
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadReferences } from "../../analysis/published";
import { SshTarget } from "../../core/transport";
import { Completed } from "../../environments/process";
import { Transport } from "../../environments/transport";
import { claimRows, formatClaimRows, MachineCapabilities } from "../../experiment/doctor-claims";
import { doctor, formatChecks } from "../../experiment/doctor";
import { fixtureReader } from "../helpers/fixtures";

interface Recording {
    calls: Record<string, unknown>;
    files: Record<string, string>;
}

const TARGET: SshTarget = {
    kind: "ssh",
    user: "root",
    host: "lab",
    port: 22,
    keyFile: "/keys/lab",
    knownHosts: "/state/targets/lab/known_hosts",
    controlPath: "/state/targets/lab/cm",
    dockerSocket: "/state/targets/lab/docker.sock",
};

/** A target that answers every call from a recording, and fails a call the recording does not hold. */
function replay(rec: Recording): Transport {
    const answer = (key: string): Completed => {
        if (!(key in rec.calls)) throw new Error(`doctor made a call the recording does not hold: ${key}`);
        return rec.calls[key] as Completed;
    };
    const unused = () => {
        throw new Error("doctor does not use this");
    };
    return {
        target: TARGET,
        label: "ssh://root@lab:22",
        attempt: (argv) => answer(JSON.stringify(argv)),
        run: (argv) => answer(JSON.stringify(argv)),
        mustRun: unused,
        stream: unused,
        virsh: (_t, args) => answer(JSON.stringify(["virsh", ...args])),
        copyTo: unused,
        copyFrom: unused,
        dockerEnv: unused,
        readFiles: (paths) => new Map(paths.filter((p) => p in rec.files).map((p) => [p, rec.files[p]])),
        identity: () => rec.calls.identity as { host: string; kernel: string; cpu_model: string },
        close: () => undefined,
    };
}

describe("isobench doctor --target, on recorded outputs", () => {
    let state = "";
    let saved: string | undefined;
    let recording: Recording;
    beforeEach(() => {
        // The controller's state: the container image record up uses, which must be in the target's daemon.
        state = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-doctor-"));
        fs.mkdirSync(path.join(state, "images"));
        fs.writeFileSync(path.join(state, "images", "container-image"), "isobench-bench:e7dc30c8925b\n");
        saved = process.env.ISOBENCH_STATE_DIR;
        process.env.ISOBENCH_STATE_DIR = state;
        const text = fixtureReader("doctor-target")("debian12.json").replaceAll("$STATE", state);
        recording = JSON.parse(text) as Recording;
    });
    afterEach(() => {
        if (saved === undefined) delete process.env.ISOBENCH_STATE_DIR;
        else process.env.ISOBENCH_STATE_DIR = saved;
        fs.rmSync(state, { recursive: true, force: true });
    });

    it("checks the target's daemons, devices, tools, images and free space, not the controller's Pulumi", () => {
        const { checks, capabilities } = doctor("/srv/isobench", replay(recording));
        const row = (name: string) => checks.find((c) => c.name === name) ?? assert.fail(`no row ${name} in\n${formatChecks(checks)}`);
        assert.match(row("docker").detail, /^dockerd 20\.10\.24\+dfsg1 storage=overlay2$/);
        assert.equal(row("docker bridge gateway").ok, true);
        assert.match(row("libvirt").detail, /Running hypervisor: QEMU 7\.2\.22/);
        assert.equal(row("KVM device").ok, true);
        assert.match(
            row("KVM device").detail,
            /\/dev\/kvm present, read-write; CPU virtualisation flags absent; whether it boots a stock guest is probed on this machine only/,
        );
        assert.equal(row("vhost-net").ok, false);
        assert.match(row("vhost-net").fix, /modprobe vhost_net/);
        assert.equal(row("sysbench").detail, "sysbench 1.0.20");
        assert.equal(row("container image").detail, "isobench-bench:e7dc30c8925b", "the controller's record, found in the target's daemon");
        assert.equal(row("guest image").detail, "/work/main/.cache/images/guest-a31c53784748", "the target's own record");
        assert.match(
            row("free space").detail,
            /^Docker's data root \/var\/lib\/docker: 61\.2 GB free; guest disks \/var\/lib\/libvirt\/images\/isobench: 61\.2 GB free; native data \/var\/tmp: 61\.2 GB free$/,
        );
        assert.equal(row("free space").ok, true);
        assert.ok(!checks.some((c) => /pulumi|KVM boots guests/.test(c.name)), "the Pulumi toolchain and the boot probe are this machine's");
        assert.deepEqual(capabilities, { docker: true, kvm: "remote", vhost: false });
    });

    it("names what is missing on the target with its fix: no dockerd, little space, an image setup-target did not build there", () => {
        const broken = structuredClone(recording);
        const key = (...argv: string[]) => JSON.stringify(argv);
        broken.calls[key("docker", "info", "--format", "{{.ServerVersion}} storage={{.Driver}}")] = {
            stdout: "",
            stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
            status: 1,
        };
        broken.calls[key("docker", "image", "inspect", "--format", "{{.Id}}", "isobench-bench:e7dc30c8925b")] = {
            stdout: "",
            stderr: "Error: No such image: isobench-bench:e7dc30c8925b",
            status: 1,
        };
        const space = Object.keys(broken.calls).find((k) => k.includes("df -Pk"))!;
        broken.calls[space] = { stdout: "/var/lib/docker 1048576\n/var/lib/libvirt/images/isobench 59802736\n/var/tmp 1048576\n", stderr: "", status: 0 };
        const { checks, capabilities } = doctor("/srv/isobench", replay(broken));
        const row = (name: string) => checks.find((c) => c.name === name)!;
        assert.equal(row("docker").ok, false);
        assert.match(row("docker").fix, /scripts\/daemons\.sh/);
        assert.ok(!checks.some((c) => c.name === "docker bridge gateway"), "no gateway is read from a daemon that does not answer");
        assert.equal(row("container image").detail, "isobench-bench:e7dc30c8925b is not in the Docker daemon of ssh://root@lab:22");
        assert.equal(row("container image").fix, "run isobench setup-target <stack>");
        assert.equal(row("free space").ok, false);
        assert.match(row("free space").detail, /Docker's data root \/var\/lib\/docker: 1\.1 GB free/);
        assert.equal(capabilities.docker, false);
        assert.match(formatChecks(checks), /^MISS {2}docker {2}/m);
    });
});

describe("which published claims a machine can judge", () => {
    const refs = loadReferences();
    const verdict = (caps: MachineCapabilities, claim: string) => claimRows(refs, caps).find((r) => r.claim === claim)!;
    const everything: MachineCapabilities = { docker: true, kvm: "kvm", vhost: true };

    it("a server with Docker, KVM that boots guests and vhost-net judges every claim but those about a physical link", () => {
        const rows = claimRows(refs, everything);
        assert.equal(
            rows.length,
            refs.reduce((n, r) => n + r.claims.length, 0),
        );
        assert.deepEqual(
            rows.filter((r) => r.verdict !== "yes").map((r) => [r.claim, r.verdict]),
            [
                ["nuttcp-line-rate", "not applicable"],
                ["flux7-network-saturate", "not applicable"],
            ],
        );
    });

    it("a remote target judges Docker's claims, a claim over Docker and KVM only partly, and no KVM claim yet", () => {
        const remote: MachineCapabilities = { docker: true, kvm: "remote", vhost: true };
        assert.equal(verdict(remote, "redis-docker-nat-throughput").verdict, "yes");
        assert.deepEqual(verdict(remote, "fio-kvm-half-iops"), {
            study: "felter2014",
            claim: "fio-kvm-half-iops",
            verdict: "no",
            why: "kvm: isobench does not run guests on a remote target yet",
        });
        assert.deepEqual(verdict(remote, "stream-negligible").verdict, "partly");
        assert.match(verdict(remote, "stream-negligible").why, /^not kvm \(isobench does not run guests on a remote target yet\)$/);
        assert.equal(verdict(remote, "flux7-start-stop").verdict, "no", "Docker against KVM needs both");
    });

    it("tells emulated and unknown KVM apart, needs vhost-net for the tuned guest only, and Docker for Docker's claims", () => {
        assert.match(
            verdict({ ...everything, kvm: "emulated" }, "linpack-kvm-untuned").why,
            /KVM cannot boot guests here, and emulated guests are never judged/,
        );
        assert.match(verdict({ ...everything, kvm: "unknown" }, "linpack-kvm-untuned").why, /unknown until the guest image is built/);
        const noVhost = { ...everything, vhost: false };
        assert.match(verdict(noVhost, "linpack-kvm-tuned").why, /^kvm-tuned: no \/dev\/vhost-net/);
        assert.equal(verdict(noVhost, "linpack-kvm-untuned").verdict, "yes");
        assert.equal(verdict({ ...everything, docker: false }, "mysql-docker-volume-native").why, "docker: dockerd does not answer");
    });

    it("prints one row per claim under a count", () => {
        const lines = formatClaimRows(claimRows(refs, { docker: true, kvm: "remote", vhost: false }), "ssh://root@lab:22");
        assert.match(lines[0], /^claims of the published studies ssh:\/\/root@lab:22 can judge: \d+ of \d+, \d+ partly \(analysis\/reference\/\)$/);
        assert.ok(lines.some((l) => /^ {2}felter2014 redis-docker-nat-throughput +yes$/.test(l)));
    });
});
