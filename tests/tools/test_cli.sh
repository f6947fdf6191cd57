#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2119,SC2317 # jq programs in single quotes; helpers run via expect_exit
# test_cli.sh: the `yedek` command line as a whole (CONTRACT.md): version,
# help, unknown and not-yet-implemented commands, the error format on
# stderr and with --json, and how the repository and catalog are found
# (--repo, $YEDEK_REPO, ./yedek-repo, --catalog).
#
#   bash test_cli.sh PATH-OF-yedek SOURCE-DIR
set -u

YEDEK=${1:-}
SRC=${2:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ---- version and help -------------------------------------------------------

expect_exit 0 "$YEDEK" --version
if grep -qE '^yedek [0-9]+\.[0-9]+(\.[0-9]+)?' "$OUT" && [ "$(wc -l <"$OUT")" -eq 1 ]; then
    pass
else
    fail "$LAST" "expected one line 'yedek VERSION'"
    show stdout "$OUT"
fi

expect_exit 0 "$YEDEK" --help
# Every command of CONTRACT.md's command table.
for c in init sql extension status backup mark plan restore verify catalog job agent health; do
    if grep -qE "^  $c( |$)" "$OUT"; then
        pass
    else
        fail "$LAST" "expected the command '$c' in the list of commands"
        show stdout "$OUT"
    fi
done
expect_out_has "--repo"
expect_out_has "--catalog"
expect_out_has "--json"
expect_exit 0 "$YEDEK" -h
expect_out_has "plan"

expect_exit 0 "$YEDEK" help plan
expect_out_has "yedek plan DB"
expect_out_has "--at TIME"
expect_out_has "--lsn LSN"
expect_out_has "--mark NAME"
expect_out_has "--before-mark NAME"
expect_exit 0 "$YEDEK" help catalog
for sub in list show check rebuild; do
    expect_out_has "yedek catalog $sub"
done
expect_exit 0 "$YEDEK" help
expect_out_has "Commands:"

expect_exit 2 "$YEDEK" help nosuch
expect_err_has "nosuch"
expect_error_format hint

# ---- unknown command, no command -------------------------------------------

expect_exit 2 "$YEDEK" x
expect_eq "yedek x: first line of stderr" "yedek: unknown command 'x'" "$(head -n 1 "$ERR")"
expect_error_format hint
expect_out_empty

expect_exit 2 "$YEDEK"
expect_eq "yedek: first line of stderr" "yedek: no command given" "$(head -n 1 "$ERR")"
expect_error_format hint
expect_out_empty

expect_exit 2 "$YEDEK" --no-such-option plan shop
expect_err_has "no-such-option"
expect_error_format hint

# With --json, a usage error is also one JSON document on stdout.
expect_exit 2 "$YEDEK" --json x
expect_json '.error' '"usage"'
expect_json '.message' '"unknown command '"'x'"'"'
expect_json '[inputs] | length' '0' # exactly one document (jq read the first)
expect_eq "yedek --json x: first line of stderr" "yedek: unknown command 'x'" "$(head -n 1 "$ERR")"

# -q: no hint line, same exit code.
expect_exit 2 "$YEDEK" -q x
expect_error_format nohint

# ---- every command is implemented ------------------------------------------------
expect_exit 1 "$YEDEK" -r "$TMP/ni-repo" catalog rebuild
expect_err_has "open repository"
expect_error_format
expect_exit 2 "$YEDEK" -r "$TMP/ni-repo" backup dummy-arg
expect_err_has "give the type"
expect_error_format hint
expect_exit 0 "$YEDEK" --help
for c in plan catalog init sql extension status mark backup verify restore job agent prune health; do
    if grep -qE "^  $c .*\(not implemented yet\)$" "$OUT"; then
        fail "$LAST" "'$c' is implemented but the command list says 'not implemented yet'"
    else
        pass
    fi
done

# ---- usage errors of catalog ------------------------------------------------

expect_exit 2 "$YEDEK" -r "$TMP/ni-repo" catalog
expect_error_format hint
expect_exit 2 "$YEDEK" -r "$TMP/ni-repo" catalog frob
expect_err_has "frob"
expect_error_format hint
expect_exit 2 "$YEDEK" -r "$TMP/ni-repo" catalog show
expect_error_format hint
expect_exit 2 "$YEDEK" -r "$TMP/ni-repo" catalog list a b
expect_error_format hint

# ---- finding the repository and the catalog ---------------------------------

REPO=$TMP/yedek-repo # also ./yedek-repo, the default, from $TMP
build_sample_repo "$REPO"

# plan on the sample repository, reached five ways: the same plan each time.
expect_exit 0 "$YEDEK" -r "$REPO" --json plan shop --lsn 6250
expect_json '.restores_to_lsn' '6250'
ref_steps=$(jq -c '[.steps[].backup_set_uuid]' "$OUT")

expect_exit 0 "$YEDEK" --repo "$REPO" --json plan shop --lsn 6250
expect_eq "--repo DIR: the same steps" "$ref_steps" "$(jq -c '[.steps[].backup_set_uuid]' "$OUT")"

expect_exit 0 env YEDEK_REPO="$REPO" "$YEDEK" --json plan shop --lsn 6250
expect_eq "\$YEDEK_REPO: the same steps" "$ref_steps" "$(jq -c '[.steps[].backup_set_uuid]' "$OUT")"

# --repo wins over $YEDEK_REPO.
expect_exit 0 env YEDEK_REPO="$TMP/nowhere" "$YEDEK" -r "$REPO" --json plan shop --lsn 6250
expect_eq "--repo over \$YEDEK_REPO: the same steps" "$ref_steps" \
    "$(jq -c '[.steps[].backup_set_uuid]' "$OUT")"

# Neither: ./yedek-repo (the current directory is $TMP).
expect_exit 0 "$YEDEK" --json plan shop --lsn 6250
expect_eq "./yedek-repo by default: the same steps" "$ref_steps" \
    "$(jq -c '[.steps[].backup_set_uuid]' "$OUT")"

# An empty $YEDEK_REPO also means ./yedek-repo.
expect_exit 0 env YEDEK_REPO= "$YEDEK" --json plan shop --lsn 6250
expect_eq "empty \$YEDEK_REPO: ./yedek-repo" "$ref_steps" "$(jq -c '[.steps[].backup_set_uuid]' "$OUT")"

# $YEDEK_REPO naming a folder without a catalog: exit 1 and a hint.
expect_exit 1 env YEDEK_REPO="$TMP/nowhere" "$YEDEK" plan shop
expect_err_has "$TMP/nowhere"
expect_error_format hint
if [ -e "$TMP/nowhere" ]; then
    fail "$LAST" "plan must not create the repository $TMP/nowhere"
else
    pass
fi

# --catalog FILE: another catalog, here one without the diffs, so the plan
# differs: the full and logs 1..63.
cp "$REPO/catalog.db" "$TMP/other.db"
sqlite3 "$TMP/other.db" "DELETE FROM backupset WHERE type = 'diff'"
expect_exit 0 "$YEDEK" -r "$REPO" --catalog "$TMP/other.db" --json plan shop --lsn 6250
expect_json '[.steps[].type] | (.[0] == "full") and (map(select(. == "diff")) | length == 0)' 'true'
expect_json '.steps | length' '54'
expect_json '.steps[-1].backup_set_uuid' "\"$(log_uuid 53)\""
expect_exit 0 env YEDEK_REPO="$REPO" "$YEDEK" --catalog "$TMP/other.db" --json plan shop --lsn 6250
expect_json '.steps | length' '54'
# and catalog list reads it too (75 - 2 diffs).
expect_exit 0 "$YEDEK" -r "$REPO" --catalog "$TMP/other.db" --json catalog list
expect_json 'length' '73'

# --catalog names a file that does not exist: catalog list creates it there.
expect_exit 0 "$YEDEK" -r "$TMP/r2" --catalog "$TMP/c2.db" --json catalog list
expect_json '.' '[]'
if [ -f "$TMP/c2.db" ]; then pass; else fail "$LAST" "expected $TMP/c2.db to be created"; fi
if [ -e "$TMP/r2/catalog.db" ]; then
    fail "$LAST" "--catalog given, yet $TMP/r2/catalog.db was created"
else
    pass
fi

finish
