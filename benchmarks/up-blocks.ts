/**
 * What the benchmarks that run `isobench up` in alternating blocks share (perturbation.ts,
 * transport.ts): their command line, one block as one `isobench up` of a test stack
 * (test/helpers/cli-stack.ts) under a fresh runId, and how a SIGINT/SIGTERM stops them so that
 * their `finally` still destroys what they made.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseCsv } from "csv-parse/sync";
import { CliRun, CliStack } from "../test/helpers/cli-stack";

export interface BlockOptions {
    readonly workload: string;
    readonly metric?: string;
    readonly params: Record<string, string | number>;
    readonly blocks: number;
    readonly reps: number;
}

/** `<workload> [--metric m] [--param k=v …] [--blocks 6] [--reps 3]`; throws `usage` without a workload. */
export function blockOptions(argv: readonly string[], usage: string): BlockOptions {
    const value = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
    const workload = argv[0];
    if (!workload || workload.startsWith("--")) throw new Error(`usage: ${usage}`);
    const params: Record<string, string | number> = {};
    argv.forEach((a, i) => {
        if (a !== "--param") return;
        const [k, ...v] = (argv[i + 1] ?? "").split("=");
        const text = v.join("=");
        params[k] = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
    });
    return { workload, metric: value("--metric"), params, blocks: Number(value("--blocks") ?? 6), reps: Number(value("--reps") ?? 3) };
}

/** One `isobench up` of a block: the rows of its cell CSVs, its progress.log, when it started and how long it took. */
export interface UpBlock {
    readonly rows: readonly Record<string, string>[];
    readonly progressLog: string;
    readonly startedAt: Date;
    readonly wallS: number;
}

/** The values of `metric` in a block's rows; throws naming the metrics there are when there is none. */
export function metricValues(block: UpBlock, metric: string, workload: string): number[] {
    const values = block.rows.filter((r) => r.metric === metric).map((r) => Number(r.value));
    if (values.length === 0) throw new Error(`${workload} reports no metric ${metric}; it reports ${[...new Set(block.rows.map((r) => r.metric))].join(", ")}`);
    return values;
}

export const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Runs the blocks' `isobench up`s and turns a stop into an error at the next step. Node exits at
 * once on SIGINT/SIGTERM unless handled, which would skip the `finally` that destroys the
 * benchmark's stacks: the handler instead interrupts the running `isobench up` (its own process
 * group, so a terminal's Ctrl-C does not reach it) the way a user would, so it stops after its
 * cell, and {@link check} throws from then on.
 */
export class BlockRunner {
    private running: CliRun | undefined;
    private stopped: NodeJS.Signals | undefined;

    /** @param label the benchmark's name in its messages, e.g. "perturbation" */
    constructor(private readonly label: string) {
        for (const sig of ["SIGINT", "SIGTERM"] as const) {
            process.on(sig, () => {
                this.stopped ??= sig;
                console.error(`[${label}] ${sig}: stopping after the running step, then destroying the benchmark's stacks`);
                if (this.running?.child.pid) {
                    try {
                        process.kill(-this.running.child.pid, "SIGINT");
                    } catch {
                        /* already ended */
                    }
                }
            });
        }
    }

    /** Throws once a SIGINT or SIGTERM has arrived. */
    check(): void {
        if (this.stopped) throw new Error(`stopped by ${this.stopped}; no ratio reported`);
    }

    /** One block: `isobench up` of `cli`'s stack with `config` (which names the block's fresh runId). */
    async up(cli: CliStack, config: Readonly<Record<string, unknown>> & { readonly "isobench:runId": string }): Promise<UpBlock> {
        cli.writeConfig(config);
        this.check();
        const startedAt = new Date();
        const run = (this.running = cli.isobench(["up", cli.stack]));
        const code = await run.done;
        const wallS = (Date.now() - startedAt.getTime()) / 1000;
        this.running = undefined;
        this.check();
        if (code !== 0) throw new Error(`[${this.label}] isobench up ${cli.stack} exited ${code}:\n${run.out().slice(-2000)}`);
        const results = cli.results(config["isobench:runId"]);
        const cells = path.join(results, "cells");
        const rows = fs
            .readdirSync(cells)
            .filter((f) => f.endsWith(".csv"))
            .sort()
            .flatMap((f) => parseCsv(fs.readFileSync(path.join(cells, f), "utf8"), { columns: true }) as Record<string, string>[]);
        return { rows, progressLog: fs.readFileSync(path.join(results, "progress.log"), "utf8"), startedAt, wallS };
    }
}
