#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu host (as root) for isobench. Idempotent: a second run with
# nothing changed takes seconds and says what it skipped.
#   1. Debian packages   2. daemons (dockerd, libvirtd, default network)   3. npm ci
#   4. Pulumi toolchain  5. benchmark container image and KVM guest image (built offline)
#
# Usage: scripts/setup.sh [--target] [--only STEP]
#   --target     set up a machine under test that another machine (the controller) drives:
#                `isobench setup-target <stack>` runs it there. Only what cells use: packages
#                (without chromium and its fonts, which render the controller's report), daemons,
#                the bind shim and the images; no Node dependencies, no build, no Pulumi.
#   --only STEP  run one step: packages, daemons, node (npm ci and the build), shim, pulumi, images
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { echo "[setup] $*"; }
die() { echo "[setup] ERROR: $*" >&2; exit 1; }
T0=$(date +%s)

STEPS="packages daemons node shim pulumi images"
ROLE=controller ONLY=""
while [ $# -gt 0 ]; do
    case "$1" in
        --target) ROLE=target ;;
        --only) [ $# -ge 2 ] || die "--only needs a step: $STEPS"; ONLY="$2"; shift ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (usage: $0 [--target] [--only STEP])" ;;
    esac
    shift
done
[ -z "$ONLY" ] || [[ " $STEPS " == *" $ONLY "* ]] || die "unknown step '$ONLY' after --only (steps: $STEPS)"
[ "$ROLE" = controller ] || STEPS="packages daemons shim images"
[ -z "$ONLY" ] || [[ " $STEPS " == *" $ONLY "* ]] || die "step '$ONLY' is not part of --target (its steps: $STEPS)"
# want STEP: whether this run includes STEP.
want() { [[ " $STEPS " == *" $1 "* ]] && { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }; }

[ "$(id -u)" -eq 0 ] || die "run as root (installs packages, starts daemons)"

# 1. Packages: the daemons, image builders, and the benchmark tools (images/packages.txt) so
#    native runs use the same tool versions as the container and the guest.
if want packages; then
    bash scripts/apt-non-free.sh
    # chromium renders report.html in the analysis test; fonts-dejavu-core gives the PNG plots their text.
    # ovmf (guest UEFI firmware) and systemd-boot-efi, dosfstools, mtools, fdisk (the bootloader guest
    # image, assembled without mounts) serve boot: bootloader.
    PACKAGES="docker.io qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients debootstrap openssh-client openssh-server iproute2 gawk ovmf systemd-boot-efi dosfstools mtools fdisk gcc libc6-dev $(grep -v '^#' images/packages.txt | tr '\n' ' ')"
    [ "$ROLE" = target ] || PACKAGES="$PACKAGES chromium fonts-dejavu-core"
    # Missing, and installed but behind the candidate version: the images are built from the same
    # mirror, so a stale host package would fail the version cross-check in images/build-all.sh.
    missing="$(apt-cache policy $PACKAGES 2>/dev/null | awk '
        /^[^ ].*:$/ { pkg = substr($1, 1, length($1) - 1) }
        $1 == "Installed:" { inst = $2 }
        $1 == "Candidate:" && (inst == "(none)" || inst != $2) { printf " %s", pkg }')"
    if [ -n "$missing" ]; then
        log "installing or upgrading Debian packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # policy-rc.d keeps Debian from starting redis-server on port 6379 where systemd is absent.
        apt-get install -y -qq $missing >/dev/null
    else
        log "Debian packages present, skipping"
fi
# Distribution services of the benchmark tools left running on the host would skew native runs
# and hold the ports isobench's own servers use; isobench starts its own per cell.
for svc in redis-server:redis-server mariadb:mariadbd netperf:netserver iperf3:iperf3; do
    name="${svc%%:*}" proc="${svc##*:}"
    if pgrep -x "$proc" >/dev/null 2>&1; then
        log "stopping the distribution's $name service (isobench starts its own per cell)"
        { [ -x "/etc/init.d/$name" ] && service "$name" stop >/dev/null 2>&1; } || pkill -x "$proc" || true
    fi
done
fi

# 2. Daemons.
if want daemons; then bash scripts/daemons.sh; fi

# 3. Node dependencies, reinstalled only when the lockfile changed.
if want node; then
    STAMP=node_modules/.isobench-lock.sha256
    lock_sum="$(sha256sum package-lock.json | cut -d' ' -f1)"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$lock_sum" ]; then
        log "node_modules matches package-lock.json, skipping npm ci"
    else
        log "npm ci"
        npm ci --no-audit --no-fund --loglevel=error
        echo "$lock_sum" > "$STAMP"
fi

# The CLI, the cells and the Pulumi program run compiled JavaScript (build/); bin/isobench
# recompiles whenever a source is newer than the build.
log "compiling TypeScript into build/ where sources changed"
./bin/isobench build
fi

# The bind shim native nuttcp servers need to listen on loopback only (images/bind-addr.c).
if want shim; then bash images/build-bind-addr.sh .tools/lib/isobench-bind-addr.so; fi

# 4. Pulumi toolchain.
if want pulumi; then bash scripts/pulumi-toolchain.sh; fi

# 5. Images.
if want images; then
    install -d -m 700 .state
    bash images/build-all.sh
    # .state (Pulumi state, the guest SSH key, image records) is root's alone; isobench keeps it so
    # (core/paths.ts ensurePrivateDir). Guest disks live outside it, where QEMU reaches them.
    find .state -type d ! -perm 700 -exec chmod 700 {} +
fi

log "setup${ONLY:+ of step $ONLY}$([ "$ROLE" = target ] && echo " (machine under test)") finished in $(( $(date +%s) - T0 )) s"
