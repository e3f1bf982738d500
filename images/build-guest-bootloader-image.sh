#!/usr/bin/env bash
# Derive the bootloader guest image (boot: bootloader) from a built guest image, offline and
# without mounting anything (no loop devices or nbd needed), into .cache/images/guest-boot-<hash>/:
#   disk.qcow2      GPT disk, base of per-guest overlays (never write it):
#                     1  EFI system partition, FAT32 "ISOBENCHESP", 128 MiB: systemd-boot as the
#                        removable-media loader EFI/BOOT/BOOTX64.EFI, loader/loader.conf (timeout 0),
#                        loader/entries/isobench.conf, the guest's vmlinuz and initrd.img
#                     2  the guest image's ext4 root filesystem, unchanged but for /etc/fstab
#                        (LABEL=isobench-root instead of /dev/vda)
#                   booted by UEFI firmware (OVMF) → systemd-boot → the kernel with
#                   root=LABEL=isobench-root rw console=ttyS0 quiet (any disk bus, vda2 or sda2)
#   manifest, packages.txt, authorized_keys   copies of the guest image's
#   loader.conf, isobench.conf   the ESP's loader configuration and entry, for reference
#   build-info      base image, systemd-boot version, loader entry, date
#
# Recipe: qemu-img convert the base to raw; debugfs -w rewrites /etc/fstab inside the ext4 image;
# mkfs.vfat -C + mtools fill the ESP; sfdisk writes the GPT into a sparse file; dd places both
# partitions; qemu-img convert -O qcow2. Partition and disk GUIDs are fixed, so the same inputs
# give the same layout.
#
# Usage: images/build-guest-bootloader-image.sh [--force] [GUEST_IMAGE_DIR]
#   --force           rebuild even if the folder exists
#   GUEST_IMAGE_DIR   the guest image to derive from; default: the folder recorded in
#                     .state/images/guest-image by images/build-guest-image.sh
# Needs: qemu-utils, e2fsprogs, dosfstools, mtools, fdisk, systemd-boot-efi (host packages).
#
# <hash> = first 12 hex chars of sha256(this script + base folder name + systemd-boot-efi version);
# the base folder's name carries the base's own content hash.
# Stdout's last line is the folder path; it is also written to .state/images/guest-image-bootloader.
# Progress goes to stderr, prefixed [images].
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source=images/lib.sh
. "$HERE/lib.sh"
readonly SD_BOOT=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
readonly ESP_MIB=128
readonly ROOT_LABEL=isobench-root
readonly CMDLINE="root=LABEL=$ROOT_LABEL rw console=ttyS0 quiet"
# GPT type GUIDs: EFI system partition, Linux root (x86-64).
readonly ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B ROOT_TYPE=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709

FORCE=0
BASE=""
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF"; exit 0 ;;
    -*) die "unknown argument '$arg' (usage: $0 [--force] [GUEST_IMAGE_DIR])" ;;
    *) BASE="$arg" ;;
  esac
done
if [ -z "$BASE" ]; then
  [ -s "$STATE/guest-image" ] || die "$STATE/guest-image is missing: build the guest image first. Fix: images/build-guest-image.sh"
  BASE="$(cat "$STATE/guest-image")"
fi
BASE="$(realpath -m "$BASE")"
for f in disk.qcow2 vmlinuz initrd.img manifest packages.txt authorized_keys; do
  [ -s "$BASE/$f" ] || die "$BASE/$f is missing: not a complete guest image. Fix: images/build-guest-image.sh"
done

SD_VERSION="$(dpkg-query -W -f '${Version}' systemd-boot-efi 2>/dev/null || true)"
if [ -z "$SD_VERSION" ] || [ ! -r "$SD_BOOT" ]; then
  die "systemd-boot's EFI binary $SD_BOOT is missing. Fix: apt-get install systemd-boot-efi"
fi
for bin in qemu-img debugfs e2label mkfs.vfat mmd mcopy sfdisk; do
  command -v "$bin" >/dev/null 2>&1 ||
    die "'$bin' not found. Fix: apt-get install qemu-utils e2fsprogs dosfstools mtools fdisk"
done

HASH="$({ cat "$SELF"; printf '%s\n%s\n' "$(basename "$BASE")" "$SD_VERSION"; } | sha256sum | cut -c1-12)"
OUT="$CACHE/images/guest-boot-$HASH"

is_complete() {
  local f
  for f in disk.qcow2 manifest packages.txt authorized_keys build-info; do
    [ -s "$OUT/$f" ] || return 1
  done
  cmp -s "$OUT/authorized_keys" "$BASE/authorized_keys"
}

if [ "$FORCE" = 0 ] && is_complete; then
  log "bootloader guest image $OUT already complete: skipped build (--force rebuilds)"
  record_result guest-image-bootloader "$OUT"
  exit 0
fi
if [ -d "$OUT" ]; then
  holder="$(find /proc/[0-9]*/fd -maxdepth 1 -lname "$OUT/*" 2>/dev/null | head -n 1 || true)"
  [ -z "$holder" ] || die "$OUT is in use by pid $(cut -d/ -f3 <<<"$holder"). Fix: destroy the guests using it first (virsh list), then rebuild"
fi

# One image build at a time (the other builders hold the same lock).
mkdir -p "$CACHE/images"
exec 9>"$CACHE/images.lock"
if ! flock -n 9; then
  log "another image build holds $CACHE/images.lock: waiting (up to 1 h)"
  flock -w 3600 9 || die "timed out waiting for $CACHE/images.lock"
fi

START=$SECONDS
TMP_OUT="$CACHE/images/.guest-boot-$HASH.tmp"
rm -rf "$TMP_OUT"
mkdir -p "$TMP_OUT"
# shellcheck disable=SC2317  # invoked through the trap
remove_partial() { local rc=$?; [ "$rc" -eq 0 ] || rm -rf "$TMP_OUT"; exit "$rc"; }
trap remove_partial EXIT
log "building bootloader guest image $OUT from $BASE (systemd-boot $SD_VERSION)"

# ---- root partition: the guest's ext4 filesystem, fstab by label
qemu-img convert -U -O raw "$BASE/disk.qcow2" "$TMP_OUT/root.img"
label="$(e2label "$TMP_OUT/root.img")"
[ "$label" = "$ROOT_LABEL" ] || die "the guest image's root filesystem is labelled '$label', not '$ROOT_LABEL'"
printf 'LABEL=%s / ext4 defaults 0 1\n' "$ROOT_LABEL" >"$TMP_OUT/fstab"
debugfs -w -R "rm /etc/fstab" "$TMP_OUT/root.img" >/dev/null 2>&1 || die "debugfs could not remove /etc/fstab in the root filesystem"
debugfs -w -R "write $TMP_OUT/fstab /etc/fstab" "$TMP_OUT/root.img" >/dev/null 2>&1
[ "$(debugfs -R "cat /etc/fstab" "$TMP_OUT/root.img" 2>/dev/null)" = "LABEL=$ROOT_LABEL / ext4 defaults 0 1" ] ||
  die "debugfs did not write /etc/fstab into the root filesystem"
debugfs -w -R "sif /etc/fstab mode 0100644" "$TMP_OUT/root.img" >/dev/null 2>&1

# ---- EFI system partition
printf 'default isobench.conf\ntimeout 0\nconsole-mode keep\neditor no\n' >"$TMP_OUT/loader.conf"
printf 'title isobench guest\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' "$CMDLINE" >"$TMP_OUT/isobench.conf"
mkfs.vfat -F 32 -n ISOBENCHESP -i 1505B007 -C "$TMP_OUT/esp.img" $((ESP_MIB * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$TMP_OUT/esp.img" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$TMP_OUT/esp.img" "$SD_BOOT" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$TMP_OUT/esp.img" "$TMP_OUT/loader.conf" ::/loader/loader.conf
mcopy -i "$TMP_OUT/esp.img" "$TMP_OUT/isobench.conf" ::/loader/entries/isobench.conf
mcopy -i "$TMP_OUT/esp.img" "$BASE/vmlinuz" ::/vmlinuz
mcopy -i "$TMP_OUT/esp.img" "$BASE/initrd.img" ::/initrd.img

# ---- GPT disk: 1 MiB head, ESP, root, 1 MiB tail (backup GPT)
esp_s=$(( $(stat -c %s "$TMP_OUT/esp.img") / 512 ))
root_s=$(( $(stat -c %s "$TMP_OUT/root.img") / 512 ))
truncate -s $(( (2048 + esp_s + root_s + 2048) * 512 )) "$TMP_OUT/disk.raw"
sfdisk -q "$TMP_OUT/disk.raw" <<EOF
label: gpt
label-id: 5A1B0000-0000-4000-8000-000000000001
first-lba: 2048
start=2048, size=$esp_s, type=$ESP_TYPE, uuid=5A1B0000-0000-4000-8000-000000000002, name="ESP"
start=$((2048 + esp_s)), size=$root_s, type=$ROOT_TYPE, uuid=5A1B0000-0000-4000-8000-000000000003, name="$ROOT_LABEL"
EOF
dd if="$TMP_OUT/esp.img" of="$TMP_OUT/disk.raw" bs=1M seek=$((2048 * 512)) oflag=seek_bytes conv=notrunc,sparse status=none
dd if="$TMP_OUT/root.img" of="$TMP_OUT/disk.raw" bs=1M seek=$(( (2048 + esp_s) * 512 )) oflag=seek_bytes conv=notrunc,sparse status=none
rm -f "$TMP_OUT/esp.img" "$TMP_OUT/root.img" "$TMP_OUT/fstab"
qemu-img convert -O qcow2 "$TMP_OUT/disk.raw" "$TMP_OUT/disk.qcow2"
rm -f "$TMP_OUT/disk.raw"
chmod 444 "$TMP_OUT/disk.qcow2"

cp "$BASE/manifest" "$BASE/packages.txt" "$BASE/authorized_keys" "$TMP_OUT/"
cat >"$TMP_OUT/build-info" <<EOF
hash=$HASH
base=$BASE
systemd_boot=$SD_VERSION
esp_mib=$ESP_MIB
cmdline=$CMDLINE
firmware=UEFI (OVMF_CODE_4M.fd, no Secure Boot)
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
rm -rf "$OUT"
mv "$TMP_OUT" "$OUT"
trap - EXIT
log "built $OUT in $((SECONDS - START)) s (disk.qcow2 $(du -h "$OUT/disk.qcow2" | cut -f1))"
record_result guest-image-bootloader "$OUT"
