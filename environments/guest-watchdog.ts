/**
 * A guest whose network stops answering in the middle of a cell (seen here: a 1-vCPU emulated
 * guest under redis-benchmark stopped answering ARP while QEMU sat idle) leaves a client on the
 * host waiting for the cell's whole wall-clock limit, 15 minutes and more, in every retry: a client
 * inside the guest rides SSH with keepalives, a client on the host talking to the guest's server
 * has no bound of its own. The watchdog ends that client's carrier once the guest's kernel has not
 * answered a TCP connection attempt for a while, and says so: the cell fails in two to three
 * minutes with the reason, not at its limit with a bare timeout. It knocks on a port nothing in the
 * guest listens on, so the answer is the kernel's refusal (a RST) and no process in the guest wakes
 * (a knock on sshd would have it fork, and re-exec itself, every time); a refusal and a
 * connection both count as an answer, a timeout or an unreachable host (no ARP reply) do not. A
 * guest that is merely busy, even emulated, still answers within seconds.
 */
import { shellQuote } from "../core/shell";

/** The port the watchdog knocks on: discard (9), which no service of isobench's guest images listens on. */
export const GUEST_KNOCK_PORT = 9;
/** Seconds between two probes. */
export const WATCHDOG_INTERVAL_S = 10;
/** Seconds one probe waits for the handshake. */
export const WATCHDOG_PROBE_S = 5;
/** Probes in a row without an answer before the carrier is ended: 12 × (10 + 5) s, about 2 to 3 minutes of silence. */
export const WATCHDOG_MISSES = 12;
/** The wrapper's exit status when the watchdog ended the carrier (an exit status no carrier here uses). */
export const WATCHDOG_STATUS = 86;
/** The line the wrapper writes on stderr when it fires; the rest of the line says what it saw. */
export const WATCHDOG_MARK = "isobench-watchdog:";

export interface WatchdogOptions {
    readonly intervalS?: number;
    readonly probeS?: number;
    readonly misses?: number;
}

/**
 * argv that runs `argv` (the carrier: a shell running `timeout … sh -c`) with a watchdog beside it
 * that tries to connect to ip:port every intervalS. After `misses` tries in a row without an answer
 * (neither a connection nor a refusal) it sends the carrier and every process under it TERM (then
 * KILL after 10 s), writes WATCHDOG_MARK and what it saw on stderr, and the wrapper exits
 * WATCHDOG_STATUS; otherwise the wrapper exits with the carrier's status. The watchdog ends with
 * the carrier (its sleep and probe with it): nothing is left running. Bash, for /dev/tcp: the
 * machine's /bin/sh may not have it.
 */
export function watchedArgv(argv: readonly string[], ip: string, port: number, o: WatchdogOptions = {}): string[] {
    const interval = o.intervalS ?? WATCHDOG_INTERVAL_S;
    const probe = o.probeS ?? WATCHDOG_PROBE_S;
    const misses = o.misses ?? WATCHDOG_MISSES;
    const connect = `timeout ${probe} bash -c ${shellQuote(`: </dev/tcp/${ip}/${port}`)} 2>"$said"`;
    const script = [
        // The carrier and every process under it: a shell between the wrapper and `timeout` (which
        // makes its own process group) would otherwise die alone, and its children keep the output
        // pipe, and so the caller, waiting until they end by themselves.
        'tree() { for k in $(pgrep -P "$1"); do tree "$k"; done; echo "$1"; }',
        "fired=$(mktemp); said=$(mktemp)",
        'trap \'rm -f "$fired" "$said"\' EXIT',
        // Explicit: a background job of a shell without job control would read /dev/null instead.
        '"$@" <&0 &',
        "c=$!",
        "(",
        "  trap 'kill $p 2>/dev/null; exit 0' TERM",
        "  m=0",
        "  while :; do",
        `    sleep ${interval} & p=$!; wait $p`,
        `    ${connect} & p=$!`,
        '    if wait $p || grep -q "Connection refused" "$said"; then m=0; else m=$((m+1)); fi',
        `    if [ $m -ge ${misses} ]; then`,
        '      why=$(tail -n 1 "$said")',
        `      echo "${WATCHDOG_MARK} no answer from ${ip} to ${misses} TCP connection attempts in a row (port ${port}, ${interval} s apart, each waiting ${probe} s; the last: \${why:-no reply in ${probe} s})" >"$fired"`,
        // Stopped first, the carrier before what it runs: TERM sent one process after another let the
        // carrier, its command gone, run on (print, start the next step) before its own TERM came.
        "      kill -STOP $c 2>/dev/null; t=$(tree $c); kill -STOP $t 2>/dev/null; kill -TERM $t 2>/dev/null; kill -CONT $t 2>/dev/null",
        "      sleep 10 & p=$!; wait $p; kill -KILL $t 2>/dev/null; exit 0",
        "    fi",
        "  done",
        // Its stdio is /dev/null: a sleep it started and a TERM orphaned (the carrier can end between
        // `sleep &` and `p=$!`) would otherwise hold the caller's output pipe until it ends.
        ") </dev/null >/dev/null 2>&1 &",
        "w=$!",
        "wait $c; s=$?",
        "kill -TERM $w 2>/dev/null; wait $w 2>/dev/null",
        `if [ -s "$fired" ]; then cat "$fired" >&2; exit ${WATCHDOG_STATUS}; fi`,
        "exit $s",
    ].join("\n");
    return ["bash", "-c", script, "isobench-watchdog", ...argv];
}
