/**
 * How a number measured under software emulation (accel=tcg) is marked wherever analysis shows
 * it: such a number is QEMU's emulator, not KVM, and must never pass for KVM. Pure.
 */
/** The mark on a table cell or value that holds an emulated number; TCG_MEANING explains it. */
export const TCG_MARK = "†";

export const TCG_MEANING =
    "measured (partly) under QEMU software emulation (accel tcg or mixed), not KVM: these numbers say nothing about hardware-virtualization overhead";

/** An environment's label where it names emulated numbers (table headers, legends, points): "kvm-tuned (tcg)". */
export function environmentLabel(environment: string, emulated: boolean): string {
    return emulated ? `${environment} (tcg)` : environment;
}

/** A value with TCG_MARK when it is emulated: "0.088 †". */
export function markValue(text: string, emulated: boolean): string {
    return emulated ? `${text} ${TCG_MARK}` : text;
}

/**
 * The line a report opens with when any of its numbers were measured under software emulation:
 * the run allowed it (isobench up --allow-emulation or the stack's isobench:allowSoftwareEmulation),
 * and a reader skimming the tables must know before the first number. Undefined when none was.
 */
export function emulationHeadline(rows: readonly { readonly environment: string; readonly accel: string }[]): string | undefined {
    const envs = [...new Set(rows.filter((r) => r.accel === "tcg" || r.accel === "mixed").map((r) => r.environment))].sort();
    if (envs.length === 0) return undefined;
    return `SOFTWARE EMULATION: this run allowed guests to run under QEMU software emulation (accel=tcg), and ${envs.join(", ")} did. Their numbers are the emulator's, not KVM's, and say nothing about virtualisation overhead (marked ${TCG_MARK} and (tcg) below; their claims are not judged).`;
}
