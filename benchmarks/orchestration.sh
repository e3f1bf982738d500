#!/usr/bin/env bash
# Orchestration figures of `isobench up quick`, measured on this machine and printed (never
# asserted in tests): wall time, time in cells, median and p95 gap between one cell's done and the
# next one's start, guest boot time, a no-change `up`, and the overhead with and without the boot.
#   --setup           also time `bash scripts/setup.sh` with nothing to do
#   --from-scratch    remove .tools .cache .state node_modules build and isobench images first, and
#                     time setup from scratch
# The quick stack runs under a fresh runId (stacks/Pulumi.quick.yaml is restored on exit) and is
# destroyed at the end; its results stay under results/quick/<runId>.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

case "${1:-}" in
    --from-scratch)
        echo "[bench] removing .tools .cache .state node_modules build and isobench images"
        rm -rf .tools .cache .state node_modules build
        docker images --format '{{.Repository}}:{{.Tag}}' | grep '^isobench-bench:' | xargs -r docker rmi -f >/dev/null
        t0=$(now); bash scripts/setup.sh >/tmp/isobench-setup-scratch.log 2>&1; t1=$(now)
        echo "setup from scratch: $(secs "$t0" "$t1") s" ;;
    --setup)
        t0=$(now); bash scripts/setup.sh >/tmp/isobench-setup-noop.log 2>&1; t1=$(now)
        echo "setup with nothing to do: $(secs "$t0" "$t1") s" ;;
    "") ;;
    *) echo "usage: benchmarks/orchestration.sh [--setup|--from-scratch]" >&2; exit 2 ;;
esac
./bin/isobench build

runid="bench-$(date +%Y%m%d%H%M%S)"
stackfile=stacks/Pulumi.quick.yaml
backup="$(mktemp)"
cp "$stackfile" "$backup"
trap 'cp "$backup" "$stackfile"; rm -f "$backup"' EXIT
sed -i "s/^  isobench:runId: .*/  isobench:runId: $runid/" "$stackfile"

since="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
t0=$(now); ./bin/isobench up quick >/tmp/isobench-up.log 2>&1 || { echo "isobench up quick failed: /tmp/isobench-up.log" >&2; exit 1; }; t1=$(now)
wall=$(secs "$t0" "$t1")
dir="results/quick/$runid"
# A no-change up three times: one start of Pulumi, its language host and the dynamic provider is
# noisy on two cores; the median is the figure.
nochanges=()
for _ in 1 2 3; do
    t0=$(now); ./bin/isobench up quick >/tmp/isobench-up2.log 2>&1; t1=$(now)
    nochanges+=("$(secs "$t0" "$t1")")
done
nochange="$(printf '%s\n' "${nochanges[@]}" | sort -n | sed -n 2p) (median of ${nochanges[*]})"
export PATH="$ROOT/.tools/bin:$PATH" PULUMI_BACKEND_URL="file://$ROOT/.state/pulumi" PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-isobench}" PULUMI_HOME="$ROOT/.state/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true
reports="$(pulumi stack output --stack quick --json readyReports)"
# Guests report "<ip>\nready_s=<define -> SSH ready>"; the longest is the boot the cells waited for.
boot="$(printf '%s' "$reports" | node -e 'const r=JSON.parse(require("fs").readFileSync(0,"utf8"));let b=0;for(const v of Object.values(r)){if(/^\d+\.\d+\.\d+\.\d+\n/.test(v)){const m=/ready_s=([0-9.]+)/.exec(v);if(m)b=Math.max(b,Number(m[1]));}}console.log(b)')"
node build/benchmarks/orchestration-figures.js "$dir/progress.log" "$since" "$wall" "${boot:-0}"
echo "no-change isobench up quick: $nochange s"
echo "environment ready times:"
printf '%s\n' "$reports"
./bin/isobench destroy quick >/tmp/isobench-destroy.log 2>&1 && echo "destroyed; results kept in $dir"
