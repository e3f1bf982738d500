/** What a test left behind on the shared daemons (containers, volumes and domains by name prefix) and on disk. */
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { guestsDir } from "../../core/paths";
import { nativeDataDir, runtimeDir } from "../../environments/exec-target";

const LISTINGS = [
    ["container", ["docker", "ps", "-a", "--format", "{{.Names}}"]],
    ["volume", ["docker", "volume", "ls", "--format", "{{.Name}}"]],
    ["domain", ["timeout", "30", "virsh", "-c", "qemu:///system", "list", "--all", "--name"]],
] as const;

/** `<kind> <name>` of every container, volume and libvirt domain whose name starts with `prefix`. */
export function leftoverResources(prefix: string): string[] {
    const found: string[] = [];
    for (const [what, argv] of LISTINGS) {
        const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 60_000 });
        if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${(r.stderr ?? "").trim()}`);
        for (const n of r.stdout.split("\n").map((s) => s.trim())) if (n.startsWith(prefix)) found.push(`${what} ${n}`);
    }
    return found;
}

/**
 * Files of stacks whose name starts with `stackPrefix`: guest folders (disks, domain XML, serial
 * logs, known_hosts) under the guests folder (experiment/paths.ts guestsDir), native data directories and native runtime folders
 * (environments/exec-target.ts).
 */
export function leftoverFiles(stackPrefix: string, guests = guestsDir()): string[] {
    const found: string[] = [];
    for (const parent of [guests, path.dirname(nativeDataDir(stackPrefix))]) {
        if (!fs.existsSync(parent)) continue;
        for (const d of fs.readdirSync(parent).filter((n) => n.startsWith(stackPrefix))) found.push(`dir ${path.join(parent, d)}`);
    }
    // Runtime folders of cells run natively (PID, server log, password file; experiment/runner.ts).
    const run = path.dirname(runtimeDir(stackPrefix));
    if (fs.existsSync(run)) for (const d of fs.readdirSync(run).filter((n) => n.startsWith(stackPrefix))) found.push(`dir ${path.join(run, d)}`);
    return found;
}

/** Removes what {@link leftoverResources} and {@link leftoverFiles} found, whatever a failed destroy left. */
export function removeLeftovers(found: readonly string[]): void {
    const sh = (argv: string[]) => spawnSync(argv[0], argv.slice(1), { timeout: 60_000 });
    for (const l of found) {
        const [what, name] = l.split(" ");
        if (what === "container") sh(["docker", "rm", "-f", name]);
        if (what === "volume") sh(["docker", "volume", "rm", "-f", name]);
        if (what === "domain") {
            sh(["timeout", "30", "virsh", "-c", "qemu:///system", "destroy", name]);
            sh(["timeout", "30", "virsh", "-c", "qemu:///system", "undefine", "--nvram", name]);
            sh(["timeout", "30", "virsh", "-c", "qemu:///system", "undefine", name]);
        }
        if (what === "file" || what === "dir") fs.rmSync(name, { recursive: true, force: true });
    }
}
