import { strict as assert } from "assert";
import { parseStream, stream } from "../../workloads/stream";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";
import { valuesByMetric } from "../helpers/measurements";

const fixture = fixtureReader("stream");
const RUN = "hpcc-1.5.0-3-openmpi-4.1.4-array1000000.txt";

describe("workloads/stream", () => {
    it("defaults to the paper's array size; says it runs one STREAM per MPI process", () => {
        assert.deepEqual(stream.defaults, { arraySize: 1650163200, processes: 0, nb: 128 });
        assert.equal(stream.clientPlacement, "inside");
        assert.match(stream.notes!(stream.defaults), /one single-threaded STREAM per MPI process \(paper: one 32-thread OpenMP STREAM\); 1650163200 doubles/);
        assert.throws(() => stream.clientCommand({ ...stream.defaults, arraySize: 0 }, { dataDir: "/d" }), /arraySize/);
    });

    it("reports the system's bandwidth (per-process StarSTREAM × processes) and one process alone (captured)", () => {
        const ms = parseStream(fixture(RUN), { arraySize: 1_000_000, processes: 0, nb: 128 });
        const v = valuesByMetric(ms);
        assert.deepEqual(Object.keys(v), [
            "copy_gbps",
            "scale_gbps",
            "add_gbps",
            "triad_gbps",
            "single_copy_gbps",
            "single_scale_gbps",
            "single_add_gbps",
            "single_triad_gbps",
        ]);
        assert.equal(v.triad_gbps, 51.651 * 2);
        assert.equal(v.single_triad_gbps, 69.3595);
        assert.ok(ms.every((m) => m.unit === "GB/s" && m.better === "higher"));
    });

    it("throws ParseError for too small arrays, failed validation and truncation", () => {
        assertParseError(() => parseStream(fixture(RUN), { arraySize: 2_000_000, processes: 0, nb: 128 }), "stream", "arraySize");
        assertParseError(() => parseStream(fixture(RUN).replace(/Solution Validates/g, "Failed Validation")), "stream", "triad_gbps");
        assertParseError(() => parseStream(fixture(RUN).replace("StarSTREAM_Add=", "StarSTREAM_Add=-nan")), "stream", "add_gbps");
        const raw = fixture(RUN);
        assertEveryTruncationFails(parseStream, raw, raw.indexOf("End of Summary section."), "stream", 101);
    });
});
