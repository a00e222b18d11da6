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

# Builds one Go command from a module directory of ours into $cache_root/<name>/bin, once per
# stamp (the module's go.mod, go.sum and *.go files, the Go version, and the extra arguments), and
# prints that bin directory. Concurrent runs wait for each other on a lock.
#     cached_go_build <name> <module-dir> <package> [go build flags...]
cached_go_build() {
    local name=$1 mod_dir=$2 package=$3
    shift 3
    local bin="$cache_root/$name/bin" stamp tmp start
    stamp=$({
        echo "$name $package $*"
        go_version_stamp
        (cd "$mod_dir" && find . -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | LC_ALL=C sort |
            while read -r f; do echo "$f"; cat "$f"; done)
    } | sha256sum | cut -d' ' -f1)
    if [ "$(cat "$bin/.stamp" 2>/dev/null)" != "$stamp" ]; then
        [ -n "$GO" ] || { echo "error: Go is required to build $name" >&2; return 1; }
        mkdir -p "$cache_root/$name"
        exec 9>"$cache_root/$name/.lock"
        flock 9
        if [ "$(cat "$bin/.stamp" 2>/dev/null)" != "$stamp" ]; then # not built by another run meanwhile
            tmp=$(mktemp -d "$cache_root/$name/bin.tmp.XXXXXX")
            echo "building $name with $("$GO" env GOVERSION)..." >&2
            start=$(date +%s)
            if ! (cd "$mod_dir" && GOFLAGS="${GOFLAGS:-} -mod=readonly" "$GO" build -trimpath "$@" -o "$tmp/" "$package") >&2; then
                rm -rf "$tmp"
                echo "error: go build of $name failed" >&2
                return 1
            fi
            echo "$stamp" >"$tmp/.stamp"
            chmod 0755 "$tmp"
            rm -rf "$bin"
            mv "$tmp" "$bin"
            echo "built $name in $(($(date +%s) - start))s: $bin" >&2
        fi
        exec 9>&-
    fi
    echo "$bin"
}
