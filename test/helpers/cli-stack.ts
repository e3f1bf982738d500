/**
 * A stack run through `bin/isobench` as a user runs it: a stack file written into the checkout's
 * stacks/ (Pulumi reads stack files only there), with its own file backend, Pulumi home, results
 * folder and measurement lock in a temporary folder. For integration tests of up, destroy and
 * recovery; `cleanup` destroys the stack and removes both the stack file and the folder.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import YAML from "yaml";
import { REPO_ROOT } from "../../core/paths";
import { processAlive, RUN_OWNER_ENV } from "../../experiment/recovery";

export interface CliRun {
    readonly child: ChildProcess;
    /** stdout and stderr so far, interleaved. */
    readonly out: () => string;
    readonly done: Promise<number>;
}

export class CliStack {
    readonly work: string;
    readonly env: NodeJS.ProcessEnv;
    readonly stackFile: string;

    constructor(
        readonly stack: string,
        config: Readonly<Record<string, unknown>>,
        extraEnv: NodeJS.ProcessEnv = {},
    ) {
        this.stackFile = path.join(REPO_ROOT, "stacks", `Pulumi.${stack}.yaml`);
        this.work = fs.mkdtempSync(path.join(os.tmpdir(), `isobench-${stack}-`));
        fs.mkdirSync(path.join(this.work, "backend"));
        this.env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${path.join(this.work, "backend")}`,
            PULUMI_HOME: path.join(this.work, "pulumi-home"),
            PULUMI_CONFIG_PASSPHRASE: "test",
            ISOBENCH_RESULTS_DIR: path.join(this.work, "results"),
            ISOBENCH_MEASURE_LOCK: path.join(this.work, "measure.lock"),
            ...extraEnv,
        };
        this.writeConfig(config);
    }

    /**
     * Rewrites the stack file (a user editing it between runs). Without the test's own
     * isobench:stabilityProbeS the stack takes no host stability probe: a minute before every up
     * pass would be most of a test's time, and test/integration/cli-progress.test.ts proves the probe.
     */
    writeConfig(config: Readonly<Record<string, unknown>>): void {
        fs.writeFileSync(this.stackFile, YAML.stringify({ config: { "isobench:stabilityProbeS": 0, ...config } }));
    }

    /** The run's results folder: under the results folder this stack's runs write to (its own, or one shared through extraEnv). */
    results(runId: string): string {
        return path.join(this.env.ISOBENCH_RESULTS_DIR!, this.stack, runId);
    }

    /** Starts `bin/isobench <args>` in its own process group. */
    isobench(args: readonly string[]): CliRun {
        let out = "";
        const child = spawn(path.join(REPO_ROOT, "bin", "isobench"), args, { env: this.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
        child.stdout!.on("data", (d) => (out += d));
        child.stderr!.on("data", (d) => (out += d));
        const done = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? 1)));
        return { child, out: () => out, done };
    }

    /** Removes the stack file and the folder, for a stack that was never up (nothing to destroy). */
    discard(): void {
        fs.rmSync(this.stackFile, { force: true });
        fs.rmSync(this.work, { recursive: true, force: true });
    }

    /** `isobench destroy`, then removes the stack file and the folder; returns destroy's exit status and output. */
    async cleanup(): Promise<{ code: number; out: string }> {
        const d = this.isobench(["destroy", this.stack]);
        const code = await d.done;
        fs.rmSync(this.stackFile, { force: true });
        fs.rmSync(this.work, { recursive: true, force: true });
        return { code, out: d.out() };
    }
}

/** Every live process whose environment names `work` (a test's backend folder) and carries a run's owner mark: what a run of it started. */
export function processesOf(work: string): number[] {
    const out: number[] = [];
    for (const e of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(e)) continue;
        try {
            const env = fs.readFileSync(`/proc/${e}/environ`, "latin1");
            if (env.includes(`${RUN_OWNER_ENV}=`) && env.includes(work) && processAlive(Number(e))) out.push(Number(e));
        } catch {
            /* gone, or not ours to read */
        }
    }
    return out;
}

/** Resolves once `cond` holds (checked every 200 ms); rejects naming `what` after `timeoutS`. */
export function waitFor(what: string, cond: () => boolean, timeoutS: number): Promise<void> {
    const until = Date.now() + timeoutS * 1000;
    return new Promise((resolve, reject) => {
        const t = setInterval(() => {
            if (cond()) {
                clearInterval(t);
                resolve();
            } else if (Date.now() > until) {
                clearInterval(t);
                reject(new Error(`timed out after ${timeoutS} s waiting for ${what}`));
            }
        }, 200);
    });
}
