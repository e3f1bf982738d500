# shellcheck shell=bash
# Shared code of the image builders (build-container-image.sh, build-guest-image.sh).
# Sourced, never run: `. "$HERE/lib.sh"` after the builder has set SELF (its own path).
#
# Both images must hold the same package versions as the host, from the same mirrors, built the
# same way and sharing the same package caches; keeping that logic in one place keeps them alike.
# This file is part of every image's content hash (image_hash), since it shapes every build.
#
# Globals it defines: LIB, ROOT, CACHE, STATE, PACKAGES_FILE; resolve_apt_sources sets SUITE,
# HOST_MAIN, MIRROR, UPDATES_URI, SECURITY_URI; parse_build_args sets FORCE.
# Globals it reads: SELF (the builder), ROOTFS (the build chroot; set before the build functions),
# CHROOT_LANG (optional LANG for in_chroot), CLEANUP_OUTPUT (optional folder removed on failure).

LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
ROOT="$(dirname "$(dirname "$LIB")")"
PACKAGES_FILE="$ROOT/images/packages.txt"
# Resolved, because the mounts below it are matched by path in /proc/mounts (which shows real
# paths): through a symlinked .cache, unmount_all would miss them and remove_rootfs would delete
# through a bind mount.
CACHE="$(realpath -m "$ROOT/.cache")"
STATE="$ROOT/.state/images"

# Progress and errors go to stderr, prefixed [images]: stdout is reserved for the result line.
log() { echo "[images] $*" >&2; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }

# parse_build_args ARGS...: both builders take the same arguments (--force, --help); sets FORCE.
# --help prints the builder's header comment ($SELF).
# shellcheck disable=SC2034 # FORCE is read by the builders
parse_build_args() {
  local arg
  FORCE=0
  for arg in "$@"; do
    case "$arg" in
      --force) FORCE=1 ;;
      -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF"; exit 0 ;;
      *) die "unknown argument '$arg' (usage: $0 [--force])" ;;
    esac
  done
}

# ------------------------------------------------------------------ apt sources of the host
# Both images must get the host's package versions, so both read the host's apt configuration.

# host_codename: the host's Debian codename (bookworm on a non-Debian host).
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
  } | awk 'NR == 1' | sed 's:/*$::'
}

# resolve_apt_sources: the suite and mirrors both images are built from (ISOBENCH_SUITE,
# ISOBENCH_MIRROR, ISOBENCH_SECURITY_MIRROR override them). Sets SUITE, HOST_MAIN, MIRROR,
# UPDATES_URI and SECURITY_URI (the last two empty when the suite has no such archive).
resolve_apt_sources() {
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
}

# ------------------------------------------------------------------ image name
# read_packages: images/packages.txt as debootstrap's comma list (comments and blanks dropped);
# both images carry exactly these benchmark tools.
read_packages() {
  local list
  [ -f "$PACKAGES_FILE" ] || die "$PACKAGES_FILE is missing"
  list="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$' | paste -sd, -)"
  [ -n "$list" ] || die "$PACKAGES_FILE lists no package"
  echo "$list"
}

# image_hash: the content hash that names an image, so that a change to what goes into it
# (packages.txt, the builder, this library, the suite) gives a new name and a rebuild:
# first 12 hex chars of sha256(packages.txt + builder + lib.sh + suite).
image_hash() {
  { cat "$PACKAGES_FILE" "$SELF" "$LIB"; printf '%s' "$SUITE"; } | sha256sum | cut -c1-12
}

# record_result NAME VALUE: write VALUE to .state/images/NAME (read by the experiment host code)
# and print it as the builder's last stdout line (read by build-all.sh).
record_result() {
  mkdir -p "$STATE"
  echo "$2" >"$STATE/$1"
  echo "$2"
}

# ------------------------------------------------------------------ build
# lock_build_cache [DIR...]: create the shared package caches for SUITE (and DIRs), then hold
# .cache/images.lock on fd 9 until the builder exits: one image build at a time, because the
# builds share the package caches.
# shellcheck disable=SC2120 # the DIRs are optional
lock_build_cache() {
  mkdir -p "$CACHE/build" "$@" "$CACHE/debootstrap/debs-$SUITE" \
    "$CACHE/apt/archives-$SUITE/partial" "$CACHE/apt/lists-$SUITE/partial"
  exec 9>"$CACHE/images.lock"
  if ! flock -n 9; then
    log "another image build holds $CACHE/images.lock: waiting (up to 1 h)"
    flock -w 3600 9 || die "timed out waiting for $CACHE/images.lock"
  fi
}

# unmount_all: unmount everything below ROOTFS (deepest first), so that nothing of the host
# (/proc, the apt caches) stays mounted into the chroot or gets deleted through it.
unmount_all() {
  awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 {print $2}' /proc/mounts | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

# remove_rootfs: delete ROOTFS; refuses while anything is still mounted below it (rm -rf would
# otherwise go through a bind mount into the host's files).
remove_rootfs() {
  unmount_all
  if awk -v r="$ROOTFS" '$2 == r || index($2, r "/") == 1 {found=1} END {exit !found}' /proc/mounts; then
    die "something is still mounted below $ROOTFS; not deleting it (see /proc/mounts)"
  fi
  rm -rf "$ROOTFS"
}

# cleanup_build: EXIT trap of a build (trap cleanup_build EXIT). Always unmounts; after a failure
# also removes the partial rootfs and, if CLEANUP_OUTPUT is set, the partial output folder, so
# that a half-built image is never taken for a built one.
cleanup_build() {
  local rc=$?
  unmount_all
  if [ "$rc" -ne 0 ]; then
    if [ -n "${CLEANUP_OUTPUT:-}" ]; then
      log "build failed (exit $rc); partial rootfs and output removed"
    else
      log "build failed (exit $rc); partial rootfs removed"
    fi
    remove_rootfs
    [ -z "${CLEANUP_OUTPUT:-}" ] || rm -rf "$CLEANUP_OUTPUT"
  fi
}

# in_chroot CMD...: run CMD in ROOTFS with a clean, non-interactive environment (nothing of the
# build host's environment leaks into package scripts); LANG=$CHROOT_LANG if that is set.
in_chroot() {
  chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    ${CHROOT_LANG:+LANG="$CHROOT_LANG"} "$@"
}

# debootstrap_rootfs NAME INCLUDE: debootstrap --variant=minbase of SUITE from MIRROR into
# ROOTFS with the packages INCLUDE (comma list). Downloads are cached per suite in
# .cache/debootstrap, shared by both builders; the log is .cache/build/NAME-debootstrap.log.
debootstrap_rootfs() {
  local log_file="$CACHE/build/$1-debootstrap.log"
  log "debootstrap --variant=minbase (package cache: .cache/debootstrap/debs-$SUITE)"
  debootstrap --variant=minbase --components=main,non-free --include="$2" \
    --cache-dir="$CACHE/debootstrap/debs-$SUITE" \
    "$SUITE" "$ROOTFS" "$MIRROR" >"$log_file" 2>&1 ||
    die "debootstrap failed; see $log_file"
  log "debootstrap done after $((SECONDS - START)) s"
}

# configure_rootfs_apt: give ROOTFS the host's apt sources (so that an upgrade brings the same
# versions as on the host) and a policy-rc.d that forbids starting services in the chroot
# (Debian's convention; the container image keeps it, the guest image removes it).
configure_rootfs_apt() {
  {
    echo "deb $MIRROR $SUITE main non-free"
    [ -z "$UPDATES_URI" ] || echo "deb $UPDATES_URI $SUITE-updates main non-free"
    [ -z "$SECURITY_URI" ] || echo "deb $SECURITY_URI $SUITE-security main non-free"
  } >"$ROOTFS/etc/apt/sources.list"
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
}

# APT_UPGRADE: the shell command that brings ROOTFS to the versions of its apt sources.
# shellcheck disable=SC2034 # used by the builders
APT_UPGRADE='apt-get -q update && apt-get -q -y -o Dpkg::Options::=--force-confold dist-upgrade'

# apt_in_rootfs NAME WHAT SCRIPT: run the shell command SCRIPT in ROOTFS with /proc and the shared
# per-suite apt caches (.cache/apt) mounted; the log is .cache/build/NAME-apt.log, WHAT names
# the rootfs in the error message. Unmounts again afterwards.
apt_in_rootfs() {
  local log_file="$CACHE/build/$1-apt.log"
  mount -t proc proc "$ROOTFS/proc"
  mount --bind "$CACHE/apt/archives-$SUITE" "$ROOTFS/var/cache/apt/archives"
  mount --bind "$CACHE/apt/lists-$SUITE" "$ROOTFS/var/lib/apt/lists"
  if ! in_chroot sh -c "$3" >"$log_file" 2>&1; then
    die "apt-get in $2 failed; see $log_file"
  fi
  unmount_all
}

# drop_apt_caches [PATH...]: remove downloaded packages, apt lists, /tmp (and PATHs) from
# ROOTFS: not needed in an image, and they would only make it bigger.
# shellcheck disable=SC2120 # the PATHs are optional
drop_apt_caches() {
  rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/apt/*.bin \
    "$ROOTFS"/var/lib/apt/lists/* "$@" "$ROOTFS"/tmp/* 2>/dev/null || true
  mkdir -p "$ROOTFS/var/lib/apt/lists/partial" "$ROOTFS/var/cache/apt/archives/partial"
}
