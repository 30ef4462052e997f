/* store.h - the storage seam: list, get, get_range, stat over URLs.
 *
 * Designed for object stores: a listing is lexicographic, starts after a
 * given name and is paged internally (the callback sees one entry at a
 * time); reads can be ranged.  Every call returns a status and fills a
 * caller-owned ds_error; DS_ERR_NOT_FOUND means the object does not exist.
 * Implementations: local files (local.c); S3, GCS and Azure (cloud.c).
 */
#ifndef DS_STORE_H
#define DS_STORE_H
#include "deltasharing.h"
#include "util/buf.h"
#include <stdint.h>

typedef struct ds_store_entry {
    const char *name;  /* relative to the listed prefix */
    uint64_t size;
    int64_t mtime_ms;
} ds_store_entry;

/* Return 0 to continue, 1 to stop the listing early. */
typedef int (*ds_store_list_cb)(void *ctx, const ds_store_entry *e);

typedef struct ds_store_ops {
    const char *name;
    /* Lists the direct children of `prefix` (a URL ending in '/') whose
     * names sort strictly after start_after (NULL: from the start). */
    ds_status (*list)(void *ctx, const char *prefix, const char *start_after,
                      ds_store_list_cb cb, void *cb_ctx, ds_error *err);
    /* Reads a whole object into out (out->max caps it: DS_ERR_TOO_LARGE-like
     * DS_ERR_INTERNAL beyond). */
    ds_status (*get)(void *ctx, const char *url, ds_buf *out, ds_error *err);
    /* Reads exactly n bytes at off. */
    ds_status (*get_range)(void *ctx, const char *url, uint64_t off, size_t n,
                           unsigned char *buf, ds_error *err);
    ds_status (*stat)(void *ctx, const char *url, ds_store_entry *out, ds_error *err);
    /* Optional (NULL when a store has nothing to gain from it): reads n
     * whole objects of known sizes, bufs[i] receiving sizes[i] bytes, all
     * at once.  The log replay uses it for the commits after a checkpoint,
     * which would otherwise cost one round trip each. */
    ds_status (*get_many)(void *ctx, const char *const *urls, const uint64_t *sizes,
                          unsigned char *const *bufs, size_t n, ds_error *err);
} ds_store_ops;

typedef struct ds_store {
    const ds_store_ops *ops;
    void *ctx;
} ds_store;

/* The local-file store: URLs are file:///absolute/path. */
extern const ds_store_ops ds_local_store;

/* The object stores (S3, GCS, Azure; cloud.c). */
extern const ds_store_ops ds_cloud_store;

/* The path below the table root `root` (no trailing '/' needed) of an
 * object the Delta log names with `path`: relative and URI-encoded, or an
 * absolute URI, which must lie under root (s3:// and s3a:// name the same
 * objects).  Puts it in rel (cleared first), decoded; a path longer than
 * rel's cap is DS_ERR_UNSUPPORTED.  An absolute URI elsewhere is
 * DS_ERR_UNSUPPORTED; a malformed escape or an empty, "." or ".." segment
 * is a corrupt log.  The cloud signer and the sizes of removed files both
 * resolve paths this way. */
ds_status ds_store_object_below(const char *root, const char *path, ds_buf *rel,
                                ds_error *err);

struct ds_catalog;
/* Picks the store for a table location: file:/// is the local store;
 * s3://, s3a://, gs://, abfss://, abfs://, az:// and https:// locations go
 * to the object stores, with the catalog's store.* stanza whose prefix
 * matches (cat may be NULL), else credentials from the environment. */
ds_status ds_store_for(const struct ds_catalog *cat, const char *location, ds_store *out,
                       ds_error *err);
#endif
