#!/usr/bin/env bash
# Build (or find) the benchmark images (container, guest, guest with the Docker engine for
# docker-in-kvm, guest with a bootloader for boot: bootloader, derived from the guest), then
# check that the tools of images/packages.txt have the same version natively
# (host), in the container image and in both KVM guest images.
#
# Usage: images/build-all.sh [--force]
#   --force   rebuild both images (e.g. after a Debian update made the versions differ)
#   ISOBENCH_SUITE / ISOBENCH_MIRROR / ISOBENCH_SECURITY_MIRROR are passed on to both builders.
#
# Both builders run one after the other against the same mirror and suite (the host's apt
# sources), so they resolve the same versions; the check below catches a host that is behind
# or ahead of the mirror, or a cached image built before an update.
# Stdout: 'container-image=<name>', 'guest-image=<folder>', 'guest-image-docker=<folder>',
# 'guest-image-bootloader=<folder>' (last line); progress on stderr.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PACKAGES_FILE="$HERE/packages.txt"

log() { echo "[images] $*" >&2; }
die() { echo "[images] ERROR: $*" >&2; exit 1; }

for arg in "$@"; do
  case "$arg" in
    --force) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$HERE/build-all.sh"; exit 0 ;;
    *) die "unknown argument '$arg' (usage: $0 [--force])" ;;
  esac
done

START=$SECONDS
log "== container image"
CONTAINER_IMAGE="$("$HERE/build-container-image.sh" "$@" | tail -n 1)"
[ -n "$CONTAINER_IMAGE" ] || die "build-container-image.sh printed no image name"
log "== guest image"
GUEST_DIR="$("$HERE/build-guest-image.sh" "$@" | tail -n 1)"
[ -d "$GUEST_DIR" ] || die "build-guest-image.sh printed no folder (got '$GUEST_DIR')"
log "== guest image with the Docker engine (docker-in-kvm)"
GUEST_DOCKER_DIR="$(ISOBENCH_GUEST_VARIANT=docker "$HERE/build-guest-image.sh" "$@" | tail -n 1)"
[ -d "$GUEST_DOCKER_DIR" ] || die "build-guest-image.sh (docker variant) printed no folder (got '$GUEST_DOCKER_DIR')"
# Derived without a package install (same packages as the guest), so the version check below covers it.
log "== guest image with a bootloader (boot: bootloader)"
GUEST_BOOT_DIR="$("$HERE/build-guest-bootloader-image.sh" "$@" "$GUEST_DIR" | tail -n 1)"
[ -d "$GUEST_BOOT_DIR" ] || die "build-guest-bootloader-image.sh printed no folder (got '$GUEST_BOOT_DIR')"

# ------------------------------------------------------------------ version check
mapfile -t PKGS < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$PACKAGES_FILE" | grep -v '^$' | awk '!seen[$0]++')

# version_of LISTING PKG: the version of PKG in a 'package<TAB>version' listing ('-' if absent).
version_of() {
  awk -F'\t' -v p="$2" '$1 == p || $1 ~ ("^" p ":") { v = $2 } END { print (v == "" ? "-" : v) }' <<<"$1"
}

HOST_LIST="$(dpkg-query -W -f '${Package}\t${db:Status-Status}\t${Version}\n' "${PKGS[@]}" 2>/dev/null |
  awk -F'\t' '$2 == "installed" { print $1 "\t" $3 }' || true)"
CONTAINER_LIST="$(docker run --rm --network none "$CONTAINER_IMAGE" \
  dpkg-query -W -f '${Package}\t${Version}\n' "${PKGS[@]}")" ||
  die "could not list packages in $CONTAINER_IMAGE"
GUEST_LIST="$(cat "$GUEST_DIR/manifest")"
GUEST_DOCKER_LIST="$(cat "$GUEST_DOCKER_DIR/manifest")"

printf '[images] %-14s %-26s %-26s %-26s %-26s\n' package host container guest guest+docker >&2
mismatch=()
for p in "${PKGS[@]}"; do
  h="$(version_of "$HOST_LIST" "$p")"
  c="$(version_of "$CONTAINER_LIST" "$p")"
  g="$(version_of "$GUEST_LIST" "$p")"
  gd="$(version_of "$GUEST_DOCKER_LIST" "$p")"
  mark=""
  if [ "$h" != "$c" ] || [ "$h" != "$g" ] || [ "$h" != "$gd" ] || [ "$h" = - ]; then
    mark="  <-- differs"
    mismatch+=("$p")
  fi
  printf '[images] %-14s %-26s %-26s %-26s %-26s%s\n' "$p" "$h" "$c" "$g" "$gd" "$mark" >&2
done

if [ "${#mismatch[@]}" -gt 0 ]; then
  echo "[images] ERROR: tool versions differ between host, container and guest: ${mismatch[*]}" >&2
  echo "[images]   native, Docker and KVM results would not compare the same binaries." >&2
  echo "[images]   '-' on the host: not installed. Fix: apt-get install ${mismatch[*]}" >&2
  echo "[images]   host older than the images: apt-get update && apt-get install --only-upgrade ${mismatch[*]}" >&2
  echo "[images]   images older than the host (an update came out after they were built): $0 --force" >&2
  exit 1
fi

log "versions match on host, container and guest; done in $((SECONDS - START)) s"
echo "container-image=$CONTAINER_IMAGE"
echo "guest-image=$GUEST_DIR"
echo "guest-image-docker=$GUEST_DOCKER_DIR"
echo "guest-image-bootloader=$GUEST_BOOT_DIR"
