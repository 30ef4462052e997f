/* gcs_sign.c - Google Cloud Storage V4 signed URLs with a service-account
 * RSA key (GOOG4-RSA-SHA256), and the reader of a service-account JSON key
 * file (see cloudsign.h).  The canonical request and string to sign are
 * the query-signed V4 ones of sigv4.c with Google's names; only the last
 * step differs: RSASSA-PKCS1-v1_5 with SHA-256 instead of the HMAC chain. */
#include "config.h"
#include "store/cloudsign.h"
#include "store/cloudsign_int.h"
#include "util/text.h"
#include <json-c/json.h>
#include <sodium.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GCS_ALG "GOOG4-RSA-SHA256"

static ds_status fail_with(ds_error *err, ds_status st, const char *why)
{
    ds_error_set(err, st, DS_CS_FAILED);
    ds_error_detail(err, "GCS signing: %s", why);
    return err ? err->status : st;
}

/* libcrypto, opened when the first service-account key is read.  Only RSA
 * needs it (SHA-256 and HMAC come from libsodium), and linking it costs
 * every CGI process thousands of relocations at start-up, for a feature
 * few configs use.  The OpenSSL headers give the prototypes. */
static struct {
    void *lib;
    __typeof__(BIO_new_mem_buf) *bio_new_mem_buf;
    __typeof__(BIO_free) *bio_free;
    __typeof__(PEM_read_bio_PrivateKey) *pem_read_key;
    __typeof__(ERR_clear_error) *err_clear;
    int (*pkey_base_id)(const EVP_PKEY *);
    __typeof__(EVP_PKEY_free) *pkey_free;
    __typeof__(EVP_MD_CTX_new) *md_ctx_new;
    __typeof__(EVP_MD_CTX_free) *md_ctx_free;
    __typeof__(EVP_DigestSignInit) *sign_init;
    __typeof__(EVP_sha256) *sha256;
    int (*set_rsa_padding)(EVP_PKEY_CTX *, int);
    __typeof__(EVP_DigestSign) *sign;
    char why[200];
} oc;

static int load_crypto(void)
{
    if (oc.lib)
        return 0;
    static const char *const names[] = {"libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so"};
    void *lib = NULL;
    for (size_t i = 0; !lib && i < sizeof names / sizeof *names; i++)
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(oc.why, sizeof oc.why, "libcrypto could not be loaded: %s", e ? e : "?");
        return -1;
    }
    /* OpenSSL 3 renamed EVP_PKEY_base_id (now a macro) */
    void *base_id = dlsym(lib, "EVP_PKEY_get_base_id");
    if (!base_id)
        base_id = dlsym(lib, "EVP_PKEY_base_id");
    struct {
        void **slot;
        const char *name;
    } syms[] = {
        {(void **)&oc.bio_new_mem_buf, "BIO_new_mem_buf"},
        {(void **)&oc.bio_free, "BIO_free"},
        {(void **)&oc.pem_read_key, "PEM_read_bio_PrivateKey"},
        {(void **)&oc.err_clear, "ERR_clear_error"},
        {(void **)&oc.pkey_free, "EVP_PKEY_free"},
        {(void **)&oc.md_ctx_new, "EVP_MD_CTX_new"},
        {(void **)&oc.md_ctx_free, "EVP_MD_CTX_free"},
        {(void **)&oc.sign_init, "EVP_DigestSignInit"},
        {(void **)&oc.sha256, "EVP_sha256"},
        {(void **)&oc.set_rsa_padding, "EVP_PKEY_CTX_set_rsa_padding"},
        {(void **)&oc.sign, "EVP_DigestSign"},
    };
    *(void **)&oc.pkey_base_id = base_id;
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
        if (!(*syms[i].slot = dlsym(lib, syms[i].name)) || !base_id) {
            snprintf(oc.why, sizeof oc.why, "libcrypto lacks %s",
                     base_id ? syms[i].name : "EVP_PKEY_get_base_id");
            dlclose(lib);
            return -1;
        }
    oc.lib = lib;
    return 0;
}

void ds_rsa_key_free(ds_rsa_key *key)
{
    if (key && oc.lib)
        oc.pkey_free((EVP_PKEY *)key);
}

/* RSASSA-PKCS1-v1_5 / SHA-256 of d[0..n): raw bytes into raw, or
 * lower-case hex into hex (one of the two is NULL). */
static ds_status rsa_sign(EVP_PKEY *key, const ds_buf *d, ds_buf *raw, ds_buf *hex,
                          ds_error *err);
static ds_status rsa_sign_hex(EVP_PKEY *key, const ds_buf *d, ds_buf *hex, ds_error *err)
{
    return rsa_sign(key, d, NULL, hex, err);
}

static ds_status rsa_sign(EVP_PKEY *key, const ds_buf *d, ds_buf *raw, ds_buf *hex,
                          ds_error *err)
{
    EVP_MD_CTX *ctx = oc.md_ctx_new();
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    ds_status st = DS_OK;
    if (!ctx || oc.sign_init(ctx, &pctx, oc.sha256(), NULL, key) != 1 ||
        oc.set_rsa_padding(pctx, RSA_PKCS1_PADDING) <= 0 ||
        oc.sign(ctx, NULL, &siglen, (const unsigned char *)d->data, d->len) != 1 ||
        siglen == 0 || siglen > 2048 || !(sig = malloc(siglen)) ||
        oc.sign(ctx, sig, &siglen, (const unsigned char *)d->data, d->len) != 1) {
        oc.err_clear();
        st = fail_with(err, DS_ERR_INTERNAL, "the RSA signature failed");
    } else if (raw) {
        if (ds_buf_append(raw, sig, siglen) < 0)
            st = fail_with(err, DS_ERR_NOMEM, "the signature does not fit its buffer");
    } else {
        char *w = ds_buf_reserve(hex, 2 * siglen + 1);
        if (!w) {
            st = fail_with(err, DS_ERR_NOMEM, "the signature does not fit its buffer");
        } else {
            ds_hex_encode(sig, siglen, w);
            ds_buf_commit(hex, 2 * siglen);
        }
    }
    free(sig);
    if (ctx)
        oc.md_ctx_free(ctx);
    return st;
}

ds_status ds_gcs_presign_rsa(ds_rsa_key *rkey, const char *client_email, int64_t now_s,
                             int64_t expires_s, const char *url_base, const char *host,
                             const char *path, const ds_kv *query, size_t nquery, ds_buf *out,
                             ds_sign_trace *trace, ds_error *err)
{
    EVP_PKEY *key = (EVP_PKEY *)rkey;
    if (load_crypto() < 0)
        return fail_with(err, DS_ERR_INTERNAL, oc.why);
    if (!key || oc.pkey_base_id(key) != EVP_PKEY_RSA)
        return fail_with(err, DS_ERR_CONFIG, "the key is not an RSA key");
    if (!ds_cs_str_ok(client_email) || !*client_email)
        return fail_with(err, DS_ERR_CONFIG, "the client e-mail is empty or too long");
    if (!ds_cs_str_ok(host))
        return fail_with(err, DS_ERR_INTERNAL, "the host is not valid");
    char stamp[17], date[9];
    if (ds_cs_stamp(now_s, stamp, date) < 0)
        return fail_with(err, DS_ERR_INTERNAL, "the signing time is out of range");
    char scope[64];
    memcpy(scope, date, 8);
    memcpy(scope + 8, "/auto/storage/goog4_request", sizeof "/auto/storage/goog4_request");

    ds_cs_presign in = {GCS_ALG, "X-Goog-", stamp, scope, client_email, NULL, expires_s,
                        "GET", host, path, query, nquery};
    ds_cs_params params = {0};
    ds_buf cr, sts, sig;
    ds_buf_init(&cr, 4 * DS_CLOUDSIGN_MAX);
    ds_buf_init(&sts, 4096);
    ds_buf_init(&sig, 8192);
    ds_status st = ds_cs_presign_prepare(&in, &params, &cr, &sts, err);
    if (st == DS_OK)
        st = rsa_sign_hex(key, &sts, &sig, err);
    if (st == DS_OK)
        st = ds_cs_presign_finish(&in, &params, url_base, sig.data, 0, out, err);
    if (st == DS_OK && trace) {
        ds_cs_trace(trace->canonical_request, &cr);
        ds_cs_trace(trace->string_to_sign, &sts);
    }
    ds_cs_params_free(&params);
    ds_buf_free(&cr);
    ds_buf_free(&sts);
    ds_buf_free(&sig);
    return st;
}

/* A string member of a JSON object, or NULL. */
static json_object *str_member(json_object *o, const char *name)
{
    json_object *v = NULL;
    if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return v;
}

ds_status ds_gcs_service_account_parse(const char *json, size_t len, char **client_email,
                                       ds_rsa_key **key, ds_error *err)
{
    *client_email = NULL;
    *key = NULL;
    if (load_crypto() < 0) {
        ds_error_set(err, DS_ERR_CONFIG, "The service-account key file cannot be read here.");
        ds_error_detail(err, "GCS key: %s", oc.why);
        return err ? err->status : DS_ERR_CONFIG;
    }
    if (!json || len > DS_CLOUDSIGN_MAX || len > INT32_MAX) {
        ds_error_set(err, DS_ERR_CONFIG, "The service-account key file is not valid.");
        ds_error_detail(err, "GCS key: missing or larger than %d bytes", DS_CLOUDSIGN_MAX);
        return err ? err->status : DS_ERR_CONFIG;
    }
    json_tokener *tok = json_tokener_new();
    json_object *root = tok ? json_tokener_parse_ex(tok, json, (int)len) : NULL;
    const char *why = NULL;
    if (!tok)
        why = "out of memory";
    else if (!root || json_tokener_get_error(tok) != json_tokener_success ||
             json_tokener_get_parse_end(tok) != len)
        why = "not one JSON object";
    json_object *type = NULL, *email = NULL, *pem = NULL;
    if (!why && !json_object_is_type(root, json_type_object))
        why = "not a JSON object";
    if (!why && (type = str_member(root, "type")) &&
        strcmp(json_object_get_string(type), "service_account") != 0)
        why = "its type is not service_account";
    if (!why && (!(email = str_member(root, "client_email")) ||
                 !ds_cs_str_ok(json_object_get_string(email)) ||
                 !*json_object_get_string(email)))
        why = "no client_email";
    if (!why && !(pem = str_member(root, "private_key")))
        why = "no private_key";
    if (!why) {
        const char *p = json_object_get_string(pem);
        int plen = json_object_get_string_len(pem);
        BIO *bio = oc.bio_new_mem_buf(p, plen);
        EVP_PKEY *k = bio ? oc.pem_read_key(bio, NULL, NULL, NULL) : NULL;
        if (bio)
            oc.bio_free(bio);
        oc.err_clear(); /* a failed PEM read leaves its errors queued */
        if (!k)
            why = "private_key is not a PEM private key";
        else if (oc.pkey_base_id(k) != EVP_PKEY_RSA) {
            why = "private_key is not an RSA key";
            oc.pkey_free(k);
        } else if (!(*client_email = strdup(json_object_get_string(email)))) {
            why = "out of memory";
            oc.pkey_free(k);
        } else {
            *key = (ds_rsa_key *)k;
        }
        /* the parsed copy of the PEM text is json-c's own buffer */
        sodium_memzero((char *)p, (size_t)plen);
    }
    json_object_put(root);
    json_tokener_free(tok);
    if (why) {
        ds_error_set(err, DS_ERR_CONFIG, "The service-account key file is not valid.");
        ds_error_detail(err, "GCS key: %s", why);
        return err ? err->status : DS_ERR_CONFIG;
    }
    return DS_OK;
}

/* ---- OAuth 2.0 JWT-bearer assertions ------------------------------------ */

static int put_b64url(ds_buf *out, const void *bin, size_t n)
{
    size_t room = sodium_base64_encoded_len(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *w = ds_buf_reserve(out, room);
    if (!w)
        return -1;
    sodium_bin2base64(w, room, bin, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    ds_buf_commit(out, strlen(w));
    return 0;
}

ds_status ds_gcs_jwt(ds_rsa_key *rkey, const char *client_email, const char *scope,
                     const char *aud, int64_t now_s, ds_buf *out, ds_error *err)
{
    if (load_crypto() < 0)
        return fail_with(err, DS_ERR_INTERNAL, oc.why);
    EVP_PKEY *key = (EVP_PKEY *)rkey;
    if (!key || oc.pkey_base_id(key) != EVP_PKEY_RSA)
        return fail_with(err, DS_ERR_CONFIG, "the key is not an RSA key");
    json_object *c = json_object_new_object();
    if (!c)
        return fail_with(err, DS_ERR_NOMEM, "out of memory");
    json_object_object_add(c, "iss", json_object_new_string(client_email));
    json_object_object_add(c, "scope", json_object_new_string(scope));
    json_object_object_add(c, "aud", json_object_new_string(aud));
    json_object_object_add(c, "iat", json_object_new_int64(now_s));
    json_object_object_add(c, "exp", json_object_new_int64(now_s + 3600));
    const char *claims = json_object_to_json_string_ext(c, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    static const char head[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    ds_buf in, sig;
    ds_buf_init(&in, 16384);
    ds_buf_init(&sig, 2048);
    ds_status st = DS_OK;
    if (!claims || put_b64url(&in, head, sizeof head - 1) < 0 || ds_buf_putc(&in, '.') < 0 ||
        put_b64url(&in, claims, strlen(claims)) < 0)
        st = fail_with(err, DS_ERR_NOMEM, "the JWT does not fit its buffer");
    if (st == DS_OK)
        st = rsa_sign(key, &in, &sig, NULL, err);
    if (st == DS_OK && (ds_buf_append(out, in.data, in.len) < 0 || ds_buf_putc(out, '.') < 0 ||
                        put_b64url(out, sig.data, sig.len) < 0))
        st = fail_with(err, DS_ERR_NOMEM, "the JWT does not fit its buffer");
    json_object_put(c);
    ds_buf_free(&in);
    ds_buf_free(&sig);
    return st;
}

char *ds_gcs_token_uri(const char *json, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *root = tok && len < INT32_MAX ? json_tokener_parse_ex(tok, json, (int)len) : NULL;
    json_object *u = root && json_object_is_type(root, json_type_object) ? str_member(root, "token_uri") : NULL;
    const char *v = u ? json_object_get_string(u) : NULL;
    char *out = NULL;
    if (v && (strncmp(v, "https://", 8) == 0 || strncmp(v, "http://", 7) == 0) &&
        ds_cs_str_ok(v) && !strpbrk(v, " #"))
        out = strdup(v);
    json_object_put(root);
    if (tok)
        json_tokener_free(tok);
    return out;
}
