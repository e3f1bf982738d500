/**
 * MySQL OLTP read-only (Felter et al. 2014, §MySQL): a MariaDB server runs inside the environment
 * with its data in the environment's data directory (RunContext.dataDir: a Docker volume or the
 * container's union FS as the variant says, the guest's disk, a host directory for native);
 * sysbench runs on the host against it over the environment's network path.
 *
 * The paper used sysbench 0.4.12 `--test=oltp --oltp-read-only=on` on a 2 000 000-row table,
 * 60 s per point, threads 10, 30, ..., 290; here `sysbench oltp_read_only` (1.0, the same
 * transaction: 10 point selects and 4 range queries in BEGIN/COMMIT, the same "special" key
 * distribution by default) with the same table size, time and sweep. The table is created once
 * per cell (prepare, unmeasured), then the thread sweep runs against it.
 *
 * Server settings are the paper's `mysql-opt.cnf` as far as MariaDB 10.11 still has them
 * (buffer pool 3 GB, flush_log_at_trx_commit=0, O_DIRECT, file per table, log buffer 8 MB,
 * no query cache, 20020 connections, thread cache 256, back_log 60000, open files 2000, one
 * purge thread, no purge lag). Gone from MariaDB and therefore left out: innodb_support_xa,
 * innodb_additional_mem_pool_size, innodb_locks_unsafe_for_binlog, innodb_log_files_in_group;
 * innodb_buffer_pool_instances is ignored by 10.11 (one instance). The paper's cnf had
 * innodb_log_file_size commented out, so the server default is kept.
 *
 * The server start script (re)initialises a fresh data directory `<dataDir>/mariadb` on every
 * cell (mariadb-install-db) and creates the benchmark user `sbtest`@`%`: the client connects from
 * the Docker bridge gateway or the libvirt host side, whose address the server cannot know ahead.
 * Its password is the stack's random one (Workload.password): the start script reads it from the
 * runner's 0600 file into the 0600 init file, the host-side client tools get it as MYSQL_PWD
 * (sysbench and mariadb-admin read it there), so it is never on a command line. mariadbd runs as
 * the `mysql` user, its folder (socket included) is 0700 and owned by it, MariaDB root is the
 * default unix_socket account (only the OS root logs in as it), and SELECT … INTO OUTFILE is
 * confined to a folder of its own: a local user can neither reach the socket nor write files.
 *
 * Parses sysbench 1.0 OLTP output and sysbench 0.4.x OLTP output (the paper's records files,
 * several runs concatenated), one point per "Number of threads".
 *
 * Metrics per point {threads: N}: transactions_per_s, latency_avg_ms, latency_p95_ms.
 */
import { shellQuote as q } from "../core/shell";
import { hostWord, intList, listenOf, markerCommand, portOf, splitSections, withTimeout } from "./client-server";
import { SLOW_RATES } from "./expected";
import { SECONDS_PARAM, intListParam, intParam, positiveInt } from "./params";
import { WARMUP_PARAM, sysbenchTimeArgs, warmupNote, withoutCheckpointReports } from "./sysbench-report";
import { Measurement, RunContext, Workload } from "./workload";
import type { ServerAddress } from "../core/endpoints";
import { ParseError } from "../core/errors";

export type MysqlParams = {
    /** Rows in the sbtest table (--table-size; 0.4.x --oltp-table-size). */
    tableSize: number;
    /** Client threads, comma-separated: one point each. */
    threads: number | string;
    /** Seconds per point (--time; 0.4.x --max-time). */
    timeSeconds: number;
    /** innodb_buffer_pool_size in MiB. */
    bufferPoolMB: number;
    /** Seconds each point runs first, left out of the numbers (sysbench-report.ts: a report checkpoint); 0 = none (paper). */
    warmupSeconds: number;
};

const NAME = "mysql";
/** 3307 as in the paper's NAT image: stays clear of a distribution MariaDB on 3306 (the guest image starts one at boot). */
const PORT = 3307;
const USER = "sbtest";
const DB = "sbtest";

/**
 * What the database may take on disk, per row of the sbtest table and in files of any size.
 * Measured with MariaDB 10.11.19 and sysbench 1.0 prepare on this project's machine: the table of
 * 500 000 rows took 126 MB (252 B per row), of 2 000 000 rows 487 MB (243 B per row), and
 * MariaDB's own files (96 MiB redo log, the system tablespace grown by the load's undo to 76 MiB,
 * temporary tablespace, mysql schema) 198 MB next to it. 300 B per row and 256 MiB bound both.
 */
export const MYSQL_BYTES_PER_ROW = 300;
export const MYSQL_FIXED_BYTES = 256 * 2 ** 20;

export function mysqlThreadCounts(p: MysqlParams): number[] {
    return intList(NAME, "threads", p.threads);
}

/** MariaDB options of the paper's mysql-opt.cnf that MariaDB 10.11 still accepts. */
function serverOptions(p: MysqlParams, dir: string, listen: string): string[] {
    return [
        "--no-defaults",
        "--user=mysql",
        `--datadir=${dir}/data`,
        `--socket=${dir}/mysqld.sock`,
        `--pid-file=${dir}/mysqld.pid`,
        `--port=${PORT}`,
        `--bind-address=${listen}`,
        "--skip-name-resolve",
        `--init-file=${dir}/init.sql`,
        `--secure-file-priv=${dir}/files`,
        `--innodb-buffer-pool-size=${positiveInt(NAME, "bufferPoolMB", p.bufferPoolMB)}M`,
        "--innodb-log-buffer-size=8M",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-flush-method=O_DIRECT",
        "--innodb-file-per-table=1",
        "--innodb-open-files=2000",
        "--innodb-purge-threads=1",
        "--innodb-max-purge-lag=0",
        "--max-allowed-packet=64M",
        "--max-connections=20020",
        "--max-connect-errors=99999999",
        "--thread-cache-size=256",
        "--back-log=60000",
        "--query-cache-size=0",
        "--query-cache-type=0",
        "--sql-mode=NO_ENGINE_SUBSTITUTION,STRICT_TRANS_TABLES",
    ];
}

/** The init file's lines; `$pw` is expanded by the start script from the password file (letters and digits only). */
const INIT_SQL = [
    `CREATE DATABASE IF NOT EXISTS ${DB};`,
    `CREATE USER IF NOT EXISTS '${USER}'@'%' IDENTIFIED BY '$pw';`,
    `GRANT ALL PRIVILEGES ON ${DB}.* TO '${USER}'@'%';`,
];

function sysbenchCommand(p: MysqlParams, addr: ServerAddress, extra: string): string {
    return [
        "sysbench oltp_read_only",
        "--db-driver=mysql",
        `--mysql-host=${hostWord(addr.host)}`,
        `--mysql-port=${addr.port}`,
        `--mysql-user=${USER}`,
        `--mysql-db=${DB}`,
        "--tables=1",
        `--table-size=${positiveInt(NAME, "tableSize", p.tableSize)}`,
        extra,
    ].join(" ");
}

// ---- parser -------------------------------------------------------------------------------------

const NUM = "([0-9]+(?:\\.[0-9]+)?)";

function num(text: string, re: RegExp, metric: string, what: string, where: string): number {
    const m = re.exec(text);
    if (!m) throw new ParseError(NAME, metric, `no "${what}" line${where} (truncated output?)`);
    return Number(m[1]);
}

/** One sysbench run (1.0 or 0.4.x) → its thread count and three values. */
function parseRun(text: string, where: string): { threads: number; tps: number; avg: number; p95: number } {
    const header = /^sysbench ([0-9][^\s:]*)/m.exec(text);
    if (!header) {
        const why = text
            .split("\n")
            .map((l) => l.trim())
            .find((l) => /FATAL|error|Can't connect|denied/i.test(l));
        throw new ParseError(NAME, "transactions_per_s", `no "sysbench <version>" header${where}${why ? ` (sysbench says: ${JSON.stringify(why)})` : ""}`);
    }
    const threads = num(text, /^Number of threads:\s*([0-9]+)\s*$/m, "threads", "Number of threads: <n>", where);
    const tps = num(
        text,
        new RegExp(`^\\s*transactions:\\s+[0-9]+\\s+\\(${NUM} per sec\\.\\)`, "m"),
        "transactions_per_s",
        "transactions: <n> (<x> per sec.)",
        where,
    );
    let avg: number;
    let p95: number;
    if (Number(header[1].split(".")[0]) >= 1) {
        const lat = /^Latency \(ms\):\s*$([\s\S]*?)^\s*sum:/m.exec(text);
        if (!lat) throw new ParseError(NAME, "latency_avg_ms", `no complete "Latency (ms):" section${where} (truncated output?)`);
        avg = num(lat[1], new RegExp(`^\\s*avg:\\s*${NUM}\\s*$`, "m"), "latency_avg_ms", "avg: <x>", where);
        p95 = num(lat[1], new RegExp(`^\\s*95th percentile:\\s*${NUM}\\s*$`, "m"), "latency_p95_ms", "95th percentile: <x>", where);
        if (!/^Threads fairness:/m.test(text))
            throw new ParseError(NAME, "latency_p95_ms", `no "Threads fairness:" section after the latency${where} (truncated output?)`);
    } else {
        const stats = /per-request statistics:\s*$([\s\S]*?)^\s*$/m.exec(text);
        if (!stats) throw new ParseError(NAME, "latency_avg_ms", `no "per-request statistics:" section${where} (truncated output?)`);
        avg = num(stats[1], new RegExp(`^\\s*avg:\\s*${NUM}ms\\s*$`, "m"), "latency_avg_ms", "avg: <x>ms", where);
        p95 = num(stats[1], new RegExp(`^\\s*approx\\.\\s+95 percentile:\\s*${NUM}ms\\s*$`, "m"), "latency_p95_ms", "approx. 95 percentile: <x>ms", where);
    }
    return { threads, tps, avg, p95 };
}

/** Splits unmarked output (e.g. a 0.4.12 records file) at its "sysbench <version>" headers. */
function runsOf(raw: string): { label: string; text: string }[] {
    const sections = splitSections(NAME, raw);
    if (sections) return sections.map((s) => ({ label: ` in the run marked threads=${s.point.threads}`, text: s.text }));
    const starts = [...raw.matchAll(/^sysbench [0-9]/gm)].map((m) => m.index!);
    if (starts.length === 0) return [{ label: "", text: raw }];
    return starts.map((s, i) => ({ label: ` in run ${i + 1}`, text: raw.slice(s, starts[i + 1] ?? raw.length) }));
}

export function parseSysbenchOltp(raw: string, params?: MysqlParams): Measurement[] {
    const text = raw.replace(/\r\n?/g, "\n");
    const out: Measurement[] = [];
    const seen = new Set<number>();
    for (const { label, text: run } of runsOf(text)) {
        const r = parseRun(withoutCheckpointReports(NAME, "transactions_per_s", run, params?.warmupSeconds), label);
        if (seen.has(r.threads)) throw new ParseError(NAME, "threads", `${r.threads} threads appear twice in one output (several repetitions concatenated?)`);
        seen.add(r.threads);
        const point = { threads: r.threads };
        out.push(
            { metric: "transactions_per_s", value: r.tps, unit: "trans/s", better: "higher", point },
            { metric: "latency_avg_ms", value: r.avg, unit: "ms", better: "lower", point },
            { metric: "latency_p95_ms", value: r.p95, unit: "ms", better: "lower", point },
        );
    }
    if (params) {
        for (const t of mysqlThreadCounts(params)) {
            if (!seen.has(t))
                throw new ParseError(NAME, "transactions_per_s", `the sweep asked for ${t} threads, the output has no run with them (truncated output?)`);
        }
    }
    return out;
}

/** "mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 ..." and "sysbench 1.0.20" → "mariadb 10.11.19-MariaDB-0+deb12u1; sysbench 1.0.20". */
export function parseMysqlVersion(output: string): string {
    const server = /\bVer\s+([0-9]+\.[0-9]+\.[0-9]+\S*)/.exec(output);
    const bench = /^sysbench\s+([0-9]+\.[0-9]+(?:\.[0-9]+)?\S*)/m.exec(output);
    if (!server || !bench) throw new ParseError(NAME, "version", `expected "mariadbd Ver <x>" and "sysbench <x>" in ${JSON.stringify(output.slice(0, 160))}`);
    return `mariadb ${server[1]}; sysbench ${bench[1]}`;
}

export const mysql: Workload<MysqlParams> = {
    name: NAME,
    tool: "sysbench oltp_read_only",
    defaults: {
        tableSize: 2000000,
        threads: "10,30,50,70,90,110,130,150,170,190,210,230,250,270,290",
        timeSeconds: 60,
        bufferPoolMB: 3072,
        warmupSeconds: 0,
    },
    // Runs inside the environment: the server's version; sysbench comes from the same packages.
    paramSchema: {
        tableSize: intParam(1, 1_000_000_000),
        threads: intListParam(4),
        timeSeconds: SECONDS_PARAM,
        bufferPoolMB: intParam(1, 1_048_576),
        warmupSeconds: WARMUP_PARAM,
    },
    // The server start script deletes the previous cell's data directory and makes a new one.
    dataFootprint: (p: MysqlParams) => ({
        bytes: p.tableSize * MYSQL_BYTES_PER_ROW + MYSQL_FIXED_BYTES,
        param: "tableSize",
        lifetime: "replaced",
        rough: `${MYSQL_BYTES_PER_ROW} bytes per row and ${MYSQL_FIXED_BYTES / 2 ** 20} MiB for MariaDB's own files`,
        largestFitting: (b) => {
            const rows = Math.floor((b - MYSQL_FIXED_BYTES) / MYSQL_BYTES_PER_ROW);
            return rows >= 1 ? String(rows) : undefined;
        },
    }),
    versionCommand: "mariadbd --version && sysbench --version",
    parseVersion: parseMysqlVersion,
    lengthFixedBy: (p: MysqlParams) =>
        p.tableSize / SLOW_RATES.mysqlRowsPerS > mysqlThreadCounts(p).length * (p.warmupSeconds + p.timeSeconds) ? "work" : "time",
    expectedS: (p: MysqlParams) => p.tableSize / SLOW_RATES.mysqlRowsPerS + mysqlThreadCounts(p).length * (p.warmupSeconds + p.timeSeconds),
    serverPort: PORT,
    // MariaDB initialises InnoDB (and a 3 GB buffer pool) on first start; under software
    // emulation that takes minutes.
    readinessTimeoutS: 900,
    password: { clientEnv: "MYSQL_PWD" },
    serverCommand(p: MysqlParams, ctx: RunContext): string {
        if (!ctx.passwordFile) throw new Error("mysql: the runner gives the server no password file (RunContext.passwordFile)");
        const dir = `${ctx.dataDir.replace(/\/+$/, "")}/mariadb`;
        const script = [
            "set -e",
            "umask 077",
            `rm -rf ${q(dir)}`,
            `mkdir -p ${q(`${dir}/data`)} ${q(`${dir}/files`)}`,
            `chown -R mysql:mysql ${q(dir)}`,
            `chmod 0700 ${q(dir)}`,
            `pw=$(cat ${q(ctx.passwordFile)})`,
            // Never interpolate anything else into SQL: the runner guarantees this form, check again.
            `case "$pw" in "" | *[!A-Za-z0-9]*) echo "mysql: the password file does not hold letters and digits only" >&2; exit 1 ;; esac`,
            `mariadb-install-db --no-defaults --user=mysql --datadir=${q(`${dir}/data`)} >${q(`${dir}/install.log`)} 2>&1`,
            `printf '%s\\n' ${INIT_SQL.map((l) => `"${l.replace(/[\\"`]/g, "\\$&")}"`).join(" ")} >${q(`${dir}/init.sql`)}`,
            `chown mysql:mysql ${q(`${dir}/init.sql`)}`,
            // exec: the PID the runner records is the server's, so stopping it stops mariadbd.
            `exec mariadbd ${serverOptions(p, dir, listenOf(NAME, ctx)).map(q).join(" ")}`,
        ].join("\n");
        return `sh -c ${q(script)}`;
    },
    readinessCommand(p: MysqlParams, addr: ServerAddress): string {
        const a = portOf(NAME, "server", addr);
        // ping answers 0 once the server speaks the protocol, even when it denies the login.
        return withTimeout(
            15,
            `mariadb-admin --no-defaults --protocol=tcp -h ${hostWord(a.host)} -P ${a.port} -u ${USER} --connect-timeout=5 ping >/dev/null 2>&1`,
        );
    },
    clientPlacement: "host",
    prepareCommand(p: MysqlParams, ctx: RunContext): string {
        return withTimeout(3600, sysbenchCommand(p, portOf(NAME, "server", ctx.addr), "prepare"));
    },
    clientCommand(p: MysqlParams, ctx: RunContext): string {
        const addr = portOf(NAME, "server", ctx.addr);
        const time = sysbenchTimeArgs(NAME, p);
        const runs = mysqlThreadCounts(p).map(
            (t) =>
                `${markerCommand(NAME, { threads: t })}; ${withTimeout(p.warmupSeconds + p.timeSeconds + 120, sysbenchCommand(p, addr, `--threads=${t} ${time} --events=0 --report-interval=0 run`))}`,
        );
        return ["set -e", ...runs].join("; ");
    },
    notes: (p: MysqlParams) => warmupNote(p.warmupSeconds),
    parse: parseSysbenchOltp,
};
