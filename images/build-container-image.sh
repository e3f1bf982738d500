#!/usr/bin/env bash
# Build the benchmark container image offline (no container registry needed):
#   debootstrap --variant=minbase --include=<images/packages.txt> <suite> <rootfs> <mirror>
#   + the host's <suite>-updates/<suite>-security sources, dist-upgraded, so that the tools have
#     exactly the versions the host runs natively
#   tar -C <rootfs> -c . | docker import -c 'CMD ["sleep","infinity"]' - isobench-bench:<hash>
#
# Usage: images/build-container-image.sh [--force]
#   --force               rebuild even if the image exists (e.g. after a Debian security update)
#   ISOBENCH_SUITE        Debian suite (default: the host's codename on Debian, else bookworm)
#   ISOBENCH_MIRROR       Debian mirror (default: the host's apt source for the suite,
#                         else http://deb.debian.org/debian)
#   ISOBENCH_SECURITY_MIRROR  security mirror (default: the host's, else http://deb.debian.org/debian-security)
#
# <hash> = first 12 hex chars of sha256(packages.txt + this script + images/lib.sh + suite +
# the bind shim's source and build script).
# Stdout's last line is the image name; it is also written to .state/images/container-image.
# Progress goes to stderr, prefixed [images].
#
# The container never runs redis-server's Debian service: CMD is 'sleep infinity' and
# /usr/sbin/policy-rc.d forbids service starts; the runner starts redis-server itself with
# explicit options (its Debian config file /etc/redis/redis.conf is not read unless named).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
# shellcheck source=images/lib.sh
. "$HERE/lib.sh"

parse_build_args "$@"
resolve_apt_sources

# ------------------------------------------------------------------ image name
PACKAGES="$(read_packages)"
# The bind shim (images/bind-addr.c) goes into the image too: a changed shim is a new image.
HASH="$( { image_hash; cat "$HERE/bind-addr.c" "$HERE/build-bind-addr.sh"; } | sha256sum | cut -c1-12)"
IMAGE="isobench-bench:$HASH"

finish() { record_result container-image "$IMAGE"; }

command -v docker >/dev/null 2>&1 || die "docker not found. Fix: apt-get install docker.io"
timeout 20 docker info >/dev/null 2>&1 ||
  die "docker does not answer. Fix: run scripts/daemons.sh (log: /var/log/isobench-dockerd.log)"

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "container image $IMAGE already exists: skipped build (--force rebuilds)"
  finish
  exit 0
fi

# ------------------------------------------------------------------ build
[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap not found. Fix: apt-get install debootstrap"

lock_build_cache

ROOTFS="$CACHE/build/container-$HASH"
trap cleanup_build EXIT

remove_rootfs
mkdir -p "$ROOTFS"

log "building $IMAGE: suite $SUITE, mirror $MIRROR"
log "packages: $PACKAGES"
log "updates: ${UPDATES_URI:-none}, security: ${SECURITY_URI:-none}"
START=$SECONDS

debootstrap_rootfs container "$PACKAGES"

# apt sources of the image = the host's, so that an upgrade brings the same versions. Never start
# services inside the chroot or the container (policy-rc.d stays in the image).
configure_rootfs_apt

if [ -n "$UPDATES_URI$SECURITY_URI" ]; then
  log "apt-get dist-upgrade from $SUITE-updates/$SUITE-security (apt cache: .cache/apt)"
  apt_in_rootfs container "the image" "$APT_UPGRADE"
  log "upgrade done after $((SECONDS - START)) s"
fi

# Slim down: package caches and lists are not needed in the image.
drop_apt_caches "$ROOTFS"/var/log/*.log
# Docker mounts its own /dev, /proc, /sys and writes /etc/hostname, /etc/hosts, /etc/resolv.conf:
# ship them empty rather than with the build host's copies.
rm -rf "${ROOTFS:?}"/dev/* "${ROOTFS:?}"/proc/* "${ROOTFS:?}"/sys/* 2>/dev/null || true
: >"$ROOTFS/etc/resolv.conf"
echo isobench >"$ROOTFS/etc/hostname"
# nuttcp's server on Docker's host network binds loopback through it (workloads/nuttcp.ts).
bash "$HERE/build-bind-addr.sh" "$ROOTFS/usr/local/lib/isobench/bind-addr.so"
# Record what the image holds (also readable with 'docker run --rm IMAGE dpkg-query -W').
chroot "$ROOTFS" dpkg-query -W >"$ROOTFS/etc/isobench-manifest"
echo "$IMAGE" >"$ROOTFS/etc/isobench-image"

log "docker import"
OLD_ID="$(docker image inspect -f '{{.Id}}' "$IMAGE" 2>/dev/null || true)"
tar --numeric-owner -C "$ROOTFS" -c . |
  docker import -c 'CMD ["sleep","infinity"]' - "$IMAGE" >/dev/null
NEW_ID="$(docker image inspect -f '{{.Id}}' "$IMAGE")"
if [ -n "$OLD_ID" ] && [ "$OLD_ID" != "$NEW_ID" ]; then
  # --force rebuild: drop the image the tag pointed to before (kept if a container still uses it).
  if docker image rm "$OLD_ID" >/dev/null 2>&1; then log "removed the previous $IMAGE ($OLD_ID)"; fi
fi

# Smoke test: the tools run in the image.
docker run --rm --network none "$IMAGE" sh -c 'sysbench --version && redis-server --version' \
  | sed 's/^/[images]   /' >&2 || die "the new image $IMAGE cannot run sysbench/redis-server"

remove_rootfs
log "built $IMAGE in $((SECONDS - START)) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%d MB", $1/1000000}'))"
finish
