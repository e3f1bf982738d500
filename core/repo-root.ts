/**
 * The isobench checkout this code runs from. Sources run from the checkout itself (ts-node) or
 * compiled from build/ (bin/isobench, the Pulumi program), so the root is found by walking up to
 * Pulumi.yaml rather than by a fixed number of `..` from the module.
 */
import * as fs from "fs";
import * as path from "path";

export function findRepoRoot(from: string): string {
    for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no isobench checkout (Pulumi.yaml and package.json) above ${from}`);
    }
}

export const REPO_ROOT = findRepoRoot(__dirname);
