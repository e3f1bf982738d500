/**
 * Root hooks of every mocha run (.mocharc.json requires this file): what several suites share is
 * made once and removed once, after the last of them.
 */
import { randomBytes } from "crypto";
import { STACK_PASSWORD_ENV } from "../../experiment/runner";
import { disposeSharedGuest } from "./live-environments";
import { acquireMachineLock, releaseMachineLock } from "./machine-lock";

export const mochaHooks = {
    async beforeAll(this: Mocha.Context): Promise<void> {
        this.timeout(0);
        // Unit tests touch no daemon: only runs with live suites wait for the machine.
        if (process.argv.some((a) => /integration|smoke/.test(a))) await acquireMachineLock();
        // What the program gives every cell of a stack whose workloads need one (mysql).
        process.env[STACK_PASSWORD_ENV] ??= randomBytes(24).toString("hex");
    },
    afterAll(this: Mocha.Context): void {
        this.timeout(600_000);
        try {
            disposeSharedGuest();
        } finally {
            releaseMachineLock();
        }
    },
};
