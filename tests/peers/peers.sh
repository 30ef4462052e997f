# tests/peers/peers.sh - object-store stand-ins on loopback for the store
# tests.  Sourced by a test script (POSIX sh); see tests/peers/README.
#
#   peers_require           exit 77 (skip) when node, python3 or the npm
#                           modules are missing; exit 99 instead when CI=true
#   peers_start [s3] [azure] [fake] [fakes3]
#                           fresh state dir, start the peers named (all four
#                           when none is named) on 127.0.0.1, free ports, wait
#                           until each answers, export DS_TEST_* (below)
#   peers_stop              stop every peer this shell started (by PID), remove
#                           the state dir; idempotent, safe in an EXIT trap
#   peers_trap              install peers_stop as EXIT/INT/TERM trap
#   peers_stop_one NAME     stop one peer (the store "goes down")
#   peers_restart_one NAME  start it again: same port, same data
#   peers_pids              the PIDs of the running peers, one a line
#   peers_seed TABLE...     upload $DS_SHARED/fixtures/TABLE trees into the
#                           running s3 and azure peers (tests/peers/seed.mjs)
#
# Exports after peers_start (only for the peers started):
#   DS_PEERS_STATE                      the state dir (logs, data, pid files)
#   s3     (s3rver):   DS_TEST_S3_ENDPOINT=http://127.0.0.1:PORT
#                      DS_TEST_S3_KEY, DS_TEST_S3_SECRET (a pair made for this
#                      run; S3RVER/S3RVER works too), DS_TEST_S3_REGION,
#                      DS_TEST_S3_BUCKET (where peers_seed puts tables),
#                      DS_TEST_S3_DIR (s3rver's data dir)
#   azure  (azurite):  DS_TEST_AZ_ENDPOINT=http://127.0.0.1:PORT (path style:
#                      $DS_TEST_AZ_ENDPOINT/$DS_TEST_AZ_ACCOUNT/CONTAINER/BLOB),
#                      DS_TEST_AZ_ACCOUNT, DS_TEST_AZ_KEY (base64, made for
#                      this run), DS_TEST_AZ_CONTAINER
#   fake   (fakestore.py, GCS XML dialect, checks signatures):
#                      DS_TEST_FAKE_ENDPOINT=http://127.0.0.1:PORT,
#                      DS_TEST_FAKE_BUCKET, DS_TEST_FAKE_DIR (the directory it
#                      serves), DS_TEST_FAKE_HMAC_ID, DS_TEST_FAKE_HMAC_SECRET,
#                      DS_TEST_FAKE_RSA_EMAIL, DS_TEST_FAKE_RSA_KEY (private
#                      key PEM file), DS_TEST_FAKE_RSA_PUB (public key PEM)
#   fakes3 (fakestore.py, S3 dialect, checks SigV4 with the same HMAC pair):
#                      DS_TEST_FAKES3_ENDPOINT, DS_TEST_FAKES3_BUCKET,
#                      DS_TEST_FAKES3_KEY, DS_TEST_FAKES3_SECRET, and
#                      DS_TEST_FAKE_DIR (both fake peers serve the same dir)
#
# The fake peers serve $DS_TEST_FAKE_DIR as bucket "fixtures": set it before
# peers_start to choose the directory, else $DS_SHARED/fixtures when it
# exists, else an empty dir in the state dir.
#
# Environment from the Makefile: top_srcdir (and top_builddir);
# DS_PEERS_MODULES may point at a node_modules dir holding the pinned set
# (make passes the source tree's, so that distcheck's copy finds it).

peers_dir=${top_srcdir:?run through make check, or set top_srcdir}/tests/peers
peers_names=
DS_PEERS_STATE=

peers_log() { printf 'peers: %s\n' "$*" >&2; }

peers_skip_or_fail() {
    if [ "${CI:-}" = true ]; then
        peers_log "ERROR $* (CI=true: missing peers are an error)"
        exit 99
    fi
    peers_log "SKIP $*"
    exit 77
}

# The node_modules dir with s3rver and azurite, or nothing.
peers_find_modules() {
    for m in "${DS_PEERS_MODULES:-}" "$peers_dir/node_modules" \
        "${top_builddir:-.}/tests/peers/node_modules"; do
        if [ -n "$m" ] && [ -f "$m/s3rver/package.json" ] &&
            [ -f "$m/azurite/package.json" ]; then
            (cd "$m" && pwd)
            return 0
        fi
    done
    return 1
}

peers_require() {
    command -v node >/dev/null 2>&1 || peers_skip_or_fail "node not found in PATH"
    command -v curl >/dev/null 2>&1 || peers_skip_or_fail "curl not found in PATH"
    command -v python3 >/dev/null 2>&1 || peers_skip_or_fail "python3 not found in PATH"
    command -v openssl >/dev/null 2>&1 || peers_skip_or_fail "openssl not found in PATH"
    node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
        peers_skip_or_fail "node $(node --version) is older than 20"
    peers_modules=$(peers_find_modules) ||
        peers_skip_or_fail "no node_modules with s3rver and azurite (run: npm ci --prefix tests/peers)"
    DS_PEERS_MODULES=$peers_modules
    export DS_PEERS_MODULES
}

# A port that was free a moment ago (azurite cannot report the one it got).
peers_free_port() {
    node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# peers_alive PID: the process exists and is not a zombie.
peers_alive() {
    peers_st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $peers_st in Z*) return 1 ;; esac
    return 0
}

# peers_wait_http NAME PID URL: until URL answers at all (bounded, ~15 s).
peers_wait_http() {
    peers_i=0
    while [ $peers_i -lt 600 ]; do
        peers_alive "$2" || return 1
        peers_code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$3" 2>/dev/null)
        [ "${peers_code:-000}" != 000 ] && return 0
        sleep 0.1
        peers_i=$((peers_i + 1))
    done
    peers_log "$1 did not answer at $3"
    return 1
}

# peers_wait_ready NAME PID LOG: until LOG has a READY line; prints the port.
peers_wait_ready() {
    peers_i=0
    while [ $peers_i -lt 600 ]; do
        peers_p=$(sed -n 's/^READY \([0-9][0-9]*\)$/\1/p' "$3" 2>/dev/null | head -n 1)
        if [ -n "$peers_p" ]; then
            echo "$peers_p"
            return 0
        fi
        peers_alive "$2" || break
        sleep 0.1
        peers_i=$((peers_i + 1))
    done
    peers_log "$1 did not start; its log:"
    sed 's/^/    /' "$3" >&2
    return 1
}

peers_random() { node -e "process.stdout.write(require('crypto').randomBytes($1).toString('$2'))"; }

# --- one peer each: peers_launch_NAME [PORT] -------------------------------
# Start it (on PORT when given, else on a free one), wait until it answers,
# record NAME.pid and NAME.port in the state dir.

peers_launch_s3() {
    peers_log_f=$DS_PEERS_STATE/s3.log
    : >"$peers_log_f"
    node --openssl-legacy-provider "$peers_dir/s3rver-run.mjs" "$DS_PEERS_STATE/s3" "${1:-0}" \
        "$DS_TEST_S3_KEY:$DS_TEST_S3_SECRET" >>"$peers_log_f" 2>&1 &
    peers_pid=$!
    echo "$peers_pid" >"$DS_PEERS_STATE/s3.pid"
    peers_port=$(peers_wait_ready s3rver "$peers_pid" "$peers_log_f") || return 1
    echo "$peers_port" >"$DS_PEERS_STATE/s3.port"
    peers_wait_http s3rver "$peers_pid" "http://127.0.0.1:$peers_port/"
}

peers_launch_azure() {
    peers_log_f=$DS_PEERS_STATE/azure.log
    peers_try=0
    while [ $peers_try -lt 5 ]; do
        peers_port=${1:-$(peers_free_port)}
        : >"$peers_log_f"
        AZURITE_ACCOUNTS="$DS_TEST_AZ_ACCOUNT:$DS_TEST_AZ_KEY" \
            node "$DS_PEERS_MODULES/azurite/dist/src/blob/main.js" \
            --blobHost 127.0.0.1 --blobPort "$peers_port" --location "$DS_PEERS_STATE/azure" \
            --disableTelemetry --skipApiVersionCheck --silent >>"$peers_log_f" 2>&1 &
        peers_pid=$!
        echo "$peers_pid" >"$DS_PEERS_STATE/azure.pid"
        echo "$peers_port" >"$DS_PEERS_STATE/azure.port"
        if peers_wait_http azurite "$peers_pid" \
            "http://127.0.0.1:$peers_port/$DS_TEST_AZ_ACCOUNT?comp=list"; then
            return 0
        fi
        peers_kill "$peers_pid"
        # someone else took the port between the probe and the listen: retry
        grep -q EADDRINUSE "$peers_log_f" && [ -z "${1:-}" ] || break
        peers_try=$((peers_try + 1))
    done
    peers_log "azurite did not start; its log:"
    sed 's/^/    /' "$peers_log_f" >&2
    return 1
}

# peers_launch_fakestore NAME DIALECT [PORT]
peers_launch_fakestore() {
    peers_log_f=$DS_PEERS_STATE/$1.log
    : >"$peers_log_f"
    python3 "$peers_dir/fakestore.py" --dialect "$2" --port "${3:-0}" \
        --root "$DS_TEST_FAKE_DIR" --bucket fixtures \
        --hmac-id "$DS_TEST_FAKE_HMAC_ID" --hmac-secret "$DS_TEST_FAKE_HMAC_SECRET" \
        --rsa-public-key "$DS_TEST_FAKE_RSA_PUB" --rsa-email "$DS_TEST_FAKE_RSA_EMAIL" \
        >>"$peers_log_f" 2>&1 &
    peers_pid=$!
    echo "$peers_pid" >"$DS_PEERS_STATE/$1.pid"
    peers_port=$(peers_wait_ready "$1" "$peers_pid" "$peers_log_f") || return 1
    echo "$peers_port" >"$DS_PEERS_STATE/$1.port"
}
peers_launch_fake() { peers_launch_fakestore fake gcs "$@"; }
peers_launch_fakes3() { peers_launch_fakestore fakes3 s3 "$@"; }

# --- the public functions ----------------------------------------------------

peers_start() {
    [ -n "${DS_PEERS_MODULES:-}" ] || peers_require
    [ -z "$DS_PEERS_STATE" ] || peers_stop
    [ $# -gt 0 ] || set -- s3 azure fake fakes3
    DS_PEERS_STATE=$(mktemp -d "${TMPDIR:-/tmp}/ds-peers.XXXXXX") || return 1
    export DS_PEERS_STATE
    peers_names=
    for peers_n in "$@"; do
        case $peers_n in
        s3)
            DS_TEST_S3_KEY=DSPEERS$(peers_random 7 hex | tr a-f A-F)
            DS_TEST_S3_SECRET=$(peers_random 30 base64)
            DS_TEST_S3_REGION=us-east-1
            DS_TEST_S3_BUCKET=fixtures
            DS_TEST_S3_DIR=$DS_PEERS_STATE/s3
            mkdir -p "$DS_TEST_S3_DIR"
            export DS_TEST_S3_KEY DS_TEST_S3_SECRET DS_TEST_S3_REGION DS_TEST_S3_BUCKET DS_TEST_S3_DIR
            ;;
        azure)
            DS_TEST_AZ_ACCOUNT=dspeers
            DS_TEST_AZ_KEY=$(peers_random 64 base64)
            DS_TEST_AZ_CONTAINER=fixtures
            mkdir -p "$DS_PEERS_STATE/azure"
            export DS_TEST_AZ_ACCOUNT DS_TEST_AZ_KEY DS_TEST_AZ_CONTAINER
            ;;
        fake | fakes3)
            if [ -z "${DS_TEST_FAKE_HMAC_ID:-}" ] || [ ! -f "${DS_TEST_FAKE_RSA_PUB:-}" ]; then
                if [ -z "${DS_TEST_FAKE_DIR:-}" ]; then
                    if [ -d "${DS_SHARED:-/nonexistent}/fixtures" ]; then
                        DS_TEST_FAKE_DIR=$DS_SHARED/fixtures
                    else
                        DS_TEST_FAKE_DIR=$DS_PEERS_STATE/fake-dir
                        mkdir -p "$DS_TEST_FAKE_DIR"
                    fi
                fi
                DS_TEST_FAKE_BUCKET=fixtures
                DS_TEST_FAKE_HMAC_ID=GOOG1$(peers_random 12 hex | tr a-f A-F)
                DS_TEST_FAKE_HMAC_SECRET=$(peers_random 30 base64)
                DS_TEST_FAKE_RSA_EMAIL=peers@ds-test.iam.gserviceaccount.com
                DS_TEST_FAKE_RSA_KEY=$DS_PEERS_STATE/fake-rsa.pem
                DS_TEST_FAKE_RSA_PUB=$DS_PEERS_STATE/fake-rsa.pub.pem
                openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                    -out "$DS_TEST_FAKE_RSA_KEY" 2>/dev/null &&
                    openssl pkey -in "$DS_TEST_FAKE_RSA_KEY" -pubout \
                        -out "$DS_TEST_FAKE_RSA_PUB" 2>/dev/null || {
                    peers_log "openssl could not make an RSA key"
                    return 1
                }
                DS_TEST_FAKES3_BUCKET=fixtures
                DS_TEST_FAKES3_KEY=$DS_TEST_FAKE_HMAC_ID
                DS_TEST_FAKES3_SECRET=$DS_TEST_FAKE_HMAC_SECRET
                export DS_TEST_FAKE_DIR DS_TEST_FAKE_BUCKET DS_TEST_FAKE_HMAC_ID \
                    DS_TEST_FAKE_HMAC_SECRET DS_TEST_FAKE_RSA_EMAIL DS_TEST_FAKE_RSA_KEY \
                    DS_TEST_FAKE_RSA_PUB DS_TEST_FAKES3_BUCKET DS_TEST_FAKES3_KEY \
                    DS_TEST_FAKES3_SECRET
            fi
            ;;
        *)
            peers_log "unknown peer '$peers_n' (s3, azure, fake, fakes3)"
            return 1
            ;;
        esac
        peers_names="$peers_names $peers_n"
    done
    for peers_n in $peers_names; do
        "peers_launch_$peers_n" || {
            peers_log "could not start $peers_n"
            return 1
        }
        peers_export_endpoint "$peers_n"
    done
}

peers_export_endpoint() {
    peers_url=http://127.0.0.1:$(cat "$DS_PEERS_STATE/$1.port")
    case $1 in
    s3) DS_TEST_S3_ENDPOINT=$peers_url && export DS_TEST_S3_ENDPOINT ;;
    azure) DS_TEST_AZ_ENDPOINT=$peers_url && export DS_TEST_AZ_ENDPOINT ;;
    fake) DS_TEST_FAKE_ENDPOINT=$peers_url && export DS_TEST_FAKE_ENDPOINT ;;
    fakes3) DS_TEST_FAKES3_ENDPOINT=$peers_url && export DS_TEST_FAKES3_ENDPOINT ;;
    esac
}

# peers_kill PID: SIGTERM, wait up to 5 s, then SIGKILL; reap it if ours.
peers_kill() {
    peers_alive "$1" || {
        wait "$1" 2>/dev/null
        return 0
    }
    kill "$1" 2>/dev/null
    peers_i=0
    while peers_alive "$1" && [ $peers_i -lt 50 ]; do
        sleep 0.1
        peers_i=$((peers_i + 1))
    done
    if peers_alive "$1"; then
        peers_log "PID $1 ignored SIGTERM: SIGKILL"
        kill -9 "$1" 2>/dev/null
        sleep 0.1
    fi
    wait "$1" 2>/dev/null
    return 0
}

peers_stop_one() {
    [ -n "$DS_PEERS_STATE" ] && [ -f "$DS_PEERS_STATE/$1.pid" ] || return 0
    peers_kill "$(cat "$DS_PEERS_STATE/$1.pid")"
    rm -f "$DS_PEERS_STATE/$1.pid"
}

peers_restart_one() {
    [ -n "$DS_PEERS_STATE" ] && [ -f "$DS_PEERS_STATE/$1.port" ] || {
        peers_log "peers_restart_one: $1 was never started"
        return 1
    }
    peers_stop_one "$1"
    # The port was ours a moment ago; wait a little if the kernel still holds it.
    peers_try=0
    while :; do
        "peers_launch_$1" "$(cat "$DS_PEERS_STATE/$1.port")" && return 0
        peers_try=$((peers_try + 1))
        [ $peers_try -lt 5 ] || return 1
        rm -f "$DS_PEERS_STATE/$1.pid"
        sleep 0.5
    done
}

peers_pids() {
    [ -n "$DS_PEERS_STATE" ] || return 0
    for peers_f in "$DS_PEERS_STATE"/*.pid; do
        [ -f "$peers_f" ] && cat "$peers_f"
    done
    return 0
}

peers_stop() {
    [ -n "$DS_PEERS_STATE" ] || return 0
    for peers_n in s3 azure fake fakes3; do
        peers_stop_one "$peers_n"
    done
    if [ -n "${DS_KEEP_STATE:-}" ]; then
        peers_log "state kept in $DS_PEERS_STATE"
    else
        rm -rf "$DS_PEERS_STATE"
    fi
    DS_PEERS_STATE=
    peers_names=
    return 0
}

peers_trap() {
    trap 'peers_stop' EXIT
    trap 'peers_stop; exit 130' INT
    trap 'peers_stop; exit 143' TERM
}

# peers_seed TABLE...: every file of $DS_SHARED/fixtures/TABLE into the
# started s3 and azure peers, as fixtures/TABLE/<path>.
peers_seed() {
    node "$peers_dir/seed.mjs" --src "${DS_SHARED:?}/fixtures" "$@"
}
