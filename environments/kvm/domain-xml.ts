/**
 * libvirt domain XML for isobench KVM guests (docs/environments.md).
 *
 * Pure: no I/O, no Pulumi. `renderDomainXml` validates a fully resolved {@link DomainSpec}
 * (domain-spec.ts) and returns the XML that `virsh define` receives. Presets (kvm-untuned,
 * kvm-tuned) and host facts are applied before this point, in `presets.ts`; this module renders
 * exactly what it is given.
 */
import { kvmVariantKey } from "./variant";
import { escapeXmlAttr, escapeXmlText } from "../../core/xml";
import { DomainSpec, ISOBENCH_XMLNS, validateDomainSpec } from "./domain-spec";

/** ` a='v' b='w'` from pairs; undefined values are skipped. */
function attrs(pairs: ReadonlyArray<readonly [string, string | number | undefined]>): string {
    return pairs
        .filter((p): p is readonly [string, string | number] => p[1] !== undefined)
        .map(([k, v]) => ` ${k}='${escapeXmlAttr(String(v))}'`)
        .join("");
}

function numaElement(spec: DomainSpec): string[] {
    const n = spec.numaNodes ?? 0;
    if (n === 0) return [];
    const per = spec.vcpus / n;
    const cells = Array.from(
        { length: n },
        (_, i) =>
            `  <cell${attrs([
                ["id", i],
                ["cpus", per === 1 ? `${i}` : `${i * per}-${(i + 1) * per - 1}`],
                ["memory", spec.memoryMiB / n],
                ["unit", "MiB"],
            ])}/>`,
    );
    return ["<numa>", ...cells, "</numa>"];
}

function cpuElement(spec: DomainSpec): string[] {
    const topo = [
        ...(spec.topology
            ? [
                  `<topology${attrs([
                      ["sockets", spec.topology.sockets],
                      ["cores", spec.topology.cores],
                      ["threads", spec.topology.threads],
                  ])}/>`,
              ]
            : []),
        ...numaElement(spec),
    ];
    const model = spec.cpuModel;
    let open: string;
    let body: string[] = [];
    if (model === "default") {
        if (topo.length === 0) return [];
        open = "<cpu>";
    } else if (model === "host-passthrough") {
        open = `<cpu${attrs([
            ["mode", "host-passthrough"],
            ["check", "none"],
            ["migratable", "off"],
        ])}>`;
    } else if (model.named === "max") {
        open = `<cpu${attrs([
            ["mode", "maximum"],
            ["check", "none"],
            ["migratable", "off"],
        ])}>`;
    } else {
        open = `<cpu${attrs([
            ["mode", "custom"],
            ["match", "exact"],
        ])}>`;
        body = [`  <model fallback='forbid'>${escapeXmlText(model.named)}</model>`];
    }
    return [open, ...body, ...topo.map((t) => `  ${t}`), "</cpu>"];
}

function defaultDescription(spec: DomainSpec): string {
    return `isobench ${spec.metadata.environment} guest of stack ${spec.metadata.stack} (accel=${spec.accel}; ${kvmVariantKey(spec)})`;
}

/** Appends lines at an indent level (two spaces a level). */
type Add = (indent: number, ...lines: string[]) => void;

/** <metadata>: the isobench element with stack, environment, variant, accel and labels. */
function renderMetadata(spec: DomainSpec, add: Add): void {
    const md = spec.metadata;
    const variant = kvmVariantKey(spec);
    add(1, "<metadata>");
    const envAttrs = attrs([
        ["xmlns:isobench", ISOBENCH_XMLNS],
        ["stack", md.stack],
        ["environment", md.environment],
        ["variant", variant],
        ["accel", spec.accel],
    ]);
    const labels = Object.entries(md.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (labels.length === 0) {
        add(2, `<isobench:env${envAttrs}/>`);
    } else {
        add(2, `<isobench:env${envAttrs}>`);
        for (const [k, v] of labels)
            add(
                3,
                `<isobench:label${attrs([
                    ["name", k],
                    ["value", v],
                ])}/>`,
            );
        add(2, "</isobench:env>");
    }
    add(1, "</metadata>");
}

/** Memory, hugepages, vCPUs, I/O threads and the pinning of vCPUs, emulator and I/O threads. */
function renderMemoryAndCpus(spec: DomainSpec, add: Add): void {
    add(1, `<memory unit='MiB'>${spec.memoryMiB}</memory>`);
    add(1, `<currentMemory unit='MiB'>${spec.memoryMiB}</currentMemory>`);
    if (spec.hugepages) add(1, "<memoryBacking>", "  <hugepages/>", "</memoryBacking>");
    add(1, `<vcpu placement='static'>${spec.vcpus}</vcpu>`);
    const iothreads = spec.iothreads ?? 0;
    if (iothreads > 0) add(1, `<iothreads>${iothreads}</iothreads>`);
    if (spec.pinning !== undefined || spec.emulatorPin !== undefined || spec.iothreadPin !== undefined) {
        add(1, "<cputune>");
        (spec.pinning ?? []).forEach((cpu, i) =>
            add(
                2,
                `<vcpupin${attrs([
                    ["vcpu", i],
                    ["cpuset", cpu],
                ])}/>`,
            ),
        );
        if (spec.emulatorPin !== undefined) add(2, `<emulatorpin${attrs([["cpuset", spec.emulatorPin]])}/>`);
        if (spec.iothreadPin !== undefined) {
            for (let t = 1; t <= iothreads; t++)
                add(
                    2,
                    `<iothreadpin${attrs([
                        ["iothread", t],
                        ["cpuset", spec.iothreadPin],
                    ])}/>`,
                );
        }
        add(1, "</cputune>");
    }
}

/** How the guest boots: UEFI firmware, direct kernel boot, or the disk. */
function renderOs(spec: DomainSpec, add: Add): void {
    add(1, "<os>");
    add(2, "<type arch='x86_64' machine='q35'>hvm</type>");
    if (spec.firmware !== undefined) {
        add(
            2,
            `<loader${attrs([
                ["readonly", "yes"],
                ["type", "pflash"],
            ])}>${escapeXmlText(spec.firmware.code)}</loader>`,
        );
        add(2, `<nvram${attrs([["template", spec.firmware.varsTemplate]])}>${escapeXmlText(spec.firmware.nvram)}</nvram>`);
        add(2, "<boot dev='hd'/>");
    } else if (spec.kernel !== undefined) {
        add(2, `<kernel>${escapeXmlText(spec.kernel)}</kernel>`);
        if (spec.initrd !== undefined) add(2, `<initrd>${escapeXmlText(spec.initrd)}</initrd>`);
        if (spec.cmdline !== undefined) add(2, `<cmdline>${escapeXmlText(spec.cmdline)}</cmdline>`);
    } else {
        add(2, "<boot dev='hd'/>");
    }
    add(1, "</os>");
}

/** The disk (and its SCSI controller), the network interface and the serial console. */
function renderDevices(spec: DomainSpec, add: Add): void {
    const iothreads = spec.iothreads ?? 0;
    const scsi = spec.diskBus === "virtio-scsi";
    add(1, "<devices>");
    add(2, "<disk type='file' device='disk'>");
    add(
        3,
        `<driver${attrs([
            ["name", "qemu"],
            ["type", spec.diskFormat ?? "qcow2"],
            ["cache", spec.diskCache === "default" ? undefined : spec.diskCache],
            ["io", spec.diskIo],
            ["iothread", iothreads > 0 && scsi === false ? 1 : undefined],
        ])}/>`,
    );
    add(3, `<source${attrs([["file", spec.diskPath]])}/>`);
    add(3, scsi ? "<target dev='sda' bus='scsi'/>" : "<target dev='vda' bus='virtio'/>");
    add(2, "</disk>");
    if (scsi) {
        add(2, "<controller type='scsi' index='0' model='virtio-scsi'>");
        add(3, `<driver${attrs([["iothread", iothreads > 0 ? 1 : undefined]])}/>`);
        add(2, "</controller>");
    }
    add(2, "<interface type='network'>");
    add(3, `<source${attrs([["network", spec.network ?? "default"]])}/>`);
    if (spec.macAddress !== undefined) add(3, `<mac${attrs([["address", spec.macAddress.toLowerCase()]])}/>`);
    add(3, `<model${attrs([["type", spec.netModel ?? "virtio"]])}/>`);
    add(
        3,
        `<driver${attrs([
            ["name", spec.vhost ? "vhost" : "qemu"],
            ["queues", (spec.netQueues ?? 1) > 1 ? spec.netQueues : undefined],
        ])}/>`,
    );
    add(2, "</interface>");
    if (spec.serialLogPath !== undefined) {
        add(2, "<serial type='file'>");
        add(3, `<source${attrs([["path", spec.serialLogPath]])}/>`);
        add(3, "<target port='0'/>");
        add(2, "</serial>");
    } else {
        add(2, "<serial type='pty'>", "  <target port='0'/>", "</serial>");
    }
    add(1, "</devices>");
}

/**
 * Renders the libvirt domain XML for a guest.
 *
 * Layout: machine q35 (libvirt adds one pcie-root-port per device, so the NIC, the first device
 * libvirt addresses, lands on bus 1 and a systemd guest names it `enp1s0`), direct kernel boot or
 * UEFI pflash firmware or SeaBIOS from the disk, virtio-blk `vda` in qcow2 or raw,
 * virtio-net on a libvirt network with an explicit backend driver, optional file-backed serial
 * console, `<cputune>` only when pinning or emulator pinning is declared, `<memoryBacking>` only
 * for hugepages. PCI addresses are left to libvirt.
 *
 * @throws DomainSpecError for an invalid spec (see {@link validateDomainSpec}).
 */
export function renderDomainXml(spec: DomainSpec): string {
    validateDomainSpec(spec);
    const lines: string[] = [];
    const add: Add = (indent, ...ls) => {
        for (const l of ls) lines.push(" ".repeat(indent * 2) + l);
    };

    add(0, `<domain${attrs([["type", spec.accel === "kvm" ? "kvm" : "qemu"]])}>`);
    add(1, `<name>${escapeXmlText(spec.name)}</name>`);
    add(1, `<description>${escapeXmlText(spec.metadata.description ?? defaultDescription(spec))}</description>`);
    renderMetadata(spec, add);

    renderMemoryAndCpus(spec, add);

    renderOs(spec, add);
    add(1, "<features>", "  <acpi/>", "  <apic/>", "</features>");
    add(1, ...cpuElement(spec));
    add(1, "<clock offset='utc'/>");
    add(1, "<on_poweroff>destroy</on_poweroff>", "<on_reboot>restart</on_reboot>", "<on_crash>destroy</on_crash>");

    renderDevices(spec, add);
    add(0, "</domain>");
    return lines.join("\n") + "\n";
}
