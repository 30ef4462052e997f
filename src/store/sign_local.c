/* sign_local.c - links to this server's own /files/ endpoint for tables on
 * local disk (see sign.h and doc/internals/links.md), and the paths of
 * deletion vectors stored beside a table's data files.
 *
 * The link key (catalog.link_key, itself derived from link-key-file) is
 * split with crypto_kdf into an encryption key (1), a nonce key (2) and a
 * file-signature key (3).  The token is base64url(nonce || ciphertext ||
 * tag) of the sealed record (XChaCha20-Poly1305); the object path follows
 * it in the URL path; sig is base64url of a 16-byte keyed BLAKE2b of the
 * tag and the decoded object path.  Verifying is the AEAD check, then a
 * constant-time comparison of the signature.
 */
#include "config.h"
#include "store/sign.h"
#include "catalog/catalog.h"
#include "delta/actions.h"
#include "delta/delta.h"
#include "http/http.h"
#include "util/text.h"
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LINK_VERSION 2
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES
#define HEAD_BYTES 9 /* version byte, expiry (int64, big-endian) */
#define NFIELDS 5    /* root, recipient, share, schema, table */
#define RAW_MAX (DS_LINK_TOKEN_MAX / 4 * 3)
#define PLAIN_MAX (RAW_MAX - NONCE_BYTES - TAG_BYTES)
#define SIG_BYTES 16
#define SIG_CHARS 22 /* 16 bytes in base64 without padding */
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

#define LINK_DENIED "This link is not valid, or it has expired."

/* Bound into every MAC: a link cannot pass for any other sealed value. */
static const unsigned char link_ad[] = "delta-sharing-fcgi /files/ link";

struct link_keys {
    unsigned char enc[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    unsigned char nonce[crypto_generichash_KEYBYTES];
    unsigned char mac[crypto_generichash_KEYBYTES];
};

static void derive_keys(const ds_catalog *cat, struct link_keys *k)
{
    crypto_kdf_derive_from_key(k->enc, sizeof k->enc, 1, "ds-files", cat->link_key);
    crypto_kdf_derive_from_key(k->nonce, sizeof k->nonce, 2, "ds-files", cat->link_key);
    crypto_kdf_derive_from_key(k->mac, sizeof k->mac, 3, "ds-files", cat->link_key);
}

/* ---- paths ------------------------------------------------------------- */

/* A URI scheme ("file:", "s3:") at the start of p. */
static int has_scheme(const char *p)
{
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    for (p++; *p; p++) {
        if (*p == ':')
            return 1;
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
            return 0;
    }
    return 0;
}

/* The path part of an absolute file URI (file:///p, file://localhost/p,
 * or Hadoop's file:/p), still encoded; NULL for any other URI. */
static const char *file_uri_path(const char *uri)
{
    if (strncasecmp(uri, "file:", 5) != 0)
        return NULL;
    const char *p = uri + 5;
    if (strncmp(p, "///", 3) == 0)
        return p + 2;
    if (strncasecmp(p, "//localhost/", 12) == 0)
        return p + 11;
    if (p[0] == '/' && p[1] != '/')
        return p;
    return NULL;
}

/* Length of the directory part of a file:/// root, without trailing
 * slashes (but "/" for the file-system root). */
static size_t root_dir_len(const char *root)
{
    const char *dir = root + 7; /* after "file://" */
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return n;
}

/* Decodes `path` (as the log writes it) into out (PLAIN_MAX + 1 bytes) as
 * a path below the root directory dir[0..dlen).  Sets err on failure. */
static ds_status object_relpath(const char *dir, size_t dlen, const char *path, char *out,
                                ds_error *err)
{
    size_t n = strlen(path);
    if (n == 0) {
        ds_log_corrupt(err, "an empty file path");
        return err->status;
    }
    if (n > PLAIN_MAX) {
        ds_error_set(err, DS_ERR_UNSUPPORTED,
                     "A file of this table has a path too long to be shared.");
        ds_error_detail(err, "file path of %zu bytes", n);
        return err->status;
    }
    if (has_scheme(path)) {
        const char *enc = file_uri_path(path);
        char full[PLAIN_MAX + 1];
        if (!enc) {
            ds_error_set(err, DS_ERR_UNSUPPORTED, "This table refers to files outside its "
                                                  "location and cannot be shared.");
            ds_error_detail(err, "file path %.300s is not below the table root", path);
            return err->status;
        }
        if (ds_pct_decode(enc, strlen(enc), full, 0) < 0) {
            ds_log_corrupt(err, "a file URI with a malformed percent-encoding: %.300s", path);
            return err->status;
        }
        int under = dlen == 1 ? full[0] == '/'
                              : strncmp(full, dir, dlen) == 0 && full[dlen] == '/';
        if (!under) {
            ds_error_set(err, DS_ERR_UNSUPPORTED, "This table refers to files outside its "
                                                  "location and cannot be shared.");
            ds_error_detail(err, "file path %.300s is not below the table root", path);
            return err->status;
        }
        const char *below = full + (dlen == 1 ? 1 : dlen + 1);
        memcpy(out, below, strlen(below) + 1);
    } else if (ds_pct_decode(path, n, out, 0) < 0) {
        ds_log_corrupt(err, "a file path with a malformed percent-encoding: %.300s", path);
        return err->status;
    }
    if (!ds_relpath_ok(out)) {
        ds_log_corrupt(err, "a file path with an empty, '.' or '..' segment: %.300s", path);
        return err->status;
    }
    return DS_OK;
}

/* ---- presign ------------------------------------------------------------ */

/* The sealed part of a link depends only on the table, the recipient and
 * the expiry, which are the same for every file of a query: it is made
 * once and kept in a one-entry cache per thread, so that signing a file
 * costs one short keyed hash.  Expiries are whole seconds, so a query
 * signed within one second reuses one token. */
struct seal_cache {
    int valid;
    /* the link key itself, not the catalog's address: a catalog freed and
     * another (with another key) allocated at the same address must not
     * get the old key's token */
    unsigned char link_key[DS_KEY_BYTES];
    int64_t expires;
    size_t keylen;
    char key[PLAIN_MAX];  /* root, recipient, share, schema, table (NUL-separated) */
    char token[DS_LINK_TOKEN_MAX + 8];
    size_t token_len;
    unsigned char tag[TAG_BYTES];
    unsigned char sig_key[crypto_shorthash_siphashx24_KEYBYTES]; /* this token's */
};
static _Thread_local struct seal_cache cache;

static int put_field(unsigned char *pt, size_t *len, const char *s, int last)
{
    size_t n = strlen(s) + (last ? 0 : 1);
    if (n > PLAIN_MAX - *len)
        return -1;
    memcpy(pt + *len, s, n); /* with its NUL separator, except the last */
    *len += n;
    return 0;
}

/* The per-file signature.  Each token has its own signing key, a keyed
 * BLAKE2b (subkey 3) of the token's tag, made once with the token; a
 * file's sig is SipHash-2-4 with 128-bit output (crypto_shorthash
 * siphashx24) of the decoded object path under that key: a PRF built for
 * short inputs, about 20 ns a file where a keyed BLAKE2b took 280. */
static void token_sig_key(const unsigned char *mac_key, const unsigned char *tag,
                          unsigned char out[crypto_shorthash_siphashx24_KEYBYTES])
{
    crypto_generichash(out, crypto_shorthash_siphashx24_KEYBYTES, tag, TAG_BYTES, mac_key,
                       crypto_generichash_KEYBYTES);
}

static void file_sig(const unsigned char *sig_key, const char *rel, unsigned char out[SIG_BYTES])
{
    crypto_shorthash_siphashx24(out, (const unsigned char *)rel, strlen(rel), sig_key);
}

/* URL-safe base64 (no padding) of SIG_BYTES bytes: SIG_CHARS characters
 * and a NUL; the same text sodium_bin2base64 gives, without its setup. */
static void sig_text(const unsigned char in[SIG_BYTES], char out[SIG_CHARS + 1])
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 3 <= SIG_BYTES; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = al[v >> 18];
        out[o++] = al[(v >> 12) & 63];
        out[o++] = al[(v >> 6) & 63];
        out[o++] = al[v & 63];
    }
    /* SIG_BYTES = 16: one byte left */
    uint32_t v = (uint32_t)in[i] << 16;
    out[o++] = al[v >> 18];
    out[o++] = al[(v >> 12) & 63];
    out[o] = '\0';
}

static ds_status too_long(ds_error *err, const char *what, size_t n)
{
    ds_error_set(err, DS_ERR_UNSUPPORTED, "A file of this table has a path too long to be shared.");
    ds_error_detail(err, "%s of %zu bytes", what, n);
    return err->status;
}

/* Fills the cache for (root, owner, expires) unless it holds them. */
static ds_status seal(const ds_catalog *cat, const char *rootn, const ds_link_owner *owner,
                      int64_t expires, ds_error *err)
{
    const char *fields[NFIELDS] = {rootn, owner->recipient ? owner->recipient : "",
                                   owner->share ? owner->share : "",
                                   owner->schema ? owner->schema : "",
                                   owner->table ? owner->table : ""};
    unsigned char pt[PLAIN_MAX];
    size_t pl = HEAD_BYTES;
    for (int i = 0; i < NFIELDS; i++)
        if (put_field(pt, &pl, fields[i], i == NFIELDS - 1) < 0)
            return too_long(err, "link record", PLAIN_MAX + 1);
    size_t keylen = pl - HEAD_BYTES;
    /* memcmp, not sodium_memcmp: both keys are the server's own, neither
     * comes from a request, and this runs once per file */
    if (cache.valid && cache.expires == expires && cache.keylen == keylen &&
        memcmp(cache.link_key, cat->link_key, DS_KEY_BYTES) == 0 &&
        memcmp(cache.key, pt + HEAD_BYTES, keylen) == 0)
        return DS_OK;
    pt[0] = LINK_VERSION;
    for (int i = 0; i < 8; i++)
        pt[1 + i] = (unsigned char)((uint64_t)expires >> (56 - 8 * i));
    struct link_keys k;
    derive_keys(cat, &k);
    unsigned char raw[NONCE_BYTES + PLAIN_MAX + TAG_BYTES];
    /* deterministic nonce: a keyed hash of the record (SIV-like; equal
     * records are the only thing two equal tokens reveal) */
    crypto_generichash(raw, NONCE_BYTES, pt, pl, k.nonce, sizeof k.nonce);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(raw + NONCE_BYTES, raw + NONCE_BYTES + pl,
                                                        NULL, pt, pl, link_ad,
                                                        sizeof link_ad - 1, NULL, raw, k.enc);
    size_t rawlen = NONCE_BYTES + pl + TAG_BYTES;
    if (sodium_base64_ENCODED_LEN(rawlen, B64) > sizeof cache.token) {
        sodium_memzero(&k, sizeof k);
        return too_long(err, "link token", sodium_base64_ENCODED_LEN(rawlen, B64));
    }
    cache.valid = 1;
    memcpy(cache.link_key, cat->link_key, DS_KEY_BYTES);
    cache.expires = expires;
    cache.keylen = keylen;
    memcpy(cache.key, pt + HEAD_BYTES, keylen);
    memcpy(cache.tag, raw + NONCE_BYTES + pl, TAG_BYTES);
    token_sig_key(k.mac, cache.tag, cache.sig_key);
    sodium_bin2base64(cache.token, sizeof cache.token, raw, rawlen, B64);
    cache.token_len = strlen(cache.token);
    sodium_memzero(&k, sizeof k);
    sodium_memzero(pt, sizeof pt);
    return DS_OK;
}

/* Whether c stands as it is in the path of a link: the unreserved
 * characters, '/' and '=' (partition directories read better as they are).
 * '+' is encoded so that no form decoder can turn it into a space. */
static const unsigned char kept[256] = {
    ['a' ... 'z'] = 1, ['A' ... 'Z'] = 1, ['0' ... '9'] = 1,
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1, ['/'] = 1, ['='] = 1,
};

static inline int kept_in_url(unsigned char c)
{
    return kept[c];
}

/* Length of rel once encoded by put_path, and its number of segments. */
static size_t url_path_len(const char *rel, size_t *nsegs)
{
    size_t n = 0, segs = 1;
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        n += kept_in_url(*p) ? 1 : 3;
        segs += *p == '/';
    }
    *nsegs = segs;
    return n;
}

/* Appends rel to url, percent-encoding (upper-case hex) every byte that
 * kept_in_url does not keep. */
static int put_path(ds_buf *url, const char *rel)
{
    static const char hx[] = "0123456789ABCDEF";
    size_t n = strlen(rel);
    char *o = ds_buf_reserve(url, 3 * n), *o0 = o;
    if (!o)
        return -1;
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++) {
        unsigned char c = *p;
        if (kept_in_url(c)) {
            *o++ = (char)c;
        } else {
            *o++ = '%';
            *o++ = hx[c >> 4];
            *o++ = hx[c & 15];
        }
    }
    ds_buf_commit(url, (size_t)(o - o0));
    return 0;
}

static ds_status local_presign(void *ctx, const char *root, const char *path, int64_t ttl_s,
                               const ds_link_owner *owner, ds_buf *url, int64_t *expires_ms,
                               ds_error *err)
{
    const ds_catalog *cat = ctx;
    if (!cat->has_link_key || strncmp(root, "file:///", 8) != 0) {
        ds_error_set(err, DS_ERR_INTERNAL, NULL);
        ds_error_detail(err, cat->has_link_key ? "local signer for a non-local root"
                                               : "local signer without link-key-file");
        return err->status;
    }
    if (ttl_s <= 0 || ttl_s > INT64_C(10) * 366 * 86400) {
        ds_error_set(err, DS_ERR_INTERNAL, NULL);
        ds_error_detail(err, "link lifetime %lld s out of range", (long long)ttl_s);
        return err->status;
    }
    size_t dlen = root_dir_len(root);
    /* most paths need no decoding and no encoding: only characters a link
     * keeps as they are (so no '%' and no scheme) */
    size_t raw_len = 0, slashes = 0;
    int plain = 1;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++, raw_len++) {
        plain &= kept[*p];
        slashes += *p == '/';
    }
    char relbuf[PLAIN_MAX + 1];
    const char *rel = relbuf;
    if (plain && raw_len > 0 && raw_len <= PLAIN_MAX) {
        if (!ds_relpath_ok(path)) {
            ds_log_corrupt(err, "a file path with an empty, '.' or '..' segment: %.300s", path);
            return err->status;
        }
        rel = path;
    } else {
        plain = 0;
        if (object_relpath(root + 7, dlen, path, relbuf, err) != DS_OK)
            return err->status;
    }
    char rootn[8 + 4096 + 1];
    if (7 + dlen >= sizeof rootn)
        return too_long(err, "table root", dlen);
    memcpy(rootn, root, 7 + dlen); /* "file://" and the directory */
    rootn[7 + dlen] = '\0';
    static const ds_link_owner nobody = {"", "", "", ""};
    int64_t expires = (ds_now_ms() / 1000 + ttl_s) * 1000;
    if (seal(cat, rootn, owner ? owner : &nobody, expires, err) != DS_OK)
        return err->status;

    /* a link the server would refuse is never handed out: 414 beyond
     * DS_MAX_URI (the length is exact, so every path whose link fits gets
     * one), 404 beyond DS_MAX_SEGMENTS ("files", the token, then the
     * object's segments) */
    size_t nsegs, plen;
    if (plain) {
        plen = raw_len;
        nsegs = 1 + slashes;
    } else {
        plen = url_path_len(rel, &nsegs);
    }
    if (nsegs > DS_MAX_SEGMENTS - 2) {
        ds_error_set(err, DS_ERR_UNSUPPORTED,
                     "A file of this table has a path too long to be shared.");
        ds_error_detail(err, "object path of %zu segments (at most %d fit in a link)", nsegs,
                        DS_MAX_SEGMENTS - 2);
        return err->status;
    }
    size_t ulen = strlen(cat->endpoint) + strlen("/files/") + cache.token_len + 1 + plen +
                  strlen("?sp=r&sig=") + SIG_CHARS;
    if (ulen > DS_MAX_URI)
        return too_long(err, "link URL", ulen);

    unsigned char sb[SIG_BYTES];
    char sig[SIG_CHARS + 1];
    file_sig(cache.sig_key, rel, sb);
    sig_text(sb, sig);
    if (ds_buf_puts(url, cat->endpoint) < 0 || ds_buf_append(url, "/files/", 7) < 0 ||
        ds_buf_append(url, cache.token, cache.token_len) < 0 || ds_buf_putc(url, '/') < 0 ||
        (plain ? ds_buf_append(url, path, raw_len) : put_path(url, rel)) < 0 || ds_buf_append(url, "?sp=r&sig=", 10) < 0 ||
        ds_buf_append(url, sig, SIG_CHARS) < 0) {
        ds_error_set(err, DS_ERR_NOMEM, NULL);
        ds_error_detail(err, "the signed URL does not fit its buffer");
        return err->status;
    }
    *expires_ms = expires;
    return DS_OK;
}

const ds_signer_ops ds_local_signer = {
    .name = "local",
    .presign = local_presign,
};

ds_status ds_signer_for(const ds_catalog *cat, const char *location, ds_signer *out,
                        ds_error *err)
{
    if (strncmp(location, "file:///", 8) == 0) {
        if (!cat->has_link_key) {
            ds_error_set(err, DS_ERR_INTERNAL, NULL);
            ds_error_detail(err, "a file:// table needs link-key-file to sign its links");
            return err->status;
        }
        out->ops = &ds_local_signer;
        out->ctx = (void *)cat;
        return DS_OK;
    }
    return ds_cloud_signer_for(cat, location, out, err);
}

/* ---- open --------------------------------------------------------------- */

static ds_status deny(ds_error *err, const char *why)
{
    ds_error_set(err, DS_ERR_FORBIDDEN, LINK_DENIED);
    ds_error_detail(err, "link refused: %s", why);
    return err->status;
}

ds_status ds_local_link_open(const ds_catalog *cat, ds_arena *a, const char *token,
                             const char *path, const char *sig, ds_local_link *out,
                             ds_error *err)
{
    if (!cat->has_link_key)
        return deny(err, "no link-key-file is configured");
    if (!token || !sig || !path)
        return deny(err, "token, path or signature missing");
    size_t tl = strlen(token);
    if (tl == 0 || tl > DS_LINK_TOKEN_MAX)
        return deny(err, "token length out of range");
    if (strlen(sig) != SIG_CHARS)
        return deny(err, "signature of the wrong length");
    if (!ds_relpath_ok(path))
        return deny(err, "the object path has an empty, '.' or '..' segment");
    unsigned char raw[RAW_MAX + 3], sb[SIG_BYTES + 2];
    size_t rawlen = 0, sblen = 0;
    const char *end = NULL;
    if (sodium_base642bin(raw, sizeof raw, token, tl, NULL, &rawlen, &end, B64) != 0 ||
        end != token + tl)
        return deny(err, "token is not URL-safe base64");
    if (rawlen < NONCE_BYTES + HEAD_BYTES + NFIELDS - 1 + TAG_BYTES)
        return deny(err, "token too short");
    if (sodium_base642bin(sb, sizeof sb, sig, SIG_CHARS, NULL, &sblen, &end, B64) != 0 ||
        end != sig + SIG_CHARS || sblen != SIG_BYTES)
        return deny(err, "signature is not URL-safe base64");

    /* only the canonical spelling: no second token for the same bytes */
    char canon[DS_LINK_TOKEN_MAX + 8];
    sodium_bin2base64(canon, sizeof canon, raw, rawlen, B64);
    if (strcmp(canon, token) != 0)
        return deny(err, "token is not in canonical base64");
    sodium_bin2base64(canon, sizeof canon, sb, sblen, B64);
    if (strcmp(canon, sig) != 0)
        return deny(err, "signature is not in canonical base64");

    size_t pl = rawlen - NONCE_BYTES - TAG_BYTES;
    const unsigned char *tag = raw + NONCE_BYTES + pl;
    unsigned char *pt = ds_arena_alloc(a, pl + 1);
    if (!pt)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    struct link_keys k;
    derive_keys(cat, &k);
    int bad = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(
        pt, NULL, raw + NONCE_BYTES, pl, tag, link_ad, sizeof link_ad - 1, raw, k.enc);
    unsigned char want[SIG_BYTES], sk[crypto_shorthash_siphashx24_KEYBYTES];
    if (!bad) {
        token_sig_key(k.mac, tag, sk);
        file_sig(sk, path, want);
        sodium_memzero(sk, sizeof sk);
    }
    sodium_memzero(&k, sizeof k);
    if (bad)
        return deny(err, "authentication failed (tampered, or signed with another key)");
    if (sodium_memcmp(want, sb, SIG_BYTES) != 0)
        return deny(err, "the signature does not match the object path");
    pt[pl] = '\0';
    if (pt[0] != LINK_VERSION)
        return deny(err, "unknown link format version");
    uint64_t ex = 0;
    for (int i = 0; i < 8; i++)
        ex = ex << 8 | pt[1 + i];
    /* split the NUL-separated fields; exactly NFIELDS */
    const char *f[NFIELDS];
    size_t nf = 0;
    int ended = 0;
    const char *s = (const char *)pt + HEAD_BYTES, *e = (const char *)pt + pl;
    while (nf < NFIELDS) {
        f[nf++] = s;
        const char *z = memchr(s, '\0', (size_t)(e - s) + 1);
        if (z == e) {
            ended = 1;
            break;
        }
        s = z + 1;
    }
    if (nf != NFIELDS || !ended)
        return deny(err, "malformed link record");
    if (strncmp(f[0], "file:///", 8) != 0)
        return deny(err, "malformed link record");
    int64_t expires = (int64_t)ex;
    int64_t now = ds_now_ms();
    if (now > expires) {
        char when[40], why[64];
        ds_time_format(expires, when, sizeof when);
        snprintf(why, sizeof why, "expired at %s", when);
        return deny(err, why);
    }
    char *rp = ds_arena_strdup(a, path);
    if (!rp)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    out->root = f[0];
    out->relpath = rp;
    out->expires_ms = expires;
    out->owner.recipient = f[1];
    out->owner.share = f[2];
    out->owner.schema = f[3];
    out->owner.table = f[4];
    return DS_OK;
}

/* ---- deletion vectors ------------------------------------------------------ */

const char *ds_dv_relative_path(ds_arena *a, const ds_dv *dv, ds_error *err)
{
    if (!dv || !dv->storage_type || strcmp(dv->storage_type, "u") != 0 ||
        !dv->path_or_inline) {
        ds_log_corrupt(err, "a deletion vector stored beside the table was expected");
        return NULL;
    }
    const char *p = dv->path_or_inline;
    size_t n = strlen(p);
    unsigned char id[16];
    if (n < 20 || ds_z85_decode(p + n - 20, 20, id) != 16) {
        ds_log_corrupt(err, "deletion vector pathOrInlineDv '%.60s' does not end in a "
                            "Z85-encoded UUID", p);
        return NULL;
    }
    /* the random prefix is a directory name as it is on disk: encode it
     * like the log encodes paths, so that presign decodes it back */
    size_t pn = n - 20;
    char *prefix = ds_arena_alloc(a, pn * 3 + 2);
    char hex[33];
    if (!prefix)
        goto oom;
    size_t o = 0;
    for (size_t i = 0; i < pn; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            prefix[o++] = (char)c;
        } else {
            static const char hx[] = "0123456789ABCDEF";
            prefix[o++] = '%';
            prefix[o++] = hx[c >> 4];
            prefix[o++] = hx[c & 15];
        }
    }
    if (pn)
        prefix[o++] = '/';
    prefix[o] = '\0';
    ds_hex_encode(id, sizeof id, hex);
    const char *r = ds_arena_printf(a, "%sdeletion_vector_%.8s-%.4s-%.4s-%.4s-%.12s.bin",
                                    prefix, hex, hex + 8, hex + 12, hex + 16, hex + 20);
    if (r)
        return r;
oom:
    ds_error_set(err, DS_ERR_NOMEM, NULL);
    return NULL;
}
