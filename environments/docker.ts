/**
 * A Docker environment as a Pulumi component, through either driver (docs/environments.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { CommandBackend, ProvisionedEnvironment, commandResource } from "./command";
import { ContainerSpec, cliCreateScript, cliDeleteScript } from "./container-spec";
import { Target, scriptCommand, targetLabel } from "../core/transport";

export type ResolvedDockerDriver = "provider" | "cli";

export interface DockerEnvironmentArgs {
    /** The container to create, already rendered from the environment's variant. */
    readonly spec: ContainerSpec;
    /** `provider` uses @pulumi/docker; `cli` runs the docker CLI from command resources. */
    readonly driver: ResolvedDockerDriver;
    /** Backend of command resources (cli driver). */
    readonly commandBackend: CommandBackend;
    /** The machine under test whose dockerd runs the container (the handle's machine). */
    readonly machine: Target;
}

export class DockerEnvironment extends pulumi.ComponentResource implements ProvisionedEnvironment {
    /** Resource the environment's probe and cells depend on. */
    readonly ready: pulumi.Resource;
    readonly containerName: string;
    /** Create → ready seconds as `ready_s=<s>` (cli driver; the provider driver does not time it). */
    readonly readyReport: pulumi.Output<string>;

    constructor(name: string, args: DockerEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("isobench:environments:DockerEnvironment", name, {}, opts);
        const s = args.spec;
        this.containerName = s.name;
        if (args.driver === "provider") {
            if (args.machine.kind !== "local") {
                throw new Error(
                    `environment ${name}: the provider Docker driver does not reach ${targetLabel(args.machine)} yet. Fix: set isobench:dockerDriver: cli for a remote target`,
                );
            }
            const volume =
                s.volume &&
                new docker.Volume(
                    `${name}-data`,
                    {
                        name: s.volume.name,
                        labels: Object.entries(s.labels).map(([label, value]) => ({ label, value })),
                    },
                    { parent: this },
                );
            this.ready = new docker.Container(
                `${name}-container`,
                {
                    name: s.name,
                    image: s.image,
                    command: [...s.command],
                    networkMode: s.networkMode,
                    ports: s.publish.map((p) => ({ internal: p.port, external: p.hostPort, protocol: p.protocol, ip: s.publishAddress })),
                    mounts: volume && s.volume ? [{ type: "volume", source: volume.name, target: s.volume.target }] : [],
                    labels: Object.entries(s.labels).map(([label, value]) => ({ label, value })),
                    ...(s.runtime && { runtime: s.runtime }),
                    ...(s.cpuset !== undefined && { cpuSet: s.cpuset }),
                    ...(s.cpus !== undefined && { cpus: String(s.cpus) }),
                    ...(s.memoryMiB !== undefined && { memory: s.memoryMiB }),
                    ...(s.capAdd.length > 0 && { capabilities: { adds: [...s.capAdd] } }),
                    ...(s.securityOpt.length > 0 && { securityOpts: [...s.securityOpt] }),
                    mustRun: true,
                    restart: "no",
                },
                { parent: this, deleteBeforeReplace: true },
            );
            this.readyReport = pulumi.output("ready_s=not measured by the provider driver");
        } else {
            const c = commandResource(
                args.commandBackend,
                `${name}-container`,
                {
                    create: scriptCommand(args.machine, cliCreateScript(s)),
                    delete: scriptCommand(args.machine, cliDeleteScript(s)),
                    triggers: [JSON.stringify(s)],
                },
                { parent: this, deleteBeforeReplace: true },
            );
            this.ready = c.resource;
            this.readyReport = c.stdout;
        }
        this.registerOutputs({ containerName: this.containerName, readyReport: this.readyReport });
    }
}
