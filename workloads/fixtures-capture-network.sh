#!/bin/sh
# Captures real output of the network workloads' tools for the parser tests
# (test/fixtures/nuttcp, test/fixtures/netperf, test/fixtures/iperf).
#
# Usage: workloads/fixtures-capture-network.sh [OUTDIR]
#   OUTDIR defaults to a fresh temporary directory so that a casual run never overwrites the
#   committed fixtures (the unit tests assert the exact numbers in them).
#
# Servers and clients both run on 127.0.0.1 on ports 15000-15003 (away from the workloads' own
# ports), each server in the foreground of a background job that the trap always stops. The
# marker lines are the ones the workloads' client commands print between runs.
set -eu

OUT=${1:-$(mktemp -d /tmp/isobench-fixtures.XXXXXX)}
mkdir -p "$OUT/nuttcp" "$OUT/netperf" "$OUT/iperf"
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

nuttcp -S -P15000 --nofork >/dev/null 2>&1 & PIDS="$PIDS $!"
netserver -D -4 -p 15002 >/dev/null 2>&1 & PIDS="$PIDS $!"
iperf3 -s -p 15003 >/dev/null 2>&1 & PIDS="$PIDS $!"
sleep 1

# ---- nuttcp ------------------------------------------------------------------------------------
NV=$(nuttcp -V | sed -n 's/^nuttcp-\([0-9.]*\).*/\1/p')
nuttcp -V > "$OUT/nuttcp/nuttcp-$NV-version.txt"
{
    echo '### isobench nuttcp direction=transmit'; nuttcp -T2 -P15000 -p15001 -t 127.0.0.1
    echo '### isobench nuttcp direction=receive'; nuttcp -T2 -P15000 -p15001 -r -F 127.0.0.1
} > "$OUT/nuttcp/nuttcp-$NV-T2-transmit-receive.txt"
# Nothing listening on the control port.
timeout 10 nuttcp -T2 -P15009 -p15001 -t 127.0.0.1 > "$OUT/nuttcp/nuttcp-$NV-connection-refused.txt" 2>&1 || true

# ---- netperf -----------------------------------------------------------------------------------
PV=$(netserver -V | sed -n 's/^Netperf version \([0-9.]*\).*/\1/p')
netserver -V > "$OUT/netperf/netperf-$PV-version.txt"
{
    echo '### isobench netperf test=TCP_RR'; netperf -4 -H 127.0.0.1 -p 15002 -l 2 -t TCP_RR -- -r 100,200 -P ,15001
    echo '### isobench netperf test=UDP_RR'; netperf -4 -H 127.0.0.1 -p 15002 -l 2 -t UDP_RR -- -r 100,200 -P ,15001
} > "$OUT/netperf/netperf-$PV-l2-tcp_rr-udp_rr.txt"
timeout 10 netperf -4 -H 127.0.0.1 -p 15009 -l 2 -t TCP_RR -- -r 100,200 > "$OUT/netperf/netperf-$PV-connection-refused.txt" 2>&1 || true

# ---- iperf3 ------------------------------------------------------------------------------------
IV=$(iperf3 --version | sed -n 's/^iperf \([0-9.]*\).*/\1/p')
iperf3 --version > "$OUT/iperf/iperf3-$IV-version.txt"
{
    echo '### isobench iperf direction=transmit'; iperf3 -c 127.0.0.1 -p 15003 -t 2 -P 1 --json
    echo '### isobench iperf direction=receive'; iperf3 -c 127.0.0.1 -p 15003 -t 2 -P 1 -R --json
} > "$OUT/iperf/iperf3-$IV-t2-transmit-receive.json.txt"
timeout 10 iperf3 -c 127.0.0.1 -p 15009 -t 2 --json > "$OUT/iperf/iperf3-$IV-connection-refused.json.txt" 2>&1 || true

echo "fixtures written to $OUT"
