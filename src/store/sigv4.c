/* sigv4.c - AWS Signature Version 4 for S3 (AWS4-HMAC-SHA256) and for GCS
 * HMAC keys (GOOG4-HMAC-SHA256): presigned URLs and Authorization headers
 * (see cloudsign.h), plus the helpers the other signers share
 * (cloudsign_int.h): encoding, sorted query parameters, hashes, times and
 * the query-signed V4 URL that GCS's RSA signer reuses. */
#include "config.h"
#include "store/cloudsign.h"
#include "store/cloudsign_int.h"
#include "util/text.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
/* SHA-256 of the empty body */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Room for a URL or header block built from inputs of DS_CLOUDSIGN_MAX. */
#define OUT_MAX (8 * DS_CLOUDSIGN_MAX)

/* ---- shared helpers ------------------------------------------------------- */

static int is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int ds_cs_pct_encode(ds_buf *out, const char *s, size_t n, const char *keep)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && (is_alnum((unsigned char)s[j]) || (s[j] && strchr(keep, s[j]))))
            j++;
        if (j > i && ds_buf_append(out, s + i, j - i) < 0)
            return -1;
        if (j == n)
            break;
        unsigned char c = (unsigned char)s[j];
        char e[3] = {'%', hx[c >> 4], hx[c & 15]};
        if (ds_buf_append(out, e, 3) < 0)
            return -1;
        i = j + 1;
    }
    /* an empty string still leaves an allocated, NUL-terminated buffer */
    return ds_buf_append(out, "", 0);
}

int ds_uri_encode(ds_buf *out, const char *s, size_t n, int encode_slash)
{
    return ds_cs_pct_encode(out, s, n, encode_slash ? "-._~" : "-._~/");
}

int ds_cs_params_add(ds_cs_params *p, const char *name, const char *value)
{
    if (ds_grow((void **)&p->v, &p->cap, p->n, sizeof *p->v, 8) < 0)
        return -1;
    ds_buf n, v;
    ds_buf_init(&n, 3 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&v, 3 * DS_CLOUDSIGN_MAX);
    if (ds_uri_encode(&n, name, strlen(name), 1) < 0 ||
        ds_uri_encode(&v, value, strlen(value), 1) < 0) {
        ds_buf_free(&n);
        ds_buf_free(&v);
        return -1;
    }
    p->v[p->n].name = n.data;
    p->v[p->n].value = v.data;
    p->n++;
    return 0;
}

static int param_cmp(const void *a, const void *b)
{
    const ds_cs_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

void ds_cs_params_sort(ds_cs_params *p)
{
    if (p->n > 1)
        qsort(p->v, p->n, sizeof *p->v, param_cmp);
}

int ds_cs_params_join(const ds_cs_params *p, ds_buf *out)
{
    for (size_t i = 0; i < p->n; i++)
        if ((i && ds_buf_putc(out, '&') < 0) || ds_buf_puts(out, p->v[i].name) < 0 ||
            ds_buf_putc(out, '=') < 0 || ds_buf_puts(out, p->v[i].value) < 0)
            return -1;
    return ds_buf_append(out, "", 0);
}

int ds_cs_params_has(const ds_cs_params *p, const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].name, name) == 0)
            return 1;
    return 0;
}

void ds_cs_params_free(ds_cs_params *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].value);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

int ds_cs_sha256_hex(const void *d, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    if (crypto_hash_sha256(h, d, n) != 0)
        return -1;
    ds_hex_encode(h, 32, out);
    return 0;
}

int ds_cs_hmac(const void *key, size_t klen, const void *d, size_t n, unsigned char out[32])
{
    /* keys are bounded by the inputs' cap ("AWS4" + secret may exceed it by 5) */
    if (klen > 2 * DS_CLOUDSIGN_MAX)
        return -1;
    crypto_auth_hmacsha256_state st;
    int rc = crypto_auth_hmacsha256_init(&st, key, klen) != 0 ||
                     crypto_auth_hmacsha256_update(&st, d, n) != 0 ||
                     crypto_auth_hmacsha256_final(&st, out) != 0
                 ? -1
                 : 0;
    sodium_memzero(&st, sizeof st);
    return rc;
}

static void put_num(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static int utc(int64_t s, struct tm *tm)
{
    /* 1970-01-01 to 9999-12-31T23:59:59Z: four-digit years */
    if (s < 0 || s > INT64_C(253402300799))
        return -1;
    time_t t = (time_t)s;
    return gmtime_r(&t, tm) ? 0 : -1;
}

int ds_cs_stamp(int64_t now_s, char stamp[17], char date[9])
{
    struct tm tm;
    if (utc(now_s, &tm) < 0)
        return -1;
    put_num(stamp, tm.tm_year + 1900, 4);
    put_num(stamp + 4, tm.tm_mon + 1, 2);
    put_num(stamp + 6, tm.tm_mday, 2);
    stamp[8] = 'T';
    put_num(stamp + 9, tm.tm_hour, 2);
    put_num(stamp + 11, tm.tm_min, 2);
    put_num(stamp + 13, tm.tm_sec, 2);
    stamp[15] = 'Z';
    stamp[16] = '\0';
    memcpy(date, stamp, 8);
    date[8] = '\0';
    return 0;
}

int ds_cs_iso_time(int64_t s, char out[21])
{
    struct tm tm;
    if (utc(s, &tm) < 0)
        return -1;
    put_num(out, tm.tm_year + 1900, 4);
    out[4] = '-';
    put_num(out + 5, tm.tm_mon + 1, 2);
    out[7] = '-';
    put_num(out + 8, tm.tm_mday, 2);
    out[10] = 'T';
    put_num(out + 11, tm.tm_hour, 2);
    out[13] = ':';
    put_num(out + 14, tm.tm_min, 2);
    out[16] = ':';
    put_num(out + 17, tm.tm_sec, 2);
    out[19] = 'Z';
    out[20] = '\0';
    return 0;
}

int ds_cs_str_ok(const char *s)
{
    if (!s)
        return 0;
    size_t n = strnlen(s, DS_CLOUDSIGN_MAX + 1);
    return n <= DS_CLOUDSIGN_MAX && !memchr(s, '\r', n) && !memchr(s, '\n', n);
}

void ds_cs_trace(ds_buf *dst, const ds_buf *src)
{
    if (dst && src->data)
        (void)ds_buf_append(dst, src->data, src->len);
}

static ds_status nomem(ds_error *err, const char *what)
{
    ds_error_set(err, DS_ERR_NOMEM, NULL);
    ds_error_detail(err, "signing: %s does not fit its buffer", what);
    return err ? err->status : DS_ERR_NOMEM;
}

static ds_status bad(ds_error *err, ds_status st, const char *why)
{
    ds_error_set(err, st, DS_CS_FAILED);
    ds_error_detail(err, "signing: %s", why);
    return err ? err->status : st;
}

/* An HTTP method as the signers accept it: 1-16 upper-case letters. */
static int method_ok(const char *m)
{
    size_t n = 0;
    for (; m && m[n]; n++)
        if (m[n] < 'A' || m[n] > 'Z' || n >= 16)
            return 0;
    return n > 0;
}

/* A Host value: not empty, no space or control byte. */
static int host_ok(const char *h)
{
    if (!ds_cs_str_ok(h) || !*h)
        return 0;
    for (const unsigned char *p = (const unsigned char *)h; *p; p++)
        if (*p <= ' ' || *p == 0x7f)
            return 0;
    return 1;
}

static int path_ok(const char *p)
{
    return ds_cs_str_ok(p) && p[0] == '/';
}

/* ---- the query-signed V4 URL ---------------------------------------------- */

/* The parameter names the signer itself writes (after the prefix). */
static const char *const auth_names[] = {"Algorithm", "Credential", "Date", "Expires",
                                         "Security-Token", "SignedHeaders", "Signature"};

ds_status ds_cs_presign_prepare(const ds_cs_presign *in, ds_cs_params *params, ds_buf *cr,
                                ds_buf *sts, ds_error *err)
{
    if (!method_ok(in->method))
        return bad(err, DS_ERR_INTERNAL, "the method is not an upper-case word");
    if (!host_ok(in->host))
        return bad(err, DS_ERR_INTERNAL, "the host is empty or holds a space");
    if (!path_ok(in->path))
        return bad(err, DS_ERR_INVALID_PARAM, "the path is not absolute or is too long");
    if (in->expires_s < 1 || in->expires_s > DS_PRESIGN_MAX_S)
        return bad(err, DS_ERR_INVALID_PARAM, "the lifetime is not 1 s to 7 days");
    if (in->nquery && !in->query)
        return bad(err, DS_ERR_INTERNAL, "query parameters missing");
    size_t plen = strlen(in->qprefix);
    for (size_t i = 0; i < in->nquery; i++) {
        if (!ds_cs_str_ok(in->query[i].name) || !ds_cs_str_ok(in->query[i].value))
            return bad(err, DS_ERR_INVALID_PARAM, "a query parameter is too long");
        if (strncmp(in->query[i].name, in->qprefix, plen) == 0)
            for (size_t k = 0; k < sizeof auth_names / sizeof auth_names[0]; k++)
                if (strcmp(in->query[i].name + plen, auth_names[k]) == 0)
                    return bad(err, DS_ERR_INTERNAL, "a query parameter repeats an auth parameter");
    }

    char name[32], expires[24];
    snprintf(expires, sizeof expires, "%lld", (long long)in->expires_s);
    ds_buf cred;
    ds_buf_init(&cred, 2 * DS_CLOUDSIGN_MAX);
    if (ds_buf_puts(&cred, in->key_id) < 0 || ds_buf_putc(&cred, '/') < 0 ||
        ds_buf_puts(&cred, in->scope) < 0)
        return nomem(err, "the credential");
    const struct {
        const char *n, *v;
    } auth[] = {
        {"Algorithm", in->algorithm}, {"Credential", cred.data}, {"Date", in->stamp},
        {"Expires", expires},        {"Security-Token", in->session_token},
        {"SignedHeaders", "host"},
    };
    int fail = 0;
    for (size_t k = 0; k < sizeof auth / sizeof auth[0] && !fail; k++) {
        if (!auth[k].v)
            continue;
        snprintf(name, sizeof name, "%s%s", in->qprefix, auth[k].n);
        fail = ds_cs_params_add(params, name, auth[k].v) < 0;
    }
    for (size_t i = 0; i < in->nquery && !fail; i++)
        fail = ds_cs_params_add(params, in->query[i].name, in->query[i].value) < 0;
    ds_buf_free(&cred);
    if (fail)
        return nomem(err, "the query");
    ds_cs_params_sort(params);

    char hash[65];
    if (ds_buf_puts(cr, in->method) < 0 || ds_buf_putc(cr, '\n') < 0 ||
        ds_uri_encode(cr, in->path, strlen(in->path), 0) < 0 || ds_buf_putc(cr, '\n') < 0 ||
        ds_cs_params_join(params, cr) < 0 || ds_buf_puts(cr, "\nhost:") < 0 ||
        ds_buf_puts(cr, in->host) < 0 || ds_buf_puts(cr, "\n\nhost\n" UNSIGNED_PAYLOAD) < 0)
        return nomem(err, "the canonical request");
    if (ds_cs_sha256_hex(cr->data, cr->len, hash) < 0)
        return bad(err, DS_ERR_INTERNAL, "SHA-256 failed");
    if (ds_buf_puts(sts, in->algorithm) < 0 || ds_buf_putc(sts, '\n') < 0 ||
        ds_buf_puts(sts, in->stamp) < 0 || ds_buf_putc(sts, '\n') < 0 ||
        ds_buf_puts(sts, in->scope) < 0 || ds_buf_putc(sts, '\n') < 0 ||
        ds_buf_append(sts, hash, 64) < 0)
        return nomem(err, "the string to sign");
    return DS_OK;
}

ds_status ds_cs_presign_finish(const ds_cs_presign *in, ds_cs_params *params,
                               const char *url_base, const char *sig_hex, int sig_sorted,
                               ds_buf *out, ds_error *err)
{
    char name[32];
    snprintf(name, sizeof name, "%sSignature", in->qprefix);
    if (!ds_cs_str_ok(url_base))
        return bad(err, DS_ERR_INVALID_PARAM, "the base URL is too long");
    ds_buf u;
    ds_buf_init(&u, OUT_MAX);
    int fail = ds_buf_puts(&u, url_base) < 0 ||
               ds_uri_encode(&u, in->path, strlen(in->path), 0) < 0 || ds_buf_putc(&u, '?') < 0;
    if (!fail && sig_sorted) {
        fail = ds_cs_params_add(params, name, sig_hex) < 0;
        if (!fail) {
            ds_cs_params_sort(params);
            fail = ds_cs_params_join(params, &u) < 0;
        }
    } else if (!fail) {
        fail = ds_cs_params_join(params, &u) < 0 || ds_buf_putc(&u, '&') < 0 ||
               ds_buf_puts(&u, name) < 0 || ds_buf_putc(&u, '=') < 0 ||
               ds_buf_puts(&u, sig_hex) < 0;
    }
    if (fail || ds_buf_append(out, u.data, u.len) < 0) {
        ds_buf_free(&u);
        return nomem(err, "the signed URL");
    }
    ds_buf_free(&u);
    return DS_OK;
}

/* ---- SigV4 ------------------------------------------------------------------ */

typedef struct v4names {
    const char *kprefix, *term, *qprefix, *hprefix;
    int goog;
} v4names;

static ds_status cfg_check(const ds_sigv4_cfg *c, v4names *nm, ds_error *err)
{
    if (!c || !c->algorithm)
        return bad(err, DS_ERR_CONFIG, "no signing configuration");
    if (strcmp(c->algorithm, "AWS4-HMAC-SHA256") == 0)
        *nm = (v4names){"AWS4", "aws4_request", "X-Amz-", "x-amz-", 0};
    else if (strcmp(c->algorithm, "GOOG4-HMAC-SHA256") == 0)
        *nm = (v4names){"GOOG4", "goog4_request", "X-Goog-", "x-goog-", 1};
    else
        return bad(err, DS_ERR_CONFIG, "unknown SigV4 algorithm");
    const char *scope_parts[] = {c->service, c->region};
    for (size_t i = 0; i < 2; i++)
        if (!ds_cs_str_ok(scope_parts[i]) || !*scope_parts[i] || strchr(scope_parts[i], '/') ||
            strlen(scope_parts[i]) > 64)
            return bad(err, DS_ERR_CONFIG, "the service or region is empty or not a name");
    if (!ds_cs_str_ok(c->access_key_id) || !*c->access_key_id)
        return bad(err, DS_ERR_CONFIG, "the access key id is empty or too long");
    if (!c->secret || !*c->secret || strnlen(c->secret, DS_CLOUDSIGN_MAX + 1) > DS_CLOUDSIGN_MAX)
        return bad(err, DS_ERR_CONFIG, "the secret is empty or too long");
    if (c->session_token && (!ds_cs_str_ok(c->session_token) || !*c->session_token))
        return bad(err, DS_ERR_CONFIG, "the session token is empty or too long");
    if (c->session_token && nm->goog)
        return bad(err, DS_ERR_CONFIG, "GOOG4-HMAC-SHA256 has no session tokens");
    return DS_OK;
}

/* The HMAC chain of cloudsign.h; the intermediate keys are wiped. */
static int derive_key(const ds_sigv4_cfg *c, const v4names *nm, const char *date,
                      unsigned char k[32])
{
    size_t pl = strlen(nm->kprefix), sl = strlen(c->secret);
    unsigned char *seed = malloc(pl + sl);
    if (!seed)
        return -1;
    memcpy(seed, nm->kprefix, pl);
    memcpy(seed + pl, c->secret, sl);
    unsigned char a[32], b[32];
    int rc = ds_cs_hmac(seed, pl + sl, date, strlen(date), a) < 0 ||
             ds_cs_hmac(a, 32, c->region, strlen(c->region), b) < 0 ||
             ds_cs_hmac(b, 32, c->service, strlen(c->service), a) < 0 ||
             ds_cs_hmac(a, 32, nm->term, strlen(nm->term), k) < 0;
    sodium_memzero(seed, pl + sl);
    sodium_memzero(a, sizeof a);
    sodium_memzero(b, sizeof b);
    free(seed);
    if (rc)
        sodium_memzero(k, 32);
    return rc ? -1 : 0;
}

/* Hex HMAC of the string to sign under the derived key, into sig[65]. */
static ds_status sign_sts(const ds_sigv4_cfg *c, const v4names *nm, const char *date,
                          const ds_buf *sts, char sig[65], ds_error *err)
{
    unsigned char k[32], mac[32];
    if (derive_key(c, nm, date, k) < 0)
        return bad(err, DS_ERR_INTERNAL, "HMAC-SHA256 failed");
    int rc = ds_cs_hmac(k, 32, sts->data, sts->len, mac);
    sodium_memzero(k, sizeof k);
    if (rc < 0)
        return bad(err, DS_ERR_INTERNAL, "HMAC-SHA256 failed");
    ds_hex_encode(mac, 32, sig);
    return DS_OK;
}

static ds_status make_scope(const ds_sigv4_cfg *c, const v4names *nm, int64_t now_s,
                            char stamp[17], char date[9], ds_buf *scope, ds_error *err)
{
    if (ds_cs_stamp(now_s, stamp, date) < 0)
        return bad(err, DS_ERR_INTERNAL, "the signing time is out of range");
    if (ds_buf_puts(scope, date) < 0 || ds_buf_putc(scope, '/') < 0 ||
        ds_buf_puts(scope, c->region) < 0 || ds_buf_putc(scope, '/') < 0 ||
        ds_buf_puts(scope, c->service) < 0 || ds_buf_putc(scope, '/') < 0 ||
        ds_buf_puts(scope, nm->term) < 0)
        return nomem(err, "the scope");
    return DS_OK;
}

ds_status ds_sigv4_signing_key(const ds_sigv4_cfg *c, int64_t now_s, unsigned char out[32],
                               ds_error *err)
{
    v4names nm;
    char stamp[17], date[9];
    if (cfg_check(c, &nm, err) != DS_OK)
        return err ? err->status : DS_ERR_CONFIG;
    if (ds_cs_stamp(now_s, stamp, date) < 0)
        return bad(err, DS_ERR_INTERNAL, "the signing time is out of range");
    if (derive_key(c, &nm, date, out) < 0)
        return bad(err, DS_ERR_INTERNAL, "HMAC-SHA256 failed");
    return DS_OK;
}

ds_status ds_sigv4_presign(const ds_sigv4_cfg *c, int64_t now_s, int64_t expires_s,
                           const char *method, const char *url_base, const char *host,
                           const char *path, const ds_kv *query, size_t nquery, ds_buf *out,
                           ds_sign_trace *trace, ds_error *err)
{
    v4names nm;
    char stamp[17], date[9], sig[65];
    ds_status st = cfg_check(c, &nm, err);
    if (st != DS_OK)
        return st;
    ds_buf scope, cr, sts;
    ds_buf_init(&scope, 1024);
    ds_buf_init(&cr, 4 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&sts, 4096);
    ds_cs_params params = {0};
    st = make_scope(c, &nm, now_s, stamp, date, &scope, err);
    ds_cs_presign in = {c->algorithm, nm.qprefix, stamp, scope.data, c->access_key_id,
                        c->session_token, expires_s, method, host, path, query, nquery};
    if (st == DS_OK)
        st = ds_cs_presign_prepare(&in, &params, &cr, &sts, err);
    if (st == DS_OK)
        st = sign_sts(c, &nm, date, &sts, sig, err);
    /* S3: X-Amz-Signature in sort order as the JS SDK writes it; GCS
     * HMAC: X-Goog-Signature last, as in GCS's own signed URLs */
    if (st == DS_OK)
        st = ds_cs_presign_finish(&in, &params, url_base, sig, !nm.goog, out, err);
    if (st == DS_OK && trace) {
        ds_cs_trace(trace->canonical_request, &cr);
        ds_cs_trace(trace->string_to_sign, &sts);
    }
    ds_cs_params_free(&params);
    ds_buf_free(&scope);
    ds_buf_free(&cr);
    ds_buf_free(&sts);
    return st;
}

/* One header of a header-signed request. */
typedef struct v4hdr {
    char *name;        /* lower case */
    char *canon;       /* trimmed, inner space runs collapsed */
    const char *value; /* as sent */
    int extra;         /* given by the caller */
} v4hdr;

static int hdr_cmp(const void *a, const void *b)
{
    return strcmp(((const v4hdr *)a)->name, ((const v4hdr *)b)->name);
}

/* A header name as the caller must give it: a lower-case token. */
static int hdr_name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 256)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("!#$%&'*+-.^_`|~", *s)))
            return 0;
    return 1;
}

static char *canon_value(const char *v)
{
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!(v[i] == ' ' && w && o[w - 1] == ' '))
            o[w++] = v[i];
    o[w] = '\0';
    return o;
}

static int hdr_add(v4hdr *h, size_t *n, const char *prefix, const char *name, const char *value,
                   int extra)
{
    size_t pl = strlen(prefix), nl = strlen(name);
    h[*n].name = malloc(pl + nl + 1);
    h[*n].canon = canon_value(value);
    h[*n].value = value;
    h[*n].extra = extra;
    (*n)++;
    if (!h[*n - 1].name || !h[*n - 1].canon)
        return -1;
    memcpy(h[*n - 1].name, prefix, pl);
    memcpy(h[*n - 1].name + pl, name, nl + 1);
    return 0;
}

ds_status ds_sigv4_sign_request(const ds_sigv4_cfg *c, int64_t now_s, const char *method,
                                const char *url_base, const char *host, const char *path,
                                const ds_kv *query, size_t nquery, const ds_kv *sign_headers,
                                size_t nheaders, ds_buf *url, ds_buf *headers,
                                ds_sign_trace *trace, ds_error *err)
{
    v4names nm;
    char stamp[17], date[9], sig[65], hash[65];
    ds_status st = cfg_check(c, &nm, err);
    if (st != DS_OK)
        return st;
    if (!method_ok(method))
        return bad(err, DS_ERR_INTERNAL, "the method is not an upper-case word");
    if (!host_ok(host))
        return bad(err, DS_ERR_INTERNAL, "the host is empty or holds a space");
    if (!path_ok(path))
        return bad(err, DS_ERR_INVALID_PARAM, "the path is not absolute or is too long");
    if (!ds_cs_str_ok(url_base))
        return bad(err, DS_ERR_INVALID_PARAM, "the base URL is too long");
    if ((nquery && !query) || (nheaders && !sign_headers) || nheaders > 64)
        return bad(err, DS_ERR_INTERNAL, "query parameters or headers missing");
    for (size_t i = 0; i < nquery; i++)
        if (!ds_cs_str_ok(query[i].name) || !ds_cs_str_ok(query[i].value))
            return bad(err, DS_ERR_INVALID_PARAM, "a query parameter is too long");
    for (size_t i = 0; i < nheaders; i++)
        if (!hdr_name_ok(sign_headers[i].name) || !ds_cs_str_ok(sign_headers[i].value))
            return bad(err, DS_ERR_INTERNAL, "a header name is not a lower-case token, "
                                             "or its value holds CR or LF");

    ds_buf scope, cq, cr, sts, u, h;
    ds_buf_init(&scope, 1024);
    ds_buf_init(&cq, 4 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&cr, 8 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&sts, 4096);
    ds_buf_init(&u, OUT_MAX);
    ds_buf_init(&h, OUT_MAX);
    ds_cs_params params = {0};
    size_t nh = 0, hcap = nheaders + 4;
    v4hdr *hd = calloc(hcap, sizeof *hd);
    if (!hd) {
        st = nomem(err, "the headers");
        goto done;
    }
    st = make_scope(c, &nm, now_s, stamp, date, &scope, err);
    if (st != DS_OK)
        goto done;

    /* canonical query: every parameter encoded, sorted */
    for (size_t i = 0; i < nquery; i++)
        if (ds_cs_params_add(&params, query[i].name, query[i].value) < 0) {
            st = nomem(err, "the query");
            goto done;
        }
    ds_cs_params_sort(&params);
    if (ds_cs_params_join(&params, &cq) < 0) {
        st = nomem(err, "the query");
        goto done;
    }

    /* headers: the signer's own, then the caller's, sorted by name */
    if (hdr_add(hd, &nh, "", "host", host, 0) < 0 ||
        hdr_add(hd, &nh, nm.hprefix, "content-sha256", EMPTY_SHA256, 0) < 0 ||
        hdr_add(hd, &nh, nm.hprefix, "date", stamp, 0) < 0 ||
        (c->session_token && hdr_add(hd, &nh, nm.hprefix, "security-token", c->session_token, 0) < 0)) {
        st = nomem(err, "the headers");
        goto done;
    }
    for (size_t i = 0; i < nheaders; i++)
        if (hdr_add(hd, &nh, "", sign_headers[i].name, sign_headers[i].value, 1) < 0) {
            st = nomem(err, "the headers");
            goto done;
        }
    qsort(hd, nh, sizeof *hd, hdr_cmp);
    for (size_t i = 1; i < nh; i++)
        if (strcmp(hd[i - 1].name, hd[i].name) == 0) {
            st = bad(err, DS_ERR_INTERNAL, "a header to sign is given twice");
            goto done;
        }

    /* canonical request */
    int fail = ds_buf_puts(&cr, method) < 0 || ds_buf_putc(&cr, '\n') < 0 ||
               ds_uri_encode(&cr, path, strlen(path), 0) < 0 || ds_buf_putc(&cr, '\n') < 0 ||
               ds_buf_puts(&cr, cq.data) < 0 || ds_buf_putc(&cr, '\n') < 0;
    for (size_t i = 0; i < nh && !fail; i++)
        fail = ds_buf_puts(&cr, hd[i].name) < 0 || ds_buf_putc(&cr, ':') < 0 ||
               ds_buf_puts(&cr, hd[i].canon) < 0 || ds_buf_putc(&cr, '\n') < 0;
    fail = fail || ds_buf_putc(&cr, '\n') < 0;
    size_t signed_at = cr.len; /* the signed header names start here */
    for (size_t i = 0; i < nh && !fail; i++)
        fail = (i && ds_buf_putc(&cr, ';') < 0) || ds_buf_puts(&cr, hd[i].name) < 0;
    size_t signed_end = cr.len;
    fail = fail || ds_buf_puts(&cr, "\n" EMPTY_SHA256) < 0;
    if (fail) {
        st = nomem(err, "the canonical request");
        goto done;
    }
    if (ds_cs_sha256_hex(cr.data, cr.len, hash) < 0) {
        st = bad(err, DS_ERR_INTERNAL, "SHA-256 failed");
        goto done;
    }
    if (ds_buf_puts(&sts, c->algorithm) < 0 || ds_buf_putc(&sts, '\n') < 0 ||
        ds_buf_puts(&sts, stamp) < 0 || ds_buf_putc(&sts, '\n') < 0 ||
        ds_buf_puts(&sts, scope.data) < 0 || ds_buf_putc(&sts, '\n') < 0 ||
        ds_buf_append(&sts, hash, 64) < 0) {
        st = nomem(err, "the string to sign");
        goto done;
    }
    st = sign_sts(c, &nm, date, &sts, sig, err);
    if (st != DS_OK)
        goto done;

    /* the URL and the headers to send */
    fail = ds_buf_puts(&u, url_base) < 0 || ds_uri_encode(&u, path, strlen(path), 0) < 0 ||
           (cq.len && (ds_buf_putc(&u, '?') < 0 || ds_buf_append(&u, cq.data, cq.len) < 0));
    fail = fail || ds_buf_printf(&h, "%sdate: %s\n%scontent-sha256: %s\n", nm.hprefix, stamp,
                                 nm.hprefix, EMPTY_SHA256) < 0;
    if (c->session_token)
        fail = fail || ds_buf_printf(&h, "%ssecurity-token: %s\n", nm.hprefix, c->session_token) < 0;
    for (size_t i = 0; i < nheaders; i++)
        fail = fail || ds_buf_printf(&h, "%s: %s\n", sign_headers[i].name, sign_headers[i].value) < 0;
    fail = fail || ds_buf_printf(&h, "Authorization: %s Credential=%s/%s, SignedHeaders=%.*s, Signature=%s\n",
                                 c->algorithm, c->access_key_id, scope.data,
                                 (int)(signed_end - signed_at), cr.data + signed_at, sig) < 0;
    if (fail) {
        st = nomem(err, "the request");
        goto done;
    }
    size_t url_len0 = url->len;
    if (ds_buf_append(url, u.data, u.len) < 0) {
        st = nomem(err, "the request URL");
        goto done;
    }
    if (ds_buf_append(headers, h.data, h.len) < 0) {
        if (url->data) {
            url->len = url_len0;
            url->data[url_len0] = '\0';
        }
        st = nomem(err, "the request headers");
        goto done;
    }
    if (trace) {
        ds_cs_trace(trace->canonical_request, &cr);
        ds_cs_trace(trace->string_to_sign, &sts);
    }
done:
    for (size_t i = 0; hd && i < nh; i++) {
        free(hd[i].name);
        free(hd[i].canon);
    }
    free(hd);
    ds_cs_params_free(&params);
    ds_buf_free(&scope);
    ds_buf_free(&cq);
    ds_buf_free(&cr);
    ds_buf_free(&sts);
    ds_buf_free(&u);
    /* the header block may hold the session token */
    if (h.data)
        sodium_memzero(h.data, h.len);
    ds_buf_free(&h);
    return st;
}
