/**
 * The MariaDB server of the mysql workload, run natively through runCell, as a local user and a
 * client see it while it runs: it runs as `mysql`, its folder (socket included) is unreachable for
 * other users, MariaDB root answers neither `nobody` on the socket nor anyone over TCP, the
 * benchmark user gets in only with the stack's password, nobody writes files with INTO OUTFILE,
 * and the password is on no command line. Before this, `nobody` connected through the socket as
 * MariaDB root and wrote a root-owned file (issue 15).
 *
 * The probes run as the cell's client (on the host, while the server is up, with the password in
 * MYSQL_PWD as the runner hands it to sysbench), so the runner's own path is what is tested.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCell } from "../../experiment/runner";
import { mysql, MysqlParams } from "../../workloads/mysql";
import { Workload } from "../../workloads/workload";
import { nativeDataDir, runtimeDir } from "../../environments/exec-target";
import { leftoverFiles } from "../helpers/leftovers";
import { TEST_CELL } from "../helpers/invocation";

const STACK = `itmy${process.pid}`;
const OUTFILE = `/tmp/isobench-${STACK}-outfile`;

function probeScript(sock: string, port: number, cell: string): string {
    const tcp = `mariadb --no-defaults --protocol=tcp -h 127.0.0.1 -P ${port} --connect-timeout=5`;
    return [
        `pid=$(cat ${runtimeDir(STACK)}/${cell}.pid)`,
        'echo "server_user=$(ps -o user= -p "$pid")"',
        `echo "folder=$(stat -c %a:%U ${path.dirname(sock)})"`,
        `echo "password_file=$(stat -c %a:%U ${runtimeDir(STACK)}/${cell}.password)"`,
        `su -s /bin/sh nobody -c "mariadb --no-defaults -S ${sock} -u root -e 'select 1'" >/dev/null 2>&1; echo "nobody_socket_root=$?"`,
        `su -s /bin/sh nobody -c "env -u MYSQL_PWD ${tcp} -u root -e 'select 1'" >/dev/null 2>&1; echo "tcp_root=$?"`,
        `${tcp} -u sbtest -e 'select 1' >/dev/null 2>&1; echo "sbtest_password=$?"`,
        `MYSQL_PWD=wrong ${tcp} -u sbtest -e 'select 1' >/dev/null 2>&1; echo "sbtest_wrong_password=$?"`,
        `${tcp} -u sbtest -e "select 'x' into outfile '${OUTFILE}'" >/dev/null 2>&1; echo "sbtest_outfile=$?"`,
        `mariadb --no-defaults -S ${sock} -u root -e "select 'x' into outfile '${OUTFILE}'" >/dev/null 2>&1; echo "root_outfile=$?"`,
        // awk reads the password from its environment: its own argv must not hold it either.
        `echo "command_lines_with_password=$(ps -eo args= | awk 'index($0, ENVIRON["MYSQL_PWD"])' | wc -l)"`,
    ].join("\n");
}

describe("mysql server hardening, native through runCell (real MariaDB)", function () {
    this.timeout(300_000);
    let results = "";
    let raw = "";

    before(() => {
        results = fs.mkdtempSync(path.join(os.tmpdir(), `${STACK}-`));
        const dataDir = nativeDataDir(STACK);
        const sock = `${dataDir}/mariadb/mysqld.sock`;
        const cell = "mysql.native.r1";
        const probing: Workload<MysqlParams> = {
            ...mysql,
            clientCommand: () => probeScript(sock, mysql.serverPort!, cell),
            parse: (out) => [{ metric: "probes", value: out.split("\n").filter((l) => l.includes("=")).length, unit: "lines", better: "higher" }],
        };
        fs.mkdirSync(dataDir, { recursive: true });
        runCell(
            {
                ...TEST_CELL,
                stack: STACK,
                runId: "r",
                resultsDir: results,
                cellId: cell,
                workload: "mysql",
                repetition: 1,
                params: { tableSize: 1000, threads: "1", timeSeconds: 1, bufferPoolMB: 64 },
                env: { name: "native", envKind: "native", variant: "", accel: "none", target: { kind: "native" }, dataDir, declared: {} },
            },
            probing,
        );
        raw = fs.readFileSync(path.join(results, "raw", `${cell}.txt`), "utf8");
    });

    after(() => {
        fs.rmSync(results, { recursive: true, force: true });
        fs.rmSync(nativeDataDir(STACK), { recursive: true, force: true });
        fs.rmSync(OUTFILE, { force: true });
        assert.deepEqual(leftoverFiles(STACK), []);
    });

    const fact = (key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(raw)?.[1];

    it("runs mariadbd as mysql in a folder only mysql can enter; the password file is root's, 0600", () => {
        assert.equal(fact("server_user"), "mysql");
        assert.equal(fact("folder"), "700:mysql");
        assert.equal(fact("password_file"), "600:root");
    });

    it("MariaDB root: not for nobody on the socket, not for anyone over TCP", () => {
        assert.notEqual(fact("nobody_socket_root"), "0");
        assert.notEqual(fact("tcp_root"), "0");
    });

    it("the benchmark user gets in with the stack's password only, and writes no file", () => {
        assert.equal(fact("sbtest_password"), "0");
        assert.notEqual(fact("sbtest_wrong_password"), "0");
        assert.notEqual(fact("sbtest_outfile"), "0");
        assert.notEqual(fact("root_outfile"), "0", "secure_file_priv confines INTO OUTFILE to the server's own folder");
        assert.ok(!fs.existsSync(OUTFILE));
    });

    it("no process has the password on its command line; the runtime folder is gone after the cell", () => {
        assert.equal(fact("command_lines_with_password"), "0");
        assert.ok(!fs.existsSync(runtimeDir(STACK)));
    });
});
