/* api.h - endpoint handlers and the opaque page tokens they hand out. */
#ifndef DS_API_H
#define DS_API_H
#include "http/http.h"
#include <stddef.h>
#include <stdint.h>

ds_status ds_api_list_shares(ds_request *req, ds_error *err);
ds_status ds_api_get_share(ds_request *req, ds_error *err);
ds_status ds_api_list_schemas(ds_request *req, ds_error *err);
ds_status ds_api_list_tables(ds_request *req, ds_error *err);
ds_status ds_api_list_all_tables(ds_request *req, ds_error *err);
/* GET|HEAD /files/{token}/{*path}: a file of a local table, through a
 * signed link (no bearer token). */
ds_status ds_api_file(ds_request *req, ds_error *err);

/* List page tokens: URL-safe base64 of (version, offset, MAC).  The MAC
 * binds the offset to the key, the config generation and `binding` (the
 * recipient and the listing it came from), so a token is useless for any
 * other listing, recipient or configuration. */
#define DS_PAGE_TOKEN_MAX 64
/* The MAC of both kinds of token: HMAC-SHA-256 under the catalog's token
 * key over a domain string (with its NUL), optionally the config
 * generation, the token's body and the binding (with its NUL), cut to 16
 * bytes. */
#define DS_TOKEN_MAC_BYTES 16
struct ds_catalog;
void ds_token_mac(const struct ds_catalog *cat, const char *domain, const unsigned char *body,
                  size_t n, int with_generation, const char *binding,
                  unsigned char out[DS_TOKEN_MAC_BYTES]);
struct ds_catalog;
int ds_page_token_make(const struct ds_catalog *cat, const char *binding, uint32_t offset,
                       char out[DS_PAGE_TOKEN_MAX]);
/* 0 and *offset on success, -1 for anything forged, foreign or garbled. */
int ds_page_token_check(const struct ds_catalog *cat, const char *binding, const char *token,
                        uint32_t *offset);

/* Query tokens: the nextPageToken of a paginated query and the
 * refreshToken of a latest-snapshot query.  URL-safe base64 of a small
 * record and its MAC; the MAC binds it to the key, its kind and `binding`
 * (recipient, table and, for pages, a digest of the query's parameters).
 * No state is kept: any worker on any host with the same key takes it. */
enum { DS_QTOKEN_PAGE = 1, DS_QTOKEN_REFRESH = 2 };
enum { DS_QTOKEN_WITH_REFRESH = 1 }; /* flag: pages also carry a refresh token */
typedef struct ds_qtoken {
    int64_t version;    /* snapshot version served */
    int64_t expires_ms;
    int64_t cp_version; /* checkpoint the file order came from (pages) */
    uint64_t offset;    /* files of the filtered stream already sent (pages) */
    int64_t rows;       /* snapshot pages: numRecords already sent, for limitHint;
                           change pages: the version the head lines came from */
    uint32_t flags;
} ds_qtoken;
#define DS_QTOKEN_MAX 128
void ds_qtoken_make(const struct ds_catalog *cat, int kind, const char *binding,
                    const ds_qtoken *t, char out[DS_QTOKEN_MAX]);
/* 0 on success; -1 forged, garbled or foreign; -2 expired. */
int ds_qtoken_check(const struct ds_catalog *cat, int kind, const char *binding,
                    const char *token, ds_qtoken *out);

/* The table endpoints (table.c) */
ds_status ds_api_table_version(ds_request *req, ds_error *err);
ds_status ds_api_table_metadata(ds_request *req, ds_error *err);
ds_status ds_api_table_query(ds_request *req, ds_error *err);
ds_status ds_api_table_changes(ds_request *req, ds_error *err);
#endif
