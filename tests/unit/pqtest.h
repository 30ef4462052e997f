/* pqtest.h - helpers shared by the Parquet suites (header-only): byte
 * sources for ds_pq_io (memory, with a log of the ranges read), file
 * loading, and reading every level entry of one column chunk. */
#ifndef DS_PQTEST_H
#define DS_PQTEST_H
#include "parquet/pq_internal.h"
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A file in memory; every read is logged. */
typedef struct pt_mem {
    const unsigned char *data;
    size_t len;
    size_t nreads;
    uint64_t r_off[4096];
    size_t r_len[4096];
} pt_mem;

static ds_status pt_mem_read(void *ctx, uint64_t off, size_t n, unsigned char *buf,
                             ds_error *err)
{
    pt_mem *m = ctx;
    if (off > m->len || n > m->len - off)
        return ds_error_set(err, DS_ERR_STORAGE, "test read past the end (%llu+%zu of %zu)",
                            (unsigned long long)off, n, m->len);
    if (m->nreads < 4096) {
        m->r_off[m->nreads] = off;
        m->r_len[m->nreads] = n;
    }
    m->nreads++;
    memcpy(buf, m->data + off, n);
    return DS_OK;
}

static inline ds_pq_io pt_mem_io(pt_mem *m, const void *data, size_t len)
{
    memset(m, 0, sizeof *m);
    m->data = data;
    m->len = len;
    ds_pq_io io = {pt_mem_read, m, len};
    return io;
}

/* Reads a whole file; fails the test when it cannot. */
static inline unsigned char *pt_load(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    ck_assert(n >= 0);
    rewind(fp);
    unsigned char *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    *len = (size_t)n;
    return b;
}

/* One level entry with its value copied out of the cursor. */
typedef struct pt_entry {
    int16_t def, rep;
    int present;
    ds_pq_value v; /* ptr is redirected to bytes below */
    unsigned char *bytes;
} pt_entry;

typedef struct pt_col {
    pt_entry *e;
    size_t n, cap;
} pt_col;

static inline void pt_col_free(pt_col *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->e[i].bytes);
    free(c->e);
    memset(c, 0, sizeof *c);
}

/* Reads every entry of leaf `node` in row group rg.  Returns 0, or -1
 * with err set (the entries read so far are kept). */
static inline int pt_read_col(ds_pq_file *f, int rg, int node, pt_col *out, ds_error *err)
{
    memset(out, 0, sizeof *out);
    ds_pq_cursor *c;
    if (ds_pq_cursor_open(f, rg, node, &c, err) != DS_OK)
        return -1;
    ds_pq_value v;
    int r;
    while ((r = ds_pq_next(c, &v, err)) == 1) {
        if (out->n == out->cap) {
            out->cap = out->cap ? out->cap * 2 : 64;
            out->e = realloc(out->e, out->cap * sizeof *out->e);
            if (!out->e)
                ck_abort_msg("out of memory");
        }
        pt_entry *e = &out->e[out->n++];
        e->def = v.def;
        e->rep = v.rep;
        e->present = v.present;
        e->v = v;
        e->bytes = NULL;
        if (v.ptr) {
            e->bytes = malloc(v.len + 1);
            if (!e->bytes)
                ck_abort_msg("out of memory");
            memcpy(e->bytes, v.ptr, v.len);
            e->bytes[v.len] = '\0';
            e->v.ptr = e->bytes;
        }
    }
    ds_pq_cursor_close(c);
    return r < 0 ? -1 : 0;
}

/* Node index of a dotted logical path ("add.partitionValues.key"). */
static inline int pt_find(const ds_pq_file *f, const char *dotted)
{
    char buf[256];
    const char *parts[16];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", dotted);
    for (char *s = strtok(buf, "."); s && n < 16; s = strtok(NULL, "."))
        parts[n++] = s;
    return ds_pq_find(f, parts, n);
}
#endif
