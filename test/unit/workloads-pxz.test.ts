import { strict as assert } from "assert";
import { parsePxz, parsePxzVersion, pxz } from "../../workloads/pxz";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("pxz");
const PIXZ = "pixz-1.0.7-2-xz-5.4.1-pixz-4MB-seed1.txt";
const XZ = "pixz-1.0.7-2-xz-5.4.1-xz-2MB-seed7-level1.txt";
const CTX = { dataDir: "/var/lib/isobench-data" };

describe("workloads/pxz", () => {
    it("defaults: 1 GB (the paper's dump size), pixz -6, one thread per CPU; the substitution is in the notes", () => {
        assert.deepEqual(pxz.defaults, { sizeMB: 1000, seed: 1, threads: 0, level: 6, compressor: "pixz" });
        assert.equal(pxz.clientPlacement, "inside");
        assert.match(pxz.notes!(pxz.defaults), /pixz -6 on 1000 MB of generated text \(seed 1\) instead of PXZ on a 1 GB Wikipedia dump/);
        assert.match(pxz.notes!({ ...pxz.defaults, compressor: "xz" }), /^xz -T -6/);
    });

    it("generates the input in the data directory once, warms the cache, times only the compression", () => {
        const cmd = pxz.clientCommand(pxz.defaults, CTX);
        assert.match(cmd, /^d='\/var\/lib\/isobench-data'\/pxz$/m);
        assert.match(cmd, /^in="\$d\/input-seed1-1000MB.txt"$/m);
        assert.match(cmd, /^threads=\$\(nproc\)$/m);
        assert.match(cmd, /awk -v seed=1 '.*16807/s);
        const t0 = cmd.indexOf("t0=$(date +%s%N)");
        assert.ok(cmd.indexOf('cat "$in" > /dev/null') < t0 && cmd.indexOf("awk -v seed") < t0);
        assert.match(cmd.slice(t0), /^out=\$\(pixz -p "\$threads" -6 < "\$in" \| wc -c\)$/m);
        const xz = pxz.clientCommand({ ...pxz.defaults, compressor: "xz", threads: 4, level: 1 }, CTX);
        assert.match(xz, /^threads=4$/m);
        assert.match(xz, /^out=\$\(xz -T"\$threads" -1 -c < "\$in" \| wc -c\)$/m);
        assert.throws(() => pxz.clientCommand({ ...pxz.defaults, compressor: "pxz" }, CTX), /compressor must be one of pixz, xz/);
        assert.throws(() => pxz.clientCommand({ ...pxz.defaults, level: 10 }, CTX), /level/);
        assert.throws(() => pxz.clientCommand({ ...pxz.defaults, sizeMB: 0 }, CTX), /sizeMB/);
    });

    it("parses the result line (captured pixz and xz -T runs)", () => {
        assert.deepEqual(parsePxz(fixture(PIXZ), { ...pxz.defaults, sizeMB: 4 }), [
            { metric: "mb_per_s", value: 4 / 8.444, unit: "MB/s", better: "higher" },
            { metric: "seconds", value: 8.444, unit: "s", better: "lower" },
            { metric: "compression_ratio", value: 4000000 / 1042136, unit: "ratio", better: "higher" },
        ]);
        const xz = parsePxz(fixture(XZ), { sizeMB: 2, seed: 7, threads: 0, level: 1, compressor: "xz" });
        assert.equal(xz[0].value, 2 / 0.977);
    });

    it("checks the output against the params and rejects failed or truncated runs", () => {
        assertParseError(() => parsePxz(fixture(PIXZ), pxz.defaults), "pxz", "input_bytes");
        assertParseError(() => parsePxz(fixture(PIXZ), { ...pxz.defaults, sizeMB: 4, compressor: "xz" }), "pxz", "compressor");
        assertParseError(() => parsePxz(fixture(PIXZ), { ...pxz.defaults, sizeMB: 4, seed: 2 }), "pxz", "seed");
        assertParseError(() => parsePxz("pixz: Can't open input file\n"), "pxz", "mb_per_s");
        assertParseError(() => parsePxz(fixture(PIXZ).replace("seconds=8.444", "seconds=0.000")), "pxz", "mb_per_s");
        assertParseError(() => parsePxz(fixture(PIXZ).replace("output_bytes=1042136", "output_bytes=0")), "pxz", "compression_ratio");
        const raw = fixture(PIXZ);
        assertEveryTruncationFails(parsePxz, raw, raw.trimEnd().length, "pxz");
    });

    it("records pixz's package version and xz's (pixz prints none)", () => {
        assert.equal(pxz.parseVersion(fixture("pixz-1.0.7-2-xz-5.4.1-version.txt")), "pixz 1.0.7-2, xz 5.4.1");
        assert.equal(parsePxzVersion("xz (XZ Utils) 5.4.1\nliblzma 5.4.1\n"), "xz 5.4.1");
        assertParseError(() => parsePxzVersion("sh: xz: not found"), "pxz", "version");
    });
});
