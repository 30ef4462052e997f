/* check_delta.c - the log replay engine on crafted logs: listing rules,
 * reconciliation keys, protocol checks and every malformed-input path,
 * plus the JSON scanner and log-name classification tables. */
#include "config.h"
#include "delta/actions.h"
#include "delta/delta.h"
#include "delta/jscan.h"
#include "delta/snapshot_int.h"
#include "store/store.h"
#include <check.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers: a table in a temp dir -------------------------------- */

static char root[256];
static char url[300];

static void mk_table(void)
{
    snprintf(root, sizeof root, "/tmp/ds-delta-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    char p[400];
    snprintf(p, sizeof p, "%s/_delta_log", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(url, sizeof url, "file://%s", root);
}

static void rm_table(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
    char p[600];
    snprintf(p, sizeof p, "%s/_delta_log/%s", root, name);
    char *slash = strrchr(p, '/');
    *slash = '\0';
    mkdir(p, 0755);
    *slash = '/';
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void commit(int v, const char *text)
{
    char name[64];
    snprintf(name, sizeof name, "%020d.json", v);
    put(name, text);
}

#define PROTO "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
#define META "{\"metaData\":{\"id\":\"t1\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":\"{}\",\"partitionColumns\":[],\"configuration\":{}}}\n"
#define ADD(p) "{\"add\":{\"path\":\"" p "\",\"partitionValues\":{},\"size\":10,\"modificationTime\":1,\"dataChange\":true}}\n"
#define REMOVE(p) "{\"remove\":{\"path\":\"" p "\",\"deletionTimestamp\":2,\"dataChange\":true}}\n"

struct collected {
    char paths[16][128];
    int n;
};

static int collect(void *ctx, const ds_file *f, ds_error *err)
{
    struct collected *c = ctx;
    if (c->n < 16)
        snprintf(c->paths[c->n], sizeof c->paths[0], "%s%s%s", f->path, f->dv_id ? "#" : "",
                 f->dv_id ? f->dv_id : "");
    c->n++;
    return 0;
}

static int has(const struct collected *c, const char *p)
{
    for (int i = 0; i < c->n && i < 16; i++)
        if (strcmp(c->paths[i], p) == 0)
            return 1;
    return 0;
}

static ds_status load(int64_t version, ds_snapshot **s, ds_error *err)
{
    ds_store st = {&ds_local_store, NULL};
    ds_at at = {version < 0 ? DS_AT_LATEST : DS_AT_VERSION, version, 0, 0};
    ds_error_clear(err);
    return ds_snapshot_load(&st, url, &at, s, err);
}

static void files_of(ds_snapshot *s, struct collected *c)
{
    ds_error err;
    ds_error_clear(&err);
    memset(c, 0, sizeof *c);
    ck_assert_int_eq(ds_snapshot_files(s, collect, c, &err), DS_OK);
}

/* ---- replay -------------------------------------------------------- */

START_TEST(reconcile_add_remove_readd)
{
    mk_table();
    commit(0, PROTO META ADD("a") ADD("b"));
    commit(1, REMOVE("a"));
    commit(2, ADD("a") REMOVE("b"));
    ds_snapshot *s;
    ds_error err;
    ck_assert_int_eq(load(-1, &s, &err), DS_OK);
    ck_assert_int_eq(ds_snapshot_version(s), 2);
    struct collected c;
    files_of(s, &c);
    ck_assert_int_eq(c.n, 1);
    ck_assert(has(&c, "a"));
    ds_snapshot_free(s);
    ck_assert_int_eq(load(1, &s, &err), DS_OK);
    files_of(s, &c);
    ck_assert_int_eq(c.n, 1);
    ck_assert(has(&c, "b"));
    ds_snapshot_free(s);
    rm_table();
}
END_TEST

START_TEST(reconcile_keys_on_dv_and_raw_path)
{
    mk_table();
    commit(0, PROTO META ADD("p%20q"));
    /* same path, new DV: remove old key, add new key */
    commit(1, "{\"remove\":{\"path\":\"p%20q\",\"dataChange\":true}}\n"
              "{\"add\":{\"path\":\"p%20q\",\"size\":10,\"dataChange\":true,\"partitionValues\":{},"
              "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\","
              "\"offset\":1,\"sizeInBytes\":34,\"cardinality\":2}}}\n");
    /* a remove of the decoded spelling is a different key */
    commit(2, REMOVE("p q"));
    ds_snapshot *s;
    ds_error err;
    ck_assert_int_eq(load(-1, &s, &err), DS_OK);
    struct collected c;
    files_of(s, &c);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.paths[0], "p%20q#uab^-aqEH.-t@S}K{vb[*k^@1");
    ds_snapshot_free(s);
    rm_table();
}
END_TEST

START_TEST(metadata_and_protocol_latest_win)
{
    mk_table();
    commit(0, PROTO META ADD("a"));
    commit(1, "{\"metaData\":{\"id\":\"t2\",\"format\":{\"provider\":\"parquet\"},\"schemaString\":\"{}\","
              "\"partitionColumns\":[\"x\"],\"configuration\":{\"k\":\"v\"}}}\n"
              "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
              "[\"deletionVectors\"],\"writerFeatures\":[\"deletionVectors\"]}}\n");
    ds_snapshot *s;
    ds_error err;
    ck_assert_int_eq(load(-1, &s, &err), DS_OK);
    ck_assert_str_eq(ds_snapshot_metadata(s)->id, "t2");
    ck_assert_str_eq(ds_metadata_conf(ds_snapshot_metadata(s), "k"), "v");
    ck_assert_int_eq(ds_snapshot_protocol(s)->min_reader, 3);
    ds_snapshot_free(s);
    ck_assert_int_eq(load(0, &s, &err), DS_OK);
    ck_assert_str_eq(ds_snapshot_metadata(s)->id, "t1");
    ds_snapshot_free(s);
    rm_table();
}
END_TEST

START_TEST(ignored_names_and_hints)
{
    mk_table();
    commit(0, PROTO META ADD("a"));
    commit(1, ADD("b"));
    /* things that are not commits */
    put(".00000000000000000002.json.tmp", "garbage");
    put("00000000000000000002.crc", "garbage");
    put("00000000000000000000.00000000000000000001.compacted.json", "garbage");
    put("_staged_commits/00000000000000000002.0d3c1b2a-0000-0000-0000-000000000000.json",
        ADD("staged"));
    put("0000000000000000002.json", "garbage"); /* 19 digits */
    put("00000000000000000002.checkpoint.0000000001.0000000002.parquet", "partial multi-part");
    put("00000000000000000001.checkpoint.parquet", ""); /* 0-byte: skipped */
    static const char *const hints[] = {"", "{", "not json", "{\"version\":1,\"size\":2}",
                                        "{\"size\":8,\"size_in_bytes\":21857,\"version\":1}",
                                        "{\"version\":7}", "{\"version\":-3}"};
    for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++) {
        put("_last_checkpoint", hints[i]);
        ds_snapshot *s;
        ds_error err;
        ck_assert_msg(load(-1, &s, &err) == DS_OK, "hint '%s': %s / %s", hints[i], err.message,
                      err.detail);
        ck_assert_int_eq(ds_snapshot_version(s), 1);
        ck_assert_int_eq(ds_snapshot_checkpoint_version(s), -1);
        struct collected c;
        files_of(s, &c);
        ck_assert_int_eq(c.n, 2);
        ds_snapshot_free(s);
    }
    rm_table();
}
END_TEST

/* ---- failures: each gives its kind and a clean error ---------------- */

struct bad_case {
    const char *name;
    const char *c0, *c1, *c2; /* commits 0..2 (NULL: absent) */
    int64_t version;          /* -1: latest */
    const char *kind;
    const char *in_message;   /* substring of the public message, or NULL */
};

static const struct bad_case bad_cases[] = {
    {"commit line not JSON", PROTO META "{\"add\": nope}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"truncated line", PROTO META "{\"add\":{\"path\":\"a\"", NULL, NULL, -1, "corrupt-log", NULL},
    {"line is an array", PROTO META "[1,2]\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"add without path", PROTO META "{\"add\":{\"size\":1}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"add with empty path", PROTO META "{\"add\":{\"path\":\"\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"remove without path", PROTO META "{\"remove\":{\"dataChange\":true}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"size not a number", PROTO META "{\"add\":{\"path\":\"a\",\"size\":\"10\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"size is a double", PROTO META "{\"add\":{\"path\":\"a\",\"size\":1.5}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"size overflows int64", PROTO META "{\"add\":{\"path\":\"a\",\"size\":99999999999999999999}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"path not a string", PROTO META "{\"add\":{\"path\":7}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"bad escape", PROTO META "{\"add\":{\"path\":\"a\\q\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"lone surrogate", PROTO META "{\"add\":{\"path\":\"\\ud800\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"NUL escape", PROTO META "{\"add\":{\"path\":\"a\\u0000b\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"raw control char", PROTO META "{\"add\":{\"path\":\"a\tb\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"DV without path", PROTO META "{\"add\":{\"path\":\"a\",\"deletionVector\":{\"storageType\":\"u\"}}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"partitionValues an array", PROTO META "{\"add\":{\"path\":\"a\",\"partitionValues\":[]}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"metaData without id", PROTO "{\"metaData\":{\"schemaString\":\"{}\"}}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"protocol without versions", "{\"protocol\":{}}\n" META, NULL, NULL, -1, "corrupt-log", NULL},
    {"too deep", PROTO META "{\"commitInfo\":" "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[" "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]" "}\n", NULL, NULL, -1, "corrupt-log", NULL},
    {"gap in versions", PROTO META ADD("a"), NULL, ADD("c"), -1, "non-contiguous-versions", "missing commit 1"},
    {"no commit 0 and no checkpoint", NULL, PROTO META, NULL, -1, "non-contiguous-versions", NULL},
    {"no metadata", PROTO ADD("a"), NULL, NULL, -1, "missing-metadata", NULL},
    {"no protocol", META ADD("a"), NULL, NULL, -1, "missing-protocol", NULL},
    {"reader version 4", "{\"protocol\":{\"minReaderVersion\":4,\"minWriterVersion\":7}}\n" META, NULL, NULL, -1, "unsupported-reader-version", "reader version 4"},
    {"unknown reader feature", "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\",\"fancyNewThing\"],\"writerFeatures\":[]}}\n" META, NULL, NULL, -1, "unsupported-reader-feature", "fancyNewThing"},
    {"catalogManaged", "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"catalogManaged\"],\"writerFeatures\":[\"catalogManaged\"]}}\n" META, NULL, NULL, -1, "unsupported-reader-feature", "catalogManaged"},
    {"version beyond latest", PROTO META ADD("a"), NULL, NULL, 5, "version-not-found", "latest is 0"},
    {"negative version", PROTO META ADD("a"), NULL, NULL, -2, "version-not-found", "negative"},
    {"empty log", NULL, NULL, NULL, -1, "not-a-delta-table", NULL},
};

START_TEST(bad_logs)
{
    const struct bad_case *bc = &bad_cases[_i];
    mk_table();
    if (bc->c0)
        commit(0, bc->c0);
    if (bc->c1)
        commit(1, bc->c1);
    if (bc->c2)
        commit(2, bc->c2);
    ds_snapshot *s = NULL;
    ds_error err;
    ds_store st = {&ds_local_store, NULL};
    ds_at at = {bc->version == -1 ? DS_AT_LATEST : DS_AT_VERSION, bc->version, 0, 0};
    ds_error_clear(&err);
    ds_status rc = ds_snapshot_load(&st, url, &at, &s, &err);
    ck_assert_msg(rc != DS_OK, "%s: loaded", bc->name);
    ck_assert_ptr_null(s);
    ck_assert_msg(err.kind && strcmp(err.kind, bc->kind) == 0, "%s: kind %s, want %s (%s)",
                  bc->name, err.kind ? err.kind : "(none)", bc->kind, err.detail);
    if (bc->in_message)
        ck_assert_msg(strstr(err.message, bc->in_message), "%s: message '%s'", bc->name,
                      err.message);
    /* never internal detail in the public message */
    ck_assert_ptr_null(strstr(err.message, root));
    ck_assert_ptr_null(strstr(err.message, "_delta_log"));
    rm_table();
}
END_TEST

START_TEST(corrupt_checkpoint_is_a_safe_error)
{
    mk_table();
    commit(0, PROTO META ADD("a"));
    commit(1, ADD("b"));
    /* a checkpoint with valid magic and a footer length past the file */
    put("00000000000000000001.checkpoint.parquet", "PAR1garbage-not-a-footer\x7f\x7f\x7f\x7fPAR1");
    ds_snapshot *s = NULL;
    ds_error err;
    ck_assert_int_ne(load(-1, &s, &err), DS_OK);
    ck_assert_ptr_null(s);
    ck_assert_str_eq(err.kind, "corrupt-log");
    ck_assert_str_eq(err.message, DS_LOG_CORRUPT_MESSAGE);
    /* the reader's own wording is kept for the log */
    ck_assert_msg(strstr(err.detail, "Parquet") != NULL, "detail: %s", err.detail);
    ck_assert_msg(strstr(err.detail, "checkpoint") != NULL, "detail: %s", err.detail);
    rm_table();
}
END_TEST

START_TEST(not_a_table)
{
    ds_store st = {&ds_local_store, NULL};
    ds_at at = {DS_AT_LATEST, 0, 0, 0};
    ds_snapshot *s;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_ne(ds_snapshot_load(&st, "file:///nonexistent/table/x", &at, &s, &err), DS_OK);
    ck_assert_str_eq(err.kind, "not-a-delta-table");
    ck_assert_int_eq(err.status, DS_ERR_NOT_FOUND);
}
END_TEST

/* ---- every corruption of a commit: a clean answer, never a crash ------ */

/* A real-shaped commit: protocol, metadata with a schema string full of
 * escapes, and adds with partition values, stats and a deletion vector. */
static const char good_commit[] =
    "{\"commitInfo\":{\"timestamp\":1,\"operation\":\"WRITE\",\"operationParameters\":{\"mode\":\"Append\"}}}\n"
    PROTO
    "{\"metaData\":{\"id\":\"t\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
    "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[]}\",\"partitionColumns\":[\"p\"],"
    "\"configuration\":{\"delta.enableChangeDataFeed\":\"true\"},\"createdTime\":5}}\n"
    "{\"add\":{\"path\":\"p=1/a%20b.parquet\",\"partitionValues\":{\"p\":\"1\"},\"size\":10,"
    "\"modificationTime\":1,\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":3}\","
    "\"tags\":{\"k\":\"v\"},\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\",\"sizeInBytes\":40,\"cardinality\":6}}}\n"
    "{\"add\":{\"path\":\"p=2/c.parquet\",\"partitionValues\":{\"p\":null},\"size\":20,"
    "\"modificationTime\":2,\"dataChange\":false}}\n"
    "{\"remove\":{\"path\":\"old.parquet\",\"deletionTimestamp\":3,\"dataChange\":true}}\n";

START_TEST(every_corruption_is_handled)
{
    mk_table();
    size_t n = strlen(good_commit);
    char *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    static const char subst[] = {'{', '}', '[', '"', '\\', ',', ':', 'x', '0', '\n', ' ', '\x7f',
                                 (char)0xc3};
    int loaded = 0, refused = 0;
    ds_snapshot *s;
    ds_error err;
    /* the original loads */
    commit(0, good_commit);
    ck_assert_int_eq(load(-1, &s, &err), DS_OK);
    struct collected c;
    files_of(s, &c);
    ck_assert_int_eq(c.n, 2);
    ds_snapshot_free(s);
    for (size_t pos = 0; pos < n; pos++) {
        for (size_t k = 0; k <= sizeof subst; k++) {
            memcpy(buf, good_commit, n + 1);
            if (k == sizeof subst)
                buf[pos] = '\0'; /* truncation at pos */
            else if (buf[pos] == subst[k])
                continue;
            else
                buf[pos] = subst[k];
            commit(0, buf);
            if (load(-1, &s, &err) == DS_OK) {
                files_of(s, &c); /* the listing works too */
                ds_snapshot_free(s);
                loaded++;
            } else {
                ck_assert_msg(err.kind != NULL, "byte %zu -> %d: error without a kind (%s)", pos,
                              (int)k, err.message);
                ck_assert_msg(err.message[0] != '\0', "byte %zu: empty message", pos);
                refused++;
            }
        }
    }
    free(buf);
    ck_assert_int_gt(refused, 0);
    ck_assert_int_gt(loaded, 0);
    rm_table();
}
END_TEST

/* ---- the JSON scanner ------------------------------------------------- */

static const struct {
    const char *in;
    int valid;
} values[] = {
    {"{}", 1}, {"[]", 1}, {"\"\"", 1}, {"0", 1}, {"-0.5e+3", 1}, {"true", 1}, {"null", 1},
    {"{\"a\":[1,{\"b\":null}],\"c\":\"\\u00e9\\n\"}", 1}, {" {\"a\" : 1 } ", 1},
    {"", 0}, {"{", 0}, {"[1,]", 0}, {"{\"a\":}", 0}, {"{a:1}", 0}, {"01", 0}, {"1.", 0},
    {"-", 0}, {"tru", 0}, {"\"abc", 0}, {"\"\\x\"", 0}, {"\"\\u12\"", 0}, {"{\"a\" 1}", 0},
    {"[1 2]", 0}, {"nul", 0}, {"+1", 0}, {".5", 0},
};

START_TEST(jscan_values)
{
    const char *in = values[_i].in;
    const char *end = in + strlen(in);
    const char *e = ds_js_value_end(in, end, 0);
    int ok = e && ds_js_skip_ws(e, end) == end;
    ck_assert_msg(ok == values[_i].valid, "'%s': valid=%d", in, ok);
}
END_TEST

/* Strings of every length up to 48 with a special byte at every position,
 * so that the 16-byte scans meet it in each lane and at each block edge:
 * a control byte or a bad escape makes the value invalid; a good escape,
 * an escaped quote or a run of backslashes does not; the iterator then
 * finds the key after the string. */
START_TEST(jscan_long_strings)
{
    char buf[128], obj[192];
    for (int len = 1; len <= 48; len++)
        for (int at = 0; at < len; at++)
            for (int kind = 0; kind < 5; kind++) {
                static const char *const ins[] = {"\x01", "\x1f", "\\x", "\\n", "\\\""};
                static const int valid[] = {0, 0, 0, 1, 1};
                const char *in = ins[kind];
                size_t il = strlen(in);
                size_t n = 0;
                buf[n++] = '"';
                for (int k = 0; k < len; k++) {
                    if (k == at) {
                        memcpy(buf + n, in, il);
                        n += il;
                    } else {
                        buf[n++] = (char)('a' + k % 26);
                    }
                }
                buf[n++] = '"';
                const char *e = ds_js_value_end(buf, buf + n, 0);
                int ok = e == buf + n;
                ck_assert_msg(ok == valid[kind], "len %d at %d kind %d: valid=%d", len, at,
                              kind, ok);
                if (!ok)
                    continue;
                int m = snprintf(obj, sizeof obj, "{\"k\":%.*s,\"z\":1}", (int)n, buf);
                js_span o = {obj, obj + m}, key, val;
                js_iter it;
                ck_assert_ptr_eq(ds_js_value_end(obj, obj + m, 0), obj + m);
                ck_assert_int_eq(ds_js_obj_begin(&it, o), 0);
                ck_assert_int_eq(ds_js_obj_next(&it, &key, &val), 1);
                ck_assert_ptr_eq(val.end, obj + 5 + n);
                ck_assert_int_eq(ds_js_obj_next(&it, &key, &val), 1);
                ck_assert(ds_js_key_is(key, "z"));
                ck_assert_int_eq(ds_js_obj_next(&it, &key, &val), 0);
            }
}
END_TEST

START_TEST(jscan_strings)
{
    ds_arena *a = ds_arena_new(0);
    const char *s = "\"a\\\"b\\\\c\\/d\\u00e9\\ud83d\\ude00\\t\"";
    js_span v = {s, s + strlen(s)};
    size_t n;
    char *out = ds_js_str(v, a, &n);
    ck_assert_ptr_nonnull(out);
    ck_assert_str_eq(out, "a\"b\\c/d\xc3\xa9\xf0\x9f\x98\x80\t");
    ck_assert_uint_eq(n, strlen(out));
    const char *bad[] = {"\"\\udc00\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\u0000\""};
    for (size_t i = 0; i < 4; i++) {
        js_span b = {bad[i], bad[i] + strlen(bad[i])};
        ck_assert_msg(ds_js_str(b, a, NULL) == NULL, "%s decoded", bad[i]);
    }
    int64_t x;
    const char *nums[] = {"9223372036854775807", "-9223372036854775808"};
    for (int i = 0; i < 2; i++) {
        js_span nv = {nums[i], nums[i] + strlen(nums[i])};
        ck_assert_int_eq(ds_js_i64(nv, &x), 0);
    }
    const char *big = "9223372036854775808";
    js_span bv = {big, big + strlen(big)};
    ck_assert_int_eq(ds_js_i64(bv, &x), -1);
    ds_arena_free(a);
}
END_TEST

/* ---- log names -------------------------------------------------------- */

static const struct {
    const char *name;
    int kind; /* 0: ignored */
    long long version;
    int part, nparts;
} names[] = {
    {"00000000000000000000.json", DS_LOG_COMMIT, 0, 0, 0},
    {"00000000000000000012.json", DS_LOG_COMMIT, 12, 0, 0},
    {"00000000000000000010.checkpoint.parquet", DS_LOG_CP_CLASSIC, 10, 0, 0},
    {"00000000000000000010.checkpoint.0000000002.0000000003.parquet", DS_LOG_CP_MULTI, 10, 2, 3},
    {"00000000000000000002.checkpoint.e8fa2696-9728-4e9c-b285-634743fdd4fb.parquet", DS_LOG_CP_UUID_PARQUET, 2, 0, 0},
    {"00000000000000000002.checkpoint.e8fa2696-9728-4e9c-b285-634743fdd4fb.json", DS_LOG_CP_UUID_JSON, 2, 0, 0},
    {"00000000000000000010.checkpoint.0000000001.0000000001.parquet", 0, 0, 0, 0},
    {"00000000000000000010.checkpoint.0000000004.0000000003.parquet", 0, 0, 0, 0},
    {"00000000000000000002.checkpoint.E8FA2696-9728-4e9c-b285-634743fdd4fb.json", 0, 0, 0, 0},
    {"0000000000000000000.json", 0, 0, 0, 0},
    {"000000000000000000001.json", 0, 0, 0, 0},
    {"00000000000000000001.crc", 0, 0, 0, 0},
    {"00000000000000000001.00000000000000000003.compacted.json", 0, 0, 0, 0},
    {"00000000000000000001.json.tmp", 0, 0, 0, 0},
    {"0000000000000000000a.json", 0, 0, 0, 0},
    {"_last_checkpoint", 0, 0, 0, 0},
};

START_TEST(log_names)
{
    ds_log_entry e;
    memset(&e, 0, sizeof e);
    int k = ds_log_classify(names[_i].name, &e) ? (int)e.kind : 0;
    ck_assert_msg(k == names[_i].kind, "%s: kind %d want %d", names[_i].name, k, names[_i].kind);
    if (k) {
        ck_assert_int_eq(e.version, names[_i].version);
        ck_assert_int_eq(e.part, names[_i].part);
        ck_assert_int_eq(e.nparts, names[_i].nparts);
    }
}
END_TEST

START_TEST(reader_features)
{
    ck_assert(ds_reader_feature_supported("deletionVectors"));
    ck_assert(ds_reader_feature_supported("variantShredding-preview"));
    ck_assert(!ds_reader_feature_supported("catalogManaged"));
    ck_assert(!ds_reader_feature_supported("catalogOwned-preview"));
    ck_assert(!ds_reader_feature_supported("DeletionVectors"));
}
END_TEST

/* ---- a checkpoint of several row groups, decoded on two threads ------- */

struct walk {
    char **cp_paths; /* checkpoint adds (version -1) in the order received */
    size_t ncp, cap;
    char **all;
    size_t nall, allcap;
    size_t stop_after; /* 0: never stop */
};

static int walk_cb(void *ctx, const ds_file *f, ds_error *err)
{
    (void)err;
    struct walk *w = ctx;
    if (w->nall == w->allcap) {
        w->allcap = w->allcap ? w->allcap * 2 : 1024;
        w->all = realloc(w->all, w->allcap * sizeof *w->all);
        ck_assert_ptr_nonnull(w->all);
    }
    w->all[w->nall++] = strdup(f->path);
    if (f->version < 0) {
        if (w->ncp == w->cap) {
            w->cap = w->cap ? w->cap * 2 : 1024;
            w->cp_paths = realloc(w->cp_paths, w->cap * sizeof *w->cp_paths);
            ck_assert_ptr_nonnull(w->cp_paths);
        }
        w->cp_paths[w->ncp++] = w->all[w->nall - 1];
    }
    return w->stop_after && w->nall >= w->stop_after ? 1 : 0;
}

static void walk_free(struct walk *w)
{
    for (size_t i = 0; i < w->nall; i++)
        free(w->all[i]);
    free(w->all);
    free(w->cp_paths);
    memset(w, 0, sizeof *w);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SHA-256 hex of the strings, each followed by a newline. */
static void digest(char **v, size_t n, char hex[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[32];
    crypto_hash_sha256_init(&st);
    for (size_t i = 0; i < n; i++) {
        crypto_hash_sha256_update(&st, (const unsigned char *)v[i], strlen(v[i]));
        crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    }
    crypto_hash_sha256_final(&st, h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
}

/* A value of the expected file (flat JSON written by the generator). */
static void expected(const char *key, char *out, size_t n)
{
    char path[512], buf[4096], pat[128];
    const char *top = getenv("top_srcdir");
    snprintf(path, sizeof path, "%s/tests/data/delta/many-row-groups.expected.json",
             top ? top : ".");
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    size_t got = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[got] = '\0';
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(buf, pat);
    ck_assert_msg(p != NULL, "no %s in %s", key, path);
    p += strlen(pat);
    if (*p == '"')
        p++;
    size_t k = 0;
    while (p[k] && p[k] != '"' && p[k] != ',' && p[k] != '\n' && k + 1 < n) {
        out[k] = p[k];
        k++;
    }
    out[k] = '\0';
}

static ds_snapshot *load_many(const char *dir)
{
    static char u[PATH_MAX + 8];
    char rp[PATH_MAX]; /* realpath() writes up to PATH_MAX: _FORTIFY_SOURCE aborts on less */
    ck_assert_ptr_nonnull(realpath(dir, rp));
    snprintf(u, sizeof u, "file://%s", rp);
    static ds_store st;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_store_for(NULL, u, &st, &err), DS_OK);
    ds_at at = {DS_AT_LATEST, 0, 0, 0};
    ds_snapshot *s = NULL;
    ck_assert_msg(ds_snapshot_load(&st, u, &at, &s, &err) == DS_OK, "%s: %s %s", u, err.message,
                  err.detail);
    ck_assert_int_eq(ds_snapshot_checkpoint_version(s), 10);
    return s;
}

static const char *many_dir(void)
{
    static char d[512];
    const char *top = getenv("top_srcdir");
    snprintf(d, sizeof d, "%s/tests/data/delta/many-row-groups", top ? top : ".");
    return d;
}

/* The checkpoint's adds arrive in file order (as DuckDB reads them back)
 * although two workers decode alternate row groups; the live set is whole. */
START_TEST(row_groups_in_file_order)
{
    ds_snapshot *s = load_many(many_dir());
    struct walk w = {0};
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_snapshot_files(s, walk_cb, &w, &err), DS_OK);
    char want[128], hex[65];
    expected("live", want, sizeof want);
    ck_assert_uint_eq(w.nall, strtoul(want, NULL, 10));
    /* the checkpoint's adds not removed by the tail, in the file's order:
     * the expected digest is over all of them, so rebuild the removed ones'
     * places from the full order the generator hashed */
    expected("removed_from_checkpoint", want, sizeof want);
    size_t removed = strtoul(want, NULL, 10);
    expected("checkpoint_adds", want, sizeof want);
    ck_assert_uint_eq(w.ncp + removed, strtoul(want, NULL, 10));
    qsort(w.all, w.nall, sizeof *w.all, cmp_str);
    digest(w.all, w.nall, hex);
    expected("live_sorted_sha256", want, sizeof want);
    ck_assert_str_eq(hex, want);
    walk_free(&w);
    ds_snapshot_free(s);
}
END_TEST

/* Order check on a copy whose tail removes nothing from the checkpoint:
 * then every checkpoint add is streamed, and their order must hash to the
 * generator's file-order digest. */
START_TEST(row_groups_order_digest)
{
    char tmp[] = "/tmp/ds-rg-XXXXXX", cmd[1400];
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/_delta_log' && cp '%s/_delta_log/00000000000000000010.checkpoint.parquet' "
             "'%s/_delta_log/'",
             tmp, many_dir(), tmp);
    ck_assert_int_eq(system(cmd), 0);
    ds_snapshot *s = load_many(tmp);
    struct walk w = {0};
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_snapshot_files(s, walk_cb, &w, &err), DS_OK);
    char want[128], hex[65];
    expected("checkpoint_adds", want, sizeof want);
    ck_assert_uint_eq(w.ncp, strtoul(want, NULL, 10));
    digest(w.cp_paths, w.ncp, hex);
    expected("checkpoint_order_sha256", want, sizeof want);
    ck_assert_str_eq(hex, want);
    /* stopping early at any point (batch and row-group edges included)
     * gives exactly the first files, and the workers wind down */
    static const size_t stops[] = {1, 4095, 4096, 4097, 6144, 6145, 12288, 23999, 24000};
    for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
        struct walk e = {0};
        e.stop_after = stops[k];
        ds_error_clear(&err);
        ck_assert_int_eq(ds_snapshot_files(s, walk_cb, &e, &err), DS_OK);
        ck_assert_uint_eq(e.nall, stops[k]);
        for (size_t i = 0; i < e.nall; i++)
            ck_assert_str_eq(e.all[i], w.all[i]);
        walk_free(&e);
    }
    walk_free(&w);
    ds_snapshot_free(s);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Damage in later row groups is met by a worker thread: the error reaches
 * the caller (never a hang, a crash or a silent short listing). */
START_TEST(row_group_damage_reaches_the_caller)
{
    char tmp[] = "/tmp/ds-rg-XXXXXX", cmd[1400], cp[600];
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(cmd, sizeof cmd,
             "mkdir -p '%s/_delta_log' && cp '%s/_delta_log/00000000000000000010.checkpoint.parquet' "
             "'%s/_delta_log/'",
             tmp, many_dir(), tmp);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(cp, sizeof cp, "%s/_delta_log/00000000000000000010.checkpoint.parquet", tmp);
    struct stat sb;
    ck_assert_int_eq(stat(cp, &sb), 0);
    int errors = 0;
    for (int pct = 35; pct <= 85; pct += 10) {
        /* a fresh copy with 256 bytes of 0xff at pct% of the file */
        snprintf(cmd, sizeof cmd,
                 "cp '%s/_delta_log/00000000000000000010.checkpoint.parquet' '%s'", many_dir(),
                 cp);
        ck_assert_int_eq(system(cmd), 0);
        FILE *fp = fopen(cp, "r+b");
        ck_assert_ptr_nonnull(fp);
        ck_assert_int_eq(fseek(fp, (long)(sb.st_size * pct / 100), SEEK_SET), 0);
        for (int i = 0; i < 256; i++)
            fputc(0xff, fp);
        fclose(fp);
        ds_snapshot *s = load_many(tmp);
        struct walk w = {0};
        ds_error err;
        ds_error_clear(&err);
        ds_status st = ds_snapshot_files(s, walk_cb, &w, &err);
        if (st != DS_OK) {
            errors++;
            ck_assert_msg(err.kind && strcmp(err.kind, "corrupt-log") == 0,
                          "at %d%%: %s (%s)", pct, err.message, err.kind ? err.kind : "-");
            ck_assert_uint_lt(w.nall, 24000);
        } else {
            ck_assert_uint_eq(w.nall, 24000); /* damage inside a value: still whole */
        }
        walk_free(&w);
        ds_snapshot_free(s);
    }
    ck_assert_int_gt(errors, 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("delta");
    TCase *t = tcase_create("replay");
    tcase_add_test(t, reconcile_add_remove_readd);
    tcase_add_test(t, reconcile_keys_on_dv_and_raw_path);
    tcase_add_test(t, metadata_and_protocol_latest_win);
    tcase_add_test(t, ignored_names_and_hints);
    tcase_add_loop_test(t, bad_logs, 0, sizeof bad_cases / sizeof bad_cases[0]);
    tcase_add_test(t, not_a_table);
    tcase_add_test(t, corrupt_checkpoint_is_a_safe_error);
    tcase_add_test(t, every_corruption_is_handled);
    tcase_add_test(t, row_groups_in_file_order);
    tcase_add_test(t, row_groups_order_digest);
    tcase_add_test(t, row_group_damage_reaches_the_caller);
    tcase_set_timeout(t, 120);
    suite_add_tcase(s, t);
    TCase *j = tcase_create("jscan");
    tcase_add_loop_test(j, jscan_values, 0, sizeof values / sizeof values[0]);
    tcase_add_test(j, jscan_strings);
    tcase_add_test(j, jscan_long_strings);
    tcase_add_loop_test(j, log_names, 0, sizeof names / sizeof names[0]);
    tcase_add_test(j, reader_features);
    suite_add_tcase(s, j);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
