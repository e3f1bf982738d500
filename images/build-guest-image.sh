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
# tools have the host's versions); then the kernel, with an initramfs of only the modules that find
# the root disk; mkfs.ext4 -d (no mount); qemu-img convert.
#
# Usage: images/build-guest-image.sh [--force]
#   --force                   rebuild even if the folder exists
#   ISOBENCH_SUITE, ISOBENCH_MIRROR, ISOBENCH_SECURITY_MIRROR   as for build-container-image.sh
#   ISOBENCH_GUEST_VARIANT    "docker": also install the Docker engine (docker.io, containerd,
#                             runc; dockerd starts at boot) for docker-in-kvm environments. Folder
#                             .cache/images/guest-docker-<hash>, state file .state/images/guest-image-docker.
#
# <hash> = first 12 hex chars of sha256(packages.txt + this script + images/lib.sh + suite).
# Stdout's last line is the folder path; it is also written to .state/images/guest-image.
# Progress goes to stderr, prefixed [images].
#
# Overlays keep referring to <dir>/disk.qcow2 by path: rebuild (--force) only with no guest or
# overlay of the old base left. libvirt chowns the base to libvirt-qemu on first use and leaves it so.
#
# Guest facts: hostname isobench-guest; DHCP on enp1s0 (q35 + pcie-root-port), enp2s0-enp4s0,
# ens3 (pc machine type) and eth0 (net.ifnames=0); root login by key only; the benchmark servers' Debian
# services (redis, MariaDB, netserver, iperf3) and all systemd timers (apt-daily, fstrim, e2scrub, ...) are disabled so nothing runs
# behind a benchmark's back; no swap.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source=images/lib.sh
. "$HERE/lib.sh"
SSH_KEY="$ROOT/.state/ssh/id_ed25519"
# The base's root filesystem; each guest's own disk is made larger from it as its workloads need
# (experiment/disk-plan.ts guestDiskGrowth), so no image is rebuilt for a larger data file.
DISK_SIZE=3G
GUEST_BASE_PACKAGES="initramfs-tools,systemd-sysv,udev,openssh-server,iproute2,ifupdown,isc-dhcp-client"
GUEST_KERNEL_PACKAGE="linux-image-amd64"
CHROOT_LANG=C.UTF-8   # in_chroot's LANG in the guest rootfs

parse_build_args "$@"
resolve_apt_sources

# ------------------------------------------------------------------ folder name
TOOLS="$(read_packages)"
# debootstrap's package list: guest base + tools, each once.
INCLUDE="$(tr , '\n' <<<"$GUEST_BASE_PACKAGES,$TOOLS" | awk '!seen[$0]++' | paste -sd, -)"
HASH="$(image_hash)"
VARIANT="${ISOBENCH_GUEST_VARIANT:-}"
case "$VARIANT" in
  "") EXTRA_PACKAGES=""; NAME=guest; STATE_NAME=guest-image ;;
  docker)
    EXTRA_PACKAGES="docker.io"; NAME=guest-docker; STATE_NAME=guest-image-docker
    HASH="$(printf '%s+%s' "$HASH" "$EXTRA_PACKAGES" | sha256sum | cut -c1-12)" ;;
  *) die "ISOBENCH_GUEST_VARIANT must be empty or docker, got '$VARIANT'" ;;
esac
OUT="$CACHE/images/$NAME-$HASH"

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

finish() { record_result "$STATE_NAME" "$OUT"; }

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

lock_build_cache "$CACHE/images"

ROOTFS="$CACHE/build/$NAME-$HASH"
TMP_OUT="$CACHE/images/.$NAME-$HASH.tmp"
CLEANUP_OUTPUT="$TMP_OUT"
trap cleanup_build EXIT

remove_rootfs
rm -rf "$TMP_OUT"
mkdir -p "$ROOTFS" "$TMP_OUT"

log "building guest image $OUT: suite $SUITE, mirror $MIRROR"
log "packages: $INCLUDE + $GUEST_KERNEL_PACKAGE ${EXTRA_PACKAGES}"
log "updates: ${UPDATES_URI:-none}, security: ${SECURITY_URI:-none}"
START=$SECONDS

# The kernel is installed after the upgrade, so only the newest one is unpacked and only one
# initramfs is generated.
debootstrap_rootfs guest "$INCLUDE"

# No service may start inside the build chroot (policy-rc.d is removed again before the image is made).
configure_rootfs_apt

# The initramfs only has to find the root filesystem on the buses isobench's guests use (virtio-blk
# vda, virtio-scsi sda): Debian's default MODULES=most packs 747 modules (130 MB unpacked), whose
# unpacking took 4.8 s and the initramfs' udev 3.6 s more of a ~27 s boot under software emulation
# (a third of it, on every guest boot). MODULES=dep cannot be used: it would look at the build
# host's devices. virtio_net too, so that the NIC exists when networking.service starts instead of
# after udev loads it (ssh came up 2.5 s later without it). The rest stay in the root filesystem.
install -d "$ROOTFS/etc/initramfs-tools/conf.d"
echo 'MODULES=list' >"$ROOTFS/etc/initramfs-tools/conf.d/isobench.conf"
printf '%s\n' virtio_pci virtio_blk virtio_scsi sd_mod ext4 crc32c_generic virtio_net >>"$ROOTFS/etc/initramfs-tools/modules"

log "apt-get dist-upgrade and install $GUEST_KERNEL_PACKAGE (apt cache: .cache/apt)"
apt_in_rootfs guest "the guest rootfs" "$APT_UPGRADE &&
    apt-get -q -y -o Dpkg::Options::=--force-confold install --no-install-recommends $GUEST_KERNEL_PACKAGE $EXTRA_PACKAGES"
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

# Nothing may run behind a benchmark's back: the benchmark servers (redis, MariaDB, netperf's
# netserver, iperf3) are started by the runner with explicit options, so their distribution
# services stay off (a stray mariadbd took ~130 MB of a 1 GiB guest and held port 3306), and
# periodic jobs (apt-daily, fstrim, e2scrub, dpkg-db-backup, ...) are off.
for svc in redis-server mariadb netperf iperf3; do
  in_chroot systemctl disable "$svc.service" >/dev/null 2>&1 || true
  rm -f "$ROOTFS/etc/systemd/system/multi-user.target.wants/$svc.service" "$ROOTFS"/etc/rc[2-5].d/S[0-9][0-9]"$svc"
done
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
# Every guest gets its own SSH host key at first boot, not one baked into this world-readable base:
# debootstrap's keys are removed; a oneshot unit before sshd makes the missing ed25519 key (only
# that type: RSA key generation takes tens of seconds under software emulation) and announces its
# public half on the serial console, where guest-lifecycle.sh wait-ssh records it for the stack's
# strict known_hosts. It announces on every boot, so a restarted guest is checked again.
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
cat >>"$ROOTFS/etc/ssh/sshd_config.d/isobench.conf" <<'EOF'
# the guest's own key, made at first boot by isobench-host-key.service
HostKey /etc/ssh/ssh_host_ed25519_key
EOF
install -d "$ROOTFS/usr/local/sbin"
cat >"$ROOTFS/usr/local/sbin/isobench-host-key" <<'EOF'
#!/bin/sh
set -e
key=/etc/ssh/ssh_host_ed25519_key
[ -s "$key" ] || { rm -f "$key" "$key.pub"; ssh-keygen -q -t ed25519 -N '' -C '' -f "$key"; }
pub=$(cut -d' ' -f1,2 "$key.pub")
# Whole lines: the reader on the host takes only a line that holds nothing else.
printf '\nisobench-host-key %s\n' "$pub" >/dev/ttyS0
EOF
chmod 755 "$ROOTFS/usr/local/sbin/isobench-host-key"
cat >"$ROOTFS/etc/systemd/system/isobench-host-key.service" <<'EOF'
[Unit]
Description=isobench: this guest's own SSH host key, announced on the serial console
Before=ssh.service
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/isobench-host-key
[Install]
RequiredBy=ssh.service
EOF
install -d "$ROOTFS/etc/systemd/system/ssh.service.requires"
ln -sf ../isobench-host-key.service "$ROOTFS/etc/systemd/system/ssh.service.requires/isobench-host-key.service"
# Every guest gets its own machine-id at first boot (all overlays share this base).
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"

rm -f "$ROOTFS/usr/sbin/policy-rc.d"
drop_apt_caches

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
extra_packages=${EXTRA_PACKAGES:-none}
cmdline=root=/dev/vda rw console=ttyS0
ssh_host_keys=none in the image; each guest makes its own at first boot (isobench-host-key.service)
EOF

# No guest may inherit a host key from this shared, world-readable base.
if compgen -G "$ROOTFS/etc/ssh/ssh_host_*" >/dev/null; then die "host keys found in the guest rootfs: $(echo "$ROOTFS"/etc/ssh/ssh_host_*)"; fi
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
