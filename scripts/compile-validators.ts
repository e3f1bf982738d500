/**
 * Writes the validators of the CLI's command arguments as JavaScript beside the compiled
 * command-args.js (ajv's standalone code), so a cell's CLI checks its argument without loading ajv
 * and compiling the schema at every start. Run by `npm run build` after tsc; the module carries the
 * digest of the schemas it was made from, and command-args.ts ignores one made from others.
 */
import * as path from "path";
import { AJV_OPTIONS, COMMAND_SCHEMAS, CommandArgs, schemasDigest, validatorExport } from "../experiment/command-args";
import { writeFileAtomic } from "../core/files";

/** The module's source; its require() calls name ajv's runtime helpers, resolved from the build folder. */
export function validatorsSource(): string {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ajv's standalone entry has no typed default import under our module settings
    const Ajv: typeof import("ajv").default = require("ajv").default;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const standaloneCode: typeof import("ajv/dist/standalone").default = require("ajv/dist/standalone").default;
    const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
    const exports: Record<string, string> = {};
    for (const command of Object.keys(COMMAND_SCHEMAS) as (keyof CommandArgs)[]) {
        ajv.addSchema(COMMAND_SCHEMAS[command], command);
        exports[validatorExport(command)] = command;
    }
    return `${standaloneCode(ajv, exports)}\nexports.digest = ${JSON.stringify(schemasDigest())};\n`;
}

if (require.main === module) {
    const out = path.join(__dirname, "..", "experiment", "command-args.validators.js");
    writeFileAtomic(out, validatorsSource());
}
