/** What brings a stopped container back, from the states `docker inspect` reports (environments/revive.ts). */
import * as assert from "node:assert/strict";
import { containerRevival } from "../../environments/revive";

describe("containerRevival", () => {
    it("leaves a running container alone, starts a stopped one, unpauses a paused one, refuses the rest", () => {
        assert.equal(containerRevival("running"), undefined);
        assert.deepEqual(containerRevival("exited"), { argv: ["start"], did: "was exited; started it again" });
        assert.deepEqual(containerRevival("created"), { argv: ["start"], did: "was created; started it again" });
        assert.deepEqual(containerRevival("paused"), { argv: ["unpause"], did: "was paused; unpaused it" });
        for (const s of ["restarting", "removing", "dead"]) assert.equal(containerRevival(s), "unrevivable");
    });
});
