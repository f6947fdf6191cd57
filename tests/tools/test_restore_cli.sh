#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2059,SC2317 # jq programs in single quotes; flip's printf; helpers run via traps
# test_restore_cli.sh: restores end to end, through the command line
# (docs/concepts.md "Restoring", docs/cli.md, engine/restore.h): a database
# under capture, a writer committing all along, backups interleaved (full,
# logs, a diff, a copy-only full, marks, an encrypted log, zstd-compressed and
# uncompressed media); an oracle of (LSN, commit time, content) recorded
# after every write; then restores to the latest point, to exact LSNs, to
# times between two commits, to marks (--mark, --before-mark) and to backup
# boundaries, each compared with the oracle, checked with stock sqlite3's
# integrity_check, and found in restorehistory.  Then the refusals (an
# existing file, the live database), encrypted media without a key or with
# the wrong one, a corrupted block, a recovery fork (--as-live) and both
# forks' histories, and a log backup's media deleted (a gap a diff bridges,
# and targets no backup reaches).
#
#   bash test_restore_cli.sh PATH-OF-yedek SOURCE-DIR
set -u

YEDEK=${1:-}
SRC=${2:-} # lib.sh checks it
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
START_SECONDS=$SECONDS

REPO=$TMP/repo
CAT=$REPO/catalog.db
Y() { "$YEDEK" -r "$REPO" "$@"; }
KEY=$TMP/key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY"
chmod 600 "$KEY"
OTHERKEY=$TMP/otherkey
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$OTHERKEY"
EXT=$("$YEDEK" extension 2>/dev/null) || setup_fail "yedek extension failed"
[ -f "$EXT" ] || setup_fail "yedek extension printed '$EXT', which does not exist"

DB=$TMP/app.db
sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT, b BLOB);
  WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM n WHERE x < 3000)
  INSERT INTO t(v, b) SELECT 'row ' || x, randomblob(400) FROM n;" >/dev/null ||
    setup_fail "create $DB"
"$YEDEK" init "$DB" >/dev/null 2>&1 || setup_fail "yedek init $DB"
DB_GUID=$("$YEDEK" --json status "$DB" | jq -r .database_guid)
OLD_FORK=$("$YEDEK" --json status "$DB" | jq -r .recovery_fork_guid)

# ---- the oracle ----------------------------------------------------------------
# The content of a database: its row count and a hash of every row, in order.
# A live database is read through capture (yedek sql), a restored file with
# stock sqlite3; both print the one value the same way.
Q="SELECT count(*) || ':' || coalesce(group_concat(i || '=' || v || '=' || hex(b), ','), '')
   FROM (SELECT * FROM t ORDER BY i)"
digest() { local s; s=$(cat); printf '%s:%s' "${s%%:*}" "$(printf '%s' "$s" | sha256sum | cut -c1-16)"; }
content_live() { "$YEDEK" sql "$1" "$Q" 2>&1 | digest; }
content_file() { sqlite3 "$1" "$Q" 2>&1 | digest; }
integrity() { sqlite3 "$1" "PRAGMA integrity_check" 2>&1 | tr '\n' ' ' | sed 's/ $//'; }

declare -A LSN TIME SUM
# snap NAME [DB]: record the database's LSN, last commit time and content.
# Only ever called when no other process writes to DB.
snap() {
    local db=${2:-$DB} st
    st=$("$YEDEK" --json status "$db" 2>/dev/null)
    LSN[$1]=$(jq -r .lsn <<<"$st")
    TIME[$1]=$(jq -r .last_commit_time <<<"$st")
    SUM[$1]=$(content_live "$db")
}
# write NAME SQL: one transaction through capture from the test itself, then snap.
write() {
    local name=$1
    shift
    "$YEDEK" sql "$DB" "$*" >/dev/null 2>"$TMP/write.err" ||
        echo "FAIL: setup: yedek sql $DB '$*': $(cat "$TMP/write.err")"
    snap "$name"
}

to_us() { date -u -d "$1" +%s%6N; }
us_to_time() { date -u -d "@$(($1 / 1000000)).$(printf %06d $(($1 % 1000000)))" +%Y-%m-%dT%H:%M:%S.%6NZ; }
# between A B: an ISO time strictly between the commit times of snaps A and B.
between() {
    local a b
    a=$(to_us "${TIME[$1]}")
    b=$(to_us "${TIME[$2]}")
    if [ $((b - a)) -lt 2 ]; then
        echo "FAIL: setup: no time strictly between ${TIME[$1]} and ${TIME[$2]}" >&2
    fi
    us_to_time $(((a + b) / 2))
}

# The background writer: one transaction per iteration (an insert and an
# update).  It is the only process writing while it runs, so it records the
# oracle itself after each of its commits: "LSN TIME CONTENT" lines.
ORACLE=$TMP/oracle
writer_start() {
    : >"$TMP/writer.go"
    (
        n=0
        while [ -e "$TMP/writer.go" ]; do
            n=$((n + 1))
            "$YEDEK" sql "$DB" "BEGIN; INSERT INTO t(v, b) VALUES ('w$n', randomblob(200));
                UPDATE t SET v = v || '.' WHERE i = $((n * 7 % 3000 + 1)); COMMIT;" >/dev/null 2>&1 || continue
            st=$("$YEDEK" --json status "$DB" 2>/dev/null) || continue
            echo "$(jq -r .lsn <<<"$st") $(jq -r .last_commit_time <<<"$st") $(content_live "$DB")" >>"$ORACLE"
        done
    ) &
    WRITER=$!
}
# wait_commits N: until the writer has committed N more transactions.
wait_commits() {
    local want
    want=$(($(wc -l <"$ORACLE") + $1))
    for _ in $(seq 300); do
        [ "$(wc -l <"$ORACLE")" -ge "$want" ] && return 0
        sleep 0.1
    done
    echo "FAIL: setup: the writer did not commit $1 transactions in 30 s"
}

col() { sqlite3 "$CAT" "SELECT $2 FROM backupset WHERE backup_set_uuid = '$1'"; }

# ---- restore checks ------------------------------------------------------------------
RESTORES=0 # successful restores, each one row in restorehistory
# dest: a new destination path (a counter in a file: dest runs in $(...)).
echo 0 >"$TMP/dest.n"
dest() {
    local n
    n=$(($(cat "$TMP/dest.n") + 1))
    echo "$n" >"$TMP/dest.n"
    echo "$TMP/out/r$n.db"
}
mkdir -p "$TMP/out"

# expect_history WHAT KIND VALUE: the newest restorehistory row is the
# restore whose --json report is in $OUT, with target KIND and VALUE
# ("null" for none).
expect_history() {
    local what=$1 kind=$2 value=$3 row got
    row=$(sqlite3 -json "$CAT" "SELECT database_name, database_guid, target_kind, target_value, restored_to_lsn,
        destination, backup_set_uuids, new_fork_guid, replaced FROM restorehistory ORDER BY restore_id DESC LIMIT 1" 2>&1)
    got=$(jq -c --argjson row "${row:-[]}" --arg kind "$kind" --argjson value "$value" --arg guid "$DB_GUID" -n '
        input as $r | $row[0] as $h
        | [ (if $h.database_name == "app" then empty else "database_name \($h.database_name)" end),
            (if $h.database_guid == $guid then empty else "database_guid \($h.database_guid)" end),
            (if $h.target_kind == $kind then empty else "target_kind \($h.target_kind), expected \($kind)" end),
            (if $h.target_value == ($value | if . == null then null else tostring end) then empty
             else "target_value \($h.target_value), expected \($value)" end),
            (if $h.restored_to_lsn == $r.restored_to_lsn then empty
             else "restored_to_lsn \($h.restored_to_lsn), reported \($r.restored_to_lsn)" end),
            (if $h.destination == $r.destination then empty
             else "destination \($h.destination), reported \($r.destination)" end),
            (if ($h.backup_set_uuids | fromjson) == ($r.plan.steps | map(.backup_set_uuid)) then empty
             else "backup_set_uuids \($h.backup_set_uuids), the plan applied \($r.plan.steps | map(.backup_set_uuid))" end),
            (if $h.new_fork_guid == $r.new_recovery_fork_guid then empty
             else "new_fork_guid \($h.new_fork_guid), reported \($r.new_recovery_fork_guid)" end)
          ] | join("; ")' -r <"$OUT" 2>&1)
    expect_eq "$what: restorehistory row" "" "$got"
    expect_eq "$what: restorehistory rows" "$RESTORES" "$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")"
}

# restore_ok WHAT LSN CONTENT DEST [ARGS...]: `yedek --json restore app ARGS
# --to DEST` succeeds, reports restored_to_lsn LSN, and the file holds
# CONTENT, passes integrity_check, is recorded in restorehistory.
restore_ok() {
    local what=$1 lsn=$2 content=$3 dest=$4 kind=latest value=null
    shift 4
    case ${1:-} in
    --lsn) kind=lsn value=$2 ;;
    --at) kind=time value=$(jq -cn --arg v "$(us_to_time "$(to_us "$2")")" '$v') ;;
    --mark) kind=mark value=$(jq -cn --arg v "$2" '$v') ;;
    --before-mark) kind=before_mark value=$(jq -cn --arg v "$2" '$v') ;;
    esac
    run "$YEDEK" -r "$REPO" --json restore app "$@" --to "$dest"
    LAST="$what: $LAST"
    if [ "$RC" -ne 0 ]; then
        fail "$LAST" "expected exit 0, got exit $RC"
        show stderr "$ERR"
        return 0
    fi
    pass
    RESTORES=$((RESTORES + 1))
    expect_json '.restored_to_lsn' "$lsn"
    expect_jq ".destination == \"$(realpath -m "$dest")\"" "the destination, absolute"
    expect_eq "$what: integrity_check" "ok" "$(integrity "$dest")"
    expect_eq "$what: content" "$content" "$(content_file "$dest")"
    expect_history "$what" "$kind" "$value"
}

# restore_fails WHAT CODE DEST ARGS...: the restore exits CODE and leaves
# neither DEST nor a temporary file beside it.
no_leftovers() {
    local what=$1 dest=$2
    if [ -e "$dest" ]; then fail "$what: no file at the destination" "$dest exists"; else pass; fi
    expect_eq "$what: no temporary file left" "" \
        "$(find "$(dirname "$dest")" -maxdepth 1 -name ".$(basename "$dest").yedek-restore-*")"
}
restore_fails() {
    local what=$1 code=$2 dest=$3
    shift 3
    local rows
    rows=$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")
    expect_exit "$code" "$YEDEK" -r "$REPO" "$@" --to "$dest"
    no_leftovers "$what" "$dest"
    expect_eq "$what: nothing in restorehistory" "$rows" "$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")"
}


# ==== 1. history: a writer, backups interleaved, the oracle ==========================
snap W0
echo "${LSN[W0]} ${TIME[W0]} ${SUM[W0]}" >"$ORACLE"
writer_start
wait_commits 3
backup full "$DB" --compress none
FULL1=$(field backup_set_uuid)
FULL1_LSN=$(field last_lsn)
wait_commits 3
backup log "$DB"
LOG1=$(field backup_set_uuid)
LOG1_LAST=$(field last_lsn)
wait_commits 3
backup full "$DB" --copy-only --compress zstd:9
COPYFULL=$(field backup_set_uuid)
COPYFULL_LSN=$(field last_lsn)
expect_jq '.backup.is_copy_only == 1' "copy-only full"
wait_commits 3
backup log "$DB" --compress zstd:1
LOG2=$(field backup_set_uuid)
LOG2_LAST=$(field last_lsn)
writer_stop
expect_jq "$LOG1_LAST > $FULL1_LSN and $COPYFULL_LSN > $LOG1_LAST and .backup.last_lsn > $COPYFULL_LSN" \
    "the writer committed between the backups (full $FULL1_LSN, log $LOG1_LAST, copy-only $COPYFULL_LSN)"

# From here on only the test writes: a snap after each write.
snap P0
write P1 "INSERT INTO t(v, b) VALUES ('p1', randomblob(300))"
write P2 "UPDATE t SET v = 'p2' WHERE i BETWEEN 100 AND 120"
backup log "$DB" --compress none
LOG3=$(field backup_set_uuid)
LOG3_FIRST=$(field first_lsn)
LOG3_LAST=$(field last_lsn)
expect_eq "the uncompressed log ends at the last commit" "${LSN[P2]}" "$LOG3_LAST"
write P3 "DELETE FROM t WHERE i BETWEEN 200 AND 260"
expect_exit 0 "$YEDEK" mark "$DB" m-plain
snap P4
expect_eq "yedek mark: one LSN, an empty transaction" "$((LSN[P3] + 1)) ${SUM[P3]}" "${LSN[P4]} ${SUM[P4]}"
write P5 "INSERT INTO t(v, b) VALUES ('p5', zeroblob(5000))"
# A mark inside the application's transaction (docs/capture.md "Marks"):
# the marked transaction is the one that carries it.
expect_exit 0 sqlite3 :memory: ".load $EXT" ".open $DB" \
    "BEGIN IMMEDIATE; SELECT yedek_mark('m-tx'); UPDATE t SET v = 'priced' WHERE i <= 10; COMMIT;"
snap P6
backup log "$DB" --key-file "$KEY"
LOG4=$(field backup_set_uuid)
LOG4_LAST=$(field last_lsn)
expect_eq "the encrypted log ends at the last commit" "${LSN[P6]}" "$LOG4_LAST"
expect_eq "the marks reach the catalog with the encrypted log" "$LOG4 $LOG4" \
    "$(sqlite3 "$CAT" "SELECT group_concat(backup_set_uuid, ' ') FROM backupmark WHERE name IN ('m-plain', 'm-tx')")"
write P7 "UPDATE t SET b = randomblob(500) WHERE i % 50 = 0"
backup diff "$DB"
DIFF1=$(field backup_set_uuid)
DIFF1_LSN=$(field last_lsn)
expect_jq ".backup.differential_base_guid == \"$FULL1\"" "the diff's base is the regular full, not the copy-only one"
expect_eq "the diff sits at the last commit" "${LSN[P7]}" "$DIFF1_LSN"
write P8 "INSERT INTO t(v, b) SELECT 'p8-' || i, randomblob(100) FROM t WHERE i < 40"
backup log "$DB" --compress zstd:9
LOG5=$(field backup_set_uuid)
LOG5_LAST=$(field last_lsn)
write P9 "DELETE FROM t WHERE v LIKE 'w%' AND i % 2 = 0"
write P10 "UPDATE t SET v = 'last' WHERE i = (SELECT max(i) FROM t)"
backup log "$DB"
LOG6=$(field backup_set_uuid)
expect_eq "the last log ends at the last commit" "${LSN[P10]}" "$(field last_lsn)"

# Distinct contents, so a restore to the wrong point cannot pass.
for a in P1 P2 P3 P5 P6 P7 P8 P9 P10; do
    for b in P1 P2 P3 P5 P6 P7 P8 P9 P10; do
        if [[ $a < $b ]] && [ "${SUM[$a]}" = "${SUM[$b]}" ]; then
            fail "setup: snaps $a and $b have the same content" "${SUM[$a]}"
        fi
    done
done

# The writer's oracle: content and time by LSN.
declare -A WSUM WTIME
while read -r l t c; do
    [ -n "$c" ] && WSUM[$l]=$c && WTIME[$l]=$t
done <"$ORACLE"
expect_eq "the writer's oracle holds its last commit" "${SUM[P0]}" "${WSUM[${LSN[P0]}]:-none}"

# ==== 1. restores to the latest point, LSNs, times, marks, boundaries ==============
K=(--key-file "$KEY")
restore_ok "latest" "${LSN[P10]}" "${SUM[P10]}" "$(dest)" "${K[@]}"
jq -S .plan <"$OUT" >"$TMP/restore-plan.json"
run Y --json plan app
jq -S . <"$OUT" >"$TMP/plan.json"
if cmp -s "$TMP/plan.json" "$TMP/restore-plan.json"; then pass; else
    fail "restore follows the plan that yedek plan prints" "$(diff "$TMP/plan.json" "$TMP/restore-plan.json" | head -n 10)"
fi
restore_ok "latest, again" "${LSN[P10]}" "${SUM[P10]}" "$(dest)" "${K[@]}"
expect_json '.plan.steps | map(.type)' '["full", "diff", "log", "log"]'
expect_json '.plan.steps[-1].backup_set_uuid' "\"$LOG6\""
expect_json '.checksum_verified' 'true'
expect_jq ".restored_to_time == \"${TIME[P10]}\"" "restored_to_time is the last commit's"

for p in P0 P1 P2 P3 P4 P5 P6 P7 P8 P9 P10; do
    restore_ok "--lsn of $p" "${LSN[$p]}" "${SUM[$p]}" "$(dest)" --lsn "${LSN[$p]}" "${K[@]}"
done
expect_json '.plan.restores_to_lsn' "${LSN[P10]}"

# LSNs committed by the background writer, between the full and the end of
# the second log: a sample of them, and the backup boundaries among them.
mapfile -t WL < <(printf '%s\n' "${!WSUM[@]}" | sort -n | awk -v lo="$FULL1_LSN" -v hi="$LOG2_LAST" '$1 >= lo && $1 <= hi')
expect_eq "the writer committed at least 4 transactions during the backups" "yes" "$([ "${#WL[@]}" -ge 4 ] && echo yes || echo "only ${#WL[@]}")"
n=${#WL[@]}
for l in "${WL[0]}" "${WL[$((n / 3))]}" "${WL[$((2 * n / 3))]}" "$FULL1_LSN" "$LOG1_LAST" "$COPYFULL_LSN" "$LOG2_LAST"; do
    if [ -z "${WSUM[$l]:-}" ]; then
        fail "the writer's oracle has no entry for LSN $l" "(status or the content read failed there)"
        continue
    fi
    restore_ok "--lsn $l (writer)" "$l" "${WSUM[$l]}" "$(dest)" --lsn "$l"
done
restore_ok "--lsn at the full" "$FULL1_LSN" "${WSUM[$FULL1_LSN]:-?}" "$(dest)" --lsn "$FULL1_LSN"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FULL1\"]"
restore_ok "--lsn at the copy-only full" "$COPYFULL_LSN" "${WSUM[$COPYFULL_LSN]:-?}" "$(dest)" --lsn "$COPYFULL_LSN"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$COPYFULL\"]"
restore_ok "--lsn at the first log's end" "$LOG1_LAST" "${WSUM[$LOG1_LAST]:-?}" "$(dest)" --lsn "$LOG1_LAST"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FULL1\", \"$LOG1\"]"
restore_ok "--lsn at the second log's end" "$LOG2_LAST" "${WSUM[$LOG2_LAST]:-?}" "$(dest)" --lsn "$LOG2_LAST"
expect_jq '.plan.steps | map(.backup_set_uuid) | index("'"$LOG2"'") != null' "through the second log"
restore_ok "--lsn at the uncompressed log's end" "$LOG3_LAST" "${SUM[P2]}" "$(dest)" --lsn "$LOG3_LAST"
expect_jq '.plan.steps[-1].backup_set_uuid == "'"$LOG3"'"' "it ends with the uncompressed log"
restore_ok "--lsn at the encrypted log's end" "$LOG4_LAST" "${SUM[P6]}" "$(dest)" --lsn "$LOG4_LAST" "${K[@]}"
restore_ok "--lsn at the diff" "$DIFF1_LSN" "${SUM[P7]}" "$(dest)" --lsn "$DIFF1_LSN"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FULL1\", \"$DIFF1\"]"
restore_ok "--lsn at the compressed log's end" "$LOG5_LAST" "${SUM[P8]}" "$(dest)" --lsn "$LOG5_LAST"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FULL1\", \"$DIFF1\", \"$LOG5\"]"

# Times: strictly between two commits gives the earlier one; a commit's own
# time includes it.
restore_ok "--at between P1 and P2" "${LSN[P1]}" "${SUM[P1]}" "$(dest)" --at "$(between P1 P2)"
restore_ok "--at P2's commit time" "${LSN[P2]}" "${SUM[P2]}" "$(dest)" --at "${TIME[P2]}"
restore_ok "--at between P2 and P3" "${LSN[P2]}" "${SUM[P2]}" "$(dest)" --at "$(between P2 P3)" "${K[@]}"
restore_ok "--at between P5 and P6 (encrypted log)" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --at "$(between P5 P6)" "${K[@]}"
# A diff serves times after its last_time (when the backup ran), so between
# P7 and the diff's end the encrypted log may be needed; after it, the diff.
restore_ok "--at between P7 and P8" "${LSN[P7]}" "${SUM[P7]}" "$(dest)" --at "$(between P7 P8)" "${K[@]}"
TIME[DIFF1]=$(col "$DIFF1" last_time)
restore_ok "--at between the diff and P8" "${LSN[P7]}" "${SUM[P7]}" "$(dest)" --at "$(between DIFF1 P8)"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FULL1\", \"$DIFF1\", \"$LOG5\"]"
restore_ok "--at between P9 and P10" "${LSN[P9]}" "${SUM[P9]}" "$(dest)" --at "$(between P9 P10)"
T89=$(between P8 P9)
T89_LOCAL=$(TZ=Etc/GMT-3 date -d "@$(($(to_us "$T89") / 1000000)).$(printf %06d $(($(to_us "$T89") % 1000000)))" +%Y-%m-%dT%H:%M:%S.%6N+03:00)
restore_ok "--at between P8 and P9, as +03:00" "${LSN[P8]}" "${SUM[P8]}" "$(dest)" --at "$T89_LOCAL"
W1=${WL[$((n / 2))]}
W2=$(printf '%s\n' "${!WSUM[@]}" | sort -n | awk -v l="$W1" '$1 > l' | head -n 1)
if [ -n "$W2" ]; then
    TW=$(us_to_time $((($(to_us "${WTIME[$W1]}") + $(to_us "${WTIME[$W2]}")) / 2)))
    restore_ok "--at between two of the writer's commits" "$W1" "${WSUM[$W1]}" "$(dest)" --at "$TW"
fi
run Y --json plan app --at "$(between P1 P2)"
expect_json '.restores_to_lsn' 'null'

# Marks.
restore_ok "--mark m-plain" "${LSN[P4]}" "${SUM[P4]}" "$(dest)" --mark m-plain "${K[@]}"
restore_ok "--before-mark m-plain" "${LSN[P3]}" "${SUM[P3]}" "$(dest)" --before-mark m-plain "${K[@]}"
restore_ok "--before-mark m-tx" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --before-mark m-tx "${K[@]}"
# Through the marked transaction: the UPDATE that carries the mark is in.
restore_ok "--mark m-tx (the marked transaction included)" "${LSN[P6]}" "${SUM[P6]}" "$(dest)" --mark m-tx "${K[@]}"
run Y --json plan app --mark no-such-mark
expect_eq "unknown mark: plan exit" "3" "$RC"
expect_json '.error' '"unknown_mark"'

# The human report.
D=$(dest)
expect_exit 0 Y restore app --lsn "${LSN[P2]}" --to "$D"
RESTORES=$((RESTORES + 1))
expect_out_has "restored app to LSN ${LSN[P2]}"
expect_out_has "$(realpath "$D")"
expect_eq "human restore: content" "${SUM[P2]}" "$(content_file "$D")"

# --no-sync: the same restore, the same checks, only the syncs left out.
SYNCED=$(dest)
restore_ok "latest, synced" "${LSN[P10]}" "${SUM[P10]}" "$SYNCED" "${K[@]}"
NOSYNC=$(dest)
restore_ok "latest, --no-sync" "${LSN[P10]}" "${SUM[P10]}" "$NOSYNC" --no-sync "${K[@]}"
expect_json '.checksum_verified' 'true'
expect_json '.plan.steps | map(.type)' '["full", "diff", "log", "log"]'
if cmp -s "$SYNCED" "$NOSYNC"; then pass; else
    fail "--no-sync: byte for byte the synced restore" "$(cmp "$SYNCED" "$NOSYNC" 2>&1)"
fi
restore_ok "--no-sync --before-mark m-tx" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --before-mark m-tx --no-sync "${K[@]}"
restore_ok "--no-sync --at between P1 and P2" "${LSN[P1]}" "${SUM[P1]}" "$(dest)" --at "$(between P1 P2)" --no-sync
D=$(dest)
expect_exit 0 Y restore app --lsn "${LSN[P3]}" --no-sync --to "$D" "${K[@]}"
RESTORES=$((RESTORES + 1))
expect_out_has "the database checksum matches the one capture recorded"
expect_eq "--no-sync, human: content" "${SUM[P3]}" "$(content_file "$D")"
# Only the restored file's syncs go: with them, an fsync names the
# temporary file; without, none does (the catalog still syncs its own).
if strace -f -o /dev/null true 2>/dev/null; then
    for mode in synced --no-sync; do
        D=$(dest)
        extra=()
        [ "$mode" = synced ] || extra=(--no-sync)
        # LeakSanitizer cannot run under ptrace: a sanitized build would exit 1.
        ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
            strace -f -y -e trace=fsync,fdatasync -o "$TMP/strace.txt" \
            "$YEDEK" -r "$REPO" restore app --to "$D" "${K[@]}" "${extra[@]}" \
            >/dev/null 2>&1 || fail "$mode restore under strace" "exit $?"
        RESTORES=$((RESTORES + 1))
        n=$(grep -c "yedek-restore-" "$TMP/strace.txt")
        if [ "$mode" = synced ]; then want=1; else want=0; fi
        expect_eq "a $mode restore: fsyncs of its temporary file" "$want" "$([ "$n" -gt 0 ] && echo 1 || echo 0)"
        expect_eq "a $mode restore under strace: content" "${SUM[P10]}" "$(content_file "$D")"
    done
else
    echo "note: strace cannot run here; the check that --no-sync leaves out the fsync is skipped"
fi
# A restore put back into service is synced: --no-sync does not go with it.
D=$(dest)
restore_fails "--no-sync --as-live" 2 "$D" restore app --no-sync --as-live
expect_err_has "--as-live"
expect_error_format

# ==== 2. refusals: an existing file, the live database =============================
EXIST=$TMP/out/exists.db
sqlite3 "$EXIST" "CREATE TABLE precious(x); INSERT INTO precious VALUES ('keep me');"
before=$(sha256sum <"$EXIST")
hist=$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")
expect_exit 1 Y restore app --to "$EXIST"
expect_err_has "exists"
expect_err_has "--replace"
expect_error_format hint
expect_eq "the existing file is untouched" "$before" "$(sha256sum <"$EXIST")"
expect_eq "a refused restore: nothing in restorehistory" "$hist" "$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")"
run Y --json restore app --to "$EXIST"
expect_eq "--json: the existing file refused, exit" "1" "$RC"
expect_jq '.error != null and (.message | test("exists"))' "the JSON error document"
expect_eq "the existing file is still untouched" "$before" "$(sha256sum <"$EXIST")"
# Stale WAL and shared memory beside it would be replayed into the restored
# file: --replace removes them.
head -c 8192 /dev/urandom >"$EXIST-wal"
head -c 32768 /dev/urandom >"$EXIST-shm"
restore_ok "--replace" "${LSN[P10]}" "${SUM[P10]}" "$EXIST" --replace "${K[@]}"
if [ -e "$EXIST-wal" ] || [ -e "$EXIST-shm" ]; then
    # content_file ran sqlite3 on it, which leaves no WAL on close; anything
    # here is the stale one.
    fail "--replace removes the stale $EXIST-wal and -shm" "$(ls -l "$EXIST"-* 2>&1)"
else
    pass
fi
expect_eq "--replace: recorded as replaced" "1" "$(sqlite3 "$CAT" "SELECT replaced FROM restorehistory ORDER BY restore_id DESC LIMIT 1")"
expect_eq "a restore into a new file: not replaced" "0" \
    "$(sqlite3 "$CAT" "SELECT replaced FROM restorehistory ORDER BY restore_id DESC LIMIT 1 OFFSET 1")"
restore_ok "--replace --no-sync" "${LSN[P2]}" "${SUM[P2]}" "$EXIST" --lsn "${LSN[P2]}" --replace --no-sync
expect_eq "--replace --no-sync: recorded as replaced" "1" "$(sqlite3 "$CAT" "SELECT replaced FROM restorehistory ORDER BY restore_id DESC LIMIT 1")"

# A stale WAL and shared memory left where no database file is any more:
# the restored file must not have them replayed into it (removed, or the
# restore refused).
ORPHAN=$TMP/out/orphan.db
sqlite3 "$ORPHAN" ".dbconfig no_ckpt_on_close on" "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;
    CREATE TABLE t(i INTEGER PRIMARY KEY, v TEXT, b BLOB); INSERT INTO t VALUES (1, 'stale', NULL);" >/dev/null
rm -f "$ORPHAN"
if [ -s "$ORPHAN-wal" ]; then
    run Y restore app --to "$ORPHAN" "${K[@]}"
    if [ "$RC" -eq 0 ]; then
        RESTORES=$((RESTORES + 1))
        expect_eq "a stale WAL beside a missing file: the restored content" "${SUM[P10]}" "$(content_file "$ORPHAN")"
        expect_eq "a stale WAL beside a missing file: integrity_check" "ok" "$(integrity "$ORPHAN")"
    else
        expect_eq "a stale WAL beside a missing file: refused with exit 1" "1" "$RC"
        no_leftovers "a stale WAL beside a missing file" "$ORPHAN"
    fi
else
    echo "note: sqlite3 kept no WAL with no_ckpt_on_close; the stale-WAL case is skipped"
fi

# The live database under capture, even with --replace.
live_state() { "$YEDEK" --json status "$DB" | jq -c '{lsn, recovery_fork_guid, chain, db_checksum, last_commit_time}'; }
LIVE_BEFORE=$(live_state)
LIVE_SUM=$(content_live "$DB")
LIVE_SHA=$(sha256sum <"$DB")
for r in "" --replace; do
    expect_exit 1 Y restore app --lsn "${LSN[P1]}" --to "$DB" $r
    expect_err_has "under capture"
    expect_error_format hint
    expect_eq "restore onto the live database $r: its capture state" "$LIVE_BEFORE" "$(live_state)"
    expect_eq "restore onto the live database $r: its content" "$LIVE_SUM" "$(content_live "$DB")"
    expect_eq "restore onto the live database $r: its file" "$LIVE_SHA" "$(sha256sum <"$DB")"
done
# The same file by another path.
expect_exit 1 Y restore app --to "$TMP/out/../app.db" --replace
expect_eq "the live database by another path: its content" "$LIVE_SUM" "$(content_live "$DB")"
expect_exit 2 Y restore app
expect_err_has "--to"
expect_exit 1 Y restore app --to "$TMP/no/such/folder/x.db"
expect_error_format
if [ -e "$TMP/no" ]; then fail "a missing folder is not created" "$(ls -ld "$TMP/no")"; else pass; fi

# ==== 4. encrypted, compressed, corrupted media ======================================
# P5 needs the encrypted log.
D=$(dest)
restore_fails "no key for the encrypted log" 1 "$D" restore app --lsn "${LSN[P5]}"
expect_err_has "encrypted"
expect_err_has "--key-file"
expect_error_format
if grep -q '^hint: .*--key-file' "$ERR"; then pass; else
    fail "$LAST: a hint line about --key-file" "$(cat "$ERR")"
fi
D=$(dest)
restore_fails "the wrong key" 1 "$D" restore app --lsn "${LSN[P5]}" --key-file "$OTHERKEY"
expect_err_has "wrong key"
expect_error_format
restore_ok "the encrypted chain with its key" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --lsn "${LSN[P5]}" "${K[@]}"
expect_jq ".plan.steps | map(.backup_set_uuid) | index(\"$LOG4\") != null" "through the encrypted log"
# A target that needs no encrypted media needs no key.
restore_ok "compressed logs, no key needed" "${LSN[P8]}" "${SUM[P8]}" "$(dest)" --lsn "${LSN[P8]}"

# A flipped byte in the middle of the uncompressed full's media.
run Y --json plan app --lsn "$LOG1_LAST"
expect_json '.steps[0].backup_set_uuid' "\"$FULL1\""
FULL1_MEDIA=$REPO/$(media_of "$FULL1")
cp "$FULL1_MEDIA" "$TMP/full1.saved"
flip "$FULL1_MEDIA" $(($(stat -c %s "$FULL1_MEDIA") / 2))
D=$(dest)
restore_fails "a corrupted block in the full" 4 "$D" restore app --lsn "$LOG1_LAST"
expect_err_has "$(media_of "$FULL1")"
expect_error_format
D=$(dest)
restore_fails "a corrupted block in the full, --no-sync" 4 "$D" restore app --lsn "$LOG1_LAST" --no-sync
expect_err_has "$(media_of "$FULL1")"
D=$(dest)
restore_fails "a corrupted block in the full, --json" 4 "$D" --json restore app --lsn "$LOG1_LAST"
expect_jq '.error != null and (.message | test("checksum"))' "the JSON error document names the checksum"
cp "$TMP/full1.saved" "$FULL1_MEDIA"
restore_ok "the full repaired" "$LOG1_LAST" "${WSUM[$LOG1_LAST]:-?}" "$(dest)" --lsn "$LOG1_LAST"

# ==== 6. verify --restore-test: the drill ============================================
DRILL=$TMP/drill
mkdir -p "$DRILL"
run env TMPDIR="$DRILL" "$YEDEK" -r "$REPO" --json verify --restore-test --key-file "$KEY"
if [ "$RC" -eq 2 ] && grep -q "not implemented" "$ERR"; then
    echo "note: yedek verify --restore-test is not implemented yet; its checks are skipped"
else
    expect_eq "verify --restore-test: exit" "0" "$RC"
    [ "$RC" -eq 0 ] || show stderr "$ERR"
    expect_json '.restore_tests | map({database, ok, restored_to_lsn, integrity_check})' \
        "[{\"database\": \"app\", \"ok\": true, \"restored_to_lsn\": ${LSN[P10]}, \"integrity_check\": \"ok\"}]"
    expect_json '{passed, failed}' '{"passed": 1, "failed": 0}'
    RESTORES=$((RESTORES + 1))
    expect_eq "the drill is a restorehistory row" "$RESTORES latest ${LSN[P10]}" \
        "$(sqlite3 -separator ' ' "$CAT" "SELECT count(*), (SELECT target_kind || ' ' || restored_to_lsn FROM restorehistory ORDER BY restore_id DESC LIMIT 1) FROM restorehistory")"
    expect_eq "the drill's destination was under \$TMPDIR" "1" \
        "$(sqlite3 "$CAT" "SELECT destination LIKE '$(realpath "$DRILL")/%' FROM restorehistory ORDER BY restore_id DESC LIMIT 1")"
    expect_eq "the drill removed its file" "" "$(find "$DRILL" -mindepth 1)"
    run env TMPDIR="$DRILL" "$YEDEK" -r "$REPO" verify --restore-test app
    expect_eq "verify --restore-test app, human: exit" "0" "$RC"
    RESTORES=$((RESTORES + 1))
    expect_out_has "ok      restore drill of app: LSN ${LSN[P10]}"
    # A corrupted block in a backup the latest point needs: exit 4, nothing left.
    rows=$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")
    flip "$FULL1_MEDIA" $(($(stat -c %s "$FULL1_MEDIA") / 2))
    run env TMPDIR="$DRILL" "$YEDEK" -r "$REPO" --json verify --restore-test --key-file "$KEY"
    expect_eq "the drill on a corrupted full: exit" "4" "$RC"
    expect_jq '.restore_tests[0].ok == false and (.restore_tests[0].error | test("checksum")) and .failed == 1' \
        "the drill names the damage"
    expect_eq "the failed drill removed its file" "" "$(find "$DRILL" -mindepth 1)"
    expect_eq "a failed drill: no restorehistory row" "$rows" "$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")"
    cp "$TMP/full1.saved" "$FULL1_MEDIA"
fi

# ==== 5. a recovery fork ==========================================================
FORK=$TMP/fork.db
restore_ok "--as-live at P5" "${LSN[P5]}" "${SUM[P5]}" "$FORK" --lsn "${LSN[P5]}" --as-live "${K[@]}"
NEW_FORK=$(jq -r .new_recovery_fork_guid <"$OUT")
expect_jq '.new_recovery_fork_guid | test("^[0-9a-f-]{36}$")' "a new fork GUID"
expect_jq ".new_recovery_fork_guid != \"$OLD_FORK\"" "the new fork is not the old one"
expect_eq "only the --as-live restore has new_fork_guid" "1 $NEW_FORK" \
    "$(sqlite3 -separator ' ' "$CAT" "SELECT count(*), max(new_fork_guid) FROM restorehistory WHERE new_fork_guid IS NOT NULL AND new_fork_guid != ''")"
run "$YEDEK" --json status "$FORK"
expect_json '{database, database_guid, recovery_fork_guid, lsn, chain}' \
    "{\"database\": \"app\", \"database_guid\": \"$DB_GUID\", \"recovery_fork_guid\": \"$NEW_FORK\", \"lsn\": ${LSN[P5]}, \"chain\": \"intact\"}"
expect_eq "the original database kept its fork" "$OLD_FORK" "$("$YEDEK" --json status "$DB" | jq -r .recovery_fork_guid)"

fwrite() {
    local name=$1
    shift
    "$YEDEK" sql "$FORK" "$*" >/dev/null 2>"$TMP/write.err" ||
        echo "FAIL: setup: yedek sql $FORK '$*': $(cat "$TMP/write.err")"
    snap "$name" "$FORK"
}
fwrite F1 "INSERT INTO t(v, b) VALUES ('fork 1', randomblob(50))"
fwrite F2 "UPDATE t SET v = 'fork 2' WHERE i BETWEEN 1 AND 30"
expect_eq "the new fork's LSNs follow the fork point" "$((LSN[P5] + 1)) $((LSN[P5] + 2))" "${LSN[F1]} ${LSN[F2]}"
backup full "$FORK"
FFULL=$(field backup_set_uuid)
expect_jq ".backup.recovery_fork_guid == \"$NEW_FORK\" and .backup.database_guid == \"$DB_GUID\" and .backup.database_name == \"app\"" \
    "the new fork's full"
fwrite F3 "DELETE FROM t WHERE i BETWEEN 1000 AND 1100"
backup log "$FORK"
FLOG=$(field backup_set_uuid)
expect_jq ".backup.recovery_fork_guid == \"$NEW_FORK\" and .backup.last_lsn == ${LSN[F3]} and .backup.first_lsn <= ${LSN[F1]}" \
    "the new fork's log holds every commit since the fork point"
run sqlite3 -json "$CAT" "SELECT parent_fork_guid, fork_point_lsn FROM recoveryfork WHERE fork_guid = '$NEW_FORK'"
expect_json '.' "[{\"parent_fork_guid\": \"$OLD_FORK\", \"fork_point_lsn\": ${LSN[P5]}}]"
ROOT=$(sqlite3 "$CAT" "SELECT fork_guid FROM recoveryfork WHERE parent_fork_guid IS NULL")
expect_eq "the root fork is the original one" "$OLD_FORK" "$ROOT"

# The default: the newest fork.
run Y --json plan app
expect_jq ".recovery_fork_guid == \"$NEW_FORK\" and .restores_to_lsn == ${LSN[F3]}" "plan: the newest fork by default"
restore_ok "latest, newest fork" "${LSN[F3]}" "${SUM[F3]}" "$(dest)"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FFULL\", \"$FLOG\"]"
run Y --json plan app --fork "$NEW_FORK"
expect_jq ".recovery_fork_guid == \"$NEW_FORK\" and .restores_to_lsn == ${LSN[F3]}" "plan --fork NEW"
# The original history.
run Y --json plan app --fork "$ROOT"
expect_jq ".recovery_fork_guid == \"$OLD_FORK\" and .restores_to_lsn == ${LSN[P10]}" "plan --fork OLD: the original history's end"
restore_ok "latest, --fork OLD" "${LSN[P10]}" "${SUM[P10]}" "$(dest)" --fork "$ROOT" "${K[@]}"
# One LSN, two histories.
restore_ok "--lsn F2 on the new fork" "${LSN[F2]}" "${SUM[F2]}" "$(dest)" --lsn "${LSN[F2]}"
restore_ok "the same LSN on the old fork" "${LSN[P6]}" "${SUM[P6]}" "$(dest)" --lsn "${LSN[F2]}" --fork "$ROOT" "${K[@]}"
# Before the new fork's first full: the parent's backups, then its own log.
restore_ok "--lsn F1 (before the new fork's full)" "${LSN[F1]}" "${SUM[F1]}" "$(dest)" --lsn "${LSN[F1]}" "${K[@]}"
expect_jq ".plan.steps[0].recovery_fork_guid == \"$OLD_FORK\" and .plan.steps[-1].backup_set_uuid == \"$FLOG\"" \
    "the parent's full, then the new fork's log"
restore_ok "--lsn at the fork point" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --lsn "${LSN[P5]}" "${K[@]}"
expect_jq ".plan.recovery_fork_guid == \"$NEW_FORK\"" "a target on the new fork"
expect_jq "[.plan.steps[].recovery_fork_guid] | all(. == \"$OLD_FORK\")" "from the parent's backups only"
# Times on the new fork: up to the fork point's time, the parent's history;
# after it, the new fork's own commits.
restore_ok "--at between P5 and P6 on the new fork" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --at "$(between P5 P6)" "${K[@]}"
restore_ok "--at F1's commit on the new fork" "${LSN[F1]}" "${SUM[F1]}" "$(dest)" --at "${TIME[F1]}" "${K[@]}"
TIME[FFULL]=$(col "$FFULL" last_time)
restore_ok "--at between the new fork's full and F3" "${LSN[F2]}" "${SUM[F2]}" "$(dest)" --at "$(between FFULL F3)"
expect_json '.plan.steps | map(.backup_set_uuid)' "[\"$FFULL\", \"$FLOG\"]"
restore_ok "--at between P5 and P6, --fork OLD" "${LSN[P5]}" "${SUM[P5]}" "$(dest)" --at "$(between P5 P6)" --fork "$ROOT" "${K[@]}"
# The forked database is under capture too.
expect_exit 1 Y restore app --to "$FORK" --replace
expect_err_has "under capture"
expect_eq "the forked database untouched" "${SUM[F3]}" "$(content_live "$FORK")"
run sqlite3 -json "$CAT" "SELECT target_kind, target_value, restored_to_lsn, destination, new_fork_guid FROM restorehistory WHERE new_fork_guid IS NOT NULL AND new_fork_guid != ''"
expect_json '.' "[{\"target_kind\": \"lsn\", \"target_value\": \"${LSN[P5]}\", \"restored_to_lsn\": ${LSN[P5]}, \"destination\": \"$(realpath "$FORK")\", \"new_fork_guid\": \"$NEW_FORK\"}]"
expect_eq "restorehistory: one row per restore" "$RESTORES" "$(sqlite3 "$CAT" "SELECT count(*) FROM restorehistory")"

# ==== 3. a broken chain: the uncompressed log's media deleted ========================
rm -f "$REPO/$(media_of "$LOG3")"
run Y --json catalog check app
expect_eq "catalog check with a media file gone: exit" "3" "$RC"
expect_jq '.databases[0].chain == "broken"' "the chain is broken"
expect_jq "[.databases[0].breaks[] | tostring | test(\"missing_media\") and test(\"$LOG3\")] | any" "missing_media names the log"
expect_jq '[.databases[0].breaks[] | tostring | test("log_gap")] | any' "a log gap"
run Y catalog check app
expect_eq "catalog check, human: exit" "3" "$RC"
expect_out_has "$LOG3"

# Before the gap: fine.
restore_ok "before the gap" "$LOG2_LAST" "${WSUM[$LOG2_LAST]:-?}" "$(dest)" --lsn "$LOG2_LAST" --fork "$ROOT"
# Inside the gap, and after it but before the diff: no way.
for p in P1 P4; do
    D=$(dest)
    restore_fails "$p, the gap unbridged" 3 "$D" --json restore app --lsn "${LSN[$p]}" --fork "$ROOT" "${K[@]}"
    expect_json '.error' '"log_gap"'
    expect_jq '.hint != null and .database == "app" and (.unusable_backups | index("'"$LOG3"'") != null)' "hint, database, unusable_backups"
    expect_jq ".gap_from_lsn == $LOG3_FIRST and .gap_to_lsn == $LOG3_LAST and .restorable_to_lsn == $LOG2_LAST" \
        "the gap is the deleted log's range"
    expect_eq "$p: the chain breaks after a backup ending where the gap begins" "$LOG3_FIRST" \
        "$(col "$(jq -r .before_backup_set_uuid <"$OUT")" last_lsn)"
    expect_json '.after_backup_set_uuid' "\"$LOG4\""
done
D=$(dest)
restore_fails "the gap, human" 3 "$D" restore app --lsn "${LSN[P1]}" --fork "$ROOT"
expect_err_has "no log backup covers LSN $LOG3_FIRST to $LOG3_LAST"
expect_err_has "log $LOG3 has no media file"
expect_error_format hint
run Y --json plan app --at "$(between P2 P3)" --fork "$ROOT"
expect_eq "plan --at inside the gap: exit" "3" "$RC"
expect_json '.error' '"log_gap"'
# After the diff: the diff bridges the gap.
restore_ok "the diff bridges the gap (at the diff)" "${LSN[P7]}" "${SUM[P7]}" "$(dest)" --lsn "${LSN[P7]}" --fork "$ROOT"
restore_ok "the diff bridges the gap (a time after it)" "${LSN[P8]}" "${SUM[P8]}" "$(dest)" --at "$(between P8 P9)" --fork "$ROOT"
expect_json '.plan.steps | map(.type)' '["full", "diff", "log"]'
restore_ok "the diff bridges the gap (latest)" "${LSN[P10]}" "${SUM[P10]}" "$(dest)" --fork "$ROOT"
# The new fork was cut at P5, inside the unbridged part: its points before
# its own full are lost, the later ones are not.
D=$(dest)
restore_fails "the new fork before its full" 3 "$D" --json restore app --lsn "${LSN[F1]}" "${K[@]}"
expect_json '.error' '"log_gap"'
restore_ok "the new fork's latest" "${LSN[F3]}" "${SUM[F3]}" "$(dest)"

echo "run time: $((SECONDS - START_SECONDS)) s"
finish
