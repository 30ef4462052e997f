/* ndjson.h - the streamed NDJSON answer of the table endpoints.
 *
 * Lines are built in a small line buffer and collected in a bounded
 * pre-buffer before the status line is sent: an error found while the
 * answer still fits there becomes a clean JSON error response.  Once the
 * pre-buffer is full the headers go out and lines are flushed in chunks,
 * so memory does not grow with the size of the answer.  An error after
 * that point cannot change the status any more: the answer is ended with
 * an endStreamAction carrying the error message, which both official
 * clients refuse (Spark raises it, the Python client cannot parse it), and
 * the connection is aborted where the front end can, so no client takes a
 * cut answer for a whole one. */
#ifndef DS_NDJSON_H
#define DS_NDJSON_H
#include "http/http.h"
#include "util/buf.h"

#define DS_NDJSON_PREBUF (1024u * 1024)   /* held back before the headers */
#define DS_NDJSON_CHUNK (64u * 1024)      /* flush size once streaming */
#define DS_NDJSON_LINE_MAX (64u * 1024 * 1024) /* one line (a huge schema) */

typedef struct ds_ndjson {
    ds_request *req;
    ds_buf out;   /* bytes not yet written; the line being built at its end */
    size_t line_start;
    const char *headers[8];
    size_t nheaders;
    int streaming; /* headers sent */
    uint64_t lines;
} ds_ndjson;

void ds_ndjson_init(ds_ndjson *w, ds_request *req);
/* Adds a response header ("Name: value", copied). */
int ds_ndjson_header(ds_ndjson *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The buffer to append the next line to (lines are built in place). */
ds_buf *ds_ndjson_begin(ds_ndjson *w);
/* Ends the line appended since ds_ndjson_begin; DS_ERR_NOMEM or the client gone
 * (then the caller should stop: err says so). */
ds_status ds_ndjson_end(ds_ndjson *w, ds_error *err);
/* Sends what is left (headers first when nothing was sent yet). */
ds_status ds_ndjson_finish(ds_ndjson *w, ds_error *err);
/* After a failure: when nothing was sent, drops the held lines and returns
 * 0 (the caller answers with the error).  When streaming, writes the
 * error endStreamAction, and returns 1 (the response is over). */
int ds_ndjson_fail(ds_ndjson *w, const ds_error *err);
void ds_ndjson_free(ds_ndjson *w);
#endif
