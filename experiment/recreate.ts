/**
 * Before `pulumi up`: environments of the stack's state whose container or guest was removed
 * outside isobench are created again (Pulumi replaces their resources and their probes), so a run
 * goes on with one `isobench up` instead of destroy and up. Measured cells keep their results.
 */
import { guestIp } from "../environments/kvm/guest-ip";
import { transportOf } from "../environments/transport";
import { goneLayers } from "../environments/revive";
import { guestLifecycleScript, REPO_ROOT } from "../core/paths";
import type { HostContext } from "./program";
import { environmentPlans } from "./environment-handles";
import { appendProgress } from "./progress-log";
import { projectName } from "./pulumi-cli";
import { GoneEnvironment, provisionedEnvironments, recreateLine, replacementUrns } from "./recreate-plan";
import { stateUrns } from "./recovery";
import type { ExperimentSpec } from "./spec";

/**
 * A function giving the URNs `pulumi up` is to replace, to be called once the stack's
 * lock is held and what killed runs left is cleared (the state is then what Pulumi will see).
 * Says and logs to progress.log what it re-creates.
 */
export function recreateArgs(
    spec: ExperimentSpec,
    host: HostContext,
    stack: string,
    env: NodeJS.ProcessEnv,
    resultsDir: string,
    say: (line: string) => void = (l) => console.log(`[isobench] ${l}`),
): () => string[] {
    return () => {
        const urns = stateUrns(env, projectName(REPO_ROOT), stack);
        if (urns.length === 0) return [];
        const plans = environmentPlans(spec, host);
        const lifecycle = guestLifecycleScript(REPO_ROOT);
        const provisioned = new Set(
            provisionedEnvironments(
                urns,
                plans.map((p) => p.handle.name),
            ),
        );
        const gone: GoneEnvironment[] = plans
            .filter((p) => provisioned.has(p.handle.name))
            .map((p) => ({ env: p.handle.name, layers: goneLayers(p.handle, lifecycle, (domain) => guestIp(transportOf(p.handle), domain)) }))
            .filter((g) => g.layers.length > 0);
        for (const g of gone) {
            say(recreateLine(g));
            appendProgress(resultsDir, recreateLine(g));
        }
        return replacementUrns(urns, gone);
    };
}
