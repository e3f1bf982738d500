/**
 * Parallel xz compression (Felter et al. 2014, §PXZ): the paper compressed a 1 GB Wikipedia dump
 * with PXZ; neither the dump (offline hosts) nor the paper's tool version, level or thread count
 * are available (see published-felter2014.md §1.1). Here: pixz (Debian's parallel xz; `xz -T`
 * when compressor=xz) with one thread per CPU of the environment, on deterministic text-like
 * input generated inside the environment's data directory from a seed (Zipf-distributed
 * pseudo-words with wiki-style links and numbers, xz ratio ≈ 4 like English Wikipedia text).
 *
 * The input is generated once per environment and size/seed (kept in the data directory, not
 * timed), read once to warm the page cache, then compressed to a pipe counting the bytes, so
 * only compression is timed; the clock runs inside the environment. The last stdout line is
 * `isobench-pxz compressor=… threads=… level=… seed=… input_bytes=… output_bytes=… seconds=…`.
 *
 * Metrics: `mb_per_s` (input MB, 10^6 bytes, per wall second), `seconds`, `compression_ratio`.
 */
import { SLOW_RATES } from "./expected";
import { THREADS_OR_AUTO_PARAM, countOrAuto, intParam, oneOf, positiveInt } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";
import { shellQuote } from "../core/shell";

const NAME = "pxz";
const COMPRESSORS = ["pixz", "xz"] as const;

export type PxzParams = {
    /** Input size in MB (10^6 bytes); the paper's dump was 1 GB. */
    sizeMB: number;
    /** Seed of the input generator (same seed and size = same bytes everywhere). */
    seed: number;
    /** Compression threads; 0 = one per CPU of the environment. */
    threads: number;
    /** xz preset level 0-9 (6 is xz's and pixz's default). */
    level: number;
    /** "pixz" or "xz" (xz -T<threads>). */
    compressor: string;
};

/**
 * awk program writing text forever (the caller cuts it with head -c). Its own Park–Miller
 * generator (exact in double arithmetic) instead of awk's rand(), whose sequence differs between
 * mawk and gawk, so every environment compresses the same bytes.
 */
const GENERATOR = [
    "function rnd() { s = (s * 16807) % 2147483647; return s / 2147483647 }",
    "BEGIN {",
    "  s = seed; if (s <= 0) s = 1",
    '  nv = split("a e i o u y ae ou ei ar er in on an en th st ch re le", vow, " ")',
    '  nc = split("b c d f g h j k l m n p r s t v w z br tr st pl", con, " ")',
    "  V = 20000",
    "  for (i = 1; i <= V; i++) {",
    '    w = ""; l = 1 + int(rnd() * 4)',
    "    for (j = 0; j < l; j++) w = w con[1 + int(rnd() * nc)] vow[1 + int(rnd() * nv)]",
    "    word[i] = w",
    "  }",
    "  while (1) {",
    '    n = 6 + int(rnd() * 14); line = ""',
    "    for (k = 0; k < n; k++) {",
    // V^u for uniform u is log-uniform over 1..V: word frequencies fall off as 1/rank (Zipf).
    "      x = rnd(); w = word[int(V ^ rnd())]",
    '      if (x < 0.03) w = "[[" w "]]"; else if (x < 0.05) w = int(rnd() * 2100)',
    '      line = line (k ? " " : "") w',
    "    }",
    '    print line "."',
    "  }",
    "}",
].join("\n");

export function pxzCommand(p: PxzParams, ctx: RunContext): string {
    const size = positiveInt(NAME, "sizeMB", p.sizeMB);
    const seed = positiveInt(NAME, "seed", p.seed);
    const threads = countOrAuto(NAME, "threads", p.threads);
    const level = p.level;
    if (!Number.isInteger(level) || level < 0 || level > 9) throw new Error(`${NAME}: parameter level must be an xz preset 0-9, got ${JSON.stringify(level)}`);
    const compressor = oneOf(NAME, "compressor", p.compressor, COMPRESSORS);
    const compress = compressor === "pixz" ? `pixz -p "$threads" -${level}` : `xz -T"$threads" -${level} -c`;
    return [
        "set -e",
        `d=${shellQuote(ctx.dataDir)}/pxz`,
        `in="$d/input-seed${seed}-${size}MB.txt"`,
        `bytes=${size}000000`,
        `threads=${threads === 0 ? "$(nproc)" : threads}`,
        `mkdir -p "$d"`,
        `if [ "$(stat -c %s "$in" 2>/dev/null || echo 0)" != "$bytes" ]; then`,
        `  awk -v seed=${seed} ${shellQuote(GENERATOR)} | head -c "$bytes" > "$in.tmp"`,
        `  mv "$in.tmp" "$in"`,
        "fi",
        `cat "$in" > /dev/null`,
        "t0=$(date +%s%N)",
        `out=$(${compress} < "$in" | wc -c)`,
        "t1=$(date +%s%N)",
        `echo "isobench-pxz compressor=${compressor} threads=$threads level=${level} seed=${seed} input_bytes=$bytes output_bytes=$out seconds=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')"`,
    ].join("\n");
}

const RESULT =
    /^isobench-pxz compressor=(\S+) threads=([0-9]+) level=([0-9]) seed=([0-9]+) input_bytes=([0-9]+) output_bytes=([0-9]+) seconds=([0-9]+\.[0-9]{3})\s*$/m;

export function parsePxz(raw: string, params?: PxzParams): Measurement[] {
    const m = RESULT.exec(raw.replace(/\r\n?/g, "\n"));
    if (!m) {
        throw new ParseError(
            NAME,
            "mb_per_s",
            `no complete "isobench-pxz compressor=… seconds=<s>" result line (the compression failed or the output is truncated)`,
        );
    }
    const [, compressor, , level, seed, inBytes, outBytes, secs] = m;
    const input = Number(inBytes);
    const output = Number(outBytes);
    const seconds = Number(secs);
    if (seconds <= 0) throw new ParseError(NAME, "mb_per_s", `the compression took ${secs} s: too small an input to time`);
    if (output <= 0 || input <= 0)
        throw new ParseError(NAME, "compression_ratio", `input ${inBytes} bytes, output ${outBytes} bytes: the compressor wrote nothing`);
    if (params) {
        const want = { compressor: params.compressor, level: String(params.level), seed: String(params.seed), input_bytes: String(params.sizeMB * 1e6) };
        const got = { compressor, level, seed, input_bytes: inBytes };
        for (const k of Object.keys(want) as (keyof typeof want)[]) {
            if (want[k] !== got[k]) throw new ParseError(NAME, k, `the output says ${k}=${got[k]}, the params asked for ${want[k]}`);
        }
    }
    return [
        { metric: "mb_per_s", value: input / 1e6 / seconds, unit: "MB/s", better: "higher" },
        { metric: "seconds", value: seconds, unit: "s", better: "lower" },
        { metric: "compression_ratio", value: input / output, unit: "ratio", better: "higher" },
    ];
}

/** "pixz 1.0.7-2" + "xz (XZ Utils) 5.4.1" → "pixz 1.0.7-2, xz 5.4.1" (pixz prints no version). */
export function parsePxzVersion(output: string): string {
    const pixz = /^pixz ([0-9][^\s]*)/m.exec(output);
    const xz = /^xz \(XZ Utils\) ([0-9][^\s]*)/m.exec(output);
    if (!xz) throw new ParseError(NAME, "version", `no "xz (XZ Utils) <version>" in ${JSON.stringify(output.slice(0, 100))} (is xz-utils installed?)`);
    return pixz ? `pixz ${pixz[1]}, xz ${xz[1]}` : `xz ${xz[1]}`;
}

export const pxz: Workload<PxzParams> = {
    name: NAME,
    tool: "pixz",
    defaults: { sizeMB: 1000, seed: 1, threads: 0, level: 6, compressor: "pixz" },
    paramSchema: {
        sizeMB: intParam(1, 1_048_576),
        seed: intParam(1, 2 ** 31 - 1),
        threads: THREADS_OR_AUTO_PARAM,
        level: intParam(0, 9),
        compressor: { enum: [...COMPRESSORS] },
    },
    versionCommand: "dpkg-query -W -f='pixz ${Version}\\n' pixz 2>/dev/null; xz --version",
    parseVersion: parsePxzVersion,
    // Generating the input (when no earlier cell left it) and compressing it on its threads (one per
    // CPU when threads is 0, counted as one core when the CPUs are not known: an upper bound).
    lengthFixedBy: () => "work",
    expectedS: (p: PxzParams, cpus?: number) =>
        p.sizeMB * 1e6 * (1 / SLOW_RATES.writeBytesPerS + 1 / (SLOW_RATES.compressBytesPerS * Math.max(1, p.threads || (cpus ?? 1)))),
    spreadsOverCpus: (p: PxzParams) => p.threads === 0,
    clientPlacement: "inside",
    clientCommand: pxzCommand,
    // The generated input stays in the data directory: later cells with the same size and seed read it instead of generating it again.
    dataFootprint: (p: PxzParams) => ({
        bytes: p.sizeMB * 1e6,
        param: "sizeMB",
        lifetime: "reused",
        largestFitting: (b) => (b >= 1e6 ? String(Math.floor(b / 1e6)) : undefined),
    }),
    notes(p: PxzParams): string {
        return `${p.compressor === "pixz" ? "pixz" : "xz -T"} -${p.level} on ${p.sizeMB} MB of generated text (seed ${p.seed}) instead of PXZ on a 1 GB Wikipedia dump (unavailable offline)`;
    },
    parse: parsePxz,
};
