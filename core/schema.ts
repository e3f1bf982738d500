/**
 * JSON Schema helpers shared by every schema of a stack: the schemas are the one source of the
 * input types (json-schema-to-ts derives them), and ajv checks values against the same objects.
 */
import type { FromSchema, JSONSchema } from "json-schema-to-ts";

/** The type of a value valid against `S` (an `as const` schema). */
export type SchemaType<S extends JSONSchema> = FromSchema<S, { parseIfThenElseKeywords: true }>;

/**
 * A value that is one of some words or else has a structured form: the form is chosen by the
 * value's type (if/then/else rather than anyOf), so a refusal reports the branch the value took,
 * not also "must be one of …" for an object that was never meant to be a word.
 * @param otherwise the form in words, for a refusal of a string that is none of the words
 *   ("an integer from 1 to 512"), where the form is not itself a string
 */
export function wordOr<const W extends readonly string[], const F extends Readonly<Record<string, unknown>>>(words: W, form: F, otherwise?: string) {
    return { if: { type: "string" }, then: { enum: words, ...(otherwise !== undefined && { description: otherwise }) }, else: form } as const;
}
