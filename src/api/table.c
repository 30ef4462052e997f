/* table.c - the table endpoints: version (GET .../version and the older
 * HEAD .../tables/{t}), metadata and query, in the parquet and delta
 * response formats (protocol.md sections 4.6-4.8, 5 and 6).
 *
 * Every handler resolves the table through the discovery seam (so a table
 * the recipient may not see is a 404 like a missing one), replays its log
 * and streams the answer through the NDJSON writer.  Nothing is cached:
 * each request reads the log afresh. */
#include "config.h"
#include "api/api.h"
#include "api/ndjson.h"
#include "api/predicate.h"
#include "delta/actions.h"
#include "delta/delta.h"
#include "server.h"
#include "store/sign.h"
#include "store/store.h"
#include "util/json.h"
#include "util/md5.h"
#include "util/text.h"
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_TOKEN_TTL_MS (3LL * 24 * 3600 * 1000) /* as the reference server */
#define REFRESH_TOKEN_TTL_MS (3600LL * 1000)
#define MAX_FILES_LIMIT 100000 /* a larger maxFiles is served in pages of this size */
#define PRED_HINT_MAX (1024u * 1024)
#define LIT(b, s) ds_buf_append((b), (s), sizeof(s) - 1)

/* ---- the table and its storage ------------------------------------------ */

typedef struct table_ctx {
    ds_request *req;
    ds_table_info t;
    ds_store store;
    ds_signer signer;
    const char *fqn; /* share.schema.table, canonical */
} table_ctx;

static ds_status open_table(ds_request *req, table_ctx *tc, ds_error *err)
{
    memset(tc, 0, sizeof *tc);
    tc->req = req;
    const ds_server *srv = req->srv;
    if (srv->disc->get_table(srv->disc_ctx, req->recipient, ds_route_arg(req, "share"),
                             ds_route_arg(req, "schema"), ds_route_arg(req, "table"), &tc->t,
                             err) != DS_OK)
        return err->status ? err->status : ds_error_set(err, DS_ERR_NOT_FOUND, NULL);
    tc->fqn = ds_arena_printf(req->arena, "%s.%s.%s", tc->t.share, tc->t.schema, tc->t.name);
    if (!tc->fqn)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (!tc->t.location)
        return ds_error_set(err, DS_ERR_INTERNAL, NULL);
    return ds_store_for(srv->cat, tc->t.location, &tc->store, err);
}

static ds_status need_history(const table_ctx *tc, ds_error *err)
{
    if (tc->t.history_shared)
        return DS_OK;
    return ds_error_set(err, DS_ERR_INVALID_PARAM,
                        "Reading table by version or timestamp is not supported because "
                        "history sharing is not enabled on table: %s",
                        tc->fqn);
}

/* ---- capabilities and formats -------------------------------------------- */

enum { FMT_PARQUET = 1, FMT_DELTA = 2 };

typedef struct caps {
    unsigned formats;      /* FMT_* the client accepts */
    char **features;       /* readerfeatures, lower case */
    size_t nfeatures;
    int end_stream;        /* includeendstreamaction=true */
    int id_hash;           /* fileidhash header: 0 (follow format) or FMT_* */
} caps;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* delta-sharing-capabilities: key=value[,value...] separated by ';', case-
 * insensitive; parts without exactly one '=' and unknown keys ignored. */
static ds_status parse_caps(ds_request *req, caps *c, ds_error *err)
{
    memset(c, 0, sizeof *c);
    c->formats = FMT_PARQUET;
    const char *h = ds_request_header(req, "delta-sharing-capabilities");
    const char *idh = ds_request_header(req, "fileidhash");
    if (idh && *idh) {
        if (ds_strcaseeq(idh, "parquet"))
            c->id_hash = FMT_PARQUET;
        else if (ds_strcaseeq(idh, "delta"))
            c->id_hash = FMT_DELTA;
        else
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "The fileidhash header must be 'parquet' or 'delta'.");
    }
    if (!h)
        return DS_OK;
    char *copy = ds_arena_strdup(req->arena, h);
    if (!copy)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    for (char *p = copy; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    size_t cap = 1;
    for (const char *p = copy; *p; p++)
        cap += *p == ',' || *p == ';';
    c->features = ds_arena_alloc(req->arena, cap * sizeof *c->features);
    if (!c->features)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    int saw_format = 0;
    unsigned formats = 0;
    char *save = NULL;
    for (char *part = strtok_r(copy, ";", &save); part; part = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(part, '=');
        if (!eq || strchr(eq + 1, '='))
            continue;
        *eq = '\0';
        char *key = trim(part), *vals = eq + 1, *s2 = NULL;
        for (char *v = strtok_r(vals, ",", &s2); v; v = strtok_r(NULL, ",", &s2)) {
            v = trim(v);
            if (strcmp(key, "responseformat") == 0) {
                saw_format = 1;
                if (strcmp(v, "parquet") == 0)
                    formats |= FMT_PARQUET;
                else if (strcmp(v, "delta") == 0)
                    formats |= FMT_DELTA;
            } else if (strcmp(key, "readerfeatures") == 0 && *v) {
                c->features[c->nfeatures++] = v;
            } else if (strcmp(key, "includeendstreamaction") == 0) {
                c->end_stream = strcmp(v, "true") == 0;
            }
        }
    }
    if (saw_format && !formats)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "The responseformat capability names no format this server "
                            "offers (parquet, delta).");
    if (saw_format)
        c->formats = formats;
    return DS_OK;
}

static int has_feature(const caps *c, const char *lower_name)
{
    for (size_t i = 0; i < c->nfeatures; i++)
        if (strcmp(c->features[i], lower_name) == 0)
            return 1;
    return 0;
}

static int conf_true(const ds_metadata *m, const char *key)
{
    const char *v = ds_metadata_conf(m, key);
    return v && ds_strcaseeq(v, "true");
}

static int column_mapping_active(const ds_metadata *m)
{
    const char *v = ds_metadata_conf(m, "delta.columnMapping.mode");
    return v && !ds_strcaseeq(v, "none");
}

/* Reader features that change what the rows mean: a client must declare
 * them.  Features that only affect reading the log (v2Checkpoint,
 * vacuumProtocolCheck) are the server's business and never asked for. */
static const char *const data_features[] = {
    "timestampNtz", "typeWidening", "typeWidening-preview", "variantType",
    "variantType-preview", "variantShredding-preview",
};

static int protocol_has(const ds_protocol *p, const char *name)
{
    for (size_t i = 0; i < p->n_reader_features; i++)
        if (strcmp(p->reader_features[i], name) == 0)
            return 1;
    return 0;
}

/* Chooses the response format for a snapshot (protocol.md 5.2, 5.3):
 * parquet when the client accepts it and parquet can represent the table;
 * else delta when the client accepts it and declared every feature the
 * table needs; else 400 naming what is missing. */
static ds_status choose_format(ds_request *req, const caps *c, const ds_snapshot *s, int *fmt,
                               ds_error *err)
{
    const ds_protocol *p = ds_snapshot_protocol(s);
    const ds_metadata *m = ds_snapshot_metadata(s);
    const char *need[16];
    const char *need_lower[16];
    size_t nneed = 0;
    int parquet_ok = 1;
    if (column_mapping_active(m)) {
        need[nneed] = "columnMapping";
        need_lower[nneed++] = "columnmapping";
        parquet_ok = 0;
    }
    if (conf_true(m, "delta.enableDeletionVectors")) {
        need[nneed] = "deletionVectors";
        need_lower[nneed++] = "deletionvectors";
        parquet_ok = 0;
    }
    for (size_t i = 0; i < sizeof data_features / sizeof data_features[0]; i++)
        if (protocol_has(p, data_features[i])) {
            need[nneed] = data_features[i];
            char *l = ds_arena_strdup(req->arena, data_features[i]);
            if (!l)
                return ds_error_set(err, DS_ERR_NOMEM, NULL);
            for (char *q = l; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            need_lower[nneed++] = l;
        }
    int declared = 1;
    for (size_t i = 0; i < nneed; i++)
        if (!has_feature(c, need_lower[i]))
            declared = 0;
    if ((c->formats & FMT_PARQUET) && parquet_ok && declared) {
        *fmt = FMT_PARQUET;
        return DS_OK;
    }
    if ((c->formats & FMT_DELTA) && declared) {
        *fmt = FMT_DELTA;
        return DS_OK;
    }
    char list[256] = "", lower[256] = "";
    size_t u = 0, ul = 0;
    for (size_t i = 0; i < nneed; i++) {
        if (has_feature(c, need_lower[i]) && declared)
            continue;
        u += (size_t)snprintf(list + u, u < sizeof list ? sizeof list - u : 0, "%s%s",
                              u ? ", " : "", need[i]);
        if (u >= sizeof list)
            u = sizeof list - 1;
    }
    for (size_t i = 0; i < nneed; i++) {
        ul += (size_t)snprintf(lower + ul, ul < sizeof lower ? sizeof lower - ul : 0, "%s%s",
                               ul ? "," : "", need_lower[i]);
        if (ul >= sizeof lower)
            ul = sizeof lower - 1;
    }
    return ds_error_set(err, DS_ERR_UNSUPPORTED,
                        "The table uses features the client did not declare it can read (%s). "
                        "Ask for it with the header 'delta-sharing-capabilities: "
                        "responseformat=delta;readerfeatures=%s'.",
                        list, lower);
}

static ds_status set_format_headers(ds_ndjson *w, const caps *c, int fmt, int end_stream,
                                    int64_t version, ds_error *err)
{
    int rc = ds_ndjson_header(w, "Delta-Table-Version: %" PRId64, version);
    rc |= ds_ndjson_header(w, "delta-sharing-capabilities: responseformat=%s%s",
                           fmt == FMT_DELTA ? "delta" : "parquet",
                           end_stream ? ";includeendstreamaction=true" : "");
    if (c->id_hash)
        rc |= ds_ndjson_header(w, "fileidhash: %s",
                               c->id_hash == FMT_DELTA ? "delta" : "parquet");
    return rc ? ds_error_set(err, DS_ERR_NOMEM, NULL) : DS_OK;
}

/* ---- protocol and metaData lines ------------------------------------------ */

/* version < 0: no version field (delta format only carries one). */
static int put_protocol(ds_buf *b, const ds_protocol *p, int fmt, int64_t version)
{
    if (fmt == FMT_PARQUET)
        return ds_buf_puts(b, "{\"protocol\":{\"minReaderVersion\":1}}");
    int first = 1, rc = ds_buf_puts(b, "{\"protocol\":{\"deltaProtocol\":{");
    rc |= ds_json_kv_i64(b, &first, "minReaderVersion", p->min_reader);
    rc |= ds_json_kv_i64(b, &first, "minWriterVersion", p->min_writer);
    if (p->reader_features) {
        rc |= ds_json_key(b, &first, "readerFeatures");
        rc |= ds_json_str_array(b, p->reader_features, p->n_reader_features);
    }
    if (p->writer_features) {
        rc |= ds_json_key(b, &first, "writerFeatures");
        rc |= ds_json_str_array(b, p->writer_features, p->n_writer_features);
    }
    rc |= ds_buf_putc(b, '}');
    if (version >= 0)
        rc |= ds_buf_puts(b, ",\"version\":") | ds_buf_put_i64(b, version);
    return rc | ds_buf_puts(b, "}}");
}

/* Writes a json-c value with the project's ASCII-only JSON writer. */
static int put_jc(ds_buf *b, json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null:
        return ds_buf_puts(b, "null");
    case json_type_boolean:
        return ds_buf_puts(b, json_object_get_boolean(o) ? "true" : "false");
    case json_type_int:
    case json_type_double:
        /* json-c keeps the number's text as parsed */
        return ds_buf_puts(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    case json_type_string:
        return ds_json_strn(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
    case json_type_array: {
        int rc = ds_buf_putc(b, '[');
        size_t n = json_object_array_length(o);
        for (size_t i = 0; i < n; i++)
            rc |= (i ? ds_buf_putc(b, ',') : 0) | put_jc(b, json_object_array_get_idx(o, i));
        return rc | ds_buf_putc(b, ']');
    }
    case json_type_object: {
        int first = 1, rc = ds_buf_putc(b, '{');
        json_object_object_foreach(o, k, v)
        {
            rc |= ds_json_key(b, &first, k);
            rc |= put_jc(b, v);
        }
        return rc | ds_buf_putc(b, '}');
    }
    }
    return -1;
}

/* The schema as parquet clients get it: the metadata of each top-level
 * field reduced to its comment (column mapping ids, generation
 * expressions, invariants and the like are the provider's business).
 * Returns the rewritten text, the original when it does not parse, or
 * NULL when out of memory. */
static const char *clean_schema(ds_arena *a, const char *schema)
{
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return NULL;
    json_object *root = json_tokener_parse_ex(tok, schema, (int)strlen(schema));
    int ok = root && json_tokener_get_error(tok) == json_tokener_success;
    json_tokener_free(tok);
    json_object *fields = NULL;
    if (!ok || !json_object_object_get_ex(root, "fields", &fields) ||
        !json_object_is_type(fields, json_type_array)) {
        json_object_put(root);
        return schema;
    }
    size_t n = json_object_array_length(fields);
    for (size_t i = 0; i < n; i++) {
        json_object *f = json_object_array_get_idx(fields, i), *md = NULL, *comment = NULL;
        if (!json_object_is_type(f, json_type_object) ||
            !json_object_object_get_ex(f, "metadata", &md) ||
            !json_object_is_type(md, json_type_object))
            continue;
        json_object *clean = json_object_new_object();
        if (!clean) { /* never hand out the uncleaned metadata */
            json_object_put(root);
            return NULL;
        }
        if (json_object_object_get_ex(md, "comment", &comment))
            json_object_object_add(clean, "comment", json_object_get(comment));
        json_object_object_add(f, "metadata", clean);
    }
    ds_buf b;
    ds_buf_init(&b, DS_NDJSON_LINE_MAX);
    const char *out = put_jc(&b, root) == 0 ? ds_arena_strndup(a, b.data, b.len) : NULL;
    ds_buf_free(&b);
    json_object_put(root);
    return out;
}

/* The metadata object in either format (the fields in the same order):
 * parquet clients get the cleaned schema, no format options, and of the
 * configuration only enableChangeDataFeed (when history is shared); delta
 * clients get the action as the log has it.  version < 0: no version
 * field on the line. */
static int put_metadata(ds_buf *b, ds_arena *a, const table_ctx *tc, const ds_metadata *m,
                        int fmt, int64_t version)
{
    int delta = fmt == FMT_DELTA, first = 1, rc = 0;
    const char *schema = m->schema_string;
    if (!delta && schema && !(schema = clean_schema(a, schema)))
        return -1;
    rc |= ds_buf_puts(b, delta ? "{\"metaData\":{\"deltaMetadata\":{" : "{\"metaData\":{");
    rc |= ds_json_kv_str(b, &first, "id", m->id ? m->id : "");
    if (m->name)
        rc |= ds_json_kv_str(b, &first, "name", m->name);
    if (m->description)
        rc |= ds_json_kv_str(b, &first, "description", m->description);
    rc |= ds_json_key(b, &first, "format");
    rc |= ds_buf_puts(b, "{\"provider\":");
    rc |= ds_json_str(b, m->provider ? m->provider : "parquet");
    if (delta)
        rc |= ds_buf_puts(b, ",\"options\":") | ds_pv_json(b, m->format_options, m->n_format_options);
    rc |= ds_buf_putc(b, '}');
    rc |= ds_json_kv_str(b, &first, "schemaString", schema ? schema : "");
    rc |= ds_json_key(b, &first, "partitionColumns");
    rc |= ds_json_str_array(b, m->partition_columns, m->n_partition_columns);
    rc |= ds_json_key(b, &first, "configuration");
    if (delta)
        rc |= ds_pv_json(b, m->configuration, m->n_configuration);
    else if (tc->t.history_shared && conf_true(m, "delta.enableChangeDataFeed"))
        rc |= ds_buf_puts(b, "{\"enableChangeDataFeed\":\"true\"}");
    else
        rc |= ds_buf_puts(b, "{}");
    if (delta && m->has_created_time)
        rc |= ds_json_kv_i64(b, &first, "createdTime", m->created_time);
    if (delta)
        rc |= ds_buf_putc(b, '}'); /* the version goes beside deltaMetadata */
    if (version >= 0)
        rc |= ds_json_kv_i64(b, &first, "version", version);
    return rc | ds_buf_puts(b, "}}");
}

/* Starts an NDJSON answer with the protocol and metaData lines
 * (md_version, proto_version < 0: no version field on that line). */
static ds_status head_lines(ds_ndjson *w, const table_ctx *tc, const ds_snapshot *s, int fmt,
                            int64_t md_version, int64_t proto_version, ds_error *err)
{
    ds_buf *b = ds_ndjson_begin(w);
    if (put_protocol(b, ds_snapshot_protocol(s), fmt, proto_version) < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (ds_ndjson_end(w, err) != DS_OK)
        return err->status;
    b = ds_ndjson_begin(w);
    if (put_metadata(b, tc->req->arena, tc, ds_snapshot_metadata(s), fmt, md_version) < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    return ds_ndjson_end(w, err);
}

/* ---- version -------------------------------------------------------------- */

static ds_status parse_version_param(ds_request *req, const char *name, int64_t *out,
                                     ds_error *err)
{
    const char *v = ds_request_param(req, name);
    if (!v)
        return DS_OK;
    if (ds_parse_i64(v, INT64_MIN, INT64_MAX, out) < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "The value of '%s' is not a number.", name);
    if (*out < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM, "The value of '%s' cannot be negative.",
                            name);
    return DS_OK;
}

static ds_status parse_ts_param(const char *name, const char *v, int64_t *out, ds_error *err)
{
    if (ds_time_parse(v, out) < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "The value of '%s' is not an ISO 8601 timestamp "
                            "(e.g. 2024-01-01T00:00:00Z).",
                            name);
    return DS_OK;
}

ds_status ds_api_table_version(ds_request *req, ds_error *err)
{
    table_ctx tc;
    if (open_table(req, &tc, err) != DS_OK)
        return err->status;
    /* the older HEAD .../tables/{t} form takes no parameters */
    int legacy = req->route && !strstr(req->route, "/version");
    const char *sts = legacy ? NULL : ds_request_param(req, "startingTimestamp");
    int64_t version = -1;
    if (sts) {
        int64_t t;
        if (need_history(&tc, err) != DS_OK || parse_ts_param("startingTimestamp", sts, &t, err))
            return err->status;
        /* the earliest version committed at or after t (a time before the
         * first commit gives the first version) */
        ds_history *h = NULL;
        ds_status st = ds_history_open(&tc.store, tc.t.location, &h, err);
        if (st == DS_OK)
            st = ds_history_version_at(h, t, DS_TS_STARTING, &version, err);
        ds_history_free(h);
        if (st != DS_OK)
            return st;
    } else if (ds_table_latest_version(&tc.store, tc.t.location, &version, err) != DS_OK) {
        return err->status;
    }
    char h[64];
    snprintf(h, sizeof h, "Delta-Table-Version: %" PRId64, version);
    const char *hdrs[] = {h};
    ds_resp_start(req, 200, NULL, hdrs, 1, 0);
    return DS_OK;
}

/* ---- metadata ------------------------------------------------------------- */

ds_status ds_api_table_metadata(ds_request *req, ds_error *err)
{
    table_ctx tc;
    caps c;
    if (open_table(req, &tc, err) != DS_OK || parse_caps(req, &c, err) != DS_OK)
        return err->status;
    ds_at at = {DS_AT_LATEST, 0, 0, 1};
    const char *vs = ds_request_param(req, "version"), *ts = ds_request_param(req, "timestamp");
    if (vs && ts)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "Please only provide one of: version, timestamp.");
    if (vs || ts) {
        if (need_history(&tc, err) != DS_OK)
            return err->status;
        if (vs) {
            at.kind = DS_AT_VERSION;
            if (parse_version_param(req, "version", &at.value, err) != DS_OK)
                return err->status;
        } else {
            at.kind = DS_AT_TIMESTAMP;
            if (parse_ts_param("timestamp", ts, &at.value, err) != DS_OK)
                return err->status;
        }
    }
    ds_snapshot *s = NULL;
    if (ds_snapshot_load(&tc.store, tc.t.location, &at, &s, err) != DS_OK)
        return err->status;
    int fmt = 0;
    ds_ndjson w;
    ds_ndjson_init(&w, req);
    int64_t v = ds_snapshot_version(s);
    if (choose_format(req, &c, s, &fmt, err) == DS_OK &&
        set_format_headers(&w, &c, fmt, 0, v, err) == DS_OK &&
        head_lines(&w, &tc, s, fmt, at.kind == DS_AT_LATEST ? -1 : v, -1, err) == DS_OK)
        ds_ndjson_finish(&w, err);
    if (err->status != DS_OK)
        ds_ndjson_fail(&w, err);
    ds_ndjson_free(&w);
    ds_snapshot_free(s);
    return err->status;
}

/* ---- query: the request body ---------------------------------------------- */

typedef struct query {
    int has_version, has_timestamp, has_limit, has_max_files;
    int64_t version, timestamp_ms, limit;
    const char *timestamp_text;
    int64_t max_files;
    const char *page_token, *refresh_token;
    int include_refresh;
    const char *json_hints; /* may be NULL */
    size_t json_hints_len;
    int has_starting_version, has_ending_version, hist_protocol;
    int64_t starting_version, ending_version;
} query;

static ds_status bad_type(ds_error *err, const char *field, const char *what)
{
    return ds_error_set(err, DS_ERR_MALFORMED, "The field '%s' must be %s.", field, what);
}

/* An int64 given as a JSON integer or as a string of digits (the protobuf
 * JSON mapping the reference server uses accepts both). */
static ds_status get_i64(json_object *o, const char *field, int64_t *out, ds_error *err)
{
    if (json_object_is_type(o, json_type_int)) {
        errno = 0;
        *out = json_object_get_int64(o);
        /* json-c clamps out-of-range values and sets errno */
        if (errno == ERANGE || (*out == INT64_MAX && json_object_get_uint64(o) > INT64_MAX))
            return bad_type(err, field, "a 64-bit integer");
        return DS_OK;
    }
    if (json_object_is_type(o, json_type_string) &&
        ds_parse_i64(json_object_get_string(o), INT64_MIN, INT64_MAX, out) == 0)
        return DS_OK;
    return bad_type(err, field, "an integer");
}

static ds_status get_str(json_object *o, const char *field, const char **out, ds_error *err)
{
    if (!json_object_is_type(o, json_type_string))
        return bad_type(err, field, "a string");
    *out = json_object_get_string(o);
    return DS_OK;
}

static ds_status get_bool(json_object *o, const char *field, int *out, ds_error *err)
{
    if (json_object_is_type(o, json_type_boolean)) {
        *out = json_object_get_boolean(o);
        return DS_OK;
    }
    if (json_object_is_type(o, json_type_string)) {
        const char *s = json_object_get_string(o);
        if (ds_strcaseeq(s, "true") || ds_strcaseeq(s, "false")) {
            *out = ds_strcaseeq(s, "true");
            return DS_OK;
        }
    }
    return bad_type(err, field, "a boolean");
}

/* Parses the body into q; strings stay owned by *root (freed by caller). */
static ds_status parse_query(ds_request *req, query *q, json_object **root, ds_error *err)
{
    memset(q, 0, sizeof *q);
    *root = NULL;
    const char *body = req->body && req->body_len ? req->body : "{}";
    size_t len = req->body && req->body_len ? req->body_len : 2;
    if (memchr(body, '\0', len))
        return ds_error_set(err, DS_ERR_MALFORMED, "The request body is not valid JSON.");
    json_tokener *tok = json_tokener_new_ex(64);
    if (!tok)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    json_object *o = json_tokener_parse_ex(tok, body, (int)len);
    enum json_tokener_error je = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    int trailing = 0;
    for (size_t i = used; i < len; i++)
        if (!strchr(" \t\r\n", body[i]))
            trailing = 1;
    if (!o || je != json_tokener_success || trailing) {
        json_object_put(o);
        return ds_error_set(err, DS_ERR_MALFORMED, "The request body is not valid JSON.");
    }
    *root = o;
    if (!json_object_is_type(o, json_type_object))
        return ds_error_set(err, DS_ERR_MALFORMED, "The request body must be a JSON object.");
    json_object_object_foreach(o, key, val)
    {
        if (json_object_is_type(val, json_type_null))
            continue; /* an explicit null is the same as absent */
        if (strcmp(key, "version") == 0) {
            if (get_i64(val, key, &q->version, err) != DS_OK)
                return err->status;
            q->has_version = 1;
        } else if (strcmp(key, "timestamp") == 0) {
            if (get_str(val, key, &q->timestamp_text, err) != DS_OK)
                return err->status;
            q->has_timestamp = 1;
        } else if (strcmp(key, "limitHint") == 0) {
            if (get_i64(val, key, &q->limit, err) != DS_OK)
                return err->status;
            q->has_limit = 1;
        } else if (strcmp(key, "maxFiles") == 0) {
            if (get_i64(val, key, &q->max_files, err) != DS_OK)
                return err->status;
            if (q->max_files > INT32_MAX)
                return bad_type(err, key, "a 32-bit integer");
            q->has_max_files = 1;
        } else if (strcmp(key, "pageToken") == 0) {
            if (get_str(val, key, &q->page_token, err) != DS_OK)
                return err->status;
            if (!*q->page_token)
                q->page_token = NULL;
        } else if (strcmp(key, "refreshToken") == 0) {
            if (get_str(val, key, &q->refresh_token, err) != DS_OK)
                return err->status;
            if (!*q->refresh_token)
                q->refresh_token = NULL;
        } else if (strcmp(key, "includeRefreshToken") == 0) {
            if (get_bool(val, key, &q->include_refresh, err) != DS_OK)
                return err->status;
        } else if (strcmp(key, "jsonPredicateHints") == 0) {
            if (get_str(val, key, &q->json_hints, err) != DS_OK)
                return err->status;
            q->json_hints_len = (size_t)json_object_get_string_len(val);
        } else if (strcmp(key, "predicateHints") == 0) {
            /* accepted and ignored (to be deprecated), but typed */
            if (!json_object_is_type(val, json_type_array))
                return bad_type(err, key, "an array of strings");
            for (size_t i = 0; i < json_object_array_length(val); i++)
                if (!json_object_is_type(json_object_array_get_idx(val, i), json_type_string))
                    return bad_type(err, key, "an array of strings");
        } else if (strcmp(key, "startingVersion") == 0) {
            if (get_i64(val, key, &q->starting_version, err) != DS_OK)
                return err->status;
            q->has_starting_version = 1;
        } else if (strcmp(key, "endingVersion") == 0) {
            if (get_i64(val, key, &q->ending_version, err) != DS_OK)
                return err->status;
            q->has_ending_version = 1;
        } else if (strcmp(key, "includeHistoricalProtocol") == 0) {
            if (get_bool(val, key, &q->hist_protocol, err) != DS_OK)
                return err->status;
        } else if (strcmp(key, "queryDeltaLog") == 0) {
            int ignored;
            if (get_bool(val, key, &ignored, err) != DS_OK)
                return err->status;
        } else if (strcmp(key, "idempotencyKey") == 0 || strcmp(key, "idempotency_key") == 0) {
            const char *ignored;
            if (get_str(val, key, &ignored, err) != DS_OK)
                return err->status;
        }
        /* anything else (requested_columns, future fields) is ignored */
    }
    int modes = q->has_version + q->has_timestamp + q->has_starting_version;
    if (modes > 1)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "Please only provide one of: version, timestamp, startingVersion.");
    if (q->has_version && q->version < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM, "The table version cannot be negative.");
    if (q->has_starting_version && q->starting_version < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM, "startingVersion cannot be negative.");
    if (q->has_ending_version && q->ending_version < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM, "endingVersion cannot be negative.");
    if (q->has_ending_version && !q->has_starting_version)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "endingVersion can only be used with startingVersion.");
    if (q->has_ending_version && q->ending_version < q->starting_version)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "startingVersion(%" PRId64 ") must be smaller than or equal to "
                            "endingVersion(%" PRId64 ").",
                            q->starting_version, q->ending_version);
    if (q->hist_protocol && !q->has_starting_version)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "includeHistoricalProtocol can only be used with startingVersion.");
    if (q->has_timestamp && ds_time_parse(q->timestamp_text, &q->timestamp_ms) < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "The timestamp is not an ISO 8601 timestamp "
                            "(e.g. 2024-01-01T00:00:00Z).");
    if (q->has_max_files && q->max_files <= 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM, "maxFiles must be positive.");
    if (q->has_limit && q->limit < 0)
        return ds_error_set(err, DS_ERR_INVALID_PARAM, "limitHint cannot be negative.");
    if (q->include_refresh && modes)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "includeRefreshToken cannot be used when querying a specific "
                            "version.");
    if (q->include_refresh && q->page_token)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "includeRefreshToken must be used in the first page request.");
    if (q->refresh_token && modes)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "refreshToken cannot be used when querying a specific version.");
    if (q->refresh_token && q->page_token)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "refreshToken must be used in the first page request.");
    if (q->json_hints && q->json_hints_len > PRED_HINT_MAX)
        q->json_hints = NULL; /* best effort: too large to use */
    return DS_OK;
}

/* ---- query: files ------------------------------------------------------------ */

typedef struct emit {
    table_ctx *tc;
    ds_ndjson *w;
    const caps *c;
    int fmt, id_fmt;
    int64_t version_field; /* -1: none on file lines */
    const ds_pred *pred;
    int has_limit;
    int64_t limit, rows;
    uint64_t skip, seen, sent;
    int64_t page_size; /* 0: unpaginated */
    int more;          /* a file beyond the page exists */
    int64_t min_expiry;
    ds_link_owner owner;
    int64_t ttl_s;
    ds_buf url; /* a URL that needs JSON escaping (none does in practice) */
    ds_arena *scratch;
    int range;                       /* a change answer: add/remove/cdf lines */
    int hist_metadata, hist_protocol; /* historical metaData / protocol lines */
} emit;

static int64_t num_records(const char *stats)
{
    if (!stats)
        return 0;
    const char *p = strstr(stats, "\"numRecords\"");
    if (!p)
        return 0;
    p += 12;
    while (*p == ' ' || *p == ':')
        p++;
    int64_t v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && v < INT64_MAX / 10) {
        v = v * 10 + (*p++ - '0');
        digits++;
    }
    return digits ? v : 0;
}

/* File ids (protocol 5.5): MD5 hex of the path as written in the log for
 * the parquet scheme, SHA-256 hex for the delta scheme. */
static void file_id(emit *e, const char *path, char out[65])
{
    size_t n = strlen(path);
    if (e->id_fmt == FMT_DELTA) {
        unsigned char h[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(h, (const unsigned char *)path, n);
        ds_hex_encode(h, sizeof h, out);
        return;
    }
    unsigned char h[DS_MD5_BYTES];
    ds_md5(path, n, h);
    ds_hex_encode(h, 16, out);
}

/* Appends the signed URL of path to b as a JSON string.  The signer
 * writes straight into the answer; only a URL holding characters JSON
 * must escape (none of the signers make one) takes a second pass.  *exp
 * gets the link's expiry, folded into the smallest of the response. */
static ds_status put_url(emit *e, ds_buf *b, const char *path, int64_t *exp, ds_error *err)
{
    size_t start = b->len;
    if (ds_buf_putc(b, '"') < 0)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (e->tc->signer.ops->presign(e->tc->signer.ctx, e->tc->t.location, path, e->ttl_s,
                                   &e->owner, b, exp, err) != DS_OK) {
        if (b->data) {
            b->len = start;
            b->data[start] = '\0';
        }
        return err->status;
    }
    if (!b->data)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    size_t n = b->len - start - 1;
    if (!ds_json_plain(b->data + start + 1, n)) {
        ds_buf_clear(&e->url);
        if (ds_buf_append(&e->url, b->data + start + 1, n) < 0)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        b->len = start;
        if (ds_json_strn(b, e->url.data, n) < 0)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
    } else if (ds_buf_putc(b, '"') < 0) {
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    }
    if (e->min_expiry < 0 || *exp < e->min_expiry)
        e->min_expiry = *exp;
    return DS_OK;
}

/* The deletionVector object of a delta-format add: inline vectors as they
 * are, stored ones ("u", "p") as an absolute signed URL ("p"). */
static ds_status put_dv(emit *e, ds_buf *b, const ds_dv *dv, int64_t *exp, ds_error *err)
{
    int first = 1, rc = ds_buf_putc(b, '{');
    if (strcmp(dv->storage_type, "i") == 0) {
        rc |= ds_json_kv_str(b, &first, "storageType", "i");
        rc |= ds_json_kv_str(b, &first, "pathOrInlineDv", dv->path_or_inline);
    } else {
        const char *rel = dv->path_or_inline;
        if (strcmp(dv->storage_type, "u") == 0) {
            if (!(rel = ds_dv_relative_path(e->scratch, dv, err)))
                return err->status ? err->status : ds_error_set(err, DS_ERR_INTERNAL, NULL);
        } else if (strcmp(dv->storage_type, "p") != 0) {
            ds_error_set(err, DS_ERR_INTERNAL, NULL);
            ds_error_detail(err, "unknown deletion vector storage type");
            return err->status;
        }
        int64_t dexp;
        rc |= ds_json_kv_str(b, &first, "storageType", "p");
        rc |= ds_json_key(b, &first, "pathOrInlineDv");
        if (rc)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        if (put_url(e, b, rel, &dexp, err) != DS_OK)
            return err->status;
        if (dexp < *exp)
            *exp = dexp;
    }
    if (dv->has_offset)
        rc |= ds_json_kv_i64(b, &first, "offset", dv->offset);
    rc |= ds_json_kv_i64(b, &first, "sizeInBytes", dv->size_in_bytes);
    rc |= ds_json_kv_i64(b, &first, "cardinality", dv->cardinality);
    if (dv->has_max_row_index)
        rc |= ds_json_kv_i64(b, &first, "maxRowIndex", dv->max_row_index);
    rc |= ds_buf_putc(b, '}');
    return rc ? ds_error_set(err, DS_ERR_NOMEM, NULL) : DS_OK;
}

/* One file line.  Snapshot answers have `file` lines (parquet) for live
 * files; change answers (e->range) have parquet `add`, `remove` and `cdf`
 * lines, or delta `file` lines wrapping the add, remove or cdc action.
 * version, timestamp < 0: no such field on the line. */
static ds_status file_line(emit *e, const ds_file *f, int64_t version, int64_t timestamp,
                           ds_error *err)
{
    char id[65];
    int64_t exp = 0;
    file_id(e, f->path, id);
    ds_buf *b = ds_ndjson_begin(e->w);
    int first = 1, rc;
    if (e->fmt == FMT_PARQUET) {
        /* the hot path of a large answer: keys as literals */
        if (!e->range)
            rc = LIT(b, "{\"file\":{\"url\":");
        else if (f->kind == DS_ACT_ADD)
            rc = LIT(b, "{\"add\":{\"url\":");
        else if (f->kind == DS_ACT_REMOVE)
            rc = LIT(b, "{\"remove\":{\"url\":");
        else
            rc = LIT(b, "{\"cdf\":{\"url\":");
        if (rc < 0)
            return ds_error_set(err, DS_ERR_NOMEM, NULL);
        if (put_url(e, b, f->path, &exp, err) != DS_OK)
            return err->status;
        rc = 0;
        rc |= LIT(b, ",\"id\":\"") | ds_buf_append(b, id, strlen(id)) | LIT(b, "\"");
        rc |= LIT(b, ",\"partitionValues\":") | ds_pv_json(b, f->pvs, f->npv);
        rc |= LIT(b, ",\"size\":") | ds_buf_put_i64(b, f->size);
        if (f->stats && f->kind == DS_ACT_ADD)
            rc |= LIT(b, ",\"stats\":") | ds_json_str(b, f->stats);
        if (version >= 0)
            rc |= LIT(b, ",\"version\":") | ds_buf_put_i64(b, version);
        if (timestamp >= 0)
            rc |= LIT(b, ",\"timestamp\":") | ds_buf_put_i64(b, timestamp);
        rc |= LIT(b, ",\"expirationTimestamp\":") | ds_buf_put_i64(b, exp);
        rc |= LIT(b, "}}");
        return rc ? ds_error_set(err, DS_ERR_NOMEM, NULL) : ds_ndjson_end(e->w, err);
    }
    rc = ds_buf_puts(b, "{\"file\":{");
    /* delta: the action itself, path replaced by the signed URL; tags and
     * the *_parsed columns are left out */
    ds_buf act;
    ds_buf_init(&act, DS_NDJSON_LINE_MAX);
    int af = 1;
    rc |= ds_buf_puts(&act, f->kind == DS_ACT_ADD      ? "{\"add\":{"
                            : f->kind == DS_ACT_REMOVE ? "{\"remove\":{"
                                                       : "{\"cdc\":{");
    rc |= ds_json_key(&act, &af, "path");
    if (rc == 0 && put_url(e, &act, f->path, &exp, err) != DS_OK) {
        ds_buf_free(&act);
        return err->status;
    }
    if (f->kind == DS_ACT_REMOVE && f->deletion_timestamp >= 0)
        rc |= ds_json_kv_i64(&act, &af, "deletionTimestamp", f->deletion_timestamp);
    if (f->kind == DS_ACT_REMOVE)
        rc |= ds_json_kv_bool(&act, &af, "dataChange", f->data_change);
    if (f->kind == DS_ACT_REMOVE && f->extended_file_metadata >= 0)
        rc |= ds_json_kv_bool(&act, &af, "extendedFileMetadata", f->extended_file_metadata);
    if (f->kind != DS_ACT_REMOVE || f->has_pvs) {
        rc |= ds_json_key(&act, &af, "partitionValues");
        rc |= ds_pv_json(&act, f->pvs, f->npv);
    }
    rc |= ds_json_kv_i64(&act, &af, "size", f->size);
    if (f->kind == DS_ACT_ADD)
        rc |= ds_json_kv_i64(&act, &af, "modificationTime", f->modification_time);
    if (f->kind != DS_ACT_REMOVE)
        rc |= ds_json_kv_bool(&act, &af, "dataChange", f->data_change);
    if (f->stats && f->kind == DS_ACT_ADD)
        rc |= ds_json_kv_str(&act, &af, "stats", f->stats);
    if (f->dv && f->kind != DS_ACT_CDC) {
        rc |= ds_json_key(&act, &af, "deletionVector");
        if (rc == 0 && put_dv(e, &act, f->dv, &exp, err) != DS_OK) {
            ds_buf_free(&act);
            return err->status;
        }
    }
    if (f->has_base_row_id && f->kind != DS_ACT_CDC)
        rc |= ds_json_kv_i64(&act, &af, "baseRowId", f->base_row_id);
    if (f->has_default_row_commit_version && f->kind != DS_ACT_CDC)
        rc |= ds_json_kv_i64(&act, &af, "defaultRowCommitVersion",
                             f->default_row_commit_version);
    if (f->clustering_provider && f->kind == DS_ACT_ADD)
        rc |= ds_json_kv_str(&act, &af, "clusteringProvider", f->clustering_provider);
    rc |= ds_buf_puts(&act, "}}");
    rc |= ds_json_kv_str(b, &first, "id", id);
    if (version >= 0)
        rc |= ds_json_kv_i64(b, &first, "version", version);
    if (timestamp >= 0)
        rc |= ds_json_kv_i64(b, &first, "timestamp", timestamp);
    rc |= ds_json_kv_i64(b, &first, "expirationTimestamp", exp);
    rc |= ds_json_key(b, &first, "deltaSingleAction");
    if (rc == 0)
        rc |= ds_buf_append(b, act.data, act.len);
    rc |= ds_buf_puts(b, "}}");
    ds_buf_free(&act);
    return rc ? ds_error_set(err, DS_ERR_NOMEM, NULL) : ds_ndjson_end(e->w, err);
}

/* Pagination: 1 to write the next line, 0 to skip it (sent on an earlier
 * page), 2 when the page is full (e->more is set). */
static int page_admit(emit *e)
{
    uint64_t index = e->seen++;
    if (index < e->skip)
        return 0;
    if (e->page_size && e->sent >= (uint64_t)e->page_size) {
        e->more = 1;
        return 2;
    }
    return 1;
}

static const char dv_parquet_message[] =
    "The table has deletion vectors, which the client did not declare it can read. Ask for "
    "it with the header 'delta-sharing-capabilities: "
    "responseformat=delta;readerfeatures=deletionvectors'.";

static int on_file(void *ctx, const ds_file *f, ds_error *err)
{
    emit *e = ctx;
    if (e->pred && !ds_pred_may_match(e->pred, f))
        return 0;
    if (e->has_limit && e->rows >= e->limit)
        return 1; /* enough rows for the client's limit */
    if (f->dv && e->fmt == FMT_PARQUET) {
        ds_error_set(err, DS_ERR_UNSUPPORTED, "%s", dv_parquet_message);
        return -1;
    }
    int a = page_admit(e);
    if (a != 1)
        return a == 2; /* skipped files' rows are in e->rows already */
    ds_arena_reset(e->scratch);
    if (file_line(e, f, e->version_field, -1, err) != DS_OK)
        return -1;
    e->sent++;
    int64_t r = num_records(f->stats);
    if (f->dv)
        r -= f->dv->cardinality;
    if (r > 0)
        e->rows = r > INT64_MAX - e->rows ? INT64_MAX : e->rows + r;
    return 0;
}

/* A remove written without its size (older writers): the size clients
 * need to read the file comes from storage. */
static ds_status removed_size(emit *e, const ds_file *f, int64_t version, int64_t *size,
                              ds_error *err)
{
    /* the object below the table, resolved as the signers resolve it */
    const char *loc = e->tc->t.location;
    size_t ll = strlen(loc);
    while (ll && loc[ll - 1] == '/')
        ll--;
    ds_buf rel;
    ds_buf_init(&rel, 16384);
    if (ds_store_object_below(loc, f->path, &rel, err) != DS_OK) {
        ds_buf_free(&rel);
        return err->status;
    }
    const char *url = ds_arena_printf(e->scratch, "%.*s/%s", (int)ll, loc, rel.data);
    ds_buf_free(&rel);
    if (!url)
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    ds_store_entry st;
    ds_error e2;
    ds_error_clear(&e2);
    if (e->tc->store.ops->stat(e->tc->store.ctx, url, &st, &e2) != DS_OK) {
        if (e2.status == DS_ERR_NOT_FOUND)
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "A file removed at version %" PRId64 " is no longer in the "
                                "table's storage (the table was vacuumed), so the changes of "
                                "that version cannot be served.",
                                version);
        *err = e2;
        return err->status;
    }
    *size = (int64_t)st.size;
    return DS_OK;
}

/* Lines of a change answer (query with startingVersion, or /changes). */
static int on_change(void *ctx, const ds_change *c, ds_error *err)
{
    emit *e = ctx;
    int a;
    ds_buf *b;
    switch (c->kind) {
    case DS_CH_PROTOCOL:
        if (e->fmt != FMT_DELTA || !e->hist_protocol || (a = page_admit(e)) == 0)
            return 0;
        if (a == 2)
            return 1;
        b = ds_ndjson_begin(e->w);
        if (put_protocol(b, c->protocol, e->fmt, c->version) < 0) {
            ds_error_set(err, DS_ERR_NOMEM, NULL);
            return -1;
        }
        break;
    case DS_CH_METADATA:
        if (!e->hist_metadata || (a = page_admit(e)) == 0)
            return 0;
        if (a == 2)
            return 1;
        ds_arena_reset(e->scratch);
        b = ds_ndjson_begin(e->w);
        if (put_metadata(b, e->scratch, e->tc, c->metadata, e->fmt, c->version) < 0) {
            ds_error_set(err, DS_ERR_NOMEM, NULL);
            return -1;
        }
        break;
    case DS_CH_FILE: {
        const ds_file *f = c->file;
        if (e->pred && !ds_pred_may_match(e->pred, f))
            return 0;
        if (f->dv && e->fmt == FMT_PARQUET) {
            ds_error_set(err, DS_ERR_UNSUPPORTED, "%s", dv_parquet_message);
            return -1;
        }
        if ((a = page_admit(e)) != 1)
            return a == 2;
        ds_arena_reset(e->scratch);
        ds_file sized;
        if (f->size < 0) {
            sized = *f;
            if (removed_size(e, f, c->version, &sized.size, err) != DS_OK)
                return -1;
            f = &sized;
        }
        if (file_line(e, f, c->version, c->timestamp_ms, err) != DS_OK)
            return -1;
        e->sent++;
        return 0;
    }
    default:
        return 0;
    }
    if (ds_ndjson_end(e->w, err) != DS_OK)
        return -1;
    e->sent++;
    return 0;
}

/* The binding of page tokens: recipient, table, and a digest of every
 * request parameter that shapes the file list, so a token cannot be
 * replayed against another query. */
static const char *page_binding(table_ctx *tc, const query *q, int fmt, int id_fmt)
{
    crypto_generichash_state st;
    unsigned char d[16];
    char hex[33];
    crypto_generichash_init(&st, NULL, 0, sizeof d);
    char head[128];
    int n = snprintf(head, sizeof head, "fmt=%d id=%d v=%d:%" PRId64 " t=%d:%" PRId64
                     " l=%d:%" PRId64 " h=%d:",
                     fmt, id_fmt, q->has_version, q->version, q->has_timestamp,
                     q->timestamp_ms, q->has_limit, q->limit, q->json_hints != NULL);
    crypto_generichash_update(&st, (const unsigned char *)head, (size_t)n);
    if (q->json_hints)
        crypto_generichash_update(&st, (const unsigned char *)q->json_hints,
                                  q->json_hints_len);
    crypto_generichash_final(&st, d, sizeof d);
    ds_hex_encode(d, sizeof d, hex);
    return ds_arena_printf(tc->req->arena, "page\n%s\n%s\n%s\n%s", ds_recipient_name(tc->req->recipient),
                           tc->fqn, tc->t.location, hex);
}

struct query_bind {
    table_ctx *tc;
    const query *q;
};
static const char *query_bind_for(void *ctx, int fmt, int id_fmt)
{
    struct query_bind *qb = ctx;
    return page_binding(qb->tc, qb->q, fmt, id_fmt);
}

static const char *refresh_binding(table_ctx *tc)
{
    return ds_arena_printf(tc->req->arena, "refresh\n%s\n%s\n%s",
                           ds_recipient_name(tc->req->recipient), tc->fqn, tc->t.location);
}

static ds_status end_stream_line(emit *e, const char *next, const char *refresh, ds_error *err)
{
    ds_buf *b = ds_ndjson_begin(e->w);
    int first = 1, rc = ds_buf_puts(b, "{\"endStreamAction\":{");
    if (refresh)
        rc |= ds_json_kv_str(b, &first, "refreshToken", refresh);
    if (next)
        rc |= ds_json_kv_str(b, &first, "nextPageToken", next);
    if (e->min_expiry >= 0)
        rc |= ds_json_kv_i64(b, &first, "minUrlExpirationTimestamp", e->min_expiry);
    rc |= ds_buf_puts(b, "}}");
    return rc ? ds_error_set(err, DS_ERR_NOMEM, NULL) : ds_ndjson_end(e->w, err);
}

/* ---- shared by snapshot and change answers --------------------------------- */

/* Sets up the file-line writer for format fmt; paging from max_files
 * (when has_max_files) and the hints.  The caller sets the rest. */
static ds_status emit_start(emit *e, table_ctx *tc, ds_ndjson *w, const caps *c, int fmt,
                            int has_max_files, int64_t max_files, const char *hints,
                            size_t hints_len, const ds_metadata *md, ds_error *err)
{
    ds_request *req = tc->req;
    e->tc = tc;
    e->w = w;
    e->c = c;
    e->fmt = fmt;
    e->id_fmt = c->id_hash ? c->id_hash : fmt;
    e->version_field = -1;
    e->min_expiry = -1;
    e->ttl_s = req->srv->cat->url_ttl;
    e->owner.recipient = ds_recipient_name(req->recipient);
    e->owner.share = tc->t.share;
    e->owner.schema = tc->t.schema;
    e->owner.table = tc->t.name;
    e->page_size = has_max_files ? (max_files > MAX_FILES_LIMIT ? MAX_FILES_LIMIT : max_files) : 0;
    if (!(e->scratch = ds_arena_new(0)))
        return ds_error_set(err, DS_ERR_NOMEM, NULL);
    if (hints) {
        const char *why = NULL;
        e->pred = ds_pred_parse(req->arena, hints, hints_len, md, &why);
    }
    return DS_OK;
}

static void emit_free(emit *e)
{
    ds_buf_free(&e->url);
    ds_arena_free(e->scratch);
}

/* A page token's binding covers the response format, which is known only
 * once the snapshot is loaded: each format's binding is tried.  Returns the
 * FMT_* the token was made for (with *pt and *bind set), or 0 with err
 * set. */
typedef const char *(*binding_fn)(void *ctx, int fmt, int id_fmt);
static int find_page_token(const ds_catalog *cat, const caps *c, const char *token,
                           binding_fn bind_for, void *ctx, ds_qtoken *pt, const char **bind,
                           ds_error *err)
{
    for (int f = FMT_PARQUET; f <= FMT_DELTA; f++) {
        const char *b = bind_for(ctx, f, c->id_hash ? c->id_hash : f);
        int k = b ? ds_qtoken_check(cat, DS_QTOKEN_PAGE, b, token, pt) : -1;
        if (k == -2) {
            ds_error_set(err, DS_ERR_INVALID_PARAM,
                         "The page token has expired. Please restart the query.");
            return 0;
        }
        if (k == 0) {
            *bind = b;
            return f;
        }
    }
    ds_error_set(err, DS_ERR_INVALID_PARAM,
                 "The page token is not valid for this query (it belongs to another table or "
                 "the query parameters changed).");
    return 0;
}

/* ---- change answers: queries with startingVersion, and /changes ------------ */

typedef struct range_req {
    ds_changes_mode mode;
    const char *what;         /* "query" or "changes": part of the page binding */
    int64_t start, end;       /* resolved versions (a page token pins its own) */
    int hist_metadata, hist_protocol;
    int head_at_start;        /* head lines from the start version, else the latest */
    int has_max_files;
    int64_t max_files;
    const char *page_token;
    const char *params;       /* the request's shaping parameters, for the binding */
    const char *json_hints;
    size_t json_hints_len;
} range_req;

static const char *range_binding(table_ctx *tc, const range_req *r, int fmt, int id_fmt)
{
    crypto_generichash_state st;
    unsigned char d[16];
    char hex[33];
    crypto_generichash_init(&st, NULL, 0, sizeof d);
    char head[96];
    int n = snprintf(head, sizeof head, "%s fmt=%d id=%d md=%d pr=%d h=%d:", r->what, fmt,
                     id_fmt, r->hist_metadata, r->hist_protocol, r->json_hints != NULL);
    crypto_generichash_update(&st, (const unsigned char *)head, (size_t)n);
    crypto_generichash_update(&st, (const unsigned char *)r->params, strlen(r->params) + 1);
    if (r->json_hints)
        crypto_generichash_update(&st, (const unsigned char *)r->json_hints,
                                  r->json_hints_len);
    crypto_generichash_final(&st, d, sizeof d);
    ds_hex_encode(d, sizeof d, hex);
    return ds_arena_printf(tc->req->arena, "range\n%s\n%s\n%s\n%s",
                           ds_recipient_name(tc->req->recipient), tc->fqn, tc->t.location, hex);
}

struct range_bind {
    table_ctx *tc;
    const range_req *r;
};
static const char *range_bind_for(void *ctx, int fmt, int id_fmt)
{
    struct range_bind *rb = ctx;
    return range_binding(rb->tc, rb->r, fmt, id_fmt);
}

/* Streams a change answer: protocol and metaData, then per version of
 * [start, end] the lines on_change writes, then an endStreamAction when
 * paginating or asked for.  Delta-Table-Version is the start version. */
static ds_status serve_range(ds_request *req, table_ctx *tc, const caps *c, range_req *r,
                             ds_history *h, ds_error *err)
{
    const ds_catalog *cat = req->srv->cat;
    ds_snapshot *start = NULL, *pinned = NULL;
    ds_ndjson w;
    emit e;
    memset(&e, 0, sizeof e);
    ds_ndjson_init(&w, req);
    ds_buf_init(&e.url, 64 * 1024);
    ds_qtoken pt = {0};
    int have_page = 0;
    const char *pbind = NULL;
    if (ds_signer_for(cat, tc->t.location, &tc->signer, err) != DS_OK)
        goto out;
    if (r->page_token) {
        struct range_bind rb = {tc, r};
        if (!(have_page = find_page_token(cat, c, r->page_token, range_bind_for, &rb, &pt,
                                          &pbind, err)))
            goto out;
        /* the first page's range, whatever the table did since */
        r->start = pt.cp_version;
        r->end = pt.version;
    }
    /* the start's protocol and metadata: the history already holds the
     * latest version's (a streaming reader usually starts there) */
    const ds_snapshot *first = ds_history_latest(h);
    if (r->start != ds_history_latest_version(h)) {
        ds_at at = {DS_AT_VERSION, r->start, 0, 1};
        if (ds_snapshot_load(&tc->store, tc->t.location, &at, &start, err) != DS_OK)
            goto out;
        first = start;
    }
    /* the head lines come from the start or the latest version; later
     * pages repeat the first page's, even when the table moved on */
    const ds_snapshot *head = r->head_at_start ? first : ds_history_latest(h);
    if (have_page && !r->head_at_start && pt.rows != ds_snapshot_version(head)) {
        ds_at hat = {DS_AT_VERSION, pt.rows, 0, 1};
        if (ds_snapshot_load(&tc->store, tc->t.location, &hat, &pinned, err) != DS_OK)
            goto out;
        head = pinned;
    }
    int fmt = 0;
    if (choose_format(req, c, head, &fmt, err) != DS_OK)
        goto out;
    if (have_page && have_page != fmt) {
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "The page token is not valid for this query (the response format "
                     "changed).");
        goto out;
    }
    if (emit_start(&e, tc, &w, c, fmt, r->has_max_files, r->max_files, r->json_hints,
                   r->json_hints_len, ds_snapshot_metadata(first), err) != DS_OK)
        goto out;
    e.range = 1;
    e.hist_metadata = r->hist_metadata;
    e.hist_protocol = r->hist_protocol && fmt == FMT_DELTA;
    if (have_page)
        e.skip = pt.offset;
    int end_stream = r->has_max_files || c->end_stream;
    int64_t head_version = ds_snapshot_version(head);
    if (set_format_headers(&w, c, fmt, c->end_stream, r->start, err) != DS_OK ||
        head_lines(&w, tc, head, fmt, head_version, e.hist_protocol ? head_version : -1,
                   err) != DS_OK)
        goto out;
    if (ds_history_changes(h, first, r->end, r->mode, on_change, &e, err) != DS_OK)
        goto out;
    if (end_stream) {
        char next[DS_QTOKEN_MAX];
        const char *np = NULL;
        if (e.more) {
            if (!pbind && !(pbind = range_binding(tc, r, fmt, e.id_fmt))) {
                ds_error_set(err, DS_ERR_NOMEM, NULL);
                goto out;
            }
            ds_qtoken t = {0};
            t.version = r->end;
            t.cp_version = r->start;
            t.expires_ms = have_page ? pt.expires_ms : ds_now_ms() + PAGE_TOKEN_TTL_MS;
            t.offset = e.skip + e.sent;
            t.rows = head_version; /* change pages: the head lines' version */
            ds_qtoken_make(cat, DS_QTOKEN_PAGE, pbind, &t, next);
            np = next;
        }
        if (end_stream_line(&e, np, NULL, err) != DS_OK)
            goto out;
    }
    ds_ndjson_finish(&w, err);
out:
    if (e.fmt)
        snprintf(req->note, sizeof req->note,
                 "versions=%" PRId64 "-%" PRId64 " format=%s lines=%" PRIu64, r->start, r->end,
                 e.fmt == FMT_DELTA ? "delta" : "parquet", e.sent);
    if (err->status != DS_OK)
        ds_ndjson_fail(&w, err);
    ds_ndjson_free(&w);
    emit_free(&e);
    ds_snapshot_free(pinned);
    ds_snapshot_free(start);
    return err->status;
}

/* POST .../query with startingVersion: the data changes of each version
 * (protocol.md 4.8.3, "version range"). */
static ds_status query_range(ds_request *req, table_ctx *tc, const caps *c, const query *q,
                             ds_error *err)
{
    ds_history *h = NULL;
    if (ds_history_open(&tc->store, tc->t.location, &h, err) != DS_OK)
        return err->status;
    int64_t latest = ds_history_latest_version(h);
    range_req r;
    memset(&r, 0, sizeof r);
    r.mode = DS_CHANGES_DATA;
    r.what = "query";
    r.start = q->starting_version;
    r.end = q->has_ending_version ? q->ending_version : latest;
    r.hist_metadata = 1;
    r.hist_protocol = q->hist_protocol;
    r.head_at_start = 1;
    r.has_max_files = q->has_max_files;
    r.max_files = q->max_files;
    r.page_token = q->page_token;
    r.json_hints = q->json_hints;
    r.json_hints_len = q->json_hints_len;
    char params[96];
    snprintf(params, sizeof params, "s=%" PRId64 " e=%d:%" PRId64, q->starting_version,
             q->has_ending_version, q->ending_version);
    r.params = params;
    if (!q->page_token && q->starting_version > latest)
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "startingVersion(%" PRId64 ") cannot be greater than the latest version "
                     "of the table(%" PRId64 ").",
                     q->starting_version, latest);
    else if (!q->page_token && r.end > latest)
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "endingVersion(%" PRId64 ") cannot be greater than the latest version "
                     "of the table(%" PRId64 ").",
                     r.end, latest);
    else
        serve_range(req, tc, c, &r, h, err);
    ds_history_free(h);
    return err->status;
}

static ds_status bool_param(ds_request *req, const char *name, int *out, ds_error *err)
{
    const char *v = ds_request_param(req, name);
    *out = 0;
    if (!v || !*v)
        return DS_OK;
    if (ds_strcaseeq(v, "true") || ds_strcaseeq(v, "false")) {
        *out = ds_strcaseeq(v, "true");
        return DS_OK;
    }
    return ds_error_set(err, DS_ERR_INVALID_PARAM, "The value of '%s' must be true or false.",
                        name);
}

/* GET .../changes: the change data feed of a version range (protocol.md
 * 4.9). */
ds_status ds_api_table_changes(ds_request *req, ds_error *err)
{
    table_ctx tc;
    caps c;
    if (open_table(req, &tc, err) != DS_OK || parse_caps(req, &c, err) != DS_OK)
        return err->status;
    const char *sv = ds_request_param(req, "startingVersion");
    const char *st = ds_request_param(req, "startingTimestamp");
    const char *ev = ds_request_param(req, "endingVersion");
    const char *et = ds_request_param(req, "endingTimestamp");
    const char *mf = ds_request_param(req, "maxFiles");
    const char *pt = ds_request_param(req, "pageToken");
    sv = sv && *sv ? sv : NULL;
    st = st && *st ? st : NULL;
    ev = ev && *ev ? ev : NULL;
    et = et && *et ? et : NULL;
    range_req r;
    memset(&r, 0, sizeof r);
    r.mode = DS_CHANGES_CDF;
    r.what = "changes";
    r.page_token = pt && *pt ? pt : NULL;
    int64_t start = -1, end = -1, st_ms = 0, et_ms = 0;
    if (sv && st)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "Multiple starting arguments provided for CDF read. Please provide "
                            "one of either startingTimestamp or startingVersion.");
    if (!sv && !st)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "No startingVersion or startingTimestamp provided for CDF read.");
    if (ev && et)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "Multiple ending arguments provided for CDF read. Please provide "
                            "one of either endingTimestamp or endingVersion.");
    if (parse_version_param(req, "startingVersion", &start, err) != DS_OK ||
        parse_version_param(req, "endingVersion", &end, err) != DS_OK ||
        (st && parse_ts_param("startingTimestamp", st, &st_ms, err) != DS_OK) ||
        (et && parse_ts_param("endingTimestamp", et, &et_ms, err) != DS_OK) ||
        bool_param(req, "includeHistoricalMetadata", &r.hist_metadata, err) != DS_OK ||
        bool_param(req, "includeHistoricalProtocol", &r.hist_protocol, err) != DS_OK)
        return err->status;
    if (mf && *mf) {
        if (ds_parse_i64(mf, INT64_MIN, INT64_MAX, &r.max_files) < 0)
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "The value of 'maxFiles' is not a number.");
        if (r.max_files <= 0)
            return ds_error_set(err, DS_ERR_INVALID_PARAM, "maxFiles must be positive.");
        if (r.max_files > INT32_MAX)
            return ds_error_set(err, DS_ERR_INVALID_PARAM,
                                "The value of 'maxFiles' is not a 32-bit integer.");
        r.has_max_files = 1;
    }
    if (!tc.t.history_shared)
        return ds_error_set(err, DS_ERR_INVALID_PARAM,
                            "Reading table changes is not supported because history sharing "
                            "is not enabled on table: %s",
                            tc.fqn);
    ds_history *h = NULL;
    if (ds_history_open(&tc.store, tc.t.location, &h, err) != DS_OK)
        return err->status;
    int64_t latest = ds_history_latest_version(h);
    char params[160];
    if ((st && ds_history_version_at(h, st_ms, DS_TS_STARTING, &start, err) != DS_OK) ||
        (et && ds_history_version_at(h, et_ms, DS_TS_ENDING, &end, err) != DS_OK))
        goto out;
    if (!ev && !et)
        end = latest;
    if (!r.page_token && start > latest) {
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "Provided Start version(%" PRId64 ") for reading change data is invalid. "
                     "Start version cannot be greater than the latest version of the "
                     "table(%" PRId64 ").",
                     start, latest);
        goto out;
    }
    if (!r.page_token && end > latest) {
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "Provided end version(%" PRId64 ") is invalid. End version cannot be "
                     "greater than the latest version of the table(%" PRId64 ").",
                     end, latest);
        goto out;
    }
    if (!r.page_token && end < start) {
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "CDF range from start %" PRId64 " to end %" PRId64 " was invalid. End "
                     "cannot be before start.",
                     start, end);
        goto out;
    }
    snprintf(params, sizeof params, "sv=%s st=%s ev=%s et=%s", sv ? sv : "-", st ? st : "-",
             ev ? ev : "-", et ? et : "-");
    r.params = params;
    r.start = start;
    r.end = end;
    r.head_at_start = r.hist_metadata;
    serve_range(req, &tc, &c, &r, h, err);
out:
    ds_history_free(h);
    return err->status;
}

ds_status ds_api_table_query(ds_request *req, ds_error *err)
{
    table_ctx tc;
    caps c;
    query q;
    json_object *body = NULL;
    ds_snapshot *s = NULL;
    ds_ndjson w;
    emit e;
    memset(&e, 0, sizeof e);
    ds_ndjson_init(&w, req);
    ds_buf_init(&e.url, 64 * 1024);
    const ds_catalog *cat = req->srv->cat;
    ds_qtoken pt = {0}, rt = {0};
    int have_page = 0, have_refresh = 0;
    const char *pbind = NULL, *rbind = NULL;

    if (open_table(req, &tc, err) != DS_OK || parse_caps(req, &c, err) != DS_OK ||
        parse_query(req, &q, &body, err) != DS_OK)
        goto out;
    if ((q.has_version || q.has_timestamp || q.has_starting_version) &&
        need_history(&tc, err) != DS_OK)
        goto out;
    if (q.has_starting_version) {
        query_range(req, &tc, &c, &q, err);
        goto out;
    }
    if (ds_signer_for(cat, tc.t.location, &tc.signer, err) != DS_OK)
        goto out;
    if (q.refresh_token) {
        rbind = refresh_binding(&tc);
        int r = rbind ? ds_qtoken_check(cat, DS_QTOKEN_REFRESH, rbind, q.refresh_token, &rt) : -1;
        if (r == -2) {
            ds_error_set(err, DS_ERR_INVALID_PARAM,
                         "The refresh token has expired. Please restart the query.");
            goto out;
        }
        if (r < 0) {
            ds_error_set(err, DS_ERR_INVALID_PARAM, "The refresh token is not valid for this table.");
            goto out;
        }
        have_refresh = 1;
    }

    /* which snapshot: the token's, the request's, or the latest */
    ds_at at = {DS_AT_LATEST, 0, 0, 0};
    if (q.has_version) {
        at.kind = DS_AT_VERSION;
        at.value = q.version;
    } else if (q.has_timestamp) {
        at.kind = DS_AT_TIMESTAMP;
        at.value = q.timestamp_ms;
    } else if (have_refresh) {
        at.kind = DS_AT_VERSION;
        at.value = rt.version;
    }
    /* a page token pins the version of the first page.  The response
     * format is part of its binding but is only known once the snapshot
     * is loaded: try both, then check the one found against the choice. */
    if (q.page_token) {
        struct query_bind qb = {&tc, &q};
        if (!(have_page = find_page_token(cat, &c, q.page_token, query_bind_for, &qb, &pt,
                                          &pbind, err)))
            goto out;
        at.kind = DS_AT_VERSION;
        at.value = pt.version;
    }
    if (ds_snapshot_load(&tc.store, tc.t.location, &at, &s, err) != DS_OK)
        goto out;
    int64_t version = ds_snapshot_version(s);
    int fmt = 0;
    if (choose_format(req, &c, s, &fmt, err) != DS_OK)
        goto out;
    if (have_page && have_page != fmt) {
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "The page token is not valid for this query (the response format "
                     "changed).");
        goto out;
    }
    if (have_page && pt.cp_version != ds_snapshot_checkpoint_version(s)) {
        ds_error_set(err, DS_ERR_INVALID_PARAM,
                     "The table's log was rewritten since the first page (a checkpoint was "
                     "added). Please restart the query.");
        goto out;
    }

    if (emit_start(&e, &tc, &w, &c, fmt, q.has_max_files, q.max_files, q.json_hints,
                   q.json_hints_len, ds_snapshot_metadata(s), err) != DS_OK)
        goto out;
    e.version_field = q.has_version || q.has_timestamp ? version : -1;
    e.has_limit = q.has_limit;
    e.limit = q.limit;
    if (have_page) {
        e.skip = pt.offset;
        e.rows = pt.rows;
    }
    int end_stream = q.has_max_files || q.include_refresh || have_refresh ||
                     (have_page && (pt.flags & DS_QTOKEN_WITH_REFRESH)) || c.end_stream;
    if (set_format_headers(&w, &c, fmt, c.end_stream, version, err) != DS_OK ||
        head_lines(&w, &tc, s, fmt, e.version_field, -1, err) != DS_OK)
        goto out;
    if (ds_snapshot_files(s, on_file, &e, err) != DS_OK)
        goto out;
    if (end_stream) {
        char next[DS_QTOKEN_MAX], refresh[DS_QTOKEN_MAX];
        const char *np = NULL, *rp = NULL;
        int want_refresh = q.include_refresh || have_refresh ||
                           (have_page && (pt.flags & DS_QTOKEN_WITH_REFRESH));
        if (want_refresh) {
            if (!rbind && !(rbind = refresh_binding(&tc))) {
                ds_error_set(err, DS_ERR_NOMEM, NULL);
                goto out;
            }
            ds_qtoken t = {0};
            t.version = version;
            t.expires_ms = ds_now_ms() + REFRESH_TOKEN_TTL_MS;
            ds_qtoken_make(cat, DS_QTOKEN_REFRESH, rbind, &t, refresh);
            rp = refresh;
        }
        if (e.more) {
            if (!pbind && !(pbind = page_binding(&tc, &q, fmt, e.id_fmt))) {
                ds_error_set(err, DS_ERR_NOMEM, NULL);
                goto out;
            }
            ds_qtoken t = {0};
            t.version = version;
            t.expires_ms = have_page ? pt.expires_ms : ds_now_ms() + PAGE_TOKEN_TTL_MS;
            t.cp_version = ds_snapshot_checkpoint_version(s);
            t.offset = e.skip + e.sent;
            t.rows = e.rows;
            t.flags = want_refresh ? DS_QTOKEN_WITH_REFRESH : 0;
            ds_qtoken_make(cat, DS_QTOKEN_PAGE, pbind, &t, next);
            np = next;
        }
        if (end_stream_line(&e, np, rp, err) != DS_OK)
            goto out;
    }
    ds_ndjson_finish(&w, err);
out:
    if (e.fmt)
        snprintf(req->note, sizeof req->note, "version=%" PRId64 " format=%s files=%" PRIu64, s ? ds_snapshot_version(s) : -1,
                 e.fmt == FMT_DELTA ? "delta" : "parquet", e.sent);
    if (err->status != DS_OK)
        ds_ndjson_fail(&w, err);
    ds_ndjson_free(&w);
    emit_free(&e);
    ds_snapshot_free(s);
    json_object_put(body);
    return err->status;
}
