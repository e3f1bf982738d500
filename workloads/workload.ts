/**
 * What every workload module provides. Workloads are pure: they build command lines and parse
 * output; running them on an environment is the runner's job (experiment/runner.ts).
 */
import type { Better } from "../core/samples";
import type { EnvironmentHandle } from "../core/environment-handle";
import type { Clones } from "../core/clones";
import type { ContainerNeeds } from "../core/container-needs";
import type { ParamSchema } from "./params";
import type { ServerAddress, ServerPort } from "../core/endpoints";

export type { ContainerNeeds } from "../core/container-needs";

/** One value a parser extracted from raw tool output. */
export interface Measurement {
    readonly metric: string;
    readonly value: number;
    readonly unit: string;
    readonly better: Better;
    /**
     * The parameter point this value belongs to when one run sweeps several (e.g. clients=50 of a
     * redis-benchmark client sweep); merged over the cell's params into the sample's `params`, so
     * analysis groups each point on its own.
     */
    readonly point?: Readonly<Record<string, number | string>>;
}

/** Every server port of a workload: serverPorts, or the single TCP serverPort as "server". */
export function workloadPorts(w: Pick<WorkloadFacts, "serverPorts" | "serverPort">): readonly ServerPort[] {
    if (w.serverPorts) return w.serverPorts;
    return w.serverPort === undefined ? [] : [{ name: "server", port: w.serverPort, protocol: "tcp" }];
}

/** What a command builder knows about the environment it runs in. */
export interface RunContext {
    /**
     * The address the server binds inside its environment (environments/exec-target.ts
     * listenAddress), set by the runner before serverCommand: servers bind it, never the wildcard
     * of the host's own network.
     */
    readonly listen?: string;
    /** The environment's bind shim (exec-target.ts bindShimIn), for servers that cannot choose their address. */
    readonly bindShim?: string;
    /** Where the server listens, seen from the host; set for the client of a server workload. */
    readonly addr?: ServerAddress;
    /** Host-side address of every server port, by ServerPort.name (addr is the first one's). */
    readonly addrs?: Readonly<Record<string, ServerAddress>>;
    /**
     * The environment's data directory, inside it (created by the runner, emptied never): a Docker
     * volume or the container's own layer as its storage variant says, the guest's disk, or a host
     * directory for native. Workloads put files (fio, pxz input, database files) here.
     */
    readonly dataDir: string;
    /** The cell's environment (set by the runner); host-placed workloads that measure the environment itself read it. */
    readonly env?: EnvironmentHandle;
    /**
     * Clones of the cell's environment (core/clones.ts); set by the runner for workloads with
     * `needsClones` and for `instances` sweeps.
     */
    readonly clones?: Clones;
    /** Shell words running a script inside the cell's environment (guest address resolved); set with clones. */
    readonly originalExec?: (script: string) => string;
    /**
     * For a workload with `password`: the file inside the environment holding the stack's
     * password (mode 0600 in a 0700 folder, written by the runner before the server starts,
     * removed after the cell). Server scripts read it; it never appears on a command line.
     */
    readonly passwordFile?: string;
}

/**
 * What a workload writes in its environment's data directory (RunContext.dataDir), for the disk
 * space preflight (experiment/disk-plan.ts), which must know it before anything exists.
 */
export interface DataFootprint {
    /** Bytes the workload's files take at most at once in one environment. */
    readonly bytes: number;
    /** The parameter that sets them, named in a refusal's fix. */
    readonly param: string;
    /**
     * How long the files stay: "cell": removed when the cell ends, written anew by the next;
     * "replaced": left until the workload's next cell in the environment deletes and rewrites them;
     * "reused": left for the stack's life and read again, not rewritten, by its later cells.
     */
    readonly lifetime: "cell" | "replaced" | "reused";
    /** Why `bytes` is an estimate rather than a bound, when it is one. */
    readonly rough?: string;
    /** The largest value of `param` whose files take at most `bytes`, as a stack writes it; undefined when none is that small. */
    largestFitting(bytes: number): string | undefined;
}

/** What fixes a cell's length: a time the params give the tool, or an amount of work (Workload.lengthFixedBy). */
export type LengthFixedBy = "time" | "work";

export interface Workload<P extends Record<string, number | string>> {
    readonly name: string;
    /** Tool name as recorded in samples. */
    readonly tool: string;
    readonly defaults: P;
    /**
     * JSON Schema of every parameter a stack may set (workloads/params.ts), checked when the stack
     * is parsed; a key not listed here is refused. Optional parameters (absent from defaults) too.
     */
    readonly paramSchema: { readonly [K in keyof Required<P>]: ParamSchema };
    /** Shell command printing the tool's version line (run where the tool runs). */
    readonly versionCommand: string;
    /**
     * Where versionCommand runs: "inside" the environment (default) or on the "host" (workloads
     * whose tool is the host's container engine or hypervisor).
     */
    readonly versionPlacement?: "inside" | "host";
    /** The runner gives the workload the environment's clones in RunContext.clones. */
    readonly needsClones?: boolean;
    /** Extracts a version string from versionCommand's output. */
    parseVersion(output: string): string;
    /** TCP port the server listens on inside the environment, when there is a server (one port). */
    readonly serverPort?: number;
    /** Every port of a server with several (control + data, TCP + UDP); overrides serverPort. */
    readonly serverPorts?: readonly ServerPort[];
    /**
     * The server authenticates its client with the stack's random password, a Pulumi secret made
     * by the program (experiment/program.ts): the runner writes it to RunContext.passwordFile
     * inside the environment and gives host-side commands (readiness, prepare, client) the
     * environment variable `clientEnv` holding it.
     */
    readonly password?: { readonly clientEnv: string };
    /** Command started (detached) inside the environment, when the workload has a server part. */
    serverCommand?(params: P, ctx: RunContext): string;
    /** Shell command that answers 0 once the server is ready (run on the host side). */
    readinessCommand?(params: P, addr: ServerAddress, ctx?: RunContext): string;
    /** Seconds the runner waits for readinessCommand to succeed (default 60; databases need more). */
    readonly readinessTimeoutS?: number;
    /**
     * Unmeasured step run where the client runs, after the server is ready and before the measured
     * command (e.g. sysbench prepare); must exit 0.
     */
    prepareCommand?(params: P, ctx: RunContext): string;
    /** The measured command: runs inside the environment for self-contained workloads, or on the host against addr. */
    clientCommand(params: P, ctx: RunContext): string;
    /** "inside": clientCommand runs in the environment; "host": on the host against the server. */
    readonly clientPlacement: "inside" | "host";
    /**
     * What a Docker container running this workload with these params needs beyond its declared
     * variant (e.g. SYS_NICE for a numactl memory policy); {} or undefined = nothing. The
     * container of every Docker environment the workload runs in gets it at provisioning (see
     * environments/container-needs.ts), recorded in the variant and verified by the probe.
     * Throws naming the parameter when params are malformed (checked when the stack is parsed).
     */
    containerNeeds?(params: P): ContainerNeeds;
    /**
     * Seconds the measured work of one cell takes with these params: the durations it is told to
     * run, plus work sized by a count at workloads/expected.ts's slow rates; undefined when the
     * params leave the size to the host (e.g. HPL's N from a share of memory). The cell's default
     * wall-clock limit follows it (experiment/cell-limit.ts).
     * @param cpus the environment's CPUs, when the caller knows them (`isobench plan`): work the
     *   params spread over one process or thread per CPU (a count of 0) is divided among them.
     *   Without it such work counts as one, so the cell's limit is never shorter than the run.
     */
    expectedS(params: P, cpus?: number): number | undefined;
    /**
     * What fixes how long a cell with these params lasts: "time" when the params tell the tool how
     * long to run (a slower environment does less work in the same seconds), "work" when they give
     * it an amount of work (a slower environment takes longer). Where a cell does both (a prepare
     * step sized by a count, then a timed run), the larger part of expectedS decides. The progress
     * model (experiment/progress-model.ts) compares environments' speeds on work-bound cells only.
     */
    lengthFixedBy(params: P): LengthFixedBy;
    /**
     * Whether these params spread the work over one thread or process per CPU the environment has
     * (a count of 0): its result then follows the CPUs the environment sees, and a guest with fewer
     * vCPUs than the host is compared with native on unequal CPUs (`isobench plan` says so).
     */
    spreadsOverCpus?(params: P): boolean;
    /** What the workload leaves in the data directory with these params; undefined when that is negligible (under a few MiB). */
    dataFootprint?(params: P): DataFootprint;
    /**
     * How this workload departs from the study it reproduces (substituted tool, input or
     * scale), for the given params; the runner copies it into every sample's notes so no number
     * is read without it.
     */
    notes?(params: P): string;
    /**
     * Extracts the measurements from the tool's raw output; throws ParseError when the output is
     * malformed or truncated. When the params the command was built from are given, the parser also
     * checks that everything they asked for is present (e.g. every requested redis-benchmark test),
     * which catches output cut off at a line boundary.
     */
    parse(raw: string, params?: P): Measurement[];
}

/**
 * The members of a workload that do not involve its parameter type: the same for every P, which
 * `never` stands for here.
 */
export type WorkloadFacts = Pick<
    Workload<never>,
    | "name"
    | "tool"
    | "versionCommand"
    | "versionPlacement"
    | "needsClones"
    | "parseVersion"
    | "serverPort"
    | "serverPorts"
    | "password"
    | "readinessTimeoutS"
    | "clientPlacement"
>;

/**
 * A workload with one cell's params applied (bindWorkload): what the runner calls. Bound once,
 * the params cannot be forgotten, changed or mixed up between the steps of a cell, and the runner
 * needs no parameter type.
 */
export interface BoundWorkload extends WorkloadFacts {
    serverCommand?(ctx: RunContext): string;
    readinessCommand?(addr: ServerAddress, ctx?: RunContext): string;
    prepareCommand?(ctx: RunContext): string;
    clientCommand(ctx: RunContext): string;
    /** The workload's notes for these params; "" when it has none. */
    notes(): string;
    /** The parser, checking the output against the bound params. */
    parse(raw: string): Measurement[];
}

/** `w` with `params` (defaults included) applied to every method that takes them. */
export function bindWorkload<P extends Record<string, number | string>>(w: Workload<P>, params: P): BoundWorkload {
    const { serverCommand, readinessCommand, prepareCommand, notes } = w;
    return {
        name: w.name,
        tool: w.tool,
        versionCommand: w.versionCommand,
        versionPlacement: w.versionPlacement,
        needsClones: w.needsClones,
        parseVersion: (output) => w.parseVersion(output),
        serverPort: w.serverPort,
        serverPorts: w.serverPorts,
        password: w.password,
        readinessTimeoutS: w.readinessTimeoutS,
        clientPlacement: w.clientPlacement,
        // Absent stays absent: the runner starts a server, waits for it and prepares only when the workload says so.
        ...(serverCommand && { serverCommand: (ctx: RunContext) => serverCommand.call(w, params, ctx) }),
        ...(readinessCommand && { readinessCommand: (addr: ServerAddress, ctx?: RunContext) => readinessCommand.call(w, params, addr, ctx) }),
        ...(prepareCommand && { prepareCommand: (ctx: RunContext) => prepareCommand.call(w, params, ctx) }),
        clientCommand: (ctx) => w.clientCommand(params, ctx),
        notes: () => notes?.call(w, params) ?? "",
        parse: (raw) => w.parse(raw, params),
    };
}
