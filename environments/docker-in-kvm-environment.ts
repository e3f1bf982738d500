/**
 * The docker-in-kvm environment as a Pulumi component: a KvmGuest, then the container created in
 * the guest's Docker engine by the scripts of docker-in-kvm.ts.
 */
import * as pulumi from "@pulumi/pulumi";
import { ContainerSpec } from "./container-spec";
import { ProvisionedEnvironment, commandResource } from "./command";
import { KvmGuest, KvmGuestArgs } from "./kvm-guest";
import { guestContainerCreateScript, guestContainerDeleteScript } from "./docker-in-kvm";
import { GuestAccess } from "../core/environment-handle";
import { renderDomainXml } from "./kvm/domain-xml";
import { scriptCommand } from "../core/transport";

export interface DockerInKvmEnvironmentArgs {
    /** The guest the Docker engine runs in. */
    readonly guest: KvmGuestArgs;
    /** The container to create inside the guest. */
    readonly container: ContainerSpec;
    /** How the host logs in to the guest (the handle's target). */
    readonly access: GuestAccess;
}

/** A container of the Docker engine inside a KVM guest: the guest, then the container in it. */
export class DockerInKvmEnvironment extends pulumi.ComponentResource implements ProvisionedEnvironment {
    readonly ready: pulumi.Resource;
    /** The guest's boot report, then the container's. */
    readonly readyReport: pulumi.Output<string>;

    constructor(name: string, args: DockerInKvmEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("isobench:environments:DockerInKvmEnvironment", name, {}, opts);
        // Both were declared at the stack's top level before this component existed: the aliases
        // keep a stack made then from replacing its guest and container.
        const topLevel = { aliases: [{ parent: pulumi.rootStackResource }] };
        const guest = new KvmGuest(name, args.guest, { parent: this, ...topLevel });
        const lifecycle = args.guest.lifecycleScript;
        const c = commandResource(
            args.guest.commandBackend,
            `${name}-container`,
            {
                create: scriptCommand(args.guest.machine, guestContainerCreateScript(args.container, args.access, lifecycle)),
                delete: scriptCommand(args.guest.machine, guestContainerDeleteScript(args.container, args.access, lifecycle)),
                // A guest made again (its XML or disk changed) has an empty Docker engine: the container is made again with it.
                triggers: [JSON.stringify(args.container), args.guest.domain.name, renderDomainXml(args.guest.domain), String(args.guest.diskGrowBytes ?? 0)],
            },
            { parent: this, ...topLevel, dependsOn: [guest.ready], deleteBeforeReplace: true, customTimeouts: { create: "30m" } },
        );
        this.ready = c.resource;
        this.readyReport = pulumi.interpolate`${guest.readyReport}\n${c.stdout}`;
        this.registerOutputs({ readyReport: this.readyReport });
    }
}
