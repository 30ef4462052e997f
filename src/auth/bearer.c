/* bearer.c - bearer-token authentication against hashed tokens.
 *
 * The presented token is hashed with SHA-256 and compared, in constant
 * time, with every configured hash; the loop never stops early, so the
 * time taken does not depend on which entry (if any) matched. */
#include "config.h"
#include "auth/auth.h"
#include "catalog/catalog.h"
#include "http/http.h"
#include <sodium.h>
#include <string.h>

#define MAX_TOKEN_BYTES 4096

static int token68(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

const char *ds_bearer_token(const char *v, size_t *len)
{
    if (!v)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    if (strncasecmp(v, "Bearer", 6) != 0 || (v[6] != ' ' && v[6] != '\t'))
        return NULL;
    v += 6;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = 0;
    while (v[n] && token68((unsigned char)v[n]))
        n++;
    size_t end = n;
    while (v[end] == ' ' || v[end] == '\t')
        end++;
    if (n == 0 || v[end] != '\0' || n > MAX_TOKEN_BYTES)
        return NULL;
    /* '=' may only pad the end */
    for (size_t i = 0; i < n; i++)
        if (v[i] == '=' && v[i + 1] != '=' && i + 1 != n)
            return NULL;
    *len = n;
    return v;
}

static ds_status bearer_authenticate(void *ctx, const ds_request *req,
                                     const ds_recipient **out, ds_error *err)
{
    const ds_catalog *cat = ctx;
    const char *hv = ds_request_header(req, "Authorization");
    if (!hv || !*hv)
        return ds_error_set(err, DS_ERR_UNAUTHENTICATED,
                            "Missing bearer token: send 'Authorization: Bearer <token>'.");
    size_t n;
    const char *tok = ds_bearer_token(hv, &n);
    if (!tok)
        return ds_error_set(err, DS_ERR_UNAUTHENTICATED,
                            "Malformed Authorization header: expected 'Bearer <token>'.");
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)tok, n);
    const ds_recipient *found = NULL;
    const ds_token_cfg *ftok = NULL;
    for (size_t i = 0; i < cat->nrecipients; i++) {
        const ds_recipient *r = cat->recipients[i];
        for (size_t j = 0; j < r->ntokens; j++) {
            int eq = sodium_memcmp(h, r->tokens[j].sha256, sizeof h) == 0;
            /* branch-free selection */
            uintptr_t m = (uintptr_t)0 - (uintptr_t)eq;
            found = (const ds_recipient *)(((uintptr_t)r & m) | ((uintptr_t)found & ~m));
            ftok = (const ds_token_cfg *)(((uintptr_t)&r->tokens[j] & m) |
                                          ((uintptr_t)ftok & ~m));
        }
    }
    sodium_memzero(h, sizeof h);
    if (!found)
        return ds_error_set(err, DS_ERR_UNAUTHENTICATED, "The bearer token is not valid.");
    int64_t now = ds_now_ms();
    if ((found->expires_ms && now >= found->expires_ms) ||
        (ftok->expires_ms && now >= ftok->expires_ms)) {
        ds_error_set(err, DS_ERR_UNAUTHENTICATED, "The bearer token has expired.");
        ds_error_detail(err, "expired token of recipient %s", found->name);
        return err->status;
    }
    *out = found;
    return DS_OK;
}

const ds_auth_ops ds_bearer_auth = {
    .name = "bearer",
    .authenticate = bearer_authenticate,
};
