/* request.c - builds struct ds_request from CGI variables.
 *
 * The route comes from the raw REQUEST_URI minus the mount point
 * (SCRIPT_NAME) whenever REQUEST_URI starts with it, so an encoded '/'
 * inside a name stays part of that name; each segment is then
 * percent-decoded exactly once.  When REQUEST_URI does not carry the mount
 * point (rewrites), PATH_INFO, which the web server has already decoded,
 * is used as it is.
 */
#include "config.h"
#include "http/http.h"
#include "util/text.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *ds_request_env(const ds_request *req, const char *name)
{
    return req->io->getenv(req->io_ctx, name);
}

const char *ds_request_method(const ds_request *req)
{
    return req->method;
}

const char *ds_request_header(const ds_request *req, const char *name)
{
    char var[128];
    size_t o = 0;
    /* CGI passes these two without the HTTP_ prefix */
    if (!ds_strcaseeq(name, "Content-Type") && !ds_strcaseeq(name, "Content-Length")) {
        memcpy(var, "HTTP_", 5);
        o = 5;
    }
    for (const char *s = name; *s && o + 1 < sizeof var; s++)
        var[o++] = *s == '-' ? '_' : (char)toupper((unsigned char)*s);
    var[o] = '\0';
    const char *v = ds_request_env(req, var);
    if (v && strlen(v) > DS_MAX_HEADER)
        return NULL; /* rejected up front by ds_request_parse */
    return v;
}

const char *ds_request_param(const ds_request *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (strcmp(req->params[i].name, name) == 0)
            return req->params[i].value[0] ? req->params[i].value : NULL;
    return NULL;
}

static ds_status split_path(ds_request *req, const char *path, size_t len, int decode,
                            ds_error *err)
{
    if (len == 0)
        return ds_error_set(err, DS_ERR_NOT_FOUND, "No such endpoint.");
    if (path[0] != '/')
        return ds_error_set(err, DS_ERR_NOT_FOUND, "No such endpoint.");
    size_t i = 1;
    req->nsegs = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && path[j] != '/')
            j++;
        if (j == len && j == i && req->nsegs > 0)
            break; /* one trailing '/' is tolerated */
        if (req->nsegs == DS_MAX_SEGMENTS)
            return ds_error_set(err, DS_ERR_NOT_FOUND, "No such endpoint.");
        char *seg = ds_arena_alloc(req->arena, j - i + 1);
        if (!seg)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        if (decode) {
            if (ds_pct_decode(path + i, j - i, seg, 0) < 0)
                return ds_error_set(err, DS_ERR_MALFORMED,
                                    "The request path has a malformed percent-encoding.");
        } else {
            memcpy(seg, path + i, j - i);
            seg[j - i] = '\0';
        }
        req->segs[req->nsegs++] = seg;
        i = j + 1;
    }
    return DS_OK;
}

static ds_status parse_query(ds_request *req, const char *qs, ds_error *err)
{
    req->nparams = 0;
    if (!qs || !*qs)
        return DS_OK;
    const char *s = qs;
    while (*s) {
        const char *amp = strchr(s, '&');
        size_t n = amp ? (size_t)(amp - s) : strlen(s);
        if (n) {
            const char *eq = memchr(s, '=', n);
            size_t kn = eq ? (size_t)(eq - s) : n;
            size_t vn = eq ? n - kn - 1 : 0;
            char *k = ds_arena_alloc(req->arena, kn + 1);
            char *v = ds_arena_alloc(req->arena, vn + 1);
            if (!k || !v)
                return ds_error_set(err, DS_ERR_NOMEM, NULL);
            if (ds_pct_decode(s, kn, k, 1) < 0 || (eq && ds_pct_decode(eq + 1, vn, v, 1) < 0))
                return ds_error_set(err, DS_ERR_MALFORMED,
                                    "The query string has a malformed percent-encoding.");
            if (!eq)
                v[0] = '\0';
            for (size_t i = 0; i < req->nparams; i++)
                if (strcmp(req->params[i].name, k) == 0)
                    return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                        "The query parameter '%.64s' is given more than once.",
                                        k);
            if (req->nparams == DS_MAX_PARAMS)
                return ds_error_set(err, DS_ERR_MALFORMED, "Too many query parameters.");
            req->params[req->nparams].name = k;
            req->params[req->nparams].value = v;
            req->nparams++;
        }
        if (!amp)
            break;
        s = amp + 1;
    }
    return DS_OK;
}

static const char *const checked_headers[] = {
    "HTTP_AUTHORIZATION", "HTTP_DELTA_SHARING_CAPABILITIES", "HTTP_FILEIDHASH",
    "HTTP_RANGE", "HTTP_USER_AGENT", "CONTENT_TYPE", "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_RANGE", NULL};

ds_status ds_request_parse(ds_request *req, ds_error *err)
{
    const char *m = ds_request_env(req, "REQUEST_METHOD");
    req->method = m && *m ? m : "GET";
    req->head = strcmp(req->method, "HEAD") == 0;

    for (const char *const *h = checked_headers; *h; h++) {
        const char *v = ds_request_env(req, *h);
        if (v && strlen(v) > DS_MAX_HEADER)
            return ds_error_set(err, DS_ERR_HEADER_TOO_LARGE, NULL);
    }

    const char *qs = ds_request_env(req, "QUERY_STRING");
    if (qs && strlen(qs) > DS_MAX_QUERY)
        return ds_error_set(err, DS_ERR_URI_TOO_LONG, NULL);

    const char *uri = ds_request_env(req, "REQUEST_URI");
    const char *script = ds_request_env(req, "SCRIPT_NAME");
    const char *pinfo = ds_request_env(req, "PATH_INFO");
    if ((uri && strlen(uri) > DS_MAX_URI) || (pinfo && strlen(pinfo) > DS_MAX_URI))
        return ds_error_set(err, DS_ERR_URI_TOO_LONG, NULL);
    if (!script)
        script = "";
    size_t sl = strlen(script);
    while (sl > 0 && script[sl - 1] == '/')
        sl--;

    ds_status st;
    if (uri && strncmp(uri, script, sl) == 0 && (uri[sl] == '/' || uri[sl] == '?' ||
                                                 uri[sl] == '\0')) {
        const char *path = uri + sl;
        size_t len = strcspn(path, "?#");
        st = split_path(req, path, len, 1, err);
    } else {
        st = split_path(req, pinfo ? pinfo : "", pinfo ? strlen(pinfo) : 0, 0, err);
    }
    if (st != DS_OK)
        return st;
    return parse_query(req, qs, err);
}

ds_status ds_request_read_body(ds_request *req, int64_t max, ds_error *err)
{
    const char *cl = ds_request_env(req, "CONTENT_LENGTH");
    int64_t len = 0;
    if (cl && *cl && ds_parse_i64(cl, 0, INT64_MAX, &len) < 0)
        return ds_error_set(err, DS_ERR_MALFORMED, "The Content-Length is not valid.");
    if (len > max)
        return ds_error_set(err, DS_ERR_TOO_LARGE,
                            "The request body is larger than %lld bytes.", (long long)max);
    req->body = ds_arena_alloc(req->arena, (size_t)len + 1);
    if (!req->body)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    size_t got = 0;
    while (got < (size_t)len) {
        long r = req->io->read(req->io_ctx, req->body + got, (size_t)len - got);
        if (r <= 0)
            return ds_error_set(err, DS_ERR_MALFORMED,
                                "The request body is shorter than its Content-Length.");
        got += (size_t)r;
    }
    req->body[got] = '\0';
    req->body_len = got;
    return DS_OK;
}
