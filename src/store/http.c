/* http.c - libcurl behind the object stores; see http.h. */
#include "config.h"
#include "store/http.h"
#include "util/text.h"
#include <curl/curl.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define URL_MAX (32u * 1024)
#define HEADERS_MAX (32u * 1024)
#define ERROR_BODY_MAX 4096

static CURL *handle;
/* One engine per process: the checkpoint decoders of a big checkpoint
 * read from two threads, and take turns here. */
static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;

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
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_cleanup)(CURLM *);
    CURLMcode (*multi_add)(CURLM *, CURL *);
    CURLMcode (*multi_remove)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
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
        {(void **)&cl.easy_getinfo, "curl_easy_getinfo"},
        {(void **)&cl.multi_init, "curl_multi_init"},
        {(void **)&cl.multi_cleanup, "curl_multi_cleanup"},
        {(void **)&cl.multi_add, "curl_multi_add_handle"},
        {(void **)&cl.multi_remove, "curl_multi_remove_handle"},
        {(void **)&cl.multi_perform, "curl_multi_perform"},
        {(void **)&cl.multi_poll, "curl_multi_poll"},
        {(void **)&cl.multi_info_read, "curl_multi_info_read"},
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

static int is_ok(long status)
{
    return status == 200 || status == 206;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct xfer *x = ctx;
    size_t n = size * nmemb;
    if (!is_ok(x->resp->status)) {
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


static ds_status fail_public(ds_error *err, ds_status st)
{
    return ds_error_set(err, st,
                        st == DS_ERR_TIMEOUT ? "The table's storage did not answer in time."
                        : st == DS_ERR_NOT_FOUND
                            ? "A file of this table is missing from its storage."
                            : "The table's storage could not be read.");
}

/* ---- the transfer engine ----------------------------------------------- *
 * Every request goes through one multi handle, so all of them share its
 * connection cache (a FastCGI worker keeps its connections to a store from
 * request to request), and a batch of reads runs in parallel on up to
 * MAX_PARALLEL connections.  Each job signs itself again before each
 * attempt; a retryable failure puts it back after a pause while the others
 * go on; the first failure that is not retryable stops the batch. */

#define MAX_PARALLEL 8

static CURLM *multi;

typedef struct slot {
    CURL *h;
    ds_http_job *job;
    size_t index;
    struct xfer x;
    ds_buf url, hdrs;
    struct curl_slist *list;
    char msg[CURL_ERROR_SIZE];
} slot;

static slot slots[MAX_PARALLEL];

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pause before attempt number `attempt` (1, 2, ...): 100 ms, 400 ms,
 * 1.6 s, then 2 s, each with up to 50% off at random. */
static long backoff_ms(int attempt)
{
    long ms = 100;
    for (int i = 1; i < attempt && ms < 2000; i++)
        ms *= 4;
    if (ms > 2000)
        ms = 2000;
    return ms / 2 + (long)randombytes_uniform((uint32_t)(ms / 2 + 1));
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0)
        ;
}

/* Signs the job's next attempt and hands it to the multi handle. */
static ds_status start(const ds_http_opts *o, slot *sl, ds_http_job *j)
{
    ds_error *err = &j->err;
    ds_buf_clear(&sl->url);
    ds_buf_clear(&sl->hdrs);
    if (j->sign(j->sign_ctx, &sl->url, &sl->hdrs, err) != DS_OK)
        return err->status;
    struct curl_slist *list = NULL;
    for (char *l = sl->hdrs.data; l && *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = '\0';
        struct curl_slist *nlst = cl.slist_append(list, l);
        if (!nlst) {
            cl.slist_free_all(list);
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        }
        list = nlst;
        l = nl ? nl + 1 : l + strlen(l);
    }
    /* no Accept header: the stores ignore it */
    struct curl_slist *nlst = cl.slist_append(list, "Accept:");
    if (!nlst) {
        cl.slist_free_all(list);
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    sl->list = nlst;
    sl->job = j;
    memset(&sl->x, 0, sizeof sl->x);
    sl->x.sink = &j->sink;
    sl->x.resp = &j->resp;
    ds_buf_init(&sl->x.errbody, ERROR_BODY_MAX + 1);
    memset(&j->resp, 0, sizeof j->resp);
    j->resp.content_length = j->resp.last_modified_s = j->resp.range_total = -1;
    if (j->sink.buf)
        ds_buf_clear(j->sink.buf);
    CURL *h = sl->h;
    cl.easy_reset(h);
    sl->msg[0] = '\0';
    cl.easy_setopt(h, CURLOPT_URL, sl->url.data);
    cl.easy_setopt(h, CURLOPT_HTTPHEADER, sl->list);
    cl.easy_setopt(h, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    if (strcmp(j->method, "HEAD") == 0) {
        cl.easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (strcmp(j->method, "POST") == 0) {
        cl.easy_setopt(h, CURLOPT_POST, 1L);
        cl.easy_setopt(h, CURLOPT_POSTFIELDS, j->body ? j->body : "");
        cl.easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)j->body_len);
    }
    cl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    cl.easy_setopt(h, CURLOPT_WRITEDATA, &sl->x);
    cl.easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    cl.easy_setopt(h, CURLOPT_HEADERDATA, &sl->x);
    cl.easy_setopt(h, CURLOPT_ERRORBUFFER, sl->msg);
    cl.easy_setopt(h, CURLOPT_PRIVATE, (void *)sl);
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
    if (cl.multi_add(multi, h) != CURLM_OK) {
        cl.slist_free_all(sl->list);
        sl->list = NULL;
        ds_buf_free(&sl->x.errbody);
        sl->job = NULL;
        ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
        ds_error_detail(err, "curl_multi_add_handle failed");
        return err->status;
    }
    return DS_OK;
}

/* Judges a finished attempt: DS_OK, an error in the job's ds_error, or
 * *retry (the attempt failed in a way worth another). */
static ds_status judge(const ds_http_opts *o, slot *sl, CURLcode cc, int attempt, int *retry)
{
    ds_http_job *j = sl->job;
    ds_error *err = &j->err;
    const ds_http_sink *sink = &j->sink;
    const ds_http_resp *resp = &j->resp;
    const char *what = j->what, *method = j->method, *url = sl->url.data;
    char code[64];
    error_code(&sl->x.errbody, code, sizeof code);
    *retry = 0;
    if (cc == CURLE_WRITE_ERROR && sl->x.overflow) {
        /* an object over its reader's cap is as bad as a corrupt one (the
         * local store says the same); more bytes than a range asked for is
         * the store's fault */
        if (sink->fixed)
            fail_public(err, DS_ERR_STORAGE);
        else
            ds_error_set(err, DS_ERR_INTERNAL, NULL);
        detail_req(err, what, method, url,
                   sink->fixed ? "the answer is larger than the range asked for"
                               : "the answer is larger than its cap");
        return err->status;
    }
    if (cc == CURLE_OPERATION_TIMEDOUT) {
        fail_public(err, DS_ERR_TIMEOUT);
        detail_req(err, what, method, url, sl->msg[0] ? sl->msg : "timed out");
        return err->status;
    }
    if (cc != CURLE_OK) {
        *retry = cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
                 cc == CURLE_RECV_ERROR || cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
                 cc == CURLE_COULDNT_RESOLVE_HOST;
        if (*retry && attempt < o->retries)
            return DS_OK;
        *retry = 0;
        fail_public(err, DS_ERR_STORAGE);
        detail_req(err, what, method, url, sl->msg[0] ? sl->msg : cl.easy_strerror(cc));
        return err->status;
    }
    if (!is_ok(resp->status)) {
        long st = resp->status;
        char msg[96];
        if (st == 404) {
            fail_public(err, DS_ERR_NOT_FOUND);
            snprintf(msg, sizeof msg, "404 %s", code[0] ? code : "Not Found");
            detail_req(err, what, method, url, msg);
            return err->status;
        }
        *retry = st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
        if (*retry && attempt < o->retries)
            return DS_OK;
        *retry = 0;
        snprintf(msg, sizeof msg, "HTTP %ld%s%s", st, code[0] ? " " : "", code);
        fail_public(err, DS_ERR_STORAGE);
        detail_req(err, what, method, url, msg);
        return err->status;
    }
    if (sink->fixed && strcmp(method, "HEAD") != 0 && sl->x.got != sink->fixed_len) {
        char msg[96];
        snprintf(msg, sizeof msg, "short answer: %zu of %zu bytes", sl->x.got, sink->fixed_len);
        fail_public(err, DS_ERR_STORAGE);
        detail_req(err, what, method, url, msg);
        return err->status;
    }
    if (sink->buf && !sink->buf->data && ds_buf_append(sink->buf, "", 0) < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    return DS_OK;
}

static void finish_slot(slot *sl)
{
    cl.multi_remove(multi, sl->h);
    cl.slist_free_all(sl->list);
    sl->list = NULL;
    ds_buf_free(&sl->x.errbody);
    sl->job = NULL;
}

static int engine_ready(ds_error *err)
{
    if (!get_handle()) {
        ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
        ds_error_detail(err, "%s", cl.why);
        return -1;
    }
    if (!multi && !(multi = cl.multi_init())) {
        ds_error_set(err, DS_ERR_STORAGE, "The table's storage could not be read.");
        ds_error_detail(err, "curl_multi_init failed");
        return -1;
    }
    for (int i = 0; i < MAX_PARALLEL; i++) {
        if (slots[i].h)
            continue;
        slots[i].h = i == 0 ? handle : cl.easy_init();
        if (!slots[i].h) {
            ds_error_set(err, DS_ERR_NOMEM, NULL);
            return -1;
        }
        ds_buf_init(&slots[i].url, URL_MAX);
        ds_buf_init(&slots[i].hdrs, HEADERS_MAX);
    }
    return 0;
}

static ds_status perform_many(const ds_http_opts *o, ds_http_job *jobs, size_t n,
                              ds_error *err);

ds_status ds_http_perform_many(const ds_http_opts *o, ds_http_job *jobs, size_t n,
                               ds_error *err)
{
    pthread_mutex_lock(&engine_lock);
    ds_status st = perform_many(o, jobs, n, err);
    pthread_mutex_unlock(&engine_lock);
    return st;
}

static ds_status perform_many(const ds_http_opts *o, ds_http_job *jobs, size_t n,
                              ds_error *err)
{
    if (engine_ready(err) < 0)
        return err->status;
    int *attempt = calloc(n ? n : 1, sizeof *attempt);
    int64_t *not_before = calloc(n ? n : 1, sizeof *not_before);
    unsigned char *state = calloc(n ? n : 1, 1); /* 0 waiting, 1 running, 2 done */
    if (!attempt || !not_before || !state) {
        free(attempt);
        free(not_before);
        free(state);
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        ds_error_clear(&jobs[i].err);
        jobs[i].status = DS_OK;
    }
    size_t done = 0;
    ds_http_job *failed = NULL;
    int running = 0;
    while (done < n && !failed) {
        /* start what may start */
        int64_t now = mono_ms(), wake = -1;
        for (size_t i = 0; i < n && !failed; i++) {
            if (state[i] != 0)
                continue;
            if (not_before[i] > now) {
                if (wake < 0 || not_before[i] < wake)
                    wake = not_before[i];
                continue;
            }
            slot *free_slot = NULL;
            int width = o->parallel >= 1 && o->parallel <= MAX_PARALLEL ? o->parallel : 1;
            for (int k = 0; k < width && !free_slot; k++)
                if (!slots[k].job)
                    free_slot = &slots[k];
            if (!free_slot)
                break;
            free_slot->index = i;
            if (start(o, free_slot, &jobs[i]) != DS_OK) {
                jobs[i].status = jobs[i].err.status;
                failed = &jobs[i];
                break;
            }
            state[i] = 1;
            running++;
        }
        if (failed)
            break;
        if (!running) {
            if (wake >= 0)
                sleep_ms((long)(wake - mono_ms() > 0 ? wake - mono_ms() : 0));
            continue;
        }
        int still = 0;
        cl.multi_perform(multi, &still);
        int left;
        CURLMsg *m;
        while ((m = cl.multi_info_read(multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            slot *sl = NULL;
            cl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sl);
            CURLcode cc = m->data.result;
            size_t i = sl->index;
            int retry = 0;
            ds_status st = judge(o, sl, cc, attempt[i], &retry);
            finish_slot(sl);
            running--;
            if (st != DS_OK) {
                jobs[i].status = st;
                state[i] = 2;
                done++;
                if (!failed)
                    failed = &jobs[i];
            } else if (retry) {
                attempt[i]++;
                not_before[i] = mono_ms() + backoff_ms(attempt[i]);
                state[i] = 0;
            } else {
                state[i] = 2;
                done++;
            }
        }
        if (!failed && running)
            cl.multi_poll(multi, NULL, 0, 100, NULL);
    }
    /* a failure stops the batch: drop the transfers still running */
    for (int k = 0; k < MAX_PARALLEL; k++)
        if (slots[k].job)
            finish_slot(&slots[k]);
    free(attempt);
    free(not_before);
    free(state);
    if (failed) {
        *err = failed->err;
        return err->status;
    }
    return DS_OK;
}

ds_status ds_http_perform(const ds_http_opts *o, const char *method, ds_http_sign_fn sign,
                          void *sign_ctx, const ds_http_sink *sink, ds_http_resp *resp,
                          const char *what, ds_error *err)
{
    ds_http_job j = {.method = method, .sign = sign, .sign_ctx = sign_ctx, .what = what};
    j.sink = *sink;
    ds_status st = ds_http_perform_many(o, &j, 1, err);
    *resp = j.resp;
    return st;
}

void ds_http_cleanup(void)
{
    if (!handle)
        return;
    for (int i = 0; i < MAX_PARALLEL; i++) {
        if (slots[i].h && slots[i].h != handle)
            cl.easy_cleanup(slots[i].h);
        ds_buf_free(&slots[i].url);
        ds_buf_free(&slots[i].hdrs);
        slots[i].h = NULL;
    }
    if (multi)
        cl.multi_cleanup(multi);
    multi = NULL;
    cl.easy_cleanup(handle);
    handle = NULL;
    cl.global_cleanup();
}
