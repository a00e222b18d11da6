# Sourced by the setup-*.sh scripts: where tool builds are cached, and which Go builds them.

# Heavy builds live outside the checkout so every clone on the machine (and CI) reuses them.
cache_root=${NESTEDVIRT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nestedvirt}
mkdir -p "$cache_root"
cache_root=$(cd "$cache_root" && pwd -P)

# The Go toolchain: from PATH, else where the Go tarball installs it; empty when there is none.
if command -v go >/dev/null 2>&1; then
    GO=$(command -v go)
elif [ -x /usr/local/go/bin/go ]; then
    GO=/usr/local/go/bin/go
else
    GO=
fi

# The Go version line for cache stamps: a different toolchain means a different build.
go_version_stamp() {
    if [ -n "$GO" ]; then "$GO" env GOVERSION; else echo "go=none"; fi
}
