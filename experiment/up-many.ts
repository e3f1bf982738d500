/**
 * `isobench up stackA stackB …`: one `isobench up` per stack, all at once. Each up takes its own
 * target's measurement lock (measure-lock.ts), so stacks on different machines measure side by
 * side and stacks on one machine take turns; this only starts them, labels their output and sums
 * up. A child process per stack rather than several ups in this one: an up owns its process's
 * signals, progress view and exit, and a stack that fails or is stopped leaves the others alone.
 */
import { spawn } from "child_process";
import * as os from "os";
import * as readline from "readline";
import { UsageError } from "../core/errors";
import { formatDuration } from "./progress-model";

/** How one stack's up ended. */
export interface StackOutcome {
    readonly stack: string;
    readonly code: number;
    readonly wallS: number;
}

/**
 * The stacks of one `up`, each once and each with its own results folder.
 * @throws UsageError naming both stacks when two share a results folder (two runs would write the same cells)
 */
export function checkDistinctResults(stacks: readonly { readonly stack: string; readonly resultsDir: string }[]): void {
    const seen = new Map<string, string>();
    for (const { stack, resultsDir } of stacks) {
        const other = seen.get(resultsDir);
        if (other !== undefined) {
            const what = other === stack ? `stack ${stack} is named twice` : `stacks ${other} and ${stack} both write ${resultsDir}`;
            throw new UsageError(
                `up: ${what}: two runs at once would measure into the same results folder (${resultsDir}). Fix: name each stack once${other === stack ? "" : ", or give one of them another isobench:runId"}`,
            );
        }
        seen.set(resultsDir, stack);
    }
}

/** The argv after node of one stack's own up, with the options that apply to every stack. */
export function childUpArgs(stack: string, opts: { readonly verbose: boolean; readonly allowEmulation: boolean }): string[] {
    return ["up", stack, ...(opts.verbose ? ["--verbose"] : []), ...(opts.allowEmulation ? ["--allow-emulation"] : [])];
}

/** The exit status of the whole: 0 when every stack's up succeeded, else the largest of theirs. */
export function overallExit(outcomes: readonly StackOutcome[]): number {
    return outcomes.reduce((worst, o) => Math.max(worst, o.code), 0);
}

/** The closing lines: each stack's result and wall time, in the order given, then the whole's. */
export function summaryLines(outcomes: readonly StackOutcome[], wallS: number): string[] {
    const width = Math.max(...outcomes.map((o) => o.stack.length));
    const failed = outcomes.filter((o) => o.code !== 0);
    return [
        ...outcomes.map((o) => `  ${o.stack.padEnd(width)}  ${o.code === 0 ? "done" : `FAILED (exit ${o.code})`} in ${formatDuration(o.wallS)}`),
        `${outcomes.length} stacks in ${formatDuration(wallS)}: ${failed.length === 0 ? "all done" : `${failed.length} failed (${failed.map((o) => o.stack).join(", ")})`}`,
    ];
}

/** Writes each line of `from` to `to`, prefixed with the stack's name. */
function prefixed(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, stack: string): Promise<void> {
    const lines = readline.createInterface({ input: from, crlfDelay: Infinity });
    lines.on("line", (l) => to.write(`[${stack}] ${l}\n`));
    return new Promise((resolve) => lines.once("close", resolve));
}

/**
 * Runs one `isobench up` per stack concurrently (this same program, `cli` its script and argv
 * after node), each line of their output prefixed by the stack's name, and resolves with each
 * stack's outcome once all have ended.
 */
export async function runStacks(stacks: readonly string[], opts: { readonly verbose: boolean; readonly allowEmulation: boolean }): Promise<StackOutcome[]> {
    // The terminal's Ctrl-C reaches every up itself (one process group): each stops as one up does.
    // This one stays to collect them and sum up.
    const onInt = () => process.stderr.write("[isobench] Ctrl-C: each stack's up stops as it would alone; waiting for them\n");
    process.on("SIGINT", onInt);
    try {
        return await Promise.all(
            stacks.map(async (stack) => {
                const started = Date.now();
                const child = spawn(process.execPath, [...process.execArgv, process.argv[1], ...childUpArgs(stack, opts)], {
                    stdio: ["ignore", "pipe", "pipe"],
                });
                const out = Promise.all([prefixed(child.stdout!, process.stdout, stack), prefixed(child.stderr!, process.stderr, stack)]);
                const code = await new Promise<number>((resolve) => {
                    child.once("error", (e) => {
                        process.stderr.write(`[${stack}] isobench: cannot start its up: ${e.message}\n`);
                        resolve(1);
                    });
                    child.once("close", (c, signal) => resolve(c ?? 128 + (signal ? os.constants.signals[signal] : 0)));
                });
                await out;
                return { stack, code, wallS: (Date.now() - started) / 1000 };
            }),
        );
    } finally {
        process.off("SIGINT", onInt);
    }
}
