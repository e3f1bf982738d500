#!/usr/bin/env bash
# The newcomer check: what a new user gets on a fresh machine, reproduced on this one.
#   1. clones the current commit into a temporary folder (uncommitted changes are not in it);
#   2. puts dockerd into first-start state: stops it, moves /var/lib/docker/network aside and
#      deletes the docker0 interface (a fresh data root alone is not enough: an existing docker0
#      still supplies the bridge gateway), so the README's setup starts dockerd as on a new machine;
#   3. runs the README's two commands as written, in the clone:
#        bash scripts/setup.sh && ./bin/isobench up <stack>      then ./bin/isobench destroy <stack>
#        bash scripts/setup.sh && npm test
#      and checks that no daemon setup started keeps a descriptor the commands inherited (a
#      caller's flock held by libvirtd or dockerd would block every later job);
#   4. restores this machine's Docker network state and restarts dockerd (trap: on success, on
#      failure and on Ctrl-C). Images, containers and volumes are never touched; containers that
#      were running stop with dockerd and come back only if their restart policy says so.
# Prints PASS/FAIL and the wall time of each step; logs are kept in the folder it names.
#
# Usage (as root): scripts/newcomer-check.sh [--main-only]
#   --main-only                  skip the test command
#   ISOBENCH_NEWCOMER_STACK      stack for the main command (default quick; same code path)
#   ISOBENCH_NEWCOMER_KEEP=1     keep the clone (default: removed at the end, logs kept)
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STACK="${ISOBENCH_NEWCOMER_STACK:-quick}"
MAIN_ONLY=0
case "${1:-}" in
    --main-only) MAIN_ONLY=1 ;;
    "") ;;
    *) echo "usage: scripts/newcomer-check.sh [--main-only]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "newcomer-check: run as root (it stops and starts dockerd)" >&2; exit 2; }
case "$STACK" in *[!A-Za-z0-9_.-]*|"") echo "newcomer-check: ISOBENCH_NEWCOMER_STACK must be a stack name, got '$STACK'" >&2; exit 2 ;; esac

DOCKER_NET=/var/lib/docker/network
DOCKERD_LOG=/var/log/isobench-dockerd.log
STAMP="$(date +%Y%m%d%H%M%S)"
ASIDE="$DOCKER_NET.newcomer-aside-$STAMP"
WORK="$(mktemp -d /tmp/isobench-newcomer-XXXXXX)"
LOGS="$WORK/logs"
CLONE="$WORK/isobench"
mkdir -p "$LOGS"
# mktemp makes the folder 0700; libvirt's QEMU (user libvirt-qemu) must traverse it to the clone's
# guest disks, as it does a clone in any world-traversable folder.
chmod 0755 "$WORK"
T_ALL=$SECONDS
FAILED=0
MOVED=0
UP_STARTED=0
DESTROYED=0
log_offset=0

say() { echo "[newcomer] $*"; }
uses_systemd() { [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ]; }
stop_dockerd() {
    if uses_systemd; then systemctl stop docker.socket docker >/dev/null 2>&1 || true; fi
    local pid; pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
        kill "$pid"
        for _ in $(seq 60); do [ -d "/proc/$pid" ] || break; sleep 1; done
        [ ! -d "/proc/$pid" ] || { say "dockerd (pid $pid) did not stop within 60 s"; return 1; }
    fi
    rm -f /var/run/docker.pid
}

restore() {
    local rc=$?
    trap - EXIT INT TERM
    # A main step that failed half-way leaves the stack's containers and guests: tear them down
    # with the clone's own isobench before its state goes.
    if [ "$UP_STARTED" = 1 ] && [ "$DESTROYED" = 0 ] && [ -d "$CLONE" ]; then
        (cd "$CLONE" && ./bin/isobench destroy "$STACK") >"$LOGS/destroy-after-failure.log" 2>&1 ||
            say "destroy after the failure failed too: $LOGS/destroy-after-failure.log"
    fi
    say "restoring this machine's Docker network state"
    stop_dockerd || true
    if [ "$MOVED" = 1 ]; then
        rm -rf "$DOCKER_NET"        # the fresh state this check's dockerd created
        mv "$ASIDE" "$DOCKER_NET"
    fi
    ip link delete docker0 2>/dev/null || true
    bash "$ROOT/scripts/daemons.sh" >"$LOGS/restore-daemons.log" 2>&1 &&
        say "dockerd restarted on the original state (gateway: $(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null || echo '?'))" ||
        say "FAILED to restart dockerd: see $LOGS/restore-daemons.log and $DOCKERD_LOG"
    if [ "${ISOBENCH_NEWCOMER_KEEP:-0}" != 1 ] && [ -d "$CLONE" ]; then rm -rf "$CLONE"; fi
    say "logs: $LOGS"
    say "total $((SECONDS - T_ALL)) s: $([ "$FAILED" = 0 ] && [ "$rc" = 0 ] && echo PASS || echo FAIL)"
    [ "$FAILED" = 0 ] && exit "$rc" || exit 1
}
trap restore EXIT
trap 'exit 130' INT TERM

# step NAME LOGFILE COMMAND...: runs COMMAND in the clone, prints PASS/FAIL and the wall time.
step() {
    local name="$1" logfile="$LOGS/$2"; shift 2
    local t0=$SECONDS
    if (cd "$CLONE" && "$@") >"$logfile" 2>&1; then
        say "PASS  $name  ($((SECONDS - t0)) s)"
    else
        say "FAIL  $name  ($((SECONDS - t0)) s): last lines of $logfile:"
        tail -n 15 "$logfile" | sed 's/^/[newcomer]        /'
        if [ -f "$DOCKERD_LOG" ]; then
            say "      the fresh dockerd's log: $DOCKERD_LOG (from byte $log_offset); its last lines:"
            tail -c +"$((log_offset + 1))" "$DOCKERD_LOG" | tail -n 5 | sed 's/^/[newcomer]        /'
        fi
        FAILED=1
        return 1
    fi
}

commit="$(git -C "$ROOT" rev-parse HEAD)"
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ] || say "note: uncommitted changes in $ROOT are not part of the check (it clones $commit)"
t0=$SECONDS
git clone --quiet --no-hardlinks "$ROOT" "$CLONE" && git -C "$CLONE" checkout --quiet "$commit" ||
    { say "FAIL  clone $commit"; FAILED=1; exit 1; }
say "PASS  clone $commit into $CLONE  ($((SECONDS - t0)) s)"

t0=$SECONDS
stop_dockerd || { FAILED=1; exit 1; }
if [ -d "$DOCKER_NET" ]; then mv "$DOCKER_NET" "$ASIDE" && MOVED=1; fi
ip link delete docker0 2>/dev/null || true
log_offset="$(stat -c %s "$DOCKERD_LOG" 2>/dev/null || echo 0)"
say "PASS  dockerd stopped, $DOCKER_NET moved to $ASIDE, docker0 deleted  ($((SECONDS - t0)) s)"

UP_STARTED=1
# A descriptor the README's commands inherit, as they would a caller's flock: no daemon that setup
# starts may keep it (a daemon holding CI's lock blocked every later job once).
MARKER="$WORK/inherited-descriptor"
exec 7>"$MARKER"
step "bash scripts/setup.sh && ./bin/isobench up $STACK" main.log bash -c "bash scripts/setup.sh && ./bin/isobench up $STACK" || exit 1
holders=""
for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if ls -l "$p/fd" 2>/dev/null | grep -qF -- "-> $MARKER"; then holders="$holders $(cat "$p/comm" 2>/dev/null)(${p#/proc/})"; fi
done
exec 7>&-
if [ -z "$holders" ]; then
    say "PASS  no process setup started keeps a descriptor it inherited (a caller's lock stays the caller's)"
else
    say "FAIL  still holding a descriptor inherited from the caller:$holders (a caller's flock would stay held by them)"
    FAILED=1
fi
# The guard against this check's own blind spot: it must have run against a first-start dockerd.
if [ -z "$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Gateway}}{{end}}' 2>/dev/null)" ]; then
    say "PASS  the dockerd that ran was in first-start state (docker network inspect bridge lists no gateway)"
else
    say "FAIL  the dockerd that ran was not in first-start state (its bridge lists a gateway): the check proved nothing"
    FAILED=1
fi
step "./bin/isobench destroy $STACK" destroy.log ./bin/isobench destroy "$STACK" && DESTROYED=1
left="$(docker ps -aq --filter "name=isobench-$STACK-" | wc -l) container(s), $(timeout 20 virsh -c qemu:///system list --all --name 2>/dev/null | grep -c "^isobench-$STACK-") domain(s)"
if [ "$left" = "0 container(s), 0 domain(s)" ]; then say "PASS  nothing of stack $STACK left after destroy"; else say "FAIL  left after destroy: $left"; FAILED=1; fi
if [ "$MAIN_ONLY" = 0 ]; then
    step "bash scripts/setup.sh && npm test" test.log bash -c "bash scripts/setup.sh && npm test" || true
    grep -E "passing|failing|pending|^Time:" "$LOGS/test.log" | sed 's/^/[newcomer]        /'
fi
