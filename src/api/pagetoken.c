/* pagetoken.c - stateless, tamper-proof list page tokens (see api.h). */
#include "config.h"
#include "api/api.h"
#include "catalog/catalog.h"
#include <sodium.h>
#include <string.h>

#define TOKEN_VERSION 1
#define MAC_BYTES DS_TOKEN_MAC_BYTES
#define RAW_BYTES (1 + 4 + MAC_BYTES)

void ds_token_mac(const ds_catalog *cat, const char *domain, const unsigned char *body,
                  size_t n, int with_generation, const char *binding,
                  unsigned char out[DS_TOKEN_MAC_BYTES])
{
    crypto_auth_hmacsha256_state st;
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, cat->token_key, sizeof cat->token_key);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)domain, strlen(domain) + 1);
    if (with_generation)
        crypto_auth_hmacsha256_update(&st, ds_catalog_generation(cat), sizeof cat->generation);
    crypto_auth_hmacsha256_update(&st, body, n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)binding, strlen(binding) + 1);
    crypto_auth_hmacsha256_final(&st, full);
    memcpy(out, full, DS_TOKEN_MAC_BYTES);
    sodium_memzero(full, sizeof full);
}

static void mac(const ds_catalog *cat, const char *binding, const unsigned char *head,
                unsigned char out[MAC_BYTES])
{
    ds_token_mac(cat, "list-page", head, 5, 1, binding, out);
}

int ds_page_token_make(const ds_catalog *cat, const char *binding, uint32_t offset,
                       char out[DS_PAGE_TOKEN_MAX])
{
    unsigned char raw[RAW_BYTES];
    raw[0] = TOKEN_VERSION;
    raw[1] = (unsigned char)(offset >> 24);
    raw[2] = (unsigned char)(offset >> 16);
    raw[3] = (unsigned char)(offset >> 8);
    raw[4] = (unsigned char)offset;
    mac(cat, binding, raw, raw + 5);
    sodium_bin2base64(out, DS_PAGE_TOKEN_MAX, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return 0;
}

int ds_page_token_check(const ds_catalog *cat, const char *binding, const char *token,
                        uint32_t *offset)
{
    unsigned char raw[RAW_BYTES + 8], want[MAC_BYTES];
    size_t len = 0;
    const char *end = NULL;
    if (strlen(token) >= DS_PAGE_TOKEN_MAX)
        return -1;
    if (sodium_base642bin(raw, sizeof raw, token, strlen(token), NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        *end != '\0' || len != RAW_BYTES || raw[0] != TOKEN_VERSION)
        return -1;
    mac(cat, binding, raw, want);
    if (sodium_memcmp(want, raw + 5, MAC_BYTES) != 0)
        return -1;
    *offset = (uint32_t)raw[1] << 24 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 8 | raw[4];
    return 0;
}
