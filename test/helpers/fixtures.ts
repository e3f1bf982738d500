/** Test helper: the captured output under test/fixtures/, read by name. */
import * as fs from "fs";
import * as path from "path";

/** Reader of test/fixtures/<folder>/<name>. */
export function fixtureReader(folder: string): (name: string) => string {
    const dir = path.join(__dirname, "..", "fixtures", folder);
    return (name) => fs.readFileSync(path.join(dir, name), "utf8");
}
