/**
 * How a workload makes clones of its cell's environment (lifecycle and instances sweeps) without
 * knowing what the environment is: environments/clone.ts writes the scripts, the runner binds them
 * to the cell's environment and hands them over in the run context.
 */

/** Shell snippets for one clone. */
export interface CloneScripts {
    readonly name: string;
    /**
     * Creates the clone and returns once it answers (docker exec / SSH). For guests, the last
     * stdout line is the guest's IP address; the other kinds print nothing to stdout.
     */
    readonly create: string;
    /** Removes the clone and everything created for it; idempotent. */
    readonly remove: string;
    /**
     * Shell words running `script` inside the clone; `ipVar` names the shell variable holding the
     * address the create step printed (guests only).
     */
    exec(script: string, ipVar: string): string;
}

/** The clones of one environment, as a workload sees them. */
export interface Clones {
    /** Whether clones share the original's filesystem (native "instances" are processes), so each needs a data directory of its own. */
    readonly shareFilesystem: boolean;
    /** Create/remove/exec snippets for clone k, its creation bounded by timeoutS. */
    scripts(k: number, timeoutS: number): CloneScripts;
}
