/**
 * The longest functions and files of the product code (the parts of scripts/import-graph.ts), in
 * lines as formatted: the figures issue reviews compare before and after a structural change.
 *   node -r ts-node/register/transpile-only scripts/code-size.ts [ROOT] [N]
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { LAYERS, sources } from "./import-graph";

export interface Sized {
    readonly name: string;
    readonly lines: number;
}

/** Every named function, method and arrow function assigned to a name in `file`, with its length in lines. */
export function functionSizes(file: string, text: string): Sized[] {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const out: Sized[] = [];
    const lines = (n: ts.Node) => sf.getLineAndCharacterOfPosition(n.getEnd()).line - sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
    const visit = (n: ts.Node) => {
        let name: string | undefined;
        if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isConstructorDeclaration(n)) && n.body) {
            name = ts.isConstructorDeclaration(n) ? `${(n.parent as ts.ClassDeclaration).name?.text ?? "class"}.constructor` : n.name?.getText(sf);
        } else if (ts.isVariableDeclaration(n) && n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) {
            name = n.name.getText(sf);
        }
        if (name) out.push({ name: `${file}:${name}`, lines: lines(n) });
        ts.forEachChild(n, visit);
    };
    visit(sf);
    return out;
}

if (require.main === module) {
    const root = path.resolve(process.argv[2] ?? path.join(__dirname, ".."));
    const n = Number(process.argv[3] ?? 8);
    const files: Sized[] = [];
    const functions: Sized[] = [];
    for (const part of Object.keys(LAYERS)) {
        for (const file of sources(root, part)) {
            const text = fs.readFileSync(file, "utf8");
            const rel = path.relative(root, file);
            files.push({ name: rel, lines: text.split("\n").length - (text.endsWith("\n") ? 1 : 0) });
            functions.push(...functionSizes(rel, text));
        }
    }
    const top = (xs: Sized[]) => [...xs].sort((a, b) => b.lines - a.lines).slice(0, n);
    console.log(`longest functions (of ${functions.length}):`);
    for (const f of top(functions)) console.log(`  ${String(f.lines).padStart(4)}  ${f.name}`);
    console.log(`functions over 80 lines: ${functions.filter((f) => f.lines > 80).length}`);
    console.log(`longest files (of ${files.length}):`);
    for (const f of top(files)) console.log(`  ${String(f.lines).padStart(4)}  ${f.name}`);
}
