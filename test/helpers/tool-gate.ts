/**
 * A benchmark tool first on PATH that holds one of its measured runs until the test opens the
 * gate: a test that must act while a cell runs (read `isobench status`, send a signal, kill the
 * run) gets the cell for exactly as long as it needs, instead of a cell made long enough to be
 * caught. Every other run, and every `--version` check, is the real tool at once.
 *
 *   const gate = new ToolGate(`isobench-${stack}-gate`, "sysbench", 2);
 *   const cli = new CliStack(stack, config, gate.env);
 *   … wait for the second cell to start, act …; gate.open(); … finally gate.remove();
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { shellQuote as q } from "../../core/shell";

/** A held run that nobody opens goes on by itself after this long, so a failed test never hangs a cell. */
const HOLD_LIMIT_S = 300;

export class ToolGate {
    readonly dir: string;

    /**
     * @param name the temporary folder's name prefix
     * @param tool the command to stand in for (found on PATH now, run by its full path)
     * @param holdRun which measured run (1-based, counted over this gate's life) waits for {@link open}
     */
    constructor(name: string, tool: string, holdRun: number) {
        const real = (process.env.PATH ?? "")
            .split(":")
            .map((d) => path.join(d, tool))
            .find((p) => fs.existsSync(p));
        if (!real) throw new Error(`${tool} is not on PATH`);
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
        const d = q(this.dir);
        fs.writeFileSync(
            path.join(this.dir, tool),
            [
                "#!/bin/sh",
                `case "$*" in *--version*) exec ${q(real)} "$@" ;; esac`,
                `n=$(( $(cat ${d}/runs 2>/dev/null || echo 0) + 1 )); echo "$n" > ${d}/runs`,
                `if [ "$n" -eq ${holdRun} ]; then`,
                `    touch ${d}/held; i=0`,
                `    while [ ! -e ${d}/open ] && [ "$i" -lt ${HOLD_LIMIT_S * 10} ]; do sleep 0.1; i=$((i + 1)); done`,
                "fi",
                `exec ${q(real)} "$@"`,
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    }

    /** What the run's processes need in their environment for the gate to stand in for the tool. */
    get env(): NodeJS.ProcessEnv {
        return { PATH: `${this.dir}:${process.env.PATH ?? ""}` };
    }

    /** Whether the held run has reached the gate. */
    get held(): boolean {
        return fs.existsSync(path.join(this.dir, "held"));
    }

    /** Lets the held run (and any later one) through. */
    open(): void {
        fs.writeFileSync(path.join(this.dir, "open"), "");
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
