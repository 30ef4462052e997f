#!/bin/sh
# tools/quickstart.sh - from a fresh clone to a running server in one command.
#
#   sudo sh tools/quickstart.sh         install, build, (re)start, print a profile
#   sh tools/quickstart.sh stop         stop what the first command started
#
# On Debian (as root, or through sudo) it installs the build dependencies,
# nginx and spawn-fcgi, builds the tree, writes a config under
# QUICKSTART_DIR (default ./quickstart-run) with one share, demo, holding the
# bundled sample table examples/sample-table (history shared, so time travel
# works; its commit times are restored first, since a checkout loses them),
# starts two
# delta-sharing.fcgi processes under spawn-fcgi and nginx in front of them
# on http://127.0.0.1:QUICKSTART_PORT/delta-sharing (default port 8080),
# checks that the server answers, and prints the recipient's profile file
# and a curl command.  Running it again restarts everything and keeps the
# token (delete QUICKSTART_DIR for a fresh one).  Through sudo, pass the
# settings after it: sudo QUICKSTART_PORT=9000 sh tools/quickstart.sh
#
# Only the package installation needs root.  Started through sudo by the
# owner of the clone, it builds and runs as that user; started as root, it
# runs the server and nginx's workers as nobody when nobody can read the
# tree, else as root.  Both servers listen on loopback only.
#
# It uses the deployment samples: etc/spawn-fcgi.sh starts the FastCGI
# processes, and etc/nginx/delta-sharing.conf is the nginx server block
# (with its listen and fastcgi_pass lines replaced).
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config libfcgi-dev libjson-c-dev
libcurl4-openssl-dev libsodium-dev libssl-dev zlib1g-dev libzstd-dev libsnappy-dev check nginx
spawn-fcgi curl"

REPO=$(cd "$(dirname "$0")/.." && pwd)
SELF=$REPO/tools/quickstart.sh
DIR=${QUICKSTART_DIR:-./quickstart-run}
case $DIR in /*) ;; *) DIR=$(pwd)/${DIR#./} ;; esac
PORT=${QUICKSTART_PORT:-8080}
ENDPOINT=http://127.0.0.1:$PORT/delta-sharing
FCGI=$REPO/src/delta-sharing.fcgi
ADMIN=$REPO/tools/delta-sharing-admin
SAMPLE=$REPO/examples/sample-table
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin

say() { printf 'quickstart: %s\n' "$*"; }
die() {
    printf 'quickstart: %s\n' "$*" >&2
    exit 1
}

case $PORT in '' | *[!0-9]*) die "QUICKSTART_PORT must be a port number" ;; esac

# The environment etc/spawn-fcgi.sh reads; RUN_USER/RUN_GROUP (set by
# choose_run_user) run the FastCGI processes and own their socket.
spawn_fcgi() {
    DS_FCGI=$FCGI DS_CONF=$DIR/delta-sharing.conf DS_SOCKET=$DIR/fcgi.sock \
        DS_PIDFILE=$DIR/fcgi.pid DS_LOG=$DIR/requests.log DS_CHILDREN=2 \
        DS_USER=${RUN_USER-} DS_GROUP=${RUN_GROUP-} \
        DS_SOCKET_USER=${RUN_USER-} DS_SOCKET_GROUP=${RUN_GROUP-} \
        sh "$REPO/etc/spawn-fcgi.sh" "$1"
}

stop() {
    if [ -f "$DIR/nginx.pid" ]; then
        pid=$(cat "$DIR/nginx.pid")
        if kill -QUIT "$pid" 2>/dev/null; then
            n=0
            while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
                sleep 0.1
                n=$((n + 1))
            done
            kill -0 "$pid" 2>/dev/null && die "nginx ($pid) did not stop"
        fi
        rm -f "$DIR/nginx.pid"
    fi
    [ ! -f "$DIR/fcgi.pid" ] || spawn_fcgi stop
}

# ---- packages (root) -------------------------------------------------------

missing_packages() {
    command -v dpkg-query >/dev/null 2>&1 || return 0
    for p in $PACKAGES; do
        dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' ||
            printf '%s ' "$p"
    done
}

install_packages() {
    missing=$(missing_packages)
    [ -n "$missing" ] || return 0
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; install these yourself: $missing"
    if [ "$(id -u)" = 0 ]; then
        sudo=
    elif command -v sudo >/dev/null 2>&1; then
        sudo=sudo
    else
        die "not root and no sudo: install these as root first: $missing"
    fi
    say "installing: $missing"
    $sudo apt-get update
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
    case " $missing " in *" nginx "*)
        say "note: Debian's nginx package may also have started its default site on" \
            "port 80 ('systemctl disable --now nginx' stops it); this quickstart does not" \
            "use it" ;;
    esac
}

# ---- build, config, start (unprivileged when possible) -------------------------

build() {
    cd "$REPO"
    if [ ! -f Makefile ]; then
        autoreconf -fi
        ./configure
    fi
    make -j"$(nproc 2>/dev/null || echo 2)"
}

# The sample table's commit timestamps are the mtimes of its commit files,
# which a checkout sets to the checkout time; put back the recorded ones.
restore_sample_mtimes() {
    [ -d "$SAMPLE/_delta_log" ] || die "$SAMPLE is missing (incomplete checkout?)"
    sh "$REPO/examples/restore-mtimes.sh" "$SAMPLE" ||
        say "note: could not restore the commit times of $SAMPLE (not its owner?);" \
            "time travel by timestamp will see the checkout time instead"
}

# Quotes a value for the config file: "..." with \ and " escaped.
quote() { printf '"%s"' "$(printf %s "$1" | sed 's/[\\"]/\\&/g')"; }

write_config() {
    mkdir -p "$DIR"
    [ -s "$DIR/link.key" ] || "$ADMIN" keygen -o "$DIR/link.key"
    # keep the token across runs, unless the endpoint (the port) changed
    if [ ! -s "$DIR/demo.share" ] || [ ! -s "$DIR/demo.token-sha256" ] ||
        ! grep -qF "\"$ENDPOINT\"" "$DIR/demo.share"; then
        "$ADMIN" token -e "$ENDPOINT" -o "$DIR/demo.share" -f >"$DIR/demo.token-sha256.new"
        grep -q '^recipient\.token-sha256 = [0-9a-f]\{64\}$' "$DIR/demo.token-sha256.new" ||
            die "unexpected output from delta-sharing-admin token"
        mv "$DIR/demo.token-sha256.new" "$DIR/demo.token-sha256"
    fi
    umask 077
    cat >"$DIR/delta-sharing.conf.new" <<EOF
# Written by tools/quickstart.sh; rewritten on every run.
endpoint = $ENDPOINT
link-key-file = $(quote "$DIR/link.key")
log-requests = true

share.name = demo
share.comment = "A sample share made by tools/quickstart.sh"
schema.name = default
# examples/README describes this table (versions 0-2, partitioned by country)
table.name = sample
table.location = $(quote "file://$SAMPLE")
table.history = true

# The token is in demo.share; only its SHA-256 is kept here.
recipient.name = demo
$(cat "$DIR/demo.token-sha256")
recipient.shares = demo
EOF
    mv "$DIR/delta-sharing.conf.new" "$DIR/delta-sharing.conf"
    umask 022
    "$FCGI" -t -c "$DIR/delta-sharing.conf" >/dev/null
}

# Who runs the FastCGI processes and the nginx workers.  Not root: we do,
# RUN_USER stays empty.  Root: nobody, if it can read the tree and the
# state dir; else root itself (RUN_USER empty for spawn-fcgi, which then
# keeps root, and "user root" for nginx's workers).
choose_run_user() {
    RUN_USER=
    RUN_GROUP=
    NGINX_USER=
    [ "$(id -u)" = 0 ] || return 0
    NGINX_USER="root root"
    if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1; then
        ng=$(id -gn nobody)
        chgrp "$ng" "$DIR/delta-sharing.conf" "$DIR/link.key"
        chmod 0640 "$DIR/delta-sharing.conf" "$DIR/link.key"
        chmod 0711 "$DIR"
        if setpriv --reuid=nobody --regid="$ng" --clear-groups \
            "$FCGI" -t -c "$DIR/delta-sharing.conf" >/dev/null 2>&1; then
            RUN_USER=nobody
            RUN_GROUP=$ng
            NGINX_USER="nobody $ng"
            return 0
        fi
    fi
    say "note: user nobody cannot read $REPO or $DIR; running the server as root"
}

write_nginx_conf() {
    mkdir -p "$DIR/nginx-tmp"
    sed -e "s|^\([[:space:]]*\)listen[[:space:]].*;|\1listen 127.0.0.1:$PORT;|" \
        -e "s|unix:/run/delta-sharing/fcgi.sock;|unix:$DIR/fcgi.sock;|" \
        "$REPO/etc/nginx/delta-sharing.conf" >"$DIR/nginx-site.conf"
    user_line=
    [ -z "$NGINX_USER" ] || user_line="user $NGINX_USER;"
    cat >"$DIR/nginx.conf" <<EOF
# Written by tools/quickstart.sh; rewritten on every run.
worker_processes 1;
pid $DIR/nginx.pid;
error_log $DIR/nginx-error.log;
$user_line
events { worker_connections 256; }
http {
    access_log $DIR/nginx-access.log;
    client_body_temp_path $DIR/nginx-tmp/client_body;
    fastcgi_temp_path $DIR/nginx-tmp/fastcgi;
    proxy_temp_path $DIR/nginx-tmp/proxy;
    uwsgi_temp_path $DIR/nginx-tmp/uwsgi;
    scgi_temp_path $DIR/nginx-tmp/scgi;
    include $DIR/nginx-site.conf;
}
EOF
}

start_nginx() {
    set -- -p "$DIR/" -c "$DIR/nginx.conf"
    nginx -h 2>&1 | grep -q -- '-e filename' && set -- -e "$DIR/nginx-error.log" "$@"
    if ! nginx "$@" 2>"$DIR/nginx-start.err"; then
        cat "$DIR/nginx-start.err" >&2
        spawn_fcgi stop >/dev/null 2>&1 || :
        grep -q 'in use' "$DIR/nginx-start.err" &&
            die "port $PORT is in use; pick another with QUICKSTART_PORT=..."
        die "nginx did not start (see $DIR/nginx-error.log)"
    fi
}

check_and_report() {
    token=$(sed -n 's/.*"bearerToken": *"\([^"]*\)".*/\1/p' "$DIR/demo.share")
    [ -n "$token" ] || die "no bearerToken in $DIR/demo.share"
    n=0
    while :; do
        status=$(curl -s -o "$DIR/check.out" -w '%{http_code}' \
            -H "Authorization: Bearer $token" "$ENDPOINT/shares") || status=000
        [ "$status" = 200 ] && break
        n=$((n + 1))
        [ $n -lt 30 ] || {
            cat "$DIR/check.out" >&2 2>/dev/null || :
            die "GET $ENDPOINT/shares answered $status (logs: $DIR/requests.log, $DIR/nginx-error.log)"
        }
        sleep 0.1
    done
    rm -f "$DIR/check.out"
    say "running: GET $ENDPOINT/shares answered 200"
    status=$(curl -s -o "$DIR/check.out" -w '%{http_code}' \
        -H "Authorization: Bearer $token" "$ENDPOINT/shares/demo/all-tables") || status=000
    { [ "$status" = 200 ] && grep -q '"name":"sample"' "$DIR/check.out"; } || {
        cat "$DIR/check.out" >&2 2>/dev/null || :
        die "GET $ENDPOINT/shares/demo/all-tables answered $status without the sample table"
    }
    rm -f "$DIR/check.out"
    # the whole client flow: query the table, then fetch a data file through
    # the signed link the answer holds (no bearer token: the link is the key)
    status=$(curl -s -o "$DIR/check.out" -w '%{http_code}' -X POST \
        -H "Authorization: Bearer $token" -H 'Content-Type: application/json' --data '{}' \
        "$ENDPOINT/shares/demo/schemas/default/tables/sample/query") || status=000
    url=$(sed -n 's/^{"file":{"url":"\([^"]*\)".*/\1/p' "$DIR/check.out" | head -n 1)
    { [ "$status" = 200 ] && [ -n "$url" ]; } || {
        cat "$DIR/check.out" >&2 2>/dev/null || :
        die "POST .../tables/sample/query answered $status without a file line"
    }
    magic=$(curl -s -H 'Range: bytes=0-3' "$url") || magic=
    [ "$magic" = PAR1 ] || die "the signed link of a data file did not give a Parquet file: $url"
    rm -f "$DIR/check.out"
    say "running: the sample table's query answers, and its signed links serve the Parquet files"
    # history is shared and the change data feed is on: the DELETE of
    # version 2 shows up as a remove
    status=$(curl -s -o "$DIR/check.out" -w '%{http_code}' -H "Authorization: Bearer $token" \
        "$ENDPOINT/shares/demo/schemas/default/tables/sample/changes?startingVersion=0") || status=000
    { [ "$status" = 200 ] && grep -q '^{"remove":{.*"version":2,' "$DIR/check.out"; } || {
        cat "$DIR/check.out" >&2 2>/dev/null || :
        die "GET .../tables/sample/changes answered $status without the remove of version 2"
    }
    rm -f "$DIR/check.out"
    say "running: the sample table's change data feed answers"
    echo
    echo "Profile file for the recipient 'demo' ($DIR/demo.share):"
    cat "$DIR/demo.share"
    echo
    echo "Try:"
    echo "  curl -H 'Authorization: Bearer $token' $ENDPOINT/shares/demo/all-tables"
    echo "  curl -X POST -H 'Authorization: Bearer $token' -d '{}' \\"
    echo "       $ENDPOINT/shares/demo/schemas/default/tables/sample/query"
    echo "  curl -H 'Authorization: Bearer $token' \\"
    echo "       '$ENDPOINT/shares/demo/schemas/default/tables/sample/changes?startingVersion=0'"
    echo "or, with the Python connector (pip install delta-sharing):"
    echo "  python3 -c \"import delta_sharing as d; p='$DIR/demo.share'; print(d.SharingClient(p).list_all_tables()); print(d.load_as_pandas(p + '#demo.default.sample'))\""
    echo "  python3 -c \"import delta_sharing as d; print(d.load_table_changes_as_pandas('$DIR/demo.share#demo.default.sample', starting_version=0))\""
    echo
    echo "The shared table is examples/sample-table (see examples/README); what the server"
    echo "sees in it:  $ADMIN snapshot $SAMPLE"
    echo
    echo "Config: $DIR/delta-sharing.conf   request log: $DIR/requests.log"
    echo "Stop:   ${QUICKSTART_DIR:+QUICKSTART_DIR=$DIR }sh $SELF stop"
}

start() {
    install_packages
    # Through sudo, build and run as the clone's owner, so that the tree
    # stays theirs and "stop" works without root.
    if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] &&
        [ "$(stat -c %U "$REPO")" = "$SUDO_USER" ] && command -v setpriv >/dev/null 2>&1; then
        say "building and running as $SUDO_USER"
        exec setpriv --reuid="$SUDO_USER" --regid="$(id -g "$SUDO_USER")" --init-groups \
            env HOME="$(getent passwd "$SUDO_USER" | cut -d: -f6)" USER="$SUDO_USER" \
            LOGNAME="$SUDO_USER" QUICKSTART_DIR="$DIR" QUICKSTART_PORT="$PORT" \
            QUICKSTART_PACKAGES_DONE=1 sh "$SELF" start
    fi
    build
    stop
    restore_sample_mtimes
    write_config
    choose_run_user
    spawn_fcgi start >"$DIR/spawn-fcgi.out" 2>&1 || {
        cat "$DIR/spawn-fcgi.out" >&2
        die "spawn-fcgi failed"
    }
    write_nginx_conf
    start_nginx
    check_and_report
}

case ${1:-start} in
start)
    [ "${QUICKSTART_PACKAGES_DONE:-}" = 1 ] && install_packages() { :; }
    start
    ;;
stop)
    RUN_USER=
    stop
    say "stopped"
    ;;
*)
    echo "usage: sh tools/quickstart.sh [start|stop]" >&2
    exit 2
    ;;
esac
