/* http.c - libcurl behind the object stores; see http.h. */
#include "config.h"
#include "store/http.h"
#include "util/text.h"
#include <curl/curl.h>
#include <dlfcn.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define URL_MAX (32u * 1024)
#define HEADERS_MAX (32u * 1024)
#define ERROR_BODY_MAX 4096

static CURL *handle;
static ds_http_stats stats;

/* libcurl is loaded when the first store request is made, not linked: a
 * CGI process serving tables on local disk (most requests of a small
 * host) never maps it and the thirty libraries it brings. */
static struct {
    void *lib;
    CURLcode (*global_init)(long);
    void (*global_cleanup)(void);
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    char why[256];
} cl;

static int load_curl(void)
{
    if (cl.lib)
        return 0;
    void *lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!lib)
        lib = dlopen("libcurl.so", RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(cl.why, sizeof cl.why, "libcurl could not be loaded: %s", e ? e : "?");
        return -1;
    }
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&cl.global_init, "curl_global_init"},
        {(void **)&cl.global_cleanup, "curl_global_cleanup"},
        {(void **)&cl.easy_init, "curl_easy_init"},
        {(void **)&cl.easy_cleanup, "curl_easy_cleanup"},
        {(void **)&cl.easy_reset, "curl_easy_reset"},
        {(void **)&cl.easy_setopt, "curl_easy_setopt"},
        {(void **)&cl.easy_perform, "curl_easy_perform"},
        {(void **)&cl.easy_strerror, "curl_easy_strerror"},
        {(void **)&cl.slist_append, "curl_slist_append"},
        {(void **)&cl.slist_free_all, "curl_slist_free_all"},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
        if (!(*syms[i].slot = dlsym(lib, syms[i].name))) {
            snprintf(cl.why, sizeof cl.why, "libcurl lacks %s", syms[i].name);
            dlclose(lib);
            return -1;
        }
    cl.lib = lib;
    return 0;
}

void ds_http_stats_get(ds_http_stats *out)
{
    *out = stats;
}

void ds_http_cleanup(void)
{
    if (handle) {
        cl.easy_cleanup(handle);
        handle = NULL;
        cl.global_cleanup();
    }
}

static CURL *get_handle(void)
{
    if (!handle) {
        if (load_curl() < 0)
            return NULL;
        if (cl.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(cl.why, sizeof cl.why, "curl_global_init failed");
            return NULL;
        }
        if (!(handle = cl.easy_init()))
            snprintf(cl.why, sizeof cl.why, "curl_easy_init failed");
    }
    return handle;
}

struct xfer {
    const ds_http_sink *sink;
    ds_http_resp *resp;
    size_t got;      /* bytes of body received */
    int overflow;    /* the body did not fit the sink */
    ds_buf errbody;  /* body of a non-2xx answer (for the log) */
};

static int is_ok(long status, long ok_status)
{
    return status == 200 || status == 206 || (ok_status && status == ok_status);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct xfer *x = ctx;
    size_t n = size * nmemb;
    if (!is_ok(x->resp->status, 0)) {
        /* an error answer: keep its start for the log, drop the rest */
        size_t room = ERROR_BODY_MAX > x->errbody.len ? ERROR_BODY_MAX - x->errbody.len : 0;
        if (room)
            ds_buf_append(&x->errbody, data, n < room ? n : room);
        return n;
    }
    const ds_http_sink *s = x->sink;
    if (s->fixed) {
        if (n > s->fixed_len - x->got) {
            x->overflow = 1;
            return 0;
        }
        memcpy(s->fixed + x->got, data, n);
    } else if (s->buf) {
        if (ds_buf_append(s->buf, data, n) < 0) {
            x->overflow = 1;
            return 0;
        }
    }
    x->got += n;
    stats.bytes += n;
    return n;
}

static int header_is(const char *line, size_t n, const char *name, const char **val)
{
    size_t k = strlen(name);
    if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
        return 0;
    *val = line + k + 1;
    while (**val == ' ' || **val == '\t')
        (*val)++;
    return 1;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct xfer *x = ctx;
    size_t n = size * nmemb;
    char line[512];
    size_t m = n < sizeof line - 1 ? n : sizeof line - 1;
    memcpy(line, data, m);
    while (m && (line[m - 1] == '\r' || line[m - 1] == '\n'))
        m--;
    line[m] = '\0';
    const char *v;
    if (m > 9 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new status line (after a 100 Continue, say): start over */
        const char *sp = strchr(line, ' ');
        x->resp->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        x->resp->content_length = x->resp->last_modified_s = x->resp->range_total = -1;
    } else if (header_is(line, m, "content-length", &v)) {
        int64_t len;
        if (ds_parse_i64(v, 0, INT64_MAX, &len) == 0)
            x->resp->content_length = len;
    } else if (header_is(line, m, "last-modified", &v)) {
        int64_t s;
        if (ds_http_date_parse(v, &s) == 0)
            x->resp->last_modified_s = s;
    } else if (header_is(line, m, "content-range", &v)) {
        const char *slash = strchr(v, '/');
        int64_t total;
        if (slash && ds_parse_i64(slash + 1, 0, INT64_MAX, &total) == 0)
            x->resp->range_total = total;
    }
    return n;
}

/* The log names the request without its query (which may hold a
 * signature): method, then the URL up to '?'. */
static void detail_req(ds_error *err, const char *what, const char *method, const char *url,
                       const char *msg)
{
    size_t n = strcspn(url, "?");
    ds_error_detail(err, "store %s: %s %.*s: %s", what, method, (int)(n > 400 ? 400 : n), url,
                    msg);
}

/* The <Code> of an XML error answer, for the log. */
static void error_code(const ds_buf *b, char *out, size_t outsz)
{
    out[0] = '\0';
    if (!b->data)
        return;
    const char *s = strstr(b->data, "<Code>");
    if (!s)
        return;
    s += 6;
    size_t n = strcspn(s, "<");
    if (n >= outsz)
        n = outsz - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    out[n] = '\0';
}

static void backoff(int attempt)
{
    /* 100 ms, 400 ms, 1.6 s, then 2 s; each with up to 50% jitter */
    long ms = 100;
    for (int i = 0; i < attempt && ms < 2000; i++)
        ms *= 4;
    if (ms > 2000)
        ms = 2000;
    ms = ms / 2 + (long)randombytes_uniform((uint32_t)(ms / 2 + 1));
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0)
        ;
}

static ds_status fail_public(ds_error *err, ds_status st)
{
    return ds_error_set(err, st,
                        st == DS_ERR_TIMEOUT ? "The table's storage did not answer in time."
                        : st == DS_ERR_NOT_FOUND
                            ? "A file of this table is missing from its storage."
                            : "The table's storage could not be read.");
}

ds_status ds_http_perform(const ds_http_opts *o, const char *method, ds_http_sign_fn sign,
                          void *sign_ctx, const ds_http_sink *sink, ds_http_resp *resp,
                          const char *what, ds_error *err)
{
    CURL *h = get_handle();
    if (!h) {
        ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
        ds_error_detail(err, "%s", cl.why);
        return err->status;
    }
    int head = strcmp(method, "HEAD") == 0;
    ds_buf url, hdrs;
    ds_buf_init(&url, URL_MAX);
    ds_buf_init(&hdrs, HEADERS_MAX);
    ds_status result = DS_OK;
    char curl_msg[CURL_ERROR_SIZE];
    for (int attempt = 0;; attempt++) {
        ds_buf_clear(&url);
        ds_buf_clear(&hdrs);
        if (sign(sign_ctx, &url, &hdrs, err) != DS_OK) {
            result = err->status;
            break;
        }
        struct curl_slist *list = NULL;
        int oom = 0;
        for (char *l = hdrs.data; l && *l;) {
            char *nl = strchr(l, '\n');
            if (nl)
                *nl = '\0';
            struct curl_slist *nlst = cl.slist_append(list, l);
            if (!nlst) {
                oom = 1;
                break;
            }
            list = nlst;
            l = nl ? nl + 1 : l + strlen(l);
        }
        if (!oom) {
            /* no "Expect: 100-continue", no Accept: the stores ignore it */
            struct curl_slist *nlst = cl.slist_append(list, "Accept:");
            if (nlst)
                list = nlst;
            else
                oom = 1;
        }
        if (oom) {
            cl.slist_free_all(list);
            result = ds_error_set(err, DS_ERR_NOMEM, NULL);
            break;
        }
        struct xfer x = {.sink = sink, .resp = resp};
        ds_buf_init(&x.errbody, ERROR_BODY_MAX + 1);
        memset(resp, 0, sizeof *resp);
        resp->content_length = resp->last_modified_s = resp->range_total = -1;
        if (sink->buf)
            ds_buf_clear(sink->buf);

        cl.easy_reset(h);
        curl_msg[0] = '\0';
        cl.easy_setopt(h, CURLOPT_URL, url.data);
        cl.easy_setopt(h, CURLOPT_HTTPHEADER, list);
        cl.easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
        if (head)
            cl.easy_setopt(h, CURLOPT_NOBODY, 1L);
        cl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
        cl.easy_setopt(h, CURLOPT_WRITEDATA, &x);
        cl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
        cl.easy_setopt(h, CURLOPT_HEADERDATA, &x);
        cl.easy_setopt(h, CURLOPT_ERRORBUFFER, curl_msg);
        cl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        cl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        cl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
        cl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
        cl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
        cl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
        cl.easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
        cl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
        cl.easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
        if (o->ca_file)
            cl.easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
        stats.requests++;
        CURLcode cc = cl.easy_perform(h);
        cl.slist_free_all(list);
        char code[64];
        error_code(&x.errbody, code, sizeof code);
        ds_buf_free(&x.errbody);

        int retry = 0;
        ds_status st = DS_OK;
        if (cc == CURLE_WRITE_ERROR && x.overflow) {
            /* an object over its reader's cap is as bad as a corrupt one
             * (the local store says the same); more bytes than a range
             * asked for is the store's fault */
            if (sink->fixed)
                st = fail_public(err, DS_ERR_STORAGE);
            else
                st = ds_error_set(err, DS_ERR_INTERNAL, NULL);
            detail_req(err, what, method, url.data,
                       sink->fixed ? "the answer is larger than the range asked for"
                                   : "the answer is larger than its cap");
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            st = fail_public(err, DS_ERR_TIMEOUT);
            detail_req(err, what, method, url.data, curl_msg[0] ? curl_msg : "timed out");
        } else if (cc != CURLE_OK) {
            retry = cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
                    cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING ||
                    cc == CURLE_PARTIAL_FILE || cc == CURLE_COULDNT_RESOLVE_HOST;
            if (!retry || attempt >= o->retries) {
                st = fail_public(err, DS_ERR_STORAGE);
                detail_req(err, what, method, url.data,
                           curl_msg[0] ? curl_msg : cl.easy_strerror(cc));
            }
        } else if (!is_ok(resp->status, 0)) {
            long s = resp->status;
            retry = s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
            if (s == 404) {
                st = fail_public(err, DS_ERR_NOT_FOUND);
                char msg[96];
                snprintf(msg, sizeof msg, "404 %s", code[0] ? code : "Not Found");
                detail_req(err, what, method, url.data, msg);
            } else if (!retry || attempt >= o->retries) {
                char msg[96];
                snprintf(msg, sizeof msg, "HTTP %ld%s%s", s, code[0] ? " " : "", code);
                st = fail_public(err, DS_ERR_STORAGE);
                detail_req(err, what, method, url.data, msg);
            }
        } else if (sink->fixed && !head && x.got != sink->fixed_len) {
            st = fail_public(err, DS_ERR_STORAGE);
            char msg[96];
            snprintf(msg, sizeof msg, "short answer: %zu of %zu bytes", x.got, sink->fixed_len);
            detail_req(err, what, method, url.data, msg);
        } else if (sink->buf && !sink->buf->data && ds_buf_append(sink->buf, "", 0) < 0) {
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
        }
        if (st != DS_OK) {
            result = st;
            break;
        }
        if (!retry)
            break;
        stats.retries++;
        backoff(attempt);
    }
    ds_buf_free(&url);
    ds_buf_free(&hdrs);
    return result;
}
