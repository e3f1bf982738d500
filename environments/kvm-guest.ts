/**
 * A KVM guest as a Pulumi component built from command resources (@pulumi/libvirt is
 * not installable and the libvirt Terraform provider cannot express pinning/vhost).
 * Create: the guest's disk from the shared base image (qcow2 overlay or raw copy, as the XML says), `virsh define` of the rendered XML, `virsh start`,
 * wait for SSH (bounded). Delete: destroy, undefine (with the UEFI variable store), remove the
 * disk and the serial log.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { CommandBackend, ProvisionedEnvironment, commandResource } from "./command";
import { renderDomainXml } from "./kvm/domain-xml";
import { DomainSpec } from "./kvm/domain-spec";
import { xmlPathOf } from "./kvm/guest-files";
import { PRINT_READY_SECONDS, START_CLOCK, shellQuote as q } from "../core/shell";
import { Target, scriptCommand } from "../core/transport";

export interface KvmGuestArgs {
    /**
     * The machine the guest runs on: its libvirtd, disk and lifecycle script (at the checkout's
     * path there, as setup-target puts it) are that machine's, and so is every step below.
     */
    readonly machine: Target;
    /** The fully resolved guest; its XML is rendered here and defined with virsh. */
    readonly domain: DomainSpec;
    /** Base qcow2 image the guest's disk (domain.diskPath: overlay, or raw full copy) is made from; never modified. */
    readonly baseImage: string;
    /** Private key whose public half is root's authorized key in the image. */
    readonly sshKey: string;
    /** Upper bound for define → SSH-ready, in seconds. */
    readonly bootTimeoutS: number;
    /**
     * Bytes the guest's disk gets beyond the base image (experiment/disk-plan.ts guestDiskGrowth:
     * room for its workloads' files); its root filesystem is grown to the disk after the first
     * boot. 0 or undefined: the disk is as large as the base.
     */
    readonly diskGrowBytes?: number;
    /** environments/kvm/guest-lifecycle.sh */
    readonly lifecycleScript: string;
    readonly commandBackend: CommandBackend;
    /**
     * What the guest's creation waits for besides its own inputs: under isobench:schedule: grouped,
     * the stack's previous guest's probe, which shuts that guest off (experiment/program.ts), so
     * that guests are created one at a time and never hold their memory together.
     */
    readonly after?: readonly pulumi.Resource[];
}

export class KvmGuest extends pulumi.ComponentResource implements ProvisionedEnvironment {
    readonly ready: pulumi.Resource;
    readonly domainName: string;
    /** stdout of the create step: progress and `ready_s=<define → SSH-ready seconds>`. */
    readonly readyReport: pulumi.Output<string>;

    constructor(name: string, args: KvmGuestArgs, opts?: pulumi.ComponentResourceOptions) {
        super("isobench:environments:KvmGuest", name, {}, opts);
        const d = args.domain;
        this.domainName = d.name;
        const xml = renderDomainXml(d);
        const xmlPath = xmlPathOf(d.diskPath);
        const lc = q(args.lifecycleScript);
        const grow = args.diskGrowBytes ?? 0;
        const create = [
            "set -e",
            // Traversable by QEMU (libvirt-qemu), not listable by other users.
            `install -d -m 0711 ${q(path.dirname(path.dirname(d.diskPath)))} ${q(path.dirname(d.diskPath))}`,
            `printf '%s\\n' "$ISOBENCH_DOMAIN_XML" > ${q(xmlPath)}`,
            START_CLOCK,
            `${lc} create ${q(d.name)} ${q(xmlPath)} ${q(args.baseImage)} ${q(d.diskPath)}${grow > 0 ? ` ${grow}` : ""}`,
            `if ! ${lc} wait-ssh ${q(d.name)} ${q(args.sshKey)} ${args.bootTimeoutS}; then ${lc} delete ${q(d.name)} ${q(d.diskPath)} >&2; exit 1; fi`,
            ...(grow > 0 ? [`if ! ${lc} grow-root ${q(d.name)} ${q(args.sshKey)}; then ${lc} delete ${q(d.name)} ${q(d.diskPath)} >&2; exit 1; fi`] : []),
            PRINT_READY_SECONDS,
        ].join("\n");
        const del = [
            // A delete that cannot reach libvirt must fail, keeping the guest in the stack's state.
            "set -e",
            `${lc} delete-clones ${q(d.name)} ${q(path.dirname(d.diskPath))}`,
            `${lc} delete ${q(d.name)} ${q(d.diskPath)}`,
            `rm -f ${q(xmlPath)}${d.serialLogPath ? " " + q(d.serialLogPath) : ""}`,
            // The stack's guest folder goes with its last guest.
            `rmdir --ignore-fail-on-non-empty ${q(path.dirname(d.diskPath))} 2>/dev/null || true`,
        ].join("\n");
        const environment = { ISOBENCH_DOMAIN_XML: xml };
        const cmd = commandResource(
            args.commandBackend,
            `${name}-domain`,
            {
                create: scriptCommand(args.machine, create, environment),
                delete: scriptCommand(args.machine, del),
                environment,
                // The disk's growth only when there is one, so that a guest as large as its base keeps its triggers.
                triggers: [xml, args.baseImage, ...(grow > 0 ? [String(grow)] : [])],
            },
            {
                parent: this,
                deleteBeforeReplace: true,
                customTimeouts: { create: `${args.bootTimeoutS + 120}s` },
                ...(args.after?.length && { dependsOn: [...args.after] }),
            },
        );
        this.ready = cmd.resource;
        this.readyReport = cmd.stdout;
        this.registerOutputs({ domainName: this.domainName, readyReport: this.readyReport });
    }
}
