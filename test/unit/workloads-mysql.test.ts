import { strict as assert } from "assert";
import { mysql, parseSysbenchOltp } from "../../workloads/mysql";
import { assertParseError } from "../helpers/parse-error";
import { fixtureReader } from "../helpers/fixtures";

const fixture = fixtureReader("mysql");
const RUN10 = "sysbench-1.0.20-oltp_read_only-mariadb-10.11.19-threads1-4-time3.txt";
const RUN04 = "sysbench-0.4.12-oltp-felter2014-KVM-records-20140716112752-2-head.txt";
const P = mysql.defaults;
const TINY = { ...P, tableSize: 10000, threads: "1,4", timeSeconds: 3, bufferPoolMB: 64 };
const CTX = { addr: { host: "127.0.0.1", port: 32772 }, dataDir: "/data" };

describe("workloads/mysql", () => {
    it("has the paper's parameters: 2M rows, 60 s, threads 10..290 step 20, 3 GB buffer pool", () => {
        assert.deepEqual(P, {
            tableSize: 2000000,
            threads: "10,30,50,70,90,110,130,150,170,190,210,230,250,270,290",
            timeSeconds: 60,
            bufferPoolMB: 3072,
            warmupSeconds: 0,
        });
        assert.equal(mysql.clientPlacement, "host");
        assert.equal(mysql.serverPort, 3307);
        assert.ok((mysql.readinessTimeoutS ?? 0) >= 600, "MariaDB under software emulation needs minutes");
    });

    it("starts MariaDB on a fresh data directory inside the environment with the paper's InnoDB settings and a user for the host", () => {
        const cmd = mysql.serverCommand!(P, { dataDir: "/data/", listen: "127.0.0.1", passwordFile: "/run/isobench/s/c.password" });
        assert.match(cmd, /^sh -c '/);
        for (const part of [
            "rm -rf '\\''/data/mariadb'\\''",
            "mariadb-install-db --no-defaults --user=mysql",
            "--datadir='\\''/data/mariadb/data'\\''",
            "'\\''--user=mysql'\\''",
            "chmod 0700 '\\''/data/mariadb'\\''",
            "--secure-file-priv=/data/mariadb/files",
            "pw=$(cat '\\''/run/isobench/s/c.password'\\'')",
            "exec mariadbd",
            "--innodb-buffer-pool-size=3072M",
            "--innodb-flush-log-at-trx-commit=0",
            "--innodb-flush-method=O_DIRECT",
            "--innodb-log-buffer-size=8M",
            "--query-cache-size=0",
            "--max-connections=20020",
            "--bind-address=127.0.0.1",
            "CREATE USER IF NOT EXISTS",
            "IDENTIFIED BY",
            "GRANT ALL PRIVILEGES ON sbtest.*",
            "--init-file=/data/mariadb/init.sql",
        ])
            assert.ok(cmd.includes(part), `server command has ${part}: ${cmd}`);
        assert.ok(!/innodb[-_]support[-_]xa/.test(cmd), "options MariaDB 10.11 no longer has are left out");
        assert.ok(!/--user=root|auth-root-authentication-method=normal/.test(cmd), "neither the server nor MariaDB root runs unprotected");
        assert.throws(() => mysql.serverCommand!(P, { dataDir: "/data", listen: "127.0.0.1" }), /no password file/);
    });

    it("authenticates with the stack's password, which no command line carries", () => {
        assert.deepEqual(mysql.password, { clientEnv: "MYSQL_PWD" });
        const cmds = [
            mysql.prepareCommand!(TINY, CTX),
            mysql.clientCommand(TINY, CTX),
            mysql.readinessCommand!(P, CTX.addr),
            mysql.serverCommand!(P, { dataDir: "/d", listen: "10.0.0.2", passwordFile: "/run/p" }),
        ];
        for (const c of cmds) assert.doesNotMatch(c, /\s-p\S|--mysql-password|--password/, c);
        assert.equal(cmds[3].match(/IDENTIFIED BY/g)?.length, 1);
        assert.ok(cmds[3].includes("IDENTIFIED BY '\\''$pw'\\''"), "the password comes from the file, read by the script");
    });

    it("prepares the table once, then sweeps the threads over the network path", () => {
        assert.equal(
            mysql.prepareCommand!(TINY, CTX),
            "timeout -k 10 3600 sysbench oltp_read_only --db-driver=mysql --mysql-host=127.0.0.1 --mysql-port=32772 --mysql-user=sbtest --mysql-db=sbtest --tables=1 --table-size=10000 prepare",
        );
        const run = mysql.clientCommand(TINY, CTX);
        assert.match(
            run,
            /^set -e; echo '### isobench mysql threads=1'; timeout -k 10 123 sysbench oltp_read_only .* --threads=1 --time=3 --events=0 --report-interval=0 run; echo '### isobench mysql threads=4'; .* --threads=4 /,
        );
        assert.match(
            mysql.readinessCommand!(P, CTX.addr),
            /mariadb-admin --no-defaults --protocol=tcp -h 127\.0\.0\.1 -P 32772 -u sbtest --connect-timeout=5 ping/,
        );
        assert.throws(() => mysql.clientCommand({ ...TINY, threads: "1,,2" }, CTX), /threads must be a positive integer or a comma-separated list/);
        assert.throws(() => mysql.clientCommand(TINY, { dataDir: "/data" }), /needs the address of the server.s server port/);
    });

    it("warmupSeconds: each point runs warm-up + measured seconds and is read from the report after the warm-up's checkpoint", () => {
        const p = { ...TINY, warmupSeconds: 2 };
        const run = mysql.clientCommand(p, CTX);
        assert.match(run, /timeout -k 10 125 sysbench oltp_read_only .* --threads=1 --time=5 --report-checkpoints=2 --events=0 --report-interval=0 run;/);
        assert.equal(mysql.expectedS(p), 10000 / 5000 + 2 * 5);
        // The timed runs (10 s) outlast inserting 10 000 rows (2 s); a million rows (200 s) would not.
        assert.equal(mysql.lengthFixedBy(p), "time");
        assert.equal(mysql.lengthFixedBy({ ...p, tableSize: 1_000_000 }), "work");
        assert.match(mysql.notes!(p), /first 2 s of each run not measured/);
        // The captured report, preceded by a checkpoint report of the warm-up as sysbench prints one (same layout, its own numbers).
        const raw = fixture(RUN10);
        const warm = raw.replace(
            /(Threads started!\n)(\nSQL statistics:[\s\S]*?execution time \(avg\/stddev\):.*\n)/g,
            (_all, head: string, report: string) =>
                `${head}\n[ 2s ] Checkpoint report:${report.replace(/\([0-9.]+ per sec\.\)/, "(123.45 per sec.)")}${report}`,
        );
        assert.equal(warm.match(/Checkpoint report:/g)!.length, 2);
        const ms = parseSysbenchOltp(warm, p);
        assert.equal(ms.find((m) => m.metric === "transactions_per_s" && m.point?.threads === 1)!.value, 551.96);
        // A run without the checkpoint the params asked for would include the warm-up.
        assertParseError(() => parseSysbenchOltp(raw, p), "mysql", "transactions_per_s");
    });

    it("parses captured sysbench 1.0.20 output: one point per thread count", () => {
        const ms = parseSysbenchOltp(fixture(RUN10), TINY);
        assert.deepEqual(ms, [
            { metric: "transactions_per_s", value: 551.96, unit: "trans/s", better: "higher", point: { threads: 1 } },
            { metric: "latency_avg_ms", value: 1.81, unit: "ms", better: "lower", point: { threads: 1 } },
            { metric: "latency_p95_ms", value: 4.74, unit: "ms", better: "lower", point: { threads: 1 } },
            { metric: "transactions_per_s", value: 1747.8, unit: "trans/s", better: "higher", point: { threads: 4 } },
            { metric: "latency_avg_ms", value: 2.28, unit: "ms", better: "lower", point: { threads: 4 } },
            { metric: "latency_p95_ms", value: 3.82, unit: "ms", better: "lower", point: { threads: 4 } },
        ]);
    });

    it("parses the paper's published sysbench 0.4.12 records file (runs concatenated, no markers)", () => {
        const ms = parseSysbenchOltp(fixture(RUN04), { ...P, threads: "10,30,50" });
        const at = (t: number, metric: string) => ms.find((m) => m.point?.threads === t && m.metric === metric)?.value;
        assert.equal(ms.length, 9);
        assert.equal(at(10, "transactions_per_s"), 2014.58);
        assert.equal(at(10, "latency_avg_ms"), 4.95);
        assert.equal(at(10, "latency_p95_ms"), 8.71);
        assert.equal(at(50, "transactions_per_s"), 4213.72);
        assert.equal(at(50, "latency_p95_ms"), 21.25);
    });

    it("every truncation of both fixtures throws ParseError when params are given", () => {
        for (const [name, params] of [
            [RUN10, TINY],
            [RUN04, { ...P, threads: "10,30,50" }],
        ] as const) {
            const raw = fixture(name);
            // Past these, everything the parser needs is there (the fairness figures are not used).
            const end = name === RUN10 ? raw.lastIndexOf("Threads fairness:") + "Threads fairness:".length : raw.lastIndexOf("21.25ms") + "21.25ms".length;
            for (let cut = 0; cut < end; cut += 5) {
                assertParseError(
                    () => parseSysbenchOltp(raw.slice(0, cut), params),
                    "mysql",
                    /^transactions_per_s$|^latency_(avg|p95)_ms$|^threads$|^marker$/,
                    `${name} cut at ${cut}`,
                );
            }
        }
    });

    it("names sysbench's own error and refuses a thread count twice", () => {
        const e = assertParseError(
            () => parseSysbenchOltp("FATAL: unable to connect to MySQL server on host '127.0.0.1', port 3306, aborting...\n"),
            "mysql",
            "transactions_per_s",
        );
        assert.match(e.message, /unable to connect/);
        const raw = fixture(RUN10);
        assertParseError(() => parseSysbenchOltp(raw + raw), "mysql", "threads");
    });

    it("version: the server's and sysbench's, from inside the environment", () => {
        assert.equal(
            mysql.parseVersion("mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)\nsysbench 1.0.20\n"),
            "mariadb 10.11.19-MariaDB-0+deb12u1; sysbench 1.0.20",
        );
        assertParseError(() => mysql.parseVersion("sysbench 1.0.20\n"), "mysql", "version");
    });
});
