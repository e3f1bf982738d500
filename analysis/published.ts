/**
 * The published studies next to our results: reference values with their provenance, and the
 * papers' claims encoded as checks on ratios to native (never on absolute numbers — a 2-core
 * machine will not reach 290 GFLOPS, but Docker/native can still be 1.00).
 *
 * The data lives in analysis/reference/<study>.json, including which of our workloads, metrics,
 * parameter points and environments each published number and claim maps to, so the mapping can
 * be adjusted without touching code. Evaluation is pure (Summary in, verdicts out).
 *
 * A ratio check is judged on the confidence interval of the ratio, not on the point value, and
 * its words say no more than the interval does (CLAIM_STATUS_MEANING):
 *   interval entirely inside the expected range        → consistent (with the claim)
 *   interval entirely outside it                       → inconsistent (with the claim)
 *   interval overlapping the range's edge, or missing  → inconclusive
 * A claim is consistent when every check has points and every point is consistent; inconsistent
 * when any point is inconsistent; otherwise inconclusive (with the reason). A check may bound the
 * environment's own mean instead of a ratio (`value`: "reaches ≥ 9 Gb/s"); a claim about a
 * physical link (`link_gbps`) is "not applicable here" unless the environment facts say the
 * traffic crossed such a link (LINK_FACT). Points measured under
 * software emulation are never judged: a claim whose points are all emulated is "not judgeable:
 * emulated" and stays out of every tally; when it also has points measured without emulation
 * (its Docker half), that part is judged on its own (ClaimResult.part). A claim none of whose
 * checks finds anything to compare in the run (no environment or workload it is about) is "not
 * measured here", listed and kept out of every tally like the two above.
 */
import * as fs from "fs";
import * as path from "path";
import Ajv from "ajv";
import { UserError } from "../core/errors";
import { BASELINE_ENVIRONMENT, compareGroups, comparisonKey, Summary, SummaryRow } from "./overhead";
import { groupBy } from "./group-by";
import { parseParams, shortParams } from "./params";
import { holmAdjusted, twoSidedP, type Interval } from "./statistics";
import { REPO_ROOT } from "../core/repo-root";
import { isEmulated } from "../core/samples";
import { environmentLabel, TCG_MEANING } from "./emulated";
import { meanOnLogScale } from "./ratio";
import { countedOnce } from "./duplicates";

/** Which of our environments a published environment or a claim refers to. */
export interface EnvSelector {
    /** Environment names; when given, kind and variant are ignored. */
    readonly names?: readonly string[];
    /** env_kind (native, docker, kvm, docker-in-kvm), one or several. */
    readonly kind?: string | readonly string[];
    /** Entries the environment's variant (`net=nat;storage=volume;…`) must contain. */
    readonly variant?: Readonly<Record<string, string>>;
}

/** Parameter filter: exact value, or a numeric range. Keys absent from a row's params fail. */
export type ParamsFilter = Readonly<Record<string, string | number | { readonly min?: number; readonly max?: number }>>;

export interface PublishedValue {
    readonly id: string;
    readonly label: string;
    /**
     * Our workloads that measure what it is about (hpcc's STREAM and likwid-bench's for STREAM). A
     * value whose metric one of them lacks (likwid-bench has no STREAM copy) is listed as having no
     * matching point in a run of that one, which says what the run did not measure.
     */
    readonly workloads: readonly string[];
    /** Regular expression on our metric names. */
    readonly metric: string;
    readonly params: ParamsFilter;
    /** The environment as the paper names it. */
    readonly published_env: string;
    /** Published native and environment values (same unit), or only their ratio. */
    readonly native?: number;
    readonly value?: number;
    readonly ratio?: number;
    readonly ours: EnvSelector;
    readonly source: string;
    /** EXACT-R, DERIVED-R, 2nd (see the file's provenance). */
    readonly status: string;
    /** Read off a figure or known only as a rounded percentage. */
    readonly approximate: boolean;
}

/**
 * One check of a claim: the ratio of an environment to native (or to `baseline`) within `ratio`,
 * or, with `value` instead, the environment's own mean within that range (in the metric's unit).
 */
export interface RatioCheck {
    readonly what: string;
    readonly env: EnvSelector;
    readonly workloads: readonly string[];
    /** Regular expression on our metric names: every matching metric is shown. */
    readonly metric: string;
    /**
     * The one metric per workload that votes (it must match `metric`); the others are shown, not
     * voted, so a claim is not decided by how many correlated metrics a tool prints.
     */
    readonly primary: Readonly<Record<string, string>>;
    readonly params: ParamsFilter;
    /**
     * The denominator of the ratio: native when absent, otherwise every environment this selects
     * (e.g. "Docker starts faster than KVM": env docker, baseline kvm, ratio ≤ 1).
     */
    readonly baseline?: EnvSelector;
    /** Expected range of environment mean / baseline mean (either bound may be absent). */
    readonly ratio?: Range;
    /** Expected range of the environment's own mean, in the metric's unit (instead of ratio). */
    readonly value?: Range;
}

export interface Range {
    readonly min?: number;
    readonly max?: number;
}

/** The range a check's interval is judged against: its ratio's, or its value's. */
export function checkRange(c: RatioCheck): Range {
    return (c.ratio ?? c.value)!;
}

/**
 * The environment fact (environments.csv) giving the speed in Gb/s of the physical link an
 * environment's network benchmark traffic crossed. isobench's own runs never record it: client and
 * server share the host (loopback, bridge, virtio), so no link bounds the throughput and a claim
 * about reaching a link's rate is not applicable. An import of a study measured across a real
 * link records it.
 */
export const LINK_FACT = "link_gbps";

export interface Claim {
    readonly id: string;
    readonly text: string;
    readonly source: string;
    /** Why the range is as wide as it is (what published values and spreads it must hold). */
    readonly range_note?: string;
    /**
     * The claim is about saturating a physical link of this many Gb/s: it is judged only on
     * environments whose traffic crossed a link at least that fast (LINK_FACT), else it is
     * "not applicable here".
     */
    readonly link_gbps?: number;
    /** All must hold. */
    readonly checks: readonly RatioCheck[];
}

export interface Reference {
    readonly study: string;
    readonly title: string;
    readonly provenance: string;
    readonly published: readonly PublishedValue[];
    readonly claims: readonly Claim[];
}

export const REFERENCE_DIR = path.join(REPO_ROOT, "analysis", "reference");

const selectorSchema = {
    type: "object",
    additionalProperties: false,
    properties: {
        names: { type: "array", items: { type: "string" }, minItems: 1 },
        kind: { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, minItems: 1 }] },
        variant: { type: "object", additionalProperties: { type: "string" } },
    },
};
const paramsSchema = {
    type: "object",
    additionalProperties: {
        anyOf: [
            { type: "string" },
            { type: "number" },
            { type: "object", additionalProperties: false, properties: { min: { type: "number" }, max: { type: "number" } } },
        ],
    },
};
const rangeSchema = {
    type: "object",
    additionalProperties: false,
    minProperties: 1,
    properties: { min: { type: "number" }, max: { type: "number" } },
};
const referenceSchema = {
    type: "object",
    required: ["study", "title", "provenance", "published", "claims"],
    additionalProperties: false,
    properties: {
        study: { type: "string" },
        title: { type: "string" },
        provenance: { type: "string" },
        published: {
            type: "array",
            items: {
                type: "object",
                required: ["id", "label", "workloads", "metric", "params", "published_env", "ours", "source", "status", "approximate"],
                additionalProperties: false,
                properties: {
                    id: { type: "string" },
                    label: { type: "string" },
                    workloads: { type: "array", items: { type: "string" }, minItems: 1 },
                    metric: { type: "string" },
                    params: paramsSchema,
                    published_env: { type: "string" },
                    native: { type: "number", exclusiveMinimum: 0 },
                    value: { type: "number", exclusiveMinimum: 0 },
                    ratio: { type: "number", exclusiveMinimum: 0 },
                    ours: selectorSchema,
                    source: { type: "string" },
                    status: { enum: ["EXACT-R", "DERIVED-R", "2nd"] },
                    approximate: { type: "boolean" },
                },
                anyOf: [{ required: ["native", "value"] }, { required: ["ratio"] }],
            },
        },
        claims: {
            type: "array",
            items: {
                type: "object",
                required: ["id", "text", "source", "checks"],
                additionalProperties: false,
                properties: {
                    id: { type: "string" },
                    text: { type: "string" },
                    source: { type: "string" },
                    range_note: { type: "string" },
                    link_gbps: { type: "number", exclusiveMinimum: 0 },
                    checks: {
                        type: "array",
                        minItems: 1,
                        items: {
                            type: "object",
                            required: ["what", "env", "workloads", "metric", "primary", "params"],
                            oneOf: [{ required: ["ratio"] }, { required: ["value"] }],
                            additionalProperties: false,
                            properties: {
                                what: { type: "string" },
                                env: selectorSchema,
                                workloads: { type: "array", items: { type: "string" }, minItems: 1 },
                                metric: { type: "string" },
                                primary: { type: "object", additionalProperties: { type: "string" }, minProperties: 1 },
                                params: paramsSchema,
                                baseline: selectorSchema,
                                ratio: rangeSchema,
                                value: rangeSchema,
                            },
                        },
                    },
                },
            },
        },
    },
};

/** Validates parsed reference data; throws a UserError naming the file and the first problems. */
export function parseReference(data: unknown, source: string): Reference {
    const ajv = new Ajv({ allErrors: true });
    const validate = ajv.compile(referenceSchema);
    if (!validate(data)) {
        const errs = (validate.errors ?? [])
            .slice(0, 5)
            .map((e) => `${e.instancePath || "/"} ${e.message}`)
            .join("; ");
        throw new UserError(`reference data ${source} is malformed: ${errs}`);
    }
    const ref = data as unknown as Reference;
    for (const re of [...ref.published.map((p) => p.metric), ...ref.claims.flatMap((c) => c.checks.map((k) => k.metric))]) {
        try {
            new RegExp(re);
        } catch (e) {
            throw new UserError(`reference data ${source}: metric pattern ${JSON.stringify(re)} is not a regular expression (${(e as Error).message})`);
        }
    }
    for (const c of ref.claims) {
        for (const k of c.checks) {
            const named = Object.keys(k.primary);
            const re = new RegExp(k.metric);
            for (const w of k.workloads) {
                const m = k.primary[w];
                if (m === undefined) throw new UserError(`reference data ${source}: claim ${c.id} names no primary metric for workload ${w}`);
                if (!re.test(m)) throw new UserError(`reference data ${source}: claim ${c.id}: primary metric ${m} does not match ${JSON.stringify(k.metric)}`);
            }
            const extra = named.filter((w) => !k.workloads.includes(w));
            if (extra.length)
                throw new UserError(`reference data ${source}: claim ${c.id} names a primary metric for ${extra.join(", ")}, not among its workloads`);
        }
    }
    return ref;
}

/** Every analysis/reference/*.json, sorted by file name. */
export function loadReferences(dir = REFERENCE_DIR): Reference[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => {
            const file = path.join(dir, f);
            let data: unknown;
            try {
                data = JSON.parse(fs.readFileSync(file, "utf8"));
            } catch (e) {
                throw new UserError(`reference data ${file} is not valid JSON: ${(e as Error).message}`);
            }
            return parseReference(data, file);
        });
}

export function matchesEnv(sel: EnvSelector, row: Pick<SummaryRow, "environment" | "env_kind" | "variant">): boolean {
    if (row.environment === BASELINE_ENVIRONMENT) return false;
    if (sel.names) return sel.names.includes(row.environment);
    if (sel.kind !== undefined) {
        const kinds = typeof sel.kind === "string" ? [sel.kind] : sel.kind;
        if (!kinds.includes(row.env_kind)) return false;
    }
    if (sel.variant) {
        const v = parseParams(row.variant);
        for (const [k, want] of Object.entries(sel.variant)) if (v.get(k) !== want) return false;
    }
    return true;
}

export function matchesParams(filter: ParamsFilter, params: string): boolean {
    const p = parseParams(params);
    for (const [k, want] of Object.entries(filter)) {
        const have = p.get(k);
        if (have === undefined) return false;
        if (typeof want === "object") {
            const n = Number(have);
            if (have === "" || !Number.isFinite(n)) return false;
            if (want.min !== undefined && n < want.min) return false;
            if (want.max !== undefined && n > want.max) return false;
        } else if (typeof want === "number") {
            if (Number(have) !== want) return false;
        } else if (have !== want) {
            return false;
        }
    }
    return true;
}

/** What a judged interval says about a claim (see CLAIM_STATUS_MEANING); the other statuses are listed, never counted. */
export const JUDGED_STATUSES = ["consistent", "inconsistent", "inconclusive"] as const;
export type JudgedStatus = (typeof JUDGED_STATUSES)[number];
export type ClaimStatus = JudgedStatus | "not judgeable: emulated" | "not applicable here" | "not measured here";

/** The claim statuses, defined once: each says what the interval allows at this number of repetitions, no more. */
export const CLAIM_STATUS_MEANING: Readonly<Record<ClaimStatus, string>> = {
    consistent: "every interval lies inside the claim's range: our data are consistent with the claim at this confidence (not a proof of it)",
    inconsistent: "an interval lies entirely outside the claim's range: our data are inconsistent with the claim at this confidence",
    inconclusive: "an interval overlaps the range's edge, or one of the claim's points was not measured: these repetitions do not decide",
    "not judgeable: emulated": `the claim's points were ${TCG_MEANING}; not judged and not counted in any tally`,
    "not applicable here":
        "the claim is about reaching a physical link's rate and no measured traffic crossed such a link (client and server on one host); not judged and not counted in any tally",
    "not measured here":
        "the run has no environment and workload the claim is about (e.g. no union-filesystem environment in the stack); listed, not judged and not counted in any tally",
};

/** A claim status no tally counts: emulated, no physical link, nothing of the claim in the run. */
export function isUnjudgedStatus(s: string): boolean {
    return Object.hasOwn(CLAIM_STATUS_MEANING, s) && !(JUDGED_STATUSES as readonly string[]).includes(s);
}

/** One compared row evaluated against a check. */
export interface CheckPoint {
    readonly environment: string;
    /** The ratio's denominator: "native" unless the check names a baseline; "" for a value check. */
    readonly baseline: string;
    readonly workload: string;
    readonly params: string;
    readonly metric: string;
    /** Environment / baseline, or for a value check the environment's mean. */
    readonly ratio: number;
    readonly ratioCi: Interval | null;
    /** Set for a value check: the unit of ratio (the metric's). */
    readonly unit?: string;
    /** Environment or baseline row measured (partly) under tcg: shown, never judged. */
    readonly emulated: boolean;
    /** The check's primary metric for this workload: only these points vote. */
    readonly primary: boolean;
    /** Standard error of log(ratio) and degrees of freedom, for the multiplicity correction. */
    readonly logSe: number | null;
    readonly df: number | null;
    /** The interval against the range; for voting points, after the claim's Holm correction. */
    readonly status: JudgedStatus;
}

export interface CheckResult {
    readonly check: RatioCheck;
    readonly points: readonly CheckPoint[];
    /** Why no point could be evaluated (not measured, no native); undefined when points exist. */
    readonly missing?: string;
    /** Set when the run has nothing the check is about (no matching metric or baseline environment), as opposed to points it could not compare. */
    readonly absent?: true;
}

export interface ClaimResult {
    readonly study: string;
    readonly claim: Claim;
    readonly status: ClaimStatus;
    /** One line: why this status, with the numbers. */
    readonly reason: string;
    readonly checks: readonly CheckResult[];
    /**
     * For a claim not judgeable because of emulated points: the same claim judged on its points
     * measured without emulation alone (its Docker half), when it has any. `scope` says which.
     */
    readonly part?: ClaimResult;
    /** Set on a part: the environments it was judged on. */
    readonly scope?: string;
}

/** "0.9–1.05", "≥ 0.95", "≤ 0.9". */
export function rangeText(r: Range): string {
    if (r.min !== undefined && r.max !== undefined) return `${r.min}–${r.max}`;
    return r.min !== undefined ? `≥ ${r.min}` : `≤ ${r.max}`;
}

/** consistent / inconsistent / inconclusive of one ratio interval against an expected range. */
export function judgeInterval(ci: Interval | null, range: Range): JudgedStatus {
    if (!ci) return "inconclusive";
    const lo = range.min ?? -Infinity;
    const hi = range.max ?? Infinity;
    if (ci.low >= lo && ci.high <= hi) return "consistent";
    if (ci.high < lo || ci.low > hi) return "inconsistent";
    return "inconclusive";
}
/** The fields of a point that its vote needs: whether it is primary, its log-scale spread, its unadjusted status. */
function votingFields(
    check: RatioCheck,
    r: SummaryRow,
    o: { ratioCi: Interval | null; logSe: number | null; df: number | null },
): Pick<CheckPoint, "primary" | "logSe" | "df" | "status"> {
    return { primary: check.primary[r.workload] === r.metric, logSe: o.logSe, df: o.df, status: judgeInterval(o.ratioCi, checkRange(check)) };
}

export function evaluateCheck(check: RatioCheck, summary: Summary): CheckResult {
    const re = new RegExp(check.metric);
    const matched = summary.rows.filter(
        (r) => check.workloads.includes(r.workload) && re.test(r.metric) && matchesParams(check.params, r.params) && matchesEnv(check.env, r),
    );
    // A metric restating another matched one (IOPS and bandwidth of one job) is one measurement: counted once.
    const rows = countedOnce(matched);
    if (rows.length === 0)
        return {
            check,
            points: [],
            absent: true,
            missing: `not measured: no ${check.workloads.join("/")} metric matching /${check.metric}/ in a matching environment`,
        };
    if (check.value) return evaluateValues(check, rows, summary);
    if (check.baseline) return evaluateAgainstBaseline(check, check.baseline, rows, summary);
    const natives = groupBy(
        summary.rows.filter((r) => r.environment === BASELINE_ENVIRONMENT),
        comparisonKey,
    );
    const points: CheckPoint[] = [];
    for (const r of rows) {
        if (r.overhead.kind !== "compared") continue;
        const native = natives.get(comparisonKey(r))?.[0];
        points.push({
            environment: r.environment,
            baseline: BASELINE_ENVIRONMENT,
            workload: r.workload,
            params: r.params,
            metric: r.metric,
            ratio: r.overhead.ratio,
            ratioCi: r.overhead.ratioCi,
            emulated: isEmulated(r.accel) || (native !== undefined && isEmulated(native.accel)),
            ...votingFields(check, r, r.overhead),
        });
    }
    if (points.length === 0) {
        const kinds = [...new Set(rows.map((r) => r.overhead.kind))].join(", ");
        return {
            check,
            points,
            missing: `measured but not compared with native (${kinds}): ${summary.hasNative ? "no native for these points" : "no native baseline in the run"}`,
        };
    }
    return { check, points };
}

/** Each matching row's own mean against the check's value range. */
function evaluateValues(check: RatioCheck, rows: readonly SummaryRow[], summary: Summary): CheckResult {
    const points = rows.map((r): CheckPoint => {
        const o = meanOnLogScale(r.values, summary.confidence);
        return {
            environment: r.environment,
            baseline: "",
            workload: r.workload,
            params: r.params,
            metric: r.metric,
            ratio: o.ratio,
            ratioCi: o.ci,
            unit: r.unit,
            emulated: isEmulated(r.accel),
            ...votingFields(check, r, { ratioCi: o.ci, logSe: o.logSe, df: o.df }),
        };
    });
    return { check, points };
}

/** Every matching row against every baseline row of the same (workload, params, metric). */
function evaluateAgainstBaseline(check: RatioCheck, baseline: EnvSelector, rows: readonly SummaryRow[], summary: Summary): CheckResult {
    const bases = groupBy(
        summary.rows.filter((r) => matchesEnv(baseline, r)),
        comparisonKey,
    );
    const points: CheckPoint[] = [];
    const notComparable: string[] = [];
    for (const r of rows) {
        for (const b of bases.get(comparisonKey(r)) ?? []) {
            if (b.environment === r.environment) continue;
            const o = compareGroups(r, b, summary.confidence);
            if (o.kind !== "compared") {
                notComparable.push(`${r.environment} vs ${b.environment} ${r.metric}: ${o.reason}`);
                continue;
            }
            points.push({
                environment: r.environment,
                baseline: b.environment,
                workload: r.workload,
                params: r.params,
                metric: r.metric,
                ratio: o.ratio,
                ratioCi: o.ratioCi,
                emulated: isEmulated(r.accel) || isEmulated(b.accel),
                ...votingFields(check, r, o),
            });
        }
    }
    if (points.length > 0) return { check, points };
    if (notComparable.length) return { check, points, missing: `measured but not comparable: ${notComparable.slice(0, 3).join("; ")}` };
    return {
        check,
        points,
        absent: true,
        missing: `not measured: no baseline environment matching ${JSON.stringify(baseline)} with the same ${check.workloads.join("/")} metrics`,
    };
}

function fmtRatio(x: number): string {
    return x.toPrecision(3);
}

/** "kvm-1cpu (tcg) get_rps @ clients=50: ratio 0.539 [0.210, 19.4]"; params shown by the keys the check filters on. */
export function formatPoint(p: CheckPoint, paramKeys: readonly string[] = []): string {
    const ci = p.ratioCi ? ` [${fmtRatio(p.ratioCi.low)}, ${fmtRatio(p.ratioCi.high)}]` : " [no interval]";
    const at = paramKeys.length ? ` @ ${shortParams(p.params, paramKeys)}` : "";
    const vs = p.baseline === BASELINE_ENVIRONMENT || p.baseline === "" ? "" : ` / ${p.baseline}`;
    const what = p.unit !== undefined ? `mean ${fmtRatio(p.ratio)} ${p.unit}` : `ratio ${fmtRatio(p.ratio)}`;
    return `${environmentLabel(p.environment + vs, p.emulated)} ${p.metric}${at}: ${what}${ci}`;
}

/**
 * How a claim with several voting points is decided, stated once for the reports. The voting
 * points are the primary metric at every matching parameter point, environment and part.
 */
export const MULTIPLICITY_RULE =
    "A claim votes with its primary metric only (other matching metrics are shown, not voted), at every matching parameter point and environment. " +
    "It is inconsistent when a voting point's interval lies outside the range after Holm's step-down correction over all its voting points " +
    "(family-wise error at most 1 − confidence), and consistent only when every voting point's interval lies inside the range " +
    "(an intersection–union test, which needs no correction)";

/**
 * p-value of the point's ratio lying inside the range (small: the interval clears the range), on
 * the log scale its interval was computed on; p < 1 − confidence exactly when the interval lies
 * entirely outside the range.
 */
function pOutside(p: CheckPoint, range: Range): number {
    if (p.logSe === null || p.df === null) return 1;
    const l = Math.log(p.ratio);
    const lo = range.min !== undefined && range.min > 0 ? Math.log(range.min) : -Infinity;
    const hi = range.max !== undefined ? Math.log(range.max) : Infinity;
    const d = Math.max(lo - l, l - hi);
    if (!(d > 0)) return 1;
    return twoSidedP(p.logSe > 0 ? d / p.logSe : Infinity, p.df);
}

/** The voting points Holm's step-down procedure finds outside their range at level alpha. */
function holmOutside(voting: readonly { c: CheckResult; p: CheckPoint }[], alpha: number): Set<CheckPoint> {
    const adjusted = holmAdjusted(voting.map(({ c, p }) => pOutside(p, checkRange(c.check))));
    return new Set(voting.filter((_, i) => adjusted[i] < alpha).map(({ p }) => p));
}

/** The status of a claim from its checks' voting points, Holm-corrected; the checks come back with the corrected statuses. */
function judgeChecks(given: readonly CheckResult[], confidence: number): { status: JudgedStatus; reason: string; checks: CheckResult[] } {
    const outside = holmOutside(
        given.flatMap((c) => c.points.filter((p) => p.primary).map((p) => ({ c, p }))),
        1 - confidence,
    );
    const corrected = (p: CheckPoint): CheckPoint => (!p.primary || p.status !== "inconsistent" || outside.has(p) ? p : { ...p, status: "inconclusive" });
    const checks = given.map((c) => {
        const points = c.points.map(corrected);
        if (c.missing || points.some((p) => p.primary)) return { ...c, points };
        const named = [...new Set(points.map((p) => c.check.primary[p.workload]))].join(", ");
        return { ...c, points, missing: `primary metric ${named} not measured (other metrics shown, not voted)` };
    });
    const voting = checks.flatMap((c) => c.points.filter((p) => p.primary).map((p) => ({ c, p })));
    const secondary = checks.reduce((n, c) => n + c.points.filter((p) => !p.primary).length, 0);
    const conf = `${Math.round(confidence * 100)} % interval`;
    const how = [
        ...(voting.length > 1 ? [`Holm over ${voting.length} voting points`] : []),
        ...(secondary > 0 ? [`${secondary} point(s) of other metrics shown, not voted`] : []),
    ];
    const tail = how.length ? ` (${how.join("; ")})` : "";
    const list = (items: readonly { c: CheckResult; p: CheckPoint }[], what: (c: CheckResult) => string) =>
        items
            .slice(0, 3)
            .map(({ c, p }) => `${formatPoint(p, Object.keys(c.check.params))} ${what(c)}`)
            .join("; ") + (items.length > 3 ? `; and ${items.length - 3} more` : "");
    const failed = voting.filter(({ p }) => p.status === "inconsistent");
    if (failed.length > 0) {
        return {
            checks,
            status: "inconsistent",
            reason: `${conf} entirely outside the expected range: ${list(failed, (c) => `outside ${rangeText(checkRange(c.check))}`)}${tail}`,
        };
    }
    const missing = checks.filter((c) => c.missing);
    if (missing.length > 0) return { checks, status: "inconclusive", reason: missing.map((c) => `${c.check.what}: ${c.missing}`).join("; ") };
    const unsure = voting.filter(({ p }) => p.status === "inconclusive");
    if (unsure.length > 0) {
        return {
            checks,
            status: "inconclusive",
            reason: `${conf} overlaps the edge of the expected range or does not exist: ${list(unsure, (c) => `vs expected ${rangeText(checkRange(c.check))}`)}${tail}`,
        };
    }
    const shown = checks.map((c) => {
        const first = c.points.find((p) => p.primary)!;
        return `${c.check.what}: ${c.points.filter((p) => p.primary).length} point(s) within ${rangeText(checkRange(c.check))}, e.g. ${formatPoint(first, Object.keys(c.check.params))}`;
    });
    return { checks, status: "consistent", reason: `${conf} inside the expected range — ${shown.join("; ")}${tail}` };
}

/** What the evaluation needs beyond the samples: facts from environments.csv. */
export interface ClaimContext {
    /** LINK_FACT per environment: the Gb/s of the physical link its traffic crossed. */
    readonly linkGbps?: ReadonlyMap<string, number>;
}

export function evaluateClaim(study: string, claim: Claim, summary: Summary, context: ClaimContext = {}): ClaimResult {
    const all = claim.checks.map((c) => evaluateCheck(c, summary));
    const checks = claim.link_gbps === undefined ? all : onLink(all, claim.link_gbps, context);
    if (!checks) {
        const envs = [...new Set(all.flatMap((c) => c.points.map((p) => p.environment)))].sort();
        const reason =
            `no traffic crossed a physical link of ≥ ${claim.link_gbps} Gb/s (no ${LINK_FACT} fact of that size in environments.csv` +
            `${envs.length ? ` for ${envs.join(", ")}` : ""}: client and server share the host, so no link ceiling bounds the throughput)`;
        return { study, claim, checks: all, status: "not applicable here", reason };
    }
    // A stack that leaves the claim's subject out has not tested it: an untested claim counted as
    // inconclusive would read as a tested one the repetitions could not decide.
    if (checks.every((c) => c.absent)) {
        return { study, claim, checks, status: "not measured here", reason: checks.map((c) => `${c.check.what}: ${c.missing}`).join("; ") };
    }
    const emulated = checks.flatMap((c) => c.points.filter((p) => p.emulated));
    if (emulated.length === 0) return { study, claim, ...judgeChecks(checks, summary.confidence) };
    // The non-emulated part: checks keep their other points; a check left with none is not part of it.
    const judged = checks.flatMap((c) => {
        if (c.missing) return [c];
        const points = c.points.filter((p) => !p.emulated);
        return points.length ? [{ ...c, points }] : [];
    });
    const shown = emulated.slice(0, 3).map((p) => formatPoint(p));
    const reason = `measured under software emulation, not judged: ${shown.join("; ")}${emulated.length > 3 ? `; and ${emulated.length - 3} more` : ""}`;
    const envs = [...new Set(judged.flatMap((c) => c.points.map((p) => p.environment)))].sort();
    const part: ClaimResult | undefined = envs.length
        ? { study, claim, scope: `${envs.join(", ")} only`, ...judgeChecks(judged, summary.confidence) }
        : undefined;
    return { study, claim, checks, status: "not judgeable: emulated", reason, ...(part ? { part } : {}) };
}

/**
 * The checks restricted to points whose environment's traffic crossed a link of at least `gbps`;
 * undefined when points were measured but none did (the claim does not apply). Checks keep a
 * missing reason as is.
 */
function onLink(checks: readonly CheckResult[], gbps: number, context: ClaimContext): CheckResult[] | undefined {
    const crossed = (env: string) => (context.linkGbps?.get(env) ?? 0) >= gbps;
    // Nothing measured: the claim is not measured here, which says more than inapplicable.
    if (checks.every((c) => c.points.length === 0)) return [...checks];
    const kept = checks.map((c) => ({ ...c, points: c.points.filter((p) => crossed(p.environment)) }));
    return kept.some((c) => c.points.length > 0) ? kept : undefined;
}

/** LINK_FACT of each environment in environments.csv rows (the last value when repeated). */
export function linkCeilings(facts: readonly { environment: string; fact: string; value: string }[]): Map<string, number> {
    const out = new Map<string, number>();
    for (const f of facts) if (f.fact === LINK_FACT && Number(f.value) > 0) out.set(f.environment, Number(f.value));
    return out;
}

/** A result's name in reports: the claim's text, and for a part the environments it was judged on. */
export function claimLabel(c: Pick<ClaimResult, "claim" | "scope">): string {
    return c.scope !== undefined ? `${c.claim.text} — part: ${c.scope}` : c.claim.text;
}

/** Every judged result: claims, and the non-emulated parts of claims not judgeable as a whole. */
export function claimResultsShown(claims: readonly ClaimResult[]): ClaimResult[] {
    return claims.flatMap((c) => (c.part ? [c, c.part] : [c]));
}

export interface ClaimTally {
    readonly consistent: number;
    readonly inconsistent: number;
    readonly inconclusive: number;
    /** Claims not judgeable because they were emulated: listed, never counted above. */
    readonly notJudgeable: number;
    /** Claims about a link this run had none of: listed, never counted above. */
    readonly notApplicable: number;
    /** Claims about environments or workloads this run does not have: listed, never counted above. */
    readonly notMeasured: number;
}

/** Counts of the judged statuses; a claim not judgeable counts only in notJudgeable, its judged part in its own status. */
export function tallyClaims(claims: readonly ClaimResult[]): ClaimTally {
    const t = { consistent: 0, inconsistent: 0, inconclusive: 0, notJudgeable: 0, notApplicable: 0, notMeasured: 0 };
    for (const c of claimResultsShown(claims)) {
        if (c.status === "not judgeable: emulated") t.notJudgeable++;
        else if (c.status === "not applicable here") t.notApplicable++;
        else if (c.status === "not measured here") t.notMeasured++;
        else t[c.status]++;
    }
    return t;
}

/** "2 consistent, 1 inconsistent, 3 inconclusive; 2 not judgeable: emulated, 1 not applicable here (not counted)". */
export function formatTally(t: ClaimTally): string {
    const base = `${t.consistent} consistent, ${t.inconsistent} inconsistent, ${t.inconclusive} inconclusive`;
    const aside = [
        ...(t.notJudgeable ? [`${t.notJudgeable} not judgeable: emulated`] : []),
        ...(t.notApplicable ? [`${t.notApplicable} not applicable here`] : []),
        ...(t.notMeasured ? [`${t.notMeasured} not measured here`] : []),
    ];
    return aside.length ? `${base}; ${aside.join(", ")} (not counted)` : base;
}

/** One published value next to one of our compared rows. */
export interface PublishedComparison {
    readonly study: string;
    readonly published: PublishedValue;
    /** Published environment / native. */
    readonly publishedRatio: number;
    readonly environment: string;
    readonly params: string;
    readonly metric: string;
    readonly ratio: number;
    readonly ratioCi: Interval | null;
    readonly emulated: boolean;
    /** The published ratio lies inside our interval. */
    readonly publishedInsideCi: boolean | null;
}

export function publishedRatio(p: PublishedValue): number {
    return p.ratio ?? p.value! / p.native!;
}

export function comparePublished(refs: readonly Reference[], summary: Summary): PublishedComparison[] {
    const out: PublishedComparison[] = [];
    for (const ref of refs) {
        for (const p of ref.published) {
            const re = new RegExp(p.metric);
            const pr = publishedRatio(p);
            for (const r of summary.rows) {
                if (!p.workloads.includes(r.workload) || !re.test(r.metric) || !matchesParams(p.params, r.params) || !matchesEnv(p.ours, r)) continue;
                if (r.overhead.kind !== "compared") continue;
                const ci = r.overhead.ratioCi;
                out.push({
                    study: ref.study,
                    published: p,
                    publishedRatio: pr,
                    environment: r.environment,
                    params: r.params,
                    metric: r.metric,
                    ratio: r.overhead.ratio,
                    ratioCi: ci,
                    emulated: isEmulated(r.accel),
                    publishedInsideCi: ci ? ci.low <= pr && pr <= ci.high : null,
                });
            }
        }
    }
    return out;
}

/** A published value of a measured workload with no point of ours to set beside it: listed, never dropped. */
export interface UnmatchedPublished {
    readonly study: string;
    readonly published: PublishedValue;
    readonly publishedRatio: number;
    /** What is missing: the point, the metric or the environment. */
    readonly why: string;
}

/**
 * The published values whose workload these results measured but which no compared row matches
 * (e.g. MySQL at 50 threads when the sweep has 10, 30, 70): "no matching point", with what is
 * missing, instead of a silent gap in the table.
 */
export function unmatchedPublished(refs: readonly Reference[], summary: Summary, matched: readonly PublishedComparison[]): UnmatchedPublished[] {
    const measured = new Set(summary.rows.map((r) => r.workload));
    const seen = new Set(matched.map((m) => m.published));
    const out: UnmatchedPublished[] = [];
    for (const ref of refs) {
        for (const p of ref.published) {
            if (!p.workloads.some((w) => measured.has(w)) || seen.has(p)) continue;
            const re = new RegExp(p.metric);
            const rows = summary.rows.filter((r) => p.workloads.includes(r.workload));
            const named = p.workloads.filter((w) => measured.has(w)).join("/");
            const withMetric = rows.filter((r) => re.test(r.metric));
            const atPoint = withMetric.filter((r) => matchesParams(p.params, r.params));
            const inEnv = atPoint.filter((r) => matchesEnv(p.ours, r));
            const why = !withMetric.length
                ? `no ${named} metric matching /${p.metric}/`
                : !atPoint.length
                  ? `no ${named} point at ${JSON.stringify(p.params)}`
                  : !inEnv.length
                    ? `no environment matching ${JSON.stringify(p.ours)}`
                    : "not compared with native";
            out.push({ study: ref.study, published: p, publishedRatio: publishedRatio(p), why });
        }
    }
    return out;
}

export function evaluateClaims(refs: readonly Reference[], summary: Summary, context: ClaimContext = {}): ClaimResult[] {
    return refs.flatMap((ref) => ref.claims.map((c) => evaluateClaim(ref.study, c, summary, context)));
}

/**
 * The claims these results can speak to: those with a workload that was measured. A run of one
 * study's stack is then not reported as "inconclusive" on every claim of the other studies.
 */
export function applicableClaims(refs: readonly Reference[], summary: Summary, context: ClaimContext = {}): { claims: ClaimResult[]; skipped: number } {
    const measured = new Set(summary.rows.map((r) => r.workload));
    const all = refs.flatMap((ref) => ref.claims.map((c) => ({ study: ref.study, c })));
    const applicable = all.filter(({ c }) => c.checks.some((k) => k.workloads.some((w) => measured.has(w))));
    return { claims: applicable.map(({ study, c }) => evaluateClaim(study, c, summary, context)), skipped: all.length - applicable.length };
}
