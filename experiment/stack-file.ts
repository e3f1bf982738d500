/** Reads and validates stacks/Pulumi.<stack>.yaml before Pulumi is started. */
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { ExperimentSpec, MachineShapeOf, checkStackName, isobenchKeys, parseSpec } from "./spec";
import type { HostShape } from "../core/host-shape";
import { machineShape } from "./host-shape-read";
import { SpecError } from "../core/errors";
import { didYouMean } from "../core/closest";

/**
 * Largest stack file read. The study stacks are about 5 KB; the YAML library's duplicate-key
 * check takes time growing with the square of a map's size (16 000 keys: 3 s), so the bound is
 * what keeps every refusal fast.
 */
export const MAX_STACK_FILE_BYTES = 64 * 1024;

/**
 * Alias expansions the YAML library may make while building the config (its maxAliasCount): a
 * few anchors shared between environments are fine, a "billion laughs" document is refused
 * before it is expanded.
 */
export const MAX_YAML_ALIAS_COUNT = 100;

/** Keys Pulumi reads in a stack file besides config (its ProjectStack); anything else is a typo. */
const STACK_FILE_KEYS = ["config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"];

/** YAML problems a refusal lists; a deeply nested file reports one per level. */
const MAX_YAML_PROBLEMS = 3;

export function availableStacks(stacksDir: string): string[] {
    return fs.existsSync(stacksDir)
        ? fs
              .readdirSync(stacksDir)
              .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
              .filter((s): s is string => !!s)
              .sort()
        : [];
}

export function stackFile(stacksDir: string, stack: string): string {
    return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/** The file's text: a regular file, at most MAX_STACK_FILE_BYTES, UTF-8. */
function readStackText(stacksDir: string, stack: string): { file: string; text: string } {
    const file = stackFile(stacksDir, stack);
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        const available = availableStacks(stacksDir);
        throw new SpecError(
            `unknown stack "${stack}"${didYouMean(stack, available)}: ${file} does not exist. Available stacks: ${available.join(", ") || "(none)"}`,
        );
    }
    // A FIFO or device would block the read or never end.
    if (!stat.isFile()) throw new SpecError(`${file} is not a regular file. Fix: make stacks/Pulumi.${stack}.yaml a YAML file`);
    // Read at most one byte more than allowed, so a file that grows after stat is bounded too.
    const buf = Buffer.alloc(MAX_STACK_FILE_BYTES + 1);
    const fd = fs.openSync(file, "r");
    let size: number;
    try {
        size = fs.readSync(fd, buf, 0, buf.length, 0);
    } finally {
        fs.closeSync(fd);
    }
    if (size > MAX_STACK_FILE_BYTES) {
        throw new SpecError(
            `${file}: file size is over ${MAX_STACK_FILE_BYTES} bytes (${Math.max(stat.size, size)}); a stack file is a few kilobytes of config. Fix: remove what is not isobench config`,
        );
    }
    try {
        return { file, text: new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(0, size)) };
    } catch {
        throw new SpecError(`${file}: is not UTF-8 text. Fix: save the file as UTF-8`);
    }
}

/** The YAML document as plain data; every YAML problem (syntax, duplicate keys, unknown tags, alias bombs) is a SpecError. */
function parseYaml(file: string, text: string): unknown {
    let doc: YAML.Document.Parsed;
    try {
        doc = YAML.parseDocument(text, { uniqueKeys: true });
    } catch (e) {
        throw new SpecError(`${file} is not valid YAML: ${(e as Error).message}`);
    }
    // Warnings too: an unresolved tag (`!foo x`) would silently become the plain string "x".
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
        const more = problems.length > MAX_YAML_PROBLEMS ? `\n  … and ${problems.length - MAX_YAML_PROBLEMS} more` : "";
        throw new SpecError(
            `${file} is not valid YAML:\n  - ${problems
                .slice(0, MAX_YAML_PROBLEMS)
                .map((e) => `${e.code}: ${e.message.trim()}`)
                .join("\n  - ")}${more}`,
        );
    }
    try {
        return doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
    } catch (e) {
        // The library throws ReferenceErrors for aliases: one expanding past maxAliasCount, or one without its anchor.
        const message = (e as Error).message;
        if (/excessive alias count/i.test(message)) {
            throw new SpecError(
                `${file}: YAML aliases expand too far (${message}); a stack file may expand aliases at most ${MAX_YAML_ALIAS_COUNT} times. Fix: write the values out instead of aliasing them`,
            );
        }
        throw new SpecError(`${file} is not valid YAML: ${message}`);
    }
}

/**
 * @param host the host's shape, for host-relative guest sizes (spec.ts parseSpec); by default this
 *   host's, whose shape a stack file means here (a described host's for isobench plan --host)
 * @throws SpecError for a bad stack name, an unknown stack, malformed YAML or an invalid config.
 */
export function loadStackSpec(stacksDir: string, stack: string, host: HostShape | MachineShapeOf = machineShape): ExperimentSpec {
    // Before the name becomes a path: "../x" must not read a file outside stacksDir.
    checkStackName(stack);
    const { file, text } = readStackText(stacksDir, stack);
    const data = parseYaml(file, text);
    const fix = "an experiment needs at least isobench:runId, isobench:environments and isobench:workloads";
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
        throw new SpecError(
            `${file}: has no "config:" map (the file is ${data === null ? "empty" : Array.isArray(data) ? "a list" : `the scalar ${JSON.stringify(data)}`}); ${fix}`,
        );
    }
    const unknown = Object.keys(data).filter((k) => !STACK_FILE_KEYS.includes(k));
    if (unknown.length > 0) {
        throw new SpecError(
            `${file}: unknown top-level key ${unknown.map((k) => JSON.stringify(k) + didYouMean(k, STACK_FILE_KEYS)).join(", ")} (a stack file has ${STACK_FILE_KEYS.join(", ")}; isobench settings go under config: as isobench:<key>)`,
        );
    }
    const config = (data as { config?: unknown }).config;
    if (config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new SpecError(
            `${file}: has no "config:" map${config === undefined ? "" : ` (config is ${Array.isArray(config) ? "a list" : JSON.stringify(config)})`}; ${fix}`,
        );
    }
    return parseSpec(stack, isobenchKeys(config as Record<string, unknown>, stack), host);
}
