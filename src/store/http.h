/* http.h - the object stores' HTTP client: one libcurl handle per process,
 * reused across requests (so connections to a store stay open between the
 * requests a FastCGI worker serves), with connect and total timeouts,
 * bounded retries with backoff, TLS verification always on, and capped
 * response bodies.
 *
 * Every failure becomes a ds_error whose public message says only that the
 * table's storage failed (502, DS_ERR_STORAGE) or was too slow (504,
 * DS_ERR_TIMEOUT); the log detail names the method, host and path (never
 * the query, which may hold a signature, nor any header).  A 404 becomes
 * DS_ERR_NOT_FOUND.
 */
#ifndef DS_HTTP_H
#define DS_HTTP_H
#include "deltasharing.h"
#include "util/buf.h"
#include <stdint.h>

typedef struct ds_http_opts {
    int64_t connect_timeout_ms, timeout_ms;
    int retries;         /* extra attempts after the first */
    int parallel;        /* connections a batch may use at once (1 to 8) */
    const char *ca_file; /* NULL: the system's CA store */
} ds_http_opts;

/* Where a response body goes: a growable buffer (capped by its max), or a
 * caller's fixed buffer that must be filled exactly (ranged reads). */
typedef struct ds_http_sink {
    ds_buf *buf;
    unsigned char *fixed;
    size_t fixed_len;
} ds_http_sink;

typedef struct ds_http_resp {
    long status;
    int64_t content_length; /* -1: none */
    int64_t last_modified_s; /* -1: none */
    int64_t range_total;     /* total size from Content-Range, -1: none */
} ds_http_resp;

/* A request signs itself again before each attempt (a retry may come
 * later than the signature's clock allows); sign() fills url and the
 * header lines ("Name: value\n") for the attempt. */
typedef ds_status (*ds_http_sign_fn)(void *ctx, ds_buf *url, ds_buf *headers, ds_error *err);

/* Performs method (GET or HEAD) with the request sign() builds; retries
 * connection failures, 429 and 5xx.  Statuses other than 200/206 are
 * errors (DS_ERR_NOT_FOUND for 404).  `what` names the request in log details ("list",
 * "get").  On error the sink's contents are unspecified. */
ds_status ds_http_perform(const ds_http_opts *o, const char *method, ds_http_sign_fn sign,
                          void *sign_ctx, const ds_http_sink *sink, ds_http_resp *resp,
                          const char *what, ds_error *err);

/* One request of a batch: what ds_http_perform takes, plus its outcome. */
typedef struct ds_http_job {
    const char *method;      /* GET, HEAD or POST */
    const char *body;        /* POST: the request body (body_len bytes) */
    size_t body_len;
    ds_http_sign_fn sign;
    void *sign_ctx;
    ds_http_sink sink;
    const char *what;
    ds_http_resp resp; /* out */
    ds_status status;  /* out */
    ds_error err;      /* out */
} ds_http_job;

/* Runs the jobs in parallel (at most 8 connections at a time), retrying
 * each as ds_http_perform does; the first failure that is not retried
 * stops the batch and is returned (its ds_error copied to err).  A single
 * request is a batch of one: every request shares one connection cache. */
ds_status ds_http_perform_many(const ds_http_opts *o, ds_http_job *jobs, size_t n,
                               ds_error *err);

/* Frees the process's handle (tests, embedding programs). */
void ds_http_cleanup(void);
#endif
