/**
 * Errors caused by the user's input or host (bad stack config, missing daemon, unusable KVM):
 * the CLI prints their message alone, without a stack trace. Kept in a module of its own so the
 * CLI can recognise them without loading the modules that throw them.
 */
export class UserError extends Error {}
