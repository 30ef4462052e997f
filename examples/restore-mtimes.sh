#!/bin/sh
# examples/restore-mtimes.sh [TABLE_DIR] - put back the commit times of the
# sample table after a checkout.
#
# The sample table has no in-commit timestamps, so each version's commit
# timestamp is the modification time of its _delta_log/<version>.json, and
# git does not keep modification times.  This sets them to the times the
# generator recorded in sample-table.mtimes.tsv (next to this script; columns:
# path below the table root, epoch milliseconds, the same time in UTC).
# TABLE_DIR defaults to the sample-table directory next to this script; pass
# another one for a copy of the table.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
table=${1:-$here/sample-table}
tsv=$here/sample-table.mtimes.tsv
[ -d "$table/_delta_log" ] || {
    echo "restore-mtimes: $table is not a Delta table (no _delta_log)" >&2
    exit 1
}
tab=$(printf '\t')
n=0
while IFS="$tab" read -r path _ms utc; do
    case $path in '' | '#'*) continue ;; esac
    if [ ! -f "$table/$path" ]; then
        echo "restore-mtimes: missing $table/$path" >&2
        exit 1
    fi
    touch -c -d "$utc" "$table/$path"
    n=$((n + 1))
done <"$tsv"
[ "$n" -gt 0 ] || {
    echo "restore-mtimes: no times in $tsv" >&2
    exit 1
}
