#!/usr/bin/env bash
# demo.sh: yedek's planner and chain check on a sample history.
# A catalog of three days of backups (tools/demo/sample-history.sql), one
# log backup file lost, then: plans to points in time and to a mark, a plan
# that cannot succeed and says why, and the chain check.
set -uo pipefail

yedek=${YEDEK:-yedek}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(mktemp -d "${TMPDIR:-/tmp}/yedek-demo.XXXXXX")/repo
run() { echo; echo "\$ yedek $*"; "$yedek" -r "$repo" "$@"; echo "(exit $?)"; }

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
