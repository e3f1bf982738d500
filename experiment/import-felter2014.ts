/**
 * `isobench import felter2014`: the raw logs Felter et al. (IBM, 2014) published in
 * github.com/thewmf/kvm-docker-comparison as isobench samples, so the paper's claims can be judged
 * on the authors' own data with the same analysis as a reproduction. Pure: repository-relative
 * path → text in, samples out; experiment/import-run.ts reads the checkout and writes the results.
 *
 * What lands where (published-felter2014.md §1 says where each fact comes from):
 * - environments: the authors' configurations under isobench's names; the variant says what their
 *   scripts set (FELTER2014_ENVIRONMENTS), nothing more;
 * - repetitions: each run their scripts appended to a log is one repetition (a Linpack trial, a
 *   STREAM or RandomAccess invocation, a sysbench records file, a redis-benchmark "Run #r" of one
 *   file); several client or thread counts of one run are points of the same repetition;
 * - repetition numbers count a workload's runs across all environments in log order (native
 *   1–10, Docker 11–20, …): the authors ran one environment after another, not interleaved, so no
 *   run of one environment is the time-neighbour of a run of another, and distinct numbers make
 *   the analysis compare them as independent samples (analysis/pairing.ts pairs equal numbers);
 * - what is left out, and why, is returned in `skipped`, never dropped silently.
 */
import type { Sample } from "../core/samples";
import type { Better, EnvKind, Accel } from "../core/samples";
import type { Measurement } from "../workloads/workload";
import { parseFio } from "../workloads/fio";
import { parseSysbenchOltp } from "../workloads/mysql";
import { parseRedisBenchmark } from "../workloads/redis";
import {
    fio2Version,
    numaOptions,
    parseGupsRun,
    parseIntelLinpackRun,
    parseMcCalpinStream,
    splitDoitRuns,
    splitRedisLog,
    streamThreads,
} from "../workloads/felter2014-logs";

export const FELTER2014_REPOSITORY = "github.com/thewmf/kvm-docker-comparison";
export const FELTER2014_RUN_ID = "felter2014-original";

export interface ImportedEnvironment {
    readonly env_kind: EnvKind;
    readonly variant: string;
    readonly accel: Accel;
    /** What the authors' scripts set, with the script named. */
    readonly source: string;
}

/** The authors' configurations under isobench's names (docs/environments.md vocabulary). */
export const FELTER2014_ENVIRONMENTS: Readonly<Record<string, ImportedEnvironment>> = {
    native: { env_kind: "native", variant: "", accel: "none", source: "the host arldcn24 (*/linux.sh; MySQL 'bml', Redis 'native')" },
    "docker-nat-unionfs": {
        env_kind: "docker",
        variant: "net=nat;storage=unionfs",
        accel: "none",
        source: "docker run --rm without -v or --net (Linpack, STREAM, RandomAccess docker.sh); MySQL 'docker-nofs-nonet' = legend 'Docker NAT AUFS'; Redis 'dockerbridge' (redis/provision: no -v)",
    },
    "docker-host-unionfs": {
        env_kind: "docker",
        variant: "net=host;storage=unionfs",
        accel: "none",
        source: "Redis 'dockerhost' = legend 'Docker net=host' (commit b6b1a02; redis/provision: no -v)",
    },
    "docker-nat": {
        env_kind: "docker",
        variant: "net=nat;storage=volume",
        accel: "none",
        source: "fio: docker run --rm -v /ferrari:/ferrari (fio/docker.sh); MySQL 'docker-nofs' = legend 'Docker NAT volume'",
    },
    "docker-host": {
        env_kind: "docker",
        variant: "net=host;storage=volume",
        accel: "none",
        source: "MySQL 'docker' = legend 'Docker net=host volume' (mysql/docker-single-container/README)",
    },
    "kvm-untuned": {
        env_kind: "kvm",
        variant: "vcpus=32;mem=102400m;cpu=default;pin=none;net=user;disk=ide",
        accel: "kvm",
        source: "raw kvm -smp 32 -m 100G, default QEMU CPU model (no AVX), SLIRP, numactl on the QEMU process (linpack/vm-raw.sh, Stream/vm.sh, RandomAccess/vm.sh)",
    },
    "kvm-tuned": {
        env_kind: "kvm",
        variant: "vcpus=32;mem=102400m;cpu=host-passthrough;topo=2s8c2t;pin=ht-siblings;net=virtio;disk=cache-default",
        accel: "kvm",
        source: "libvirt, host-passthrough, topology 2×8×2, vCPUs pinned to HT siblings (linpack/virsh.xml, commit 2ab0152)",
    },
    "kvm-fio": {
        env_kind: "kvm",
        variant: "vcpus=32;mem=98304m;cpu=default;pin=none;net=user;disk=virtio-lun;cache=none;io=native",
        accel: "kvm",
        source: "raw kvm -smp 32 -m 96G, the FlashSystem LUN as virtio-blk cache=none aio=native (fio/vm.sh)",
    },
    "kvm-mysql": {
        env_kind: "kvm",
        variant: "vcpus=32;mem=16384m;cpu=SandyBridge;pin=1:1;net=virtio;disk=cache-default",
        accel: "kvm",
        source: "libvirt, SandyBridge CPU model, vCPU i on host CPU i, qcow2 overlay (mysql/KVM/vmtest2/virsh.xml) = legend 'KVM qcow'",
    },
    "kvm-1cpu": {
        env_kind: "kvm",
        variant: "vcpus=1;mem=1536m;cpu=host-passthrough;pin=none;net=virtio",
        accel: "kvm",
        source: "libvirt, 1 vCPU, host-passthrough, virtio NIC on a bridge (redis/vm/virsh.xml)",
    },
};

/** One run of a log, as it becomes one repetition. */
interface Run {
    readonly measurements: readonly Measurement[];
    /** Where in the file: "run 3 (Running stream …, started at …)". */
    readonly where: string;
}

interface Source {
    readonly workload: string;
    readonly environment: keyof typeof FELTER2014_ENVIRONMENTS;
    /** Repository-relative paths, or a directory prefix plus a file-name pattern (all matching files, sorted). */
    readonly files: readonly string[] | { readonly dir: string; readonly name: RegExp };
    readonly tool: string;
    /** The tool's version; a function when the log itself says it. */
    readonly version: string | ((text: string) => string);
    /** The runs of one file to import, and what was left out of it. */
    readonly runs: (text: string) => { runs: Run[]; skipped: string[] };
}

const where = (r: { index: number; header: string }) => (r.header ? `run ${r.index} (${r.header})` : "the output before the first 'Running' line");

/** The lininput's 10 trials (linpack/bin/lininput_xeon64): shorter runs were trials of the scripts. */
const LINPACK_TRIALS = 10;

/**
 * Complete Linpack runs with the input's 10 trials, each trial one repetition; `guestCpus` picks
 * the KVM configuration from vm.log: the raw guest (no topology) shows each of its 32 vCPUs as a
 * CPU, the libvirt guest with a 2-socket topology shows 2, as the host does.
 */
function linpackRuns(guestCpus?: number) {
    return (text: string) => {
        const runs: Run[] = [];
        const skipped: string[] = [];
        for (const r of splitDoitRuns(text)) {
            if (!/Intel\(R\) Optimized LINPACK/.test(r.text)) {
                skipped.push(`${where(r)}: Linpack printed nothing`);
                continue;
            }
            const l = parseIntelLinpackRun(r.text);
            if (guestCpus !== undefined && l.cpus !== guestCpus) continue;
            if (!l.complete || l.trialsRequested !== LINPACK_TRIALS) {
                skipped.push(
                    `${where(r)}: ${l.complete ? `${l.trialsRequested} trial(s), not the input's ${LINPACK_TRIALS}` : `incomplete (${l.gflops.length} of ${l.trialsRequested} trials, no summary)`}`,
                );
                continue;
            }
            l.gflops.forEach((g, i) =>
                runs.push({ measurements: [{ metric: "gflops", value: g, unit: "GFLOPS", better: "higher" }], where: `${where(r)}, trial ${i + 1}` }),
            );
        }
        return { runs, skipped };
    };
}

/** STREAM: each invocation one repetition, at the point of its socket configuration (threads from the log). */
function streamRuns(text: string) {
    return {
        runs: splitDoitRuns(text).map((r) => {
            const threads = streamThreads(r.text);
            const point = { sockets: threads === 32 ? 2 : 1, threads };
            return { measurements: parseMcCalpinStream(r.text).map((m) => ({ ...m, point })), where: where(r) };
        }),
        skipped: [],
    };
}

/**
 * RandomAccess two-socket runs: the authors' files *.single-socket.localalloc.log hold them
 * (published-felter2014.md §1.4: the names are swapped; linux's file says numaopts
 * "--physcpubind=0-31 --interleave=0,1"). A run whose header names the one-socket options is refused.
 */
function gupsRuns(text: string) {
    return {
        runs: splitDoitRuns(text).map((r) => {
            const numa = numaOptions(r.header);
            if (numa !== undefined && !numa.includes("--interleave=0,1"))
                throw new Error(`RandomAccess ${where(r)}: numaopts "${numa}" are not the two-socket ones this file is imported as`);
            return { measurements: parseGupsRun(r.text).map((m) => ({ ...m, point: { sockets: 2, threads: 32 } })), where: where(r) };
        }),
        skipped: [],
    };
}

const oneRun = (parse: (t: string) => Measurement[]) => (text: string) => ({ runs: [{ measurements: parse(text), where: "the whole file" }], skipped: [] });

/** One redis log: the sections of each "Run #r" (one per connection count) form one repetition. */
function redisRuns(text: string) {
    const byRun = new Map<number, Measurement[]>();
    for (const s of splitRedisLog(text)) {
        const ms = parseRedisBenchmark(s.text).map((m) => {
            if (Number(m.point?.clients) !== s.clients)
                throw new Error(`redis Run #${s.run}: the section is marked ${s.clients} connections but redis-benchmark says ${m.point?.clients} clients`);
            return m;
        });
        byRun.set(s.run, [...(byRun.get(s.run) ?? []), ...ms]);
    }
    return { runs: [...byRun].map(([run, measurements]) => ({ measurements, where: `Run #${run}` })), skipped: [] };
}

const STREAM_FILES = (env: string) => [`Stream/results/${env}.two-socket.interleavedalloc.log`, `Stream/results/${env}.single-socket.localalloc.log`];
const MYSQL_DIR = "mysql/results/performance-governor";
const RECORDS = /^records-[0-9]+-[0-9]+$/;
const LINPACK_TOOL = { tool: "intel-linpack", version: "11.1.2.005 (linpack/README; not in the log)" } as const;
const STREAM_TOOL = { tool: "stream (HPCC-modified McCalpin, Stream/stream.c)", version: "not recorded" } as const;
const GUPS_TOOL = { tool: "gups (RandomAccess/gups.c)", version: "not recorded" } as const;
const FIO_TOOL = { tool: "fio", version: fio2Version } as const;
const MYSQL_TOOL = {
    tool: "sysbench",
    version: (t: string) => `sysbench ${/^sysbench ([0-9.]+)/m.exec(t)?.[1] ?? "unknown"}; MySQL not recorded (Ubuntu 13.10)`,
} as const;
const REDIS_TOOL = { tool: "redis-benchmark", version: "2.8.13 (redis/build-redis.sh; not in the log)" } as const;

/** Every log imported, in the order repetitions are numbered. */
export const FELTER2014_SOURCES: readonly Source[] = [
    { workload: "linpack", environment: "native", files: ["linpack/results/linux.log"], ...LINPACK_TOOL, runs: linpackRuns() },
    { workload: "linpack", environment: "docker-nat-unionfs", files: ["linpack/results/docker.log"], ...LINPACK_TOOL, runs: linpackRuns() },
    { workload: "linpack", environment: "kvm-untuned", files: ["linpack/results/vm.log"], ...LINPACK_TOOL, runs: linpackRuns(32) },
    { workload: "linpack", environment: "kvm-tuned", files: ["linpack/results/vm.log"], ...LINPACK_TOOL, runs: linpackRuns(2) },
    { workload: "stream", environment: "native", files: STREAM_FILES("linux"), ...STREAM_TOOL, runs: streamRuns },
    { workload: "stream", environment: "docker-nat-unionfs", files: STREAM_FILES("docker"), ...STREAM_TOOL, runs: streamRuns },
    { workload: "stream", environment: "kvm-untuned", files: STREAM_FILES("vm"), ...STREAM_TOOL, runs: streamRuns },
    { workload: "randomaccess", environment: "native", files: ["RandomAccess/results/linux.single-socket.localalloc.log"], ...GUPS_TOOL, runs: gupsRuns },
    {
        workload: "randomaccess",
        environment: "docker-nat-unionfs",
        files: ["RandomAccess/results/docker.single-socket.localalloc.log"],
        ...GUPS_TOOL,
        runs: gupsRuns,
    },
    { workload: "randomaccess", environment: "kvm-untuned", files: ["RandomAccess/results/vm.single-socket.localalloc.log"], ...GUPS_TOOL, runs: gupsRuns },
    { workload: "fio", environment: "native", files: ["fio/results/linux.log"], ...FIO_TOOL, runs: oneRun((t) => parseFio(t)) },
    { workload: "fio", environment: "docker-nat", files: ["fio/results/docker.log"], ...FIO_TOOL, runs: oneRun((t) => parseFio(t)) },
    { workload: "fio", environment: "kvm-fio", files: ["fio/results/vm.log"], ...FIO_TOOL, runs: oneRun((t) => parseFio(t)) },
    { workload: "mysql", environment: "native", files: { dir: `${MYSQL_DIR}/bml`, name: RECORDS }, ...MYSQL_TOOL, runs: oneRun((t) => parseSysbenchOltp(t)) },
    {
        workload: "mysql",
        environment: "docker-host",
        files: { dir: `${MYSQL_DIR}/docker`, name: RECORDS },
        ...MYSQL_TOOL,
        runs: oneRun((t) => parseSysbenchOltp(t)),
    },
    {
        workload: "mysql",
        environment: "docker-nat",
        files: { dir: `${MYSQL_DIR}/docker-nofs`, name: RECORDS },
        ...MYSQL_TOOL,
        runs: oneRun((t) => parseSysbenchOltp(t)),
    },
    {
        workload: "mysql",
        environment: "docker-nat-unionfs",
        files: { dir: `${MYSQL_DIR}/docker-nofs-nonet`, name: RECORDS },
        ...MYSQL_TOOL,
        runs: oneRun((t) => parseSysbenchOltp(t)),
    },
    {
        workload: "mysql",
        environment: "kvm-mysql",
        files: { dir: `${MYSQL_DIR}/KVM`, name: RECORDS },
        ...MYSQL_TOOL,
        runs: oneRun((t) => parseSysbenchOltp(t)),
    },
    { workload: "redis", environment: "native", files: { dir: "redis/results", name: /^run_native_.*\.txt$/ }, ...REDIS_TOOL, runs: redisRuns },
    {
        workload: "redis",
        environment: "docker-host-unionfs",
        files: { dir: "redis/results", name: /^run_dockerhost_.*\.txt$/ },
        ...REDIS_TOOL,
        runs: redisRuns,
    },
    {
        workload: "redis",
        environment: "docker-nat-unionfs",
        files: { dir: "redis/results", name: /^run_dockerbridge_.*\.txt$/ },
        ...REDIS_TOOL,
        runs: redisRuns,
    },
    { workload: "redis", environment: "kvm-1cpu", files: { dir: "redis/results", name: /^run_vm_.*\.txt$/ }, ...REDIS_TOOL, runs: redisRuns },
];

/** The files of one source among the checkout's files (sorted), as the manifest names them. */
export function sourceFiles(s: Pick<Source, "files">, available: readonly string[]): string[] {
    if (Array.isArray(s.files)) return [...s.files];
    const { dir, name } = s.files as { dir: string; name: RegExp };
    return available.filter((p) => p.startsWith(`${dir}/`) && name.test(p.slice(dir.length + 1)) && !p.slice(dir.length + 1).includes("/")).sort();
}

/**
 * The files the import needs that are missing from `available`: every fixed path, and at least
 * one file for every pattern. Empty for a checkout of the repository.
 */
export function missingSources(available: readonly string[]): string[] {
    const have = new Set(available);
    const missing: string[] = [];
    for (const s of FELTER2014_SOURCES) {
        if (Array.isArray(s.files)) missing.push(...s.files.filter((f) => !have.has(f)));
        else if (sourceFiles(s, available).length === 0) {
            const { dir, name } = s.files as { dir: string; name: RegExp };
            missing.push(`${dir}/${name.source.replace(/^\^|\$$/g, "")}`);
        }
    }
    return [...new Set(missing)];
}

/** "k=v;k=v" of a point, in isobench's params form. */
const paramsOf = (point?: Readonly<Record<string, number | string>>) =>
    Object.entries(point ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(";");

export interface Felter2014Import {
    readonly samples: readonly Sample[];
    /** Runs left out, one line each: file, run, why. */
    readonly skipped: readonly string[];
}

/** The samples of the authors' logs. `files` maps repository-relative paths to their text. */
export function importFelter2014(files: ReadonlyMap<string, string>, host = "arldcn24"): Felter2014Import {
    const available = [...files.keys()];
    const samples: Sample[] = [];
    const skipped: string[] = [];
    const repetitions = new Map<string, number>();
    for (const s of FELTER2014_SOURCES) {
        const env = FELTER2014_ENVIRONMENTS[s.environment];
        for (const file of sourceFiles(s, available)) {
            const text = files.get(file);
            if (text === undefined) throw new Error(`${file}: not in the checkout (the import needs it for ${s.workload} on ${s.environment})`);
            let parsed: { runs: Run[]; skipped: string[] };
            let version: string;
            try {
                parsed = s.runs(text);
                version = typeof s.version === "string" ? s.version : s.version(text);
            } catch (e) {
                throw new Error(`${file}: ${(e as Error).message}`, { cause: e });
            }
            skipped.push(...parsed.skipped.map((l) => `${file} ${l}`));
            for (const run of parsed.runs) {
                const rep = (repetitions.get(s.workload) ?? 0) + 1;
                repetitions.set(s.workload, rep);
                const cell = `${s.workload}.${s.environment}.r${rep}`;
                for (const m of run.measurements) {
                    samples.push({
                        run_id: FELTER2014_RUN_ID,
                        stack: FELTER2014_RUN_ID,
                        cell_id: cell,
                        environment: s.environment,
                        env_kind: env.env_kind,
                        variant: env.variant,
                        workload: s.workload,
                        params: paramsOf(m.point),
                        repetition: rep,
                        metric: m.metric,
                        value: m.value,
                        unit: m.unit,
                        better: m.better as Better,
                        // Not in the logs in a form worth converting: the notes say which run it was.
                        started_at: "",
                        duration_s: "" as unknown as number,
                        tool: s.tool,
                        tool_version: version,
                        accel: env.accel,
                        host,
                        kernel: "",
                        cpu_model: "",
                        notes: `imported from ${FELTER2014_REPOSITORY} ${file}, ${run.where}`,
                        fingerprint: "",
                        controller: "",
                    });
                }
            }
        }
    }
    // A file read by two sources (vm.log: untuned and tuned runs) reports its unusable runs once.
    return { samples, skipped: [...new Set(skipped)] };
}
