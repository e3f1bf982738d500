/**
 * Every error isobench throws on purpose, in one place. UserError and its subclasses are caused by
 * the user's input or host (bad stack config, missing daemon, unusable KVM): the CLI prints their
 * message alone, without a stack trace. The others are programming or tool-output errors that
 * carry the field or metric they concern. Kept free of imports so the CLI can recognise them
 * without loading the modules that throw them.
 */
export class UserError extends Error {}

/** A bad stack config; the message names the key, the bad value and what is allowed. */
export class SpecError extends UserError {}

/** The host cannot run what the stack declares (a daemon, an image, KVM); the message names the fix. */
export class HostError extends UserError {}

/** Results of the run were measured under another definition than the plan's; the message lists them and the fix. */
export class StaleResultsError extends UserError {}

/** A cell that ran and failed: the tool's exit status and raw output file, when it got that far. */
export class CellFailure extends Error {
    constructor(
        message: string,
        readonly exitStatus?: number,
        readonly raw?: string,
        options?: ErrorOptions,
    ) {
        super(message, options);
        this.name = "CellFailure";
    }
}

/** Thrown for a spec that must not be rendered; the message names the field and the fix. */
export class DomainSpecError extends Error {
    constructor(
        readonly field: string,
        detail: string,
    ) {
        super(`domain spec ${field}: ${detail}`);
        this.name = "DomainSpecError";
    }
}

/** Thrown when a preset cannot be realised on this host; the message names the fix. */
export class KvmPresetError extends Error {
    constructor(
        readonly environment: string,
        detail: string,
    ) {
        super(`${environment}: ${detail}`);
        this.name = "KvmPresetError";
    }
}

/** Thrown when tool output does not parse; the runner adds the raw file path. */
export class ParseError extends Error {
    constructor(
        readonly workload: string,
        readonly metric: string,
        detail: string,
    ) {
        super(`${workload}: cannot parse ${metric}: ${detail}`);
    }
}

/** A command line isobench cannot read (unknown command or option, missing or extra argument): exit status 2, as before any parser. */
export class UsageError extends UserError {}
