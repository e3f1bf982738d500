/**
 * Reading tool output that is text (sysbench's reports, likwid-bench's summary): a value is a
 * number on a line a regular expression finds, and a line that is missing or cut off is a
 * ParseError naming the metric, never a NaN in the samples.
 */
import { ParseError } from "../core/errors";

/** First capture group of re in text as a number, or a ParseError naming workload and metric. */
export function numberAt(workload: string, metric: string, text: string, re: RegExp, what: string): number {
    const m = re.exec(text);
    if (!m) throw new ParseError(workload, metric, `no complete "${what}" line in the output (truncated?)`);
    const v = Number(m[1]);
    if (!Number.isFinite(v)) throw new ParseError(workload, metric, `"${what}" is not a number: "${m[1]}"`);
    return v;
}
