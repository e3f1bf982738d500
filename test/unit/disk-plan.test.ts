import * as assert from "node:assert/strict";
import * as path from "path";
import {
    ANALYSIS_BYTES_PER_CELL,
    CELL_RESULTS_BYTES,
    DISK_MARGIN_BYTES,
    DiskFacts,
    DiskNeed,
    BASE_IMAGE_FREE_BYTES,
    DOCKER_IMAGE_ROOM_BYTES,
    GUEST_OWN_WRITES,
    diskPlan,
    guestDiskGrowth,
    diskRefusal,
    filesystemProblems,
    formatBytes,
} from "../../experiment/disk-plan";
import { planCells } from "../../experiment/plan";
import { EnvironmentSpec, parseSpec } from "../../experiment/spec";
import { availableStacks, loadStackSpec } from "../../experiment/stack-file";
import { ext4Space, qemuImgSizes, qemuIoBytes } from "../../environments/kvm/guest-image-facts";
import { fixtureReader } from "../helpers/fixtures";

const STACKS = path.join(__dirname, "..", "..", "stacks");
const fixture = fixtureReader("guest-image");
const MiB = 2 ** 20;
/** The IBM study's server, which felter2014's host-relative guests are sized for. */
const PAPER = { cpus: 32, memTotalMiB: 256 * 1024, sockets: 2, threadsPerCore: 2, numaNodes: 2 };
const GiB = 2 ** 30;

/** This project's machine as the preflight reads it: its guest images (fixtures), Docker's data root, nothing measured yet. */
function facts(over: Partial<DiskFacts> = {}): DiskFacts {
    const sizes = qemuImgSizes(fixture("base.qemu-img-info.json"))!;
    const free = (f: string) => ext4Space(qemuIoBytes(fixture(f)))!.freeBytes;
    return {
        resultsRoot: "/srv/results",
        guestsDir: "/var/lib/libvirt/images/isobench",
        dockerRootDir: "/var/lib/docker",
        images: {
            direct: { path: "/cache/guest/disk.qcow2", ...sizes, rootFreeBytes: free("base-superblock.qemu-io.txt") },
            docker: { path: "/cache/guest-docker/disk.qcow2", ...sizes, allocatedBytes: 1358569472, rootFreeBytes: free("docker-superblock.qemu-io.txt") },
            bootloader: { path: "/cache/guest-boot/disk.qcow2", virtualBytes: 3357540352, allocatedBytes: 1138950144 },
        },
        containerImageBytes: 686_000_000,
        existingDisks: new Map(),
        measured: new Set(),
        ...over,
    };
}

const needAt = (needs: readonly DiskNeed[], p: string) => {
    const found = needs.filter((n) => n.path === p);
    assert.equal(found.length, 1, `one need at ${p}: ${needs.map((n) => n.path).join(", ")}`);
    return found[0];
};

const spec = (config: Record<string, unknown>) => parseSpec("dp", { runId: "r1", ...config });

describe("disk space the plan may need (experiment/disk-plan.ts)", () => {
    it("rounds what is needed up and what is free down", () => {
        assert.equal(formatBytes(1.01 * GiB), "1.1 GiB");
        assert.equal(formatBytes(1.01 * GiB, "down"), "1.0 GiB");
        assert.equal(formatBytes(3 * MiB), "3.0 MiB");
        assert.equal(formatBytes(1536), "1.5 KiB");
        assert.equal(formatBytes(1), "1 B");
        assert.equal(formatBytes(3357540352, "near"), "3.1 GiB");
    });

    it("counts the results of every cell not measured yet and the analysis over all of them", () => {
        const s = loadStackSpec(STACKS, "quick");
        const cells = planCells(s);
        assert.equal(cells.length, 24);
        const results = "/srv/results/quick/quick-2";
        assert.equal(needAt(diskPlan(s, facts()).needs, results).bytes, 24 * CELL_RESULTS_BYTES + 24 * ANALYSIS_BYTES_PER_CELL);
        // A resumed run: the 20 cells whose CSV exists are not measured again.
        const measured = new Set(cells.slice(0, 20).map((c) => c.id));
        const resumed = needAt(diskPlan(s, facts({ measured })).needs, results);
        assert.equal(resumed.bytes, 4 * CELL_RESULTS_BYTES + 24 * ANALYSIS_BYTES_PER_CELL);
        assert.match(resumed.what, /^results of run quick-2: 4 cell\(s\) not measured yet × 1\.0 MiB /);
        assert.deepEqual(resumed.keys, []);
    });

    it("felter2014: fio's 16 GiB file in the native folder, in docker-nat's volume and docker-nat-unionfs's container layer, and in kvm-fio's disk, grown by 16 GiB to hold it", () => {
        const s = loadStackSpec(STACKS, "felter2014", PAPER);
        const plan = diskPlan(s, facts());
        const fio = 16 * GiB;
        const pxz = 1e9;
        const mysql = 2_000_000 * 300 + 256 * MiB;
        const native = needAt(plan.needs, "/var/tmp/isobench-data/felter2014");
        // pxz's input and mysql's database stay; of the files removed after their cell only the largest counts.
        assert.equal(native.bytes, pxz + mysql + fio);
        assert.deepEqual(native.keys, ["isobench:workloads.0.params.sizeMB", "isobench:workloads.8.params.tableSize", "isobench:workloads.6.params.size"]);
        const docker = plan.needs.filter((n) => n.path === "/var/lib/docker");
        assert.deepEqual(
            docker.map((n) => [n.what.split(":")[0], n.bytes]),
            [
                ["environment docker-nat, in its volume under Docker's data root", pxz + mysql + fio],
                ["environment docker-host, in its volume under Docker's data root", mysql],
                ["environment docker-nat-dnat, in its volume under Docker's data root", mysql],
                ["environment docker-nat-unionfs, in its container layer under Docker's data root", mysql + fio],
            ],
        );
        // The guest's disk: the 3 GiB image grown by the file and the guest's own writes beyond the base's free room, with ext4's share, in whole GiB.
        const kvmFioSpec = s.environmentSpecs.find((e) => e.name === "kvm-fio") as Extract<EnvironmentSpec, { kind: "kvm" }>;
        const growth = guestDiskGrowth(s, kvmFioSpec);
        assert.equal(growth.bytes, Math.ceil((fio + GUEST_OWN_WRITES - BASE_IMAGE_FREE_BYTES) / (31 / 32) / GiB) * GiB);
        assert.equal(growth.bytes, 16 * GiB);
        assert.match(
            growth.describe,
            /^\+16\.0 GiB for fio 16\.0 GiB \(isobench:workloads\.6\.params\.size = 16g, the default; removed after each cell\) \+ the guest's own writes 256\.0 MiB, less the base's 1\.0 GiB$/,
        );
        // Its overlay grows by what is written, ten 16 GiB files, but never past its disk.
        const kvmFio = needAt(plan.needs, "/var/lib/libvirt/images/isobench/felter2014/kvm-fio.qcow2");
        assert.equal(kvmFio.bytes, 19 * GiB + (19 * GiB) / 4096 + MiB);
        assert.match(
            kvmFio.what,
            /fio 16\.0 GiB \(isobench:workloads\.6\.params\.size = 16g, the default; removed after each cell\) written by each of 10 cells; at most the whole 19\.1 GiB file\)$/,
        );
        // A guest whose workloads keep no files keeps the image's size.
        const nuttcp = s.environmentSpecs.find((e) => e.name === "kvm-nuttcp") as Extract<EnvironmentSpec, { kind: "kvm" }>;
        assert.equal(guestDiskGrowth(s, nuttcp).bytes, 0);
        assert.equal(needAt(plan.needs, "/var/lib/libvirt/images/isobench/felter2014/kvm-nuttcp.qcow2").bytes, GUEST_OWN_WRITES);
        assert.deepEqual(plan.guestProblems, []);
    });

    it("asks nothing more of a guest whose fio cells are all measured, and lets its disk grow only from what it holds", () => {
        const s = loadStackSpec(STACKS, "felter2014", PAPER);
        const measured = new Set(
            planCells(s)
                .filter((c) => c.environment === "kvm-fio")
                .map((c) => c.id),
        );
        const disk = "/var/lib/libvirt/images/isobench/felter2014/kvm-fio.qcow2";
        const plan = diskPlan(s, facts({ measured, existingDisks: new Map([[disk, 2 * GiB]]) }));
        assert.deepEqual(plan.guestProblems, []);
        const need = needAt(plan.needs, disk);
        assert.equal(need.bytes, GUEST_OWN_WRITES);
        assert.match(
            need.what,
            /^disk of guest kvm-fio \(exists, 2\.0 GiB so far \+ the guest's own writes 256\.0 MiB \(an allowance\); at most the whole 19\.1 GiB file\)$/,
        );
        // Close to its whole size already: only the rest can still be written.
        const full = diskPlan(s, facts({ measured, existingDisks: new Map([[disk, 19 * GiB]]) }));
        assert.equal(needAt(full.needs, disk).bytes, (19 * GiB) / 4096 + MiB);
    });

    it("admits the files of every shipped stack in its guests, whose disks are sized to them", () => {
        const refused = availableStacks(STACKS).filter((st) => diskPlan(loadStackSpec(STACKS, st, PAPER), facts()).guestProblems.length > 0);
        assert.deepEqual(refused, []);
    });

    it("counts instances at once: each native instance has its own folder, each guest clone its own overlay", () => {
        const s = loadStackSpec(STACKS, "kek-hepix2015");
        const plan = diskPlan(s, facts());
        const native = needAt(plan.needs, "/var/tmp/isobench-data/kek-hepix2015");
        assert.equal(native.bytes, 2 * 32 * MiB);
        assert.match(
            native.what,
            /sysbench-fileio 32\.0 MiB × 2 instances at once \(isobench:workloads\.3\.params\.totalSize = 32M; removed after each cell\)/,
        );
        assert.equal(needAt(plan.needs, "/var/lib/docker").bytes, 2 * 32 * MiB);
        // lifecycle makes 2 fresh guests at once; the sysbench-fileio sweep 1 clone that writes its files too.
        const clones = needAt(plan.needs, "/var/lib/libvirt/images/isobench/kek-hepix2015");
        assert.equal(clones.bytes, 2 * GUEST_OWN_WRITES);
        assert.match(clones.what, /^2 clone\(s\) of guest kvm at once during lifecycle/);
        // The original guest writes its own files once per cell.
        assert.equal(needAt(plan.needs, "/var/lib/libvirt/images/isobench/kek-hepix2015/kvm.qcow2").bytes, GUEST_OWN_WRITES + 3 * 32 * MiB);
    });

    it("docker-in-kvm: the guest's disk grows by room for the benchmark image and for its workloads' files", () => {
        const s = spec({
            environments: [{ name: "dik", kind: "docker-in-kvm" }],
            workloads: [{ name: "fio", params: { size: "7g" } }],
        });
        const growth = guestDiskGrowth(s, s.environmentSpecs[0] as Extract<EnvironmentSpec, { kind: "docker-in-kvm" }>);
        assert.equal(growth.bytes, DOCKER_IMAGE_ROOM_BYTES + Math.ceil((7 * GiB + GUEST_OWN_WRITES - BASE_IMAGE_FREE_BYTES) / (31 / 32) / GiB) * GiB);
        assert.equal(growth.bytes, 12 * GiB);
        assert.match(growth.describe, /^\+12\.0 GiB for the benchmark image 5\.0 GiB \+ fio 7\.0 GiB /);
        const plan = diskPlan(s, facts());
        assert.deepEqual(plan.guestProblems, []);
        // Without files, the room for the image alone (the 8 GiB disk docker-in-kvm guests always had).
        const bare = spec({ environments: [{ name: "dik", kind: "docker-in-kvm" }], workloads: ["sysbench-cpu"] });
        assert.equal(guestDiskGrowth(bare, bare.environmentSpecs[0] as Extract<EnvironmentSpec, { kind: "docker-in-kvm" }>).bytes, 5 * GiB);
        const disk = needAt(plan.needs, "/var/lib/libvirt/images/isobench/dp/dik.qcow2");
        // The image's tar stream and layers, its own writes and three 7 GiB files would be more than the whole 15 GiB disk.
        assert.equal(disk.bytes, 15 * GiB + (15 * GiB) / 4096 + MiB);
        assert.match(disk.what, /^disk of guest dik \(a qcow2 overlay, empty at first \+ the benchmark image's tar stream and layers 1\.3 GiB \+ /);
    });

    it("a raw disk copy starts with the image's data and may fill to its full size", () => {
        const s = spec({ environments: [{ name: "raw", kind: "kvm", diskFormat: "raw" }], workloads: [{ name: "fio", params: { size: "64m" } }] });
        const need = needAt(diskPlan(s, facts()).needs, "/var/lib/libvirt/images/isobench/dp/raw.img");
        assert.equal(need.bytes, 1092886528 + GUEST_OWN_WRITES + 3 * 64 * MiB);
        assert.match(need.what, /^disk of guest raw \(a raw copy, sparse: 1\.1 GiB at first \+ /);
    });

    it("the bootloader guest's root filesystem is the direct image's, and is not grown", () => {
        const s = spec({ environments: [{ name: "efi", kind: "kvm", boot: "bootloader" }], workloads: [{ name: "fio", params: { size: "2g" } }] });
        assert.equal(guestDiskGrowth(s, s.environmentSpecs[0] as Extract<EnvironmentSpec, { kind: "kvm" }>).bytes, 0);
        assert.match(
            diskPlan(s, facts()).guestProblems[0] ?? "",
            /^environment efi: the guest's root filesystem has 1\.8 GiB free \(guest image \/cache\/guest-boot\/disk\.qcow2, a 3\.1 GiB disk\).* or boot efi directly \(boot: direct\), whose disk is sized to its workloads$/,
        );
        // Unknown free space (qemu-io could not read it): not checked, not refused.
        const unknown = facts();
        const direct = { ...unknown.images.direct!, rootFreeBytes: undefined };
        assert.deepEqual(diskPlan(s, { ...unknown, images: { ...unknown.images, direct } }).guestProblems, []);
    });

    it("refuses a filesystem that cannot hold its part of the plan and the margin, with every part, the numbers and the fix", () => {
        const needs: DiskNeed[] = [
            { path: "/srv/results/dp/r1", bytes: 30 * MiB, what: "results of run r1", keys: [] },
            { path: "/var/tmp/isobench-data/dp", bytes: 16 * GiB, what: "native data folder: fio", keys: ["isobench:workloads.0.params.size"] },
        ];
        const movable = { resultsRoot: "/srv/results", guestsDir: "/var/lib/libvirt/images/isobench" };
        const fits = 16 * GiB + 30 * MiB + DISK_MARGIN_BYTES;
        assert.deepEqual(filesystemProblems([{ mount: "/", freeBytes: fits, needs }], movable), []);
        const lines = filesystemProblems([{ mount: "/", freeBytes: fits - 1, needs }], movable);
        assert.deepEqual(lines, [
            "the filesystem mounted at / has 17.0 GiB free, but the plan may write 16.1 GiB there and 1.0 GiB is kept free beside it (the margin, for other writers and the allowances):\n" +
                "      30.0 MiB in /srv/results/dp/r1: results of run r1\n" +
                "      16.0 GiB in /var/tmp/isobench-data/dp: native data folder: fio\n" +
                "    Fix: free at least 1 B there, or lower isobench:workloads.0.params.size, or point ISOBENCH_RESULTS_DIR at a filesystem with room (the results alone move)",
        ]);
        assert.match(
            diskRefusal("dp", lines),
            /^stack "dp" may write more than this host's disks can hold \(estimated from the plan before anything is created, experiment\/disk-plan\.ts\):\n {2}- the filesystem mounted at \//,
        );
    });
});
