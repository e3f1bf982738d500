/**
 * A stack run through the real Pulumi engine in a throwaway project: a temporary folder with this
 * checkout's project files copied and its sources linked, a file backend, a passphrase secrets
 * provider, and results kept inside the folder. For the integration tests that `pulumi up` a stack.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import YAML from "yaml";
import { pulumiEnv } from "../../experiment/pulumi-cli";

const REPO = path.resolve(__dirname, "..", "..");
const COPIED = ["Pulumi.yaml", "package.json", "tsconfig.json"];
const LINKED = ["index.ts", "node_modules", "experiment", "environments", "workloads", "analysis", "core", "bin", "build"];

export interface ShResult {
    readonly status: number | null;
    /** stdout then stderr. */
    readonly out: string;
}

export function sh(argv: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutS?: number } = {}): ShResult {
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", cwd: opts.cwd, env: opts.env, timeout: (opts.timeoutS ?? 60) * 1000, maxBuffer: 64 << 20 });
    return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export interface TempStackArgs {
    /** Stack name; resources are named `isobench-<stack>-…`. */
    readonly stack: string;
    /** The stack file's `config:` map. */
    readonly config: Readonly<Record<string, unknown>>;
    /** Extra environment for every pulumi call, given the project folder (e.g. a records directory inside it). */
    readonly env?: (work: string) => NodeJS.ProcessEnv;
}

export class TempStack {
    readonly work: string;
    readonly env: NodeJS.ProcessEnv;
    readonly stack: string;

    /** Creates the project and runs `pulumi stack init`; throws with pulumi's output when that fails. */
    constructor(args: TempStackArgs) {
        this.stack = args.stack;
        this.work = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${args.stack}-`));
        for (const f of COPIED) fs.copyFileSync(path.join(REPO, f), path.join(this.work, f));
        for (const f of LINKED) fs.symlinkSync(path.join(REPO, f), path.join(this.work, f));
        fs.mkdirSync(path.join(this.work, "stacks"));
        fs.writeFileSync(path.join(this.work, "stacks", `Pulumi.${this.stack}.yaml`), YAML.stringify({ config: args.config }));
        fs.mkdirSync(path.join(this.work, "backend"));
        const backend = {
            PULUMI_BACKEND_URL: `file://${path.join(this.work, "backend")}`,
            PULUMI_HOME: path.join(this.work, "pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "test",
        };
        this.env = {
            ...pulumiEnv(REPO, { ...process.env, ...backend }),
            ISOBENCH_RESULTS_DIR: path.join(this.work, "results"),
            // Its own, as CliStack's: a stack of the other test lane (scripts/test-lanes.sh) must not make it wait.
            ISOBENCH_MEASURE_LOCK: path.join(this.work, "measure.lock"),
            ...(args.env?.(this.work) ?? {}),
        };
        const init = this.pulumi(["stack", "init", this.stack, "--secrets-provider", "passphrase"], 60);
        if (init.status !== 0) throw new Error(`pulumi stack init ${this.stack} failed:\n${init.out}`);
    }

    /** The results of run `runId`. */
    resultsDir(runId: string): string {
        return path.join(this.work, "results", this.stack, runId);
    }

    pulumi(args: readonly string[], timeoutS: number): ShResult {
        return sh(["pulumi", ...args], { cwd: this.work, env: this.env, timeoutS });
    }

    up(timeoutS: number): ShResult {
        return this.pulumi(["up", "--yes", "--skip-preview", "--stack", this.stack], timeoutS);
    }

    destroy(timeoutS: number): ShResult {
        return this.pulumi(["destroy", "--yes", "--skip-preview", "--stack", this.stack], timeoutS);
    }

    /** Removes the project folder, results included. */
    remove(): void {
        fs.rmSync(this.work, { recursive: true, force: true });
    }
}
