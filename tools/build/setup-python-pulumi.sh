#!/usr/bin/env bash
# A Python virtual environment with the `pulumi` package from PyPI (and setuptools, to build the
# generated Python SDK without an isolated build environment), cached in
# ${NESTEDVIRT_CACHE:-~/.cache/nestedvirt}/python-pulumi-<version>-<python>/. Prints its directory
# as the last line of stdout. The Python SDK test installs sdk/python next to it.
set -euo pipefail

PULUMI_PY_VERSION=3.270.0
SETUPTOOLS_VERSION=80.9.0
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=go-tools.sh
. "$script_dir/go-tools.sh"

python=${PYTHON:-$(command -v python3 || true)}
[ -n "$python" ] || { echo "setup-python-pulumi: python3 is required" >&2; exit 1; }
py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
venv="$cache_root/python-pulumi-$PULUMI_PY_VERSION-py$py_version"

if [ ! -f "$venv/.complete" ]; then
    mkdir -p "$cache_root"
    exec 9>"$venv.lock"
    flock 9
    if [ ! -f "$venv/.complete" ]; then
        rm -rf "$venv"
        echo "setup-python-pulumi: creating $venv (pulumi==$PULUMI_PY_VERSION from PyPI)..." >&2
        "$python" -m venv "$venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "pulumi==$PULUMI_PY_VERSION" "setuptools==$SETUPTOOLS_VERSION" wheel >&2
        touch "$venv/.complete"
    fi
fi
echo "$venv"
