/**
 * The isobench command line read into one typed invocation, with commander: every command, its
 * arguments and options, `--help` for each (with an example), and usage errors that name the
 * closest command or option. Runs nothing and loads nothing else (run-cell and probe start once
 * per cell), so experiment/cli.ts imports a command's modules only once it knows the command.
 */
import { Command, CommanderError, Option } from "commander";
import { didYouMean } from "../core/closest";
import { UsageError, UserError } from "../core/errors";

export type Invocation =
    | { readonly command: "up"; readonly stack: string; readonly remeasure?: string; readonly verbose: boolean; readonly allowEmulation: boolean }
    | { readonly command: "up-many"; readonly stacks: readonly string[]; readonly verbose: boolean; readonly allowEmulation: boolean }
    | { readonly command: "up-from"; readonly from: string; readonly stack?: string; readonly verbose: boolean; readonly allowEmulation: boolean }
    | { readonly command: "plan"; readonly stack: string; readonly host?: string; readonly allowEmulation: boolean }
    | { readonly command: "destroy"; readonly stack: string; readonly verbose: boolean }
    | { readonly command: "recover"; readonly stack: string }
    | { readonly command: "status"; readonly stack?: string }
    | { readonly command: "ls" }
    | { readonly command: "leftovers"; readonly stack?: string; readonly clean: boolean }
    | {
          readonly command: "analyze";
          readonly dir: string;
          readonly compareWith?: string;
          readonly confidence?: number;
          /** With compareWith: the share of verdicts that must agree, or analyze exits 3. */
          readonly agreementBar?: number;
          readonly plots: boolean;
          readonly progress: boolean;
          /** Only the stack's analysis step passes it: the plan's cell ids, encoded. */
          readonly planArg?: string;
      }
    | { readonly command: "setup-target"; readonly stack: string }
    | {
          readonly command: "doctor";
          readonly target?: string;
          /** --stability: its seconds, or true for the probe's default (experiment/spec.ts DEFAULT_STABILITY_PROBE_S). */ readonly stability?: number | true;
      }
    | { readonly command: "parse"; readonly workload: string; readonly rawFile: string; readonly params?: string }
    | { readonly command: "import"; readonly study: string; readonly checkout: string; readonly out?: string }
    | { readonly command: "build" }
    | { readonly command: "run-cell"; readonly cell: string }
    | { readonly command: "probe"; readonly resultsDir: string; readonly env: string; readonly shutOff?: boolean }
    | { readonly command: "probe-host"; readonly resultsDir: string; readonly declared: string; readonly stack?: string; readonly machine?: string }
    | { readonly command: "host-apply"; readonly stack: string; readonly declared: string }
    | { readonly command: "host-restore"; readonly stack: string }
    /** Help was asked for (or no command given: then `exit` is 2): print `text` and exit. */
    | { readonly command: "help"; readonly text: string; readonly exit: 0 | 2 };

const ENVIRONMENT_HELP = `
Environment:
  ISOBENCH_STACKS_DIR      up reads Pulumi.<stack>.yaml from this folder instead of stacks/; a stack found
                           there is validated (nothing is created) but not run, since Pulumi reads only stacks/
  ISOBENCH_STATE_DIR, ISOBENCH_RESULTS_DIR   instead of .state/ and results/
  ISOBENCH_MEASURE_LOCK    the host's measurement lock (default /run/lock/isobench-measure.lock)

Run isobench <command> --help for a command's options and an example.`;

const example = (...lines: string[]) => `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  ${l}`).join("\n")}`;

/** doctor --stability's seconds: true (the flag alone) for the probe's default; at least 4 (two pairs of one-second samples), at most an hour. */
function stabilitySeconds(v: unknown): number | true {
    if (v === true) return true;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 4 || n > 3600)
        throw new UserError(`doctor: --stability takes whole seconds from 4 to 3600 (e.g. --stability 120), got "${String(v)}"`);
    return n;
}

/** What a command's action turns its parsed arguments and options into. */
type Build = (args: string[], opts: Record<string, unknown>) => Invocation;

interface CommandDef {
    readonly name: string;
    readonly args: readonly string[];
    readonly summary: string;
    readonly description?: string;
    readonly options?: readonly Option[];
    readonly examples: readonly string[];
    readonly build: Build;
}

const STACK_COMMANDS: readonly CommandDef[] = [
    {
        name: "up",
        args: ["[stacks...]"],
        summary: "validate the stack and the host, then run the experiment (pulumi up); several stacks run at once, one measurement per target",
        description:
            "Validates stacks/Pulumi.<stack>.yaml, the host and the results already measured under the stack's runId, then runs Pulumi's update on the local backend (the Automation API). Shows one progress line: cells done/total, failed, the running cell or provisioning step, elapsed time and the ETA (a bar on a terminal, plain lines otherwise). Pulumi's own output goes to pulumi.log in the results folder. Ctrl-C stops after the running cell; a second one stops at once. With several stacks, each runs its own up at the same time (its lines prefixed by [stack]), waiting for its target's measurement lock: stacks on different targets measure side by side, stacks on one target take turns; the end lists each stack's result and wall time, and the exit status is the largest of theirs.",
        options: [
            new Option("--remeasure <cells>", "move these cells' results (comma-separated ids, or stale) into superseded/ and measure them again"),
            new Option("-v, --verbose", "print Pulumi's output on the terminal too (plain progress lines then)"),
            new Option("--allow-emulation", "run guests under QEMU software emulation where KVM cannot boot them (labelled accel=tcg; not KVM numbers)"),
            new Option(
                "--from <results-dir>",
                "run a recorded experiment again from its provenance/: writes stacks/Pulumi.<name>.yaml under a new runId, warns what differs from the original, then runs up",
            ),
            new Option("--stack <name>", "with --from: the new stack's name (default <original stack>-rerun)"),
        ],
        examples: [
            "isobench up quick",
            "isobench up felter2014-small --remeasure stale",
            "isobench up quick --remeasure redis.native.r1,redis.native.r2",
            "isobench up --from docs/results/felter2014-small --stack f14s-here",
            "isobench up lab-a lab-b",
        ],
        build: (stacks, o) => {
            const [stack] = stacks;
            const common = { verbose: !!o.verbose, allowEmulation: !!o.allowEmulation };
            if (o.from !== undefined) {
                if (stack !== undefined)
                    throw new UsageError(`up: give a stack or --from <results dir>, not both (name the re-run's stack with --stack ${stack})`);
                if (o.remeasure !== undefined) throw new UsageError(`up: --remeasure does not go with --from: a re-run measures every cell under a new runId`);
                return { command: "up-from", from: String(o.from), ...(o.stack !== undefined && { stack: String(o.stack) }), ...common };
            }
            if (o.stack !== undefined)
                throw new UsageError(
                    `up: --stack names the stack of a re-run and needs --from <results dir>; to run a stack, write isobench up ${String(o.stack)}`,
                );
            if (stack === undefined) throw new UsageError(`up: missing required argument 'stack' (or --from <results dir> to run a recorded experiment again)`);
            if (stacks.length > 1) {
                if (o.remeasure !== undefined)
                    throw new UsageError(`up: --remeasure names cells of one stack: run isobench up ${stack} --remeasure ${String(o.remeasure)} on its own`);
                return { command: "up-many", stacks, ...common };
            }
            return { command: "up", stack, ...(o.remeasure !== undefined && { remeasure: String(o.remeasure) }), ...common };
        },
    },
    {
        name: "plan",
        args: ["<stack>"],
        summary: "what the stack needs of this host (or a described one) before anything exists, and whether it fits",
        description:
            "Cells and expected time per workload (from earlier runs of the same cells where there are some, else an upper estimate from the parameters), the guests up at the same time with their vCPUs and memory, what each workload writes in each environment, the disks, and the verdict: exit 0 when the host can hold the plan, 1 when not (with the fix). Creates nothing.",
        options: [
            new Option("--host <shape>", "a described host instead of this one: <sockets>x<cores>x<threads>,<memory>[,tcg][,no-vhost], e.g. 2x8x2,256g"),
            new Option("--allow-emulation", "plan guests under software emulation where KVM cannot boot them"),
        ],
        examples: ["isobench plan felter2014-small", "isobench plan felter2014 --host 2x8x2,256g"],
        build: ([stack], o) => ({ command: "plan", stack, ...(o.host !== undefined && { host: String(o.host) }), allowEmulation: !!o.allowEmulation }),
    },
    {
        name: "setup-target",
        args: ["<stack>"],
        summary: "prepare the stack's remote isobench:target with this checkout's setup scripts (packages, daemons, images built there)",
        description:
            "Sends this checkout's committed tree to the same path on the stack's isobench:target (a Debian or Ubuntu machine reached as root over SSH with the stack's key and pinned host key), runs scripts/setup.sh --target there step by step (packages, daemons, the bind shim, the container and guest images built there by the same scripts, no registry), then compares the tools' versions there with this machine's records and names each difference (exit 1). A second run skips what is done. Refuses a checkout with uncommitted changes.",
        examples: ["isobench setup-target lab-server"],
        build: ([stack]) => ({ command: "setup-target", stack }),
    },
    {
        name: "destroy",
        args: ["<stack>"],
        summary: "remove the stack's containers, guests, volumes and disks (pulumi destroy); results/ stays",
        options: [new Option("-v, --verbose", "print Pulumi's output on the terminal too")],
        examples: ["isobench destroy quick"],
        build: ([stack], o) => ({ command: "destroy", stack, verbose: !!o.verbose }),
    },
    {
        name: "status",
        args: ["[stack]"],
        summary: "each stack's run: cells done/failed/missing, time spent and left, whether a run is active, environments up or down",
        description:
            "For each stack (or the one named): its runId and results folder, cells done, failed and missing (named), the time spent and the estimate left, whether an isobench up or a pulumi update runs now (and its pid, the cell it is on), and which environments the stack's state holds and whether they run.",
        examples: ["isobench status", "isobench status felter2014-small"],
        build: ([stack]) => ({ command: "status", ...(stack !== undefined && { stack }) }),
    },
    {
        name: "ls",
        args: [],
        summary: "the stacks and their result runs, with dates and cell counts",
        examples: ["isobench ls"],
        build: () => ({ command: "ls" }),
    },
    {
        name: "recover",
        args: ["<stack>"],
        summary: "clear what a killed run left (orphaned processes, the stack's stale lock, half-made resources); up does this itself",
        examples: ["isobench recover quick"],
        build: ([stack]) => ({ command: "recover", stack }),
    },
    {
        name: "leftovers",
        args: ["[stack]"],
        summary: "list what isobench made that no stack's state owns; --clean removes it (results/ never)",
        description:
            "Lists what isobench made that no stack's state owns (containers, volumes, domains, guest files, native data and runtime folders, servers and plugins of killed runs, stale locks), one line each: kind, name, stack, why. Exit 0: nothing left; 3: leftovers listed; 1: something could not be read or removed.",
        options: [new Option("--clean", "remove each leftover and say what was done")],
        examples: ["isobench leftovers", "isobench leftovers quick --clean"],
        build: ([stack], o) => ({ command: "leftovers", ...(stack !== undefined && { stack }), clean: !!o.clean }),
    },
];

const RESULT_COMMANDS: readonly CommandDef[] = [
    {
        name: "analyze",
        args: ["[results-dir]"],
        summary: "statistics, change vs native, published claims: summary.csv/.md, plots/, report.html",
        options: [
            new Option(
                "--compare <other-results-dir>",
                "also write compare.md/.csv: the two runs side by side, and whether their verdicts agree (compare-agreement.csv, a last line agreement: PASS|FAIL)",
            ),
            new Option("--require-agreement <share>", "with --compare: exit 3 when fewer than this share of verdicts (or any claim status) agree, e.g. 0.95"),
            new Option("--confidence <level>", "confidence level of the intervals, between 0 and 1").default(undefined, "0.95"),
            new Option("--no-plots", "skip plots/ (and the report's figures)"),
            new Option("--quiet-progress", "do not print the analysis's progress"),
            new Option("--plan <encoded>", "the plan's cell ids (the stack's analysis step)").hideHelp(),
        ],
        examples: [
            "isobench analyze results/quick/quick-1",
            "isobench analyze results/quick/quick-2 --compare results/quick/quick-1 --confidence 0.99",
            "isobench analyze results/quick/quick-2 --compare results/quick/quick-1 --require-agreement 0.95",
        ],
        build: ([dir], o) => {
            if (dir === undefined) throw new UserError(`analyze: which results directory? e.g. isobench analyze results/quick/quick-1`);
            let confidence: number | undefined;
            if (o.confidence !== undefined) {
                confidence = Number(o.confidence);
                if (!(confidence > 0 && confidence < 1))
                    throw new UserError(`analyze: --confidence must be a number between 0 and 1 (e.g. 0.95), got "${String(o.confidence)}"`);
            }
            let agreementBar: number | undefined;
            if (o.requireAgreement !== undefined) {
                agreementBar = Number(o.requireAgreement);
                if (!(agreementBar > 0 && agreementBar <= 1))
                    throw new UserError(
                        `analyze: --require-agreement must be the share of verdicts that must agree, above 0 and at most 1 (e.g. 0.95), got "${String(o.requireAgreement)}"`,
                    );
                if (o.compare === undefined)
                    throw new UserError(`analyze: --require-agreement needs a second run to agree with: add --compare <other results dir>`);
            }
            return {
                command: "analyze",
                dir,
                plots: o.plots !== false,
                progress: !o.quietProgress,
                ...(o.compare !== undefined && { compareWith: String(o.compare) }),
                ...(confidence !== undefined && { confidence }),
                ...(agreementBar !== undefined && { agreementBar }),
                ...(o.plan !== undefined && { planArg: String(o.plan) }),
            };
        },
    },
    {
        name: "parse",
        args: ["<workload>", "<raw-file>"],
        summary: "re-parse raw tool output (results/.../raw/*.txt, published logs) to sample CSV",
        options: [new Option("--params <k=v,...>", "the workload's params the raw output was made with")],
        examples: ["isobench parse redis results/quick/quick-1/raw/redis.native.r1.txt", "isobench parse fio fio-2.0.8.log --params rw=randread,bs=4k"],
        build: ([workload, rawFile], o) => ({ command: "parse", workload, rawFile, ...(o.params !== undefined && { params: String(o.params) }) }),
    },
    {
        name: "import",
        args: ["<study>", "<checkout>"],
        summary: "the raw logs of Felter et al. (a checkout of github.com/thewmf/kvm-docker-comparison) as a results folder, analyzed",
        options: [new Option("--out <results-dir>", "where to write it").default(undefined, "results/felter2014-original")],
        examples: ["isobench import felter2014 ~/kvm-docker-comparison"],
        build: ([study, checkout], o) => ({ command: "import", study, checkout, ...(o.out !== undefined && { out: String(o.out) }) }),
    },
    {
        name: "doctor",
        args: [],
        summary: "what this host (or a stack's target) can run, which published claims it can judge, and how to fix what is missing",
        options: [
            new Option("--target <stack>", "check the stack's isobench:target over SSH instead of this machine"),
            new Option(
                "--stability [seconds]",
                "also probe how steady the round trip between two CPUs is (netperf TCP_RR over loopback, a minute unless given): client-server workloads ride on it",
            ),
        ],
        examples: ["isobench doctor", "isobench doctor --target lab-server", "isobench doctor --stability 120"],
        build: (_args, o) => ({
            command: "doctor",
            ...(o.target !== undefined && { target: String(o.target) }),
            ...(o.stability !== undefined && { stability: stabilitySeconds(o.stability) }),
        }),
    },
    {
        name: "build",
        args: [],
        summary: "compile the TypeScript sources into build/ (done by itself whenever a source is newer)",
        examples: ["isobench build"],
        build: () => ({ command: "build" }),
    },
];

/** What the stack's command resources run; listed last. */
const STACK_STEPS: readonly CommandDef[] = [
    {
        name: "run-cell",
        args: ["<cell>"],
        summary: "(used by the stack) run one cell",
        examples: ["isobench run-cell <base64 JSON the program passes>"],
        build: ([cell]) => ({ command: "run-cell", cell }),
    },
    {
        name: "probe",
        args: ["<results-dir>", "<env>"],
        summary: "(used by the stack) measure an environment's facts",
        options: [new Option("--shut-off", "a guest: shut it off afterwards (isobench:schedule: grouped, before the next guest is created)")],
        examples: ["isobench probe results/quick/quick-1 <base64 JSON the program passes>"],
        build: ([resultsDir, env], o) => ({ command: "probe", resultsDir, env, ...(o.shutOff === true && { shutOff: true }) }),
    },
    {
        name: "probe-host",
        args: ["<results-dir>", "<declared>", "[stack]"],
        summary: "(used by the stack) measure the host's settings and versions (host.csv)",
        options: [new Option("--machine <target>", "the machine under test (base64 JSON the program passes); default this one")],
        examples: ["isobench probe-host results/quick/quick-1 <base64 JSON the program passes>"],
        build: ([resultsDir, declared, stack], o) => ({
            command: "probe-host",
            resultsDir,
            declared,
            ...(stack !== undefined && { stack }),
            ...(o.machine !== undefined && { machine: String(o.machine) }),
        }),
    },
    {
        name: "host-apply",
        args: ["<stack>", "<declared>"],
        summary: "(used by the stack, isobench:host.apply) set the declared host settings, recording the previous ones",
        examples: ["isobench host-apply quick <base64 JSON the program passes>"],
        build: ([stack, declared]) => ({ command: "host-apply", stack, declared }),
    },
    {
        name: "host-restore",
        args: ["<stack>"],
        summary: "(used by the stack on destroy) put back what host-apply recorded",
        examples: ["isobench host-restore quick"],
        build: ([stack]) => ({ command: "host-restore", stack }),
    },
];

export const COMMANDS: readonly CommandDef[] = [...STACK_COMMANDS, ...RESULT_COMMANDS, ...STACK_STEPS];

/** The commander program: every command, whose action records its invocation in `out`. */
function program(out: { invocation?: Invocation; text: string; err: string }): Command {
    const root = new Command("isobench")
        .usage("<command> [options]")
        .description("Reproduces published bare metal / Docker / KVM performance comparisons as Pulumi stacks.")
        .helpOption("-h, --help", "show help for isobench or a command")
        .helpCommand("help [command]", "show help for a command")
        .showSuggestionAfterError(false)
        .configureOutput({ writeOut: (s) => (out.text += s), writeErr: (s) => (out.err += s), outputError: (s) => (out.err += s) })
        .configureHelp({ sortSubcommands: false, helpWidth: 110 })
        .exitOverride()
        .addHelpText("after", ENVIRONMENT_HELP);
    for (const def of COMMANDS) {
        const c = root
            .command(def.name)
            .summary(def.summary)
            .description(def.description ?? def.summary);
        for (const a of def.args) c.argument(a);
        for (const o of def.options ?? []) c.addOption(o);
        c.addHelpText("after", example(...def.examples));
        c.action((...params: unknown[]) => {
            // commander passes the arguments, then the options, then the command itself.
            // A variadic argument ("[stacks...]", last) comes as one array.
            const args = params.slice(0, def.args.length).flatMap((a) => (Array.isArray(a) ? (a as string[]) : [a as string]));
            out.invocation = def.build(args, params[def.args.length] as Record<string, unknown>);
        });
    }
    return root;
}

/** Long option names a command takes (for "did you mean"). */
function optionsOf(name: string): string[] {
    const def = COMMANDS.find((d) => d.name === name);
    return [...(def?.options ?? []).filter((o) => !o.hidden && o.long).map((o) => o.long!), "--help"];
}

/**
 * Reads the command line (without node and the script).
 * @throws UsageError naming what is wrong and the closest command or option; UserError for a bad value
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
    const out: { invocation?: Invocation; text: string; err: string } = { text: "", err: "" };
    const root = program(out);
    if (argv.length === 0) {
        root.outputHelp({ error: true });
        return { command: "help", text: out.err, exit: 2 };
    }
    try {
        root.parse([...argv], { from: "user" });
    } catch (e) {
        if (!(e instanceof CommanderError)) throw e;
        if (e.code === "commander.helpDisplayed" || e.code === "commander.help") return { command: "help", text: out.text || out.err, exit: 0 };
        throw new UsageError(usageMessage(e, argv));
    }
    if (!out.invocation) throw new UsageError(`no command given. Run isobench --help for the commands`);
    return out.invocation;
}

function usageMessage(e: CommanderError, argv: readonly string[]): string {
    const cmd = COMMANDS.find((d) => d.name === argv[0]);
    const seeHelp = cmd ? `isobench ${cmd.name} --help` : "isobench --help";
    if (e.code === "commander.unknownCommand") {
        const names = COMMANDS.map((d) => d.name);
        return `unknown command "${argv[0]}"${sentence(didYouMean(argv[0], [...names, "help"]))} Commands: ${names.join(", ")} (${seeHelp})`;
    }
    if (e.code === "commander.unknownOption") {
        const flag = /unknown option '([^']*)'/.exec(e.message)?.[1] ?? "";
        const known = cmd ? optionsOf(cmd.name) : ["--help"];
        const named = flag.split("=")[0];
        return `${cmd ? `${cmd.name}: ` : ""}unknown option ${named}${sentence(didYouMean(named, known))} Options: ${known.join(", ")} (${seeHelp})`;
    }
    return `${cmd ? `${cmd.name}: ` : ""}${e.message.replace(/^error: /, "")} (${seeHelp})`;
}

/** Ends a "did you mean" hint (or nothing) as a sentence. */
const sentence = (hint: string) => (hint ? hint : ".");
