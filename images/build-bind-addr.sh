#!/usr/bin/env bash
# Compiles images/bind-addr.c (see there) into the shared library OUT, unless OUT is already newer
# than the source. Used by scripts/setup.sh for the host (.tools/lib/isobench-bind-addr.so: native
# cells) and by images/build-container-image.sh for the container image (Docker host networking).
#   images/build-bind-addr.sh OUT
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:?usage: images/build-bind-addr.sh OUT}"
SRC="$HERE/bind-addr.c"
[ -f "$OUT" ] && [ "$OUT" -nt "$SRC" ] && exit 0
command -v gcc >/dev/null 2>&1 || { echo "[images] gcc not found. Fix: apt-get install gcc libc6-dev" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$OUT.tmp" "$SRC" -ldl
mv "$OUT.tmp" "$OUT"
echo "[images] built $OUT" >&2
