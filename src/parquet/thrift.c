/* thrift.c - a reader for the Thrift compact protocol, enough for the
 * Parquet footer and page headers: scalars, binaries, struct fields, list
 * and set headers, and a generic skip of any value (nested structs, lists,
 * sets, maps) bounded by a depth limit.  Counts are checked against the
 * bytes left before anything is looped over or allocated. */
#include "config.h"
#include "parquet/pq_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int fail(ds_pq_tr *t, int truncated, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(ds_pq_tr *t, int truncated, const char *fmt, ...)
{
    if (!t->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->msg, sizeof t->msg, fmt, ap);
        va_end(ap);
        t->failed = 1;
        t->truncated = truncated;
    }
    return -1;
}

static int short_input(ds_pq_tr *t)
{
    return fail(t, 1, "truncated Thrift data");
}

void ds_pq_tr_init(ds_pq_tr *t, const unsigned char *p, size_t n)
{
    memset(t, 0, sizeof *t);
    t->p = p;
    t->end = p + n;
}

static size_t left(const ds_pq_tr *t)
{
    return (size_t)(t->end - t->p);
}

int ds_pq_tr_varint(ds_pq_tr *t, uint64_t *v)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (t->failed)
            return -1;
        if (t->p >= t->end)
            return short_input(t);
        unsigned b = *t->p++;
        if (i == 9 && b > 1)
            return fail(t, 0, "Thrift varint overflows 64 bits");
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return fail(t, 0, "Thrift varint longer than 10 bytes");
}

static int zigzag(ds_pq_tr *t, int64_t *v)
{
    uint64_t u;
    if (ds_pq_tr_varint(t, &u) < 0)
        return -1;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

int ds_pq_tr_i64(ds_pq_tr *t, int64_t *v)
{
    return zigzag(t, v);
}

int ds_pq_tr_i32(ds_pq_tr *t, int32_t *v)
{
    int64_t x;
    if (zigzag(t, &x) < 0)
        return -1;
    if (x < INT32_MIN || x > INT32_MAX)
        return fail(t, 0, "Thrift i32 out of range");
    *v = (int32_t)x;
    return 0;
}

int ds_pq_tr_i16(ds_pq_tr *t, int16_t *v)
{
    int64_t x;
    if (zigzag(t, &x) < 0)
        return -1;
    if (x < INT16_MIN || x > INT16_MAX)
        return fail(t, 0, "Thrift i16 out of range");
    *v = (int16_t)x;
    return 0;
}

int ds_pq_tr_byte(ds_pq_tr *t, int8_t *v)
{
    if (t->failed)
        return -1;
    if (left(t) < 1)
        return short_input(t);
    *v = (int8_t)*t->p++;
    return 0;
}

int ds_pq_tr_double(ds_pq_tr *t, double *v)
{
    if (t->failed)
        return -1;
    if (left(t) < 8)
        return short_input(t);
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--)
        u = (u << 8) | t->p[i];
    memcpy(v, &u, sizeof *v);
    t->p += 8;
    return 0;
}

int ds_pq_tr_binary(ds_pq_tr *t, const unsigned char **p, size_t *n)
{
    uint64_t len;
    if (ds_pq_tr_varint(t, &len) < 0)
        return -1;
    if (len > left(t))
        return fail(t, 1, "Thrift binary of %llu bytes runs past the end of the data",
                    (unsigned long long)len);
    *p = t->p;
    *n = (size_t)len;
    t->p += len;
    return 0;
}

int ds_pq_tr_struct_begin(ds_pq_tr *t)
{
    if (t->failed)
        return -1;
    if (t->depth >= DS_PQ_MAX_THRIFT_DEPTH)
        return fail(t, 0, "Thrift data nested deeper than %d levels", DS_PQ_MAX_THRIFT_DEPTH);
    t->depth++;
    return 0;
}

void ds_pq_tr_struct_end(ds_pq_tr *t)
{
    if (t->depth > 0)
        t->depth--;
}

int ds_pq_tr_field(ds_pq_tr *t, int16_t *last, int *type, int16_t *id)
{
    if (t->failed)
        return -1;
    if (left(t) < 1)
        return short_input(t);
    unsigned b = *t->p++;
    if (b == 0)
        return 0;
    unsigned delta = b >> 4;
    *type = (int)(b & 15);
    if (*type > DS_TT_STRUCT)
        return fail(t, 0, "unknown Thrift type %d", *type);
    if (delta) {
        int nid = *last + (int)delta;
        if (nid > INT16_MAX)
            return fail(t, 0, "Thrift field id overflows");
        *id = (int16_t)nid;
    } else if (ds_pq_tr_i16(t, id) < 0) {
        return -1;
    }
    *last = *id;
    return 1;
}

static int elem_type_ok(int et)
{
    return et >= DS_TT_TRUE && et <= DS_TT_STRUCT;
}

int ds_pq_tr_list(ds_pq_tr *t, int *etype, uint32_t *n)
{
    if (t->failed)
        return -1;
    if (left(t) < 1)
        return short_input(t);
    unsigned b = *t->p++;
    uint64_t size = b >> 4;
    *etype = (int)(b & 15);
    if (size == 15 && ds_pq_tr_varint(t, &size) < 0)
        return -1;
    if (!elem_type_ok(*etype))
        return fail(t, 0, "bad Thrift list element type %d", *etype);
    /* every element takes at least one byte */
    if (size > left(t))
        return fail(t, size > UINT32_MAX ? 0 : 1,
                    "Thrift list of %llu elements is longer than the data left",
                    (unsigned long long)size);
    *n = (uint32_t)size;
    return 0;
}

int ds_pq_tr_bool_elem(ds_pq_tr *t, int *b)
{
    int8_t v = 0; /* set on success; some gcc -O2 builds cannot tell */
    if (ds_pq_tr_byte(t, &v) < 0)
        return -1;
    *b = v == DS_TT_TRUE;
    return 0;
}

int ds_pq_tr_skip(ds_pq_tr *t, int type)
{
    if (t->failed)
        return -1;
    switch (type) {
    case DS_TT_TRUE:
    case DS_TT_FALSE:
        return 0; /* a struct field: the value is in the type */
    case DS_TT_BYTE: {
        int8_t v;
        return ds_pq_tr_byte(t, &v);
    }
    case DS_TT_I16:
    case DS_TT_I32:
    case DS_TT_I64: {
        uint64_t v;
        return ds_pq_tr_varint(t, &v);
    }
    case DS_TT_DOUBLE:
        if (left(t) < 8)
            return short_input(t);
        t->p += 8;
        return 0;
    case DS_TT_BINARY: {
        const unsigned char *p;
        size_t n;
        return ds_pq_tr_binary(t, &p, &n);
    }
    case DS_TT_LIST:
    case DS_TT_SET: {
        int et;
        uint32_t n;
        if (ds_pq_tr_list(t, &et, &n) < 0 || ds_pq_tr_struct_begin(t) < 0)
            return -1;
        for (uint32_t i = 0; i < n; i++) {
            if (et == DS_TT_TRUE || et == DS_TT_FALSE) {
                int b;
                if (ds_pq_tr_bool_elem(t, &b) < 0)
                    return -1;
            } else if (ds_pq_tr_skip(t, et) < 0) {
                return -1;
            }
        }
        ds_pq_tr_struct_end(t);
        return 0;
    }
    case DS_TT_MAP: {
        uint64_t n;
        if (ds_pq_tr_varint(t, &n) < 0)
            return -1;
        if (n == 0)
            return 0;
        if (left(t) < 1)
            return short_input(t);
        unsigned kv = *t->p++;
        int kt = (int)(kv >> 4), vt = (int)(kv & 15);
        if (!elem_type_ok(kt) || !elem_type_ok(vt))
            return fail(t, 0, "bad Thrift map key/value types %d/%d", kt, vt);
        if (n > left(t) / 2)
            return fail(t, n > UINT32_MAX ? 0 : 1,
                        "Thrift map of %llu entries is longer than the data left",
                        (unsigned long long)n);
        if (ds_pq_tr_struct_begin(t) < 0)
            return -1;
        for (uint64_t i = 0; i < n; i++) {
            for (int k = 0; k < 2; k++) {
                int et = k ? vt : kt;
                if (et == DS_TT_TRUE || et == DS_TT_FALSE) {
                    int b;
                    if (ds_pq_tr_bool_elem(t, &b) < 0)
                        return -1;
                } else if (ds_pq_tr_skip(t, et) < 0) {
                    return -1;
                }
            }
        }
        ds_pq_tr_struct_end(t);
        return 0;
    }
    case DS_TT_STRUCT: {
        if (ds_pq_tr_struct_begin(t) < 0)
            return -1;
        int16_t last = 0, id;
        int ft, r;
        while ((r = ds_pq_tr_field(t, &last, &ft, &id)) == 1)
            if (ds_pq_tr_skip(t, ft) < 0)
                return -1;
        if (r < 0)
            return -1;
        ds_pq_tr_struct_end(t);
        return 0;
    }
    default:
        return fail(t, 0, "cannot skip Thrift type %d", type);
    }
}
