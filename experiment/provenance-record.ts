/**
 * Writes a run's provenance/ (core/provenance.ts: what each file holds) when an `up` pass starts
 * measuring: the Pulumi program calls recordRunProvenance before it declares the first resource,
 * so a plain `pulumi up` records it too. Each pass appends a row to passes.csv; a pass that finds
 * another commit, image, spec or stack file than the one recorded sets the earlier files aside in
 * superseded/<k>/, so no history is lost. Gathering never fails a run: what cannot be asked (no
 * git work tree, no docker) is recorded as unknown, with why.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "../core/files";
import {
    PASS_COLUMNS,
    PROVENANCE_FORMAT,
    describeCheckout,
    provenanceFiles,
    type CheckoutState,
    type GuestImageRecord,
    type ImagesRecord,
    type PassRow,
    type ProvenanceRecord,
    type SoftwareRecord,
} from "../core/provenance";
import { imageState, type ImageStateFile } from "../core/paths";
import { isGuest } from "../core/environment-spec";
import { attempt, combinedOutput } from "../environments/process";
import { Transport, transportTo } from "../environments/transport";
import { LOCAL_TARGET } from "../core/transport";
import { pulumiAvailable } from "./pulumi-cli";
import { imageRecordOn } from "./host";
import type { HostContext } from "./program";
import type { ExperimentSpec } from "./spec";
import { changedTexts, dirtyFiles, effectiveParams, installedVersions, packageList, redactStackFile, sha256, type ProvenanceTexts } from "./provenance";

/** Dirty files listed by name; more are counted. */
const MAX_DIRTY_FILES = 200;

function packageVersion(file: string): string {
    try {
        return String((JSON.parse(fs.readFileSync(file, "utf8")) as { version?: unknown }).version ?? "unknown");
    } catch {
        return "unknown";
    }
}

/** The checkout's commit and what differs from it; "unknown" with why where git cannot tell (a copy without .git). */
export function checkoutState(repoRoot: string): CheckoutState {
    const version = packageVersion(path.join(repoRoot, "package.json"));
    const git = (...args: string[]) => attempt(["git", "-C", repoRoot, ...args], 30);
    const unknown = (why: string): CheckoutState => ({ commit: "unknown", dirty: "unknown", dirtyFiles: [], why, version });
    const top = git("rev-parse", "--show-toplevel");
    if (top.error) return unknown(`git did not run: ${top.error}`);
    if (top.status !== 0) return unknown(`not a git work tree (${combinedOutput(top).split("\n")[0]})`);
    // A copy without .git unpacked inside another repository must not take that repository's commit.
    if (fs.realpathSync(top.stdout.trim()) !== fs.realpathSync(repoRoot)) return unknown("the checkout has no .git of its own");
    const head = git("rev-parse", "HEAD");
    if (head.status !== 0) return unknown(`git rev-parse HEAD: ${combinedOutput(head).split("\n")[0]}`);
    const status = git("status", "--porcelain=v1", "-z", "--untracked-files=all");
    if (status.status !== 0) return { ...unknown(`git status: ${combinedOutput(status).split("\n")[0]}`), commit: head.stdout.trim() };
    const files = dirtyFiles(status.stdout);
    const stat = git("diff", "--shortstat", "HEAD", "--", ".", ":(exclude)stacks/Pulumi.*.yaml").stdout.trim();
    return {
        commit: head.stdout.trim(),
        dirty: files.length > 0,
        dirtyFiles: files.slice(0, MAX_DIRTY_FILES),
        ...(files.length > MAX_DIRTY_FILES ? { dirtyCount: files.length } : {}),
        ...(stat ? { diffStat: stat } : {}),
        version,
    };
}

export function softwareRecord(repoRoot: string, env: NodeJS.ProcessEnv): SoftwareRecord {
    let sdk = "unknown";
    try {
        sdk = packageVersion(require.resolve("@pulumi/pulumi/package.json", { paths: [repoRoot] }));
    } catch {
        // not installed: unknown
    }
    return { node: process.version, pulumiCli: pulumiAvailable(env) ?? "unknown (pulumi version did not run)", pulumiSdk: sdk };
}

/** The versions of images/packages.txt's packages on the machine under test; {} where dpkg-query does not run (not Debian). */
export function hostPackages(repoRoot: string, machine: Transport): Record<string, string> {
    let list: string[];
    try {
        list = packageList(fs.readFileSync(path.join(repoRoot, "images", "packages.txt"), "utf8"));
    } catch {
        return {};
    }
    const r = machine.attempt(["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Status}\t${Version}\n", ...list], 30);
    // dpkg-query exits 1 when some package is not installed, and still lists the others.
    return r.error ? {} : installedVersions(r.stdout, list);
}

/** The guest images' folders by their record file's name, and the container image's tag, that a run uses. */
export interface ImagesUsed {
    readonly container?: string;
    readonly guests: Partial<Record<Exclude<ImageStateFile, "container-image">, string>>;
}

/** The images the program was given (HostContext): the folders of the guest images, the container's tag. */
export function imagesOfHost(host: HostContext): ImagesUsed {
    const guests: Record<string, string> = {};
    if (host.guestImage.disk) guests["guest-image"] = path.dirname(host.guestImage.disk);
    if (host.guestImageDocker) guests["guest-image-docker"] = path.dirname(host.guestImageDocker.disk);
    if (host.guestImageBootloader) guests["guest-image-bootloader"] = path.dirname(host.guestImageBootloader.disk);
    return { ...(host.containerImage ? { container: host.containerImage } : {}), guests };
}

/**
 * The images a spec would use on `machine`, from the image records (.state/images/*), as
 * gatherHost chooses them: the container image this checkout records, the guest images the
 * machine that runs them records.
 */
export function imagesOfState(machine: Transport, stateDir: string, spec: ExperimentSpec): ImagesUsed {
    const kinds = new Set(spec.environmentSpecs.map((e) => e.kind));
    const guests: Record<string, string> = {};
    const add = (file: Exclude<ImageStateFile, "container-image">) => {
        const v = imageRecordOn(machine, stateDir, file).value;
        if (v) guests[file] = v;
    };
    if (kinds.has("kvm") || kinds.has("docker-in-kvm")) add("guest-image");
    if (kinds.has("docker-in-kvm")) add("guest-image-docker");
    if (spec.environmentSpecs.some((e) => isGuest(e) && e.kvm.boot === "bootloader")) add("guest-image-bootloader");
    const container = kinds.has("docker") || kinds.has("docker-in-kvm") ? imageState(stateDir, "container-image").value : undefined;
    return { ...(container ? { container } : {}), guests };
}

/** The small files of a guest image folder worth hashing; the disk (about 1 GB) is too slow to hash every pass. */
const HASHED_GUEST_FILES = ["vmlinuz", "initrd.img", "manifest", "loader.conf"];
/** build-info keys worth keeping (not the mirror's address). */
const BUILD_INFO_KEYS = ["hash", "kernel", "built_at", "suite", "extra_packages", "base"];

/**
 * A guest image folder's record, read on the machine that holds it (a remote target's images are
 * built there): its build-info, the hashes of its small files and the disk's size, in one round trip.
 */
function guestImageRecord(machine: Transport, folder: string): GuestImageRecord {
    const script =
        'cd "$1" || exit 0; shift; sed -n "s/^/info /p" build-info 2>/dev/null; for f; do [ -f "$f" ] && sha256sum -- "$f"; done; [ -f disk.qcow2 ] && stat -c "size %s" disk.qcow2; true';
    const r = machine.attempt(["/bin/sh", "-c", script, "sh", folder, ...HASHED_GUEST_FILES], 120);
    const lines = r.status === 0 ? r.stdout.split("\n") : [];
    const build = Object.fromEntries(
        lines
            .map((l) => /^info ([a-z_]+)=(.*)$/.exec(l))
            .filter((m): m is RegExpExecArray => m !== null && BUILD_INFO_KEYS.includes(m[1]))
            .map((m) => [m[1], m[2]]),
    );
    const hashes = Object.fromEntries(
        lines.map((l) => /^([0-9a-f]{64}) {2}(.+)$/.exec(l)).flatMap((m) => (m && HASHED_GUEST_FILES.includes(m[2]) ? [[m[2], m[1]]] : [])),
    );
    const size = lines.map((l) => /^size (\d+)$/.exec(l)).find((m) => m !== null);
    return { name: path.basename(folder), build, sha256: hashes, ...(size ? { diskBytes: Number(size[1]) } : {}) };
}

/** @param machine whose Docker daemon holds the container image and whose disk the guest images */
export function imagesRecord(used: ImagesUsed, machine: Transport): ImagesRecord {
    let container: ImagesRecord["container"];
    if (used.container) {
        const r = machine.attempt(["docker", "image", "inspect", "--format", "{{.Id}}", used.container], 30);
        container = { tag: used.container, id: r.status === 0 ? r.stdout.trim() : `unknown (docker image inspect: ${combinedOutput(r).split("\n")[0]})` };
    }
    const guests = Object.fromEntries(Object.entries(used.guests).map(([kind, folder]) => [kind, guestImageRecord(machine, folder)]));
    return { ...(container ? { container } : {}), guests };
}

function readIfThere(file: string): string | undefined {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** The next free number under superseded/. */
function nextSuperseded(dir: string): string {
    const taken = fs.existsSync(dir)
        ? fs
              .readdirSync(dir)
              .filter((n) => /^\d+$/.test(n))
              .map(Number)
        : [];
    return path.join(dir, String(Math.max(0, ...taken) + 1));
}

/**
 * Writes the texts into `resultsDir`/provenance and appends this pass to passes.csv. What the
 * texts replace is moved into superseded/<k>/ first, never overwritten.
 * @returns what changed since the pass before ([] when nothing did or this is the first)
 */
export function writeProvenance(
    resultsDir: string,
    texts: Pick<ProvenanceTexts, "record"> & Partial<ProvenanceTexts>,
    pass: Omit<PassRow, "changed" | "at">,
    now: Date = new Date(),
): { first: boolean; changed: string[] } {
    const files = provenanceFiles(resultsDir);
    fs.mkdirSync(files.dir, { recursive: true });
    const byText = { record: files.record, stackFile: files.stackFile, spec: files.spec } as const;
    const before: Partial<ProvenanceTexts> = Object.fromEntries(
        (Object.keys(byText) as Array<keyof typeof byText>).flatMap((k) => {
            const t = readIfThere(byText[k]);
            return t === undefined ? [] : [[k, t]];
        }),
    );
    const first = !fs.existsSync(files.passes);
    const changed = changedTexts(before, texts);
    if (changed.length > 0) {
        const to = nextSuperseded(files.superseded);
        fs.mkdirSync(to, { recursive: true });
        for (const f of Object.values(byText)) if (fs.existsSync(f)) fs.renameSync(f, path.join(to, path.basename(f)));
        fs.writeFileSync(path.join(to, "why.txt"), `${now.toISOString()} set aside by a later pass that changed ${changed.join(", ")}\n`);
    }
    for (const k of Object.keys(byText) as Array<keyof typeof byText>) {
        const t = texts[k];
        if (t !== undefined) writeFileAtomic(byText[k], t);
    }
    const row: PassRow = { ...pass, at: now.toISOString(), changed: first ? "first pass" : changed.length ? changed.join(" ") : "nothing" };
    fs.appendFileSync(files.passes, stringify([PASS_COLUMNS.map((c) => row[c])], first ? { header: true, columns: [...PASS_COLUMNS] } : {}));
    return { first, changed };
}

/** The JSON form every provenance file uses. */
export const provenanceJson = (v: unknown) => `${JSON.stringify(v, null, 2)}\n`;

/**
 * Records what defines the run into its results folder: called by the Pulumi program on every
 * `up` pass (not a preview) before any resource is declared.
 * @param stackFile the stack file Pulumi read
 * @returns the line for progress.log
 */
export function recordRunProvenance(
    spec: ExperimentSpec,
    host: HostContext,
    resultsDir: string,
    stackFile: string,
    env: NodeJS.ProcessEnv = process.env,
): string {
    const isobench = checkoutState(host.repoRoot);
    const machine = transportTo(host.target ?? LOCAL_TARGET);
    const record: ProvenanceRecord = {
        format: PROVENANCE_FORMAT,
        kind: "run",
        stack: spec.stack,
        runId: spec.runId,
        isobench,
        software: softwareRecord(host.repoRoot, env),
        images: imagesRecord(imagesOfHost(host), machine),
        hostPackages: hostPackages(host.repoRoot, machine),
        workloadParams: effectiveParams(spec),
        hostFacts: "host.csv",
    };
    let stackText: string;
    try {
        stackText = redactStackFile(fs.readFileSync(stackFile, "utf8"), spec.stack).text;
    } catch (e) {
        stackText = `# stacks/Pulumi.${spec.stack}.yaml could not be read when recorded: ${(e as Error).message}\n`;
    }
    const texts: ProvenanceTexts = { record: provenanceJson(record), stackFile: stackText, spec: provenanceJson(spec) };
    const { changed } = writeProvenance(resultsDir, texts, {
        isobench_commit: isobench.commit,
        dirty: String(isobench.dirty),
        host: machine.identity().host,
        stack_file_sha256: sha256(texts.stackFile),
        spec_sha256: sha256(texts.spec),
    });
    return `provenance: isobench ${describeCheckout(isobench)} recorded in provenance/${changed.length ? ` (changed since the last pass: ${changed.join(", ")}; the earlier record is in provenance/superseded/)` : ""}`;
}
