/**
 * Delete scripts of containers, clones and containers inside guests, run for real with /bin/sh:
 * against the real docker CLI pointed at a socket where no dockerd listens, and against stub
 * `docker`, `ssh` and guest-lifecycle programs that keep their state in files, so that each case
 * (removed, already gone, daemon down, still there, guest not running) is a fact of the run, not of
 * the script's text. A delete that reports success while the daemon is away drops the resource
 * from the stack's state and leaks the container (issue 17, "Destroy is honest").
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { cliDeleteScript, containerSpec } from "../../environments/container-spec";
import { dockerCloneRemoveScript } from "../../environments/clone";
import { guestContainerDeleteScript } from "../../environments/docker-in-kvm";

const SPEC = containerSpec({ stack: "hd", environment: "docker-nat", image: "img", network: "nat", serverPorts: [] });
const VOLUME = SPEC.volume!.name;
const CLONE = { name: `${SPEC.name}-c1`, original: SPEC.name, volumes: [`${VOLUME}-c1`], runArgs: [] };
// Stub docker, ssh and guest-lifecycle.sh; each says in its header what its state files mean.
const STUBS = path.join(__dirname, "..", "fixtures", "honest-delete");
const GUEST = { domain: "isobench-hd-guest", sshKey: "/nonexistent/key", knownHosts: "/nonexistent/known_hosts" };

describe("delete scripts are honest: fail while the daemon is away, succeed when already gone", () => {
    let dir = "";
    let state = "";
    const run = (script: string, env: NodeJS.ProcessEnv = {}) => {
        const r = spawnSync("/bin/sh", ["-c", script], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, STUB_STATE: state, ...env },
            timeout: 60_000,
        });
        return { status: r.status, stderr: r.stderr };
    };
    const make = (where: string, kind: "containers" | "volumes", name: string, labels: string[] = []) => {
        fs.mkdirSync(path.join(where, kind), { recursive: true });
        fs.writeFileSync(path.join(where, kind, name), labels.map((l) => `${l}\n`).join(""));
    };
    const names = (where: string, kind: "containers" | "volumes") =>
        fs.existsSync(path.join(where, kind)) ? fs.readdirSync(path.join(where, kind)).sort() : [];
    const calls = () => (fs.existsSync(path.join(state, "calls")) ? fs.readFileSync(path.join(state, "calls"), "utf8") : "");

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-honest-delete-"));
        state = path.join(dir, "state");
        fs.mkdirSync(path.join(state, "guest"), { recursive: true });
        fs.mkdirSync(path.join(dir, "bin"));
        for (const name of ["docker", "ssh", "guest-lifecycle.sh"]) {
            fs.copyFileSync(path.join(STUBS, name), path.join(dir, "bin", name));
            fs.chmodSync(path.join(dir, "bin", name), 0o755);
        }
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("with the real docker CLI and no dockerd at DOCKER_HOST", () => {
        const noDaemon = () => ({ PATH: process.env.PATH, DOCKER_HOST: `unix://${path.join(dir, "no-dockerd.sock")}` });

        it("the container's delete fails, names the socket and the fix, and removes nothing", () => {
            const r = run(cliDeleteScript(SPEC), noDaemon());
            assert.equal(r.status, 1, r.stderr);
            assert.match(
                r.stderr,
                /dockerd does not answer at unix:\/\/.*no-dockerd\.sock; nothing was removed\. Fix: start dockerd \(bash scripts\/daemons\.sh\).*isobench destroy/,
            );
        });

        it("a clone's removal fails the same way", () => {
            const r = run(dockerCloneRemoveScript(CLONE), noDaemon());
            assert.equal(r.status, 1, r.stderr);
            assert.match(r.stderr, /dockerd does not answer/);
        });
    });

    describe("docker (stub dockerd state)", () => {
        it("removes the container, its volume and leftover clones with their volumes, and proves they are gone", () => {
            make(state, "containers", SPEC.name);
            make(state, "containers", CLONE.name, [`isobench.clone-of=${SPEC.name}`]);
            make(state, "containers", "someone-elses");
            make(state, "volumes", VOLUME);
            make(state, "volumes", CLONE.volumes[0], [`isobench.clone-of=${SPEC.name}`]);
            const r = run(cliDeleteScript(SPEC));
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(names(state, "containers"), ["someone-elses"]);
            assert.deepEqual(names(state, "volumes"), []);
        });

        it("succeeds when everything is already gone", () => {
            const r = run(cliDeleteScript(SPEC));
            assert.equal(r.status, 0, r.stderr);
            assert.match(calls(), /docker ps -aq --filter name=\^isobench-hd-docker-nat\$/, "it looked");
        });

        it("fails when the container is still there after docker rm -f", () => {
            make(state, "containers", SPEC.name);
            fs.writeFileSync(path.join(state, "stuck"), "");
            const r = run(cliDeleteScript(SPEC));
            assert.equal(r.status, 1);
            assert.match(r.stderr, /a container \(name=\^isobench-hd-docker-nat\$\) is still there after docker rm -f/);
        });

        it("a name's dots match only dots: a clone's check does not see a look-alike container", () => {
            const dotted = { ...CLONE, name: "isobench-a.b-c1", volumes: [] };
            make(state, "containers", "isobench-aXb-c1");
            const r = run(dockerCloneRemoveScript(dotted));
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual(names(state, "containers"), ["isobench-aXb-c1"]);
        });
    });

    describe("docker in a guest (stub libvirt, ssh and the guest's dockerd)", () => {
        const lifecycle = () => path.join(dir, "bin", "guest-lifecycle.sh");
        const domain = (s: string) => fs.writeFileSync(path.join(state, "domain"), `${s}\n`);
        const guest = () => path.join(state, "guest");

        it("removes the container inside a running guest", () => {
            domain("running");
            make(guest(), "containers", SPEC.name);
            make(guest(), "volumes", VOLUME);
            const r = run(guestContainerDeleteScript(SPEC, GUEST, lifecycle()));
            assert.equal(r.status, 0, r.stderr);
            assert.deepEqual([names(guest(), "containers"), names(guest(), "volumes")], [[], []]);
            assert.match(calls(), /ssh .*root@192\.0\.2\.7/);
        });

        it("succeeds without logging in when the guest is gone (the container went with its disk)", () => {
            domain("absent");
            const r = run(guestContainerDeleteScript(SPEC, GUEST, lifecycle()));
            assert.equal(r.status, 0, r.stderr);
            assert.doesNotMatch(calls(), /^ssh/m);
        });

        for (const s of ["shut off", "paused"]) {
            it(`fails with the fix while the guest is ${s} (its disk still holds the container)`, () => {
                domain(s);
                const r = run(guestContainerDeleteScript(SPEC, GUEST, lifecycle()));
                assert.equal(r.status, 1);
                assert.match(
                    r.stderr,
                    new RegExp(
                        `guest isobench-hd-guest is ${s}, so container isobench-hd-docker-nat on its disk cannot be removed\\. Fix: start it \\(virsh start`,
                    ),
                );
            });
        }

        it("fails while libvirt does not answer", () => {
            fs.writeFileSync(path.join(state, "libvirt-down"), "");
            const r = run(guestContainerDeleteScript(SPEC, GUEST, lifecycle()));
            assert.equal(r.status, 1);
            assert.match(r.stderr, /libvirt at qemu:\/\/\/system is not reachable/);
        });

        it("fails while the guest does not answer SSH", () => {
            domain("running");
            fs.writeFileSync(path.join(state, "guest-unreachable"), "");
            const r = run(guestContainerDeleteScript(SPEC, GUEST, lifecycle()));
            assert.notEqual(r.status, 0);
            assert.match(r.stderr, /No route to host/);
        });

        it("fails while the guest's dockerd does not answer, naming the guest", () => {
            domain("running");
            make(guest(), "containers", SPEC.name);
            fs.writeFileSync(path.join(guest(), "down"), "");
            const r = run(guestContainerDeleteScript(SPEC, GUEST, lifecycle()));
            assert.equal(r.status, 1);
            assert.match(r.stderr, /Fix: start dockerd in guest isobench-hd-guest and run isobench destroy again/);
        });
    });
});
