/* sign.h - the signing seam: turn an object of a table into a URL that a
 * recipient can fetch without a bearer token, valid for a limited time.
 *
 * One implementation per kind of storage: local tables are signed as links
 * to this server's own /files/ endpoint (sign_local.c); S3, GCS and Azure
 * fill in the same vtable with their presigned-URL schemes.
 *
 * A local link is  <endpoint>/files/<token>/<path>?sp=r&sig=<sig>.  The
 * token is an XChaCha20-Poly1305 sealed record (format version, expiry,
 * table root, recipient, share, schema, table) with its tag, URL-safe
 * base64: the same for every file of a query, so it is sealed once.  The
 * path is the object's path below the root, percent-encoded; sig is
 * SipHash-2-4-128 of the decoded path under a key made from the token's
 * tag (keyed BLAKE2b), so each file costs one short hash.  The record is encrypted so that a recipient never learns
 * where the table is stored; the nonce is a keyed hash of the record, so
 * the same inputs at the same time give the same URL byte for byte (golden
 * tests run on a fixed clock).  The "sp" key is there because
 * delta-kernel-rs fetches a URL over plain HTTP only when its query looks
 * presigned.  Expiries are whole seconds.  See doc/internals/links.md.
 */
#ifndef DS_SIGN_H
#define DS_SIGN_H
#include "deltasharing.h"
#include "util/arena.h"
#include "util/buf.h"
#include <stdint.h>

/* Who the link is for and what it belongs to; local links carry these so
 * that the /files/ log line can say whose download it was. */
typedef struct ds_link_owner {
    const char *recipient;
    const char *share, *schema, *table;
} ds_link_owner;

typedef struct ds_signer_ops {
    const char *name;
    /* Appends to `url` an absolute URL for the object `path` of the table
     * at `root` (the table location, no trailing '/').  `path` is as the
     * Delta log writes it: a URI-encoded path relative to root, or an
     * absolute URI.  The link lives ttl_s seconds from ds_now_ms(); the
     * expiry actually granted (which may be earlier, e.g. when the signing
     * credentials expire sooner) goes to *expires_ms.  owner may be NULL
     * (a link bound to no recipient: operator links).  An absolute URI
     * outside the table root is refused with DS_ERR_UNSUPPORTED; a path
     * that is not a valid URI path, or that has an empty, "." or ".."
     * segment once decoded, with DS_ERR_INTERNAL (corrupt log, kind
     * "corrupt-log").  Nothing is appended on failure. */
    ds_status (*presign)(void *ctx, const char *root, const char *path, int64_t ttl_s,
                         const ds_link_owner *owner, ds_buf *url, int64_t *expires_ms,
                         ds_error *err);
} ds_signer_ops;

typedef struct ds_signer {
    const ds_signer_ops *ops;
    void *ctx;
} ds_signer;

struct ds_catalog;
/* Picks the signer for a table location: file:/// tables get the local
 * link signer keyed by the catalog's link key (the config refuses a
 * file:/// table without link-key-file); object-store locations get
 * ds_cloud_signer. */
ds_status ds_signer_for(const struct ds_catalog *cat, const char *location, ds_signer *out,
                        ds_error *err);

/* The local-link signer; ctx is the catalog (endpoint, link key). */
extern const ds_signer_ops ds_local_signer;

/* The object stores' signer (cloud.c): S3 SigV4 query signing (at most 7
 * days), GCS V4 (RSA with a service-account key, else HMAC), Azure service
 * SAS (read, one blob).  ctx is the store's config. */
extern const ds_signer_ops ds_cloud_signer;
ds_status ds_cloud_signer_for(const struct ds_catalog *cat, const char *location,
                              ds_signer *out, ds_error *err);

/* Longest token accepted or produced (characters).  With the endpoint, the
 * object path and the signature the whole URL must also fit the request
 * parser's 8 KiB URI limit and its DS_MAX_SEGMENTS path segments; presign
 * refuses (DS_ERR_UNSUPPORTED) what would not. */
#define DS_LINK_TOKEN_MAX 6144

/* A decoded local link, as the /files/ endpoint sees it. */
typedef struct ds_local_link {
    const char *root;    /* table location URL (file:///...), no trailing '/' */
    const char *relpath; /* object path below root, percent-decoded, no empty,
                            "." or ".." segment */
    int64_t expires_ms;
    ds_link_owner owner; /* "" for fields the signer was not given */
} ds_local_link;

/* Verifies and decodes a /files/ link: the token (the path segment after
 * /files/), the object path (the rest of the path, percent-decoded and
 * joined with '/') and the sig parameter, in constant time.  Strings are
 * allocated in `a`.  Returns DS_OK, or DS_ERR_FORBIDDEN for anything
 * forged, tampered with, signed with another key or expired (now >
 * expires_ms); the public message never says which, the log detail does.
 * Never puts the token, the signature or the key in either. */
ds_status ds_local_link_open(const struct ds_catalog *cat, ds_arena *a, const char *token,
                             const char *path, const char *sig, ds_local_link *out,
                             ds_error *err);

/* Relative path (below the table root, still URI-encoded as the log would
 * write it) of a deletion vector stored with storageType "u": the optional
 * random prefix, then deletion_vector_<uuid>.bin with the UUID decoded from
 * Z85.  NULL (and err set) when pathOrInlineDv is malformed. */
struct ds_dv;
const char *ds_dv_relative_path(ds_arena *a, const struct ds_dv *dv, ds_error *err);
#endif
