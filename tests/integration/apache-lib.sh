# tests/integration/apache-lib.sh - a private Apache 2.4 instance for the
# tests that run the server behind it (apache-fcgid.test, apache-cgi.test).
# Sourced after lib.sh and ds_init, POSIX sh.
#
#   ds_apache_tables        $STATE/tables/sample-table: a copy of the sample
#                           table, its commit times restored (skips when
#                           RUN_USER cannot run the binary)
#   ds_apache_server_conf CONF ENDPOINT
#                           the server's config: share demo, the sample table
#                           with history shared, recipient "tester" whose
#                           profile is $STATE/tester.share
#   ds_apache_start         Apache from $STATE/httpd.conf (for ds_listen_retry)
#   ds_apache_stop          SIGTERM to Apache; 0 when it has exited
#   ds_apache_ours          pids of delta-sharing.fcgi processes reading
#                           $STATE/ds.conf (whoever started them)
#
# The test sets, before ds_listen_retry ds_apache_start PING-PATH PING:
#   APACHE_MODULES          module names to load (mod_<name>.so), the MPM first
#   apache_site             a function printing the test's own config lines
#                           (built from the sample under test), given $PORT
# Apache gets its own ServerRoot, PidFile, runtime dir and logs in $STATE,
# listens on 127.0.0.1:$PORT only, serves $STATE/www (where "ping" answers
# $PING) and, as root, runs its workers as RUN_USER.

APACHE_MODDIR=${APACHE_MODDIR:-/usr/lib/apache2/modules}
APACHE=$(command -v apache2 || command -v httpd)
ds_setsid=
! command -v setsid >/dev/null 2>&1 || ds_setsid=setsid

ds_apache_tables() {
    # Apache never runs programs as root: as root, its User (RUN_USER) must
    # be able to run the build's binary
    ds_run_user_can_exec ||
        ds_skip_or_fail "$RUN_USER cannot run $DS_FCGI (build tree not readable?)"
    mkdir -p "$STATE/tables" "$STATE/www" "$STATE/run"
    cp -R "$top_srcdir/examples/sample-table" "$STATE/tables/sample-table" ||
        ds_hard_error "cannot copy the sample table"
    sh "$top_srcdir/examples/restore-mtimes.sh" "$STATE/tables/sample-table" ||
        ds_hard_error "cannot restore the sample table's commit times"
    chmod -R a+rX "$STATE/tables" "$STATE/www"
}

ds_apache_server_conf() {
    "$DS_ADMIN" keygen -o "$STATE/link.key" || ds_hard_error "keygen failed"
    ds_tl=$("$DS_ADMIN" token -e "$2" -o "$STATE/tester.share") ||
        ds_hard_error "token failed"
    cat >"$1" <<EOF
# written by tests/integration/apache-lib.sh
endpoint = $2
link-key-file = "$STATE/link.key"
log-requests = true

share.name = demo
schema.name = default
table.name = sample
table.location = "file://$STATE/tables/sample-table"
table.history = true

recipient.name = tester
$ds_tl
recipient.shares = *
EOF
    ds_share_with_run_user "$1" "$STATE/link.key"
    "$DS_FCGI" -t -c "$1" >/dev/null || ds_hard_error "the test's config is rejected"
    TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bearerToken"])' \
        "$STATE/tester.share") || ds_hard_error "no token in the profile"
}

ds_apache_write_conf() {
    {
        echo "# written by tests/integration/apache-lib.sh"
        echo "ServerRoot \"$STATE\""
        echo "ServerName 127.0.0.1"
        echo "Listen 127.0.0.1:$PORT"
        echo "PidFile \"$STATE/httpd.pid\""
        echo "DefaultRuntimeDir \"$STATE/run\""
        echo "ErrorLog \"$STATE/apache-error.log\""
        echo "LogLevel warn"
        echo "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common"
        echo "CustomLog \"$STATE/apache-access.log\" common"
        for ds_m in $APACHE_MODULES; do
            echo "LoadModule ${ds_m}_module $APACHE_MODDIR/mod_$ds_m.so"
        done
        if [ -n "$RUN_USER" ]; then
            echo "User $RUN_USER"
            echo "Group $RUN_GROUP"
        fi
        echo "DocumentRoot \"$STATE/www\""
        echo "<Directory />"
        echo "    AllowOverride None"
        echo "    Require all denied"
        echo "</Directory>"
        echo "<Directory \"$STATE/www\">"
        echo "    Require all granted"
        echo "</Directory>"
        apache_site
    } >"$STATE/httpd.conf"
}

ds_apache_start() {
    printf %s "$PING" >"$STATE/www/ping"
    chmod a+r "$STATE/www/ping"
    ds_apache_write_conf
    SERVER_ERRLOG=$STATE/apache-error.log
    : >"$SERVER_ERRLOG"
    # its own process group: the prefork MPM signals its whole group on stop
    $ds_setsid "$APACHE" -f "$STATE/httpd.conf" -DFOREGROUND </dev/null >>"$SERVER_ERRLOG" 2>&1 &
    SERVER_PID=$!
}

ds_apache_stop() {
    kill -TERM "$SERVER_PID" 2>/dev/null
    ds_wait_gone "$SERVER_PID" 100 || return 1
    wait "$SERVER_PID" 2>/dev/null
    return 0
}

ds_apache_ours() {
    for ds_p in $(pgrep -f 'delta-sharing\.fcgi' 2>/dev/null); do
        { tr '\0' '\n' <"/proc/$ds_p/environ"; } 2>/dev/null |
            grep -qxF "DELTA_SHARING_CONF=$STATE/ds.conf" && ds_alive "$ds_p" && echo "$ds_p"
    done | tr '\n' ' '
}
