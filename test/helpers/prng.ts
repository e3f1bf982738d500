/** Test helper: a seeded pseudo-random source, so simulations give the same numbers on every run. */

export interface Prng {
    /** Uniform in [0, 1). */
    uniform(): number;
    /** Normal with the given mean and standard deviation (Box–Muller). */
    normal(mean: number, sd: number): number;
}

/** mulberry32: small, fast, and good enough for Monte Carlo checks of interval coverage. */
export function prng(seed: number): Prng {
    let s = seed | 0;
    const uniform = () => {
        s = (s + 0x6d2b79f5) | 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    return {
        uniform,
        normal(mean, sd) {
            // 1 − u keeps the logarithm's argument in (0, 1].
            const r = Math.sqrt(-2 * Math.log(1 - uniform()));
            return mean + sd * r * Math.cos(2 * Math.PI * uniform());
        },
    };
}
