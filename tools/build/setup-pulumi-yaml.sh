#!/usr/bin/env bash
# Provide the Pulumi YAML language host, pulumi-language-yaml v1.25.0, built from Go modules.
#
# Prints the directory holding `pulumi-language-yaml` as the LAST line of stdout (progress goes to
# stderr); put it on PATH next to the Pulumi CLI (tools/build/setup-pulumi.sh) to run YAML programs:
#
#     PATH="$(tools/build/setup-pulumi-yaml.sh | tail -n1):$(tools/build/setup-pulumi.sh | tail -n1):$PATH"
#
# `pulumi-language-yaml` on PATH is used as it is (set NESTEDVIRT_PULUMI_FROM_PATH=0 to skip that).
# Otherwise the build is cached in ${NESTEDVIRT_CACHE:-~/.cache/nestedvirt}/pulumi-language-yaml-v1.25.0/bin
# and redone when tools/build/pulumi-yaml/go.mod, go.sum or the Go version change (3-6 minutes on 2 cores
# with a cold Go cache). github.com/pulumi/pulumi-yaml needs no copied replace directives.
set -euo pipefail

YAML_VERSION=v1.25.0
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)

if [ "${NESTEDVIRT_PULUMI_FROM_PATH:-1}" != "0" ] && existing=$(command -v pulumi-language-yaml 2>/dev/null); then
    echo "setup-pulumi-yaml: using $existing from PATH" >&2
    dirname "$existing"
    exit 0
fi

# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"
cached_go_build "pulumi-language-yaml-$YAML_VERSION" "$script_dir/pulumi-yaml" \
    github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml \
    -ldflags "-s -w -X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION"
