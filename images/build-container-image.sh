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
# <hash> = first 12 hex chars of sha256(packages.txt + this script + suite).
# Stdout's last line is the image name; it is also written to .state/images/container-image.
# Progress goes to stderr, prefixed [images].
#
# The container never runs redis-server's Debian service: CMD is 'sleep infinity' and
# /usr/sbin/policy-rc.d forbids service starts; the runner starts redis-server itself with
# explicit options (its Debian config file /etc/redis/redis.conf is not read unless named).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
PACKAGES_FILE="$HERE/packages.txt"
CACHE="$ROOT/.cache"
STATE="$ROOT/.state/images"

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
host_codename() {
  local id="" codename=""
  if [ -r /etc/os-release ]; then
    id="$(. /etc/os-release && echo "${ID:-}")"
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  fi
  if [ "$id" = debian ] && [ -n "$codename" ]; then echo "$codename"; else echo bookworm; fi
}

# host_uri SUITE: the first enabled 'deb' URI in the host's apt sources that serves SUITE
# (one-line .list files and deb822 .sources files). Prints nothing if there is none.
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
# Same sources as the host: when the host uses this suite, copy its -updates/-security choice;
# otherwise (non-Debian host, other suite) use the Debian defaults.
if [ -n "$HOST_MAIN" ]; then
  UPDATES_URI="$(host_uri "$SUITE-updates")"
  SECURITY_URI="${ISOBENCH_SECURITY_MIRROR:-$(host_uri "$SUITE-security")}"
else
  UPDATES_URI="$MIRROR"
  SECURITY_URI="${ISOBENCH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
fi
case "$SUITE" in sid|unstable|experimental) UPDATES_URI=""; SECURITY_URI="" ;; esac

# ------------------------------------------------------------------ image name
[ -f "$PACKAGES_FILE" ] || die "$PACKAGES_FILE is missing"
PACKAGES="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$' | paste -sd, -)"
[ -n "$PACKAGES" ] || die "$PACKAGES_FILE lists no package"
HASH="$( { cat "$PACKAGES_FILE" "$SELF"; printf '%s' "$SUITE"; } | sha256sum | cut -c1-12)"
IMAGE="isobench-bench:$HASH"

finish() {
  mkdir -p "$STATE"
  echo "$IMAGE" >"$STATE/container-image"
  echo "$IMAGE"
}

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

mkdir -p "$CACHE/build" "$CACHE/debootstrap/debs-$SUITE" "$CACHE/apt/archives-$SUITE/partial" "$CACHE/apt/lists-$SUITE/partial"
# One image build at a time: the builds share the package caches below.
exec 9>"$CACHE/images.lock"
if ! flock -n 9; then
  log "another image build holds $CACHE/images.lock: waiting (up to 1 h)"
  flock -w 3600 9 || die "timed out waiting for $CACHE/images.lock"
fi

ROOTFS="$CACHE/build/container-$HASH"

# Unmount everything below the rootfs (deepest first); refuse to delete it while anything is mounted.
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
    log "build failed (exit $rc); partial rootfs removed"
    remove_rootfs
  fi
}
trap cleanup EXIT

remove_rootfs
mkdir -p "$ROOTFS"

log "building $IMAGE: suite $SUITE, mirror $MIRROR"
log "packages: $PACKAGES"
log "updates: ${UPDATES_URI:-none}, security: ${SECURITY_URI:-none}"
START=$SECONDS

log "debootstrap --variant=minbase (package cache: .cache/debootstrap/debs-$SUITE)"
debootstrap --variant=minbase --include="$PACKAGES" \
  --cache-dir="$CACHE/debootstrap/debs-$SUITE" \
  "$SUITE" "$ROOTFS" "$MIRROR" >"$CACHE/build/container-debootstrap.log" 2>&1 ||
  die "debootstrap failed; see $CACHE/build/container-debootstrap.log"
log "debootstrap done after $((SECONDS - START)) s"

# apt sources of the image = the host's, so that an upgrade brings the same versions.
{
  echo "deb $MIRROR $SUITE main"
  [ -z "$UPDATES_URI" ] || echo "deb $UPDATES_URI $SUITE-updates main"
  [ -z "$SECURITY_URI" ] || echo "deb $SECURITY_URI $SUITE-security main"
} >"$ROOTFS/etc/apt/sources.list"
# Never start services inside the chroot or the container (Debian's policy-rc.d convention).
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"

if [ -n "$UPDATES_URI$SECURITY_URI" ]; then
  log "apt-get dist-upgrade from $SUITE-updates/$SUITE-security (apt cache: .cache/apt)"
  mount -t proc proc "$ROOTFS/proc"
  mount --bind "$CACHE/apt/archives-$SUITE" "$ROOTFS/var/cache/apt/archives"
  mount --bind "$CACHE/apt/lists-$SUITE" "$ROOTFS/var/lib/apt/lists"
  if ! chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
      sh -c 'apt-get -q update && apt-get -q -y -o Dpkg::Options::=--force-confold dist-upgrade' \
      >"$CACHE/build/container-apt.log" 2>&1; then
    die "apt-get in the image failed; see $CACHE/build/container-apt.log"
  fi
  unmount_all
  log "upgrade done after $((SECONDS - START)) s"
fi

# Slim down: package caches and lists are not needed in the image.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
  "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log "$ROOTFS"/tmp/* 2>/dev/null || true
mkdir -p "$ROOTFS/var/lib/apt/lists/partial" "$ROOTFS/var/cache/apt/archives/partial"
# Docker mounts its own /dev, /proc, /sys and writes /etc/hostname, /etc/hosts, /etc/resolv.conf:
# ship them empty rather than with the build host's copies.
rm -rf "${ROOTFS:?}"/dev/* "${ROOTFS:?}"/proc/* "${ROOTFS:?}"/sys/* 2>/dev/null || true
: >"$ROOTFS/etc/resolv.conf"
echo isobench >"$ROOTFS/etc/hostname"
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
