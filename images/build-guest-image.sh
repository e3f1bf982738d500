#!/usr/bin/env bash
# Build the KVM guest image offline into .cache/images/guest-<hash>/:
#   disk.qcow2      ext4 root filesystem (/dev/vda, no partition table), base of per-guest overlays:
#                   qemu-img create -f qcow2 -F qcow2 -b <dir>/disk.qcow2 <overlay>  (never write the base)
#   vmlinuz, initrd.img   for direct kernel boot: root=/dev/vda rw console=ttyS0
#   packages.txt    copy of images/packages.txt
#   manifest        dpkg-query -W of the guest (package<TAB>version)
#   authorized_keys root's key in the guest (public half of .state/ssh/id_ed25519)
#   build-info      suite, mirrors, kernel, date
#
# Recipe: debootstrap --variant=minbase with systemd, udev, openssh-server, ifupdown, isc-dhcp-client
# and images/packages.txt; the host's <suite>-updates/-security sources and a dist-upgrade (so the
# tools have the host's versions); then the kernel; mkfs.ext4 -d (no mount); qemu-img convert.
#
# Usage: images/build-guest-image.sh [--force]
#   --force                   rebuild even if the folder exists
#   ISOBENCH_SUITE, ISOBENCH_MIRROR, ISOBENCH_SECURITY_MIRROR   as for build-container-image.sh
#   ISOBENCH_GUEST_DISK_SIZE  root filesystem size (default 3G)
#
# <hash> = first 12 hex chars of sha256(packages.txt + this script + suite).
# Stdout's last line is the folder path; it is also written to .state/images/guest-image.
# Progress goes to stderr, prefixed [images].
#
# Overlays keep referring to <dir>/disk.qcow2 by path: rebuild (--force) only with no guest or
# overlay of the old base left. libvirt chowns the base to libvirt-qemu on first use and leaves it so.
#
# Guest facts: hostname isobench-guest; DHCP on enp1s0 (q35 + pcie-root-port), enp2s0-enp4s0,
# ens3 (pc machine type) and eth0 (net.ifnames=0); root login by key only; redis-server's Debian
# service and all systemd timers (apt-daily, fstrim, e2scrub, ...) are disabled so nothing runs
# behind a benchmark's back; no swap.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
PACKAGES_FILE="$HERE/packages.txt"
CACHE="$ROOT/.cache"
STATE="$ROOT/.state/images"
SSH_KEY="$ROOT/.state/ssh/id_ed25519"
DISK_SIZE="${ISOBENCH_GUEST_DISK_SIZE:-3G}"
GUEST_BASE_PACKAGES="initramfs-tools,systemd-sysv,udev,openssh-server,iproute2,ifupdown,isc-dhcp-client"
GUEST_KERNEL_PACKAGE="linux-image-amd64"

log() { echo "[images] $*" >&2; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }

FORCE=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF"; exit 0 ;;
    *) die "unknown argument '$arg' (usage: $0 [--force])" ;;
  esac
done

# ------------------------------------------------------------------ apt sources of the host
# (same logic as build-container-image.sh: both images must get the host's package versions)
host_codename() {
  local id="" codename=""
  if [ -r /etc/os-release ]; then
    id="$(. /etc/os-release && echo "${ID:-}")"
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  fi
  if [ "$id" = debian ] && [ -n "$codename" ]; then echo "$codename"; else echo bookworm; fi
}

# host_uri SUITE: the first enabled 'deb' URI in the host's apt sources that serves SUITE.
host_uri() {
  local want="$1" f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -f "$f" ] || continue
      awk -v s="$want" '
        $1 == "deb" {
          i = 2
          if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
          for (j = i + 1; j <= NF; j++) if ($j == s) { print $i; break }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      awk -v s="$want" '
        function flush() {
          if (isdeb && enabled && hit && uri != "") print uri
          isdeb = 0; enabled = 1; hit = 0; uri = ""
        }
        BEGIN { enabled = 1 }
        /^[[:space:]]*$/ { flush(); next }
        /^#/ { next }
        {
          key = tolower($1)
          if (key == "types:") for (j = 2; j <= NF; j++) if ($j == "deb") isdeb = 1
          if (key == "uris:") uri = $2
          if (key == "suites:") for (j = 2; j <= NF; j++) if ($j == s) hit = 1
          if (key == "enabled:" && tolower($2) == "no") enabled = 0
        }
        END { flush() }' "$f"
    done
  } | head -n 1 | sed 's:/*$::'
}

SUITE="${ISOBENCH_SUITE:-$(host_codename)}"
HOST_MAIN="$(host_uri "$SUITE")"
MIRROR="${ISOBENCH_MIRROR:-${HOST_MAIN:-http://deb.debian.org/debian}}"
if [ -n "$HOST_MAIN" ]; then
  UPDATES_URI="$(host_uri "$SUITE-updates")"
  SECURITY_URI="${ISOBENCH_SECURITY_MIRROR:-$(host_uri "$SUITE-security")}"
else
  UPDATES_URI="$MIRROR"
  SECURITY_URI="${ISOBENCH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
fi
case "$SUITE" in sid|unstable|experimental) UPDATES_URI=""; SECURITY_URI="" ;; esac

# ------------------------------------------------------------------ folder name
[ -f "$PACKAGES_FILE" ] || die "$PACKAGES_FILE is missing"
TOOLS="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$' | paste -sd, -)"
[ -n "$TOOLS" ] || die "$PACKAGES_FILE lists no package"
# debootstrap's package list: guest base + tools, each once.
INCLUDE="$(tr , '\n' <<<"$GUEST_BASE_PACKAGES,$TOOLS" | awk '!seen[$0]++' | paste -sd, -)"
HASH="$( { cat "$PACKAGES_FILE" "$SELF"; printf '%s' "$SUITE"; } | sha256sum | cut -c1-12)"
OUT="$CACHE/images/guest-$HASH"

# ------------------------------------------------------------------ per-host SSH key (never in git)
if [ ! -f "$SSH_KEY" ]; then
  command -v ssh-keygen >/dev/null 2>&1 || die "ssh-keygen not found. Fix: apt-get install openssh-client"
  mkdir -p "$(dirname "$SSH_KEY")"
  chmod 700 "$(dirname "$SSH_KEY")"
  ssh-keygen -q -t ed25519 -N '' -C "isobench@$(hostname)" -f "$SSH_KEY" >/dev/null
  log "generated the guest SSH key $SSH_KEY"
fi
[ -f "$SSH_KEY.pub" ] || ssh-keygen -y -f "$SSH_KEY" >"$SSH_KEY.pub"
PUBKEY="$(cat "$SSH_KEY.pub")"

finish() {
  mkdir -p "$STATE"
  echo "$OUT" >"$STATE/guest-image"
  echo "$OUT"
}

# complete: every file is there and the image trusts the current key.
is_complete() {
  local f
  for f in disk.qcow2 vmlinuz initrd.img packages.txt manifest authorized_keys build-info; do
    [ -s "$OUT/$f" ] || return 1
  done
  [ "$(cat "$OUT/authorized_keys")" = "$PUBKEY" ]
}

if [ "$FORCE" = 0 ] && is_complete; then
  log "guest image $OUT already complete: skipped build (--force rebuilds)"
  finish
  exit 0
fi
if [ "$FORCE" = 0 ] && [ -d "$OUT" ]; then
  log "guest image $OUT is incomplete or trusts another SSH key: rebuilding"
fi

# ------------------------------------------------------------------ build
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
# A rebuild replaces the base in place (same hash, same path): overlays of running guests would
# silently see a different base. Refuse while any process (qemu) holds a file of the folder open.
if [ -d "$OUT" ]; then
  holder="$(find /proc/[0-9]*/fd -maxdepth 1 -lname "$OUT/*" 2>/dev/null | head -n 1 || true)"
  if [ -n "$holder" ]; then
    pid="$(cut -d/ -f3 <<<"$holder")"
    die "$OUT is in use by pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null || echo '?')). Fix: destroy the guests using it first (virsh list), then rebuild"
  fi
fi
for bin in debootstrap mkfs.ext4 qemu-img; do
  command -v "$bin" >/dev/null 2>&1 ||
    die "'$bin' not found. Fix: apt-get install debootstrap e2fsprogs qemu-utils"
done

mkdir -p "$CACHE/build" "$CACHE/images" "$CACHE/debootstrap/debs-$SUITE" \
  "$CACHE/apt/archives-$SUITE/partial" "$CACHE/apt/lists-$SUITE/partial"
# One image build at a time: the builds share the package caches below.
exec 9>"$CACHE/images.lock"
if ! flock -n 9; then
  log "another image build holds $CACHE/images.lock: waiting (up to 1 h)"
  flock -w 3600 9 || die "timed out waiting for $CACHE/images.lock"
fi

ROOTFS="$CACHE/build/guest-$HASH"
TMP_OUT="$CACHE/images/.guest-$HASH.tmp"

unmount_all() {
  awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
remove_rootfs() {
  unmount_all
  if awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 {found=1} END {exit !found}' /proc/mounts; then
    die "something is still mounted below $ROOTFS; not deleting it (see /proc/mounts)"
  fi
  rm -rf "$ROOTFS"
}
cleanup() {
  local rc=$?
  unmount_all
  if [ "$rc" -ne 0 ]; then
    log "build failed (exit $rc); partial rootfs and output removed"
    remove_rootfs
    rm -rf "$TMP_OUT"
  fi
}
trap cleanup EXIT

in_chroot() {
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    LANG=C.UTF-8 "$@"
}

remove_rootfs
rm -rf "$TMP_OUT"
mkdir -p "$ROOTFS" "$TMP_OUT"

log "building guest image $OUT: suite $SUITE, mirror $MIRROR"
log "packages: $INCLUDE + $GUEST_KERNEL_PACKAGE"
log "updates: ${UPDATES_URI:-none}, security: ${SECURITY_URI:-none}"
START=$SECONDS

# The kernel is installed after the upgrade, so only the newest one is unpacked and only one
# initramfs is generated.
log "debootstrap --variant=minbase (package cache: .cache/debootstrap/debs-$SUITE)"
debootstrap --variant=minbase --include="$INCLUDE" \
  --cache-dir="$CACHE/debootstrap/debs-$SUITE" \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE/build/guest-debootstrap.log" 2>&1 ||
  die "debootstrap failed; see $CACHE/build/guest-debootstrap.log"
log "debootstrap done after $((SECONDS - START)) s"

{
  echo "deb $MIRROR $SUITE main"
  [ -z "$UPDATES_URI" ] || echo "deb $UPDATES_URI $SUITE-updates main"
  [ -z "$SECURITY_URI" ] || echo "deb $SECURITY_URI $SUITE-security main"
} >"$ROOTFS/etc/apt/sources.list"
# No service may start inside the build chroot (removed again before the image is made).
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"

log "apt-get dist-upgrade and install $GUEST_KERNEL_PACKAGE (apt cache: .cache/apt)"
mount -t proc proc "$ROOTFS/proc"
mount --bind "$CACHE/apt/archives-$SUITE" "$ROOTFS/var/cache/apt/archives"
mount --bind "$CACHE/apt/lists-$SUITE" "$ROOTFS/var/lib/apt/lists"
if ! in_chroot sh -c "apt-get -q update &&
    apt-get -q -y -o Dpkg::Options::=--force-confold dist-upgrade &&
    apt-get -q -y -o Dpkg::Options::=--force-confold install --no-install-recommends $GUEST_KERNEL_PACKAGE" \
    >"$CACHE/build/guest-apt.log" 2>&1; then
  die "apt-get in the guest rootfs failed; see $CACHE/build/guest-apt.log"
fi
unmount_all
log "packages done after $((SECONDS - START)) s"

# ---- configuration
echo isobench-guest >"$ROOTFS/etc/hostname"
cat >"$ROOTFS/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	isobench-guest
::1		localhost ip6-localhost ip6-loopback
ff02::1		ip6-allnodes
ff02::2		ip6-allrouters
EOF
echo '/dev/vda / ext4 defaults 0 1' >"$ROOTFS/etc/fstab"

# q35 + pcie-root-port puts the first NIC on bus 1: enp1s0. The other stanzas cover other
# PCI layouts and machine types; allow-hotplug only acts on NICs that exist.
{
  echo 'source /etc/network/interfaces.d/*'
  echo
  echo 'auto lo'
  echo 'iface lo inet loopback'
  for nic in enp1s0 enp2s0 enp3s0 enp4s0 ens3 eth0; do
    echo
    echo "allow-hotplug $nic"
    echo "iface $nic inet dhcp"
  done
} >"$ROOTFS/etc/network/interfaces"
# The build host's resolver is of no use in the guest; dhclient writes the real one.
: >"$ROOTFS/etc/resolv.conf"

# root: key login only.
install -d -m 700 "$ROOTFS/root/.ssh"
echo "$PUBKEY" >"$ROOTFS/root/.ssh/authorized_keys"
chmod 600 "$ROOTFS/root/.ssh/authorized_keys"
mkdir -p "$ROOTFS/etc/ssh/sshd_config.d"
cat >"$ROOTFS/etc/ssh/sshd_config.d/isobench.conf" <<'EOF'
# isobench guest: root by key only, no reverse DNS lookup (fast logins without a resolver)
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF

# Nothing may run behind a benchmark's back: redis-server is started by the runner with explicit
# options, and periodic jobs (apt-daily, fstrim, e2scrub, dpkg-db-backup, ...) are off.
in_chroot systemctl disable redis-server.service >/dev/null 2>&1 || true
rm -f "$ROOTFS/etc/systemd/system/multi-user.target.wants/redis-server.service"
for t in "$ROOTFS"/etc/systemd/system/timers.target.wants/*.timer; do
  [ -e "$t" ] || [ -L "$t" ] || continue
  in_chroot systemctl disable "$(basename "$t")" >/dev/null 2>&1 || rm -f "$t"
done
# Boot-time jobs of no use here (measured: e2scrub_reap 12 s, getty-static 7 s of CPU under
# software emulation): LVM snapshot scrubbing, and gettys on tty2-6 (the console is ttyS0).
in_chroot systemctl disable e2scrub_reap.service >/dev/null 2>&1 || true
in_chroot systemctl mask getty-static.service >/dev/null 2>&1 || true   # static: disable is a no-op
# systemd-firstboot must never wait for console input on a fresh machine-id.
in_chroot systemctl mask systemd-firstboot.service >/dev/null 2>&1 || true
# Every guest gets its own machine-id at first boot (all overlays share this base).
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"

rm -f "$ROOTFS/usr/sbin/policy-rc.d"
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
  "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/tmp/* 2>/dev/null || true
mkdir -p "$ROOTFS/var/lib/apt/lists/partial" "$ROOTFS/var/cache/apt/archives/partial"

# ---- outputs
in_chroot dpkg-query -W >"$TMP_OUT/manifest"
cp "$ROOTFS/root/.ssh/authorized_keys" "$TMP_OUT/authorized_keys"
cp "$PACKAGES_FILE" "$TMP_OUT/packages.txt"

shopt -s nullglob
kernels=("$ROOTFS"/boot/vmlinuz-*)
initrds=("$ROOTFS"/boot/initrd.img-*)
shopt -u nullglob
[ "${#kernels[@]}" -eq 1 ] || die "expected one kernel in the guest's /boot, found ${#kernels[@]}"
[ "${#initrds[@]}" -eq 1 ] || die "expected one initrd in the guest's /boot, found ${#initrds[@]}"
install -m 644 "${kernels[0]}" "$TMP_OUT/vmlinuz"
install -m 644 "${initrds[0]}" "$TMP_OUT/initrd.img"
KVER="${kernels[0]##*/vmlinuz-}"

cat >"$TMP_OUT/build-info" <<EOF
hash=$HASH
suite=$SUITE
mirror=$MIRROR
updates=${UPDATES_URI:-none}
security=${SECURITY_URI:-none}
kernel=$KVER
disk_size=$DISK_SIZE
built_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cmdline=root=/dev/vda rw console=ttyS0
EOF

log "mkfs.ext4 -d ($DISK_SIZE) and qemu-img convert -O qcow2"
mkfs.ext4 -q -F -L isobench-root -d "$ROOTFS" "$TMP_OUT/raw.img" "$DISK_SIZE" >/dev/null ||
  die "mkfs.ext4 -d failed (e2fsprogs >= 1.43 is needed for -d)"
qemu-img convert -O qcow2 "$TMP_OUT/raw.img" "$TMP_OUT/disk.qcow2" >&2
rm -f "$TMP_OUT/raw.img"
# The base of every overlay: read-only as a reminder that nothing may write it.
chmod 444 "$TMP_OUT/disk.qcow2"

remove_rootfs
rm -rf "$OUT"
mv "$TMP_OUT" "$OUT"
log "built $OUT in $((SECONDS - START)) s (kernel $KVER, disk.qcow2 $(du -h "$OUT/disk.qcow2" | cut -f1))"
finish
