/* qtoken.c - stateless query page and refresh tokens (see api.h). */
#include "config.h"
#include "api/api.h"
#include "catalog/catalog.h"
#include <sodium.h>
#include <string.h>

#define QT_VERSION 1
#define QT_MAC DS_TOKEN_MAC_BYTES
#define QT_BODY (1 + 1 + 8 * 5 + 4)
#define QT_RAW (QT_BODY + QT_MAC)

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (unsigned char)v;
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void mac(const ds_catalog *cat, const char *binding, const unsigned char *body,
                unsigned char out[QT_MAC])
{
    ds_token_mac(cat, "query-token", body, QT_BODY, 0, binding, out);
}

void ds_qtoken_make(const ds_catalog *cat, int kind, const char *binding, const ds_qtoken *t,
                    char out[DS_QTOKEN_MAX])
{
    unsigned char raw[QT_RAW];
    raw[0] = QT_VERSION;
    raw[1] = (unsigned char)kind;
    put64(raw + 2, (uint64_t)t->version);
    put64(raw + 10, (uint64_t)t->expires_ms);
    put64(raw + 18, (uint64_t)t->cp_version);
    put64(raw + 26, t->offset);
    put64(raw + 34, (uint64_t)t->rows);
    raw[42] = (unsigned char)(t->flags >> 24);
    raw[43] = (unsigned char)(t->flags >> 16);
    raw[44] = (unsigned char)(t->flags >> 8);
    raw[45] = (unsigned char)t->flags;
    mac(cat, binding, raw, raw + QT_BODY);
    sodium_bin2base64(out, DS_QTOKEN_MAX, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int ds_qtoken_check(const ds_catalog *cat, int kind, const char *binding, const char *token,
                    ds_qtoken *out)
{
    unsigned char raw[QT_RAW + 8], want[QT_MAC];
    size_t len = 0, tl = strlen(token);
    const char *end = NULL;
    if (tl >= DS_QTOKEN_MAX)
        return -1;
    if (sodium_base642bin(raw, sizeof raw, token, tl, NULL, &len, &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        *end != '\0' || len != QT_RAW || raw[0] != QT_VERSION || raw[1] != kind)
        return -1;
    mac(cat, binding, raw, want);
    if (sodium_memcmp(want, raw + QT_BODY, QT_MAC) != 0)
        return -1;
    out->version = (int64_t)get64(raw + 2);
    out->expires_ms = (int64_t)get64(raw + 10);
    out->cp_version = (int64_t)get64(raw + 18);
    out->offset = get64(raw + 26);
    out->rows = (int64_t)get64(raw + 34);
    out->flags = (uint32_t)raw[42] << 24 | (uint32_t)raw[43] << 16 | (uint32_t)raw[44] << 8 |
                 raw[45];
    if (out->version < 0 || out->rows < 0)
        return -1;
    if (ds_now_ms() > out->expires_ms)
        return -2;
    return 0;
}
