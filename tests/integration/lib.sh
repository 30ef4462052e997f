# tests/integration/lib.sh - shared helpers for the tests that run the real
# server behind a real web server on loopback (nginx.test; lighttpd and
# Apache tests can reuse it).  Sourced, POSIX sh.
#
#   ds_init NAME            temp state dir $STATE, cleanup trap, run-as users
#   ds_need PROG...         skip (77) when a peer is missing; fail when CI=true
#   ds_random_port          a port in 20000..59999 (callers retry on EADDRINUSE)
#   ds_track PID...         kill PID on exit, whatever happens
#   ds_write_conf FILE      a server config with two shares, two recipients
#   ds_spawn_fcgi CONF      start the server through etc/spawn-fcgi.sh
#   ds_nginx_start          nginx from the sample site (for ds_listen_retry)
#   ds_stop_fcgi            SIGTERM each child, check each one exits
#   ds_wait_gone PID        wait (bounded) until PID has exited
#   ds_http METHOD URL [TOKEN] [CURL-ARGS...]   one request; sets HTTP_STATUS,
#                           response headers in $STATE/headers, body in $STATE/body
#   ds_header NAME          a header of the last response
#   ds_check NAME CMD...    run CMD, record PASS/FAIL;  ds_eq NAME GOT WANT
#   ds_finish               print the summary and exit 0 or 1
#
# Environment from the Makefile: top_srcdir, top_builddir, DS_FCGI, DS_ADMIN.

: "${top_srcdir:?run through make check, or set top_srcdir}"
: "${DS_FCGI:?run through make check, or set DS_FCGI}"

# web servers live in sbin, which an ordinary user's PATH may lack
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
export PATH

ds_passes=0
ds_fails=0
ds_pids=
ds_nreq=0 # requests sent with ds_http: each should leave one log line
STATE=

ds_log() { printf '%s\n' "$*"; }
ds_pass() { ds_passes=$((ds_passes + 1)); ds_log "PASS $1"; }
ds_fail() {
    ds_fails=$((ds_fails + 1))
    ds_log "FAIL $1"
    shift
    for ds_l in "$@"; do ds_log "     $ds_l"; done
}

# ds_check NAME CMD...: passes when CMD succeeds.
ds_check() {
    ds_n=$1
    shift
    if "$@"; then ds_pass "$ds_n"; else ds_fail "$ds_n" "command failed: $*"; fi
}

# ds_eq NAME GOT WANT: passes when the two strings are equal.
ds_eq() {
    if [ "$2" = "$3" ]; then
        ds_pass "$1"
    else
        ds_fail "$1" "got:  $2" "want: $3"
    fi
}

# A fatal problem in the harness itself (not in the code under test).
ds_hard_error() {
    ds_log "ERROR $*"
    exit 99
}

ds_skip_or_fail() {
    if [ "${CI:-}" = true ]; then
        ds_log "FAIL $* (CI=true: a missing peer is a failure)"
        exit 1
    fi
    ds_log "SKIP $*"
    exit 77
}

ds_need() {
    for ds_p in "$@"; do
        command -v "$ds_p" >/dev/null 2>&1 || ds_skip_or_fail "$ds_p not found in PATH"
    done
}

# Remember pids to kill on exit.
ds_track() { ds_pids="$ds_pids $*"; }

# Forget the tracked pids that have exited (so that cleanup never signals
# a recycled pid), including those in the spawn-fcgi pid file.
ds_untrack_gone() {
    ds_keep=
    for ds_p in $ds_pids; do
        ! ds_alive "$ds_p" || ds_keep="$ds_keep $ds_p"
    done
    ds_pids=$ds_keep
    if [ -f "$STATE/fcgi.pid" ]; then
        ds_keep=
        for ds_p in $(ds_read_pids "$STATE/fcgi.pid"); do
            ! ds_alive "$ds_p" || ds_keep="$ds_keep $ds_p"
        done
        [ -n "$ds_keep" ] || rm -f "$STATE/fcgi.pid"
    fi
}

# Is PID a live process?  (A zombie counts as gone: the children of
# spawn-fcgi are reparented, and in a container nobody may reap them.)
ds_alive() {
    kill -0 "$1" 2>/dev/null || return 1
    if [ -r "/proc/$1/stat" ]; then
        ds_st=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
        [ "$ds_st" != Z ] || return 1
    fi
    return 0
}

# ds_wait_gone PID [TENTHS]: 0 when PID exits within TENTHS/10 s (default 10 s).
ds_wait_gone() {
    ds_t=0
    while ds_alive "$1"; do
        [ "$ds_t" -ge "${2:-100}" ] && return 1
        sleep 0.1
        ds_t=$((ds_t + 1))
    done
    return 0
}

# Reads a spawn-fcgi pid file: one pid a line, no final newline.
ds_read_pids() {
    ds_out=
    while IFS= read -r ds_p || [ -n "$ds_p" ]; do
        case $ds_p in '' | *[!0-9]*) continue ;; esac
        ds_out="$ds_out $ds_p"
    done <"$1"
    printf '%s\n' "${ds_out# }"
}

ds_cleanup() {
    ds_rc=$?
    trap - EXIT INT TERM HUP
    trap '' PIPE # the log may go to a closed pipe: clean up all the same
    ds_more=
    if [ -n "$STATE" ] && [ -f "$STATE/fcgi.pid" ]; then
        ds_more=$(ds_read_pids "$STATE/fcgi.pid")
    fi
    # their children too (nginx workers outlive a killed master)
    for ds_p in $ds_pids $ds_more; do
        ds_more="$ds_more $(pgrep -P "$ds_p" 2>/dev/null | tr '\n' ' ')"
    done
    # and anything else still running from the state dir
    [ -z "$STATE" ] || ds_more="$ds_more $(pgrep -f "$STATE" 2>/dev/null | tr '\n' ' ')"
    for ds_p in $ds_pids $ds_more; do
        kill -TERM "$ds_p" 2>/dev/null
    done
    for ds_p in $ds_pids $ds_more; do
        ds_wait_gone "$ds_p" 30 || kill -KILL "$ds_p" 2>/dev/null
    done
    for ds_p in $ds_pids $ds_more; do
        ds_wait_gone "$ds_p" 30 || ds_log "WARNING: process $ds_p survived SIGKILL"
    done
    if [ -n "$STATE" ] && [ -d "$STATE" ]; then
        if [ -n "${DS_KEEP_STATE:-}" ]; then
            ds_log "state kept in $STATE"
        else
            rm -rf "$STATE"
        fi
    fi
    exit "$ds_rc"
}

# ds_init NAME: the state dir and the accounts to run things as.
#   RUN_USER/RUN_GROUP   account for the FastCGI processes and nginx workers
#                        (empty: whoever runs the test)
ds_init() {
    ds_tmp=${TMPDIR:-/tmp}
    # a unix socket path must fit in sun_path (108 bytes)
    [ ${#ds_tmp} -gt 60 ] && ds_tmp=/tmp
    STATE=$(mktemp -d "$ds_tmp/ds-$1.XXXXXXXX") || ds_hard_error "mktemp failed"
    trap ds_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
    trap 'exit 141' PIPE
    RUN_USER=
    RUN_GROUP=
    if [ "$(id -u)" = 0 ]; then
        # As root, run the server and the nginx workers as nobody, like a
        # deployment would (a dedicated account there).  The state dir must
        # then let them reach the socket and the files meant for them.
        chmod 0711 "$STATE"
        if id nobody >/dev/null 2>&1; then
            RUN_USER=nobody
            RUN_GROUP=$(id -gn nobody)
        fi
    fi
}

# Can RUN_USER run the server from this build tree?  (It cannot when the
# tree lies under a private home directory.)
ds_run_user_can_exec() {
    [ -n "$RUN_USER" ] || return 0
    if command -v setpriv >/dev/null 2>&1; then
        setpriv --reuid="$RUN_USER" --regid="$RUN_GROUP" --clear-groups \
            "$DS_FCGI" -V >/dev/null 2>&1
    elif command -v su >/dev/null 2>&1; then
        # shellcheck disable=SC2016 # "$0" is expanded by the inner sh
        su -s /bin/sh "$RUN_USER" -c '"$0" -V' "$DS_FCGI" >/dev/null 2>&1
    else
        return 1
    fi
}

# Give a file to RUN_USER's group, readable by it only.
ds_share_with_run_user() {
    if [ -n "$RUN_USER" ]; then
        chgrp "$RUN_GROUP" "$@" && chmod 0640 "$@"
    else
        chmod 0600 "$@"
    fi
}

ds_random_port() {
    ds_r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' \n')
    echo $((20000 + ds_r % 40000))
}

ds_sha256() { printf %s "$1" | sha256sum | cut -d' ' -f1; }

ds_random_token() {
    printf '%s-%s\n' "$1" "$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
}

# ds_spawn_fcgi CONF [CHILDREN]: starts the server through the sample
# etc/spawn-fcgi.sh on $STATE/ds.sock; its per-request log goes to
# $STATE/ds.log.  Sets FCGI_PIDS.
ds_spawn_fcgi() {
    : >"$STATE/ds.log"
    ds_su=
    ds_sg=
    if [ -n "$RUN_USER" ]; then
        ds_su=$RUN_USER
        ds_sg=$RUN_GROUP
        if ! ds_run_user_can_exec; then
            # The build tree is not readable by nobody: keep the server as
            # root; only the socket goes to the nginx workers' account.
            ds_log "NOTE $RUN_USER cannot run $DS_FCGI (build tree not readable?);" \
                "running the server as $(id -un)"
            ds_su=
            ds_sg=
        fi
    fi
    # DS_USER empty: no -u/-g (stay who we are); socket owner for nginx workers
    DS_FCGI=$DS_FCGI DS_CONF=$1 DS_SOCKET=$STATE/ds.sock DS_PIDFILE=$STATE/fcgi.pid \
        DS_LOG=$STATE/ds.log DS_CHILDREN=${2:-2} DS_USER=$ds_su DS_GROUP=$ds_sg \
        DS_SOCKET_USER=$RUN_USER DS_SOCKET_GROUP=$RUN_GROUP \
        sh "$top_srcdir/etc/spawn-fcgi.sh" start >"$STATE/spawn-fcgi.out" 2>&1 ||
        {
            cat "$STATE/spawn-fcgi.out" "$STATE/ds.log"
            ds_hard_error "spawn-fcgi failed"
        }
    FCGI_PIDS=$(ds_read_pids "$STATE/fcgi.pid")
    # shellcheck disable=SC2086 # a list of pids
    ds_track $FCGI_PIDS
}

# ds_stop_fcgi: SIGTERM each process of the pool; 0 when all have exited
# (within 10 s each).  The socket and pid file go too, for a new pool.
ds_stop_fcgi() {
    for ds_p in $FCGI_PIDS; do
        kill -TERM "$ds_p" 2>/dev/null
    done
    ds_rc=0
    for ds_p in $FCGI_PIDS; do
        ds_wait_gone "$ds_p" 100 || ds_rc=1
    done
    [ "$ds_rc" -ne 0 ] || rm -f "$STATE/fcgi.pid" "$STATE/ds.sock"
    ds_untrack_gone
    return "$ds_rc"
}

# ds_http METHOD URL [TOKEN] [CURL-ARGS...]
ds_http() {
    ds_m=$1
    ds_url=$2
    shift 2
    ds_tok=
    if [ $# -gt 0 ]; then
        ds_tok=$1
        shift
    fi
    case $ds_m in
    GET) ;;
    HEAD) set -- "$@" --head ;;
    *) set -- "$@" -X "$ds_m" ;;
    esac
    [ -n "$ds_tok" ] && set -- "$@" -H "Authorization: Bearer $ds_tok"
    rm -f "$STATE/body" "$STATE/headers"
    ds_nreq=$((ds_nreq + 1))
    HTTP_STATUS=$(curl -sS --max-time 20 -o "$STATE/body" -D "$STATE/headers" \
        -w '%{http_code}' "$@" "$ds_url") || HTTP_STATUS="curl-failed:$HTTP_STATUS"
    [ -f "$STATE/body" ] || : >"$STATE/body"
    [ -f "$STATE/headers" ] || : >"$STATE/headers"
}

# ds_header NAME: the value of header NAME in the last response (the final
# header block, without CR), empty when absent.
ds_header() {
    tr -d '\r' <"$STATE/headers" | awk -v n="$1" '
        /^HTTP\// { v = ""; found = 0; next }
        { i = index($0, ":"); if (i && tolower(substr($0, 1, i - 1)) == tolower(n) && !found) {
              v = substr($0, i + 1); sub(/^[ \t]+/, "", v); found = 1 } }
        END { print v }'
}

ds_body() { cat "$STATE/body"; }

# ---- nginx from the sample ------------------------------------------------

# ds_nginx_write_conf: $STATE/site.conf is etc/nginx/delta-sharing.conf with
# its listen and fastcgi_pass lines pointed at $PORT and $STATE/ds.sock, and
# nothing else changed, unless NGINX_SITE_SED holds one more sed expression
# that changes exactly NGINX_SITE_EXTRA more lines (default 0); nginx.conf
# adds global settings and temp paths under $STATE, and a second server that
# answers the start-up ping ($PING).
ds_nginx_write_conf() {
    set -- -e "s|^\([[:space:]]*\)listen[[:space:]].*;|\1listen 127.0.0.1:$PORT;|" \
        -e "s|unix:/run/delta-sharing/fcgi.sock;|unix:$STATE/ds.sock;|"
    [ -z "${NGINX_SITE_SED:-}" ] || set -- "$@" -e "$NGINX_SITE_SED"
    sed "$@" "$top_srcdir/etc/nginx/delta-sharing.conf" >"$STATE/site.conf"
    # exactly those lines differ from the sample
    ds_n=$(diff "$top_srcdir/etc/nginx/delta-sharing.conf" "$STATE/site.conf" | grep -c '^>')
    [ "$ds_n" = $((2 + ${NGINX_SITE_EXTRA:-0})) ] ||
        ds_hard_error "the sample's listen/fastcgi_pass lines (or the lines NGINX_SITE_SED" \
            "changes) were not found: $ds_n lines changed"
    cat >"$STATE/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $STATE/nginx.pid;
error_log $STATE/nginx-error.log notice;
${RUN_USER:+user $RUN_USER $RUN_GROUP;}
events { worker_connections 64; }
http {
    access_log $STATE/nginx-access.log;
    client_body_temp_path $STATE/client_body;
    fastcgi_temp_path $STATE/fastcgi;
    proxy_temp_path $STATE/proxy;
    uwsgi_temp_path $STATE/uwsgi;
    scgi_temp_path $STATE/scgi;
    include $STATE/site.conf;
    server {
        listen 127.0.0.1:$PORT;
        server_name ping.invalid;
        location = /ping { return 200 "$PING"; }
    }
}
EOF
}

# ds_nginx_start: writes the config and starts nginx in the background
# (SERVER_PID, SERVER_ERRLOG), for ds_listen_retry.
ds_nginx_start() {
    ds_nginx_write_conf
    SERVER_ERRLOG=$STATE/nginx-error.log
    : >"$SERVER_ERRLOG"
    ds_ngx=$(command -v nginx)
    set -- -p "$STATE/" -c "$STATE/nginx.conf"
    # -e: the error log before the config is read (nginx >= 1.19.5)
    "$ds_ngx" -h 2>&1 | grep -q -- '-e filename' && set -- -e "$SERVER_ERRLOG" "$@"
    "$ds_ngx" "$@" </dev/null >>"$SERVER_ERRLOG" 2>&1 &
    SERVER_PID=$!
}

# ---- the catalog every front-server test serves -----------------------

S_ALPHA='{"name":"alpha","id":"11111111-1111-4111-8111-111111111111","comment":"First share"}'
S_BETA='{"name":"beta","id":"22222222-2222-4222-8222-222222222222"}'
T_ORDERS='{"name":"orders","schema":"sales","share":"alpha","shareId":"11111111-1111-4111-8111-111111111111","id":"a0000000-0000-4000-8000-000000000001"}'
T_CUSTOMERS='{"name":"customers","schema":"sales","share":"alpha","shareId":"11111111-1111-4111-8111-111111111111","id":"a0000000-0000-4000-8000-000000000002"}'
T_STAFF='{"name":"staff","schema":"hr","share":"alpha","shareId":"11111111-1111-4111-8111-111111111111","id":"a0000000-0000-4000-8000-000000000003"}'
T_EVENTS='{"name":"events","schema":"default","share":"beta","shareId":"22222222-2222-4222-8222-222222222222","id":"b0000000-0000-4000-8000-000000000001"}'

# ds_write_catalog FILE ENDPOINT: two shares, two recipients with fresh
# random tokens (TOK_ACME sees both shares, TOK_BOB only beta).
ds_write_catalog() {
    TOK_ACME=$(ds_random_token acme)
    TOK_BOB=$(ds_random_token bob)
    head -c 32 /dev/urandom >"$STATE/link.key"
    cat >"$1" <<EOF
# written by tests/integration/lib.sh
endpoint = $2
log-requests = true
link-key-file = $STATE/link.key

share.name = alpha
share.id = 11111111-1111-4111-8111-111111111111
share.comment = "First share"
schema.name = sales
table.name = orders
table.location = file:///srv/none/orders
table.id = a0000000-0000-4000-8000-000000000001
table.name = customers
table.location = s3://bucket/customers
table.id = a0000000-0000-4000-8000-000000000002
schema.name = hr
table.name = staff
table.location = file:///srv/none/staff
table.id = a0000000-0000-4000-8000-000000000003

share.name = beta
share.id = 22222222-2222-4222-8222-222222222222
schema.name = default
table.name = events
table.location = gs://bucket/events
table.id = b0000000-0000-4000-8000-000000000001

recipient.name = acme
recipient.token-sha256 = $(ds_sha256 "$TOK_ACME")
recipient.shares = alpha, beta

recipient.name = bob
recipient.token-sha256 = $(ds_sha256 "$TOK_BOB")
recipient.shares = BETA
EOF
    ds_share_with_run_user "$1" "$STATE/link.key"
}

# ds_expect NAME STATUS [BODY]: the last response had STATUS, a JSON
# Content-Type, a Content-Length that matches, and (when given) exactly
# BODY plus one newline as its body.  One PASS or FAIL line.
ds_expect() {
    ds_why=
    [ "$HTTP_STATUS" = "$2" ] || ds_why="status $HTTP_STATUS, want $2"
    ds_ct=$(ds_header Content-Type)
    [ "$ds_ct" = "application/json; charset=utf-8" ] ||
        ds_why="$ds_why${ds_why:+; }Content-Type '$ds_ct'"
    ds_len=$(wc -c <"$STATE/body" | tr -d ' ')
    ds_cl=$(ds_header Content-Length)
    [ "$ds_cl" = "$ds_len" ] ||
        ds_why="$ds_why${ds_why:+; }Content-Length '$ds_cl' but $ds_len body bytes"
    if [ $# -ge 3 ]; then
        printf '%s\n' "$3" >"$STATE/want"
        cmp -s "$STATE/want" "$STATE/body" ||
            ds_why="$ds_why${ds_why:+; }body differs"
    fi
    if [ -z "$ds_why" ]; then
        ds_pass "$1"
    elif [ $# -ge 3 ]; then
        ds_fail "$1" "$ds_why" "got:  $(cat "$STATE/body")" "want: $3"
    else
        ds_fail "$1" "$ds_why" "body: $(cat "$STATE/body")"
    fi
}

# ds_items: the items of the last (list) response, without the brackets.
ds_items() {
    sed -n 's/^{"items":\[\(.*\)\]\(,"nextPageToken":"[^"]*"\)\{0,1\}}$/\1/p' "$STATE/body"
}

# ds_next_token: the nextPageToken of the last response, empty when absent.
ds_next_token() {
    sed -n 's/^.*,"nextPageToken":"\([^"]*\)"}$/\1/p' "$STATE/body"
}

# ds_page_all URL TOKEN: follows nextPageToken with maxResults=1; sets
# PAGED to the items of all pages joined by ',', and PAGES.
ds_page_all() {
    PAGED=
    PAGES=0
    ds_pt=
    while [ "$PAGES" -lt 20 ]; do
        PAGES=$((PAGES + 1))
        ds_http GET "$1?maxResults=1${ds_pt:+&pageToken=$ds_pt}" "$2"
        if [ "$HTTP_STATUS" != 200 ]; then
            PAGED="page $PAGES: status $HTTP_STATUS"
            return
        fi
        ds_i=$(ds_items)
        PAGED="$PAGED${PAGED:+${ds_i:+,}}$ds_i"
        ds_pt=$(ds_next_token)
        [ -n "$ds_pt" ] || break
    done
}

# ds_front_checks BASE: the discovery endpoints through a front server whose
# mount point is BASE (http://127.0.0.1:PORT/delta-sharing), for the catalog
# of ds_write_catalog.
ds_front_checks() {
    B=$1
    A=$TOK_ACME

    # the listings, exactly
    ds_http GET "$B/shares" "$A"
    ds_expect "GET /shares" 200 "{\"items\":[$S_ALPHA,$S_BETA]}"
    ds_http GET "$B/shares/alpha" "$A"
    ds_expect "GET /shares/alpha" 200 "{\"share\":$S_ALPHA}"
    ds_http GET "$B/shares/ALPHA" "$A"
    ds_expect "GET /shares/ALPHA (names are case-insensitive)" 200 "{\"share\":$S_ALPHA}"
    ds_http GET "$B/shares/%61lpha/" "$A"
    ds_expect "GET /shares/%61lpha/ (decoded once, trailing /)" 200 "{\"share\":$S_ALPHA}"
    ds_http GET "$B/shares/alpha/schemas" "$A"
    ds_expect "GET /shares/alpha/schemas" 200 \
        '{"items":[{"name":"sales","share":"alpha"},{"name":"hr","share":"alpha"}]}'
    ds_http GET "$B/shares/alpha/schemas/sales/tables" "$A"
    ds_expect "GET /shares/alpha/schemas/sales/tables" 200 \
        "{\"items\":[$T_ORDERS,$T_CUSTOMERS]}"
    ds_http GET "$B/shares/alpha/schemas/HR/tables" "$A"
    ds_expect "GET /shares/alpha/schemas/HR/tables" 200 "{\"items\":[$T_STAFF]}"
    ds_http GET "$B/shares/alpha/all-tables" "$A"
    ds_expect "GET /shares/alpha/all-tables" 200 \
        "{\"items\":[$T_ORDERS,$T_CUSTOMERS,$T_STAFF]}"

    # paging: maxResults=1 until no nextPageToken gives the unpaged list
    ds_page_all "$B/shares/alpha/all-tables" "$A"
    ds_eq "all-tables paged by 1 equals the full list" "$PAGED" \
        "$T_ORDERS,$T_CUSTOMERS,$T_STAFF"
    ds_eq "all-tables paged by 1 takes 3 pages" "$PAGES" 3
    ds_page_all "$B/shares" "$A"
    ds_eq "shares paged by 1 equals the full list" "$PAGED" "$S_ALPHA,$S_BETA"
    ds_http GET "$B/shares/alpha/schemas?maxResults=0" "$A"
    ds_check "maxResults=0: no items, a nextPageToken" \
        grep -q '^{"items":\[\],"nextPageToken":"[A-Za-z0-9_-]*"}$' "$STATE/body"
    ds_http GET "$B/shares?maxResults=501" "$A"
    ds_expect "maxResults=501 is 400" 400 \
        '{"errorCode":"INVALID_PARAMETER_VALUE","message":"Acceptable values of '"'maxResults'"' are 0 to 500, inclusive."}'

    # recipient isolation
    ds_http GET "$B/shares" "$TOK_BOB"
    ds_expect "bob: GET /shares lists only beta" 200 "{\"items\":[$S_BETA]}"
    ds_http GET "$B/shares/beta/all-tables" "$TOK_BOB"
    ds_expect "bob: GET /shares/beta/all-tables" 200 "{\"items\":[$T_EVENTS]}"
    for ds_path in alpha alpha/schemas alpha/schemas/sales/tables alpha/all-tables; do
        ds_http GET "$B/shares/$ds_path" "$TOK_BOB"
        ds_expect "bob: GET /shares/$ds_path is 404" 404 \
            '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"Share '"'alpha'"' does not exist, or you have not been granted access to it."}'
    done
    ds_http GET "$B/shares/gamma" "$TOK_BOB"
    ds_expect "bob: a share that does not exist is the same 404" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"Share '"'gamma'"' does not exist, or you have not been granted access to it."}'
    ds_http GET "$B/shares?maxResults=1" "$A"
    ds_pt=$(ds_next_token)
    ds_http GET "$B/shares?maxResults=1&pageToken=$ds_pt" "$TOK_BOB"
    ds_expect "bob: acme's pageToken is refused" 400 \
        '{"errorCode":"INVALID_PARAMETER_VALUE","message":"The '"'pageToken'"' is not valid for this listing."}'

    # authentication
    ds_http GET "$B/shares"
    ds_expect "no token: 401" 401 \
        '{"errorCode":"UNAUTHENTICATED","message":"Missing bearer token: send '"'Authorization: Bearer <token>'"'."}'
    ds_eq "no token: WWW-Authenticate" "$(ds_header WWW-Authenticate)" 'Bearer realm="delta-sharing"'
    ds_http GET "$B/shares" "wrong-$A"
    ds_expect "bad token: 401" 401 \
        '{"errorCode":"UNAUTHENTICATED","message":"The bearer token is not valid."}'
    ds_eq "bad token: WWW-Authenticate" "$(ds_header WWW-Authenticate)" 'Bearer realm="delta-sharing"'
    ds_http GET "$B/shares" "" -H "Authorization: Basic YWNtZTpzZWNyZXQ="
    ds_expect "Basic credentials: 401" 401 \
        '{"errorCode":"UNAUTHENTICATED","message":"Malformed Authorization header: expected '"'Bearer <token>'"'."}'
    ds_http GET "$B/shares/alpha" "" -H "Authorization: bearer $A"
    ds_expect "scheme name is case-insensitive" 200 "{\"share\":$S_ALPHA}"

    # routing
    ds_http GET "$B/nope"
    ds_expect "unknown route: 404 before authentication" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"No such endpoint."}'
    ds_http GET "$B/shares/alpha/schemas/sales" "$A"
    ds_expect "GET /shares/alpha/schemas/sales: no such endpoint" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"No such endpoint."}'
    ds_http POST "$B/shares" "$A" --data-binary '{}' -H 'Content-Type: application/json'
    ds_expect "POST /shares: 405" 405 \
        '{"errorCode":"MALFORMED_REQUEST","message":"The method POST is not allowed here."}'
    ds_eq "POST /shares: Allow" "$(ds_header Allow)" "GET, HEAD"
    ds_http DELETE "$B/shares/alpha" "$A"
    ds_expect "DELETE /shares/alpha: 405" 405 \
        '{"errorCode":"MALFORMED_REQUEST","message":"The method DELETE is not allowed here."}'

    # names as encoded in the URL: %2F stays inside the name, %20 is a space
    ds_http GET "$B/shares/alpha%2Fschemas" "$A"
    ds_expect "GET /shares/alpha%2Fschemas is share 'alpha/schemas': 404" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"Share '"'alpha/schemas'"' does not exist, or you have not been granted access to it."}'
    ds_http GET "$B/shares/alpha%2Fschemas%2Fsales%2Ftables" "$A"
    ds_expect "GET /shares/alpha%2Fschemas%2Fsales%2Ftables: 404" 404
    ds_http GET "$B/shares/alpha/schemas/sales%2Ftables" "$A"
    ds_expect "GET .../schemas/sales%2Ftables: no such endpoint" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"No such endpoint."}'
    ds_http GET "$B/shares/al%20pha" "$A"
    ds_expect "GET /shares/al%20pha: 404" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"Share '"'al pha'"' does not exist, or you have not been granted access to it."}'
    ds_http GET "$B/shares/alpha%20/schemas" "$A"
    ds_expect "GET /shares/alpha%20/schemas: 404" 404
    ds_http GET "$B/shares/al+pha" "$A"
    ds_expect "GET /shares/al+pha: '+' is literal in paths" 404 \
        '{"errorCode":"RESOURCE_DOES_NOT_EXIST","message":"Share '"'al+pha'"' does not exist, or you have not been granted access to it."}'

    # HEAD: the GET's headers, no body
    ds_http GET "$B/shares/alpha/all-tables" "$A"
    ds_glen=$(wc -c <"$STATE/body" | tr -d ' ')
    ds_http HEAD "$B/shares/alpha/all-tables" "$A"
    ds_eq "HEAD all-tables: status" "$HTTP_STATUS" 200
    ds_eq "HEAD all-tables: Content-Length of the GET" "$(ds_header Content-Length)" "$ds_glen"
    ds_eq "HEAD all-tables: Content-Type" "$(ds_header Content-Type)" \
        "application/json; charset=utf-8"
    ds_http HEAD "$B/shares"
    ds_eq "HEAD without token: 401" "$HTTP_STATUS" 401
    ds_eq "HEAD without token: WWW-Authenticate" "$(ds_header WWW-Authenticate)" \
        'Bearer realm="delta-sharing"'
}

# ds_listen_retry START PING-PATH PING-BODY [CURL-ARGS...]: picks a random
# loopback port, sets PORT and calls START, which writes its config for
# $PORT and starts the web server in the background, setting SERVER_PID
# (daemon off) and SERVER_ERRLOG.  Ready when PING-PATH answers PING-BODY
# (so we talk to our own instance); a bind failure ("in use") retries with
# another port.
ds_listen_retry() {
    ds_start=$1
    ds_ping=$2
    ds_want=$3
    shift 3
    ds_try=0
    while [ "$ds_try" -lt 10 ]; do
        ds_try=$((ds_try + 1))
        PORT=$(ds_random_port)
        SERVER_PID=
        "$ds_start"
        ds_track "$SERVER_PID"
        ds_t=0
        while [ "$ds_t" -lt 100 ]; do
            if ! ds_alive "$SERVER_PID"; then
                wait "$SERVER_PID" 2>/dev/null
                break
            fi
            ds_got=$(curl -s --max-time 2 "$@" "http://127.0.0.1:$PORT$ds_ping" 2>/dev/null) ||
                ds_got=
            if [ "$ds_got" = "$ds_want" ] && ds_alive "$SERVER_PID"; then
                return 0
            fi
            sleep 0.1
            ds_t=$((ds_t + 1))
        done
        if ds_alive "$SERVER_PID"; then
            kill -KILL "$SERVER_PID" 2>/dev/null
            cat "$SERVER_ERRLOG" 2>/dev/null
            ds_hard_error "server did not answer on port $PORT"
        fi
        if grep -qi 'in use' "$SERVER_ERRLOG" 2>/dev/null; then
            ds_log "port $PORT is in use; trying another"
            continue
        fi
        cat "$SERVER_ERRLOG" 2>/dev/null
        ds_hard_error "server exited at start-up"
    done
    ds_hard_error "no free port found"
}

ds_finish() {
    ds_log "$ds_passes passed, $ds_fails failed"
    [ "$ds_fails" -eq 0 ] && exit 0
    exit 1
}
