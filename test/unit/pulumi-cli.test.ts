/** When isobench asks Pulumi to create a stack. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { selectStack, stackStateFile } from "../../experiment/pulumi-cli";

describe("pulumi CLI", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-pulumi-cli-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("creates a stack only when its state is not in the file backend yet", () => {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: isobench\nruntime: nodejs\n");
        const env = { PATH: path.join(dir, "no-such-folder"), PULUMI_BACKEND_URL: `file://${dir}/state` };
        const state = stackStateFile("isobench", "quick", env)!;
        assert.equal(state, path.join(dir, "state", ".pulumi", "stacks", "isobench", "quick.json"));
        assert.equal(stackStateFile("isobench", "quick", { PULUMI_BACKEND_URL: "s3://bucket" }), undefined);
        // No state: pulumi must create it (and here cannot run, which proves it was asked).
        assert.throws(() => selectStack("quick", dir, env), /pulumi stack select quick failed/);
        fs.mkdirSync(path.dirname(state), { recursive: true });
        fs.writeFileSync(state, "{}");
        assert.doesNotThrow(() => selectStack("quick", dir, env));
    });
});
