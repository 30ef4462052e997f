/* snapshot.c - listing _delta_log, choosing the checkpoint and the commit
 * tail, reconciling actions newest first, and streaming the live files.
 *
 * Policy on a stale hint: _last_checkpoint only says where to start
 * listing.  When the listing from the hint finds no checkpoint (the hinted
 * one was deleted, or the hint is ahead of the target), the log is listed
 * again from version 0; a log that cannot be rebuilt from there fails with
 * the precise reason (missing commits), never silently. */
#include "config.h"
#include "delta/actions.h"
#include "delta/checkpoint.h"
#include "delta/delta.h"
#include "delta/snapshot_int.h"
#include "util/buf.h"
#include "util/text.h"
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ds_status ds_fail_kind(ds_error *err, ds_status st, const char *kind, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ds_error_set(err, st, "%s", msg);
    ds_error_kind(err, kind);
    return err->status;
}

/* ---- listing -------------------------------------------------------- */

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int parse_digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int is_uuid(const char *s)
{
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return 0;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return 0;
        }
    }
    return 1;
}

/* Classifies a _delta_log name by the exact patterns; 0 when ignored. */
int ds_log_classify(const char *name, ds_log_entry *e)
{
    size_t n = strlen(name);
    if (n < 21 || !all_digits(name, 20) || name[20] != '.')
        return 0;
    if (parse_digits(name, 20, &e->version) < 0)
        return 0;
    const char *rest = name + 21;
    size_t rn = n - 21;
    e->part = e->nparts = 0;
    if (strcmp(rest, "json") == 0) {
        e->kind = DS_LOG_COMMIT;
        return 1;
    }
    if (strcmp(rest, "checkpoint.parquet") == 0) {
        e->kind = DS_LOG_CP_CLASSIC;
        return 1;
    }
    if (rn == 11 + 10 + 1 + 10 + 8 && strncmp(rest, "checkpoint.", 11) == 0 &&
        all_digits(rest + 11, 10) && rest[21] == '.' && all_digits(rest + 22, 10) &&
        strcmp(rest + 32, ".parquet") == 0) {
        int64_t o = 0, p = 0;
        parse_digits(rest + 11, 10, &o);
        parse_digits(rest + 22, 10, &p);
        if (p < 2 || o < 1 || o > p || p > 1000000)
            return 0;
        e->kind = DS_LOG_CP_MULTI;
        e->part = (int)o;
        e->nparts = (int)p;
        return 1;
    }
    if (strncmp(rest, "checkpoint.", 11) == 0 && rn >= 11 + 36 + 5 && is_uuid(rest + 11)) {
        const char *ext = rest + 11 + 36;
        if (strcmp(ext, ".json") == 0) {
            e->kind = DS_LOG_CP_UUID_JSON;
            return 1;
        }
        if (strcmp(ext, ".parquet") == 0) {
            e->kind = DS_LOG_CP_UUID_PARQUET;
            return 1;
        }
    }
    return 0;
}

struct lister {
    ds_snapshot *s;
    ds_log_entry *v;
    size_t n, cap;
    int failed;
};

static int list_cb(void *ctx, const ds_store_entry *e)
{
    struct lister *l = ctx;
    if (e->name[0] > '9')
        return 1; /* _last_checkpoint, _sidecars/, ...: past the log files */
    if (e->name[0] == '.')
        return 0;
    ds_log_entry le;
    if (!ds_log_classify(e->name, &le))
        return 0;
    if (ds_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v, 64) < 0) {
        l->failed = 1;
        return 1;
    }
    le.size = e->size;
    le.mtime_ms = e->mtime_ms;
    le.name = ds_arena_strdup(l->s->arena, e->name);
    if (!le.name) {
        l->failed = 1;
        return 1;
    }
    l->v[l->n++] = le;
    return 0;
}

ds_status ds_snapshot_list_log(ds_snapshot *s, int64_t from, ds_error *err)
{
    struct lister l = {.s = s};
    char start[32];
    const char *sa = NULL;
    if (from > 0) {
        /* every name of version from-1 sorts before "<from-1>~" */
        snprintf(start, sizeof start, "%020lld~", (long long)(from - 1));
        sa = start;
    }
    ds_status st = s->store->ops->list(s->store->ctx, s->log_url, sa, list_cb, &l, err);
    if (st == DS_OK && l.failed)
        st = ds_error_set(err, DS_ERR_NOMEM, NULL);
    free(s->entries);
    s->entries = l.v;
    s->nentries = l.n;
    if (st == DS_ERR_NOT_FOUND && err->status == DS_ERR_NOT_FOUND) {
        ds_error_clear(err);
        return ds_fail_kind(err, DS_ERR_NOT_FOUND, "not-a-delta-table",
                         "The table's storage holds no Delta log.");
    }
    if (st != DS_OK)
        ds_error_kind(err, "storage");
    return st;
}

/* Reads the _last_checkpoint hint into *hint: -1 when absent, empty or
 * corrupt (the hint is only a shortcut).  A store that fails to answer is
 * an error, though: hiding it would turn every later request into a full
 * listing of the log, and the failure would show up only as slowness. */
static ds_status read_hint(ds_snapshot *s, int64_t *hint, ds_error *err)
{
    ds_buf b;
    ds_buf_init(&b, DS_HINT_MAX_BYTES);
    ds_error e;
    ds_error_clear(&e);
    char *url = ds_arena_printf(s->arena, "%s_last_checkpoint", s->log_url);
    int64_t v = -1;
    *hint = -1;
    ds_status got = url ? s->store->ops->get(s->store->ctx, url, &b, &e) : DS_ERR_NOMEM;
    if (got != DS_OK && got != DS_ERR_NOT_FOUND && e.status != DS_ERR_INTERNAL) {
        /* DS_ERR_INTERNAL: a hint over its size cap, which is as good as
         * a corrupt one */
        ds_buf_free(&b);
        if (got == DS_ERR_NOMEM && !url)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        *err = e;
        ds_error_kind(err, "storage");
        return err->status;
    }
    if (got == DS_OK && b.len) {
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, b.data, (int)b.len) : NULL;
        json_object *ver;
        if (o && json_object_is_type(o, json_type_object) &&
            json_object_object_get_ex(o, "version", &ver) &&
            json_object_is_type(ver, json_type_int) && json_object_get_int64(ver) >= 0)
            v = json_object_get_int64(ver);
        json_object_put(o);
        if (tok)
            json_tokener_free(tok);
    }
    ds_buf_free(&b);
    *hint = v;
    return DS_OK;
}

/* ---- choosing the segment ------------------------------------------- */

static int cp_rank(const ds_log_entry *e)
{
    switch (e->kind) {
    case DS_LOG_CP_UUID_JSON:
    case DS_LOG_CP_UUID_PARQUET: return 3000000;
    case DS_LOG_CP_MULTI: return 1000 + e->nparts;
    case DS_LOG_CP_CLASSIC: return 1;
    default: return 0;
    }
}

/* Finds the best complete checkpoint at or below target; fills s->cp. */
static void pick_checkpoint(ds_snapshot *s, int64_t target)
{
    s->cp_version = -1;
    s->cp_nparts = 0;
    int best_rank = 0;
    for (size_t i = 0; i < s->nentries; i++) {
        const ds_log_entry *e = &s->entries[i];
        if (e->kind == DS_LOG_COMMIT || e->version > target || e->size == 0)
            continue;
        if (e->version < s->cp_version)
            continue;
        int complete = 1;
        if (e->kind == DS_LOG_CP_MULTI) {
            if (e->part != 1)
                continue;
            /* all parts 1..p of this version and part count, non-empty */
            for (int p = 2; p <= e->nparts && complete; p++) {
                int found = 0;
                for (size_t j = 0; j < s->nentries && !found; j++) {
                    const ds_log_entry *f = &s->entries[j];
                    found = f->kind == DS_LOG_CP_MULTI && f->version == e->version &&
                            f->nparts == e->nparts && f->part == p && f->size > 0;
                }
                complete = found;
            }
        }
        if (!complete)
            continue;
        int rank = cp_rank(e);
        if (e->version > s->cp_version || rank > best_rank) {
            s->cp_version = e->version;
            s->cp_first = i;
            best_rank = rank;
        }
    }
    if (s->cp_version < 0)
        return;
    const ds_log_entry *c = &s->entries[s->cp_first];
    s->cp_kind = c->kind;
    s->cp_nparts = c->kind == DS_LOG_CP_MULTI ? c->nparts : 1;
    s->cp_parts = ds_arena_alloc(s->arena, (size_t)s->cp_nparts * sizeof *s->cp_parts);
    if (!s->cp_parts) {
        s->cp_version = -1; /* reported as a missing checkpoint; OOM shows up next */
        return;
    }
    if (c->kind != DS_LOG_CP_MULTI) {
        s->cp_parts[0] = c->name;
        return;
    }
    for (size_t j = 0; j < s->nentries; j++) {
        const ds_log_entry *f = &s->entries[j];
        if (f->kind == DS_LOG_CP_MULTI && f->version == c->version && f->nparts == c->nparts)
            s->cp_parts[f->part - 1] = f->name;
    }
}

/* ---- reconciliation --------------------------------------------------- */

/* 64-bit multiply-mix hash over 8-byte words: the key of every checkpoint
 * row is hashed, so this is on the hot path of large snapshots. */
static uint64_t mix(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

static uint64_t hash_str(uint64_t h, const char *p)
{
    size_t n = strlen(p), i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = mix(h, w);
    }
    uint64_t w = 0;
    memcpy(&w, p + i, n - i);
    return mix(h, w ^ ((uint64_t)n << 56));
}

static uint64_t hash_key(const char *path, const char *dv)
{
    uint64_t h = hash_str(0x243F6A8885A308D3ull, path);
    if (dv)
        h = hash_str(h ^ 0x13198A2E03707344ull, dv);
    return h ^ (h >> 31);
}

static int key_eq(const ds_key *k, const char *path, const char *dv)
{
    if (strcmp(k->path, path) != 0)
        return 0;
    if (!k->dv || !dv)
        return !k->dv && !dv;
    return strcmp(k->dv, dv) == 0;
}

static int contains_h(const ds_snapshot *s, uint64_t h, const char *path, const char *dv)
{
    if (!s->keys_cap)
        return 0;
    for (size_t i = h & (s->keys_cap - 1);; i = (i + 1) & (s->keys_cap - 1)) {
        const ds_key *k = &s->keys[i];
        if (!k->path)
            return 0;
        if (k->hash == h && key_eq(k, path, dv))
            return 1;
    }
}

int ds_keyset_contains(const ds_snapshot *s, const char *path, const char *dv)
{
    return s->nkeys ? contains_h(s, hash_key(path, dv), path, dv) : 0;
}

/* Inserts a key of hash h; returns 1 when inserted, 0 when present, -1 on
 * OOM. */
static int keyset_insert(ds_snapshot *s, uint64_t h, const char *path, const char *dv)
{
    if ((s->nkeys + 1) * 4 >= s->keys_cap * 3) {
        size_t nc = s->keys_cap ? s->keys_cap * 2 : 1024;
        size_t nk_mapped;
        ds_key *nk = nc <= SIZE_MAX / sizeof *nk ? ds_big_alloc(nc * sizeof *nk, &nk_mapped)
                                                : NULL;
        if (!nk)
            return -1;
        for (size_t i = 0; i < s->keys_cap; i++) {
            if (!s->keys[i].path)
                continue;
            size_t j = s->keys[i].hash & (nc - 1);
            while (nk[j].path)
                j = (j + 1) & (nc - 1);
            nk[j] = s->keys[i];
        }
        ds_big_free(s->keys, s->keys_mapped);
        s->keys = nk;
        s->keys_mapped = nk_mapped;
        s->keys_cap = nc;
    }
    size_t i = h & (s->keys_cap - 1);
    for (;; i = (i + 1) & (s->keys_cap - 1)) {
        ds_key *k = &s->keys[i];
        if (!k->path)
            break;
        if (k->hash == h && key_eq(k, path, dv))
            return 0;
    }
    s->keys[i].path = path;
    s->keys[i].dv = dv;
    s->keys[i].hash = h;
    s->nkeys++;
    return 1;
}

static size_t slen(const char *p)
{
    return p ? strlen(p) + 1 : 0;
}

static const char *scopy(char **dst, const char *src)
{
    if (!src)
        return NULL;
    size_t n = strlen(src) + 1;
    memcpy(*dst, src, n);
    const char *r = *dst;
    *dst += n;
    return r;
}

/* Copies a file action and everything it points to into one allocation
 * of the snapshot arena (the parse itself used a per-line scratch arena). */
static ds_file *file_clone(ds_arena *a, const ds_file *f)
{
    size_t n = sizeof(ds_file) + f->npv * sizeof(ds_pv) + (f->dv ? sizeof(ds_dv) : 0);
    n += slen(f->path) + slen(f->stats) + slen(f->dv_id) + slen(f->clustering_provider);
    for (size_t i = 0; i < f->npv; i++)
        n += slen(f->pvs[i].key) + slen(f->pvs[i].value);
    if (f->dv)
        n += slen(f->dv->storage_type) + slen(f->dv->path_or_inline);
    unsigned char *mem = ds_arena_alloc(a, n);
    if (!mem)
        return NULL;
    ds_file *c = (ds_file *)mem;
    *c = *f;
    ds_pv *pvs = (ds_pv *)(mem + sizeof(ds_file));
    ds_dv *dv = (ds_dv *)(pvs + f->npv);
    char *str = (char *)(dv) + (f->dv ? sizeof(ds_dv) : 0);
    c->pvs = f->npv ? pvs : NULL;
    for (size_t i = 0; i < f->npv; i++) {
        pvs[i].key = scopy(&str, f->pvs[i].key);
        pvs[i].value = scopy(&str, f->pvs[i].value);
    }
    if (f->dv) {
        *dv = *f->dv;
        dv->storage_type = scopy(&str, f->dv->storage_type);
        dv->path_or_inline = scopy(&str, f->dv->path_or_inline);
        c->dv = dv;
    }
    c->path = scopy(&str, f->path);
    c->stats = scopy(&str, f->stats);
    c->dv_id = scopy(&str, f->dv_id);
    c->clustering_provider = scopy(&str, f->clustering_provider);
    return c;
}

static int push_tail(ds_snapshot *s, ds_file *f)
{
    if (ds_grow((void **)&s->tail, &s->tail_cap, s->ntail, sizeof *s->tail, 256) < 0)
        return -1;
    s->tail[s->ntail++] = f;
    return 0;
}

int ds_snapshot_note_txn(ds_snapshot *s, const ds_txn *t)
{
    for (size_t i = 0; i < s->ntxns; i++)
        if (strcmp(s->txns[i].app_id, t->app_id) == 0)
            return 0; /* a newer one is already kept */
    if (ds_grow((void **)&s->txns, &s->txns_cap, s->ntxns, sizeof *s->txns, 8) < 0)
        return -1;
    s->txns[s->ntxns++] = *t;
    return 0;
}

int ds_snapshot_note_domain(ds_snapshot *s, const ds_domain *d)
{
    for (size_t i = 0; i < s->ndomains; i++)
        if (strcmp(s->domains[i].domain, d->domain) == 0)
            return 0;
    if (ds_grow((void **)&s->domains, &s->domains_cap, s->ndomains, sizeof *s->domains, 8) < 0)
        return -1;
    s->domains[s->ndomains++] = *d;
    return 0;
}

/* Applies one JSON action during newest-first replay (commits and JSON
 * checkpoints).  from_checkpoint: rows are already reconciled. */
int ds_snapshot_apply(ds_snapshot *s, ds_action *a, int64_t version, int from_checkpoint,
                      ds_error *err)
{
    switch (a->type) {
    case DS_A_FILE: {
        ds_file *f = &a->u.file;
        if (f->kind == DS_ACT_CDC || s->metadata_only)
            return 0;
        f->version = version;
        if (from_checkpoint) {
            /* checkpoint rows only need checking against the tail */
            if (f->kind != DS_ACT_ADD || ds_keyset_contains(s, f->path, f->dv_id))
                return 0;
            ds_file *c = file_clone(s->arena, f);
            if (!c || push_tail(s, c) < 0)
                return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
            return 0;
        }
        uint64_t h = hash_key(f->path, f->dv_id);
        if (contains_h(s, h, f->path, f->dv_id))
            return 0; /* a newer action decided this key */
        /* keep the key (and, for an add, the file) in the snapshot arena */
        ds_file *c = f->kind == DS_ACT_ADD ? file_clone(s->arena, f) : NULL;
        const char *kp = c ? c->path : ds_arena_strdup(s->arena, f->path);
        const char *kd = c ? c->dv_id : f->dv_id ? ds_arena_strdup(s->arena, f->dv_id) : NULL;
        if (!kp || (f->dv_id && !kd) || keyset_insert(s, h, kp, kd) < 0 || (c && push_tail(s, c) < 0))
            return ds_error_set(err, DS_ERR_NOMEM, NULL), -1;
        return 0;
    }
    case DS_A_METADATA:
        if (!s->have_metadata) {
            s->metadata = a->u.metadata;
            s->have_metadata = 1;
        }
        return 0;
    case DS_A_PROTOCOL:
        if (!s->have_protocol) {
            s->protocol = a->u.protocol;
            s->have_protocol = 1;
        }
        return 0;
    case DS_A_TXN:
        return ds_snapshot_note_txn(s, &a->u.txn) < 0 ? (ds_error_set(err, DS_ERR_NOMEM, NULL), -1) : 0;
    case DS_A_DOMAIN:
        return ds_snapshot_note_domain(s, &a->u.domain) < 0 ? (ds_error_set(err, DS_ERR_NOMEM, NULL), -1) : 0;
    case DS_A_SIDECAR:
        if (!from_checkpoint)
            return 0; /* not allowed in commits: ignore */
        return ds_checkpoint_add_sidecar(s, a->u.sidecar_path, a->sidecar_size, err);
    default:
        return 0;
    }
}

/* Actions other than files are rare; those kept are parsed again straight
 * into the snapshot arena rather than deep-copied. */
static int keeps_non_file(const ds_snapshot *s, const ds_action *a)
{
    switch (a->type) {
    case DS_A_METADATA: return !s->have_metadata;
    case DS_A_PROTOCOL: return !s->have_protocol;
    case DS_A_TXN: case DS_A_DOMAIN: case DS_A_SIDECAR: return 1;
    default: return 0;
    }
}

/* Parses one line into the scratch arena and applies it. */
int ds_snapshot_apply_line(ds_snapshot *s, const char *p, const char *end, int64_t version,
                           int from_checkpoint, int64_t *ict, ds_error *err)
{
    /* a metadata-only load skips file actions unparsed: on a large commit
     * they are nearly all of its bytes (a full load checks them) */
    if (s->metadata_only && ds_line_file_kind(p, end, NULL))
        return 0;
    ds_action a;
    ds_arena_reset(s->scratch);
    if (ds_parse_action(p, end, s->scratch, &a, err) < 0)
        return -1;
    if (a.type == DS_A_COMMITINFO && a.has_ict && ict)
        *ict = a.u.ict;
    if (a.type != DS_A_FILE && keeps_non_file(s, &a) &&
        ds_parse_action(p, end, s->arena, &a, err) < 0)
        return -1;
    return ds_snapshot_apply(s, &a, version, from_checkpoint, err);
}

/* Reads one JSON file (commit or JSON checkpoint) of `size` bytes in
 * ranged chunks and applies its lines: memory is one chunk plus the longest
 * line, not the whole file. */
#define JSON_CHUNK (4u * 1024 * 1024)
ds_status ds_snapshot_apply_json(ds_snapshot *s, const char *name, uint64_t size,
                                 int64_t version, int from_checkpoint, int64_t *ict,
                                 ds_error *err)
{
    char *url = ds_arena_printf(s->arena, "%s%s", s->log_url, name);
    size_t cap = size < JSON_CHUNK ? (size_t)size + 1 : JSON_CHUNK;
    size_t buf_mapped = 0;
    size_t have = 0;
    uint64_t off = 0;
    /* read ahead with the other commits (ds_snapshot_prefetch): the whole
     * file is there already, and its buffer becomes this one */
    ds_fetched *f = url ? ds_snapshot_take_fetched(s, url) : NULL;
    char *buf = NULL;
    if (f && f->len == size) {
        buf = (char *)f->data;
        cap = have = f->len;
        off = size;
        f->data = NULL;
    }
    ds_fetched_free(f);
    if (!buf && !(buf = url ? ds_big_alloc(cap, &buf_mapped) : NULL))
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    int lineno = 0;
    ds_status st = DS_OK;
    while (st == DS_OK) {
        if (off < size && have < cap) {
            size_t n = cap - have;
            if (n > size - off)
                n = (size_t)(size - off);
            if (s->store->ops->get_range(s->store->ctx, url, off, n, (unsigned char *)buf + have,
                                         err) != DS_OK) {
                ds_error_kind(err, "storage");
                ds_error_detail(err, "reading %s", name);
                st = err->status;
                break;
            }
            have += n;
            off += n;
        }
        char *p = buf, *end = buf + have;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl && off < size)
                break; /* the rest of this line is still to come */
            char *le = nl ? nl : end;
            lineno++;
            if (ds_snapshot_apply_line(s, p, le, version, from_checkpoint,
                                       lineno == 1 ? ict : NULL, err) < 0) {
                ds_error_detail(err, "%s line %d", name, lineno);
                st = err->status;
                break;
            }
            p = nl ? nl + 1 : end;
        }
        if (st != DS_OK)
            break;
        have = (size_t)(end - p);
        memmove(buf, p, have);
        if (off >= size && have == 0)
            break;
        if (have == cap) { /* one line longer than the buffer */
            if (cap >= DS_COMMIT_MAX_BYTES) {
                ds_log_corrupt(err, "%s: a line longer than %u bytes", name,
                               DS_COMMIT_MAX_BYTES);
                st = err->status;
                break;
            }
            size_t ncap = cap * 2 > DS_COMMIT_MAX_BYTES ? DS_COMMIT_MAX_BYTES : cap * 2;
            size_t nb_mapped;
            char *nb = ds_big_alloc(ncap, &nb_mapped);
            if (!nb) {
                st = ds_error_set(err, DS_ERR_NOMEM, NULL);
                break;
            }
            memcpy(nb, buf, have);
            ds_big_free(buf, buf_mapped);
            buf = nb;
            buf_mapped = nb_mapped;
            cap = ncap;
        }
    }
    ds_big_free(buf, buf_mapped);
    return st;
}

/* ---- protocol checks ------------------------------------------------- */

static const char *const supported_reader_features[] = {
    "columnMapping", "deletionVectors", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck",
    "typeWidening", "typeWidening-preview", "variantType", "variantType-preview",
    "variantShredding-preview", NULL};

int ds_reader_feature_supported(const char *name)
{
    for (const char *const *f = supported_reader_features; *f; f++)
        if (strcmp(*f, name) == 0)
            return 1;
    return 0;
}

ds_status ds_check_protocol(const ds_protocol *p, ds_error *err)
{
    if (p->min_reader < 1 || p->min_reader > 3)
        return ds_fail_kind(err, DS_ERR_UNSUPPORTED, "unsupported-reader-version",
                         "The table needs Delta reader version %d, which this server does not "
                         "support (1 to 3).", p->min_reader);
    if (p->min_reader == 3)
        for (size_t i = 0; i < p->n_reader_features; i++)
            if (!ds_reader_feature_supported(p->reader_features[i]))
                return ds_fail_kind(err, DS_ERR_UNSUPPORTED, "unsupported-reader-feature",
                                 "The table uses the Delta reader feature '%.100s', which "
                                 "this server does not support.", p->reader_features[i]);
    return DS_OK;
}

/* ---- loading ---------------------------------------------------------- */

/* Step 1 of a load: picks the checkpoint and checks that the commits after
 * it up to the target are contiguous; sets s->version. */
static ds_status resolve_version(ds_snapshot *s, int64_t target, int commits_only,
                                 ds_error *err)
{
    pick_checkpoint(s, commits_only ? -1 : target);
    int64_t first = s->cp_version + 1;
    int64_t last = -1;
    int64_t expect = first;
    size_t ncommits = 0;
    for (size_t i = 0; i < s->nentries; i++) {
        const ds_log_entry *e = &s->entries[i];
        if (e->kind != DS_LOG_COMMIT || e->version < first || e->version > target)
            continue;
        if (e->version != expect)
            return ds_fail_kind(err, DS_ERR_INTERNAL, "non-contiguous-versions",
                             "The table's log is missing commit %lld.", (long long)expect);
        expect++;
        last = e->version;
        ncommits++;
    }
    if (s->cp_version < 0 && ncommits == 0)
        return ds_fail_kind(err, DS_ERR_NOT_FOUND, "not-a-delta-table",
                         "The table's storage holds no Delta log.");
    s->version = last >= 0 ? last : s->cp_version;
    if (target != INT64_MAX && s->version != target)
        return ds_fail_kind(err, DS_ERR_INVALID_PARAM, "version-not-found",
                         "Version %lld of the table does not exist (the latest is %lld).",
                         (long long)target, (long long)s->version);
    return DS_OK;
}

ds_fetched *ds_snapshot_take_fetched(ds_snapshot *s, const char *url)
{
    pthread_mutex_lock(&s->fetch_lock);
    ds_fetched **pp = &s->fetched, *f = NULL;
    for (; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->url, url) == 0) {
            f = *pp;
            *pp = f->next;
            f->next = NULL;
            break;
        }
    pthread_mutex_unlock(&s->fetch_lock);
    return f;
}

void ds_fetched_free(ds_fetched *f)
{
    if (!f)
        return;
    free(f->url);
    free(f->data);
    free(f);
}

ds_status ds_snapshot_prefetch(ds_snapshot *s, const char *const *names,
                               const uint64_t *fsizes, size_t n, ds_error *err)
{
    if (!s->store->ops->get_many || n == 0)
        return DS_OK;
    const char **urls = calloc(n, sizeof *urls);
    uint64_t *sizes = calloc(n, sizeof *sizes);
    unsigned char **bufs = calloc(n, sizeof *bufs);
    ds_fetched **fs = calloc(n, sizeof *fs);
    size_t m = 0;
    uint64_t total = 0;
    ds_status st = urls && sizes && bufs && fs ? DS_OK : ds_error_set(err, DS_ERR_NOMEM, NULL);
    for (size_t i = 0; st == DS_OK && i < n && m < DS_PREFETCH_MAX_FILES; i++) {
        uint64_t size = fsizes[i];
        if (size == 0 || total + size > DS_PREFETCH_MAX_BYTES)
            continue;
        ds_fetched *f = calloc(1, sizeof *f);
        char *url = ds_arena_printf(s->arena, "%s%s", s->log_url, names[i]);
        if (!f || !url || !(f->url = strdup(url)) || !(f->data = malloc(size))) {
            ds_fetched_free(f);
            st = ds_error_set(err, DS_ERR_NOMEM, NULL);
            break;
        }
        f->len = (size_t)size;
        fs[m] = f;
        urls[m] = f->url;
        sizes[m] = size;
        bufs[m] = f->data;
        total += size;
        m++;
    }
    if (st == DS_OK && m > 1)
        st = s->store->ops->get_many(s->store->ctx, urls, sizes, bufs, m, err);
    if (st == DS_OK && m > 1) {
        pthread_mutex_lock(&s->fetch_lock);
        for (size_t i = 0; i < m; i++) {
            fs[i]->next = s->fetched;
            s->fetched = fs[i];
            fs[i] = NULL;
        }
        pthread_mutex_unlock(&s->fetch_lock);
    } else if (st != DS_OK) {
        ds_error_kind(err, "storage");
    }
    for (size_t i = 0; fs && i < m; i++)
        ds_fetched_free(fs[i]);
    free(urls);
    free(sizes);
    free(bufs);
    free(fs);
    return st;
}

static ds_status build(ds_snapshot *s, int64_t target, int commits_only, ds_error *err)
{
    /* 1. commits from just after the checkpoint (or 0) up to the target */
    if (resolve_version(s, target, commits_only, err) != DS_OK)
        return err->status;
    int64_t first = s->cp_version + 1;

    /* on an object store, the commits to replay and the checkpoint's
     * parts are read at once, not one round trip after another (parts
     * only when checkpoints are read whole: DELTA_SHARING_READ_WHOLE_MAX) */
    if (s->store->ops->get_many) {
        size_t cap = s->nentries + (size_t)(s->cp_nparts > 0 ? s->cp_nparts : 0), n = 0;
        const char **names = calloc(cap ? cap : 1, sizeof *names);
        uint64_t *sizes = calloc(cap ? cap : 1, sizeof *sizes);
        if (!names || !sizes) {
            free(names);
            free(sizes);
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        }
        for (size_t i = s->nentries; i-- > 0 && n < DS_PREFETCH_MAX_FILES;) {
            const ds_log_entry *e = &s->entries[i];
            if (e->kind == DS_LOG_COMMIT && e->version >= first && e->version <= s->version) {
                names[n] = e->name;
                sizes[n++] = e->size;
            }
        }
        for (int i = 0; s->cp_version >= 0 && i < s->cp_nparts; i++)
            for (size_t k = 0; k < s->nentries; k++)
                if (strcmp(s->entries[k].name, s->cp_parts[i]) == 0 &&
                    s->entries[k].size <= ds_checkpoint_read_whole_max()) {
                    names[n] = s->cp_parts[i];
                    sizes[n++] = s->entries[k].size;
                    break;
                }
        ds_status pst = ds_snapshot_prefetch(s, names, sizes, n, err);
        free(names);
        free(sizes);
        if (pst != DS_OK)
            return pst;
    }

    /* 2. commits newest first */
    for (size_t i = s->nentries; i-- > 0;) {
        const ds_log_entry *e = &s->entries[i];
        if (e->kind != DS_LOG_COMMIT || e->version < first || e->version > s->version)
            continue;
        int64_t ict = -1;
        if (ds_snapshot_apply_json(s, e->name, e->size, e->version, 0, &ict, err) != DS_OK)
            return err->status;
        if (e->version == s->version)
            s->ict = ict;
    }
    s->ntail_commits = s->ntail;

    /* 3. the checkpoint's non-file actions (and its inline adds for JSON) */
    if (s->cp_version >= 0 && ds_checkpoint_load(s, err) != DS_OK)
        return err->status;

    if (!s->have_protocol)
        return ds_fail_kind(err, DS_ERR_INTERNAL, "missing-protocol",
                         "The table's log has no protocol action.");
    if (ds_check_protocol(&s->protocol, err) != DS_OK)
        return err->status;
    if (!s->have_metadata)
        return ds_fail_kind(err, DS_ERR_INTERNAL, "missing-metadata",
                         "The table's log has no metaData action.");
    /* drop removed domains now that they have shadowed older ones */
    size_t o = 0;
    for (size_t i = 0; i < s->ndomains; i++)
        if (!s->domains[i].removed)
            s->domains[o++] = s->domains[i];
    s->ndomains = o;
    return DS_OK;
}

ds_snapshot *ds_snapshot_new(const ds_store *store, const char *root)
{
    ds_snapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->fetch_lock, NULL);
    s->arena = ds_arena_new(0);
    s->scratch = ds_arena_new(0);
    size_t rl = strlen(root);
    while (rl > 0 && root[rl - 1] == '/')
        rl--;
    if (!s->arena || !s->scratch || !(s->root = ds_arena_strndup(s->arena, root, rl)) ||
        !(s->log_url = ds_arena_printf(s->arena, "%s/_delta_log/", s->root))) {
        ds_snapshot_free(s);
        return NULL;
    }
    s->store = store;
    s->cp_version = -1;
    s->ict = -1;
    return s;
}

enum { LOAD_FULL, LOAD_METADATA_ONLY, LOAD_VERSION_ONLY };
static ds_status load(const ds_store *store, const char *root, const ds_at *at, int mode,
                      ds_snapshot **out, ds_error *err);

ds_status ds_snapshot_load(const ds_store *store, const char *root, const ds_at *at,
                           ds_snapshot **out, ds_error *err)
{
    return load(store, root, at, at && at->metadata_only ? LOAD_METADATA_ONLY : LOAD_FULL, out,
                err);
}

ds_status ds_table_latest_version(const ds_store *store, const char *root, int64_t *version,
                                  ds_error *err)
{
    ds_snapshot *s = NULL;
    ds_at at = {DS_AT_LATEST, 0, 0, 0};
    if (load(store, root, &at, LOAD_VERSION_ONLY, &s, err) != DS_OK)
        return err->status;
    *version = s->version;
    ds_snapshot_free(s);
    return DS_OK;
}

static ds_status load(const ds_store *store, const char *root, const ds_at *at, int mode,
                      ds_snapshot **out, ds_error *err)
{
    *out = NULL;
    int64_t target = INT64_MAX;
    if (at && at->kind == DS_AT_VERSION) {
        if (at->value < 0)
            return ds_fail_kind(err, DS_ERR_INVALID_PARAM, "version-not-found",
                             "The table version cannot be negative.");
        target = at->value;
    } else if (at && at->kind == DS_AT_TIMESTAMP) {
        ds_history *h = NULL;
        ds_status st = ds_history_open(store, root, &h, err);
        if (st == DS_OK)
            st = ds_history_version_at(h, at->value, DS_TS_AS_OF, &target, err);
        ds_history_free(h);
        if (st != DS_OK)
            return st;
    }
    ds_snapshot *s = ds_snapshot_new(store, root);
    if (!s)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    s->metadata_only = mode == LOAD_METADATA_ONLY;
    int64_t hint;
    if (read_hint(s, &hint, err) != DS_OK) {
        ds_snapshot_free(s);
        return err->status;
    }
    if (hint > target || (at && at->commits_only))
        hint = -1;
    ds_status st = ds_snapshot_list_log(s, hint > 0 ? hint : 0, err);
    if (st == DS_OK && hint > 0) {
        pick_checkpoint(s, target);
        if (s->cp_version < 0)
            st = ds_snapshot_list_log(s, 0, err); /* stale hint: list everything */
    }
    if (st == DS_OK)
        st = mode == LOAD_VERSION_ONLY ? resolve_version(s, target, 0, err)
                                       : build(s, target, at && at->commits_only, err);
    if (st != DS_OK) {
        ds_snapshot_free(s);
        return st;
    }
    *out = s;
    return DS_OK;
}

void ds_snapshot_free(ds_snapshot *s)
{
    if (!s)
        return;
    free(s->entries);
    ds_big_free(s->keys, s->keys_mapped);
    free(s->tail);
    free(s->txns);
    free(s->domains);
    free(s->sidecars);
    free(s->sidecar_sizes);
    for (ds_fetched *f = s->fetched, *nx; f; f = nx) {
        nx = f->next;
        free(f->url);
        free(f->data);
        free(f);
    }
    pthread_mutex_destroy(&s->fetch_lock);
    ds_arena_free(s->scratch);
    ds_arena_free(s->arena);
    free(s);
}

int64_t ds_snapshot_version(const ds_snapshot *s) { return s->version; }
const ds_protocol *ds_snapshot_protocol(const ds_snapshot *s) { return &s->protocol; }
const ds_metadata *ds_snapshot_metadata(const ds_snapshot *s) { return &s->metadata; }
int64_t ds_snapshot_checkpoint_version(const ds_snapshot *s) { return s->cp_version; }

const ds_txn *ds_snapshot_txns(const ds_snapshot *s, size_t *n)
{
    *n = s->ntxns;
    return s->txns;
}

const ds_domain *ds_snapshot_domains(const ds_snapshot *s, size_t *n)
{
    *n = s->ndomains;
    return s->domains;
}

const char *ds_metadata_conf(const ds_metadata *m, const char *key)
{
    for (size_t i = 0; i < m->n_configuration; i++)
        if (strcmp(m->configuration[i].key, key) == 0)
            return m->configuration[i].value;
    return NULL;
}

ds_status ds_snapshot_files(ds_snapshot *s, ds_file_cb cb, void *ctx, ds_error *err)
{
    for (size_t i = 0; i < s->ntail; i++) {
        int r = cb(ctx, s->tail[i], err);
        if (r < 0)
            return err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
        if (r > 0)
            return DS_OK;
    }
    if (s->cp_version >= 0)
        return ds_checkpoint_stream_adds(s, cb, ctx, err);
    return DS_OK;
}
