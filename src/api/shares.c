/* shares.c - the discovery endpoints: list/get shares, list schemas, list
 * tables of a schema or of a whole share.  Listings page with maxResults
 * and pageToken as the protocol describes. */
#include "config.h"
#include "api/api.h"
#include "server.h"
#include "util/json.h"
#include "util/text.h"
#include <ctype.h>
#include <string.h>

#define LIST_MAX_RESULTS 500
#define LIST_BODY_CAP (4u * 1024 * 1024)

struct page {
    size_t offset, max;
    const char *binding;
};

static char *lower(ds_request *req, const char *s)
{
    char *l = ds_arena_strdup(req->arena, s ? s : "");
    if (l)
        for (char *c = l; *c; c++)
            *c = (char)tolower((unsigned char)*c);
    return l;
}

/* Validates maxResults and pageToken for a listing of `kind` over
 * share/schema (NULL when not part of the listing). */
static ds_status page_params(ds_request *req, const char *kind, const char *share,
                             const char *schema, struct page *pg, ds_error *err)
{
    const char *mr = ds_request_param(req, "maxResults");
    const char *pt = ds_request_param(req, "pageToken");
    int64_t v = LIST_MAX_RESULTS;
    if (mr) {
        if (ds_parse_i64(mr, INT64_MIN, INT64_MAX, &v) < 0)
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "The value of 'maxResults' is not a number.");
        if (v < 0 || v > LIST_MAX_RESULTS)
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "Acceptable values of 'maxResults' are 0 to %d, inclusive.",
                                LIST_MAX_RESULTS);
    }
    pg->max = (size_t)v;
    const char *rname = ds_recipient_name(req->recipient);
    char *ls = lower(req, share), *lsc = lower(req, schema);
    if (!ls || !lsc)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    pg->binding = ds_arena_printf(req->arena, "%s\n%zu:%s\n%zu:%s\n%zu:%s", kind,
                                  strlen(rname), rname, strlen(ls), ls, strlen(lsc), lsc);
    if (!pg->binding)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    pg->offset = 0;
    if (pt) {
        uint32_t off;
        if (ds_page_token_check(req->srv->cat, pg->binding, pt, &off) < 0)
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "The 'pageToken' is not valid for this listing.");
        pg->offset = off;
    }
    return DS_OK;
}

/* Closes `"items":[...]` and adds nextPageToken when more remain, then
 * sends the single-line body. */
static ds_status finish_list(ds_request *req, ds_buf *b, const struct page *pg, size_t n,
                             size_t total, ds_error *err)
{
    int rc = ds_buf_putc(b, ']');
    if (pg->offset + n < total && pg->offset + n <= UINT32_MAX) {
        char tok[DS_PAGE_TOKEN_MAX];
        ds_page_token_make(req->srv->cat, pg->binding, (uint32_t)(pg->offset + n), tok);
        int first = 0;
        rc |= ds_json_kv_str(b, &first, "nextPageToken", tok);
    }
    rc |= ds_buf_putc(b, '}');
    if (rc)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    ds_resp_json(req, 200, b);
    return DS_OK;
}

static int put_share(ds_buf *b, const ds_share_info *s)
{
    int first = 1, rc = ds_buf_putc(b, '{');
    rc |= ds_json_kv_str(b, &first, "name", s->name);
    rc |= ds_json_kv_str(b, &first, "id", s->id);
    if (s->comment)
        rc |= ds_json_kv_str(b, &first, "comment", s->comment);
    return rc | ds_buf_putc(b, '}');
}

static int put_table(ds_buf *b, const ds_table_info *t)
{
    int first = 1, rc = ds_buf_putc(b, '{');
    rc |= ds_json_kv_str(b, &first, "name", t->name);
    rc |= ds_json_kv_str(b, &first, "schema", t->schema);
    rc |= ds_json_kv_str(b, &first, "share", t->share);
    rc |= ds_json_kv_str(b, &first, "shareId", t->share_id);
    rc |= ds_json_kv_str(b, &first, "id", t->id);
    return rc | ds_buf_putc(b, '}');
}

static void *alloc_items(ds_request *req, size_t max, size_t size)
{
    return ds_arena_alloc(req->arena, (max ? max : 1) * size);
}

ds_status ds_api_list_shares(ds_request *req, ds_error *err)
{
    struct page pg;
    if (page_params(req, "shares", NULL, NULL, &pg, err) != DS_OK)
        return err->status;
    ds_share_info *items = alloc_items(req, pg.max, sizeof *items);
    if (!items)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    size_t n = 0, total = 0;
    const ds_server *srv = req->srv;
    if (srv->disc->list_shares(srv->disc_ctx, req->recipient, pg.offset, pg.max, items, &n,
                               &total, err) != DS_OK)
        return err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
    ds_buf b;
    ds_buf_init(&b, LIST_BODY_CAP);
    int rc = ds_buf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = (i ? ds_buf_putc(&b, ',') : 0) | put_share(&b, &items[i]);
    ds_status st = rc ? ds_error_set(err, DS_ERR_NOMEM, NULL)
                      : finish_list(req, &b, &pg, n, total, err);
    ds_buf_free(&b);
    return st;
}

ds_status ds_api_get_share(ds_request *req, ds_error *err)
{
    ds_share_info s;
    const ds_server *srv = req->srv;
    if (srv->disc->get_share(srv->disc_ctx, req->recipient, ds_route_arg(req, "share"), &s,
                             err) != DS_OK)
        return err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
    ds_buf b;
    ds_buf_init(&b, LIST_BODY_CAP);
    int rc = ds_buf_puts(&b, "{\"share\":") | put_share(&b, &s) | ds_buf_putc(&b, '}');
    if (rc == 0)
        ds_resp_json(req, 200, &b);
    ds_buf_free(&b);
    return rc ? ds_error_set(err, DS_ERR_NOMEM, NULL) : DS_OK;
}

ds_status ds_api_list_schemas(ds_request *req, ds_error *err)
{
    const char *share = ds_route_arg(req, "share");
    struct page pg;
    if (page_params(req, "schemas", share, NULL, &pg, err) != DS_OK)
        return err->status;
    ds_schema_info *items = alloc_items(req, pg.max, sizeof *items);
    if (!items)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    size_t n = 0, total = 0;
    const ds_server *srv = req->srv;
    if (srv->disc->list_schemas(srv->disc_ctx, req->recipient, share, pg.offset, pg.max, items,
                                &n, &total, err) != DS_OK)
        return err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
    ds_buf b;
    ds_buf_init(&b, LIST_BODY_CAP);
    int rc = ds_buf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < n && rc == 0; i++) {
        int first = 1;
        rc = (i ? ds_buf_putc(&b, ',') : 0) | ds_buf_putc(&b, '{') |
             ds_json_kv_str(&b, &first, "name", items[i].name) |
             ds_json_kv_str(&b, &first, "share", items[i].share) | ds_buf_putc(&b, '}');
    }
    ds_status st = rc ? ds_error_set(err, DS_ERR_NOMEM, NULL)
                      : finish_list(req, &b, &pg, n, total, err);
    ds_buf_free(&b);
    return st;
}

static ds_status list_tables(ds_request *req, const char *kind, const char *schema,
                             ds_error *err)
{
    const char *share = ds_route_arg(req, "share");
    struct page pg;
    if (page_params(req, kind, share, schema, &pg, err) != DS_OK)
        return err->status;
    ds_table_info *items = alloc_items(req, pg.max, sizeof *items);
    if (!items)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    size_t n = 0, total = 0;
    const ds_server *srv = req->srv;
    if (srv->disc->list_tables(srv->disc_ctx, req->recipient, share, schema, pg.offset, pg.max,
                               items, &n, &total, err) != DS_OK)
        return err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
    ds_buf b;
    ds_buf_init(&b, LIST_BODY_CAP);
    int rc = ds_buf_puts(&b, "{\"items\":[");
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = (i ? ds_buf_putc(&b, ',') : 0) | put_table(&b, &items[i]);
    ds_status st = rc ? ds_error_set(err, DS_ERR_NOMEM, NULL)
                      : finish_list(req, &b, &pg, n, total, err);
    ds_buf_free(&b);
    return st;
}

ds_status ds_api_list_tables(ds_request *req, ds_error *err)
{
    return list_tables(req, "tables", ds_route_arg(req, "schema"), err);
}

ds_status ds_api_list_all_tables(ds_request *req, ds_error *err)
{
    return list_tables(req, "all-tables", NULL, err);
}
