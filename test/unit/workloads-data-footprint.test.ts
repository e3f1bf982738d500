import * as assert from "node:assert/strict";
import { WORKLOADS, getWorkload } from "../../workloads";
import { MYSQL_BYTES_PER_ROW, MYSQL_FIXED_BYTES } from "../../workloads/mysql";
import { mibWord } from "../../workloads/params";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const footprint = (name: string, params: Record<string, number | string> = {}) => {
    const w = getWorkload(name);
    const fp = w.dataFootprint?.({ ...w.defaults, ...params });
    assert.ok(fp, `${name} declares its data footprint`);
    return fp;
};

describe("what workloads leave in the data directory (Workload.dataFootprint)", () => {
    it("is declared by the workloads whose files are more than a few MiB, and only by them", () => {
        const declaring = Object.values(WORKLOADS)
            .filter((w) => w.dataFootprint)
            .map((w) => w.name)
            .sort();
        assert.deepEqual(declaring, ["fio", "mysql", "pxz", "sysbench-fileio"]);
    });

    it("fio: one file of size (binary units, as fio reads them), removed after the cell", () => {
        const fp = footprint("fio");
        assert.deepEqual([fp.bytes, fp.param, fp.lifetime], [16 * GiB, "size", "cell"]);
        assert.equal(footprint("fio", { size: "64m" }).bytes, 64 * MiB);
        assert.equal(fp.largestFitting(1.5 * GiB + 1000), "1536m");
        assert.equal(fp.largestFitting(MiB - 1), undefined);
    });

    it("sysbench-fileio: totalSize over all its files, removed after the cell", () => {
        const fp = footprint("sysbench-fileio", { totalSize: "32M" });
        assert.deepEqual([fp.bytes, fp.param, fp.lifetime, fp.largestFitting(100 * MiB)], [32 * MiB, "totalSize", "cell", "100M"]);
        assert.equal(footprint("sysbench-fileio").bytes, 8 * GiB);
    });

    it("pxz: the generated input of sizeMB decimal megabytes, kept and reused", () => {
        const fp = footprint("pxz");
        assert.deepEqual([fp.bytes, fp.param, fp.lifetime, fp.largestFitting(2.5e6)], [1e9, "sizeMB", "reused", "2"]);
    });

    it("mysql: the database, roughly, per row plus MariaDB's own files, replaced by the next cell", () => {
        const fp = footprint("mysql");
        assert.equal(fp.bytes, 2_000_000 * MYSQL_BYTES_PER_ROW + MYSQL_FIXED_BYTES);
        assert.deepEqual([fp.param, fp.lifetime], ["tableSize", "replaced"]);
        assert.match(fp.rough ?? "", /300 bytes per row and 256 MiB/);
        assert.equal(fp.largestFitting(MYSQL_FIXED_BYTES + 3000), "10");
        assert.equal(fp.largestFitting(MYSQL_FIXED_BYTES), undefined);
    });

    it("mibWord spells the largest whole MiB", () => {
        assert.equal(mibWord(16 * GiB, "m"), "16384m");
        assert.equal(mibWord(MiB + MiB / 2), "1M");
        assert.equal(mibWord(MiB - 1), undefined);
    });
});
