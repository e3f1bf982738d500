/** Where the file backend keeps a stack. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stackStateFile } from "../../experiment/pulumi-cli";

describe("pulumi CLI", () => {
    let dir: string;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "isobench-pulumi-cli-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("names the state file of a stack in a local backend, and none in another backend", () => {
        const env = { PULUMI_BACKEND_URL: `file://${dir}/state` };
        const state = stackStateFile("isobench", "quick", env)!;
        assert.equal(state, path.join(dir, "state", ".pulumi", "stacks", "isobench", "quick.json"));
        assert.equal(stackStateFile("isobench", "quick", { PULUMI_BACKEND_URL: "s3://bucket" }), undefined);
    });
});
