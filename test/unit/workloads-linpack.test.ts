import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hpccSummary } from "../../workloads/hpcc";
import { linpack, parseLinpack } from "../../workloads/linpack";
import { randomAccess } from "../../workloads/randomaccess";
import { stream } from "../../workloads/stream";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("linpack");
const RUN = "hpcc-1.5.0-3-openmpi-4.1.4-n2000-nb128.txt";
/** Three HPL solves at N=1024 in one run: 1.006, 0.9353 and 1.111 Gflops. */
const RUNS3 = "hpcc-1.5.0-3-openmpi-4.1.4-n1024-nb128-hplruns3.txt";

/**
 * Runs an hpcc command for real in /bin/sh with a stand-in mpirun on PATH that copies
 * hpccinf.txt to hpccoutf.txt, so the command prints the input file it generated.
 */
const DATA_MARK = "/it4a-data-dir-mark";

function generatedInput(cmd: string): { status: number | null; stdout: string; stderr: string; dataDir: string } {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "it4a-hpcc-"));
    try {
        fs.mkdirSync(path.join(tmp, "bin"));
        fs.mkdirSync(path.join(tmp, "data"));
        cmd = cmd.split(`'${DATA_MARK}'`).join(`'${tmp}/data'`);
        fs.writeFileSync(path.join(tmp, "bin", "mpirun"), '#!/bin/sh\necho "mpirun $*" >&2\ncp hpccinf.txt hpccoutf.txt\n', { mode: 0o755 });
        const r = spawnSync("/bin/sh", ["-c", cmd], { encoding: "utf8", env: { ...process.env, PATH: `${tmp}/bin:${process.env.PATH}` } });
        const left = fs.readdirSync(path.join(tmp, "data"));
        assert.deepEqual(left, [], "the hpcc working directory is removed");
        return { status: r.status, stdout: r.stdout, stderr: r.stderr, dataDir: tmp };
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** The command built for a data directory "<tmp>/data" (created first, as the runner does). */
function commandIn(build: (dataDir: string) => string): ReturnType<typeof generatedInput> {
    return generatedInput(build(DATA_MARK));
}

const field = (inf: string, label: string) => {
    const m = new RegExp(`^(\\S+)\\s+${label}\\s*$`, "m").exec(inf);
    assert.ok(m, `no ${label} line in:\n${inf}`);
    return Number(m[1]);
};

describe("workloads/linpack and the shared hpcc runner", () => {
    it("defaults to the paper's N=45000; the substitution of Intel's binary is in the notes", () => {
        assert.deepEqual(linpack.defaults, { n: 45000, memoryPercent: 0, nb: 128, processes: 0, hplRuns: 1 });
        assert.equal(linpack.tool, "hpcc");
        assert.equal(linpack.clientPlacement, "inside");
        assert.match(linpack.notes!(linpack.defaults), /not Intel's optimized Linpack \(not redistributable\); N=45000 as the paper/);
        assert.match(linpack.notes!({ ...linpack.defaults, memoryPercent: 5 }), /N from 5% of memory \(paper: 45000\)/);
    });

    it("writes hpccinf.txt with N rounded down to NB and the most square P×Q, runs mpirun, prints hpccoutf.txt", () => {
        const r = commandIn((d) => linpack.clientCommand({ n: 1000, memoryPercent: 0, nb: 128, processes: 6, hplRuns: 1 }, { dataDir: d }));
        assert.equal(r.status, 0, r.stderr);
        assert.equal(field(r.stdout, "Ns"), 896);
        assert.equal(field(r.stdout, "NBs"), 128);
        assert.equal(field(r.stdout, "Ps"), 2);
        assert.equal(field(r.stdout, "Qs"), 3);
        assert.equal(r.stdout.split("\n")[31], "##### This line (no. 32) is ignored (it serves as a separator). ######");
        assert.match(r.stderr, /^mpirun --allow-run-as-root --oversubscribe .* -np 6 hpcc$/m);
        const prime = commandIn((d) => linpack.clientCommand({ n: 1000, memoryPercent: 0, nb: 100, processes: 7, hplRuns: 1 }, { dataDir: d }));
        assert.deepEqual([field(prime.stdout, "Ns"), field(prime.stdout, "Ps"), field(prime.stdout, "Qs")], [1000, 1, 7]);
    });

    it("hplRuns: HPL.dat asks for that many solves of the same N, the rest of the suite stays sized by N", () => {
        const p = { ...linpack.defaults, n: 2048, processes: 2, hplRuns: 3 };
        const r = commandIn((d) => linpack.clientCommand(p, { dataDir: d }));
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /^3\s+# of problems sizes \(N\)\n2048 2048 2048\s+Ns\n/m);
        assert.equal(field(r.stdout, "NBs"), 128);
        // One solve: the paper's single problem size, as before.
        const one = commandIn((d) => linpack.clientCommand({ ...p, hplRuns: 1 }, { dataDir: d }));
        assert.match(one.stdout, /^1\s+# of problems sizes \(N\)\n2048\s+Ns\n/m);
        // Three solves' operations at the slow rate, plus the suite's memory-bound tests, over 2 processes.
        assert.equal(linpack.expectedS(p), ((3 * ((2 / 3) * 2048 ** 3 + 1.5 * 2048 ** 2)) / 5e8 + (8 * 2048 ** 2) / 1e7) / 2);
        assert.ok(linpack.expectedS(p)! > linpack.expectedS({ ...p, hplRuns: 1 })!);
        assert.match(linpack.notes!(p), /3 solves per run, gflops over all of them \(paper: one\)/);
        assert.throws(() => linpack.clientCommand({ ...p, hplRuns: 21 }, { dataDir: "/d" }), /hplRuns must be an integer from 1 to 20/);
        assert.throws(() => linpack.clientCommand({ ...p, hplRuns: 0 }, { dataDir: "/d" }), /hplRuns/);
    });

    it("hplRuns: gflops over all the solves, not the Summary's best one (captured)", () => {
        const p = { ...linpack.defaults, n: 1024, hplRuns: 3 };
        const [gflops, time] = parseLinpack(fixture(RUNS3), p);
        const ops = (2 / 3) * 1024 ** 3 + 1.5 * 1024 ** 2;
        const seconds = [1.006, 0.9353, 1.111].map((g) => ops / (g * 1e9));
        assert.equal(gflops.metric, "gflops");
        assert.ok(Math.abs(gflops.value - (3 * ops) / seconds.reduce((a, b) => a + b) / 1e9) < 1e-12);
        assert.ok(gflops.value > 0.9353 && gflops.value < 1.111, "between the slowest and the fastest solve, below the Summary's best (1.11)");
        assert.ok(Math.abs(time.value - seconds.reduce((a, b) => a + b) / 3) < 1e-12);
        // Read without params, or with one run asked for, the Summary's single value stands.
        assert.equal(parseLinpack(fixture(RUNS3))[0].value, 0.00111053 * 1000);
        // A run with fewer solves than the params asked for is refused.
        assertParseError(() => parseLinpack(fixture(RUN), { ...linpack.defaults, n: 2000, hplRuns: 3 }), "linpack", "gflops");
        const two = fixture(RUNS3).replace(/^WR11C2R4\s+1024 .*0\.77 .*\n/m, "");
        assert.match(assertParseError(() => parseLinpack(two, p), "linpack", "gflops").message, /asked for 3 HPL solves at N=1024, the HPL section has 2/);
    });

    it("sizes N from memory when memoryPercent is set, and refuses what cannot fit or is below NB", () => {
        const memKb = Number(/^MemTotal:\s+([0-9]+)/m.exec(fs.readFileSync("/proc/meminfo", "utf8"))![1]);
        const r = commandIn((d) => linpack.clientCommand({ n: 0, memoryPercent: 1, nb: 64, processes: 1, hplRuns: 1 }, { dataDir: d }));
        assert.equal(r.status, 0, r.stderr);
        const expected = Math.floor(Math.floor(Math.sqrt((memKb * 1024 * 0.01) / 8)) / 64) * 64;
        assert.equal(field(r.stdout, "Ns"), expected);
        const huge = commandIn((d) => linpack.clientCommand({ n: 10_000_000, memoryPercent: 0, nb: 128, processes: 1, hplRuns: 1 }, { dataDir: d }));
        assert.equal(huge.status, 3);
        assert.match(huge.stderr, /linpack: HPL matrix order N=10000000 needs [0-9]+ MiB, more than 90% of the environment's/);
        const tiny = commandIn((d) => linpack.clientCommand({ n: 100, memoryPercent: 0, nb: 128, processes: 1, hplRuns: 1 }, { dataDir: d }));
        assert.equal(tiny.status, 3);
        assert.match(tiny.stderr, /below the block size NB=128/);
        assert.throws(() => linpack.clientCommand({ ...linpack.defaults, memoryPercent: 95 }, { dataDir: "/d" }), /memoryPercent/);
        assert.throws(() => linpack.clientCommand({ ...linpack.defaults, n: 0 }, { dataDir: "/d" }), /n must be a positive integer/);
    });

    it("stream and randomaccess derive N from their own size parameter", () => {
        const s = commandIn((d) => stream.clientCommand({ arraySize: 1_000_000, processes: 2, nb: 128 }, { dataDir: d }));
        const n = field(s.stdout, "Ns");
        assert.equal(n, 1792);
        assert.ok((n * n) / 3 >= 1_000_000, "STREAM arrays (N²/3 doubles in all) at least arraySize");
        const ra = commandIn((d) => randomAccess.clientCommand({ log2Table: 20, processes: 2, nb: 128 }, { dataDir: d }));
        const m = field(ra.stdout, "Ns");
        assert.equal(m, 1024);
        assert.ok(m * m >= 2 ** 20 && m * m < 2 ** 21, "largest power of two ≤ N² is the table");
    });

    it("parses HPL from hpcc 1.5.0's Summary (captured)", () => {
        assert.deepEqual(parseLinpack(fixture(RUN), { n: 2000, memoryPercent: 0, nb: 128, processes: 0, hplRuns: 1 }), [
            { metric: "gflops", value: 0.00100029 * 1000, unit: "GFLOPS", better: "higher" },
            { metric: "hpl_time_s", value: 4.72275, unit: "s", better: "lower" },
        ]);
        assert.equal(hpccSummary("linpack", "gflops", fixture(RUN)).get("HPL_N"), "1920");
    });

    it("throws ParseError for another N, a failed residual check, foreign and truncated output", () => {
        assertParseError(() => parseLinpack(fixture(RUN), { ...linpack.defaults }), "linpack", "n");
        const failed = fixture(RUN).replace("...... PASSED", "...... FAILED");
        assert.match(assertParseError(() => parseLinpack(failed), "linpack", "gflops").message, /residual check FAILED/);
        assertParseError(
            () =>
                parseLinpack(
                    "--------------------------------------------------------------------------\nmpirun was unable to launch the specified application\n",
                ),
            "linpack",
            "gflops",
        );
        assertParseError(() => parseLinpack(fixture(RUN).replace("HPL_Tflops=0.00100029", "HPL_Tflops=nan")), "linpack", "gflops");
        const raw = fixture(RUN);
        assertEveryTruncationFails(parseLinpack, raw, raw.indexOf("End of Summary section."), "linpack", 101);
    });

    it("reads the hpcc package and Open MPI versions (captured)", () => {
        assert.equal(linpack.parseVersion(fixture("hpcc-1.5.0-3-openmpi-4.1.4-version.txt")), "1.5.0-3 (Open MPI 4.1.4)");
        assertParseError(() => linpack.parseVersion("dpkg-query: no packages found matching hpcc\n"), "linpack", "version");
    });
});
