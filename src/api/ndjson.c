/* ndjson.c - bounded, streamed NDJSON answers (see ndjson.h). */
#include "config.h"
#include "api/ndjson.h"
#include "util/json.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NDJSON_TYPE "application/x-ndjson; charset=utf-8"

void ds_ndjson_init(ds_ndjson *w, ds_request *req)
{
    memset(w, 0, sizeof *w);
    w->req = req;
    ds_buf_init(&w->out, DS_NDJSON_PREBUF + DS_NDJSON_LINE_MAX);
}

void ds_ndjson_free(ds_ndjson *w)
{
    ds_buf_free(&w->out);
}

int ds_ndjson_header(ds_ndjson *w, const char *fmt, ...)
{
    if (w->nheaders >= sizeof w->headers / sizeof w->headers[0])
        return -1;
    va_list ap;
    char tmp[512];
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    char *h = ds_arena_strdup(w->req->arena, tmp);
    if (!h)
        return -1;
    w->headers[w->nheaders++] = h;
    return 0;
}

ds_buf *ds_ndjson_begin(ds_ndjson *w)
{
    w->line_start = w->out.len;
    return &w->out;
}

static int send_headers(ds_ndjson *w)
{
    w->streaming = 1;
    return ds_resp_start(w->req, 200, NDJSON_TYPE, w->headers, w->nheaders, -1);
}

static ds_status flush(ds_ndjson *w, ds_error *err)
{
    if (!w->req->head && w->out.len && ds_resp_write(w->req, w->out.data, w->out.len) < 0)
        return ds_error_set(err, DS_ERR_INTERNAL, "The client went away.");
    ds_buf_clear(&w->out);
    return DS_OK;
}

ds_status ds_ndjson_end(ds_ndjson *w, ds_error *err)
{
    /* a line the JSON writer built can hold no raw newline or CR */
    if (!w->out.data || ds_buf_putc(&w->out, '\n') < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    w->lines++;
    if (!w->streaming && w->out.len >= DS_NDJSON_PREBUF) {
        if (send_headers(w) < 0)
            return ds_error_set(err, DS_ERR_INTERNAL, "The client went away.");
        return flush(w, err);
    }
    if (w->streaming && w->out.len >= DS_NDJSON_CHUNK)
        return flush(w, err);
    return DS_OK;
}

ds_status ds_ndjson_finish(ds_ndjson *w, ds_error *err)
{
    if (!w->streaming && send_headers(w) < 0)
        return ds_error_set(err, DS_ERR_INTERNAL, "The client went away.");
    return flush(w, err);
}

int ds_ndjson_fail(ds_ndjson *w, const ds_error *err)
{
    if (!w->streaming) {
        ds_buf_clear(&w->out);
        return 0;
    }
    /* drop a line left half-built by the failure */
    if (w->out.data && w->line_start <= w->out.len) {
        w->out.len = w->line_start;
        w->out.data[w->out.len] = '\0';
    } else {
        ds_buf_clear(&w->out);
    }
    ds_status st = err->status == DS_OK ? DS_ERR_INTERNAL : err->status;
    const char *msg = err->message[0] ? err->message : "The server failed while answering.";
    ds_buf *b = ds_ndjson_begin(w);
    int first = 1;
    int rc = ds_buf_puts(b, "{\"endStreamAction\":{");
    rc |= ds_json_kv_str(b, &first, "errorMessage", msg);
    rc |= ds_json_kv_i64(b, &first, "httpStatusErrorCode", ds_status_http(st));
    rc |= ds_buf_puts(b, "}}");
    ds_error e2;
    ds_error_clear(&e2);
    if (rc == 0 && ds_ndjson_end(w, &e2) == DS_OK)
        flush(w, &e2);
    if (w->req->io->abort)
        w->req->io->abort(w->req->io_ctx);
    return 1;
}
