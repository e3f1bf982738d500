import { strict as assert } from "assert";
import { parseRandomAccess, randomAccess } from "../../workloads/randomaccess";
import { assertEveryTruncationFails, assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("randomaccess");
const RUN = "hpcc-1.5.0-3-openmpi-4.1.4-log2table20.txt";

describe("workloads/randomaccess", () => {
    it("defaults to the paper's 2^33-word table; notes the HPCC substitution", () => {
        assert.deepEqual(randomAccess.defaults, { log2Table: 33, processes: 0, nb: 128 });
        assert.match(randomAccess.notes!(randomAccess.defaults), /paper: single-node OpenMP rewrite, 10\^9 updates\); table 2\^33 words/);
        assert.throws(() => randomAccess.clientCommand({ ...randomAccess.defaults, log2Table: 50 }, { dataDir: "/d" }), /log2Table must be between 10 and 40/);
    });

    it("parses MPI, star and single GUP/s (captured)", () => {
        assert.deepEqual(parseRandomAccess(fixture(RUN), { log2Table: 20, processes: 0, nb: 128 }), [
            { metric: "gups", value: 0.00475042, unit: "GUP/s", better: "higher" },
            { metric: "star_gups", value: 0.20126, unit: "GUP/s", better: "higher" },
            { metric: "single_gups", value: 0.666733, unit: "GUP/s", better: "higher" },
        ]);
    });

    it("throws ParseError for another table size, failed verification and truncation", () => {
        assertParseError(() => parseRandomAccess(fixture(RUN), randomAccess.defaults), "randomaccess", "log2Table");
        const wrong = fixture(RUN).replace("MPIRandomAccess_ErrorsFraction=0", "MPIRandomAccess_ErrorsFraction=0.02");
        assert.match(assertParseError(() => parseRandomAccess(wrong), "randomaccess", "gups").message, /verification failed: 2% of the table/);
        const raw = fixture(RUN);
        assertEveryTruncationFails(parseRandomAccess, raw, raw.indexOf("End of Summary section."), "randomaccess", 101);
    });
});
