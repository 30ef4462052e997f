/* check_sign.c - the local link signer (src/store/sign_local.c): presign
 * and open round trips, tampering with the token, the path or the sig,
 * replays of one file's signature for another, expiry in whole seconds,
 * keys, the link format as documented (rebuilt here from
 * doc/internals/links.md), the per-thread seal cache, path rules and the
 * path's encoding in the URL, URL and segment limits, the signer choice,
 * and deletion-vector paths (synthetic ones, and every "u" vector of the
 * DV fixture tables, which must name a file that exists). */
#include "config.h"
#include "deltasharing.h"
#include "catalog/catalog.h"
#include "delta/delta.h"
#include "http/http.h"
#include "store/sign.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "testutil.h"
#include <check.h>
#include <pthread.h>
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
#define TOO_LONG "A file of this table has a path too long to be shared."
#define MISMATCH "the signature does not match the object path"
#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING

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

/* ====================================================================
 * the parts of a link
 * ================================================================== */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The bytes a link's path keeps as they are (doc/internals/links.md). */
static int kept(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("-._~/=", c) != NULL;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* lower case is not what the signer writes */
}

/* A signed URL taken apart: the token, the path as it stands in the URL,
 * that path decoded (what the router hands to ds_local_link_open) and the
 * signature. */
struct parts {
    char token[8192];
    char upath[9000];
    char path[9000];
    char sig[64];
};

/* Splits url, checking its shape: ENDPOINT/files/<token>/<path>?sp=r&sig=<sig>,
 * token and sig in URL-safe base64, the path encoded exactly as documented
 * (kept bytes as they are, every other byte as %XX in upper case). */
static void split_url(const char *url, struct parts *p)
{
    const char *pfx = ENDPOINT "/files/";
    ck_assert_msg(strncmp(url, pfx, strlen(pfx)) == 0, "url '%s'", url);
    const char *t = url + strlen(pfx);
    const char *slash = strchr(t, '/');
    ck_assert_ptr_nonnull(slash);
    ck_assert_uint_lt((size_t)(slash - t), sizeof p->token);
    memcpy(p->token, t, (size_t)(slash - t));
    p->token[slash - t] = '\0';
    const char *q = strstr(slash, "?sp=r&sig=");
    ck_assert_ptr_nonnull(q);
    ck_assert_ptr_null(strchr(slash, '#'));
    ck_assert_ptr_eq(strchr(slash, '?'), q);
    size_t ul = (size_t)(q - slash - 1);
    ck_assert_uint_lt(ul, sizeof p->upath);
    memcpy(p->upath, slash + 1, ul);
    p->upath[ul] = '\0';
    const char *s = q + strlen("?sp=r&sig=");
    ck_assert_uint_lt(strlen(s), sizeof p->sig);
    strcpy(p->sig, s);
    /* only URL-safe base64 characters: nothing a client could re-quote */
    ck_assert_uint_gt(strlen(p->token), 0);
    for (const char *c = p->token; *c; c++)
        ck_assert_msg(strchr(b64chars, *c) != NULL, "token char '%c'", *c);
    for (const char *c = p->sig; *c; c++)
        ck_assert(strchr(b64chars, *c) != NULL);
    ck_assert_uint_eq(strlen(p->sig), 22);
    /* the path: canonical percent-encoding, decoded once */
    size_t o = 0;
    for (size_t i = 0; p->upath[i]; i++) {
        unsigned char c = (unsigned char)p->upath[i];
        if (c != '%') {
            ck_assert_msg(kept(c), "'%c' left unencoded in '%s'", c, p->upath);
            p->path[o++] = (char)c;
            continue;
        }
        int h = hexval(p->upath[i + 1]), l = h < 0 ? -1 : hexval(p->upath[i + 2]);
        ck_assert_msg(h >= 0 && l >= 0, "bad escape in '%s'", p->upath);
        unsigned char d = (unsigned char)(h * 16 + l);
        ck_assert_msg(d != 0 && !kept(d), "%%%02X needlessly encoded in '%s'", d, p->upath);
        p->path[o++] = (char)d;
        i += 2;
    }
    p->path[o] = '\0';
}

static struct parts g; /* make_link's */

/* A fresh link for "part=1/a%20b.parquet" by acme, split into g. */
static void make_link(const ds_catalog *c)
{
    ds_buf url;
    ds_error err;
    int64_t exp = 0;
    ck_assert_int_eq(sign(c, ROOT, "part=1/a%20b.parquet", 3600, &acme, &url, &exp, &err),
                     DS_OK);
    split_url(url.data, &g);
    ck_assert_str_eq(g.path, "part=1/a b.parquet");
    ds_buf_free(&url);
}

/* Signs path and returns its parts (in *p). */
static void sign_parts(const ds_catalog *c, const char *path, const ds_link_owner *o,
                       struct parts *p)
{
    ds_buf url;
    ds_error err;
    int64_t exp;
    ck_assert_msg(sign(c, ROOT, path, 3600, o, &url, &exp, &err) == DS_OK, "%s: %s", path,
                  err.detail);
    split_url(url.data, p);
    ds_buf_free(&url);
}

static void assert_opens(const ds_catalog *c, const char *token, const char *path,
                         const char *sig, ds_local_link *l)
{
    ds_error err;
    ds_error_clear(&err);
    memset(l, 0, sizeof *l);
    ds_status st = ds_local_link_open(c, arena, token, path, sig, l, &err);
    ck_assert_msg(st == DS_OK, "'%s' refused: %s", path, err.detail);
    ck_assert_str_eq(l->relpath, path);
}

static void assert_denied(const ds_catalog *c, const char *token, const char *path,
                          const char *sig, const char *detail_has)
{
    ds_error err;
    ds_error_clear(&err);
    ds_local_link l;
    memset(&l, 0, sizeof l);
    ck_assert_int_eq(ds_local_link_open(c, arena, token, path, sig, &l, &err), DS_ERR_FORBIDDEN);
    ck_assert_str_eq(err.message, DENIED);
    ck_assert_ptr_null(l.root);
    ck_assert_ptr_null(l.relpath);
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
 * the format, rebuilt from doc/internals/links.md
 * ================================================================== */

/* The keys of the format: crypto_kdf subkeys 1 (encryption), 2 (nonce)
 * and 3 (file signatures) of the catalog's link key, context "ds-files". */
static void subkey(const ds_catalog *c, int id, unsigned char out[32])
{
    crypto_kdf_derive_from_key(out, 32, (uint64_t)id, "ds-files", c->link_key);
}

static const unsigned char link_ad[] = "delta-sharing-fcgi /files/ link";

/* A token sealed with c's real keys around an arbitrary record: the
 * nonce is random unless given; the tag goes to tag_out (may be NULL). */
static void seal_record(const ds_catalog *c, const unsigned char *pt, size_t n,
                        const unsigned char *nonce, char *token, size_t tsz,
                        unsigned char *tag_out)
{
    unsigned char enc[32], raw[24 + 512 + 16];
    ck_assert_uint_le(n, 512);
    subkey(c, 1, enc);
    if (nonce)
        memcpy(raw, nonce, 24);
    else
        randombytes_buf(raw, 24);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(raw + 24, raw + 24 + n, NULL, pt, n,
                                                        link_ad, sizeof link_ad - 1, NULL, raw,
                                                        enc);
    if (tag_out)
        memcpy(tag_out, raw + 24 + n, 16);
    sodium_bin2base64(token, tsz, raw, 24 + n + 16, B64URL);
}

/* sig of a file: base64url of SipHash-2-4-128 (crypto_shorthash
 * siphashx24) of the decoded object path, keyed with the token's own key:
 * a 16-byte BLAKE2b of the token's tag keyed with subkey 3. */
static void file_sig(const ds_catalog *c, const unsigned char tag[16], const char *path,
                     char *sig, size_t ssz)
{
    unsigned char k[32], tk[crypto_shorthash_siphashx24_KEYBYTES], h[16];
    subkey(c, 3, k);
    crypto_generichash(tk, sizeof tk, tag, 16, k, sizeof k);
    crypto_shorthash_siphashx24(h, (const unsigned char *)path, strlen(path), tk);
    sodium_bin2base64(sig, ssz, h, sizeof h, B64URL);
}

/* The tag at the end of a token (which must be canonical base64url). */
static void token_tag(const char *token, unsigned char tag[16])
{
    unsigned char raw[8192];
    size_t n = 0;
    ck_assert_int_eq(sodium_base642bin(raw, sizeof raw, token, strlen(token), NULL, &n, NULL,
                                       B64URL), 0);
    ck_assert_uint_gt(n, 40);
    memcpy(tag, raw + n - 16, 16);
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

/* The signer's URL, byte for byte, from the documented format: record
 * 0x02 || expiry || root NUL recipient NUL share NUL schema NUL table;
 * nonce = BLAKE2b-192 of the record keyed with subkey 2; token =
 * base64url(nonce || ciphertext || tag); path encoded; sig as above. */
START_TEST(format_as_documented)
{
    unsigned char pt[512], nk[32], nonce[24], tag[16];
    size_t n = record(pt, 2, NOW + 3600 * 1000, F("file:///srv/delta/t 2\0acme\0s\0d\0t"));
    subkey(cat_a, 2, nk);
    crypto_generichash(nonce, sizeof nonce, pt, n, nk, sizeof nk);
    char token[1024], sig[64], want[2048];
    seal_record(cat_a, pt, n, nonce, token, sizeof token, tag);
    file_sig(cat_a, tag, "part=1/a b+c.parquet", sig, sizeof sig);
    snprintf(want, sizeof want, ENDPOINT "/files/%s/part=1/a%%20b%%2Bc.parquet?sp=r&sig=%s",
             token, sig);
    ds_buf url;
    ds_error err;
    int64_t exp;
    ck_assert_int_eq(sign(cat_a, ROOT, "part=1/a%20b+c.parquet", 3600, &acme, &url, &exp, &err),
                     DS_OK);
    ck_assert_str_eq(url.data, want);
    ck_assert_int_eq(exp, NOW + 3600 * 1000);
    ds_buf_free(&url);
}
END_TEST

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
    struct parts p;
    split_url(url.data, &p);
    /* the object's path below the table is in the URL, its name last... */
    ck_assert_str_eq(p.upath, "part=1/a%20b.parquet");
    ck_assert_str_eq(p.path, "part=1/a b.parquet");
    /* ...the table's location never is */
    ck_assert_ptr_null(strstr(url.data, "srv"));
    ck_assert_ptr_null(strstr(url.data, "delta/"));
    ck_assert_ptr_null(strstr(url.data, "t%202"));
    ds_local_link l;
    assert_opens(cat_a, p.token, p.path, p.sig, &l);
    ck_assert_str_eq(l.root, ROOT);
    ck_assert_str_eq(l.relpath, "part=1/a b.parquet");
    ck_assert_int_eq(l.expires_ms, NOW + 3600 * 1000);
    ck_assert_str_eq(l.owner.recipient, "acme");
    ck_assert_str_eq(l.owner.share, "s");
    ck_assert_str_eq(l.owner.schema, "d");
    ck_assert_str_eq(l.owner.table, "t");
    /* the signature covers the decoded path: the encoded text is another
     * path (the server decodes exactly once) */
    assert_denied(cat_a, p.token, p.upath, p.sig, MISMATCH);
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
        struct parts p;
        split_url(url.data, &p);
        ck_assert_str_eq(p.path, "x");
        ds_local_link l;
        assert_opens(cat_a, p.token, p.path, p.sig, &l);
        ck_assert_str_eq(l.root, ROOT); /* trailing '/' dropped */
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
    /* nothing is appended on failure: a bad path, a path too deep or too
     * long for a link */
    size_t len = url.len;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_signer.presign(cat_a, ROOT, "a/../b", 60, &acme, &url, &exp,
                                             &err), DS_ERR_INTERNAL);
    ck_assert_uint_eq(url.len, len);
    char deep[200] = "";
    for (int i = 0; i < 63; i++)
        strcat(deep, i ? "/a" : "a");
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_signer.presign(cat_a, ROOT, deep, 60, &acme, &url, &exp, &err),
                     DS_ERR_UNSUPPORTED);
    ck_assert_uint_eq(url.len, len);
    char *wide = malloc(4001);
    ck_assert_ptr_nonnull(wide);
    for (int i = 0; i < 2000; i++)
        memcpy(wide + 2 * i, "\xc3\xa9", 2); /* 6 bytes each once encoded */
    wide[4000] = '\0';
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_signer.presign(cat_a, ROOT, wide, 60, &acme, &url, &exp, &err),
                     DS_ERR_UNSUPPORTED);
    ck_assert_uint_eq(url.len, len);
    free(wide);
    /* a buffer capped below the URL: out of memory (ds_buf frees it) */
    ds_buf small;
    ds_buf_init(&small, 100);
    ck_assert_int_eq(ds_buf_puts(&small, "{\"url\":\""), 0);
    ds_error_clear(&err);
    ck_assert_int_eq(ds_local_signer.presign(cat_a, ROOT, "a", 60, &acme, &small, &exp, &err),
                     DS_ERR_NOMEM);
    ds_buf_free(&small);
    ck_assert_str_eq(ds_local_signer.name, "local");
    ds_buf_free(&url);
}
END_TEST

START_TEST(deterministic)
{
    ds_buf u1, u2, u3, u4, u5, u6;
    ds_error err;
    int64_t exp;
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u1, &exp, &err), DS_OK);
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u2, &exp, &err), DS_OK);
    ck_assert_str_eq(u1.data, u2.data); /* byte for byte on a fixed clock */
    /* the same object written either way gives the same link */
    ck_assert_int_eq(sign(cat_a, ROOT, "file:///srv/delta/t%202/a.parquet", 3600, &acme, &u3,
                          &exp, &err), DS_OK);
    ck_assert_str_eq(u1.data, u3.data);
    /* expiries are whole seconds: the same URL for the rest of the second */
    ds_set_fixed_time(NOW + 999);
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u4, &exp, &err), DS_OK);
    ck_assert_str_eq(u1.data, u4.data);
    ds_set_fixed_time(NOW + 1000);
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3600, &acme, &u5, &exp, &err), DS_OK);
    ck_assert_str_ne(u1.data, u5.data);
    ds_set_fixed_time(NOW);
    ck_assert_int_eq(sign(cat_b, ROOT, "a.parquet", 3600, &acme, &u6, &exp, &err), DS_OK);
    ck_assert_str_ne(u1.data, u6.data);
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
    ds_buf_free(&u6);
}
END_TEST

/* ====================================================================
 * the seal cache: one token per table, recipient, key and expiry second
 * ================================================================== */

START_TEST(files_of_a_table_share_the_token)
{
    static const char *const files[] = {"a.parquet", "part=1/b.parquet", "part=2/c%20d.parquet",
                                        "deletion_vector_x.bin"};
    struct parts first, p;
    sign_parts(cat_a, files[0], &acme, &first);
    for (size_t i = 1; i < N_ELEMS(files); i++) {
        sign_parts(cat_a, files[i], &acme, &p);
        ck_assert_str_eq(p.token, first.token);
        ck_assert_str_ne(p.sig, first.sig);
        ds_local_link l;
        assert_opens(cat_a, p.token, p.path, p.sig, &l);
    }
    /* whatever else differs gives another token, which opens with what
     * it was made for */
    static const struct {
        ds_link_owner o;
        const char *root;
    } other[] = {
        {{"bob", "s", "d", "t"}, ROOT},     /* recipient */
        {{"acme", "s", "d", "u"}, ROOT},    /* table */
        {{"acme", "s2", "d", "t"}, ROOT},   /* share */
        {{"acme", "s", "d2", "t"}, ROOT},   /* schema */
        {{"acme", "s", "d", "t"}, ROOT "x"}, /* location */
        {{"", "s", "d", "t"}, ROOT},        /* no recipient */
    };
    static char seen[N_ELEMS(other)][sizeof p.token];
    for (size_t i = 0; i < N_ELEMS(other); i++) {
        ds_buf url;
        ds_error err;
        int64_t exp;
        ck_assert_int_eq(sign(cat_a, other[i].root, "a.parquet", 3600, &other[i].o, &url, &exp,
                              &err), DS_OK);
        split_url(url.data, &p);
        ds_buf_free(&url);
        ck_assert_str_ne(p.token, first.token);
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(p.token, seen[j]);
        snprintf(seen[i], sizeof seen[i], "%s", p.token);
        ds_local_link l;
        assert_opens(cat_a, p.token, p.path, p.sig, &l);
        ck_assert_str_eq(l.owner.recipient, other[i].o.recipient);
        ck_assert_str_eq(l.owner.share, other[i].o.share);
        ck_assert_str_eq(l.owner.schema, other[i].o.schema);
        ck_assert_str_eq(l.owner.table, other[i].o.table);
        /* and a file signed under one token does not pass under another */
        assert_denied(cat_a, first.token, p.path, p.sig, MISMATCH);
        assert_denied(cat_a, p.token, first.path, first.sig, MISMATCH);
    }
    /* back to the first inputs: the first token again */
    sign_parts(cat_a, "z.parquet", &acme, &p);
    ck_assert_str_eq(p.token, first.token);
}
END_TEST

START_TEST(token_changes_with_the_expiry_second)
{
    struct parts t0, p;
    sign_parts(cat_a, "a.parquet", &acme, &t0);
    /* the same token for the whole second, whatever the millisecond */
    for (int64_t ms = 1; ms < 1000; ms += 111) {
        ds_set_fixed_time(NOW + ms);
        sign_parts(cat_a, "b.parquet", &acme, &p);
        ck_assert_str_eq(p.token, t0.token);
    }
    /* the next second: another token, the same for every file again */
    ds_set_fixed_time(NOW + 1000);
    struct parts t1;
    sign_parts(cat_a, "a.parquet", &acme, &t1);
    ck_assert_str_ne(t1.token, t0.token);
    ck_assert_str_ne(t1.sig, t0.sig);
    ds_set_fixed_time(NOW + 1999);
    sign_parts(cat_a, "b.parquet", &acme, &p);
    ck_assert_str_eq(p.token, t1.token);
    /* a lifetime one second longer is the same as signing a second later */
    ds_set_fixed_time(NOW);
    ds_buf url;
    ds_error err;
    int64_t exp;
    ck_assert_int_eq(sign(cat_a, ROOT, "a.parquet", 3601, &acme, &url, &exp, &err), DS_OK);
    split_url(url.data, &p);
    ck_assert_str_eq(p.token, t1.token);
    ds_buf_free(&url);
    /* both open, each with its own sig only */
    ds_local_link l;
    assert_opens(cat_a, t0.token, t0.path, t0.sig, &l);
    ck_assert_int_eq(l.expires_ms, NOW + 3600 * 1000);
    assert_opens(cat_a, t1.token, t1.path, t1.sig, &l);
    ck_assert_int_eq(l.expires_ms, NOW + 3601 * 1000);
    assert_denied(cat_a, t0.token, t1.path, t1.sig, MISMATCH);
}
END_TEST

/* The cache follows the key, not the catalog's address: a catalog whose
 * key changed at the same address (what a catalog freed and another
 * allocated in its place looks like) signs with its own key at once. */
START_TEST(token_changes_with_the_key)
{
    struct parts pa, pb;
    sign_parts(cat_a, "a.parquet", &acme, &pa);
    sign_parts(cat_b, "a.parquet", &acme, &pb);
    ck_assert_str_ne(pa.token, pb.token);
    ds_local_link l;
    assert_opens(cat_b, pb.token, pb.path, pb.sig, &l);
    assert_denied(cat_a, pb.token, pb.path, pb.sig, "authentication failed");

    ds_catalog *c = catalog_with(key_a);
    struct parts p1, p2;
    sign_parts(c, "a.parquet", &acme, &p1);
    ck_assert_str_eq(p1.token, pa.token);
    memcpy(c->link_key, cat_b->link_key, sizeof c->link_key);
    sign_parts(c, "a.parquet", &acme, &p2);
    ck_assert_str_eq(p2.token, pb.token);
    assert_opens(c, p2.token, p2.path, p2.sig, &l);
    ds_catalog_free(c);

    /* and for real: freed, then another catalog (glibc's malloc gives it
     * the same address, ASan's does not; both must work) */
    c = catalog_with(key_a);
    sign_parts(c, "a.parquet", &acme, &p1);
    ds_catalog_free(c);
    c = catalog_with(key_b);
    sign_parts(c, "a.parquet", &acme, &p2);
    ck_assert_str_eq(p2.token, pb.token);
    assert_opens(c, p2.token, p2.path, p2.sig, &l);
    ds_catalog_free(c);
}
END_TEST

/* The cache is per thread: threads signing for different recipients at
 * once each get their own token. */
struct signer_thread {
    const char *recipient;
    const char *want_token;
    int bad;
};

static void *sign_many(void *arg)
{
    struct signer_thread *t = arg;
    ds_link_owner o = {t->recipient, "s", "d", "t"};
    for (int i = 0; i < 3000; i++) {
        ds_buf url;
        ds_buf_init(&url, 64 * 1024);
        ds_error err;
        ds_error_clear(&err);
        int64_t exp;
        const char *pfx = ENDPOINT "/files/";
        if (ds_local_signer.presign(cat_a, ROOT, "a.parquet", 3600, &o, &url, &exp, &err) !=
                DS_OK ||
            strncmp(url.data + strlen(pfx), t->want_token, strlen(t->want_token)) != 0 ||
            url.data[strlen(pfx) + strlen(t->want_token)] != '/')
            t->bad++;
        ds_buf_free(&url);
    }
    return NULL;
}

START_TEST(cache_is_per_thread)
{
    static const char *const who[] = {"acme", "bob", "carol", "dave"};
    static char tokens[N_ELEMS(who)][sizeof g.token];
    struct signer_thread t[N_ELEMS(who)];
    pthread_t th[N_ELEMS(who)];
    for (size_t i = 0; i < N_ELEMS(who); i++) {
        ds_link_owner o = {who[i], "s", "d", "t"};
        struct parts p;
        sign_parts(cat_a, "a.parquet", &o, &p);
        snprintf(tokens[i], sizeof tokens[i], "%s", p.token);
        t[i] = (struct signer_thread){who[i], tokens[i], 0};
    }
    for (size_t i = 0; i < N_ELEMS(who); i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, sign_many, &t[i]), 0);
    for (size_t i = 0; i < N_ELEMS(who); i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_msg(t[i].bad == 0, "%s: %d of 3000 links with another token", who[i],
                      t[i].bad);
    }
}
END_TEST

/* ====================================================================
 * tampering, replays, keys, expiry
 * ================================================================== */

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
    size_t n = strlen(g.token);
    ck_assert_uint_gt(n, 40);
    for (size_t i = 0; i < n; i++)
        for (int k = 0; k < 4; k++) {
            char t[8192];
            strcpy(t, g.token);
            t[i] = other_char(t[i], k);
            ck_assert(t[i] != g.token[i]);
            assert_denied(cat_a, t, g.path, g.sig, NULL);
        }
}
END_TEST

START_TEST(tamper_every_sig_char)
{
    make_link(cat_a);
    for (size_t i = 0; i < 22; i++)
        for (int k = 0; k < 4; k++) {
            char s[64];
            strcpy(s, g.sig);
            s[i] = other_char(s[i], k);
            ck_assert(s[i] != g.sig[i]);
            assert_denied(cat_a, g.token, g.path, s, NULL);
        }
}
END_TEST

/* Any other byte anywhere in the path, and any path one byte shorter or
 * longer, is refused. */
START_TEST(tamper_every_path_byte)
{
    make_link(cat_a);
    size_t n = strlen(g.path);
    static const unsigned char subst[] = {'x', 'A', '/', '.', '%', '+', ' ', 0xc3, 0xff};
    for (size_t i = 0; i < n; i++) {
        char p[256];
        strcpy(p, g.path);
        for (int flip = 0; flip < 2; flip++) {
            p[i] = (char)(g.path[i] ^ (flip ? 0x20 : 0x01));
            if (p[i])
                assert_denied(cat_a, g.token, p, g.sig, NULL);
        }
        for (size_t k = 0; k < sizeof subst; k++) {
            p[i] = (char)subst[k];
            if (p[i] != g.path[i])
                assert_denied(cat_a, g.token, p, g.sig, NULL);
        }
        /* a prefix of the path */
        p[i] = '\0';
        if (i > 0)
            assert_denied(cat_a, g.token, p, g.sig, NULL);
    }
    char p[300];
    snprintf(p, sizeof p, "%sx", g.path);
    assert_denied(cat_a, g.token, p, g.sig, MISMATCH);
    snprintf(p, sizeof p, "%s/x", g.path);
    assert_denied(cat_a, g.token, p, g.sig, MISMATCH);
    snprintf(p, sizeof p, "x/%s", g.path);
    assert_denied(cat_a, g.token, p, g.sig, MISMATCH);
    /* a different path that is still a clean one: the signature decides */
    assert_denied(cat_a, g.token, "part=1/a b.parquex", g.sig, MISMATCH);
    assert_denied(cat_a, g.token, "part=1/a/b.parquet", g.sig, MISMATCH);
    assert_denied(cat_a, g.token, "part=1/a+b.parquet", g.sig, MISMATCH);
    assert_denied(cat_a, g.token, "part=1/a%20b.parquet", g.sig, MISMATCH);
    /* and the untouched link still opens */
    ds_local_link l;
    assert_opens(cat_a, g.token, g.path, g.sig, &l);
}
END_TEST

/* One file's signature does not open another file of the same table,
 * although both links carry the same token. */
START_TEST(sig_replayed_for_another_file)
{
    static const char *const files[] = {"a.parquet", "b.parquet", "part=1/a.parquet",
                                        "a.parquet.crc", "A.parquet"};
    struct parts p[N_ELEMS(files)];
    for (size_t i = 0; i < N_ELEMS(files); i++)
        sign_parts(cat_a, files[i], &acme, &p[i]);
    for (size_t i = 0; i < N_ELEMS(files); i++)
        for (size_t j = 0; j < N_ELEMS(files); j++) {
            ck_assert_str_eq(p[i].token, p[j].token);
            if (i == j) {
                ds_local_link l;
                assert_opens(cat_a, p[i].token, p[i].path, p[i].sig, &l);
            } else {
                assert_denied(cat_a, p[i].token, p[j].path, p[i].sig, MISMATCH);
            }
        }
    /* nor another recipient's file, whichever token comes with it */
    static const ds_link_owner bob = {"bob", "s", "d", "t"};
    struct parts b;
    sign_parts(cat_a, "a.parquet", &bob, &b);
    ck_assert_str_ne(b.token, p[0].token);
    assert_denied(cat_a, p[0].token, b.path, b.sig, MISMATCH);
    assert_denied(cat_a, b.token, p[0].path, p[0].sig, MISMATCH);
    assert_denied(cat_a, b.token, p[1].path, p[1].sig, MISMATCH);
}
END_TEST

START_TEST(garbled_links)
{
    make_link(cat_a);
    char t[8200], s[80];
    /* truncated or extended token */
    snprintf(t, sizeof t, "%.*s", (int)strlen(g.token) - 1, g.token);
    assert_denied(cat_a, t, g.path, g.sig, NULL);
    snprintf(t, sizeof t, "%sA", g.token);
    assert_denied(cat_a, t, g.path, g.sig, NULL);
    snprintf(t, sizeof t, "%sAAAA", g.token);
    assert_denied(cat_a, t, g.path, g.sig, "authentication failed");
    snprintf(t, sizeof t, "%.40s", g.token);
    assert_denied(cat_a, t, g.path, g.sig, NULL);
    assert_denied(cat_a, "AAAA", g.path, g.sig, "too short");
    assert_denied(cat_a, "", g.path, g.sig, "length");
    assert_denied(cat_a, NULL, g.path, g.sig, "missing");
    assert_denied(cat_a, g.token, g.path, NULL, "missing");
    assert_denied(cat_a, g.token, NULL, g.sig, "missing");
    /* characters outside URL-safe base64, padding, standard base64 */
    snprintf(t, sizeof t, "%s==", g.token);
    assert_denied(cat_a, t, g.path, g.sig, "base64");
    strcpy(t, g.token);
    t[5] = '+';
    assert_denied(cat_a, t, g.path, g.sig, "base64");
    strcpy(t, g.token);
    t[5] = '%';
    assert_denied(cat_a, t, g.path, g.sig, "base64");
    /* the token with the path glued on, as one segment */
    static char glued[sizeof g.token + sizeof g.path + 1];
    snprintf(glued, sizeof glued, "%s/%s", g.token, g.path);
    assert_denied(cat_a, glued, "x", g.sig, "base64");
    /* signature: wrong length, bad characters, swapped with the token */
    snprintf(s, sizeof s, "%.21s", g.sig);
    assert_denied(cat_a, g.token, g.path, s, "length");
    snprintf(s, sizeof s, "%sA", g.sig);
    assert_denied(cat_a, g.token, g.path, s, "length");
    strcpy(s, g.sig);
    s[3] = '/';
    assert_denied(cat_a, g.token, g.path, s, "base64");
    assert_denied(cat_a, g.sig, g.path, g.token, NULL);
    /* longer than the cap: refused before decoding */
    char *big = malloc(DS_LINK_TOKEN_MAX + 2);
    ck_assert_ptr_nonnull(big);
    memset(big, 'A', DS_LINK_TOKEN_MAX + 1);
    big[DS_LINK_TOKEN_MAX + 1] = '\0';
    assert_denied(cat_a, big, g.path, g.sig, "length");
    big[DS_LINK_TOKEN_MAX] = '\0';
    assert_denied(cat_a, big, g.path, g.sig, "authentication failed");
    free(big);
}
END_TEST

START_TEST(wrong_key)
{
    make_link(cat_a);
    assert_denied(cat_b, g.token, g.path, g.sig, "authentication failed");
    /* a catalog without any key refuses every link */
    ds_catalog *none = catalog_with(NULL);
    assert_denied(none, g.token, g.path, g.sig, "no link-key-file");
    ds_catalog_free(none);
    /* the same file signed with the other key: neither part passes with
     * the other's */
    struct parts b;
    sign_parts(cat_b, "part=1/a%20b.parquet", &acme, &b);
    ck_assert_str_ne(b.token, g.token);
    ck_assert_str_ne(b.sig, g.sig);
    assert_denied(cat_a, b.token, b.path, b.sig, "authentication failed");
    assert_denied(cat_a, g.token, g.path, b.sig, MISMATCH);
    assert_denied(cat_b, b.token, b.path, g.sig, MISMATCH);
    ds_local_link l;
    assert_opens(cat_b, b.token, b.path, b.sig, &l);
}
END_TEST

/* Expiries are whole seconds: (now / 1000 + ttl) * 1000, valid up to and
 * including that millisecond. */
START_TEST(expiry_boundary)
{
    ds_buf url;
    ds_error err;
    int64_t exp;
    ds_set_fixed_time(NOW + 999); /* rounds down */
    ck_assert_int_eq(sign(cat_a, ROOT, "a", 60, &acme, &url, &exp, &err), DS_OK);
    ck_assert_int_eq(exp, NOW + 60000);
    struct parts p;
    split_url(url.data, &p);
    ds_local_link l;
    assert_opens(cat_a, p.token, p.path, p.sig, &l);
    ck_assert_int_eq(l.expires_ms, NOW + 60000);
    ds_set_fixed_time(NOW + 60000);
    assert_opens(cat_a, p.token, p.path, p.sig, &l);
    ds_set_fixed_time(NOW - 1000); /* before signing: still fine */
    assert_opens(cat_a, p.token, p.path, p.sig, &l);
    ds_set_fixed_time(NOW + 60001);
    assert_denied(cat_a, p.token, p.path, p.sig, "expired at 2026-09-01T00:01:00.000Z");
    ds_buf_free(&url);
    /* every millisecond of a second gives that second's expiry */
    for (int64_t ms = 0; ms < 3000; ms += 97) {
        ds_set_fixed_time(NOW + ms);
        ck_assert_int_eq(sign(cat_a, ROOT, "a", 60, &acme, &url, &exp, &err), DS_OK);
        ck_assert_int_eq(exp, NOW + ms / 1000 * 1000 + 60000);
        ck_assert_int_eq(exp % 1000, 0);
        split_url(url.data, &p);
        ds_set_fixed_time(exp);
        assert_opens(cat_a, p.token, p.path, p.sig, &l);
        ck_assert_int_eq(l.expires_ms, exp);
        ds_set_fixed_time(exp + 1);
        assert_denied(cat_a, p.token, p.path, p.sig, "expired");
        ds_buf_free(&url);
    }
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

/* Hand-built tokens sealed with the real keys reach the checks that run
 * after authentication: format 2, five fields, the tag attached. */
START_TEST(sealed_records)
{
    unsigned char pt[512], tag[16];
    char t[1024], s[64];
    int64_t later = NOW + 1000;
    ds_local_link l;
    /* the well-formed record opens (the test seals like the signer) */
    size_t n = record(pt, 2, later, F("file:///r\0acme\0s\0d\0t"));
    seal_record(cat_a, pt, n, NULL, t, sizeof t, tag);
    file_sig(cat_a, tag, "a/b", s, sizeof s);
    assert_opens(cat_a, t, "a/b", s, &l);
    ck_assert_str_eq(l.root, "file:///r");
    ck_assert_str_eq(l.owner.recipient, "acme");
    ck_assert_str_eq(l.owner.table, "t");
    ck_assert_int_eq(l.expires_ms, later);
    /* the signature is keyed (subkey 3 of the key that sealed the token) */
    file_sig(cat_b, tag, "a/b", s, sizeof s);
    assert_denied(cat_a, t, "a/b", s, MISMATCH);
    /* the tag is the last 16 bytes: the same record with its tag cut off
     * and given as sig (the version 1 layout) is refused */
    unsigned char raw[24 + 512 + 16];
    size_t rl = 0;
    ck_assert_int_eq(sodium_base642bin(raw, sizeof raw, t, strlen(t), NULL, &rl, NULL, B64URL),
                     0);
    char t1[1024], s1[64];
    sodium_bin2base64(t1, sizeof t1, raw, rl - 16, B64URL);
    sodium_bin2base64(s1, sizeof s1, raw + rl - 16, 16, B64URL);
    assert_denied(cat_a, t1, "a/b", s1, "authentication failed");
    /* and each malformed record is refused, its signature right */
    static const struct {
        int version;
        const char *f;
        size_t n;
        const char *why;
    } bad[] = {
        /* the version 1 record: the object path inside, six fields */
        {1, F("file:///r\0a/b\0acme\0s\0d\0t"), "version"},
        {1, F("file:///r\0acme\0s\0d\0t"), "version"},
        {3, F("file:///r\0acme\0s\0d\0t"), "version"},
        {0, F("file:///r\0acme\0s\0d\0t"), "version"},
        {2, F("file:///r\0a/b\0acme\0s\0d\0t"), "malformed"},
        {2, F("file:///r\0acme\0s\0d"), "malformed"},
        {2, F("file:///r\0acme\0s\0d\0t\0"), "malformed"},
        {2, F("file:///r\0acme\0s\0d\0t\0x"), "malformed"},
        {2, F("s3://r\0acme\0s\0d\0t"), "malformed"},
        {2, F("file://r\0acme\0s\0d\0t"), "malformed"},
        {2, F("\0\0\0\0"), "malformed"},
        {2, F(""), NULL},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        n = record(pt, bad[i].version, later, bad[i].f, bad[i].n);
        seal_record(cat_a, pt, n, NULL, t, sizeof t, tag);
        file_sig(cat_a, tag, "a/b", s, sizeof s);
        assert_denied(cat_a, t, "a/b", s, bad[i].why);
    }
    /* expiry is read as a signed 64-bit number */
    n = record(pt, 2, -1, F("file:///r\0\0\0\0"));
    seal_record(cat_a, pt, n, NULL, t, sizeof t, tag);
    file_sig(cat_a, tag, "a", s, sizeof s);
    assert_denied(cat_a, t, "a", s, "expired");
}
END_TEST

/* open checks the path itself: one that cannot name a file below the
 * root is refused even with a signature made for it. */
START_TEST(bad_paths_refused_even_signed)
{
    make_link(cat_a);
    unsigned char tag[16];
    token_tag(g.token, tag);
    char s[64];
    /* the test's signature is the signer's */
    file_sig(cat_a, tag, g.path, s, sizeof s);
    ck_assert_str_eq(s, g.sig);
    static const char *const bad[] = {"",      "/a",   "a/",     "a//b", ".",  "..",
                                      "a/../b", "./a", "a/.",    "../x", "/",  "//",
                                      "a/..",   "../../etc/passwd"};
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        file_sig(cat_a, tag, bad[i], s, sizeof s);
        assert_denied(cat_a, g.token, bad[i], s, "'..' segment");
    }
    /* names that merely look like those are fine */
    static const char *const fine[] = {"...", ".a", "a..", "..a/b", "a/.b", "a%2F..%2Fb"};
    for (size_t i = 0; i < N_ELEMS(fine); i++) {
        file_sig(cat_a, tag, fine[i], s, sizeof s);
        ds_local_link l;
        assert_opens(cat_a, g.token, fine[i], s, &l);
    }
}
END_TEST

/* ====================================================================
 * path rules, and the path in the URL
 * ================================================================== */

static const struct {
    const char *path;
    ds_status st;
    const char *rel;     /* decoded relative path when DS_OK */
    const char *url;     /* how it stands in the URL when DS_OK */
    const char *message; /* public message otherwise */
} path_cases[] = {
    {"a.parquet", DS_OK, "a.parquet", "a.parquet", NULL},
    {"part=1/a.parquet", DS_OK, "part=1/a.parquet", "part=1/a.parquet", NULL},
    {"a%2Fb.parquet", DS_OK, "a/b.parquet", "a/b.parquet", NULL}, /* %2F: a separator */
    {"a%252Fb.parquet", DS_OK, "a%2Fb.parquet", "a%252Fb.parquet", NULL}, /* decoded once */
    {"_2=bar+%252521/p.parquet", DS_OK, "_2=bar+%2521/p.parquet", "_2=bar%2B%252521/p.parquet",
     NULL},
    {"x+y", DS_OK, "x+y", "x%2By", NULL}, /* '+' is literal in paths, encoded in URLs */
    {"%C3%A9t%C3%A9", DS_OK, "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9", NULL},
    {"\xc3\xa9t\xc3\xa9", DS_OK, "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9", NULL},
    {"%ff%FE", DS_OK, "\xff\xfe", "%FF%FE", NULL}, /* not UTF-8: bytes all the same */
    {"a%20b", DS_OK, "a b", "a%20b", NULL},
    {"k=v/a=b=c", DS_OK, "k=v/a=b=c", "k=v/a=b=c", NULL},
    {"AZaz09-._~", DS_OK, "AZaz09-._~", "AZaz09-._~", NULL},
    {"%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2C%3B%3A%25%22%3C%3E%5C%5E%60%7B%7C%7D", DS_OK,
     "?#[]@!$&'()*,;:%\"<>\\^`{|}",
     "%3F%23%5B%5D%40%21%24%26%27%28%29%2A%2C%3B%3A%25%22%3C%3E%5C%5E%60%7B%7C%7D", NULL},
    {"%01%09%0A%0D%1F%7F", DS_OK, "\x01\x09\x0a\x0d\x1f\x7f", "%01%09%0A%0D%1F%7F", NULL},
    {"...", DS_OK, "...", "...", NULL},
    {".hidden/..x", DS_OK, ".hidden/..x", ".hidden/..x", NULL},
    {"deletion_vector_0229ec3d-5100-44e1-8e53-702d448da8da.bin", DS_OK,
     "deletion_vector_0229ec3d-5100-44e1-8e53-702d448da8da.bin",
     "deletion_vector_0229ec3d-5100-44e1-8e53-702d448da8da.bin", NULL},
    /* absolute URIs below the root become relative */
    {"file:///srv/delta/t%202/a/b.parquet", DS_OK, "a/b.parquet", "a/b.parquet", NULL},
    {"file:/srv/delta/t%202/a%20b", DS_OK, "a b", "a%20b", NULL},
    {"file://localhost/srv/delta/t%202/x", DS_OK, "x", "x", NULL},
    {"FILE:///srv/delta/t%202/x", DS_OK, "x", "x", NULL},
    {"file:///srv/delta/t 2/x", DS_OK, "x", "x", NULL},
    {"file:///srv/delta/t%202%2Fx", DS_OK, "x", "x", NULL},
    /* a corrupt log */
    {"", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"/a", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a/", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a//b", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {".", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"..", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a/../b", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a/./b", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"../t 2/x", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"..%2Fx", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"%2E%2E/x", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a%2F%2Fb", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"%2Fetc%2Fpasswd", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a%00b", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a%zz", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a%4", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"a%", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"file:///srv/delta/t%202/", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"file:///srv/delta/t%202/../t%202/x", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    {"file:///srv/delta/t%202/%zz", DS_ERR_INTERNAL, NULL, NULL, CORRUPT},
    /* outside the table */
    {"file:///srv/delta/t%202", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"file:///srv/delta/t%2022/x", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"file:///srv/delta/other/x", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"file:///etc/passwd", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"file://otherhost/srv/delta/t%202/x", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"file:srv/delta/t%202/x", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"s3://bucket/t/x", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"https://example.com/x", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
    {"a:b/c", DS_ERR_UNSUPPORTED, NULL, NULL, OUTSIDE},
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
    struct parts p;
    split_url(url.data, &p);
    ck_assert_str_eq(p.upath, path_cases[_i].url);
    ck_assert_str_eq(p.path, path_cases[_i].rel);
    ds_local_link l;
    assert_opens(cat_a, p.token, p.path, p.sig, &l);
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
        struct parts p;
        split_url(url.data, &p);
        ck_assert_str_eq(p.path, c[i].want_rel);
        ds_local_link l;
        assert_opens(cat_a, p.token, p.path, p.sig, &l);
        ck_assert_str_eq(l.root, c[i].want_root);
        ds_buf_free(&url);
    }
    /* a root that is not local is a programming error */
    ck_assert_int_eq(sign(cat_a, "s3://b/t", "x", 60, &acme, &url, &exp, &err),
                     DS_ERR_INTERNAL);
    ds_buf_free(&url);
}
END_TEST

/* The longest path of `unit` repeated that still signs: its URL is within
 * the URI limit and opens; one unit more is refused, never a URL the
 * server would answer 414.  Returns the count and the URL's length. */
static size_t longest(const char *unit, size_t max, size_t *url_len)
{
    size_t ul = strlen(unit);
    char *p = malloc(max * ul + 1);
    ck_assert_ptr_nonnull(p);
    size_t lo = 1, hi = max, best = 0;
    *url_len = 0;
    while (lo <= hi) {
        size_t mid = (lo + hi) / 2;
        for (size_t i = 0; i < mid; i++)
            memcpy(p + i * ul, unit, ul);
        p[mid * ul] = '\0';
        ds_buf url;
        ds_error err;
        int64_t exp;
        ds_status st = sign(cat_a, ROOT, p, 60, &acme, &url, &exp, &err);
        if (st == DS_OK) {
            ck_assert_uint_le(url.len, DS_MAX_URI);
            struct parts *s = malloc(sizeof *s);
            ck_assert_ptr_nonnull(s);
            split_url(url.data, s);
            ck_assert_uint_le(strlen(s->token), DS_LINK_TOKEN_MAX);
            ds_local_link l;
            assert_opens(cat_a, s->token, s->path, s->sig, &l);
            free(s);
            best = mid;
            *url_len = url.len;
            lo = mid + 1;
        } else {
            ck_assert_int_eq(st, DS_ERR_UNSUPPORTED);
            ck_assert_str_eq(err.message, TOO_LONG);
            ck_assert_uint_eq(url.len, 0);
            hi = mid - 1;
        }
        ds_buf_free(&url);
    }
    free(p);
    return best;
}

START_TEST(long_paths)
{
    size_t ulen;
    /* plain bytes: bounded by the log path the signer takes (as before) */
    ck_assert_uint_gt(longest("x", 8000, &ulen), 4000);
    /* bytes that take three each in the URL: bounded by the URI limit,
     * and only by it (the last one that fits is within one step of it) */
    size_t n = longest("\xc3\xa9", 4000, &ulen);
    ck_assert_uint_gt(n, 1000);
    ck_assert_uint_le(ulen, DS_MAX_URI);
    ck_assert_uint_gt(ulen, DS_MAX_URI - 6);
}
END_TEST

/* A link has at most DS_MAX_SEGMENTS segments below the mount ("files",
 * the token and the object's): a deeper object is refused at signing, not
 * answered 404 later. */
START_TEST(deepest_paths)
{
    char p[400];
    for (int depth = 60; depth <= 64; depth++) {
        p[0] = '\0';
        for (int i = 0; i < depth; i++)
            strcat(p, i ? "/d" : "d");
        ds_buf url;
        ds_error err;
        int64_t exp;
        ds_status st = sign(cat_a, ROOT, p, 60, &acme, &url, &exp, &err);
        if (depth <= DS_MAX_SEGMENTS - 2) {
            ck_assert_msg(st == DS_OK, "depth %d: %s", depth, err.detail);
            struct parts s;
            split_url(url.data, &s);
            ck_assert_str_eq(s.path, p);
            ds_local_link l;
            assert_opens(cat_a, s.token, s.path, s.sig, &l);
        } else {
            ck_assert_msg(st == DS_ERR_UNSUPPORTED, "depth %d: status %d", depth, st);
            ck_assert_str_eq(err.message, TOO_LONG);
            ck_assert_ptr_nonnull(strstr(err.detail, "segments"));
            ck_assert_uint_eq(url.len, 0);
        }
        ds_buf_free(&url);
    }
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
    /* object stores get the cloud signer; anything else is refused */
    static const char *const clouds[] = {"s3://b/t", "s3a://b/t", "gs://b/t", "abfss://c@a/t",
                                         "az://c/t", "https://h/t"};
    for (size_t i = 0; i < N_ELEMS(clouds); i++) {
        ds_error_clear(&err);
        ck_assert_int_eq(ds_signer_for(cat_a, clouds[i], &sg, &err), DS_OK);
        ck_assert_ptr_eq(sg.ops, &ds_cloud_signer);
    }
    static const char *const others[] = {"file://host/t", "hdfs://nn/t", "http://h/t"};
    for (size_t i = 0; i < N_ELEMS(others); i++) {
        ds_error_clear(&err);
        ck_assert_int_eq(ds_signer_for(cat_a, others[i], &sg, &err), DS_ERR_UNSUPPORTED);
        ck_assert_str_eq(err.message, "This table's storage is not supported.");
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
    struct parts p;
    split_url(url.data, &p);
    ds_local_link l;
    assert_opens(cat_a, p.token, p.path, p.sig, &l);
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
    ck_assert_int_eq(ds_store_for(NULL, url, &st, &err), DS_OK);
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
    tcase_add_test(tc, format_as_documented);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, round_trip_without_owner);
    tcase_add_test(tc, appends_to_the_buffer);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, tamper_every_token_char);
    tcase_add_test(tc, tamper_every_sig_char);
    tcase_add_test(tc, tamper_every_path_byte);
    tcase_add_test(tc, sig_replayed_for_another_file);
    tcase_add_test(tc, garbled_links);
    tcase_add_test(tc, wrong_key);
    tcase_add_test(tc, expiry_boundary);
    tcase_add_test(tc, lifetime_out_of_range);
    tcase_add_test(tc, sealed_records);
    tcase_add_test(tc, bad_paths_refused_even_signed);
    tcase_add_loop_test(tc, path_rules, 0, (int)N_ELEMS(path_cases));
    tcase_add_test(tc, root_forms);
    tcase_add_test(tc, long_paths);
    tcase_add_test(tc, deepest_paths);
    tcase_add_test(tc, signer_for);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("seal cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, files_of_a_table_share_the_token);
    tcase_add_test(tc, token_changes_with_the_expiry_second);
    tcase_add_test(tc, token_changes_with_the_key);
    tcase_add_test(tc, cache_is_per_thread);
    tcase_set_timeout(tc, 60);
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
