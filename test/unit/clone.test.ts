import { strict as assert } from "assert";
import * as path from "path";
import { fixtureReader } from "../helpers/fixtures";
import {
    cloneName,
    cloneScripts,
    dockerClone,
    dockerCloneCreateScript,
    dockerCloneRemoveScript,
    domainFacts,
    isCloneOf,
    kvmCloneXml,
    parseDockerInspect,
} from "../../environments/clone";

const fixture = fixtureReader("clone");
const NAT = "docker-20.10.24-inspect-nat-volume.json";
const HOST_LIMITS = "docker-20.10.24-inspect-host-limits.json";
const TUNED = "libvirt-9.0.0-dumpxml-inactive-kvm-tuned-tcg.xml";
const UNTUNED = "libvirt-9.0.0-dumpxml-inactive-kvm-untuned-tcg.xml";
const LIVE = "libvirt-9.0.0-dumpxml-live-kvm-tuned-tcg.xml";

describe("environments/clone", () => {
    describe("names", () => {
        it("names clones <original>-c<k> and recognizes only those", () => {
            assert.equal(cloneName("isobench-q-docker-nat", 3), "isobench-q-docker-nat-c3");
            assert.ok(isCloneOf("isobench-q-docker-nat", "isobench-q-docker-nat-c12"));
            assert.ok(!isCloneOf("isobench-q-docker-nat", "isobench-q-docker-nat"));
            assert.ok(!isCloneOf("isobench-q-docker-nat", "isobench-q-docker-nat-c0"));
            assert.ok(!isCloneOf("isobench-q-docker-nat", "isobench-q-docker-nat-cx"));
            assert.ok(!isCloneOf("isobench-q-docker", "isobench-q-docker-nat-c1"));
            assert.throws(() => cloneName("x", 0), /integer >= 1/);
        });
    });

    describe("docker", () => {
        it("clones a NAT container with a published port and a named volume (captured inspect)", () => {
            const d = parseDockerInspect(fixture(NAT), "isobench-it4c-docker-nat");
            const c = dockerClone(d, 2);
            assert.equal(c.name, "isobench-it4c-docker-nat-c2");
            assert.deepEqual(c.volumes, ["isobench-it4c-docker-nat-data-c2"]);
            assert.deepEqual(c.runArgs, [
                "docker",
                "run",
                "-d",
                "--name",
                "isobench-it4c-docker-nat-c2",
                "--network",
                "bridge",
                "-p",
                "127.0.0.1::6379/tcp",
                "--mount",
                "type=volume,source=isobench-it4c-docker-nat-data-c2,target=/data",
                "--label",
                "isobench.environment=docker-nat",
                "--label",
                "isobench.managed=true",
                "--label",
                "isobench.stack=it4c",
                "--label",
                "isobench.clone-of=isobench-it4c-docker-nat",
                "--label",
                "isobench.clone=2",
                "sha256:" + /"Image": "sha256:([0-9a-f]{64})"/.exec(fixture(NAT))![1],
                "sleep",
                "infinity",
            ]);
        });

        it("keeps host networking and cgroup limits (captured inspect of --network host --cpuset-cpus 1 --memory 512m --cpus 1)", () => {
            const c = dockerClone(parseDockerInspect(fixture(HOST_LIMITS), "it4c-limits"), 1);
            const a = c.runArgs.join(" ");
            assert.match(a, / --network host /);
            assert.doesNotMatch(a, / -p /);
            assert.match(a, / --cpuset-cpus 1 /);
            assert.match(a, / --cpus 1 /);
            assert.match(a, / --memory 536870912b /);
            assert.match(a, / --memory-swap 1073741824b /);
            assert.deepEqual(c.volumes, []);
        });

        it("refuses what cannot be cloned and output that is not inspect JSON", () => {
            const d = parseDockerInspect(fixture(NAT), "x");
            assert.throws(() => dockerClone({ ...d, HostConfig: { ...d.HostConfig, NetworkMode: "container:abc" } }, 1), /shares the network of abc/);
            assert.throws(() => parseDockerInspect("Error: No such container: x", "x"), /docker inspect x: output is not JSON/);
            assert.throws(() => parseDockerInspect("[]", "x"), /not the inspect output of one container/);
        });

        it("create waits (bounded) for docker exec; remove is idempotent and checks the container is gone", () => {
            const c = dockerClone(parseDockerInspect(fixture(NAT), "x"), 1);
            const create = dockerCloneCreateScript(c, 30);
            assert.match(create, /^docker volume create --label 'isobench.clone-of=isobench-it4c-docker-nat' 'isobench-it4c-docker-nat-data-c1'/);
            assert.match(create, /until docker exec 'isobench-it4c-docker-nat-c1' true/);
            assert.match(create, /\[ \$i -le 600 \]/);
            const remove = dockerCloneRemoveScript(c);
            assert.match(remove, /docker rm -f 'isobench-it4c-docker-nat-c1' >\/dev\/null 2>&1 \|\| true/);
            assert.match(remove, /docker volume rm -f 'isobench-it4c-docker-nat-data-c1'/);
            // What the checks decide, run against stub and unreachable daemons: test/unit/honest-delete.test.ts.
            assert.match(remove, /docker ps -aq --filter 'name=\^isobench-it4c-docker-nat-c1\$'/);
        });
    });

    describe("kvm", () => {
        for (const f of [TUNED, UNTUNED]) {
            it(`rewrites name, UUID, MAC, overlay and serial log of ${f} and keeps everything else`, () => {
                const xml = fixture(f);
                const orig = domainFacts(xml);
                const { xml: out, paths } = kvmCloneXml(xml, 1);
                assert.equal(paths.name, `${orig.name}-c1`);
                assert.equal(paths.diskPath, path.join(path.dirname(orig.diskPath), `${orig.name}-c1.qcow2`));
                assert.equal(paths.serialLogPath, path.join(path.dirname(orig.diskPath), `${orig.name}-c1.serial.log`));
                assert.equal(paths.xmlPath, path.join(path.dirname(orig.diskPath), `${orig.name}-c1.xml`));
                const facts = domainFacts(out);
                assert.deepEqual(facts, { name: paths.name, diskPath: paths.diskPath, serialLogPath: paths.serialLogPath });
                assert.doesNotMatch(out, /<uuid>/);
                assert.doesNotMatch(out, /<mac /);
                assert.ok(!out.includes(orig.diskPath), "original overlay still referenced");
                assert.ok(!out.includes(orig.serialLogPath!), "original serial log still referenced");
                assert.equal(out.split(paths.serialLogPath!).length - 1, 2, "serial and console both point at the clone's log");
                assert.match(out, new RegExp(`<description>clone 1 of ${orig.name}: isobench `));
                // Every other line is untouched: same CPU model, pinning, memory, cache mode, NIC backend, kernel.
                const changed = (s: string) => /<name>|<uuid>|<mac |<source (file|path)=|<description>/.test(s);
                assert.deepEqual(
                    out.split("\n").filter((l) => !changed(l)),
                    xml.split("\n").filter((l) => !changed(l)),
                );
            });
        }

        it("refuses the live XML of a running domain and disks it cannot overlay", () => {
            assert.throws(() => domainFacts(fixture(LIVE)), /live XML .* dumpxml --inactive/);
            const xml = fixture(UNTUNED);
            const twoDisks = xml.replace(/(<disk[\s\S]*?<\/disk>)/, "$1\n$1");
            assert.throws(() => domainFacts(twoDisks), /has 2 disks; a clone needs exactly one file-backed disk/);
            const blockDisk = xml.replace(/<source file='[^']*'\/>/, "<source dev='/dev/sdb'/>");
            assert.throws(() => domainFacts(blockDisk), /not file-backed/);
        });

        it("create defines from a heredoc, waits for SSH and prints the address; remove deletes domain, overlay, XML and log", () => {
            const s = cloneScripts(
                {
                    kind: "kvm",
                    xml: fixture(TUNED),
                    baseImage: "/img/disk.qcow2",
                    growBytes: 0,
                    sshKey: "/k/id",
                    knownHosts: "/var/tmp/it4c/known_hosts",
                    lifecycleScript: "/r/guest-lifecycle.sh",
                },
                2,
                120,
            );
            assert.equal(s.name, "isobench-it4c-kvm-tuned-c2");
            assert.match(s.create, /^cat > '\/var\/tmp\/it4c\/isobench-it4c-kvm-tuned-c2.xml' <<'ISOBENCH_CLONE_XML_EOF'\n<domain type='qemu'>/);
            assert.match(
                s.create,
                /'\/r\/guest-lifecycle.sh' create 'isobench-it4c-kvm-tuned-c2' '\/var\/tmp\/it4c\/isobench-it4c-kvm-tuned-c2.xml' '\/img\/disk.qcow2' '\/var\/tmp\/it4c\/isobench-it4c-kvm-tuned-c2.qcow2' >&2/,
            );
            assert.match(
                s.create,
                /ip=\$\('\/r\/guest-lifecycle.sh' wait-ssh 'isobench-it4c-kvm-tuned-c2' '\/k\/id' 120\)\nprintf '%s\\n' "\$ip" \| tail -n 1$/,
            );
            assert.match(
                s.remove,
                /'\/r\/guest-lifecycle.sh' delete 'isobench-it4c-kvm-tuned-c2' '\/var\/tmp\/it4c\/isobench-it4c-kvm-tuned-c2.qcow2' >&2\nrm -f '\/var\/tmp\/it4c\/isobench-it4c-kvm-tuned-c2.xml' '\/var\/tmp\/it4c\/isobench-it4c-kvm-tuned-c2.serial.log'/,
            );
            assert.doesNotMatch(s.create, /grow-root/, "a clone of a guest as large as its base is not grown");
            assert.match(s.exec("nproc", "ip_2"), /^'ssh' .*'-i' '\/k\/id' "root@\$ip_2" 'nproc'$/);
            // The clone's own key, recorded by its wait-ssh in the original's known_hosts, checked strictly.
            assert.match(
                s.exec("nproc", "ip_2"),
                /'StrictHostKeyChecking=yes' .*'UserKnownHostsFile=\/var\/tmp\/it4c\/known_hosts' .*'HostKeyAlias=isobench-it4c-kvm-tuned-c2'/,
            );
        });

        it("a clone of a guest whose disk was grown gets an overlay as large and its root filesystem grown, before its address is printed", () => {
            const s = cloneScripts(
                {
                    kind: "kvm",
                    xml: fixture(TUNED),
                    baseImage: "/img/disk.qcow2",
                    growBytes: 17 * 2 ** 30,
                    sshKey: "/k/id",
                    knownHosts: "/var/tmp/it4c/known_hosts",
                    lifecycleScript: "/r/guest-lifecycle.sh",
                },
                1,
                120,
            );
            assert.match(s.create, /'\/r\/guest-lifecycle.sh' create 'isobench-it4c-kvm-tuned-c1' \S+ '\/img\/disk.qcow2' \S+ 18253611008 >&2\n/);
            assert.match(
                s.create,
                /ip=\$\('\/r\/guest-lifecycle.sh' wait-ssh 'isobench-it4c-kvm-tuned-c1' '\/k\/id' 120\)\n'\/r\/guest-lifecycle.sh' grow-root 'isobench-it4c-kvm-tuned-c1' '\/k\/id' >&2\nprintf '%s\\n' "\$ip" \| tail -n 1$/,
            );
        });
    });
});
