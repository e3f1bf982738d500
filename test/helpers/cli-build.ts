/** How tests run the real CLI: the compiled one when it is up to date, else through bin/isobench from sources. */
import * as fs from "fs";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..");

/** The compiled CLI when build/ is at least as new as every source (bin/isobench's own rule), else undefined. */
export function freshBuild(): string | undefined {
    const stamp = path.join(REPO, "build", ".stamp");
    const cli = path.join(REPO, "build", "experiment", "cli.js");
    if (!fs.existsSync(stamp) || !fs.existsSync(cli)) return undefined;
    const built = fs.statSync(stamp).mtimeMs;
    const newer = (p: string): boolean => {
        const s = fs.statSync(p);
        if (s.isDirectory()) return fs.readdirSync(p).some((f) => newer(path.join(p, f)));
        return p.endsWith(".ts") && s.mtimeMs > built;
    };
    const sources = ["index.ts", "core", "experiment", "environments", "workloads", "analysis", "benchmarks", "tsconfig.json"].map((f) => path.join(REPO, f));
    return sources.some((s) => fs.existsSync(s) && (s.endsWith("tsconfig.json") ? fs.statSync(s).mtimeMs > built : newer(s))) ? undefined : cli;
}

/** argv and extra environment of `isobench <args>`: the fresh build, or bin/isobench running the TypeScript (ISOBENCH_TS=1). */
export function cliCommand(args: readonly string[]): { argv: string[]; env: NodeJS.ProcessEnv } {
    const cli = freshBuild();
    return cli ? { argv: ["node", cli, ...args], env: {} } : { argv: [path.join(REPO, "bin", "isobench"), ...args], env: { ISOBENCH_TS: "1" } };
}
