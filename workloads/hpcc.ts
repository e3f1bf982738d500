/**
 * The HPC Challenge suite (Debian's `hpcc` 1.5.0, Open MPI), shared by the linpack, stream and
 * randomaccess workloads. hpcc has no way to run one test: from an hpccinf.txt in its working
 * directory it always runs the whole suite (HPL, DGEMM, STREAM, PTRANS, RandomAccess, FFT,
 * latency/bandwidth), and it sizes every test from HPL's matrix order N (8·N² bytes spread over
 * the processes: STREAM arrays of N²/(3·processes) doubles per process, RandomAccess tables of
 * the largest power of two ≤ half that memory). Each workload therefore runs the suite with the N
 * its own parameter needs and reads its values from the "Summary" key=value section.
 *
 * Placement: inside the environment, in a fresh directory under its data directory, one MPI
 * process per CPU of the environment (`nproc`) unless `processes` says otherwise; P×Q is the most
 * square factorisation of the process count (P ≤ Q). hpccoutf.txt goes to stdout, mpirun's own
 * output to stderr.
 */
import { ParamSchema, THREADS_OR_AUTO_PARAM, countOrAuto, intParam, positiveInt } from "./params";
import type { Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";
import { SLOW_RATES } from "./expected";
import { shellQuote } from "../core/shell";
import type { ContainerNeeds } from "../core/container-needs";
import { NUMA_POLICY_KEY_PATTERN, NumaPolicy, numaContainerNeeds, numactlArgv, parseNumaPolicyKey } from "../core/numa";

/** The parameters every HPCC workload takes (schemas: HPCC_PARAM_SCHEMA). */
export type HpccCommonParams = {
    /** numactl policy key the whole run gets, or "none"; absent = none. */
    numactl?: string;
    /** MPI processes (for STREAM each one thread); 0 = one per CPU of the environment. */
    processes: number;
    /** HPL block size NB (HPL's N is rounded up to a multiple of it). */
    nb: number;
};

/** Schemas of the parameters every hpcc workload shares. */
const HPCC_PARAM_SCHEMA: { readonly numactl: ParamSchema; readonly processes: ParamSchema; readonly nb: ParamSchema } = {
    numactl: {
        type: "string",
        pattern: `^none$|${NUMA_POLICY_KEY_PATTERN}`,
        description: 'a numactl policy key such as "interleave:all" or "cpunodebind:0+membind:0", or "none"',
    },
    processes: THREADS_OR_AUTO_PARAM,
    nb: intParam(1, 4096),
};

interface HpccRunArgs {
    /** Workload name, for errors. */
    readonly workload: string;
    readonly dataDir: string;
    /** MPI processes; 0 = `nproc` inside the environment. */
    readonly processes: number;
    /** HPL block size NB. */
    readonly nb: number;
    /**
     * Shell arithmetic (may use $np, the process count, and $mem_kb, MemTotal in KiB) whose
     * value is the wanted N before it is rounded to a multiple of NB.
     */
    readonly nShell: string;
    /** "down": N is rounded down to a multiple of NB (memory bound); "up": rounded up (size floor). */
    readonly round: "down" | "up";
    /**
     * HPL solves of the order-N system in the run (HPL.dat's problem sizes, N each time; at most
     * MAX_HPL_RUNS); default 1. The suite's other tests are sized by N alone and run once.
     */
    readonly hplRuns?: number;
    /**
     * The `numactl` parameter: a numactl policy key ("interleave:all", "localalloc",
     * "cpunodebind:0+membind:0", see environments/numactl.ts) mpirun and every rank run under, as
     * the paper ran its hpcc-family tools (`numactl --physcpubind=… --interleave=0,1`); absent or
     * "none" = no numactl.
     */
    readonly numactl?: string;
}

/** The policy of the `numactl` parameter, or undefined for none; throws naming the workload. */
function hpccNumaPolicy(workload: string, v: unknown): NumaPolicy | undefined {
    if (v === undefined || v === "none") return undefined;
    if (typeof v !== "string") throw new Error(`${workload}: parameter numactl must be a policy such as "interleave:all" or "none", got ${JSON.stringify(v)}`);
    try {
        return parseNumaPolicyKey(v);
    } catch (e) {
        throw new Error(`${workload}: parameter numactl: ${(e as Error).message}`, { cause: e });
    }
}

/** Container needs of an hpcc workload: those of its numactl policy (SYS_NICE for a memory policy). */
function hpccContainerNeeds(workload: string, numactl: unknown): ContainerNeeds {
    const p = hpccNumaPolicy(workload, numactl);
    return p ? numaContainerNeeds(p) : {};
}

/** Note of the numactl parameter for samples ("" without one). */
function hpccNumaNote(workload: string, numactl: unknown): string {
    const p = hpccNumaPolicy(workload, numactl);
    return p ? `; run under ${numactlArgv(p).join(" ")}` : "";
}

/**
 * Open MPI options that work alike natively, in containers (no CMA/ptrace) and as root. Waiting
 * processes yield the CPU: busy-polling ranks on a shared or oversubscribed host made hpcc's
 * latency/bandwidth section alone take a minute instead of a second.
 */
const MPIRUN = "mpirun --allow-run-as-root --oversubscribe --mca btl self,vader --mca btl_vader_single_copy_mechanism none --mca mpi_yield_when_idle 1";

/** The hpccinf.txt lines (HPL.dat layout plus hpcc's PTRANS lines) with shell variables $n $nb $p $q. */
const HPCCINF = [
    "HPLinpack benchmark input file",
    "Innovative Computing Laboratory, University of Tennessee",
    "HPL.out      output file name (if any)",
    "8            device out (6=stdout,7=stderr,file)",
    "$runs         # of problems sizes (N)",
    "$ns           Ns",
    "1            # of NBs",
    "$nb          NBs",
    "0            PMAP process mapping (0=Row-,1=Column-major)",
    "1            # of process grids (P x Q)",
    "$p           Ps",
    "$q           Qs",
    "16.0         threshold",
    "1            # of panel fact",
    "2            PFACTs (0=left, 1=Crout, 2=Right)",
    "1            # of recursive stopping criterium",
    "4            NBMINs (>= 1)",
    "1            # of panels in recursion",
    "2            NDIVs",
    "1            # of recursive panel fact.",
    "1            RFACTs (0=left, 1=Crout, 2=Right)",
    "1            # of broadcast",
    "1            BCASTs (0=1rg,1=1rM,2=2rg,3=2rM,4=Lng,5=LnM)",
    "1            # of lookahead depth",
    "1            DEPTHs (>=0)",
    "2            SWAP (0=bin-exch,1=long,2=mix)",
    "64           swapping threshold",
    "0            L1 in (0=transposed,1=no-transposed) form",
    "0            U  in (0=transposed,1=no-transposed) form",
    "1            Equilibration (0=no,1=yes)",
    "8            memory alignment in double (> 0)",
    "##### This line (no. 32) is ignored (it serves as a separator). ######",
    "0            Number of additional problem sizes for PTRANS",
    "1200         values of N",
    "0            number of additional blocking sizes for PTRANS",
    "40           values of NB",
];

/** HPL.dat holds at most 20 problem sizes (HPL_MAX_PARAM). */
export const MAX_HPL_RUNS = 20;

function hpccCommand(a: HpccRunArgs): string {
    const nb = positiveInt(a.workload, "nb", a.nb);
    const runs = a.hplRuns ?? 1;
    if (!Number.isInteger(runs) || runs < 1 || runs > MAX_HPL_RUNS)
        throw new Error(`${a.workload}: parameter hplRuns must be an integer from 1 to ${MAX_HPL_RUNS} (HPL.dat's limit), got ${JSON.stringify(runs)}`);
    const processes = countOrAuto(a.workload, "processes", a.processes);
    const numa = hpccNumaPolicy(a.workload, a.numactl);
    const round = a.round === "down" ? "n=$(( n / nb * nb ))" : "n=$(( (n + nb - 1) / nb * nb ))";
    return [
        "set -e",
        `np=${processes === 0 ? "$(nproc)" : processes}`,
        `nb=${nb}`,
        // Most square grid: p = largest divisor of np not above its square root.
        "p=1; i=1",
        "while [ $((i * i)) -le $np ]; do if [ $((np % i)) -eq 0 ]; then p=$i; fi; i=$((i + 1)); done",
        "q=$((np / p))",
        "mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)",
        `n=$(( ${a.nShell} ))`,
        round,
        `if [ "$n" -lt "$nb" ]; then echo "${a.workload}: HPL matrix order N=$n is below the block size NB=$nb; raise the size parameter" >&2; exit 3; fi`,
        // Refuse a matrix that cannot fit instead of letting the environment swap or OOM-kill.
        `if [ $(( n * n / 131072 )) -gt $(( mem_kb / 1024 * 9 / 10 )) ]; then echo "${a.workload}: HPL matrix order N=$n needs $(( n * n / 131072 )) MiB, more than 90% of the environment's $(( mem_kb / 1024 )) MiB; lower the size parameter" >&2; exit 3; fi`,
        `runs=${runs}`,
        // N once per solve: "896 896 896".
        'ns=$n; i=1; while [ $i -lt $runs ]; do ns="$ns $n"; i=$((i + 1)); done',
        `w=${shellQuote(a.dataDir)}/hpcc.$$`,
        `rm -rf "$w"; mkdir -p "$w"; cd "$w"`,
        `trap 'cd /; rm -rf "$w"' EXIT`,
        "cat > hpccinf.txt <<EOF",
        ...HPCCINF,
        "EOF",
        `${numa ? `${numactlArgv(numa).join(" ")} ` : ""}${MPIRUN} -np "$np" hpcc >&2`,
        "cat hpccoutf.txt",
    ].join("\n");
}

/** Shell for the package version of hpcc and the Open MPI it runs on (hpcc has no --version). */
const HPCC_VERSION_COMMAND = "dpkg-query -W -f='hpcc ${Version}\\n' hpcc && mpirun --version 2>&1 | head -n 1";

/** "hpcc 1.5.0-3" + "mpirun (Open MPI) 4.1.4" → "1.5.0-3 (Open MPI 4.1.4)". */
function parseHpccVersion(workload: string, output: string): string {
    const h = /^hpcc ([0-9][^\s]*)/m.exec(output);
    if (!h) throw new ParseError(workload, "version", `no "hpcc <version>" in ${JSON.stringify(output.slice(0, 100))} (is the hpcc package installed?)`);
    const mpi = /\(Open MPI\) ([0-9][^\s]*)/.exec(output);
    return mpi ? `${h[1]} (Open MPI ${mpi[1]})` : h[1];
}

/**
 * The key=value pairs of hpccoutf.txt's "Summary" section. Throws when the section is absent or
 * unterminated (the suite did not finish, or the file was cut off).
 */
export function hpccSummary(workload: string, metric: string, raw: string): Map<string, string> {
    const text = raw.replace(/\r\n?/g, "\n");
    if (!/DARPA\/DOE HPC Challenge Benchmark version/.test(text)) {
        const why = text.split("\n").find((l) => /error|not enough|abort|cannot/i.test(l));
        throw new ParseError(workload, metric, `no HPC Challenge banner: not hpccoutf.txt${why ? ` (it says: ${JSON.stringify(why.trim())})` : ""}`);
    }
    const begin = text.indexOf("\nBegin of Summary section.\n");
    const end = text.indexOf("\nEnd of Summary section.", begin);
    if (begin < 0 || end < 0) {
        throw new ParseError(workload, metric, `hpccoutf.txt has no complete "Summary" section (the suite did not finish, or the file is truncated)`);
    }
    const summary = new Map<string, string>();
    for (const line of text.slice(begin, end).split("\n")) {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
        if (m) summary.set(m[1], m[2]);
    }
    return summary;
}

/** A finite number from the summary, or a ParseError naming the key. */
export function summaryNumber(workload: string, metric: string, summary: Map<string, string>, key: string): number {
    const s = summary.get(key);
    const v = s === undefined || !/^[-+]?[0-9.]+(?:e[-+]?[0-9]+)?$/i.test(s) ? NaN : Number(s);
    if (!Number.isFinite(v)) throw new ParseError(workload, metric, `the Summary section has no numeric ${key} (got ${JSON.stringify(s)})`);
    return v;
}

/**
 * The whole suite at order N: HPL's 2/3·N³ operations (hplRuns times), and the memory-bound tests
 * (STREAM, PTRANS, RandomAccess's 4·N² updates) a few passes over the N² words, each at the slow
 * rates of workloads/expected.ts, shared by `processes` MPI processes. processes 0 (one per CPU,
 * counted on the host when the cell runs) counts as one: the estimate must not be shorter than the run.
 */
export function hpccSuiteS(n: number, processes: number, hplRuns = 1): number {
    return ((hplRuns * hplOperations(n)) / SLOW_RATES.flopsPerS + (8 * n ** 2) / SLOW_RATES.memoryWordsPerS) / Math.max(1, processes);
}

/** Floating-point operations of one HPL solve of order N, as HPL counts them for its Gflops: 2/3·N³ + 3/2·N². */
export function hplOperations(n: number): number {
    return (2 / 3) * n ** 3 + (3 / 2) * n ** 2;
}

/** Note shared by the three hpcc workloads. */
export const HPCC_NOTE = "HPC Challenge 1.5 from Debian (reference BLAS), whole suite per run";

/** What one HPCC workload adds to the suite run it shares with the others. */
export interface HpccWorkloadSpec<P extends HpccCommonParams> {
    readonly name: string;
    /**
     * All of them, the common ones too: their order is that of the samples' params text
     * ("n=1000;memoryPercent=0;nb=128;processes=0"), which published results carry.
     */
    readonly defaults: P;
    /** Schemas of the workload's own parameters (the common ones are HPCC_PARAM_SCHEMA). */
    readonly paramSchema: { readonly [K in Exclude<keyof P, keyof HpccCommonParams>]-?: ParamSchema };
    /** Checks the workload's own parameters and says the N they need (HpccRunArgs.nShell, .round) and how many HPL solves. */
    size(p: P): Pick<HpccRunArgs, "nShell" | "round" | "hplRuns">;
    /** The N size() asks for when the params alone decide it; undefined when the host's memory does. */
    order(p: P): number | undefined;
    /** How the workload departs from the paper; the numactl policy is added to it here. */
    notes(p: P): string;
    parse(raw: string, params?: P): Measurement[];
}

/** The Workload of one HPCC test: the suite run, version, placement and numactl handling are the same for all three. */
export function hpccWorkload<P extends HpccCommonParams & Record<string, number | string>>(s: HpccWorkloadSpec<P>): Workload<P> {
    const name = s.name;
    return {
        name,
        tool: "hpcc",
        defaults: s.defaults,
        // The common keys and the workload's own are all of P's; TypeScript cannot see that for a generic P.
        paramSchema: { ...HPCC_PARAM_SCHEMA, ...s.paramSchema } as Workload<P>["paramSchema"],
        versionCommand: HPCC_VERSION_COMMAND,
        parseVersion: (out) => parseHpccVersion(name, out),
        lengthFixedBy: () => "work",
        expectedS: (p: P, cpus?: number) => {
            const n = s.order(p);
            return n === undefined ? undefined : hpccSuiteS(n, p.processes || (cpus ?? 0), s.size(p).hplRuns);
        },
        clientPlacement: "inside",
        clientCommand: (p: P, ctx: RunContext) =>
            hpccCommand({ workload: name, dataDir: ctx.dataDir, processes: p.processes, nb: p.nb, numactl: p.numactl, ...s.size(p) }),
        spreadsOverCpus: (p: P) => p.processes === 0,
        containerNeeds: (p: P) => hpccContainerNeeds(name, p.numactl),
        notes: (p: P) => `${s.notes(p)}${hpccNumaNote(name, p.numactl)}`,
        parse: s.parse,
    };
}
