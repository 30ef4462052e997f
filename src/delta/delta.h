/* delta.h - Delta log replay: snapshots at the latest version, at a
 * version or at a timestamp, for every table real writers produce.
 *
 * A snapshot holds the protocol, the metadata, the live files of the
 * commits after the newest usable checkpoint (the "tail"), and a reference
 * to that checkpoint.  Checkpoint rows are not held in memory: the file
 * listing streams them through a callback, after checking each against the
 * keys the tail already decided.  Memory is therefore proportional to the
 * commit tail plus one Parquet page per projected column. */
#ifndef DS_DELTA_H
#define DS_DELTA_H
#include "deltasharing.h"
#include "store/store.h"
#include "util/arena.h"
#include <stddef.h>
#include <stdint.h>

#define DS_COMMIT_MAX_BYTES (1024u * 1024 * 1024) /* one commit or JSON checkpoint */
#define DS_HINT_MAX_BYTES (16u * 1024 * 1024)     /* _last_checkpoint */

typedef struct ds_pv {
    const char *key;
    const char *value; /* NULL: null partition value */
} ds_pv;

typedef struct ds_dv {
    const char *storage_type; /* "u", "i" or "p" */
    const char *path_or_inline;
    int has_offset;
    int64_t offset;
    int64_t size_in_bytes;
    int64_t cardinality;
    int has_max_row_index;
    int64_t max_row_index;
} ds_dv;

typedef enum { DS_ACT_ADD = 1, DS_ACT_REMOVE, DS_ACT_CDC } ds_action_kind;

/* A file action (add, remove or cdc) as written in the log.  Kept compact:
 * the commit tail of a large table holds one of these per live file. */
typedef struct ds_file {
    const char *path;      /* exactly as written (URI-encoded) */
    const char *stats;     /* the stats JSON text, or NULL */
    ds_pv *pvs;            /* partition values */
    const ds_dv *dv;       /* NULL when none */
    const char *dv_id;     /* DV unique id, or NULL */
    const char *clustering_provider;
    int64_t size;          /* -1 when absent (removes without extendedFileMetadata) */
    int64_t modification_time;
    int64_t deletion_timestamp; /* removes; -1 when absent */
    int64_t version;       /* commit version, -1 when from a checkpoint */
    int64_t base_row_id, default_row_commit_version;
    uint32_t npv;
    uint8_t kind;          /* ds_action_kind */
    uint8_t data_change;
    uint8_t has_pvs;       /* partitionValues present */
    uint8_t has_base_row_id, has_default_row_commit_version;
    int8_t extended_file_metadata; /* removes: -1 absent, 0/1 */
} ds_file;

typedef struct ds_protocol {
    int min_reader, min_writer;
    const char **reader_features; /* NULL when the action has none */
    size_t n_reader_features;
    const char **writer_features;
    size_t n_writer_features;
} ds_protocol;

typedef struct ds_metadata {
    const char *id;
    const char *name, *description; /* may be NULL */
    const char *provider;
    ds_pv *format_options;
    size_t n_format_options;
    const char *schema_string; /* NULL when the action has none */
    const char **partition_columns;
    size_t n_partition_columns;
    ds_pv *configuration;
    size_t n_configuration;
    int has_created_time;
    int64_t created_time;
} ds_metadata;

const char *ds_metadata_conf(const ds_metadata *m, const char *key);

/* A string map (partition values, configuration) as a JSON object; a NULL
 * value is written as null. */
struct ds_buf;
int ds_pv_json(struct ds_buf *b, const ds_pv *pv, size_t n);

typedef struct ds_txn {
    const char *app_id;
    int64_t version;
    int has_last_updated;
    int64_t last_updated;
} ds_txn;

typedef struct ds_domain {
    const char *domain;
    const char *configuration;
    int removed;
} ds_domain;

/* What to build: the latest snapshot, one at a version, or one at a time. */
typedef enum { DS_AT_LATEST, DS_AT_VERSION, DS_AT_TIMESTAMP } ds_at_kind;
typedef struct ds_at {
    ds_at_kind kind;
    int64_t value;
    int commits_only; /* ignore checkpoints: replay every commit from 0 (tools, tests) */
    int metadata_only; /* protocol and metadata only: file actions are skipped and
                          ds_snapshot_files must not be called */
} ds_at;

typedef struct ds_snapshot ds_snapshot;

/* Error kinds set in err->kind: not-a-delta-table, non-contiguous-versions,
 * missing-metadata, missing-protocol, unsupported-reader-version,
 * unsupported-reader-feature, version-not-found, timestamp-before-earliest,
 * timestamp-after-latest, corrupt-log, storage. */
ds_status ds_snapshot_load(const ds_store *store, const char *root, const ds_at *at,
                           ds_snapshot **out, ds_error *err);
void ds_snapshot_free(ds_snapshot *s);

/* The latest version of a table, from the log listing alone (no replay):
 * what the version endpoint answers.  Same listing errors as a load. */
ds_status ds_table_latest_version(const ds_store *store, const char *root, int64_t *version,
                                  ds_error *err);

int64_t ds_snapshot_version(const ds_snapshot *s);
const ds_protocol *ds_snapshot_protocol(const ds_snapshot *s);
const ds_metadata *ds_snapshot_metadata(const ds_snapshot *s);
/* Live txns (latest per appId) and live domains. */
const ds_txn *ds_snapshot_txns(const ds_snapshot *s, size_t *n);
const ds_domain *ds_snapshot_domains(const ds_snapshot *s, size_t *n);
/* The checkpoint version used, or -1. */
int64_t ds_snapshot_checkpoint_version(const ds_snapshot *s);

/* Streams the live files (adds): first those decided by the commit tail,
 * newest commit first, then the checkpoint's in file order, so the order
 * is stable for a given snapshot.  cb returns 0 to go on, 1 to stop, -1 on
 * an error it has recorded in err.  The ds_file and its strings are valid
 * only during the call: copy what must outlive it. */
typedef int (*ds_file_cb)(void *ctx, const ds_file *f, ds_error *err);
ds_status ds_snapshot_files(ds_snapshot *s, ds_file_cb cb, void *ctx, ds_error *err);

/* Commit timestamps of every commit file present, in version order:
 * in-commit timestamps where enabled, else file modification times made
 * strictly increasing. */
typedef struct ds_commit_ts {
    int64_t version;
    int64_t timestamp_ms;
    int ict; /* 1 when the in-commit timestamp was used */
} ds_commit_ts;
ds_status ds_commit_timestamps(const ds_store *store, const char *root, ds_arena *a,
                               ds_commit_ts **out, size_t *n, ds_error *err);

/* ---- history: commit times and the changes between versions (changes.c)
 *
 * A history lists the whole log once and loads the latest protocol and
 * metadata.  Commit timestamps: the commit's in-commit timestamp when
 * delta.enableInCommitTimestamps is on (from the enablement version on),
 * else the commit file's modification time, made strictly increasing in
 * version order over the commit files present.  In-commit timestamps are
 * read lazily, one commit's first line each, and remembered. */
typedef struct ds_history ds_history;
ds_status ds_history_open(const ds_store *store, const char *root, ds_history **out,
                          ds_error *err);
void ds_history_free(ds_history *h);
/* The latest snapshot (protocol and metadata only: no file listing). */
ds_snapshot *ds_history_latest(const ds_history *h);
int64_t ds_history_latest_version(const ds_history *h);
/* The commit timestamp of version v; err kind version-not-found when the
 * log holds no commit file for v. */
ds_status ds_history_commit_ts(ds_history *h, int64_t v, int64_t *ts_ms, int *ict,
                               ds_error *err);

typedef enum {
    DS_TS_AS_OF = 1, /* the latest commit at or before t; t before the first commit
                        (timestamp-before-earliest) or after the latest
                        (timestamp-after-latest) is an error */
    DS_TS_STARTING,  /* the earliest commit at or after t; after the latest commit is
                        an error (timestamp-after-latest) */
    DS_TS_ENDING,    /* the latest commit at or before t; before the first commit is
                        an error, after the latest gives the latest */
} ds_ts_rule;
ds_status ds_history_version_at(ds_history *h, int64_t t_ms, ds_ts_rule rule,
                                int64_t *version, ds_error *err);

/* What changed in each version of [start, end], in version order and,
 * inside a version, protocol, metadata, then the file actions in log
 * order:
 *  - DS_CHANGES_CDF: a commit holding any cdc action gives exactly its cdc
 *    files; any other commit its adds and removes with dataChange=true.
 *    Every version must have the change data feed enabled
 *    (delta.enableChangeDataFeed) in the metadata in force at it, else
 *    the error kind is cdf-not-enabled.
 *  - DS_CHANGES_DATA: adds and removes with dataChange=true (streaming
 *    queries); cdc actions are not returned.
 * Protocol and metadata events come for versions after start only; each
 * protocol in the range is checked as a load would (unsupported-reader-*).
 * Every version needs its commit file (version-not-reconstructable when
 * the log was cleaned up past it).  Memory: one commit at a time. */
typedef enum { DS_CHANGES_CDF = 1, DS_CHANGES_DATA } ds_changes_mode;
typedef enum { DS_CH_PROTOCOL = 1, DS_CH_METADATA, DS_CH_FILE } ds_change_kind;
typedef struct ds_change {
    ds_change_kind kind;
    int64_t version, timestamp_ms;
    const ds_protocol *protocol; /* DS_CH_PROTOCOL */
    const ds_metadata *metadata; /* DS_CH_METADATA */
    const ds_file *file;         /* DS_CH_FILE: kind add, remove or cdc */
} ds_change;
/* Returns 0 to go on, 1 to stop, -1 on an error recorded in err.  What it
 * is handed is valid only during the call. */
typedef int (*ds_change_cb)(void *ctx, const ds_change *c, ds_error *err);
/* start: the snapshot at the first version (protocol and metadata only
 * suffice); end: at most the history's latest version. */
ds_status ds_history_changes(ds_history *h, const ds_snapshot *start, int64_t end,
                             ds_changes_mode mode, ds_change_cb cb, void *ctx,
                             ds_error *err);

/* Reader features this server honours (it lists files; the client reads). */
int ds_reader_feature_supported(const char *name);

/* DV unique id: storageType + pathOrInlineDv [+ "@" + offset]. */
const char *ds_dv_unique_id(ds_arena *a, const ds_dv *dv);

#endif
