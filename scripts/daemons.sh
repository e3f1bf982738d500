#!/usr/bin/env bash
# Start the daemons isobench needs, when they are not already running:
#   dockerd, virtlogd, libvirtd, and libvirt's "default" NAT network (virbr0, dnsmasq DHCP).
#
# Usage: scripts/daemons.sh
#   ISOBENCH_DAEMON_TIMEOUT  seconds to wait for each daemon to answer (default 60)
#   ISOBENCH_RUNSC=1         register gVisor's runsc (apt-get install runsc) as a Docker runtime:
#                            adds "runtimes": {"runsc": …} to /etc/docker/daemon.json, keeping every
#                            other key, and reloads dockerd with SIGHUP (runtimes are reloadable, so
#                            running containers are not touched). Nothing changes when it is there.
#   ISOBENCH_RUNSC_ARGS      runtimeArgs of that entry, space-separated (default "--network=host":
#                            gVisor's own netstack refuses to start on nested hosts like the ones
#                            isobench is developed on — "cannot run with network enabled in root
#                            network namespace" — so the sandbox uses the container's network
#                            namespace through the host kernel; the probe records the args).
#   ISOBENCH_RUNSC=remove    remove that entry again (and the file, if it was the only key).
#
# Uses systemctl where systemd is PID 1, otherwise starts the daemons directly in the background.
# Idempotent: a second run finds everything up and only says what it skipped.
set -euo pipefail

TIMEOUT="${ISOBENCH_DAEMON_TIMEOUT:-60}"
VIRSH_TIMEOUT=20                       # virsh can hang when libvirtd is wedged
LIBVIRT_URI="qemu:///system"
DOCKERD_LOG=/var/log/isobench-dockerd.log
LIBVIRTD_LOG=/var/log/isobench-libvirtd.log
VIRTLOGD_LOG=/var/log/isobench-virtlogd.log
NET_XML=/usr/share/libvirt/networks/default.xml

log() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }

virsh_() { timeout "$VIRSH_TIMEOUT" virsh -c "$LIBVIRT_URI" "$@"; }

# net_field FIELD: value of FIELD (Active, Autostart, Bridge) in 'virsh net-info default'.
# (Captured first: 'virsh | grep -q' would die of SIGPIPE under pipefail.)
net_field() {
  local info
  info="$(virsh_ net-info default 2>/dev/null)" || return 0
  awk -v f="$1:" '$1 == f {print $2}' <<<"$info"
}

if [ "$(id -u)" -ne 0 ]; then
  die "must run as root (starts system daemons)"
fi

if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ]; then
  USE_SYSTEMD=1
  LIBVIRT_LOG_HINT="journalctl -u libvirtd"
  log "systemd is PID 1: using systemctl"
else
  USE_SYSTEMD=0
  LIBVIRT_LOG_HINT="$LIBVIRTD_LOG"
  log "no systemd (PID 1 is '$(cat /proc/1/comm 2>/dev/null || echo '?')'): starting daemons directly"
fi

for bin in dockerd docker virtlogd libvirtd virsh; do
  command -v "$bin" >/dev/null 2>&1 ||
    die "'$bin' not found. Fix: apt-get install docker.io libvirt-daemon-system libvirt-clients qemu-system-x86"
done

# pid_alive PIDFILE NAME: true if the pid file names a live process called NAME.
pid_alive() {
  local pidfile="$1" name="$2" pid
  [ -s "$pidfile" ] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ]
}

# exec_without_our_fds COMMAND...: closes this shell's descriptors above stderr and execs COMMAND,
# so call it only in a child: `exec_without_our_fds cmd &`, or `( exec_without_our_fds cmd )` in
# the foreground. A daemon started here lives on after the script, and a descriptor it (or a shell
# waiting for it) inherited stays open as long: a caller's flock (CI's, the newcomer check's) would
# then be held for the daemon's lifetime and block every later job waiting for that lock (it
# happened with dockerd, then with libvirtd and virtlogd on a fresh machine, where setup starts
# them). No subshell of its own: a `( … )` body run with `&` left a waiting bash holding them.
exec_without_our_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done 2>/dev/null
  exec "$@"
}

# wait_for DESCRIPTION LOGFILE FIX COMMAND...: poll COMMAND once a second for up to $TIMEOUT s.
wait_for() {
  local what="$1" logfile="$2" fix="$3"; shift 3
  local start=$SECONDS
  until "$@" >/dev/null 2>&1; do
    if [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
      echo "[setup] ERROR: $what did not answer within ${TIMEOUT}s." >&2
      echo "[setup]        log: $logfile" >&2
      if [ -f "$logfile" ]; then
        echo "[setup]        last lines of the log:" >&2
        tail -n 15 "$logfile" | sed 's/^/[setup]          /' >&2
      fi
      echo "[setup]        fix: $fix" >&2
      exit 1
    fi
    sleep 1
  done
  log "$what answers (after $((SECONDS - start)) s)"
}

# ---------------------------------------------------------------- docker
docker_up() { timeout 10 docker info; }

if docker_up >/dev/null 2>&1; then
  log "dockerd already running: skipped"
else
  if [ "$USE_SYSTEMD" = 1 ]; then
    log "starting docker with systemctl"
    systemctl start docker
    DOCKER_LOG_HINT="journalctl -u docker"
  else
    if pid_alive /var/run/docker.pid dockerd; then
      log "dockerd (pid $(cat /var/run/docker.pid)) is running but not answering yet: waiting"
    else
      log "starting dockerd in the background (log: $DOCKERD_LOG)"
      rm -f /var/run/docker.pid
      # setsid + nohup: the daemon must outlive this script and its terminal.
      exec_without_our_fds setsid nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    fi
    DOCKER_LOG_HINT="$DOCKERD_LOG"
  fi
  wait_for "dockerd" "$DOCKER_LOG_HINT" \
    "read the log; a stale /var/run/docker.pid or /var/run/docker.sock from a killed dockerd can be removed; the kernel needs overlayfs, iptables and cgroups; then run scripts/daemons.sh again" \
    docker_up
fi

# ---------------------------------------------------------------- gVisor runtime (optional)
DAEMON_JSON=/etc/docker/daemon.json
reload_dockerd() {
  local pid
  pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
  if [ "$USE_SYSTEMD" = 1 ]; then systemctl reload docker
  elif [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then kill -HUP "$pid"
  else die "cannot find dockerd's pid to reload it (/var/run/docker.pid)"; fi
}
runsc_registered() { timeout 10 docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q '"runsc"'; }
case "${ISOBENCH_RUNSC:-}" in
  1)
    RUNSC="$(command -v runsc || true)"
    [ -n "$RUNSC" ] || die "ISOBENCH_RUNSC=1 but runsc is not installed. Fix: apt-get install runsc"
    command -v jq >/dev/null 2>&1 || die "jq is needed to edit $DAEMON_JSON. Fix: apt-get install jq"
    if runsc_registered; then
      log "runtime runsc already registered with dockerd: skipped"
    else
      mkdir -p "$(dirname "$DAEMON_JSON")"
      [ -s "$DAEMON_JSON" ] || echo '{}' >"$DAEMON_JSON"
      jq --arg p "$RUNSC" --arg a "${ISOBENCH_RUNSC_ARGS---network=host}" \
        '.runtimes.runsc = {path: $p, runtimeArgs: ($a | split(" ") | map(select(. != "")))}' \
        "$DAEMON_JSON" >"$DAEMON_JSON.tmp" && mv "$DAEMON_JSON.tmp" "$DAEMON_JSON"
      reload_dockerd
      wait_for "dockerd with runtime runsc" "$DOCKERD_LOG" "check $DAEMON_JSON (dockerd --validate) and the dockerd log" runsc_registered
    fi ;;
  remove)
    if [ -s "$DAEMON_JSON" ] && jq -e '.runtimes.runsc' "$DAEMON_JSON" >/dev/null 2>&1; then
      # A reload only drops runtimes that an explicit (possibly empty) "runtimes" key no longer
      # lists; without the key dockerd keeps the ones it has. So reload first, then tidy up.
      jq 'del(.runtimes.runsc)' "$DAEMON_JSON" >"$DAEMON_JSON.tmp" && mv "$DAEMON_JSON.tmp" "$DAEMON_JSON"
      reload_dockerd
      wait_for "dockerd without runtime runsc" "$DOCKERD_LOG" "check $DAEMON_JSON and the dockerd log" sh -c '! timeout 10 docker info --format "{{json .Runtimes}}" | grep -q "\"runsc\""'
      [ "$(jq -c . "$DAEMON_JSON")" != '{"runtimes":{}}' ] || rm -f "$DAEMON_JSON"
      log "runtime runsc removed from $DAEMON_JSON and dockerd reloaded"
    else
      log "runtime runsc not in $DAEMON_JSON: nothing to remove"
    fi ;;
  "") ;;
  *) die "ISOBENCH_RUNSC must be 1 or remove, got '$ISOBENCH_RUNSC'" ;;
esac

# ---------------------------------------------------------------- libvirt
libvirt_up() { virsh_ version; }

if libvirt_up >/dev/null 2>&1; then
  log "libvirtd already running and answering: skipped virtlogd/libvirtd start"
else
  if [ "$USE_SYSTEMD" = 1 ]; then
    log "starting virtlogd and libvirtd with systemctl"
    systemctl start virtlogd
    systemctl start libvirtd
  else
    if pid_alive /run/virtlogd.pid virtlogd; then
      log "virtlogd already running: skipped"
    else
      log "starting virtlogd -d (log: $VIRTLOGD_LOG)"
      (exec_without_our_fds env LIBVIRT_LOG_OUTPUTS="3:file:$VIRTLOGD_LOG" virtlogd -d) ||
        die "virtlogd -d failed; see $VIRTLOGD_LOG. Fix: remove a stale /run/virtlogd.pid and retry"
    fi
    if pid_alive /run/libvirtd.pid libvirtd; then
      log "libvirtd (pid $(cat /run/libvirtd.pid)) is running but not answering yet: waiting"
    else
      log "starting libvirtd -d (log: $LIBVIRTD_LOG)"
      (exec_without_our_fds env LIBVIRT_LOG_OUTPUTS="3:file:$LIBVIRTD_LOG" libvirtd -d) ||
        die "libvirtd -d failed; see $LIBVIRTD_LOG. Fix: remove a stale /run/libvirtd.pid and retry"
    fi
  fi
  wait_for "libvirtd ($LIBVIRT_URI)" "$LIBVIRT_LOG_HINT" \
    "read the log; check that virtlogd runs (virtlogd -d) and /run/libvirt/libvirt-sock exists; a wedged libvirtd must be stopped by its pid (cat /run/libvirtd.pid) before running scripts/daemons.sh again" \
    libvirt_up
fi

# ---------------------------------------------------------------- libvirt default network
if virsh_ net-info default >/dev/null 2>&1; then
  log "libvirt network 'default' already defined: skipped define"
else
  [ -f "$NET_XML" ] || die "libvirt network 'default' is not defined and $NET_XML is missing. Fix: apt-get install --reinstall libvirt-daemon-config-network"
  log "defining libvirt network 'default' from $NET_XML"
  virsh_ net-define "$NET_XML" >/dev/null
fi

if [ "$(net_field Active)" = yes ]; then
  log "libvirt network 'default' already active: skipped net-start"
else
  log "starting libvirt network 'default'"
  # Another process may start it at the same moment: "already active" counts as success.
  if ! out="$(virsh_ net-start default 2>&1)" &&
     [ "$(net_field Active)" != yes ]; then
    echo "$out" | sed 's/^/[setup]   /' >&2
    die "virsh net-start default failed (log: $LIBVIRT_LOG_HINT). Fix: dnsmasq must be installed (apt-get install dnsmasq-base), iptables must work, and a leftover virbr0 bridge from a killed libvirtd can be removed with 'ip link delete virbr0'"
  fi
fi

if [ "$(net_field Autostart)" = yes ]; then
  log "libvirt network 'default' already autostarts: skipped"
else
  virsh_ net-autostart default >/dev/null
  log "libvirt network 'default' set to autostart"
fi

bridge="$(net_field Bridge)"
log "ready: docker $(timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?'), libvirt $(virsh_ version 2>/dev/null | awk -F': *' '/Running hypervisor/ {print $2}'), network default on ${bridge:-?}"
