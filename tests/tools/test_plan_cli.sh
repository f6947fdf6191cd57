#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2119,SC2317 # jq programs in single quotes; helpers run via expect_exit
# test_plan_cli.sh: `yedek plan` end to end on the sample catalog of
# tools/demo/sample-history.sql: database "shop", a full at
# 2026-11-15T01:00Z (LSN 1000), hourly logs k = 1..72 covering LSN
# [1000+(k-1)*100, 1000+k*100) and times base+(k-1)h .. base+k h, diffs at
# k = 24 and 48 (LSN 3400, 5800), a mark 'before-price-update' at LSN 6250
# inside log 53.  Checks CONTRACT.md's JSON shapes, targets, time zones,
# failure codes (exit 3) and usage errors (exit 2).
#
#   bash test_plan_cli.sh PATH-OF-yedek SOURCE-DIR
set -u

YEDEK=${1:-}
SRC=${2:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

REPO=$TMP/repo
build_sample_repo "$REPO"
y() { "$YEDEK" -r "$REPO" "$@"; }

# steps_of: the last plan's steps as "type:last_lsn" words, for comparisons.
steps_of() { jq -r '[.steps[] | "\(.type):\(.last_lsn)"] | join(" ")' "$OUT" 2>/dev/null; }
uuids_of() { jq -c '[.steps[].backup_set_uuid]' "$OUT" 2>/dev/null; }

# The full, the k=48 diff (LSN 5800, 2026-11-17T01:00Z), then logs 49..51.
PATH_0330="full:1000 diff:5800 log:5900 log:6000 log:6100"

# ---- a time inside a log -----------------------------------------------------

expect_exit 0 y --json plan shop --at 2026-11-17T03:30:00Z
expect_json '[inputs] | length' '0'
expect_json '.database' '"shop"'
expect_json '.database_guid' "\"$SHOP_GUID\""
expect_json '.target' '{"kind": "time", "value": "2026-11-17T03:30:00.000000Z"}'
expect_json '[.steps[].type]' '["full", "diff", "log", "log", "log"]'
expect_json '[.steps[].backup_set_uuid]' \
    "[\"$FULL_UUID\", \"$DIFF48_UUID\", \"$(log_uuid 49)\", \"$(log_uuid 50)\", \"$(log_uuid 51)\"]"
expect_json '[.steps[].media_path]' \
    '["shop/full/5a0c1e00.ydk", "shop/diff/5a0c1e00-d02.ydk", "shop/log/5a0c1e00-049.ydk", "shop/log/5a0c1e00-050.ydk", "shop/log/5a0c1e00-051.ydk"]'
expect_json '[.steps[] | [.first_lsn, .last_lsn]]' \
    '[[1000, 1000], [1000, 5800], [5800, 5900], [5900, 6000], [6000, 6100]]'
expect_jq '[.steps[] | has("backup_set_uuid", "type", "media_path", "first_lsn", "last_lsn", "stop_at") ] | all' \
    "every step has the keys of CONTRACT.md"
expect_jq '[has("database", "database_guid", "target", "steps", "restores_to_lsn", "bytes_to_read")] | all' \
    "the plan has the keys of CONTRACT.md"
expect_json '.steps[-1].stop_at' '{"time": "2026-11-17T03:30:00.000000Z"}'
expect_json '[.steps[:-1][].stop_at] | map(select(. != null)) | length' '0'
expect_json '.restores_to_lsn' 'null'
expect_jq '.bytes_to_read == ([.steps[].backup_size] | add)' "bytes_to_read is the sum of backup_size"
expect_json '.bytes_to_read' "$((536870912 + 48 * 1572864 + 3 * 2097152 + (49 + 50 + 51) * 1024))"
expect_eq "plan with exit 0: stderr" "" "$(cat "$ERR")"

# Human text: the same backups, the stop, and nothing on stderr.
expect_exit 0 y plan shop --at 2026-11-17T03:30:00Z
expect_out_has "Restore plan for shop"
for p in shop/full/5a0c1e00.ydk shop/diff/5a0c1e00-d02.ydk shop/log/5a0c1e00-049.ydk \
    shop/log/5a0c1e00-050.ydk shop/log/5a0c1e00-051.ydk; do
    expect_out_has "$p"
done
expect_out_lacks "shop/log/5a0c1e00-048.ydk"
expect_out_lacks "shop/log/5a0c1e00-052.ydk"
expect_out_has "stop at 2026-11-17T03:30:00Z"
expect_out_has "5 backups"

# A time exactly at a log's end: that log is the last, no stop inside it.
expect_exit 0 y --json plan shop --at 2026-11-17T04:00:00Z
expect_eq "--at 04:00Z steps" "$PATH_0330" "$(steps_of)"
expect_json '.steps[-1].stop_at' 'null'
expect_json '.restores_to_lsn' '6100'

# A time exactly at the diff's time: full + diff, no logs.
expect_exit 0 y --json plan shop --at 2026-11-17T01:00:00Z
expect_eq "--at (the k=48 diff's time) steps" "full:1000 diff:5800" "$(steps_of)"
expect_json '.restores_to_lsn' '5800'

# A time inside the first log: the full and log 1.
expect_exit 0 y --json plan shop --at 2026-11-15T01:30:00Z
expect_eq "--at inside log 1: steps" "full:1000 log:1100" "$(steps_of)"
expect_json '.steps[-1].stop_at' '{"time": "2026-11-15T01:30:00.000000Z"}'

# Fractions of a second are kept, offsets applied.
expect_exit 0 y --json plan shop --at 2026-11-17T06:30:00.250+03:00
expect_json '.target.value' '"2026-11-17T03:30:00.250000Z"'
expect_json '.steps[-1].stop_at.time' '"2026-11-17T03:30:00.250000Z"'

# ---- --lsn ----------------------------------------------------------------------

expect_exit 0 y --json plan shop --lsn 6250
expect_json '.target' '{"kind": "lsn", "value": "6250"}'
expect_json '.restores_to_lsn' '6250'
expect_eq "--lsn 6250 steps" "full:1000 diff:5800 log:5900 log:6000 log:6100 log:6200 log:6300" "$(steps_of)"
expect_json '.steps[-1].stop_at' '{"lsn": 6250}'
expect_json '[.steps[:-1][].stop_at] | map(select(. != null)) | length' '0'
expect_jq '.bytes_to_read == ([.steps[].backup_size] | add)' "bytes_to_read is the sum of backup_size"

# On a log boundary: the log ending there is the last, stop_at null.
expect_exit 0 y --json plan shop --lsn 6200
expect_json '.restores_to_lsn' '6200'
expect_eq "--lsn 6200 steps" "full:1000 diff:5800 log:5900 log:6000 log:6100 log:6200" "$(steps_of)"
expect_json '.steps[-1].stop_at' 'null'
expect_json '[.steps[].stop_at] | map(select(. != null)) | length' '0'

# At a diff's LSN: full + diff.  At the full's: the full alone.
expect_exit 0 y --json plan shop --lsn 5800
expect_eq "--lsn 5800 steps" "full:1000 diff:5800" "$(steps_of)"
expect_json '.restores_to_lsn' '5800'
expect_exit 0 y --json plan shop --lsn 1000
expect_eq "--lsn 1000 steps" "full:1000" "$(steps_of)"
expect_json '.restores_to_lsn' '1000'
expect_exit 0 y --json plan shop --lsn 1001
expect_eq "--lsn 1001 steps" "full:1000 log:1100" "$(steps_of)"
expect_json '.steps[-1].stop_at' '{"lsn": 1001}'

# The database named by its GUID, and the fork named explicitly.
expect_exit 0 y --json plan "$SHOP_GUID" --lsn 6250
expect_json '[.database, .database_guid, .restores_to_lsn]' "[\"shop\", \"$SHOP_GUID\", 6250]"
expect_exit 0 y --json plan shop --fork "$SHOP_FORK" --lsn 6250
expect_json '.restores_to_lsn' '6250'
expect_exit 1 y plan shop --fork 00000000-0000-4000-8000-000000000000 --lsn 6250
expect_error_format

# ---- time zones ------------------------------------------------------------------

expect_exit 0 y --json plan shop --at 2026-11-17T03:30:00Z
ref=$(uuids_of)
ref_target=$(jq -c '.target' "$OUT")
ref_stop=$(jq -c '.steps[-1].stop_at' "$OUT")

tz_same() { # tz_same WHAT: the last plan equals the 03:30Z one
    expect_eq "$1: steps" "$ref" "$(uuids_of)"
    expect_eq "$1: target" "$ref_target" "$(jq -c '.target' "$OUT" 2>&1)"
    expect_eq "$1: stop_at" "$ref_stop" "$(jq -c '.steps[-1].stop_at' "$OUT" 2>&1)"
}
expect_exit 0 y --json plan shop --at 2026-11-17T06:30:00+03:00
tz_same "--at 06:30+03:00"
expect_exit 0 y --json plan shop --at 2026-11-17T06:30:00+0300
tz_same "--at 06:30+0300"
expect_exit 0 y --json plan shop --at 2026-11-16T22:30:00-05:00
tz_same "--at 22:30-05:00 the day before"
expect_exit 0 env TZ=UTC "$YEDEK" -r "$REPO" --json plan shop --at 2026-11-17T03:30:00
tz_same "TZ=UTC, local 03:30"
expect_exit 0 env TZ=UTC0 "$YEDEK" -r "$REPO" --json plan shop --at "2026-11-17 03:30"
tz_same "TZ=UTC0, local '2026-11-17 03:30'"
# An explicit zone ignores TZ.
expect_exit 0 env TZ=Asia/Tokyo "$YEDEK" -r "$REPO" --json plan shop --at 2026-11-17T03:30:00Z
tz_same "TZ=Asia/Tokyo, 03:30Z"
if [ -e /usr/share/zoneinfo/Asia/Tokyo ]; then
    expect_exit 0 env TZ=Asia/Tokyo "$YEDEK" -r "$REPO" --json plan shop --at 2026-11-17T12:30:00
    tz_same "TZ=Asia/Tokyo, local 12:30"
else
    echo "note: /usr/share/zoneinfo/Asia/Tokyo missing; Tokyo local time not checked"
fi
if [ -e /usr/share/zoneinfo/America/New_York ]; then
    # 2026-11-16 is after the end of DST (2026-11-01): EST, UTC-5.
    expect_exit 0 env TZ=America/New_York "$YEDEK" -r "$REPO" --json plan shop --at 2026-11-16T22:30:00
    tz_same "TZ=America/New_York, local 22:30 (EST)"
else
    echo "note: /usr/share/zoneinfo/America/New_York missing; New York local time not checked"
fi
# A POSIX TZ string needs no zoneinfo: UTC+9 is written JST-9.
expect_exit 0 env TZ=JST-9 "$YEDEK" -r "$REPO" --json plan shop --at 2026-11-17T12:30:00
tz_same "TZ=JST-9, local 12:30"

# ---- marks -------------------------------------------------------------------------

expect_exit 0 y --json plan shop --mark before-price-update
expect_json '.target' '{"kind": "mark", "value": "before-price-update"}'
expect_json '.steps[-1].backup_set_uuid' "\"$(log_uuid 53)\""
expect_json '.steps[-1].stop_at | {mark, inclusive}' '{"mark": "before-price-update", "inclusive": true}'
expect_json '[.steps[:-1][].stop_at] | map(select(. != null)) | length' '0'
expect_eq "--mark steps" "full:1000 diff:5800 log:5900 log:6000 log:6100 log:6200 log:6300" "$(steps_of)"
expect_jq '.bytes_to_read == ([.steps[].backup_size] | add)' "bytes_to_read is the sum of backup_size"

expect_exit 0 y --json plan shop --before-mark before-price-update
expect_json '.target' '{"kind": "before_mark", "value": "before-price-update"}'
expect_json '.steps[-1].backup_set_uuid' "\"$(log_uuid 53)\""
expect_json '.steps[-1].stop_at | {mark, inclusive}' '{"mark": "before-price-update", "inclusive": false}'
expect_json '.restores_to_lsn' '6250' # stops just before the marked transaction's start

expect_exit 0 y plan shop --before-mark before-price-update
expect_out_has "before mark 'before-price-update'"
expect_exit 0 y plan shop --mark before-price-update
expect_out_has "after mark 'before-price-update'"

expect_exit 3 y --json plan shop --mark no-such-mark
expect_json '.error' '"unknown_mark"'
expect_jq '.message | contains("no-such-mark")' "the message names the mark"
expect_json '[inputs] | length' '0'
expect_error_format
expect_err_has "no-such-mark"
expect_exit 3 y --json plan shop --before-mark no-such-mark
expect_json '.error' '"unknown_mark"'
expect_exit 3 y plan shop --mark no-such-mark
expect_out_empty
expect_error_format

# ---- no target: the latest point ------------------------------------------------

expect_exit 0 y --json plan shop
expect_json '.target.kind' '"latest"'
expect_json '.restores_to_lsn' '8200'
expect_json '.steps[-1].backup_set_uuid' "\"$(log_uuid 72)\""
expect_json '.steps[-1].stop_at' 'null'
expect_json '[.steps[0].type, .steps[1].backup_set_uuid]' "[\"full\", \"$DIFF48_UUID\"]"
expect_json '.steps | length' '26' # full, diff 48, logs 49..72
expect_jq '.bytes_to_read == ([.steps[].backup_size] | add)' "bytes_to_read is the sum of backup_size"

# ---- targets that cannot be reached (exit 3) ---------------------------------------

# error_doc CODE: the last stdout is one JSON error document with that code.
error_doc() {
    expect_json '.error' "\"$1\""
    expect_jq '(.message | type) == "string" and (.message | length) > 0' "a message"
    expect_json '[inputs] | length' '0'
    expect_error_format
}

expect_exit 3 y --json plan shop --lsn 500
error_doc target_too_early
expect_err_has "$FULL_UUID"
expect_exit 3 y --json plan shop --lsn 999
error_doc target_too_early
expect_exit 3 y --json plan shop --at 2026-11-15T00:59:59Z
error_doc target_too_early
expect_exit 3 y --json plan shop --at 2026-11-01T00:00:00Z
error_doc target_too_early

expect_exit 3 y --json plan shop --lsn 9000
error_doc after_last_log
expect_err_has "8200"
expect_error_format hint
expect_exit 3 y --json plan shop --lsn 8201
error_doc after_last_log
expect_exit 3 y --json plan shop --at 2026-11-19T00:00:00Z
error_doc after_last_log
expect_exit 3 y --json plan shop --at 2026-11-18T01:00:00.000001Z
error_doc after_last_log
# ... while the last log's end itself is reachable.
expect_exit 0 y --json plan shop --at 2026-11-18T01:00:00Z
expect_json '.restores_to_lsn' '8200'
expect_exit 0 y --json plan shop --lsn 8200
expect_json '.restores_to_lsn' '8200'

expect_exit 3 y --json plan nosuchdb
error_doc no_backups
expect_err_has "nosuchdb"
expect_exit 3 y plan nosuchdb
expect_out_empty
expect_error_format

# ---- a lost log backup: k=30, LSN 3900..4000, 2026-11-16T06:00..07:00Z --------------

rm "$REPO/$(log_media 30)"

expect_exit 3 y --json plan shop --at 2026-11-16T06:30:00Z
error_doc log_gap
expect_json '[.gap_from_lsn, .gap_to_lsn]' '[3900, 4000]'
expect_json '.before_backup_set_uuid' "\"$(log_uuid 29)\""
expect_json '.after_backup_set_uuid' "\"$(log_uuid 31)\""
expect_jq ".unusable_backups | index(\"$(log_uuid 30)\") != null" "log 30 is named unusable"
expect_error_format hint
expect_err_has "3900"
expect_err_has "4000"
expect_err_has "$(log_uuid 30)"

expect_exit 3 y plan shop --at 2026-11-16T06:30:00Z
expect_out_empty
expect_err_has "$(log_uuid 29)"
expect_err_has "$(log_uuid 31)"

expect_exit 3 y --json plan shop --lsn 3950
error_doc log_gap
expect_json '[.gap_from_lsn, .gap_to_lsn]' '[3900, 4000]'

# Before the gap: through the k=24 diff, logs 25..29.
expect_exit 0 y --json plan shop --at 2026-11-16T05:30:00Z
expect_eq "gap, --at 05:30Z the 16th: steps" \
    "full:1000 diff:3400 log:3500 log:3600 log:3700 log:3800 log:3900" "$(steps_of)"
expect_json '.steps[1].backup_set_uuid' "\"$DIFF24_UUID\""
expect_exit 0 y --json plan shop --lsn 3900
expect_json '.restores_to_lsn' '3900'

# After the gap: the k=48 diff bridges it.
expect_exit 0 y --json plan shop --at 2026-11-17T03:30:00Z
expect_eq "gap, --at 03:30Z the 17th: steps" "$PATH_0330" "$(steps_of)"
expect_json '.steps[1].backup_set_uuid' "\"$DIFF48_UUID\""
expect_exit 0 y --json plan shop
expect_json '.restores_to_lsn' '8200'
expect_exit 0 y --json plan shop --mark before-price-update
expect_json '.steps[-1].backup_set_uuid' "\"$(log_uuid 53)\""

# Between the gap and the k=48 diff nothing reaches: still log_gap.
expect_exit 3 y --json plan shop --at 2026-11-16T12:00:00Z
error_doc log_gap
expect_json '[.gap_from_lsn, .gap_to_lsn]' '[3900, 4000]'

# The k=48 diff lost too: after the gap nothing at all.
mv "$REPO/shop/diff/5a0c1e00-d02.ydk" "$TMP/d02.ydk"
expect_exit 3 y --json plan shop --at 2026-11-17T03:30:00Z
error_doc log_gap
expect_jq ".unusable_backups | index(\"$DIFF48_UUID\") != null" "the k=48 diff is named unusable"
expect_err_has "$DIFF48_UUID" # CONTRACT.md: missing media is named in the error
mv "$TMP/d02.ydk" "$REPO/shop/diff/5a0c1e00-d02.ydk"
echo "sample media" >"$REPO/$(log_media 30)"

# A damaged diff is routed around: k=48 damaged, the k=24 diff and logs 25..51.
sqlite3 "$REPO/catalog.db" "UPDATE backupset SET is_damaged = 1 WHERE backup_set_uuid = '$DIFF48_UUID'"
expect_exit 0 y --json plan shop --at 2026-11-17T03:30:00Z
expect_json '.steps[1].backup_set_uuid' "\"$DIFF24_UUID\""
expect_json '.steps | length' '29' # full, diff 24, logs 25..51
expect_jq "[.steps[].backup_set_uuid] | index(\"$DIFF48_UUID\") == null" "the damaged diff is not used"
sqlite3 "$REPO/catalog.db" "UPDATE backupset SET is_damaged = 0"

# ---- the full marked damaged ----------------------------------------------------------
# plan_explain.c: a usable diff whose base full is unusable gives
# diff_base_missing; with no diff at or before the target, target_too_early.
# Either way the message names the damaged full.

sqlite3 "$REPO/catalog.db" "UPDATE backupset SET is_damaged = 1 WHERE type = 'full'"

expect_exit 3 y --json plan shop --at 2026-11-17T03:30:00Z
error_doc diff_base_missing
expect_json '.backup_set_uuid' "\"$DIFF48_UUID\""
expect_json '.differential_base_guid' "\"$FULL_UUID\""
expect_jq ".message | contains(\"$FULL_UUID\") and contains(\"damaged\")" "the message names the damaged full"
expect_jq ".unusable_backups | index(\"$FULL_UUID\") != null" "the full is named unusable"
expect_err_has "$FULL_UUID"
expect_error_format hint

expect_exit 3 y --json plan shop --lsn 2000
error_doc target_too_early
expect_jq ".message | contains(\"$FULL_UUID\") and contains(\"damaged\")" "the message names the damaged full"
expect_jq ".unusable_backups | index(\"$FULL_UUID\") != null" "the full is named unusable"
expect_err_has "$FULL_UUID"

expect_exit 3 y --json plan shop
expect_jq '.error == "diff_base_missing" or .error == "target_too_early"' "latest, full damaged"
expect_err_has "$FULL_UUID"

sqlite3 "$REPO/catalog.db" "UPDATE backupset SET is_damaged = 0"
expect_exit 0 y --json plan shop --lsn 2000
expect_json '.restores_to_lsn' '2000'

# ---- usage errors (exit 2) -------------------------------------------------------------

expect_exit 2 y plan
expect_error_format hint
expect_err_has "plan"
expect_exit 2 y plan --lsn 5
expect_error_format
expect_exit 2 y plan shop other
expect_error_format
expect_exit 2 y plan shop --at 2026-11-17T03:30:00Z --lsn 6000
expect_err_has "one target"
expect_error_format
expect_exit 2 y plan shop --mark a --before-mark b
expect_error_format
expect_exit 2 y plan shop --lsn 5 --lsn 6
expect_error_format
expect_exit 2 y plan shop --lsn abc
expect_err_has "abc"
expect_error_format
expect_exit 2 y plan shop --lsn -5
expect_error_format
expect_exit 2 y plan shop --lsn 12x
expect_error_format
expect_exit 2 y plan shop --at yesterday
expect_err_has "invalid time"
expect_err_has "yesterday"
expect_error_format hint
expect_exit 2 y plan shop --at 2026-13-01T00:00:00Z
expect_err_has "invalid time"
expect_exit 2 y plan shop --at 2026-11-17T03:30:00.1234567Z
expect_err_has "invalid time"
expect_exit 2 y plan shop --mark ""
expect_error_format
expect_exit 2 y --json plan shop --lsn abc
expect_json '.error' '"usage"'
expect_exit 2 y plan shop --no-such-option
expect_error_format hint
expect_exit 2 y plan shop --at
expect_error_format hint
expect_err_has "--at"

finish
