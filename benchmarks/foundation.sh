#!/usr/bin/env bash
# Figures of the foundation issue, measured on this machine and printed (never asserted in tests):
#  - setup with nothing to do (wall time); setup from scratch is measured by timing a fresh clone's
#    `bash scripts/setup.sh` (pass --from-scratch to remove .tools/.cache/.state and images first);
#  - `isobench up quick`: total wall time, sum of cell run times, orchestration overhead %;
#  - a no-change `isobench up quick`;
#  - KVM guest define → SSH-ready and container create → ready (from the stack's outputs).
# Usage: benchmarks/foundation.sh [--from-scratch]   (destroys the quick stack at the end; results stay)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

if [ "${1:-}" = "--from-scratch" ]; then
    echo "[bench] removing .tools .cache .state node_modules and isobench images"
    rm -rf .tools .cache .state node_modules
    docker images --format '{{.Repository}}:{{.Tag}}' | grep '^isobench-bench:' | xargs -r docker rmi -f >/dev/null
    t0=$(now); bash scripts/setup.sh >/tmp/isobench-setup-scratch.log 2>&1; t1=$(now)
    echo "setup from scratch: $(secs "$t0" "$t1") s"
fi
t0=$(now); bash scripts/setup.sh >/tmp/isobench-setup-noop.log 2>&1; t1=$(now)
echo "setup with nothing to do: $(secs "$t0" "$t1") s"

runid="bench-$(date +%Y%m%d%H%M%S)"
stackfile=stacks/Pulumi.quick.yaml
cp "$stackfile" /tmp/isobench-quick.yaml.bak
trap 'cp /tmp/isobench-quick.yaml.bak "$stackfile"' EXIT
sed -i "s/^  isobench:runId: .*/  isobench:runId: $runid/" "$stackfile"

t0=$(now); ./bin/isobench up quick >/tmp/isobench-up.log 2>&1; t1=$(now)
total=$(secs "$t0" "$t1")
dir="results/quick/$runid"
# Cell run time = start -> done of each cell as the runner logs it (server start, client, parse).
cellsum=$(node -e '
const lines=require("fs").readFileSync(process.argv[1]+"/progress.log","utf8").trim().split("\n");
const start={};let sum=0;
for(const l of lines){const [t,,id,what]=l.split(" ");const ts=Date.parse(t);
  if(what==="start")start[id]=ts;else if(what==="done"&&start[id]!==undefined)sum+=ts-start[id];}
console.log((sum/1000).toFixed(1));' "$dir")
echo "isobench up quick: ${total} s total, cells ran ${cellsum} s, orchestration overhead $(awk -v t="$total" -v c="$cellsum" 'BEGIN{printf "%.1f", (t-c)/t*100}') %"
t0=$(now); ./bin/isobench up quick >/tmp/isobench-up2.log 2>&1; t1=$(now)
echo "no-change isobench up quick: $(secs "$t0" "$t1") s"
export PATH="$ROOT/.tools/bin:$PATH" PULUMI_BACKEND_URL="file://$ROOT/.state/pulumi" PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-isobench}" PULUMI_HOME="$ROOT/.state/pulumi-home" PULUMI_SKIP_UPDATE_CHECK=true
echo "environment ready times (create -> ready; for the guest: define -> SSH ready):"
pulumi stack output --stack quick --json readyReports
./bin/isobench destroy quick >/tmp/isobench-destroy.log 2>&1 && echo "destroyed; results kept in $dir"
