/**
 * The import graph of the product code by folder, and the arrows that run against its layers
 * (docs/architecture.md): index.ts → experiment/ → {environments/, workloads/, analysis/} → core/.
 * A folder may import only folders of a lower layer; the three middle folders know nothing of each
 * other. Imports are read with TypeScript's own pre-processor (static, dynamic and require).
 *   node -r ts-node/register/transpile-only scripts/import-graph.ts     prints the graph; exit 1 on a wrong arrow
 * test/unit/layers.test.ts runs the same check in `npm test`.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** Each part of the product and its layer; a part may import parts of lower layers only. */
export const LAYERS: Readonly<Record<string, number>> = {
    core: 0,
    environments: 1,
    workloads: 1,
    analysis: 1,
    experiment: 2,
    "index.ts": 3,
};

export interface FolderEdge {
    readonly from: string;
    readonly to: string;
    /** Every importing file and what it imports, "file → module". */
    readonly imports: readonly string[];
}

/** The TypeScript files of one part of the product. */
export function sources(root: string, part: string): string[] {
    const p = path.join(root, part);
    if (part.endsWith(".ts")) return fs.existsSync(p) ? [p] : [];
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            if (e.isDirectory()) walk(path.join(d, e.name));
            else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path.join(d, e.name));
        }
    };
    if (fs.existsSync(p)) walk(p);
    return out;
}

/** The edges between parts (self-edges left out), sorted. */
export function folderGraph(root: string): FolderEdge[] {
    const edges = new Map<string, string[]>();
    for (const part of Object.keys(LAYERS)) {
        for (const file of sources(root, part)) {
            const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
            for (const ref of info.importedFiles) {
                if (!ref.fileName.startsWith(".")) continue;
                const target = path.relative(root, path.resolve(path.dirname(file), ref.fileName));
                const to = target.split(path.sep)[0] === "index" ? "index.ts" : target.split(path.sep)[0];
                if (!(to in LAYERS) || to === part) continue;
                const key = `${part}\u0000${to}`;
                edges.set(key, [...(edges.get(key) ?? []), `${path.relative(root, file)} → ${ref.fileName}`]);
            }
        }
    }
    return [...edges]
        .map(([k, imports]) => ({ from: k.split("\u0000")[0], to: k.split("\u0000")[1], imports }))
        .sort((a, b) => `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`));
}

/** Edges that point to the same or a higher layer. */
export function wrongArrows(edges: readonly FolderEdge[]): FolderEdge[] {
    return edges.filter((e) => LAYERS[e.to] >= LAYERS[e.from]);
}

if (require.main === module) {
    const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
    const edges = folderGraph(root);
    const wrong = new Set(wrongArrows(edges));
    for (const e of edges)
        console.log(
            `${e.from.padEnd(13)} → ${e.to.padEnd(13)} ${String(new Set(e.imports.map((i) => i.split(" → ")[0])).size).padStart(3)} files${wrong.has(e) ? "   AGAINST THE LAYERS" : ""}`,
        );
    for (const e of wrong) for (const i of e.imports) console.log(`  ${i}`);
    console.log(`${wrong.size} arrow(s) against the layers`);
    process.exit(wrong.size > 0 ? 1 : 0);
}
