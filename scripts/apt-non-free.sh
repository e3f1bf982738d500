#!/usr/bin/env bash
# Makes Debian's non-free component available on the host, because netperf (the IBM study's
# latency tool) is only packaged there. Adds /etc/apt/sources.list.d/isobench-non-free.sources
# for the host's own mirror and suite; never edits the host's existing source files.
# Idempotent: does nothing when apt already has a candidate for netperf.
set -euo pipefail
# Under pipefail, `apt-cache … | grep -q` fails when grep exits early (SIGPIPE), so the listing is
# read whole first.
has_netperf() { local p; p="$(apt-cache policy netperf 2>/dev/null)"; grep -q 'Candidate: [0-9]' <<<"$p"; }
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "[setup] $*"; }
if has_netperf; then exit 0; fi
. /etc/os-release
if [ "${ID:-}" != debian ]; then
    echo "[setup] ERROR: netperf has no installation candidate. Fix: enable the component that packages it (Ubuntu: multiverse) and run setup again" >&2
    exit 1
fi
# shellcheck source=../images/lib.sh
SELF="$0" . "$ROOT/images/lib.sh"
resolve_apt_sources
FILE=/etc/apt/sources.list.d/isobench-non-free.sources
log "adding Debian's non-free component for netperf ($FILE)"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s%s\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "$MIRROR" "$SUITE" "${UPDATES_URI:+ $SUITE-updates}"
    if [ -n "$SECURITY_URI" ]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$SECURITY_URI" "$SUITE"
    fi
} >"$FILE"
apt-get update -qq
has_netperf ||
    { echo "[setup] ERROR: netperf still has no candidate after adding $FILE; check that the mirror $MIRROR serves non-free" >&2; exit 1; }
