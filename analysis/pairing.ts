/**
 * Pairing of repetitions across environments. The runner interleaves repetitions (repetition r of
 * every environment runs before repetition r + 1 of any), so repetition r of an environment and
 * repetition r of native were measured close in time; comparing them pairwise cancels slow drift
 * of the host (thermal, noisy neighbours). Pure, no I/O.
 *
 * Design decision: paired whenever both sides have the same repetitions, unpaired otherwise.
 * The repetition is the block of the experiment's design, so the analysis follows the design:
 * under shared drift the pairs' values are correlated and an unpaired analysis, which assumes
 * every value independent of every other, mis-states the variance of the ratio (too wide when
 * the drift is shared, and it hides the drift in the spread). The price is degrees of freedom
 * (n − 1 instead of up to 2n − 2): at n = 3 a paired interval without any drift is wider than an
 * unpaired one would be. Both keep their nominal coverage under their own model (measured in
 * test/unit/analysis-ratio-coverage.test.ts); pairing is the one valid under the drift the
 * interleaving is there to handle.
 */

export interface Observation {
    readonly repetition: number;
    readonly value: number;
}

export type Pairing =
    | { readonly paired: true; /** env values in repetition order */ readonly env: number[]; /** native values, same order */ readonly native: number[] }
    | { readonly paired: false; /** why the samples are compared as independent */ readonly reason: string };

function describeReps(obs: readonly Observation[]): string {
    return [...obs.map((o) => o.repetition)].sort((a, b) => a - b).join(",");
}

/**
 * Pairs by repetition number when both sides have the same set of distinct repetitions (at least
 * two). Otherwise no pairing, with the reason: dropping unmatched repetitions to force pairs would
 * discard data silently.
 */
export function pairByRepetition(env: readonly Observation[], native: readonly Observation[]): Pairing {
    const index = (obs: readonly Observation[]) => {
        const m = new Map<number, number>();
        for (const o of obs) {
            if (!Number.isInteger(o.repetition) || m.has(o.repetition)) return null;
            m.set(o.repetition, o.value);
        }
        return m;
    };
    const e = index(env);
    const n = index(native);
    if (!e || !n) return { paired: false, reason: "repetition numbers are missing or repeated within an environment" };
    if (e.size < 2) return { paired: false, reason: "fewer than 2 repetitions" };
    const same = e.size === n.size && [...e.keys()].every((r) => n.has(r));
    if (!same) return { paired: false, reason: `repetitions differ (environment ${describeReps(env)}; native ${describeReps(native)})` };
    const reps = [...e.keys()].sort((a, b) => a - b);
    return { paired: true, env: reps.map((r) => e.get(r)!), native: reps.map((r) => n.get(r)!) };
}

/**
 * One value per repetition: simultaneous instances of one environment (the `instances` parameter)
 * give several values of a metric in the same repetition, and those are not independent
 * replicates (they share the host at the same moment). The repetition is the unit of replication,
 * so its values are averaged (the mean per instance; `<metric>_aggregate` carries their sum)
 * before any statistic or comparison. Repetitions keep their first-seen order.
 */
export const UNIT_OF_REPLICATION =
    "simultaneous instances: their values are averaged within each repetition (the unit of replication) before any statistic; <metric>_aggregate is their sum";

export function perRepetition(values: readonly number[], repetitions: readonly number[]): { values: number[]; repetitions: number[]; instances: number } {
    const byRep = new Map<number, number[]>();
    values.forEach((v, i) => {
        const list = byRep.get(repetitions[i]);
        if (list) list.push(v);
        else byRep.set(repetitions[i], [v]);
    });
    if (byRep.size === values.length) return { values: [...values], repetitions: [...repetitions], instances: 1 };
    const lists = [...byRep.values()];
    return {
        values: lists.map((l) => l.reduce((a, b) => a + b, 0) / l.length),
        repetitions: [...byRep.keys()],
        instances: Math.max(...lists.map((l) => l.length)),
    };
}
