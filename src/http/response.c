/* response.c - writes the CGI response: "Status:" line, headers, blank
 * line, body.  Every byte to the client passes through ds_resp_write. */
#include "config.h"
#include "http/http.h"
#include "util/json.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int ds_resp_write(ds_request *req, const char *data, size_t n)
{
    if (req->write_failed)
        return -1;
    if (n && req->io->write(req->io_ctx, data, n) < 0) {
        req->write_failed = 1;
        return -1;
    }
    req->bytes += n;
    return 0;
}

int ds_resp_start(ds_request *req, int status, const char *content_type,
                  const char *const *headers, size_t nheaders, int64_t content_length)
{
    char line[256];
    ds_buf h;
    ds_buf_init(&h, 64 * 1024);
    int rc = ds_buf_printf(&h, "Status: %d %s\r\n", status, ds_status_reason(status));
    if (rc == 0 && content_type)
        rc = ds_buf_printf(&h, "Content-Type: %s\r\n", content_type);
    if (rc == 0 && content_length >= 0) {
        snprintf(line, sizeof line, "Content-Length: %" PRId64 "\r\n", content_length);
        rc = ds_buf_puts(&h, line);
    }
    for (size_t i = 0; rc == 0 && i < nheaders; i++)
        if (headers[i])
            rc = ds_buf_printf(&h, "%s\r\n", headers[i]);
    if (rc == 0)
        rc = ds_buf_puts(&h, "\r\n");
    req->status = status;
    req->headers_sent = 1;
    if (rc == 0) {
        uint64_t before = req->bytes;
        rc = ds_resp_write(req, h.data, h.len);
        req->bytes = before; /* count body bytes only */
    }
    ds_buf_free(&h);
    return rc;
}

int ds_resp_json(ds_request *req, int status, const ds_buf *body)
{
    if (ds_resp_start(req, status, "application/json; charset=utf-8", NULL, 0,
                      (int64_t)body->len + 1) < 0)
        return -1;
    if (req->head)
        return 0;
    if (ds_resp_write(req, body->data, body->len) < 0)
        return -1;
    return ds_resp_write(req, "\n", 1);
}

int ds_resp_error(ds_request *req, const ds_error *err)
{
    if (req->headers_sent)
        return -1; /* too late: the caller logs it and the body stops short */
    ds_status st = err->status == DS_OK ? DS_ERR_INTERNAL : err->status;
    int http = ds_status_http(st);
    char allow[160];
    const char *hdrs[3];
    size_t nh = 0;
    if (st == DS_ERR_UNAUTHENTICATED)
        hdrs[nh++] = "WWW-Authenticate: Bearer realm=\"delta-sharing\"";
    if (st == DS_ERR_METHOD && req->allow[0]) {
        snprintf(allow, sizeof allow, "Allow: %s", req->allow);
        hdrs[nh++] = allow;
    }
    if (st == DS_ERR_NOMEM)
        hdrs[nh++] = "Retry-After: 1";
    ds_buf b;
    ds_buf_init(&b, 4096);
    int first = 1;
    int rc = ds_buf_putc(&b, '{');
    rc |= ds_json_kv_str(&b, &first, "errorCode", ds_status_code_name(st));
    rc |= ds_json_kv_str(&b, &first, "message", err->message);
    rc |= ds_buf_putc(&b, '}');
    if (rc)
        ds_buf_clear(&b);
    ds_buf tmp = b;
    if (!b.data) {
        static char fallback[] = "{\"errorCode\":\"INTERNAL_ERROR\",\"message\":\"\"}";
        tmp.data = fallback;
        tmp.len = sizeof fallback - 1;
    }
    if (ds_resp_start(req, http, "application/json; charset=utf-8", hdrs, nh,
                      (int64_t)tmp.len + 1) == 0 && !req->head) {
        ds_resp_write(req, tmp.data, tmp.len);
        ds_resp_write(req, "\n", 1);
    }
    ds_buf_free(&b);
    return 0;
}
