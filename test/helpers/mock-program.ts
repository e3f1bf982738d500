/** A mocked host and Pulumi mocks that record every registered resource, for program tests. */
import * as pulumi from "@pulumi/pulumi";
import type * as docker from "@pulumi/docker";
import type { HostContext } from "../../experiment/program";
import type { CommandArgs } from "../../environments/command";

/**
 * A registered resource's inputs, resolved, typed as those of the two kinds tests read: command
 * resources (either backend) and Docker containers (provider driver). Every member is optional,
 * since a resource is of one kind or the other; other resources' members are unknown.
 */
export type RegisteredInputs = Readonly<Partial<pulumi.Unwrap<CommandArgs> & pulumi.Unwrap<docker.ContainerArgs>> & Record<string, unknown>>;

export interface Registered {
    readonly type: string;
    readonly name: string;
    readonly inputs: RegisteredInputs;
}

/** A 2-CPU, 24 GiB host without SMT where guests run under software emulation; `over` changes any fact. */
export function mockHost(over: Partial<HostContext> = {}): HostContext {
    return {
        repoRoot: "/repo",
        resultsRoot: "/repo/results",
        stateDir: "/repo/.state",
        guestsDir: "/guests",
        containerImage: "isobench-bench:0123456789ab",
        guestImage: { disk: "/img/disk.qcow2", kernel: "/img/vmlinuz", initrd: "/img/initrd.img" },
        guestImageDocker: { disk: "/imgd/disk.qcow2", kernel: "/imgd/vmlinuz", initrd: "/imgd/initrd.img" },
        guestImageBootloader: { disk: "/imgb/disk.qcow2" },
        uefiFirmware: { code: "/fw/CODE.fd", varsTemplate: "/fw/VARS.fd" },
        sshKey: "/repo/.state/ssh/id_ed25519",
        accel: "tcg",
        vhostAvailable: false,
        hostCpuCount: 2,
        memTotalMiB: 24 * 1024,
        dockerDriver: "cli",
        commandBackend: "dynamic",
        dockerBridgeGateway: "172.17.0.1",
        cpuSiblings: [[0], [1]],
        ...over,
    };
}

/** Pulumi mocks that push every new resource onto `registered` and echo its inputs as state. */
export function setRecordingMocks(registered: Registered[], stack: string): Promise<void> {
    return pulumi.runtime.setMocks(
        {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...args.inputs, stdout: "" } };
            },
            call(args: pulumi.runtime.MockCallArgs) {
                throw new Error(`Mock not implemented: ${args.token}`);
            },
        },
        "isobench",
        stack,
        false,
    );
}
