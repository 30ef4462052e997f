/* column.c - streaming column cursors: one column chunk, read page by page
 * from the chunk's own byte range.  Page headers (Thrift), dictionary
 * pages, DataPage v1 (levels and values inside the compressed page) and
 * v2 (levels outside, values compressed only if is_compressed), index and
 * unknown pages skipped.  Only the chunk's bytes are ever read. */
#include "config.h"
#include "parquet/pq_internal.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define READAHEAD (1u << 20)
#define HEADER_WINDOW (64u * 1024)

enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICT = 2, PAGE_DATA_V2 = 3 };

struct ds_pq_cursor {
    ds_pq_file *f;
    const ds_pq_node *leaf;
    const ds_pq_chunk *ch;
    char name[200]; /* dotted column path, for messages */
    int rg;
    uint64_t pos;      /* next page header */
    int64_t consumed;  /* level entries returned */
    int64_t rows;      /* rows started (entries with repetition level 0) */
    int64_t rg_rows;   /* rows of the row group, cached off the hot path */
    /* the current page's levels, decoded when the page is loaded */
    uint16_t *rep_lv, *def_lv;
    size_t lv_cap;
    int64_t lv_idx;
    int16_t max_def, max_rep;
    int broken;
    /* a window of the chunk's bytes */
    unsigned char *raw;
    size_t raw_cap, raw_len;
    uint64_t raw_off;
    /* the decompressed page */
    unsigned char *page;
    size_t page_cap;
    /* dictionary */
    ds_pq_dict dict;
    int have_dict, seen_data;
    /* the current data page */
    int64_t page_left;
    ds_pq_rle rep, def;
    ds_pq_vdec vd;
};

typedef struct page_hdr {
    int32_t type, usize, csize, crc;
    unsigned seen; /* PageHeader fields, bit per id */
    int32_t sub[16]; /* fields of the data / dictionary / v2 sub-header */
    unsigned sub_seen;
    int sub_kind; /* 5, 7 or 8: which sub-header was read (last wins) */
    int v2_compressed;
} page_hdr;

/* The i32 fields (ids < 16) of a sub-header; field 7 of a v2 header is
 * the is_compressed boolean. */
static int parse_sub(ds_pq_tr *t, page_hdr *h, int kind)
{
    memset(h->sub, 0, sizeof h->sub);
    h->sub_seen = 0;
    h->sub_kind = kind;
    h->v2_compressed = 1;
    if (ds_pq_tr_struct_begin(t) < 0)
        return -1;
    int16_t last = 0, id;
    int ft, r;
    while ((r = ds_pq_tr_field(t, &last, &ft, &id)) == 1) {
        if (id > 0 && id < 16 && ft == DS_TT_I32) {
            if (ds_pq_tr_i32(t, &h->sub[id]) < 0)
                return -1;
            h->sub_seen |= 1u << id;
        } else if (kind == 8 && id == 7 && (ft == DS_TT_TRUE || ft == DS_TT_FALSE)) {
            h->v2_compressed = ft == DS_TT_TRUE;
        } else if (ds_pq_tr_skip(t, ft) < 0) {
            return -1;
        }
    }
    if (r < 0)
        return -1;
    ds_pq_tr_struct_end(t);
    return 0;
}

static int parse_page_header(ds_pq_tr *t, page_hdr *h)
{
    memset(h, 0, sizeof *h);
    h->v2_compressed = 1;
    if (ds_pq_tr_struct_begin(t) < 0)
        return -1;
    int16_t last = 0, id;
    int ft, r;
    while ((r = ds_pq_tr_field(t, &last, &ft, &id)) == 1) {
        int32_t *dst = id == 1 ? &h->type : id == 2 ? &h->usize : id == 3 ? &h->csize
                       : id == 4 ? &h->crc : NULL;
        if (dst && ft == DS_TT_I32) {
            if (ds_pq_tr_i32(t, dst) < 0)
                return -1;
            h->seen |= 1u << id;
        } else if ((id == 5 || id == 7 || id == 8) && ft == DS_TT_STRUCT) {
            if (parse_sub(t, h, id) < 0)
                return -1;
            h->seen |= 1u << id;
        } else if (ds_pq_tr_skip(t, ft) < 0) {
            return -1;
        }
    }
    if (r < 0)
        return -1;
    ds_pq_tr_struct_end(t);
    return 0;
}

/* Makes the chunk bytes [off, off + n) available; *p points at them. */
static int window(ds_pq_cursor *c, uint64_t off, size_t n, const unsigned char **p,
                  ds_error *err)
{
    if (off >= c->raw_off && off - c->raw_off <= c->raw_len &&
        n <= c->raw_len - (size_t)(off - c->raw_off)) {
        *p = c->raw + (off - c->raw_off);
        return 0;
    }
    uint64_t avail = c->ch->end - off; /* callers keep off + n within the chunk */
    size_t want = n;
    if (want < READAHEAD)
        want = avail < READAHEAD ? (size_t)avail : READAHEAD;
    if (want > c->raw_cap) {
        unsigned char *nb = realloc(c->raw, want);
        if (!nb) {
            ds_error_set(err, DS_ERR_NOMEM, "out of memory reading a Parquet page");
            return -1;
        }
        c->raw = nb;
        c->raw_cap = want;
    }
    c->raw_len = 0;
    if (ds_pq_read(c->f, off, want, c->raw, err) < 0)
        return -1;
    c->raw_off = off;
    c->raw_len = want;
    *p = c->raw;
    return 0;
}

static int ensure_page(ds_pq_cursor *c, size_t n, ds_error *err)
{
    if (n <= c->page_cap && c->page)
        return 0;
    unsigned char *nb = realloc(c->page, n ? n : 1);
    if (!nb) {
        ds_error_set(err, DS_ERR_NOMEM, "out of memory for a Parquet page");
        return -1;
    }
    c->page = nb;
    c->page_cap = n ? n : 1;
    return 0;
}

static int check_crc(const page_hdr *h, const unsigned char *body, size_t n, ds_error *err)
{
    if (!(h->seen & (1u << 4)))
        return 0;
    uLong crc = crc32(0L, Z_NULL, 0);
    size_t done = 0;
    while (done < n) {
        size_t k = n - done > (1u << 30) ? (1u << 30) : n - done;
        crc = crc32(crc, body + done, (uInt)k);
        done += k;
    }
    if ((uint32_t)crc != (uint32_t)h->crc) {
        ds_pq_corrupt(err, "page CRC mismatch");
        return -1;
    }
    return 0;
}

/* Level block of a v1 page: 4-byte length + hybrid stream. */
static int v1_levels(ds_pq_rle *r, int16_t max, int32_t enc, const unsigned char **q,
                     size_t *qn, const char *what, ds_error *err)
{
    if (max == 0)
        return 0; /* absent, whatever the header says */
    if (enc != DS_PQE_RLE) {
        ds_pq_corrupt(err, "%s level encoding %d is not supported", what, (int)enc);
        return -1;
    }
    if (*qn < 4) {
        ds_pq_corrupt(err, "%s levels truncated", what);
        return -1;
    }
    uint32_t len = (uint32_t)(*q)[0] | (uint32_t)(*q)[1] << 8 | (uint32_t)(*q)[2] << 16 |
                   (uint32_t)(*q)[3] << 24;
    if (len > *qn - 4) {
        ds_pq_corrupt(err, "%s levels of %u bytes run past the page", what, len);
        return -1;
    }
    if (ds_pq_rle_init(r, *q + 4, len, ds_pq_bit_width((uint64_t)max), err) < 0)
        return -1;
    *q += 4 + (size_t)len;
    *qn -= 4 + (size_t)len;
    return 0;
}

static int start_values(ds_pq_cursor *c, int32_t enc, const unsigned char *p, size_t n,
                        ds_error *err)
{
    ds_pq_vdec_free(&c->vd);
    if (ds_pq_vdec_init(&c->vd, enc, c->leaf->type, c->leaf->type_length, p, n,
                        c->have_dict ? &c->dict : NULL, err) < 0)
        return -1;
    c->vd.nul_terminate = 1; /* p is in the cursor's own buffers */
    return 0;
}

/* Decodes n levels of a page at once; RLE runs (all-present or all-null
 * stretches, the common case) are filled without a call per value. */
static int decode_levels(ds_pq_rle *r, uint16_t *out, int64_t n, int max, const char *what,
                         ds_error *err)
{
    int64_t i = 0;
    while (i < n) {
        if (r->left > 0 && r->is_rle) {
            if (r->value > (uint64_t)max) {
                ds_pq_corrupt(err, "%s level %llu over the maximum %d", what,
                              (unsigned long long)r->value, max);
                return -1;
            }
            uint64_t k = r->left < (uint64_t)(n - i) ? r->left : (uint64_t)(n - i);
            uint16_t v = (uint16_t)r->value;
            for (uint64_t j = 0; j < k; j++)
                out[i + (int64_t)j] = v;
            i += (int64_t)k;
            r->left -= k;
            continue;
        }
        uint32_t v;
        if (ds_pq_rle_next(r, &v, err) < 0)
            return -1;
        if (v > (uint32_t)max) {
            ds_pq_corrupt(err, "%s level %u over the maximum %d", what, v, max);
            return -1;
        }
        out[i++] = (uint16_t)v;
    }
    return 0;
}

static int take_entries(ds_pq_cursor *c, int32_t n, ds_error *err)
{
    if (n < 0 || n > c->ch->num_values - c->consumed) {
        ds_pq_corrupt(err, "data page of %d values exceeds the column chunk's %lld values",
                      (int)n, (long long)c->ch->num_values);
        return -1;
    }
    if ((c->max_rep > 0 || c->max_def > 0) && (size_t)n > c->lv_cap) {
        size_t cap = (size_t)n < 1024 ? 1024 : (size_t)n;
        uint16_t *nr = c->max_rep > 0 ? realloc(c->rep_lv, cap * sizeof *nr) : c->rep_lv;
        if (nr)
            c->rep_lv = nr;
        uint16_t *nd = c->max_def > 0 ? realloc(c->def_lv, cap * sizeof *nd) : c->def_lv;
        if (nd)
            c->def_lv = nd;
        if ((c->max_rep > 0 && !nr) || (c->max_def > 0 && !nd)) {
            ds_error_set(err, DS_ERR_NOMEM, NULL);
            return -1;
        }
        c->lv_cap = cap;
    }
    if (c->max_rep > 0 && decode_levels(&c->rep, c->rep_lv, n, c->max_rep, "repetition", err) < 0)
        return -1;
    if (c->max_def > 0 && decode_levels(&c->def, c->def_lv, n, c->max_def, "definition", err) < 0)
        return -1;
    c->lv_idx = 0;
    c->page_left = n;
    c->seen_data = 1;
    return 0;
}

static int read_page(ds_pq_cursor *c, ds_error *err)
{
    const ds_pq_chunk *ch = c->ch;
    uint64_t left = ch->end - c->pos;
    size_t win = left < HEADER_WINDOW ? (size_t)left : HEADER_WINDOW;
    const unsigned char *hp;
    page_hdr h;
    ds_pq_tr t;
    for (;;) {
        if (window(c, c->pos, win, &hp, err) < 0)
            return -1;
        ds_pq_tr_init(&t, hp, win);
        if (parse_page_header(&t, &h) == 0)
            break;
        if (t.truncated && win < left && win < DS_PQ_MAX_PAGE_HEADER) {
            uint64_t nw = (uint64_t)win * 4;
            if (nw > left)
                nw = left;
            if (nw > DS_PQ_MAX_PAGE_HEADER)
                nw = DS_PQ_MAX_PAGE_HEADER;
            win = (size_t)nw;
            continue;
        }
        ds_pq_corrupt(err, "page header at offset %llu: %s", (unsigned long long)c->pos, t.msg);
        return -1;
    }
    size_t hlen = (size_t)(t.p - hp);
    const unsigned need = 1u << 1 | 1u << 2 | 1u << 3;
    if ((h.seen & need) != need) {
        ds_pq_corrupt(err, "page header lacks type or sizes");
        return -1;
    }
    if (h.csize < 0 || h.usize < 0) {
        ds_pq_corrupt(err, "page header has a negative size");
        return -1;
    }
    if ((uint32_t)h.csize > DS_PQ_MAX_PAGE || (uint32_t)h.usize > DS_PQ_MAX_PAGE) {
        ds_pq_corrupt(err, "page of %d/%d bytes is over the 256 MiB limit", (int)h.csize,
                      (int)h.usize);
        return -1;
    }
    uint64_t body_off = c->pos + hlen;
    if ((uint64_t)h.csize > ch->end - body_off) {
        ds_pq_corrupt(err, "page of %d bytes runs past the end of its column chunk",
                      (int)h.csize);
        return -1;
    }
    size_t csize = (size_t)h.csize, usize = (size_t)h.usize;
    c->pos = body_off + csize;
    if (h.type != PAGE_DATA && h.type != PAGE_DICT && h.type != PAGE_DATA_V2)
        return 0; /* INDEX_PAGE or an unknown kind: skipped */

    const unsigned char *body;
    if (window(c, body_off, csize, &body, err) < 0)
        return -1;
    int codec = ch->codec;

    if (h.type == PAGE_DICT) {
        if (!(h.seen & (1u << 7)) || h.sub_kind != 7 || !(h.sub_seen & (1u << 1))) {
            ds_pq_corrupt(err, "dictionary page without a dictionary page header");
            return -1;
        }
        if (c->seen_data || c->have_dict) {
            ds_pq_corrupt(err, "dictionary page after the first page of the column chunk");
            return -1;
        }
        int32_t nv = h.sub[1], enc = (h.sub_seen & (1u << 2)) ? h.sub[2] : DS_PQE_PLAIN;
        if (nv < 0) {
            ds_pq_corrupt(err, "dictionary page has a negative value count");
            return -1;
        }
        if (enc != DS_PQE_PLAIN && enc != DS_PQE_PLAIN_DICTIONARY) {
            ds_pq_corrupt(err, "dictionary page encoding %d is not supported", (int)enc);
            return -1;
        }
        if (check_crc(&h, body, csize, err) < 0)
            return -1;
        unsigned char *d = malloc(usize ? usize : 1);
        if (!d) {
            ds_error_set(err, DS_ERR_NOMEM, "out of memory for a Parquet dictionary");
            return -1;
        }
        if (ds_pq_decompress(codec, body, csize, d, usize, err) < 0) {
            free(d);
            return -1;
        }
        if (ds_pq_dict_load(&c->dict, c->leaf->type, c->leaf->type_length, d, usize,
                            (uint32_t)nv, err) < 0)
            return -1;
        c->have_dict = 1;
        return 0;
    }

    if (h.type == PAGE_DATA) {
        if (!(h.seen & (1u << 5)) || h.sub_kind != 5 ||
            (h.sub_seen & (1u << 1 | 1u << 2)) != (1u << 1 | 1u << 2)) {
            ds_pq_corrupt(err, "data page without a data page header");
            return -1;
        }
        if (check_crc(&h, body, csize, err) < 0)
            return -1;
        const unsigned char *q = body;
        if (codec == DS_PQC_UNCOMPRESSED) {
            if (csize != usize) {
                ds_pq_corrupt(err, "uncompressed page sizes differ (%zu vs %zu)", csize, usize);
                return -1;
            }
        } else {
            if (ensure_page(c, usize, err) < 0 ||
                ds_pq_decompress(codec, body, csize, c->page, usize, err) < 0)
                return -1;
            q = c->page;
        }
        size_t qn = usize;
        int32_t def_enc = (h.sub_seen & (1u << 3)) ? h.sub[3] : DS_PQE_RLE;
        int32_t rep_enc = (h.sub_seen & (1u << 4)) ? h.sub[4] : DS_PQE_RLE;
        if (v1_levels(&c->rep, c->max_rep, rep_enc, &q, &qn, "repetition", err) < 0 ||
            v1_levels(&c->def, c->max_def, def_enc, &q, &qn, "definition", err) < 0 ||
            start_values(c, h.sub[2], q, qn, err) < 0)
            return -1;
        return take_entries(c, h.sub[1], err);
    }

    /* DATA_PAGE_V2 */
    const unsigned v2need = 1u << 1 | 1u << 4 | 1u << 5 | 1u << 6;
    if (!(h.seen & (1u << 8)) || h.sub_kind != 8 || (h.sub_seen & v2need) != v2need) {
        ds_pq_corrupt(err, "data page v2 without a complete v2 header");
        return -1;
    }
    int32_t def_len = h.sub[5], rep_len = h.sub[6];
    if (def_len < 0 || rep_len < 0 || (uint64_t)def_len + (uint64_t)rep_len > csize ||
        (uint64_t)def_len + (uint64_t)rep_len > usize) {
        ds_pq_corrupt(err, "data page v2 level lengths %d+%d do not fit the page", (int)rep_len,
                      (int)def_len);
        return -1;
    }
    size_t lv = (size_t)def_len + (size_t)rep_len;
    const unsigned char *vals = body + lv;
    size_t vn = usize - lv;
    if (codec != DS_PQC_UNCOMPRESSED && h.v2_compressed) {
        if (ensure_page(c, vn, err) < 0 ||
            ds_pq_decompress(codec, body + lv, csize - lv, c->page, vn, err) < 0)
            return -1;
        vals = c->page;
    } else if (csize != usize) {
        ds_pq_corrupt(err, "uncompressed page sizes differ (%zu vs %zu)", csize, usize);
        return -1;
    }
    if (c->max_rep > 0 &&
        ds_pq_rle_init(&c->rep, body, (size_t)rep_len, ds_pq_bit_width((uint64_t)c->max_rep),
                       err) < 0)
        return -1;
    if (c->max_def > 0 && ds_pq_rle_init(&c->def, body + rep_len, (size_t)def_len,
                                         ds_pq_bit_width((uint64_t)c->max_def), err) < 0)
        return -1;
    if (start_values(c, h.sub[4], vals, vn, err) < 0)
        return -1;
    return take_entries(c, h.sub[1], err);
}

static void column_name(ds_pq_cursor *c)
{
    const ds_pq_file *f = c->f;
    int chain[DS_PQ_MAX_SCHEMA_DEPTH + 2], n = 0;
    for (int k = (int)(c->leaf - f->nodes); k > 0 && n < (int)(sizeof chain / sizeof *chain);
         k = f->nodes[k].parent)
        chain[n++] = k;
    size_t o = 0;
    c->name[0] = '\0';
    for (int i = n - 1; i >= 0 && o < sizeof c->name; i--) {
        int w = snprintf(c->name + o, sizeof c->name - o, "%s%s", i == n - 1 ? "" : ".",
                         f->nodes[chain[i]].name);
        if (w < 0)
            break;
        o += (size_t)w;
    }
}

/* Reports an error of the cursor's decoding with the column named. */
static int cursor_fail(ds_pq_cursor *c, const ds_error *local, ds_error *err)
{
    c->broken = 1;
    ds_status st = local->status != DS_OK ? local->status : DS_ERR_INTERNAL;
    ds_error_set(err, st, "%s (column %s, row group %d)", local->message, c->name, c->rg);
    if (local->detail[0])
        ds_error_detail(err, "%s", local->detail);
    return -1;
}

ds_status ds_pq_cursor_open(ds_pq_file *f, int rg, int leaf, ds_pq_cursor **out, ds_error *err)
{
    *out = NULL;
    if (rg < 0 || rg >= f->nrgs)
        return ds_error_set(err, DS_ERR_INTERNAL, "Parquet: no row group %d", rg);
    if (leaf < 0 || leaf >= f->nnodes || !f->nodes[leaf].is_leaf)
        return ds_error_set(err, DS_ERR_INTERNAL, "Parquet: schema node %d is not a column",
                            leaf);
    const ds_pq_node *nd = &f->nodes[leaf];
    const ds_pq_chunk *ch = &f->rgs[rg].cols[nd->leaf_index];
    ds_pq_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return ds_error_set(err, DS_ERR_NOMEM, "out of memory for a Parquet cursor");
    c->f = f;
    c->leaf = nd;
    c->ch = ch;
    c->rg = rg;
    c->pos = ch->start;
    c->max_def = nd->def_level;
    c->max_rep = nd->rep_level;
    c->rg_rows = f->rgs[rg].num_rows;
    column_name(c);
    /* a column that is not repeated has exactly one entry per row */
    if (nd->rep_level == 0 && ch->num_values != f->rgs[rg].num_rows) {
        ds_error_set(err, DS_ERR_INTERNAL,
                     "Parquet: column chunk has %lld values for %lld rows (column %s, row "
                     "group %d)", (long long)ch->num_values, (long long)f->rgs[rg].num_rows,
                     c->name, rg);
        free(c);
        return DS_ERR_INTERNAL;
    }
    if (!ds_pq_codec_supported(ch->codec)) {
        ds_error_set(err, DS_ERR_INTERNAL,
                     "Parquet: compression codec %s (%d) is not supported (column %s)",
                     ds_pq_codec_name(ch->codec), (int)ch->codec, c->name);
        free(c);
        return DS_ERR_INTERNAL;
    }
    c->raw = ds_pq_spare_take(f, 2 * nd->leaf_index, &c->raw_cap);
    c->page = ds_pq_spare_take(f, 2 * nd->leaf_index + 1, &c->page_cap);
    *out = c;
    return DS_OK;
}

/* The general path: page loads and every error, with messages naming the
 * column.  Kept out of line so the common case below stays small. */
static __attribute__((noinline)) int next_slow(ds_pq_cursor *c, ds_pq_value *out, ds_error *err)
{
    ds_error local;
    ds_error_clear(&local);
    if (c->broken)
        return ds_error_set(err, DS_ERR_INTERNAL, "Parquet: cursor used after an error"), -1;
    while (c->page_left == 0) {
        if (c->consumed == c->ch->num_values)
            return 0;
        if (c->pos >= c->ch->end) {
            ds_pq_corrupt(&local, "column chunk ends after %lld of its %lld values",
                          (long long)c->consumed, (long long)c->ch->num_values);
            return cursor_fail(c, &local, err);
        }
        if (read_page(c, &local) < 0)
            return cursor_fail(c, &local, err);
    }
    uint32_t r = c->max_rep > 0 ? c->rep_lv[c->lv_idx] : 0;
    uint32_t d = c->max_def > 0 ? c->def_lv[c->lv_idx] : 0;
    if (c->consumed == 0 && r != 0) {
        ds_pq_corrupt(&local, "column chunk starts inside a row (repetition level %u)", r);
        return cursor_fail(c, &local, err);
    }
    if (r == 0 && ++c->rows > c->rg_rows) {
        ds_pq_corrupt(&local, "column chunk has more rows than its row group's %lld",
                      (long long)c->rg_rows);
        return cursor_fail(c, &local, err);
    }
    memset(out, 0, sizeof *out);
    out->rep = (int16_t)r;
    out->def = (int16_t)d;
    out->present = d == (uint32_t)c->max_def;
    if (out->present && ds_pq_vdec_next(&c->vd, out, &local) < 0)
        return cursor_fail(c, &local, err);
    c->lv_idx++;
    c->page_left--;
    c->consumed++;
    return 1;
}

int ds_pq_next(ds_pq_cursor *c, ds_pq_value *out, ds_error *err)
{
    /* Fast path: inside a page, where the level decoders and the value
     * decoder succeed.  Any failure or page boundary takes the general path,
     * which repeats the same step with full error reporting (the decoders
     * have not advanced when they fail here: state is restored). */
    if (c->broken || c->page_left == 0 || c->consumed == 0)
        return next_slow(c, out, err);
    uint32_t r = c->max_rep > 0 ? c->rep_lv[c->lv_idx] : 0;
    uint32_t d = c->max_def > 0 ? c->def_lv[c->lv_idx] : 0;
    if (r == 0 && c->rows + 1 > c->rg_rows)
        return next_slow(c, out, err);
    out->rep = (int16_t)r;
    out->def = (int16_t)d;
    out->present = d == (uint32_t)c->max_def;
    out->ptr = NULL;
    out->len = 0;
    out->terminated = 0;
    out->v.i64 = 0;
    if (out->present) {
        ds_error local;
        local.status = DS_OK;
        local.message[0] = local.detail[0] = '\0';
        local.kind = NULL;
        if (ds_pq_vdec_next(&c->vd, out, &local) < 0)
            return cursor_fail(c, &local, err);
    }
    if (r == 0)
        c->rows++;
    c->lv_idx++;
    c->page_left--;
    c->consumed++;
    return 1;
}

void ds_pq_cursor_close(ds_pq_cursor *c)
{
    if (!c)
        return;
    ds_pq_vdec_free(&c->vd);
    ds_pq_dict_free(&c->dict);
    free(c->rep_lv);
    free(c->def_lv);
    ds_pq_spare_give(c->f, 2 * c->leaf->leaf_index, c->raw, c->raw_cap);
    ds_pq_spare_give(c->f, 2 * c->leaf->leaf_index + 1, c->page, c->page_cap);
    free(c);
}
