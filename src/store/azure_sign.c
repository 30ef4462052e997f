/* azure_sign.c - Azure Blob Storage: service SAS for one blob, account SAS,
 * and SharedKey Authorization headers (see cloudsign.h for what is
 * signed).  All three are HMAC-SHA256 under the base64-decoded account key,
 * sent as standard base64. */
#include "config.h"
#include "store/cloudsign.h"
#include "store/cloudsign_int.h"
#include "util/text.h"
#include <sodium.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The first service version whose string to sign has the encryption
 * scope line (service SAS: 16 lines instead of 15; account SAS: one
 * more line). */
#define SV_SES "2020-12-06"
/* The oldest version with today's service-SAS layout (sr, snapshot). */
#define SV_MIN "2018-11-09"
/* encodeURIComponent's unreserved set, as the SDK writes SAS values */
#define JS_KEEP "-_.!~*'()"
#define B64_ORIG sodium_base64_VARIANT_ORIGINAL

static ds_status fail_with(ds_error *err, ds_status st, const char *why)
{
    ds_error_set(err, st, DS_CS_FAILED);
    ds_error_detail(err, "Azure signing: %s", why);
    return err ? err->status : st;
}

int ds_base64_decode_alloc(const char *b64, size_t n, unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    if (!b64 || n == 0 || n > DS_CLOUDSIGN_MAX)
        return -1;
    size_t cap = n / 4 * 3 + 3, bl = 0;
    const char *end = NULL;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return -1;
    if (sodium_base642bin(buf, cap, b64, n, NULL, &bl, &end, B64_ORIG) != 0 || end != b64 + n ||
        bl == 0) {
        sodium_memzero(buf, cap);
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = bl;
    return 0;
}

int ds_azure_path_encode(ds_buf *out, const char *s, size_t n)
{
    return ds_cs_pct_encode(out, s, n, "-_.~!()*/");
}

/* YYYY-MM-DD */
static int sv_ok(const char *sv)
{
    if (!sv || strlen(sv) != 10)
        return 0;
    for (int i = 0; i < 10; i++)
        if (i == 4 || i == 7 ? sv[i] != '-' : (sv[i] < '0' || sv[i] > '9'))
            return 0;
    return 1;
}

/* base64 HMAC-SHA256 of text under key into b64 (at least 45 bytes). */
static ds_status sign_b64(const unsigned char *key, size_t keylen, const ds_buf *text,
                          char b64[45], ds_error *err)
{
    unsigned char mac[32];
    if (!key || keylen == 0 || ds_cs_hmac(key, keylen, text->data, text->len, mac) < 0)
        return fail_with(err, DS_ERR_INTERNAL, "HMAC-SHA256 failed (no key?)");
    sodium_bin2base64(b64, 45, mac, sizeof mac, B64_ORIG);
    return DS_OK;
}

/* Appends "&name=<value encoded>" (no '&' when first). */
static int put_q(ds_buf *q, const char *name, const char *value)
{
    return (q->len && ds_buf_putc(q, '&') < 0) || ds_buf_puts(q, name) < 0 ||
                   ds_buf_putc(q, '=') < 0 || ds_cs_pct_encode(q, value, strlen(value), JS_KEEP) < 0
               ? -1
               : 0;
}

static int field(ds_buf *b, const char *v, int newline)
{
    return (v && ds_buf_puts(b, v) < 0) || (newline && ds_buf_putc(b, '\n') < 0) ? -1 : 0;
}

/* Both SAS kinds: the times, checked and formatted. */
static ds_status sas_times(int64_t st_s, int64_t se_s, char st[21], char se[21], ds_error *err)
{
    st[0] = '\0';
    if (st_s != -1 && ds_cs_iso_time(st_s, st) < 0)
        return fail_with(err, DS_ERR_INVALID_PARAM, "the start time is out of range");
    if (ds_cs_iso_time(se_s, se) < 0)
        return fail_with(err, DS_ERR_INVALID_PARAM, "the expiry time is out of range");
    if (st_s != -1 && se_s <= st_s)
        return fail_with(err, DS_ERR_INVALID_PARAM, "the expiry is not after the start");
    return DS_OK;
}

static int plain_ok(const char *s)
{
    return ds_cs_str_ok(s) && *s;
}

ds_status ds_azure_blob_sas(const ds_azure_sas *s, const unsigned char *key, size_t keylen,
                            ds_buf *out, ds_sign_trace *trace, ds_error *err)
{
    char st[21], se[21], sig[45];
    if (!s || !plain_ok(s->account) || !plain_ok(s->container) || !plain_ok(s->blob) ||
        !plain_ok(s->sp) || strchr(s->account, '/') || strchr(s->container, '/'))
        return fail_with(err, DS_ERR_INTERNAL, "account, container, blob or sp missing");
    if (!sv_ok(s->sv))
        return fail_with(err, DS_ERR_CONFIG, "sv is not a YYYY-MM-DD version");
    if (strcmp(s->sv, SV_MIN) < 0)
        return fail_with(err, DS_ERR_UNSUPPORTED, "sv is older than 2018-11-09");
    if ((s->spr && !plain_ok(s->spr)) || (s->rscd && !ds_cs_str_ok(s->rscd)) ||
        (s->rsct && !ds_cs_str_ok(s->rsct)))
        return fail_with(err, DS_ERR_INVALID_PARAM, "spr, rscd or rsct holds CR or LF");
    ds_status rc = sas_times(s->st_s, s->se_s, st, se, err);
    if (rc != DS_OK)
        return rc;

    ds_buf sts, q;
    ds_buf_init(&sts, 4 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&q, 8 * DS_CLOUDSIGN_MAX);
    int ses = strcmp(s->sv, SV_SES) >= 0;
    int fail = field(&sts, s->sp, 1) < 0 || field(&sts, st, 1) < 0 || field(&sts, se, 1) < 0 ||
               field(&sts, "/blob/", 0) < 0 || field(&sts, s->account, 0) < 0 ||
               field(&sts, "/", 0) < 0 || field(&sts, s->container, 0) < 0 ||
               field(&sts, "/", 0) < 0 || field(&sts, s->blob, 1) < 0 ||
               field(&sts, "", 1) < 0 /* si */ || field(&sts, "", 1) < 0 /* sip */ ||
               field(&sts, s->spr, 1) < 0 || field(&sts, s->sv, 1) < 0 ||
               field(&sts, "b", 1) < 0 || field(&sts, "", 1) < 0 /* snapshot time */ ||
               (ses && field(&sts, "", 1) < 0) /* encryption scope */ ||
               field(&sts, "", 1) < 0 /* rscc */ || field(&sts, s->rscd, 1) < 0 ||
               field(&sts, "", 1) < 0 /* rsce */ || field(&sts, "", 1) < 0 /* rscl */ ||
               field(&sts, s->rsct, 0) < 0;
    if (fail) {
        rc = fail_with(err, DS_ERR_NOMEM, "the string to sign does not fit its buffer");
        goto done;
    }
    rc = sign_b64(key, keylen, &sts, sig, err);
    if (rc != DS_OK)
        goto done;
    fail = put_q(&q, "sv", s->sv) < 0 || (s->spr && put_q(&q, "spr", s->spr) < 0) ||
           (st[0] && put_q(&q, "st", st) < 0) || put_q(&q, "se", se) < 0 ||
           put_q(&q, "sr", "b") < 0 || put_q(&q, "sp", s->sp) < 0 ||
           (s->rscd && put_q(&q, "rscd", s->rscd) < 0) ||
           (s->rsct && put_q(&q, "rsct", s->rsct) < 0) || put_q(&q, "sig", sig) < 0 ||
           ds_buf_append(out, q.data, q.len) < 0;
    if (fail) {
        rc = fail_with(err, DS_ERR_NOMEM, "the SAS does not fit its buffer");
        goto done;
    }
    if (trace)
        ds_cs_trace(trace->string_to_sign, &sts);
done:
    ds_buf_free(&sts);
    ds_buf_free(&q);
    return rc;
}

ds_status ds_azure_account_sas_query(const ds_azure_account_sas *s, const unsigned char *key,
                                     size_t keylen, ds_buf *out, ds_sign_trace *trace,
                                     ds_error *err)
{
    char st[21], se[21], sig[45];
    if (!s || !plain_ok(s->account) || !plain_ok(s->ss) || !plain_ok(s->srt) || !plain_ok(s->sp))
        return fail_with(err, DS_ERR_INTERNAL, "account, ss, srt or sp missing");
    if (!sv_ok(s->sv))
        return fail_with(err, DS_ERR_CONFIG, "sv is not a YYYY-MM-DD version");
    if (strcmp(s->sv, SV_MIN) < 0)
        return fail_with(err, DS_ERR_UNSUPPORTED, "sv is older than 2018-11-09");
    if (s->spr && !plain_ok(s->spr))
        return fail_with(err, DS_ERR_INVALID_PARAM, "spr holds CR or LF");
    ds_status rc = sas_times(s->st_s, s->se_s, st, se, err);
    if (rc != DS_OK)
        return rc;

    ds_buf sts, q;
    ds_buf_init(&sts, 4096);
    ds_buf_init(&q, 4096);
    int fail = field(&sts, s->account, 1) < 0 || field(&sts, s->sp, 1) < 0 ||
               field(&sts, s->ss, 1) < 0 || field(&sts, s->srt, 1) < 0 ||
               field(&sts, st, 1) < 0 || field(&sts, se, 1) < 0 ||
               field(&sts, "", 1) < 0 /* sip */ || field(&sts, s->spr, 1) < 0 ||
               field(&sts, s->sv, 1) < 0 ||
               (strcmp(s->sv, SV_SES) >= 0 && field(&sts, "", 1) < 0) /* encryption scope */;
    if (fail) {
        rc = fail_with(err, DS_ERR_NOMEM, "the string to sign does not fit its buffer");
        goto done;
    }
    rc = sign_b64(key, keylen, &sts, sig, err);
    if (rc != DS_OK)
        goto done;
    fail = put_q(&q, "sv", s->sv) < 0 || put_q(&q, "ss", s->ss) < 0 ||
           put_q(&q, "srt", s->srt) < 0 || (s->spr && put_q(&q, "spr", s->spr) < 0) ||
           (st[0] && put_q(&q, "st", st) < 0) || put_q(&q, "se", se) < 0 ||
           put_q(&q, "sp", s->sp) < 0 || put_q(&q, "sig", sig) < 0 ||
           ds_buf_append(out, q.data, q.len) < 0;
    if (fail) {
        rc = fail_with(err, DS_ERR_NOMEM, "the SAS does not fit its buffer");
        goto done;
    }
    if (trace)
        ds_cs_trace(trace->string_to_sign, &sts);
done:
    ds_buf_free(&sts);
    ds_buf_free(&q);
    return rc;
}

/* ---- SharedKey ------------------------------------------------------------ */

/* The standard headers of the string to sign, in their order. */
static const char *const std_headers[] = {
    "content-encoding", "content-language", "content-length", "content-md5",
    "content-type",     "date",             "if-modified-since", "if-match",
    "if-none-match",    "if-unmodified-since", "range",
};

typedef struct kv_own {
    char *name; /* lower case, malloc'd */
    const char *value;
} kv_own;

static int kv_cmp(const void *a, const void *b)
{
    const kv_own *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *lower_dup(const char *s)
{
    size_t n = strlen(s);
    char *o = malloc(n + 1);
    if (!o)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        o[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
    return o;
}

/* value without leading and trailing blanks */
static int put_trimmed(ds_buf *b, const char *v)
{
    size_t n = strlen(v);
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    return ds_buf_append(b, v, n);
}

static void kv_free(kv_own *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].name);
    free(v);
}

ds_status ds_azure_shared_key(const char *account, const unsigned char *key, size_t keylen,
                              const char *method, const char *path, const ds_kv *query,
                              size_t nquery, const ds_kv *headers, size_t nheaders,
                              ds_buf *authorization, ds_sign_trace *trace, ds_error *err)
{
    char sig[45];
    if (!plain_ok(account) || strchr(account, '/') || !plain_ok(method) || !ds_cs_str_ok(path) ||
        (*path && *path != '/'))
        return fail_with(err, DS_ERR_INTERNAL, "account, method or path missing");
    if ((nquery && !query) || (nheaders && !headers) || nquery > 1024 || nheaders > 1024)
        return fail_with(err, DS_ERR_INTERNAL, "query parameters or headers missing");
    for (size_t i = 0; i < nquery; i++)
        if (!plain_ok(query[i].name) || !ds_cs_str_ok(query[i].value))
            return fail_with(err, DS_ERR_INVALID_PARAM, "a query parameter holds CR or LF");
    for (size_t i = 0; i < nheaders; i++)
        if (!plain_ok(headers[i].name) || !ds_cs_str_ok(headers[i].value))
            return fail_with(err, DS_ERR_INVALID_PARAM, "a header holds CR or LF");

    ds_status rc = DS_OK;
    ds_buf sts, a;
    ds_buf_init(&sts, 8 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&a, 1024);
    kv_own *xms = calloc(nheaders + 1, sizeof *xms), *qs = calloc(nquery + 1, sizeof *qs);
    size_t nx = 0, nq = 0;
    int fail = !xms || !qs;

    /* verb and the standard headers */
    fail = fail || ds_buf_puts(&sts, method) < 0 || ds_buf_putc(&sts, '\n') < 0;
    for (size_t k = 0; k < sizeof std_headers / sizeof std_headers[0] && !fail; k++) {
        const char *v = NULL;
        for (size_t i = 0; i < nheaders; i++)
            if (ds_strcaseeq(headers[i].name, std_headers[k]))
                v = headers[i].value;
        if (v && k == 2 && strcmp(v, "0") == 0)
            v = NULL; /* Content-Length: 0 is signed as empty */
        fail = (v && put_trimmed(&sts, v) < 0) || ds_buf_putc(&sts, '\n') < 0;
    }
    /* x-ms-* headers, lower case, sorted */
    for (size_t i = 0; i < nheaders && !fail; i++) {
        if (strncasecmp(headers[i].name, "x-ms-", 5) != 0)
            continue;
        xms[nx].value = headers[i].value;
        fail = !(xms[nx++].name = lower_dup(headers[i].name));
    }
    if (!fail)
        qsort(xms, nx, sizeof *xms, kv_cmp);
    for (size_t i = 0; i < nx && !fail; i++)
        fail = ds_buf_puts(&sts, xms[i].name) < 0 || ds_buf_putc(&sts, ':') < 0 ||
               put_trimmed(&sts, xms[i].value) < 0 || ds_buf_putc(&sts, '\n') < 0;
    /* canonicalized resource: /account + the path as sent, then the query */
    fail = fail || ds_buf_putc(&sts, '/') < 0 || ds_buf_puts(&sts, account) < 0 ||
           (*path ? ds_azure_path_encode(&sts, path, strlen(path)) : ds_buf_putc(&sts, '/')) < 0;
    for (size_t i = 0; i < nquery && !fail; i++) {
        qs[nq].value = query[i].value;
        fail = !(qs[nq++].name = lower_dup(query[i].name));
    }
    if (!fail)
        qsort(qs, nq, sizeof *qs, kv_cmp);
    for (size_t i = 0; i < nq && !fail; i++) {
        if (i && strcmp(qs[i - 1].name, qs[i].name) == 0)
            fail = ds_buf_putc(&sts, ',') < 0; /* a repeated name: values joined */
        else
            fail = ds_buf_putc(&sts, '\n') < 0 || ds_buf_puts(&sts, qs[i].name) < 0 ||
                   ds_buf_putc(&sts, ':') < 0;
        fail = fail || ds_buf_puts(&sts, qs[i].value) < 0;
    }
    if (fail) {
        rc = fail_with(err, DS_ERR_NOMEM, "the string to sign does not fit its buffer");
        goto done;
    }
    rc = sign_b64(key, keylen, &sts, sig, err);
    if (rc != DS_OK)
        goto done;
    if (ds_buf_puts(&a, "SharedKey ") < 0 || ds_buf_puts(&a, account) < 0 ||
        ds_buf_putc(&a, ':') < 0 || ds_buf_puts(&a, sig) < 0 ||
        ds_buf_append(authorization, a.data, a.len) < 0) {
        rc = fail_with(err, DS_ERR_NOMEM, "the Authorization header does not fit its buffer");
        goto done;
    }
    if (trace)
        ds_cs_trace(trace->string_to_sign, &sts);
done:
    kv_free(xms, nx);
    kv_free(qs, nq);
    ds_buf_free(&sts);
    ds_buf_free(&a);
    return rc;
}
