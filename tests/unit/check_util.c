/* check_util.c - unit tests for src/util: arena, buffer, text helpers,
 * time parsing/formatting, the JSON string writer and the error table. */
#include "config.h"
#include "deltasharing.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/md5.h"
#include "util/text.h"
#include "testutil.h"
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ====================================================================
 * arena
 * ================================================================== */

static const size_t arena_sizes[] = {0, 1, 7, 15, 16, 17, 31, 33, 100, 4095, 16384, 16385,
                                     40000, 65536, 70000};

/* Every allocation is 16-aligned, fully writable and does not overlap
 * any other live allocation of the arena. */
/* RFC 1321's test suite, and lengths around the padding boundaries
 * (55, 56, 64 bytes) against digests from md5sum */
static const struct {
    const char *in;
    const char *hex;
} md5_cases[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
    {"part-00000-0123456789abcdef0123456789abcdef01.c000.snappy.parquet",
     "3239bf3fa0a91fce01ef8466f8f02dca"},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "04364420e25c512fd958a70738aa8f72"},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "668a72d5ba17f08e62dabcafad6db14b"},
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
     "c1bb4f81d892b2d57947682aeb252456"},
    {"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy"
     "yyyyyyyyyyyyyyyyyyyyyyyyyyyyy",
     "b2ea3db8221fa9ae01ee0adf42970ba0"},
};

START_TEST(md5_vectors)
{
    unsigned char h[DS_MD5_BYTES];
    char hex[33];
    ds_md5(md5_cases[_i].in, strlen(md5_cases[_i].in), h);
    ds_hex_encode(h, sizeof h, hex);
    ck_assert_str_eq(hex, md5_cases[_i].hex);
}
END_TEST

START_TEST(arena_alignment)
{
    size_t n = arena_sizes[_i];
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_nonnull(a);
    enum { K = 40 };
    unsigned char *ptrs[K];
    size_t lens[K];
    for (int k = 0; k < K; k++) {
        /* mix the size under test with small odd sizes so the bump pointer
         * lands on every residue */
        lens[k] = (k % 2) ? n : (size_t)(k % 13) + 1;
        ptrs[k] = ds_arena_alloc(a, lens[k]);
        ck_assert_ptr_nonnull(ptrs[k]);
        ck_assert_msg(((uintptr_t)ptrs[k] % 16) == 0, "allocation %d of %zu bytes at %p", k,
                      lens[k], (void *)ptrs[k]);
        memset(ptrs[k], k + 1, lens[k]);
    }
    /* one comparison per allocation: a per-byte assertion made this test
     * run for seconds under the sanitizers on a loaded machine */
    for (int k = 0; k < K; k++) {
        size_t j = 0;
        while (j < lens[k] && ptrs[k][j] == (unsigned char)(k + 1))
            j++;
        ck_assert_msg(j == lens[k], "allocation %d byte %zu was overwritten", k, j);
    }
    ds_arena_free(a);
}
END_TEST

START_TEST(arena_reset)
{
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_nonnull(a);
    void *first = ds_arena_alloc(a, 8);
    ck_assert_ptr_nonnull(first);
    size_t base = ds_arena_used(a);
    ck_assert_uint_ge(base, 8);
    /* many small allocations (new chained blocks) and large private ones */
    for (int i = 0; i < 200; i++)
        ck_assert_ptr_nonnull(ds_arena_alloc(a, 1000));
    for (int i = 0; i < 5; i++)
        ck_assert_ptr_nonnull(ds_arena_alloc(a, 100000));
    ck_assert_uint_gt(ds_arena_used(a), base + 5 * 100000);
    ds_arena_reset(a);
    ck_assert_uint_eq(ds_arena_used(a), base);
    /* the first block is reused from its start */
    ck_assert_ptr_eq(ds_arena_alloc(a, 8), first);
    /* and works normally afterwards, repeatedly */
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            char *p = ds_arena_alloc(a, 2000);
            ck_assert_ptr_nonnull(p);
            memset(p, 'x', 2000);
        }
        ds_arena_reset(a);
        ck_assert_uint_eq(ds_arena_used(a), base);
    }
    ds_arena_free(a);
}
END_TEST

/* A large private block made while the first block is current is chained
 * behind it; reset must still keep the original first block and release the
 * large one (regression: reset used to keep the chain's tail, i.e. the large
 * block, for ever). */
START_TEST(arena_reset_releases_private_block)
{
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_nonnull(a);
    size_t base = ds_arena_used(a);
    char *first = ds_arena_alloc(a, 100);
    ck_assert_ptr_nonnull(first);
    char *big = ds_arena_alloc(a, 1024 * 1024);
    ck_assert_ptr_nonnull(big);
    memset(big, 1, 1024 * 1024);
    ck_assert_uint_eq(ds_arena_used(a), base + 1024 * 1024);
    ds_arena_reset(a);
    ck_assert_uint_eq(ds_arena_used(a), base);
    ck_assert_ptr_eq(ds_arena_alloc(a, 100), first);
    ds_arena_free(a);
}
END_TEST

/* A cap of two default blocks: the arena hands out memory up to the cap and
 * then NULL, without corrupting what it already handed out. */
START_TEST(arena_cap)
{
    const size_t block = 64 * 1024;
    ds_arena *a = ds_arena_new(2 * block);
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(ds_arena_used(a), block);
    char *first = ds_arena_alloc(a, 100);
    ck_assert_ptr_nonnull(first);
    /* a large private block of one block's size still fits the cap */
    char *big = ds_arena_alloc(a, block);
    ck_assert_ptr_nonnull(big);
    memset(big, 'b', block);
    ck_assert_uint_eq(ds_arena_used(a), 2 * block);
    /* anything needing a third block fails */
    ck_assert_ptr_null(ds_arena_alloc(a, block));
    ck_assert_ptr_null(ds_arena_alloc(a, 20000 + block / 2 + block / 4));
    /* while the first block's tail stays usable, until it is full */
    size_t got = 0;
    while (ds_arena_alloc(a, 1024))
        got += 1024;
    ck_assert_uint_lt(got, block);
    ck_assert_uint_ge(got, block - 2048);
    while (ds_arena_alloc(a, 16))
        got += 16;
    ck_assert_uint_ge(got, block - 128);
    ck_assert_uint_eq(ds_arena_used(a), 2 * block);
    ck_assert_ptr_null(ds_arena_alloc(a, 1));
    ck_assert_ptr_null(ds_arena_strdup(a, "x"));
    ck_assert_ptr_null(ds_arena_printf(a, "%d", 1));
    for (size_t i = 0; i < block; i++)
        ck_assert(big[i] == 'b');
    /* after a reset the memory is available again */
    ds_arena_reset(a);
    ck_assert_uint_eq(ds_arena_used(a), block);
    ck_assert_ptr_eq(ds_arena_alloc(a, 1024), first);
    ck_assert_ptr_nonnull(ds_arena_alloc(a, block));
    ds_arena_free(a);
}
END_TEST

START_TEST(arena_huge_request)
{
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_null(ds_arena_alloc(a, SIZE_MAX));
    ck_assert_ptr_null(ds_arena_alloc(a, SIZE_MAX / 2 + 1));
    ck_assert_ptr_nonnull(ds_arena_alloc(a, 16));
    ds_arena_free(a);
    ds_arena_free(NULL);
}
END_TEST

/* A large arena grows in blocks of up to 4 MiB (huge-page mappings
 * outside AddressSanitizer): 40 MB in small pieces stay distinct, keep
 * what was written, and a reset gives everything back but the first block. */
START_TEST(arena_grows_large)
{
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_nonnull(a);
    enum { N = 400000, SZ = 100 };
    unsigned char **v = malloc(N * sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < N; i++) {
        v[i] = ds_arena_alloc(a, SZ);
        ck_assert_ptr_nonnull(v[i]);
        ck_assert_uint_eq((uintptr_t)v[i] % 16, 0);
        memset(v[i], (int)(i & 0xff), SZ);
    }
    for (size_t i = 0; i < N; i += 997)
        for (size_t k = 0; k < SZ; k++)
            ck_assert_uint_eq(v[i][k], i & 0xff);
    /* a few large blocks, not 600 small ones: total within 2x of use */
    ck_assert_uint_ge(ds_arena_used(a), (size_t)N * 112);
    ck_assert_uint_lt(ds_arena_used(a), (size_t)N * 112 * 2 + 8u * 1024 * 1024);
    ds_arena_reset(a);
    ck_assert_uint_eq(ds_arena_used(a), 64 * 1024);
    free(v);
    ds_arena_free(a);
}
END_TEST

/* ds_big_alloc: zeroed, writable, any size; 2 MiB-aligned from 2 MiB up
 * except under AddressSanitizer (plain calloc there). */
START_TEST(big_alloc)
{
    static const size_t sizes[] = {1, 4096, 2u * 1024 * 1024 - 1, 2u * 1024 * 1024,
                                   5u * 1024 * 1024 + 3};
    for (size_t i = 0; i < N_ELEMS(sizes); i++) {
        size_t mapped = 1;
        unsigned char *p = ds_big_alloc(sizes[i], &mapped);
        ck_assert_ptr_nonnull(p);
        for (size_t k = 0; k < sizes[i]; k += 4093)
            ck_assert_uint_eq(p[k], 0);
        ck_assert_uint_eq(p[sizes[i] - 1], 0);
        memset(p, 0xab, sizes[i]);
#if !defined(__SANITIZE_ADDRESS__)
        if (sizes[i] >= 2u * 1024 * 1024) {
            ck_assert_uint_ge(mapped, sizes[i]);
            ck_assert_uint_eq((uintptr_t)p % (2u * 1024 * 1024), 0);
        } else {
            ck_assert_uint_eq(mapped, 0);
        }
#endif
        ds_big_free(p, mapped);
    }
}
END_TEST

START_TEST(arena_strings)
{
    ds_arena *a = ds_arena_new(0);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(ds_arena_strdup(a, "hello"), "hello");
    ck_assert_str_eq(ds_arena_strdup(a, ""), "");
    ck_assert_str_eq(ds_arena_strndup(a, "abcdef", 3), "abc");
    ck_assert_str_eq(ds_arena_printf(a, "%s-%d-%03u", "x", -42, 7u), "x--42-007");
    char long_s[3000];
    memset(long_s, 'q', sizeof long_s - 1);
    long_s[sizeof long_s - 1] = '\0';
    char *p = ds_arena_printf(a, "<%s>", long_s);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(strlen(p), sizeof long_s + 1);
    ck_assert(p[0] == '<' && p[sizeof long_s] == '>');
    ds_arena_free(a);
}
END_TEST

/* ====================================================================
 * ds_buf
 * ================================================================== */

struct buf_case {
    size_t max, preload, add;
    int rc;
};

static const struct buf_case buf_cases[] = {
    {16, 0, 16, 0},  /* exactly max */
    {16, 0, 17, -1}, /* one over */
    {16, 10, 6, 0},
    {16, 10, 7, -1},
    {16, 16, 0, 0},  /* empty append at the cap */
    {16, 16, 1, -1},
    {1000, 300, 700, 0},
    {1000, 300, 701, -1},
    {100000, 0, 100000, 0}, /* growth through several doublings */
    {0, 0, 0, 0},
    {0, 0, 1, -1},
};

START_TEST(buf_cap)
{
    const struct buf_case *c = &buf_cases[_i];
    ds_buf b;
    ds_buf_init(&b, c->max);
    char *src = malloc(c->preload + c->add + 1);
    ck_assert_ptr_nonnull(src);
    for (size_t i = 0; i < c->preload + c->add; i++)
        src[i] = (char)('a' + i % 26);
    ck_assert_int_eq(ds_buf_append(&b, src, c->preload), 0);
    int rc = ds_buf_append(&b, src + c->preload, c->add);
    ck_assert_int_eq(rc, c->rc);
    if (rc == 0) {
        ck_assert_uint_eq(b.len, c->preload + c->add);
        ck_assert_ptr_nonnull(b.data);
        ck_assert(memcmp(b.data, src, b.len) == 0);
        ck_assert(b.data[b.len] == '\0');
    } else {
        /* a failed append frees the buffer */
        ck_assert_ptr_null(b.data);
        ck_assert_uint_eq(b.len, 0);
        ck_assert_uint_eq(b.cap, 0);
    }
    free(src);
    ds_buf_free(&b);
}
END_TEST

START_TEST(buf_printf_growth)
{
    ds_buf b;
    ds_buf_init(&b, 4096);
    char s[1001];
    memset(s, 'z', 1000);
    s[1000] = '\0';
    ck_assert_int_eq(ds_buf_printf(&b, "[%s]", s), 0); /* longer than the stack buffer */
    ck_assert_uint_eq(b.len, 1002);
    ck_assert_uint_eq(strlen(b.data), 1002);
    ck_assert(b.data[0] == '[' && b.data[1001] == ']' && b.data[500] == 'z');
    ck_assert_int_eq(ds_buf_printf(&b, "%d%s", 12, "ab"), 0); /* short path */
    ck_assert_str_eq(b.data + 1002, "12ab");
    ck_assert_int_eq(ds_buf_printf(&b, "%s%s%s", s, s, s), 0);
    ck_assert_uint_eq(b.len, 1006 + 3000);
    ck_assert_uint_eq(strlen(b.data), b.len);
    /* 4006 + 100 > 4096: fails and frees */
    ck_assert_int_eq(ds_buf_printf(&b, "%.100s", s), -1);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    ds_buf_free(&b);

    /* long printf over the cap on an empty buffer */
    ds_buf_init(&b, 500);
    ck_assert_int_eq(ds_buf_printf(&b, "%s", s), -1);
    ck_assert_ptr_null(b.data);
    /* short printf over the cap */
    ds_buf_init(&b, 5);
    ck_assert_int_eq(ds_buf_printf(&b, "%s", "123456"), -1);
    ck_assert_ptr_null(b.data);
    ds_buf_free(&b);
}
END_TEST

START_TEST(buf_misc)
{
    ds_buf b;
    ds_buf_init(&b, 64);
    ck_assert_int_eq(ds_buf_puts(&b, "abc"), 0);
    ck_assert_int_eq(ds_buf_putc(&b, 'd'), 0);
    ck_assert_str_eq(b.data, "abcd");
    char *mem = b.data;
    ds_buf_clear(&b);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_ptr_eq(b.data, mem); /* clear keeps the memory */
    ck_assert_str_eq(b.data, "");
    ck_assert_int_eq(ds_buf_putc(&b, 'x'), 0);
    ck_assert_str_eq(b.data, "x");
    ds_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ds_buf_free(&b); /* idempotent */
    ds_buf_clear(&b);
}
END_TEST

/* ====================================================================
 * percent decoding
 * ================================================================== */

struct pct_case {
    const char *in;
    int plus_is_space;
    long rc;
    const char *out;
};

static const struct pct_case pct_cases[] = {
    {"", 0, 0, ""},
    {"abc", 0, 3, "abc"},
    {"a%20b", 0, 3, "a b"},
    {"%41%42%43", 0, 3, "ABC"},
    {"%4a%4A", 0, 2, "JJ"},
    {"%2F", 0, 1, "/"},
    {"%2f%2e", 0, 2, "/."},
    {"%e2%80%a8", 0, 3, "\xe2\x80\xa8"},
    {"%25", 0, 1, "%"},
    {"%2541", 0, 3, "%41"}, /* decoded once only */
    {"a+b", 0, 3, "a+b"},   /* path mode: '+' is literal */
    {"a+b", 1, 3, "a b"},   /* query mode: '+' is a space */
    {"%2B", 1, 1, "+"},
    {"+%2B+", 1, 3, " + "},
    {"%zz", 0, -1, NULL},
    {"%g1", 0, -1, NULL},
    {"%1g", 0, -1, NULL},
    {"%4", 0, -1, NULL},
    {"ab%4", 0, -1, NULL},
    {"%", 0, -1, NULL},
    {"abc%", 1, -1, NULL},
    {"%%41", 0, -1, NULL},
    {"%00", 0, -1, NULL},
    {"a%00b", 1, -1, NULL},
    {"% 41", 0, -1, NULL},
    {"%-1", 0, -1, NULL},
};

START_TEST(pct_decode)
{
    const struct pct_case *c = &pct_cases[_i];
    size_t n = strlen(c->in);
    char *out = malloc(n + 1);
    ck_assert_ptr_nonnull(out);
    long rc = ds_pct_decode(c->in, n, out, c->plus_is_space);
    ck_assert_msg(rc == c->rc, "'%s' (plus=%d): got %ld, want %ld", c->in, c->plus_is_space,
                  rc, c->rc);
    if (c->out) {
        ck_assert_str_eq(out, c->out);
        ck_assert_uint_eq(strlen(out), (size_t)rc);
    }
    free(out);
}
END_TEST

/* Only the first n bytes are looked at. */
START_TEST(pct_decode_length_bound)
{
    char out[8];
    ck_assert_int_eq(ds_pct_decode("ab%41", 2, out, 0), 2);
    ck_assert_str_eq(out, "ab");
    ck_assert_int_eq(ds_pct_decode("%41%42", 4, out, 0), -1); /* "%41%4" */
    ck_assert_int_eq(ds_pct_decode("ab%41", 4, out, 0), -1);  /* "ab%4" */
    ck_assert_int_eq(ds_pct_decode("ab%41", 3, out, 0), -1);  /* "ab%" */
    ck_assert_int_eq(ds_pct_decode("ab%41", 5, out, 0), 3);
    /* a literal NUL byte inside the range is rejected too */
    ck_assert_int_eq(ds_pct_decode("a\0b", 3, out, 0), -1);
}
END_TEST

/* ====================================================================
 * integers
 * ================================================================== */

struct i64_case {
    const char *s;
    int64_t min, max;
    int rc;
    int64_t v;
};

static const struct i64_case i64_cases[] = {
    {"0", INT64_MIN, INT64_MAX, 0, 0},
    {"-0", INT64_MIN, INT64_MAX, 0, 0},
    {"42", 0, 100, 0, 42},
    {"007", 0, 100, 0, 7},
    {"100", 0, 100, 0, 100},
    {"101", 0, 100, -1, 0},
    {"0", 1, 100, -1, 0},
    {"-1", 0, 100, -1, 0},
    {"-5", -10, -1, 0, -5},
    {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
    {"9223372036854775808", INT64_MIN, INT64_MAX, -1, 0},
    {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
    {"-9223372036854775809", INT64_MIN, INT64_MAX, -1, 0},
    {"18446744073709551615", INT64_MIN, INT64_MAX, -1, 0},
    {"18446744073709551616", INT64_MIN, INT64_MAX, -1, 0},
    {"99999999999999999999999", INT64_MIN, INT64_MAX, -1, 0},
    {"-", INT64_MIN, INT64_MAX, -1, 0},
    {"", INT64_MIN, INT64_MAX, -1, 0},
    {" 1", INT64_MIN, INT64_MAX, -1, 0},
    {"1 ", INT64_MIN, INT64_MAX, -1, 0},
    {"1a", INT64_MIN, INT64_MAX, -1, 0},
    {"a1", INT64_MIN, INT64_MAX, -1, 0},
    {"+1", INT64_MIN, INT64_MAX, -1, 0},
    {"--1", INT64_MIN, INT64_MAX, -1, 0},
    {"0x10", INT64_MIN, INT64_MAX, -1, 0},
    {"1.5", INT64_MIN, INT64_MAX, -1, 0},
    {"1e3", INT64_MIN, INT64_MAX, -1, 0},
    {"60", 60, 604800, 0, 60},
    {"59", 60, 604800, -1, 0},
    {"604801", 60, 604800, -1, 0},
};

START_TEST(parse_i64)
{
    const struct i64_case *c = &i64_cases[_i];
    int64_t v = 12345;
    int rc = ds_parse_i64(c->s, c->min, c->max, &v);
    ck_assert_msg(rc == c->rc, "'%s': got rc %d, want %d", c->s, rc, c->rc);
    if (rc == 0)
        ck_assert_int_eq(v, c->v);
    else
        ck_assert_int_eq(v, 12345); /* untouched on failure */
}
END_TEST

START_TEST(parse_i64_null)
{
    int64_t v = 1;
    ck_assert_int_eq(ds_parse_i64(NULL, 0, 10, &v), -1);
    ck_assert_int_eq(v, 1);
}
END_TEST

/* ====================================================================
 * names
 * ================================================================== */

struct name_case {
    const char *s; /* NULL: `repeat` times 'a' */
    size_t repeat;
    int no_dot, valid;
};

static const struct name_case name_cases[] = {
    {"abc", 0, 0, 1},
    {"a", 0, 1, 1},
    {NULL, 255, 0, 1},
    {NULL, 255, 1, 1},
    {NULL, 256, 0, 0},
    {NULL, 256, 1, 0},
    {NULL, 1000, 0, 0},
    {"", 0, 0, 0},
    {"a b", 0, 0, 0},
    {" a", 0, 0, 0},
    {"a ", 0, 0, 0},
    {"a/b", 0, 0, 0},
    {"/", 0, 0, 0},
    {"a\tb", 0, 0, 0},
    {"a\nb", 0, 0, 0},
    {"a\x01", 0, 0, 0},
    {"\x1f", 0, 0, 0},
    {"a\x7f", 0, 0, 0},
    {"a.b", 0, 0, 1},
    {"a.b", 0, 1, 0},
    {".", 0, 1, 0},
    {"Mixed-Case_name~1", 0, 1, 1},
    {"caf\xc3\xa9", 0, 1, 1},     /* non-ASCII bytes are allowed */
    {"a%2Fb", 0, 0, 1},           /* a literal percent sign is just a character */
    {"a\\b", 0, 0, 1},
};

START_TEST(name_valid)
{
    const struct name_case *c = &name_cases[_i];
    char *tmp = NULL;
    const char *s = c->s;
    if (!s) {
        tmp = malloc(c->repeat + 1);
        ck_assert_ptr_nonnull(tmp);
        memset(tmp, 'a', c->repeat);
        tmp[c->repeat] = '\0';
        s = tmp;
    }
    ck_assert_msg(ds_name_valid(s, c->no_dot) == c->valid, "case %d (len %zu, no_dot=%d)", _i,
                  strlen(s), c->no_dot);
    free(tmp);
}
END_TEST

/* A 255-character name that is valid except for one forbidden byte at the
 * very end is still rejected (the length limit does not stop the scan
 * early). */
START_TEST(name_valid_bad_last_byte)
{
    char s[256];
    memset(s, 'a', 255);
    s[255] = '\0';
    s[254] = '/';
    ck_assert_int_eq(ds_name_valid(s, 0), 0);
    s[254] = '.';
    ck_assert_int_eq(ds_name_valid(s, 1), 0);
    ck_assert_int_eq(ds_name_valid(s, 0), 1);
}
END_TEST

START_TEST(strcaseeq_and_hex)
{
    ck_assert(ds_strcaseeq("Alpha", "aLPHA"));
    ck_assert(!ds_strcaseeq("alpha", "alph"));
    ck_assert(!ds_strcaseeq("alph", "alpha"));
    ck_assert(ds_strcaseeq("", ""));
    unsigned char in[4] = {0x00, 0x7f, 0xab, 0xff}, back[4];
    char hex[9];
    ds_hex_encode(in, 4, hex);
    ck_assert_str_eq(hex, "007fabff");
    ck_assert_int_eq(ds_hex_decode("007FABff", back, 4), 0);
    ck_assert(memcmp(in, back, 4) == 0);
    ck_assert_int_eq(ds_hex_decode("007fabf", back, 4), -1);   /* short */
    ck_assert_int_eq(ds_hex_decode("007fabff0", back, 4), -1); /* long */
    ck_assert_int_eq(ds_hex_decode("007fabfg", back, 4), -1);  /* not hex */
}
END_TEST

/* ====================================================================
 * time
 * ================================================================== */

#define T2027 INT64_C(1798761600000) /* 2027-01-01T00:00:00Z */

struct time_case {
    const char *s;
    int rc;
    int64_t ms;
};

static const struct time_case time_cases[] = {
    {"1970-01-01T00:00:00Z", 0, 0},
    {"2027-01-01T00:00:00Z", 0, T2027},
    {"2027-01-01T00:00:00z", 0, T2027},
    {"2027-01-01t00:00:00Z", 0, T2027},
    {"2027-01-01 00:00:00Z", 0, T2027},
    {"2027-01-01T00:00:00", 0, T2027}, /* no offset: UTC */
    {"2027-01-01T00:00Z", 0, T2027},   /* no seconds */
    {"2027-01-01", 0, T2027},          /* date only: midnight UTC */
    {"2027-01-01T00:00:00.123Z", 0, T2027 + 123},
    {"2027-01-01T00:00:00.1Z", 0, T2027 + 100},
    {"2027-01-01T00:00:00.12Z", 0, T2027 + 120},
    {"2027-01-01T00:00:00,5Z", 0, T2027 + 500},
    {"2027-01-01T00:00:00.123456789Z", 0, T2027 + 123},
    {"2027-01-01T00:00:00.999999Z", 0, T2027 + 999},
    {"2027-01-01T00:00:00.1234567891Z", -1, 0},
    {"2027-01-01T00:00:00.Z", -1, 0},
    {"2027-01-01T01:00:00+01:00", 0, T2027},
    {"2026-12-31T19:00:00-05:00", 0, T2027},
    {"2027-01-01T05:30:00+0530", 0, T2027},
    {"2027-01-01T00:00:00+00:00", 0, T2027},
    {"2027-01-01T00:00:00-00:00", 0, T2027},
    {"2027-01-01T00:00:00.250+01:00", 0, T2027 - 3600000 + 250},
    {"2026-12-31T23:59:60Z", 0, T2027 - 1000}, /* leap second clamps to :59 */
    {"2024-02-29T00:00:00Z", 0, INT64_C(1709164800000)},
    {"2000-02-29T12:34:56Z", 0, INT64_C(951827696000)},
    {"2023-02-29T00:00:00Z", -1, 0},
    {"1900-02-29T00:00:00Z", -1, 0},
    {"2100-02-29", -1, 0},
    {"2027-02-28", 0, T2027 + INT64_C(58) * 86400000},
    {"2027-04-31", -1, 0},
    {"2027-12-31", 0, T2027 + INT64_C(364) * 86400000},
    {"2027-12-32", -1, 0},
    {"2027-13-01", -1, 0},
    {"2027-00-01", -1, 0},
    {"2027-01-00", -1, 0},
    {"2027-01-01T24:00:00Z", -1, 0},
    {"2027-01-01T23:60:00Z", -1, 0},
    {"2027-01-01T23:59:61Z", -1, 0},
    {"2027-01-01T00:00:00+24:00", -1, 0},
    {"2027-01-01T00:00:00+05:60", -1, 0},
    {"2027-01-01T00:00:00+05", -1, 0},
    {"2027-01-01T00:00:00+5:00", -1, 0},
    {"2027-01-01T00:00:00ZZ", -1, 0},
    {"2027-01-01T00:00:00Z ", -1, 0},
    {" 2027-01-01T00:00:00Z", -1, 0},
    {"2027-01-01T", -1, 0},
    {"2027-01-01T00", -1, 0},
    {"2027-01-01T0:00:00Z", -1, 0},
    {"2027-1-01", -1, 0},
    {"27-01-01", -1, 0},
    {"2027/01/01", -1, 0},
    {"2027-01-01X00:00:00Z", -1, 0},
    {"", -1, 0},
    {"tomorrow", -1, 0},
    {"1798761600", -1, 0},
};

START_TEST(time_parse)
{
    const struct time_case *c = &time_cases[_i];
    int64_t ms = -777;
    int rc = ds_time_parse(c->s, &ms);
    ck_assert_msg(rc == c->rc, "'%s': got rc %d, want %d", c->s, rc, c->rc);
    if (rc == 0)
        ck_assert_msg(ms == c->ms, "'%s': got %lld, want %lld", c->s, (long long)ms,
                      (long long)c->ms);
}
END_TEST

struct fmt_case {
    int64_t ms;
    const char *s;
};

static const struct fmt_case fmt_cases[] = {
    {0, "1970-01-01T00:00:00.000Z"},
    {T2027, "2027-01-01T00:00:00.000Z"},
    {T2027 + 123, "2027-01-01T00:00:00.123Z"},
    {T2027 + 7, "2027-01-01T00:00:00.007Z"},
    {T2027 - 1, "2026-12-31T23:59:59.999Z"},
    {-1, "1969-12-31T23:59:59.999Z"},
    {-1000, "1969-12-31T23:59:59.000Z"},
    {INT64_C(1709164800000), "2024-02-29T00:00:00.000Z"},
    {INT64_C(951827696000), "2000-02-29T12:34:56.000Z"},
};

START_TEST(time_format)
{
    const struct fmt_case *c = &fmt_cases[_i];
    char out[40];
    ds_time_format(c->ms, out, sizeof out);
    ck_assert_str_eq(out, c->s);
    /* and it parses back to the same instant */
    int64_t back;
    ck_assert_int_eq(ds_time_parse(out, &back), 0);
    ck_assert_int_eq(back, c->ms);
}
END_TEST

/* ====================================================================
 * JSON strings
 * ================================================================== */

struct json_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *out;
};

static const struct json_case json_cases[] = {
    {"", 0, "\"\""},
    {"abc", 0, "\"abc\""},
    {"a\"b\\c", 0, "\"a\\\"b\\\\c\""},
    {"\"\\\"", 0, "\"\\\"\\\\\\\"\""},
    {"/</script>", 0, "\"/</script>\""},
    {"\n\r\t\b\f", 0, "\"\\n\\r\\t\\b\\f\""},
    {"\x01\x1f\x7f", 0, "\"\\u0001\\u001f\\u007f\""},
    {"a\0b", 3, "\"a\\u0000b\""},
    {"~ ", 0, "\"~ \""},
    {"\xe2\x80\xa8", 0, "\"\\u2028\""},          /* LINE SEPARATOR */
    {"\xe2\x80\xa9", 0, "\"\\u2029\""},          /* PARAGRAPH SEPARATOR */
    {"\xc2\x85", 0, "\"\\u0085\""},              /* NEL */
    {"caf\xc3\xa9", 0, "\"caf\\u00e9\""},
    {"\xef\xbb\xbf", 0, "\"\\ufeff\""},
    {"\xef\xbf\xbd", 0, "\"\\ufffd\""},
    {"\xf0\x9f\x98\x80", 0, "\"\\ud83d\\ude00\""}, /* U+1F600 */
    {"\xf0\x90\x80\x80", 0, "\"\\ud800\\udc00\""}, /* U+10000 */
    {"\xf4\x8f\xbf\xbf", 0, "\"\\udbff\\udfff\""}, /* U+10FFFF */
    {"\xff", 0, "\"\\ufffd\""},
    {"a\x80z", 0, "\"a\\ufffdz\""},
    {"\xc0\x80", 0, "\"\\ufffd\\ufffd\""},         /* overlong NUL */
    {"\xe0\x80\xaf", 0, "\"\\ufffd\\ufffd\\ufffd\""}, /* overlong '/' */
    {"\xed\xa0\x80", 0, "\"\\ufffd\\ufffd\\ufffd\""}, /* encoded surrogate */
    {"\xe2\x80", 0, "\"\\ufffd\\ufffd\""},         /* truncated */
    {"\xf4\x90\x80\x80", 0, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* > U+10FFFF */
    {"\xc3(", 0, "\"\\ufffd(\""},
};

START_TEST(json_str)
{
    const struct json_case *c = &json_cases[_i];
    ds_buf b;
    ds_buf_init(&b, 1024);
    size_t len = c->len ? c->len : strlen(c->in);
    ck_assert_int_eq(ds_json_strn(&b, c->in, len), 0);
    ck_assert_str_eq(b.data, c->out);
    for (size_t i = 0; i < b.len; i++)
        ck_assert_msg(b.data[i] >= 0x20 && b.data[i] < 0x7f, "non-ASCII output byte %zu", i);
    if (!c->len) {
        ds_buf_clear(&b);
        ck_assert_int_eq(ds_json_str(&b, c->in), 0);
        ck_assert_str_eq(b.data, c->out);
    }
    ds_buf_free(&b);
}
END_TEST

/* The escaper (and ds_json_plain) work 16 bytes at a time where they can:
 * compare them with a byte-at-a-time model over strings that put every kind of byte at every
 * offset of a 16-byte block (ASCII-only output, \u for the rest). */
static void json_model(const unsigned char *s, size_t n, char *out)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default: break;
        }
        if (e) {
            memcpy(out + o, e, 2);
            o += 2;
        } else if (c < 0x20 || c == 0x7F) {
            o += (size_t)sprintf(out + o, "\\u%04x", c);
        } else if (c >= 0x80) {
            o += (size_t)sprintf(out + o, "\\ufffd"); /* lone bytes are invalid UTF-8 */
        } else {
            out[o++] = (char)c;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
}

START_TEST(json_str_blocks)
{
    static const unsigned char specials[] = {'"', '\\', '\n', 0x01, 0x1F, 0x7F, 0x80, 0xFF, ' ', '~'};
    unsigned char in[80];
    char want[80 * 6 + 3];
    for (size_t k = 0; k < sizeof specials; k++)
        for (size_t pos = 0; pos < 40; pos++)
            for (size_t len = pos + 1; len <= 80; len += 13) {
                for (size_t i = 0; i < len; i++)
                    in[i] = (unsigned char)('a' + i % 26);
                in[pos] = specials[k];
                json_model(in, len, want);
                ds_buf b;
                ds_buf_init(&b, 4096);
                ck_assert_int_eq(ds_json_strn(&b, (const char *)in, len), 0);
                ck_assert_str_eq(b.data, want);
                /* plain exactly when escaping changes nothing */
                int same = strlen(want) == len + 2 && memcmp(want + 1, in, len) == 0;
                ck_assert_int_eq(ds_json_plain((const char *)in, len), same);
                ds_buf_free(&b);
            }
}
END_TEST

START_TEST(json_kv)
{
    ds_buf b;
    ds_buf_init(&b, 1024);
    int first = 1;
    ck_assert_int_eq(ds_buf_putc(&b, '{'), 0);
    ck_assert_int_eq(ds_json_kv_str(&b, &first, "a", "x\"y"), 0);
    ck_assert_int_eq(first, 0);
    ck_assert_int_eq(ds_json_kv_i64(&b, &first, "n", INT64_MIN), 0);
    ck_assert_int_eq(ds_json_kv_bool(&b, &first, "t", 7), 0);
    ck_assert_int_eq(ds_json_kv_bool(&b, &first, "f", 0), 0);
    ck_assert_int_eq(ds_json_key(&b, &first, "k\n"), 0);
    ck_assert_int_eq(ds_buf_puts(&b, "null}"), 0);
    ck_assert_str_eq(b.data, "{\"a\":\"x\\\"y\",\"n\":-9223372036854775808,\"t\":true,"
                             "\"f\":false,\"k\\n\":null}");
    ds_buf_free(&b);

    /* the cap applies to the writer: escaping that overflows fails cleanly */
    ds_buf_init(&b, 10);
    ck_assert_int_eq(ds_json_str(&b, "\xe2\x80\xa8\xe2\x80\xa8"), -1);
    ck_assert_ptr_null(b.data);
    ds_buf_free(&b);
}
END_TEST

/* ====================================================================
 * errors
 * ================================================================== */

struct status_case {
    ds_status st;
    int http;
    const char *code;
    const char *reason;
};

static const struct status_case status_cases[] = {
    {DS_OK, 200, "OK", "OK"},
    {DS_ERR_MALFORMED, 400, "MALFORMED_REQUEST", "Bad Request"},
    {DS_ERR_INVALID_PARAM, 400, "INVALID_PARAMETER_VALUE", "Bad Request"},
    {DS_ERR_UNSUPPORTED, 400, "UNSUPPORTED_OPERATION", "Bad Request"},
    {DS_ERR_UNAUTHENTICATED, 401, "UNAUTHENTICATED", "Unauthorized"},
    {DS_ERR_FORBIDDEN, 403, "PERMISSION_DENIED", "Forbidden"},
    {DS_ERR_NOT_FOUND, 404, "RESOURCE_DOES_NOT_EXIST", "Not Found"},
    {DS_ERR_METHOD, 405, "MALFORMED_REQUEST", "Method Not Allowed"},
    {DS_ERR_TOO_LARGE, 413, "MALFORMED_REQUEST", "Content Too Large"},
    {DS_ERR_URI_TOO_LONG, 414, "MALFORMED_REQUEST", "URI Too Long"},
    {DS_ERR_HEADER_TOO_LARGE, 431, "MALFORMED_REQUEST", "Request Header Fields Too Large"},
    {DS_ERR_INTERNAL, 500, "INTERNAL_ERROR", "Internal Server Error"},
    {DS_ERR_NOMEM, 503, "INTERNAL_ERROR", "Service Unavailable"},
    {DS_ERR_STORAGE, 502, "INTERNAL_ERROR", "Bad Gateway"},
    {DS_ERR_TIMEOUT, 504, "INTERNAL_ERROR", "Gateway Timeout"},
    {DS_ERR_CONFIG, 500, "INTERNAL_ERROR", "Internal Server Error"},
    {DS_ERR_IO, 500, "INTERNAL_ERROR", "Internal Server Error"},
    /* out of range */
    {DS_STATUS_COUNT, 500, "INTERNAL_ERROR", "Internal Server Error"},
    {(ds_status)-1, 500, "INTERNAL_ERROR", "Internal Server Error"},
    {(ds_status)1000, 500, "INTERNAL_ERROR", "Internal Server Error"},
};

/* Every status is in the table exactly once (the table must grow with the
 * enum). */
_Static_assert(sizeof status_cases / sizeof status_cases[0] == DS_STATUS_COUNT + 3,
               "status_cases must list every ds_status");

START_TEST(status_mapping)
{
    const struct status_case *c = &status_cases[_i];
    int sv = (int)c->st;
    if (sv >= 0 && sv < DS_STATUS_COUNT)
        ck_assert_int_eq(sv, _i); /* rows in enum order */
    ck_assert_int_eq(ds_status_http(c->st), c->http);
    ck_assert_str_eq(ds_status_code_name(c->st), c->code);
    ck_assert_str_eq(ds_status_reason(ds_status_http(c->st)), c->reason);
}
END_TEST

/* ds_error_set with a NULL format uses a default message that is safe to
 * show; statuses with a public meaning have a non-empty one. */
START_TEST(error_default_message)
{
    ds_status st = (ds_status)_i;
    ds_error e;
    ds_error_clear(&e);
    ck_assert_int_eq(ds_error_set(&e, st, NULL), st == DS_OK ? DS_ERR_INTERNAL : st);
    ck_assert_int_eq(e.status, st == DS_OK ? DS_ERR_INTERNAL : st);
    ck_assert_str_eq(e.detail, "");
    switch (e.status) {
    case DS_ERR_INTERNAL:
    case DS_ERR_CONFIG:
    case DS_ERR_IO:
        ck_assert_str_eq(e.message, "");
        break;
    default:
        ck_assert_uint_gt(strlen(e.message), 10);
    }
}
END_TEST

START_TEST(error_first_wins)
{
    ds_error e;
    ds_error_clear(&e);
    ck_assert_int_eq(e.status, DS_OK);
    ck_assert_int_eq(ds_error_set(&e, DS_ERR_NOT_FOUND, "first %d", 1), DS_ERR_NOT_FOUND);
    ck_assert_int_eq(ds_error_set(&e, DS_ERR_MALFORMED, "second"), DS_ERR_NOT_FOUND);
    ck_assert_int_eq(ds_error_set(&e, DS_ERR_INTERNAL, NULL), DS_ERR_NOT_FOUND);
    ck_assert_int_eq(e.status, DS_ERR_NOT_FOUND);
    ck_assert_str_eq(e.message, "first 1");
    ds_error_detail(&e, "a=%d", 1);
    ds_error_detail(&e, "b");
    ck_assert_str_eq(e.detail, "a=1; b");
    ds_error_clear(&e);
    ck_assert_int_eq(e.status, DS_OK);
    ck_assert_str_eq(e.message, "");
    ck_assert_str_eq(e.detail, "");
    ck_assert_int_eq(ds_error_set(&e, DS_ERR_NOT_FOUND, NULL), DS_ERR_NOT_FOUND);
    ck_assert_str_eq(e.message, "The resource does not exist.");
    /* out-of-range statuses become INTERNAL */
    ds_error_clear(&e);
    ck_assert_int_eq(ds_error_set(&e, DS_STATUS_COUNT, "x"), DS_ERR_INTERNAL);
    ck_assert_int_eq(e.status, DS_ERR_INTERNAL);
    /* a NULL record is allowed */
    ck_assert_int_eq(ds_error_set(NULL, DS_ERR_FORBIDDEN, "x"), DS_ERR_FORBIDDEN);
    ds_error_detail(NULL, "x");
}
END_TEST

START_TEST(error_truncation)
{
    ds_error e;
    ds_error_clear(&e);
    char big[2000];
    memset(big, 'm', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ds_error_set(&e, DS_ERR_MALFORMED, "%s", big);
    ck_assert_uint_eq(strlen(e.message), sizeof e.message - 1);
    for (int i = 0; i < 10; i++)
        ds_error_detail(&e, "%s", big);
    ck_assert_uint_lt(strlen(e.detail), sizeof e.detail);
    ck_assert_uint_ge(strlen(e.detail), sizeof e.detail - 3);
}
END_TEST

START_TEST(grow_doubles_and_refuses_overflow)
{
    int *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        ck_assert_int_eq(ds_grow((void **)&v, &cap, n, sizeof *v, 4), 0);
        ck_assert_uint_gt(cap, n);
        v[n] = (int)n;
    }
    ck_assert_uint_eq(cap, 1024);
    for (size_t n = 0; n < 1000; n++)
        ck_assert_int_eq(v[n], (int)n);
    /* room left: nothing changes */
    int *same = v;
    ck_assert_int_eq(ds_grow((void **)&v, &cap, 1000, sizeof *v, 4), 0);
    ck_assert_ptr_eq(v, same);
    /* a size that cannot be represented is refused, the array kept */
    size_t huge = SIZE_MAX / 2 + 1;
    ck_assert_int_eq(ds_grow((void **)&v, &huge, huge, sizeof *v, 4), -1);
    ck_assert_ptr_eq(v, same);
    free(v);
}
END_TEST

/* ====================================================================
 * Z85 (ZeroMQ RFC 32) and HTTP dates
 * ================================================================== */

static const struct {
    const char *text;
    const char *hex; /* NULL: refused */
} z85_cases[] = {
    {"HelloWorld", "864fd26fb559f75b"}, /* the RFC's own test vector */
    {"", ""},
    {"00000", "00000000"},
    {"%nSc0", "ffffffff"},               /* the largest group */
    {"%nSc1", NULL},                     /* 2^32: one past it */
    {"#####", NULL},                     /* 85^5 - 1 */
    {"Hello", "864fd26f"},
    {"HelloWorl", NULL},                 /* not a multiple of 5 */
    {"Hello World", NULL},
    {"Hell\"", NULL},                    /* '"' is not in the alphabet */
    {"Hell ", NULL},
    {"Hell~", NULL},
    {"Hell,", NULL},
    {"Hell\\", NULL},
    {"0X9F0q2<2yJ-f)Gm2!e0", "0229ec3d510044e18e53702d448da8da"}, /* a DV id */
};

START_TEST(z85_decode)
{
    const char *t = z85_cases[_i].text;
    unsigned char out[64];
    memset(out, 0xee, sizeof out);
    long n = ds_z85_decode(t, strlen(t), out);
    if (!z85_cases[_i].hex) {
        ck_assert_int_eq(n, -1);
        return;
    }
    ck_assert_int_eq(n, (long)strlen(z85_cases[_i].hex) / 2);
    char hex[130];
    ds_hex_encode(out, (size_t)n, hex);
    ck_assert_str_eq(hex, z85_cases[_i].hex);
    ck_assert_uint_eq(out[n], 0xee); /* nothing written past the end */
}
END_TEST

START_TEST(z85_embedded_nul)
{
    /* a NUL inside the counted length is not an alphabet character */
    unsigned char out[8];
    ck_assert_int_eq(ds_z85_decode("Hel\0o", 5, out), -1);
    /* every alphabet character decodes to its index */
    static const char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
                                   "VWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    for (int i = 0; i < 85; i++) {
        char g[6] = {'0', '0', '0', '0', alphabet[i], 0};
        ck_assert_int_eq(ds_z85_decode(g, 5, out), 4);
        ck_assert_uint_eq(out[0] | out[1] | out[2], 0);
        ck_assert_uint_eq(out[3], (unsigned)i);
    }
}
END_TEST

static const struct {
    int64_t secs;
    const char *text;
} http_date_cases[] = {
    {784111777, "Sun, 06 Nov 1994 08:49:37 GMT"}, /* RFC 9110's example */
    {0, "Thu, 01 Jan 1970 00:00:00 GMT"},
    {951782400, "Tue, 29 Feb 2000 00:00:00 GMT"},
    {1767225599, "Wed, 31 Dec 2025 23:59:59 GMT"},
    {1767225600, "Thu, 01 Jan 2026 00:00:00 GMT"},
    {253402300799, "Fri, 31 Dec 9999 23:59:59 GMT"},
};

START_TEST(http_date_round_trip)
{
    char out[DS_HTTP_DATE_LEN];
    ds_http_date_format(http_date_cases[_i].secs, out);
    ck_assert_str_eq(out, http_date_cases[_i].text);
    int64_t back = -1;
    ck_assert_int_eq(ds_http_date_parse(out, &back), 0);
    ck_assert_int_eq(back, http_date_cases[_i].secs);
}
END_TEST

static const char *const bad_http_dates[] = {
    "",
    "Sun, 06 Nov 1994 08:49:37 UTC",
    "Sunday, 06-Nov-94 08:49:37 GMT", /* RFC 850: obsolete, not accepted */
    "Sun Nov  6 08:49:37 1994",       /* asctime: likewise */
    "Mon, 06 Nov 1994 08:49:37 GMT",  /* wrong day name */
    "Sun, 31 Nov 1994 08:49:37 GMT",  /* no such day */
    "Sun, 06 Nov 1994 24:00:00 GMT",
    "Sun, 06 Nov 1994 08:60:00 GMT",
    "Sun, 06 Xyz 1994 08:49:37 GMT",
    "Sun, 6 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 1994 08:49:37 GMT ",
    " Sun, 06 Nov 1994 08:49:37 GMT",
    "Sun, 06 Nov 19a4 08:49:37 GMT",
    "sun, 06 nov 1994 08:49:37 gmt",
};

START_TEST(http_date_refused)
{
    int64_t v = 42;
    ck_assert_int_eq(ds_http_date_parse(bad_http_dates[_i], &v), -1);
    ck_assert_int_eq(v, 42);
}
END_TEST

START_TEST(http_date_every_day)
{
    /* every day of 1999..2101 agrees with gmtime, and parses back */
    for (int64_t s = 915148800; s < 4133980800; s += 86400 + 3661) {
        char out[DS_HTTP_DATE_LEN], want[64];
        ds_http_date_format(s, out);
        time_t t = (time_t)s;
        struct tm tm;
        gmtime_r(&t, &tm);
        static const char *const wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char *const mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        snprintf(want, sizeof want, "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[tm.tm_wday],
                 tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        ck_assert_str_eq(out, want);
        int64_t back;
        ck_assert_int_eq(ds_http_date_parse(out, &back), 0);
        ck_assert_int_eq(back, s);
    }
}
END_TEST

static Suite *util_suite(void)
{
    Suite *s = suite_create("util");
    TCase *tc = tcase_create("arena");
    tcase_add_loop_test(tc, arena_alignment, 0, (int)N_ELEMS(arena_sizes));
    tcase_add_test(tc, arena_reset);
    tcase_add_test(tc, arena_reset_releases_private_block);
    tcase_add_test(tc, arena_cap);
    tcase_add_test(tc, arena_huge_request);
    tcase_add_test(tc, arena_strings);
    tcase_add_test(tc, arena_grows_large);
    tcase_add_test(tc, big_alloc);
    suite_add_tcase(s, tc);

    tc = tcase_create("buf");
    tcase_add_loop_test(tc, buf_cap, 0, (int)N_ELEMS(buf_cases));
    tcase_add_test(tc, buf_printf_growth);
    tcase_add_test(tc, grow_doubles_and_refuses_overflow);
    tcase_add_test(tc, buf_misc);
    suite_add_tcase(s, tc);

    tc = tcase_create("text");
    tcase_add_loop_test(tc, pct_decode, 0, (int)N_ELEMS(pct_cases));
    tcase_add_test(tc, pct_decode_length_bound);
    tcase_add_loop_test(tc, parse_i64, 0, (int)N_ELEMS(i64_cases));
    tcase_add_test(tc, parse_i64_null);
    tcase_add_loop_test(tc, name_valid, 0, (int)N_ELEMS(name_cases));
    tcase_add_test(tc, name_valid_bad_last_byte);
    tcase_add_test(tc, strcaseeq_and_hex);
    tcase_add_loop_test(tc, md5_vectors, 0, (int)N_ELEMS(md5_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("time");
    tcase_add_loop_test(tc, time_parse, 0, (int)N_ELEMS(time_cases));
    tcase_add_loop_test(tc, time_format, 0, (int)N_ELEMS(fmt_cases));
    tcase_add_loop_test(tc, http_date_round_trip, 0, (int)N_ELEMS(http_date_cases));
    tcase_add_loop_test(tc, http_date_refused, 0, (int)N_ELEMS(bad_http_dates));
    tcase_add_test(tc, http_date_every_day);
    suite_add_tcase(s, tc);

    tc = tcase_create("z85");
    tcase_add_loop_test(tc, z85_decode, 0, (int)N_ELEMS(z85_cases));
    tcase_add_test(tc, z85_embedded_nul);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_loop_test(tc, json_str, 0, (int)N_ELEMS(json_cases));
    tcase_add_test(tc, json_kv);
    tcase_add_test(tc, json_str_blocks);
    suite_add_tcase(s, tc);

    tc = tcase_create("error");
    tcase_add_loop_test(tc, status_mapping, 0, (int)N_ELEMS(status_cases));
    tcase_add_loop_test(tc, error_default_message, 0, DS_STATUS_COUNT);
    tcase_add_test(tc, error_first_wins);
    tcase_add_test(tc, error_truncation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tu_run(util_suite());
}
