#!/usr/bin/env bash
# Provide the Pulumi YAML language host, pulumi-language-yaml v1.25.0, built from Go modules.
#
# Prints the directory holding `pulumi-language-yaml` as the LAST line of stdout (progress goes to
# stderr); put it on PATH next to the Pulumi CLI (tools/setup-pulumi.sh) to run YAML programs:
#
#     PATH="$(tools/setup-pulumi-yaml.sh | tail -n1):$(tools/setup-pulumi.sh | tail -n1):$PATH"
#
# `pulumi-language-yaml` on PATH is used as it is (set NESTEDVIRT_PULUMI_FROM_PATH=0 to skip that).
# Otherwise the build is cached in ${NESTEDVIRT_CACHE:-~/.cache/nestedvirt}/pulumi-language-yaml-v1.25.0/bin
# and redone when tools/pulumi-yaml/go.mod, go.sum or the Go version change (about 3-6 minutes on
# 2 cores with a cold Go cache). github.com/pulumi/pulumi-yaml needs no copied replace directives.
set -euo pipefail

YAML_VERSION=v1.25.0

log() { printf 'setup-pulumi-yaml: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mod_dir="$script_dir/pulumi-yaml"

if [ "${NESTEDVIRT_PULUMI_FROM_PATH:-1}" != "0" ] && existing=$(command -v pulumi-language-yaml 2>/dev/null); then
    log "using $existing from PATH"
    dirname "$existing"
    exit 0
fi

# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"
bin="$cache_root/pulumi-language-yaml-$YAML_VERSION/bin"
stamp=$({ echo "version=$YAML_VERSION"; go_version_stamp; cat "$mod_dir/go.mod" "$mod_dir/go.sum"; } | sha256sum | cut -d' ' -f1)
cache_ok() { [ -x "$bin/pulumi-language-yaml" ] && [ "$(cat "$bin/.stamp" 2>/dev/null)" = "$stamp" ]; }

if ! cache_ok; then
    [ -n "$GO" ] || die "Go is required to build pulumi-language-yaml $YAML_VERSION"
    mkdir -p "$(dirname "$bin")"
    exec 9>"$(dirname "$bin")/.lock"
    flock 9
    if ! cache_ok; then # not built by another run while we waited
        tmp=$(mktemp -d "$(dirname "$bin")/bin.tmp.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        log "building pulumi-language-yaml $YAML_VERSION with $("$GO" env GOVERSION)..."
        start=$(date +%s)
        (cd "$mod_dir" && GOFLAGS="${GOFLAGS:-} -mod=readonly" "$GO" build -trimpath \
            -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION" \
            -o "$tmp/" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml) >&2 || die "go build failed"
        echo "$stamp" >"$tmp/.stamp"
        chmod 0755 "$tmp"
        rm -rf "$bin"
        mv "$tmp" "$bin"
        trap - EXIT
        log "built in $(( $(date +%s) - start ))s: $bin"
    fi
fi
echo "$bin"
