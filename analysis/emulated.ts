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
