/**
 * What a reader needs to judge the numbers: environment facts (declared by the stack vs measured
 * inside the environment, from <dir>/environments.csv), host facts and tool versions (from the
 * samples). Reading is tolerant: a missing or malformed file is a problem, not an abort.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "csv-parse/sync";
import type { Sample } from "../core/samples";
import { hostStabilityCsvPath } from "../core/results-layout";
import { HOST_STABILITY_COLUMNS, type HostStabilityRow } from "./host-stability";

export interface EnvironmentFact {
    readonly environment: string;
    readonly env_kind: string;
    readonly variant: string;
    readonly accel: string;
    readonly fact: string;
    readonly value: string;
    /** What the stack asked for; "" when the fact is only observed. */
    readonly declared: string;
    readonly measured_at: string;
}

export const ENVIRONMENT_FACT_COLUMNS = ["environment", "env_kind", "variant", "accel", "fact", "value", "declared", "measured_at"] as const;

/**
 * A CSV file of the results folder whose first line must be `columns`: its rows as records, or why
 * not (an unreadable file; another header, then also `unshown`, what the report leaves out for it);
 * `empty` when the file holds no line.
 */
function readColumns<C extends string>(file: string, columns: readonly C[], unshown: string): { rows: Record<C, string>[]; empty?: true; problem?: string } {
    try {
        const rows: string[][] = parse(fs.readFileSync(file, "utf8"));
        if (rows.length === 0) return { rows: [], empty: true };
        const header = rows[0].join(",");
        if (header !== columns.join(",")) return { rows: [], problem: `${file}: header is "${header}", expected "${columns.join(",")}"; ${unshown}` };
        return { rows: rows.slice(1).map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i] ?? ""])) as Record<C, string>) };
    } catch (e) {
        return { rows: [], problem: `${file}: ${(e as Error).message}` };
    }
}

/** Reads <dir>/environments.csv; returns the facts and a problem when it is missing or malformed. */
export function readEnvironmentFacts(dir: string): { facts: EnvironmentFact[]; problem?: string } {
    const file = path.join(dir, "environments.csv");
    if (!fs.existsSync(file)) return { facts: [], problem: `${file}: missing (environment facts not probed?); environment facts are not shown` };
    const read = readColumns(file, ENVIRONMENT_FACT_COLUMNS, "environment facts are not shown");
    if (read.empty) return { facts: [], problem: `${file}: empty` };
    if (read.problem) return { facts: [], problem: read.problem };
    return { facts: read.rows as unknown as EnvironmentFact[] };
}

/**
 * <dir>/host-stability.csv's probes, oldest first; none, without a problem, when the run took no
 * probe (isobench:stabilityProbeS: 0, a plain `pulumi up`, or a run from before probes were kept).
 */
export function readHostStability(dir: string): { rows: HostStabilityRow[]; problem?: string } {
    const file = hostStabilityCsvPath(dir);
    if (!fs.existsSync(file)) return { rows: [] };
    // Empty: created by a probe that had not written its row yet (the writer then writes the header).
    const read = readColumns(file, HOST_STABILITY_COLUMNS, "the host's stability is not shown");
    if (read.problem) return { rows: [], problem: read.problem };
    return { rows: read.rows };
}

/** A declared fact whose measured value differs: the environment is not what the stack asked for. */
export function factMismatches(facts: readonly EnvironmentFact[]): EnvironmentFact[] {
    return facts.filter((f) => f.declared !== "" && f.declared !== f.value);
}

export interface ReportFacts {
    /** environment → distinct "host / kernel / cpu_model / accel" lines seen in its samples. */
    readonly byEnvironment: ReadonlyMap<string, readonly string[]>;
    /** "workload: tool version" lines, sorted. */
    readonly toolVersions: readonly string[];
    /** run ids and stacks seen. */
    readonly runs: readonly string[];
    /** Earliest and latest started_at. */
    readonly firstStart?: string;
    readonly lastStart?: string;
}

export interface FactsState {
    readonly hosts: ReadonlyMap<string, ReadonlySet<string>>;
    readonly tools: ReadonlySet<string>;
    readonly runs: ReadonlySet<string>;
    readonly first?: string;
    readonly last?: string;
}

/** Collects host facts and tool versions while samples stream past. */
export class FactsAccumulator {
    private readonly hosts = new Map<string, Set<string>>();
    private readonly tools = new Set<string>();
    private readonly runs = new Set<string>();
    private first?: string;
    private last?: string;

    private lastSample?: Sample;

    add(s: Sample): void {
        // Consecutive samples (one cell file) share all of these: skip the string building.
        const p = this.lastSample;
        this.lastSample = s;
        if (
            p &&
            p.environment === s.environment &&
            p.host === s.host &&
            p.kernel === s.kernel &&
            p.cpu_model === s.cpu_model &&
            p.accel === s.accel &&
            p.workload === s.workload &&
            p.tool === s.tool &&
            p.tool_version === s.tool_version &&
            p.stack === s.stack &&
            p.run_id === s.run_id &&
            p.started_at === s.started_at
        )
            return;
        let set = this.hosts.get(s.environment);
        if (!set) this.hosts.set(s.environment, (set = new Set()));
        set.add(`host ${s.host}, kernel ${s.kernel}, CPU ${s.cpu_model}, accel ${s.accel}`);
        this.tools.add(`${s.workload}: ${s.tool} ${s.tool_version}`);
        this.runs.add(`${s.stack}/${s.run_id}`);
        if (s.started_at && (this.first === undefined || s.started_at < this.first)) this.first = s.started_at;
        if (s.started_at && (this.last === undefined || s.started_at > this.last)) this.last = s.started_at;
    }

    /** The state, for a worker thread to send to the main thread. */
    state(): FactsState {
        return { hosts: this.hosts, tools: this.tools, runs: this.runs, first: this.first, last: this.last };
    }

    merge(o: FactsState): void {
        for (const [env, lines] of o.hosts) {
            let set = this.hosts.get(env);
            if (!set) this.hosts.set(env, (set = new Set()));
            for (const l of lines) set.add(l);
        }
        for (const t of o.tools) this.tools.add(t);
        for (const r of o.runs) this.runs.add(r);
        if (o.first !== undefined && (this.first === undefined || o.first < this.first)) this.first = o.first;
        if (o.last !== undefined && (this.last === undefined || o.last > this.last)) this.last = o.last;
    }

    finish(): ReportFacts {
        const byEnvironment = new Map([...this.hosts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, [...v].sort()]));
        return {
            byEnvironment,
            toolVersions: [...this.tools].sort(),
            runs: [...this.runs].sort(),
            ...(this.first ? { firstStart: this.first } : {}),
            ...(this.last ? { lastStart: this.last } : {}),
        };
    }
}

/** Parameters that start one thread or process per CPU the environment sees (pxz's threads, hpcc's processes, stress-ng's workers). */
const PER_CPU_PARAM = /(^|;)(threads|processes|workers)=0(;|$)/;

/**
 * Where guests had fewer CPUs than native, as each environment measured its own (`nproc` in
 * environments.csv), and the run measured workloads in them whose parameters start one thread or
 * process per CPU: there a ratio to native compares CPU counts as well as virtualisation (a small
 * stack's 2-vCPU guests on a large host). Undefined when no such comparison was made.
 */
export function cpuCountNote(
    facts: readonly EnvironmentFact[],
    rows: readonly { readonly environment: string; readonly env_kind: string; readonly workload: string; readonly params: string }[],
): string | undefined {
    const nproc = new Map(facts.filter((f) => f.fact === "nproc" && /^\d+$/.test(f.value)).map((f) => [f.environment, Number(f.value)]));
    const native = nproc.get("native");
    if (native === undefined) return undefined;
    const fewer = (e: string) => (nproc.get(e) ?? native) < native;
    const hit = rows.filter((r) => (r.env_kind === "kvm" || r.env_kind === "docker-in-kvm") && fewer(r.environment) && PER_CPU_PARAM.test(r.params));
    if (hit.length === 0) return undefined;
    const guests = [...new Set(hit.map((r) => r.environment))].sort();
    const workloads = [...new Set(hit.map((r) => r.workload))].sort();
    return (
        `${guests.map((g) => `${g} had ${nproc.get(g)} CPU(s)`).join(", ")}, native ${native} (nproc in environments.csv): ` +
        `${workloads.join(", ")} start one thread or process per CPU, so their ratios to native compare CPU counts as well as virtualisation`
    );
}
