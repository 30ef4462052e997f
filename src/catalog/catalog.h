/* catalog.h - the immutable catalog built once from the flat config:
 * server settings, shares > schemas > tables, and recipients. */
#ifndef DS_CATALOG_H
#define DS_CATALOG_H
#include "deltasharing.h"
#include "util/arena.h"
#include <stddef.h>
#include <stdint.h>

#define DS_KEY_BYTES 32

typedef struct ds_share_cfg ds_share_cfg;
typedef struct ds_schema_cfg ds_schema_cfg;

typedef struct ds_table_cfg {
    const char *name;
    const char *location;
    const char *config_id; /* table.id as written, else NULL: ids are read with ds_table_id() */
    char derived_id[37];   /* else made from the names on first use */
    int history;
    int line;          /* of table.name */
    int location_line; /* of table.location */
    ds_schema_cfg *schema;
} ds_table_cfg;

struct ds_schema_cfg {
    const char *name;
    ds_table_cfg **tables;
    size_t ntables, cap;
    int line;
    ds_share_cfg *share;
};

struct ds_share_cfg {
    const char *name;
    const char *config_id; /* share.id as written, else NULL: ids are read with ds_share_id() */
    char derived_id[37];   /* else made from the name on first use */
    const char *comment;
    ds_schema_cfg **schemas;
    size_t nschemas, cap;
    size_t ntables; /* over all schemas */
    int line;
};

typedef struct ds_token_cfg {
    unsigned char sha256[32];
    int64_t expires_ms; /* 0: no expiry of its own */
    int line;
} ds_token_cfg;

struct ds_recipient {
    const char *name;
    ds_token_cfg *tokens;
    size_t ntokens, cap;
    int64_t expires_ms; /* 0: never */
    int all_shares;
    const char **shares; /* canonical share names when !all_shares */
    size_t nshares;
    const char *shares_text;
    int line, shares_line;
};

/* How /files/ hands a verified file to the web server (file-offload). */
typedef enum {
    DS_OFFLOAD_NONE = 0,  /* the server streams the bytes itself */
    DS_OFFLOAD_X_ACCEL,   /* X-Accel-Redirect: prefix + path (nginx) */
    DS_OFFLOAD_X_SENDFILE /* X-Sendfile: path (Apache mod_xsendfile, lighttpd) */
} ds_offload;

/* Object-store credentials and endpoints: one `store.*` stanza each.  A
 * table whose location starts with one of a store's prefixes is read and
 * signed with it (the longest matching prefix wins).  Secrets live only
 * here, in the catalog's arena, and are wiped when it is freed. */
typedef enum { DS_STORE_S3 = 1, DS_STORE_GCS, DS_STORE_AZURE } ds_store_type;

typedef struct ds_store_cfg {
    const char *name;
    ds_store_type type;
    const char **prefixes; /* location prefixes, no trailing '/' */
    size_t nprefixes, prefix_cap;
    const char *endpoint;  /* scheme://host[:port][/path], no trailing '/'; NULL: the cloud's */
    const char *region;    /* S3 (default us-east-1); GCS "auto" */
    int path_style;        /* -1: default (path style when an endpoint is set) */
    /* S3 */
    const char *access_key_id, *secret_access_key, *session_token;
    /* Azure */
    const char *account_name;
    unsigned char *account_key; /* decoded */
    size_t account_key_len;
    /* GCS */
    const char *hmac_access_id, *hmac_secret;
    const char *sa_email;     /* from service-account-key-file */
    const char *sa_token_uri; /* its OAuth token endpoint (Google's by default) */
    void *sa_key;             /* EVP_PKEY *, freed with the catalog */
    /* transport */
    int64_t connect_timeout_ms, timeout_ms;
    int retries;
    int parallel; /* reads at once (1 to 8) */
    int64_t max_list_pages;
    const char *ca_file;
    int line;
    int secret_line; /* a line naming a secret, for messages */
} ds_store_cfg;

typedef struct ds_catalog {
    ds_arena *arena; /* owns everything below */
    const char *path;
    const char *endpoint; /* no trailing '/' */
    int64_t url_ttl;
    const char *link_key_file;
    int has_link_key;
    unsigned char link_key[DS_KEY_BYTES];  /* key of /files/ links (from the file) */
    unsigned char token_key[DS_KEY_BYTES]; /* HMAC key for page tokens */
    /* The digest of the config bytes that page tokens carry, read with
     * ds_catalog_generation(): made from `text` on first use (most CGI
     * requests never need it), then the text is wiped and freed. */
    unsigned char generation[16];
    int has_generation;
    unsigned char *text;
    size_t text_len;
    int64_t max_request_body;
    ds_offload file_offload;
    const char *file_offload_prefix; /* x-accel-redirect: no trailing '/' */
    int log_requests;
    const char *log_file; /* NULL: standard error */
    int log_fd;           /* open on log_file, else -1 */
    ds_share_cfg **shares;
    size_t nshares, share_cap;
    ds_recipient **recipients;
    size_t nrecipients, recipient_cap;
    ds_store_cfg **stores;
    size_t nstores, store_cap;
} ds_catalog;

/* Parses path; on error returns NULL and err->message is "file:line: msg". */
ds_catalog *ds_catalog_load(const char *path, ds_error *err);
/* Same from memory (tests); name is used in messages. */
ds_catalog *ds_catalog_parse(const char *name, const char *text, size_t len, ds_error *err);
void ds_catalog_free(ds_catalog *cat);

const ds_share_cfg *ds_catalog_share(const ds_catalog *cat, const char *name);
const ds_schema_cfg *ds_catalog_schema(const ds_share_cfg *sh, const char *name);
const ds_table_cfg *ds_catalog_table(const ds_schema_cfg *sc, const char *name);

/* The ids of shares and tables: share.id / table.id when the config sets
 * one, else a UUID-shaped digest of the case-folded names, the same on
 * every host.  Derived on first use and kept (the catalog is shared
 * read-only, but by one thread per process). */
const char *ds_share_id(const ds_share_cfg *s);
const char *ds_table_id(const ds_table_cfg *t);
/* The 16-byte digest of the config's bytes (first use: hashes them). */
const unsigned char *ds_catalog_generation(const ds_catalog *cat);
/* The kind of store a location's scheme names (s3://, s3a://; gs://;
 * abfss://, abfs://, az://, https://), or 0 for any other location. */
ds_store_type ds_store_type_of(const char *location);
/* A store with every setting at its default (no name, type or prefix). */
void ds_store_cfg_init(ds_store_cfg *c);

/* The store whose prefix is the longest one that `location` starts with
 * (at a '/' boundary), or NULL. */
const ds_store_cfg *ds_catalog_store(const ds_catalog *cat, const char *location);

/* The flat-config implementation of the discovery seam. */
extern const ds_discovery_ops ds_catalog_discovery;

/* Writes a human-readable dump of the resolved catalog (admin tool). */
struct ds_buf;
int ds_catalog_describe(const ds_catalog *cat, struct ds_buf *out);
#endif
