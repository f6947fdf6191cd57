#!/usr/bin/env bash
# demo.sh: yedek on a live database, then its planner on a sample history.
# Part 1: a point-of-sale database in WAL mode is put under capture and
# written by yedek sql and by the stock sqlite3 shell with yedek's
# extension loaded, while a full, logs and a diff are taken of it; the
# media are verified and read with stock bsdtar; a write without capture
# breaks the chain, status says so, log backups refuse, and a full backup
# starts a new chain.  Then point-in-time restores: the database as it was
# at a moment between two sales, and just before a named mark, each shown
# to hold exactly the data of that moment; and the weekly restore drill.
# Part 2: a catalog of three days of backups (tools/demo/sample-history.sql)
# with one log backup file lost: plans to points in time and to a mark, a
# plan that cannot succeed and says why, and the chain check.
set -uo pipefail

yedek=${YEDEK:-yedek}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/yedek-demo.XXXXXX")
repo=$work/repo
run() { echo; echo "\$ yedek $*"; "$yedek" -r "$repo" "$@"; echo "(exit $?)"; }

echo "== part 1: capture on a live database =="
db=$work/pos.db
sqlite3 "$db" "PRAGMA journal_mode=WAL;
  CREATE TABLE sale(id INTEGER PRIMARY KEY, item TEXT, price_cents INTEGER, at TEXT);" >/dev/null
run init "$db"
for item in coffee tea bagel; do
    "$yedek" sql "$db" "INSERT INTO sale(item, price_cents, at) VALUES ('$item', 350, datetime('now'))"
done
echo
echo "\$ sqlite3 :memory: \".load \$(yedek extension)\" \".open pos.db\" \"INSERT ...\""
sqlite3 :memory: ".load $("$yedek" extension)" ".open $db" \
    "INSERT INTO sale(item, price_cents, at) VALUES ('croissant', 275, datetime('now'))"
run backup full "$db"
sell() { # N: N sales through capture
    for i in $(seq "$1"); do
        "$yedek" sql "$db" "INSERT INTO sale(item, price_cents, at) VALUES ('espresso', 250, datetime('now'))"
    done
}
sell 20
run backup log "$db"
# The moment to come back to: between two sales.
sleep 0.2
moment=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ | sed 's/\([0-9]\{6\}\)[0-9]*Z$/\1Z/')
sales_then=$("$yedek" sql "$db" "SELECT count(*) || ' sales, ' || sum(price_cents) || ' cents' FROM sale")
sleep 0.2
run mark "$db" before-price-update
"$yedek" sql "$db" "UPDATE sale SET price_cents = price_cents + 25"
sell 10
run backup diff "$db"
sell 5
run backup log "$db"
run status "$db"
run catalog list pos
run verify
full=$("$yedek" -r "$repo" --json catalog list pos | jq -r '[.[] | select(.type == "full")][0].media_path')
echo
echo "\$ bsdtar -tvf $full    # stock tools read the media"
bsdtar -tvf "$repo/$full"
echo
echo "\$ sqlite3 pos.db \"INSERT ...\"    # a write by a process without capture"
sqlite3 "$db" "INSERT INTO sale(item, price_cents, at) VALUES ('muffin', 300, datetime('now'))"
run --json status "$db"
run backup log "$db"
run backup full "$db"
run backup log "$db"

echo
echo "== point-in-time restores =="
echo "At $moment the database held: $sales_then"
run restore pos --at "$moment" --to "$work/pos-then.db"
echo "\$ sqlite3 pos-then.db \"SELECT count(*), sum(price_cents) FROM sale\""
sqlite3 "$work/pos-then.db" "SELECT count(*) || ' sales, ' || sum(price_cents) || ' cents' FROM sale"
run restore pos --before-mark before-price-update --to "$work/pos-before-update.db"
echo "\$ sqlite3 pos-before-update.db \"SELECT DISTINCT price_cents FROM sale\"    # prices before the update"
sqlite3 "$work/pos-before-update.db" "SELECT group_concat(DISTINCT price_cents) FROM sale"
run verify --restore-test pos
echo
echo "== part 2: the planner on a sample history =="

echo "== a repository with three days of backups of 'shop' =="
"$yedek" -r "$repo" catalog list >/dev/null || exit 1
sqlite3 "$repo/catalog.db" < "$here/sample-history.sql" || exit 1
sqlite3 "$repo/catalog.db" "SELECT media_path FROM backupset" | while read -r m; do
    mkdir -p "$repo/$(dirname "$m")" && echo "sample media" > "$repo/$m"
done
echo "repository: $repo"
echo "lost: the log backup of Monday 2026-11-16 06:00-07:00 (its file is deleted)"
rm "$repo/shop/log/5a0c1e00-030.ydk"

run catalog list shop | head -8
run plan shop --at 2026-11-16T05:29:59.250Z
run plan shop --at 2026-11-17T06:30:00+03:00
run --json plan shop --before-mark before-price-update
run plan shop --at 2026-11-16T06:30:00Z
run catalog check shop
echo
echo "The log gap is reported before anyone needs it: Monday 06:00 to 07:00"
echo "cannot be restored, and every point after Tuesday's diff still can."
