#!/usr/bin/env bash
# Copies one run's evidence into the repository for publication: the analysis (summary, plots,
# report page), the facts (environments.csv, host.csv, host-stability.csv), the samples and raw tool output, the
# progress log with every cell's timing, the precision goal's record (precision.csv, repetitions.json), and the provenance (the stack file as run without its
# secrets, the resolved spec, isobench's commit, images and versions; `isobench up --from` reads it). The README next to them is written by hand: it must say
# which machine produced the numbers and what they can and cannot show.
#   scripts/publish-results.sh results/<stack>/<runId> docs/results/<stack>
#   scripts/publish-results.sh --check <folder>     only the safety scan below, on a published folder
#
# What is published is safe to publish. In a staging copy, paths of this machine are rewritten:
# the results folder becomes <results>, the checkout <checkout>, the checkout's parent
# <checkout>/.., $HOME ~, the host's own network addresses <host-address>. Then the copy is scanned and refused (nothing reaches <destination>,
# exit 1, the offending files named, the secret never printed) when it holds a private key (a PEM
# or OpenSSH block, or any line of the checkout's guest key .state/ssh/id_ed25519), or the value of
# ISOBENCH_STACK_PASSWORD or PULUMI_CONFIG_PASSPHRASE when either is set, or a Pulumi stack file's
# secrets (its encryptionsalt or encryptedkey, a `secure:` value). What stays, and why, is
# in docs/results/README.md ("What a published folder reveals").
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd -P)"
die() { echo "publish-results: $*" >&2; exit 1; }
usage() { echo "usage: $0 <results dir> <destination> | $0 --check <folder>" >&2; exit 2; }

# scan FOLDER: prints one line per finding (file and kind, never the secret), fails when any.
scan() {
    local dir=$1 found=0 f secret value line
    while IFS= read -r f; do
        echo "  $f: a private key block"; found=1
    done < <(grep -rlE -- '-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----' "$dir" || true)
    local key="$ROOT/.state/ssh/id_ed25519"
    if [[ -r "$key" ]]; then
        # Every base64 line of the key: a fragment of it is as bad as the whole.
        while IFS= read -r line; do
            [[ ${#line} -ge 16 && "$line" != -----* ]] || continue
            while IFS= read -r f; do echo "  $f: a line of the guest SSH key $key"; found=1; done < <(grep -rlF -- "$line" "$dir" || true)
        done <"$key"
    fi
    # provenance/stack.yaml is recorded without them; a copy of a stack file made by hand is not.
    while IFS= read -r f; do
        echo "  $f: a Pulumi stack file's secret (encryptionsalt, encryptedkey or a secure: value)"; found=1
    done < <(grep -rlE -- '^[[:space:]]*(encryptionsalt|encryptedkey):|secure:[[:space:]]*v1:' "$dir" || true)
    for secret in ISOBENCH_STACK_PASSWORD PULUMI_CONFIG_PASSPHRASE; do
        value="${!secret:-}"
        # Shorter values would match by chance (a test passphrase "x" is in every file).
        [[ ${#value} -ge 8 ]] || continue
        while IFS= read -r f; do echo "  $f: the value of \$$secret"; found=1; done < <(grep -rlF -- "$value" "$dir" || true)
    done
    return "$found"
}

if [[ "${1:-}" == "--check" ]]; then
    [[ $# -eq 2 && -d "$2" ]] || usage
    if findings=$(scan "$2"); then echo "publish-results: $2 is safe to publish"; exit 0; fi
    printf '%s\n' "$findings" >&2
    die "$2 holds secrets (above). Fix: remove them from the folder before publishing it"
fi

[[ $# -eq 2 ]] || usage
src=$1 dest=$2
[[ -f "$src/summary.md" && -f "$src/report.html" ]] ||
    die "$src has no summary.md/report.html; run \`isobench analyze $src\` first"
src_abs="$(cd "$src" && pwd -P)"

stage="$(mktemp -d "${TMPDIR:-/tmp}/isobench-publish-XXXXXX")"
trap 'rm -rf -- "$stage"' EXIT
for f in summary.md summary.csv report.html environments.csv host.csv host-stability.csv progress.log precision.csv repetitions.json; do
    [[ -f "$src/$f" ]] && cp "$src/$f" "$stage/$f"
done
for d in plots cells raw envfacts provenance; do
    [[ -d "$src/$d" ]] && cp -r "$src/$d" "$stage/$d"
done

# Longest first, so the results folder inside the checkout becomes <results>, not <checkout>/results/…
rewrite=("$src_abs" "<results>" "$ROOT" "<checkout>")
parent="$(dirname "$ROOT")"
[[ "$parent" == / ]] || rewrite+=("$parent/" "<checkout>/../")
[[ -z "${HOME:-}" || "$HOME" == / ]] || rewrite+=("$HOME/" "~/")
sed_args=()
for ((i = 0; i < ${#rewrite[@]}; i += 2)); do
    from=$(printf '%s' "${rewrite[i]}" | sed 's/[][\.*^$/]/\\&/g')
    to=$(printf '%s' "${rewrite[i + 1]}" | sed 's/[\/&]/\\&/g')
    sed_args+=(-e "s/$from/$to/g")
done
# The host's own addresses on its networks (the native probe records every interface's): not
# loopback, and not the Docker and libvirt bridges, whose private addresses are the same on every
# machine and are evidence of the NAT path. Whole addresses only (10.0.0.1 is not in 10.0.0.12).
while read -r ifname addr; do
    case "$ifname" in lo | docker* | virbr* | br-* | veth* | vnet*) continue ;; esac
    addr=${addr%/*}
    from=$(printf '%s' "$addr" | sed 's/[.]/\\./g')
    sed_args+=(-e "s/\(^\|[^0-9A-Fa-f:.]\)$from\([^0-9A-Fa-f:.]\|$\)/\1<host-address>\2/g")
done < <(ip -o addr show 2>/dev/null | awk '$3 == "inet" || ($3 == "inet6" && $0 ~ /scope global/) { print $2, $4 }')
# Text files only: the PNG plots stay byte for byte.
grep -rlIZ -- "" "$stage" | xargs -0 -r sed -i "${sed_args[@]}"

if ! findings=$(scan "$stage"); then
    printf '%s\n' "${findings//$stage/$src}" >&2
    die "refusing to publish $src: it holds secrets (above); nothing was written to $dest. Fix: find what wrote them there (raw tool output, a server log) and remove it from the run's folder"
fi

mkdir -p "$dest"
for f in summary.md summary.csv report.html environments.csv host.csv host-stability.csv progress.log precision.csv repetitions.json; do
    [[ -f "$stage/$f" ]] && cp "$stage/$f" "$dest/$f"
done
for d in plots cells raw envfacts provenance; do
    [[ -d "$stage/$d" ]] || continue
    rm -rf "${dest:?}/$d"
    cp -r "$stage/$d" "$dest/$d"
done
du -sh "$dest"
