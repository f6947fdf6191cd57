#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2119,SC2317 # jq programs in single quotes; helpers run via expect_exit
# test_capture_cli.sh: capture end to end, through the command line and real
# processes (DESIGN.md "Capture guarantees", CONTRACT.md): `yedek init`,
# `yedek sql`, `yedek status`, `yedek mark`, the loadable extension in the
# sqlite3 shell and in a C program (ext_writer.c), the fail-closed cases (a
# write without capture, a WAL reset behind capture's back, a replaced file,
# a journal-mode switch, a damaged or missing capture state, a capture
# writer killed with kill -9) and several processes writing at once.
# Connections that must stay open while other processes act are "holders":
# ext_writer or the sqlite3 shell reading statements from a fifo.
#
#   bash test_capture_cli.sh PATH-OF-yedek SOURCE-DIR PATH-OF-ext_writer
set -u

YEDEK=${1:-}
SRC=${2:-}
EXT_WRITER=${3:-}
# An absolute path: lib.sh moves to a temporary directory.
[ -x "$EXT_WRITER" ] && EXT_WRITER=$(cd "$(dirname "$EXT_WRITER")" && pwd)/$(basename "$EXT_WRITER")
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[ -x "$EXT_WRITER" ] || setup_fail "usage: $0 PATH-OF-yedek SOURCE-DIR PATH-OF-ext_writer (no executable '$EXT_WRITER')"
EXT=$("$YEDEK" extension 2>/dev/null) || setup_fail "yedek extension failed"
[ -f "$EXT" ] || setup_fail "yedek extension printed '$EXT', which does not exist"

GUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

# ---- helpers -------------------------------------------------------------------

# new_db NAME [journal-mode]: a fresh database $TMP/NAME.db with table t(w, i).
new_db() {
    local db=$TMP/$1.db
    rm -rf "$db" "$db-wal" "$db-shm" "$db-yedek"
    sqlite3 "$db" "PRAGMA journal_mode=${2:-WAL}; CREATE TABLE t(w TEXT, i INTEGER);" >/dev/null ||
        echo "FAIL: setup: sqlite3 could not create $db" >&2
    echo "$db"
}

# captured_db NAME [init options]: new_db, then `yedek init`.
captured_db() {
    local db
    db=$(new_db "$1")
    shift
    "$YEDEK" init "$db" "$@" >/dev/null 2>"$TMP/init.err" ||
        echo "FAIL: setup: yedek init $db failed: $(cat "$TMP/init.err")" >&2
    echo "$db"
}

# status_json DB: `yedek --json status DB` into $OUT (exit code in RC).
status_json() { run "$YEDEK" --json status "$1"; }

# lsn_of DB: the current LSN, or "?" when status fails.
lsn_of() {
    local v
    v=$("$YEDEK" --json status "$1" 2>/dev/null | jq -r '.lsn' 2>/dev/null)
    echo "${v:-?}"
}

# expect_lsn WHAT DB WANT
expect_lsn() { expect_eq "$1: status lsn" "$3" "$(lsn_of "$2")"; }

expect_intact() {
    local what=$1 db=$2
    status_json "$db"
    if [ "$RC" -ne 0 ]; then
        fail "$what: yedek --json status" "expected exit 0, got $RC"
        show stderr "$ERR"
        return 0
    fi
    expect_json '{chain, chain_break_reason}' '{"chain": "intact", "chain_break_reason": null}'
}

# expect_broken WHAT DB REGEX: status exits 0 and reports the chain broken
# with a reason matching REGEX (grep -E, case-insensitive), in --json and in
# the human text.
expect_broken() {
    local what=$1 db=$2 re=$3 reason
    status_json "$db"
    if [ "$RC" -ne 0 ]; then
        fail "$what: yedek --json status $db" "expected exit 0 and chain broken, got exit $RC"
        show stderr "$ERR"
        return 0
    fi
    pass
    reason=$(jq -r '.chain_break_reason' <"$OUT")
    if [ "$(jq -r '.chain' <"$OUT")" = broken ]; then
        pass
    else
        fail "$what: chain" "expected: broken" "got:      $(jq -c '{chain, chain_break_reason, lsn}' <"$OUT")"
        return 0
    fi
    if grep -qiE -- "$re" <<<"$reason"; then
        pass
    else
        fail "$what: chain_break_reason" "expected to match: $re" "got:      $reason"
    fi
    run "$YEDEK" status "$db"
    if [ "$RC" -eq 0 ] && grep -q '^chain *BROKEN' "$OUT" && grep -qF -- "$reason" "$OUT"; then
        pass
    else
        fail "$what: yedek status (human)" "expected exit 0 and a 'chain BROKEN ... $reason' line, got exit $RC"
        show stdout "$OUT"
        show stderr "$ERR"
    fi
}

# expect_rows WHAT DB WANT: SELECT group_concat(i) over t (read with plain
# sqlite3: reading does not break anything).
expect_rows() {
    expect_eq "$1: rows of $2" "$3" "$(sqlite3 "$2" "SELECT group_concat(i, ',') FROM (SELECT i FROM t ORDER BY rowid)" 2>&1)"
}

# Long-lived connections driven through a fifo, so a database can be kept
# open by one process while others act.  A holder runs either ext_writer
# (capture loaded) or the plain sqlite3 shell; hold SQL runs one statement
# and waits until the holder has finished it.
declare -A H_FD H_PID H_N H_KIND H_OUT
H_SEQ=0
# hold_start NAME capture|plain DB
hold_start() {
    local name=$1 kind=$2 db=$3 fifo fd
    # Fresh files for every holder: a "done N" left by an earlier holder of
    # the same name must never be taken for this one's.
    H_SEQ=$((H_SEQ + 1))
    fifo=$TMP/holder$H_SEQ.fifo
    mkfifo "$fifo" || setup_fail "mkfifo $fifo"
    H_OUT[$name]=$TMP/holder$H_SEQ.out
    : >"${H_OUT[$name]}"
    if [ "$kind" = capture ]; then
        "$EXT_WRITER" "$EXT" "$db" - <"$fifo" >"${H_OUT[$name]}" 2>&1 &
    else
        sqlite3 -batch "$db" <"$fifo" >"${H_OUT[$name]}" 2>&1 &
    fi
    H_PID[$name]=$!
    exec {fd}<>"$fifo"
    H_FD[$name]=$fd
    H_N[$name]=0
    H_KIND[$name]=$kind
    [ "$kind" = plain ] && echo ".timeout 20000" >&"$fd"
    return 0
}
# hold NAME SQL: run SQL in the holder and wait (up to 20 s) until it is done.
hold() {
    local name=$1 sql=$2 n fd=${H_FD[$1]} i
    n=$((H_N[$name] + 1))
    H_N[$name]=$n
    if [ "${H_KIND[$name]}" = capture ]; then
        echo "$sql" >&"$fd"
    else
        printf '%s;\n.print done %d\n' "$sql" "$n" >&"$fd"
    fi
    for ((i = 0; i < 400; i++)); do
        grep -qx "done $n" "${H_OUT[$name]}" && return 0
        kill -0 "${H_PID[$name]}" 2>/dev/null || break
        sleep 0.05
    done
    fail "holder $name: '$sql' did not finish" "output of the holder:"
    show "holder output" "${H_OUT[$name]}"
    return 1
}
# hold_stop NAME: close the holder's connection (EOF on its input) and wait.
hold_stop() {
    local name=$1 fd=${H_FD[$1]}
    exec {fd}>&-
    wait "${H_PID[$name]}" 2>/dev/null
    return 0
}

# ---- init -----------------------------------------------------------------------

echo "this is not a database" >"$TMP/notdb.db"
expect_exit 1 "$YEDEK" init "$TMP/notdb.db"
expect_err_has "not a SQLite database"
expect_error_format
if [ -e "$TMP/notdb.db-yedek" ]; then fail "$LAST" "expected no notdb.db-yedek left behind"; else pass; fi

DB=$(new_db rollback DELETE)
expect_exit 1 "$YEDEK" init "$DB"
expect_err_has "WAL"
expect_err_has "journal_mode=WAL" # the fix, in the hint
expect_error_format hint
if [ -e "$DB-yedek" ]; then fail "$LAST" "expected no rollback.db-yedek left behind"; else pass; fi

expect_exit 1 "$YEDEK" init "$TMP/missing.db"
expect_error_format
expect_exit 2 "$YEDEK" init
expect_exit 2 "$YEDEK" init "$TMP/x.db" "$TMP/y.db"

DB=$(new_db app)
expect_exit 0 "$YEDEK" init "$DB"
GUID=$(cat "$OUT")
expect_eq "yedek init: stdout is one line" 1 "$(wc -l <"$OUT")"
expect_eq "yedek init: GUID length" 36 "${#GUID}"
if grep -qE "$GUID_RE" <<<"$GUID"; then pass; else fail "$LAST" "expected a GUID, got: $GUID"; fi
for f in state log dcm; do
    if [ -f "$DB-yedek/$f" ]; then pass; else fail "$LAST" "expected $DB-yedek/$f"; fi
done

expect_exit 1 "$YEDEK" init "$DB"
expect_err_has "already under capture"
expect_error_format

status_json "$DB"
expect_eq "status after init: exit" 0 "$RC"
expect_json '.database_guid' "\"$GUID\""
expect_json '.lsn' 1
expect_json '.database' '"app"'
expect_json '.recovery_model' '"full"'
expect_json '.journal_mode' '"wal"'
expect_json '.chain' '"intact"'
expect_json '.chain_break_reason' 'null'
expect_jq '(.log_bytes | type) == "number" and (.dcm_extents_marked | type) == "number"' \
    "log_bytes and dcm_extents_marked are numbers"

DB=$(new_db jsoninit)
expect_exit 0 "$YEDEK" --json init "$DB"
expect_jq '.database == "jsoninit" and .recovery_model == "full" and .lsn == 1' "init --json fields"
expect_jq "(.database_guid | test(\"$GUID_RE\")) and (.recovery_fork_guid | test(\"$GUID_RE\"))" "GUIDs"
GUID=$(jq -r .database_guid <"$OUT")
status_json "$DB"
expect_json '.database_guid' "\"$GUID\""

DB=$(new_db named)
expect_exit 0 "$YEDEK" init "$DB" --name shop --recovery simple
status_json "$DB"
expect_json '{database, recovery_model}' '{"database": "shop", "recovery_model": "simple"}'
run "$YEDEK" status "$DB"
expect_out_has "shop"
expect_out_has "simple"
expect_exit 2 "$YEDEK" init "$(new_db badmodel)" --recovery bulk
expect_err_has "bulk"

# ---- sql and status -----------------------------------------------------------

DB=$(captured_db sql)
expect_lsn "after init" "$DB" 1
for i in 1 2 3 4 5; do
    run "$YEDEK" sql "$DB" "INSERT INTO t VALUES('sql', $i)"
    [ "$RC" -eq 0 ] || fail "$LAST" "exit $RC: $(cat "$ERR")"
done
expect_lsn "5 inserts through yedek sql" "$DB" 6
expect_intact "5 inserts through yedek sql" "$DB"
run "$YEDEK" sql "$DB" <<<"INSERT INTO t VALUES('stdin', 6); INSERT INTO t VALUES('stdin', 7);"
expect_eq "yedek sql from stdin: exit" 0 "$RC"
expect_lsn "two autocommit statements from stdin" "$DB" 8
expect_exit 0 "$YEDEK" sql "$DB" "BEGIN; INSERT INTO t VALUES('txn', 8); INSERT INTO t VALUES('txn', 9); COMMIT;"
expect_lsn "one transaction of two inserts" "$DB" 9
expect_exit 0 "$YEDEK" sql "$DB" "SELECT count(*), max(i) FROM t"
expect_eq "yedek sql SELECT output" "9|9" "$(cat "$OUT")"
expect_lsn "a read adds no transaction" "$DB" 9
status_json "$DB"
expect_jq '.log_bytes > 4 * 4096' "full recovery keeps page images: log_bytes > 4 pages (each process logs a page whole the first time)"
expect_jq '.last_commit_time != null' "last_commit_time set"
run "$YEDEK" status "$DB"
expect_out_has "lsn             9"
expect_out_has "intact"
# A transaction that grows the database rewrites page 1 (its size and change
# counter): once checkpointed, that is not a write outside capture.
run "$YEDEK" sql "$DB" "INSERT INTO t VALUES('big', randomblob(20000))"
expect_eq "a write that grows the database: exit" 0 "$RC"
expect_exit 0 "$YEDEK" sql "$DB" "PRAGMA wal_checkpoint(TRUNCATE)"
expect_lsn "a write that grows the database" "$DB" 10
expect_intact "a write that grows the database, checkpointed" "$DB"
expect_exit 0 "$YEDEK" sql "$DB" "DELETE FROM t WHERE w = 'big'; VACUUM;"
expect_lsn "DELETE, then VACUUM (the database shrinks)" "$DB" 12
expect_intact "after VACUUM" "$DB"
expect_exit 1 "$YEDEK" sql "$DB" "INSERT INTO nosuch VALUES(1)"
expect_err_has "nosuch"
expect_lsn "a failed statement adds no transaction" "$DB" 12

DB=$(captured_db simple --recovery simple)
for i in 1 2 3 4; do "$YEDEK" sql "$DB" "INSERT INTO t VALUES('simple', $i)"; done
expect_lsn "recovery simple: LSNs still advance" "$DB" 5
status_json "$DB"
expect_jq '.log_bytes < 4 * 4096' "recovery simple keeps no page images: log_bytes < 4 pages"

DB=$(new_db nocapture)
expect_exit 1 "$YEDEK" sql "$DB" "INSERT INTO t VALUES('x', 1)"
expect_err_has "not under capture"
expect_err_has "yedek init"
expect_error_format hint
expect_rows "yedek sql without capture writes nothing" "$DB" ""
expect_exit 1 "$YEDEK" status "$DB"
expect_err_has "not under capture"
expect_error_format hint

# ---- the extension: the sqlite3 shell, a C program, Python --------------------

expect_exit 0 "$YEDEK" extension
expect_eq "yedek extension prints the path" "$EXT" "$(cat "$OUT")"
case $EXT in */libyedek.so) pass ;; *) fail "yedek extension" "expected .../libyedek.so, got $EXT" ;; esac
expect_exit 0 "$YEDEK" --json extension
expect_json '.path' "\"$EXT\""

DB=$(captured_db shell)
expect_exit 0 sqlite3 :memory: ".load $EXT" ".open $DB" \
    "INSERT INTO t VALUES('shell', 1)" "INSERT INTO t VALUES('shell', 2)" "INSERT INTO t VALUES('shell', 3)"
expect_lsn "3 inserts from the sqlite3 shell with the extension" "$DB" 4
expect_intact "sqlite3 shell with the extension" "$DB"
expect_rows "sqlite3 shell with the extension" "$DB" "1,2,3"

DB=$(captured_db cprog)
expect_exit 0 "$EXT_WRITER" "$EXT" "$DB" .vfsname
expect_eq "ext_writer: the second connection's VFS" "yedek/unix" "$(cat "$OUT")"
expect_exit 0 "$EXT_WRITER" "$EXT" "$DB" "INSERT INTO t VALUES('c', 1)" "INSERT INTO t VALUES('c', 2)" \
    "BEGIN; INSERT INTO t VALUES('c', 3); INSERT INTO t VALUES('c', 4); COMMIT"
expect_lsn "a C program: load_extension, then sqlite3_open_v2, 3 transactions" "$DB" 4
expect_intact "a C program with the extension" "$DB"
expect_rows "a C program with the extension" "$DB" "1,2,3,4"

# A database without capture passes straight through the capture VFS.
DB=$(new_db passthrough)
expect_exit 0 "$EXT_WRITER" "$EXT" "$DB" "INSERT INTO t VALUES('p', 1)"
expect_rows "capture VFS on a database without capture" "$DB" "1"
if [ -e "$DB-yedek" ]; then fail "$LAST" "expected no $DB-yedek created"; else pass; fi

if python3 -c 'import sqlite3, sys; sys.exit(0 if hasattr(sqlite3.connect(":memory:"), "enable_load_extension") else 1)' 2>/dev/null; then
    DB=$(captured_db python)
    run python3 - "$EXT" "$DB" <<'EOF'
import sqlite3, sys
ext, path = sys.argv[1], sys.argv[2]
c0 = sqlite3.connect(":memory:")
c0.enable_load_extension(True)
c0.load_extension(ext)
c = sqlite3.connect(path, isolation_level=None)
c.execute("INSERT INTO t VALUES('py', 1)")
c.execute("INSERT INTO t VALUES('py', 2)")
c.close()
EOF
    expect_eq "python3 with the extension: exit" 0 "$RC"
    expect_lsn "python3 with the extension: 2 inserts" "$DB" 3
    expect_intact "python3 with the extension" "$DB"
else
    echo "skip: python3's sqlite3 module cannot load extensions (no enable_load_extension)"
fi

# ---- mark ---------------------------------------------------------------------------

DB=$(captured_db mark)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('m', 1)"
expect_exit 0 "$YEDEK" mark "$DB" m1
expect_out_has "LSN 2"
expect_lsn "yedek mark: one LSN of its own" "$DB" 3
expect_intact "after yedek mark" "$DB"
expect_exit 0 "$YEDEK" --json mark "$DB" m2
expect_json '.' '{"mark": "m2", "lsn": 3}'
expect_lsn "yedek --json mark" "$DB" 4
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('m', 2)"
expect_lsn "a write after the marks" "$DB" 5
expect_exit 2 "$YEDEK" mark "$DB" ""
expect_exit 2 "$YEDEK" mark "$DB"
expect_exit 1 "$YEDEK" mark "$(new_db marknocap)" m1
expect_err_has "not under capture"
expect_lsn "failed marks add nothing" "$DB" 5
# The SQL function, on the writing connection, inside BEGIN IMMEDIATE.
expect_exit 0 "$EXT_WRITER" "$EXT" "$DB" "BEGIN IMMEDIATE" "SELECT yedek_mark('m3')" "COMMIT"
expect_eq "SELECT yedek_mark('m3') returns the mark's LSN" "5" "$(head -n 1 "$OUT")"
expect_lsn "yedek_mark() inside BEGIN IMMEDIATE ... COMMIT" "$DB" 6
expect_exit 1 "$EXT_WRITER" "$EXT" "$DB" "SELECT yedek_mark('outside')"
expect_err_has "BEGIN IMMEDIATE"

# ---- fail closed: changes outside capture break the chain -------------------------

# (a) A write by plain sqlite3, the last connection: it checkpoints and
# deletes the WAL on close.
DB=$(captured_db foreign_last)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
expect_lsn "(a) before the foreign write" "$DB" 2
sqlite3 "$DB" "INSERT INTO t VALUES('plain', 2)"
if [ -e "$DB-wal" ]; then fail "(a) plain sqlite3 as the last connection" "expected its WAL deleted on close"; else pass; fi
expect_broken "(a) plain sqlite3 write, last connection" "$DB" "without capture"

# (a) ... while a capture connection keeps the database open (it has read,
# not written): the foreign commit is found in the WAL.
DB=$(captured_db foreign_open)
hold_start cap capture "$DB"
hold cap "SELECT count(*) FROM t"
sqlite3 "$DB" "INSERT INTO t VALUES('plain', 1)"
if [ -s "$DB-wal" ]; then pass; else fail "(a) foreign write while a capture connection is open" "expected the WAL kept (the capture connection is open)"; fi
expect_broken "(a) foreign commit found in the WAL" "$DB" "without capture"
hold_stop cap
expect_broken "(a) ... after the capture connection closed" "$DB" "without capture"

# (a) ... while a capture connection that has written keeps it open.  The
# capture connection must keep its locks: the plain process is not the last
# connection, must not delete the WAL under it, and no row may be lost.
DB=$(captured_db foreign_open_writer)
hold_start cap capture "$DB"
hold cap "INSERT INTO t VALUES('cap', 1)"
sqlite3 -cmd ".timeout 20000" "$DB" "INSERT INTO t VALUES('plain', 2)"
if [ -s "$DB-wal" ]; then
    pass
else
    fail "(a) foreign write while a capture writer is open" \
        "expected the WAL kept: the plain process was not the last connection (it checkpointed and deleted the WAL under a live capture connection)"
fi
hold cap "INSERT INTO t VALUES('cap', 3)"
sqlite3 -cmd ".timeout 20000" "$DB" "INSERT INTO t VALUES('plain', 4)"
hold_stop cap
expect_rows "(a) capture writer and plain writer interleaved: no row lost" "$DB" "1,2,3,4"
expect_broken "(a) foreign commit while a capture writer is open" "$DB" "without capture"

# (b) A checkpoint that reset the WAL before capture read it: a captured
# writer's frames stay in the WAL (no autocheckpoint), then plain sqlite3
# checkpoints (TRUNCATE) and writes again.  The writers run without the
# capture thread, which would otherwise read their frames within a
# quarter second, before the reset, and leave nothing to detect.
export YEDEK_CAPTURE_THREAD=off
DB=$(captured_db reset)
hold_start cap capture "$DB"
hold cap "PRAGMA wal_autocheckpoint=0"
hold cap "INSERT INTO t VALUES('cap', 1)"
hold cap "INSERT INTO t VALUES('cap', 2)"
sqlite3 -cmd ".timeout 20000" "$DB" "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES('plain', 3);" >/dev/null
expect_broken "(b) WAL reset by a checkpoint outside capture" "$DB" "reset|checkpoint"
hold_stop cap
expect_rows "(b) rows" "$DB" "1,2,3"

# (b) ... with a plain reader also holding the database, so that the WAL
# survives the foreign process and the new generation is found in it.
DB=$(captured_db reset_kept)
hold_start rd plain "$DB"
hold rd "SELECT count(*) FROM t"
hold_start cap capture "$DB"
hold cap "PRAGMA wal_autocheckpoint=0"
hold cap "INSERT INTO t VALUES('cap', 1)"
hold cap "INSERT INTO t VALUES('cap', 2)"
sqlite3 -cmd ".timeout 20000" "$DB" "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES('plain', 3);" >/dev/null
expect_broken "(b) WAL reset, new generation in the WAL" "$DB" "reset|checkpoint"
hold_stop cap
hold_stop rd

# (b) ... the reset after capture has read the first generation.
DB=$(captured_db reset_after_read)
hold_start rd plain "$DB"
hold rd "SELECT count(*) FROM t"
hold_start cap capture "$DB"
hold cap "PRAGMA wal_autocheckpoint=0"
hold cap "INSERT INTO t VALUES('cap', 1)"
expect_lsn "(b) the first generation is read" "$DB" 2
hold cap "INSERT INTO t VALUES('cap', 2)"
sqlite3 -cmd ".timeout 20000" "$DB" "PRAGMA wal_checkpoint(TRUNCATE); INSERT INTO t VALUES('plain', 3);" >/dev/null
expect_broken "(b) WAL reset after a capture step" "$DB" "reset|checkpoint"
hold_stop cap
hold_stop rd
unset YEDEK_CAPTURE_THREAD

# (c) The database file replaced: copied over in place (same inode) ...
ANOTHER=$(new_db another)
sqlite3 "$ANOTHER" "INSERT INTO t VALUES('another', 99)"
DB=$(captured_db replaced_cp)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
cp "$ANOTHER" "$DB"
# Copied in place the file keeps its inode: capture cannot tell a copy from
# a write without capture, and the reason must say either.
expect_broken "(c) database copied over (cp)" "$DB" "replaced|changed outside capture"
# ... and renamed over (a new inode).
DB=$(captured_db replaced_mv)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
cp "$ANOTHER" "$TMP/another-copy.db"
mv "$TMP/another-copy.db" "$DB"
expect_broken "(c) database renamed over (mv)" "$DB" "replaced"

# (d) Rollback journal and back, with plain sqlite3.
DB=$(captured_db journal)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
sqlite3 "$DB" "PRAGMA journal_mode=DELETE; INSERT INTO t VALUES('plain', 2); PRAGMA journal_mode=WAL;" >/dev/null
expect_broken "(d) journal_mode=DELETE, a write, journal_mode=WAL" "$DB" "rollback|journal"
# ... and left in rollback-journal mode: status says so.
DB=$(captured_db journal_left)
sqlite3 "$DB" "PRAGMA journal_mode=DELETE;" >/dev/null
expect_broken "(d) left in journal_mode=DELETE" "$DB" "rollback|journal|WAL mode"
status_json "$DB"
# The file's header says "rollback journal" (which one is not recorded).
expect_jq '.journal_mode != "wal" and (.journal_mode | type) == "string"' \
    "journal_mode reports the database's mode, not wal"

# (e) The capture state damaged: a byte flipped in DB-yedek/state.  Status
# must either report the chain broken with a reason naming the state (exit
# 0; capture then goes on, so a write is captured) or fail clearly (exit 1,
# naming the damaged state, with a hint) while `yedek sql` refuses to write.
flip_byte() { # FILE: flip a bit of the first digit of next_lsn (the checksum no longer matches)
    python3 - "$1" <<'PY' || printf '\x01' | dd of="$1" bs=1 seek=40 conv=notrunc 2>/dev/null
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"next_lsn ") + len(b"next_lsn ")
b[i] ^= 0x01
open(p, "wb").write(b)
PY
}
DB=$(captured_db damaged)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
flip_byte "$DB-yedek/state"
status_json "$DB"
if [ "$RC" -eq 0 ]; then
    expect_broken "(e) damaged state" "$DB" "state"
    BEFORE=$(lsn_of "$DB")
    expect_exit 0 "$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 2)"
    expect_lsn "(e) damaged state, recovered: a write is captured" "$DB" $((BEFORE + 1))
elif [ "$RC" -eq 1 ]; then
    pass
    expect_err_has "damaged"
    expect_err_has "state"
    run "$YEDEK" status "$DB"
    expect_eq "(e) damaged state: yedek status exit" 1 "$RC"
    expect_error_format hint
    expect_exit 1 "$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 2)"
    expect_rows "(e) yedek sql refused on a damaged state" "$DB" "1"
else
    fail "(e) damaged state: yedek --json status" "expected exit 0 (chain broken) or 1 (clear error), got $RC"
    show stderr "$ERR"
fi
# Every copy of the state damaged: nothing to go on from; status fails
# clearly, with what to do.
DB=$(captured_db damaged_all)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
for f in "$DB-yedek"/state*; do
    case $f in *.tmp) ;; *) flip_byte "$f" ;; esac
done
expect_exit 1 "$YEDEK" status "$DB"
expect_err_has "state"
expect_error_format hint
expect_exit 1 "$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 2)"
expect_rows "(e) yedek sql refused when every copy of the state is damaged" "$DB" "1"

# (e) The whole DB-yedek folder deleted.
DB=$(captured_db folder_gone)
"$YEDEK" sql "$DB" "INSERT INTO t VALUES('cap', 1)"
rm -rf "$DB-yedek"
expect_exit 1 "$YEDEK" status "$DB"
expect_err_has "not under capture"
expect_err_has "yedek init"
expect_error_format hint
expect_exit 1 "$YEDEK" --json status "$DB"
expect_jq '(.message | test("not under capture")) and (.hint | test("yedek init"))' "JSON error with the hint"

# (f) A capture writer killed (kill -9) with its commit still in the WAL.
# Whoever opens the database next either captures that commit or, if it is
# a process without capture that checkpoints and deletes the WAL as the last
# connection, leaves the chain broken: never a silent gap.
kill_writer() { # DB: a capture writer commits one row (no autocheckpoint), then dies
    hold_start crash capture "$1"
    hold crash "PRAGMA wal_autocheckpoint=0"
    hold crash "INSERT INTO t VALUES('crash', 1)"
    kill -9 "${H_PID[crash]}" 2>/dev/null
    hold_stop crash
}
DB=$(captured_db crash_captured)
kill_writer "$DB"
expect_lsn "(f) kill -9 of a capture writer, then yedek status" "$DB" 2
expect_intact "(f) kill -9 of a capture writer, then yedek status" "$DB"
DB=$(captured_db crash_plain_first)
kill_writer "$DB"
sqlite3 "$DB" "SELECT count(*) FROM t" >/dev/null # the last connection: checkpoints, deletes the WAL
expect_rows "(f) the killed writer's commit is in the database" "$DB" "1"
expect_broken "(f) kill -9 right after init, then a plain reader removes the WAL" "$DB" "WAL|without capture"
DB=$(captured_db crash_plain_later)
"$EXT_WRITER" "$EXT" "$DB" "INSERT INTO t VALUES('cap', 0)"
kill_writer "$DB"
sqlite3 "$DB" "SELECT count(*) FROM t" >/dev/null
expect_rows "(f) the killed writer's commit is in the database" "$DB" "0,1"
expect_broken "(f) kill -9 after capture steps, then a plain reader removes the WAL" "$DB" "WAL|without capture"
# ... but once capture has read those frames, a plain reader removing the WAL
# loses nothing: capture proves the file is the state it stands at.
DB=$(captured_db crash_caught_up)
kill_writer "$DB"
expect_lsn "(f) kill -9, caught up by yedek status" "$DB" 2
sqlite3 "$DB" "SELECT count(*) FROM t" >/dev/null
expect_rows "(f) the killed writer's commit is in the database" "$DB" "1"
expect_intact "(f) kill -9, caught up, then a plain reader removes the WAL" "$DB"
expect_lsn "(f) kill -9, caught up, then a plain reader removes the WAL" "$DB" 2

# ---- several processes at once ------------------------------------------------------

DB=$(captured_db concurrent)
BEFORE=$(lsn_of "$DB")
FAILS=$TMP/concurrent.fails
: >"$FAILS"
for w in 1 2 3 4; do
    (
        for i in $(seq 100); do
            "$YEDEK" sql "$DB" "INSERT INTO t VALUES('sql$w', $i)" 2>>"$FAILS.err" ||
                echo "yedek sql $w/$i" >>"$FAILS"
        done
    ) &
done
for w in 1 2; do
    (
        for i in $(seq 50); do
            sqlite3 :memory: ".load $EXT" ".open $DB" ".timeout 20000" "INSERT INTO t VALUES('shell$w', $i)" \
                2>>"$FAILS.err" || echo "sqlite3 shell $w/$i" >>"$FAILS"
        done
    ) &
done
wait
NFAIL=$(wc -l <"$FAILS")
expect_eq "concurrent writers: failed writes" 0 "$NFAIL"
[ "$NFAIL" -gt 0 ] && show "errors of the failed writes (first lines)" "$FAILS.err"
ROWS=$(sqlite3 "$DB" "SELECT count(*) FROM t")
expect_eq "concurrent writers: rows" 500 "$ROWS"
expect_lsn "concurrent writers: one LSN per transaction" "$DB" $((BEFORE + ROWS))
expect_intact "concurrent writers" "$DB"
expect_eq "concurrent writers: integrity_check" ok "$(sqlite3 "$DB" "PRAGMA integrity_check")"

finish
