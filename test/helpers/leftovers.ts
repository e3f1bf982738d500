/**
 * What a test left behind on the shared daemons and on disk, by name prefix (a test's objects
 * are named after its unique stack, whatever a state says about them). The listings and the
 * removal are `isobench leftovers`'s own (experiment/leftovers.ts), so a test sees what a user
 * sees; {@link stackLeftovers} is the command's whole decision for one stack.
 */
import * as path from "path";
import { guestsDir } from "../../core/paths";
import {
    Found,
    findLeftovers,
    listContainers,
    listDomainNames,
    listFolders,
    listVolumes,
    removeLeftovers as remove,
    stackFolderParents,
} from "../../experiment/leftovers";
import { Leftover, LeftoverKind } from "../../experiment/leftovers-plan";
import { pulumiEnv } from "../../experiment/pulumi-cli";

/** `<kind> <name>` of every container, volume and libvirt domain whose name starts with `prefix`. */
export function leftoverResources(prefix: string): string[] {
    const named = (kind: string, names: readonly string[]) => names.filter((n) => n.startsWith(prefix)).map((n) => `${kind} ${n}`);
    return [
        ...named(
            "container",
            listContainers().map((c) => c.name),
        ),
        ...named(
            "volume",
            listVolumes().map((v) => v.name),
        ),
        ...named("domain", listDomainNames()),
    ];
}

/**
 * Folders of stacks whose name starts with `stackPrefix`: guest folders (disks, domain XML, serial
 * logs, known_hosts) under the guests folder (core/paths.ts guestsDir), native data folders and
 * native runtime folders (PID files, server logs, password files; environments/exec-target.ts).
 */
export function leftoverFiles(stackPrefix: string, guests = guestsDir()): string[] {
    const { data, runtime } = stackFolderParents();
    return [guests, data, runtime].flatMap((parent) =>
        listFolders(parent, { files: false })
            .filter((f) => f.name.startsWith(stackPrefix))
            .map((f) => `dir ${f.path}`),
    );
}

const DIR_KINDS: ReadonlyArray<[() => string, LeftoverKind]> = [
    [guestsDir, "guest-dir"],
    [() => stackFolderParents().data, "data-dir"],
    [() => stackFolderParents().runtime, "runtime-dir"],
];

/**
 * Removes what {@link leftoverResources} and {@link leftoverFiles} found (whatever a failed
 * destroy left) as `isobench leftovers --clean` removes it; returns what could not be removed.
 */
export function removeLeftovers(found: readonly string[]): string[] {
    const items: Leftover[] = found.map((line) => {
        const [what, name] = line.split(" ");
        const kind: LeftoverKind = what === "dir" ? (DIR_KINDS.find(([parent]) => path.dirname(name) === parent())?.[1] ?? "data-dir") : (what as LeftoverKind);
        return { kind, name, stack: "?", why: "left by a test", ...(what === "dir" && { path: name }) };
    });
    const order = ["container", "volume", "domain", "guest-dir", "runtime-dir", "data-dir"];
    items.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    return remove(items, { repoRoot: path.resolve(__dirname, "..", ".."), stacksDir: "", env: process.env })
        .filter((r) => !r.ok)
        .map((r) => `${r.item.kind} ${r.item.name}: ${r.done}`);
}

/**
 * `isobench leftovers <stack>`'s decision, with the backend and checkout a test runs its stacks
 * in (`env`: PULUMI_BACKEND_URL, PULUMI_HOME, the passphrase; `cwd`: where Pulumi.yaml is), and
 * the rest of the environment `isobench` gives pulumi.
 */
export function stackLeftovers(stack: string, env: NodeJS.ProcessEnv, cwd = path.resolve(__dirname, "..", "..")): Found {
    return findLeftovers({ repoRoot: cwd, stacksDir: path.join(cwd, "stacks"), env: pulumiEnv(cwd, env) }, stack);
}
