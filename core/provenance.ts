/**
 * The provenance/ folder of a results folder: what defined the run, so that it can be read, judged
 * and run again (`isobench up --from`). Written by experiment/provenance-record.ts when `up`
 * starts measuring (and by `isobench import`), read by `up --from` and by `analyze --compare`.
 *
 *   provenance/provenance.json  the record (ProvenanceRecord): isobench's commit and dirty files,
 *                               images, Pulumi and Node versions; host facts and tool versions are
 *                               host.csv's (not copied)
 *   provenance/stack.yaml       the stack file as run, its secrets removed
 *   provenance/spec.json        the resolved spec (defaults applied) the program used
 *   provenance/passes.csv       one row per `up` pass of the run: when, commit, dirty, what changed
 *   provenance/rerun-of.json    a re-run only: the run it repeats (RerunOf)
 *   provenance/superseded/<k>/  earlier records, stack files and specs a later pass replaced
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "csv-parse/sync";

export const PROVENANCE_DIR = "provenance";
export const PROVENANCE_FORMAT = "isobench-provenance/1";

export const provenanceFiles = (resultsDir: string) => {
    const dir = path.join(resultsDir, PROVENANCE_DIR);
    return {
        dir,
        record: path.join(dir, "provenance.json"),
        stackFile: path.join(dir, "stack.yaml"),
        spec: path.join(dir, "spec.json"),
        passes: path.join(dir, "passes.csv"),
        rerunOf: path.join(dir, "rerun-of.json"),
        superseded: path.join(dir, "superseded"),
    };
};

/** The columns of passes.csv, one row per `up` pass (and one per import). */
export const PASS_COLUMNS = ["at", "isobench_commit", "dirty", "host", "stack_file_sha256", "spec_sha256", "changed"] as const;
export type PassRow = Readonly<Record<(typeof PASS_COLUMNS)[number], string>>;

/** The checkout that ran: "unknown" (with why) where there is no git work tree to ask. */
export interface CheckoutState {
    readonly commit: string;
    readonly dirty: boolean | "unknown";
    /** Changed and untracked files (stack files left out: the stack file as run is recorded itself). */
    readonly dirtyFiles: readonly string[];
    /** How many dirty files there were when dirtyFiles was cut short. */
    readonly dirtyCount?: number;
    /** `git diff --shortstat HEAD` of the tracked changes. */
    readonly diffStat?: string;
    readonly why?: string;
    /** package.json version. */
    readonly version: string;
}

/** A built guest image as its build recorded it (images/build-guest-image.sh: build-info) and what is cheap to hash. */
export interface GuestImageRecord {
    /** The image folder's name, .cache/images/<name>: guest-<hash of its inputs>. */
    readonly name: string;
    /** build-info's hash, kernel, built_at, suite, extra_packages. */
    readonly build: Readonly<Record<string, string>>;
    /** sha256 of the small files (vmlinuz, initrd.img, manifest, loader.conf); the disk by size alone. */
    readonly sha256: Readonly<Record<string, string>>;
    readonly diskBytes?: number;
}

export interface ImagesRecord {
    /** The benchmark container image: its tag (a hash of its inputs) and Docker's image ID. */
    readonly container?: { readonly tag: string; readonly id: string };
    /** By the record file that names them (.state/images/<kind>): guest-image, guest-image-docker, guest-image-bootloader. */
    readonly guests: Readonly<Record<string, GuestImageRecord>>;
}

export interface SoftwareRecord {
    readonly node: string;
    readonly pulumiCli: string;
    readonly pulumiSdk: string;
}

/** Where imported data came from (isobench import). */
export interface ImportSource {
    readonly repository: string;
    readonly commit: string;
    readonly committedAt?: string;
    /** The machine the data was measured on, as the source says. */
    readonly host: string;
    readonly command: string;
    /** How many files were read, and sha256 over their sorted names and contents' sha256. */
    readonly files: number;
    readonly filesSha256: string;
}

export interface ProvenanceRecord {
    readonly format: typeof PROVENANCE_FORMAT;
    /** run: measured by `isobench up`; import: published data read by `isobench import`. */
    readonly kind: "run" | "import";
    readonly stack: string;
    readonly runId: string;
    readonly isobench: CheckoutState;
    readonly software: SoftwareRecord;
    readonly images: ImagesRecord;
    /**
     * The host's versions of the benchmark tools (images/packages.txt; dpkg), which native cells
     * run: the images pin the container's and guests' tools, nothing else pins the host's.
     */
    readonly hostPackages?: Readonly<Record<string, string>>;
    /** Each workload's parameters with its defaults filled in, as the cells ran them. */
    readonly workloadParams: Readonly<Record<string, Readonly<Record<string, number | string>>>>;
    /** Host settings, kernel, CPU and tool versions: recorded in this file of the results folder, not here. */
    readonly hostFacts: string;
    readonly source?: ImportSource;
}

/** provenance/rerun-of.json: the run a re-run repeats, as `isobench up --from` found it. */
export interface RerunOf {
    /** The folder given to --from, as given. */
    readonly from: string;
    readonly stack: string;
    readonly runId: string;
    readonly commit: string;
    readonly dirty: boolean | "unknown";
    readonly host: string;
    readonly startedAt: string;
}

function readJson(file: string): unknown {
    return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
}

/** host.csv as fact → value, with the host's name and when it was measured; empty when absent or unreadable. */
export function readHostCsv(resultsDir: string): { facts: Record<string, string>; host?: string; measuredAt?: string } {
    const file = path.join(resultsDir, "host.csv");
    try {
        const rows: Array<Record<string, string>> = parse(fs.readFileSync(file, "utf8"), { columns: true });
        const facts = Object.fromEntries(rows.map((r) => [r.fact, r.value]));
        return { facts, ...(rows[0]?.host ? { host: rows[0].host } : {}), ...(rows[0]?.measured_at ? { measuredAt: rows[0].measured_at } : {}) };
    } catch {
        return { facts: {} };
    }
}

/** passes.csv's rows, oldest first; [] when absent or unreadable. */
export function readPasses(resultsDir: string): PassRow[] {
    try {
        return parse(fs.readFileSync(provenanceFiles(resultsDir).passes, "utf8"), { columns: true }) as PassRow[];
    } catch {
        return [];
    }
}

/** What a comparison says about where a run came from (analyze --compare's header). */
export interface RunOrigin {
    readonly dir: string;
    /** "abc1234 (clean)", "abc1234 (dirty: 3 files)", or why it is not known. */
    readonly isobench: string;
    readonly host: string;
    /** When its first `up` pass started (or the import was made), ISO 8601 or "unknown". */
    readonly date: string;
    /** "re-run of <stack>/<runId>", "import of <repository> <commit>", … */
    readonly note?: string;
}

const short = (commit: string) => (/^[0-9a-f]{40}$/.test(commit) ? commit.slice(0, 12) : commit);

/** "abc1234 (clean)" / "(dirty: n files)" / "unknown (why)". */
export function describeCheckout(c: Pick<CheckoutState, "commit" | "dirty" | "dirtyFiles" | "dirtyCount" | "why">): string {
    if (c.commit === "unknown") return `unknown${c.why ? ` (${c.why})` : ""}`;
    if (c.dirty === "unknown") return `${short(c.commit)} (dirty: unknown)`;
    return `${short(c.commit)} (${c.dirty ? `dirty: ${c.dirtyCount ?? c.dirtyFiles.length} file(s)` : "clean"})`;
}

/**
 * Where a results folder came from, tolerant of every older layout: a run without provenance/
 * says so and still shows its host and date from host.csv or progress.log.
 */
export function readRunOrigin(resultsDir: string): RunOrigin {
    const files = provenanceFiles(resultsDir);
    const hostCsv = readHostCsv(resultsDir);
    const passes = readPasses(resultsDir);
    const firstLog = (() => {
        try {
            return /^(\S+)\s/.exec(fs.readFileSync(path.join(resultsDir, "progress.log"), "utf8"))?.[1];
        } catch {
            return undefined;
        }
    })();
    const date = passes[0]?.at || hostCsv.measuredAt || firstLog || "unknown";
    const hostOf = () => {
        const f = hostCsv.facts;
        const detail = [f.cpu_model, f.cpus ? `${f.cpus} CPUs` : "", f.kernel ? `Linux ${f.kernel}` : ""].filter(Boolean).join(", ");
        const name = hostCsv.host ?? passes[0]?.host;
        return name ? `${name}${detail ? ` (${detail})` : ""}` : "not recorded";
    };
    if (!fs.existsSync(files.record)) {
        return { dir: resultsDir, isobench: "not recorded (the run predates provenance)", host: hostOf(), date };
    }
    let record: ProvenanceRecord;
    try {
        record = readJson(files.record) as ProvenanceRecord;
    } catch (e) {
        return { dir: resultsDir, isobench: `unreadable ${files.record}: ${(e as Error).message}`, host: hostOf(), date };
    }
    const isobench = record.isobench ? describeCheckout(record.isobench) : "not recorded";
    if (record.kind === "import" && record.source) {
        const s = record.source;
        return {
            dir: resultsDir,
            isobench,
            host: s.host,
            date: s.committedAt ? `${s.committedAt} (the logs' commit)` : date,
            note: `import of ${s.repository} at ${short(s.commit)}`,
        };
    }
    let note: string | undefined;
    if (fs.existsSync(files.rerunOf)) {
        try {
            const r = readJson(files.rerunOf) as RerunOf;
            note = `re-run of ${r.stack}/${r.runId} (isobench up --from)`;
        } catch {
            note = `re-run (unreadable ${files.rerunOf})`;
        }
    }
    return { dir: resultsDir, isobench, host: hostOf(), date, ...(note ? { note } : {}) };
}
