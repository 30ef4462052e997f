/* snapshot_int.h - the snapshot object, shared by snapshot.c and
 * checkpoint.c (internal to src/delta). */
#ifndef DS_SNAPSHOT_INT_H
#define DS_SNAPSHOT_INT_H
#include "delta/actions.h"
#include "delta/delta.h"
#include <pthread.h>

typedef enum {
    DS_LOG_COMMIT = 1,
    DS_LOG_CP_CLASSIC,
    DS_LOG_CP_MULTI,
    DS_LOG_CP_UUID_JSON,
    DS_LOG_CP_UUID_PARQUET,
} ds_log_kind;

typedef struct ds_log_entry {
    int64_t version;
    ds_log_kind kind;
    int part, nparts;
    uint64_t size;
    int64_t mtime_ms;
    const char *name;
} ds_log_entry;

typedef struct ds_key {
    const char *path, *dv;
    uint64_t hash;
} ds_key;

struct ds_snapshot {
    ds_arena *arena;   /* what the snapshot keeps */
    ds_arena *scratch; /* one parsed line at a time */
    const ds_store *store;
    const char *root;    /* table root URL, no trailing '/' */
    const char *log_url; /* root + "/_delta_log/" */
    ds_log_entry *entries;
    size_t nentries;
    int64_t version;
    int64_t ict; /* in-commit timestamp of the snapshot's commit, or -1 */
    /* checkpoint */
    int64_t cp_version;
    size_t cp_first;
    ds_log_kind cp_kind;
    int cp_nparts;
    const char **cp_parts;  /* names under _delta_log/ */
    const char **sidecars;  /* URLs of V2 sidecar files */
    int64_t *sidecar_sizes; /* their sizeInBytes, -1: not given */
    size_t nsidecars, sidecars_cap;
    /* reconciliation */
    ds_key *keys;
    size_t nkeys, keys_cap, keys_mapped; /* keys from ds_big_alloc */
    ds_file **tail;
    size_t ntail, tail_cap, ntail_commits;
    int have_protocol, have_metadata;
    int metadata_only; /* file actions are skipped (internal use: timestamps) */
    ds_protocol protocol;
    ds_metadata metadata;
    ds_txn *txns;
    size_t ntxns, txns_cap;
    ds_domain *domains;
    size_t ndomains, domains_cap;
    /* checkpoint files of an object store, read whole once (checkpoint.c):
     * the Parquet reader's many small reads become one request; decoding
     * threads share them under the lock */
    pthread_mutex_t fetch_lock;
    struct ds_fetched *fetched;
};

/* A whole object kept in memory for the snapshot's life. */
typedef struct ds_fetched {
    struct ds_fetched *next;
    char *url;
    unsigned char *data;
    size_t len;
} ds_fetched;

/* Read-ahead on stores with get_many: at most this much per snapshot. */
#define DS_PREFETCH_MAX_BYTES (64u * 1024 * 1024)
#define DS_PREFETCH_MAX_FILES 256

/* Reads the named files of _delta_log/ (their sizes from the listing) at once
 * into the snapshot's cache; files past the caps are left to be read one
 * by one.  No effect on stores without get_many. */
ds_status ds_snapshot_prefetch(ds_snapshot *s, const char *const *names,
                               const uint64_t *sizes, size_t n, ds_error *err);
/* Removes url's cached object from the cache and returns it (NULL when
 * absent); ds_fetched_free frees one. */
ds_fetched *ds_snapshot_take_fetched(ds_snapshot *s, const char *url);
void ds_fetched_free(ds_fetched *f);

int ds_log_classify(const char *name, ds_log_entry *e);
/* Sets err (status st, kind, message) and returns st. */
ds_status ds_fail_kind(ds_error *err, ds_status st, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* An empty snapshot object for the table at root; NULL when out of memory. */
ds_snapshot *ds_snapshot_new(const ds_store *store, const char *root);
/* Lists _delta_log/ from version `from` into s->entries (name order). */
ds_status ds_snapshot_list_log(ds_snapshot *s, int64_t from, ds_error *err);
/* Refuses reader versions and reader features this server cannot honour. */
ds_status ds_check_protocol(const ds_protocol *p, ds_error *err);
int ds_keyset_contains(const ds_snapshot *s, const char *path, const char *dv);
int ds_snapshot_apply(ds_snapshot *s, ds_action *a, int64_t version, int from_checkpoint,
                      ds_error *err);
ds_status ds_snapshot_apply_json(ds_snapshot *s, const char *name, uint64_t size,
                                 int64_t version, int from_checkpoint, int64_t *ict,
                                 ds_error *err);
int ds_snapshot_apply_line(ds_snapshot *s, const char *p, const char *end, int64_t version,
                           int from_checkpoint, int64_t *ict, ds_error *err);
int ds_snapshot_note_txn(ds_snapshot *s, const ds_txn *t);
int ds_snapshot_note_domain(ds_snapshot *s, const ds_domain *d);
#endif
