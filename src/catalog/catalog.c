/* catalog.c - lookups over the immutable catalog, recipient grants, and the
 * flat-config implementation of the discovery seam. */
#include "config.h"
#include "catalog/catalog.h"
#include "util/buf.h"
#include "util/text.h"
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

const ds_share_cfg *ds_catalog_share(const ds_catalog *cat, const char *name)
{
    for (size_t i = 0; i < cat->nshares; i++)
        if (ds_strcaseeq(cat->shares[i]->name, name))
            return cat->shares[i];
    return NULL;
}

const ds_schema_cfg *ds_catalog_schema(const ds_share_cfg *sh, const char *name)
{
    for (size_t i = 0; i < sh->nschemas; i++)
        if (ds_strcaseeq(sh->schemas[i]->name, name))
            return sh->schemas[i];
    return NULL;
}

const ds_table_cfg *ds_catalog_table(const ds_schema_cfg *sc, const char *name)
{
    for (size_t i = 0; i < sc->ntables; i++)
        if (ds_strcaseeq(sc->tables[i]->name, name))
            return sc->tables[i];
    return NULL;
}

/* A UUID-shaped id (RFC 9562 version 8) from a BLAKE2b digest of the label
 * and the lower-cased names, each with its NUL, so every host derives the
 * same id for the same table. */
static void derive_id(const char *label, const char *const *parts, int nparts, char out[37])
{
    crypto_generichash_state st;
    unsigned char chunk[256];
    crypto_generichash_init(&st, NULL, 0, 16);
    crypto_generichash_update(&st, (const unsigned char *)label, strlen(label) + 1);
    for (int i = 0; i < nparts; i++) {
        const char *c = parts[i];
        size_t k = 0;
        for (;; c++) {
            chunk[k++] = (unsigned char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
            if (!*c || k == sizeof chunk) {
                crypto_generichash_update(&st, chunk, k);
                k = 0;
            }
            if (!*c)
                break;
        }
    }
    unsigned char h[16];
    crypto_generichash_final(&st, h, sizeof h);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x80);
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    char hex[33];
    ds_hex_encode(h, sizeof h, hex);
    /* 8-4-4-4-12 */
    static const int groups[] = {8, 4, 4, 4, 12};
    size_t o = 0, src = 0;
    for (int g = 0; g < 5; g++) {
        if (g)
            out[o++] = '-';
        memcpy(out + o, hex + src, (size_t)groups[g]);
        o += (size_t)groups[g];
        src += (size_t)groups[g];
    }
    out[o] = '\0';
}

/* The derived ids and the generation are filled in through a cast: the
 * objects live in the catalog's arena (never const), and each process
 * reads its catalog from one thread. */
const char *ds_share_id(const ds_share_cfg *s)
{
    if (s->config_id)
        return s->config_id;
    if (!s->derived_id[0])
        derive_id("share", (const char *const[]){s->name}, 1, ((ds_share_cfg *)s)->derived_id);
    return s->derived_id;
}

const char *ds_table_id(const ds_table_cfg *t)
{
    if (t->config_id)
        return t->config_id;
    if (!t->derived_id[0]) {
        const char *parts[3] = {t->schema->share->name, t->schema->name, t->name};
        derive_id("table", parts, 3, ((ds_table_cfg *)t)->derived_id);
    }
    return t->derived_id;
}

const unsigned char *ds_catalog_generation(const ds_catalog *cat)
{
    if (!cat->has_generation) {
        ds_catalog *c = (ds_catalog *)cat;
        crypto_generichash(c->generation, sizeof c->generation, c->text, c->text_len, NULL, 0);
        c->has_generation = 1;
        if (c->text) {
            sodium_memzero(c->text, c->text_len);
            free(c->text);
            c->text = NULL;
        }
    }
    return cat->generation;
}

const char *ds_recipient_name(const ds_recipient *r)
{
    return r ? r->name : "-";
}

int ds_recipient_may_see(const ds_recipient *r, const char *share)
{
    if (!r)
        return 0;
    if (r->all_shares)
        return 1;
    for (size_t i = 0; i < r->nshares; i++)
        if (ds_strcaseeq(r->shares[i], share))
            return 1;
    return 0;
}

/* ---- discovery over the flat config -------------------------------- */

static const ds_share_cfg *visible_share(const ds_catalog *cat, const ds_recipient *r,
                                         const char *name, ds_error *err)
{
    const ds_share_cfg *s = ds_catalog_share(cat, name);
    if (!s || !ds_recipient_may_see(r, s->name)) {
        ds_error_set(err, DS_ERR_NOT_FOUND, "Share '%s' does not exist, or you have not been "
                                            "granted access to it.", name);
        return NULL;
    }
    return s;
}

static void fill_share(const ds_share_cfg *s, ds_share_info *o)
{
    o->name = s->name;
    o->id = ds_share_id(s);
    o->comment = s->comment;
}

static void fill_table(const ds_table_cfg *t, ds_table_info *o)
{
    o->name = t->name;
    o->schema = t->schema->name;
    o->share = t->schema->share->name;
    o->id = ds_table_id(t);
    o->share_id = ds_share_id(t->schema->share);
    o->location = t->location;
    o->history_shared = t->history;
}

static ds_status cat_list_shares(void *ctx, const ds_recipient *r, size_t offset, size_t max,
                                 ds_share_info *out, size_t *n, size_t *total, ds_error *err)
{
    const ds_catalog *cat = ctx;
    size_t seen = 0;
    *n = 0;
    for (size_t i = 0; i < cat->nshares; i++) {
        if (!ds_recipient_may_see(r, cat->shares[i]->name))
            continue;
        if (seen >= offset && *n < max)
            fill_share(cat->shares[i], &out[(*n)++]);
        seen++;
    }
    *total = seen;
    return DS_OK;
}

static ds_status cat_get_share(void *ctx, const ds_recipient *r, const char *share,
                               ds_share_info *out, ds_error *err)
{
    const ds_share_cfg *s = visible_share(ctx, r, share, err);
    if (!s)
        return err->status;
    fill_share(s, out);
    return DS_OK;
}

static ds_status cat_list_schemas(void *ctx, const ds_recipient *r, const char *share,
                                  size_t offset, size_t max, ds_schema_info *out, size_t *n,
                                  size_t *total, ds_error *err)
{
    const ds_share_cfg *s = visible_share(ctx, r, share, err);
    if (!s)
        return err->status;
    *n = 0;
    for (size_t i = offset; i < s->nschemas && *n < max; i++) {
        out[*n].name = s->schemas[i]->name;
        out[*n].share = s->name;
        (*n)++;
    }
    *total = s->nschemas;
    return DS_OK;
}

static ds_status cat_list_tables(void *ctx, const ds_recipient *r, const char *share,
                                 const char *schema, size_t offset, size_t max,
                                 ds_table_info *out, size_t *n, size_t *total, ds_error *err)
{
    const ds_share_cfg *s = visible_share(ctx, r, share, err);
    if (!s)
        return err->status;
    *n = 0;
    if (schema) {
        const ds_schema_cfg *sc = ds_catalog_schema(s, schema);
        if (!sc)
            return ds_error_set(err, DS_ERR_NOT_FOUND, "Schema '%s.%s' does not exist.",
                                s->name, schema);
        for (size_t i = offset; i < sc->ntables && *n < max; i++)
            fill_table(sc->tables[i], &out[(*n)++]);
        *total = sc->ntables;
        return DS_OK;
    }
    size_t idx = 0;
    for (size_t i = 0; i < s->nschemas; i++) {
        const ds_schema_cfg *sc = s->schemas[i];
        if (idx + sc->ntables <= offset) {
            idx += sc->ntables;
            continue;
        }
        for (size_t j = 0; j < sc->ntables; j++, idx++)
            if (idx >= offset && *n < max)
                fill_table(sc->tables[j], &out[(*n)++]);
    }
    *total = s->ntables;
    return DS_OK;
}

static ds_status cat_get_table(void *ctx, const ds_recipient *r, const char *share,
                               const char *schema, const char *table, ds_table_info *out,
                               ds_error *err)
{
    const ds_share_cfg *s = visible_share(ctx, r, share, err);
    if (!s)
        return err->status;
    const ds_schema_cfg *sc = ds_catalog_schema(s, schema);
    const ds_table_cfg *t = sc ? ds_catalog_table(sc, table) : NULL;
    if (!t)
        return ds_error_set(err, DS_ERR_NOT_FOUND, "Table '%s.%s.%s' does not exist.", s->name,
                            schema, table);
    fill_table(t, out);
    return DS_OK;
}

const ds_discovery_ops ds_catalog_discovery = {
    .name = "config",
    .list_shares = cat_list_shares,
    .get_share = cat_get_share,
    .list_schemas = cat_list_schemas,
    .list_tables = cat_list_tables,
    .get_table = cat_get_table,
};

int ds_catalog_describe(const ds_catalog *cat, ds_buf *o)
{
    char t[40];
    int rc = 0;
    rc |= ds_buf_printf(o, "config %s\nendpoint %s\nurl-ttl %lld\nmax-request-body %lld\n"
                           "log-requests %s\nlink-key-file %s\n",
                        cat->path, cat->endpoint, (long long)cat->url_ttl,
                        (long long)cat->max_request_body, cat->log_requests ? "true" : "false",
                        cat->link_key_file ? cat->link_key_file : "(none)");
    rc |= ds_buf_printf(o, "file-offload %s%s%s\n",
                        cat->file_offload == DS_OFFLOAD_X_ACCEL      ? "x-accel-redirect"
                        : cat->file_offload == DS_OFFLOAD_X_SENDFILE ? "x-sendfile"
                                                                     : "none",
                        cat->file_offload_prefix ? " " : "",
                        cat->file_offload_prefix ? cat->file_offload_prefix : "");
    for (size_t i = 0; i < cat->nshares && rc == 0; i++) {
        const ds_share_cfg *s = cat->shares[i];
        rc |= ds_buf_printf(o, "share %s id=%s schemas=%zu tables=%zu\n", s->name, ds_share_id(s),
                            s->nschemas, s->ntables);
        for (size_t j = 0; j < s->nschemas && rc == 0; j++) {
            const ds_schema_cfg *sc = s->schemas[j];
            rc |= ds_buf_printf(o, "  schema %s.%s\n", s->name, sc->name);
            for (size_t k = 0; k < sc->ntables && rc == 0; k++) {
                const ds_table_cfg *tb = sc->tables[k];
                rc |= ds_buf_printf(o, "    table %s.%s.%s id=%s history=%s location=%s\n",
                                    s->name, sc->name, tb->name, ds_table_id(tb),
                                    tb->history ? "true" : "false", tb->location);
            }
        }
    }
    for (size_t i = 0; i < cat->nrecipients && rc == 0; i++) {
        const ds_recipient *r = cat->recipients[i];
        if (r->expires_ms)
            ds_time_format(r->expires_ms, t, sizeof t);
        rc |= ds_buf_printf(o, "recipient %s tokens=%zu expires=%s shares=", r->name,
                            r->ntokens, r->expires_ms ? t : "never");
        if (r->all_shares)
            rc |= ds_buf_puts(o, "*");
        for (size_t j = 0; j < r->nshares && rc == 0; j++)
            rc |= ds_buf_printf(o, "%s%s", j ? "," : "", r->shares[j]);
        rc |= ds_buf_putc(o, '\n');
    }
    return rc ? -1 : 0;
}

const ds_store_cfg *ds_catalog_store(const ds_catalog *cat, const char *location)
{
    const ds_store_cfg *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; cat && i < cat->nstores; i++)
        for (size_t j = 0; j < cat->stores[i]->nprefixes; j++) {
            const char *pre = cat->stores[i]->prefixes[j];
            size_t n = strlen(pre);
            if (n >= best_len && strncmp(location, pre, n) == 0 &&
                (location[n] == '\0' || location[n] == '/' || pre[n - 1] == '/')) {
                best = cat->stores[i];
                best_len = n;
            }
        }
    return best;
}

ds_store_type ds_store_type_of(const char *location)
{
    static const struct {
        const char *scheme;
        ds_store_type type;
    } schemes[] = {
        {"s3://", DS_STORE_S3},       {"s3a://", DS_STORE_S3},    {"gs://", DS_STORE_GCS},
        {"abfss://", DS_STORE_AZURE}, {"abfs://", DS_STORE_AZURE}, {"az://", DS_STORE_AZURE},
        {"https://", DS_STORE_AZURE},
    };
    for (size_t i = 0; i < sizeof schemes / sizeof *schemes; i++)
        if (strncmp(location, schemes[i].scheme, strlen(schemes[i].scheme)) == 0)
            return schemes[i].type;
    return 0;
}

void ds_store_cfg_init(ds_store_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->path_style = -1;
    c->connect_timeout_ms = 5000;
    c->timeout_ms = 30000;
    c->retries = 3;
    c->parallel = 8;
    c->max_list_pages = 100000;
}
