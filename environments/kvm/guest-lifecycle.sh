#!/usr/bin/env bash
# Lifecycle of one isobench KVM guest, driven by `virsh` (DESIGN.md "Pulumi specifics": guests are
# command resources that render domain XML, define/start with virsh, wait for SSH, undefine on
# delete). Every virsh call runs under `timeout`, so a hung or absent libvirtd fails the step
# instead of hanging `pulumi up`. Progress goes to stderr; stdout carries only results.
#
#   guest-lifecycle.sh create   <name> <xml-file> <base-qcow2> <disk-path> [<grow-bytes>]
#   guest-lifecycle.sh wait-ssh <name> <ssh-key> <timeout-s>    # last stdout line: the guest's IP
#   guest-lifecycle.sh grow-root <name> <ssh-key>               # grow the root filesystem to its disk
#   guest-lifecycle.sh ip       <name>                          # the guest's DHCP address
#   guest-lifecycle.sh state    <name>                          # virsh domstate, or "absent"; fails when libvirt does not answer
#   guest-lifecycle.sh start    <name> <ssh-key> <timeout-s>    # start a shut-off guest (resume a paused one), then wait-ssh
#   guest-lifecycle.sh stop     <name> <timeout-s> [<ssh-key>]  # shut the guest off: poweroff over SSH (else ACPI), forced after timeout-s
#   guest-lifecycle.sh delete   <name> <disk-path>              # idempotent
#   guest-lifecycle.sh delete-clones <name> <disk-dir>          # leftover <name>-c<k> clones, idempotent
#   guest-lifecycle.sh vcpupin  <name>                          # `virsh vcpupin` as libvirt reports it
#
# Environment: LIBVIRT_DEFAULT_URI (default qemu:///system), ISOBENCH_VIRSH_TIMEOUT (seconds per
# virsh call, default 60), ISOBENCH_SSH_USER (default root).
#
# The guest's disk is made in the format its XML declares (<driver type=…> of the disk): qcow2 →
# an overlay on the base (<name>.qcow2), raw → a full copy of the base (<name>.img, qemu-img
# convert). delete removes either, never anything else (the bases are read-only qcow2 without a
# backing file). UEFI guests' variable stores go with `virsh undefine --nvram`. With <grow-bytes>
# the disk is that much larger than the base (qemu-img resize before the first boot), and
# grow-root, after wait-ssh, grows the guest's root ext4 to it online (resize2fs; the image's root
# filesystem is the whole disk, no partition table).
#
# Host keys: every guest makes its own at first boot and announces the public ed25519 key on its
# serial console ("isobench-host-key ssh-ed25519 <base64>", images/build-guest-image.sh). wait-ssh
# records it under the domain's name in the known_hosts beside the guest's disk (one per stack
# folder) before the first connection, and connects with strict checking against that entry; a
# guest that announces another key, or a server at the guest's address with another key, is
# refused. create and delete drop the entry (a new guest is a new identity).
set -euo pipefail
# Pipelines below never end in a reader that exits early (head, grep -q, awk exit): under
# pipefail the writer's SIGPIPE would fail the pipeline and, through set -e, the script.

readonly PROG=guest-lifecycle
readonly URI="${LIBVIRT_DEFAULT_URI:-qemu:///system}"
readonly VIRSH_TIMEOUT="${ISOBENCH_VIRSH_TIMEOUT:-60}"
readonly SSH_USER="${ISOBENCH_SSH_USER:-root}"

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '7,14p' "$0" | sed 's/^#  *//' >&2; exit 2; }

# All virsh calls go through here.
v() { timeout --kill-after=5 "$VIRSH_TIMEOUT" virsh -c "$URI" "$@"; }

# Fails (with the reason) unless libvirtd answers; distinguishes "daemon down" from "domain gone".
require_libvirt() {
    local out
    if ! out=$(v list --all --name 2>&1); then
        die "libvirt at $URI is not reachable (start it: virtlogd -d; libvirtd -d; virsh net-start default): $out"
    fi
}

# 0 when the domain is defined, 1 when it is not; exits when libvirt does not answer.
domain_exists() {
    local names
    names=$(v list --all --name 2>&1) || die "cannot list domains at $URI: $names"
    grep -Fxq -- "$1" <<<"$names"
}

domain_state() { v domstate "$1" 2>/dev/null | awk 'NR == 1 { print }'; }

# MAC and network of the guest's first interface (`virsh domiflist`: Interface Type Source Model MAC).
# (No regex interval expressions: Debian's default awk is mawk.)
first_iface() { v domiflist "$1" | awk '!done && NF >= 5 && length($5) == 17 && $5 ~ /^[0-9a-fA-F:]+$/ { print $5, $3; done = 1 }'; }

# Current IPv4 address from the DHCP lease of the guest's MAC, empty when none yet.
lease_ip() {
    local name=$1 mac net ip
    read -r mac net < <(first_iface "$name") || true
    [[ -n "${mac:-}" ]] || return 0
    ip=$(v domifaddr "$name" --source lease 2>/dev/null \
        | awk -v mac="$mac" '!done && $2 == mac && $3 == "ipv4" { sub(/\/.*/, "", $4); print $4; done = 1 }') || true
    if [[ -z "$ip" && -n "${net:-}" ]]; then
        ip=$(v net-dhcp-leases "$net" --mac "$mac" 2>/dev/null \
            | awk '$4 == "ipv4" { sub(/\/.*/, "", $5); print $5 }' | tail -n1) || true
    fi
    printf '%s' "$ip"
}

# Path of the file-backed serial console from the live XML, empty when there is none.
serial_log_path() {
    v dumpxml "$1" 2>/dev/null | awk '
        /<serial type=.file.>/ { inside = 1; next }
        inside && /<\/serial>/ { inside = 0 }
        inside && /<source path=/ {
            if (!done && match($0, /path=.[^"\047]*/)) { print substr($0, RSTART + 6, RLENGTH - 6); done = 1 }
        }' | sed -e "s/&apos;/'/g" -e 's/&quot;/"/g' -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

show_serial_tail() {
    local path
    path=$(serial_log_path "$1")
    if [[ -z "$path" ]]; then
        log "no file-backed serial console configured for $1 (add serialLogPath to see the boot log)"
    elif [[ -r "$path" ]]; then
        log "last 30 lines of the serial log $path:"
        tail -n 30 -- "$path" >&2
    else
        log "serial log $path is not readable"
    fi
}

# The known_hosts of the guests whose disks are in folder $1 (environments/kvm/guest-files.ts knownHostsOf).
known_hosts_in() { printf '%s/known_hosts' "$1"; }

# Disk of a defined domain (vda or sda), empty when it has none.
domain_disk() { v domblklist "$1" | awk '!done && ($1 == "vda" || $1 == "sda") { print $2; done = 1 }'; }

# The one host key (type and base64) the guest announced on its serial console, empty when none
# yet; fails when it announced two different ones. Only whole lines count: the kernel may write
# into the middle of a line on the same console.
announced_host_key() {
    local path keys
    path=$(serial_log_path "$1")
    [[ -n "$path" && -r "$path" ]] || return 0
    keys=$(tr -d '\r' <"$path" | sed -n 's/^isobench-host-key \(ssh-ed25519 [A-Za-z0-9+\/]\{68\}\)$/\1/p' | sort -u)
    if [[ $(grep -c . <<<"$keys") -gt 1 ]]; then
        die "$1 announced more than one host key on its serial console $path: $(paste -sd' ' <<<"$keys")"
    fi
    printf '%s' "$keys"
}

# The key recorded for alias $2 in known_hosts $1 (type and base64), empty when none.
recorded_host_key() {
    [[ -f "$1" ]] || return 0
    awk -v a="$2" '$1 == a { print $2, $3; exit }' "$1"
}

# Rewrite known_hosts $1 without alias $2 and, when $3 is given, with "$2 $3". flock on the folder:
# guests of one stack boot at the same time. The file goes with its last entry.
set_host_key() {
    local file=$1 alias=$2 key=${3:-} dir
    dir=$(dirname -- "$file")
    [[ -d "$dir" ]] || return 0
    ALIAS="$alias" KEY="$key" FILE="$file" flock "$dir" sh -c '
        umask 077
        tmp="$FILE.tmp.$$"
        { [ -f "$FILE" ] && awk -v a="$ALIAS" "\$1 != a" "$FILE"; [ -z "$KEY" ] || printf "%s %s\n" "$ALIAS" "$KEY"; } >"$tmp" || true
        if [ -s "$tmp" ]; then mv -f "$tmp" "$FILE"; else rm -f "$tmp" "$FILE"; fi'
}

# Format of the disk in a domain XML: the type of the first <driver name='qemu' type=…> (the
# NIC's driver element has no type); qcow2 when the XML names none.
disk_format_of() {
    local t
    t=$(sed -n "s/.*<driver name=.qemu. type=.\([a-z0-9]*\)..*/\1/p" "$1" | sed -n 1p)
    printf '%s' "${t:-qcow2}"
}

# EXIT trap of cmd_create: on failure, undo what create made (domain, overlay), keep the exit code.
CREATE_NAME="" CREATE_OVERLAY="" CREATED_OVERLAY=0 CREATE_DEFINED=0
# shellcheck disable=SC2317  # invoked through the trap
cleanup_failed_create() {
    local rc=$?
    [[ $rc -ne 0 ]] || return 0
    log "create of $CREATE_NAME failed; removing what it made"
    if [[ $CREATE_DEFINED -eq 1 ]]; then
        v destroy "$CREATE_NAME" >/dev/null 2>&1 || true
        v undefine --nvram "$CREATE_NAME" >/dev/null 2>&1 || v undefine "$CREATE_NAME" >/dev/null 2>&1 || true
    fi
    [[ $CREATED_OVERLAY -eq 0 ]] || rm -f -- "$CREATE_OVERLAY"
    exit "$rc"
}

cmd_create() {
    [[ $# -eq 4 || $# -eq 5 ]] || usage
    local name=$1 xml=$2 base=$3 overlay=$4 grow=${5:-0} xml_name
    [[ "$grow" =~ ^[0-9]+$ ]] || die "grow-bytes must be a whole number of bytes, got $grow"
    [[ -r "$xml" ]] || die "domain XML $xml is not readable"
    [[ -r "$base" ]] || die "base image $base is not readable"
    [[ "$overlay" == /* ]] || die "overlay path must be absolute, got $overlay"
    xml_name=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$xml" | sed -n 1p)
    [[ "$xml_name" == "$name" ]] || die "$xml defines domain '$xml_name', not '$name'"
    require_libvirt
    if domain_exists "$name"; then
        die "domain $name already exists; delete it first ($0 delete $name $overlay)"
    fi
    [[ ! -e "$overlay" ]] || die "overlay $overlay already exists; delete it first ($0 delete $name $overlay)"

    CREATE_NAME=$name CREATE_OVERLAY=$overlay CREATED_OVERLAY=0 CREATE_DEFINED=0
    trap cleanup_failed_create EXIT

    local format
    format=$(disk_format_of "$xml")
    mkdir -p -- "$(dirname -- "$overlay")"
    case "$format" in
        qcow2)
            log "creating qcow2 overlay $overlay on $base"
            CREATED_OVERLAY=1
            timeout 60 qemu-img create -q -f qcow2 -F qcow2 -b "$(realpath -- "$base")" "$overlay" >&2 ;;
        raw)
            [[ "$overlay" == *.img ]] || die "a raw disk copy must be named *.img (delete recognises it by that), got $overlay"
            log "copying $base to the raw disk $overlay"
            CREATED_OVERLAY=1
            # -U: running guests hold the shared base open read-only; the copy only reads it too.
            timeout 600 qemu-img convert -U -O raw "$base" "$overlay" >&2 ;;
        *) die "$xml declares disk format '$format'; only qcow2 and raw are supported" ;;
    esac
    if [[ "$grow" -gt 0 ]]; then
        log "growing $overlay by $grow bytes"
        timeout 60 qemu-img resize -q -f "$format" "$overlay" "+$grow" >&2
    fi

    log "defining $name from $xml"
    v define "$xml" >&2
    CREATE_DEFINED=1
    local disk
    disk=$(domain_disk "$name")
    [[ "$disk" == "$overlay" ]] || die "$name's disk is '$disk', not $overlay"

    # A new guest is a new identity: no earlier key of this name, no earlier console output.
    set_host_key "$(known_hosts_in "$(dirname -- "$overlay")")" "$name"
    local serial
    serial=$(serial_log_path "$name")
    [[ -z "$serial" ]] || rm -f -- "$serial"
    log "starting $name"
    v start "$name" >&2
    trap - EXIT
    log "$name is $(domain_state "$name")"
}

# `ssh` to the guest <name> at <ip> as $SSH_USER, checking the host key recorded under its name in
# <known>, bounded by <timeout-s>:  guest_ssh <timeout-s> <key> <known> <name> <ip> <command>
guest_ssh() {
    local limit=$1 key=$2 known=$3 name=$4 ip=$5
    shift 5
    timeout "$limit" ssh -i "$key" -n -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR \
        -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$known" -o GlobalKnownHostsFile=/dev/null \
        -o HostKeyAlias="$name" -o CheckHostIP=no -o UpdateHostKeys=no -o HostKeyAlgorithms=ssh-ed25519 \
        "$SSH_USER@$ip" "$@"
}

cmd_wait_ssh() {
    [[ $# -eq 3 ]] || usage
    local name=$1 key=$2 limit=$3 deadline ip="" state disk known announced recorded err
    [[ "$limit" =~ ^[0-9]+$ ]] || die "timeout must be whole seconds, got $limit"
    [[ -r "$key" ]] || die "SSH key $key is not readable"
    require_libvirt
    domain_exists "$name" || die "domain $name does not exist"
    disk=$(domain_disk "$name")
    [[ -n "$disk" ]] || die "$name has no disk (vda or sda)"
    known=$(known_hosts_in "$(dirname -- "$disk")")
    [[ -n "$(serial_log_path "$name")" ]] ||
        die "$name has no file-backed serial console, where the guest announces its SSH host key. Fix: give the domain a serialLogPath"
    deadline=$((SECONDS + limit))
    log "waiting up to ${limit}s for a DHCP lease of $name, its host key on the serial console and SSH as $SSH_USER"
    while ((SECONDS < deadline)); do
        state=$(domain_state "$name")
        if [[ "$state" != "running" ]]; then
            log "$name is '$state', not running"
            show_serial_tail "$name"
            die "$name stopped while waiting for SSH"
        fi
        announced=$(announced_host_key "$name")
        recorded=$(recorded_host_key "$known" "$name")
        if [[ -n "$announced" && -n "$recorded" && "$announced" != "$recorded" ]]; then
            die "$name's host key changed: $known records '$recorded', the guest announces '$announced'. Fix: if the guest was recreated outside isobench, delete it ($0 delete $name $disk) and create it again"
        fi
        if [[ -z "$recorded" && -n "$announced" ]]; then
            set_host_key "$known" "$name" "$announced"
            log "recorded $name's host key ${announced% *} ${announced#* } in $known"
            recorded=$announced
        fi
        ip=$(lease_ip "$name")
        if [[ -n "$ip" && -n "$recorded" ]]; then
            if err=$(guest_ssh 15 "$key" "$known" "$name" "$ip" true 2>&1 >/dev/null); then
                log "$name answers SSH at $ip after $((limit - (deadline - SECONDS)))s"
                printf '%s\n' "$ip"
                return 0
            fi
            if [[ "$err" == *"IDENTIFICATION HAS CHANGED"* || "$err" == *"Host key verification failed"* ]]; then
                die "the SSH server at $ip is not $name: its host key is not the one $name announced (recorded in $known). Refusing to connect"
            fi
        fi
        sleep 2
    done
    if [[ -z "$recorded" ]]; then log "$name announced no host key on its serial console within ${limit}s (an image built before guests made their own keys? Fix: bash images/build-guest-image.sh)"
    elif [[ -n "$ip" ]]; then log "$name has lease $ip but SSH did not answer within ${limit}s"
    else log "$name got no DHCP lease within ${limit}s"; fi
    show_serial_tail "$name"
    die "timed out waiting for SSH on $name"
}

# The guest's root filesystem grown to its disk (create's <grow-bytes>): resize2fs on the mounted
# root, over SSH with the host key wait-ssh recorded. Idempotent: a filesystem as large as its disk
# is left as it is.
cmd_grow_root() {
    [[ $# -eq 2 ]] || usage
    local name=$1 key=$2 disk ip known out
    require_libvirt
    domain_exists "$name" || die "domain $name does not exist"
    disk=$(domain_disk "$name")
    known=$(known_hosts_in "$(dirname -- "$disk")")
    ip=$(lease_ip "$name")
    [[ -n "$ip" ]] || die "$name has no DHCP lease; wait-ssh first"
    # The root device as the guest mounted it (/dev/vda, /dev/sda by its disk bus).
    if ! out=$(guest_ssh 120 "$key" "$known" "$name" "$ip" 'resize2fs "$(findmnt -n -o SOURCE /)"' 2>&1); then
        die "cannot grow the root filesystem of $name to its disk (resize2fs): $out"
    fi
    log "$name: root filesystem grown to its disk"
}

cmd_ip() {
    [[ $# -eq 1 ]] || usage
    require_libvirt
    domain_exists "$1" || die "domain $1 does not exist"
    local ip
    ip=$(lease_ip "$1")
    [[ -n "$ip" ]] || die "$1 has no DHCP lease (yet)"
    printf '%s\n' "$ip"
}

cmd_state() {
    [[ $# -eq 1 ]] || usage
    require_libvirt
    if domain_exists "$1"; then
        local state
        state=$(domain_state "$1")
        [[ -n "$state" ]] || die "cannot read the state of $1"
        printf '%s\n' "$state"
    else
        printf 'absent\n'
    fi
}

# A guest that a host reboot, a libvirtd restart or a crash left shut off comes back with its own
# disk, and so with the host key it made at its first boot: wait-ssh checks it as before.
cmd_start() {
    [[ $# -eq 3 ]] || usage
    local name=$1 state
    require_libvirt
    domain_exists "$name" || die "domain $name does not exist"
    state=$(domain_state "$name")
    case "$state" in
        running) ;;
        paused) log "resuming $name"; v resume "$name" >&2 ;;
        "shut off" | crashed) log "starting $name ($state)"; v start "$name" >&2 ;;
        *) die "$name is '$state'; not starting it" ;;
    esac
    cmd_wait_ssh "$@"
}

# The grouped schedule (environments/kvm/guest-schedule.ts) shuts a guest off after its group of
# cells, so that its memory goes back to the host: a clean shutdown (the guest's disk stays
# consistent for its next boot), forced off (virsh destroy) when the guest has not gone down after
# <timeout-s>. With <ssh-key> the guest is told over SSH (systemctl poweroff): the image has no
# D-Bus, so systemd-logind does not run and an ACPI power button request (virsh shutdown, the
# fallback) is ignored there. A paused guest is resumed first: paused, it would not see either.
# Prints "shutdown" or "forced" (nothing when it was shut off already).
cmd_stop() {
    [[ $# -eq 2 || $# -eq 3 ]] || usage
    local name=$1 timeout=$2 key=${3:-} state deadline ip
    require_libvirt
    domain_exists "$name" || die "domain $name does not exist"
    state=$(domain_state "$name")
    case "$state" in
        "shut off") return 0 ;;
        paused) log "resuming $name to shut it down"; v resume "$name" >&2 ;;
    esac
    log "shutting $name down ($state)"
    ip=""
    [[ -z "$key" ]] || ip=$(lease_ip "$name")
    # The session ends with the guest, so its exit status says nothing; the state below does.
    if [[ -n "$ip" ]]; then
        guest_ssh 30 "$key" "$(known_hosts_in "$(dirname -- "$(domain_disk "$name")")")" "$name" "$ip" 'systemctl poweroff' >&2 2>&1 \
            || v shutdown "$name" >&2 || true
    else
        v shutdown "$name" >&2 || true
    fi
    deadline=$((SECONDS + timeout))
    while ((SECONDS < deadline)); do
        if [[ "$(domain_state "$name")" == "shut off" ]]; then
            printf 'shutdown\n'
            return 0
        fi
        sleep 1
    done
    log "$name did not shut down within $timeout s; forcing it off"
    v destroy "$name" >&2 || [[ "$(domain_state "$name")" == "shut off" ]] || die "cannot stop $name"
    printf 'forced\n'
}

cmd_delete() {
    [[ $# -eq 2 ]] || usage
    local name=$1 overlay=$2 state
    require_libvirt
    if domain_exists "$name"; then
        state=$(domain_state "$name")
        if [[ "$state" != "shut off" ]]; then
            log "stopping $name ($state)"
            v destroy "$name" >&2 || [[ "$(domain_state "$name")" == "shut off" ]] \
                || die "cannot stop $name"
        fi
        log "undefining $name"
        v undefine --nvram "$name" >&2 2>/dev/null || v undefine "$name" >&2 || true
        ! domain_exists "$name" || die "$name is still defined after undefine"
    else
        log "domain $name is already gone"
    fi
    if [[ -e "$overlay" ]]; then
        [[ -f "$overlay" ]] || die "$overlay is not a regular file; not removing it"
        # Refuse to delete anything that is not a guest's own disk (e.g. the base image passed by
        # mistake): a qcow2 overlay has a backing file; a raw copy is named *.img, is probed as
        # raw and has its owner's write bit (bases are chmod 444; test -w is always true for root).
        local info
        info=$(timeout 60 qemu-img info -U --output=json -- "$overlay" 2>/dev/null) || info=""
        if [[ "$info" == *'"backing-filename"'* ]]; then
            log "removing overlay $overlay"
        elif [[ "$overlay" == *.img && "$info" == *'"format": "raw"'* && -n "$(find "$overlay" -maxdepth 0 -perm -u=w)" ]]; then
            log "removing raw disk copy $overlay"
        else
            die "$overlay is neither a qcow2 overlay with a backing file nor a writable raw copy named *.img; not removing it"
        fi
        rm -f -- "$overlay"
    else
        log "disk $overlay is already gone"
    fi
    set_host_key "$(known_hosts_in "$(dirname -- "$overlay")")" "$name"
}

# Clones (environments/clone.ts) are named <name>-c<k> with disk, XML and serial log
# <disk-dir>/<name>-c<k>.{qcow2|img,xml,serial.log}; a killed measurement can leave them behind.
cmd_delete_clones() {
    [[ $# -eq 2 ]] || usage
    local name=$1 dir=$2 clone f names
    require_libvirt
    names=$(v list --all --name 2>&1) || die "cannot list domains at $URI: $names"
    while IFS= read -r clone; do
        [[ "$clone" =~ ^.+-c[1-9][0-9]*$ && "${clone%-c*}" == "$name" ]] || continue
        log "removing leftover clone $clone"
        f="$dir/$clone.qcow2"
        [[ -e "$f" || ! -e "$dir/$clone.img" ]] || f="$dir/$clone.img"
        cmd_delete "$clone" "$f"
        rm -f -- "$dir/$clone.xml" "$dir/$clone.serial.log"
    done <<<"$names"
    for f in "$dir/$name"-c*.qcow2 "$dir/$name"-c*.img; do
        [[ -e "$f" ]] || continue
        clone=$(basename -- "$f"); clone=${clone%.*}
        [[ "$clone" =~ -c[1-9][0-9]*$ && "${clone%-c*}" == "$name" ]] || continue
        cmd_delete "$clone" "$f"
        rm -f -- "$dir/$clone.xml" "$dir/$clone.serial.log"
    done
}

cmd_vcpupin() {
    [[ $# -eq 1 ]] || usage
    require_libvirt
    domain_exists "$1" || die "domain $1 does not exist"
    v vcpupin "$1"
}

main() {
    [[ $# -ge 1 ]] || usage
    local sub=$1
    shift
    case "$sub" in
        create) cmd_create "$@" ;;
        wait-ssh) cmd_wait_ssh "$@" ;;
        grow-root) cmd_grow_root "$@" ;;
        ip) cmd_ip "$@" ;;
        state) cmd_state "$@" ;;
        start) cmd_start "$@" ;;
        stop) cmd_stop "$@" ;;
        delete) cmd_delete "$@" ;;
        delete-clones) cmd_delete_clones "$@" ;;
        vcpupin) cmd_vcpupin "$@" ;;
        -h | --help | help) usage ;;
        *) log "unknown subcommand '$sub'"; usage ;;
    esac
}

main "$@"
