/**
 * A run's provenance/ (issue 18 part 9): the stack file recorded without its secrets, what a
 * dirty checkout and a copy without .git record, every pass appended and nothing overwritten,
 * the images' hashes, what differs between an original and a re-run's host, and the compare
 * report's header. Writing is tested in temporary folders, removed after each test.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { changedTexts, dirtyFiles, effectiveParams, installedVersions, packageList, provenanceDifferences, redactStackFile } from "../../experiment/provenance";
import { checkoutState, hostPackages, imagesRecord, recordRunProvenance, writeProvenance } from "../../experiment/provenance-record";
import { describeCheckout, readPasses, readRunOrigin, type ProvenanceRecord } from "../../core/provenance";
import { loadStackSpec } from "../../experiment/stack-file";
import { REPO_ROOT } from "../../core/paths";
import { thisMachine } from "../../environments/transport";
import type { HostContext } from "../../experiment/program";
import { renderComparisonMarkdown } from "../../analysis/compare";

const STACKS = path.join(REPO_ROOT, "stacks");
const QUICK = fs.readFileSync(path.join(STACKS, "Pulumi.quick.yaml"), "utf8");

const git = (dir: string, ...args: string[]) =>
    execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", ...args], { encoding: "utf8" });

/** A host of no images, as gatherHost returns it for a native-only stack. */
function nativeHost(repoRoot: string, resultsRoot: string): HostContext {
    return {
        repoRoot,
        resultsRoot,
        stateDir: path.join(resultsRoot, ".state"),
        guestsDir: path.join(resultsRoot, "guests"),
        containerImage: "",
        guestImage: { disk: "", kernel: "", initrd: "" },
        sshKey: "",
        accel: "kvm",
        vhostAvailable: false,
        hostCpuCount: 2,
        dockerDriver: "cli",
        commandBackend: "dynamic",
    };
}

describe("provenance: the stack file as recorded", () => {
    it("drops the passphrase's salt and encrypted key, replaces secure values, keeps comments and config", () => {
        const text = `${QUICK}encryptedkey: c2VjcmV0a2V5\nsecretsprovider: passphrase\n`.replace(
            "  isobench:dockerDriver: auto\n",
            "  isobench:dockerDriver: auto\n  other:token:\n    secure: v1:abcdefgh:ijklmnop\n",
        );
        const { text: out, removed } = redactStackFile(text, "quick");
        assert.deepEqual(removed, ["encryptionsalt", "encryptedkey", "secure config values"]);
        assert.doesNotMatch(out, /^(encryptionsalt|encryptedkey):|v1:|Zo9\/Ls0CKKU/m);
        assert.match(out, /^# stacks\/Pulumi\.quick\.yaml as run, without encryptionsalt and encryptedkey and secure config values/);
        assert.match(out, /# quick — the smallest complete experiment/);
        const back = YAML.parse(out);
        assert.deepEqual(back.config["isobench:environments"], ["native", "docker-nat", "docker-host", "kvm-tuned"]);
        assert.equal(back.config["other:token"].secure, "[secret removed]");
        assert.equal(back.secretsprovider, "passphrase");
    });

    it("records a file that is not YAML as a note, not its text", () => {
        assert.deepEqual(redactStackFile("config: [\nencryptionsalt: v1:x", "s"), {
            text: "# stacks/Pulumi.s.yaml was not valid YAML when recorded\n",
            removed: ["the whole file"],
        });
    });
});

describe("provenance: the checkout", () => {
    let tmp = "";
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-provenance-git-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("reads git status: modified, untracked and renamed files; stack files left out", () => {
        const z = [" M core/paths.ts", "?? notes.txt", "R  new.ts", "old.ts", "?? stacks/Pulumi.quick-rerun.yaml", " M stacks/Pulumi.quick.yaml", ""].join(
            "\0",
        );
        assert.deepEqual(dirtyFiles(z), ["core/paths.ts", "notes.txt", "new.ts"]);
        assert.deepEqual(dirtyFiles(""), []);
    });

    it("a git checkout: its commit, and dirty with the changed files and a diff summary", () => {
        fs.writeFileSync(path.join(tmp, "package.json"), '{"version": "9.8.7"}\n');
        fs.writeFileSync(path.join(tmp, "a.ts"), "one\n");
        git(tmp, "init", "-q");
        git(tmp, "add", ".");
        git(tmp, "commit", "-q", "-m", "c");
        const head = git(tmp, "rev-parse", "HEAD").trim();
        assert.deepEqual(checkoutState(tmp), { commit: head, dirty: false, dirtyFiles: [], version: "9.8.7" });
        fs.mkdirSync(path.join(tmp, "stacks"));
        fs.writeFileSync(path.join(tmp, "stacks", "Pulumi.x.yaml"), "config: {}\n");
        assert.equal(checkoutState(tmp).dirty, false, "a stack file alone is recorded, not dirt");
        fs.writeFileSync(path.join(tmp, "a.ts"), "two\n");
        fs.writeFileSync(path.join(tmp, "b.ts"), "new\n");
        const dirty = checkoutState(tmp);
        assert.equal(dirty.dirty, true);
        assert.deepEqual(dirty.dirtyFiles, ["a.ts", "b.ts"]);
        assert.equal(dirty.diffStat, "1 file changed, 1 insertion(+), 1 deletion(-)");
        assert.equal(describeCheckout(dirty), `${head.slice(0, 12)} (dirty: 2 file(s))`);
    });

    it("a copy without .git records unknown and why, also inside another repository", () => {
        const plain = checkoutState(tmp);
        assert.equal(plain.commit, "unknown");
        assert.equal(plain.dirty, "unknown");
        assert.match(plain.why!, /not a git work tree/);
        assert.match(describeCheckout(plain), /^unknown \(not a git work tree/);
        git(tmp, "init", "-q");
        fs.mkdirSync(path.join(tmp, "isobench-copy"));
        const inner = checkoutState(path.join(tmp, "isobench-copy"));
        assert.equal(inner.commit, "unknown");
        assert.equal(inner.why, "the checkout has no .git of its own");
    });
});

describe("provenance: writing a run's provenance/", () => {
    let tmp = "";
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-provenance-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const pass = { isobench_commit: "c1", dirty: "false", host: "h", stack_file_sha256: "s", spec_sha256: "p" };
    const record = (commit: string) => `${JSON.stringify({ isobench: { commit }, images: { guests: {} } })}\n`;

    it("appends a row per pass; what a pass changes is set aside in superseded/<k>/, never overwritten", () => {
        const dir = path.join(tmp, "run");
        const files = (d: string) => fs.readdirSync(d).sort();
        assert.deepEqual(writeProvenance(dir, { record: record("c1"), stackFile: "a\n", spec: "{}\n" }, pass, new Date("2026-01-01T00:00:00Z")), {
            first: true,
            changed: [],
        });
        assert.deepEqual(files(path.join(dir, "provenance")), ["passes.csv", "provenance.json", "spec.json", "stack.yaml"]);
        // Resumed with nothing changed: one more row, nothing set aside.
        assert.deepEqual(writeProvenance(dir, { record: record("c1"), stackFile: "a\n", spec: "{}\n" }, pass).changed, []);
        assert.ok(!fs.existsSync(path.join(dir, "provenance", "superseded")));
        // Resumed from another commit with another spec: both kept.
        const third = writeProvenance(dir, { record: record("c2"), stackFile: "a\n", spec: '{"x":1}\n' }, { ...pass, isobench_commit: "c2" });
        assert.deepEqual(third.changed, ["isobench", "spec.json"]);
        const old = path.join(dir, "provenance", "superseded", "1");
        assert.deepEqual(files(old), ["provenance.json", "spec.json", "stack.yaml", "why.txt"]);
        assert.equal(fs.readFileSync(path.join(old, "spec.json"), "utf8"), "{}\n");
        assert.match(fs.readFileSync(path.join(old, "why.txt"), "utf8"), /set aside by a later pass that changed isobench, spec\.json/);
        assert.equal(fs.readFileSync(path.join(dir, "provenance", "spec.json"), "utf8"), '{"x":1}\n');
        const rows = readPasses(dir);
        assert.deepEqual(
            rows.map((r) => [r.isobench_commit, r.changed]),
            [
                ["c1", "first pass"],
                ["c1", "nothing"],
                ["c2", "isobench spec.json"],
            ],
        );
        assert.equal(rows[0].at, "2026-01-01T00:00:00.000Z");
        writeProvenance(dir, { record: record("c3") }, pass);
        assert.ok(fs.existsSync(path.join(dir, "provenance", "superseded", "2", "provenance.json")), "the next set-aside is the next number");
    });

    it("names what changed: the record's parts, the stack file, the spec; nothing for a first pass", () => {
        assert.deepEqual(changedTexts({}, { record: "{}", stackFile: "a", spec: "b" }), []);
        assert.deepEqual(changedTexts({ record: '{"images":1,"software":2}', stackFile: "a" }, { record: '{"images":1,"software":3}', stackFile: "b" }), [
            "software",
            "stack.yaml",
        ]);
    });

    it("records a pass of a stack: the commit, the stack file without its salt, the resolved spec, workloads' full parameters", () => {
        const spec = loadStackSpec(STACKS, "quick");
        const stackFile = path.join(tmp, "Pulumi.quick.yaml");
        fs.writeFileSync(stackFile, QUICK);
        const dir = path.join(tmp, "results", "quick", "quick-1");
        const line = recordRunProvenance(spec, nativeHost(REPO_ROOT, path.join(tmp, "results")), dir, stackFile, { PATH: "" });
        assert.match(line, /^provenance: isobench .* recorded in provenance\/$/);
        const rec = JSON.parse(fs.readFileSync(path.join(dir, "provenance", "provenance.json"), "utf8")) as ProvenanceRecord;
        assert.equal(rec.kind, "run");
        assert.equal(rec.stack, "quick");
        assert.equal(rec.hostFacts, "host.csv");
        assert.deepEqual(rec.isobench, checkoutState(REPO_ROOT));
        assert.equal(rec.software.node, process.version);
        assert.equal(rec.software.pulumiCli, "unknown (pulumi version did not run)");
        assert.match(rec.software.pulumiSdk, /^\d+\.\d+\.\d+$/);
        assert.deepEqual(rec.images, { guests: {} });
        assert.deepEqual(Object.keys(rec.hostPackages!), packageList(fs.readFileSync(path.join(REPO_ROOT, "images", "packages.txt"), "utf8")));
        assert.deepEqual(rec.hostPackages, hostPackages(REPO_ROOT, thisMachine()));
        assert.deepEqual(rec.workloadParams, effectiveParams(spec));
        assert.equal(rec.workloadParams["redis"].requests, 100000, "the stack's value");
        assert.equal(rec.workloadParams["redis"].dataSize, 50, "the workload's default");
        assert.deepEqual(JSON.parse(fs.readFileSync(path.join(dir, "provenance", "spec.json"), "utf8")), JSON.parse(JSON.stringify(spec)));
        const stack = fs.readFileSync(path.join(dir, "provenance", "stack.yaml"), "utf8");
        assert.doesNotMatch(stack, /^encryptionsalt:|Zo9\/Ls0CKKU/m);
        assert.match(stack, /isobench:runId: quick-2/);
        assert.equal(readPasses(dir)[0].isobench_commit, rec.isobench.commit);
    });

    it("images: the guest image's build record and the hashes of its small files; the disk by size", () => {
        const guest = path.join(tmp, "guest-0123456789ab");
        fs.mkdirSync(guest);
        fs.writeFileSync(
            path.join(guest, "build-info"),
            "hash=0123456789ab\nmirror=http://deb.example.org/debian\nkernel=6.1.0-28-amd64\nbuilt_at=2026-01-01T00:00:00Z\n",
        );
        fs.writeFileSync(path.join(guest, "vmlinuz"), "kernel bytes");
        fs.writeFileSync(path.join(guest, "initrd.img"), "initrd bytes");
        fs.writeFileSync(path.join(guest, "disk.qcow2"), Buffer.alloc(4096));
        const sha = (s: string) => createHash("sha256").update(s).digest("hex");
        assert.deepEqual(imagesRecord({ guests: { "guest-image": guest } }, thisMachine()), {
            guests: {
                "guest-image": {
                    name: "guest-0123456789ab",
                    build: { hash: "0123456789ab", kernel: "6.1.0-28-amd64", built_at: "2026-01-01T00:00:00Z" },
                    sha256: { vmlinuz: sha("kernel bytes"), "initrd.img": sha("initrd bytes") },
                    diskBytes: 4096,
                },
            },
        });
    });
});

describe("provenance: the host's benchmark packages", () => {
    it("reads images/packages.txt as build-all.sh does, and dpkg-query's listing; what is missing says so", () => {
        assert.deepEqual(packageList("# tools\nsysbench\n  fio  # disk\n\nsysbench\n"), ["sysbench", "fio"]);
        const dpkg = "fio\tinstalled\t3.33-3\nlibc6:amd64\tinstalled\t2.36-9\nnetperf\tconfig-files\t2.7.0-0.1\n";
        assert.deepEqual(installedVersions(dpkg, ["fio", "libc6", "netperf", "sysbench"]), {
            fio: "3.33-3",
            libc6: "2.36-9",
            netperf: "not installed",
            sysbench: "not installed",
        });
    });
});

describe("provenance: what differs between an original and this host", () => {
    const side = (commit: string, dirty: boolean, id: string, kernel: string, extra: Record<string, string> = {}) => ({
        record: {
            isobench: { commit, dirty, dirtyFiles: dirty ? ["a.ts"] : [], version: "0.1.0" },
            images: {
                container: { tag: "isobench-bench:e7dc30c8925b", id },
                guests: { "guest-image": { name: "guest-b21fc6b9c453", build: { kernel: "6.1.0-28-amd64" }, sha256: { vmlinuz: "aa" } } },
            },
            software: { node: "v20.20.2", pulumiCli: "v3.259.0", pulumiSdk: "3.259.0" },
        },
        hostFacts: { kernel, cpu_model: "AMD EPYC", cpus: "2", docker: "20.10.24", ...extra },
    });

    it("lists each fact that differs, original first; equal facts are not listed", () => {
        const c1 = "1".repeat(40);
        const c2 = "2".repeat(40);
        assert.deepEqual(provenanceDifferences(side(c1, false, "sha256:aa", "6.1.0-18"), side(c2, true, "sha256:bb", "6.1.0-21", { qemu: "7.2.9" })), [
            `isobench commit: 111111111111 (clean) in the original, 222222222222 (dirty: 1 file(s)) here`,
            "container image ID: sha256:aa in the original, sha256:bb here",
            "kernel: 6.1.0-18 in the original, 6.1.0-21 here",
        ]);
        assert.deepEqual(provenanceDifferences(side(c1, false, "x", "k"), side(c1, false, "x", "k")), []);
        // Native cells run the host's packages: a different version is a difference.
        const withPackages = (v: string) => ({ ...side(c1, false, "x", "k"), record: { ...side(c1, false, "x", "k").record, hostPackages: { sysbench: v } } });
        assert.deepEqual(provenanceDifferences(withPackages("1.0.20+ds-5"), withPackages("1.0.20+ds-6")), [
            "host package sysbench: 1.0.20+ds-5 in the original, 1.0.20+ds-6 here",
        ]);
    });

    it("an image the original used and this host lacks is a difference; what the original did not record is not", () => {
        const here = side("c", false, "x", "k");
        const original = side("c", false, "x", "k");
        const noGuest = { ...here, record: { ...here.record, images: { ...here.record.images, guests: {} } } };
        assert.deepEqual(provenanceDifferences(original, noGuest), [
            "guest-image: guest-b21fc6b9c453 in the original, none here",
            "guest-image kernel: 6.1.0-28-amd64 in the original, none here",
            "guest-image vmlinuz sha256: aa in the original, none here",
        ]);
        assert.deepEqual(provenanceDifferences({ hostFacts: { kernel: "k" } }, here), []);
    });
});

describe("provenance: where a compared run came from", () => {
    let tmp = "";
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-origin-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const hostCsv =
        "host,fact,value,declared,measured_at\nvm,cpus,2,,2026-11-22T11:25:59Z\nvm,cpu_model,AMD EPYC,,2026-11-22T11:25:59Z\nvm,kernel,6.1.0,,2026-11-22T11:25:59Z\n";

    it("a run before provenance: says so, with host and date from host.csv", () => {
        fs.writeFileSync(path.join(tmp, "host.csv"), hostCsv);
        assert.deepEqual(readRunOrigin(tmp), {
            dir: tmp,
            isobench: "not recorded (the run predates provenance)",
            host: "vm (AMD EPYC, 2 CPUs, Linux 6.1.0)",
            date: "2026-11-22T11:25:59Z",
        });
    });

    it("a re-run: its commit, its first pass, and which run it repeats; the compare report opens with both", () => {
        fs.writeFileSync(path.join(tmp, "host.csv"), hostCsv);
        writeProvenance(
            tmp,
            { record: JSON.stringify({ kind: "run", isobench: { commit: "a".repeat(40), dirty: false, dirtyFiles: [] } }) },
            { isobench_commit: "a", dirty: "false", host: "vm", stack_file_sha256: "", spec_sha256: "" },
            new Date("2026-12-01T10:00:00Z"),
        );
        fs.writeFileSync(path.join(tmp, "provenance", "rerun-of.json"), JSON.stringify({ stack: "quick", runId: "quick-1" }));
        const origin = readRunOrigin(tmp);
        assert.deepEqual(origin, {
            dir: tmp,
            isobench: "aaaaaaaaaaaa (clean)",
            host: "vm (AMD EPYC, 2 CPUs, Linux 6.1.0)",
            date: "2026-12-01T10:00:00.000Z",
            note: "re-run of quick/quick-1 (isobench up --from)",
        });
        const md = renderComparisonMarkdown([], "results/quick/quick-1", tmp, 0.95, {
            base: readRunOrigin(path.join(tmp, "none")),
            other: { ...origin, stability: "round trip between CPUs: CV 6.1 %, CV 8.2 % (2 probes)" },
        });
        const lines = md.split("\n");
        assert.equal(lines[0], "# isobench run comparison");
        assert.equal(lines[2], "| run | folder | isobench commit | host | first measured | host stability | note |");
        assert.match(lines[4], /^\| base \| `.*none` \| not recorded \(the run predates provenance\) \| not recorded \| unknown \| not probed \|/);
        assert.equal(
            lines[5],
            `| other | \`${tmp}\` | aaaaaaaaaaaa (clean) | vm (AMD EPYC, 2 CPUs, Linux 6.1.0) | 2026-12-01T10:00:00.000Z | round trip between CPUs: CV 6.1 %, CV 8.2 % (2 probes) | re-run of quick/quick-1 (isobench up --from) |`,
        );
    });

    it("the shipped import: the source repository and commit, the authors' host, the logs' date", () => {
        const o = readRunOrigin(path.join(REPO_ROOT, "docs", "results", "felter2014-original"));
        assert.equal(o.note, "import of github.com/thewmf/kvm-docker-comparison at 6820500beab4");
        assert.equal(o.host, "arldcn24 (the authors' host, as their logs name it)");
        assert.equal(o.date, "2014-08-21T14:45:58-05:00 (the logs' commit)");
        assert.match(o.isobench, /^[0-9a-f]{12} \(clean\)$/);
    });
});
