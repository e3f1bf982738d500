import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { importFelter2014, missingSources } from "../../experiment/import-felter2014";
import { IMPORT_MARKER, readFelter2014Checkout, writeFelter2014Import } from "../../experiment/import-run";
import { samplesFromCsv } from "../../core/samples";
import { UserError } from "../../core/errors";

/** The committed excerpts of the authors' repository, laid out as a checkout (test/fixtures/felter2014/README.md). */
const CHECKOUT = path.join(__dirname, "..", "fixtures", "felter2014", "kvm-docker-comparison");

describe("isobench import felter2014 (experiment/import-felter2014.ts, import-run.ts)", () => {
    const imported = importFelter2014(readFelter2014Checkout(CHECKOUT));
    const cells = (workload: string, environment: string) => [
        ...new Set(imported.samples.filter((s) => s.workload === workload && s.environment === environment).map((s) => s.cell_id)),
    ];
    const values = (workload: string, environment: string, metric: string, params = "") =>
        imported.samples
            .filter((s) => s.workload === workload && s.environment === environment && s.metric === metric && s.params === params)
            .map((s) => [s.repetition, s.value]);

    it("each Linpack trial of the complete 10-trial runs is a repetition; untuned and tuned KVM come from vm.log's two guests", () => {
        assert.equal(cells("linpack", "native").length, 10);
        assert.deepEqual(values("linpack", "native", "gflops")[0], [1, 291.5018]);
        // Docker's 10-trial run is its third (started Jul 17 23:17); its 3-trial runs are left out.
        assert.deepEqual(values("linpack", "docker-nat-unionfs", "gflops")[0], [11, 290.967]);
        const untuned = values("linpack", "kvm-untuned", "gflops");
        const tuned = values("linpack", "kvm-tuned", "gflops");
        assert.equal(untuned.length, 10);
        assert.equal(tuned.length, 10);
        assert.deepEqual(untuned[7], [28, 108.7559]);
        assert.deepEqual(tuned[0], [31, 283.99]);
        assert.equal(imported.samples.find((s) => s.environment === "kvm-tuned")!.variant.includes("cpu=host-passthrough"), true);
    });

    it("lists every Linpack run left out, with why", () => {
        assert.deepEqual(
            imported.skipped.map((l) => l.replace(/ \(Running linpack.*?\)/, "")),
            [
                "linpack/results/linux.log run 1: Linpack printed nothing",
                "linpack/results/linux.log run 2: 1 trial(s), not the input's 10",
                "linpack/results/linux.log run 4: incomplete (0 of 10 trials, no summary)",
                "linpack/results/docker.log the output before the first 'Running' line: 3 trial(s), not the input's 10",
                "linpack/results/docker.log run 1: 3 trial(s), not the input's 10",
                "linpack/results/vm.log run 1: 1 trial(s), not the input's 10",
                "linpack/results/vm.log run 3: Linpack printed nothing",
                "linpack/results/vm.log run 4: incomplete (0 of 10 trials, no summary)",
                "linpack/results/vm.log run 5: incomplete (0 of 10 trials, no summary)",
                "linpack/results/vm.log run 6: incomplete (6 of 10 trials, no summary)",
            ],
        );
    });

    it("STREAM: each invocation a repetition, at the point of its socket configuration", () => {
        assert.deepEqual(
            values("stream", "kvm-untuned", "copy_gbps", "sockets=2;threads=32").map((v) => v[1]),
            [40.0956, 40.2139, 39.8164],
        );
        assert.equal(values("stream", "native", "triad_gbps", "sockets=1;threads=16").length, 3);
    });

    it("RandomAccess: the two-socket runs of the misnamed *.single-socket.localalloc.log files", () => {
        assert.equal(values("randomaccess", "native", "gups", "sockets=2;threads=32").length, 10);
        assert.deepEqual(values("randomaccess", "native", "gups", "sockets=2;threads=32")[0], [1, 0.012675061]);
    });

    it("MySQL: a records file is a repetition holding every thread count; configurations under the legend's names", () => {
        assert.deepEqual(values("mysql", "native", "transactions_per_s", "threads=10")[0], [1, 3405.19]);
        assert.deepEqual(
            ["native", "docker-host", "docker-nat", "docker-nat-unionfs", "kvm-mysql"].map((e) => cells("mysql", e).length),
            [2, 2, 2, 2, 2],
        );
        const rep1 = imported.samples.filter((s) => s.workload === "mysql" && s.repetition === 1 && s.metric === "transactions_per_s").map((s) => s.params);
        assert.deepEqual(rep1, ["threads=10", "threads=30", "threads=50"]);
        assert.match(imported.samples.find((s) => s.workload === "mysql")!.tool_version, /^sysbench 0\.4\.12/);
    });

    it("redis: each Run #r of a file is a repetition at its connection count", () => {
        const get = values("redis", "docker-nat-unionfs", "get_rps", "clients=50");
        assert.equal(get.length, 3);
        assert.deepEqual(
            ["native", "docker-host-unionfs", "docker-nat-unionfs", "kvm-1cpu"].map((e) => cells("redis", e).length),
            [3, 3, 3, 3],
        );
    });

    it("fio: one run per environment (all the logs hold), fio 2.0.8 as the log says", () => {
        assert.deepEqual(values("fio", "native", "random_read_16x8_read_iops").length, 1);
        assert.equal(imported.samples.find((s) => s.workload === "fio")!.tool_version, "2.0.8");
        assert.deepEqual([...new Set(imported.samples.filter((s) => s.workload === "fio").map((s) => s.environment))], ["native", "docker-nat", "kvm-fio"]);
    });

    it("repetition numbers never repeat across environments of a workload (the authors did not interleave them)", () => {
        for (const w of ["linpack", "stream", "randomaccess", "fio", "mysql", "redis"]) {
            const byRep = new Map<number, Set<string>>();
            for (const s of imported.samples.filter((x) => x.workload === w))
                byRep.set(s.repetition, (byRep.get(s.repetition) ?? new Set()).add(s.environment));
            for (const [rep, envs] of byRep) assert.equal(envs.size, 1, `${w} repetition ${rep} in ${[...envs].join(", ")}`);
        }
    });

    it("writes one cells/<cell>.csv per repetition, environments.csv and the marker; refuses a folder that is not an import", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-import-"));
        try {
            const out = path.join(tmp, "out");
            const { cells: n } = writeFelter2014Import(CHECKOUT, out);
            const files = fs.readdirSync(path.join(out, "cells"));
            assert.equal(files.length, n);
            assert.ok(files.includes("linpack.kvm-tuned.r31.csv"));
            const back = samplesFromCsv(fs.readFileSync(path.join(out, "cells", "linpack.kvm-tuned.r31.csv"), "utf8"), "r31");
            assert.deepEqual(
                back.map((s) => [s.environment, s.env_kind, s.accel, s.metric, s.value]),
                [["kvm-tuned", "kvm", "kvm", "gflops", 283.99]],
            );
            assert.ok(fs.existsSync(path.join(out, IMPORT_MARKER)));
            assert.match(fs.readFileSync(path.join(out, "environments.csv"), "utf8"), /^environment,env_kind,variant,accel,fact,value,declared,measured_at\n/);
            // Provenance of an import: the source, no stack file or spec; files inside another repository have no commit of their own.
            const record = JSON.parse(fs.readFileSync(path.join(out, "provenance", "provenance.json"), "utf8"));
            assert.equal(record.kind, "import");
            assert.equal(record.source.repository, "github.com/thewmf/kvm-docker-comparison");
            assert.equal(record.source.commit, "unknown (not a git work tree of its own)");
            assert.equal(record.source.host, "arldcn24 (the authors' host, as their logs name it)");
            assert.equal(record.source.command, "isobench import felter2014 kvm-docker-comparison");
            assert.ok(record.source.files > 10 && /^[0-9a-f]{64}$/.test(record.source.filesSha256));
            assert.deepEqual(fs.readdirSync(path.join(out, "provenance")).sort(), ["passes.csv", "provenance.json"]);
            writeFelter2014Import(CHECKOUT, out); // an earlier import is replaced
            assert.equal(
                fs
                    .readFileSync(path.join(out, "provenance", "passes.csv"), "utf8")
                    .trim()
                    .split("\n").length,
                3,
                "a header and two passes",
            );
            const other = path.join(tmp, "other");
            fs.mkdirSync(other);
            fs.writeFileSync(path.join(other, "notes.txt"), "mine");
            assert.throws(
                () => writeFelter2014Import(CHECKOUT, other),
                (e: Error) => e instanceof UserError && /not an earlier import/.test(e.message),
            );
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("provenance names the commit and date of a git checkout of the logs", () => {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-import-git-"));
        try {
            const checkout = path.join(tmp, "kvm-docker-comparison");
            fs.cpSync(CHECKOUT, checkout, { recursive: true });
            const git = (...args: string[]) =>
                execFileSync("git", ["-C", checkout, "-c", "user.name=t", "-c", "user.email=t@example.org", ...args], { encoding: "utf8" });
            git("init", "-q");
            git("add", ".");
            git("commit", "-q", "-m", "logs", "--date", "2014-08-21T14:45:58-05:00");
            const head = git("rev-parse", "HEAD").trim();
            writeFelter2014Import(checkout, path.join(tmp, "out"));
            const record = JSON.parse(fs.readFileSync(path.join(tmp, "out", "provenance", "provenance.json"), "utf8"));
            assert.equal(record.source.commit, head);
            assert.match(record.source.committedAt, /^\d{4}-\d\d-\d\dT/);
        } finally {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    it("a folder that is not a checkout of the repository is refused, naming what is missing and the fix", () => {
        assert.throws(
            () => readFelter2014Checkout(path.join(CHECKOUT, "fio")),
            (e: Error) =>
                e instanceof UserError &&
                /is not a checkout of github.com\/thewmf\/kvm-docker-comparison: it lacks linpack\/results\/linux.log/.test(e.message) &&
                /git clone/.test(e.message),
        );
        assert.deepEqual(missingSources([]).slice(0, 2), ["linpack/results/linux.log", "linpack/results/docker.log"]);
    });
});
