/** What a test left behind on the shared daemons: containers, volumes and domains by name prefix. */
import { spawnSync } from "child_process";

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
