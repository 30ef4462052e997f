/* error.c - the one table that maps a status to HTTP, the protocol's
 * errorCode and a safe default message; first error wins. */
#include "config.h"
#include "deltasharing.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int http;
    const char *code;
    const char *message;
} table[DS_STATUS_COUNT] = {
    [DS_OK] = {200, "OK", ""},
    [DS_ERR_MALFORMED] = {400, "MALFORMED_REQUEST", "The request is malformed."},
    [DS_ERR_INVALID_PARAM] = {400, "INVALID_PARAMETER_VALUE", "A parameter value is not valid."},
    [DS_ERR_UNSUPPORTED] = {400, "UNSUPPORTED_OPERATION", "The operation is not supported."},
    [DS_ERR_UNAUTHENTICATED] = {401, "UNAUTHENTICATED", "The bearer token is missing or not valid."},
    [DS_ERR_FORBIDDEN] = {403, "PERMISSION_DENIED", "Access is denied."},
    [DS_ERR_NOT_FOUND] = {404, "RESOURCE_DOES_NOT_EXIST", "The resource does not exist."},
    [DS_ERR_METHOD] = {405, "MALFORMED_REQUEST", "The method is not allowed on this resource."},
    [DS_ERR_TOO_LARGE] = {413, "MALFORMED_REQUEST", "The request body is too large."},
    [DS_ERR_URI_TOO_LONG] = {414, "MALFORMED_REQUEST", "The request URI is too long."},
    [DS_ERR_HEADER_TOO_LARGE] = {431, "MALFORMED_REQUEST", "A request header is too large."},
    [DS_ERR_INTERNAL] = {500, "INTERNAL_ERROR", ""},
    [DS_ERR_NOMEM] = {503, "INTERNAL_ERROR", "The server is temporarily out of resources."},
    [DS_ERR_STORAGE] = {502, "INTERNAL_ERROR", "The storage service failed."},
    [DS_ERR_TIMEOUT] = {504, "INTERNAL_ERROR", "The storage service timed out."},
    [DS_ERR_CONFIG] = {500, "INTERNAL_ERROR", ""},
    [DS_ERR_IO] = {500, "INTERNAL_ERROR", ""},
};

void ds_error_clear(ds_error *err)
{
    err->status = DS_OK;
    err->message[0] = '\0';
    err->detail[0] = '\0';
    err->kind = NULL;
}

void ds_error_private(ds_error *err, const char *message)
{
    if (!err || err->status == DS_OK)
        return;
    /* detail becomes "<old message>; <old detail>", cut to fit */
    char old[sizeof err->detail];
    size_t m = strlen(err->message), d = strlen(err->detail), o = 0;
    memcpy(old, err->message, m < sizeof old - 1 ? m : sizeof old - 1);
    o = m < sizeof old - 1 ? m : sizeof old - 1;
    if (d && o + 2 < sizeof old - 1) {
        memcpy(old + o, "; ", 2);
        o += 2;
        size_t k = d < sizeof old - 1 - o ? d : sizeof old - 1 - o;
        memcpy(old + o, err->detail, k);
        o += k;
    }
    old[o] = '\0';
    memcpy(err->detail, old, o + 1);
    size_t n = strlen(message);
    if (n > sizeof err->message - 1)
        n = sizeof err->message - 1;
    memcpy(err->message, message, n);
    err->message[n] = '\0';
}

void ds_error_kind(ds_error *err, const char *kind)
{
    if (err && !err->kind)
        err->kind = kind;
}

ds_status ds_error_set(ds_error *err, ds_status st, const char *fmt, ...)
{
    if (!err)
        return st;
    if (err->status != DS_OK)
        return err->status;
    if (st <= DS_OK || st >= DS_STATUS_COUNT)
        st = DS_ERR_INTERNAL;
    err->status = st;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    } else {
        snprintf(err->message, sizeof err->message, "%s", table[st].message);
    }
    return st;
}

void ds_error_detail(ds_error *err, const char *fmt, ...)
{
    if (!err)
        return;
    size_t used = strlen(err->detail);
    if (used + 3 >= sizeof err->detail)
        return;
    if (used) {
        memcpy(err->detail + used, "; ", 2);
        used += 2;
        err->detail[used] = '\0';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail + used, sizeof err->detail - used, fmt, ap);
    va_end(ap);
}

int ds_status_http(ds_status st)
{
    if (st < 0 || st >= DS_STATUS_COUNT)
        return 500;
    return table[st].http;
}

const char *ds_status_code_name(ds_status st)
{
    if (st < 0 || st >= DS_STATUS_COUNT)
        return "INTERNAL_ERROR";
    return table[st].code;
}

const char *ds_status_reason(int http)
{
    switch (http) {
    case 200: return "OK";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Unknown";
    }
}
