/* check_sign.c - the local link signer (src/store/sign_local.c): presign
 * and open round trips, tampering, expiry, keys, path rules, URL shape and
 * determinism, the signer choice, and deletion-vector paths (synthetic
 * ones, and every "u" vector of the DV fixture tables, which must name a
 * file that exists). */
#include "config.h"
#include "deltasharing.h"
#include "catalog/catalog.h"
#include "delta/delta.h"
#include "store/sign.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "testutil.h"
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define NOW INT64_C(1788220800000) /* 2026-09-01T00:00:00Z */
#define ENDPOINT "https://sharing.example.com/delta-sharing"
#define ROOT "file:///srv/delta/t 2"
#define DENIED "This link is not valid, or it has expired."
#define OUTSIDE "This table refers to files outside its location and cannot be shared."
#define CORRUPT "The table's Delta log is malformed and cannot be read."

static const unsigned char key_a[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char key_b[32] = "0123456789abcdef0123456789abcdeF";

/* A catalog whose link-key-file holds key (NULL: no key, no local table). */
static ds_catalog *catalog_with(const unsigned char *key)
{
    char kpath[256] = "", text[1024];
    if (key)
        tu_write_temp(key, 32, kpath, sizeof kpath);
    snprintf(text, sizeof text,
             "endpoint = " ENDPOINT "/\n"
             "%s%s%s"
             "share.name = s\nschema.name = d\ntable.name = t\n"
             "table.location = %s\n",
             key ? "link-key-file = " : "", kpath, key ? "\n" : "",
             key ? "\"" ROOT "\"" : "s3://bucket/t");
    ds_error err;
    ds_error_clear(&err);
    ds_catalog *c = ds_catalog_parse("test.conf", text, strlen(text), &err);
    if (key)
        unlink(kpath);
    ck_assert_msg(c != NULL, "config: %s", err.message);
    return c;
}

static ds_catalog *cat_a, *cat_b;
static ds_arena *arena;

static void setup(void)
{
    ds_set_fixed_time(NOW);
    cat_a = catalog_with(key_a);
    cat_b = catalog_with(key_b);
    arena = ds_arena_new(0);
    ck_assert_ptr_nonnull(arena);
}

static void teardown(void)
{
    ds_catalog_free(cat_a);
    ds_catalog_free(cat_b);
    ds_arena_free(arena);
    ds_set_clock(NULL, NULL);
}

static const ds_link_owner acme = {"acme", "s", "d", "t"};

/* Signs path under root; returns the status and fills url (caller frees). */
static ds_status sign(const ds_catalog *c, const char *root, const char *path, int64_t ttl,
                      const ds_link_owner *owner, ds_buf *url, int64_t *exp, ds_error *err)
{
    ds_buf_init(url, 64 * 1024);
    ds_error_clear(err);
    return ds_local_signer.presign((void *)c, root, path, ttl, owner, url, exp, err);
}

/* Splits a signed URL into token and sig (static buffers). */
static void split_url(const char *url, char *token, size_t tsz, char *sig, size_t ssz)
{
    const char *pfx = ENDPOINT "/files/";
    ck_assert_msg(strncmp(url, pfx, strlen(pfx)) == 0, "url '%s'", url);
    const char *t = url + strlen(pfx);
    const char *q = strstr(t, "?sp=r&sig=");
    ck_assert_ptr_nonnull(q);
    ck_assert_uint_lt((size_t)(q - t), tsz);
    memcpy(token, t, (size_t)(q - t));
    token[q - t] = '\0';
    const char *s = q + strlen("?sp=r&sig=");
    ck_assert_uint_lt(strlen(s), ssz);
    strcpy(sig, s);
    /* only URL-safe base64 characters: nothing a client could re-quote */
    for (const char *c = token; *c; c++)
        ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                             *c) != NULL, "token char '%c'", *c);
    for (const char *c = sig; *c; c++)
        ck_assert(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                         *c) != NULL);
    ck_assert_uint_eq(strlen(sig), 22);
}

static char g_token[8192], g_sig[64];

/* A fresh link for "part=1/a%20b.parquet", split into g_token/g_sig. */
static void make_link(const ds_catalog *c)
{
    ds_buf url;
    ds_error err;
    int64_t exp = 0;
    ck_assert_int_eq(sign(c, ROOT, "part=1/a%20b.parquet", 3600, &acme, &url, &exp, &err),
                     DS_OK);
    split_url(url.data, g_token, sizeof g_token, g_sig, sizeof g_sig);
    ds_buf_free(&url);
}

static void assert_denied(const ds_catalog *c, const char *token, const char *sig,
                          const char *detail_has)
{
    ds_error err;
    ds_error_clear(&err);
    ds_local_link l;
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(ds_local_link_open(c, arena, token, sig, &l, &err), DS_ERR_FORBIDDEN);
    ck_assert_str_eq(err.message, DENIED);
    ck_assert_ptr_null(l.root);
    if (detail_has)
        ck_assert_msg(strstr(err.detail, detail_has) != NULL, "detail '%s' lacks '%s'",
                      err.detail, detail_has);
    /* the log detail never quotes the token or the signature */
    if (token && strlen(token) > 8)
        ck_assert_ptr_null(strstr(err.detail, token));
    if (sig && strlen(sig) > 8)
        ck_assert_ptr_null(strstr(err.detail, sig));
}

/* ====================================================================
 * round trips
 * ================================================================== */

START_TEST(round_trip)
{
    ds_buf url;
    ds_error err;
    int64_t exp = 0;
    ck_assert_int_eq(sign(cat_a, ROOT, "part=1/a%20b.parquet", 3600, &acme, &url, &exp, &err),
                     DS_OK);
    ck_assert_int_eq(exp, NOW + 3600 * 1000);
    char token[8192], sig[64];
    split_url(url.data, token, sizeof token, sig, sizeof sig);
    /* the storage path never shows in the URL */
    ck_assert_ptr_null(strstr(url.data, "srv"));
    ck_assert_ptr_null(strstr(url.data, "part"));
    ds_local_link l;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
    ck_assert_str_eq(l.root, ROOT);
    ck_assert_str_eq(l.relpath, "part=1/a b.parquet");
    ck_assert_int_eq(l.expires_ms, NOW + 3600 * 1000);
    ck_assert_str_eq(l.owner.recipient, "acme");
    ck_assert_str_eq(l.owner.share, "s");
    ck_assert_str_eq(l.owner.schema, "d");
    ck_assert_str_eq(l.owner.table, "t");
    ds_buf_free(&url);
}
END_TEST

START_TEST(round_trip_without_owner)
{
    ds_buf url;
    ds_error err;
    int64_t exp;
    static const ds_link_owner partial = {NULL, "s", NULL, "t"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(sign(cat_a, ROOT "/", "x", 60, i ? &partial : NULL, &url, &exp, &err),
                         DS_OK);
        char token[8192], sig[64];
        split_url(url.data, token, sizeof token, sig, sizeof sig);
        ds_local_link l;
        ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
        ck_assert_str_eq(l.root, ROOT); /* trailing '/' dropped */
        ck_assert_str_eq(l.relpath, "x");
        ck_assert_str_eq(l.owner.recipient, "");
        ck_assert_str_eq(l.owner.share, i ? "s" : "");
        ck_assert_str_eq(l.owner.schema, "");
        ck_assert_str_eq(l.owner.table, i ? "t" : "");
        ds_buf_free(&url);
    }
}
END_TEST

START_TEST(appends_to_the_buffer)
{
    ds_buf url;
    ds_buf_init(&url, 64 * 1024);
    ck_assert_int_eq(ds_buf_puts(&url, "{\"url\":\""), 0);
    ds_error err;
    ds_error_clear(&err);
    int64_t exp;
    ck_assert_int_eq(ds_local_signer.presign(cat_a, ROOT, "a", 60, &acme, &url, &exp, &err),
                     DS_OK);
    ck_assert_int_eq(strncmp(url.data, "{\"url\":\"" ENDPOINT "/files/", 8 + strlen(ENDPOINT) + 7),
                     0);
    /* nothing is appended on failure */
    size_t len = url.len;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_signer.presign(cat_a, ROOT, "a/../b", 60, &acme, &url, &exp,
                                             &err), DS_ERR_INTERNAL);
    ck_assert_uint_eq(url.len, len);
    ck_assert_str_eq(ds_local_signer.name, "local");
    ds_buf_free(&url);
}
END_TEST

START_TEST(deterministic)
{
    ds_buf u1, u2, u3, u4, u5;
    ds_error err;
    int64_t exp;
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u1, &exp, &err), DS_OK);
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u2, &exp, &err), DS_OK);
    ck_assert_str_eq(u1.data, u2.data); /* byte for byte on a fixed clock */
    /* the same object written either way gives the same link */
    ck_assert_int_eq(sign(cat_a, ROOT, "file:///srv/delta/t%202/a.parquet", 3600, &acme, &u3,
                          &exp, &err), DS_OK);
    ck_assert_str_eq(u1.data, u3.data);
    ds_set_fixed_time(NOW + 1);
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u4, &exp, &err), DS_OK);
    ck_assert_str_ne(u1.data, u4.data);
    ds_set_fixed_time(NOW);
    ck_assert_int_eq(sign(cat_b, ROOT, "a.parquet", 3600, &acme, &u5, &exp, &err), DS_OK);
    ck_assert_str_ne(u1.data, u5.data);
    /* every field counts */
    static const ds_link_owner others[] = {
        {"acmf", "s", "d", "t"}, {"acme", "S", "d", "t"}, {"acme", "s", "e", "t"},
        {"acme", "s", "d", "u"}, {"acm", "es", "d", "t"}};
    for (size_t i = 0; i < N_ELEMS(others); i++) {
        ds_buf o;
        ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &others[i], &o, &exp, &err),
                         DS_OK);
        ck_assert_str_ne(u1.data, o.data);
        ds_buf_free(&o);
    }
    ds_buf_free(&u1);
    ds_buf_free(&u2);
    ds_buf_free(&u3);
    ds_buf_free(&u4);
    ds_buf_free(&u5);
}
END_TEST

/* ====================================================================
 * tampering, keys, expiry
 * ================================================================== */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* A character other than c, chosen by k (0: the one differing in the
 * lowest bit, which in the last character touches padding bits only). */
static char other_char(char c, int k)
{
    const char *p = strchr(b64chars, c);
    ck_assert_ptr_nonnull(p);
    int i = (int)(p - b64chars);
    static const int step[] = {0, 17, 32, 63};
    return b64chars[k == 0 ? i ^ 1 : (i + step[k]) % 64];
}

START_TEST(tamper_every_token_char)
{
    make_link(cat_a);
    size_t n = strlen(g_token);
    ck_assert_uint_gt(n, 40);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            char t[8192];
            strcpy(t, g_token);
            t[i] = other_char(t[i], k);
            ck_assert(t[i] != g_token[i]);
            assert_denied(cat_a, t, g_sig, NULL);
        }
}
END_TEST

START_TEST(tamper_every_sig_char)
{
    make_link(cat_a);
    for (size_t i = 0; i < 22; i++)
        for (int k = 0; k < 4; k++) {
            char s[64];
            strcpy(s, g_sig);
            s[i] = other_char(s[i], k);
            ck_assert(s[i] != g_sig[i]);
            assert_denied(cat_a, g_token, s, NULL);
        }
}
END_TEST

START_TEST(garbled_links)
{
    make_link(cat_a);
    char t[8200], s[80];
    /* truncated or extended token */
    snprintf(t, sizeof t, "%.*s", (int)strlen(g_token) - 1, g_token);
    assert_denied(cat_a, t, g_sig, NULL);
    snprintf(t, sizeof t, "%sA", g_token);
    assert_denied(cat_a, t, g_sig, NULL);
    snprintf(t, sizeof t, "%sAAAA", g_token);
    assert_denied(cat_a, t, g_sig, "authentication failed");
    snprintf(t, sizeof t, "%.40s", g_token);
    assert_denied(cat_a, t, g_sig, NULL);
    assert_denied(cat_a, "AAAA", g_sig, "too short");
    assert_denied(cat_a, "", g_sig, "length");
    assert_denied(cat_a, NULL, g_sig, "missing");
    assert_denied(cat_a, g_token, NULL, "missing");
    /* characters outside URL-safe base64, padding, standard base64 */
    snprintf(t, sizeof t, "%s==", g_token);
    assert_denied(cat_a, t, g_sig, "base64");
    strcpy(t, g_token);
    t[5] = '+';
    assert_denied(cat_a, t, g_sig, "base64");
    strcpy(t, g_token);
    t[5] = '%';
    assert_denied(cat_a, t, g_sig, "base64");
    /* signature: wrong length, bad characters, swapped with the token */
    snprintf(s, sizeof s, "%.21s", g_sig);
    assert_denied(cat_a, g_token, s, "length");
    snprintf(s, sizeof s, "%sA", g_sig);
    assert_denied(cat_a, g_token, s, "length");
    strcpy(s, g_sig);
    s[3] = '/';
    assert_denied(cat_a, g_token, s, "base64");
    assert_denied(cat_a, g_sig, g_token, NULL);
    /* longer than the cap: refused before decoding */
    char *big = malloc(DS_LINK_TOKEN_MAX + 2);
    ck_assert_ptr_nonnull(big);
    memset(big, 'A', DS_LINK_TOKEN_MAX + 1);
    big[DS_LINK_TOKEN_MAX + 1] = '\0';
    assert_denied(cat_a, big, g_sig, "length");
    big[DS_LINK_TOKEN_MAX] = '\0';
    assert_denied(cat_a, big, g_sig, "authentication failed");
    free(big);
}
END_TEST

START_TEST(wrong_key)
{
    make_link(cat_a);
    assert_denied(cat_b, g_token, g_sig, "authentication failed");
    /* a catalog without any key refuses every link */
    ds_catalog *none = catalog_with(NULL);
    assert_denied(none, g_token, g_sig, "no link-key-file");
    ds_catalog_free(none);
    /* a token from one link with the signature of another */
    char t1[8192];
    strcpy(t1, g_token);
    ds_buf url;
    ds_error err;
    int64_t exp;
    ck_assert_int_eq(sign(cat_a, ROOT, "other", 3600, &acme, &url, &exp, &err), DS_OK);
    char t2[8192], s2[64];
    split_url(url.data, t2, sizeof t2, s2, sizeof s2);
    assert_denied(cat_a, t1, s2, "authentication failed");
    assert_denied(cat_a, t2, g_sig, "authentication failed");
    ds_buf_free(&url);
}
END_TEST

START_TEST(expiry_boundary)
{
    ds_buf url;
    ds_error err;
    int64_t exp;
    ck_assert_int_eq(sign(cat_a, ROOT, "a", 60, &acme, &url, &exp, &err), DS_OK);
    ck_assert_int_eq(exp, NOW + 60000);
    char token[8192], sig[64];
    split_url(url.data, token, sizeof token, sig, sizeof sig);
    ds_local_link l;
    /* valid up to and including the expiry millisecond */
    ds_set_fixed_time(NOW + 60000);
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
    ds_set_fixed_time(NOW - 1000); /* before signing: still fine */
    ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
    ds_set_fixed_time(NOW + 60001);
    assert_denied(cat_a, token, sig, "expired at 2026-09-01T00:01:00.000Z");
    ds_buf_free(&url);
}
END_TEST

START_TEST(lifetime_out_of_range)
{
    ds_buf url;
    ds_error err;
    int64_t exp = 7;
    static const int64_t bad[] = {0, -1, INT64_MAX / 1000, INT64_C(400) * 86400 * 366};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        ck_assert_int_eq(sign(cat_a, ROOT, "a", bad[i], &acme, &url, &exp, &err),
                         DS_ERR_INTERNAL);
        ck_assert_uint_eq(url.len, 0);
        ck_assert_int_eq(exp, 7);
        ds_buf_free(&url);
    }
}
END_TEST

/* A token sealed with cat's real keys around an arbitrary record: reaches
 * the checks that run after authentication. */
static void seal(const ds_catalog *c, const unsigned char *pt, size_t n, char *token,
                 size_t tsz, char *sig, size_t ssz)
{
    unsigned char enc[32], raw[24 + 512], tag[16];
    ck_assert_uint_le(n, 512);
    crypto_kdf_derive_from_key(enc, sizeof enc, 1, "ds-files", c->link_key);
    randombytes_buf(raw, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(
        raw + 24, tag, NULL, pt, n, (const unsigned char *)"delta-sharing-fcgi /files/ link",
        31, NULL, raw, enc);
    sodium_bin2base64(token, tsz, raw, 24 + n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_bin2base64(sig, ssz, tag, 16, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static size_t record(unsigned char *pt, int version, int64_t exp, const char *fields,
                     size_t flen)
{
    pt[0] = (unsigned char)version;
    for (int i = 0; i < 8; i++)
        pt[1 + i] = (unsigned char)((uint64_t)exp >> (56 - 8 * i));
    memcpy(pt + 9, fields, flen);
    return 9 + flen;
}

#define F(s) s, sizeof(s) - 1

START_TEST(sealed_records)
{
    unsigned char pt[512];
    char t[1024], s[64];
    int64_t later = NOW + 1000;
    ds_local_link l;
    ds_error err;
    /* the well-formed record opens (the test seals like the signer) */
    size_t n = record(pt, 1, later, F("file:///r\0a/b\0acme\0s\0d\0t"));
    seal(cat_a, pt, n, t, sizeof t, s, sizeof s);
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_link_open(cat_a, arena, t, s, &l, &err), DS_OK);
    ck_assert_str_eq(l.relpath, "a/b");
    ck_assert_str_eq(l.owner.table, "t");
    /* and each malformed one is refused */
    static const struct {
        int version;
        const char *f;
        size_t n;
        const char *why;
    } bad[] = {
        {2, F("file:///r\0a/b\0acme\0s\0d\0t"), "version"},
        {0, F("file:///r\0a/b\0acme\0s\0d\0t"), "version"},
        {1, F("file:///r\0a/b\0acme\0s\0d"), "malformed"},
        {1, F("file:///r\0a/b\0acme\0s\0d\0t\0"), "malformed"},
        {1, F("file:///r\0a/b\0acme\0s\0d\0t\0x"), "malformed"},
        {1, F("s3://r\0a/b\0acme\0s\0d\0t"), "malformed"},
        {1, F("file:///r\0a/../b\0acme\0s\0d\0t"), "malformed"},
        {1, F("file:///r\0\0acme\0s\0d\0t"), "malformed"},
        {1, F("file:///r\0/a\0acme\0s\0d\0t"), "malformed"},
        {1, F("\0\0\0\0\0"), "malformed"},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        n = record(pt, bad[i].version, later, bad[i].f, bad[i].n);
        seal(cat_a, pt, n, t, sizeof t, s, sizeof s);
        assert_denied(cat_a, t, s, bad[i].why);
    }
    /* expiry is read as a signed 64-bit number */
    n = record(pt, 1, -1, F("file:///r\0a\0\0\0\0"));
    seal(cat_a, pt, n, t, sizeof t, s, sizeof s);
    assert_denied(cat_a, t, s, "expired");
}
END_TEST

/* ====================================================================
 * path rules
 * ================================================================== */

static const struct {
    const char *path;
    ds_status st;
    const char *rel;     /* decoded relative path when DS_OK */
    const char *message; /* public message otherwise */
} path_cases[] = {
    {"a.parquet", DS_OK, "a.parquet", NULL},
    {"part=1/a.parquet", DS_OK, "part=1/a.parquet", NULL},
    {"a%2Fb.parquet", DS_OK, "a/b.parquet", NULL},      /* %2F is a separator once decoded */
    {"a%252Fb.parquet", DS_OK, "a%2Fb.parquet", NULL},  /* decoded exactly once */
    {"_2=bar+%252521/p.parquet", DS_OK, "_2=bar+%2521/p.parquet", NULL},
    {"x+y", DS_OK, "x+y", NULL},                        /* '+' is literal in paths */
    {"%C3%A9t%C3%A9", DS_OK, "\xc3\xa9t\xc3\xa9", NULL},
    {"...", DS_OK, "...", NULL},
    {".hidden/..x", DS_OK, ".hidden/..x", NULL},
    {"deletion_vector_0229ec3d-5100-44e1-8e53-702d448da8da.bin", DS_OK,
     "deletion_vector_0229ec3d-5100-44e1-8e53-702d448da8da.bin", NULL},
    /* absolute URIs below the root become relative */
    {"file:///srv/delta/t%202/a/b.parquet", DS_OK, "a/b.parquet", NULL},
    {"file:/srv/delta/t%202/a%20b", DS_OK, "a b", NULL},
    {"file://localhost/srv/delta/t%202/x", DS_OK, "x", NULL},
    {"FILE:///srv/delta/t%202/x", DS_OK, "x", NULL},
    {"file:///srv/delta/t 2/x", DS_OK, "x", NULL},
    {"file:///srv/delta/t%202%2Fx", DS_OK, "x", NULL},
    /* a corrupt log */
    {"", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"/a", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a/", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a//b", DS_ERR_INTERNAL, NULL, CORRUPT},
    {".", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"..", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a/../b", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a/./b", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"../t 2/x", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"..%2Fx", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"%2E%2E/x", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a%2F%2Fb", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"%2Fetc%2Fpasswd", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a%00b", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a%zz", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a%4", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"a%", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"file:///srv/delta/t%202/", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"file:///srv/delta/t%202/../t%202/x", DS_ERR_INTERNAL, NULL, CORRUPT},
    {"file:///srv/delta/t%202/%zz", DS_ERR_INTERNAL, NULL, CORRUPT},
    /* outside the table */
    {"file:///srv/delta/t%202", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"file:///srv/delta/t%2022/x", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"file:///srv/delta/other/x", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"file:///etc/passwd", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"file://otherhost/srv/delta/t%202/x", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"file:srv/delta/t%202/x", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"s3://bucket/t/x", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"https://example.com/x", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
    {"a:b/c", DS_ERR_UNSUPPORTED, NULL, OUTSIDE},
};

START_TEST(path_rules)
{
    ds_buf url;
    ds_error err;
    int64_t exp = 0;
    ds_status st = sign(cat_a, ROOT, path_cases[_i].path, 60, &acme, &url, &exp, &err);
    ck_assert_msg(st == path_cases[_i].st, "'%s': status %d, want %d (%s; %s)",
                  path_cases[_i].path, st, path_cases[_i].st, err.message, err.detail);
    if (st != DS_OK) {
        ck_assert_str_eq(err.message, path_cases[_i].message);
        ck_assert_uint_eq(url.len, 0);
        ck_assert_int_eq(exp, 0);
        if (st == DS_ERR_INTERNAL)
            ck_assert_str_eq(err.kind, "corrupt-log");
        ds_buf_free(&url);
        return;
    }
    char token[8192], sig[64];
    split_url(url.data, token, sizeof token, sig, sizeof sig);
    ds_local_link l;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
    ck_assert_str_eq(l.relpath, path_cases[_i].rel);
    ds_buf_free(&url);
}
END_TEST

START_TEST(root_forms)
{
    /* the file-system root and a root written with trailing slashes */
    ds_buf url;
    ds_error err;
    int64_t exp;
    static const struct {
        const char *root, *path, *want_root, *want_rel;
    } c[] = {
        {"file:///", "srv/x", "file:///", "srv/x"},
        {"file:///", "file:///srv/x", "file:///", "srv/x"},
        {"file:///srv//", "file:///srv/x", "file:///srv", "x"},
    };
    for (size_t i = 0; i < N_ELEMS(c); i++) {
        ck_assert_int_eq(sign(cat_a, c[i].root, c[i].path, 60, &acme, &url, &exp, &err),
                         DS_OK);
        char token[8192], sig[64];
        split_url(url.data, token, sizeof token, sig, sizeof sig);
        ds_local_link l;
        ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
        ck_assert_str_eq(l.root, c[i].want_root);
        ck_assert_str_eq(l.relpath, c[i].want_rel);
        ds_buf_free(&url);
    }
    /* a root that is not local is a programming error */
    ck_assert_int_eq(sign(cat_a, "s3://b/t", "x", 60, &acme, &url, &exp, &err),
                     DS_ERR_INTERNAL);
    ds_buf_free(&url);
}
END_TEST

START_TEST(long_paths)
{
    /* the longest path that still fits gives a URL within the URI limit;
     * one byte more is refused, never a URL the server would answer 414 */
    char *p = malloc(9000);
    ck_assert_ptr_nonnull(p);
    size_t lo = 1, hi = 8000, best = 0;
    while (lo <= hi) {
        size_t mid = (lo + hi) / 2;
        memset(p, 'x', mid);
        p[mid] = '\0';
        ds_buf url;
        ds_error err;
        int64_t exp;
        ds_status st = sign(cat_a, ROOT, p, 60, &acme, &url, &exp, &err);
        if (st == DS_OK) {
            ck_assert_uint_le(url.len, 8192);
            char token[8192], sig[64];
            split_url(url.data, token, sizeof token, sig, sizeof sig);
            ck_assert_uint_le(strlen(token), DS_LINK_TOKEN_MAX);
            ds_local_link l;
            ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &err), DS_OK);
            ck_assert_str_eq(l.relpath, p);
            best = mid;
            lo = mid + 1;
        } else {
            ck_assert_int_eq(st, DS_ERR_UNSUPPORTED);
            ck_assert_str_eq(err.message,
                             "A file of this table has a path too long to be shared.");
            hi = mid - 1;
        }
        ds_buf_free(&url);
    }
    ck_assert_uint_gt(best, 4000);
    free(p);
}
END_TEST

/* ====================================================================
 * the signer choice
 * ================================================================== */

START_TEST(signer_for)
{
    ds_signer sg = {0};
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_signer_for(cat_a, "file:///srv/t", &sg, &err), DS_OK);
    ck_assert_ptr_eq(sg.ops, &ds_local_signer);
    ck_assert_ptr_eq(sg.ctx, cat_a);
    static const char *const others[] = {"s3://b/t", "gs://b/t", "abfss://c@a/t",
                                         "https://h/t", "file://host/t"};
    for (size_t i = 0; i < N_ELEMS(others); i++) {
        ds_error_clear(&err);
        ck_assert_int_eq(ds_signer_for(cat_a, others[i], &sg, &err), DS_ERR_UNSUPPORTED);
        ck_assert_str_eq(err.message, "This table's storage is not supported yet.");
        ck_assert_ptr_nonnull(strstr(err.detail, others[i]));
    }
    ds_catalog *none = catalog_with(NULL);
    ds_error_clear(&err);
    ck_assert_int_eq(ds_signer_for(none, "file:///srv/t", &sg, &err), DS_ERR_INTERNAL);
    ck_assert_ptr_nonnull(strstr(err.detail, "link-key-file"));
    /* and the signer itself refuses to work without a key */
    ds_buf url;
    int64_t exp;
    ck_assert_int_eq(sign(none, ROOT, "a", 60, &acme, &url, &exp, &err), DS_ERR_INTERNAL);
    ck_assert_uint_eq(url.len, 0);
    ds_buf_free(&url);
    ds_catalog_free(none);
}
END_TEST

/* ====================================================================
 * deletion vectors
 * ================================================================== */

static const struct {
    const char *type, *path, *want; /* want NULL: refused */
} dv_cases[] = {
    {"u", "HelloWorldHelloWorld", "deletion_vector_864fd26f-b559-f75b-864f-d26fb559f75b.bin"},
    {"u", "abHelloWorldHelloWorld",
     "ab/deletion_vector_864fd26f-b559-f75b-864f-d26fb559f75b.bin"},
    {"u", "0X9F0q2<2yJ-f)Gm2!e0", "deletion_vector_0229ec3d-5100-44e1-8e53-702d448da8da.bin"},
    /* prefix characters that mean something in a URI are encoded */
    {"u", "a%/HelloWorldHelloWorld",
     "a%25%2F/deletion_vector_864fd26f-b559-f75b-864f-d26fb559f75b.bin"},
    {"u", "HelloWorldHelloWorl", NULL},   /* 19 characters */
    {"u", "", NULL},
    {"u", "HelloWorldHelloWorl\"", NULL}, /* not in the alphabet */
    {"u", "%nSc1HelloWorldHello", NULL},  /* a group above 2^32-1 */
    {"i", "HelloWorldHelloWorld", NULL},
    {"p", "/abs/deletion_vector_x.bin", NULL},
    {NULL, "HelloWorldHelloWorld", NULL},
    {"u", NULL, NULL},
};

START_TEST(dv_paths)
{
    ds_dv dv;
    memset(&dv, 0, sizeof dv);
    dv.storage_type = dv_cases[_i].type;
    dv.path_or_inline = dv_cases[_i].path;
    ds_error err;
    ds_error_clear(&err);
    const char *p = ds_dv_relative_path(arena, &dv, &err);
    if (!dv_cases[_i].want) {
        ck_assert_ptr_null(p);
        ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
        ck_assert_str_eq(err.kind, "corrupt-log");
        return;
    }
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p, dv_cases[_i].want);
    ck_assert_int_eq(err.status, DS_OK);
    ck_assert_ptr_null(ds_dv_relative_path(arena, NULL, &err));
}
END_TEST

struct dv_walk {
    const char *root;
    size_t dvs, checked;
};

static int dv_file_cb(void *ctx, const ds_file *f, ds_error *err)
{
    struct dv_walk *w = ctx;
    if (!f->dv || strcmp(f->dv->storage_type, "u") != 0)
        return 0;
    w->dvs++;
    const char *rel = ds_dv_relative_path(arena, f->dv, err);
    ck_assert_msg(rel != NULL, "%s: %s", f->dv->path_or_inline, err->detail);
    /* the path goes through the signer like any file path */
    ds_buf url;
    ds_error e2;
    int64_t exp;
    char root[4200];
    snprintf(root, sizeof root, "file://%s", w->root);
    ck_assert_int_eq(sign(cat_a, root, rel, 60, &acme, &url, &exp, &e2), DS_OK);
    char token[8192], sig[64];
    split_url(url.data, token, sizeof token, sig, sizeof sig);
    ds_local_link l;
    ck_assert_int_eq(ds_local_link_open(cat_a, arena, token, sig, &l, &e2), DS_OK);
    ds_buf_free(&url);
    char full[8300];
    snprintf(full, sizeof full, "%s/%s", w->root, l.relpath);
    struct stat sb;
    ck_assert_msg(stat(full, &sb) == 0 && S_ISREG(sb.st_mode),
                  "DV %s decodes to %s, which does not exist", f->dv->path_or_inline, full);
    /* the file must be long enough for the vector's offset and size */
    ck_assert_int_ge((int64_t)sb.st_size,
                     (f->dv->has_offset ? f->dv->offset : 0) + f->dv->size_in_bytes);
    w->checked++;
    return 0;
}

static const struct {
    const char *table;
    size_t min_dvs;
} dv_tables[] = {
    {"dv-files-checkpoint", 2},
    {"dv-key-cases", 1},
};

START_TEST(dv_fixtures)
{
    const char *shared = getenv("DS_SHARED");
    ck_assert_msg(shared && *shared, "DS_SHARED is not set (run through make check)");
    char root[4096];
    snprintf(root, sizeof root, "%s/fixtures/%s", shared, dv_tables[_i].table);
    struct stat sb;
    const char *ci = getenv("CI");
    if (stat(root, &sb) != 0 && !(ci && strcmp(ci, "true") == 0)) {
        /* as fixtures.test: a tarball built without the shared inputs */
        fprintf(stderr, "dv_fixtures: no fixture %s; not checked\n", root);
        return;
    }
    char *real = realpath(root, NULL);
    ck_assert_msg(real != NULL, "fixture %s is missing", root);
    char url[4200];
    snprintf(url, sizeof url, "file://%s", real);
    ds_store st;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_store_for(url, &st, &err), DS_OK);
    ds_at at = {DS_AT_LATEST, 0, 0, 0};
    ds_snapshot *s = NULL;
    ck_assert_msg(ds_snapshot_load(&st, url, &at, &s, &err) == DS_OK, "%s: %s", url,
                  err.detail);
    struct dv_walk w = {real, 0, 0};
    ck_assert_int_eq(ds_snapshot_files(s, dv_file_cb, &w, &err), DS_OK);
    ck_assert_uint_ge(w.dvs, dv_tables[_i].min_dvs);
    ck_assert_uint_eq(w.checked, w.dvs);
    ds_snapshot_free(s);
    free(real);
}
END_TEST

static Suite *sign_suite(void)
{
    Suite *s = suite_create("sign");
    TCase *tc = tcase_create("links");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, round_trip_without_owner);
    tcase_add_test(tc, appends_to_the_buffer);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, tamper_every_token_char);
    tcase_add_test(tc, tamper_every_sig_char);
    tcase_add_test(tc, garbled_links);
    tcase_add_test(tc, wrong_key);
    tcase_add_test(tc, expiry_boundary);
    tcase_add_test(tc, lifetime_out_of_range);
    tcase_add_test(tc, sealed_records);
    tcase_add_loop_test(tc, path_rules, 0, (int)N_ELEMS(path_cases));
    tcase_add_test(tc, root_forms);
    tcase_add_test(tc, long_paths);
    tcase_add_test(tc, signer_for);
    suite_add_tcase(s, tc);

    tc = tcase_create("dv");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, dv_paths, 0, (int)N_ELEMS(dv_cases));
    tcase_add_loop_test(tc, dv_fixtures, 0, (int)N_ELEMS(dv_tables));
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(sign_suite());
}
