#!/usr/bin/env bash
# Prints what this machine measures with: the version of each benchmark tool of
# images/packages.txt natively and in the images this checkout's .state/images records, and the
# records themselves. isobench setup-target runs it on the target and on the controller and
# compares the two (experiment/tool-versions.ts); images/build-all.sh checks the places against
# each other on one machine.
#
# Usage: images/tool-versions.sh
# Stdout, one line each, tab-separated:
#   image    <record>   <value>     a record of .state/images (container-image, guest-image, …)
#   <place>  <package>  <version>   place: host, container, guest, guest-docker
#   missing  <place>    <why>       a place that could not be read (no image recorded, no docker, …)
# Reads only; the container image is listed by one throwaway `docker run --rm --network none`.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="$(dirname "$HERE")/.state/images"
mapfile -t PKGS < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$HERE/packages.txt" | grep -v '^$' | awk '!seen[$0]++')

# record NAME: the value .state/images/NAME holds (fails when there is none).
record() { [ -s "$STATE/$1" ] && head -n 1 "$STATE/$1"; }
# listed PLACE: 'package<TAB>version' lines on stdin as PLACE lines, the packages of
# packages.txt only, an architecture suffix (pkg:amd64) dropped.
listed() {
  awk -F'\t' -v place="$1" -v want="${PKGS[*]}" '
    BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) keep[w[i]] = 1 }
    { sub(/:.*/, "", $1) } keep[$1] && $2 != "" { print place "\t" $1 "\t" $2 }'
}
missing() { printf 'missing\t%s\t%s\n' "$1" "$2"; }

for r in container-image guest-image guest-image-docker guest-image-bootloader; do
  if v="$(record "$r")"; then printf 'image\t%s\t%s\n' "$r" "$v"; fi
done

dpkg-query -W -f '${Package}\t${db:Status-Status}\t${Version}\n' "${PKGS[@]}" 2>/dev/null |
  awk -F'\t' '$2 == "installed" { print $1 "\t" $3 }' | listed host

if ! image="$(record container-image)"; then
  missing container "no container image recorded ($STATE/container-image)"
elif ! command -v docker >/dev/null 2>&1; then
  missing container "docker is not installed"
elif out="$(timeout 120 docker run --rm --network none "$image" dpkg-query -W -f '${Package}\t${Version}\n' "${PKGS[@]}" 2>&1)"; then
  listed container <<<"$out"
else
  missing container "docker run $image failed: $(tail -n 1 <<<"$out")"
fi

for g in guest:guest-image guest-docker:guest-image-docker; do
  place="${g%%:*}"
  if ! dir="$(record "${g#*:}")"; then
    missing "$place" "no ${g#*:} recorded ($STATE/${g#*:})"
  elif [ ! -r "$dir/manifest" ]; then
    missing "$place" "$dir/manifest is missing"
  else
    listed "$place" <"$dir/manifest"
  fi
done
