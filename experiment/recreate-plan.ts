/**
 * Which of a stack's resources `isobench up` has Pulumi replace because what they made is gone:
 * the resource of each gone layer (environments/revive.ts goneLayers) and the environment's probe,
 * so the environment that is measured next is probed again. Resource names are those the program
 * declares (experiment/program.ts, environments/*): `<env>-container`, `<env>-domain`,
 * `probe-<env>`. Pure.
 */
import type { GoneLayer } from "../environments/revive";
import { resourceNameOf } from "./recovery";

/** The resources of an environment's layer, by name. */
const LAYER_RESOURCE: Readonly<Record<GoneLayer, (env: string) => string>> = {
    container: (env) => `${env}-container`,
    guest: (env) => `${env}-domain`,
};

/** The environments of `names` whose layers the stack's state records: only those can be gone (the others are made by this up anyway). */
export function provisionedEnvironments(urns: readonly string[], names: readonly string[]): string[] {
    const inState = new Set(urns.map(resourceNameOf));
    return names.filter((env) => Object.values(LAYER_RESOURCE).some((r) => inState.has(r(env))));
}

export interface GoneEnvironment {
    readonly env: string;
    readonly layers: readonly GoneLayer[];
}

/** The URNs to pass to `pulumi up --replace`: each gone layer's resource and its environment's probe, when the state has them. */
export function replacementUrns(urns: readonly string[], gone: readonly GoneEnvironment[]): string[] {
    const wanted = new Set(gone.flatMap((g) => (g.layers.length === 0 ? [] : [...g.layers.map((l) => LAYER_RESOURCE[l](g.env)), `probe-${g.env}`])));
    return urns.filter((u) => wanted.has(resourceNameOf(u)));
}

/** The progress line of one environment made again. */
export function recreateLine(g: GoneEnvironment): string {
    return `environment ${g.env}: its ${g.layers.join(" and ")} ${g.layers.length > 1 ? "are" : "is"} gone (removed outside isobench); creating ${g.layers.length > 1 ? "them" : "it"} again and probing the environment again (the earlier probe stays in envfacts/superseded/)`;
}
