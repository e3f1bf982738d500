/**
 * `isobench up --from <results dir> [--stack <name>]`: runs a recorded experiment again, on this
 * host and checkout, under a new stack and runId. Reads the original's provenance/ (refusing,
 * with the file and the fix, what is missing or damaged), writes the stack file the pure
 * experiment/rerun-plan.ts makes, says what differs from the original (commit, images, versions,
 * kernel, CPU), records which run this repeats, and hands the stack to `up`.
 */
import * as fs from "fs";
import * as path from "path";
import { UserError } from "../core/errors";
import { REPO_ROOT, STACK_CONFIG_DIR, resultsRoot, stateDir } from "../core/paths";
import { PROVENANCE_FORMAT, provenanceFiles, readHostCsv, readPasses, type ProvenanceRecord, type RerunOf } from "../core/provenance";
import { measureHost } from "../environments/host-facts";
import { stackTransport } from "./target";
import type { ExperimentSpec } from "./spec";
import { stackFile } from "./stack-file";
import { provenanceDifferences } from "./provenance";
import { checkoutState, hostPackages, imagesOfState, imagesRecord, provenanceJson, softwareRecord } from "./provenance-record";
import { OriginalRun, planRerun } from "./rerun-plan";
import { pulumiEnv } from "./pulumi-cli";

/** `up --from <dir> [--stack <name>]`; undefined when the arguments do not fit. */
const RESTORE = (dir: string) =>
    `Fix: restore ${path.join(dir, "provenance")} from a copy of the results folder (a published one: docs/results/<stack>/provenance), or write the stack file by hand`;

function readJsonFile(file: string, dir: string, what: string): unknown {
    if (!fs.existsSync(file)) throw new UserError(`${file} is missing: ${what} was not recorded (or was removed). ${RESTORE(dir)}`);
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
    } catch (e) {
        throw new UserError(`${file} is not valid JSON (${(e as Error).message}): the file is damaged. ${RESTORE(dir)}`);
    }
}

/** The keys `up --from` relies on, with what each must be. */
function requireShape(file: string, dir: string, v: unknown, shape: Readonly<Record<string, "string" | "number" | "boolean" | "object" | "array">>): void {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new UserError(`${file} does not hold a JSON object. ${RESTORE(dir)}`);
    for (const [k, type] of Object.entries(shape)) {
        const x = (v as Record<string, unknown>)[k];
        const ok = type === "array" ? Array.isArray(x) : type === "object" ? typeof x === "object" && x !== null && !Array.isArray(x) : typeof x === type;
        if (!ok)
            throw new UserError(
                `${file}: key "${k}" is ${x === undefined ? "missing" : `not a${type === "array" || type === "object" ? "n" : ""} ${type}`}. ${RESTORE(dir)}`,
            );
    }
}

/**
 * The recorded run in `dir`.
 * @throws UserError naming the file and the fix: not a results folder, a run that predates
 * provenance, an import, a missing or damaged file
 */
export function readOriginal(dir: string): OriginalRun {
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new UserError(`--from: ${dir} is not a folder. Fix: give a run's results folder, results/<stack>/<runId> (or a published docs/results/<stack>)`);
    }
    const files = provenanceFiles(dir);
    if (!fs.existsSync(files.dir)) {
        const looksLikeResults = ["cells", "host.csv", "summary.md", "progress.log"].some((f) => fs.existsSync(path.join(dir, f)));
        throw new UserError(
            looksLikeResults
                ? `--from: ${dir} has no provenance/: the run predates provenance (isobench up records it since issue 18), so the stack file and resolved spec it ran with were not kept. Fix: write a stack file by hand (the cells' CSVs name each workload's parameters and environment's variant, host.csv the host's versions) and run isobench up <stack>`
                : `--from: ${dir} is not a results folder (no provenance/, cells/ or host.csv). Fix: give a run's results folder, results/<stack>/<runId>`,
        );
    }
    const record = readJsonFile(files.record, dir, "the run's provenance record");
    requireShape(files.record, dir, record, {
        format: "string",
        kind: "string",
        isobench: "object",
        images: "object",
        software: "object",
        workloadParams: "object",
    });
    const r = record as ProvenanceRecord;
    if (r.format !== PROVENANCE_FORMAT) {
        throw new UserError(
            `${files.record}: format "${r.format}" is not one this isobench reads (${PROVENANCE_FORMAT}). Fix: run --from with the isobench that recorded it`,
        );
    }
    if (r.kind !== "run") {
        throw new UserError(
            `--from: ${dir} was ${r.kind === "import" ? `imported from published data (${r.source?.command ?? "isobench import"})` : `recorded as "${r.kind}"`}, not measured by a stack: there is no experiment to run again. Fix: give a folder isobench up measured`,
        );
    }
    const spec = readJsonFile(files.spec, dir, "the resolved spec");
    requireShape(files.spec, dir, spec, {
        stack: "string",
        runId: "string",
        repetitions: "number",
        environmentSpecs: "array",
        workloads: "array",
        kvm: "object",
        host: "object",
    });
    const hostCsv = readHostCsv(dir);
    return {
        dir,
        record: r,
        spec: spec as ExperimentSpec,
        stackFile: fs.existsSync(files.stackFile) ? fs.readFileSync(files.stackFile, "utf8") : "",
        passes: readPasses(dir),
        hostFacts: hostCsv.facts,
        ...(hostCsv.host ? { host: hostCsv.host } : {}),
    };
}

/**
 * Writes the re-run's stack file and hands it to `up`.
 * @param up `isobench up <stack>` (experiment/cli.ts)
 */
export async function upFrom(parsed: { readonly from: string; readonly stack?: string }, up: (stack: string) => Promise<number>): Promise<number> {
    const say = (l: string) => console.log(`[isobench] ${l}`);
    // Inside the checkout, named from its root (results/…, docs/results/…): the name goes into a stack file.
    const fromRoot = path.relative(REPO_ROOT, path.resolve(parsed.from));
    const from = fromRoot.startsWith("..") || path.isAbsolute(fromRoot) ? parsed.from : fromRoot;
    const original = { ...readOriginal(parsed.from), dir: from };
    const stacks = path.join(REPO_ROOT, STACK_CONFIG_DIR);
    const results = resultsRoot(REPO_ROOT);
    const plan = planRerun({
        original,
        ...(parsed.stack !== undefined ? { stack: parsed.stack } : {}),
        stackFileExists: (s) => fs.existsSync(stackFile(stacks, s)),
        runIdTaken: (s, id) => fs.existsSync(path.join(results, s, id)),
        today: new Date(),
    });
    const o = original.spec;
    say(`re-run of ${o.stack}/${o.runId} (${from}) as stack ${plan.stack}, run ${plan.runId}`);
    // The machine the re-run measures: the original's target when it had one.
    const machine = stackTransport(o);
    const here = {
        record: {
            isobench: checkoutState(REPO_ROOT),
            images: imagesRecord(imagesOfState(machine, stateDir(REPO_ROOT), o), machine),
            software: softwareRecord(REPO_ROOT, pulumiEnv(REPO_ROOT)),
            hostPackages: hostPackages(REPO_ROOT, machine),
        },
        hostFacts: measureHost(machine),
    };
    const differences = [...provenanceDifferences(original, here), ...plan.specDifferences.map((d) => `resolved spec ${d}`)];
    for (const d of differences) say(`warning: differs from the original: ${d}`);
    if (differences.length === 0) say("no difference from the original in isobench commit, images, Pulumi, Node, kernel, CPU, tool or host package versions");
    // "wx": a file made meanwhile is not overwritten either.
    fs.writeFileSync(stackFile(stacks, plan.stack), plan.yaml, { flag: "wx" });
    say(`wrote ${path.join(STACK_CONFIG_DIR, `Pulumi.${plan.stack}.yaml`)}`);
    const rerunOf: RerunOf = {
        from,
        stack: o.stack,
        runId: o.runId,
        commit: original.record.isobench.commit,
        dirty: original.record.isobench.dirty,
        host: original.host ?? "not recorded",
        startedAt: original.passes[0]?.at ?? "unknown",
    };
    const into = provenanceFiles(path.join(results, plan.stack, plan.runId));
    fs.mkdirSync(into.dir, { recursive: true });
    fs.writeFileSync(into.rerunOf, provenanceJson(rerunOf));
    return up(plan.stack);
}
