/**
 * Command resources: the one way isobench runs something on `pulumi up` (provision an
 * environment, run a cell, analyse) and undoes it on `pulumi destroy`.
 *
 * Two backends with the same semantics as @pulumi/command's local.Command without `update`:
 * `create` runs once, a change of `create` or of any trigger replaces the resource (new create,
 * then old delete), `delete` runs on destroy, `stdout` is kept in state.
 *  - "plugin": @pulumi/command (needs the pulumi-resource-command plugin).
 *  - "dynamic": a Pulumi dynamic provider running the same shell commands in-process. The plugin
 *    cannot be built offline from the Go module proxy here (pulumi-command's provider module has
 *    no tagged versions there), so this is what runs on air-gapped hosts.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

export type CommandBackend = "plugin" | "dynamic";

export interface CommandArgs {
    /** Shell command run (by /bin/sh -c) when the resource is created or replaced. */
    readonly create: pulumi.Input<string>;
    /** Shell command run when the resource is deleted; previous stdout is in $PULUMI_COMMAND_STDOUT. */
    readonly delete?: pulumi.Input<string>;
    /** Any change of these values replaces the resource, re-running `create`. */
    readonly triggers?: pulumi.Input<unknown>[];
    /** Extra environment for create and delete, on top of the provider's own environment. */
    readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** Working directory of create and delete. */
    readonly dir?: pulumi.Input<string>;
}

/**
 * What the measuring chain needs of a provisioned environment component (NativeEnvironment,
 * DockerEnvironment, KvmGuest, DockerInKvmEnvironment): the resource its probe and cells wait for,
 * and its create step's report (`ready_s=<seconds>`, a guest's address first).
 */
export interface ProvisionedEnvironment {
    /** What the environment's probe and cells wait for (for native, its data folder). */
    readonly ready: pulumi.Resource;
    readonly readyReport?: pulumi.Output<string>;
}

/** What callers use from a command resource, whichever backend made it. */
export interface CommandResource {
    readonly resource: pulumi.CustomResource;
    readonly stdout: pulumi.Output<string>;
}

interface DynamicInputs {
    create: string;
    delete?: string;
    triggers?: unknown[];
    environment?: Record<string, string>;
    dir?: string;
}

interface DynamicOutputs extends DynamicInputs {
    stdout: string;
    stderr: string;
}

/**
 * Runs a shell script for the dynamic provider; rejects with the output on a non-zero exit.
 * Module-level but self-contained (it requires what it uses), because Pulumi's closure serializer
 * copies it into the dynamic-provider plugin process together with the provider that calls it.
 */
function runShell(script: string, env: Record<string, string>, dir?: string): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- serialized into the plugin process with this function; a module import would not travel with it
        const cp = require("child_process");
        const child = cp.spawn("/bin/sh", ["-c", script], {
            cwd: dir,
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", reject);
        child.on("close", (code: number | null, signal: string | null) => {
            const stdout = Buffer.concat(out).toString("utf8").replace(/\n$/, "");
            const stderr = Buffer.concat(err).toString("utf8").replace(/\n$/, "");
            if (code === 0) resolve({ stdout, stderr });
            else reject(new Error(`command exited with ${code ?? signal}\n${stdout}\n${stderr}`.trimEnd()));
        });
    });
}

// The provider is serialized by Pulumi's closure serializer and runs in the dynamic-provider
// plugin process, so it must not capture module state beyond runShell.
const dynamicCommandProvider: pulumi.dynamic.ResourceProvider = {
    async create(inputs: DynamicInputs) {
        const { stdout, stderr } = await runShell(inputs.create, inputs.environment ?? {}, inputs.dir);
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- as in runShell: the provider is serialized without module state
        const crypto = require("crypto");
        return { id: crypto.randomUUID(), outs: { ...inputs, stdout, stderr } };
    },
    async diff(_id: string, olds: DynamicOutputs, news: DynamicInputs) {
        const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
        const replaces: string[] = [];
        if (!same(olds.create, news.create)) replaces.push("create");
        if (!same(olds.triggers, news.triggers)) replaces.push("triggers");
        if (!same(olds.environment, news.environment)) replaces.push("environment");
        if (!same(olds.dir, news.dir)) replaces.push("dir");
        const changes = replaces.length > 0 || !same(olds.delete, news.delete);
        return { changes, replaces, deleteBeforeReplace: false };
    },
    async update(_id: string, olds: DynamicOutputs, news: DynamicInputs) {
        // Only `delete` can change without replacement; keep the measured stdout.
        return { outs: { ...news, stdout: olds.stdout, stderr: olds.stderr } };
    },
    async delete(_id: string, props: DynamicOutputs) {
        if (!props.delete) return;
        await runShell(props.delete, { ...(props.environment ?? {}), PULUMI_COMMAND_STDOUT: props.stdout ?? "" }, props.dir);
    },
};

class DynamicCommand extends pulumi.dynamic.Resource {
    declare readonly stdout: pulumi.Output<string>;
    constructor(name: string, args: CommandArgs, opts?: pulumi.CustomResourceOptions) {
        super(dynamicCommandProvider, name, { ...args, stdout: undefined, stderr: undefined }, opts, "isobench-command");
    }
}

/** Declares a command resource with the chosen backend. */
export function commandResource(backend: CommandBackend, name: string, args: CommandArgs, opts?: pulumi.CustomResourceOptions): CommandResource {
    if (backend === "plugin") {
        const c = new command.local.Command(
            name,
            {
                create: args.create,
                delete: args.delete,
                triggers: args.triggers,
                environment: args.environment,
                dir: args.dir,
                // Large previous stdout in the environment can exceed the exec limit (pulumi-command#285).
                addPreviousOutputInEnv: true,
            },
            opts,
        );
        return { resource: c, stdout: c.stdout };
    }
    const d = new DynamicCommand(name, args, opts);
    return { resource: d, stdout: d.stdout };
}
