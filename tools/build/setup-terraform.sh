#!/usr/bin/env bash
# Provide a Terraform-compatible CLI (Terraform >= 1.6, or OpenTofu) for the end-to-end tests.
#
# Prints the absolute path of the CLI binary as the LAST line of stdout; all progress goes to
# stderr. Use:
#
#     TF="$(tools/build/setup-terraform.sh | tail -n1)"
#
# Order of preference:
#   1. `terraform` on PATH, version >= 1.6.
#   2. `tofu` on PATH, version >= 1.6.
#      Set NESTEDVIRT_TERRAFORM_FROM_PATH=0 to skip 1 and 2 and always use the pinned OpenTofu build.
#   3. The cache: ${NESTEDVIRT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestedvirt}/opentofu-v1.12.6/bin/tofu,
#      reused while its stamp matches (pinned version + hash of tools/build/opentofu/go.mod and go.sum +
#      Go version).
#   4. A build of github.com/opentofu/opentofu/cmd/tofu with the Go toolchain (`go` on PATH, else
#      /usr/local/go/bin/go) from the wrapper module tools/build/opentofu, the same way OpenTofu's releases
#      are built (CGO_ENABLED=0, -trimpath, -s -w, version.dev=no). Modules come from the Go module
#      proxy. See tools/build/opentofu/README.md.
set -euo pipefail

OPENTOFU_VERSION=v1.12.6
MIN_MAJOR=1
MIN_MINOR=6

log() { printf 'setup-terraform: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
mod_dir="$script_dir/opentofu"
[ -f "$mod_dir/go.mod" ] && [ -f "$mod_dir/go.sum" ] || die "missing $mod_dir/go.mod or go.sum"

# Prints "MAJOR MINOR PATCH" of a terraform/tofu binary, or nothing.
cli_version() {
    local out
    # "Terraform v1.11.4" / "OpenTofu v1.12.6". Not simply the first line: with a TF_CLI_CONFIG_FILE
    # that does not exist, OpenTofu prints a warning on stdout before it.
    out=$(CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 timeout 30 "$1" version 2>/dev/null </dev/null |
        grep -m1 -E '^(Terraform|OpenTofu) v' || true)
    if [[ "$out" =~ v([0-9]+)\.([0-9]+)\.([0-9]+) ]]; then
        echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[3]}"
    fi
}

version_ok() { # MAJOR MINOR
    [ "$1" -gt "$MIN_MAJOR" ] || { [ "$1" -eq "$MIN_MAJOR" ] && [ "$2" -ge "$MIN_MINOR" ]; }
}

# 1./2. An existing installation on PATH.
if [ "${NESTEDVIRT_TERRAFORM_FROM_PATH:-1}" != "0" ]; then
    for name in terraform tofu; do
        existing=$(command -v "$name" 2>/dev/null) || continue
        [[ "$existing" = /* ]] || existing="$PWD/$existing" # a relative PATH entry
        read -r major minor patch <<<"$(cli_version "$existing")" || true
        if [ -n "${major:-}" ] && version_ok "$major" "$minor"; then
            log "using $name $major.$minor.$patch from PATH ($existing)"
            echo "$existing"
            exit 0
        fi
        log "ignoring $name on PATH ($existing): version '${major:-?}.${minor:-?}.${patch:-?}', need >= $MIN_MAJOR.$MIN_MINOR"
    done
fi

# 3. The cache.
# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"
base="$cache_root/opentofu-$OPENTOFU_VERSION"
bin="$base/bin"

hash_inputs() {
    # Everything that changes the output: pinned version, module files, Go version.
    echo "version=$OPENTOFU_VERSION"
    go_version_stamp
    echo "go.mod"; cat "$mod_dir/go.mod"
    echo "go.sum"; cat "$mod_dir/go.sum"
}
stamp=$(hash_inputs | sha256sum | cut -d' ' -f1)

cache_ok() {
    [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp" ] && [ -x "$bin/tofu" ]
}

if cache_ok; then
    log "using cached OpenTofu $OPENTOFU_VERSION ($bin/tofu)"
    echo "$bin/tofu"
    exit 0
fi

# 4. Build. Serialise concurrent runs on the same cache.
[ -n "$GO" ] || die "no terraform/tofu on PATH, and Go is required to build OpenTofu $OPENTOFU_VERSION (not on PATH, not at /usr/local/go/bin/go)"
mkdir -p "$base"
if command -v flock >/dev/null 2>&1; then
    exec 9>"$base/.lock"
    flock 9
    if cache_ok; then # another run finished the build while we waited
        log "using cached OpenTofu $OPENTOFU_VERSION ($bin/tofu)"
        echo "$bin/tofu"
        exit 0
    fi
else
    log "flock not found: concurrent builds are not serialised"
fi

tmp=$(mktemp -d "$base/bin.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "building OpenTofu $OPENTOFU_VERSION with $("$GO" env GOVERSION) (about 4 minutes on 2 cores with a cold Go cache)..."
start=$(date +%s)
(
    cd "$mod_dir"
    # -mod=readonly: build exactly what go.mod/go.sum pin; never rewrite tracked files.
    # Flags as in OpenTofu's .goreleaser.yaml; version.dev=no drops the "-dev" suffix.
    CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -mod=readonly" "$GO" build -trimpath \
        -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
        -o "$tmp/tofu" github.com/opentofu/opentofu/cmd/tofu
) >&2 || die "go build failed"

got=$(CHECKPOINT_DISABLE=1 "$tmp/tofu" version 2>/dev/null </dev/null | grep -m1 '^OpenTofu v' || true)
[ "$got" = "OpenTofu $OPENTOFU_VERSION" ] || die "built tofu reports '$got', expected 'OpenTofu $OPENTOFU_VERSION'"
echo "$stamp" >"$tmp/.stamp"

rm -rf "$bin"
chmod 0755 "$tmp"
mv "$tmp" "$bin"
trap - EXIT
log "built in $(( $(date +%s) - start ))s: $bin/tofu"
echo "$bin/tofu"
