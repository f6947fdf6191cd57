# shellcheck shell=bash disable=SC2034 # sourced; its names are used by the test scripts
# lib.sh: shared helpers of the end-to-end tests of the `yedek` command line.
# Sourced by tests/tools/test_*.sh after they set YEDEK (the binary) and SRC
# (the source tree).  Each check prints what it expected and what came when
# it fails, and counts; `finish` prints "N passed, M failed" and sets the
# exit status.
#
#   run CMD...                 run a command; keeps RC, $OUT (stdout file),
#                              $ERR (stderr file) and LAST (the command)
#   expect_exit CODE CMD...    run, and check the exit code
#   expect_json FILTER VALUE   jq FILTER on the last stdout equals the JSON VALUE
#   expect_jq FILTER [WHAT]    jq FILTER on the last stdout is true
#   expect_out_has TEXT / expect_out_lacks TEXT / expect_err_has TEXT
#   expect_error_format [hint|nohint]
#                              stderr is "yedek: ..." on one line, then a
#                              "hint: ..." line (required with "hint",
#                              forbidden with "nohint"), nothing else
#   expect_eq WHAT EXPECTED GOT
#
# Checks never stop the script: a failed check is counted and reported.

PASSED=0
FAILED=0
RC=0
LAST=

unset YEDEK_REPO

# A test that cannot even start counts as one failure.
setup_fail() {
    echo "FAIL: setup: $*"
    echo "$PASSED passed, $((FAILED + 1)) failed"
    exit 1
}

if [ ! -x "${YEDEK:-}" ]; then
    setup_fail "usage: $0 PATH-OF-yedek SOURCE-DIR (no executable '${YEDEK:-}')"
fi
if [ ! -f "${SRC:-}/tools/demo/sample-history.sql" ]; then
    setup_fail "usage: $0 PATH-OF-yedek SOURCE-DIR (no tools/demo/sample-history.sql in '${SRC:-}')"
fi
# Absolute paths: the tests run from a temporary directory.
YEDEK=$(cd "$(dirname "$YEDEK")" && pwd)/$(basename "$YEDEK")
SRC=$(cd "$SRC" && pwd)
for tool in jq sqlite3; do
    command -v "$tool" >/dev/null || setup_fail "$tool is needed"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/yedek-cli-test.XXXXXX") || setup_fail "mktemp -d failed"
trap '[ -n "${YEDEK_TEST_KEEP:-}" ] || rm -rf "$TMP"' EXIT
OUT=$TMP/stdout
ERR=$TMP/stderr
: >"$OUT"
: >"$ERR"
# Never create ./yedek-repo where ctest runs.
cd "$TMP" || setup_fail "cd $TMP failed"

# The sample catalog's identities (tools/demo/sample-history.sql).
SHOP_GUID=7d4f2b3e-9c1a-4e5b-8f60-2a7c9d1e3b54
SHOP_FORK=0b6e8f12-3c4d-4a5b-9e7f-1c2d3e4f5a6b
FULL_UUID=5a0c1e00-0000-4000-8000-000000000000
DIFF24_UUID=5a0c1e00-0000-4000-8000-000000001024
DIFF48_UUID=5a0c1e00-0000-4000-8000-000000001048
# The UUID of the hourly log backup k (1..72).
log_uuid() { printf '5a0c1e00-0000-4000-8000-%012d' "$1"; }
log_media() { printf 'shop/log/5a0c1e00-%03d.ydk' "$1"; }

pass() { PASSED=$((PASSED + 1)); }

fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $1"
    shift
    local line
    for line in "$@"; do
        echo "    $line"
    done
}

# Show a file's head, indented, for a failure report.
show() {
    local what=$1 file=$2
    echo "    $what:"
    if [ -s "$file" ]; then
        head -n 12 "$file" | sed 's/^/      | /'
        [ "$(wc -l <"$file")" -gt 12 ] && echo "      | ..."
    else
        echo "      (empty)"
    fi
    return 0
}

run() {
    LAST="$*"
    "$@" >"$OUT" 2>"$ERR"
    RC=$?
    return 0
}

expect_exit() {
    local want=$1
    shift
    run "$@"
    if [ "$RC" -eq "$want" ]; then
        pass
    else
        fail "$LAST" "expected exit $want, got exit $RC"
        show stdout "$OUT"
        show stderr "$ERR"
    fi
}

expect_eq() {
    local what=$1 want=$2 got=$3
    if [ "$want" = "$got" ]; then
        pass
    else
        fail "$what" "expected: $want" "got:      $got"
    fi
}

expect_json() {
    local filter=$1 want got
    want=$(jq -cn "$2" 2>&1) || {
        fail "$LAST | jq '$filter'" "bad expected JSON in the test: $2"
        return 0
    }
    if ! got=$(jq -c "$filter" <"$OUT" 2>&1); then
        fail "$LAST | jq '$filter'" "expected: $want" "got: stdout is not JSON or the filter failed: $got"
        show stdout "$OUT"
        return 0
    fi
    if [ "$got" = "$want" ]; then
        pass
    else
        fail "$LAST | jq '$filter'" "expected: $want" "got:      $got"
    fi
}

expect_jq() {
    local filter=$1 what=${2:-} got
    got=$(jq -c "$filter" <"$OUT" 2>&1)
    if [ "$got" = true ]; then
        pass
    else
        fail "$LAST | jq '$filter'${what:+ ($what)}" "expected: true" "got:      $got"
        show stdout "$OUT"
    fi
}

expect_out_has() {
    if grep -qF -- "$1" "$OUT"; then
        pass
    else
        fail "$LAST: stdout" "expected to contain: $1"
        show stdout "$OUT"
    fi
}

expect_out_lacks() {
    if grep -qF -- "$1" "$OUT"; then
        fail "$LAST: stdout" "expected not to contain: $1"
        show stdout "$OUT"
    else
        pass
    fi
}

expect_err_has() {
    if grep -qF -- "$1" "$ERR"; then
        pass
    else
        fail "$LAST: stderr" "expected to contain: $1"
        show stderr "$ERR"
    fi
}

expect_err_lacks() {
    if grep -qF -- "$1" "$ERR"; then
        fail "$LAST: stderr" "expected not to contain: $1"
        show stderr "$ERR"
    else
        pass
    fi
}

expect_out_empty() {
    if [ -s "$OUT" ]; then
        fail "$LAST: stdout" "expected nothing on stdout"
        show stdout "$OUT"
    else
        pass
    fi
}

# CONTRACT.md: errors go to stderr as one line `yedek: <what failed>: <why>`
# plus, where it helps, one line saying what to do.
expect_error_format() {
    local hint=${1:-any} first n problems=()
    n=$(wc -l <"$ERR")
    first=$(head -n 1 "$ERR")
    case $first in
    "yedek: "?*) ;;
    *) problems+=("the first line does not start with 'yedek: ': $first") ;;
    esac
    if [ "$n" -gt 2 ]; then
        problems+=("expected at most 2 lines (error, hint), got $n")
    fi
    if [ "$n" -ge 2 ]; then
        case $(sed -n 2p "$ERR") in
        "hint: "?*) ;;
        *) problems+=("the second line is not a 'hint: ' line") ;;
        esac
    fi
    if [ "$hint" = hint ] && ! sed -n 2p "$ERR" | grep -q '^hint: .'; then
        problems+=("expected a 'hint: ' line")
    fi
    if [ "$hint" = nohint ] && grep -q '^hint: ' "$ERR"; then
        problems+=("expected no 'hint: ' line")
    fi
    if [ ${#problems[@]} -eq 0 ]; then
        pass
    else
        fail "$LAST: stderr error format" "${problems[@]}"
        show stderr "$ERR"
    fi
}

# build_sample_repo DIR: a repository holding the sample catalog, built the
# way tools/demo/demo.sh builds it, with every media file present.
build_sample_repo() {
    local repo=$1 m
    "$YEDEK" -r "$repo" catalog list >/dev/null ||
        setup_fail "yedek -r $repo catalog list failed"
    sqlite3 "$repo/catalog.db" <"$SRC/tools/demo/sample-history.sql" ||
        setup_fail "loading tools/demo/sample-history.sql into $repo/catalog.db failed"
    sqlite3 "$repo/catalog.db" "SELECT media_path FROM backupset" | while read -r m; do
        mkdir -p "$repo/$(dirname "$m")" && echo "sample media" >"$repo/$m"
    done
}

# ---- helpers of the backup, restore and job scripts (they set REPO) ----------------

# backup TYPE DB [OPTIONS]: a backup with --json; its row in $OUT
backup() { expect_exit 0 "$YEDEK" -r "$REPO" --json backup "$@"; }
# field COLUMN: of the backup row in $OUT
field() { jq -r ".backup.$1" <"$OUT"; }
media_of() { sqlite3 "$REPO/catalog.db" "SELECT media_path FROM backupset WHERE backup_set_uuid = '$1'"; }
# flip FILE OFFSET: flip one bit at OFFSET
flip() {
    # shellcheck disable=SC2059 # the format is the byte itself
    printf "$(printf '\\%03o' $(($(od -An -tu1 -j "$2" -N1 "$1") ^ 1)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# The background writer a script starts as $WRITER, running while
# $TMP/writer.go exists.
writer_stop() {
    rm -f "$TMP/writer.go"
    wait "$WRITER" 2>/dev/null
}

finish() {
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ] && exit 0
    exit 1
}
