/** bindWorkload: a workload with one cell's params applied, as the runner calls it. */
import { strict as assert } from "assert";
import { mysql } from "../../workloads/mysql";
import { fio } from "../../workloads/fio";
import { sysbenchCpu } from "../../workloads/sysbench-cpu";
import { bindWorkload, workloadPorts } from "../../workloads/workload";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const ADDR = { host: "127.0.0.1", port: 3307 };
const CTX = { dataDir: "/data", listen: "127.0.0.1", passwordFile: "/run/pw", addr: ADDR };

describe("workloads/workload bindWorkload", () => {
    it("gives every method the bound params, and keeps the workload's facts", () => {
        const p = { ...mysql.defaults, threads: "10,20", timeSeconds: 5 };
        const b = bindWorkload(mysql, p);
        assert.equal(b.serverCommand!(CTX), mysql.serverCommand!(p, CTX));
        assert.equal(b.readinessCommand!(ADDR, CTX), mysql.readinessCommand!(p, ADDR, CTX));
        assert.equal(b.prepareCommand!(CTX), mysql.prepareCommand!(p, CTX));
        assert.equal(b.clientCommand(CTX), mysql.clientCommand(p, CTX));
        assert.match(b.clientCommand(CTX), /--threads=20 --time=5 /);
        assert.deepEqual(
            [b.name, b.tool, b.versionCommand, b.clientPlacement, b.readinessTimeoutS, b.password],
            [mysql.name, mysql.tool, mysql.versionCommand, mysql.clientPlacement, mysql.readinessTimeoutS, mysql.password],
        );
        assert.deepEqual(workloadPorts(b), workloadPorts(mysql));
        assert.equal(
            b.parseVersion("mariadbd  Ver 10.11.6-MariaDB\nsysbench 1.0.20\n"),
            mysql.parseVersion("mariadbd  Ver 10.11.6-MariaDB\nsysbench 1.0.20\n"),
        );
    });

    it("leaves out the steps the workload does not have; notes are empty without any", () => {
        const b = bindWorkload(sysbenchCpu, sysbenchCpu.defaults);
        assert.equal(b.serverCommand, undefined);
        assert.equal(b.readinessCommand, undefined);
        assert.equal(b.prepareCommand, undefined);
        assert.equal(b.notes(), "");
        assert.equal(b.clientCommand({ dataDir: "/data" }), "sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run");
    });

    it("parses against the bound params: notes and requested results follow them", () => {
        const p = { ...fio.defaults, size: "32m", runtimeSeconds: 2 };
        const b = bindWorkload(fio, p);
        assert.equal(b.notes(), fio.notes!(p));
        const raw = fixtureReader("fio")("fio-3.33-8jobs-32m-runtime2.txt");
        assert.deepEqual(b.parse(raw), fio.parse(raw, p));
        const oneJob = bindWorkload(fio, { ...p, jobs: "seq-read-1" });
        assert.deepEqual(oneJob.parse(raw), fio.parse(raw));
        const doc: { jobs: Array<{ jobname: string }> } = JSON.parse(raw.slice(raw.search(/^\{/m), raw.lastIndexOf("\n}") + 2));
        const without = JSON.stringify({ ...doc, jobs: doc.jobs.filter((j) => j.jobname !== "random-read-16x8") }, null, 2);
        assert.deepEqual(oneJob.parse(without), fio.parse(without));
        assertParseError(() => b.parse(without), "fio", "random_read_16x8_read_bw_mb_s");
    });
});
