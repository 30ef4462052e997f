/* changes.c - a table's history: commit timestamps, timestamp to version
 * resolution, and the changes between two versions (the change data feed
 * and streaming queries).
 *
 * The history lists the whole _delta_log once.  Commit timestamps of
 * tables without in-commit timestamps come from that listing alone (the
 * commit files' modification times, made strictly increasing); in-commit
 * timestamps are read from a commit's first line only when asked for.
 * Changes are read one commit at a time: the commit is parsed into an
 * arena that is reset before the next, so memory is one commit plus what
 * the caller keeps. */
#include "config.h"
#include "delta/actions.h"
#include "delta/delta.h"
#include "delta/snapshot_int.h"
#include "util/buf.h"
#include "util/text.h"
#include <stdlib.h>
#include <string.h>

struct ds_history {
    ds_snapshot *log;    /* the full listing (entries) */
    ds_snapshot *latest; /* protocol and metadata only */
    int64_t latest_version;
    int ict_on;          /* in-commit timestamps, per the latest metadata */
    int64_t ict_from;
    size_t n;            /* commit files at or below the latest version */
    const ds_log_entry **commit;
    int64_t *mtime_ts;   /* modification times, strictly increasing */
    int64_t *ts;         /* resolved timestamps; INT64_MIN: not read yet */
    unsigned char *ict;  /* 1: ts is an in-commit timestamp */
};

static int conf_true(const ds_metadata *m, const char *key)
{
    const char *v = ds_metadata_conf(m, key);
    return v && ds_strcaseeq(v, "true");
}

/* In-commit timestamps are in force at version v under metadata m. */
static int ict_in_force(const ds_metadata *m, int64_t v)
{
    if (!conf_true(m, "delta.enableInCommitTimestamps"))
        return 0;
    const char *ev = ds_metadata_conf(m, "delta.inCommitTimestampEnablementVersion");
    int64_t from = 0;
    if (ev && ds_parse_i64(ev, 0, INT64_MAX, &from) < 0)
        from = 0;
    return v >= from;
}

ds_status ds_history_open(const ds_store *store, const char *root, ds_history **out,
                          ds_error *err)
{
    *out = NULL;
    ds_history *h = calloc(1, sizeof *h);
    if (!h)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    ds_at at = {DS_AT_LATEST, 0, 0, 1};
    ds_status st = ds_snapshot_load(store, root, &at, &h->latest, err);
    if (st != DS_OK) {
        ds_history_free(h);
        return st;
    }
    h->latest_version = ds_snapshot_version(h->latest);
    const ds_metadata *m = ds_snapshot_metadata(h->latest);
    h->ict_on = conf_true(m, "delta.enableInCommitTimestamps");
    const char *ev = ds_metadata_conf(m, "delta.inCommitTimestampEnablementVersion");
    if (h->ict_on && ev && ds_parse_i64(ev, 0, INT64_MAX, &h->ict_from) < 0)
        h->ict_from = 0;
    if (!(h->log = ds_snapshot_new(store, root))) {
        ds_history_free(h);
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    if ((st = ds_snapshot_list_log(h->log, 0, err)) != DS_OK) {
        ds_history_free(h);
        return st;
    }
    size_t count = 0;
    for (size_t i = 0; i < h->log->nentries; i++)
        count += h->log->entries[i].kind == DS_LOG_COMMIT &&
                 h->log->entries[i].version <= h->latest_version;
    size_t c = count ? count : 1;
    h->commit = malloc(c * sizeof *h->commit);
    h->mtime_ts = malloc(c * sizeof *h->mtime_ts);
    h->ts = malloc(c * sizeof *h->ts);
    h->ict = calloc(c, 1);
    if (!h->commit || !h->mtime_ts || !h->ts || !h->ict) {
        ds_history_free(h);
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    for (size_t i = 0; i < h->log->nentries; i++) {
        const ds_log_entry *e = &h->log->entries[i];
        if (e->kind != DS_LOG_COMMIT || e->version > h->latest_version)
            continue;
        int64_t t = e->mtime_ms;
        if (h->n > 0 && t <= h->mtime_ts[h->n - 1])
            t = h->mtime_ts[h->n - 1] + 1; /* clocks skew: monotonize */
        h->commit[h->n] = e;
        h->mtime_ts[h->n] = t;
        h->ts[h->n] = INT64_MIN;
        h->n++;
    }
    *out = h;
    return DS_OK;
}

void ds_history_free(ds_history *h)
{
    if (!h)
        return;
    ds_snapshot_free(h->log);
    ds_snapshot_free(h->latest);
    free(h->commit);
    free(h->mtime_ts);
    free(h->ts);
    free(h->ict);
    free(h);
}

ds_snapshot *ds_history_latest(const ds_history *h) { return h->latest; }
int64_t ds_history_latest_version(const ds_history *h) { return h->latest_version; }

/* Index of version v among the commits, or -1. */
static ptrdiff_t find_commit(const ds_history *h, int64_t v)
{
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->commit[mid]->version < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < h->n && h->commit[lo]->version == v ? (ptrdiff_t)lo : -1;
}

/* The inCommitTimestamp of a commit's first line, or -1 when it has none.
 * Reads a growing prefix of the file until the first line is whole. */
static ds_status first_line_ict(const ds_history *h, const ds_log_entry *e, int64_t *ict,
                                ds_error *err)
{
    ds_arena *a = h->log->scratch;
    ds_arena_reset(a);
    char *url = ds_arena_printf(a, "%s%s", h->log->log_url, e->name);
    if (!url)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    size_t want = e->size < 65536 ? (size_t)e->size : 65536;
    unsigned char *buf = NULL;
    const char *nl = NULL;
    for (;;) {
        free(buf);
        buf = malloc(want ? want : 1);
        if (!buf)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        if (want && h->log->store->ops->get_range(h->log->store->ctx, url, 0, want, buf, err) !=
                        DS_OK) {
            free(buf);
            ds_error_kind(err, "storage");
            ds_error_detail(err, "reading %s", e->name);
            return err->status;
        }
        nl = memchr(buf, '\n', want);
        if (nl || want >= e->size || want >= DS_COMMIT_MAX_BYTES)
            break;
        want = want * 4 < e->size ? want * 4 : (size_t)e->size;
    }
    const char *end = nl ? nl : (const char *)buf + want;
    ds_action act;
    *ict = -1;
    if (ds_parse_action((const char *)buf, end, a, &act, err) < 0) {
        free(buf);
        ds_error_detail(err, "%s line 1", e->name);
        return err->status;
    }
    if (act.type == DS_A_COMMITINFO && act.has_ict)
        *ict = act.u.ict;
    free(buf);
    return DS_OK;
}

static ds_status ts_at(ds_history *h, size_t i, ds_error *err)
{
    if (h->ts[i] != INT64_MIN)
        return DS_OK;
    const ds_log_entry *e = h->commit[i];
    h->ts[i] = h->mtime_ts[i];
    if (h->ict_on && e->version >= h->ict_from) {
        int64_t ict = -1;
        if (first_line_ict(h, e, &ict, err) != DS_OK) {
            h->ts[i] = INT64_MIN;
            return err->status;
        }
        if (ict >= 0) {
            h->ts[i] = ict;
            h->ict[i] = 1;
        }
    }
    return DS_OK;
}

ds_status ds_history_commit_ts(ds_history *h, int64_t v, int64_t *ts_ms, int *ict,
                               ds_error *err)
{
    ptrdiff_t i = find_commit(h, v);
    if (i < 0)
        return ds_fail_kind(err, DS_ERR_INVALID_PARAM, "version-not-found",
                            "The table's log holds no commit for version %lld.", (long long)v);
    if (ts_at(h, (size_t)i, err) != DS_OK)
        return err->status;
    *ts_ms = h->ts[i];
    if (ict)
        *ict = h->ict[i];
    return DS_OK;
}

ds_status ds_history_version_at(ds_history *h, int64_t t, ds_ts_rule rule, int64_t *version,
                                ds_error *err)
{
    if (h->n == 0)
        return ds_fail_kind(err, DS_ERR_INVALID_PARAM, "version-not-reconstructable",
                            "The table's log holds no commit files, so it has no history.");
    size_t last = h->n - 1;
    if (ts_at(h, 0, err) != DS_OK || ts_at(h, last, err) != DS_OK)
        return err->status;
    char when[40];
    if (rule != DS_TS_STARTING && t < h->ts[0]) {
        ds_time_format(h->ts[0], when, sizeof when);
        return ds_fail_kind(err, DS_ERR_INVALID_PARAM, "timestamp-before-earliest",
                            "The timestamp is before the earliest available version of the "
                            "table (committed at %s).", when);
    }
    if (rule != DS_TS_ENDING && t > h->ts[last]) {
        ds_time_format(h->ts[last], when, sizeof when);
        return ds_fail_kind(err, DS_ERR_INVALID_PARAM, "timestamp-after-latest",
                            "The timestamp is after the latest version of the table "
                            "(committed at %s).", when);
    }
    if (rule == DS_TS_STARTING) {
        for (size_t i = 0; i < h->n; i++) {
            if (ts_at(h, i, err) != DS_OK)
                return err->status;
            if (h->ts[i] >= t) {
                *version = h->commit[i]->version;
                return DS_OK;
            }
        }
        *version = h->commit[last]->version; /* not reached: ts[last] >= t */
        return DS_OK;
    }
    for (size_t i = h->n; i-- > 0;) {
        if (ts_at(h, i, err) != DS_OK)
            return err->status;
        if (h->ts[i] <= t) {
            *version = h->commit[i]->version;
            return DS_OK;
        }
    }
    *version = h->commit[0]->version; /* not reached: ts[0] <= t */
    return DS_OK;
}

ds_status ds_commit_timestamps(const ds_store *store, const char *root, ds_arena *a,
                               ds_commit_ts **out, size_t *n, ds_error *err)
{
    *out = NULL;
    *n = 0;
    ds_history *h = NULL;
    if (ds_history_open(store, root, &h, err) != DS_OK)
        return err->status;
    ds_commit_ts *ts = ds_arena_alloc(a, (h->n ? h->n : 1) * sizeof *ts);
    if (!ts) {
        ds_history_free(h);
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    for (size_t i = 0; i < h->n; i++) {
        if (ts_at(h, i, err) != DS_OK) {
            ds_history_free(h);
            return err->status;
        }
        ts[i].version = h->commit[i]->version;
        ts[i].timestamp_ms = h->ts[i];
        ts[i].ict = h->ict[i];
    }
    *out = ts;
    *n = h->n;
    ds_history_free(h);
    return DS_OK;
}

/* ---- changes ------------------------------------------------------------ */

typedef struct commit_buf {
    char *data;
    size_t cap, mapped;
} commit_buf;

/* Reads a whole commit file (its size from the listing). */
static ds_status read_commit(ds_history *h, const ds_log_entry *e, commit_buf *b,
                             ds_arena *a, ds_error *err)
{
    if (e->size >= DS_COMMIT_MAX_BYTES) {
        ds_log_corrupt(err, "%s: a commit of %llu bytes is larger than the %u byte limit",
                       e->name, (unsigned long long)e->size, DS_COMMIT_MAX_BYTES);
        return err->status;
    }
    size_t need = (size_t)e->size + 1;
    if (need > b->cap) {
        ds_big_free(b->data, b->mapped);
        b->data = ds_big_alloc(need, &b->mapped);
        b->cap = b->data ? need : 0;
        if (!b->data)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    char *url = ds_arena_printf(a, "%s%s", h->log->log_url, e->name);
    if (!url)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    ds_fetched *f = ds_snapshot_take_fetched(h->log, url); /* read ahead */
    if (f && f->len == e->size) {
        memcpy(b->data, f->data, f->len);
        ds_fetched_free(f);
        b->data[e->size] = '\0';
        return DS_OK;
    }
    ds_fetched_free(f);
    if (e->size && h->log->store->ops->get_range(h->log->store->ctx, url, 0, (size_t)e->size,
                                                 (unsigned char *)b->data, err) != DS_OK) {
        ds_error_kind(err, "storage");
        ds_error_detail(err, "reading %s", e->name);
        return err->status;
    }
    b->data[e->size] = '\0';
    return DS_OK;
}

ds_status ds_history_changes(ds_history *h, const ds_snapshot *start, int64_t end,
                             ds_changes_mode mode, ds_change_cb cb, void *ctx,
                             ds_error *err)
{
    int64_t first = ds_snapshot_version(start);
    ds_protocol proto = *ds_snapshot_protocol(start);
    ds_metadata md = *ds_snapshot_metadata(start);
    ds_arena *keep = ds_arena_new(0); /* protocol and metadata changes */
    ds_arena *la = ds_arena_new(0);   /* one parsed line */
    commit_buf buf = {0};
    ds_status st = keep && la ? DS_OK : ds_error_set(err, DS_ERR_NOMEM, NULL);
    int stop = 0;
    if (st == DS_OK && end > h->latest_version)
        st = ds_fail_kind(err, DS_ERR_INVALID_PARAM, "version-not-found",
                          "Version %lld of the table does not exist (the latest is %lld).",
                          (long long)end, (long long)h->latest_version);
    int64_t ahead = first - 1; /* commits read ahead up to this version */
    for (int64_t v = first; st == DS_OK && !stop && v <= end; v++) {
        if (v > ahead && h->log->store->ops->get_many) {
            /* on an object store: the next window of commits at once */
            const char *names[DS_PREFETCH_MAX_FILES];
            uint64_t sizes[DS_PREFETCH_MAX_FILES];
            size_t n = 0;
            for (int64_t w = v; w <= end && n < DS_PREFETCH_MAX_FILES; w++) {
                ptrdiff_t wi = find_commit(h, w);
                if (wi >= 0) {
                    names[n] = h->commit[wi]->name;
                    sizes[n++] = h->commit[wi]->size;
                }
                ahead = w;
            }
            if ((st = ds_snapshot_prefetch(h->log, names, sizes, n, err)) != DS_OK)
                break;
        }
        ptrdiff_t idx = find_commit(h, v);
        if (idx < 0) {
            st = ds_fail_kind(err, DS_ERR_INVALID_PARAM, "version-not-reconstructable",
                              "The changes of version %lld cannot be read: its commit is no "
                              "longer in the table's log (the log was cleaned up).",
                              (long long)v);
            break;
        }
        const ds_log_entry *e = h->commit[idx];
        ds_arena_reset(la);
        if ((st = read_commit(h, e, &buf, la, err)) != DS_OK)
            break;
        char *eof = buf.data + e->size;
        /* pass 1: everything but the file actions, which are only looked
         * at (does the commit hold cdc files?) */
        int has_cdc = 0, new_proto = 0, new_md = 0, lineno = 0;
        int64_t ict = -1;
        ds_protocol np;
        ds_metadata nm;
        for (char *p = buf.data; p < eof;) {
            char *nl = memchr(p, '\n', (size_t)(eof - p));
            char *le = nl ? nl : eof;
            lineno++;
            int fk = ds_line_file_kind(p, le, NULL);
            if (fk) {
                has_cdc |= fk == DS_ACT_CDC;
            } else {
                ds_action act;
                ds_arena_reset(la);
                if (ds_parse_action(p, le, la, &act, err) < 0) {
                    ds_error_detail(err, "%s line %d", e->name, lineno);
                    st = err->status;
                    break;
                }
                if (act.type == DS_A_PROTOCOL || act.type == DS_A_METADATA) {
                    /* rare: parsed again into the arena that outlives the commit */
                    ds_action kept;
                    if (ds_parse_action(p, le, keep, &kept, err) < 0) {
                        st = err->status;
                        break;
                    }
                    if (kept.type == DS_A_PROTOCOL) {
                        np = kept.u.protocol;
                        new_proto = 1;
                    } else {
                        nm = kept.u.metadata;
                        new_md = 1;
                    }
                } else if (act.type == DS_A_COMMITINFO && act.has_ict) {
                    ict = act.u.ict;
                }
            }
            p = nl ? nl + 1 : eof;
        }
        if (st != DS_OK)
            break;
        if (new_proto) {
            if ((st = ds_check_protocol(&np, err)) != DS_OK) {
                ds_error_detail(err, "protocol of version %lld", (long long)v);
                break;
            }
            proto = np;
        }
        if (new_md)
            md = nm;
        if (mode == DS_CHANGES_CDF && !conf_true(&md, "delta.enableChangeDataFeed")) {
            st = ds_fail_kind(err, DS_ERR_INVALID_PARAM, "cdf-not-enabled",
                              "The change data of versions %lld to %lld cannot be read: the "
                              "change data feed was not enabled at version %lld.",
                              (long long)first, (long long)end, (long long)v);
            break;
        }
        ds_change c;
        memset(&c, 0, sizeof c);
        c.version = v;
        c.timestamp_ms = ict >= 0 && ict_in_force(&md, v) ? ict : h->mtime_ts[idx];
        int r = 0;
        if (v > first && new_proto) {
            c.kind = DS_CH_PROTOCOL;
            c.protocol = &proto;
            r = cb(ctx, &c, err);
        }
        if (r == 0 && v > first && new_md) {
            c.kind = DS_CH_METADATA;
            c.protocol = NULL;
            c.metadata = &md;
            r = cb(ctx, &c, err);
        }
        /* pass 2: the file actions the mode keeps, parsed one at a time and
         * handed on in log order */
        c.kind = DS_CH_FILE;
        c.metadata = NULL;
        int want_cdc = mode == DS_CHANGES_CDF && has_cdc;
        lineno = 0;
        for (char *p = buf.data; r == 0 && p < eof;) {
            char *nl = memchr(p, '\n', (size_t)(eof - p));
            char *le = nl ? nl : eof;
            char *ls = p;
            lineno++;
            p = nl ? nl + 1 : eof;
            int fk = ds_line_file_kind(ls, le, NULL);
            if (!fk || (fk == DS_ACT_CDC) != want_cdc)
                continue;
            ds_action act;
            ds_arena_reset(la);
            if (ds_parse_action(ls, le, la, &act, err) < 0) {
                ds_error_detail(err, "%s line %d", e->name, lineno);
                r = -1;
                break;
            }
            const ds_file *f = &act.u.file;
            if (act.type != DS_A_FILE || (fk != DS_ACT_CDC && !f->data_change))
                continue;
            act.u.file.version = v;
            c.file = f;
            r = cb(ctx, &c, err);
        }
        if (r < 0)
            st = err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
        stop = r > 0;
    }
    ds_big_free(buf.data, buf.mapped);
    ds_arena_free(la);
    ds_arena_free(keep);
    return st;
}
