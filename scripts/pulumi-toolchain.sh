#!/usr/bin/env bash
# Provides the Pulumi toolchain in .tools/bin: the CLI, the nodejs language host and the
# dynamic-provider plugin. Uses `pulumi` from PATH when present; otherwise builds from Go modules
# (there is no other offline source: the npm package `pulumi` downloads from get.pulumi.com).
#
# Versions, and why:
#  - CLI v3.259.0 (github.com/pulumi/pulumi/pkg/v3): the newest release the Go module proxy serves here.
#  - language host from github.com/pulumi/pulumi/sdk/v3 v3.68.0: the host became a separate module
#    without tags (pseudo-versions only, not served here); v3.68.0 is the last sdk/v3 release that
#    still contains it as a package. The language protocol is stable; it runs @pulumi/pulumi 3.259.0.
#  - the command provider plugin (pulumi-resource-command) is not buildable here: its provider
#    module has only untagged pseudo-versions, which the proxy does not serve. isobench's command
#    resources fall back to a dynamic provider (environments/command.ts).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/.tools/bin"
CLI_VERSION=v3.259.0
LANG_VERSION=v3.68.0
mkdir -p "$BIN"
log() { echo "[setup] $*" >&2; }

have_cli() { [ -x "$BIN/pulumi" ] && [ "$("$BIN/pulumi" version 2>/dev/null)" = "$CLI_VERSION" ]; }

if command -v pulumi >/dev/null 2>&1 && [ "$(command -v pulumi)" != "$BIN/pulumi" ]; then
    log "pulumi CLI from PATH: $(command -v pulumi) ($(pulumi version))"
    ln -sf "$(command -v pulumi)" "$BIN/pulumi"
    if command -v pulumi-language-nodejs >/dev/null 2>&1; then ln -sf "$(command -v pulumi-language-nodejs)" "$BIN/pulumi-language-nodejs"; fi
elif have_cli; then
    log "pulumi CLI $CLI_VERSION already built, skipping"
else
    if ! command -v go >/dev/null 2>&1; then
        log "neither pulumi nor Go is available. Install Pulumi: curl -fsSL https://get.pulumi.com | sh (https://www.pulumi.com/docs/install/)"
        exit 1
    fi
    log "building pulumi CLI $CLI_VERSION from Go modules (first time: several minutes on 2 cores)"
    t0=$(date +%s)
    if ! (cd "$ROOT/scripts/pulumi-toolchain/cli" && go build -mod=mod -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$CLI_VERSION" \
        -o "$BIN/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi); then
        log "building the Pulumi CLI failed. Install Pulumi instead: curl -fsSL https://get.pulumi.com | sh (https://www.pulumi.com/docs/install/)"
        exit 1
    fi
    log "pulumi CLI built in $(( $(date +%s) - t0 )) s"
fi

if [ -x "$BIN/pulumi-language-nodejs" ]; then
    log "nodejs language host present, skipping"
else
    log "building the nodejs language host ($LANG_VERSION) from Go modules"
    (cd "$ROOT/scripts/pulumi-toolchain/language-nodejs" && go build -mod=mod -trimpath \
        -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$LANG_VERSION" \
        -o "$BIN/" github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs)
fi

# The dynamic-provider plugin is a launcher shipped inside @pulumi/pulumi (installed by npm ci).
ln -sf "$ROOT/node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$BIN/pulumi-resource-pulumi-nodejs"
log "pulumi $("$BIN/pulumi" version), language host $LANG_VERSION, dynamic provider from @pulumi/pulumi $(node -p "require('$ROOT/node_modules/@pulumi/pulumi/package.json').version")"
