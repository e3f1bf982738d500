import { strict as assert } from "assert";
import { likwidStream, parseLikwidStream, parseLikwidVersion } from "../../workloads/likwid-stream";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("likwid-stream");
const TWO = "likwid-bench-likwid_5.2.2+dfsg1-1-array128MB-threads0-seconds2.txt";
const ONE = "likwid-bench-likwid_5.2.2+dfsg1-1-array8MB-threads1-seconds1.txt";
const TWO_PARAMS = { arrayMB: 128, threads: 0, seconds: 2 };

describe("workloads/likwid-stream", () => {
    it("runs likwid-bench's scalar triad over three arrays, each thread touching its own chunk, one thread per CPU unless told", () => {
        assert.equal(likwidStream.clientCommand(TWO_PARAMS, { dataDir: "/d" }), "likwid-bench -t stream -s 2 -W N:384MB:$(nproc)");
        assert.equal(likwidStream.clientCommand({ arrayMB: 8, threads: 1, seconds: 1 }, { dataDir: "/d" }), "likwid-bench -t stream -s 1 -W N:24MB:1");
        assert.throws(() => likwidStream.clientCommand({ ...TWO_PARAMS, arrayMB: 0 }, { dataDir: "/d" }), /arrayMB/);
        assert.equal(likwidStream.spreadsOverCpus!(TWO_PARAMS), true);
        assert.match(likwidStream.notes!(TWO_PARAMS), /three arrays of 128 MB/);
    });

    it("reports GB/s from likwid-bench's MByte/s, which is its data volume over its time (captured, 2 and 1 threads)", () => {
        const [two] = parseLikwidStream(fixture(TWO), TWO_PARAMS);
        assert.deepEqual(two, { metric: "triad_gbps", value: 27.90463, unit: "GB/s", better: "higher" });
        // 98 304 000 000 B in 3.522857 s.
        assert.ok(Math.abs(98304000000 / 3.522857 / 1e9 - two.value) < 1e-4);
        const [one] = parseLikwidStream(fixture(ONE), { arrayMB: 8, threads: 1, seconds: 1 });
        assert.equal(one.value, 35.23868);
        assert.equal(parseLikwidVersion(fixture("likwid-bench-likwid_5.2.2+dfsg1-1-version.txt")), "likwid 5.2.2+dfsg1-1");
    });

    it("refuses output that is not what the params asked for, of another test, inconsistent, or cut off", () => {
        assertParseError(() => parseLikwidStream(fixture(TWO), { ...TWO_PARAMS, arrayMB: 256 }), "likwid-stream", "arrayMB");
        assertParseError(() => parseLikwidStream(fixture(TWO), { ...TWO_PARAMS, threads: 4 }), "likwid-stream", "threads");
        assertParseError(() => parseLikwidStream(fixture(TWO).replace("Test: stream", "Test: copy")), "likwid-stream", "triad_gbps");
        assertParseError(() => parseLikwidStream(fixture(TWO).replace("MByte/s:\t\t27904.63", "MByte/s:\t\t30000.00")), "likwid-stream", "triad_gbps");
        assertParseError(() => parseLikwidVersion("dpkg-query: no packages found matching likwid\n"), "likwid-stream", "version");
        const raw = fixture(TWO);
        const rate = raw.indexOf("MByte/s:");
        assertEveryTruncationFails((r) => parseLikwidStream(r, TWO_PARAMS), raw, raw.indexOf("\n", rate) + 1, "likwid-stream");
    });
});
