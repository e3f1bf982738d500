/**
 * What a stack's plan may write to disk, per host path, and whether each guest's own root
 * filesystem can hold what its workloads write there. Pure: experiment/host.ts gathers the facts
 * (free space per filesystem, the guest images' sizes, the guest disks and cells that exist
 * already) and refuses the stack before anything is created, because a filesystem that fills
 * mid-run loses a finished measurement (its raw output cannot be written) or pauses a guest
 * (QEMU stops it on ENOSPC), hours after the refusal could have been given.
 *
 * The data files are bounds: each workload says how large its files are (Workload.dataFootprint),
 * the plan says where and how often they are written. Results and the guests' own writes are
 * allowances, named below with why they are that large.
 */
import * as path from "path";
import type { EnvironmentSpec, ExperimentSpec } from "./spec";
import { isGuest, type GuestEnvironmentSpec } from "../core/environment-spec";
import { planCells } from "./plan";
import { getWorkload } from "../workloads";
import { instanceSweep } from "../workloads/instances";
import type { DataFootprint } from "../workloads/workload";
import { diskFileName } from "../environments/kvm/guest-files";
import { nativeDataDir } from "../environments/exec-target";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/**
 * Results of one cell not measured yet: raw output, server log, CSV and progress lines. An
 * allowance, not a bound (tool output has no fixed length): the largest cell of the shipped runs
 * (docs/results: sysbench-fileio in a guest) wrote 61 kB of raw output and a 30 kB CSV; 1 MiB is
 * ten times that, for the study-sized parameters (felter2014's 15-point mysql sweep of 60 s per
 * point, its redis sweeps) printing more than the quick-scale runs shipped, and for a server log.
 */
export const CELL_RESULTS_BYTES = 1 * MiB;

/**
 * The analysis at the end of every `up` (summary, plots, report.html), per planned cell, since it
 * is written again over all of them: the shipped runs wrote 66 kB per cell (felter2014-small: 6.7
 * MB for 102 cells), and the report inlines every plot. An allowance of four times that.
 */
export const ANALYSIS_BYTES_PER_CELL = 256 * KiB;

/**
 * What a guest writes to its disk by itself while it is up (boot, journald, SSH host keys, the
 * guest's dockerd), beside the workloads' files, and the serial log beside its disk. An allowance:
 * journald alone may keep up to 10% of the filesystem; a booted guest's overlay held 3.4 MiB
 * (test/fixtures/disk-boot/qemu-img-info-overlay.json).
 */
export const GUEST_OWN_WRITES = 256 * MiB;

/**
 * Kept free on every filesystem the plan writes to, beyond its estimate: for what else writes
 * there while the run lasts (journald, dockerd and libvirt's own files, Pulumi's state checkpoints
 * under .state, other users of the host) and for the parts of the estimate that are allowances. A
 * full filesystem fails all of them at once, and isobench runs as root, for whom ext4's reserved
 * blocks are no protection.
 */
export const DISK_MARGIN_BYTES = 1 * GiB;

/**
 * ext4's share of the room resize2fs adds to a guest's root filesystem: per 128 MiB block group
 * an inode table of 2 MiB plus bitmaps (1.6%), rounded up.
 */
const RESIZE_OVERHEAD = 1 / 32;

/** qcow2's tables beside the data it holds: 10 bytes per 64 KiB cluster (L2 entry, refcount) and a few clusters of header, bounded. */
function qcow2Metadata(capacity: number): number {
    return Math.ceil(capacity / 4096) + MiB;
}

/** A guest image as the host preflight read it. */
export interface GuestImageFacts {
    readonly path: string;
    /** The disk's size as the guest sees it (qemu-img info virtual-size). */
    readonly virtualBytes: number;
    /** Bytes the image file takes on the host (qemu-img info actual-size): what a raw copy of it starts with. */
    readonly allocatedBytes: number;
    /** Free bytes of its root filesystem (the ext4 superblock); undefined when they could not be read. */
    readonly rootFreeBytes?: number;
}

/** direct: the guest image; docker: the one with the Docker engine (docker-in-kvm); bootloader: boot: bootloader's. */
export type GuestImageKind = "direct" | "docker" | "bootloader";

export interface DiskFacts {
    /** Results of all stacks (core/paths.ts resultsRoot). */
    readonly resultsRoot: string;
    /** Guest disks of all stacks (core/paths.ts guestsDir). */
    readonly guestsDir: string;
    /** Docker's data root (docker info DockerRootDir), where volumes and container layers live; set when the stack has docker environments. */
    readonly dockerRootDir?: string;
    readonly images: Readonly<Partial<Record<GuestImageKind, GuestImageFacts>>>;
    /** Bytes of the benchmark container image (docker image inspect Size), which a docker-in-kvm guest loads onto its disk. */
    readonly containerImageBytes?: number;
    /** Bytes the guest disks that exist already (a resumed run) take on the host, by path. */
    readonly existingDisks: ReadonlyMap<string, number>;
    /** Cells whose CSV exists: a resumed run does not measure them again. */
    readonly measured: ReadonlySet<string>;
}

/** Bytes the plan may write under one host path. */
export interface DiskNeed {
    /** Where, on the host; the filesystem is that of its nearest existing folder. */
    readonly path: string;
    readonly bytes: number;
    /** Which part of the plan writes it, and how the bytes were counted. */
    readonly what: string;
    /** Stack keys whose values set the bytes: lowering one lowers them. */
    readonly keys: readonly string[];
}

export interface DiskPlan {
    readonly needs: readonly DiskNeed[];
    /** Guests whose own root filesystem cannot hold what their workloads write there, one line each. */
    readonly guestProblems: readonly string[];
}

/**
 * A byte count as a person reads it, rounded the way that keeps the message true: "up" for what
 * is needed, "down" for what is free, "near" for a size that is neither.
 */
export function formatBytes(bytes: number, round: "up" | "down" | "near" = "up"): string {
    if (bytes < KiB) return `${Math.round(bytes)} B`;
    const [unit, name] = bytes >= GiB ? [GiB, "GiB"] : bytes >= MiB ? [MiB, "MiB"] : [KiB, "KiB"];
    const tenths = { up: Math.ceil, down: Math.floor, near: Math.round }[round]((bytes / unit) * 10);
    return `${(tenths / 10).toFixed(1)} ${name}`;
}

/** One workload's files in one environment. */
interface Files {
    readonly workload: string;
    readonly fp: DataFootprint;
    /** isobench:workloads.<i>.params.<param> */
    readonly key: string;
    /** The param's value as the stack sets it, or its default. */
    readonly value: string;
    /** Simultaneous instances writing them (an instances sweep's largest count). */
    readonly instances: number;
    /** Cells of this workload in the environment still to be measured. */
    readonly missing: number;
    /** Clones a cell makes (guests: each a fresh overlay beside the original's disk). */
    readonly clones: number;
}

const LIFETIME: Readonly<Record<DataFootprint["lifetime"], string>> = {
    cell: "removed after each cell",
    replaced: "kept until its next cell replaces it",
    reused: "kept and reused by later cells",
};

/** @param instances how many copies of the files share the filesystem described (a guest's clones have their own disks) */
function describeFiles(f: Files, instances = f.instances): string {
    const times = instances > 1 ? ` × ${instances} instances at once` : "";
    return `${f.workload} ${formatBytes(f.fp.bytes)}${times} (${f.key} = ${f.value}; ${LIFETIME[f.fp.lifetime]}${f.fp.rough ? `; rough: ${f.fp.rough}` : ""})`;
}

/** What lies in one filesystem at once: every file that stays, and the largest of those removed after their cell. */
function occupancy(files: readonly Files[], scale: (f: Files) => number): { bytes: number; counted: Files[] } {
    const staying = files.filter((f) => f.fp.lifetime !== "cell");
    const largest = files.filter((f) => f.fp.lifetime === "cell").sort((a, b) => b.fp.bytes * scale(b) - a.fp.bytes * scale(a))[0];
    const counted = largest ? [...staying, largest] : staying;
    return { bytes: counted.reduce((s, f) => s + f.fp.bytes * scale(f), 0), counted };
}

/** The workloads' files in environment `e`, one entry per workload that writes any there. */
function filesIn(spec: ExperimentSpec, e: EnvironmentSpec, measured: ReadonlySet<string>, cells: ReturnType<typeof planCells>): Files[] {
    return spec.workloads.flatMap((w, i) => {
        const wl = getWorkload(w.name);
        const params = { ...wl.defaults, ...w.params };
        const mine = cells.filter((c) => c.environment === e.name && c.workload.name === w.name);
        const fp = wl.dataFootprint?.(params);
        const sweep = instanceSweep(w.name, params);
        const most = Math.max(1, ...(sweep ?? []));
        const clones = wl.needsClones ? most : most - 1;
        if (mine.length === 0 || (!fp && clones === 0)) return [];
        const none: DataFootprint = { bytes: 0, param: "", lifetime: "cell", largestFitting: () => undefined };
        return [
            {
                workload: w.name,
                fp: fp ?? none,
                key: fp ? `isobench:workloads.${i}.params.${fp.param}` : `isobench:workloads.${i}.params.instances`,
                value: fp ? `${params[fp.param]}${w.params[fp.param] === undefined ? ", the default" : ""}` : String(params.instances),
                instances: wl.needsClones ? 1 : most,
                missing: mine.filter((c) => !measured.has(c.id)).length,
                clones,
            },
        ];
    });
}

/** What one workload writes in one environment: for the plan's table (experiment/resource-plan.ts). */
export interface WorkloadWrites {
    readonly environment: string;
    readonly workload: string;
    /** Bytes its files take there at most at once, all simultaneous instances together. */
    readonly bytes: number;
    /** The files, the key that sizes them and how long they stay, as a person reads it. */
    readonly describe: string;
}

/** What each workload writes in each environment it runs in, in stack order; workloads that write nothing worth counting are left out. */
export function workloadWrites(spec: ExperimentSpec): WorkloadWrites[] {
    const cells = planCells(spec);
    return spec.environmentSpecs.flatMap((e) =>
        filesIn(spec, e, new Set(), cells)
            .filter((f) => f.fp.bytes > 0)
            .map((f) => ({ environment: e.name, workload: f.workload, bytes: f.fp.bytes * f.instances, describe: describeFiles(f) })),
    );
}

type Guest = GuestEnvironmentSpec;

function imageOf(g: Guest): GuestImageKind {
    return g.kind === "docker-in-kvm" ? "docker" : g.kvm.boot === "bootloader" ? "bootloader" : "direct";
}

/**
 * Room a docker-in-kvm guest's disk gets for the benchmark image it loads (686 MB with every study
 * tool, unpacked next to its tar stream): the guest image's root filesystem has about 1.5 GB free.
 */
export const DOCKER_IMAGE_ROOM_BYTES = 5 * GiB;

/** How much a guest's disk grows beyond its base image, and why. */
export interface GuestDiskGrowth {
    /** Bytes added to the base image's virtual size (whole GiB); 0: the disk stays as built. */
    readonly bytes: number;
    /** What the room is for, as environments.csv records it. */
    readonly describe: string;
}

/**
 * Free room of the base image's root filesystem that a guest's disk size counts on for its
 * workloads: the 3 GiB image has 1.5 to 1.8 GiB free (test/fixtures/guest-image). The preflight
 * checks each guest against the image's real free space (guestProblem), so an image with less is
 * refused with the numbers rather than filled.
 */
export const BASE_IMAGE_FREE_BYTES = 1 * GiB;

/**
 * A guest's disk sized to the work that runs in it: the base image as built (3 GiB), grown by what
 * its workloads keep there at once (their files as their parameters size them, disk-plan's
 * occupancy) and the guest's own writes beyond the base's BASE_IMAGE_FREE_BYTES, with ext4's share
 * of the added block groups, in whole GiB; a docker-in-kvm guest also gets DOCKER_IMAGE_ROOM_BYTES
 * for the benchmark image. The disk is made that large when the guest is created and the guest's
 * root filesystem grown to it (environments/kvm-guest.ts), so no image is rebuilt for a larger data
 * file. A bootloader guest's root is a partition that is not grown: its disk stays as built, and
 * the preflight checks its files against it.
 */
export function guestDiskGrowth(spec: ExperimentSpec, g: Guest): GuestDiskGrowth {
    if (g.kind === "kvm" && g.kvm.boot === "bootloader") return { bytes: 0, describe: "as built (a bootloader guest's root partition is not grown)" };
    const files = filesIn(spec, g, new Set(), planCells(spec)).filter((f) => f.fp.bytes > 0);
    const { bytes, counted } = occupancy(files, () => 1);
    const beyond = bytes > 0 ? Math.max(0, bytes + GUEST_OWN_WRITES - BASE_IMAGE_FREE_BYTES) : 0;
    const docker = g.kind === "docker-in-kvm" ? DOCKER_IMAGE_ROOM_BYTES : 0;
    const room = docker + Math.ceil(beyond / (1 - RESIZE_OVERHEAD) / GiB) * GiB;
    if (room === 0) return { bytes: 0, describe: "as built (its workloads' files fit the base image)" };
    const parts = [
        ...(docker ? [`the benchmark image ${formatBytes(docker)}`] : []),
        ...(beyond > 0
            ? [
                  `${counted.map((f) => describeFiles(f, 1)).join(" + ")} + the guest's own writes ${formatBytes(GUEST_OWN_WRITES)}, less the base's ${formatBytes(BASE_IMAGE_FREE_BYTES)}`,
              ]
            : []),
    ];
    return { bytes: room, describe: `+${formatBytes(room, "near")} for ${parts.join(" + ")}` };
}

/** How large the guest's disk becomes and how much of its root filesystem is free before its workloads write. */
function guestDisk(spec: ExperimentSpec, g: Guest, facts: DiskFacts): { capacity: number; rootFree?: number; describe: string } | undefined {
    const image = facts.images[imageOf(g)];
    if (!image) return undefined;
    // The bootloader image's root partition is the direct image's filesystem, copied (images/build-guest-bootloader-image.sh).
    const free = imageOf(g) === "bootloader" ? facts.images.direct?.rootFreeBytes : image.rootFreeBytes;
    const growth = guestDiskGrowth(spec, g).bytes;
    const loaded = g.kind === "docker-in-kvm" ? facts.containerImageBytes : 0;
    const rootFree = free === undefined || loaded === undefined ? undefined : free + growth * (1 - RESIZE_OVERHEAD) - loaded;
    const capacity = image.virtualBytes + growth;
    return {
        capacity,
        rootFree,
        describe:
            `guest image ${image.path}, a ${formatBytes(capacity, "near")} disk` +
            (growth > 0 ? ` (grown by ${formatBytes(growth, "near")})` : "") +
            (g.kind === "docker-in-kvm" ? `, less the ${formatBytes(loaded ?? 0)} benchmark image loaded into it` : ""),
    };
}

function leaveOut(spec: ExperimentSpec, workload: string, env: string): string {
    const i = spec.workloads.findIndex((w) => w.name === workload);
    return spec.workloads[i].environments
        ? `leave ${env} out of isobench:workloads.${i}.environments`
        : `give isobench:workloads.${i} an environments list without ${env}`;
}

/** Whether the guest's own root filesystem holds what its workloads write there at once; a refusal line when not. */
function guestProblem(spec: ExperimentSpec, g: Guest, files: readonly Files[], disk: { rootFree?: number; describe: string }): string | undefined {
    if (disk.rootFree === undefined || !files.some((f) => f.missing > 0 && f.fp.bytes > 0)) return undefined;
    // Staying files of cells measured earlier are still on the guest's disk; only cells still to run write anew.
    const present = files.filter((f) => f.fp.bytes > 0 && (f.missing > 0 || f.fp.lifetime !== "cell"));
    const room = disk.rootFree - GUEST_OWN_WRITES;
    const { bytes, counted } = occupancy(present, () => 1);
    if (bytes <= room) return undefined;
    const fixes = counted.map((f) => {
        const fits = f.fp.largestFitting(room - (bytes - f.fp.bytes));
        return fits ? `set ${f.key} to at most ${fits}` : `lower ${f.key}`;
    });
    fixes.push(...[...new Set(counted.map((f) => f.workload))].map((w) => leaveOut(spec, w, g.name)));
    if (g.kind === "kvm" && g.kvm.boot === "bootloader") fixes.push(`boot ${g.name} directly (boot: direct), whose disk is sized to its workloads`);
    return (
        `environment ${g.name}: the guest's root filesystem has ${formatBytes(Math.max(disk.rootFree, 0), "down")} free (${disk.describe}), ` +
        `of which ${formatBytes(GUEST_OWN_WRITES)} is left for the guest's own writes, but its workloads may need ${formatBytes(bytes)} there at once: ` +
        `${counted.map((f) => describeFiles(f, 1)).join(" + ")}. Fix: ${fixes.join(", or ")}`
    );
}

/** Bytes the guest's disk file may still grow by on the host, and its clones' overlays at once. */
function guestNeeds(g: Guest, files: readonly Files[], disk: { capacity: number; describe: string }, facts: DiskFacts, dir: string): DiskNeed[] {
    const file = path.join(dir, diskFileName(g.name, g.kvm.diskFormat));
    const raw = g.kvm.diskFormat === "raw";
    const fileCap = disk.capacity + (raw ? 0 : qcow2Metadata(disk.capacity));
    // ext4 in the guest may put each new file on fresh blocks, and the disk never shrinks
    // (nothing discards), so every cell's writes count, up to the whole disk.
    const writes = files.reduce((s, f) => s + (f.missing === 0 ? 0 : f.fp.lifetime === "reused" ? f.fp.bytes : f.fp.bytes * f.missing), 0);
    const existing = facts.existingDisks.get(file);
    const image = facts.images[imageOf(g)]!;
    const start = existing !== undefined ? 0 : (raw ? image.allocatedBytes : 0) + (g.kind === "docker-in-kvm" ? 2 * (facts.containerImageBytes ?? 0) : 0);
    const bytes = Math.max(0, Math.min(fileCap - (existing ?? 0), start + GUEST_OWN_WRITES + writes));
    const parts = [
        existing !== undefined
            ? `exists, ${formatBytes(existing)} so far`
            : raw
              ? `a raw copy, sparse: ${formatBytes(image.allocatedBytes)} at first`
              : "a qcow2 overlay, empty at first",
        ...(existing === undefined && g.kind === "docker-in-kvm"
            ? [`the benchmark image's tar stream and layers ${formatBytes(2 * (facts.containerImageBytes ?? 0))}`]
            : []),
        `the guest's own writes ${formatBytes(GUEST_OWN_WRITES)} (an allowance)`,
        ...files
            .filter((f) => f.missing > 0 && f.fp.bytes > 0)
            .map((f) => describeFiles(f, 1) + (f.fp.lifetime === "reused" ? "" : ` written by each of ${f.missing} cells`)),
    ];
    const needs: DiskNeed[] = [
        {
            path: file,
            bytes,
            what: `disk of guest ${g.name} (${parts.join(" + ")}; at most the whole ${formatBytes(fileCap)} file)`,
            keys: files.filter((f) => f.missing > 0 && f.fp.bytes > 0).map((f) => f.key),
        },
    ];
    // Clones are made and removed within a cell, so only the cell with the most of them counts.
    const cloning = files
        .filter((f) => f.missing > 0 && f.clones > 0)
        .sort((a, b) => b.clones * (GUEST_OWN_WRITES + b.fp.bytes) - a.clones * (GUEST_OWN_WRITES + a.fp.bytes))[0];
    if (cloning) {
        const each = Math.min(disk.capacity + qcow2Metadata(disk.capacity), GUEST_OWN_WRITES + (cloning.instances > 1 ? cloning.fp.bytes : 0));
        needs.push({
            path: dir,
            bytes: cloning.clones * each,
            what: `${cloning.clones} clone(s) of guest ${g.name} at once during ${cloning.workload} (each a fresh qcow2 overlay: ${formatBytes(each)}, its own writes${cloning.instances > 1 ? ` and ${cloning.workload}'s files` : ""})`,
            keys: [cloning.key],
        });
    }
    return needs;
}

/**
 * Bytes the plan may write, per host path: the results of the cells not measured yet and the
 * analysis, the workloads' files in native data folders and Docker's data root (times the
 * instances that write them at once), each guest's disk as it may grow, the clones of guests.
 * Also the guests whose own filesystem cannot hold their workloads' files.
 */
export function diskPlan(spec: ExperimentSpec, facts: DiskFacts): DiskPlan {
    const cells = planCells(spec);
    const missing = cells.filter((c) => !facts.measured.has(c.id)).length;
    const needs: DiskNeed[] = [
        {
            path: path.join(facts.resultsRoot, spec.stack, spec.runId),
            bytes: missing * CELL_RESULTS_BYTES + cells.length * ANALYSIS_BYTES_PER_CELL,
            what: `results of run ${spec.runId}: ${missing} cell(s) not measured yet × ${formatBytes(CELL_RESULTS_BYTES)} (raw output, server log, CSV; an allowance) + the analysis over all ${cells.length} × ${formatBytes(ANALYSIS_BYTES_PER_CELL)} (summary, plots, report; an allowance)`,
            keys: [],
        },
    ];
    const guestProblems: string[] = [];
    const pending = (files: Files[]) => files.filter((f) => f.missing > 0 && f.fp.bytes > 0);

    // Native environments share one data folder: the same workload's files are the same files in it.
    const native = new Map<string, Files>();
    for (const e of spec.environmentSpecs.filter((x) => x.kind === "native")) {
        for (const f of pending(filesIn(spec, e, facts.measured, cells))) {
            const seen = native.get(f.workload);
            if (!seen || f.instances > seen.instances) native.set(f.workload, f);
        }
    }
    if (native.size > 0) {
        const { bytes, counted } = occupancy([...native.values()], (f) => f.instances);
        const dir = nativeDataDir(spec.stack);
        needs.push({ path: dir, bytes, what: `native data folder: ${counted.map((f) => describeFiles(f)).join(" + ")}`, keys: counted.map((f) => f.key) });
    }

    for (const e of spec.environmentSpecs) {
        const files = filesIn(spec, e, facts.measured, cells);
        if (e.kind === "docker") {
            const { bytes, counted } = occupancy(pending(files), (f) => f.instances);
            if (bytes > 0 && facts.dockerRootDir) {
                const where = e.docker.storage === "volume" ? "its volume" : "its container layer";
                needs.push({
                    path: facts.dockerRootDir,
                    bytes,
                    what: `environment ${e.name}, in ${where} under Docker's data root: ${counted.map((f) => describeFiles(f)).join(" + ")}`,
                    keys: counted.map((f) => f.key),
                });
            }
        }
        if (isGuest(e)) {
            const disk = guestDisk(spec, e, facts);
            if (!disk) continue;
            const problem = guestProblem(spec, e, files, disk);
            if (problem) guestProblems.push(problem);
            needs.push(...guestNeeds(e, files, disk, facts, path.join(facts.guestsDir, spec.stack)));
        }
    }
    return { needs: needs.filter((n) => n.bytes > 0), guestProblems };
}

/** One filesystem the plan writes to, as the host preflight measured it. */
export interface FilesystemSpace {
    /** Its mount point. */
    readonly mount: string;
    /** Bytes free for writing (statfs f_bavail × f_bsize: what df calls Avail). */
    readonly freeBytes: number;
    readonly needs: readonly DiskNeed[];
}

/** Where the results and guest disks are, to say which of them a fix may move. */
export interface MovablePaths {
    readonly resultsRoot: string;
    readonly guestsDir: string;
}

const under = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

/** A filesystem that cannot hold its part of the plan and the margin, one refusal line each, with every path and part of the plan on it and the fix. */
export function filesystemProblems(filesystems: readonly FilesystemSpace[], movable: MovablePaths): string[] {
    return filesystems.flatMap((fs) => {
        const total = fs.needs.reduce((s, n) => s + n.bytes, 0);
        if (total + DISK_MARGIN_BYTES <= fs.freeBytes) return [];
        const keys = [...new Set(fs.needs.flatMap((n) => n.keys))];
        const fixes = [`free at least ${formatBytes(total + DISK_MARGIN_BYTES - fs.freeBytes)} there`];
        if (keys.length > 0) fixes.push(`lower ${keys.join(" or ")}`);
        if (fs.needs.some((n) => under(n.path, movable.resultsRoot)))
            fixes.push("point ISOBENCH_RESULTS_DIR at a filesystem with room (the results alone move)");
        if (fs.needs.some((n) => under(n.path, movable.guestsDir)))
            fixes.push("point ISOBENCH_GUESTS_DIR at a filesystem with room (the guests' disks alone move)");
        return [
            `the filesystem mounted at ${fs.mount} has ${formatBytes(fs.freeBytes, "down")} free, but the plan may write ${formatBytes(total)} there and ${formatBytes(DISK_MARGIN_BYTES)} is kept free beside it (the margin, for other writers and the allowances):\n` +
                fs.needs.map((n) => `      ${formatBytes(n.bytes)} in ${n.path}: ${n.what}\n`).join("") +
                `    Fix: ${fixes.join(", or ")}`,
        ];
    });
}

/** The refusal of a plan the host's disks cannot hold. */
export function diskRefusal(stack: string, lines: readonly string[]): string {
    return `stack "${stack}" may write more than this host's disks can hold (estimated from the plan before anything is created, experiment/disk-plan.ts):\n  - ${lines.join("\n  - ")}`;
}
