#!/usr/bin/env bash
# Copies one run's evidence into the repository for publication: the analysis (summary, plots,
# report page), the facts (environments.csv, host.csv), the samples and raw tool output, and the
# progress log with every cell's timing. The README next to them is written by hand: it must say
# which machine produced the numbers and what they can and cannot show.
#   scripts/publish-results.sh results/<stack>/<runId> docs/results/<stack>
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 <results dir> <destination>" >&2; exit 2; }
src=$1 dest=$2
[[ -f "$src/summary.md" && -f "$src/report.html" ]] || {
    echo "publish-results: $src has no summary.md/report.html; run \`isobench analyze $src\` first" >&2; exit 1; }
mkdir -p "$dest"
for f in summary.md summary.csv report.html environments.csv host.csv progress.log; do
    [[ -f "$src/$f" ]] && cp "$src/$f" "$dest/$f"
done
for d in plots cells raw envfacts; do
    [[ -d "$src/$d" ]] || continue
    rm -rf "${dest:?}/$d"
    cp -r "$src/$d" "$dest/$d"
done
du -sh "$dest"
