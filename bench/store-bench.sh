#!/bin/sh
# bench/store-bench.sh PROGRAM BENCH_DIR: object-store benchmark (make
# bench-stores).  Starts s3rver and fakestore's S3 dialect on loopback
# (tests/peers/peers.sh), uploads a few fixture tables to s3rver, and runs
# bench/store-bench.py: store requests per query (counted by fakestore) and
# query latency from s3rver and fakestore next to the same table on local
# disk, in the same run.
set -u
prog=${1:?PROGRAM} dir=${2:?BENCH_DIR}
: "${top_srcdir:?}" "${DS_SHARED:?}"
. "$top_srcdir/tests/peers/peers.sh"
peers_require
sh "$DS_SHARED/fixtures/restore-mtimes.sh" || exit 1
TABLES="json-only-simple checkpoint-classic-spark checkpoint-multi-part checkpoint-v2-parquet-sidecars dv-files-checkpoint cdf-cdc-files"
peers_trap
peers_start s3 fakes3 || exit 1
# shellcheck disable=SC2086
peers_seed $TABLES >/dev/null || exit 1
mkdir -p "$dir"
head -c 32 /dev/urandom >"$dir/link.key"
TOKEN=bench-token-$$
HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)
{
    cat <<EOC
endpoint = http://127.0.0.1/delta-sharing
link-key-file = $dir/link.key
log-requests = false
store.name = s3rver
store.type = s3
store.prefix = s3://fixtures
store.endpoint = $DS_TEST_S3_ENDPOINT
store.access-key-id = $DS_TEST_S3_KEY
store.secret-access-key = $DS_TEST_S3_SECRET
store.name = fake
store.type = s3
store.prefix = s3a://fixtures
store.endpoint = $DS_TEST_FAKES3_ENDPOINT
store.access-key-id = $DS_TEST_FAKES3_KEY
store.secret-access-key = $DS_TEST_FAKES3_SECRET
recipient.name = bench
recipient.token-sha256 = $HASH
recipient.shares = *
EOC
    for s in local:file://$DS_SHARED/fixtures s3:s3://fixtures fake:s3a://fixtures; do
        printf 'share.name = %s\nschema.name = b\n' "${s%%:*}"
        for t in $TABLES; do
            printf 'table.name = %s\ntable.location = %s/%s\n' "$t" "${s#*:}" "$t"
        done
    done
} >"$dir/stores.conf"
# the same, reading one file after another
sed 's/^store.name = fake$/store.name = fake\nstore.parallel = 1/' "$dir/stores.conf" >"$dir/stores-seq.conf"
python3 "$top_srcdir/bench/store-bench.py" "$prog" "$dir/stores.conf" "$dir/stores-seq.conf" "$TOKEN" \
    "$DS_TEST_FAKES3_ENDPOINT" $TABLES
