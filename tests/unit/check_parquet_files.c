/* check_parquet_files.c - the Parquet reader on real files.
 *
 * 1. Generated files (tests/data/parquet/, see generate.mjs there): one
 *    data set written by DuckDB and by arrow-rs with different page
 *    versions, encodings, codecs, row group and page sizes.  Every leaf of
 *    every file is decoded and compared, level entry by level entry, with
 *    the levels and values shredded here from rows.jsonl.gz (what DuckDB
 *    says the rows are).  Each file is also checked to really contain the
 *    feature it is there for (v2 pages, DELTA_* encodings, a dictionary
 *    fallback inside a chunk, several pages per chunk, the codec).
 * 2. Column projection: a cursor reads only its own chunk.
 * 3. The Delta checkpoint fixtures under $DS_SHARED/fixtures: footers
 *    against the facts recorded in each <table>.expected.json, every leaf
 *    decoded, and the add actions, protocol and metadata of checkpoints
 *    that are a complete snapshot against that snapshot. */
#include "config.h"
#include "deltasharing.h"
#include "pqtest.h"
#include "testutil.h"
#include <check.h>
#include <dirent.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
/* For checks inside loops over many entries: Check reports every passing
 * ck_assert to the runner, which is slow by the million. */
#define REQUIRE(cond, ...)                                                                       \
    do {                                                                                         \
        if (!(cond))                                                                             \
            ck_abort_msg(__VA_ARGS__);                                                           \
    } while (0)

static const char *data_dir(void)
{
    const char *d = getenv("top_srcdir");
    return d && *d ? d : ".";
}

/* ====================================================================
 * Page-level facts about a file (what the generated files must contain)
 * ================================================================== */

typedef struct facts {
    unsigned codecs;     /* bit per codec */
    unsigned page_types; /* bit per page type */
    unsigned encodings;  /* bit per data page value encoding */
    int fallback;        /* a chunk has a dictionary page, then a page in another encoding */
    int max_data_pages;  /* most data pages in one chunk */
    int v2_uncompressed; /* a v2 page with is_compressed = false */
} facts;

static void page_facts(ds_pq_file *f, const unsigned char *file, facts *out)
{
    memset(out, 0, sizeof *out);
    for (int g = 0; g < f->nrgs; g++)
        for (int j = 0; j < f->nleaves; j++) {
            const ds_pq_chunk *ch = &f->rgs[g].cols[j];
            out->codecs |= 1u << ch->codec;
            uint64_t pos = ch->start;
            int dict = 0, other = 0, pages = 0;
            while (pos < ch->end) {
                ds_pq_tr t;
                ds_pq_tr_init(&t, file + pos, (size_t)(ch->end - pos));
                ck_assert_int_eq(ds_pq_tr_struct_begin(&t), 0);
                int16_t last = 0, id;
                int ft, type = -1, enc = -1, compressed = 1;
                int32_t csize = -1, v;
                while (ds_pq_tr_field(&t, &last, &ft, &id) == 1) {
                    if (id == 1 || id == 3) {
                        ck_assert_int_eq(ds_pq_tr_i32(&t, &v), 0);
                        if (id == 1)
                            type = v;
                        else
                            csize = v;
                    } else if ((id == 5 || id == 8) && ft == DS_TT_STRUCT) {
                        ck_assert_int_eq(ds_pq_tr_struct_begin(&t), 0);
                        int16_t l2 = 0, i2;
                        int f2;
                        while (ds_pq_tr_field(&t, &l2, &f2, &i2) == 1) {
                            if (i2 == (id == 5 ? 2 : 4) && f2 == DS_TT_I32) {
                                ck_assert_int_eq(ds_pq_tr_i32(&t, &v), 0);
                                enc = v;
                            } else {
                                if (id == 8 && i2 == 7)
                                    compressed = f2 == DS_TT_TRUE;
                                ck_assert_int_eq(ds_pq_tr_skip(&t, f2), 0);
                            }
                        }
                        ds_pq_tr_struct_end(&t);
                    } else {
                        ck_assert_int_eq(ds_pq_tr_skip(&t, ft), 0);
                    }
                }
                ck_assert(type >= 0 && csize >= 0);
                out->page_types |= 1u << type;
                if (type == 3 && !compressed)
                    out->v2_uncompressed = 1;
                if (type == 0 || type == 3) {
                    pages++;
                    out->encodings |= 1u << enc;
                    if (enc == DS_PQE_PLAIN_DICTIONARY || enc == DS_PQE_RLE_DICTIONARY)
                        dict = 1;
                    else if (dict)
                        other = 1;
                }
                pos += (uint64_t)(t.p - (file + pos)) + (uint64_t)csize;
            }
            if (dict && other)
                out->fallback = 1;
            if (pages > out->max_data_pages)
                out->max_data_pages = pages;
        }
}

/* ====================================================================
 * Expected rows and the shredder (Dremel levels computed from JSON)
 * ================================================================== */

static json_object **rows;
static size_t nrows;

static void load_rows(void)
{
    if (rows)
        return;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/parquet/rows.jsonl.gz", data_dir());
    gzFile gz = gzopen(path, "rb");
    ck_assert_msg(gz != NULL, "cannot open %s", path);
    static char line[1 << 16];
    size_t cap = 0;
    while (gzgets(gz, line, sizeof line)) {
        if (nrows == cap) {
            cap = cap ? cap * 2 : 1024;
            rows = realloc(rows, cap * sizeof *rows);
            ck_assert_ptr_nonnull(rows);
        }
        rows[nrows] = json_tokener_parse(line);
        ck_assert_msg(rows[nrows] != NULL, "bad JSON on line %zu", nrows + 1);
        nrows++;
    }
    gzclose(gz);
    ck_assert_uint_eq(nrows, 4000);
}

typedef struct xentry {
    int def, rep;
    json_object *val;  /* NULL: no value */
    const char *key;   /* a map key (val unused) */
} xentry;

typedef struct xvec {
    xentry *e;
    size_t n, cap;
} xvec;

static void xpush(xvec *x, int def, int rep, json_object *val, const char *key)
{
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 256;
        x->e = realloc(x->e, x->cap * sizeof *x->e);
        REQUIRE((x->e) != NULL, "check failed at line %d", __LINE__);
    }
    x->e[x->n++] = (xentry){def, rep, val, key};
}

/* chain[k..] are the schema nodes from a child of the root down to the
 * leaf; v is the JSON value at chain[k]; d and r the levels so far; nrep
 * the number of repeated ancestors so far. */
static void shred(const ds_pq_file *f, const int *chain, int k, json_object *v, const char *key,
                  int d, int r, int nrep, xvec *out)
{
    const ds_pq_node *n = ds_pq_node_at(f, chain[k]);
    int is_null = !key && (!v || json_object_get_type(v) == json_type_null);
    if (n->is_leaf) {
        REQUIRE((n->repetition) != (DS_PQ_REPEATED), "check failed at line %d", __LINE__);
        if (is_null) {
            REQUIRE(n->repetition == DS_PQ_OPTIONAL, "null in required leaf %s", n->name);
            xpush(out, d, r, NULL, NULL);
        } else {
            xpush(out, d + (n->repetition == DS_PQ_OPTIONAL), r, v, key);
        }
        return;
    }
    if (is_null) {
        REQUIRE(n->repetition == DS_PQ_OPTIONAL, "check failed at line %d", __LINE__);
        xpush(out, d, r, NULL, NULL);
        return;
    }
    int d1 = d + (n->repetition == DS_PQ_OPTIONAL);
    const ds_pq_node *nx = ds_pq_node_at(f, chain[k + 1]);
    if (nx->repetition == DS_PQ_REPEATED) { /* LIST or MAP */
        REQUIRE(!nx->is_leaf, "check failed at line %d", __LINE__);
        int dr = d1 + 1, rr = nrep + 1;
        if (json_object_get_type(v) == json_type_array) {
            size_t len = json_object_array_length(v);
            if (len == 0)
                xpush(out, d1, r, NULL, NULL);
            for (size_t i = 0; i < len; i++)
                shred(f, chain, k + 2, json_object_array_get_idx(v, i), NULL, dr, i ? rr : r,
                      rr, out);
        } else {
            REQUIRE((json_object_get_type(v)) == (json_type_object), "check failed at line %d", __LINE__);
            int is_key = chain[k + 2] == ds_pq_child(f, chain[k + 1], 0);
            int i = 0;
            if (json_object_object_length(v) == 0)
                xpush(out, d1, r, NULL, NULL);
            json_object_object_foreach(v, mk, mv)
            {
                shred(f, chain, k + 2, is_key ? NULL : mv, is_key ? mk : NULL, dr,
                      i++ ? rr : r, rr, out);
            }
        }
        return;
    }
    json_object *c = NULL;
    REQUIRE((json_object_get_type(v)) == (json_type_object), "check failed at line %d", __LINE__);
    json_object_object_get_ex(v, nx->name, &c);
    shred(f, chain, k + 1, c, NULL, d1, r, nrep, out);
}

static void hex_upper(const unsigned char *p, size_t n, char *out)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

static void compare_value(const ds_pq_node *leaf, const pt_entry *g, const xentry *w,
                          const char *where)
{
    switch (leaf->type) {
    case DS_PQ_BOOLEAN:
        REQUIRE(g->v.v.boolean == json_object_get_boolean(w->val), "%s: boolean", where);
        break;
    case DS_PQ_INT32:
        REQUIRE(g->v.v.i32 == json_object_get_int64(w->val), "%s: %d vs %s", where,
                      g->v.v.i32, json_object_to_json_string(w->val));
        break;
    case DS_PQ_INT64:
        REQUIRE(g->v.v.i64 == json_object_get_int64(w->val), "%s: %lld vs %s", where,
                      (long long)g->v.v.i64, json_object_to_json_string(w->val));
        break;
    case DS_PQ_FLOAT:
        REQUIRE(g->v.v.f32 == (float)json_object_get_double(w->val), "%s: %g vs %s", where,
                      (double)g->v.v.f32, json_object_to_json_string(w->val));
        break;
    case DS_PQ_DOUBLE:
        REQUIRE(g->v.v.f64 == json_object_get_double(w->val), "%s: %.17g vs %s", where,
                      g->v.v.f64, json_object_to_json_string(w->val));
        break;
    case DS_PQ_BYTE_ARRAY:
    case DS_PQ_FIXED_LEN_BYTE_ARRAY: {
        const char *want = w->key ? w->key : json_object_get_string(w->val);
        REQUIRE((g->v.ptr) != NULL, "check failed at line %d", __LINE__);
        if (leaf->logical == DS_PQL_STRING) {
            REQUIRE(strlen(want) == g->v.len && memcmp(want, g->v.ptr, g->v.len) == 0,
                          "%s: '%.*s' vs '%s'", where, (int)g->v.len, g->v.ptr, want);
        } else {
            char *hx = malloc(2 * (size_t)g->v.len + 1);
            REQUIRE((hx) != NULL, "check failed at line %d", __LINE__);
            hex_upper(g->v.ptr, g->v.len, hx);
            REQUIRE(strcmp(hx, want) == 0, "%s: %s vs %s", where, hx, want);
            free(hx);
        }
        break;
    }
    default:
        ck_abort_msg("%s: unexpected physical type %d", where, (int)leaf->type);
    }
}

/* Decodes every leaf of every row group of f and compares with the
 * shredded expected rows.  Returns the number of leaves checked. */
static int check_all_leaves(ds_pq_file *f, const char *file)
{
    int leaves = 0;
    for (int node = 0; node < ds_pq_num_nodes(f); node++) {
        const ds_pq_node *leaf = ds_pq_node_at(f, node);
        if (!leaf->is_leaf)
            continue;
        leaves++;
        int chain[32], depth = 0;
        for (int k = node; k > 0; k = ds_pq_node_at(f, k)->parent)
            chain[depth++] = k;
        for (int i = 0; i < depth / 2; i++) {
            int t = chain[i];
            chain[i] = chain[depth - 1 - i];
            chain[depth - 1 - i] = t;
        }
        xvec want = {0};
        for (int64_t r = 0; r < ds_pq_num_rows(f); r++) {
            json_object *v = NULL;
            json_object_object_get_ex(rows[r], ds_pq_node_at(f, chain[0])->name, &v);
            shred(f, chain, 0, v, NULL, 0, 0, 0, &want);
        }
        size_t wi = 0;
        for (int g = 0; g < ds_pq_num_row_groups(f); g++) {
            pt_col col;
            ds_error err;
            ds_error_clear(&err);
            int rc = pt_read_col(f, g, node, &col, &err);
            REQUIRE(rc == 0, "%s leaf %s rg %d: %s", file, leaf->name, g, err.message);
            for (size_t i = 0; i < col.n; i++, wi++) {
                char where[256];
                snprintf(where, sizeof where, "%s leaf %s (node %d) rg %d entry %zu", file,
                         leaf->name, node, g, i);
                REQUIRE(wi < want.n, "%s: more entries than expected", where);
                const pt_entry *ge = &col.e[i];
                const xentry *we = &want.e[wi];
                REQUIRE(ge->def == we->def && ge->rep == we->rep,
                              "%s: levels d%d r%d, expected d%d r%d", where, ge->def, ge->rep,
                              we->def, we->rep);
                REQUIRE((ge->present) == (we->def == leaf->def_level), "check failed at line %d", __LINE__);
                REQUIRE((ge->present) == (we->val != NULL || we->key != NULL), "check failed at line %d", __LINE__);
                if (ge->present)
                    compare_value(leaf, ge, we, where);
            }
            pt_col_free(&col);
        }
        REQUIRE(wi == want.n, "%s leaf %s: %zu entries, expected %zu", file, leaf->name,
                      wi, want.n);
        free(want.e);
    }
    return leaves;
}

/* ====================================================================
 * Generated files
 * ================================================================== */

enum { F_V1 = 1, F_DICT = 2, F_V2 = 8 }; /* page type bits: 1 << type */

static const struct gen_case {
    const char *file;
    int rows, row_groups;
    int codec;
    unsigned page_types;       /* must all be present */
    unsigned encodings;        /* must all be present */
    int fallback, min_pages;   /* dictionary fallback inside a chunk; data pages in a chunk */
} gen_cases[] = {
    {"duckdb-v1-gzip.parquet", 4000, 2, DS_PQC_GZIP, 1u << 0 | 1u << 2,
     1u << DS_PQE_PLAIN | 1u << DS_PQE_PLAIN_DICTIONARY, 0, 1},
    {"duckdb-v2-zstd.parquet", 4000, 2, DS_PQC_ZSTD, 1u << 0 | 1u << 2,
     1u << DS_PQE_DELTA_BINARY_PACKED | 1u << DS_PQE_DELTA_LENGTH_BYTE_ARRAY |
         1u << DS_PQE_BYTE_STREAM_SPLIT | 1u << DS_PQE_RLE_DICTIONARY,
     0, 1},
    {"duckdb-v2-uncompressed.parquet", 1000, 1, DS_PQC_UNCOMPRESSED, 1u << 0,
     1u << DS_PQE_DELTA_BINARY_PACKED | 1u << DS_PQE_DELTA_LENGTH_BYTE_ARRAY, 0, 1},
    {"arrow-v2-snappy-fallback.parquet", 4000, 3, DS_PQC_SNAPPY, 1u << 2 | 1u << 3,
     1u << DS_PQE_RLE_DICTIONARY | 1u << DS_PQE_DELTA_BYTE_ARRAY |
         1u << DS_PQE_DELTA_BINARY_PACKED | 1u << DS_PQE_RLE,
     1, 8},
    {"arrow-v1-gzip-fallback.parquet", 4000, 2, DS_PQC_GZIP, 1u << 0 | 1u << 2,
     1u << DS_PQE_RLE_DICTIONARY | 1u << DS_PQE_PLAIN, 1, 8},
    {"arrow-v2-zstd-delta.parquet", 4000, 2, DS_PQC_ZSTD, 1u << 3,
     1u << DS_PQE_DELTA_BYTE_ARRAY | 1u << DS_PQE_DELTA_LENGTH_BYTE_ARRAY |
         1u << DS_PQE_DELTA_BINARY_PACKED | 1u << DS_PQE_BYTE_STREAM_SPLIT | 1u << DS_PQE_RLE,
     0, 4},
};

START_TEST(generated_file)
{
    const struct gen_case *tc = &gen_cases[_i];
    load_rows();
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/parquet/%s", data_dir(), tc->file);
    size_t len;
    unsigned char *buf = pt_load(path, &len);
    pt_mem m;
    ds_pq_io io = pt_mem_io(&m, buf, len);
    ds_pq_file *f;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_pq_open(&io, &f, &err) == DS_OK, "%s: %s", tc->file, err.message);
    ck_assert_int_eq(ds_pq_num_rows(f), tc->rows);
    ck_assert_int_eq(ds_pq_num_row_groups(f), tc->row_groups);
    int64_t sum = 0;
    for (int g = 0; g < ds_pq_num_row_groups(f); g++)
        sum += ds_pq_row_group_rows(f, g);
    ck_assert_int_eq(sum, tc->rows);

    facts fa;
    page_facts(f, buf, &fa);
    ck_assert_msg(fa.codecs == 1u << tc->codec, "%s: codecs %#x", tc->file, fa.codecs);
    ck_assert_msg((fa.page_types & tc->page_types) == tc->page_types, "%s: page types %#x",
                  tc->file, fa.page_types);
    ck_assert_msg((fa.encodings & tc->encodings) == tc->encodings, "%s: encodings %#x",
                  tc->file, fa.encodings);
    ck_assert_msg(!tc->fallback || fa.fallback, "%s: no dictionary fallback", tc->file);
    ck_assert_msg(fa.max_data_pages >= tc->min_pages, "%s: at most %d pages per chunk", tc->file,
                  fa.max_data_pages);

    /* the logical paths a checkpoint reader uses, whatever the writer
     * called the inner MAP / LIST groups */
    static const char *const paths[] = {"id", "pv.key", "pv.value", "tags.element",
                                        "st.dv.storageType", "st.dv.off", "st.path"};
    for (size_t i = 0; i < N_ELEMS(paths); i++) {
        int n = pt_find(f, paths[i]);
        ck_assert_msg(n > 0 && ds_pq_node_at(f, n)->is_leaf, "%s: %s", tc->file, paths[i]);
    }
    ck_assert_int_eq(pt_find(f, "pv.nope"), -1);
    ck_assert_int_eq(pt_find(f, "st.dv.off.deeper"), -1);
    /* levels derived from the schema: pv (optional) / repeated / value (optional) */
    const ds_pq_node *pvv = ds_pq_node_at(f, pt_find(f, "pv.value"));
    ck_assert_int_eq(pvv->def_level, 3);
    ck_assert_int_eq(pvv->rep_level, 1);
    ck_assert_int_eq(ds_pq_node_at(f, pt_find(f, "pv"))->logical, DS_PQL_MAP);
    ck_assert_int_eq(ds_pq_node_at(f, pt_find(f, "tags"))->logical, DS_PQL_LIST);
    ck_assert_int_eq(ds_pq_node_at(f, pt_find(f, "dt"))->logical, DS_PQL_DATE);
    ck_assert_int_eq(ds_pq_node_at(f, pt_find(f, "ts"))->logical, DS_PQL_TIMESTAMP_US);
    const ds_pq_node *dec = ds_pq_node_at(f, pt_find(f, "dec"));
    ck_assert_int_eq(dec->logical, DS_PQL_DECIMAL);
    ck_assert_int_eq(dec->scale, 2);
    ck_assert_int_eq(dec->precision, 10);

    ck_assert_int_eq(check_all_leaves(f, tc->file), 20);
    ds_pq_close(f);
    free(buf);
}
END_TEST

START_TEST(generated_empty)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/data/parquet/duckdb-empty.parquet", data_dir());
    size_t len;
    unsigned char *buf = pt_load(path, &len);
    pt_mem m;
    ds_pq_io io = pt_mem_io(&m, buf, len);
    ds_pq_file *f;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_pq_open(&io, &f, &err) == DS_OK, "%s", err.message);
    ck_assert_int_eq(ds_pq_num_rows(f), 0);
    ck_assert_int_eq(ds_pq_num_row_groups(f), 0);
    ck_assert(pt_find(f, "pv.value") > 0);
    ds_pq_cursor *c;
    ck_assert_int_ne(ds_pq_cursor_open(f, 0, pt_find(f, "id"), &c, &err), DS_OK);
    ds_pq_close(f);
    free(buf);
}
END_TEST

/* A cursor reads nothing but its own chunk: every other byte of the file
 * (except the footer) is overwritten, and the column still decodes to the
 * same entries; the reads it makes all lie inside the chunk. */
START_TEST(projection_reads_own_chunk)
{
    static const char *const files[] = {"arrow-v1-gzip-fallback.parquet",
                                        "arrow-v2-snappy-fallback.parquet",
                                        "duckdb-v2-zstd.parquet"};
    static const char *const cols[] = {"s_uniq", "pv.value", "st.dv.off", "d"};
    for (size_t fi = 0; fi < N_ELEMS(files); fi++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/tests/data/parquet/%s", data_dir(), files[fi]);
        size_t len;
        unsigned char *buf = pt_load(path, &len);
        pt_mem m;
        ds_pq_io io = pt_mem_io(&m, buf, len);
        ds_pq_file *f;
        ds_error err;
        ds_error_clear(&err);
        ck_assert_int_eq(ds_pq_open(&io, &f, &err), DS_OK);
        for (size_t ci = 0; ci < N_ELEMS(cols); ci++) {
            int node = pt_find(f, cols[ci]);
            ck_assert(node > 0);
            int rg = ds_pq_num_row_groups(f) - 1;
            const ds_pq_chunk *ch = &f->rgs[rg].cols[ds_pq_node_at(f, node)->leaf_index];
            pt_col ref;
            ck_assert_int_eq(pt_read_col(f, rg, node, &ref, &err), 0);

            unsigned char *scr = malloc(len);
            ck_assert_ptr_nonnull(scr);
            memcpy(scr, buf, len);
            for (size_t b = 4; b < f->data_end; b++)
                if (b < ch->start || b >= ch->end)
                    scr[b] = 0xEE;
            pt_mem m2;
            ds_pq_io io2 = pt_mem_io(&m2, scr, len);
            ds_pq_file *f2;
            ck_assert_int_eq(ds_pq_open(&io2, &f2, &err), DS_OK);
            size_t after_open = m2.nreads;
            pt_col got;
            ck_assert_msg(pt_read_col(f2, rg, node, &got, &err) == 0, "%s %s: %s", files[fi],
                          cols[ci], err.message);
            ck_assert_uint_gt(m2.nreads, after_open);
            for (size_t r = after_open; r < m2.nreads && r < 4096; r++)
                ck_assert_msg(m2.r_off[r] >= ch->start && m2.r_off[r] + m2.r_len[r] <= ch->end,
                              "%s %s: read %llu+%zu outside [%llu,%llu)", files[fi], cols[ci],
                              (unsigned long long)m2.r_off[r], m2.r_len[r],
                              (unsigned long long)ch->start, (unsigned long long)ch->end);
            ck_assert_uint_eq(got.n, ref.n);
            for (size_t i = 0; i < ref.n; i++) {
                REQUIRE(got.e[i].def == ref.e[i].def, "def %zu", i);
                REQUIRE(got.e[i].rep == ref.e[i].rep, "rep %zu", i);
                REQUIRE(got.e[i].v.len == ref.e[i].v.len, "len %zu", i);
                if (ref.e[i].bytes)
                    REQUIRE(memcmp(got.e[i].bytes, ref.e[i].bytes, ref.e[i].v.len) == 0, "bytes %zu", i);
                else
                    REQUIRE(memcmp(&got.e[i].v.v, &ref.e[i].v.v, sizeof ref.e[i].v.v) == 0, "value %zu", i);
            }
            /* and another column of the scribbled copy fails cleanly */
            int other = pt_find(f, "s_dict");
            if (other != node) {
                pt_col bad;
                ds_error e2;
                ds_error_clear(&e2);
                ck_assert_int_eq(pt_read_col(f2, rg, other, &bad, &e2), -1);
                ck_assert_int_eq(e2.status, DS_ERR_INTERNAL);
                ck_assert_ptr_nonnull(strstr(e2.message, "s_dict"));
                pt_col_free(&bad);
            }
            pt_col_free(&got);
            pt_col_free(&ref);
            ds_pq_close(f2);
            free(scr);
        }
        ds_pq_close(f);
        free(buf);
    }
}
END_TEST

/* ====================================================================
 * Delta checkpoint fixtures
 * ================================================================== */

static const char *fixtures(void)
{
    static char dir[1024];
    const char *s = getenv("DS_SHARED");
    if (!s || !*s)
        return NULL;
    snprintf(dir, sizeof dir, "%s/fixtures", s);
    return dir;
}

#define NEED_FIXTURES()                                                                          \
    const char *fx = fixtures();                                                                 \
    if (!fx) {                                                                                   \
        fprintf(stderr, "%s: DS_SHARED is not set, fixture test skipped\n", __func__);          \
        return;                                                                                  \
    }

static ds_pq_file *open_path(const char *path, unsigned char **buf, pt_mem *m)
{
    size_t len;
    *buf = pt_load(path, &len);
    ds_pq_io io = pt_mem_io(m, *buf, len);
    ds_pq_file *f;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_pq_open(&io, &f, &err) == DS_OK, "%s: %s", path, err.message);
    return f;
}

/* Every leaf of every row group: one rep-0 entry per row. */
static void decode_everything(ds_pq_file *f, const char *path)
{
    for (int g = 0; g < ds_pq_num_row_groups(f); g++)
        for (int node = 0; node < ds_pq_num_nodes(f); node++) {
            if (!ds_pq_node_at(f, node)->is_leaf)
                continue;
            pt_col col;
            ds_error err;
            ds_error_clear(&err);
            REQUIRE(pt_read_col(f, g, node, &col, &err) == 0, "%s: %s", path, err.message);
            int64_t starts = 0;
            for (size_t i = 0; i < col.n; i++) {
                starts += col.e[i].rep == 0;
                REQUIRE(col.e[i].def <= ds_pq_node_at(f, node)->def_level, "check failed at line %d", __LINE__);
            }
            REQUIRE(starts == ds_pq_row_group_rows(f, g), "%s leaf %s: %lld rows of %lld",
                          path, ds_pq_node_at(f, node)->name, (long long)starts,
                          (long long)ds_pq_row_group_rows(f, g));
            pt_col_free(&col);
        }
}

/* The footer facts recorded in every expected.json (created_by, codecs,
 * row groups of each checkpoint file), and every leaf decoded. */
/* Every chunk the statistics call all-null really holds no value; returns
 * how many chunks were called so. */
static int check_null_stats(ds_pq_file *f, const char *what)
{
    int all_null = 0;
    for (int rg = 0; rg < ds_pq_num_row_groups(f); rg++)
        for (int node = 0; node < ds_pq_num_nodes(f); node++) {
            if (!ds_pq_chunk_all_null(f, rg, node))
                continue;
            all_null++;
            ds_pq_cursor *c;
            ds_error err;
            ds_error_clear(&err);
            ck_assert_int_eq(ds_pq_cursor_open(f, rg, node, &c, &err), DS_OK);
            ds_pq_value v;
            int r, present = 0;
            while ((r = ds_pq_next(c, &v, &err)) == 1)
                present += v.present;
            ck_assert_msg(r == 0 && present == 0, "%s: row group %d node %d: %d values", what, rg,
                          node, present);
            ds_pq_cursor_close(c);
        }
    return all_null;
}

/* DuckDB writes null counts: of the checkpoint's many row groups all but
 * one hold only file actions, and say so. */
START_TEST(null_statistics)
{
    char path[600];
    snprintf(path, sizeof path,
             "%s/tests/data/delta/many-row-groups/_delta_log/00000000000000000010.checkpoint.parquet",
             data_dir());
    unsigned char *buf;
    pt_mem m;
    ds_pq_file *f = open_path(path, &buf, &m);
    ck_assert_int_gt(check_null_stats(f, path), 0);
    const char *const id[] = {"metaData", "id"};
    int node = ds_pq_find(f, id, 2);
    ck_assert_int_ge(node, 0);
    /* one row holds the metaData action: one row group may hold it */
    int maybe = 0;
    ck_assert_int_gt(ds_pq_num_row_groups(f), 2);
    for (int rg = 0; rg < ds_pq_num_row_groups(f); rg++)
        maybe += !ds_pq_chunk_all_null(f, rg, node);
    ck_assert_int_eq(maybe, 1);
    ds_pq_close(f);
    free(buf);
}
END_TEST

START_TEST(fixture_footers)
{
    NEED_FIXTURES();
    DIR *d = opendir(fx);
    ck_assert_msg(d != NULL, "cannot open %s", fx);
    struct dirent *de;
    int files = 0, zero_rg = 0;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 14 || strcmp(de->d_name + nl - 14, ".expected.json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", fx, de->d_name);
        json_object *exp = json_object_from_file(path), *info, *cps;
        ck_assert_ptr_nonnull(exp);
        if (!json_object_object_get_ex(exp, "info", &info) ||
            !json_object_object_get_ex(info, "checkpoint_parquet", &cps)) {
            json_object_put(exp);
            continue;
        }
        for (size_t i = 0; i < json_object_array_length(cps); i++) {
            json_object *cp = json_object_array_get_idx(cps, i), *jf, *jc, *jcodecs, *jrg;
            ck_assert(json_object_object_get_ex(cp, "file", &jf));
            ck_assert(json_object_object_get_ex(cp, "created_by", &jc));
            ck_assert(json_object_object_get_ex(cp, "codecs", &jcodecs));
            ck_assert(json_object_object_get_ex(cp, "row_groups", &jrg));
            char fpath[4096];
            snprintf(fpath, sizeof fpath, "%s/%.*s/%s", fx, (int)(nl - 14), de->d_name,
                     json_object_get_string(jf));
            unsigned char *buf;
            pt_mem m;
            ds_pq_file *f = open_path(fpath, &buf, &m);
            ck_assert_str_eq(ds_pq_created_by(f), json_object_get_string(jc));
            ck_assert_int_eq(ds_pq_num_row_groups(f), json_object_get_int(jrg));
            unsigned want = 0, got = 0;
            for (size_t k = 0; k < json_object_array_length(jcodecs); k++) {
                const char *cn = json_object_get_string(json_object_array_get_idx(jcodecs, k));
                int c;
                for (c = 0; c < 8 && strcmp(ds_pq_codec_name(c), cn) != 0; c++)
                    ;
                ck_assert_int_lt(c, 8);
                want |= 1u << c;
            }
            for (int g = 0; g < f->nrgs; g++)
                for (int j = 0; j < f->nleaves; j++)
                    got |= 1u << f->rgs[g].cols[j].codec;
            ck_assert_msg(got == want, "%s: codecs %#x, expected %#x", fpath, got, want);
            int64_t sum = 0;
            for (int g = 0; g < ds_pq_num_row_groups(f); g++)
                sum += ds_pq_row_group_rows(f, g);
            ck_assert_int_eq(sum, ds_pq_num_rows(f));
            if (ds_pq_num_row_groups(f) == 0)
                zero_rg++;
            decode_everything(f, fpath);
            check_null_stats(f, fpath);
            /* every checkpoint has these, resolved by name */
            static const char *const must[] = {"add.path", "add.size", "add.partitionValues.key",
                                               "add.partitionValues.value", "remove.path"};
            for (size_t k = 0; k < N_ELEMS(must); k++)
                ck_assert_msg(pt_find(f, must[k]) > 0, "%s: %s", fpath, must[k]);
            ds_pq_close(f);
            free(buf);
            files++;
        }
        json_object_put(exp);
    }
    closedir(d);
    ck_assert_int_ge(files, 20);
    ck_assert_int_ge(zero_rg, 1);
}
END_TEST

/* Reassembles the add actions, protocol and metadata of one checkpoint
 * file. */
typedef struct ckpt {
    char **adds; /* "path\tsize\tdv\tk=v;k=v" (partition values sorted) */
    size_t nadds;
    int have_protocol, min_reader, min_writer;
    char *reader_features, *writer_features; /* sorted, comma-joined; NULL if null */
    char *meta_id, *partition_columns, *configuration;
} ckpt;

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    ck_assert_ptr_nonnull(p);
    return p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A column read whole, walked row by row. */
typedef struct rowcol {
    pt_col c;
    size_t pos;
    int node;
} rowcol;

static void rc_open(ds_pq_file *f, int rg, const char *path, rowcol *rc)
{
    memset(rc, 0, sizeof *rc);
    rc->node = pt_find(f, path);
    if (rc->node < 0)
        return;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(pt_read_col(f, rg, rc->node, &rc->c, &err) == 0, "%s: %s", path, err.message);
}

/* The entries of the next row: [*b, *e). */
static void rc_row(rowcol *rc, size_t *b, size_t *e)
{
    *b = *e = rc->pos;
    if (rc->node < 0)
        return;
    ck_assert_uint_lt(rc->pos, rc->c.n);
    ck_assert_int_eq(rc->c.e[rc->pos].rep, 0);
    size_t i = rc->pos + 1;
    while (i < rc->c.n && rc->c.e[i].rep != 0)
        i++;
    *e = rc->pos = i;
}

/* Joins the strings of a list/map leaf row; returns NULL for a null
 * list.  `sorted` sorts them first. */
static char *join_row(const ds_pq_file *f, rowcol *rc, int sorted)
{
    size_t b, e;
    rc_row(rc, &b, &e);
    if (rc->node < 0)
        return NULL;
    const ds_pq_node *leaf = ds_pq_node_at(f, rc->node);
    const ds_pq_node *rep = ds_pq_node_at(f, leaf->parent);
    while (rep->repetition != DS_PQ_REPEATED)
        rep = ds_pq_node_at(f, rep->parent);
    const ds_pq_node *list = ds_pq_node_at(f, rep->parent);
    if (rc->c.e[b].def < list->def_level)
        return NULL; /* the list / map (or an ancestor) is null */
    char **items = calloc(e - b + 1, sizeof *items);
    size_t n = 0, total = 1;
    for (size_t i = b; i < e; i++) {
        if (rc->c.e[i].def < rep->def_level)
            continue; /* empty */
        items[n] = xstrdup(rc->c.e[i].present ? (const char *)rc->c.e[i].bytes : "<null>");
        total += strlen(items[n++]) + 1;
    }
    if (sorted)
        qsort(items, n, sizeof *items, cmp_str);
    char *out = calloc(1, total);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, items[i]);
        free(items[i]);
    }
    free(items);
    return out;
}

static void read_checkpoint(const char *path, ckpt *ck)
{
    unsigned char *buf;
    pt_mem m;
    ds_pq_file *f = open_path(path, &buf, &m);
    int add = pt_find(f, "add");
    ck_assert(add > 0);
    int16_t add_def = ds_pq_node_at(f, add)->def_level;
    int dv = pt_find(f, "add.deletionVector");
    for (int g = 0; g < ds_pq_num_row_groups(f); g++) {
        rowcol ap, as, pk, pv, dst, dpath, doff, pr, pw, prf, pwf, mid, mpc, mck, mcv;
        rc_open(f, g, "add.path", &ap);
        rc_open(f, g, "add.size", &as);
        rc_open(f, g, "add.partitionValues.key", &pk);
        rc_open(f, g, "add.partitionValues.value", &pv);
        rc_open(f, g, "add.deletionVector.storageType", &dst);
        rc_open(f, g, "add.deletionVector.pathOrInlineDv", &dpath);
        rc_open(f, g, "add.deletionVector.offset", &doff);
        rc_open(f, g, "protocol.minReaderVersion", &pr);
        rc_open(f, g, "protocol.minWriterVersion", &pw);
        rc_open(f, g, "protocol.readerFeatures.element", &prf);
        rc_open(f, g, "protocol.writerFeatures.element", &pwf);
        rc_open(f, g, "metaData.id", &mid);
        rc_open(f, g, "metaData.partitionColumns.element", &mpc);
        rc_open(f, g, "metaData.configuration.key", &mck);
        rc_open(f, g, "metaData.configuration.value", &mcv);
        for (int64_t r = 0; r < ds_pq_row_group_rows(f, g); r++) {
            size_t b, e, b2, e2;
            rc_row(&ap, &b, &e);
            const pt_entry *path_e = &ap.c.e[b];
            rc_row(&as, &b2, &e2);
            const pt_entry *size_e = &as.c.e[b2];
            /* partition values: keys and values in lockstep */
            size_t kb, ke, vb, ve;
            rc_row(&pk, &kb, &ke);
            rc_row(&pv, &vb, &ve);
            ck_assert_uint_eq(ke - kb, ve - vb);
            size_t db = 0, de_ = 0, pb = 0, pe = 0, ob = 0, oe = 0;
            rc_row(&dst, &db, &de_);
            rc_row(&dpath, &pb, &pe);
            rc_row(&doff, &ob, &oe);
            if (path_e->def >= add_def) { /* an add action */
                ck_assert(path_e->present);
                ck_assert(size_e->present);
                char pvs[4096] = "";
                const ds_pq_node *kv =
                    ds_pq_node_at(f, ds_pq_node_at(f, pk.node)->parent);
                char *items[64];
                size_t ni = 0;
                for (size_t i = kb; i < ke; i++) {
                    if (pk.c.e[i].def < kv->def_level)
                        continue;
                    char item[512];
                    snprintf(item, sizeof item, "%s=%s", pk.c.e[i].bytes,
                             pv.c.e[vb + (i - kb)].present ? (char *)pv.c.e[vb + (i - kb)].bytes
                                                           : "<null>");
                    ck_assert_uint_lt(ni, 64);
                    items[ni++] = xstrdup(item);
                }
                qsort(items, ni, sizeof *items, cmp_str);
                for (size_t i = 0; i < ni; i++) {
                    strcat(pvs, i ? ";" : "");
                    strcat(pvs, items[i]);
                    free(items[i]);
                }
                char dvid[1024] = "-";
                if (dv > 0 && dst.c.e[db].def >= ds_pq_node_at(f, dv)->def_level) {
                    ck_assert(dst.c.e[db].present && dpath.c.e[pb].present);
                    if (doff.c.e[ob].present)
                        snprintf(dvid, sizeof dvid, "%s%s@%d", dst.c.e[db].bytes,
                                 dpath.c.e[pb].bytes, doff.c.e[ob].v.v.i32);
                    else
                        snprintf(dvid, sizeof dvid, "%s%s", dst.c.e[db].bytes,
                                 dpath.c.e[pb].bytes);
                }
                char line[8192];
                snprintf(line, sizeof line, "%s\t%lld\t%s\t%s", path_e->bytes,
                         (long long)size_e->v.v.i64, dvid, pvs);
                ck->adds = realloc(ck->adds, (ck->nadds + 1) * sizeof *ck->adds);
                ck->adds[ck->nadds++] = xstrdup(line);
            }
            /* protocol */
            rc_row(&pr, &b, &e);
            rc_row(&pw, &b2, &e2);
            if (pr.node >= 0 && pr.c.e[b].present) {
                ck_assert(!ck->have_protocol);
                ck->have_protocol = 1;
                ck->min_reader = pr.c.e[b].v.v.i32;
                ck->min_writer = pw.c.e[b2].v.v.i32;
                ck->reader_features = join_row(f, &prf, 1);
                ck->writer_features = join_row(f, &pwf, 1);
            } else {
                free(join_row(f, &prf, 1));
                free(join_row(f, &pwf, 1));
            }
            /* metadata */
            rc_row(&mid, &b, &e);
            if (mid.node >= 0 && mid.c.e[b].present) {
                ck_assert_ptr_null(ck->meta_id);
                ck->meta_id = xstrdup((char *)mid.c.e[b].bytes);
                ck->partition_columns = join_row(f, &mpc, 0);
                size_t cb, ce, vb2, ve2;
                rc_row(&mck, &cb, &ce);
                rc_row(&mcv, &vb2, &ve2);
                char conf[8192] = "";
                char *items[128];
                size_t ni = 0;
                const ds_pq_node *kv = ds_pq_node_at(f, ds_pq_node_at(f, mck.node)->parent);
                for (size_t i = cb; i < ce; i++) {
                    if (mck.c.e[i].def < kv->def_level)
                        continue;
                    char item[1024];
                    snprintf(item, sizeof item, "%s=%s", mck.c.e[i].bytes,
                             mcv.c.e[vb2 + (i - cb)].present ? (char *)mcv.c.e[vb2 + (i - cb)].bytes
                                                             : "<null>");
                    ck_assert_uint_lt(ni, 128);
                    items[ni++] = xstrdup(item);
                }
                qsort(items, ni, sizeof *items, cmp_str);
                for (size_t i = 0; i < ni; i++) {
                    strcat(conf, i ? ";" : "");
                    strcat(conf, items[i]);
                    free(items[i]);
                }
                ck->configuration = xstrdup(conf);
            } else {
                free(join_row(f, &mpc, 0));
                size_t cb, ce;
                rc_row(&mck, &cb, &ce);
                rc_row(&mcv, &cb, &ce);
            }
        }
        rowcol *all[] = {&ap, &as, &pk, &pv, &dst, &dpath, &doff, &pr, &pw, &prf, &pwf, &mid,
                         &mpc, &mck, &mcv};
        for (size_t i = 0; i < N_ELEMS(all); i++) {
            if (all[i]->node >= 0)
                ck_assert_uint_eq(all[i]->pos, all[i]->c.n); /* all rows consumed */
            pt_col_free(&all[i]->c);
        }
    }
    ds_pq_close(f);
    free(buf);
}

static char *json_list_joined(json_object *arr, int sorted)
{
    if (!arr || json_object_get_type(arr) == json_type_null)
        return NULL;
    size_t n = json_object_array_length(arr), total = 1;
    char **items = calloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++) {
        items[i] = xstrdup(json_object_get_string(json_object_array_get_idx(arr, i)));
        total += strlen(items[i]) + 1;
    }
    if (sorted)
        qsort(items, n, sizeof *items, cmp_str);
    char *out = calloc(1, total);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(out, ",");
        strcat(out, items[i]);
        free(items[i]);
    }
    free(items);
    return out;
}

static void json_map_joined(json_object *obj, char *out, size_t cap)
{
    char *items[256];
    size_t n = 0;
    out[0] = '\0';
    json_object_object_foreach(obj, k, v)
    {
        char item[1024];
        snprintf(item, sizeof item, "%s=%s", k,
                 v && json_object_get_type(v) != json_type_null ? json_object_get_string(v)
                                                                : "<null>");
        ck_assert_uint_lt(n, 256);
        items[n++] = xstrdup(item);
    }
    qsort(items, n, sizeof *items, cmp_str);
    for (size_t i = 0; i < n; i++) {
        ck_assert_uint_lt(strlen(out) + strlen(items[i]) + 2, cap);
        strcat(out, i ? ";" : "");
        strcat(out, items[i]);
        free(items[i]);
    }
}

static void str_eq_or_null(const char *got, const char *want, const char *what, const char *t)
{
    if (!want)
        ck_assert_msg(got == NULL, "%s %s: got '%s', expected null", t, what, got);
    else
        ck_assert_msg(got && strcmp(got, want) == 0, "%s %s: got '%s', expected '%s'", t, what,
                      got ? got : "(null)", want);
}

/* For each table whose snapshot is exactly a checkpoint (no commits
 * replayed on top), the checkpoint's add actions are the live files, and
 * its protocol and metadata are the snapshot's. */
START_TEST(fixture_checkpoint_state)
{
    NEED_FIXTURES();
    DIR *d = opendir(fx);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int tables = 0, with_dv = 0, with_pv = 0, v2 = 0;
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (nl < 14 || strcmp(de->d_name + nl - 14, ".expected.json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", fx, de->d_name);
        json_object *exp = json_object_from_file(path), *snaps;
        ck_assert_ptr_nonnull(exp);
        if (!json_object_object_get_ex(exp, "snapshots", &snaps)) {
            json_object_put(exp);
            continue;
        }
        for (size_t s = 0; s < json_object_array_length(snaps); s++) {
            json_object *snap = json_object_array_get_idx(snaps, s), *info, *cp, *replayed,
                        *files, *sidecars, *kind;
            if (!json_object_object_get_ex(snap, "info", &info) ||
                !json_object_object_get_ex(info, "checkpoint", &cp) || !cp ||
                json_object_get_type(cp) == json_type_null ||
                !json_object_object_get_ex(info, "commits_replayed", &replayed) ||
                json_object_array_length(replayed) != 0)
                continue;
            ck_assert(json_object_object_get_ex(cp, "files", &files));
            ck_assert(json_object_object_get_ex(cp, "sidecars", &sidecars));
            ck_assert(json_object_object_get_ex(cp, "kind", &kind));
            ckpt ck;
            memset(&ck, 0, sizeof ck);
            for (size_t i = 0; i < json_object_array_length(files); i++) {
                const char *fn = json_object_get_string(json_object_array_get_idx(files, i));
                if (strlen(fn) < 8 || strcmp(fn + strlen(fn) - 8, ".parquet") != 0)
                    continue;
                char fpath[4096];
                snprintf(fpath, sizeof fpath, "%s/%.*s/_delta_log/%s", fx, (int)(nl - 14),
                         de->d_name, fn);
                read_checkpoint(fpath, &ck);
            }
            for (size_t i = 0; i < json_object_array_length(sidecars); i++) {
                char fpath[4096];
                snprintf(fpath, sizeof fpath, "%s/%.*s/_delta_log/_sidecars/%s", fx,
                         (int)(nl - 14), de->d_name,
                         json_object_get_string(json_object_array_get_idx(sidecars, i)));
                read_checkpoint(fpath, &ck);
                v2++;
            }
            /* expected adds */
            json_object *jfiles;
            ck_assert(json_object_object_get_ex(snap, "files", &jfiles));
            size_t ne = json_object_array_length(jfiles);
            char **want = calloc(ne + 1, sizeof *want);
            for (size_t i = 0; i < ne; i++) {
                json_object *jf = json_object_array_get_idx(jfiles, i), *jp, *jsz, *jpv, *jdv;
                ck_assert(json_object_object_get_ex(jf, "path", &jp));
                ck_assert(json_object_object_get_ex(jf, "size", &jsz));
                ck_assert(json_object_object_get_ex(jf, "partitionValues", &jpv));
                json_object_object_get_ex(jf, "deletionVector", &jdv);
                char pvs[4096];
                json_map_joined(jpv, pvs, sizeof pvs);
                with_pv += pvs[0] != '\0';
                int has_dv = jdv && json_object_get_type(jdv) != json_type_null;
                with_dv += has_dv;
                char line[8192];
                snprintf(line, sizeof line, "%s\t%lld\t%s\t%s", json_object_get_string(jp),
                         (long long)json_object_get_int64(jsz),
                         has_dv ? json_object_get_string(jdv) : "-", pvs);
                want[i] = xstrdup(line);
            }
            qsort(want, ne, sizeof *want, cmp_str);
            qsort(ck.adds, ck.nadds, sizeof *ck.adds, cmp_str);
            ck_assert_msg(ck.nadds == ne, "%s: %zu adds in the checkpoint, %zu live files",
                          de->d_name, ck.nadds, ne);
            for (size_t i = 0; i < ne; i++)
                ck_assert_str_eq(ck.adds[i], want[i]);

            /* protocol and metadata, when the checkpoint is Parquet */
            if (strcmp(json_object_get_string(kind), "uuid-json") != 0) {
                json_object *jpr, *jmd, *x;
                ck_assert(json_object_object_get_ex(snap, "protocol", &jpr));
                ck_assert(json_object_object_get_ex(snap, "metadata", &jmd));
                ck_assert_msg(ck.have_protocol, "%s: no protocol row", de->d_name);
                ck_assert(json_object_object_get_ex(jpr, "minReaderVersion", &x));
                ck_assert_int_eq(ck.min_reader, json_object_get_int(x));
                ck_assert(json_object_object_get_ex(jpr, "minWriterVersion", &x));
                ck_assert_int_eq(ck.min_writer, json_object_get_int(x));
                json_object_object_get_ex(jpr, "readerFeatures", &x);
                char *j = json_list_joined(x, 1);
                str_eq_or_null(ck.reader_features, j, "readerFeatures", de->d_name);
                free(j);
                json_object_object_get_ex(jpr, "writerFeatures", &x);
                j = json_list_joined(x, 1);
                str_eq_or_null(ck.writer_features, j, "writerFeatures", de->d_name);
                free(j);
                ck_assert(json_object_object_get_ex(jmd, "id", &x));
                str_eq_or_null(ck.meta_id, json_object_get_string(x), "metaData.id", de->d_name);
                ck_assert(json_object_object_get_ex(jmd, "partitionColumns", &x));
                j = json_list_joined(x, 0);
                str_eq_or_null(ck.partition_columns, j, "partitionColumns", de->d_name);
                free(j);
                ck_assert(json_object_object_get_ex(jmd, "configuration", &x));
                char conf[8192];
                json_map_joined(x, conf, sizeof conf);
                str_eq_or_null(ck.configuration, conf, "configuration", de->d_name);
            }
            for (size_t i = 0; i < ne; i++)
                free(want[i]);
            free(want);
            for (size_t i = 0; i < ck.nadds; i++)
                free(ck.adds[i]);
            free(ck.adds);
            free(ck.reader_features);
            free(ck.writer_features);
            free(ck.meta_id);
            free(ck.partition_columns);
            free(ck.configuration);
            tables++;
        }
        json_object_put(exp);
    }
    closedir(d);
    ck_assert_int_ge(tables, 10);
    ck_assert_int_gt(with_dv, 0);
    ck_assert_int_gt(with_pv, 0);
    ck_assert_int_gt(v2, 0);
}
END_TEST

/* Levels come from the file: Spark writes the DV fields OPTIONAL, arrow-rs
 * (delta-rs) REQUIRED inside the optional group; MAP inner groups are
 * key_value (parquet-mr) or entries (parquet-rs). */
START_TEST(fixture_levels_from_schema)
{
    NEED_FIXTURES();
    static const struct {
        const char *file;
        int dv_def, pv_key_def, pv_val_def;
        const char *map_group;
    } cases[] = {
        {"checkpoint-classic-spark/_delta_log/00000000000000000010.checkpoint.parquet", 3, 3, 4,
         "key_value"},
        {"hint-stale-delta-rs/_delta_log/00000000000000000003.checkpoint.parquet", 2, 3, 4,
         "entries"},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", fx, cases[i].file);
        unsigned char *buf;
        pt_mem m;
        ds_pq_file *f = open_path(path, &buf, &m);
        const ds_pq_node *st = ds_pq_node_at(f, pt_find(f, "add.deletionVector.storageType"));
        ck_assert_ptr_nonnull(st);
        ck_assert_int_eq(st->def_level, cases[i].dv_def);
        const ds_pq_node *k = ds_pq_node_at(f, pt_find(f, "add.partitionValues.key"));
        const ds_pq_node *v = ds_pq_node_at(f, pt_find(f, "add.partitionValues.value"));
        ck_assert_int_eq(k->def_level, cases[i].pv_key_def);
        ck_assert_int_eq(k->rep_level, 1);
        ck_assert_int_eq(v->def_level, cases[i].pv_val_def);
        ck_assert_str_eq(ds_pq_node_at(f, k->parent)->name, cases[i].map_group);
        /* the explicit inner-group path resolves to the same leaf */
        char full[256];
        snprintf(full, sizeof full, "add.partitionValues.%s.key", cases[i].map_group);
        ck_assert_int_eq(pt_find(f, full), pt_find(f, "add.partitionValues.key"));
        ds_pq_close(f);
        free(buf);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parquet_files");
    TCase *tc = tcase_create("generated");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, generated_file, 0, (int)N_ELEMS(gen_cases));
    tcase_add_test(tc, generated_empty);
    tcase_add_test(tc, projection_reads_own_chunk);
    suite_add_tcase(s, tc);

    tc = tcase_create("fixtures");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, fixture_footers);
    tcase_add_test(tc, null_statistics);
    tcase_add_test(tc, fixture_checkpoint_state);
    tcase_add_test(tc, fixture_levels_from_schema);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
