#!/bin/sh
# Captures real tool output for the parser tests (test/fixtures/sysbench-cpu, test/fixtures/redis).
#
# Usage: workloads/fixtures-capture.sh [OUTDIR]
#   OUTDIR defaults to a fresh temporary directory so that a casual run never overwrites the
#   committed fixtures (the unit tests assert the exact numbers in them). Pass test/fixtures to
#   replace them on purpose, then update the expected numbers in test/unit/workloads-*.test.ts.
#
# Needs sysbench, redis-server, redis-cli and redis-benchmark on PATH. Starts one redis-server on
# 127.0.0.1:$PORT (default 6390) and always stops it again (trap), so nothing is left running.
# File names carry the tool version reported by the tool itself.
set -eu

OUT=${1:-$(mktemp -d /tmp/isobench-fixtures.XXXXXX)}
PORT=${PORT:-6390}
TESTS=ping_inline,set,get,lpush,lpop,sadd
N=2000

mkdir -p "$OUT/sysbench-cpu" "$OUT/redis"

# ---- sysbench cpu ------------------------------------------------------------------------------
SB_VERSION=$(sysbench --version | sed -n 's/^sysbench \([0-9][0-9.]*\).*/\1/p')
sysbench --version > "$OUT/sysbench-cpu/sysbench-$SB_VERSION-version.txt"
# KEK-style parameters (the workload defaults).
sysbench cpu --cpu-max-prime=20000 --threads=1 --time=10 run \
    > "$OUT/sysbench-cpu/sysbench-$SB_VERSION-cpu-prime20000-threads1-time10.txt"
# A second, short multi-threaded run (different column widths, non-zero fairness stddev).
sysbench cpu --cpu-max-prime=2000 --threads=2 --time=2 run \
    > "$OUT/sysbench-cpu/sysbench-$SB_VERSION-cpu-prime2000-threads2-time2.txt"

# ---- redis -------------------------------------------------------------------------------------
RS_VERSION=$(redis-server --version | sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p')
RB_VERSION=$(redis-benchmark --version | sed -n 's/^redis-benchmark \([0-9][0-9.]*\).*/\1/p')
redis-server --version > "$OUT/redis/redis-server-$RS_VERSION-version.txt"

redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no > "$OUT/redis/.server.log" 2>&1 &
SERVER_PID=$!
cleanup() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    rm -f "$OUT/redis/.server.log"
}
trap cleanup EXIT INT TERM

i=0
until redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null | grep -qx PONG; do
    i=$((i + 1))
    if [ "$i" -gt 50 ]; then echo "redis-server did not answer PING on port $PORT" >&2; exit 1; fi
    sleep 0.1
done

# redis-benchmark never gives up on an unreachable server, hence the timeouts.
BENCH="timeout 60 redis-benchmark -h 127.0.0.1 -p $PORT -c 50 -n $N -d 50 -r 100000 -t $TESTS"
$BENCH --csv > "$OUT/redis/redis-benchmark-$RB_VERSION-csv.txt"
$BENCH > "$OUT/redis/redis-benchmark-$RB_VERSION-human.txt"
$BENCH -q > "$OUT/redis/redis-benchmark-$RB_VERSION-quiet.txt"

# What redis-benchmark prints when nothing listens on the port (it then retries forever:
# captured for 3 seconds, then killed by timeout).
FREE_PORT=$((PORT + 1))
timeout 3 redis-benchmark -h 127.0.0.1 -p "$FREE_PORT" -c 50 -n $N -d 50 -r 100000 -t set,get --csv \
    > "$OUT/redis/redis-benchmark-$RB_VERSION-connection-refused.txt" 2>&1 || true

echo "fixtures written to $OUT"
