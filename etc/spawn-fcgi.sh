#!/bin/sh
# etc/spawn-fcgi.sh - start (or stop) delta-sharing.fcgi under spawn-fcgi,
# on the unix socket that etc/nginx/delta-sharing.conf passes requests to
# (and etc/lighttpd/delta-sharing.conf in its form (a)).
#
#   etc/spawn-fcgi.sh          start DS_CHILDREN processes; returns once they run
#   etc/spawn-fcgi.sh stop     SIGTERM each process in the pid file and wait
#
# Run it as root: spawn-fcgi creates the socket, gives it to the web server's
# user, then drops to DS_USER before it starts the program.  Started by an
# ordinary user it runs everything as that user and skips the ownership
# options (nginx must then run as that user too).  Every setting below can
# be overridden from the environment, for example
#   DS_CONF=/etc/delta-sharing/delta-sharing.conf DS_CHILDREN=8 etc/spawn-fcgi.sh
# tests/integration/nginx.test, lighttpd.test and tools/quickstart.sh run
# this file.
#
# Config changes need a restart: "stop", then start again.  Each process
# finishes the request it is serving before it exits on SIGTERM.
set -eu

# The program and its config.  The config holds token hashes and the path of
# the link key: make both readable by DS_USER only, e.g.
#   chown root:www-data /usr/local/etc/delta-sharing/delta-sharing.conf; chmod 0640 ...
: "${DS_FCGI:=/usr/local/sbin/delta-sharing.fcgi}"
: "${DS_CONF:=/usr/local/etc/delta-sharing/delta-sharing.conf}"

# The socket nginx connects to, and the pid file (one pid a line).  The
# directory must let the nginx workers reach the socket (search permission).
: "${DS_SOCKET:=/run/delta-sharing/fcgi.sock}"
: "${DS_PIDFILE:=/run/delta-sharing/fcgi.pid}"

# Who runs the program, and who may connect to the socket.  Debian's nginx
# workers run as www-data; with a dedicated account
#   useradd --system --no-create-home --shell /usr/sbin/nologin delta-sharing
# set DS_USER=delta-sharing DS_GROUP=delta-sharing and keep the socket's
# group www-data.  The socket is mode 0660: its owner and group may connect,
# nobody else may (a FastCGI peer can claim any SCRIPT_NAME or header).
# An empty value (DS_USER=) leaves that option out.
: "${DS_USER=www-data}"
: "${DS_GROUP=www-data}"
: "${DS_SOCKET_USER=www-data}"
: "${DS_SOCKET_GROUP=www-data}"

# How many processes.  Each one serves one request at a time, so this is the
# number of requests in progress at once; more wait in the socket's backlog.
: "${DS_CHILDREN:=4}"

# The per-request log.  The server writes one line per request to stderr,
# and spawn-fcgi points its children's stderr at /dev/null, so each child is
# started through "sh -c" with stderr appended to this file (it must be
# writable by DS_USER).  Set DS_LOG= (empty) to discard the log.
: "${DS_LOG=/var/log/delta-sharing/requests.log}"

stop() {
    [ -f "$DS_PIDFILE" ] || return 0
    # spawn-fcgi writes the pids without a final newline: read the last line too
    pids=
    while IFS= read -r pid || [ -n "$pid" ]; do
        case $pid in '' | *[!0-9]*) continue ;; esac
        kill -TERM "$pid" 2>/dev/null && pids="$pids $pid"
    done <"$DS_PIDFILE"
    for pid in $pids; do
        n=0
        while kill -0 "$pid" 2>/dev/null && [ $n -lt 100 ]; do
            sleep 0.1
            n=$((n + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "spawn-fcgi.sh: process $pid did not stop on SIGTERM; sending SIGKILL" >&2
            kill -KILL "$pid" 2>/dev/null || :
        fi
    done
    rm -f "$DS_PIDFILE" "$DS_SOCKET"
}

case ${1:-start} in
stop)
    stop
    exit 0
    ;;
start) ;;
*)
    echo "usage: $0 [start|stop]" >&2
    exit 2
    ;;
esac

# Refuse to start a config that does not load (the message names file:line).
"$DS_FCGI" -t -c "$DS_CONF" >/dev/null

as_root=
if [ "$(id -u)" = 0 ]; then
    # -u/-g: the account the program runs as (spawn-fcgi keeps root otherwise)
    # -U/-G: owner and group of the socket, i.e. who may connect (with -M 0660)
    [ -z "$DS_USER" ] || as_root="$as_root -u $DS_USER"
    [ -z "$DS_GROUP" ] || as_root="$as_root -g $DS_GROUP"
    [ -z "$DS_SOCKET_USER" ] || as_root="$as_root -U $DS_SOCKET_USER"
    [ -z "$DS_SOCKET_GROUP" ] || as_root="$as_root -G $DS_SOCKET_GROUP"
    mkdir -p "$(dirname "$DS_SOCKET")" "$(dirname "$DS_PIDFILE")"
    if [ -n "$DS_LOG" ]; then
        mkdir -p "$(dirname "$DS_LOG")"
        touch "$DS_LOG"
        [ -z "$DS_USER" ] || chown "$DS_USER${DS_GROUP:+:$DS_GROUP}" "$DS_LOG"
        chmod 0640 "$DS_LOG"
    fi
fi

# A pid file left by an earlier run: stop those processes first.
stop

if [ -n "$DS_LOG" ]; then
    # shellcheck disable=SC2016 # expanded by the inner sh
    set -- /bin/sh -c 'log=$1; shift; exec "$@" 2>>"$log"' sh "$DS_LOG" "$DS_FCGI" -c "$DS_CONF"
else
    set -- "$DS_FCGI" -c "$DS_CONF"
fi

# -s/-M  unix socket, read-write for its owner and group only
# -F     number of processes to fork; -P writes their pids, one a line
# --     the program and its arguments; it finds the socket on its fd 0
# shellcheck disable=SC2086 # $as_root is a list of options
exec spawn-fcgi -s "$DS_SOCKET" -M 0660 $as_root -F "$DS_CHILDREN" -P "$DS_PIDFILE" -- "$@"
