/**
 * Captures real output of the compute, memory and disk workloads for the parser tests, by running
 * each workload's own versionCommand and clientCommand natively at tiny sizes (the exact commands
 * the runner runs inside environments).
 *
 * Usage: npx ts-node workloads/fixtures-capture-compute.ts [OUTDIR] [workload…]
 *   OUTDIR defaults to a fresh temporary directory so that a casual run never overwrites the
 *   committed fixtures (the unit tests assert numbers in them); pass test/fixtures on purpose.
 * Data files go to a temporary directory that is removed afterwards.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { getWorkload } from "./index";
import { run } from "../environments/process";

/** Tiny parameters per capture: [workload, file-name suffix, params]. */
const CAPTURES: ReadonlyArray<[string, string, Record<string, number | string>]> = [
    ["sysbench-memory", "read-write-1K-64M-threads1", { totalSize: "64M", timeSeconds: 5 }],
    ["sysbench-memory", "read-1K-256M-threads2", { operations: "read", totalSize: "256M", threads: 2, timeSeconds: 5 }],
    ["sysbench-fileio", "4modes-4K-64M-128files-direct-time2", { totalSize: "64M", timeSeconds: 2 }],
    ["stress-ng-cpu", "all-workers0-time3", { timeSeconds: 3 }],
    ["stress-ng-cpu", "matrixprod-workers1-time2", { workers: 1, method: "matrixprod", timeSeconds: 2 }],
    ["fio", "8jobs-32m-runtime2", { size: "32m", runtimeSeconds: 2 }],
    ["pxz", "pixz-4MB-seed1", { sizeMB: 4 }],
    ["pxz", "xz-2MB-seed7-level1", { sizeMB: 2, seed: 7, level: 1, compressor: "xz" }],
    ["linpack", "n2000-nb128", { n: 2000 }],
    ["stream", "array1000000", { arraySize: 1000000 }],
    ["randomaccess", "log2table20", { log2Table: 20 }],
];

function main(argv: string[]): void {
    const out = argv[0] ?? fs.mkdtempSync(path.join(os.tmpdir(), "isobench-fixtures-"));
    const only = argv.slice(1);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-fixture-data-"));
    try {
        for (const [name, suffix, params] of CAPTURES) {
            if (only.length && !only.includes(name)) continue;
            const w = getWorkload(name);
            const dir = path.join(out, name);
            fs.mkdirSync(dir, { recursive: true });
            const v = run(["/bin/sh", "-c", w.versionCommand], 60);
            const version = w.parseVersion(v.stdout).replace(/[^A-Za-z0-9.+-]+/g, "_");
            fs.writeFileSync(path.join(dir, `${w.tool}-${version}-version.txt`), v.stdout);
            const cmd = w.clientCommand({ ...w.defaults, ...params }, { dataDir });
            const t0 = Date.now();
            const r = run(["/bin/sh", "-c", cmd], 3600);
            const file = path.join(dir, `${w.tool}-${version}-${suffix}.txt`);
            fs.writeFileSync(file, r.stdout);
            console.log(`${file}: exit ${r.status}, ${((Date.now() - t0) / 1000).toFixed(1)} s${r.status !== 0 ? `\n${r.stderr}` : ""}`);
        }
    } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
    }
    console.log(`fixtures written to ${out}`);
}

main(process.argv.slice(2));
