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
/* GET|HEAD /files/{token}: a file of a local table, through a signed link
 * (no bearer token). */
ds_status ds_api_file(ds_request *req, ds_error *err);

/* List page tokens: URL-safe base64 of (version, offset, MAC).  The MAC
 * binds the offset to the key, the config generation and `binding` (the
 * recipient and the listing it came from), so a token is useless for any
 * other listing, recipient or configuration. */
#define DS_PAGE_TOKEN_MAX 64
struct ds_catalog;
int ds_page_token_make(const struct ds_catalog *cat, const char *binding, uint32_t offset,
                       char out[DS_PAGE_TOKEN_MAX]);
/* 0 and *offset on success, -1 for anything forged, foreign or garbled. */
int ds_page_token_check(const struct ds_catalog *cat, const char *binding, const char *token,
                        uint32_t *offset);
#endif
