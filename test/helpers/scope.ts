/**
 * How much of the matrix a test run covers. `npm test` proves each real path once (every workload
 * natively and in a container, each environment kind and knob family provisioned and probed, one
 * guest where a path needs one) and stays within minutes on 2 cores; `npm run test:smoke` sets
 * ISOBENCH_TEST_SCOPE=smoke and adds every workload in a guest, docker-in-kvm and the study stacks:
 * the check before publishing results. Nothing is run only by neither.
 */
export const FULL_MATRIX = process.env.ISOBENCH_TEST_SCOPE === "smoke";

/**
 * Whether mocha's --grep/-g (a regular expression, or "/re/flags") or --fgrep/-f (a string),
 * inverted by --invert/-i, on the command line lets a test with this full title run: mocha filters tests as it reaches them, so a
 * hook that starts long work early for tests further down (a guest that boots for minutes) asks
 * this first. Without a filter on the command line every test runs (a filter in .mocharc is not
 * seen: the work then starts early, as without one).
 */
export function selectedByCommandLine(fullTitle: string, argv: readonly string[] = process.argv): boolean {
    let grep: RegExp | undefined;
    let fgrep: string | undefined;
    let invert = false;
    for (let i = 0; i < argv.length; i++) {
        const [flag, inline] = argv[i].split(/=(.*)/s, 2);
        const value = () => inline ?? argv[++i] ?? "";
        if (flag === "--grep" || flag === "-g") {
            // As mocha reads it: "/re/flags" is a pattern with flags, anything else the pattern itself.
            const v = value();
            const m = /^\/(.*)\/([a-z]*)$/s.exec(v);
            grep = m ? new RegExp(m[1], m[2]) : new RegExp(v);
        } else if (flag === "--fgrep" || flag === "-f") fgrep = value();
        else if (flag === "--invert" || flag === "-i") invert = true;
    }
    if (!grep && fgrep === undefined) return true;
    const matches = grep ? grep.test(fullTitle) : fullTitle.includes(fgrep!);
    return matches !== invert;
}
