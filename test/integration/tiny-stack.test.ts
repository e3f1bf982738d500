/**
 * `pulumi up` and `pulumi destroy` of a tiny stack on real dockerd and libvirt, on a temporary
 * file backend, in a temporary project that links to this checkout's sources. Asserts sample rows
 * for every cell, serialized cells, and that destroy leaves no container, domain, volume or disk.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import YAML from "yaml";
import { pulumiEnv } from "../../experiment/pulumi-cli";
import { samplesFromCsv } from "../../experiment/samples";
import { leftoverResources } from "../helpers/leftovers";
import { nativeDataDir } from "../../environments/exec-target";

const REPO = path.resolve(__dirname, "..", "..");

function sh(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutS?: number } = {}) {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", cwd: opts.cwd, env: opts.env, timeout: (opts.timeoutS ?? 60) * 1000, maxBuffer: 64 << 20 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

function leftovers(stack: string): string[] {
    const found = leftoverResources(`isobench-${stack}-`);
    const guests = path.join(REPO, ".state", "guests", stack);
    if (fs.existsSync(guests)) found.push(`dir ${guests}`, ...fs.readdirSync(guests).map((f) => `file ${path.join(guests, f)}`));
    if (fs.existsSync(nativeDataDir(stack))) found.push(`dir ${nativeDataDir(stack)}`);
    return found;
}

describe("tiny stack on real dockerd and libvirt", function () {
    this.timeout(30 * 60 * 1000);
    const stack = `itest${process.pid}`;
    let work = "";
    let env: NodeJS.ProcessEnv = {};
    let upOutput = "";
    let upStatus: number | null = null;

    before(function () {
        if (sh(["docker", "info"]).status !== 0 || sh(["timeout", "20", "virsh", "-c", "qemu:///system", "version"]).status !== 0) {
            throw new Error("dockerd and libvirtd must be running: run scripts/setup.sh (or scripts/daemons.sh) first");
        }
        work = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-itest-"));
        for (const f of ["Pulumi.yaml", "package.json", "tsconfig.json"]) fs.copyFileSync(path.join(REPO, f), path.join(work, f));
        for (const f of ["index.ts", "node_modules", "experiment", "environments", "workloads", "analysis", "bin"]) {
            fs.symlinkSync(path.join(REPO, f), path.join(work, f));
        }
        fs.mkdirSync(path.join(work, "stacks"));
        fs.writeFileSync(path.join(work, "stacks", `Pulumi.${stack}.yaml`), YAML.stringify({
            config: {
                "isobench:runId": "it-1",
                "isobench:repetitions": 3,
                "isobench:environments": ["native", "docker-nat", "docker-host", "kvm-tuned"],
                "isobench:workloads": [
                    { name: "sysbench-cpu", params: { timeSeconds: 1 } },
                    { name: "redis", params: { requests: 2000, clients: 50 } },
                ],
                "isobench:allowSoftwareEmulation": true,
                "isobench:kvm": { vcpus: 1, memoryMiB: 768, bootTimeoutS: 240 },
            },
        }));
        env = {
            ...pulumiEnv(REPO),
            PULUMI_BACKEND_URL: `file://${path.join(work, "backend")}`,
            PULUMI_HOME: path.join(work, "pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "test",
            ISOBENCH_RESULTS_DIR: path.join(work, "results"),
        };
        fs.mkdirSync(path.join(work, "backend"));
        const init = sh(["pulumi", "stack", "init", stack, "--secrets-provider", "passphrase"], { cwd: work, env });
        assert.equal(init.status, 0, init.out);
        const up = sh(["pulumi", "up", "--yes", "--skip-preview", "--stack", stack], { cwd: work, env, timeoutS: 25 * 60 });
        upOutput = up.out;
        upStatus = up.status;
    });

    after(function () {
        if (!work) return;
        const d = sh(["pulumi", "destroy", "--yes", "--skip-preview", "--stack", stack], { cwd: work, env, timeoutS: 10 * 60 });
        const left = leftovers(stack);
        // Belt and braces: never leave anything behind, even when destroy failed.
        for (const l of left) {
            const [what, name] = l.split(" ");
            if (what === "container") sh(["docker", "rm", "-f", name]);
            if (what === "volume") sh(["docker", "volume", "rm", "-f", name]);
            if (what === "domain") {
                sh(["timeout", "30", "virsh", "-c", "qemu:///system", "destroy", name]);
                sh(["timeout", "30", "virsh", "-c", "qemu:///system", "undefine", name]);
            }
            if (what === "file" || what === "dir") fs.rmSync(name, { recursive: true, force: true });
        }
        fs.rmSync(path.join(REPO, ".state", "guests", stack), { recursive: true, force: true });
        fs.rmSync(work, { recursive: true, force: true });
        assert.equal(d.status, 0, `pulumi destroy failed:\n${d.out}`);
        assert.deepEqual(left, [], "pulumi destroy left resources behind");
    });

    it("pulumi up succeeds", () => {
        assert.equal(upStatus, 0, upOutput.slice(-6000));
    });

    it("writes sample rows for every cell, with accel and tool versions", () => {
        const dir = path.join(work, "results", stack, "it-1");
        const cells = fs.readdirSync(path.join(dir, "cells")).filter((f) => f.endsWith(".csv"));
        assert.equal(cells.length, 3 * 2 * 4);
        const intervals: Array<[number, number, string]> = [];
        for (const f of cells) {
            const rows = samplesFromCsv(fs.readFileSync(path.join(dir, "cells", f), "utf8"), f);
            assert.ok(rows.length > 0, `${f} has no rows`);
            for (const r of rows) {
                assert.ok(r.tool_version.length > 0);
                assert.equal(r.accel, r.env_kind === "kvm" ? "tcg" : "none");
            }
            const start = Date.parse(rows[0].started_at);
            intervals.push([start, start + rows[0].duration_s * 1000, f]);
            assert.ok(fs.existsSync(path.join(dir, "raw", f.replace(/\.csv$/, ".txt"))), `raw output of ${f} kept`);
        }
        intervals.sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < intervals.length; i++) {
            assert.ok(intervals[i][0] >= intervals[i - 1][1], `${intervals[i][2]} overlaps ${intervals[i - 1][2]}`);
        }
    });

    it("records environment facts that match the declared variants", () => {
        const csv = fs.readFileSync(path.join(work, "results", stack, "it-1", "environments.csv"), "utf8");
        assert.match(csv, /docker-host,docker,[^,]*,none,network_mode,host,host/);
        assert.match(csv, /docker-nat,docker,[^,]*,none,network_mode,bridge,bridge/);
        assert.match(csv, /kvm-tuned,kvm,[^,]*,tcg,vcpupin,0:1,0:1/);
    });

    it("writes the analysis with overhead vs native", () => {
        const md = fs.readFileSync(path.join(work, "results", stack, "it-1", "summary.md"), "utf8");
        assert.match(md, /docker-nat/);
        assert.match(md, /kvm-tuned/);
    });

    it("a no-change pulumi up re-runs nothing", () => {
        const again = sh(["pulumi", "up", "--yes", "--skip-preview", "--stack", stack], { cwd: work, env, timeoutS: 300 });
        assert.equal(again.status, 0, again.out.slice(-3000));
        assert.doesNotMatch(again.out, /created|replaced|updated \(/);
        assert.match(again.out, /unchanged/);
    });
});
