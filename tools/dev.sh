#!/usr/bin/env bash
# dev.sh: the README's two commands.
#   bash tools/dev.sh demo   install what is missing, build, run the demo
#   bash tools/dev.sh test   install what is missing, build (plain and with
#                            AddressSanitizer + UBSan), run every test in both
# Run as root or with sudo on Debian 12; apt-get is used only for packages
# that are missing.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build="$here/build"
build_san="$here/build-sanitize"
jobs=$(nproc 2>/dev/null || echo 2)

packages=(build-essential cmake pkg-config sqlite3 libsqlite3-dev libarchive-dev
          libarchive-tools libxxhash-dev libssl-dev uuid-dev libjansson-dev
          libcmocka-dev zstd jq)

install_deps() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "dev.sh: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" -ne 0 ] && sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

configure_build() { # dir, extra cmake args...
    local dir=$1; shift
    cmake -S "$here" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$jobs"
}

case "${1:-}" in
demo)
    install_deps
    configure_build "$build" -DYEDEK_TESTS=OFF
    YEDEK="$build/tools/yedek" bash "$here/tools/demo/demo.sh"
    ;;
test)
    install_deps
    configure_build "$build"
    configure_build "$build_san" -DYEDEK_SANITIZE=ON -DYEDEK_BENCH=OFF
    echo "== tests =="
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    echo "== tests under AddressSanitizer + UndefinedBehaviorSanitizer =="
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$build_san" --output-on-failure -j "$jobs"
    ;;
*)
    echo "usage: bash tools/dev.sh demo|test" >&2
    exit 2
    ;;
esac
