#!/usr/bin/env bash
# Provide a Pulumi CLI (v3.274.1) and the Node.js language host, built from Go modules.
#
# Prints the directory holding `pulumi`, `pulumi-language-nodejs` and
# `pulumi-resource-pulumi-nodejs` as the LAST line of stdout; all progress goes to stderr. Use:
#
#     PATH="$(tools/build/setup-pulumi.sh | tail -n1):$PATH"
#
# Order of preference:
#   1. A `pulumi` v3 already on PATH together with `pulumi-language-nodejs` (an official install).
#      Set NESTEDVIRT_PULUMI_FROM_PATH=0 to skip this and always use the pinned build.
#   2. The cache: ${NESTEDVIRT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestedvirt}/pulumi-v3.274.1/bin-<stamp>,
#      reused while its stamp matches (pinned version + hash of tools/build/pulumi's go.mod, go.sum,
#      language-host source and launcher scripts + Go version).
#   3. A build with the Go toolchain (`go` on PATH, else /usr/local/go/bin/go), about 3 minutes
#      on 2 cores with empty Go caches (188 s measured, BENCHMARKS.md), about 1 minute with a warm one. Modules come from the Go module proxy.
#
# The language host is our own (tools/build/pulumi/cmd/pulumi-language-nodejs): the upstream one is not
# published as a Go module. See tools/build/pulumi/README.md.
set -euo pipefail

PULUMI_VERSION=v3.274.1
REQUIRED_MAJOR=3

log() { printf 'setup-pulumi: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mod_dir="$script_dir/pulumi"
[ -f "$mod_dir/go.mod" ] || die "missing $mod_dir/go.mod"

# 1. An existing installation on PATH.
if [ "${NESTEDVIRT_PULUMI_FROM_PATH:-1}" != "0" ]; then
    if existing=$(command -v pulumi 2>/dev/null) && command -v pulumi-language-nodejs >/dev/null 2>&1; then
        ver=$(PULUMI_SKIP_UPDATE_CHECK=true timeout 30 "$existing" version 2>/dev/null | tail -n1 || true)
        if [[ "$ver" =~ ^v?${REQUIRED_MAJOR}\. ]]; then
            log "using pulumi $ver from PATH ($existing)"
            dirname "$existing"
            exit 0
        fi
        [ -n "$ver" ] && log "ignoring pulumi $ver on PATH: need v${REQUIRED_MAJOR}.x"
    fi
fi

# 2. The cache.
# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"
base="$cache_root/pulumi-$PULUMI_VERSION"

hash_inputs() {
    # Everything that changes the output: pinned version, module files, our sources, Go version.
    echo "version=$PULUMI_VERSION"
    go_version_stamp
    (cd "$mod_dir" && find . -type f \( -name 'go.mod' -o -name 'go.sum' -o -name '*.go' -o -path './launchers/*' \) \
        -print | LC_ALL=C sort | while read -r f; do echo "$f"; cat "$f"; done)
}
stamp=$(hash_inputs | sha256sum | cut -d' ' -f1)
# One directory per stamp: checkouts with different language-host sources (branches, worktrees)
# keep their own build instead of replacing each other's while tests run from it.
bin="$base/bin-${stamp:0:16}"

cache_ok() {
    [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp" ] &&
        [ -x "$bin/pulumi" ] && [ -x "$bin/pulumi-language-nodejs" ] &&
        [ -x "$bin/pulumi-resource-pulumi-nodejs" ]
}

if cache_ok; then
    log "using cached build in $bin"
    echo "$bin"
    exit 0
fi

# 3. Build. Serialise concurrent runs on the same cache.
[ -n "$GO" ] || die "Go is required to build pulumi $PULUMI_VERSION (not on PATH, not at /usr/local/go/bin/go)"
mkdir -p "$base"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$base/.lock"
    flock 9
    if cache_ok; then # another run finished the build while we waited
        log "using cached build in $bin"
        echo "$bin"
        exit 0
    fi
fi

tmp=$(mktemp -d "$base/bin.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "building pulumi $PULUMI_VERSION and pulumi-language-nodejs with $("$GO" env GOVERSION) (several minutes on a cold Go cache)..."
start=$(date +%s)
ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION"
(
    cd "$mod_dir"
    # -mod=readonly: build exactly what go.mod/go.sum pin; never rewrite tracked files.
    GOFLAGS="${GOFLAGS:-} -mod=readonly" "$GO" build -trimpath -ldflags "$ldflags" -o "$tmp/" \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
        ./cmd/pulumi-language-nodejs
) >&2 || die "go build failed"
install -m 0755 "$mod_dir"/launchers/* "$tmp/"

got=$(PULUMI_SKIP_UPDATE_CHECK=true "$tmp/pulumi" version 2>/dev/null | tail -n1)
[ "$got" = "$PULUMI_VERSION" ] || die "built pulumi reports version '$got', expected $PULUMI_VERSION"
echo "$stamp" >"$tmp/.stamp"

rm -rf "$bin"
chmod 0755 "$tmp"
mv "$tmp" "$bin"
trap - EXIT
log "built in $(( $(date +%s) - start ))s: $bin"
echo "$bin"
