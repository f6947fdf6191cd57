#!/usr/bin/env bash
# shellcheck disable=SC2016 # jq programs in single quotes
# test_jobs_cli.sh: scheduled jobs end to end, with a real agent process:
# log jobs every second and a diff every three seconds against a database
# a writer keeps writing; the agent is stopped with SIGTERM (it finishes
# the running job, then exits), restarted, killed with kill -9, restarted:
# no overlapping backups, no lost job, the chain intact, health 0.  Also:
# the job commands, schedules refused with a clear error, prune --dry-run,
# health's exit codes and its Prometheus file.
#
#   bash test_jobs_cli.sh PATH-OF-yedek SOURCE-DIR
set -u

YEDEK=${1:-}
SRC=${2:-}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

REPO=$TMP/repo
Y() { "$YEDEK" -r "$REPO" "$@"; }
DB=$TMP/shop.db
sqlite3 "$DB" "PRAGMA journal_mode=WAL; CREATE TABLE sale(id INTEGER PRIMARY KEY, v TEXT);" >/dev/null
"$YEDEK" init "$DB" >/dev/null 2>&1 || setup_fail "yedek init"

# ---- the job commands -------------------------------------------------------------
expect_exit 0 Y job add logs --db "$DB" --type log --schedule "every 1s"
expect_exit 0 Y job add diffs --db "$DB" --type diff --schedule "every 3s" --retention 3f
expect_exit 0 Y job add weekly --db "$DB" --type full --schedule "weekly sun 01:00"
expect_exit 1 Y job add logs --db "$DB" --type log --schedule "every 1s"
expect_err_has "exists"
expect_exit 2 Y job add bad --db "$DB" --type log --schedule "every fortnight"
expect_error_format
expect_exit 2 Y job add badz --db "$DB" --type log --schedule "every 1m" --compress lz4
expect_err_has "--compress takes none, zstd or zstd:LEVEL"
expect_exit 1 Y job add nocap --db "$TMP/none.db" --type log --schedule "every 1m"
expect_exit 0 Y --json job list
expect_json 'map(.name)' '["diffs","logs","weekly"]'
expect_json '.[] | select(.name == "diffs") | .keep_fulls' '3'
expect_exit 0 Y job disable weekly
expect_exit 0 Y --json job list
expect_json '.[] | select(.name == "weekly") | .enabled' 'false'
expect_exit 0 Y job remove weekly
expect_exit 1 Y job remove weekly
expect_err_has "no job named"

# ---- the agent, with a writer --------------------------------------------------------
: >"$TMP/writer.go"
(
    n=0
    while [ -e "$TMP/writer.go" ]; do
        n=$((n + 1))
        "$YEDEK" sql "$DB" "INSERT INTO sale(v) VALUES ('sale $n')" >/dev/null 2>&1
        sleep 0.05
    done
) &
WRITER=$!

agent_start() { "$YEDEK" -r "$REPO" agent --poll 1 2>>"$TMP/agent.log" & AGENT=$!; }
runs_after() { # TIME JOB: successful runs of JOB that started after TIME
    sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM jobhistory WHERE job_name = '$2' AND outcome = 'success' AND start_time > '$1'"
}
now_iso() { date -u +%Y-%m-%dT%H:%M:%S.000000Z; }

agent_start
sleep 5
T1=$(now_iso)
kill -TERM "$AGENT"
wait "$AGENT"
expect_eq "SIGTERM: the agent exits 0" "0" "$?"
if grep -q "stopped" "$TMP/agent.log"; then pass; else fail "SIGTERM: the agent says it stopped" "$(tail -n 3 "$TMP/agent.log")"; fi
expect_eq "SIGTERM: the running job finished (none left running)" "0" \
    "$(sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM jobhistory WHERE outcome = 'running'")"
# Whichever job ran first (a diff or a log, both due at the same second),
# with no full yet it took a full, and says why.
expect_eq "the first job run, with no full yet, took a full" "full|1" \
    "$(sqlite3 "$REPO/catalog.db" "SELECT actual_type, type_change_reason LIKE '%no%full%' FROM jobhistory ORDER BY run_id LIMIT 1")"

agent_start
sleep 4
kill -9 "$AGENT"
wait "$AGENT" 2>/dev/null
T2=$(now_iso)
agent_start
sleep 5
rm -f "$TMP/writer.go"
wait "$WRITER"
sleep 2 # the jobs catch up with the writer's last transactions

expect_exit 0 Y health
expect_out_has "YEDEK OK"
expect_exit 0 Y --json health --prometheus "$TMP/yedek.prom"
expect_json '.status' '"ok"'
if grep -q '^yedek_health_status{database="shop"} 0$' "$TMP/yedek.prom"; then pass; else
    fail "the Prometheus file has the status" "$(head -n 5 "$TMP/yedek.prom")"; fi
kill -TERM "$AGENT"
wait "$AGENT"

# No lost job: each job ran after each restart.
for job in logs diffs; do
    [ "$(runs_after "$T1" "$job")" -gt 0 ] && pass || fail "$job ran after the SIGTERM restart"
    [ "$(runs_after "$T2" "$job")" -gt 0 ] && pass || fail "$job ran after the kill -9 restart"
done
expect_eq "nothing is left running after kill -9 (the next agent marked it)" "0" \
    "$(sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM jobhistory WHERE outcome = 'running'")"
# No overlapping backups of the database.
overlaps=$(sqlite3 "$REPO/catalog.db" "SELECT count(*) FROM backupset a JOIN backupset b ON a.backup_id < b.backup_id WHERE a.backup_start_date < b.backup_finish_date AND b.backup_start_date < a.backup_finish_date")
expect_eq "no two backups overlap in time" "0" "$overlaps"
expect_exit 0 Y catalog check shop
expect_out_has "chain intact"
# The latest point restores to what the writer wrote.
expect_exit 0 Y restore shop --to "$TMP/restored.db"
expect_eq "the restored database holds every sale" \
    "$(sqlite3 "$DB" 'SELECT count(*), max(id) FROM sale')" \
    "$(sqlite3 "$TMP/restored.db" 'SELECT count(*), max(id) FROM sale')"
expect_exit 0 Y --json job history logs
expect_jq 'length > 5 and all(.[]; .database_path != null and .start_time != null)' "history rows"
expect_exit 0 Y --json job history
expect_jq 'any(.[]; .type_change_reason != null and .actual_type == "full")' "the history says why a job took a full"

# Retention kept three fulls at most, and --dry-run explains.
expect_exit 0 Y job run diffs
expect_exit 0 Y --json prune shop --retention 1f --dry-run
expect_jq '.dry_run == true and (.prune | all(.[]; .reason | length > 0))' "prune --dry-run gives a reason per backup"

# Health goes critical when jobs keep failing: a job on a database whose
# file is gone fails every time.
mv "$DB" "$TMP/shop.db.moved"
for i in 1 2 3; do Y job run logs >/dev/null 2>&1; done
expect_exit 2 Y health
expect_out_has "CRITICAL"
expect_out_has "failed"
mv "$TMP/shop.db.moved" "$DB"

# A database whose jobs never made a backup is reported too: a policy
# that never worked must not be silent.
LEDGER=$TMP/ledger.db
sqlite3 "$LEDGER" "PRAGMA journal_mode=WAL; CREATE TABLE x(y);" >/dev/null
"$YEDEK" init "$LEDGER" >/dev/null
expect_exit 0 Y job add ledger-logs --db "$LEDGER" --type log --schedule "every 1h"
mv "$LEDGER" "$LEDGER.gone"
for i in 1 2 3; do Y job run ledger-logs >/dev/null 2>&1; done
run Y --json health
expect_eq "health with a never-working job: exit" "2" "$RC"
expect_jq '.databases[] | select(.database == "ledger") | .status == "critical" and any(.checks[]; .check == "failures") and any(.checks[]; .check == "full_age")' "the never-working database is critical, with no full"

finish
