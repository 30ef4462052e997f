/* checkpoint.c - checkpoints through the Parquet reader (or the JSON action
 * parser for UUID-named JSON checkpoints).
 *
 * Columns are resolved by name path, never by position; a missing column
 * reads as null.  Only the columns asked for are read: loading touches the
 * small non-file columns, streaming touches the add columns, and `tags`,
 * `remove`, `stats_parsed` (unless `stats` is absent) are never read. */
#include "config.h"
#include "delta/checkpoint.h"
#include "delta/snapshot_int.h"
#include "store/store.h"
#include "parquet/parquet.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/text.h"
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ---- a Parquet file in the store ---------------------------------- */

typedef struct pq_src {
    const ds_store *store;
    const char *url;
    const unsigned char *mem; /* the whole object, when fetched */
    size_t mem_len;
} pq_src;

static ds_status src_read_at(void *ctx, uint64_t off, size_t n, unsigned char *buf,
                             ds_error *err)
{
    pq_src *src = ctx;
    if (src->mem) {
        if (off > src->mem_len || n > src->mem_len - off) {
            ds_error_set(err, DS_ERR_INTERNAL, NULL);
            ds_error_detail(err, "%.300s: read past the end", src->url);
            return err->status;
        }
        memcpy(buf, src->mem + off, n);
        return DS_OK;
    }
    return src->store->ops->get_range(src->store->ctx, src->url, off, n, buf, err);
}

/* Checkpoints on an object store up to this size are read in one request
 * and kept for the snapshot's life (a Parquet file is otherwise read in
 * dozens of small ranges, each a round trip); bigger ones are read range
 * by range. */
#define FETCH_WHOLE_MAX (64u * 1024 * 1024)

/* DELTA_SHARING_READ_WHOLE_MAX (bytes) overrides it: 0 reads every
 * checkpoint range by range (less memory, more requests). */
uint64_t ds_checkpoint_read_whole_max(void)
{
    static int done;
    static uint64_t max = FETCH_WHOLE_MAX;
    if (!done) {
        const char *v = getenv("DELTA_SHARING_READ_WHOLE_MAX");
        int64_t n;
        if (v && *v && ds_parse_i64(v, 0, INT64_MAX, &n) == 0)
            max = (uint64_t)n;
        done = 1;
    }
    return max;
}

static ds_status fetch_whole(const ds_snapshot *cs, const char *url, uint64_t size,
                             pq_src *src, ds_error *err)
{
    ds_snapshot *s = (ds_snapshot *)cs; /* the cache is the only mutable part */
    pthread_mutex_lock(&s->fetch_lock);
    ds_fetched *f;
    for (f = s->fetched; f; f = f->next)
        if (strcmp(f->url, url) == 0)
            break;
    ds_status st = DS_OK;
    if (!f) {
        f = calloc(1, sizeof *f);
        if (!f || !(f->url = strdup(url)) || !(f->data = malloc(size ? size : 1))) {
            if (f)
                free(f->url);
            free(f);
            f = NULL;
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
        } else if ((st = s->store->ops->get_range(s->store->ctx, url, 0, (size_t)size, f->data,
                                                  err)) != DS_OK) {
            free(f->url);
            free(f->data);
            free(f);
            f = NULL;
        } else {
            f->len = (size_t)size;
            f->next = s->fetched;
            s->fetched = f;
        }
    }
    pthread_mutex_unlock(&s->fetch_lock);
    if (f) {
        src->mem = f->data;
        src->mem_len = f->len;
    }
    return st;
}

/* The object's size from the log listing when it is there (no request). */
static int listed_size(const ds_snapshot *s, const char *url, uint64_t *size)
{
    for (size_t i = 0; i < s->nsidecars; i++) /* sizes the manifest gave */
        if (s->sidecar_sizes[i] >= 0 && strcmp(s->sidecars[i], url) == 0) {
            *size = (uint64_t)s->sidecar_sizes[i];
            return 1;
        }
    size_t ll = strlen(s->log_url);
    if (strncmp(url, s->log_url, ll) != 0)
        return 0;
    const char *name = url + ll;
    for (size_t i = 0; i < s->nentries; i++)
        if (strcmp(s->entries[i].name, name) == 0) {
            *size = s->entries[i].size;
            return 1;
        }
    return 0;
}

/* After a failed Parquet call: a malformed file becomes a corrupt-log error
 * whose public message says so without the reader's wording (which goes to
 * the log); storage errors keep their own status and message. */
static int pq_failed(ds_error *err)
{
    if (err->status == DS_ERR_INTERNAL && !err->kind) {
        ds_error_private(err, DS_LOG_CORRUPT_MESSAGE);
        ds_error_kind(err, "corrupt-log");
    }
    return -1;
}

static ds_status open_parquet(const ds_snapshot *s, const char *url, pq_src *src,
                              ds_pq_file **f, ds_error *err)
{
    memset(src, 0, sizeof *src);
    src->store = s->store;
    src->url = url;
    uint64_t size;
    int remote = s->store->ops != &ds_local_store;
    if (!remote || !listed_size(s, url, &size)) {
        ds_store_entry st;
        if (s->store->ops->stat(s->store->ctx, url, &st, err) != DS_OK) {
            ds_error_kind(err, "storage");
            return err->status;
        }
        size = st.size;
    }
    if (remote && size <= ds_checkpoint_read_whole_max() && fetch_whole(s, url, size, src, err) != DS_OK) {
        ds_error_kind(err, "storage");
        return err->status;
    }
    ds_pq_io io = {src_read_at, src, size};
    if (ds_pq_open(&io, f, err) != DS_OK) {
        pq_failed(err);
        ds_error_detail(err, "checkpoint %.300s", url);
        return err->status;
    }
    return DS_OK;
}

/* ---- row-aligned column reading -------------------------------------- */

typedef struct col {
    int node;                /* leaf node, -1 when the column is absent */
    int16_t max_def;
    ds_pq_cursor *cur;
    int have_la;             /* a value read ahead belongs to the next row */
    ds_pq_value la;
} col;

static void col_init(col *c)
{
    memset(c, 0, sizeof *c);
    c->node = -1;
}

static int col_find(ds_pq_file *f, col *c, const char *a, const char *b, const char *d,
                    const char *e)
{
    const char *path[4] = {a, b, d, e};
    size_t n = e ? 4 : d ? 3 : b ? 2 : 1;
    c->node = ds_pq_find(f, path, n);
    if (c->node >= 0) {
        const ds_pq_node *nd = ds_pq_node_at(f, c->node);
        if (!nd->is_leaf)
            c->node = -1;
        else
            c->max_def = nd->def_level;
    }
    return c->node;
}

static ds_status col_open(ds_pq_file *f, int rg, col *c, ds_error *err)
{
    c->have_la = 0;
    if (c->node < 0)
        return DS_OK;
    if (ds_pq_cursor_open(f, rg, c->node, &c->cur, err) != DS_OK) {
        pq_failed(err);
        return err->status;
    }
    return DS_OK;
}

static void col_close(col *c)
{
    if (c->cur)
        ds_pq_cursor_close(c->cur);
    c->cur = NULL;
    c->have_la = 0;
}

static void col_free(col *c)
{
    col_close(c);
}

/* Next level entry; an absent column yields null entries (def 0). */
static int col_next(col *c, ds_pq_value *v, ds_error *err)
{
    if (c->node < 0) {
        memset(v, 0, sizeof *v);
        return 1;
    }
    if (c->have_la) {
        *v = c->la;
        c->have_la = 0;
        return 1;
    }
    int r = ds_pq_next(c->cur, v, err);
    if (r == 0)
        return ds_log_corrupt(err, "a checkpoint column ended before its row group");
    return r < 0 ? pq_failed(err) : r;
}

/* Puts back the entry just read.  Its bytes stay valid: they live in the
 * cursor's page until the cursor is advanced again, which happens only
 * after the entry has been taken back by col_next and copied. */
static int col_unread(col *c, const ds_pq_value *v, ds_error *err)
{
    (void)err;
    c->la = *v;
    c->have_la = 1;
    return 1;
}

static const char *vstr(const ds_pq_value *v, ds_arena *a)
{
    if (!v->present)
        return NULL;
    return ds_arena_strndup(a, (const char *)(v->ptr ? v->ptr : (const unsigned char *)""),
                            v->len);
}

static int64_t vint(const ds_pq_value *v)
{
    return v->v.i64;
}

/* Reads the entries of a repeated column for one row: map keys and values
 * in lockstep (val non-NULL), or list elements (in .key).  Returns the
 * entry count, or -1. */
static long row_entries(col *k, col *val, int16_t entry_def, ds_arena *a, ds_pv **out,
                        int *is_null, int16_t null_def, ds_error *err)
{
    ds_pq_value kv, vv;
    size_t n = 0, cap = 0;
    ds_pv *pv = NULL;
    *is_null = 1;
    *out = NULL;
    if (k->node < 0)
        return 0;
    for (int first = 1;; first = 0) {
        if (col_next(k, &kv, err) < 0)
            return -1;
        if (val && col_next(val, &vv, err) < 0)
            return -1;
        if (first && kv.def >= null_def)
            *is_null = 0;
        if (kv.def >= entry_def) {
            if (n == cap) {
                size_t nc = cap ? cap * 2 : 4;
                ds_pv *np = ds_arena_alloc(a, nc * sizeof *np);
                if (!np)
                    return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
                if (n)
                    memcpy(np, pv, n * sizeof *np);
                pv = np;
                cap = nc;
            }
            pv[n].key = vstr(&kv, a);
            pv[n].value = val ? vstr(&vv, a) : NULL;
            if ((!pv[n].key && kv.present) || (val && !pv[n].value && vv.present))
                return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
            n++;
        }
        /* peek: stop at the end of the chunk too */
        ds_pq_value peek;
        int r = ds_pq_next(k->cur, &peek, err);
        if (r < 0)
            return pq_failed(err);
        if (r == 0)
            break;
        col_unread(k, &peek, err);
        if (peek.rep == 0)
            break;
    }
    *out = pv;
    return (long)n;
}

/* The elements of a list read by row_entries, as a string array. */
static const char **list_of(ds_arena *a, const ds_pv *pv, long n)
{
    const char **l = ds_arena_alloc(a, (size_t)(n > 0 ? n : 1) * sizeof *l);
    for (long i = 0; l && i < n; i++)
        l[i] = pv[i].key;
    return l;
}

/* Definition level at which a MAP/LIST entry exists: that of the repeated
 * group above the leaf; and at which the map/list itself is non-null. */
static void rep_levels(ds_pq_file *f, const col *c, int16_t *entry_def, int16_t *null_def)
{
    *entry_def = *null_def = 0;
    if (c->node < 0)
        return;
    int n = ds_pq_node_at(f, c->node)->parent;
    while (n >= 0 && ds_pq_node_at(f, n)->repetition != DS_PQ_REPEATED)
        n = ds_pq_node_at(f, n)->parent;
    if (n < 0)
        return;
    *entry_def = ds_pq_node_at(f, n)->def_level;
    int p = ds_pq_node_at(f, n)->parent;
    *null_def = p >= 0 ? ds_pq_node_at(f, p)->def_level : 0;
}

static int16_t node_def(ds_pq_file *f, const char *a, const char *b)
{
    const char *path[2] = {a, b};
    int n = ds_pq_find(f, path, b ? 2 : 1);
    return n >= 0 ? ds_pq_node_at(f, n)->def_level : INT16_MAX;
}

/* ---- non-file actions ------------------------------------------------- */

enum { P_MINR, P_MINW, P_RF, P_WF, M_ID, M_NAME, M_DESC, M_PROV, M_OPTK, M_OPTV, M_SCHEMA,
       M_PCOLS, M_CONFK, M_CONFV, M_CTIME, T_APP, T_VER, T_LAST, D_DOM, D_CONF, D_REM,
       S_PATH, S_SIZE, NCOLS };

static ds_status load_parquet_part(ds_snapshot *s, const char *url, ds_error *err)
{
    pq_src src;
    ds_pq_file *f = NULL;
    if (open_parquet(s, url, &src, &f, err) != DS_OK)
        return err->status;
    col c[NCOLS];
    for (int i = 0; i < NCOLS; i++)
        col_init(&c[i]);
    col_find(f, &c[P_MINR], "protocol", "minReaderVersion", NULL, NULL);
    col_find(f, &c[P_MINW], "protocol", "minWriterVersion", NULL, NULL);
    col_find(f, &c[P_RF], "protocol", "readerFeatures", "element", NULL);
    col_find(f, &c[P_WF], "protocol", "writerFeatures", "element", NULL);
    col_find(f, &c[M_ID], "metaData", "id", NULL, NULL);
    col_find(f, &c[M_NAME], "metaData", "name", NULL, NULL);
    col_find(f, &c[M_DESC], "metaData", "description", NULL, NULL);
    col_find(f, &c[M_PROV], "metaData", "format", "provider", NULL);
    col_find(f, &c[M_OPTK], "metaData", "format", "options", "key");
    col_find(f, &c[M_OPTV], "metaData", "format", "options", "value");
    col_find(f, &c[M_SCHEMA], "metaData", "schemaString", NULL, NULL);
    col_find(f, &c[M_PCOLS], "metaData", "partitionColumns", "element", NULL);
    col_find(f, &c[M_CONFK], "metaData", "configuration", "key", NULL);
    col_find(f, &c[M_CONFV], "metaData", "configuration", "value", NULL);
    col_find(f, &c[M_CTIME], "metaData", "createdTime", NULL, NULL);
    col_find(f, &c[T_APP], "txn", "appId", NULL, NULL);
    col_find(f, &c[T_VER], "txn", "version", NULL, NULL);
    col_find(f, &c[T_LAST], "txn", "lastUpdated", NULL, NULL);
    col_find(f, &c[D_DOM], "domainMetadata", "domain", NULL, NULL);
    col_find(f, &c[D_CONF], "domainMetadata", "configuration", NULL, NULL);
    col_find(f, &c[D_REM], "domainMetadata", "removed", NULL, NULL);
    col_find(f, &c[S_PATH], "sidecar", "path", NULL, NULL);
    col_find(f, &c[S_SIZE], "sidecar", "sizeInBytes", NULL, NULL);
    int16_t prot_def = node_def(f, "protocol", NULL), meta_def = node_def(f, "metaData", NULL);
    int16_t txn_def = node_def(f, "txn", NULL), dom_def = node_def(f, "domainMetadata", NULL);
    int16_t rf_e, rf_n, wf_e, wf_n, ok_e, ok_n, pc_e, pc_n, cf_e, cf_n;
    rep_levels(f, &c[P_RF], &rf_e, &rf_n);
    rep_levels(f, &c[P_WF], &wf_e, &wf_n);
    rep_levels(f, &c[M_OPTK], &ok_e, &ok_n);
    rep_levels(f, &c[M_PCOLS], &pc_e, &pc_n);
    rep_levels(f, &c[M_CONFK], &cf_e, &cf_n);

    ds_status st = DS_OK;
    ds_arena *a = s->arena;
    /* Fields every action of its kind must have: a row group whose
     * statistics say they are all null holds none of these actions, only
     * file actions (nearly every row group of a large checkpoint) */
    static const int required[] = {P_MINR, M_ID, T_APP, D_DOM, S_PATH};
    for (int rg = 0; st == DS_OK && rg < ds_pq_num_row_groups(f); rg++) {
        int skip = 1;
        for (size_t i = 0; skip && i < sizeof required / sizeof required[0]; i++)
            skip = c[required[i]].node < 0 || ds_pq_chunk_all_null(f, rg, c[required[i]].node);
        if (skip)
            continue;
        for (int i = 0; st == DS_OK && i < NCOLS; i++)
            st = col_open(f, rg, &c[i], err);
        int64_t rows = ds_pq_row_group_rows(f, rg);
        for (int64_t r = 0; st == DS_OK && r < rows; r++) {
            ds_pq_value v[NCOLS];
            const char **l1, **l2;
            int isnull;
            long n;
#define NEXT(i) (col_next(&c[i], &v[i], err) < 0)
            if (NEXT(P_MINR) || NEXT(P_MINW) || NEXT(M_ID) || NEXT(M_NAME) || NEXT(M_DESC) ||
                NEXT(M_PROV) || NEXT(M_SCHEMA) || NEXT(M_CTIME) || NEXT(T_APP) ||
                NEXT(T_VER) || NEXT(T_LAST) || NEXT(D_DOM) || NEXT(D_CONF) || NEXT(D_REM) ||
                NEXT(S_PATH) || NEXT(S_SIZE)) {
                st = err->status;
                break;
            }
#undef NEXT
            /* protocol */
            int rfnull, wfnull;
            static const char *no_features[1];
            ds_pv *rfp, *wfp;
            n = row_entries(&c[P_RF], NULL, rf_e, a, &rfp, &rfnull, rf_n, err);
            long n2 = n < 0 ? -1 : row_entries(&c[P_WF], NULL, wf_e, a, &wfp, &wfnull, wf_n, err);
            if (n < 0 || n2 < 0) {
                st = err->status;
                break;
            }
            l1 = n ? list_of(a, rfp, n) : NULL;
            l2 = n2 ? list_of(a, wfp, n2) : NULL;
            if ((n && !l1) || (n2 && !l2)) {
                st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                break;
            }
            if (c[P_MINR].node >= 0 && v[P_MINR].def >= prot_def && !s->have_protocol) {
                ds_protocol *p = &s->protocol;
                memset(p, 0, sizeof *p);
                p->min_reader = v[P_MINR].present ? (int)v[P_MINR].v.i32 : 0;
                p->min_writer = v[P_MINW].present ? (int)v[P_MINW].v.i32 : 0;
                p->reader_features = rfnull ? NULL : n ? l1 : no_features;
                p->n_reader_features = (size_t)n;
                p->writer_features = wfnull ? NULL : n2 ? l2 : no_features;
                p->n_writer_features = (size_t)n2;
                s->have_protocol = 1;
            }
            /* metaData */
            ds_pv *opts, *pcp, *conf;
            long nopt = row_entries(&c[M_OPTK], &c[M_OPTV], ok_e, a, &opts, &isnull, ok_n, err);
            long npc = nopt < 0 ? -1 : row_entries(&c[M_PCOLS], NULL, pc_e, a, &pcp, &isnull, pc_n, err);
            long nconf = npc < 0 ? -1 : row_entries(&c[M_CONFK], &c[M_CONFV], cf_e, a, &conf, &isnull, cf_n, err);
            if (nopt < 0 || npc < 0 || nconf < 0) {
                st = err->status;
                break;
            }
            if (c[M_ID].node >= 0 && v[M_ID].def >= meta_def && !s->have_metadata) {
                ds_metadata *m = &s->metadata;
                memset(m, 0, sizeof *m);
                m->id = vstr(&v[M_ID], a);
                m->name = vstr(&v[M_NAME], a);
                m->description = vstr(&v[M_DESC], a);
                m->provider = v[M_PROV].present ? vstr(&v[M_PROV], a) : "parquet";
                m->schema_string = vstr(&v[M_SCHEMA], a);
                m->has_created_time = v[M_CTIME].present;
                m->created_time = vint(&v[M_CTIME]);
                m->partition_columns = list_of(a, pcp, npc);
                m->n_partition_columns = (size_t)npc;
                m->n_format_options = (size_t)nopt;
                m->format_options = opts;
                m->n_configuration = (size_t)nconf;
                m->configuration = conf;
                if (!m->partition_columns) {
                    st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                    break;
                }
                if (!m->id) {
                    ds_log_corrupt(err, "checkpoint metaData without id");
                    st = err->status;
                    break;
                }
                s->have_metadata = 1;
            }
            /* txn, domainMetadata, sidecar */
            if (c[T_APP].node >= 0 && v[T_APP].def >= txn_def && v[T_APP].present) {
                ds_txn t = {vstr(&v[T_APP], a), vint(&v[T_VER]), v[T_LAST].present,
                            vint(&v[T_LAST])};
                if (!t.app_id || ds_snapshot_note_txn(s, &t) < 0) {
                    st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                    break;
                }
            }
            if (c[D_DOM].node >= 0 && v[D_DOM].def >= dom_def && v[D_DOM].present) {
                ds_domain d = {vstr(&v[D_DOM], a), vstr(&v[D_CONF], a),
                               v[D_REM].present && v[D_REM].v.boolean};
                if (!d.domain || ds_snapshot_note_domain(s, &d) < 0) {
                    st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                    break;
                }
            }
            if (c[S_PATH].node >= 0 && v[S_PATH].present) {
                const char *p = vstr(&v[S_PATH], a);
                int64_t size = c[S_SIZE].node >= 0 && v[S_SIZE].present ? vint(&v[S_SIZE]) : -1;
                if (!p || ds_checkpoint_add_sidecar(s, p, size, err) < 0) {
                    st = err->status ? err->status : ds_error_set(err, DS_ERR_NOMEM, NULL);
                    break;
                }
            }
        }
        for (int i = 0; i < NCOLS; i++)
            col_close(&c[i]);
    }
    for (int i = 0; i < NCOLS; i++)
        col_free(&c[i]);
    ds_pq_close(f);
    return st;
}

int ds_checkpoint_add_sidecar(ds_snapshot *s, const char *path, int64_t size, ds_error *err)
{
    const char *url;
    if (strstr(path, "://")) {
        url = ds_arena_strdup(s->arena, path);
    } else {
        size_t n = strlen(path);
        char *dec = ds_arena_alloc(s->arena, n + 1);
        if (!dec)
            return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
        if (ds_pct_decode(path, n, dec, 0) < 0 || strstr(dec, "..") || dec[0] == '/') {
            return ds_log_corrupt(err, "bad sidecar path");
        }
        url = ds_arena_printf(s->arena, "%s_sidecars/%s", s->log_url, dec);
    }
    if (!url)
        return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
    size_t cap = s->sidecars_cap;
    if (ds_grow((void **)&s->sidecars, &s->sidecars_cap, s->nsidecars, sizeof *s->sidecars, 8) < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
    if (s->sidecars_cap != cap) {
        int64_t *ns = realloc(s->sidecar_sizes, s->sidecars_cap * sizeof *ns);
        if (!ns)
            return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
        s->sidecar_sizes = ns;
    }
    s->sidecar_sizes[s->nsidecars] = size;
    s->sidecars[s->nsidecars++] = url;
    return 0;
}

ds_status ds_checkpoint_load(ds_snapshot *s, ds_error *err)
{
    if (s->cp_kind == DS_LOG_CP_UUID_JSON)
        return ds_snapshot_apply_json(s, s->cp_parts[0], s->entries[s->cp_first].size, -1, 1,
                                      NULL, err);
    for (int i = 0; i < s->cp_nparts; i++) {
        char *url = ds_arena_printf(s->arena, "%s%s", s->log_url, s->cp_parts[i]);
        if (!url)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        if (load_parquet_part(s, url, err) != DS_OK)
            return err->status;
    }
    return DS_OK;
}

/* ---- stats rebuilt from stats_parsed ---------------------------------
 * Checkpoints written with writeStatsAsJson=false have no add.stats column;
 * the typed add.stats_parsed struct is then turned back into the stats JSON
 * (numRecords, minValues, maxValues, nullCount, tightBounds).  Only then is
 * stats_parsed read at all. */

typedef struct stats_cols {
    int root;       /* the stats_parsed group node */
    int *leaf_node; /* leaf node of each col */
    col *cols;
    size_t n;
    ds_pq_value *vals;
} stats_cols;

static int collect_leaves(ds_pq_file *f, int node, stats_cols *sc)
{
    const ds_pq_node *nd = ds_pq_node_at(f, node);
    if (nd->is_leaf) {
        if (nd->rep_level > 0)
            return 0; /* stats hold no repeated values; ignore any */
        size_t i = sc->n++;
        sc->leaf_node[i] = node;
        col_init(&sc->cols[i]);
        sc->cols[i].node = node;
        sc->cols[i].max_def = nd->def_level;
        return 0;
    }
    for (int i = 0; i < nd->num_children; i++)
        collect_leaves(f, ds_pq_child(f, node, i), sc);
    return 0;
}

static int count_leaves(ds_pq_file *f, int node)
{
    const ds_pq_node *nd = ds_pq_node_at(f, node);
    if (nd->is_leaf)
        return 1;
    int n = 0;
    for (int i = 0; i < nd->num_children; i++)
        n += count_leaves(f, ds_pq_child(f, node, i));
    return n;
}

static void stats_free(stats_cols *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        col_free(&sc->cols[i]);
    free(sc->cols);
    free(sc->leaf_node);
    free(sc->vals);
    memset(sc, 0, sizeof *sc);
    sc->root = -1;
}

static int stats_init(ds_pq_file *f, stats_cols *sc)
{
    memset(sc, 0, sizeof *sc);
    const char *path[2] = {"add", "stats_parsed"};
    sc->root = ds_pq_find(f, path, 2);
    if (sc->root < 0 || ds_pq_node_at(f, sc->root)->is_leaf) {
        sc->root = -1;
        return 0;
    }
    int n = count_leaves(f, sc->root);
    sc->cols = calloc((size_t)n + 1, sizeof *sc->cols);
    sc->leaf_node = calloc((size_t)n + 1, sizeof *sc->leaf_node);
    sc->vals = calloc((size_t)n + 1, sizeof *sc->vals);
    if (!sc->cols || !sc->leaf_node || !sc->vals) {
        stats_free(sc);
        return -1;
    }
    collect_leaves(f, sc->root, sc);
    return 0;
}

/* Decimal from big-endian two's complement bytes (up to 16). */
static int put_decimal(ds_buf *b, const unsigned char *p, uint32_t len, int64_t i, int scale,
                       int from_bytes)
{
    __int128 v = 0;
    if (from_bytes) {
        if (len == 0 || len > 16)
            return ds_buf_puts(b, "null");
        v = (p[0] & 0x80) ? -1 : 0;
        for (uint32_t k = 0; k < len; k++)
            v = (__int128)(((unsigned __int128)v << 8) | p[k]);
    } else {
        v = i;
    }
    char digits[64];
    int nd = 0, neg = v < 0;
    unsigned __int128 u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        digits[nd++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && nd < 60);
    while (nd <= scale)
        digits[nd++] = '0';
    char out[80];
    int o = 0;
    if (neg)
        out[o++] = '-';
    for (int k = nd - 1; k >= 0; k--) {
        out[o++] = digits[k];
        if (k == scale && scale > 0)
            out[o++] = '.';
    }
    out[o] = '\0';
    return ds_buf_puts(b, out);
}

static int put_time_ms(ds_buf *b, int64_t ms)
{
    char t[40];
    ds_time_format(ms, t, sizeof t);
    return ds_json_str(b, t);
}

static int put_leaf(ds_buf *b, const ds_pq_node *nd, const ds_pq_value *v)
{
    switch (nd->type) {
    case DS_PQ_BOOLEAN:
        return ds_buf_puts(b, v->v.boolean ? "true" : "false");
    case DS_PQ_INT32:
        if (nd->logical == DS_PQL_DATE) {
            char t[40];
            ds_time_format((int64_t)v->v.i32 * 86400000, t, sizeof t);
            t[10] = '\0';
            return ds_json_str(b, t);
        }
        if (nd->logical == DS_PQL_DECIMAL)
            return put_decimal(b, NULL, 0, v->v.i32, nd->scale, 0);
        return ds_buf_printf(b, "%d", (int)v->v.i32);
    case DS_PQ_INT64:
        switch (nd->logical) {
        case DS_PQL_TIMESTAMP_MS: return put_time_ms(b, v->v.i64);
        case DS_PQL_TIMESTAMP_US: return put_time_ms(b, v->v.i64 / 1000 - (v->v.i64 % 1000 < 0));
        case DS_PQL_TIMESTAMP_NS: return put_time_ms(b, v->v.i64 / 1000000 - (v->v.i64 % 1000000 < 0));
        case DS_PQL_DECIMAL: return put_decimal(b, NULL, 0, v->v.i64, nd->scale, 0);
        default: return ds_buf_printf(b, "%lld", (long long)v->v.i64);
        }
    case DS_PQ_INT96:
        return v->len == 12 ? put_time_ms(b, ds_pq_int96_to_ms(v->ptr)) : ds_buf_puts(b, "null");
    case DS_PQ_FLOAT:
    case DS_PQ_DOUBLE: {
        double d = nd->type == DS_PQ_FLOAT ? (double)v->v.f32 : v->v.f64;
        if (d != d)
            return ds_json_str(b, "NaN");
        if (d > 1.7976931348623157e308)
            return ds_json_str(b, "Infinity");
        if (d < -1.7976931348623157e308)
            return ds_json_str(b, "-Infinity");
        return ds_buf_printf(b, "%.17g", d);
    }
    case DS_PQ_BYTE_ARRAY:
    case DS_PQ_FIXED_LEN_BYTE_ARRAY:
        if (nd->logical == DS_PQL_DECIMAL)
            return put_decimal(b, v->ptr, v->len, 0, nd->scale, 1);
        return ds_json_strn(b, (const char *)v->ptr, v->len);
    }
    return ds_buf_puts(b, "null");
}

/* Writes the JSON of group `node` (non-null at this row); fields that are
 * null are left out, as Delta writers do. */
static int put_group(ds_pq_file *f, const stats_cols *sc, int node, ds_buf *b)
{
    const ds_pq_node *nd = ds_pq_node_at(f, node);
    int first = 1, rc = ds_buf_putc(b, '{');
    for (int i = 0; i < nd->num_children && rc == 0; i++) {
        int ch = ds_pq_child(f, node, i);
        const ds_pq_node *cn = ds_pq_node_at(f, ch);
        if (cn->is_leaf) {
            size_t k;
            for (k = 0; k < sc->n && sc->leaf_node[k] != ch; k++)
                ;
            if (k == sc->n || !sc->vals[k].present)
                continue;
            rc |= ds_json_key(b, &first, cn->name) | put_leaf(b, cn, &sc->vals[k]);
        } else {
            /* a group is non-null when any leaf below it reaches its level */
            int present = 0;
            for (size_t k = 0; k < sc->n && !present; k++) {
                int up = ds_pq_node_at(f, sc->leaf_node[k])->parent;
                while (up >= 0 && up != ch)
                    up = ds_pq_node_at(f, up)->parent;
                present = up == ch && sc->vals[k].def >= cn->def_level;
            }
            if (!present)
                continue;
            rc |= ds_json_key(b, &first, cn->name) | put_group(f, sc, ch, b);
        }
    }
    return rc | ds_buf_putc(b, '}');
}

/* ---- streaming the adds ------------------------------------------------ */

enum { A_PATH, A_SIZE, A_MTIME, A_DC, A_STATS, A_PVK, A_PVV, A_DVST, A_DVP, A_DVOFF,
       A_DVSIZE, A_DVCARD, A_DVMAX, A_BRID, A_DRCV, A_CLUST, NACOLS };

/* Streaming a checkpoint file's adds runs on threads: row groups are
 * decoded by two workers (row group r by worker r % 2, each with its own
 * open Parquet file, so nothing of the reader is shared) into batches of at
 * most BATCH_ROWS rows whose strings they own, and the calling thread takes
 * the batches in row-group order, checks each add against the commit tail
 * and hands it to the callback.  The order is the file's order, as before;
 * a worker runs at most QUEUE_MAX batches ahead, so memory stays a few
 * batches whatever the checkpoint's size.  Without threads (pthread_create
 * failing) the caller decodes the batches itself. */
#define BATCH_ROWS 4096
#define QUEUE_MAX 2
#define NWORKERS 2

typedef struct batch {
    ds_arena *a;
    ds_file *files;
    size_t n;
    int end_of_rg; /* the last batch of its row group */
    ds_status st;  /* DS_OK, or the decoding error (in err) */
    ds_error err;
    struct batch *next;
} batch;

typedef struct decoder {
    pq_src src;
    ds_pq_file *f;
    col c[NACOLS];
    stats_cols sc;
    ds_buf sbuf;
    int present[NACOLS], npresent;
    int16_t add_def, dv_def, sp_def, pv_e, pv_n;
    ds_pq_value v[NACOLS];
    int open_rg; /* row group whose cursors are open, or -1 */
    int64_t rows_left;
} decoder;

static void dec_close_rg(decoder *d)
{
    for (int i = 0; i < NACOLS; i++)
        col_close(&d->c[i]);
    for (size_t i = 0; d->sc.root >= 0 && i < d->sc.n; i++)
        col_close(&d->sc.cols[i]);
    d->open_rg = -1;
}

static void dec_close(decoder *d)
{
    dec_close_rg(d);
    if (d->sc.root >= 0)
        stats_free(&d->sc);
    d->sc.root = -1;
    ds_buf_free(&d->sbuf);
    if (d->f)
        ds_pq_close(d->f);
    d->f = NULL;
}

/* Opens url and finds the add columns.  *no_adds when the file has none. */
static ds_status dec_open(decoder *d, const ds_snapshot *s, const char *url, int *no_adds,
                          ds_error *err)
{
    memset(d, 0, sizeof *d);
    d->sc.root = -1;
    d->open_rg = -1;
    for (int i = 0; i < NACOLS; i++)
        col_init(&d->c[i]);
    ds_buf_init(&d->sbuf, 64u * 1024 * 1024);
    if (open_parquet(s, url, &d->src, &d->f, err) != DS_OK)
        return err->status;
    ds_pq_file *f = d->f;
    col *c = d->c;
    col_find(f, &c[A_PATH], "add", "path", NULL, NULL);
    col_find(f, &c[A_SIZE], "add", "size", NULL, NULL);
    col_find(f, &c[A_MTIME], "add", "modificationTime", NULL, NULL);
    col_find(f, &c[A_DC], "add", "dataChange", NULL, NULL);
    col_find(f, &c[A_STATS], "add", "stats", NULL, NULL);
    col_find(f, &c[A_PVK], "add", "partitionValues", "key", NULL);
    col_find(f, &c[A_PVV], "add", "partitionValues", "value", NULL);
    col_find(f, &c[A_DVST], "add", "deletionVector", "storageType", NULL);
    col_find(f, &c[A_DVP], "add", "deletionVector", "pathOrInlineDv", NULL);
    col_find(f, &c[A_DVOFF], "add", "deletionVector", "offset", NULL);
    col_find(f, &c[A_DVSIZE], "add", "deletionVector", "sizeInBytes", NULL);
    col_find(f, &c[A_DVCARD], "add", "deletionVector", "cardinality", NULL);
    col_find(f, &c[A_DVMAX], "add", "deletionVector", "maxRowIndex", NULL);
    col_find(f, &c[A_BRID], "add", "baseRowId", NULL, NULL);
    col_find(f, &c[A_DRCV], "add", "defaultRowCommitVersion", NULL, NULL);
    col_find(f, &c[A_CLUST], "add", "clusteringProvider", NULL, NULL);
    *no_adds = c[A_PATH].node < 0;
    if (*no_adds)
        return DS_OK;
    d->add_def = node_def(f, "add", NULL);
    d->dv_def = node_def(f, "add", "deletionVector");
    if (c[A_STATS].node < 0 && stats_init(f, &d->sc) < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    d->sp_def = d->sc.root >= 0 ? ds_pq_node_at(f, d->sc.root)->def_level : 0;
    rep_levels(f, &c[A_PVK], &d->pv_e, &d->pv_n);
    /* scalar columns the file has; absent ones stay null for every row */
    for (int i = 0; i < NACOLS; i++)
        if (i != A_PVK && i != A_PVV && c[i].node >= 0)
            d->present[d->npresent++] = i;
    return DS_OK;
}

/* Decodes up to BATCH_ROWS rows of row group rg (continuing where the last
 * call stopped) into b; sets b->end_of_rg after its last row.  Strings are
 * copied into b->a: a batch outlives the pages it was read from. */
static ds_status dec_rows(decoder *d, int rg, batch *b, ds_error *err)
{
    ds_pq_file *f = d->f;
    col *c = d->c;
    stats_cols *sc = &d->sc;
    ds_pq_value *v = d->v;
    ds_status st = DS_OK;
    if (d->open_rg != rg) {
        dec_close_rg(d);
        for (int i = 0; st == DS_OK && i < NACOLS; i++)
            st = col_open(f, rg, &c[i], err);
        for (size_t i = 0; st == DS_OK && sc->root >= 0 && i < sc->n; i++)
            st = col_open(f, rg, &sc->cols[i], err);
        if (st != DS_OK)
            return st;
        d->open_rg = rg;
        d->rows_left = ds_pq_row_group_rows(f, rg);
    }
    b->files = ds_arena_alloc(b->a, BATCH_ROWS * sizeof *b->files);
    if (!b->files)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    while (d->rows_left > 0 && b->n < BATCH_ROWS) {
        d->rows_left--;
        int sp_present = 0;
        for (size_t i = 0; sc->root >= 0 && i < sc->n; i++) {
            if (col_next(&sc->cols[i], &sc->vals[i], err) < 0)
                return err->status;
            sp_present |= sc->vals[i].def >= d->sp_def;
        }
        for (int k = 0; k < d->npresent; k++)
            if (col_next(&c[d->present[k]], &v[d->present[k]], err) < 0)
                return err->status;
        ds_pv *pvs = NULL;
        int pnull = 1;
        long npv = row_entries(&c[A_PVK], &c[A_PVV], d->pv_e, b->a, &pvs, &pnull, d->pv_n, err);
        if (npv < 0)
            return err->status;
        if (v[A_PATH].def < d->add_def)
            continue; /* not an add row */
        ds_file *fl = &b->files[b->n];
        memset(fl, 0, sizeof *fl);
        fl->kind = DS_ACT_ADD;
        fl->version = -1;
        fl->deletion_timestamp = -1;
        fl->extended_file_metadata = -1;
        fl->path = vstr(&v[A_PATH], b->a);
        if (!fl->path) {
            if (!v[A_PATH].present)
                return ds_log_corrupt(err, "checkpoint add without path"), err->status;
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        }
        fl->size = v[A_SIZE].present ? vint(&v[A_SIZE]) : -1;
        fl->modification_time = vint(&v[A_MTIME]);
        fl->data_change = (uint8_t)(v[A_DC].present && v[A_DC].v.boolean);
        fl->stats = vstr(&v[A_STATS], b->a);
        if (v[A_STATS].present && !fl->stats)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        if (sc->root >= 0 && sp_present) {
            ds_buf_clear(&d->sbuf);
            if (put_group(f, sc, sc->root, &d->sbuf) < 0 ||
                !(fl->stats = ds_arena_strndup(b->a, d->sbuf.data, d->sbuf.len)))
                return ds_error_set(err, DS_ERR_NOMEM, NULL);
        }
        fl->has_pvs = (uint8_t)!pnull;
        fl->npv = (uint32_t)npv;
        fl->pvs = pvs;
        if (c[A_DVST].node >= 0 && v[A_DVST].def >= d->dv_def && v[A_DVST].present) {
            ds_dv *dv = ds_arena_alloc(b->a, sizeof *dv);
            if (!dv)
                return ds_error_set(err, DS_ERR_NOMEM, NULL);
            memset(dv, 0, sizeof *dv);
            dv->storage_type = vstr(&v[A_DVST], b->a);
            dv->path_or_inline = vstr(&v[A_DVP], b->a);
            dv->has_offset = v[A_DVOFF].present;
            dv->offset = v[A_DVOFF].v.i32;
            dv->size_in_bytes = v[A_DVSIZE].present ? v[A_DVSIZE].v.i32 : 0;
            dv->cardinality = vint(&v[A_DVCARD]);
            dv->has_max_row_index = v[A_DVMAX].present;
            dv->max_row_index = vint(&v[A_DVMAX]);
            if (!dv->path_or_inline)
                return ds_log_corrupt(err, "checkpoint deletionVector without pathOrInlineDv"),
                       err->status;
            fl->dv = dv;
            if (!(fl->dv_id = ds_dv_unique_id(b->a, dv)))
                return ds_error_set(err, DS_ERR_NOMEM, NULL);
        }
        fl->has_base_row_id = (uint8_t)v[A_BRID].present;
        fl->base_row_id = vint(&v[A_BRID]);
        fl->has_default_row_commit_version = (uint8_t)v[A_DRCV].present;
        fl->default_row_commit_version = vint(&v[A_DRCV]);
        fl->clustering_provider = vstr(&v[A_CLUST], b->a);
        b->n++;
    }
    if (d->rows_left == 0) {
        b->end_of_rg = 1;
        dec_close_rg(d);
    }
    return DS_OK;
}

static batch *batch_new(void)
{
    batch *b = calloc(1, sizeof *b);
    if (b && !(b->a = ds_arena_new(0))) {
        free(b);
        return NULL;
    }
    if (b)
        ds_error_clear(&b->err);
    return b;
}

static void batch_free(batch *b)
{
    if (!b)
        return;
    ds_arena_free(b->a);
    free(b);
}

/* Decodes the next batch of row group rg; a failure is recorded in the
 * batch itself (its own error record), which ends its row group. */
static batch *next_batch(decoder *d, int rg, batch *reuse)
{
    batch *b = reuse;
    if (b) {
        /* a consumed batch: its arena keeps one block the size of the last
         * round, so decoding touches no fresh memory */
        ds_arena_reset_compact(b->a);
        b->files = NULL;
        b->n = 0;
        b->end_of_rg = 0;
        b->st = DS_OK;
        b->next = NULL;
        ds_error_clear(&b->err);
    } else if (!(b = batch_new())) {
        return NULL;
    }
    b->st = dec_rows(d, rg, b, &b->err);
    if (b->st != DS_OK)
        b->end_of_rg = 1;
    return b;
}

typedef struct worker {
    struct pipeline *p;
    int idx, started;
    decoder d;
    pthread_t th;
    batch *head, *tail;
    batch *spare; /* consumed batches given back for reuse */
    int queued, done, nspare;
} worker;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop, nrg, nworkers;
    worker w[NWORKERS];
} pipeline;

static void *worker_main(void *arg)
{
    worker *w = arg;
    pipeline *p = w->p;
    for (int rg = w->idx; rg < p->nrg; rg += p->nworkers) {
        for (;;) {
            pthread_mutex_lock(&p->mu);
            while (w->queued >= QUEUE_MAX && !p->stop)
                pthread_cond_wait(&p->cv, &p->mu);
            int stop = p->stop;
            batch *reuse = w->spare;
            if (reuse) {
                w->spare = reuse->next;
                w->nspare--;
            }
            pthread_mutex_unlock(&p->mu);
            if (stop) {
                batch_free(reuse);
                goto out;
            }
            batch *b = next_batch(&w->d, rg, reuse);
            if (!b) /* out of memory: the consumer sees done with a gap */
                goto out;
            /* read before handing it over: the consumer may free it at once */
            int failed = b->st != DS_OK, end = b->end_of_rg;
            pthread_mutex_lock(&p->mu);
            if (w->tail)
                w->tail->next = b;
            else
                w->head = b;
            w->tail = b;
            w->queued++;
            pthread_cond_broadcast(&p->cv);
            pthread_mutex_unlock(&p->mu);
            if (failed)
                goto out;
            if (end)
                break;
        }
    }
out:
    pthread_mutex_lock(&p->mu);
    w->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* The next batch of worker w, in order; NULL when it has no more (an
 * out-of-memory failure of the worker). */
static batch *take(pipeline *p, worker *w)
{
    pthread_mutex_lock(&p->mu);
    while (!w->head && !w->done)
        pthread_cond_wait(&p->cv, &p->mu);
    batch *b = w->head;
    if (b) {
        w->head = b->next;
        if (!w->head)
            w->tail = NULL;
        w->queued--;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return b;
}

static ds_status stream_file(ds_snapshot *s, const char *url, ds_file_cb cb, void *ctx,
                             int *stop, ds_error *err)
{
    pipeline p;
    memset(&p, 0, sizeof p);
    int no_adds = 0;
    ds_status st = DS_OK;
    int opened = 0;
    for (int i = 0; i < NWORKERS; i++) {
        p.w[i].p = &p;
        p.w[i].idx = i;
    }
    /* the first decoder tells the row groups; a second one (its own open
     * file) only when there are two row groups to share */
    st = dec_open(&p.w[0].d, s, url, &no_adds, err);
    opened = 1;
    if (st == DS_OK && !no_adds) {
        p.nrg = ds_pq_num_row_groups(p.w[0].d.f);
        p.nworkers = p.nrg < NWORKERS ? 1 : NWORKERS;
        for (int i = 1; st == DS_OK && i < p.nworkers; i++) {
            st = dec_open(&p.w[i].d, s, url, &no_adds, err);
            opened = i + 1;
        }
    }
    if (st != DS_OK || no_adds) { /* no add column at all: nothing to stream */
        for (int i = 0; i < opened; i++)
            dec_close(&p.w[i].d);
        return st;
    }
    int threaded = pthread_mutex_init(&p.mu, NULL) == 0;
    if (threaded && pthread_cond_init(&p.cv, NULL) != 0) {
        pthread_mutex_destroy(&p.mu);
        threaded = 0;
    }
    /* workers start with every signal blocked: SIGTERM and friends stay
     * with the calling thread, whose front end acts on them between
     * requests */
    sigset_t all, old;
    sigfillset(&all);
    int masked = threaded && pthread_sigmask(SIG_BLOCK, &all, &old) == 0;
    for (int i = 0; threaded && i < p.nworkers; i++) {
        if (pthread_create(&p.w[i].th, NULL, worker_main, &p.w[i]) != 0) {
            /* the ones started go on; the others are decoded inline */
            break;
        }
        p.w[i].started = 1;
    }
    if (masked)
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    for (int rg = 0; st == DS_OK && !*stop && rg < p.nrg; rg++) {
        worker *w = &p.w[rg % p.nworkers];
        for (int end = 0; !end && st == DS_OK && !*stop;) {
            batch *b = w->started ? take(&p, w) : next_batch(&w->d, rg, NULL);
            if (!b) {
                st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                break;
            }
            end = b->end_of_rg;
            if (b->st != DS_OK) {
                /* the worker's error record becomes the caller's */
                if (err->status == DS_OK)
                    *err = b->err;
                st = err->status;
            }
            for (size_t i = 0; st == DS_OK && !*stop && i < b->n; i++) {
                const ds_file *fl = &b->files[i];
                if (ds_keyset_contains(s, fl->path, fl->dv_id))
                    continue; /* decided by a newer commit */
                int cr = cb(ctx, fl, err);
                if (cr < 0)
                    st = err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
                else if (cr > 0)
                    *stop = 1;
            }
            if (w->started) { /* back to its worker, which reuses it */
                pthread_mutex_lock(&p.mu);
                if (w->nspare < QUEUE_MAX + 1) {
                    b->next = w->spare;
                    w->spare = b;
                    w->nspare++;
                    b = NULL;
                }
                pthread_mutex_unlock(&p.mu);
            }
            batch_free(b);
        }
    }
    if (threaded) {
        pthread_mutex_lock(&p.mu);
        p.stop = 1;
        pthread_cond_broadcast(&p.cv);
        pthread_mutex_unlock(&p.mu);
        for (int i = 0; i < p.nworkers; i++)
            if (p.w[i].started)
                pthread_join(p.w[i].th, NULL);
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
    }
    for (int i = 0; i < NWORKERS; i++) {
        for (batch *b = p.w[i].head, *n; b; b = n) {
            n = b->next;
            batch_free(b);
        }
        for (batch *b = p.w[i].spare, *n; b; b = n) {
            n = b->next;
            batch_free(b);
        }
        if (i < opened)
            dec_close(&p.w[i].d);
    }
    return st;
}

ds_status ds_checkpoint_stream_adds(ds_snapshot *s, ds_file_cb cb, void *ctx, ds_error *err)
{
    int stop = 0;
    if (s->cp_kind != DS_LOG_CP_UUID_JSON)
        for (int i = 0; i < s->cp_nparts && !stop; i++) {
            char *url = ds_arena_printf(s->arena, "%s%s", s->log_url, s->cp_parts[i]);
            if (!url)
                return ds_error_set(err, DS_ERR_NOMEM, NULL);
            if (stream_file(s, url, cb, ctx, &stop, err) != DS_OK)
                return err->status;
        }
    /* on an object store, the sidecars below _delta_log/ whose sizes the
     * manifest gives are read at once */
    if (s->nsidecars > 1 && s->store->ops->get_many) {
        const char **names = calloc(s->nsidecars, sizeof *names);
        uint64_t *sizes = calloc(s->nsidecars, sizeof *sizes);
        size_t n = 0, ll = strlen(s->log_url);
        for (size_t i = 0; names && sizes && i < s->nsidecars; i++)
            if (s->sidecar_sizes[i] >= 0 &&
                (uint64_t)s->sidecar_sizes[i] <= ds_checkpoint_read_whole_max() &&
                strncmp(s->sidecars[i], s->log_url, ll) == 0) {
                names[n] = s->sidecars[i] + ll;
                sizes[n++] = (uint64_t)s->sidecar_sizes[i];
            }
        ds_status pst = names && sizes ? ds_snapshot_prefetch(s, names, sizes, n, err)
                                       : ds_error_set(err, DS_ERR_NOMEM, NULL);
        free(names);
        free(sizes);
        if (pst != DS_OK)
            return pst;
    }
    for (size_t i = 0; i < s->nsidecars && !stop; i++)
        if (stream_file(s, s->sidecars[i], cb, ctx, &stop, err) != DS_OK)
            return err->status;
    return DS_OK;
}
