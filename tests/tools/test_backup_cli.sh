#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2317 # jq programs in single quotes; helpers run via traps
# test_backup_cli.sh: backups and media end to end, through the command line
# (DESIGN.md "Backups" and "Media", CONTRACT.md): full, diff, log, copy-only
# full and log, tail-log, encryption and compression, verify, catalog
# rebuild, with a writer committing all along; and the faults: flipped bytes
# in a header, a block, a checksum, an authentication tag; truncation; two
# media swapped; a wrong key; a database the catalog knows under another
# GUID; a file that is not SQLite; a broken chain; a full disk (RLIMIT_FSIZE)
# and kill -9 during a backup, which leave nothing registered.
#
#   bash test_backup_cli.sh PATH-OF-yedek SOURCE-DIR
set -u

YEDEK=${1:-}
SRC=${2:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
command -v bsdtar >/dev/null || setup_fail "bsdtar is needed (apt-get install libarchive-tools)"

REPO=$TMP/repo
Y() { "$YEDEK" -r "$REPO" "$@"; }
KEY=$TMP/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
chmod 600 "$KEY"
OTHERKEY=$TMP/otherkey
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$OTHERKEY"

DB=$TMP/app.db
sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT, b BLOB);
  WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 3000)
  INSERT INTO t(v, b) SELECT 'row ' || x, randomblob(300) FROM n;" >/dev/null ||
    setup_fail "create $DB"
"$YEDEK" init "$DB" >/dev/null 2>&1 || setup_fail "yedek init $DB"

# A writer through capture, all along.
writer_start() {
    : >"$TMP/writer.go"
    (
        n=0
        while [ -e "$TMP/writer.go" ]; do
            n=$((n + 1))
            "$YEDEK" sql "$DB" "INSERT INTO t(v, b) VALUES ('w$n', randomblob(200)); UPDATE t SET v = v || '.' WHERE i = $((n % 3000 + 1));" >/dev/null 2>&1
        done
    ) &
    WRITER=$!
}

rows() { sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM backupset"; }

writer_start
sleep 0.3

# ---- full, log, diff, copy-only, with the writer going -----------------------
backup full "$DB" --compress none
expect_json '.backup.type' '"full"'
expect_jq '.backup.first_lsn == .backup.last_lsn and .backup.checkpoint_lsn == .backup.last_lsn' "a full sits at one LSN"
expect_jq '.backup.is_copy_only == 0 and .backup.database_backup_lsn == null' "the first full"
FULL1=$(field backup_set_uuid)
FULL1_LSN=$(field last_lsn)
FULL1_MEDIA=$(field media_path)
expect_eq "full media mode" "600" "$(stat -c %a "$REPO/$FULL1_MEDIA")"
expect_eq "full media size is the catalog's" "$(field backup_size)" "$(stat -c %s "$REPO/$FULL1_MEDIA")"
expect_eq "full media sha256 is the catalog's" "$(field media_sha256)" "$(sha256sum "$REPO/$FULL1_MEDIA" | cut -c1-64)"

# Stock tools read it: bsdtar lists it, and its data is the database.
run bsdtar -tvf "$REPO/$FULL1_MEDIA"
expect_out_has "yedek-header"
expect_out_has "data/"
(cd "$TMP" && bsdtar -xOf "$REPO/$FULL1_MEDIA" 'data/*' >"$TMP/extracted.db") 2>/dev/null
expect_eq "the extracted full passes integrity_check" "ok" "$(sqlite3 "$TMP/extracted.db" 'PRAGMA integrity_check' 2>&1)"
run sqlite3 "$TMP/extracted.db" "SELECT count(*) >= 3000 FROM t"
expect_out_has "1"

sleep 0.2
backup log "$DB"
expect_jq '.backup.type == "log" and .backup.begins_log_chain == 1' "the first log begins the chain"
expect_jq ".backup.database_backup_lsn == $FULL1_LSN" "database_backup_lsn is the base full's"
LOG1_LAST=$(field last_lsn)
LOG1_TIME=$(field last_time)
sleep 0.2
backup log "$DB" --compress zstd:1
expect_jq ".backup.first_lsn == $LOG1_LAST and .backup.begins_log_chain == 0" "the second log follows the first"
expect_jq ".backup.first_time == \"$LOG1_TIME\"" "its first_time is the previous log's last_time"
expect_jq '.backup.last_lsn > .backup.first_lsn' "it holds the writer's transactions"

sleep 0.2
backup diff "$DB"
expect_jq ".backup.type == \"diff\" and .backup.differential_base_guid == \"$FULL1\" and .backup.differential_base_lsn == $FULL1_LSN" "the diff names its base"
expect_jq '.scanned == false' "the diff used the DCM"
expect_jq '.extents_saved <= .extents' "extent counts"

backup full "$DB" --copy-only
expect_jq '.backup.is_copy_only == 1' "copy-only full"
backup diff "$DB"
expect_jq ".backup.differential_base_guid == \"$FULL1\"" "a copy-only full is never a diff base"

backup log "$DB" --copy-only
expect_jq '.backup.is_copy_only == 1 and .backup.begins_log_chain == 0' "copy-only log"
COPY_LOG_LAST=$(field last_lsn)
backup log "$DB" --key-file "$KEY" --description "nightly, encrypted"
expect_jq '.backup.is_copy_only == 0 and .backup.begins_log_chain == 0' "a regular log after a copy-only one"
expect_jq '.backup.description == "nightly, encrypted"' "description"
ENC_LOG=$(field backup_set_uuid)
ENC_MEDIA=$(field media_path)
expect_jq ".backup.last_lsn >= $COPY_LOG_LAST" "the regular log reaches the copy-only one's end"

# The catalog's regular logs tile the LSN line.
gaps=$(sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM (SELECT first_lsn, lag(last_lsn) OVER (ORDER BY first_lsn) AS prev FROM backupset WHERE type='log' AND is_copy_only=0) WHERE prev IS NOT NULL AND prev != first_lsn")
expect_eq "regular logs tile the LSN line" "0" "$gaps"

# A mark travels with the log that holds it.
expect_exit 0 "$YEDEK" mark "$DB" before-upgrade
backup log "$DB"
expect_eq "the mark is registered with its log" "$(field backup_set_uuid)" \
    "$(sqlite3 "$REPO/catalog.db" "SELECT backup_set_uuid FROM backupmark WHERE name='before-upgrade'")"

# ---- verify ----------------------------------------------------------------
expect_exit 1 Y verify
expect_err_has "could not be checked"
run Y --json verify --key-file "$OTHERKEY" "$ENC_LOG"
expect_eq "verify with another key: exit 1" "1" "$RC"
expect_jq '.backups[0].error | test("wrong key")' "a wrong key is named as such"
expect_exit 0 Y verify --key-file "$KEY"
expect_out_has "0 failed"

writer_stop

# ---- faults: each is found, exit 4, naming the file -------------------------
verify_fails() { # WHAT UUID [KEYFILE]
    local what=$1 uuid=$2
    run Y verify ${3:+--key-file "$3"} "$uuid"
    expect_eq "$what: verify exit" "4" "$RC"
    if grep -q "$(media_of "$uuid")" "$OUT"; then pass; else fail "$what: the report names the file" "$(cat "$OUT")"; fi
    expect_eq "$what: marked damaged" "1" "$(sqlite3 "$REPO/catalog.db" "SELECT is_damaged FROM backupset WHERE backup_set_uuid='$uuid'")"
}
fault() { # WHAT UUID KEYFILE MUTATION...: mutate a copy, verify, put it back
    local what=$1 uuid=$2 key=$3 m
    shift 3
    m=$REPO/$(media_of "$uuid")
    cp "$m" "$TMP/saved"
    "$@" "$m"
    verify_fails "$what" "$uuid" "$key"
    cp "$TMP/saved" "$m"
    expect_exit 0 Y verify ${key:+--key-file "$key"} "$uuid"
    expect_eq "$what: unmarked after repair" "0" "$(sqlite3 "$REPO/catalog.db" "SELECT is_damaged FROM backupset WHERE backup_set_uuid='$uuid'")"
}
in_header() { flip "$1" 600; }                      # inside the yedek-header entry's text
in_block() { flip "$1" $(( $(stat -c %s "$1") / 2 )); }
in_xxh3() { # the checksum attribute (user.yedek.xxh3) of the first data entry
    local off
    off=$(grep -abo 'yedek.xxh3=' "$1" | head -n1 | cut -d: -f1)
    flip "$1" $((off + 12))
}
truncate_half() { truncate -s $(( $(stat -c %s "$1") / 2 )) "$1"; }
truncate_end() { truncate -s $(( $(stat -c %s "$1") - 1 )) "$1"; }
in_tag() { flip "$1" $(( $(stat -c %s "$1") - 3 )); }

fault "flipped header byte" "$FULL1" "" in_header
fault "flipped block byte" "$FULL1" "" in_block
fault "flipped checksum" "$FULL1" "" in_xxh3
fault "truncated" "$FULL1" "" truncate_half
fault "one byte short" "$FULL1" "" truncate_end
fault "flipped auth tag" "$ENC_LOG" "$KEY" in_tag
fault "encrypted, flipped block" "$ENC_LOG" "$KEY" in_block
fault "encrypted, truncated" "$ENC_LOG" "$KEY" truncate_half

# Two media swapped: each file is whole, but not the backup its row names.
LOGS=$(sqlite3 "$REPO/catalog.db" "SELECT backup_set_uuid FROM backupset WHERE type='log' AND media_path NOT LIKE '%.enc' ORDER BY backup_id LIMIT 2")
A=$(echo "$LOGS" | sed -n 1p)
B=$(echo "$LOGS" | sed -n 2p)
MA=$REPO/$(media_of "$A")
MB=$REPO/$(media_of "$B")
mv "$MA" "$TMP/swap" && mv "$MB" "$MA" && mv "$TMP/swap" "$MB"
run Y verify "$A" "$B"
expect_eq "swapped media: verify exit" "4" "$RC"
expect_out_has "does not match its catalog row"
mv "$MA" "$TMP/swap" && mv "$MB" "$MA" && mv "$TMP/swap" "$MB"
expect_exit 0 Y verify "$A" "$B"

# ---- tail-log: the database gone, the capture state left ----------------------
"$YEDEK" sql "$DB" "INSERT INTO t(v) VALUES ('last words')" >/dev/null
LAST_LSN=$("$YEDEK" --json status "$DB" | jq .lsn)
mv "$DB" "$TMP/app.db.lost"
rm -f "$DB-wal" "$DB-shm"
expect_exit 1 Y backup log "$DB"
backup log "$DB" --tail
expect_jq ".backup.last_lsn == $LAST_LSN" "the tail-log reaches the last captured LSN"
mv "$TMP/app.db.lost" "$DB"

# ---- catalog rebuild ------------------------------------------------------------
dump() {
    sqlite3 "$REPO/catalog.db" "SELECT * FROM backupset ORDER BY backup_id;
      SELECT * FROM recoveryfork ORDER BY fork_guid;
      SELECT database_guid, name, lsn, mark_time, backup_set_uuid, recovery_fork_guid FROM backupmark ORDER BY lsn, name;"
}
dump >"$TMP/before.txt"
rm -f "$REPO/catalog.db" "$REPO/catalog.db-wal" "$REPO/catalog.db-shm"
expect_exit 0 Y catalog rebuild --key-file "$KEY"
dump >"$TMP/after.txt"
if cmp -s "$TMP/before.txt" "$TMP/after.txt"; then pass; else
    fail "the rebuilt catalog equals the original" "$(diff "$TMP/before.txt" "$TMP/after.txt" | head -n 10)"
fi
expect_exit 0 Y catalog rebuild
expect_err_has "encrypted"
expect_exit 0 Y catalog rebuild --key-file "$KEY"

# ---- refusals ----------------------------------------------------------------
echo "not a database at all" >"$TMP/junk.db"
expect_exit 1 Y backup full "$TMP/junk.db"
expect_err_has "is not a SQLite database"
expect_error_format hint

OTHER=$TMP/other/app.db
mkdir -p "$TMP/other"
sqlite3 "$OTHER" "PRAGMA journal_mode=WAL; CREATE TABLE x(y);" >/dev/null
"$YEDEK" init "$OTHER" >/dev/null
expect_exit 1 Y backup full "$OTHER"
expect_err_has "the catalog knows 'app' as database"

# A write without capture breaks the chain: log backups refuse (exit 5), a
# diff falls back to comparing every extent, a full starts a new chain.
sqlite3 "$DB" "INSERT INTO t(v) VALUES ('behind capture''s back')"
expect_exit 5 Y backup log "$DB"
expect_err_has "broken"
expect_error_format hint
backup diff "$DB"
expect_jq '.scanned == true and (.scan_reason | test("not trusted"))' "the diff after a break scans"
expect_exit 0 "$YEDEK" --json status "$DB"
expect_jq '.db_checksum == null' "after a break that may hide changes the rolling checksum is unknown"
backup full "$DB"
NEWFULL_LSN=$(field last_lsn)
expect_exit 0 "$YEDEK" --json status "$DB"
expect_jq '.db_checksum != null' "the base full re-based the rolling checksum"
backup log "$DB"
expect_jq ".backup.begins_log_chain == 1 and .backup.first_lsn <= $NEWFULL_LSN" "a new chain begins at the new full"
backup diff "$DB"
expect_jq '.scanned == false' "the DCM is trusted again after the full"

# ... and to the right value, on a database of its own: after a write
# without capture, a base full re-bases the checksum; a later full compares
# its image with it (it would break the chain, with a warning, if they
# differed), and a restore proves the whole database against it.
RB=$TMP/rebase/app.db
mkdir -p "$TMP/rebase"
sqlite3 "$RB" "PRAGMA journal_mode=WAL; CREATE TABLE t(v);" >/dev/null
"$YEDEK" init "$RB" >/dev/null
"$YEDEK" sql "$RB" "INSERT INTO t VALUES ('captured')"
sqlite3 "$RB" "INSERT INTO t VALUES ('behind capture''s back')"
expect_exit 0 "$YEDEK" -r "$TMP/rebase/repo" --json backup full "$RB"
"$YEDEK" sql "$RB" "INSERT INTO t VALUES ('after the re-base')"
expect_exit 0 "$YEDEK" -r "$TMP/rebase/repo" --json backup full "$RB" --copy-only
expect_err_lacks "differs from what capture recorded"
expect_exit 0 "$YEDEK" -r "$TMP/rebase/repo" --json backup log "$RB"
expect_exit 0 "$YEDEK" -r "$TMP/rebase/repo" --json restore app --to "$TMP/rebase/restored.db"
expect_jq '.checksum_verified == true' "a restore after the re-base checks the rolling checksum"
expect_eq "the restored rows" "captured,behind capture's back,after the re-base" \
    "$(sqlite3 "$TMP/rebase/restored.db" "SELECT group_concat(v) FROM t")"

# ---- a full disk and kill -9: nothing registered, the next backup works -------
before=$(rows)
(
    trap '' XFSZ
    ulimit -f 64
    exec "$YEDEK" -r "$REPO" backup full "$DB" --compress none
) >"$OUT" 2>"$ERR"
RC=$?
expect_eq "file size limit: exit" "1" "$RC"
expect_err_has "yedek: "
expect_eq "file size limit: nothing registered" "$before" "$(rows)"
expect_eq "file size limit: no temporary file left" "" "$(find "$REPO" -name '.*.tmp')"

# A real full disk where this machine lets us mount a small tmpfs (as root):
# the free-space check passes (zstd usually halves a database), then the
# incompressible data fill the disk mid-write.
SMALL=$TMP/small
mkdir -p "$SMALL"
if mount -t tmpfs -o size=4m tmpfs "$SMALL" 2>/dev/null; then
    RND=$TMP/random.db
    sqlite3 "$RND" "PRAGMA journal_mode=WAL; CREATE TABLE r(b BLOB);
      WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 1300)
      INSERT INTO r SELECT randomblob(4000) FROM n;" >/dev/null
    "$YEDEK" init "$RND" >/dev/null
    run "$YEDEK" -r "$SMALL/repo" backup full "$RND"
    expect_eq "disk full: exit" "1" "$RC"
    expect_err_has "No space left on device"
    expect_eq "disk full: nothing registered" "0" "$(sqlite3 "$SMALL/repo/catalog.db" "SELECT count(*) FROM backupset" 2>/dev/null || echo 0)"
    expect_eq "disk full: no media, no temporary file" "" "$(find "$SMALL/repo" -name '*.ybk*')"
    umount "$SMALL"
else
    echo "note: cannot mount a tmpfs here; the full-disk case runs with RLIMIT_FSIZE only"
fi

"$YEDEK" sql "$DB" "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 20000) INSERT INTO t(v, b) SELECT 'big', randomblob(2000) FROM n" >/dev/null
before=$(rows)
files_before=$(find "$REPO" -name '*.ybk' | wc -l)
"$YEDEK" -r "$REPO" backup full "$DB" --compress zstd:19 >/dev/null 2>&1 &
victim=$!
sleep 0.5
kill -9 "$victim" 2>/dev/null
wait "$victim" 2>/dev/null
expect_eq "kill -9: nothing registered" "$before" "$(rows)"
expect_eq "kill -9: no new media visible" "$files_before" "$(find "$REPO" -name '*.ybk' | wc -l)"
backup full "$DB" --compress none
expect_eq "after kill -9: the next backup registered" "$((before + 1))" "$(rows)"
expect_eq "after kill -9: the stale temporary file was swept" "" "$(find "$REPO" -name '.*.tmp')"
expect_exit 0 Y verify --key-file "$KEY"

finish
