/**
 * Root hooks of every mocha run (.mocharc.json requires this file): what several suites share is
 * removed once, after the last of them.
 */
import { disposeSharedGuest } from "./live-environments";

export const mochaHooks = {
    afterAll(this: Mocha.Context): void {
        this.timeout(600_000);
        disposeSharedGuest();
    },
};
