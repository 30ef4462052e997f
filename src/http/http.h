/* http.h - the request as parsed from CGI variables, the response writer
 * (the only code besides the NDJSON writer that writes bytes) and the
 * route table. */
#ifndef DS_HTTP_H
#define DS_HTTP_H
#include "deltasharing.h"
#include "util/arena.h"
#include "util/buf.h"
#include <stdint.h>

#define DS_MAX_URI 8192          /* REQUEST_URI / PATH_INFO bytes -> 414 */
#define DS_MAX_QUERY 8192        /* QUERY_STRING bytes -> 414 */
#define DS_MAX_HEADER 8192       /* any header the server reads -> 431 */
#define DS_MAX_SEGMENTS 64       /* path segments -> 404 beyond */
#define DS_MAX_PARAMS 32         /* query parameters -> 400 beyond */
#define DS_REQUEST_ARENA_CAP (512u * 1024 * 1024)

typedef struct ds_param {
    const char *name, *value;
} ds_param;

struct ds_catalog;
struct ds_server;

struct ds_request {
    ds_arena *arena;
    const ds_io_ops *io;
    void *io_ctx;
    struct ds_server *srv;
    const char *method;
    int head;                  /* HEAD: headers only */
    char *segs[DS_MAX_SEGMENTS];
    size_t nsegs;
    ds_param params[DS_MAX_PARAMS];
    size_t nparams;
    char *body;
    size_t body_len;
    const ds_recipient *recipient;
    const char *route;         /* matched pattern, for the log */
    /* for the log when the route has no such arguments: whose download a
     * /files/ link was (from the link itself; "" or NULL: not shown) */
    const char *log_recipient, *log_share, *log_schema, *log_table;
    char allow[64];            /* Allow header value for 405 */
    int64_t start_ms;
    char note[128];            /* handler's addition to the log line (key=value
                                  pairs of the server's own making, never request text) */
    /* response state */
    int status;
    int headers_sent;
    uint64_t bytes;
    int write_failed;
};

/* Reads the CGI variables into req (method, path segments, query params).
 * The body is read later by ds_request_read_body for routes that take one. */
ds_status ds_request_parse(ds_request *req, ds_error *err);
ds_status ds_request_read_body(ds_request *req, int64_t max, ds_error *err);
/* Query parameter by exact name; empty values count as absent. */
const char *ds_request_param(const ds_request *req, const char *name);
const char *ds_request_env(const ds_request *req, const char *name);

/* Response.  Headers are given as "Name: value" lines without CRLF. */
int ds_resp_start(ds_request *req, int status, const char *content_type,
                  const char *const *headers, size_t nheaders, int64_t content_length);
int ds_resp_write(ds_request *req, const char *data, size_t n);
/* One JSON object (a single line + '\n') with Content-Length. */
int ds_resp_json(ds_request *req, int status, const ds_buf *body);
/* The JSON error body for err (message only, never detail). */
int ds_resp_error(ds_request *req, const ds_error *err);

/* ---- routing -------------------------------------------------------- */
typedef ds_status (*ds_handler)(ds_request *req, ds_error *err);

enum { DS_ROUTE_AUTH = 1, DS_ROUTE_BODY = 2 };

typedef struct ds_route {
    const char *method;
    const char *pattern; /* "/shares/{share}/schemas"; {x} matches one segment,
                            a final {*x} one or more */
    ds_handler handler;
    unsigned flags;
} ds_route;

extern const ds_route ds_routes[];
extern const size_t ds_nroutes;

/* Finds the row for req; DS_ERR_NOT_FOUND or DS_ERR_METHOD (req->allow set). */
ds_status ds_route_match(ds_request *req, const ds_route **out, ds_error *err);
/* Value of the n-th {placeholder} segment of the matched route. */
const char *ds_route_arg(const ds_request *req, const char *name);
/* A final {*name} in a pattern matches one or more segments; this joins
 * them with '/' (in the request arena).  NULL when there is no such part. */
const char *ds_route_rest(const ds_request *req, const char *name);
#endif
