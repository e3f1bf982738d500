#!/usr/bin/env bash
# Fault-injection benchmark (issue 17): injects each fault of benchmarks/faults.ts into a small
# stack on the real dockerd and libvirtd, recovers with isobench commands only, destroys, and
# prints one table row per fault (cells lost, cells re-measured, leftovers after destroy, seconds
# to recover). Restarts dockerd and libvirtd, so it holds the machine's test lock
# (/run/lock/isobench-tests.lock, ISOBENCH_TEST_LOCK) and waits for a running `npm test`.
#   benchmarks/faults.sh [--list] [--only 1,3,…]
# Takes about half an hour on 2 cores (three faults boot an emulated guest). Root; run
# scripts/setup.sh first. Exit 1 when a row misses the goal (0 lost, 0 leftovers) or a check.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
[ "$(id -u)" -eq 0 ] || { echo "benchmarks/faults.sh: run as root (it restarts dockerd and libvirtd)" >&2; exit 2; }
case "${1:-}" in --list) exec node -r ts-node/register/transpile-only benchmarks/faults.ts --list ;; esac
./bin/isobench build
exec flock -x "${ISOBENCH_TEST_LOCK:-/run/lock/isobench-tests.lock}" \
    node -r ts-node/register/transpile-only benchmarks/faults.ts "$@"
