/* encoding.c - Parquet value and level encodings: the RLE / bit-packed
 * hybrid, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT, PLAIN for every physical type (booleans LSB first) and
 * dictionary lookups.  Every decoder streams one value at a time from a
 * bounded buffer and checks each count and length against the bytes left. */
#include "config.h"
#include "parquet/pq_internal.h"
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ds_status ds_pq_corrupt(ds_error *err, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ds_error_set(err, DS_ERR_INTERNAL, "Parquet: %s", msg);
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

unsigned ds_pq_bit_width(uint64_t max)
{
    unsigned w = 0;
    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

/* w (<= 64) bits at bit offset off of base, LSB first.  The caller has
 * checked that off + w bits lie within avail bytes. */
static uint64_t get_bits(const unsigned char *base, size_t avail, uint64_t off, unsigned w)
{
    if (w == 0)
        return 0;
    size_t byte = (size_t)(off >> 3);
    unsigned sh = (unsigned)(off & 7);
    const unsigned char *q = base + byte;
    uint64_t v;
    if (avail - byte >= 8) {
        v = le64(q) >> sh;
    } else {
        unsigned nb = (unsigned)(avail - byte);
        v = 0;
        for (unsigned i = 0; i < nb; i++)
            v |= (uint64_t)q[i] << (8 * i);
        v >>= sh;
    }
    if (sh + w > 64) /* a ninth byte, present because the bits are */
        v |= (uint64_t)q[8] << (64 - sh);
    if (w < 64)
        v &= ((uint64_t)1 << w) - 1;
    return v;
}

static int uvarint(const unsigned char **pp, const unsigned char *end, uint64_t *v)
{
    const unsigned char *p = *pp;
    uint64_t r = 0;
    for (unsigned i = 0; i < 10; i++) {
        if (p >= end)
            return -1;
        unsigned b = *p++;
        if (i == 9 && b > 1)
            return -1;
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *pp = p;
            *v = r;
            return 0;
        }
    }
    return -1;
}

/* ==================================================================
 * RLE / bit-packed hybrid
 * ================================================================ */

int ds_pq_rle_init(ds_pq_rle *r, const unsigned char *p, size_t n, unsigned bw, ds_error *err)
{
    memset(r, 0, sizeof *r);
    if (bw > 32) {
        ds_pq_corrupt(err, "RLE/bit-packed bit width %u is over 32", bw);
        return -1;
    }
    r->p = p;
    r->end = p + n;
    r->bw = bw;
    return 0;
}

static int rle_run(ds_pq_rle *r, ds_error *err)
{
    uint64_t h;
    if (r->p >= r->end) {
        ds_pq_corrupt(err, "RLE/bit-packed data ends before all values were read");
        return -1;
    }
    if (uvarint(&r->p, r->end, &h) < 0 || h > ((uint64_t)1 << 33)) {
        ds_pq_corrupt(err, "bad RLE/bit-packed run header");
        return -1;
    }
    size_t avail = (size_t)(r->end - r->p);
    if (h & 1) {
        uint64_t groups = h >> 1;
        uint64_t count = groups * 8, bytes = groups * r->bw;
        if (bytes > avail) { /* a short final run: only whole values count */
            bytes = avail;
            count = bytes * 8 / r->bw;
        }
        r->is_rle = 0;
        r->bp = r->p;
        r->bp_bytes = (size_t)bytes;
        r->bp_idx = 0;
        r->left = count;
        r->p += bytes;
    } else {
        unsigned vb = (r->bw + 7) / 8;
        if (vb > avail) {
            ds_pq_corrupt(err, "RLE run value truncated");
            return -1;
        }
        uint64_t v = 0;
        for (unsigned i = 0; i < vb; i++)
            v |= (uint64_t)r->p[i] << (8 * i);
        r->p += vb;
        if (r->bw < 32 && (v >> r->bw) != 0) {
            ds_pq_corrupt(err, "RLE run value %llu does not fit in %u bits",
                          (unsigned long long)v, r->bw);
            return -1;
        }
        r->is_rle = 1;
        r->value = v;
        r->left = h >> 1;
    }
    return 0;
}

int ds_pq_rle_next(ds_pq_rle *r, uint32_t *v, ds_error *err)
{
    while (r->left == 0)
        if (rle_run(r, err) < 0)
            return -1;
    r->left--;
    if (r->is_rle) {
        *v = (uint32_t)r->value;
    } else {
        *v = (uint32_t)get_bits(r->bp, r->bp_bytes, r->bp_idx * r->bw, r->bw);
        r->bp_idx++;
    }
    return 0;
}

/* ==================================================================
 * DELTA_BINARY_PACKED
 * ================================================================ */

static int dbp_bad(ds_error *err, const char *what)
{
    ds_pq_corrupt(err, "DELTA_BINARY_PACKED: %s", what);
    return -1;
}

int ds_pq_dbp_init(ds_pq_dbp *d, const unsigned char *p, size_t n, ds_error *err)
{
    memset(d, 0, sizeof *d);
    const unsigned char *end = p + n;
    uint64_t first;
    if (uvarint(&p, end, &d->block_size) < 0 || uvarint(&p, end, &d->mb_count) < 0 ||
        uvarint(&p, end, &d->total) < 0 || uvarint(&p, end, &first) < 0)
        return dbp_bad(err, "truncated or bad header");
    if (d->block_size == 0 || d->block_size % 128 != 0 || d->block_size > (1u << 20))
        return dbp_bad(err, "block size is not a positive multiple of 128 (at most 2^20)");
    if (d->mb_count == 0 || d->block_size % d->mb_count != 0 ||
        (d->block_size / d->mb_count) % 32 != 0)
        return dbp_bad(err, "bad miniblock count");
    if (d->total > INT64_MAX)
        return dbp_bad(err, "value count out of range");
    d->mb_values = d->block_size / d->mb_count;
    d->last = (first >> 1) ^ -(first & 1);
    d->p = p;
    d->end = end;
    return 0;
}

/* Enters the next miniblock (k of the current block). */
static int dbp_enter_mb(ds_pq_dbp *d, uint64_t k, ds_error *err)
{
    unsigned bw = d->widths[k];
    if (bw > 64)
        return dbp_bad(err, "miniblock bit width over 64");
    uint64_t size = d->mb_values * bw / 8;
    size_t avail = (size_t)(d->end - d->p);
    d->mb_index = k;
    d->mb_bw = bw;
    d->mb_data = d->p;
    d->mb_avail = size < avail ? (size_t)size : avail;
    d->p += d->mb_avail;
    d->in_mb = 0;
    return 0;
}

static int dbp_block(ds_pq_dbp *d, ds_error *err)
{
    uint64_t md;
    if (uvarint(&d->p, d->end, &md) < 0)
        return dbp_bad(err, "block header truncated");
    d->min_delta = (md >> 1) ^ -(md & 1);
    if ((size_t)(d->end - d->p) < d->mb_count)
        return dbp_bad(err, "miniblock bit widths truncated");
    d->widths = d->p;
    d->p += d->mb_count;
    d->in_block = 1;
    return dbp_enter_mb(d, 0, err);
}

int ds_pq_dbp_next(ds_pq_dbp *d, int64_t *v, ds_error *err)
{
    if (d->emitted >= d->total)
        return dbp_bad(err, "more values read than the stream holds");
    if (d->emitted == 0) {
        d->emitted = 1;
        *v = (int64_t)d->last;
        return 0;
    }
    if (!d->in_block || (d->in_mb == d->mb_values && d->mb_index + 1 == d->mb_count)) {
        if (dbp_block(d, err) < 0)
            return -1;
    } else if (d->in_mb == d->mb_values) {
        if (dbp_enter_mb(d, d->mb_index + 1, err) < 0)
            return -1;
    }
    uint64_t bit = d->in_mb * d->mb_bw;
    if (bit + d->mb_bw > (uint64_t)d->mb_avail * 8)
        return dbp_bad(err, "miniblock data truncated");
    uint64_t delta = get_bits(d->mb_data, d->mb_avail, bit, d->mb_bw);
    d->in_mb++;
    d->last += d->min_delta + delta;
    d->emitted++;
    *v = (int64_t)d->last;
    return 0;
}

int ds_pq_dbp_end(const ds_pq_dbp *d, const unsigned char **endp, ds_error *err)
{
    const unsigned char *q = d->p, *end = d->end;
    uint64_t rem = d->total > 0 ? d->total - 1 : 0;
    while (rem > 0) {
        uint64_t md;
        if (uvarint(&q, end, &md) < 0)
            return dbp_bad(err, "block header truncated");
        if ((size_t)(end - q) < d->mb_count)
            return dbp_bad(err, "miniblock bit widths truncated");
        const unsigned char *w = q;
        q += d->mb_count;
        for (uint64_t k = 0; k < d->mb_count && rem > 0; k++) {
            if (w[k] > 64)
                return dbp_bad(err, "miniblock bit width over 64");
            uint64_t size = d->mb_values * w[k] / 8;
            if (size > (uint64_t)(end - q))
                return dbp_bad(err, "miniblock data truncated");
            q += size;
            rem -= rem < d->mb_values ? rem : d->mb_values;
        }
    }
    *endp = q;
    return 0;
}

/* ==================================================================
 * Dictionaries
 * ================================================================ */

static size_t fixed_width(ds_pq_type t, int32_t type_length)
{
    switch (t) {
    case DS_PQ_INT32:
    case DS_PQ_FLOAT:
        return 4;
    case DS_PQ_INT64:
    case DS_PQ_DOUBLE:
        return 8;
    case DS_PQ_INT96:
        return 12;
    case DS_PQ_FIXED_LEN_BYTE_ARRAY:
        return type_length > 0 ? (size_t)type_length : 0;
    default:
        return 0;
    }
}

void ds_pq_dict_free(ds_pq_dict *d)
{
    free(d->data);
    free(d->offs);
    free(d->lens);
    memset(d, 0, sizeof *d);
}

int ds_pq_dict_load(ds_pq_dict *d, ds_pq_type type, int32_t type_length, unsigned char *data,
                    size_t len, uint32_t count, ds_error *err)
{
    memset(d, 0, sizeof *d);
    d->type = type;
    d->type_length = type_length;
    d->data = data;
    d->len = len;
    if (type == DS_PQ_BYTE_ARRAY) {
        if (count > len / 4) {
            ds_pq_corrupt(err, "dictionary of %u byte arrays does not fit in %zu bytes", count,
                          len);
            goto fail;
        }
        d->offs = malloc(((size_t)count + 1) * sizeof *d->offs);
        d->lens = malloc(((size_t)count + 1) * sizeof *d->lens);
        if (!d->offs || !d->lens) {
            ds_error_set(err, DS_ERR_NOMEM, "out of memory for a Parquet dictionary");
            goto fail;
        }
        size_t pos = 0;
        for (uint32_t i = 0; i < count; i++) {
            if (len - pos < 4) {
                ds_pq_corrupt(err, "dictionary entry %u truncated", i);
                goto fail;
            }
            uint32_t l = le32(data + pos);
            pos += 4;
            if (l > len - pos) {
                ds_pq_corrupt(err, "dictionary entry %u of %u bytes runs past the page", i, l);
                goto fail;
            }
            d->offs[i] = (uint32_t)pos;
            d->lens[i] = l;
            pos += l;
        }
    } else {
        size_t w = fixed_width(type, type_length);
        if (w == 0) {
            ds_pq_corrupt(err, "dictionary for this physical type is not supported");
            goto fail;
        }
        if (count > len / w) {
            ds_pq_corrupt(err, "dictionary of %u values does not fit in %zu bytes", count, len);
            goto fail;
        }
    }
    d->count = count;
    return 0;
fail:
    ds_pq_dict_free(d);
    return -1;
}

/* ==================================================================
 * Value decoders
 * ================================================================ */

static void set_fixed(ds_pq_value *out, ds_pq_type type, const unsigned char *q, size_t w)
{
    switch (type) {
    case DS_PQ_INT32:
        out->v.i32 = (int32_t)le32(q);
        break;
    case DS_PQ_INT64:
        out->v.i64 = (int64_t)le64(q);
        break;
    case DS_PQ_FLOAT: {
        uint32_t u = le32(q);
        memcpy(&out->v.f32, &u, 4);
        break;
    }
    case DS_PQ_DOUBLE: {
        uint64_t u = le64(q);
        memcpy(&out->v.f64, &u, 8);
        break;
    }
    default: /* INT96, FIXED_LEN_BYTE_ARRAY */
        out->ptr = q;
        out->len = (uint32_t)w;
        break;
    }
}

static int grow(unsigned char **b, size_t *cap, size_t need, ds_error *err)
{
    if (need <= *cap && *b)
        return 0;
    size_t nc = *cap ? *cap : 64;
    while (nc < need)
        nc *= 2;
    unsigned char *nb = realloc(*b, nc);
    if (!nb) {
        ds_error_set(err, DS_ERR_NOMEM, "out of memory decoding a Parquet page");
        return -1;
    }
    *b = nb;
    *cap = nc;
    return 0;
}

static int enc_type_bad(ds_error *err, int encoding, ds_pq_type type)
{
    ds_pq_corrupt(err, "encoding %d is not valid for physical type %d", encoding, (int)type);
    return -1;
}

int ds_pq_vdec_init(ds_pq_vdec *vd, int encoding, ds_pq_type type, int32_t type_length,
                    const unsigned char *p, size_t n, const ds_pq_dict *dict, ds_error *err)
{
    memset(vd, 0, sizeof *vd);
    vd->encoding = encoding;
    vd->type = type;
    vd->type_length = type_length;
    vd->p = p;
    vd->end = p + n;
    if (type == DS_PQ_FIXED_LEN_BYTE_ARRAY && type_length <= 0) {
        ds_pq_corrupt(err, "FIXED_LEN_BYTE_ARRAY without a positive length");
        return -1;
    }
    switch (encoding) {
    case DS_PQE_PLAIN:
        return 0;
    case DS_PQE_PLAIN_DICTIONARY:
    case DS_PQE_RLE_DICTIONARY:
        if (!dict) {
            ds_pq_corrupt(err, "dictionary-encoded page without a dictionary page");
            return -1;
        }
        vd->dict = dict;
        if (n == 0) /* no values: fails on the first read, if any */
            return ds_pq_rle_init(&vd->rle, p, 0, 0, err);
        if (p[0] > 32) {
            ds_pq_corrupt(err, "dictionary index bit width %u is over 32", p[0]);
            return -1;
        }
        return ds_pq_rle_init(&vd->rle, p + 1, n - 1, p[0], err);
    case DS_PQE_RLE:
        if (type != DS_PQ_BOOLEAN)
            return enc_type_bad(err, encoding, type);
        if (n < 4 || le32(p) > n - 4) {
            ds_pq_corrupt(err, "RLE boolean data length is missing or too large");
            return -1;
        }
        return ds_pq_rle_init(&vd->rle, p + 4, le32(p), 1, err);
    case DS_PQE_DELTA_BINARY_PACKED:
        if (type != DS_PQ_INT32 && type != DS_PQ_INT64)
            return enc_type_bad(err, encoding, type);
        return ds_pq_dbp_init(&vd->a, p, n, err);
    case DS_PQE_DELTA_LENGTH_BYTE_ARRAY:
        if (type != DS_PQ_BYTE_ARRAY)
            return enc_type_bad(err, encoding, type);
        if (ds_pq_dbp_init(&vd->a, p, n, err) < 0 || ds_pq_dbp_end(&vd->a, &vd->data, err) < 0)
            return -1;
        vd->data_end = vd->end;
        return 0;
    case DS_PQE_DELTA_BYTE_ARRAY: {
        if (type != DS_PQ_BYTE_ARRAY && type != DS_PQ_FIXED_LEN_BYTE_ARRAY)
            return enc_type_bad(err, encoding, type);
        const unsigned char *s;
        if (ds_pq_dbp_init(&vd->a, p, n, err) < 0 || ds_pq_dbp_end(&vd->a, &s, err) < 0 ||
            ds_pq_dbp_init(&vd->b, s, (size_t)(vd->end - s), err) < 0 ||
            ds_pq_dbp_end(&vd->b, &vd->data, err) < 0)
            return -1;
        if (vd->a.total != vd->b.total) {
            ds_pq_corrupt(err, "DELTA_BYTE_ARRAY has %llu prefixes but %llu suffixes",
                          (unsigned long long)vd->a.total, (unsigned long long)vd->b.total);
            return -1;
        }
        vd->data_end = vd->end;
        if (grow(&vd->buf[0], &vd->cap[0], 1, err) < 0 || grow(&vd->buf[1], &vd->cap[1], 1, err) < 0)
            return -1;
        return 0;
    }
    case DS_PQE_BYTE_STREAM_SPLIT: {
        size_t w = fixed_width(type, type_length);
        if (w == 0 || type == DS_PQ_INT96)
            return enc_type_bad(err, encoding, type);
        if (n % w != 0) {
            ds_pq_corrupt(err, "BYTE_STREAM_SPLIT data of %zu bytes is not a multiple of %zu", n,
                          w);
            return -1;
        }
        vd->bss_n = n / w;
        return grow(&vd->buf[0], &vd->cap[0], w, err);
    }
    default:
        ds_pq_corrupt(err, "unsupported value encoding %d", encoding);
        return -1;
    }
}

void ds_pq_vdec_free(ds_pq_vdec *vd)
{
    free(vd->buf[0]);
    free(vd->buf[1]);
    vd->buf[0] = vd->buf[1] = NULL;
    vd->cap[0] = vd->cap[1] = 0;
}

static int out_of_values(ds_error *err, const char *enc)
{
    ds_pq_corrupt(err, "%s values end before the page's last value", enc);
    return -1;
}

static int plain_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err)
{
    size_t left = (size_t)(vd->end - vd->p);
    if (vd->type == DS_PQ_BOOLEAN) {
        if (left == 0)
            return out_of_values(err, "PLAIN");
        out->v.boolean = (*vd->p >> vd->bit) & 1;
        if (++vd->bit == 8) {
            vd->bit = 0;
            vd->p++;
        }
        return 0;
    }
    if (vd->type == DS_PQ_BYTE_ARRAY) {
        if (left < 4)
            return out_of_values(err, "PLAIN");
        uint32_t l = vd->have_next_len ? vd->next_len : le32(vd->p);
        vd->have_next_len = 0;
        if (l > left - 4) {
            ds_pq_corrupt(err, "PLAIN byte array of %u bytes runs past the page", l);
            return -1;
        }
        out->ptr = vd->p + 4;
        out->len = l;
        vd->p += 4 + (size_t)l;
        if (vd->nul_terminate && vd->end - vd->p >= 4) {
            /* keep the next length, then end this value with a NUL */
            vd->next_len = le32(vd->p);
            vd->have_next_len = 1;
            *(unsigned char *)(uintptr_t)vd->p = '\0';
            out->terminated = 1;
        }
        return 0;
    }
    size_t w = fixed_width(vd->type, vd->type_length);
    if (w == 0) {
        ds_pq_corrupt(err, "unknown physical type %d", (int)vd->type);
        return -1;
    }
    if (left < w)
        return out_of_values(err, "PLAIN");
    set_fixed(out, vd->type, vd->p, w);
    vd->p += w;
    return 0;
}

static int dict_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err)
{
    uint32_t idx;
    if (ds_pq_rle_next(&vd->rle, &idx, err) < 0)
        return -1;
    const ds_pq_dict *d = vd->dict;
    if (idx >= d->count) {
        ds_pq_corrupt(err, "dictionary index %u out of range (dictionary has %u entries)", idx,
                      d->count);
        return -1;
    }
    if (d->type == DS_PQ_BYTE_ARRAY) {
        out->ptr = d->data + d->offs[idx];
        out->len = d->lens[idx];
    } else {
        size_t w = fixed_width(d->type, d->type_length);
        set_fixed(out, d->type, d->data + (size_t)idx * w, w);
    }
    return 0;
}

static int dlba_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err)
{
    int64_t l;
    if (ds_pq_dbp_next(&vd->a, &l, err) < 0)
        return -1;
    if (l < 0 || (uint64_t)l > (uint64_t)(vd->data_end - vd->data)) {
        ds_pq_corrupt(err, "DELTA_LENGTH_BYTE_ARRAY length %lld out of range", (long long)l);
        return -1;
    }
    out->ptr = vd->data;
    out->len = (uint32_t)l;
    vd->data += l;
    return 0;
}

static int dba_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err)
{
    int64_t pre, suf;
    if (ds_pq_dbp_next(&vd->a, &pre, err) < 0 || ds_pq_dbp_next(&vd->b, &suf, err) < 0)
        return -1;
    if (pre < 0 || (uint64_t)pre > vd->prev_len) {
        ds_pq_corrupt(err, "DELTA_BYTE_ARRAY prefix %lld longer than the previous value",
                      (long long)pre);
        return -1;
    }
    if (suf < 0 || (uint64_t)suf > (uint64_t)(vd->data_end - vd->data)) {
        ds_pq_corrupt(err, "DELTA_BYTE_ARRAY suffix length %lld out of range", (long long)suf);
        return -1;
    }
    size_t total = (size_t)pre + (size_t)suf;
    if (total > UINT32_MAX) {
        ds_pq_corrupt(err, "DELTA_BYTE_ARRAY value too long");
        return -1;
    }
    int nx = vd->cur ^ 1;
    if (grow(&vd->buf[nx], &vd->cap[nx], total + 1, err) < 0)
        return -1;
    memcpy(vd->buf[nx], vd->buf[vd->cur], (size_t)pre);
    memcpy(vd->buf[nx] + pre, vd->data, (size_t)suf);
    vd->data += suf;
    vd->cur = nx;
    vd->prev_len = total;
    if (vd->type == DS_PQ_FIXED_LEN_BYTE_ARRAY && total != (size_t)vd->type_length) {
        ds_pq_corrupt(err, "DELTA_BYTE_ARRAY value of %zu bytes in a %d-byte column", total,
                      (int)vd->type_length);
        return -1;
    }
    out->ptr = vd->buf[nx];
    out->len = (uint32_t)total;
    return 0;
}

static int bss_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err)
{
    size_t w = fixed_width(vd->type, vd->type_length);
    if (vd->bss_i >= vd->bss_n)
        return out_of_values(err, "BYTE_STREAM_SPLIT");
    for (size_t k = 0; k < w; k++)
        vd->buf[0][k] = vd->p[k * vd->bss_n + vd->bss_i];
    vd->bss_i++;
    set_fixed(out, vd->type, vd->buf[0], w);
    return 0;
}

int ds_pq_vdec_next(ds_pq_vdec *vd, ds_pq_value *out, ds_error *err)
{
    out->ptr = NULL;
    out->len = 0;
    switch (vd->encoding) {
    case DS_PQE_PLAIN:
        return plain_next(vd, out, err);
    case DS_PQE_PLAIN_DICTIONARY:
    case DS_PQE_RLE_DICTIONARY:
        return dict_next(vd, out, err);
    case DS_PQE_RLE: {
        uint32_t b;
        if (ds_pq_rle_next(&vd->rle, &b, err) < 0)
            return -1;
        out->v.boolean = (int)b;
        return 0;
    }
    case DS_PQE_DELTA_BINARY_PACKED: {
        int64_t x;
        if (ds_pq_dbp_next(&vd->a, &x, err) < 0)
            return -1;
        if (vd->type == DS_PQ_INT32)
            out->v.i32 = (int32_t)(uint32_t)(uint64_t)x;
        else
            out->v.i64 = x;
        return 0;
    }
    case DS_PQE_DELTA_LENGTH_BYTE_ARRAY:
        return dlba_next(vd, out, err);
    case DS_PQE_DELTA_BYTE_ARRAY:
        return dba_next(vd, out, err);
    case DS_PQE_BYTE_STREAM_SPLIT:
        return bss_next(vd, out, err);
    default:
        ds_pq_corrupt(err, "unsupported value encoding %d", vd->encoding);
        return -1;
    }
}
