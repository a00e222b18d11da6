#!/usr/bin/env bash
# Build (once, cached in ${NESTEDVIRT_CACHE:-~/.cache/nestedvirt}/sdkgen/bin) tools/build/sdkgen, the SDK
# generator over github.com/pulumi/pulumi/pkg/v3/codegen v3.274.1, and print the directory holding
# it as the last line of stdout. `npm run sdk` and the SDK tests call it.
set -euo pipefail
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"
cached_go_build sdkgen "$script_dir/sdkgen" . -ldflags "-s -w"
