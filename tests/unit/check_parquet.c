/* check_parquet.c - unit tests for the Parquet reader on crafted input:
 * the Thrift compact protocol reader, the RLE / bit-packed hybrid,
 * DELTA_BINARY_PACKED, every value encoding, the codecs (inputs compressed
 * here with the real libraries), and whole files built here by a small
 * writer: a valid file decoded entry by entry, and a table of broken files
 * that must each give a clean error naming what is wrong. */
#include "config.h"
#include "deltasharing.h"
#include "pqtest.h"
#include "testutil.h"
#include <check.h>
#include <limits.h>
#include <snappy-c.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ====================================================================
 * A growable byte buffer and a Thrift compact protocol writer
 * ================================================================== */

typedef struct bb {
    unsigned char *b;
    size_t n, cap;
} bb;

static void bb_put(bb *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->b = realloc(o->b, o->cap);
        ck_assert_ptr_nonnull(o->b);
    }
    if (n)
        memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void bb_u8(bb *o, unsigned v)
{
    unsigned char c = (unsigned char)v;
    bb_put(o, &c, 1);
}

static void bb_le32(bb *o, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        bb_u8(o, (v >> (8 * i)) & 0xff);
}

static void bb_le64(bb *o, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        bb_u8(o, (unsigned)((v >> (8 * i)) & 0xff));
}

static void bb_var(bb *o, uint64_t v)
{
    do {
        unsigned c = v & 0x7f;
        v >>= 7;
        bb_u8(o, c | (v ? 0x80 : 0));
    } while (v);
}

static void bb_zz(bb *o, int64_t v)
{
    bb_var(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

typedef struct tw {
    bb o;
    int16_t last[64];
    int sp;
} tw;

static void tw_fh(tw *w, int id, int type)
{
    int delta = id - w->last[w->sp];
    if (delta > 0 && delta <= 15) {
        bb_u8(&w->o, (unsigned)(delta << 4 | type));
    } else {
        bb_u8(&w->o, (unsigned)type);
        bb_zz(&w->o, id);
    }
    w->last[w->sp] = (int16_t)id;
}

static void tw_i32(tw *w, int id, int64_t v) /* v may be out of range on purpose */
{
    tw_fh(w, id, DS_TT_I32);
    bb_zz(&w->o, v);
}

static void tw_i64(tw *w, int id, int64_t v)
{
    tw_fh(w, id, DS_TT_I64);
    bb_zz(&w->o, v);
}

static void tw_bool(tw *w, int id, int v)
{
    tw_fh(w, id, v ? DS_TT_TRUE : DS_TT_FALSE);
}

static void tw_bin(tw *w, int id, const char *s)
{
    tw_fh(w, id, DS_TT_BINARY);
    bb_var(&w->o, strlen(s));
    bb_put(&w->o, s, strlen(s));
}

static void tw_push(tw *w)
{
    ck_assert_int_lt(w->sp, 63);
    w->last[++w->sp] = 0;
}

static void tw_sbegin(tw *w, int id) /* a struct field */
{
    tw_fh(w, id, DS_TT_STRUCT);
    tw_push(w);
}

static void tw_send(tw *w)
{
    bb_u8(&w->o, 0);
    w->sp--;
}

static void tw_lhead(tw *w, int etype, uint64_t n)
{
    if (n < 15) {
        bb_u8(&w->o, (unsigned)(n << 4 | (unsigned)etype));
    } else {
        bb_u8(&w->o, 0xf0 | (unsigned)etype);
        bb_var(&w->o, n);
    }
}

static void tw_list(tw *w, int id, int etype, uint64_t n)
{
    tw_fh(w, id, DS_TT_LIST);
    tw_lhead(w, etype, n);
}

/* ====================================================================
 * Thrift reader
 * ================================================================== */

/* A struct with every type, nested containers and long-form field ids. */
static void thrift_everything(tw *w)
{
    tw_push(w); /* the outer struct (no header: a top-level value) */
    tw_bool(w, 1, 1);
    tw_bool(w, 2, 0);
    tw_fh(w, 3, DS_TT_BYTE);
    bb_u8(&w->o, 0x80);
    tw_fh(w, 4, DS_TT_I16);
    bb_zz(&w->o, -32768);
    tw_i32(w, 5, INT32_MIN);
    tw_i64(w, 6, INT64_MAX);
    tw_fh(w, 7, DS_TT_DOUBLE);
    bb_le64(&w->o, 0x400921fb54442d18ull); /* pi */
    tw_bin(w, 8, "binary");
    tw_list(w, 9, DS_TT_I32, 3);
    bb_zz(&w->o, 1);
    bb_zz(&w->o, -2);
    bb_zz(&w->o, 3);
    tw_fh(w, 10, DS_TT_SET);
    tw_lhead(w, DS_TT_BINARY, 20); /* long-form size */
    for (int i = 0; i < 20; i++) {
        bb_var(&w->o, 1);
        bb_u8(&w->o, 'a' + i);
    }
    tw_fh(w, 11, DS_TT_MAP);
    bb_var(&w->o, 2);
    bb_u8(&w->o, DS_TT_BINARY << 4 | DS_TT_TRUE);
    bb_var(&w->o, 1);
    bb_u8(&w->o, 'k');
    bb_u8(&w->o, 1);
    bb_var(&w->o, 1);
    bb_u8(&w->o, 'l');
    bb_u8(&w->o, 2);
    tw_fh(w, 12, DS_TT_MAP); /* empty map: just the size */
    bb_var(&w->o, 0);
    tw_sbegin(w, 200); /* long-form id, nested struct with a list of structs */
    tw_list(w, 1, DS_TT_STRUCT, 2);
    tw_push(w);
    tw_i32(w, 1, 7);
    tw_send(w);
    tw_push(w);
    tw_list(w, 3, DS_TT_LIST, 1);
    tw_lhead(w, DS_TT_TRUE, 3);
    bb_u8(&w->o, 1);
    bb_u8(&w->o, 2);
    bb_u8(&w->o, 1);
    tw_send(w);
    tw_send(w);
    tw_i32(w, -3, 9); /* a negative id, long form */
    tw_send(w);
}

START_TEST(thrift_skip_everything)
{
    tw w = {0};
    thrift_everything(&w);
    bb_u8(&w.o, 0xAA); /* trailing byte after the struct */
    ds_pq_tr t;
    ds_pq_tr_init(&t, w.o.b, w.o.n);
    ck_assert_int_eq(ds_pq_tr_skip(&t, DS_TT_STRUCT), 0);
    ck_assert_ptr_eq(t.p, w.o.b + w.o.n - 1);
    ck_assert_int_eq(t.depth, 0);

    /* read it field by field */
    ds_pq_tr_init(&t, w.o.b, w.o.n);
    ck_assert_int_eq(ds_pq_tr_struct_begin(&t), 0);
    int16_t last = 0, id;
    int ft, seen = 0;
    while (ds_pq_tr_field(&t, &last, &ft, &id) == 1) {
        seen++;
        switch (id) {
        case 1:
            ck_assert_int_eq(ft, DS_TT_TRUE);
            break;
        case 2:
            ck_assert_int_eq(ft, DS_TT_FALSE);
            break;
        case 3: {
            int8_t v;
            ck_assert_int_eq(ds_pq_tr_byte(&t, &v), 0);
            ck_assert_int_eq(v, -128);
            break;
        }
        case 4: {
            int16_t v;
            ck_assert_int_eq(ds_pq_tr_i16(&t, &v), 0);
            ck_assert_int_eq(v, -32768);
            break;
        }
        case 5: {
            int32_t v;
            ck_assert_int_eq(ds_pq_tr_i32(&t, &v), 0);
            ck_assert_int_eq(v, INT32_MIN);
            break;
        }
        case 6: {
            int64_t v;
            ck_assert_int_eq(ds_pq_tr_i64(&t, &v), 0);
            ck_assert(v == INT64_MAX);
            break;
        }
        case 7: {
            double v;
            ck_assert_int_eq(ds_pq_tr_double(&t, &v), 0);
            ck_assert(v > 3.14159265 && v < 3.14159266);
            break;
        }
        case 8: {
            const unsigned char *p;
            size_t n;
            ck_assert_int_eq(ds_pq_tr_binary(&t, &p, &n), 0);
            ck_assert_uint_eq(n, 6);
            ck_assert_mem_eq(p, "binary", 6);
            break;
        }
        case 9: {
            int et;
            uint32_t n;
            int32_t v;
            ck_assert_int_eq(ds_pq_tr_list(&t, &et, &n), 0);
            ck_assert_int_eq(et, DS_TT_I32);
            ck_assert_uint_eq(n, 3);
            ck_assert_int_eq(ds_pq_tr_i32(&t, &v), 0);
            ck_assert_int_eq(v, 1);
            ck_assert_int_eq(ds_pq_tr_i32(&t, &v), 0);
            ck_assert_int_eq(v, -2);
            ck_assert_int_eq(ds_pq_tr_i32(&t, &v), 0);
            ck_assert_int_eq(v, 3);
            break;
        }
        case 200:
        case -3:
        default:
            ck_assert_int_eq(ds_pq_tr_skip(&t, ft), 0);
        }
    }
    ck_assert_int_eq(t.failed, 0);
    ck_assert_int_eq(seen, 14);
    free(w.o.b);
}
END_TEST

/* Every proper prefix of a valid struct fails as truncated input. */
START_TEST(thrift_truncated_everywhere)
{
    tw w = {0};
    thrift_everything(&w);
    for (size_t cut = 0; cut < w.o.n; cut++) {
        ds_pq_tr t;
        ds_pq_tr_init(&t, w.o.b, cut);
        ck_assert_msg(ds_pq_tr_skip(&t, DS_TT_STRUCT) == -1, "prefix %zu accepted", cut);
        ck_assert_msg(t.failed && t.truncated, "prefix %zu: %s", cut, t.msg);
        ck_assert(t.p <= w.o.b + cut);
    }
    free(w.o.b);
}
END_TEST

static const struct thrift_bad {
    const char *name;
    const unsigned char *bytes;
    size_t n;
    const char *msg;
} thrift_bad[] = {
    /* list<i32> claiming 2^31 elements in 3 bytes */
    {"huge list", (const unsigned char *)"\x19\xf5\x80\x80\x80\x80\x08\x00", 8, "longer than the data left"},
    /* map of 2^40 entries */
    {"huge map", (const unsigned char *)"\x1b\x80\x80\x80\x80\x80\x20\x55\x00", 9, "longer than the data left"},
    /* binary of 2^62 bytes */
    {"huge binary", (const unsigned char *)"\x18\x80\x80\x80\x80\x80\x80\x80\x80\x40\x00", 11, "runs past the end"},
    {"varint too long", (const unsigned char *)"\x16\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00", 12, "varint"},
    {"bad field type 13", (const unsigned char *)"\x1d\x00", 2, "unknown Thrift type 13"},
    {"bad list element type", (const unsigned char *)"\x19\x10\x00", 3, "bad Thrift list element type 0"},
    {"bad map types", (const unsigned char *)"\x1b\x01\xd5\x00", 4, "bad Thrift map key/value types"},
};

START_TEST(thrift_bad_input)
{
    const struct thrift_bad *tc = &thrift_bad[_i];
    ds_pq_tr t;
    ds_pq_tr_init(&t, tc->bytes, tc->n);
    ck_assert_msg(ds_pq_tr_skip(&t, DS_TT_STRUCT) == -1, "%s accepted", tc->name);
    ck_assert_msg(strstr(t.msg, tc->msg) != NULL, "%s: '%s'", tc->name, t.msg);
}
END_TEST

START_TEST(thrift_depth_limit)
{
    for (int nest_lists = 0; nest_lists < 2; nest_lists++) {
        for (int depth = DS_PQ_MAX_THRIFT_DEPTH - 2; depth <= DS_PQ_MAX_THRIFT_DEPTH + 8; depth++) {
            tw w = {0};
            if (nest_lists) { /* struct { 1: list<list<...<i32>>> } */
                tw_push(&w);
                tw_fh(&w, 1, DS_TT_LIST);
                for (int i = 0; i < depth - 1; i++)
                    tw_lhead(&w, DS_TT_LIST, 1);
                tw_lhead(&w, DS_TT_I32, 0);
                tw_send(&w);
            } else { /* struct { 1: struct { 1: struct ... } } */
                tw_push(&w);
                for (int i = 0; i < depth - 1; i++)
                    tw_sbegin(&w, 1);
                for (int i = 0; i < depth; i++)
                    tw_send(&w);
            }
            ds_pq_tr t;
            ds_pq_tr_init(&t, w.o.b, w.o.n);
            int r = ds_pq_tr_skip(&t, DS_TT_STRUCT);
            int levels = nest_lists ? depth + 1 : depth; /* + the outer struct */
            if (levels <= DS_PQ_MAX_THRIFT_DEPTH) {
                ck_assert_msg(r == 0, "depth %d lists %d: %s", depth, nest_lists, t.msg);
            } else {
                ck_assert_msg(r == -1, "depth %d accepted", depth);
                ck_assert_ptr_nonnull(strstr(t.msg, "nested deeper"));
            }
            free(w.o.b);
        }
    }
}
END_TEST

START_TEST(thrift_int_ranges)
{
    tw w = {0};
    bb_zz(&w.o, (int64_t)INT32_MAX + 1);
    bb_zz(&w.o, 40000);
    ds_pq_tr t;
    ds_pq_tr_init(&t, w.o.b, w.o.n);
    int32_t v32;
    ck_assert_int_eq(ds_pq_tr_i32(&t, &v32), -1);
    ck_assert_ptr_nonnull(strstr(t.msg, "i32 out of range"));
    ds_pq_tr_init(&t, w.o.b, w.o.n);
    int64_t v64;
    ck_assert_int_eq(ds_pq_tr_i64(&t, &v64), 0);
    ck_assert(v64 == (int64_t)INT32_MAX + 1);
    int16_t v16;
    ck_assert_int_eq(ds_pq_tr_i16(&t, &v16), -1);
    free(w.o.b);
}
END_TEST

/* ====================================================================
 * RLE / bit-packed hybrid
 * ================================================================== */

/* LSB-first packing, one bit at a time. */
static void pack_bits(bb *o, const uint64_t *v, size_t n, unsigned bw)
{
    size_t nbytes = (n * bw + 7) / 8;
    unsigned char *p = calloc(nbytes + 1, 1);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < bw; b++)
            if ((v[i] >> b) & 1)
                p[(i * bw + b) / 8] |= (unsigned char)(1u << ((i * bw + b) % 8));
    bb_put(o, p, nbytes);
    free(p);
}

static void rle_run(bb *o, uint64_t count, uint64_t value, unsigned bw)
{
    bb_var(o, count << 1);
    for (unsigned i = 0; i < (bw + 7) / 8; i++)
        bb_u8(o, (unsigned)((value >> (8 * i)) & 0xff));
}

static void bp_run(bb *o, const uint64_t *v, size_t n, unsigned bw) /* n: multiple of 8 */
{
    bb_var(o, (n / 8) << 1 | 1);
    pack_bits(o, v, n, bw);
}

/* mode 0: RLE runs only; 1: bit-packed only; 2: runs of >= 8 equal
 * values as RLE, the rest bit-packed. */
static void rle_encode(bb *o, const uint64_t *v, size_t n, unsigned bw, int mode)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && v[j] == v[i])
            j++;
        if (mode == 0 || (mode == 2 && j - i >= 8)) {
            rle_run(o, j - i, v[i], bw);
            i = j;
        } else {
            uint64_t g[8] = {0};
            size_t k;
            for (k = 0; k < 8 && i + k < n; k++)
                g[k] = v[i + k];
            bp_run(o, g, 8, bw); /* padded with zeros */
            i += k;
        }
    }
}

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

START_TEST(rle_roundtrip_all_widths)
{
    unsigned bw = (unsigned)_i; /* 0..32 */
    uint64_t mask = bw == 64 ? ~0ull : (1ull << bw) - 1;
    enum { N = 1000 };
    uint64_t *v = malloc(N * sizeof *v);
    for (size_t i = 0; i < N; i++) {
        if ((i / 50) % 2) /* stretches of equal values */
            v[i] = (i / 100) & mask;
        else
            v[i] = rnd() & mask;
    }
    v[7] = mask; /* the largest value of the width */
    for (int mode = 0; mode < 3; mode++) {
        bb o = {0};
        rle_encode(&o, v, N, bw, mode);
        ds_pq_rle r;
        ds_error err;
        ds_error_clear(&err);
        ck_assert_int_eq(ds_pq_rle_init(&r, o.b, o.n, bw, &err), 0);
        for (size_t i = 0; i < N; i++) {
            uint32_t x;
            ck_assert_msg(ds_pq_rle_next(&r, &x, &err) == 0, "bw %u mode %d value %zu: %s", bw,
                          mode, i, err.message);
            ck_assert_msg(x == v[i], "bw %u mode %d value %zu: %u != %llu", bw, mode, i, x,
                          (unsigned long long)v[i]);
        }
        /* RLE-only streams end exactly; asking for more is an error */
        if (mode == 0) {
            uint32_t x;
            ck_assert_int_eq(ds_pq_rle_next(&r, &x, &err), -1);
            ck_assert_ptr_nonnull(strstr(err.message, "ends before"));
        }
        /* every truncation of a stream that needs bytes fails cleanly */
        if (bw > 0) {
            for (size_t cut = 0; cut < o.n; cut += 1 + o.n / 40) {
                ds_error_clear(&err);
                ck_assert_int_eq(ds_pq_rle_init(&r, o.b, cut, bw, &err), 0);
                size_t i;
                uint32_t x;
                for (i = 0; i < N; i++)
                    if (ds_pq_rle_next(&r, &x, &err) < 0)
                        break;
                ck_assert_msg(i < N, "bw %u mode %d cut %zu decoded everything", bw, mode, cut);
                ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
            }
        }
        free(o.b);
    }
    free(v);
}
END_TEST

START_TEST(rle_spec_vectors)
{
    /* the format spec's bit-packing example: 0..7 with width 3 */
    static const unsigned char bp[] = {0x03, 0x88, 0xC6, 0xFA};
    ds_pq_rle r;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_rle_init(&r, bp, sizeof bp, 3, &err), 0);
    for (uint32_t i = 0; i < 8; i++) {
        uint32_t x;
        ck_assert_int_eq(ds_pq_rle_next(&r, &x, &err), 0);
        ck_assert_uint_eq(x, i);
    }
    /* an RLE run: 300 times the value 0x1234 at width 13 (2 value bytes) */
    static const unsigned char rl[] = {0xd8, 0x04, 0x34, 0x12};
    ck_assert_int_eq(ds_pq_rle_init(&r, rl, sizeof rl, 13, &err), 0);
    for (int i = 0; i < 300; i++) {
        uint32_t x;
        ck_assert_int_eq(ds_pq_rle_next(&r, &x, &err), 0);
        ck_assert_uint_eq(x, 0x1234);
    }
    /* a run value wider than the bit width */
    static const unsigned char wide[] = {0x02, 0x09};
    ck_assert_int_eq(ds_pq_rle_init(&r, wide, sizeof wide, 3, &err), 0);
    uint32_t x;
    ck_assert_int_eq(ds_pq_rle_next(&r, &x, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "does not fit"));
    /* widths over 32 are refused */
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_rle_init(&r, wide, sizeof wide, 33, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "over 32"));
    /* a huge run header */
    static const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_rle_init(&r, huge, sizeof huge, 1, &err), 0);
    ck_assert_int_eq(ds_pq_rle_next(&r, &x, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "run header"));
}
END_TEST

/* ====================================================================
 * DELTA_BINARY_PACKED
 * ================================================================== */

/* Encoder written from the spec: blocks of 128 values in 4 miniblocks. */
static void dbp_encode(bb *o, const int64_t *v, size_t n)
{
    const size_t block = 128, mbs = 4, per = block / mbs;
    bb_var(o, block);
    bb_var(o, mbs);
    bb_var(o, n);
    bb_zz(o, n ? v[0] : 0);
    size_t i = 1;
    while (i < n) {
        size_t cnt = n - i < block ? n - i : block;
        uint64_t d[128];
        int64_t mn = INT64_MAX;
        for (size_t k = 0; k < cnt; k++) {
            d[k] = (uint64_t)v[i + k] - (uint64_t)v[i + k - 1];
            if ((int64_t)d[k] < mn)
                mn = (int64_t)d[k];
        }
        bb_zz(o, mn);
        unsigned widths[4] = {0};
        size_t used = (cnt + per - 1) / per;
        for (size_t m = 0; m < used; m++) {
            uint64_t mx = 0;
            for (size_t k = m * per; k < (m + 1) * per && k < cnt; k++) {
                uint64_t x = d[k] - (uint64_t)mn;
                if (x > mx)
                    mx = x;
            }
            widths[m] = ds_pq_bit_width(mx);
        }
        for (size_t m = 0; m < mbs; m++)
            bb_u8(o, widths[m]);
        for (size_t m = 0; m < used; m++) {
            uint64_t x[32] = {0};
            for (size_t k = 0; k < per && m * per + k < cnt; k++)
                x[k] = d[m * per + k] - (uint64_t)mn;
            pack_bits(o, x, per, widths[m]);
        }
        i += cnt;
    }
}

static void dbp_check(const int64_t *v, size_t n)
{
    bb o = {0};
    dbp_encode(&o, v, n);
    size_t enc = o.n;
    bb_put(&o, "junk", 4);
    ds_pq_dbp d;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_dbp_init(&d, o.b, o.n, &err), 0);
    const unsigned char *end;
    ck_assert_int_eq(ds_pq_dbp_end(&d, &end, &err), 0);
    ck_assert_msg(end == o.b + enc, "n=%zu: end at %td, expected %zu", n, end - o.b, enc);
    for (size_t i = 0; i < n; i++) {
        int64_t x;
        ck_assert_msg(ds_pq_dbp_next(&d, &x, &err) == 0, "n=%zu i=%zu: %s", n, i, err.message);
        ck_assert_msg(x == v[i], "n=%zu i=%zu: %lld != %lld", n, i, (long long)x, (long long)v[i]);
    }
    int64_t x;
    ck_assert_int_eq(ds_pq_dbp_next(&d, &x, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "more values"));
    /* truncations fail cleanly */
    for (size_t cut = 0; cut < enc; cut += 1 + enc / 64) {
        ds_error_clear(&err);
        if (ds_pq_dbp_init(&d, o.b, cut, &err) < 0)
            continue;
        size_t i;
        for (i = 0; i < n; i++) {
            if (ds_pq_dbp_next(&d, &x, &err) < 0)
                break;
            /* a value decoded from a cut stream is still the right one
             * (the miniblock padding may be missing) */
            ck_assert_msg(x == v[i], "n=%zu cut=%zu i=%zu: wrong value", n, cut, i);
        }
        if (i < n)
            ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
    }
    free(o.b);
}

START_TEST(dbp_roundtrip)
{
    static const size_t sizes[] = {0, 1, 2, 5, 32, 33, 127, 128, 129, 300, 1000};
    int64_t *v = malloc(1000 * sizeof *v);
    for (size_t s = 0; s < N_ELEMS(sizes); s++) {
        size_t n = sizes[s];
        for (int pattern = 0; pattern < 5; pattern++) {
            for (size_t i = 0; i < n; i++) {
                switch (pattern) {
                case 0: v[i] = 42; break;                              /* constant */
                case 1: v[i] = (int64_t)i * 7 - 100; break;            /* arithmetic */
                case 2: v[i] = (int64_t)(rnd() % 2000) - 1000; break;  /* small random */
                case 3: v[i] = (int64_t)rnd(); break;                  /* full 64-bit */
                default: v[i] = i % 2 ? INT64_MIN : INT64_MAX; break;  /* wrapping deltas */
                }
            }
            dbp_check(v, n);
        }
    }
    free(v);
}
END_TEST

START_TEST(dbp_spec_vectors)
{
    /* the spec example: 1 2 3 4 5 */
    static const unsigned char ex[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
    ds_pq_dbp d;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_dbp_init(&d, ex, sizeof ex, &err), 0);
    for (int i = 1; i <= 5; i++) {
        int64_t x;
        ck_assert_int_eq(ds_pq_dbp_next(&d, &x, &err), 0);
        ck_assert_int_eq(x, i);
    }
    static const struct {
        unsigned char b[12];
        size_t n;
        const char *msg;
    } bad[] = {
        {{0x64, 0x04, 0x05, 0x02}, 4, "block size"},              /* 100 */
        {{0x80, 0x01, 0x00, 0x05, 0x02}, 5, "miniblock count"},    /* 0 miniblocks */
        {{0x80, 0x01, 0x08, 0x05, 0x02}, 5, "miniblock count"},    /* 16 per miniblock */
        {{0x80, 0x01, 0x04, 0x05}, 4, "header"},                   /* truncated */
        {{0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 65, 0, 0, 0}, 10, "bit width over 64"},
        {{0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 8, 0, 0, 0, 1}, 11, "truncated"},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        ds_error_clear(&err);
        int r = ds_pq_dbp_init(&d, bad[i].b, bad[i].n, &err);
        if (r == 0) {
            int64_t x;
            for (int k = 0; k < 5 && r == 0; k++)
                r = ds_pq_dbp_next(&d, &x, &err);
        }
        ck_assert_msg(r == -1, "bad case %zu accepted", i);
        ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "case %zu: %s", i, err.message);
    }
}
END_TEST

/* ====================================================================
 * Value decoders
 * ================================================================== */

static ds_pq_value vnext(ds_pq_vdec *vd)
{
    ds_pq_value v;
    ds_error err;
    ds_error_clear(&err);
    memset(&v, 0, sizeof v);
    ck_assert_msg(ds_pq_vdec_next(vd, &v, &err) == 0, "%s", err.message);
    return v;
}

static void vfail(ds_pq_vdec *vd, const char *msg)
{
    ds_pq_value v;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_next(vd, &v, &err), -1);
    ck_assert_msg(strstr(err.message, msg) != NULL, "'%s' lacks '%s'", err.message, msg);
    ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
}

static void vinit(ds_pq_vdec *vd, int enc, ds_pq_type t, int32_t tl, const void *p, size_t n,
                  const ds_pq_dict *dict)
{
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_pq_vdec_init(vd, enc, t, tl, p, n, dict, &err) == 0, "%s", err.message);
}

START_TEST(plain_every_type)
{
    ds_pq_vdec vd;
    bb o = {0};
    /* booleans: LSB first, 10 values over 2 bytes */
    bb_u8(&o, 0x05);
    bb_u8(&o, 0x02);
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_BOOLEAN, 0, o.b, o.n, NULL);
    static const int bits[] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(vnext(&vd).v.boolean, bits[i]);
    vfail(&vd, "PLAIN values end");
    o.n = 0;
    bb_le32(&o, 0xfffffffe);
    bb_le32(&o, 7);
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_INT32, 0, o.b, o.n - 1, NULL);
    ck_assert_int_eq(vnext(&vd).v.i32, -2);
    vfail(&vd, "PLAIN values end");
    o.n = 0;
    bb_le64(&o, (uint64_t)INT64_MIN);
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_INT64, 0, o.b, o.n, NULL);
    ck_assert(vnext(&vd).v.i64 == INT64_MIN);
    o.n = 0;
    float fl = -1.25f;
    double db = 6.02e23;
    uint32_t fu;
    uint64_t du;
    memcpy(&fu, &fl, 4);
    memcpy(&du, &db, 8);
    bb_le32(&o, fu);
    bb_le64(&o, du);
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_FLOAT, 0, o.b, 4, NULL);
    ck_assert(vnext(&vd).v.f32 == fl);
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_DOUBLE, 0, o.b + 4, 8, NULL);
    ck_assert(vnext(&vd).v.f64 == db);
    /* INT96 and FIXED_LEN_BYTE_ARRAY point at their bytes */
    static const unsigned char raw[] = "abcdefghijklmnopqrstuvwxyz";
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_INT96, 0, raw, 25, NULL);
    ds_pq_value v = vnext(&vd);
    ck_assert_uint_eq(v.len, 12);
    ck_assert_ptr_eq(v.ptr, raw);
    ck_assert_ptr_eq(vnext(&vd).ptr, raw + 12);
    vfail(&vd, "PLAIN values end");
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_FIXED_LEN_BYTE_ARRAY, 5, raw, 12, NULL);
    ck_assert_mem_eq(vnext(&vd).ptr, "abcde", 5);
    ck_assert_mem_eq(vnext(&vd).ptr, "fghij", 5);
    vfail(&vd, "PLAIN values end");
    /* byte arrays, including an empty one */
    o.n = 0;
    bb_le32(&o, 3);
    bb_put(&o, "foo", 3);
    bb_le32(&o, 0);
    bb_le32(&o, 100);
    bb_put(&o, "short", 5);
    vinit(&vd, DS_PQE_PLAIN, DS_PQ_BYTE_ARRAY, 0, o.b, o.n, NULL);
    v = vnext(&vd);
    ck_assert_uint_eq(v.len, 3);
    ck_assert_mem_eq(v.ptr, "foo", 3);
    v = vnext(&vd);
    ck_assert_uint_eq(v.len, 0);
    ck_assert_ptr_nonnull(v.ptr);
    vfail(&vd, "runs past the page");
    free(o.b);

    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_PLAIN, DS_PQ_FIXED_LEN_BYTE_ARRAY, 0, raw, 4,
                                     NULL, &err), -1);
}
END_TEST

START_TEST(dictionary_pages)
{
    ds_pq_dict dict;
    ds_error err;
    ds_error_clear(&err);
    bb o = {0};
    bb_le32(&o, 5);
    bb_put(&o, "alpha", 5);
    bb_le32(&o, 4);
    bb_put(&o, "beta", 4);
    bb_le32(&o, 0);
    unsigned char *page = malloc(o.n);
    memcpy(page, o.b, o.n);
    ck_assert_int_eq(ds_pq_dict_load(&dict, DS_PQ_BYTE_ARRAY, 0, page, o.n, 3, &err), 0);
    ck_assert_uint_eq(dict.count, 3);
    /* indices 1 1 1 0 2 0 (bit-packed, width 2) then an out-of-range 3 */
    bb ix = {0};
    bb_u8(&ix, 2);
    uint64_t idx[8] = {1, 1, 1, 0, 2, 0, 3, 0};
    bp_run(&ix, idx, 8, 2);
    static const char *const want[] = {"beta", "beta", "beta", "alpha", "", "alpha"};
    for (int enc = 0; enc < 2; enc++) {
        ds_pq_vdec vd;
        vinit(&vd, enc ? DS_PQE_RLE_DICTIONARY : DS_PQE_PLAIN_DICTIONARY, DS_PQ_BYTE_ARRAY, 0,
              ix.b, ix.n, &dict);
        for (int i = 0; i < 6; i++) {
            ds_pq_value v = vnext(&vd);
            ck_assert_uint_eq(v.len, strlen(want[i]));
            ck_assert_mem_eq(v.ptr, want[i], v.len);
        }
        vfail(&vd, "dictionary index 3 out of range");
    }
    /* bit width over 32; no dictionary at all */
    ix.b[0] = 33;
    ds_pq_vdec vd;
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_RLE_DICTIONARY, DS_PQ_BYTE_ARRAY, 0, ix.b, ix.n,
                                     &dict, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "bit width 33"));
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_RLE_DICTIONARY, DS_PQ_BYTE_ARRAY, 0, ix.b, ix.n,
                                     NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "without a dictionary page"));
    ds_pq_dict_free(&dict);

    /* an INT64 dictionary */
    bb d64 = {0};
    bb_le64(&d64, 10);
    bb_le64(&d64, (uint64_t)-20);
    page = malloc(d64.n);
    memcpy(page, d64.b, d64.n);
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_dict_load(&dict, DS_PQ_INT64, 0, page, d64.n, 2, &err), 0);
    static const unsigned char one[] = {1, 0x06, 0x01}; /* width 1, RLE run of three 1s */
    vinit(&vd, DS_PQE_RLE_DICTIONARY, DS_PQ_INT64, 0, one, sizeof one, &dict);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(vnext(&vd).v.i64, -20);
    vfail(&vd, "ends before");
    ds_pq_dict_free(&dict);

    /* broken dictionary pages */
    struct {
        ds_pq_type t;
        size_t len;
        uint32_t count;
        const char *msg;
    } bad[] = {
        {DS_PQ_BYTE_ARRAY, 19, 3, "entry 2 truncated"},
        {DS_PQ_BYTE_ARRAY, 12, 3, "entry 1 truncated"},
        {DS_PQ_BYTE_ARRAY, 13, 3, "entry 1 of 4 bytes runs past"},
        {DS_PQ_BYTE_ARRAY, 21, 100, "does not fit"},
        {DS_PQ_INT64, 16, 3, "does not fit"},
        {DS_PQ_BOOLEAN, 16, 3, "not supported"},
    };
    for (size_t i = 0; i < N_ELEMS(bad); i++) {
        ds_error_clear(&err);
        page = malloc(o.n);
        memcpy(page, o.b, o.n);
        ck_assert_int_eq(ds_pq_dict_load(&dict, bad[i].t, 0, page, bad[i].len, bad[i].count,
                                         &err), -1);
        ck_assert_msg(strstr(err.message, bad[i].msg) != NULL, "%zu: %s", i, err.message);
    }
    free(o.b);
    free(ix.b);
    free(d64.b);
}
END_TEST

START_TEST(rle_booleans)
{
    bb o = {0};
    bb p = {0};
    uint64_t v[16] = {1, 0, 0, 1, 1, 1, 0, 1};
    bp_run(&p, v, 8, 1);
    rle_run(&p, 5, 1, 1);
    bb_le32(&o, (uint32_t)p.n);
    bb_put(&o, p.b, p.n);
    ds_pq_vdec vd;
    vinit(&vd, DS_PQE_RLE, DS_PQ_BOOLEAN, 0, o.b, o.n, NULL);
    for (int i = 0; i < 13; i++)
        ck_assert_int_eq(vnext(&vd).v.boolean, i < 8 ? (int)v[i] : 1);
    vfail(&vd, "ends before");
    o.b[0] = 200; /* length past the data */
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_RLE, DS_PQ_BOOLEAN, 0, o.b, o.n, NULL, &err), -1);
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_RLE, DS_PQ_INT32, 0, o.b, o.n, NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "not valid for physical type"));
    free(o.b);
    free(p.b);
}
END_TEST

START_TEST(delta_encodings)
{
    ds_pq_vdec vd;
    bb o = {0};
    /* DELTA_BINARY_PACKED into INT32 (wrapping) and INT64 */
    int64_t ints[] = {5, -7, 2147483647, -2147483648LL, 0, 12345};
    dbp_encode(&o, ints, N_ELEMS(ints));
    vinit(&vd, DS_PQE_DELTA_BINARY_PACKED, DS_PQ_INT32, 0, o.b, o.n, NULL);
    for (size_t i = 0; i < N_ELEMS(ints); i++)
        ck_assert_int_eq(vnext(&vd).v.i32, (int32_t)ints[i]);
    vfail(&vd, "more values");
    ds_pq_vdec_free(&vd);

    /* DELTA_LENGTH_BYTE_ARRAY */
    static const char *const words[] = {"Hello", "", "World", "foobar"};
    int64_t lens[4];
    for (int i = 0; i < 4; i++)
        lens[i] = (int64_t)strlen(words[i]);
    o.n = 0;
    dbp_encode(&o, lens, 4);
    for (int i = 0; i < 4; i++)
        bb_put(&o, words[i], strlen(words[i]));
    vinit(&vd, DS_PQE_DELTA_LENGTH_BYTE_ARRAY, DS_PQ_BYTE_ARRAY, 0, o.b, o.n, NULL);
    for (int i = 0; i < 4; i++) {
        ds_pq_value v = vnext(&vd);
        ck_assert_uint_eq(v.len, strlen(words[i]));
        ck_assert_mem_eq(v.ptr, words[i], v.len);
    }
    vfail(&vd, "more values");
    /* value bytes missing */
    vinit(&vd, DS_PQE_DELTA_LENGTH_BYTE_ARRAY, DS_PQ_BYTE_ARRAY, 0, o.b, o.n - 3, NULL);
    for (int i = 0; i < 3; i++)
        vnext(&vd);
    vfail(&vd, "out of range");

    /* DELTA_BYTE_ARRAY: the spec's example */
    static const char *const dba[] = {"axis", "axle", "babble", "babyhood"};
    int64_t pre[] = {0, 2, 0, 3}, suf[] = {4, 2, 6, 5};
    o.n = 0;
    dbp_encode(&o, pre, 4);
    dbp_encode(&o, suf, 4);
    bb_put(&o, "axislebabbleyhood", 17);
    vinit(&vd, DS_PQE_DELTA_BYTE_ARRAY, DS_PQ_BYTE_ARRAY, 0, o.b, o.n, NULL);
    const unsigned char *prev = NULL;
    for (int i = 0; i < 4; i++) {
        ds_pq_value v = vnext(&vd);
        ck_assert_uint_eq(v.len, strlen(dba[i]));
        ck_assert_mem_eq(v.ptr, dba[i], v.len);
        if (prev) /* the previous value is still intact (one-call validity) */
            ck_assert_mem_eq(prev, dba[i - 1], strlen(dba[i - 1]));
        prev = v.ptr;
    }
    vfail(&vd, "more values");
    ds_pq_vdec_free(&vd);
    /* a prefix longer than the previous value */
    int64_t badpre[] = {0, 9};
    int64_t badsuf[] = {4, 2};
    o.n = 0;
    dbp_encode(&o, badpre, 2);
    dbp_encode(&o, badsuf, 2);
    bb_put(&o, "axisle", 6);
    vinit(&vd, DS_PQE_DELTA_BYTE_ARRAY, DS_PQ_BYTE_ARRAY, 0, o.b, o.n, NULL);
    vnext(&vd);
    vfail(&vd, "prefix 9 longer");
    ds_pq_vdec_free(&vd);
    /* FIXED_LEN_BYTE_ARRAY through DELTA_BYTE_ARRAY must keep the length */
    vinit(&vd, DS_PQE_DELTA_BYTE_ARRAY, DS_PQ_FIXED_LEN_BYTE_ARRAY, 4, o.b, o.n, NULL);
    ck_assert_mem_eq(vnext(&vd).ptr, "axis", 4);
    vfail(&vd, "prefix 9 longer");
    ds_pq_vdec_free(&vd);
    /* prefix and suffix counts differ */
    o.n = 0;
    dbp_encode(&o, pre, 4);
    dbp_encode(&o, suf, 3);
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_DELTA_BYTE_ARRAY, DS_PQ_BYTE_ARRAY, 0, o.b, o.n,
                                     NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "4 prefixes but 3 suffixes"));
    ds_pq_vdec_free(&vd);
    /* encodings on the wrong types, unknown encodings */
    static const struct {
        int enc;
        ds_pq_type t;
    } wrong[] = {{DS_PQE_DELTA_BINARY_PACKED, DS_PQ_BYTE_ARRAY},
                 {DS_PQE_DELTA_LENGTH_BYTE_ARRAY, DS_PQ_INT64},
                 {DS_PQE_DELTA_BYTE_ARRAY, DS_PQ_DOUBLE},
                 {DS_PQE_BYTE_STREAM_SPLIT, DS_PQ_BYTE_ARRAY},
                 {DS_PQE_BIT_PACKED, DS_PQ_INT32},
                 {42, DS_PQ_INT32}};
    for (size_t i = 0; i < N_ELEMS(wrong); i++) {
        ds_error_clear(&err);
        ck_assert_int_eq(ds_pq_vdec_init(&vd, wrong[i].enc, wrong[i].t, 0, o.b, o.n, NULL, &err),
                         -1);
        ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
    }
    free(o.b);
}
END_TEST

START_TEST(byte_stream_split)
{
    float f[3] = {1.5f, -2.25f, 1e30f};
    double d[2] = {3.5, -1e-300};
    unsigned char fb[12], db[16], raw[16];
    memcpy(raw, f, 12);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++)
            fb[k * 3 + i] = raw[i * 4 + k];
    memcpy(raw, d, 16);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 8; k++)
            db[k * 2 + i] = raw[i * 8 + k];
    ds_pq_vdec vd;
    vinit(&vd, DS_PQE_BYTE_STREAM_SPLIT, DS_PQ_FLOAT, 0, fb, 12, NULL);
    for (int i = 0; i < 3; i++)
        ck_assert(vnext(&vd).v.f32 == f[i]);
    vfail(&vd, "BYTE_STREAM_SPLIT values end");
    ds_pq_vdec_free(&vd);
    vinit(&vd, DS_PQE_BYTE_STREAM_SPLIT, DS_PQ_DOUBLE, 0, db, 16, NULL);
    for (int i = 0; i < 2; i++)
        ck_assert(vnext(&vd).v.f64 == d[i]);
    ds_pq_vdec_free(&vd);
    vinit(&vd, DS_PQE_BYTE_STREAM_SPLIT, DS_PQ_FIXED_LEN_BYTE_ARRAY, 2, "acbd", 4, NULL);
    ck_assert_mem_eq(vnext(&vd).ptr, "ab", 2);
    ck_assert_mem_eq(vnext(&vd).ptr, "cd", 2);
    ds_pq_vdec_free(&vd);
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_vdec_init(&vd, DS_PQE_BYTE_STREAM_SPLIT, DS_PQ_DOUBLE, 0, db, 15,
                                     NULL, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.message, "not a multiple"));
    ds_pq_vdec_free(&vd);
}
END_TEST

START_TEST(int96_to_ms)
{
    /* 2024-01-01T00:00:01.500Z: Julian day 2460311, 1.5 s into the day */
    unsigned char b[12];
    uint64_t nanos = 1500000000ull;
    uint32_t day = 2460311;
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(nanos >> (8 * i));
    for (int i = 0; i < 4; i++)
        b[8 + i] = (unsigned char)(day >> (8 * i));
    ck_assert_int_eq(ds_pq_int96_to_ms(b), 1704067201500LL);
    /* the epoch, and a day before it */
    memset(b, 0, 8);
    day = 2440588;
    for (int i = 0; i < 4; i++)
        b[8 + i] = (unsigned char)(day >> (8 * i));
    ck_assert_int_eq(ds_pq_int96_to_ms(b), 0);
    day = 2440587;
    for (int i = 0; i < 4; i++)
        b[8 + i] = (unsigned char)(day >> (8 * i));
    ck_assert_int_eq(ds_pq_int96_to_ms(b), -86400000LL);
}
END_TEST

/* ====================================================================
 * Codecs, with inputs compressed by the real libraries
 * ================================================================== */

static unsigned char *compress_with(int codec, const unsigned char *src, size_t n, size_t *out)
{
    unsigned char *dst = NULL;
    switch (codec) {
    case DS_PQC_UNCOMPRESSED:
        dst = malloc(n + 1);
        if (n)
            memcpy(dst, src, n);
        *out = n;
        break;
    case DS_PQC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        dst = malloc(cap);
        ck_assert_int_eq(snappy_compress((const char *)src, n, (char *)dst, &cap), SNAPPY_OK);
        *out = cap;
        break;
    }
    case DS_PQC_GZIP: {
        z_stream z = {0};
        ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
        size_t cap = deflateBound(&z, n) + 64;
        dst = malloc(cap);
        z.next_in = (unsigned char *)src;
        z.avail_in = (unsigned)n;
        z.next_out = dst;
        z.avail_out = (unsigned)cap;
        ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
        *out = cap - z.avail_out;
        deflateEnd(&z);
        break;
    }
    case DS_PQC_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        dst = malloc(cap);
        size_t r = ZSTD_compress(dst, cap, src, n, 3);
        ck_assert(!ZSTD_isError(r));
        *out = r;
        break;
    }
    default:
        ck_abort();
    }
    return dst;
}

static const int codecs[] = {DS_PQC_UNCOMPRESSED, DS_PQC_SNAPPY, DS_PQC_GZIP, DS_PQC_ZSTD};

START_TEST(codec_roundtrip)
{
    int codec = codecs[_i];
    static const size_t sizes[] = {0, 1, 1000, 300000};
    for (size_t s = 0; s < N_ELEMS(sizes); s++) {
        size_t n = sizes[s];
        unsigned char *src = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            src[i] = (unsigned char)(i % 251 < 100 ? 'a' + i % 7 : rnd());
        size_t cn;
        unsigned char *c = compress_with(codec, src, n, &cn);
        unsigned char *dst = malloc(n + 2);
        ds_error err;
        ds_error_clear(&err);
        ck_assert_msg(ds_pq_decompress(codec, c, cn, dst, n, &err) == 0, "%s n=%zu: %s",
                      ds_pq_codec_name(codec), n, err.message);
        ck_assert_mem_eq(dst, src, n);
        /* a declared size that is off by one either way */
        ds_error_clear(&err);
        ck_assert_int_eq(ds_pq_decompress(codec, c, cn, dst, n + 1, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.message, "declared"));
        if (n > 0) {
            ds_error_clear(&err);
            ck_assert_int_eq(ds_pq_decompress(codec, c, cn, dst, n - 1, &err), -1);
            ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
        }
        /* truncated and corrupted input */
        if (codec != DS_PQC_UNCOMPRESSED && cn > 4) {
            ds_error_clear(&err);
            ck_assert_int_eq(ds_pq_decompress(codec, c, cn / 2, dst, n, &err), -1);
            ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
            for (size_t i = 0; i < cn; i++)
                c[i] ^= 0x5a;
            ds_error_clear(&err);
            ck_assert_int_eq(ds_pq_decompress(codec, c, cn, dst, n, &err), -1);
            ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
        }
        free(src);
        free(c);
        free(dst);
    }
}
END_TEST

START_TEST(codec_gzip_members_and_unsupported)
{
    /* two concatenated gzip members make one page */
    size_t a, b;
    unsigned char *ca = compress_with(DS_PQC_GZIP, (const unsigned char *)"hello ", 6, &a);
    unsigned char *cb = compress_with(DS_PQC_GZIP, (const unsigned char *)"world", 5, &b);
    unsigned char *both = malloc(a + b);
    memcpy(both, ca, a);
    memcpy(both + a, cb, b);
    unsigned char out[11];
    ds_error err;
    ds_error_clear(&err);
    ck_assert_int_eq(ds_pq_decompress(DS_PQC_GZIP, both, a + b, out, 11, &err), 0);
    ck_assert_mem_eq(out, "hello world", 11);
    for (int c = DS_PQC_LZO; c <= DS_PQC_LZ4_RAW + 1; c++) {
        if (c == DS_PQC_ZSTD)
            continue;
        ds_error_clear(&err);
        ck_assert_int_eq(ds_pq_codec_supported(c), 0);
        ck_assert_int_eq(ds_pq_decompress(c, both, a + b, out, 11, &err), -1);
        ck_assert_ptr_nonnull(strstr(err.message, "not supported"));
    }
    free(ca);
    free(cb);
    free(both);
}
END_TEST

/* ====================================================================
 * Whole files from a small writer, and the table of broken files
 * ================================================================== */

enum bad_kind {
    K_NONE,
    /* file structure and footer */
    K_SMALL_FILE, K_TAIL_MAGIC, K_HEAD_MAGIC, K_PARE, K_FOOTER_LEN, K_FOOTER_TRUNC,
    K_NUM_ROWS_NEG, K_SCHEMA_HUGE_LIST, K_ENCRYPTION_ALGO, K_NO_ROW_GROUPS_FIELD,
    /* schema */
    K_NC_SUM, K_NC_NEVER_CLOSES, K_NC_NEG, K_OUTSIDE_ROOT, K_DEEP_SCHEMA, K_LEAF_NO_TYPE,
    K_NO_REPETITION, K_FLBA_NO_LEN,
    /* row groups and chunks */
    K_COL_COUNT, K_PATH_MISMATCH, K_TYPE_MISMATCH, K_COL_CRYPTO, K_FILE_PATH, K_CHUNK_OUTSIDE,
    K_CHUNK_SIZE_HUGE, K_NUM_VALUES_NEG, K_RG_ROWS_NEG, K_NO_META,
    /* pages */
    K_CSIZE_PAST, K_CSIZE_NEG, K_USIZE_HUGE, K_USIZE_MISMATCH, K_HDR_GARBAGE, K_CRC_BAD,
    K_VALUES_MISSING, K_DICT_INDEX, K_DICT_BW, K_DICT_AFTER_DATA, K_NO_DICT, K_DEF_OVER_MAX,
    K_LEVELS_TRUNC, K_V2_LEVEL_LEN, K_CHUNK_MORE_VALUES, K_PAGE_MORE_VALUES, K_CODEC_LZ4,
    K_FIRST_REP, K_LEVEL_BIT_PACKED, K_DICT_PAGE_ENC, K_RLE_TRUNC, K_ROWS_VS_VALUES,
    K_TOO_MANY_ROWS,
    /* valid variants */
    K_GOOD_RLE_DICT, K_GOOD_V2_RAW, K_GOOD_LEAF_NC0, K_GOOD_NO_DICT_OFF,
};

typedef struct knob {
    enum bad_kind kind;
    int codec;
} knob;

#define K(x) (k->kind == (x))

/* RLE levels: one run per value. */
static void levels(bb *o, const int *lv, size_t n, unsigned bw)
{
    for (size_t i = 0; i < n; i++)
        rle_run(o, 1, (uint64_t)lv[i], bw);
}

static void plain_str(bb *o, const char *s)
{
    bb_le32(o, (uint32_t)strlen(s));
    bb_put(o, s, strlen(s));
}

/* Writes a page: header + body.  body is the uncompressed page for v1 and
 * dictionary pages; for v2, lv holds the levels (never compressed) and
 * body the values. */
typedef struct page {
    int type;          /* 0 data, 1 index, 2 dictionary, 3 data v2 */
    int num_values, encoding, def_enc, rep_enc;
    const bb *lv;      /* v2 levels: rep then def */
    int rep_len, def_len;
    int v2_nulls, v2_rows, v2_compressed;
    const bb *body;
} page;

static void put_page(bb *out, const knob *k, int codec, const page *pg, int is_target)
{
    size_t cn;
    unsigned char *c;
    int raw = pg->type == 3 && !pg->v2_compressed;
    c = compress_with(raw ? DS_PQC_UNCOMPRESSED : codec, pg->body->b, pg->body->n, &cn);
    bb page_body = {0};
    if (pg->type == 3)
        bb_put(&page_body, pg->lv->b, pg->lv->n);
    bb_put(&page_body, c, cn);
    free(c);
    int64_t usize = (int64_t)pg->body->n + (pg->type == 3 ? (int64_t)pg->lv->n : 0);
    int64_t csize = (int64_t)page_body.n;
    if (is_target && K(K_CSIZE_PAST))
        csize += 1000;
    if (is_target && K(K_CSIZE_NEG))
        csize = -5;
    if (is_target && K(K_USIZE_HUGE))
        usize = 300 * 1024 * 1024;
    if (is_target && K(K_USIZE_MISMATCH))
        usize += 1;
    tw w = {0};
    if (is_target && K(K_HDR_GARBAGE)) {
        bb_put(out, "\xff\xff\xff\xff", 4);
    } else {
        tw_push(&w);
        tw_i32(&w, 1, pg->type);
        tw_i32(&w, 2, usize);
        tw_i32(&w, 3, csize);
        if (pg->type != 3) {
            uint32_t crc = (uint32_t)crc32(0, page_body.b, (uInt)page_body.n);
            if (is_target && K(K_CRC_BAD))
                crc ^= 1;
            tw_i32(&w, 4, (int32_t)crc);
        }
        if (pg->type == 0) {
            tw_sbegin(&w, 5);
            tw_i32(&w, 1, pg->num_values);
            tw_i32(&w, 2, pg->encoding);
            tw_i32(&w, 3, pg->def_enc);
            tw_i32(&w, 4, pg->rep_enc);
            tw_sbegin(&w, 5); /* statistics: skipped */
            tw_bin(&w, 1, "max");
            tw_bin(&w, 2, "min");
            tw_i64(&w, 3, 0);
            tw_send(&w);
            tw_send(&w);
        } else if (pg->type == 2) {
            tw_sbegin(&w, 7);
            tw_i32(&w, 1, pg->num_values);
            tw_i32(&w, 2, pg->encoding);
            tw_bool(&w, 3, 0);
            tw_send(&w);
        } else if (pg->type == 3) {
            tw_sbegin(&w, 8);
            tw_i32(&w, 1, pg->num_values);
            tw_i32(&w, 2, pg->v2_nulls);
            tw_i32(&w, 3, pg->v2_rows);
            tw_i32(&w, 4, pg->encoding);
            tw_i32(&w, 5, pg->def_len);
            tw_i32(&w, 6, pg->rep_len);
            if (!pg->v2_compressed)
                tw_bool(&w, 7, 0);
            tw_send(&w);
        } else {
            tw_sbegin(&w, 6); /* IndexPageHeader: empty */
            tw_send(&w);
        }
        tw_sbegin(&w, 20); /* a field from the future: nested containers */
        tw_list(&w, 1, DS_TT_STRUCT, 1);
        tw_push(&w);
        tw_fh(&w, 2, DS_TT_MAP);
        bb_var(&w.o, 1);
        bb_u8(&w.o, DS_TT_I32 << 4 | DS_TT_BINARY);
        bb_zz(&w.o, 5);
        bb_var(&w.o, 0);
        tw_send(&w);
        tw_send(&w);
        tw_send(&w);
        bb_put(out, w.o.b, w.o.n);
    }
    bb_put(out, page_body.b, page_body.n);
    free(w.o.b);
    free(page_body.b);
}

typedef struct chunk_out {
    int64_t start, data_off, dict_off, size, num_values;
} chunk_out;

/* The file: 4 rows of
 *   id: required int64          1, 2, 3, 4
 *   name: optional string       "alpha", null, "beta", "alpha"
 *   m: optional map<string,string>  {a: x}, null, {}, {b: null, c: z}
 * name: a dictionary page, an RLE_DICTIONARY page, an index page, a PLAIN
 * fallback page; m.value: a DataPage v2. */
static unsigned char *build_file(const knob *k, size_t *len)
{
    int codec = k->codec;
    bb f = {0};
    bb_put(&f, K(K_HEAD_MAGIC) ? "PAR0" : "PAR1", 4);
    chunk_out co[4];
    memset(co, 0, sizeof co);

    /* ---- id ---- */
    {
        bb body = {0};
        int n = K(K_VALUES_MISSING) ? 3 : 4;
        for (int i = 1; i <= n; i++)
            bb_le64(&body, (uint64_t)i);
        page pg = {.type = 0, .num_values = K(K_PAGE_MORE_VALUES) ? 9 : 4, .encoding = 0,
                   .def_enc = 4 /* BIT_PACKED: absent, max level 0 */, .rep_enc = 4, .body = &body};
        co[0].start = co[0].data_off = (int64_t)f.n;
        put_page(&f, k, codec, &pg, 1);
        co[0].size = (int64_t)f.n - co[0].start;
        co[0].num_values = K(K_ROWS_VS_VALUES) ? 3 : 4;
        free(body.b);
    }
    /* ---- name ---- */
    {
        int dict_enc = K(K_GOOD_RLE_DICT) ? 0 : 2, data_enc = K(K_GOOD_RLE_DICT) ? 8 : 2;
        if (K(K_DICT_PAGE_ENC))
            dict_enc = 5;
        bb dict = {0}, p1 = {0}, p2 = {0}, ix = {0};
        plain_str(&dict, "alpha");
        plain_str(&dict, "beta");
        page dp = {.type = 2, .num_values = 2, .encoding = dict_enc, .body = &dict};
        /* page 1: rows 0-1, def 1 0, index 0 */
        int d1[] = {1, 0};
        bb lv = {0};
        levels(&lv, d1, 2, 1);
        bb_le32(&p1, K(K_LEVELS_TRUNC) ? 1000 : (uint32_t)lv.n);
        bb_put(&p1, lv.b, lv.n);
        bb_u8(&p1, K(K_DICT_BW) ? 40 : K(K_DICT_INDEX) ? 3 : 1);
        rle_run(&p1, 1, K(K_DICT_INDEX) ? 5 : 0, 8);
        if (K(K_RLE_TRUNC)) { /* a bit-packed run of 8 groups without its bytes */
            p1.b[p1.n - 2] = 0x11;
            p1.n--;
        }
        page d1p = {.type = 0, .num_values = 2, .encoding = data_enc,
                    .def_enc = K(K_LEVEL_BIT_PACKED) ? 4 : 3, .rep_enc = 3, .body = &p1};
        page ip = {.type = 1, .body = &ix};
        /* page 2 (fallback): rows 2-3, def 1 1, PLAIN */
        int d2[] = {1, 1};
        lv.n = 0;
        levels(&lv, d2, 2, 1);
        bb_le32(&p2, (uint32_t)lv.n);
        bb_put(&p2, lv.b, lv.n);
        plain_str(&p2, "beta");
        plain_str(&p2, "alpha");
        page d2p = {.type = 0, .num_values = 2, .encoding = 0, .def_enc = 3, .rep_enc = 3,
                    .body = &p2};
        co[1].start = (int64_t)f.n;
        if (K(K_DICT_AFTER_DATA)) { /* a second dictionary after a data page */
            co[1].dict_off = (int64_t)f.n;
            put_page(&f, k, codec, &dp, 0);
            co[1].data_off = (int64_t)f.n;
            put_page(&f, k, codec, &d1p, 0);
            put_page(&f, k, codec, &dp, 0);
        } else {
            if (!K(K_NO_DICT)) {
                co[1].dict_off = (int64_t)f.n;
                put_page(&f, k, codec, &dp, 0);
            }
            co[1].data_off = (int64_t)f.n;
            if (K(K_GOOD_NO_DICT_OFF))
                co[1].data_off = co[1].dict_off, co[1].dict_off = 0;
            put_page(&f, k, codec, &d1p, 0);
        }
        put_page(&f, k, codec, &ip, 0);
        put_page(&f, k, codec, &d2p, 0);
        co[1].size = (int64_t)f.n - co[1].start;
        co[1].num_values = 4;
        free(dict.b);
        free(p1.b);
        free(p2.b);
        free(lv.b);
        free(ix.b);
    }
    /* ---- m.key: v1, rep 0 0 0 0 1, def 2 0 1 2 2 ---- */
    {
        int rep[] = {K(K_FIRST_REP) ? 1 : 0, 0, 0, 0, K(K_TOO_MANY_ROWS) ? 0 : 1};
        int def[] = {2, 0, 1, 2, K(K_DEF_OVER_MAX) ? 3 : 2};
        bb body = {0}, lv = {0};
        levels(&lv, rep, 5, 1);
        bb_le32(&body, (uint32_t)lv.n);
        bb_put(&body, lv.b, lv.n);
        lv.n = 0;
        levels(&lv, def, 5, 2);
        bb_le32(&body, (uint32_t)lv.n);
        bb_put(&body, lv.b, lv.n);
        plain_str(&body, "a");
        plain_str(&body, "b");
        plain_str(&body, "c");
        page pg = {.type = 0, .num_values = 5, .encoding = 0, .def_enc = 3, .rep_enc = 3,
                   .body = &body};
        co[2].start = co[2].data_off = (int64_t)f.n;
        put_page(&f, k, codec, &pg, 0);
        co[2].size = (int64_t)f.n - co[2].start;
        co[2].num_values = K(K_CHUNK_MORE_VALUES) ? 10 : 5;
        free(body.b);
        free(lv.b);
    }
    /* ---- m.value: v2, rep 0 0 0 0 1, def 3 0 1 2 3 ---- */
    {
        int rep[] = {0, 0, 0, 0, 1}, def[] = {3, 0, 1, 2, 3};
        bb lv = {0}, vals = {0};
        levels(&lv, rep, 5, 1);
        int rep_len = (int)lv.n;
        levels(&lv, def, 5, 2);
        int def_len = (int)lv.n - rep_len;
        plain_str(&vals, "x");
        plain_str(&vals, "z");
        page pg = {.type = 3, .num_values = 5, .encoding = 0, .lv = &lv, .rep_len = rep_len,
                   .def_len = K(K_V2_LEVEL_LEN) ? 500 : def_len, .v2_nulls = 3, .v2_rows = 4,
                   .v2_compressed = !K(K_GOOD_V2_RAW), .body = &vals};
        co[3].start = co[3].data_off = (int64_t)f.n;
        put_page(&f, k, codec, &pg, 0);
        co[3].size = (int64_t)f.n - co[3].start;
        co[3].num_values = 5;
        free(lv.b);
        free(vals.b);
    }

    /* ---- footer ---- */
    tw w = {0};
    tw_push(&w);
    tw_i32(&w, 1, 1);
    /* schema */
    struct el {
        const char *name;
        int type, rep, nc, conv, logical; /* type -1: group; nc -1: absent */
    } els[] = {
        {"schema", -1, -1, 3, -1, 0},
        {"id", DS_PQ_INT64, 0, -1, -1, 0},
        {"name", DS_PQ_BYTE_ARRAY, 1, -1, 0, 1},
        {"m", -1, 1, 1, 1, 2},
        {"key_value", -1, 2, 2, -1, 0},
        {"key", DS_PQ_BYTE_ARRAY, 0, -1, 0, 1},
        {"value", DS_PQ_BYTE_ARRAY, 1, -1, 0, 1},
    };
    size_t nel = N_ELEMS(els);
    if (K(K_NC_SUM))
        els[0].nc = 5;
    if (K(K_NC_NEVER_CLOSES))
        els[4].nc = 3;
    if (K(K_NC_NEG))
        els[3].nc = -1;
    if (K(K_OUTSIDE_ROOT))
        els[0].nc = 2;
    if (K(K_LEAF_NO_TYPE))
        els[2].type = -2;
    if (K(K_NO_REPETITION))
        els[1].rep = -1;
    if (K(K_FLBA_NO_LEN))
        els[1].type = DS_PQ_FIXED_LEN_BYTE_ARRAY;
    if (K(K_DEEP_SCHEMA)) {
        tw_list(&w, 2, DS_TT_STRUCT, 102);
        for (int i = 0; i < 101; i++) {
            tw_push(&w);
            tw_i32(&w, 3, 1);
            tw_bin(&w, 4, "g");
            tw_i32(&w, 5, 1);
            tw_send(&w);
        }
        tw_push(&w);
        tw_i32(&w, 1, DS_PQ_INT32);
        tw_i32(&w, 3, 1);
        tw_bin(&w, 4, "leaf");
        tw_send(&w);
    } else {
        tw_list(&w, 2, DS_TT_STRUCT, K(K_SCHEMA_HUGE_LIST) ? 1000000000u : nel);
        for (size_t i = 0; i < nel; i++) {
            tw_push(&w);
            if (els[i].type >= 0)
                tw_i32(&w, 1, els[i].type);
            if (K(K_FLBA_NO_LEN) && i == 1)
                tw_i32(&w, 2, 0);
            if (els[i].rep >= 0)
                tw_i32(&w, 3, els[i].rep);
            tw_bin(&w, 4, els[i].name);
            if (els[i].nc >= 0 || els[i].nc < -1)
                tw_i32(&w, 5, els[i].nc);
            else if (els[i].nc == -1 && i == 3)
                tw_i32(&w, 5, -1);
            else if (K(K_GOOD_LEAF_NC0))
                tw_i32(&w, 5, 0);
            if (els[i].conv >= 0)
                tw_i32(&w, 6, els[i].conv);
            tw_i32(&w, 9, (int64_t)i); /* field_id: ignored */
            if (els[i].logical) {
                tw_sbegin(&w, 10);
                tw_sbegin(&w, els[i].logical); /* StringType / MapType: empty */
                tw_send(&w);
                tw_send(&w);
            }
            tw_fh(&w, 42, DS_TT_MAP); /* unknown */
            bb_var(&w.o, 1);
            bb_u8(&w.o, DS_TT_BINARY << 4 | DS_TT_LIST);
            bb_var(&w.o, 1);
            bb_u8(&w.o, 'k');
            tw_lhead(&w, DS_TT_DOUBLE, 1);
            bb_le64(&w.o, 0);
            tw_send(&w);
        }
    }
    tw_i64(&w, 3, K(K_NUM_ROWS_NEG) ? -4 : 4);
    if (!K(K_NO_ROW_GROUPS_FIELD)) {
        tw_list(&w, 4, DS_TT_STRUCT, 1);
        tw_push(&w); /* RowGroup */
        int ncols = K(K_COL_COUNT) ? 3 : 4;
        tw_list(&w, 1, DS_TT_STRUCT, (uint64_t)ncols);
        static const char *const paths[4][3] = {
            {"id"}, {"name"}, {"m", "key_value", "key"}, {"m", "key_value", "value"}};
        static const int npath[4] = {1, 1, 3, 3};
        static const int types[4] = {DS_PQ_INT64, DS_PQ_BYTE_ARRAY, DS_PQ_BYTE_ARRAY,
                                     DS_PQ_BYTE_ARRAY};
        for (int j = 0; j < ncols; j++) {
            tw_push(&w); /* ColumnChunk */
            if (K(K_FILE_PATH) && j == 1)
                tw_bin(&w, 1, "elsewhere.parquet");
            tw_i64(&w, 2, co[j].start);
            if (!(K(K_NO_META) && j == 2)) {
                tw_sbegin(&w, 3); /* ColumnMetaData */
                tw_i32(&w, 1, K(K_TYPE_MISMATCH) && j == 0 ? DS_PQ_INT32 : types[j]);
                tw_list(&w, 2, DS_TT_I32, 2);
                bb_zz(&w.o, 0);
                bb_zz(&w.o, 3);
                tw_list(&w, 3, DS_TT_BINARY, (uint64_t)npath[j]);
                for (int p = 0; p < npath[j]; p++) {
                    const char *s = paths[j][p];
                    if (K(K_PATH_MISMATCH) && j == 2 && p == 1)
                        s = "entries";
                    bb_var(&w.o, strlen(s));
                    bb_put(&w.o, s, strlen(s));
                }
                tw_i32(&w, 4, K(K_CODEC_LZ4) && j == 0 ? DS_PQC_LZ4 : codec);
                tw_i64(&w, 5, K(K_NUM_VALUES_NEG) && j == 0 ? -1 : co[j].num_values);
                tw_i64(&w, 6, co[j].size);
                int64_t sz = co[j].size;
                if (K(K_CHUNK_SIZE_HUGE) && j == 0)
                    sz = INT64_MAX;
                tw_i64(&w, 7, sz);
                tw_fh(&w, 8, DS_TT_LIST); /* key_value_metadata */
                tw_lhead(&w, DS_TT_STRUCT, 0);
                tw_i64(&w, 9, K(K_CHUNK_OUTSIDE) && j == 0 ? 1 << 30 : co[j].data_off);
                if (co[j].dict_off)
                    tw_i64(&w, 11, co[j].dict_off);
                tw_sbegin(&w, 12); /* statistics */
                tw_bin(&w, 5, "max");
                tw_bin(&w, 6, "min");
                tw_send(&w);
                tw_send(&w);
            }
            if (K(K_COL_CRYPTO) && j == 3) {
                tw_sbegin(&w, 8);
                tw_send(&w);
            }
            tw_send(&w);
        }
        tw_i64(&w, 2, 1000);
        tw_i64(&w, 3, K(K_RG_ROWS_NEG) ? -1 : 4);
        tw_send(&w);
    }
    tw_list(&w, 5, DS_TT_STRUCT, 1); /* key_value_metadata */
    tw_push(&w);
    tw_bin(&w, 1, "ARROW:schema");
    tw_bin(&w, 2, "...");
    tw_send(&w);
    tw_bin(&w, 6, "check_parquet writer");
    tw_list(&w, 7, DS_TT_STRUCT, 4); /* column_orders: TYPE_ORDER unions */
    for (int j = 0; j < 4; j++) {
        tw_push(&w);
        tw_sbegin(&w, 1);
        tw_send(&w);
        tw_send(&w);
    }
    if (K(K_ENCRYPTION_ALGO)) {
        tw_sbegin(&w, 8);
        tw_sbegin(&w, 1);
        tw_send(&w);
        tw_send(&w);
    }
    tw_send(&w);

    size_t flen = w.o.n;
    if (K(K_FOOTER_TRUNC))
        flen -= 1; /* the final STOP */
    bb_put(&f, w.o.b, flen);
    uint32_t declared = (uint32_t)flen;
    if (K(K_FOOTER_LEN))
        declared = (uint32_t)f.n + 100;
    bb_le32(&f, declared);
    bb_put(&f, K(K_TAIL_MAGIC) ? "PAR2" : K(K_PARE) ? "PARE" : "PAR1", 4);
    free(w.o.b);
    if (K(K_SMALL_FILE))
        f.n = 8;
    *len = f.n;
    return f.b;
}

typedef struct want_entry {
    int def, rep;
    const char *s; /* NULL: no value; for id, the number as text */
} want_entry;

static const want_entry want_id[] = {{0, 0, "1"}, {0, 0, "2"}, {0, 0, "3"}, {0, 0, "4"}};
static const want_entry want_name[] = {{1, 0, "alpha"}, {0, 0, NULL}, {1, 0, "beta"},
                                       {1, 0, "alpha"}};
static const want_entry want_key[] = {{2, 0, "a"}, {0, 0, NULL}, {1, 0, NULL}, {2, 0, "b"},
                                      {2, 1, "c"}};
static const want_entry want_value[] = {{3, 0, "x"}, {0, 0, NULL}, {1, 0, NULL}, {2, 0, NULL},
                                        {3, 1, "z"}};

static void check_good_file(const knob *k)
{
    size_t len;
    unsigned char *buf = build_file(k, &len);
    pt_mem m;
    ds_pq_io io = pt_mem_io(&m, buf, len);
    ds_pq_file *f;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_pq_open(&io, &f, &err) == DS_OK, "kind %d codec %d: %s", k->kind, k->codec,
                  err.message);
    ck_assert_int_eq(ds_pq_num_rows(f), 4);
    ck_assert_int_eq(ds_pq_num_row_groups(f), 1);
    ck_assert_int_eq(ds_pq_row_group_rows(f, 0), 4);
    ck_assert_str_eq(ds_pq_created_by(f), "check_parquet writer");
    ck_assert_int_eq(ds_pq_num_nodes(f), 7);
    static const char *const p_key[] = {"m", "key"}, *const p_val[] = {"m", "value"},
                             *const p_full[] = {"m", "key_value", "key"},
                             *const p_elem[] = {"m", "element"}, *const p_name[] = {"name"};
    ck_assert_int_eq(ds_pq_find(f, p_key, 2), 5);
    ck_assert_int_eq(ds_pq_find(f, p_val, 2), 6);
    ck_assert_int_eq(ds_pq_find(f, p_full, 3), 5);
    ck_assert_int_eq(ds_pq_find(f, p_elem, 2), -1);
    ck_assert_int_eq(ds_pq_find(f, p_name, 1), 2);
    ck_assert_int_eq(ds_pq_find(f, NULL, 0), 0);
    ck_assert_int_eq(ds_pq_child_named(f, 3, "key_value"), 4);
    ck_assert_int_eq(ds_pq_child(f, 0, 2), 3);
    ck_assert_int_eq(ds_pq_child(f, 0, 3), -1);
    const ds_pq_node *n = ds_pq_node_at(f, 3);
    ck_assert_int_eq(n->logical, DS_PQL_MAP);
    ck_assert_int_eq(n->def_level, 1);
    ck_assert_int_eq(ds_pq_node_at(f, 6)->def_level, 3);
    ck_assert_int_eq(ds_pq_node_at(f, 6)->rep_level, 1);
    ck_assert_int_eq(ds_pq_node_at(f, 5)->def_level, 2);
    ck_assert_int_eq(ds_pq_node_at(f, 2)->logical, DS_PQL_STRING);

    const struct {
        int node;
        const want_entry *w;
        size_t n;
    } cols[] = {{1, want_id, 4}, {2, want_name, 4}, {5, want_key, 5}, {6, want_value, 5}};
    for (size_t c = 0; c < N_ELEMS(cols); c++) {
        pt_col col;
        ck_assert_msg(pt_read_col(f, 0, cols[c].node, &col, &err) == 0, "kind %d col %zu: %s",
                      k->kind, c, err.message);
        ck_assert_uint_eq(col.n, cols[c].n);
        for (size_t i = 0; i < col.n; i++) {
            const want_entry *w = &cols[c].w[i];
            ck_assert_msg(col.e[i].def == w->def && col.e[i].rep == w->rep,
                          "col %zu entry %zu: d%d r%d", c, i, col.e[i].def, col.e[i].rep);
            ck_assert_int_eq(col.e[i].present, w->s != NULL);
            if (!w->s)
                continue;
            if (c == 0) {
                ck_assert_int_eq(col.e[i].v.v.i64, atoi(w->s));
            } else {
                ck_assert_uint_eq(col.e[i].v.len, strlen(w->s));
                ck_assert_mem_eq(col.e[i].bytes, w->s, strlen(w->s));
            }
        }
        pt_col_free(&col);
    }
    ds_pq_close(f);
    free(buf);
}

START_TEST(good_file_each_codec)
{
    knob k = {K_NONE, codecs[_i]};
    check_good_file(&k);
}
END_TEST

static const enum bad_kind good_kinds[] = {K_GOOD_RLE_DICT, K_GOOD_V2_RAW, K_GOOD_LEAF_NC0,
                                           K_GOOD_NO_DICT_OFF};

START_TEST(good_file_variants)
{
    for (size_t c = 0; c < N_ELEMS(codecs); c++) {
        knob k = {good_kinds[_i], codecs[c]};
        check_good_file(&k);
    }
}
END_TEST


/* MAP and LIST are found by their repetition structure, whatever the
 * inner names: a 3-level list with "bag"/"item" (parquet-cpp style), a
 * legacy 2-level list, and a MAP annotated only with the old ConvertedType
 * whose inner group is "map" with fields "k" and "v".  A zero-row-group
 * file (footer only). */
START_TEST(find_by_structure)
{
    struct el {
        const char *name;
        int type, rep, nc, conv;
    } els[] = {
        {"root", -1, -1, 3, -1},
        {"l", -1, 1, 1, 3},    /* LIST */
        {"bag", -1, 2, 1, -1},
        {"item", DS_PQ_INT32, 1, -1, -1},
        {"legacy", -1, 1, 1, 3},
        {"array", DS_PQ_INT32, 2, -1, -1},
        {"mp", -1, 1, 1, 1},   /* MAP */
        {"map", -1, 2, 2, 2},  /* MAP_KEY_VALUE */
        {"k", DS_PQ_BYTE_ARRAY, 0, -1, 0},
        {"v", DS_PQ_BYTE_ARRAY, 1, -1, 0},
    };
    els[0].nc = 3;
    tw w = {0};
    tw_push(&w);
    tw_list(&w, 2, DS_TT_STRUCT, N_ELEMS(els));
    for (size_t i = 0; i < N_ELEMS(els); i++) {
        tw_push(&w);
        if (els[i].type >= 0)
            tw_i32(&w, 1, els[i].type);
        if (els[i].rep >= 0)
            tw_i32(&w, 3, els[i].rep);
        tw_bin(&w, 4, els[i].name);
        if (els[i].nc >= 0)
            tw_i32(&w, 5, els[i].nc);
        if (els[i].conv >= 0)
            tw_i32(&w, 6, els[i].conv);
        tw_send(&w);
    }
    tw_i64(&w, 3, 0);
    tw_list(&w, 4, DS_TT_STRUCT, 0);
    tw_send(&w);
    bb f = {0};
    bb_put(&f, "PAR1", 4);
    bb_put(&f, w.o.b, w.o.n);
    bb_le32(&f, (uint32_t)w.o.n);
    bb_put(&f, "PAR1", 4);
    pt_mem m;
    ds_pq_io io = pt_mem_io(&m, f.b, f.n);
    ds_pq_file *pf;
    ds_error err;
    ds_error_clear(&err);
    ck_assert_msg(ds_pq_open(&io, &pf, &err) == DS_OK, "%s", err.message);
    ck_assert_int_eq(ds_pq_num_row_groups(pf), 0);
    static const struct {
        const char *path;
        int node, def, rep;
    } cases[] = {
        {"l.element", 3, 3, 1},  {"l.bag.item", 3, 3, 1}, {"l.item", 3, 3, 1},
        {"legacy.element", 5, 2, 1}, {"legacy.array", 5, 2, 1},
        {"mp.key", 8, 2, 1},     {"mp.value", 9, 3, 1},   {"mp.k", 8, 2, 1},
        {"mp.map.v", 9, 3, 1},   {"mp.element", -1, 0, 0}, {"l.key", -1, 0, 0},
        {"legacy.value", -1, 0, 0}, {"item", -1, 0, 0},
    };
    for (size_t i = 0; i < N_ELEMS(cases); i++) {
        int n = pt_find(pf, cases[i].path);
        ck_assert_msg(n == cases[i].node, "%s: %d", cases[i].path, n);
        if (n < 0)
            continue;
        ck_assert_int_eq(ds_pq_node_at(pf, n)->def_level, cases[i].def);
        ck_assert_int_eq(ds_pq_node_at(pf, n)->rep_level, cases[i].rep);
    }
    ck_assert_int_eq(ds_pq_node_at(pf, 1)->logical, DS_PQL_LIST);
    ck_assert_int_eq(ds_pq_node_at(pf, 6)->logical, DS_PQL_MAP);
    ds_pq_cursor *c;
    ck_assert_int_ne(ds_pq_cursor_open(pf, 0, 3, &c, &err), DS_OK);
    ds_pq_close(pf);
    free(f.b);
    free(w.o.b);
}
END_TEST

static const struct bad_case {
    enum bad_kind kind;
    int at_open; /* 1: ds_pq_open fails; 0: decoding fails */
    const char *msg;
} bad_cases[] = {
    {K_SMALL_FILE, 1, "too small"},
    {K_TAIL_MAGIC, 1, "bad magic"},
    {K_HEAD_MAGIC, 1, "bad magic"},
    {K_PARE, 1, "encrypted"},
    {K_FOOTER_LEN, 1, "runs past the start of the file"},
    {K_FOOTER_TRUNC, 1, "truncated"},
    {K_NUM_ROWS_NEG, 1, "negative num_rows"},
    {K_SCHEMA_HUGE_LIST, 1, "longer than the data left"},
    {K_ENCRYPTION_ALGO, 1, "encryption_algorithm"},
    {K_NO_ROW_GROUPS_FIELD, 1, "lacks schema, num_rows or row_groups"},
    {K_NC_SUM, 1, "add up to more"},
    {K_NC_NEVER_CLOSES, 1, "claims 3 children but only 2"},
    {K_NC_NEG, 1, "negative num_children"},
    {K_OUTSIDE_ROOT, 1, "outside the root"},
    {K_DEEP_SCHEMA, 1, "nested deeper than 64"},
    {K_LEAF_NO_TYPE, 1, "no valid physical type"},
    {K_NO_REPETITION, 1, "no valid repetition"},
    {K_FLBA_NO_LEN, 1, "type_length"},
    {K_COL_COUNT, 1, "3 column chunks but the schema has 4 leaves"},
    {K_PATH_MISMATCH, 1, "path_in_schema does not match"},
    {K_TYPE_MISMATCH, 1, "physical type 1 differs"},
    {K_COL_CRYPTO, 1, "encrypted columns"},
    {K_FILE_PATH, 1, "another file"},
    {K_CHUNK_OUTSIDE, 1, "outside the file's data"},
    {K_CHUNK_SIZE_HUGE, 1, "outside the file's data"},
    {K_NUM_VALUES_NEG, 1, "negative size or count"},
    {K_RG_ROWS_NEG, 1, "negative row count"},
    {K_NO_META, 1, "lacks required metadata"},
    {K_CSIZE_PAST, 0, "runs past the end of its column chunk"},
    {K_CSIZE_NEG, 0, "negative size"},
    {K_USIZE_HUGE, 0, "256 MiB"},
    {K_USIZE_MISMATCH, 0, "declared"},
    {K_HDR_GARBAGE, 0, "page header"},
    {K_CRC_BAD, 0, "CRC"},
    {K_VALUES_MISSING, 0, "values end before"},
    {K_DICT_INDEX, 0, "dictionary index 5 out of range"},
    {K_DICT_BW, 0, "bit width 40"},
    {K_DICT_AFTER_DATA, 0, "dictionary page after"},
    {K_NO_DICT, 0, "without a dictionary page"},
    {K_DEF_OVER_MAX, 0, "definition level 3 over the maximum 2"},
    {K_LEVELS_TRUNC, 0, "run past the page"},
    {K_V2_LEVEL_LEN, 0, "level lengths"},
    {K_CHUNK_MORE_VALUES, 0, "ends after 5 of its 10 values"},
    {K_PAGE_MORE_VALUES, 0, "exceeds the column chunk"},
    {K_CODEC_LZ4, 0, "LZ4"},
    {K_FIRST_REP, 0, "starts inside a row"},
    {K_LEVEL_BIT_PACKED, 0, "level encoding 4 is not supported"},
    {K_DICT_PAGE_ENC, 0, "dictionary page encoding 5"},
    {K_RLE_TRUNC, 0, "RLE/bit-packed data ends"},
    {K_ROWS_VS_VALUES, 0, "column chunk has 3 values for 4 rows"},
    {K_TOO_MANY_ROWS, 0, "more rows than its row group's 4"},
};

/* Each broken file gives a clean DS_ERR_INTERNAL naming what is wrong,
 * with every codec, and never reads out of bounds (the sanitizer build and
 * the memory source's bounds check would say). */
START_TEST(bad_file)
{
    const struct bad_case *tc = &bad_cases[_i];
    for (size_t c = 0; c < N_ELEMS(codecs); c++) {
        knob k = {tc->kind, codecs[c]};
        if (tc->kind == K_USIZE_MISMATCH && codecs[c] == DS_PQC_UNCOMPRESSED)
            continue; /* covered by the page size check below */
        size_t len;
        unsigned char *buf = build_file(&k, &len);
        pt_mem m;
        ds_pq_io io = pt_mem_io(&m, buf, len);
        ds_pq_file *f = NULL;
        ds_error err;
        ds_error_clear(&err);
        ds_status st = ds_pq_open(&io, &f, &err);
        int failed_at_open = st != DS_OK;
        int failed_decoding = 0;
        if (!failed_at_open) {
            for (int node = 0; node < ds_pq_num_nodes(f) && !failed_decoding; node++) {
                if (!ds_pq_node_at(f, node)->is_leaf)
                    continue;
                pt_col col;
                if (pt_read_col(f, 0, node, &col, &err) < 0)
                    failed_decoding = 1;
                pt_col_free(&col);
            }
            ds_pq_close(f);
        } else {
            ck_assert_ptr_null(f);
        }
        ck_assert_msg(failed_at_open == tc->at_open && (tc->at_open || failed_decoding),
                      "kind %d codec %s: open %d decode %d (%s)", tc->kind,
                      ds_pq_codec_name(codecs[c]), failed_at_open, failed_decoding, err.message);
        ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
        ck_assert_msg(strncmp(err.message, "Parquet", 7) == 0, "%s", err.message);
        ck_assert_msg(strstr(err.message, tc->msg) != NULL, "kind %d codec %s: '%s' lacks '%s'",
                      tc->kind, ds_pq_codec_name(codecs[c]), err.message, tc->msg);
        free(buf);
    }
}
END_TEST

/* Every truncation of the valid file's tail fails cleanly at open. */
START_TEST(truncated_files)
{
    knob k = {K_NONE, DS_PQC_SNAPPY};
    size_t len;
    unsigned char *buf = build_file(&k, &len);
    for (size_t cut = 0; cut < len; cut += (cut < 64 || len - cut < 700) ? 1 : 37) {
        pt_mem m;
        ds_pq_io io = pt_mem_io(&m, buf, cut);
        ds_pq_file *f = NULL;
        ds_error err;
        ds_error_clear(&err);
        ck_assert_msg(ds_pq_open(&io, &f, &err) != DS_OK, "cut at %zu opened", cut);
        ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
    }
    free(buf);
}
END_TEST

/* Single-byte corruptions anywhere in the file: open and decode either
 * work or fail cleanly (run under the sanitizers). */
START_TEST(byte_flips)
{
    knob k = {K_NONE, _i ? DS_PQC_SNAPPY : DS_PQC_UNCOMPRESSED};
    size_t len;
    unsigned char *buf = build_file(&k, &len);
    unsigned char *copy = malloc(len);
    int errors = 0;
    for (size_t pos = 4; pos < len - 8; pos++) {
        for (int flip = 0; flip < 3; flip++) {
            memcpy(copy, buf, len);
            copy[pos] ^= (unsigned char)(flip == 0 ? 0x01 : flip == 1 ? 0x80 : 0xff);
            pt_mem m;
            ds_pq_io io = pt_mem_io(&m, copy, len);
            ds_pq_file *f;
            ds_error err;
            ds_error_clear(&err);
            if (ds_pq_open(&io, &f, &err) != DS_OK) {
                ck_assert_msg(err.status == DS_ERR_INTERNAL, "%s", err.message);
                errors++;
                continue;
            }
            for (int node = 0; node < ds_pq_num_nodes(f); node++) {
                if (!ds_pq_node_at(f, node)->is_leaf)
                    continue;
                pt_col col;
                ds_error_clear(&err);
                if (pt_read_col(f, 0, node, &col, &err) < 0) {
                    ck_assert_int_eq(err.status, DS_ERR_INTERNAL);
                    errors++;
                }
                pt_col_free(&col);
            }
            ds_pq_close(f);
        }
    }
    ck_assert_int_gt(errors, 100);
    free(copy);
    free(buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("parquet");
    TCase *tc = tcase_create("thrift");
    tcase_add_test(tc, thrift_skip_everything);
    tcase_add_test(tc, thrift_truncated_everywhere);
    tcase_add_loop_test(tc, thrift_bad_input, 0, (int)N_ELEMS(thrift_bad));
    tcase_add_test(tc, thrift_depth_limit);
    tcase_add_test(tc, thrift_int_ranges);
    suite_add_tcase(s, tc);

    tc = tcase_create("encodings");
    tcase_add_loop_test(tc, rle_roundtrip_all_widths, 0, 33);
    tcase_add_test(tc, rle_spec_vectors);
    tcase_add_test(tc, dbp_roundtrip);
    tcase_add_test(tc, dbp_spec_vectors);
    tcase_add_test(tc, plain_every_type);
    tcase_add_test(tc, dictionary_pages);
    tcase_add_test(tc, rle_booleans);
    tcase_add_test(tc, delta_encodings);
    tcase_add_test(tc, byte_stream_split);
    tcase_add_test(tc, int96_to_ms);
    suite_add_tcase(s, tc);

    tc = tcase_create("codecs");
    tcase_add_loop_test(tc, codec_roundtrip, 0, (int)N_ELEMS(codecs));
    tcase_add_test(tc, codec_gzip_members_and_unsupported);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, good_file_each_codec, 0, (int)N_ELEMS(codecs));
    tcase_add_loop_test(tc, good_file_variants, 0, (int)N_ELEMS(good_kinds));
    tcase_add_loop_test(tc, bad_file, 0, (int)N_ELEMS(bad_cases));
    tcase_add_test(tc, truncated_files);
    tcase_add_test(tc, find_by_structure);
    tcase_add_loop_test(tc, byte_flips, 0, 2);
    suite_add_tcase(s, tc);
    return tu_run(s);
}
