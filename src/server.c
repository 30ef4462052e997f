/* server.c - one request end to end: parse, route, authenticate, dispatch,
 * map any error to its JSON body once, log one line. */
#include "config.h"
#include "server.h"
#include "auth/auth.h"
#include "http/http.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One write() per line: with O_APPEND, lines from many workers sharing a
 * log file never interleave. */
static void log_line(void *ctx, const char *line)
{
    const ds_catalog *cat = ctx;
    char buf[4096];
    size_t n = strlen(line);
    if (n > sizeof buf - 1)
        n = sizeof buf - 1;
    memcpy(buf, line, n);
    buf[n++] = '\n';
    int fd = cat->log_fd >= 0 ? cat->log_fd : STDERR_FILENO;
    ssize_t w;
    do
        w = write(fd, buf, n);
    while (w < 0 && errno == EINTR);
}

ds_server *ds_server_new(const char *config_path, ds_error *err)
{
    ds_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        ds_error_set(err, DS_ERR_CONFIG, "out of memory");
        return NULL;
    }
    srv->cat = ds_catalog_load(config_path, err);
    srv->arena = ds_arena_new(DS_REQUEST_ARENA_CAP);
    if (!srv->cat || !srv->arena) {
        if (srv->cat)
            ds_error_set(err, DS_ERR_CONFIG, "out of memory");
        ds_server_free(srv);
        return NULL;
    }
    srv->auth = &ds_bearer_auth;
    srv->auth_ctx = srv->cat;
    srv->disc = &ds_catalog_discovery;
    srv->disc_ctx = srv->cat;
    srv->log = srv->cat->log_requests ? log_line : NULL;
    srv->log_ctx = srv->cat;
    return srv;
}

void ds_server_free(ds_server *srv)
{
    if (!srv)
        return;
    ds_catalog_free(srv->cat);
    ds_arena_free(srv->arena);
    free(srv);
}

void ds_server_set_auth(ds_server *srv, const ds_auth_ops *ops, void *ctx)
{
    srv->auth = ops ? ops : &ds_bearer_auth;
    srv->auth_ctx = ops ? ctx : srv->cat;
}

void ds_server_set_discovery(ds_server *srv, const ds_discovery_ops *ops, void *ctx)
{
    srv->disc = ops ? ops : &ds_catalog_discovery;
    srv->disc_ctx = ops ? ctx : srv->cat;
}

void ds_server_set_log(ds_server *srv, ds_log_fn fn, void *ctx)
{
    srv->log = fn;
    srv->log_ctx = ctx;
}

/* Appends s to the log line with anything outside printable ASCII escaped
 * (names come from requests; a log line must stay one line). */
static size_t log_put(char *line, size_t used, size_t cap, const char *s)
{
    for (; s && *s && used + 5 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7e || c == '"' || c == '\\')
            used += (size_t)snprintf(line + used, cap - used, "\\x%02x", c);
        else
            line[used++] = (char)c;
    }
    line[used] = '\0';
    return used;
}

static void log_request(ds_server *srv, const ds_request *req, const ds_error *err)
{
    if (!srv->log)
        return;
    char line[2048];
    size_t u = (size_t)snprintf(line, sizeof line, "delta-sharing: recipient=");
    u = log_put(line, u, sizeof line,
                !req->recipient && req->log_recipient && req->log_recipient[0]
                    ? req->log_recipient
                    : ds_recipient_name(req->recipient));
    u += (size_t)snprintf(line + u, sizeof line - u, " method=");
    u = log_put(line, u, sizeof line, req->method);
    u += (size_t)snprintf(line + u, sizeof line - u, " route=");
    u = log_put(line, u, sizeof line, req->route ? req->route : "-");
    if (req->route) {
        /* only these arguments are printed: never a /files/ token */
        static const char *const args[] = {"share", "schema", "table"};
        const char *fallback[] = {req->log_share, req->log_schema, req->log_table};
        for (size_t i = 0; i < 3; i++) {
            const char *a = ds_route_arg(req, args[i]);
            if (!a)
                a = fallback[i];
            if (!a || !a[0])
                continue;
            u += (size_t)snprintf(line + u, sizeof line - u, " %s=", args[i]);
            u = log_put(line, u, sizeof line, a);
        }
    }
    int64_t ms = ds_now_ms() - req->start_ms;
    if (u < sizeof line)
        u += (size_t)snprintf(line + u, sizeof line - u,
                              " status=%d bytes=%llu ms=%lld", req->status,
                              (unsigned long long)req->bytes, (long long)ms);
    if (req->note[0] && u < sizeof line)
        u += (size_t)snprintf(line + u, sizeof line - u, " %s", req->note);
    if (err->status != DS_OK && u < sizeof line) {
        u += (size_t)snprintf(line + u, sizeof line - u, " error=%s",
                              ds_status_code_name(err->status));
        if (err->detail[0] && u < sizeof line) {
            u += (size_t)snprintf(line + u, sizeof line - u, " detail=\"");
            u = log_put(line, u, sizeof line, err->detail);
            if (u + 2 < sizeof line) {
                line[u++] = '"';
                line[u] = '\0';
            }
        }
    }
    if (req->write_failed && u + 20 < sizeof line)
        snprintf(line + u, sizeof line - u, " client-gone");
    srv->log(srv->log_ctx, line);
}

int ds_server_handle(ds_server *srv, const ds_io_ops *io, void *io_ctx)
{
    ds_request req;
    ds_error err;
    memset(&req, 0, sizeof req);
    ds_error_clear(&err);
    ds_arena_reset(srv->arena);
    req.arena = srv->arena;
    req.io = io;
    req.io_ctx = io_ctx;
    req.srv = srv;
    req.start_ms = ds_now_ms();

    const ds_route *route = NULL;
    if (ds_request_parse(&req, &err) == DS_OK && ds_route_match(&req, &route, &err) == DS_OK) {
        if (route->flags & DS_ROUTE_AUTH)
            srv->auth->authenticate(srv->auth_ctx, &req, &req.recipient, &err);
        if (err.status == DS_OK && (route->flags & DS_ROUTE_BODY))
            ds_request_read_body(&req, srv->cat->max_request_body, &err);
        if (err.status == DS_OK) {
            ds_status st = route->handler(&req, &err);
            if (st != DS_OK && err.status == DS_OK)
                ds_error_set(&err, st, NULL);
        }
    }
    if (err.status != DS_OK) {
        if (!req.headers_sent)
            ds_resp_error(&req, &err);
    } else if (!req.headers_sent) {
        ds_error_set(&err, DS_ERR_INTERNAL, NULL);
        ds_error_detail(&err, "handler sent no response");
        ds_resp_error(&req, &err);
    }
    log_request(srv, &req, &err);
    return req.status;
}
