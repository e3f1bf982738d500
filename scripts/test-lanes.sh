#!/usr/bin/env bash
# npm test's mocha part as two mocha runs side by side ("lanes"). One run in series spent most of its
# 21 minutes waiting on a guest booting under emulation or a daemon answering, with a core idle; two
# lanes share what they can share and keep apart what they cannot:
#   live   every integration file not listed below: all that use a guest of the shared kind
#          (sharedGuest() belongs to one process) or a benchmark server on the host's fixed loopback
#          ports, and all that change or read the host's settings (THP). A new file lands here until
#          it is shown to need none of that.
#   apart  the unit tests and the integration files listed in APART: native and Docker stacks whose
#          measure lock is their own (CliStack, TempStack), loopback sshd targets on free ports, and
#          one Pulumi stack that makes and boots its own guest (grouped-schedule). None of them runs
#          a benchmark server on a fixed port, uses the shared guest or touches host settings.
# The machine's test lock (test/helpers/machine-lock.ts) is taken here once, for both lanes.
#
# Usage: scripts/test-lanes.sh            (npm test runs it after the build, lint and format checks)
# Output: each lane's lines prefixed with its name; as each lane ends, its status and wall time.
# ISOBENCH_TEST_TIMES=<file>.json writes each lane's timings to <file>-<lane>.json.
set -euo pipefail
cd "$(dirname "$0")/.."

APART=(
  analysis-report-chromium bind-shim cell-failures cell-limit cli-progress container-needs
  grouped-schedule leftovers-target precision-loop recovery rerun target-lock two-stacks up-many
)

apart_files=()
for name in "${APART[@]}"; do
  f="test/integration/$name.test.ts"
  [ -f "$f" ] || { echo "test-lanes: $f is listed in APART but does not exist. Fix: remove it from scripts/test-lanes.sh" >&2; exit 2; }
  apart_files+=("$f")
done
live_files=()
for f in test/integration/*.test.ts; do
  name="$(basename "$f" .test.ts)"
  [[ " ${APART[*]} " == *" $name "* ]] || live_files+=("$f")
done

lock="${ISOBENCH_TEST_LOCK:-/run/lock/isobench-tests.lock}"
mkdir -p "$(dirname "$lock")"
exec 9>>"$lock"
if ! flock -n 9; then
  echo "test-lanes: waiting for another test run on this machine ($(cat "$lock" 2>/dev/null || echo 'owner unknown'); lock $lock)" >&2
  flock 9
fi
echo "pid $$ in $PWD since $(date -u +%Y-%m-%dT%H:%M:%SZ) (scripts/test-lanes.sh)" >"$lock"
export ISOBENCH_TEST_LOCK="$lock" ISOBENCH_TEST_LOCK_HELD="$lock"

times="${ISOBENCH_TEST_TIMES:-}"
# Exits with the lane's mocha status, after a line saying it and the lane's wall time.
run_lane() {
  local lane="$1"
  shift
  local start=$SECONDS rc=0
  ISOBENCH_TEST_TIMES="${times:+${times%.json}-$lane.json}" npx mocha "$@" 2>&1 | sed -u "s/^/$lane│ /" || rc=$?
  echo "test-lanes: $lane exited $rc after $((SECONDS - start)) s"
  return "$rc"
}

echo "test-lanes: live ${#live_files[@]} integration files; apart the unit tests and ${#apart_files[@]} integration files"
run_lane live "${live_files[@]}" &
live_pid=$!
run_lane apart 'test/unit/**/*.test.ts' "${apart_files[@]}" &
apart_pid=$!
failed=0
wait "$live_pid" || failed=1
wait "$apart_pid" || failed=1
exit "$failed"
