/*
 * deltasharing.h - public interface of libdeltasharing.
 *
 * libdeltasharing is the whole Delta Sharing server as a library: the
 * delta-sharing.fcgi program is a thin main() around it.  A larger program
 * can embed the server by loading a config, optionally replacing one of the
 * pluggable parts (authentication, table discovery) and handing requests to
 * ds_server_handle() through its own I/O callbacks.
 *
 * Copyright 2026 The delta-sharing-fcgi authors.  Apache License 2.0.
 */
#ifndef DELTASHARING_H
#define DELTASHARING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DS_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------------
 * Status codes and the caller-owned error record.
 * Every fallible call returns a ds_status and fills a ds_error; the first
 * error recorded wins, later ones are ignored.  `message` is safe to show a
 * client; `detail` is for the log only and may hold paths or library errors.
 * ------------------------------------------------------------------- */
typedef enum ds_status {
    DS_OK = 0,
    DS_ERR_MALFORMED,        /* 400 MALFORMED_REQUEST */
    DS_ERR_INVALID_PARAM,    /* 400 INVALID_PARAMETER_VALUE */
    DS_ERR_UNSUPPORTED,      /* 400 UNSUPPORTED_OPERATION */
    DS_ERR_UNAUTHENTICATED,  /* 401 UNAUTHENTICATED */
    DS_ERR_FORBIDDEN,        /* 403 PERMISSION_DENIED */
    DS_ERR_NOT_FOUND,        /* 404 RESOURCE_DOES_NOT_EXIST */
    DS_ERR_METHOD,           /* 405 MALFORMED_REQUEST (+ Allow) */
    DS_ERR_TOO_LARGE,        /* 413 MALFORMED_REQUEST */
    DS_ERR_URI_TOO_LONG,     /* 414 MALFORMED_REQUEST */
    DS_ERR_HEADER_TOO_LARGE, /* 431 MALFORMED_REQUEST */
    DS_ERR_INTERNAL,         /* 500 INTERNAL_ERROR */
    DS_ERR_NOMEM,            /* 503 INTERNAL_ERROR, Retry-After */
    DS_ERR_STORAGE,          /* 502 INTERNAL_ERROR */
    DS_ERR_TIMEOUT,          /* 504 INTERNAL_ERROR */
    DS_ERR_CONFIG,           /* start-up only: bad configuration */
    DS_ERR_IO,               /* start-up / tools: a local file could not be read */
    DS_STATUS_COUNT
} ds_status;

typedef struct ds_error {
    ds_status status;
    char message[512];  /* public, shown to clients */
    char detail[1024];  /* private, log only */
    const char *kind;   /* optional machine-readable sub-kind ("missing-metadata"), static */
} ds_error;

void ds_error_clear(ds_error *err);
/* Records status and a public message (printf-style) unless an error is
 * already recorded.  Returns the status now held by err. */
ds_status ds_error_set(ds_error *err, ds_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends log-only detail to the current error. */
void ds_error_detail(ds_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Moves the recorded public message into the log-only detail and puts
 * `message` in its place: for errors from a lower layer whose wording is
 * not meant for clients.  No effect when no error is recorded. */
void ds_error_private(ds_error *err, const char *message);
/* Sets err->kind unless one is already set. */
void ds_error_kind(ds_error *err, const char *kind);
int ds_status_http(ds_status st);
const char *ds_status_code_name(ds_status st);
const char *ds_status_reason(int http_status);

/* ---------------------------------------------------------------------
 * Clock: every time read in the library goes through ds_now_ms(), which an
 * embedder or a test can fix.
 * ------------------------------------------------------------------- */
typedef int64_t (*ds_clock_fn)(void *ctx);
int64_t ds_now_ms(void);
void ds_set_clock(ds_clock_fn fn, void *ctx); /* NULL restores the real clock */
void ds_set_fixed_time(int64_t ms);           /* convenience: frozen clock */

/* ---------------------------------------------------------------------
 * Request I/O.  The server reads CGI-style variables (REQUEST_METHOD,
 * PATH_INFO, SCRIPT_NAME, REQUEST_URI, QUERY_STRING, CONTENT_LENGTH,
 * HTTP_AUTHORIZATION, ...) and the body through these callbacks and writes
 * the CGI response (Status: line, headers, blank line, body) through them.
 * ------------------------------------------------------------------- */
typedef struct ds_io_ops {
    const char *(*getenv)(void *ctx, const char *name);
    /* Reads up to n body bytes; returns bytes read, 0 at end, -1 on error. */
    long (*read)(void *ctx, char *buf, size_t n);
    /* Writes all n bytes; returns 0, or -1 when the client is gone. */
    int (*write)(void *ctx, const char *buf, size_t n);
    /* Optional (may be NULL): cut the connection to the client without
     * ending the response properly, so that the web server passes the
     * failure on instead of a well-formed but cut body. */
    void (*abort)(void *ctx);
} ds_io_ops;

/* ---------------------------------------------------------------------
 * Catalog objects as the discovery and auth seams see them.
 * ------------------------------------------------------------------- */
typedef struct ds_recipient ds_recipient; /* opaque: an authenticated principal */

const char *ds_recipient_name(const ds_recipient *r);
/* 1 when the recipient may see the share called `share` (case-insensitive). */
int ds_recipient_may_see(const ds_recipient *r, const char *share);

typedef struct ds_share_info {
    const char *name;
    const char *id;
    const char *comment; /* may be NULL */
} ds_share_info;

typedef struct ds_schema_info {
    const char *name;
    const char *share;
} ds_schema_info;

typedef struct ds_table_info {
    const char *name;
    const char *schema;
    const char *share;
    const char *id;
    const char *share_id;
    const char *location;  /* never sent to clients */
    int history_shared;
} ds_table_info;

/* A request as the pluggable parts see it. */
typedef struct ds_request ds_request;
const char *ds_request_header(const ds_request *req, const char *name);
const char *ds_request_method(const ds_request *req);

/* ---------------------------------------------------------------------
 * Seam: authentication.  authenticate() maps a request to a recipient or
 * fails with DS_ERR_UNAUTHENTICATED (or another status) in err.
 * ------------------------------------------------------------------- */
typedef struct ds_auth_ops {
    const char *name;
    ds_status (*authenticate)(void *ctx, const ds_request *req,
                              const ds_recipient **out, ds_error *err);
} ds_auth_ops;

/* ---------------------------------------------------------------------
 * Seam: table discovery.  Listings are windows [offset, offset+max) over a
 * stable order; *total receives the full count visible to the recipient.
 * Lookups of names the recipient may not see must fail exactly like
 * lookups of names that do not exist (DS_ERR_NOT_FOUND).  Returned strings
 * must stay valid until the server is freed.
 * ------------------------------------------------------------------- */
typedef struct ds_discovery_ops {
    const char *name;
    ds_status (*list_shares)(void *ctx, const ds_recipient *r, size_t offset, size_t max,
                             ds_share_info *out, size_t *n, size_t *total, ds_error *err);
    ds_status (*get_share)(void *ctx, const ds_recipient *r, const char *share,
                           ds_share_info *out, ds_error *err);
    ds_status (*list_schemas)(void *ctx, const ds_recipient *r, const char *share,
                              size_t offset, size_t max, ds_schema_info *out, size_t *n,
                              size_t *total, ds_error *err);
    /* schema == NULL lists the tables of every schema in the share. */
    ds_status (*list_tables)(void *ctx, const ds_recipient *r, const char *share,
                             const char *schema, size_t offset, size_t max,
                             ds_table_info *out, size_t *n, size_t *total, ds_error *err);
    ds_status (*get_table)(void *ctx, const ds_recipient *r, const char *share,
                           const char *schema, const char *table, ds_table_info *out,
                           ds_error *err);
} ds_discovery_ops;

/* ---------------------------------------------------------------------
 * The server.
 * ------------------------------------------------------------------- */
typedef struct ds_server ds_server;

/* Loads and validates a config file; on failure returns NULL and err holds
 * "file:line: message" in err->message. */
ds_server *ds_server_new(const char *config_path, ds_error *err);
void ds_server_free(ds_server *srv);

/* Replace a pluggable part; ops and ctx must outlive the server. */
void ds_server_set_auth(ds_server *srv, const ds_auth_ops *ops, void *ctx);
void ds_server_set_discovery(ds_server *srv, const ds_discovery_ops *ops, void *ctx);

/* Where per-request log lines go (default: stderr); NULL fn disables. */
typedef void (*ds_log_fn)(void *ctx, const char *line);
void ds_server_set_log(ds_server *srv, ds_log_fn fn, void *ctx);

/* Handles one request end to end; returns the HTTP status sent. */
int ds_server_handle(ds_server *srv, const ds_io_ops *io, void *io_ctx);

/* Front ends (src/fcgi): serve requests until a stop signal.
 * listen_fd < 0 means: fd 0 if it is a FastCGI socket (spawn-fcgi,
 * mod_fcgid, lighttpd), or the systemd socket when LISTEN_FDS says so;
 * otherwise one CGI request on stdin/stdout.  Returns a process exit code. */
int ds_serve(ds_server *srv, int listen_fd);
/* Installs SIGTERM/SIGUSR1/SIGPIPE handling for graceful stops. */
void ds_install_signal_handlers(void);
int ds_stop_requested(void);

#ifdef __cplusplus
}
#endif
#endif
