/**
 * `isobench import felter2014 <checkout> [--out <results dir>]`: reads a checkout of the authors'
 * repository, writes its logs as a results folder in isobench's own layout (cells/<cell>.csv,
 * environments.csv, IMPORTED.md) and analyses it like any run. The mapping is the pure
 * experiment/import-felter2014.ts; this module only reads and writes.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "csv-stringify/sync";
import { UserError } from "../core/errors";
import { writeFileAtomic } from "../core/files";
import { cellCsvPath } from "../core/results-layout";
import { samplesToCsv, type Sample } from "../core/samples";
import { groupBy } from "../analysis/group-by";
import { ENVIRONMENT_FACT_COLUMNS } from "../analysis/facts";
import { PROVENANCE_FORMAT, type ProvenanceRecord } from "../core/provenance";
import { REPO_ROOT } from "../core/paths";
import { attempt } from "../environments/process";
import { checkoutState, provenanceJson, writeProvenance } from "./provenance-record";
import { sha256 } from "./provenance";
import {
    FELTER2014_ENVIRONMENTS,
    FELTER2014_REPOSITORY,
    FELTER2014_RUN_ID,
    FELTER2014_SOURCES,
    importFelter2014,
    missingSources,
    sourceFiles,
    type Felter2014Import,
} from "./import-felter2014";

/** Written into every imported folder; its presence lets a later import replace the folder's cells. */
export const IMPORT_MARKER = "IMPORTED.md";

/** Every file of a directory tree, repository-relative with "/" separators; .git left out. */
function listTree(root: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
            if (e.name === ".git") continue;
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) walk(r);
            else if (e.isFile()) out.push(r);
        }
    };
    walk("");
    return out;
}

/** Reads the logs the import needs from a checkout; a UserError naming what is missing and the fix otherwise. */
export function readFelter2014Checkout(checkout: string): Map<string, string> {
    const fix = `Fix: give a checkout (a work tree) of ${FELTER2014_REPOSITORY}: git clone https://${FELTER2014_REPOSITORY} <dir>, then isobench import felter2014 <dir>`;
    if (!fs.existsSync(checkout) || !fs.statSync(checkout).isDirectory()) throw new UserError(`import felter2014: ${checkout} is not a directory. ${fix}`);
    if (fs.existsSync(path.join(checkout, "HEAD")) && fs.existsSync(path.join(checkout, "objects")))
        throw new UserError(`import felter2014: ${checkout} is a bare git repository (no work tree). ${fix} (a clone of a bare mirror works too)`);
    const available = listTree(checkout);
    const missing = missingSources(available);
    if (missing.length > 0) {
        throw new UserError(
            `import felter2014: ${checkout} is not a checkout of ${FELTER2014_REPOSITORY}: it lacks ${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ` and ${missing.length - 4} more` : ""}. ${fix}`,
        );
    }
    const needed = new Set(FELTER2014_SOURCES.flatMap((s) => sourceFiles(s, available)));
    return new Map([...needed].map((f) => [f, fs.readFileSync(path.join(checkout, f), "utf8")]));
}

/** environments.csv of an import: what each configuration was, as the authors' scripts say (nothing was probed). */
function environmentsCsv(samples: readonly Sample[]): string {
    const used = [...new Set(samples.map((s) => s.environment))].sort();
    const rows = used.map((name) => {
        const e = FELTER2014_ENVIRONMENTS[name];
        return [name, e.env_kind, e.variant, e.accel, "configured_by", e.source, "", ""];
    });
    return stringify(rows, { header: true, columns: [...ENVIRONMENT_FACT_COLUMNS] });
}

function importNote(checkout: string, imported: Felter2014Import, cells: number): string {
    return [
        `# Imported from ${FELTER2014_REPOSITORY}`,
        "",
        // The folder's name only: a published import must not name the machine's folders.
        `\`isobench import felter2014 ${path.basename(path.resolve(checkout))}\`: ${imported.samples.length} samples in ${cells} cells. Each run the authors' scripts appended to a log is one repetition (experiment/import-felter2014.ts).`,
        "",
        "## Runs left out",
        "",
        ...(imported.skipped.length ? imported.skipped.map((l) => `- ${l}`) : ["none"]),
        "",
    ].join("\n");
}

/** The checkout's commit and its date, or "unknown" when it is not a git work tree of its own. */
function sourceCommit(checkout: string): { commit: string; committedAt?: string } {
    const top = attempt(["git", "-C", checkout, "rev-parse", "--show-toplevel"], 30);
    // Files copied into another repository (the test fixtures) must not take that repository's commit.
    if (top.status !== 0 || fs.realpathSync(top.stdout.trim()) !== fs.realpathSync(checkout)) return { commit: "unknown (not a git work tree of its own)" };
    const r = attempt(["git", "-C", checkout, "log", "-1", "--format=%H %cI"], 30);
    const m = r.status === 0 ? /^([0-9a-f]{40}) (\S+)/.exec(r.stdout) : null;
    return m ? { commit: m[1], committedAt: m[2] } : { commit: "unknown (not a git work tree)" };
}

/**
 * provenance/ of an import: the source repository, its commit and a hash of the files read, and
 * isobench's commit; no stack file or spec (nothing was provisioned) and no host.csv (the host is
 * the authors', named in the samples).
 */
function writeImportProvenance(checkout: string, outDir: string, files: ReadonlyMap<string, string>, imported: Felter2014Import): void {
    const isobench = checkoutState(REPO_ROOT);
    const content = [...files.keys()].sort().map((f) => `${f}\0${sha256(files.get(f)!)}\n`);
    const hosts = [...new Set(imported.samples.map((s) => s.host))].sort().join(", ");
    const record: ProvenanceRecord = {
        format: PROVENANCE_FORMAT,
        kind: "import",
        stack: FELTER2014_RUN_ID,
        runId: FELTER2014_RUN_ID,
        isobench,
        software: { node: process.version, pulumiCli: "not used (import)", pulumiSdk: "not used (import)" },
        images: { guests: {} },
        workloadParams: {},
        hostFacts: "none: the data were measured on the authors' host (source.host), not probed",
        source: {
            repository: FELTER2014_REPOSITORY,
            ...sourceCommit(checkout),
            host: `${hosts} (the authors' host, as their logs name it)`,
            // The folder's name only: a published import must not name the machine's folders.
            command: `isobench import felter2014 ${path.basename(path.resolve(checkout))}`,
            files: files.size,
            filesSha256: sha256(content.join("")),
        },
    };
    writeProvenance(
        outDir,
        { record: provenanceJson(record) },
        { isobench_commit: isobench.commit, dirty: String(isobench.dirty), host: os.hostname(), stack_file_sha256: "", spec_sha256: "" },
    );
}

/**
 * Writes the import into `outDir` (created; a folder holding anything but an earlier import is
 * refused, an earlier import's cells are replaced) and returns the number of cells written.
 */
export function writeFelter2014Import(checkout: string, outDir: string): { cells: number; imported: Felter2014Import } {
    const files = readFelter2014Checkout(checkout);
    const imported = importFelter2014(files);
    if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0 && !fs.existsSync(path.join(outDir, IMPORT_MARKER)))
        throw new UserError(
            `import felter2014: ${outDir} exists and is not an earlier import (no ${IMPORT_MARKER}). Fix: give an empty or new folder with --out`,
        );
    fs.rmSync(path.join(outDir, "cells"), { recursive: true, force: true });
    fs.mkdirSync(path.join(outDir, "cells"), { recursive: true });
    const cells = groupBy(imported.samples, (s) => s.cell_id);
    for (const [cell, samples] of cells) writeFileAtomic(cellCsvPath(outDir, cell), samplesToCsv(samples));
    writeFileAtomic(path.join(outDir, "environments.csv"), environmentsCsv(imported.samples));
    writeFileAtomic(path.join(outDir, IMPORT_MARKER), importNote(checkout, imported, cells.size));
    writeImportProvenance(checkout, outDir, files, imported);
    return { cells: cells.size, imported };
}
