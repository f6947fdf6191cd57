#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2119,SC2317 # jq programs in single quotes; helpers run via expect_exit
# test_catalog_cli.sh: `yedek catalog list|show|check` end to end: a new
# repository, then the sample catalog of tools/demo/sample-history.sql
# (75 backups of "shop": a full, 72 hourly logs, diffs at k = 24 and 48),
# intact and with log k=30's media lost.
#
#   bash test_catalog_cli.sh PATH-OF-yedek SOURCE-DIR
set -u

YEDEK=${1:-}
SRC=${2:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

UUID_RE='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

# Every backupset column of CONTRACT.md, sorted.
COLUMNS='["backup_finish_date","backup_id","backup_set_uuid","backup_size",
 "backup_start_date","begins_log_chain","checkpoint_lsn","database_backup_lsn",
 "database_guid","database_name","description","differential_base_guid",
 "differential_base_lsn","first_lsn","first_time","is_copy_only","is_damaged",
 "last_lsn","last_time","media_path","media_sha256","recovery_fork_guid",
 "recovery_model","type"]'

# ---- a repository without a catalog -------------------------------------------

# An empty folder.
mkdir "$TMP/empty"
expect_exit 0 "$YEDEK" -r "$TMP/empty" catalog list
if [ -f "$TMP/empty/catalog.db" ]; then pass; else fail "$LAST" "expected $TMP/empty/catalog.db"; fi
if grep -qE "$UUID_RE" "$OUT"; then
    fail "$LAST" "expected no backup rows"
    show stdout "$OUT"
else
    pass
fi
expect_eq "catalog list on an empty repository: stderr" "" "$(cat "$ERR")"
expect_exit 0 "$YEDEK" -r "$TMP/empty" --json catalog list
expect_json '.' '[]'
# The catalog made is the catalog of CONTRACT.md: its tables exist.
expect_eq "the new catalog's tables" "backupmark backupset recoveryfork restorehistory" \
    "$(sqlite3 "$TMP/empty/catalog.db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
        WHERE type = 'table' AND name IN ('backupset', 'backupmark', 'recoveryfork', 'restorehistory')
        ORDER BY name)")"
# A folder whose parent does not exist either: created, or a clear error
# (CONTRACT.md does not say which; the repository's mkdir is not recursive).
run "$YEDEK" -r "$TMP/new/repo" catalog list
if [ "$RC" -eq 0 ]; then
    if [ -f "$TMP/new/repo/catalog.db" ]; then pass; else fail "$LAST" "exit 0 but no $TMP/new/repo/catalog.db"; fi
else
    expect_eq "$LAST: exit code" 1 "$RC"
    expect_error_format
    expect_err_has "$TMP/new/repo"
fi
# A folder that does not exist yet, in one that does (as demo.sh does).
mkdir -p "$TMP/new2"
expect_exit 0 "$YEDEK" -r "$TMP/new2/repo" --json catalog list
expect_json '.' '[]'
if [ -f "$TMP/new2/repo/catalog.db" ]; then pass; else fail "$LAST" "expected $TMP/new2/repo/catalog.db"; fi
# check on an empty catalog: nothing broken.
expect_exit 0 "$YEDEK" -r "$TMP/empty" --json catalog check
expect_json '.databases' '[]'

# ---- the sample catalog: list ----------------------------------------------------

REPO=$TMP/repo
build_sample_repo "$REPO"
y() { "$YEDEK" -r "$REPO" "$@"; }
rows=$(sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM backupset")
expect_eq "rows in the sample catalog" 75 "$rows"

expect_exit 0 y --json catalog list
expect_json '[inputs] | length' '0'
expect_json 'type' '"array"'
expect_json 'length' "$rows"
expect_json '[.[] | keys] | unique' "[$COLUMNS]"
expect_json '[.[] | .type] | group_by(.) | map({(.[0]): length}) | add' '{"diff": 2, "full": 1, "log": 72}'
expect_json '[.[].backup_set_uuid] | unique | length' '75'
expect_json '[.[].database_name] | unique' '["shop"]'
# Newest first.
expect_jq '[.[].backup_finish_date] as $d | $d == ($d | sort | reverse)' "newest first"
expect_json '.[0].backup_set_uuid' "\"$(log_uuid 72)\""
expect_json ".[] | select(.backup_set_uuid == \"$FULL_UUID\") | [.type, .is_copy_only, .first_lsn, .last_lsn, .media_path]" \
    '["full", 0, 1000, 1000, "shop/full/5a0c1e00.ydk"]'
expect_json ".[] | select(.backup_set_uuid == \"$DIFF48_UUID\") | [.differential_base_lsn, .differential_base_guid, .last_lsn]" \
    "[1000, \"$FULL_UUID\", 5800]"
# The values are the catalog's: compare a few columns with sqlite3 itself.
expect_eq "catalog list: sizes agree with the catalog" \
    "$(sqlite3 "$REPO/catalog.db" "SELECT sum(backup_size) FROM backupset")" \
    "$(jq '[.[].backup_size] | add' "$OUT")"
expect_eq "catalog list: media paths agree with the catalog" \
    "$(sqlite3 "$REPO/catalog.db" "SELECT media_path FROM backupset ORDER BY media_path")" \
    "$(jq -r '.[].media_path' "$OUT" | LC_ALL=C sort)"

expect_exit 0 y catalog list
n_rows=$(grep -cE "^$UUID_RE " "$OUT")
expect_eq "catalog list: human rows" "$rows" "$n_rows"
expect_eq "catalog list: the first row is the newest" "$(log_uuid 72)" \
    "$(grep -oE "^$UUID_RE" "$OUT" | head -n 1)"

# A second database, to see that list DB filters.
sqlite3 "$REPO/catalog.db" "INSERT INTO backupset (backup_set_uuid, database_name, database_guid,
  recovery_fork_guid, type, first_lsn, last_lsn, checkpoint_lsn, first_time, last_time,
  backup_start_date, backup_finish_date, backup_size, media_path, recovery_model)
  VALUES ('9e000000-0000-4000-8000-000000000001', 'stock', '9e000000-1111-4000-8000-000000000000',
  '9e000000-2222-4000-8000-000000000000', 'full', 10, 10, 10,
  '2026-11-16T00:00:00.000000Z', '2026-11-16T00:00:00.000000Z',
  '2026-11-15T23:59:00.000000Z', '2026-11-16T00:00:01.000000Z', 4096, 'stock/full/9e.ydk', 'full');
  INSERT INTO recoveryfork (fork_guid, database_guid, parent_fork_guid, fork_point_lsn, created_time)
  VALUES ('9e000000-2222-4000-8000-000000000000', '9e000000-1111-4000-8000-000000000000', NULL, NULL,
  '2026-11-15T00:00:00.000000Z');"
mkdir -p "$REPO/stock/full" && echo "sample media" >"$REPO/stock/full/9e.ydk"

expect_exit 0 y --json catalog list
expect_json 'length' '76'
expect_exit 0 y --json catalog list shop
expect_json 'length' '75'
expect_json '[.[].database_name] | unique' '["shop"]'
expect_exit 0 y --json catalog list stock
expect_json '[.[].backup_set_uuid]' '["9e000000-0000-4000-8000-000000000001"]'
expect_exit 0 y --json catalog list "$SHOP_GUID"
expect_json 'length' '75'
expect_exit 0 y catalog list shop
expect_eq "catalog list shop: human rows" 75 "$(grep -cE "^$UUID_RE " "$OUT")"
expect_out_lacks "9e000000-0000-4000-8000-000000000001"
expect_exit 1 y catalog list nosuchdb
expect_error_format
expect_err_has "nosuchdb"

# ---- show ------------------------------------------------------------------------

expect_exit 0 y --json catalog show "$FULL_UUID"
expect_json '[inputs] | length' '0'
expect_json 'keys' "$COLUMNS"
expect_json '[.backup_set_uuid, .type, .is_copy_only, .is_damaged, .database_name, .database_guid]' \
    "[\"$FULL_UUID\", \"full\", 0, 0, \"shop\", \"$SHOP_GUID\"]"
expect_json '[.first_lsn, .last_lsn, .checkpoint_lsn, .backup_size]' '[1000, 1000, 1000, 536870912]'
expect_json '[.first_time, .last_time]' '["2026-11-15T01:00:00.000000Z", "2026-11-15T01:00:00.000000Z"]'
expect_json '[.media_path, .description, .recovery_model]' '["shop/full/5a0c1e00.ydk", "weekly full", "full"]'
expect_json '[.database_backup_lsn, .differential_base_lsn, .differential_base_guid, .media_sha256]' \
    '[null, null, null, null]'
# The same fields as the list's row.
show_json=$(jq -cS . "$OUT")
show_text=$(jq -r 'to_entries[] | "\(.key) \(.value)"' "$OUT" | LC_ALL=C sort)
expect_exit 0 y --json catalog list shop
expect_eq "catalog show = its catalog list row" "$show_json" \
    "$(jq -cS ".[] | select(.backup_set_uuid == \"$FULL_UUID\")" "$OUT")"

# Human: one "field value" line per JSON field, the same values.
expect_exit 0 y catalog show "$FULL_UUID"
human=$(grep -v '^media_present ' "$OUT" | awk '{k = $1; $1 = ""; sub(/^ +/, ""); print k " " $0}' |
    LC_ALL=C sort)
expect_eq "catalog show: human fields and values = --json" "$show_text" "$human"
expect_out_has "media_present"
if grep -qE '^type +full$' "$OUT" && grep -qE '^is_copy_only +0$' "$OUT"; then
    pass
else
    fail "$LAST" "expected lines 'type full' and 'is_copy_only 0'"
    show stdout "$OUT"
fi

expect_exit 0 y --json catalog show "$(log_uuid 1)"
expect_json '[.type, .begins_log_chain, .first_lsn, .last_lsn, .database_backup_lsn]' '["log", 1, 1000, 1100, 1000]'
expect_exit 0 y --json catalog show "$DIFF24_UUID"
expect_json '[.type, .differential_base_lsn, .differential_base_guid]' "[\"diff\", 1000, \"$FULL_UUID\"]"

expect_exit 1 y catalog show 00000000-0000-4000-8000-00000000dead
expect_error_format
expect_err_has "00000000-0000-4000-8000-00000000dead"
expect_out_empty
expect_exit 1 y --json catalog show 00000000-0000-4000-8000-00000000dead
expect_json '.error' '"error"'
expect_exit 2 y catalog show a b
expect_error_format

# ---- check -----------------------------------------------------------------------

expect_exit 0 y --json catalog check shop
expect_json '[inputs] | length' '0'
expect_json '.databases | length' '1'
expect_json '.databases[0] | [.database, .database_guid, .chain]' "[\"shop\", \"$SHOP_GUID\", \"intact\"]"
expect_json '.databases[0].breaks' '[]'
expect_json '.databases[0].windows | map({from_lsn, to_lsn})' '[{"from_lsn": 1000, "to_lsn": 8200}]'
expect_json '.databases[0].windows[0] | [.from_time, .to_time, .base_backup_set_uuid]' \
    "[\"2026-11-15T01:00:00.000000Z\", \"2026-11-18T01:00:00.000000Z\", \"$FULL_UUID\"]"
expect_eq "catalog check (intact): stderr" "" "$(cat "$ERR")"
expect_exit 0 y catalog check shop
expect_out_has "chain intact"
expect_out_has "LSN 1000 .. 8200"
expect_exit 0 y --json catalog check
expect_json '[.databases[] | [.database, .chain]]' '[["shop", "intact"], ["stock", "intact"]]'
expect_exit 0 y --json catalog check "$SHOP_GUID"
expect_json '.databases[0].chain' '"intact"'
expect_exit 1 y catalog check nosuchdb
expect_error_format

# Log k=30 (LSN 3900..4000) lost.
rm "$REPO/$(log_media 30)"
expect_exit 3 y --json catalog check shop
expect_json '[inputs] | length' '0'
expect_json '.databases[0].chain' '"broken"'
expect_json '[.databases[0].breaks[] | select(.kind == "log_gap") | {gap_from_lsn, gap_to_lsn, before_backup_set_uuid, after_backup_set_uuid}]' \
    "[{\"gap_from_lsn\": 3900, \"gap_to_lsn\": 4000, \"before_backup_set_uuid\": \"$(log_uuid 29)\", \"after_backup_set_uuid\": \"$(log_uuid 31)\"}]"
expect_json '[.databases[0].breaks[] | select(.kind == "missing_media") | .backup_set_uuid]' "[\"$(log_uuid 30)\"]"
expect_jq '[.databases[0].breaks[] | (.message | type == "string" and length > 0)] | all' "every break has a message"
expect_json '.databases[0].windows | map({from_lsn, to_lsn})' \
    '[{"from_lsn": 1000, "to_lsn": 3900}, {"from_lsn": 5800, "to_lsn": 8200}]'
expect_json '[.databases[0].windows[].base_backup_set_uuid]' "[\"$FULL_UUID\", \"$DIFF48_UUID\"]"
expect_json '.databases[0].windows | map([.from_time, .to_time])' \
    '[["2026-11-15T01:00:00.000000Z", "2026-11-16T06:00:00.000000Z"], ["2026-11-17T01:00:00.000000Z", "2026-11-18T01:00:00.000000Z"]]'
expect_error_format
expect_err_has "catalog check"

expect_exit 3 y catalog check shop
expect_out_has "chain BROKEN"
expect_out_has "$(log_uuid 30)"
expect_out_has "LSN 1000 .. 3900"
expect_out_has "LSN 5800 .. 8200"
expect_error_format

# Without a DB: every database, exit 3 since one is broken.
expect_exit 3 y --json catalog check
expect_json '[.databases[] | [.database, .chain]]' '[["shop", "broken"], ["stock", "intact"]]'
# The other database alone is fine.
expect_exit 0 y --json catalog check stock
expect_json '.databases[0].chain' '"intact"'

# The media back: intact again.
echo "sample media" >"$REPO/$(log_media 30)"
expect_exit 0 y --json catalog check shop
expect_json '.databases[0].chain' '"intact"'

# A damaged full: a "damaged" break names it.
sqlite3 "$REPO/catalog.db" "UPDATE backupset SET is_damaged = 1 WHERE backup_set_uuid = '$FULL_UUID'"
expect_exit 3 y --json catalog check shop
expect_json '.databases[0].chain' '"broken"'
expect_json "[.databases[0].breaks[] | select(.kind == \"damaged\") | .backup_set_uuid]" "[\"$FULL_UUID\"]"
expect_json '.databases[0].windows' '[]'
expect_exit 0 y catalog list shop
expect_eq "catalog list: the damaged full is flagged" 1 \
    "$(grep -cE "^$FULL_UUID .*damaged" "$OUT")"
expect_exit 0 y --json catalog show "$FULL_UUID"
expect_json '.is_damaged' '1'

finish
