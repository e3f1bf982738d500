/**
 * The native environment as a Pulumi component: the host itself, plus the stack's data folder,
 * which destroy removes like a container's volume or a guest's disk.
 */
import * as pulumi from "@pulumi/pulumi";
import { CommandBackend, ProvisionedEnvironment, commandResource } from "./command";
import { shellQuote as q } from "../core/shell";
import { Target, scriptCommand } from "../core/transport";

export interface NativeEnvironmentArgs {
    /** The stack's data folder on the host (the handle's dataDir). */
    readonly dataDir: string;
    readonly commandBackend: CommandBackend;
    /** The machine under test the folder is made on (the handle's machine). */
    readonly machine: Target;
}

export class NativeEnvironment extends pulumi.ComponentResource implements ProvisionedEnvironment {
    /** The data folder: the probe and the cells find it made. */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: NativeEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("isobench:environments:NativeEnvironment", name, {}, opts);
        this.ready = commandResource(
            args.commandBackend,
            `${name}-data`,
            {
                create: scriptCommand(args.machine, `mkdir -p ${q(args.dataDir)}`),
                delete: scriptCommand(args.machine, `rm -rf ${q(args.dataDir)}`),
                triggers: [args.dataDir],
            },
            // Declared at the stack's top level before this component existed: the alias keeps a
            // stack made then from replacing (deleting) its data folder.
            { parent: this, aliases: [{ parent: pulumi.rootStackResource }] },
        ).resource;
        this.registerOutputs({});
    }
}
