/**
 * Linux capabilities as /proc/<pid>/status shows them (CapEff, a hex bit mask) and Docker names
 * them (without CAP_), and the seccomp mode of that file. Pure.
 */

/** Bit number → name, from linux/capability.h (0 … CAP_LAST_CAP of kernel 6.1). */
export const CAPABILITIES = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
] as const;

/**
 * The capabilities Docker gives every container (moby oci/caps/defaults.go, unchanged since Docker
 * 1.x; the CapEff of a default container here is a80425fb, test/fixtures/environments).
 */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/** Names of the bits set in a CapEff mask ("00000000a88425fb"), sorted; unknown bits as "bit<n>". */
export function capabilityNames(hex: string): string[] {
    if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) throw new Error(`"${hex}" is not a capability mask (CapEff in /proc/self/status is 16 hex digits)`);
    const mask = BigInt(`0x${hex}`);
    const out: string[] = [];
    for (let bit = 0; bit < 64; bit++) {
        if ((mask >> BigInt(bit)) & 1n) out.push(CAPABILITIES[bit] ?? `bit${bit}`);
    }
    return out.sort();
}

/** Capabilities beyond Docker's default set, joined with "+" (as the variant's `cap=`), or "none". */
export function capsAddedToDocker(names: readonly string[]): string {
    const added = names.filter((n) => !DOCKER_DEFAULT_CAPS.includes(n)).sort();
    return added.length ? added.join("+") : "none";
}

/** The Seccomp field of /proc/<pid>/status: 0 → disabled, 1 → strict, 2 → filter. */
export function seccompMode(field: string): string {
    return ({ "0": "disabled", "1": "strict", "2": "filter" } as Record<string, string>)[field.trim()] ?? `unknown (${field.trim()})`;
}

export function isCapability(name: string): boolean {
    return (CAPABILITIES as readonly string[]).includes(name);
}
