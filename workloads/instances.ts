/**
 * Simultaneous instances of an environment (KEK HEPiX 2015: 1…32 concurrent instances per compute
 * node). The `instances` parameter — one count or a sweep such as "1,2,4" — is honoured for every
 * self-contained ("inside") workload: for each count N the run makes N−1 clones of the cell's
 * environment (environments/clone.ts), starts the workload's command in all N at once, waits for
 * all, and removes the clones. The whole run is one host shell script, so its raw output holds
 * every instance's output and the parser below works on that file alone.
 *
 * Pure: builds the script and parses its output; the runner runs it.
 */
import type { Clones } from "../core/clones";
import { shellQuote as q } from "../core/shell";
import type { AnyWorkload } from "./index";
import { ParamSchema, intListParam } from "./params";
import { Measurement, RunContext, Workload } from "./workload";
import { ParseError } from "../core/errors";

/** Name of the parameter every self-contained workload accepts for concurrency sweeps. */
export const INSTANCES_PARAM = "instances";

/** Upper bound of instances per count (KEK's largest point). */
export const MAX_INSTANCES = 32;

/** Schema of the instances parameter (its counts' bound and repeats are checked by instanceSweep). */
export const INSTANCES_SCHEMA: ParamSchema = {
    ...intListParam(2),
    maximum: MAX_INSTANCES,
    description: `a count or a comma-separated list of distinct counts between 1 and ${MAX_INSTANCES} (e.g. "1,2,4")`,
};

/** Bound of a clone's create → ready (software-emulated guests booting side by side are slow). */
export const CLONE_READY_TIMEOUT_S = 600;

/** Marker lines of the script's output; they cannot occur in tool output. */
const MARK = "##isobench##";

/**
 * The instance counts of params.instances ("1,2,4", 2, "4"), in the given order, or undefined
 * when the parameter is absent. Throws naming the workload on anything else.
 */
export function instanceSweep(workload: string, params: Readonly<Record<string, number | string>>): number[] | undefined {
    const v = params[INSTANCES_PARAM];
    if (v === undefined) return undefined;
    const parts = String(v)
        .split(",")
        .map((s) => s.trim());
    const counts = parts.map(Number);
    if (parts.length === 0 || counts.some((n) => !Number.isInteger(n) || n < 1 || n > MAX_INSTANCES)) {
        throw new Error(
            `${workload}: parameter ${INSTANCES_PARAM} must be a count or a comma-separated list of counts between 1 and ${MAX_INSTANCES} (e.g. "1,2,4"), got ${JSON.stringify(v)}`,
        );
    }
    if (new Set(counts).size !== counts.length) throw new Error(`${workload}: parameter ${INSTANCES_PARAM} lists a count twice: ${JSON.stringify(v)}`);
    return counts;
}

/**
 * Prologue of every instances script: a private temporary directory ($ISOBENCH_TMP), the clock
 * helpers, and an EXIT trap that removes clones 1..maxK whatever happened (each removal in its own
 * subshell so one failure does not skip the others).
 */
export function instancesPrologue(clones: Clones, maxK: number, timeoutS: number): string {
    const removes = Array.from({ length: maxK }, (_, i) => clones.scripts(i + 1, timeoutS)).map(
        (c) => `  ( ${c.remove.split("\n").join("\n    ")}\n  ) || echo "isobench: could not remove clone ${c.name}" >&2`,
    );
    return [
        "set -u",
        `ISOBENCH_TMP=$(mktemp -d /tmp/isobench-instances.XXXXXX); export ISOBENCH_TMP`,
        "cleanup() {",
        "  rc=$?",
        ...removes,
        `  rm -rf "$ISOBENCH_TMP"`,
        "  exit $rc",
        "}",
        "trap cleanup EXIT",
        "trap 'exit 130' INT TERM",
        "now() { date +%s.%N; }",
        `elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }`,
        // Waits for the PIDs in $pids; fails when any of them failed.
        `wait_all() { ok=0; for p in $pids; do wait $p || ok=1; done; pids=""; return $ok; }`,
        `pids=""`,
        // cat that ends with a newline, so that a marker line never joins the tool's last line.
        `catn() { cat "$1"; [ -z "$(tail -c 1 "$1")" ] || echo; }`,
    ].join("\n");
}

/** One snippet in a background subshell whose PID is collected for wait_all. */
export function background(snippet: string): string {
    return `(\nset -e\n${snippet}\n) &\npids="$pids $!"`;
}

export interface InstancesRun {
    /**
     * The inner workload's command (what runs inside each instance), for a data directory. Native
     * "instances" are processes on one filesystem, so each gets its own directory; in containers
     * and guests every instance has its own filesystem and they all use `dataDir`.
     */
    readonly command: string | ((dataDir: string) => string);
    readonly sweep: readonly number[];
    readonly clones: Clones;
    /** Shell words running a script inside the original environment. */
    readonly originalExec: (script: string) => string;
    /** Data directory inside each instance (created before the command runs). */
    readonly dataDir: string;
    /** Bound of clone creation (container ready / guest SSH-ready), seconds. */
    readonly readyTimeoutS: number;
}

/**
 * The host script of an instances run. For each N: create clones 1..N−1 concurrently, wait until
 * all answer, start the command in the original and every clone together, wait for all, print each
 * instance's output between marker lines, remove the clones. Exits non-zero when any instance
 * failed (after printing everything).
 */
export function instancesScript(r: InstancesRun): string {
    const maxK = Math.max(...r.sweep) - 1;
    const dirOf = (instance: number) => (r.clones.shareFilesystem && instance > 1 ? `${r.dataDir}/instance-${instance}` : r.dataDir);
    const innerFor = (instance: number) => {
        const dir = dirOf(instance);
        return `mkdir -p ${q(dir)} && ${typeof r.command === "string" ? r.command : r.command(dir)}`;
    };
    const lines: string[] = [instancesPrologue(r.clones, maxK, r.readyTimeoutS), "failed=0"];
    for (const n of r.sweep) {
        const clones = Array.from({ length: n - 1 }, (_, i) => r.clones.scripts(i + 1, r.readyTimeoutS));
        lines.push(`# ---- instances=${n}`);
        for (const [i, c] of clones.entries()) {
            lines.push(`(\nset -e\n${c.create}\n) >"$ISOBENCH_TMP/ip_${i + 1}" 2>"$ISOBENCH_TMP/create_${i + 1}.err" &`, `pids="$pids $!"`);
        }
        if (clones.length > 0) {
            lines.push(
                `if ! wait_all; then cat "$ISOBENCH_TMP"/create_*.err >&2; echo "isobench: creating ${clones.length} clone(s) for instances=${n} failed" >&2; exit 1; fi`,
            );
            clones.forEach((_, i) => lines.push(`ip_${i + 1}=$(tail -n 1 "$ISOBENCH_TMP/ip_${i + 1}")`));
        }
        const execs = [r.originalExec(innerFor(1)), ...clones.map((c, i) => c.exec(innerFor(i + 2), `ip_${i + 1}`))];
        execs.forEach((e, i) => {
            const f = `"$ISOBENCH_TMP/run_${n}_${i + 1}"`;
            lines.push(`( ${e} >${f}.out 2>${f}.err; echo $? >${f}.rc ) </dev/null &`, `pids="$pids $!"`);
        });
        lines.push("wait_all || true");
        execs.forEach((_, i) => {
            const f = `"$ISOBENCH_TMP/run_${n}_${i + 1}"`;
            lines.push(
                `rc=$(cat ${f}.rc); [ "$rc" -eq 0 ] || failed=1`,
                `echo "${MARK} instances=${n} instance=${i + 1} status=$rc"`,
                `catn ${f}.out`,
                `echo "${MARK} stderr"`,
                `catn ${f}.err`,
            );
        });
        clones.forEach((c) => lines.push(background(c.remove)));
        lines.push(`wait_all || { echo "isobench: removing the clones of instances=${n} failed" >&2; exit 1; }`);
        lines.push(`echo "${MARK} instances=${n} end"`);
    }
    lines.push(`exit $failed`);
    return lines.join("\n") + "\n";
}

/** One instance's section of an instances run's output. */
export interface InstanceOutput {
    readonly instances: number;
    readonly instance: number;
    readonly status: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Splits the output of {@link instancesScript} into instance sections; counts without an end line are left out. */
export function splitInstancesOutput(raw: string): InstanceOutput[] {
    const out: InstanceOutput[] = [];
    const ended = new Set<number>();
    let cur: { instances: number; instance: number; status: number; stdout: string[]; stderr: string[]; inErr: boolean } | undefined;
    const flush = () => {
        if (cur)
            out.push({ instances: cur.instances, instance: cur.instance, status: cur.status, stdout: cur.stdout.join("\n"), stderr: cur.stderr.join("\n") });
        cur = undefined;
    };
    for (const line of raw.split("\n")) {
        if (!line.startsWith(MARK)) {
            if (cur) (cur.inErr ? cur.stderr : cur.stdout).push(line);
            continue;
        }
        const head = /^##isobench## instances=(\d+) instance=(\d+) status=(-?\d+)$/.exec(line);
        const end = /^##isobench## instances=(\d+) end$/.exec(line);
        if (head) {
            flush();
            cur = { instances: Number(head[1]), instance: Number(head[2]), status: Number(head[3]), stdout: [], stderr: [], inErr: false };
        } else if (line === `${MARK} stderr` && cur) {
            cur.inErr = true;
        } else if (end) {
            flush();
            ended.add(Number(end[1]));
        }
    }
    flush();
    return out.filter((o) => ended.has(o.instances));
}

/**
 * Measurements of an instances run: for each count N and each instance, the inner parser's values
 * with point {instances: N} (so analysis pools the instances: mean and SD across instances, as
 * KEK's error bars), plus `<metric>_aggregate` — the sum over the N instances — for every
 * higher-is-better metric (throughput of the whole host).
 */
export function parseInstancesOutput(inner: AnyWorkload, raw: string, params: Record<string, number | string>): Measurement[] {
    const sweep = instanceSweep(inner.name, params) ?? [1];
    const sections = splitInstancesOutput(raw);
    const out: Measurement[] = [];
    for (const n of sweep) {
        const mine = sections.filter((s) => s.instances === n);
        if (mine.length !== n) {
            throw new ParseError(
                inner.name,
                INSTANCES_PARAM,
                `the output has ${mine.length} complete instance section(s) for instances=${n}, expected ${n} (truncated or a clone failed?)`,
            );
        }
        const sums = new Map<string, Measurement>();
        for (const s of mine.sort((a, b) => a.instance - b.instance)) {
            if (s.status !== 0) {
                throw new ParseError(inner.name, INSTANCES_PARAM, `instance ${s.instance} of ${n} exited with ${s.status}: ${s.stderr.trim().slice(-500)}`);
            }
            let ms: Measurement[];
            try {
                ms = inner.parse(s.stdout, params);
            } catch (e) {
                if (e instanceof ParseError) throw new ParseError(e.workload, e.metric, `instance ${s.instance} of ${n}: ${e.message}`);
                throw e;
            }
            for (const m of ms) {
                out.push({ ...m, point: { ...m.point, [INSTANCES_PARAM]: n } });
                if (m.better !== "higher") continue;
                const key = `${m.metric}\u0000${JSON.stringify(m.point ?? {})}`;
                const prev = sums.get(key);
                // Rounded to a millionth: parsed values have few decimals, float sums add noise digits.
                const value = Math.round(((prev?.value ?? 0) + m.value) * 1e6) / 1e6;
                sums.set(key, { ...m, metric: `${m.metric}_aggregate`, value, point: { ...m.point, [INSTANCES_PARAM]: n } });
            }
        }
        out.push(...sums.values());
    }
    return out;
}

/**
 * The workload as the runner will run it for these params: wrapped by {@link withInstances} when
 * they ask for an instances sweep the workload does not handle itself (lifecycle does). Throws
 * naming the workload on a bad count or a workload that cannot run in instances, so a stack is
 * refused before anything is provisioned.
 */
export function effectiveWorkload(w: AnyWorkload, params: Readonly<Record<string, number | string>>): AnyWorkload {
    const sweep = instanceSweep(w.name, params);
    return sweep && !(INSTANCES_PARAM in w.defaults) ? withInstances(w) : w;
}

/**
 * The workload run as an instances sweep: same name, tool, version and parser semantics, but its
 * command is the host script above (built from ctx.clones and ctx.originalExec, which the
 * runner provides).
 */
export function withInstances(inner: AnyWorkload): AnyWorkload {
    if (inner.clientPlacement !== "inside" || inner.serverCommand) {
        throw new Error(
            `${inner.name}: the ${INSTANCES_PARAM} parameter applies to self-contained workloads only (this one runs a client on the host against a server)`,
        );
    }
    const w: Workload<Record<string, number | string>> = {
        ...inner,
        clientPlacement: "host",
        clientCommand(params, ctx: RunContext) {
            if (!ctx.clones || !ctx.originalExec)
                throw new Error(`${inner.name}: ${INSTANCES_PARAM} needs the environment's clones (runner did not provide them)`);
            return instancesScript({
                command: (dataDir: string) => inner.clientCommand(params, { ...ctx, dataDir }),
                sweep: instanceSweep(inner.name, params) ?? [1],
                clones: ctx.clones,
                originalExec: ctx.originalExec,
                dataDir: ctx.dataDir,
                readyTimeoutS: CLONE_READY_TIMEOUT_S,
            });
        },
        parse: (raw, params) => parseInstancesOutput(inner, raw, params ?? inner.defaults),
    };
    return w;
}
