/* actions.c - decodes Delta actions from JSON lines (commits and JSON
 * checkpoints) with the zero-copy scanner.  Unknown actions and unknown
 * fields are ignored; explicit nulls are accepted; longs are int64. */
#include "config.h"
#include "delta/actions.h"
#include "util/json.h"
#include "delta/jscan.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ds_log_corrupt(ds_error *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ds_error_set(err, DS_ERR_INTERNAL, "%s", DS_LOG_CORRUPT_MESSAGE);
    ds_error_kind(err, "corrupt-log");
    ds_error_detail(err, "%s", what);
    return -1;
}

static int bad(ds_error *err, const char *what)
{
    return ds_log_corrupt(err, "%s", what);
}

static int oom(ds_error *err)
{
    ds_error_set(err, DS_ERR_NOMEM, NULL);
    return -1;
}

/* Optional string: NULL for null/absent; -1 for a non-string. */
static int opt_str(js_span v, ds_arena *a, const char **out, ds_error *err, const char *what)
{
    if (ds_js_is_null(v)) {
        *out = NULL;
        return 0;
    }
    size_t n;
    char *s = ds_js_str(v, a, &n);
    if (!s)
        return bad(err, what);
    *out = s;
    return 0;
}

static int opt_i64(js_span v, int64_t *out, int *has, ds_error *err, const char *what)
{
    if (ds_js_is_null(v)) {
        if (has)
            *has = 0;
        return 0;
    }
    if (ds_js_i64(v, out) < 0)
        return bad(err, what);
    if (has)
        *has = 1;
    return 0;
}

/* A JSON object of strings (values may be null) into pairs. */
static int str_map(js_span v, ds_arena *a, ds_pv **out, size_t *n, ds_error *err,
                   const char *what)
{
    *out = NULL;
    *n = 0;
    if (ds_js_is_null(v))
        return 0;
    js_iter it;
    js_span k, val;
    if (ds_js_obj_begin(&it, v) < 0)
        return bad(err, what);
    size_t count = 0;
    int r;
    while ((r = ds_js_obj_next(&it, &k, &val)) == 1)
        count++;
    if (r < 0)
        return bad(err, what);
    if (!count)
        return 0;
    ds_pv *pv = ds_arena_alloc(a, count * sizeof *pv);
    if (!pv)
        return oom(err);
    ds_js_obj_begin(&it, v);
    size_t i = 0;
    while (ds_js_obj_next(&it, &k, &val) == 1) {
        js_span ks = {k.p - 1, k.end + 1};
        pv[i].key = ds_js_str(ks, a, NULL);
        if (!pv[i].key)
            return bad(err, what);
        if (ds_js_is_null(val)) {
            pv[i].value = NULL;
        } else if (ds_js_is_string(val)) {
            if (!(pv[i].value = ds_js_str(val, a, NULL)))
                return bad(err, what);
        } else if (!ds_js_is_object(val) && !ds_js_is_array(val)) {
            /* a number or boolean where a string belongs: keep its text */
            pv[i].value = ds_arena_strndup(a, val.p, (size_t)(val.end - val.p));
            if (!pv[i].value)
                return oom(err);
        } else {
            return bad(err, what);
        }
        i++;
    }
    *out = pv;
    *n = count;
    return 0;
}

static int str_list(js_span v, ds_arena *a, const char ***out, size_t *n, ds_error *err,
                    const char *what)
{
    *out = NULL;
    *n = 0;
    if (ds_js_is_null(v))
        return 0;
    js_iter it;
    js_span e;
    if (ds_js_arr_begin(&it, v) < 0)
        return bad(err, what);
    size_t count = 0;
    int r;
    while ((r = ds_js_arr_next(&it, &e)) == 1)
        count++;
    if (r < 0)
        return bad(err, what);
    const char **l = ds_arena_alloc(a, (count ? count : 1) * sizeof *l);
    if (!l)
        return oom(err);
    ds_js_arr_begin(&it, v);
    size_t i = 0;
    while (ds_js_arr_next(&it, &e) == 1)
        if (!(l[i++] = ds_js_str(e, a, NULL)))
            return bad(err, what);
    *out = l;
    *n = count;
    return 0;
}

static int parse_dv(js_span v, ds_arena *a, const ds_dv **out, ds_error *err)
{
    *out = NULL;
    if (ds_js_is_null(v))
        return 0;
    ds_dv *dv = ds_arena_alloc(a, sizeof *dv);
    if (!dv)
        return oom(err);
    memset(dv, 0, sizeof *dv);
    js_iter it;
    js_span k, val;
    if (ds_js_obj_begin(&it, v) < 0)
        return bad(err, "deletionVector is not an object");
    int r;
    while ((r = ds_js_obj_next(&it, &k, &val)) == 1) {
        if (ds_js_key_is(k, "storageType")) {
            if (opt_str(val, a, &dv->storage_type, err, "bad deletionVector.storageType"))
                return -1;
        } else if (ds_js_key_is(k, "pathOrInlineDv")) {
            if (opt_str(val, a, &dv->path_or_inline, err, "bad deletionVector.pathOrInlineDv"))
                return -1;
        } else if (ds_js_key_is(k, "offset")) {
            if (opt_i64(val, &dv->offset, &dv->has_offset, err, "bad deletionVector.offset"))
                return -1;
        } else if (ds_js_key_is(k, "sizeInBytes")) {
            if (opt_i64(val, &dv->size_in_bytes, NULL, err, "bad deletionVector.sizeInBytes"))
                return -1;
        } else if (ds_js_key_is(k, "cardinality")) {
            if (opt_i64(val, &dv->cardinality, NULL, err, "bad deletionVector.cardinality"))
                return -1;
        } else if (ds_js_key_is(k, "maxRowIndex")) {
            if (opt_i64(val, &dv->max_row_index, &dv->has_max_row_index, err,
                        "bad deletionVector.maxRowIndex"))
                return -1;
        }
    }
    if (r < 0)
        return bad(err, "malformed deletionVector");
    if (!dv->storage_type || !dv->path_or_inline)
        return bad(err, "deletionVector without storageType or pathOrInlineDv");
    *out = dv;
    return 0;
}

const char *ds_dv_unique_id(ds_arena *a, const ds_dv *dv)
{
    if (!dv)
        return NULL;
    if (dv->has_offset)
        return ds_arena_printf(a, "%s%s@%lld", dv->storage_type, dv->path_or_inline,
                               (long long)dv->offset);
    return ds_arena_printf(a, "%s%s", dv->storage_type, dv->path_or_inline);
}

static int parse_file(js_span v, ds_action_kind kind, ds_arena *a, ds_file *f, ds_error *err)
{
    static const char *const names[] = {"", "add", "remove", "cdc"};
    char what[64];
    memset(f, 0, sizeof *f);
    f->kind = (uint8_t)kind;
    f->size = -1;
    f->deletion_timestamp = -1;
    f->extended_file_metadata = -1;
    f->version = -1;
    js_iter it;
    js_span k, val;
    if (ds_js_obj_begin(&it, v) < 0) {
        snprintf(what, sizeof what, "%s action is not an object", names[kind]);
        return bad(err, what);
    }
    int r;
    while ((r = ds_js_obj_next(&it, &k, &val)) == 1) {
        int rc = 0;
        if (ds_js_key_is(k, "path")) {
            rc = opt_str(val, a, &f->path, err, "bad path");
        } else if (ds_js_key_is(k, "size")) {
            rc = opt_i64(val, &f->size, NULL, err, "bad size");
        } else if (ds_js_key_is(k, "partitionValues")) {
            size_t npv = 0;
            f->has_pvs = !ds_js_is_null(val);
            rc = str_map(val, a, &f->pvs, &npv, err, "bad partitionValues");
            if (npv > UINT32_MAX)
                rc = bad(err, "too many partitionValues");
            f->npv = (uint32_t)npv;
        } else if (ds_js_key_is(k, "modificationTime")) {
            rc = opt_i64(val, &f->modification_time, NULL, err, "bad modificationTime");
        } else if (ds_js_key_is(k, "dataChange")) {
            int dc = 0;
            if (!ds_js_is_null(val) && ds_js_bool(val, &dc) < 0)
                rc = bad(err, "bad dataChange");
            f->data_change = (uint8_t)dc;
        } else if (ds_js_key_is(k, "stats")) {
            rc = opt_str(val, a, &f->stats, err, "bad stats");
        } else if (ds_js_key_is(k, "deletionVector")) {
            rc = parse_dv(val, a, &f->dv, err);
        } else if (ds_js_key_is(k, "baseRowId")) {
            int h = 0;
            rc = opt_i64(val, &f->base_row_id, &h, err, "bad baseRowId");
            f->has_base_row_id = (uint8_t)h;
        } else if (ds_js_key_is(k, "defaultRowCommitVersion")) {
            int h = 0;
            rc = opt_i64(val, &f->default_row_commit_version, &h, err,
                         "bad defaultRowCommitVersion");
            f->has_default_row_commit_version = (uint8_t)h;
        } else if (ds_js_key_is(k, "clusteringProvider")) {
            rc = opt_str(val, a, &f->clustering_provider, err, "bad clusteringProvider");
        } else if (ds_js_key_is(k, "deletionTimestamp")) {
            rc = opt_i64(val, &f->deletion_timestamp, NULL, err, "bad deletionTimestamp");
        } else if (ds_js_key_is(k, "extendedFileMetadata")) {
            int b;
            if (!ds_js_is_null(val)) {
                if (ds_js_bool(val, &b) < 0)
                    rc = bad(err, "bad extendedFileMetadata");
                else
                    f->extended_file_metadata = (int8_t)b;
            }
        }
        if (rc)
            return -1;
    }
    if (r < 0) {
        snprintf(what, sizeof what, "malformed %s action", names[kind]);
        return bad(err, what);
    }
    if (!f->path || !*f->path) {
        snprintf(what, sizeof what, "%s action without path", names[kind]);
        return bad(err, what);
    }
    if (f->dv && !(f->dv_id = ds_dv_unique_id(a, f->dv)))
        return oom(err);
    return 0;
}

static int parse_metadata(js_span v, ds_arena *a, ds_metadata *m, ds_error *err)
{
    memset(m, 0, sizeof *m);
    js_iter it;
    js_span k, val;
    if (ds_js_obj_begin(&it, v) < 0)
        return bad(err, "metaData is not an object");
    int r;
    while ((r = ds_js_obj_next(&it, &k, &val)) == 1) {
        int rc = 0;
        if (ds_js_key_is(k, "id"))
            rc = opt_str(val, a, &m->id, err, "bad metaData.id");
        else if (ds_js_key_is(k, "name"))
            rc = opt_str(val, a, &m->name, err, "bad metaData.name");
        else if (ds_js_key_is(k, "description"))
            rc = opt_str(val, a, &m->description, err, "bad metaData.description");
        else if (ds_js_key_is(k, "schemaString"))
            rc = opt_str(val, a, &m->schema_string, err, "bad metaData.schemaString");
        else if (ds_js_key_is(k, "partitionColumns"))
            rc = str_list(val, a, &m->partition_columns, &m->n_partition_columns, err,
                          "bad metaData.partitionColumns");
        else if (ds_js_key_is(k, "configuration"))
            rc = str_map(val, a, &m->configuration, &m->n_configuration, err,
                         "bad metaData.configuration");
        else if (ds_js_key_is(k, "createdTime"))
            rc = opt_i64(val, &m->created_time, &m->has_created_time, err,
                         "bad metaData.createdTime");
        else if (ds_js_key_is(k, "format") && !ds_js_is_null(val)) {
            js_iter fi;
            js_span fk, fv;
            if (ds_js_obj_begin(&fi, val) < 0)
                return bad(err, "bad metaData.format");
            int fr;
            while ((fr = ds_js_obj_next(&fi, &fk, &fv)) == 1) {
                if (ds_js_key_is(fk, "provider"))
                    rc |= opt_str(fv, a, &m->provider, err, "bad metaData.format.provider");
                else if (ds_js_key_is(fk, "options"))
                    rc |= str_map(fv, a, &m->format_options, &m->n_format_options, err,
                                  "bad metaData.format.options");
            }
            if (fr < 0)
                return bad(err, "bad metaData.format");
        }
        if (rc)
            return -1;
    }
    if (r < 0)
        return bad(err, "malformed metaData action");
    if (!m->id)
        return bad(err, "metaData without id");
    if (!m->provider)
        m->provider = "parquet";
    return 0;
}

static int parse_protocol(js_span v, ds_arena *a, ds_protocol *p, ds_error *err)
{
    memset(p, 0, sizeof *p);
    js_iter it;
    js_span k, val;
    int64_t rv = -1, wv = -1;
    if (ds_js_obj_begin(&it, v) < 0)
        return bad(err, "protocol is not an object");
    int r;
    while ((r = ds_js_obj_next(&it, &k, &val)) == 1) {
        int rc = 0;
        if (ds_js_key_is(k, "minReaderVersion"))
            rc = opt_i64(val, &rv, NULL, err, "bad protocol.minReaderVersion");
        else if (ds_js_key_is(k, "minWriterVersion"))
            rc = opt_i64(val, &wv, NULL, err, "bad protocol.minWriterVersion");
        else if (ds_js_key_is(k, "readerFeatures"))
            rc = str_list(val, a, &p->reader_features, &p->n_reader_features, err,
                          "bad protocol.readerFeatures");
        else if (ds_js_key_is(k, "writerFeatures"))
            rc = str_list(val, a, &p->writer_features, &p->n_writer_features, err,
                          "bad protocol.writerFeatures");
        if (rc)
            return -1;
    }
    if (r < 0)
        return bad(err, "malformed protocol action");
    if (rv < 0 || wv < 0 || rv > 1000 || wv > 1000)
        return bad(err, "protocol without valid minReaderVersion/minWriterVersion");
    p->min_reader = (int)rv;
    p->min_writer = (int)wv;
    return 0;
}

int ds_line_file_kind(const char *p, const char *end, const char **after)
{
    p = ds_js_skip_ws(p, end);
    if (p >= end || *p++ != '{')
        return 0;
    p = ds_js_skip_ws(p, end);
    static const struct {
        const char *key;
        size_t n;
        int kind;
    } keys[] = {{"\"add\"", 5, DS_ACT_ADD}, {"\"remove\"", 8, DS_ACT_REMOVE},
                {"\"cdc\"", 5, DS_ACT_CDC}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if ((size_t)(end - p) > keys[i].n && memcmp(p, keys[i].key, keys[i].n) == 0) {
            if (after)
                *after = p + keys[i].n;
            return keys[i].kind;
        }
    return 0;
}

int ds_parse_action(const char *p, const char *end, ds_arena *a, ds_action *out,
                    ds_error *err)
{
    memset(out, 0, sizeof *out);
    js_span line = {p, end};
    const char *s = ds_js_skip_ws(p, end);
    if (s >= end) {
        out->type = DS_A_NONE; /* blank line */
        return 0;
    }
    const char *ve = ds_js_value_end(s, end, 0);
    if (!ve || *s != '{' || ds_js_skip_ws(ve, end) != end)
        return bad(err, "a commit line is not a JSON object");
    /* the common line, {"add":{...}} (or remove, cdc), without skipping
     * the action's whole object once just to find where it ends: its own
     * iteration stops at its closing brace, so the span may run on to the
     * line's end (a file action is the first key the loop below would
     * stop at anyway) */
    const char *after;
    int fk = ds_line_file_kind(s, ve, &after);
    if (fk) {
        const char *c = ds_js_skip_ws(after, ve);
        const char *vp = c < ve && *c == ':' ? ds_js_skip_ws(c + 1, ve) : ve;
        if (vp < ve && *vp == '{') { /* else null or not an object: the loop decides */
            out->type = DS_A_FILE;
            js_span fv = {vp, ve};
            return parse_file(fv, (ds_action_kind)fk, a, &out->u.file, err);
        }
    }
    js_iter it;
    js_span k, v;
    ds_js_obj_begin(&it, line);
    out->type = DS_A_NONE;
    int r;
    while ((r = ds_js_obj_next(&it, &k, &v)) == 1) {
        if (ds_js_is_null(v))
            continue;
        if (ds_js_key_is(k, "add")) {
            out->type = DS_A_FILE;
            return parse_file(v, DS_ACT_ADD, a, &out->u.file, err);
        } else if (ds_js_key_is(k, "remove")) {
            out->type = DS_A_FILE;
            return parse_file(v, DS_ACT_REMOVE, a, &out->u.file, err);
        } else if (ds_js_key_is(k, "cdc")) {
            out->type = DS_A_FILE;
            return parse_file(v, DS_ACT_CDC, a, &out->u.file, err);
        } else if (ds_js_key_is(k, "metaData")) {
            out->type = DS_A_METADATA;
            return parse_metadata(v, a, &out->u.metadata, err);
        } else if (ds_js_key_is(k, "protocol")) {
            out->type = DS_A_PROTOCOL;
            return parse_protocol(v, a, &out->u.protocol, err);
        } else if (ds_js_key_is(k, "commitInfo")) {
            out->type = DS_A_COMMITINFO;
            js_iter ci;
            js_span ck, cv;
            if (ds_js_obj_begin(&ci, v) < 0)
                return bad(err, "commitInfo is not an object");
            while (ds_js_obj_next(&ci, &ck, &cv) == 1)
                if (ds_js_key_is(ck, "inCommitTimestamp") && !ds_js_is_null(cv)) {
                    if (ds_js_i64(cv, &out->u.ict) < 0)
                        return bad(err, "bad commitInfo.inCommitTimestamp");
                    out->has_ict = 1;
                }
            return 0;
        } else if (ds_js_key_is(k, "txn")) {
            out->type = DS_A_TXN;
            js_iter ti;
            js_span tk, tv;
            if (ds_js_obj_begin(&ti, v) < 0)
                return bad(err, "txn is not an object");
            ds_txn *t = &out->u.txn;
            while (ds_js_obj_next(&ti, &tk, &tv) == 1) {
                int rc = 0;
                if (ds_js_key_is(tk, "appId"))
                    rc = opt_str(tv, a, &t->app_id, err, "bad txn.appId");
                else if (ds_js_key_is(tk, "version"))
                    rc = opt_i64(tv, &t->version, NULL, err, "bad txn.version");
                else if (ds_js_key_is(tk, "lastUpdated"))
                    rc = opt_i64(tv, &t->last_updated, &t->has_last_updated, err,
                                 "bad txn.lastUpdated");
                if (rc)
                    return -1;
            }
            if (!t->app_id)
                return bad(err, "txn without appId");
            return 0;
        } else if (ds_js_key_is(k, "domainMetadata")) {
            out->type = DS_A_DOMAIN;
            js_iter di;
            js_span dk, dv;
            if (ds_js_obj_begin(&di, v) < 0)
                return bad(err, "domainMetadata is not an object");
            ds_domain *d = &out->u.domain;
            while (ds_js_obj_next(&di, &dk, &dv) == 1) {
                int rc = 0;
                if (ds_js_key_is(dk, "domain"))
                    rc = opt_str(dv, a, &d->domain, err, "bad domainMetadata.domain");
                else if (ds_js_key_is(dk, "configuration"))
                    rc = opt_str(dv, a, &d->configuration, err,
                                 "bad domainMetadata.configuration");
                else if (ds_js_key_is(dk, "removed") && !ds_js_is_null(dv) &&
                         ds_js_bool(dv, &d->removed) < 0)
                    rc = bad(err, "bad domainMetadata.removed");
                if (rc)
                    return -1;
            }
            if (!d->domain)
                return bad(err, "domainMetadata without domain");
            return 0;
        } else if (ds_js_key_is(k, "checkpointMetadata")) {
            out->type = DS_A_CHECKPOINT_METADATA;
            return 0;
        } else if (ds_js_key_is(k, "sidecar")) {
            out->type = DS_A_SIDECAR;
            out->sidecar_size = -1;
            js_iter si;
            js_span sk, sv;
            if (ds_js_obj_begin(&si, v) < 0)
                return bad(err, "sidecar is not an object");
            while (ds_js_obj_next(&si, &sk, &sv) == 1) {
                if (ds_js_key_is(sk, "path") &&
                    opt_str(sv, a, &out->u.sidecar_path, err, "bad sidecar.path"))
                    return -1;
                if (ds_js_key_is(sk, "sizeInBytes") &&
                    opt_i64(sv, &out->sidecar_size, NULL, err, "bad sidecar.sizeInBytes"))
                    return -1;
            }
            if (!out->u.sidecar_path)
                return bad(err, "sidecar without path");
            return 0;
        }
    }
    if (r < 0)
        return bad(err, "malformed commit line");
    return 0;
}

int ds_pv_json(ds_buf *b, const ds_pv *pv, size_t n)
{
    int first = 1, rc = ds_buf_putc(b, '{');
    for (size_t i = 0; i < n; i++) {
        rc |= ds_json_key(b, &first, pv[i].key);
        rc |= pv[i].value ? ds_json_str(b, pv[i].value) : ds_buf_puts(b, "null");
    }
    return rc | ds_buf_putc(b, '}');
}
