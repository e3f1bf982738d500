/**
 * What the program's command resources hand to `isobench <subcommand>` as one argument (base64 of
 * JSON, so no shell or Pulumi quoting can bend it): one encoder the program uses and one decoder
 * the CLI uses, which checks the value against its schema before anything acts on it. A resource
 * written by another isobench version, or an argument pasted by hand, is refused with what is wrong
 * instead of failing somewhere inside the runner.
 */
import type { ValidateFunction } from "ajv";
import type { EnvironmentHandle } from "../core/environment-handle";
import type { PrecisionGoal } from "../core/precision";
import { UserError } from "../core/errors";
import type { DeclaredSettings } from "../environments/host-settings";
import type { CellInvocation } from "./runner";
import type { Target } from "../core/transport";

const strings = { type: "object", additionalProperties: { type: "string" } } as const;
const argv = { type: "array", items: { type: "string" } } as const;
const guest = { domain: { type: "string" }, sshKey: { type: "string" }, knownHosts: { type: "string" } } as const;

const targetSchema = {
    oneOf: [
        { type: "object", required: ["kind"], additionalProperties: false, properties: { kind: { const: "native" }, numactl: argv } },
        {
            type: "object",
            required: ["kind", "container", "network"],
            additionalProperties: false,
            properties: { kind: { const: "docker" }, container: { type: "string" }, network: { enum: ["nat", "host"] }, numactl: argv },
        },
        { type: "object", required: ["kind", "domain", "sshKey", "knownHosts"], additionalProperties: false, properties: { kind: { const: "kvm" }, ...guest } },
        {
            type: "object",
            required: ["kind", "domain", "sshKey", "knownHosts", "container", "network"],
            additionalProperties: false,
            properties: {
                kind: { const: "docker-in-kvm" },
                ...guest,
                container: { type: "string" },
                network: { enum: ["nat", "host", "none"] },
                numactl: argv,
            },
        },
    ],
} as const;

/** core/transport.ts Target: the machine an environment lives on. */
const machineSchema = {
    oneOf: [
        { type: "object", required: ["kind"], additionalProperties: false, properties: { kind: { const: "local" } } },
        {
            type: "object",
            required: ["kind", "user", "host", "port", "keyFile", "knownHosts", "controlPath", "dockerSocket"],
            additionalProperties: false,
            properties: {
                kind: { const: "ssh" },
                user: { type: "string" },
                host: { type: "string" },
                port: { type: "integer", minimum: 1, maximum: 65535 },
                keyFile: { type: "string" },
                knownHosts: { type: "string" },
                controlPath: { type: "string" },
                dockerSocket: { type: "string" },
            },
        },
    ],
} as const;

const handleSchema = {
    type: "object",
    required: ["name", "envKind", "variant", "accel", "target", "dataDir", "declared"],
    additionalProperties: false,
    properties: {
        name: { type: "string" },
        envKind: { enum: ["native", "docker", "kvm", "docker-in-kvm"] },
        variant: { type: "string" },
        accel: { enum: ["kvm", "tcg", "none"] },
        target: targetSchema,
        machine: machineSchema,
        dataDir: { type: "string" },
        declared: strings,
        recorded: strings,
    },
} as const;

const cellSchema = {
    type: "object",
    required: ["stack", "runId", "resultsDir", "cellId", "workload", "params", "repetition", "env", "fingerprint", "onFailure", "limit"],
    additionalProperties: false,
    properties: {
        stack: { type: "string" },
        runId: { type: "string" },
        resultsDir: { type: "string" },
        cellId: { type: "string" },
        workload: { type: "string" },
        params: { type: "object", additionalProperties: { type: ["string", "number"] } },
        repetition: { type: "integer", minimum: 1 },
        env: handleSchema,
        guests: { type: "array", items: { type: "string" } },
        schedule: { const: "grouped" },
        groupStart: { type: "boolean" },
        guestSshKey: { type: "string" },
        fingerprint: { type: "string", pattern: "^fp1-[0-9a-f]{16}$" },
        onFailure: { enum: ["stop", "continue"] },
        limit: {
            type: "object",
            required: ["limitS", "source"],
            additionalProperties: false,
            properties: { limitS: { type: "integer", minimum: 1 }, source: { type: "string" } },
        },
    },
} as const;

const settingsSchema = {
    type: "object",
    additionalProperties: false,
    properties: { thp: { type: "string" }, swap: { type: "string" }, governor: { type: "string" }, boost: { type: "string" } },
} as const;

/** The value each subcommand takes. */
export interface CommandArgs {
    "run-cell": CellInvocation;
    probe: EnvironmentHandle;
    "probe-host": Readonly<Record<string, string>>;
    /** `probe-host --machine`: the machine under test. */
    machine: Target;
    "host-apply": DeclaredSettings;
    /** `analyze --plan`: the cell ids of the stack's current plan, and its precision goal. */
    "analyze-plan": { readonly cells: readonly string[]; readonly precision?: PrecisionGoal };
}

/** The schema of each subcommand's argument. */
export const COMMAND_SCHEMAS: { readonly [K in keyof CommandArgs]: object } = {
    "run-cell": cellSchema,
    probe: handleSchema,
    "probe-host": strings,
    machine: machineSchema,
    "host-apply": settingsSchema,
    "analyze-plan": {
        type: "object",
        additionalProperties: false,
        required: ["cells"],
        properties: {
            cells: { type: "array", items: { type: "string" } },
            precision: {
                type: "object",
                additionalProperties: false,
                required: ["relativeHalfWidth", "maxRepetitions"],
                properties: { relativeHalfWidth: { type: "number" }, maxRepetitions: { type: "integer" }, maxClaimRepetitions: { type: "integer" } },
            },
        },
    },
};

export const AJV_OPTIONS = { allErrors: true, strict: true, allowUnionTypes: true } as const;

/** Name of a command's validator in the precompiled module (an identifier). */
export const validatorExport = (command: keyof CommandArgs): string => command.replace(/-/g, "_");

/** What the precompiled module was made from: a module whose digest differs is never used. */
export function schemasDigest(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the Pulumi program imports this module only to encode; it needs none of this
    const crypto: typeof import("crypto") = require("crypto");
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const ajvVersion: string = require("ajv/package.json").version;
    return crypto
        .createHash("sha256")
        .update(JSON.stringify({ ajvVersion, options: AJV_OPTIONS, schemas: COMMAND_SCHEMAS }))
        .digest("hex");
}

/** The module `npm run build` writes beside the compiled command-args.js (scripts/compile-validators.ts). */
export interface PrecompiledValidators {
    readonly digest: string;
    readonly [exportName: string]: unknown;
}

function loadPrecompiled(): PrecompiledValidators | undefined {
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional build output: absent when running from sources (ts-node)
        return require("./command-args.validators");
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND") return undefined;
        throw e;
    }
}

// Loading ajv and compiling the cell schema took 60-80 ms of every cell's start, most of the gap
// between cells; the build compiles the validators to JavaScript once (ajv's standalone code).
// From sources, or when the precompiled module was made from other schemas, ajv compiles here.
/** A command's validator: the precompiled one when it was made from these schemas, else compiled by ajv now. */
export function buildValidator<K extends keyof CommandArgs>(
    command: K,
    precompiled: PrecompiledValidators | undefined,
): { readonly validate: ValidateFunction<CommandArgs[K]>; readonly precompiled: boolean } {
    const fn = precompiled?.digest === schemasDigest() ? precompiled[validatorExport(command)] : undefined;
    if (typeof fn === "function") return { validate: fn as ValidateFunction<CommandArgs[K]>, precompiled: true };
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when no precompiled validator fits
    const Ajv: typeof import("ajv").default = require("ajv").default;
    return { validate: new Ajv(AJV_OPTIONS).compile<CommandArgs[K]>(COMMAND_SCHEMAS[command]), precompiled: false };
}

const validators = new Map<keyof CommandArgs, ValidateFunction>();
function validatorOf<K extends keyof CommandArgs>(command: K): ValidateFunction<CommandArgs[K]> {
    let v = validators.get(command);
    if (!v) {
        v = buildValidator(command, loadPrecompiled()).validate;
        validators.set(command, v);
    }
    return v as ValidateFunction<CommandArgs[K]>;
}

/** The argument of `isobench <command>` carrying `value`. */
export function encodeArg<K extends keyof CommandArgs>(command: K, value: CommandArgs[K]): string {
    return Buffer.from(JSON.stringify(value)).toString("base64");
}

/** The value in an argument of `isobench <command>`; throws a UserError saying what is wrong. */
export function decodeArg<K extends keyof CommandArgs>(command: K, arg: string): CommandArgs[K] {
    let value: unknown;
    try {
        value = JSON.parse(Buffer.from(arg, "base64").toString("utf8"));
    } catch (e) {
        throw new UserError(
            `isobench ${command}: the argument is not base64 of JSON (${(e as Error).message}). Fix: let the Pulumi program pass it (isobench up)`,
            { cause: e },
        );
    }
    const validate = validatorOf(command);
    if (!validate(value)) {
        const why = (validate.errors ?? [])
            .slice(0, 5)
            .map((e) => `${e.instancePath || "(top)"} ${e.message}`)
            .join("; ");
        throw new UserError(
            `isobench ${command}: the argument does not have the form this isobench writes (${why}). Fix: run \`isobench up\` again so the program rewrites its commands`,
        );
    }
    return value;
}
