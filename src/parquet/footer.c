/* footer.c - the Parquet footer: magic, footer length, FileMetaData in the
 * Thrift compact protocol, the schema tree (levels derived from the
 * repetition of every ancestor), row groups and column chunks, all checked
 * for consistency before anything is used.  Also the schema lookups. */
#include "config.h"
#include "parquet/pq_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pstr {
    const unsigned char *p;
    size_t n;
} pstr;

/* A SchemaElement as read. */
typedef struct raw_elem {
    int has_type, has_rep, has_name, has_nc, has_conv, has_scale, has_prec;
    int32_t type, type_length, rep, num_children, conv, scale, precision;
    pstr name;
    ds_pq_logical logical; /* from LogicalType; NONE if absent */
    int32_t lt_scale, lt_precision;
} raw_elem;

/* A ColumnChunk as read. */
typedef struct raw_chunk {
    ds_pq_chunk c;
    int has_meta;
    unsigned seen; /* required ColumnMetaData fields, bit per field id */
    pstr *path;
    uint32_t npath;
} raw_chunk;

typedef struct raw_rg {
    int64_t num_rows;
    int has_cols, has_rows;
    raw_chunk *cols;
    uint32_t ncols;
} raw_rg;

typedef struct fctx {
    ds_pq_tr t;
    ds_error *err;
    raw_elem *elems;
    uint32_t nelems;
    int has_schema, has_rows, has_rgs;
    int64_t num_rows;
    raw_rg *rgs;
    uint32_t nrgs;
    pstr created_by;
    int has_created_by;
} fctx;

static void *xcalloc(fctx *c, size_t n, size_t sz)
{
    void *p = calloc(n ? n : 1, sz);
    if (!p)
        ds_error_set(c->err, DS_ERR_NOMEM, "out of memory reading a Parquet footer");
    return p;
}

static int bad(fctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(fctx *c, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ds_pq_corrupt(c->err, "footer: %s", msg);
    return -1;
}

/* The Thrift reader failed: report its message. */
static int tr_bad(fctx *c)
{
    return bad(c, "%s", c->t.msg);
}

/* Reads the header of a list that must hold structs and must appear only
 * once (`seen`), and allocates its n zeroed elements of sz bytes; NULL with
 * the error recorded otherwise. */
static void *struct_list(fctx *c, const char *what, int seen, size_t sz, uint32_t *n)
{
    int et;
    if (ds_pq_tr_list(&c->t, &et, n) < 0) {
        tr_bad(c);
        return NULL;
    }
    if (et != DS_TT_STRUCT) {
        bad(c, "%s is not a list of structs", what);
        return NULL;
    }
    if (seen) {
        bad(c, "%s given twice", what);
        return NULL;
    }
    return xcalloc(c, *n, sz);
}

/* Iterates the fields of a struct: `body` handles field `id` of type
 * `ft`, and must consume the value (or `continue` to let it be skipped by
 * setting handled = 0). */
#define STRUCT_FIELDS(c, id, ft, body)                                                           \
    do {                                                                                         \
        int16_t last_ = 0;                                                                       \
        int r_;                                                                                  \
        if (ds_pq_tr_struct_begin(&(c)->t) < 0)                                                  \
            return tr_bad(c);                                                                    \
        while ((r_ = ds_pq_tr_field(&(c)->t, &last_, &(ft), &(id))) == 1) {                      \
            int handled = 0;                                                                     \
            body;                                                                                \
            if (!handled && ds_pq_tr_skip(&(c)->t, ft) < 0)                                      \
                return tr_bad(c);                                                                \
        }                                                                                        \
        if (r_ < 0)                                                                              \
            return tr_bad(c);                                                                    \
        ds_pq_tr_struct_end(&(c)->t);                                                            \
    } while (0)

#define READ_I32(c, dst)                                                                         \
    do {                                                                                         \
        if (ds_pq_tr_i32(&(c)->t, &(dst)) < 0)                                                   \
            return tr_bad(c);                                                                    \
        handled = 1;                                                                             \
    } while (0)
#define READ_I64(c, dst)                                                                         \
    do {                                                                                         \
        if (ds_pq_tr_i64(&(c)->t, &(dst)) < 0)                                                   \
            return tr_bad(c);                                                                    \
        handled = 1;                                                                             \
    } while (0)
#define READ_BIN(c, dst)                                                                         \
    do {                                                                                         \
        if (ds_pq_tr_binary(&(c)->t, &(dst).p, &(dst).n) < 0)                                    \
            return tr_bad(c);                                                                    \
        handled = 1;                                                                             \
    } while (0)

/* ---------------- LogicalType ---------------- */

static int parse_decimal(fctx *c, raw_elem *e)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        if (id == 1 && ft == DS_TT_I32)
            READ_I32(c, e->lt_scale);
        else if (id == 2 && ft == DS_TT_I32)
            READ_I32(c, e->lt_precision);
    });
    return 0;
}

static int parse_time_unit(fctx *c, int *unit)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        if (id >= 1 && id <= 3 && ft == DS_TT_STRUCT)
            *unit = id;
    });
    return 0;
}

static int parse_timestamp(fctx *c, raw_elem *e)
{
    int16_t id;
    int ft, unit = 0;
    STRUCT_FIELDS(c, id, ft, {
        if (id == 2 && ft == DS_TT_STRUCT) {
            if (parse_time_unit(c, &unit) < 0)
                return -1;
            handled = 1;
        }
    });
    e->logical = unit == 1   ? DS_PQL_TIMESTAMP_MS
                 : unit == 2 ? DS_PQL_TIMESTAMP_US
                 : unit == 3 ? DS_PQL_TIMESTAMP_NS
                             : DS_PQL_NONE;
    return 0;
}

static int parse_int_type(fctx *c, raw_elem *e)
{
    int16_t id;
    int ft, is_signed = 0;
    int8_t bits = 0;
    STRUCT_FIELDS(c, id, ft, {
        if (id == 1 && ft == DS_TT_BYTE) {
            if (ds_pq_tr_byte(&c->t, &bits) < 0)
                return tr_bad(c);
            handled = 1;
        } else if (id == 2 && (ft == DS_TT_TRUE || ft == DS_TT_FALSE)) {
            is_signed = ft == DS_TT_TRUE;
        }
    });
    if (is_signed)
        e->logical = bits == 8    ? DS_PQL_INT8
                     : bits == 16 ? DS_PQL_INT16
                     : bits == 32 ? DS_PQL_INT32
                     : bits == 64 ? DS_PQL_INT64
                                  : DS_PQL_NONE;
    return 0;
}

static int parse_logical(fctx *c, raw_elem *e)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        if (ft == DS_TT_STRUCT) {
            switch (id) {
            case 1:  /* STRING */
            case 4:  /* ENUM */
            case 12: /* JSON */
                e->logical = DS_PQL_STRING;
                break;
            case 2:
                e->logical = DS_PQL_MAP;
                break;
            case 3:
                e->logical = DS_PQL_LIST;
                break;
            case 5:
                e->logical = DS_PQL_DECIMAL;
                if (parse_decimal(c, e) < 0)
                    return -1;
                handled = 1;
                break;
            case 6:
                e->logical = DS_PQL_DATE;
                break;
            case 8:
                if (parse_timestamp(c, e) < 0)
                    return -1;
                handled = 1;
                break;
            case 10:
                if (parse_int_type(c, e) < 0)
                    return -1;
                handled = 1;
                break;
            default:
                break;
            }
        }
    });
    return 0;
}

/* ---------------- SchemaElement ---------------- */

static int parse_elem(fctx *c, raw_elem *e)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        switch (id) {
        case 1:
            if (ft == DS_TT_I32) {
                READ_I32(c, e->type);
                e->has_type = 1;
            }
            break;
        case 2:
            if (ft == DS_TT_I32)
                READ_I32(c, e->type_length);
            break;
        case 3:
            if (ft == DS_TT_I32) {
                READ_I32(c, e->rep);
                e->has_rep = 1;
            }
            break;
        case 4:
            if (ft == DS_TT_BINARY) {
                READ_BIN(c, e->name);
                e->has_name = 1;
            }
            break;
        case 5:
            if (ft == DS_TT_I32) {
                READ_I32(c, e->num_children);
                e->has_nc = 1;
            }
            break;
        case 6:
            if (ft == DS_TT_I32) {
                READ_I32(c, e->conv);
                e->has_conv = 1;
            }
            break;
        case 7:
            if (ft == DS_TT_I32) {
                READ_I32(c, e->scale);
                e->has_scale = 1;
            }
            break;
        case 8:
            if (ft == DS_TT_I32) {
                READ_I32(c, e->precision);
                e->has_prec = 1;
            }
            break;
        case 10:
            if (ft == DS_TT_STRUCT) {
                if (parse_logical(c, e) < 0)
                    return -1;
                handled = 1;
            }
            break;
        default:
            break;
        }
    });
    return 0;
}

/* ---------------- ColumnChunk / ColumnMetaData ---------------- */

/* Statistics: only null_count (field 3) is used, to skip chunks that
 * hold nothing but nulls. */
static int parse_stats(fctx *c, raw_chunk *rc)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        if (id == 3 && ft == DS_TT_I64) {
            READ_I64(c, rc->c.null_count);
            rc->c.has_null_count = rc->c.null_count >= 0;
        }
    });
    return 0;
}

static int parse_col_meta(fctx *c, raw_chunk *rc)
{
    int16_t id;
    int ft;
    int32_t i32;
    STRUCT_FIELDS(c, id, ft, {
        switch (id) {
        case 1:
            if (ft == DS_TT_I32) {
                READ_I32(c, i32);
                rc->c.type = (ds_pq_type)i32;
                if (i32 < 0 || i32 > DS_PQ_FIXED_LEN_BYTE_ARRAY)
                    return bad(c, "column chunk has unknown physical type %d", (int)i32);
                rc->seen |= 1u << 1;
            }
            break;
        case 3:
            if (ft == DS_TT_LIST) {
                int et;
                uint32_t n;
                if (ds_pq_tr_list(&c->t, &et, &n) < 0)
                    return tr_bad(c);
                if (et != DS_TT_BINARY)
                    return bad(c, "path_in_schema is not a list of strings");
                free(rc->path);
                rc->path = xcalloc(c, n, sizeof *rc->path);
                if (!rc->path)
                    return -1;
                rc->npath = n;
                for (uint32_t i = 0; i < n; i++)
                    if (ds_pq_tr_binary(&c->t, &rc->path[i].p, &rc->path[i].n) < 0)
                        return tr_bad(c);
                handled = 1;
                rc->seen |= 1u << 3;
            }
            break;
        case 4:
            if (ft == DS_TT_I32) {
                READ_I32(c, rc->c.codec);
                rc->seen |= 1u << 4;
            }
            break;
        case 5:
            if (ft == DS_TT_I64) {
                READ_I64(c, rc->c.num_values);
                rc->seen |= 1u << 5;
            }
            break;
        case 7:
            if (ft == DS_TT_I64) {
                READ_I64(c, rc->c.total_compressed);
                rc->seen |= 1u << 7;
            }
            break;
        case 9:
            if (ft == DS_TT_I64) {
                READ_I64(c, rc->c.data_off);
                rc->seen |= 1u << 9;
            }
            break;
        case 11:
            if (ft == DS_TT_I64)
                READ_I64(c, rc->c.dict_off);
            break;
        case 12:
            if (ft == DS_TT_STRUCT) {
                if (parse_stats(c, rc) < 0)
                    return -1;
                handled = 1;
            }
            break;
        default:
            break;
        }
    });
    return 0;
}

static int parse_chunk(fctx *c, raw_chunk *rc)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        if (id == 1 && ft == DS_TT_BINARY)
            return bad(c, "column chunk stored in another file (file_path) is not supported");
        if ((id == 8 || id == 9) && ft == DS_TT_STRUCT)
            return bad(c, "encrypted columns are not supported");
        if (id == 3 && ft == DS_TT_STRUCT) {
            if (parse_col_meta(c, rc) < 0)
                return -1;
            rc->has_meta = 1;
            handled = 1;
        }
    });
    return 0;
}

static int parse_rg(fctx *c, raw_rg *rg)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        if (id == 1 && ft == DS_TT_LIST) {
            uint32_t n;
            void *l = struct_list(c, "row group columns", rg->cols != NULL, sizeof *rg->cols, &n);
            if (!l)
                return -1;
            rg->cols = l;
            rg->ncols = n;
            for (uint32_t i = 0; i < n; i++)
                if (parse_chunk(c, &rg->cols[i]) < 0)
                    return -1;
            rg->has_cols = 1;
            handled = 1;
        } else if (id == 3 && ft == DS_TT_I64) {
            READ_I64(c, rg->num_rows);
            rg->has_rows = 1;
        }
    });
    return 0;
}

static int parse_file_meta(fctx *c)
{
    int16_t id;
    int ft;
    STRUCT_FIELDS(c, id, ft, {
        switch (id) {
        case 2:
            if (ft == DS_TT_LIST) {
                uint32_t n;
                void *l = struct_list(c, "schema", c->elems != NULL, sizeof *c->elems, &n);
                if (!l)
                    return -1;
                c->elems = l;
                c->nelems = n;
                for (uint32_t i = 0; i < n; i++)
                    if (parse_elem(c, &c->elems[i]) < 0)
                        return -1;
                c->has_schema = 1;
                handled = 1;
            }
            break;
        case 3:
            if (ft == DS_TT_I64) {
                READ_I64(c, c->num_rows);
                c->has_rows = 1;
            }
            break;
        case 4:
            if (ft == DS_TT_LIST) {
                uint32_t n;
                void *l = struct_list(c, "row_groups", c->rgs != NULL, sizeof *c->rgs, &n);
                if (!l)
                    return -1;
                c->rgs = l;
                c->nrgs = n;
                for (uint32_t i = 0; i < n; i++)
                    if (parse_rg(c, &c->rgs[i]) < 0)
                        return -1;
                c->has_rgs = 1;
                handled = 1;
            }
            break;
        case 6:
            if (ft == DS_TT_BINARY) {
                READ_BIN(c, c->created_by);
                c->has_created_by = 1;
            }
            break;
        case 8:
            return bad(c, "encrypted files (encryption_algorithm) are not supported");
        default:
            break;
        }
    });
    return 0;
}

/* ---------------- building the model ---------------- */

static char *dup_pstr(fctx *c, pstr s)
{
    char *p = malloc(s.n + 1);
    if (!p) {
        ds_error_set(c->err, DS_ERR_NOMEM, "out of memory reading a Parquet footer");
        return NULL;
    }
    if (s.n)
        memcpy(p, s.p, s.n);
    p[s.n] = '\0';
    return p;
}

static ds_pq_logical converted_logical(int32_t conv)
{
    switch (conv) {
    case 0:  /* UTF8 */
    case 4:  /* ENUM */
    case 19: /* JSON */
        return DS_PQL_STRING;
    case 1: /* MAP */
    case 2: /* MAP_KEY_VALUE */
        return DS_PQL_MAP;
    case 3:
        return DS_PQL_LIST;
    case 5:
        return DS_PQL_DECIMAL;
    case 6:
        return DS_PQL_DATE;
    case 9:
        return DS_PQL_TIMESTAMP_MS;
    case 10:
        return DS_PQL_TIMESTAMP_US;
    case 15:
        return DS_PQL_INT8;
    case 16:
        return DS_PQL_INT16;
    case 17:
        return DS_PQL_INT32;
    case 18:
        return DS_PQL_INT64;
    default:
        return DS_PQL_NONE;
    }
}

static int build_schema(fctx *c, ds_pq_file *f)
{
    uint32_t n = c->nelems;
    if (n == 0)
        return bad(c, "empty schema");
    if (n > INT32_MAX / 2)
        return bad(c, "schema too large");
    f->nodes = xcalloc(c, n, sizeof *f->nodes);
    f->kid_off = xcalloc(c, n, sizeof *f->kid_off);
    f->kids = xcalloc(c, n, sizeof *f->kids);
    int *fill = xcalloc(c, n, sizeof *fill);
    int *depth = xcalloc(c, n, sizeof *depth);
    struct {
        int node;
        int32_t left;
    } stack[DS_PQ_MAX_SCHEMA_DEPTH + 1];
    int sp = 0;
    int rc = -1;
    if (!f->nodes || !f->kid_off || !f->kids || !fill || !depth)
        goto out;
    f->nnodes = (int)n;

    /* children of node i take the slots kids[kid_off[i] ...]: in a tree
     * the num_children add up to n - 1 */
    uint64_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        const raw_elem *e = &c->elems[i];
        int32_t nc = e->has_nc ? e->num_children : 0;
        if (nc < 0) {
            bad(c, "schema element '%.*s' has a negative num_children", (int)e->name.n,
                e->name.p ? (const char *)e->name.p : "");
            goto out;
        }
        if ((uint32_t)nc > n - 1 - i) {
            bad(c, "schema element '%.*s' claims %d children but only %u elements follow",
                (int)e->name.n, e->name.p ? (const char *)e->name.p : "", (int)nc, n - 1 - i);
            goto out;
        }
        f->kid_off[i] = (int)off;
        off += (uint64_t)nc;
        if (off > n - 1) {
            bad(c, "schema num_children add up to more than the %u elements", n);
            goto out;
        }
    }

    int nleaves = 0;
    for (uint32_t i = 0; i < n; i++) {
        raw_elem *e = &c->elems[i];
        ds_pq_node *nd = &f->nodes[i];
        if (!e->has_name) {
            bad(c, "schema element %u has no name", i);
            goto out;
        }
        nd->name = dup_pstr(c, e->name);
        if (!nd->name)
            goto out;
        /* some writers set num_children = 0 on leaves */
        int is_group = i == 0 || (e->has_nc && (e->num_children != 0 || !e->has_type));
        int32_t nc = e->has_nc ? e->num_children : 0;
        if (!is_group) {
            if (!e->has_type || e->type < 0 || e->type > DS_PQ_FIXED_LEN_BYTE_ARRAY) {
                bad(c, "leaf '%s' has no valid physical type", nd->name);
                goto out;
            }
            if (e->type == DS_PQ_FIXED_LEN_BYTE_ARRAY && e->type_length <= 0) {
                bad(c, "FIXED_LEN_BYTE_ARRAY leaf '%s' has no positive type_length", nd->name);
                goto out;
            }
        }
        if (i > 0 && (!e->has_rep || e->rep < 0 || e->rep > 2)) {
            bad(c, "schema element '%s' has no valid repetition type", nd->name);
            goto out;
        }
        nd->is_leaf = !is_group;
        nd->type = is_group ? DS_PQ_BOOLEAN : (ds_pq_type)e->type;
        nd->type_length = e->type_length;
        nd->repetition = i == 0 ? DS_PQ_REQUIRED : (ds_pq_repetition)e->rep;
        nd->num_children = nc;
        nd->logical = e->logical != DS_PQL_NONE ? e->logical
                      : e->has_conv            ? converted_logical(e->conv)
                                               : DS_PQL_NONE;
        if (e->logical == DS_PQL_DECIMAL) {
            nd->scale = e->lt_scale;
            nd->precision = e->lt_precision;
        } else {
            nd->scale = e->scale;
            nd->precision = e->precision;
        }
        nd->leaf_index = is_group ? -1 : nleaves++;

        if (i == 0) {
            nd->parent = -1;
        } else {
            if (sp == 0) {
                bad(c, "schema element '%s' lies outside the root's num_children", nd->name);
                goto out;
            }
            int p = stack[sp - 1].node;
            nd->parent = p;
            depth[i] = depth[p] + 1;
            if (depth[i] > DS_PQ_MAX_SCHEMA_DEPTH) {
                bad(c, "schema nested deeper than %d levels", DS_PQ_MAX_SCHEMA_DEPTH);
                goto out;
            }
            ds_pq_node *pn = &f->nodes[p];
            int dl = pn->def_level + (nd->repetition != DS_PQ_REQUIRED);
            int rl = pn->rep_level + (nd->repetition == DS_PQ_REPEATED);
            nd->def_level = (int16_t)dl;
            nd->rep_level = (int16_t)rl;
            f->kids[f->kid_off[p] + fill[p]++] = (int)i;
            if (--stack[sp - 1].left == 0)
                sp--;
            while (sp > 0 && stack[sp - 1].left == 0)
                sp--;
        }
        if (nc > 0) {
            if (sp >= DS_PQ_MAX_SCHEMA_DEPTH) {
                bad(c, "schema nested deeper than %d levels", DS_PQ_MAX_SCHEMA_DEPTH);
                goto out;
            }
            stack[sp].node = (int)i;
            stack[sp].left = nc;
            sp++;
        }
    }
    if (sp != 0) {
        bad(c, "schema ends before group '%s' has all its %d children",
            f->nodes[stack[sp - 1].node].name, (int)f->nodes[stack[sp - 1].node].num_children);
        goto out;
    }
    rc = 0;
out:
    free(fill);
    free(depth);
    if (rc == 0) {
        f->nleaves = nleaves;
        f->leaf_node = xcalloc(c, (size_t)nleaves, sizeof *f->leaf_node);
        if (!f->leaf_node)
            return -1;
        for (int i = 0; i < f->nnodes; i++)
            if (f->nodes[i].is_leaf)
                f->leaf_node[f->nodes[i].leaf_index] = i;
    }
    return rc;
}

static int path_matches(const ds_pq_file *f, int node, const raw_chunk *rc)
{
    uint32_t k = rc->npath;
    while (node > 0) {
        if (k == 0)
            return 0;
        k--;
        const char *nm = f->nodes[node].name;
        if (strlen(nm) != rc->path[k].n || memcmp(nm, rc->path[k].p, rc->path[k].n) != 0)
            return 0;
        node = f->nodes[node].parent;
    }
    return k == 0;
}

static int build_row_groups(fctx *c, ds_pq_file *f)
{
    f->rgs = xcalloc(c, c->nrgs, sizeof *f->rgs);
    if (!f->rgs)
        return -1;
    f->nrgs = (int)c->nrgs;
    for (uint32_t g = 0; g < c->nrgs; g++) {
        raw_rg *rg = &c->rgs[g];
        if (!rg->has_cols || !rg->has_rows)
            return bad(c, "row group %u lacks columns or num_rows", g);
        if (rg->num_rows < 0)
            return bad(c, "row group %u has a negative row count", g);
        if (rg->ncols != (uint32_t)f->nleaves)
            return bad(c, "row group %u has %u column chunks but the schema has %d leaves", g,
                       rg->ncols, f->nleaves);
        f->rgs[g].num_rows = rg->num_rows;
        f->rgs[g].cols = xcalloc(c, rg->ncols, sizeof *f->rgs[g].cols);
        if (!f->rgs[g].cols)
            return -1;
        for (uint32_t j = 0; j < rg->ncols; j++) {
            raw_chunk *rc = &rg->cols[j];
            int node = f->leaf_node[j];
            const ds_pq_node *nd = &f->nodes[node];
            const unsigned need = 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 7 | 1u << 9;
            if (!rc->has_meta || (rc->seen & need) != need)
                return bad(c, "column chunk %u of row group %u lacks required metadata", j, g);
            if (!path_matches(f, node, rc))
                return bad(c, "column chunk %u of row group %u: path_in_schema does not match "
                              "schema leaf '%s'", j, g, nd->name);
            if (rc->c.type != nd->type)
                return bad(c, "column chunk %u of row group %u: physical type %d differs from "
                              "the schema's %d", j, g, (int)rc->c.type, (int)nd->type);
            if (rc->c.num_values < 0 || rc->c.total_compressed < 0)
                return bad(c, "column chunk %u of row group %u has a negative size or count", j,
                           g);
            int64_t start = rc->c.data_off;
            if (rc->c.dict_off > 0 && rc->c.dict_off < start)
                start = rc->c.dict_off;
            if (start < 4 || (uint64_t)start > f->data_end ||
                (uint64_t)rc->c.total_compressed > f->data_end - (uint64_t)start)
                return bad(c, "column chunk %u of row group %u lies outside the file's data "
                              "(offset %lld, %lld bytes)", j, g, (long long)start,
                           (long long)rc->c.total_compressed);
            rc->c.start = (uint64_t)start;
            rc->c.end = (uint64_t)start + (uint64_t)rc->c.total_compressed;
            f->rgs[g].cols[j] = rc->c;
        }
    }
    return 0;
}

static void free_ctx(fctx *c)
{
    for (uint32_t g = 0; c->rgs && g < c->nrgs; g++) {
        for (uint32_t j = 0; c->rgs[g].cols && j < c->rgs[g].ncols; j++)
            free(c->rgs[g].cols[j].path);
        free(c->rgs[g].cols);
    }
    free(c->rgs);
    free(c->elems);
}

unsigned char *ds_pq_spare_take(ds_pq_file *f, int tag, size_t *cap)
{
    if (f->nspare == 0) {
        *cap = 0;
        return NULL;
    }
    int k = f->nspare - 1;
    for (int i = 0; i < f->nspare; i++)
        if (f->spare[i].tag == tag)
            k = i;
    unsigned char *b = f->spare[k].buf;
    *cap = f->spare[k].cap;
    f->spare[k] = f->spare[--f->nspare];
    return b;
}

void ds_pq_spare_give(ds_pq_file *f, int tag, unsigned char *buf, size_t cap)
{
    if (!buf)
        return;
    if (f->nspare == (int)(sizeof f->spare / sizeof f->spare[0])) {
        free(buf);
        return;
    }
    f->spare[f->nspare].buf = buf;
    f->spare[f->nspare].cap = cap;
    f->spare[f->nspare].tag = tag;
    f->nspare++;
}

void ds_pq_close(ds_pq_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->nspare; i++)
        free(f->spare[i].buf);
    for (int i = 0; f->nodes && i < f->nnodes; i++)
        free((char *)f->nodes[i].name);
    free(f->nodes);
    free(f->kids);
    free(f->kid_off);
    free(f->leaf_node);
    for (int g = 0; f->rgs && g < f->nrgs; g++)
        free(f->rgs[g].cols);
    free(f->rgs);
    free(f->created_by);
    free(f);
}

int ds_pq_read(const ds_pq_file *f, uint64_t off, size_t n, unsigned char *buf, ds_error *err)
{
    if (off > f->io.size || n > f->io.size - off) {
        ds_pq_corrupt(err, "read of %zu bytes at %llu is past the end of the file", n,
                      (unsigned long long)off);
        return -1;
    }
    if (n == 0)
        return 0;
    ds_status st = f->io.read_at(f->io.ctx, off, n, buf, err);
    if (st != DS_OK) {
        if (err && err->status == DS_OK)
            ds_error_set(err, st, "reading a Parquet file failed");
        return -1;
    }
    return 0;
}

static uint32_t rd_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

ds_status ds_pq_open(const ds_pq_io *io, ds_pq_file **out, ds_error *err)
{
    *out = NULL;
    if (!io || !io->read_at)
        return ds_error_set(err, DS_ERR_INTERNAL, "Parquet: no reader given");
    ds_pq_file *f = calloc(1, sizeof *f);
    if (!f)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory opening a Parquet file");
    f->io = *io;
    fctx c;
    memset(&c, 0, sizeof c);
    c.err = err;
    unsigned char tail[8], head[4], *buf = NULL;
    if (io->size < 12) {
        ds_pq_corrupt(err, "file of %llu bytes is too small to be Parquet",
                      (unsigned long long)io->size);
        goto fail;
    }
    if (ds_pq_read(f, io->size - 8, 8, tail, err) < 0 || ds_pq_read(f, 0, 4, head, err) < 0)
        goto fail;
    if (memcmp(tail + 4, "PARE", 4) == 0 || memcmp(head, "PARE", 4) == 0) {
        ds_pq_corrupt(err, "encrypted Parquet footers (PARE) are not supported");
        goto fail;
    }
    if (memcmp(tail + 4, "PAR1", 4) != 0 || memcmp(head, "PAR1", 4) != 0) {
        ds_pq_corrupt(err, "bad magic: not a Parquet file");
        goto fail;
    }
    uint32_t flen = rd_le32(tail);
    if ((uint64_t)flen > io->size - 12) {
        ds_pq_corrupt(err, "footer length %u runs past the start of the file (%llu bytes)", flen,
                      (unsigned long long)io->size);
        goto fail;
    }
    if (flen > DS_PQ_MAX_FOOTER) {
        ds_pq_corrupt(err, "footer of %u bytes is over the %u-byte limit", flen,
                      DS_PQ_MAX_FOOTER);
        goto fail;
    }
    if (flen == 0) {
        ds_pq_corrupt(err, "footer is empty");
        goto fail;
    }
    f->data_end = io->size - 8 - flen;
    buf = malloc(flen);
    if (!buf) {
        ds_error_set(err, DS_ERR_NOMEM, "out of memory for a Parquet footer");
        goto fail;
    }
    if (ds_pq_read(f, f->data_end, flen, buf, err) < 0)
        goto fail;
    ds_pq_tr_init(&c.t, buf, flen);
    if (parse_file_meta(&c) < 0)
        goto fail;
    if (!c.has_schema || !c.has_rows || !c.has_rgs) {
        ds_pq_corrupt(err, "footer: FileMetaData lacks schema, num_rows or row_groups");
        goto fail;
    }
    if (c.num_rows < 0) {
        ds_pq_corrupt(err, "footer: negative num_rows");
        goto fail;
    }
    f->num_rows = c.num_rows;
    if (c.has_created_by && !(f->created_by = dup_pstr(&c, c.created_by)))
        goto fail;
    if (build_schema(&c, f) < 0)
        goto fail;
    if (build_row_groups(&c, f) < 0)
        goto fail;
    free_ctx(&c);
    free(buf);
    *out = f;
    return DS_OK;
fail:
    free_ctx(&c);
    free(buf);
    ds_pq_close(f);
    if (err && err->status == DS_OK)
        ds_pq_corrupt(err, "cannot read the footer");
    return err ? err->status : DS_ERR_INTERNAL;
}

/* ---------------- accessors ---------------- */

int64_t ds_pq_num_rows(const ds_pq_file *f)
{
    return f->num_rows;
}

int ds_pq_num_row_groups(const ds_pq_file *f)
{
    return f->nrgs;
}

int64_t ds_pq_row_group_rows(const ds_pq_file *f, int rg)
{
    return rg >= 0 && rg < f->nrgs ? f->rgs[rg].num_rows : -1;
}

int ds_pq_chunk_all_null(const ds_pq_file *f, int rg, int node)
{
    if (rg < 0 || rg >= f->nrgs || node < 0 || node >= f->nnodes)
        return 0;
    const ds_pq_node *nd = &f->nodes[node];
    if (nd->leaf_index < 0 || nd->rep_level != 0)
        return 0;
    const ds_pq_chunk *ch = &f->rgs[rg].cols[nd->leaf_index];
    return ch->has_null_count && ch->num_values == f->rgs[rg].num_rows &&
           ch->null_count == ch->num_values;
}

const char *ds_pq_created_by(const ds_pq_file *f)
{
    return f->created_by;
}

int ds_pq_num_nodes(const ds_pq_file *f)
{
    return f->nnodes;
}

const ds_pq_node *ds_pq_node_at(const ds_pq_file *f, int i)
{
    return i >= 0 && i < f->nnodes ? &f->nodes[i] : NULL;
}

int ds_pq_child(const ds_pq_file *f, int node, int i)
{
    if (node < 0 || node >= f->nnodes || i < 0 || i >= f->nodes[node].num_children)
        return -1;
    return f->kids[f->kid_off[node] + i];
}

int ds_pq_child_named(const ds_pq_file *f, int node, const char *name)
{
    if (node < 0 || node >= f->nnodes || !name)
        return -1;
    for (int i = 0; i < f->nodes[node].num_children; i++) {
        int k = f->kids[f->kid_off[node] + i];
        if (strcmp(f->nodes[k].name, name) == 0)
            return k;
    }
    return -1;
}

/* The repeated group (or leaf) directly under a MAP / LIST, or under an
 * unannotated group whose only child is repeated; -1 otherwise. */
static int container_inner(const ds_pq_file *f, int node)
{
    const ds_pq_node *n = &f->nodes[node];
    if (n->is_leaf || n->num_children != 1)
        return -1;
    int k = ds_pq_child(f, node, 0);
    if (f->nodes[k].repetition != DS_PQ_REPEATED)
        return -1;
    return k;
}

int ds_pq_find(const ds_pq_file *f, const char *const *path, size_t n)
{
    int cur = 0;
    for (size_t i = 0; i < n; i++) {
        if (f->nodes[cur].is_leaf || !path[i])
            return -1;
        int k = ds_pq_child_named(f, cur, path[i]);
        if (k < 0) {
            int r = container_inner(f, cur);
            if (r < 0)
                return -1;
            const ds_pq_node *rn = &f->nodes[r];
            if (rn->is_leaf) { /* 2-level list: the repeated leaf is the element */
                if (strcmp(path[i], "element") != 0)
                    return -1;
                k = r;
            } else {
                k = ds_pq_child_named(f, r, path[i]);
                if (k < 0 && rn->num_children == 1 && strcmp(path[i], "element") == 0)
                    k = ds_pq_child(f, r, 0);
                if (k < 0 && rn->num_children == 2 && strcmp(path[i], "key") == 0)
                    k = ds_pq_child(f, r, 0);
                if (k < 0 && rn->num_children == 2 && strcmp(path[i], "value") == 0)
                    k = ds_pq_child(f, r, 1);
                if (k < 0)
                    return -1;
            }
        }
        cur = k;
    }
    return cur;
}

int64_t ds_pq_int96_to_ms(const unsigned char b[12])
{
    int64_t nanos = 0;
    for (int i = 7; i >= 0; i--)
        nanos = (int64_t)((uint64_t)nanos << 8 | b[i]);
    int32_t day = (int32_t)((uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
                            (uint32_t)b[11] << 24);
    int64_t ms = nanos / 1000000;
    if (nanos % 1000000 < 0)
        ms--;
    return ((int64_t)day - 2440588) * 86400000 + ms;
}
