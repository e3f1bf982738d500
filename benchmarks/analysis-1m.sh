#!/usr/bin/env bash
# Figures of the analysis issue, measured on this machine and printed (never asserted in tests):
# `isobench analyze` of N synthetic sample rows (default 1,000,000) in a temp results dir:
# wall time and peak resident memory (GNU time). Goals: < 10 s, < 1 GiB.
# Usage: benchmarks/analysis-1m.sh [rows] [extra analyze options, e.g. --no-plots]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
rows="${1:-1000000}"
shift || true
tmp="$(mktemp -d /tmp/isobench-analysis-1m.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
[ -x /usr/bin/time ] || { echo "[bench] /usr/bin/time (GNU time) is needed: apt-get install time" >&2; exit 1; }

echo "[bench] generating $rows sample rows in $tmp/run/cells ..."
t0=$(date +%s.%N)
written=$(node -r "$ROOT/node_modules/ts-node/register/transpile-only" "$ROOT/benchmarks/analysis-1m-generate.ts" "$tmp/run" "$rows")
t1=$(date +%s.%N)
files=$(ls "$tmp/run/cells" | wc -l)
size=$(du -sh "$tmp/run/cells" | cut -f1)
echo "[bench] $written rows in $files files ($size) generated in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"

/usr/bin/time -v -o "$tmp/time.txt" "$ROOT/bin/isobench" analyze "$tmp/run" "$@" >"$tmp/stdout.md" 2>"$tmp/stderr.txt" || {
    echo "[bench] analyze failed:" >&2; cat "$tmp/stderr.txt" >&2; exit 1; }
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
user=$(sed -n 's/.*User time (seconds): //p' "$tmp/time.txt")
sys=$(sed -n 's/.*System time (seconds): //p' "$tmp/time.txt")
load=$(cut -d' ' -f1-3 /proc/loadavg)
grep -E "^analyze: [0-9]+ samples from" "$tmp/stderr.txt" || true
echo "analysis of $written sample rows: wall $wall (m:ss), CPU user $user s + sys $sys s, peak RSS $((rss_kb / 1024)) MiB (goals: < 10 s, < 1024 MiB); load average $load on $(nproc) cores"
