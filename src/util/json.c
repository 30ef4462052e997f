/* json.c - see json.h. */
#include "config.h"
#include "util/json.h"
#include <inttypes.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Decodes one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static const char hexd[] = "0123456789abcdef";

static char *put_u(char *o, uint32_t u)
{
    o[0] = '\\';
    o[1] = 'u';
    o[2] = hexd[(u >> 12) & 15];
    o[3] = hexd[(u >> 8) & 15];
    o[4] = hexd[(u >> 4) & 15];
    o[5] = hexd[u & 15];
    return o + 6;
}

/* For each byte: 0 = written as it is (printable ASCII but '"' and
 * '\\'), else the character after the backslash: 'u' for a \u escape
 * (four hex digits), 'm' for the first byte of a multi-byte sequence. */
static const char esc[256] = {
    ['\0'] = 'u', [1] = 'u', [2] = 'u', [3] = 'u', [4] = 'u', [5] = 'u', [6] = 'u',
    [7] = 'u', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', [11] = 'u', ['\f'] = 'f',
    ['\r'] = 'r', [14] = 'u', [15] = 'u', [16] = 'u', [17] = 'u', [18] = 'u', [19] = 'u',
    [20] = 'u', [21] = 'u', [22] = 'u', [23] = 'u', [24] = 'u', [25] = 'u', [26] = 'u',
    [27] = 'u', [28] = 'u', [29] = 'u', [30] = 'u', [31] = 'u', ['"'] = '"', ['\\'] = '\\',
    [127] = 'u',
    [128 ... 255] = 'm',
};

#ifdef __SSE2__
/* Bit k set when byte k of v must be escaped: below 0x20, 0x7F and above
 * ((c ^ 0x80) as signed is below 0xA0 or is 0xFF), '"' or '\\'. */
static inline int escapes16(__m128i v)
{
    __m128i x80 = _mm_xor_si128(v, _mm_set1_epi8((char)0x80));
    __m128i low = _mm_cmplt_epi8(x80, _mm_set1_epi8((char)(0x20 ^ 0x80)));
    __m128i high = _mm_cmpgt_epi8(x80, _mm_set1_epi8((char)(0x7E ^ 0x80)));
    __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    __m128i bs = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(low, high), _mm_or_si128(q, bs)));
}
#endif

#define JSON_SEG 4096 /* input bytes escaped per reservation */

int ds_json_strn(ds_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (ds_buf_putc(b, '"') < 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        size_t seg = n - i < JSON_SEG ? n - i : JSON_SEG, end = i + seg;
        /* worst case 6 output bytes per input byte, plus one sequence
         * that starts before `end` and runs past it */
        char *o = ds_buf_reserve(b, 6 * seg + 12), *o0 = o;
        if (!o)
            return -1;
        while (i < end) {
#ifdef __SSE2__
            /* 16 bytes at a time while none needs escaping */
            while (end - i >= 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
                int m = escapes16(v);
                if (m == 0) {
                    _mm_storeu_si128((__m128i *)o, v);
                    o += 16;
                    i += 16;
                    continue;
                }
                int k = __builtin_ctz((unsigned)m);
                memcpy(o, s + i, (size_t)k);
                o += k;
                i += (size_t)k;
                break;
            }
            if (i >= end)
                break;
#endif
            unsigned char c = s[i];
            char x = esc[c];
            if (!x) {
                *o++ = (char)c;
                i++;
                continue;
            }
            if (x != 'u' && x != 'm') {
                *o++ = '\\';
                *o++ = x;
                i++;
                continue;
            }
            if (c < 0x80) {
                o = put_u(o, c);
                i++;
                continue;
            }
            uint32_t cp;
            size_t len = utf8_next(s + i, n - i, &cp);
            if (!len) {
                cp = 0xFFFD;
                len = 1;
            }
            i += len;
            if (cp >= 0x10000) {
                cp -= 0x10000;
                o = put_u(o, 0xD800 + (cp >> 10));
                o = put_u(o, 0xDC00 + (cp & 0x3FF));
            } else {
                o = put_u(o, cp);
            }
        }
        ds_buf_commit(b, (size_t)(o - o0));
    }
    return ds_buf_putc(b, '"');
}

int ds_json_plain(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
#ifdef __SSE2__
    for (; n - i >= 16; i += 16)
        if (escapes16(_mm_loadu_si128((const __m128i *)(s + i))))
            return 0;
#endif
    for (; i < n; i++)
        if (esc[s[i]])
            return 0;
    return 1;
}

int ds_json_str(ds_buf *b, const char *s)
{
    return ds_json_strn(b, s, strlen(s));
}

int ds_json_key(ds_buf *b, int *first, const char *key)
{
    if (!*first && ds_buf_putc(b, ',') < 0)
        return -1;
    *first = 0;
    if (ds_json_str(b, key) < 0)
        return -1;
    return ds_buf_putc(b, ':');
}

int ds_json_kv_str(ds_buf *b, int *first, const char *key, const char *val)
{
    if (ds_json_key(b, first, key) < 0)
        return -1;
    return ds_json_str(b, val);
}

int ds_json_kv_i64(ds_buf *b, int *first, const char *key, int64_t v)
{
    if (ds_json_key(b, first, key) < 0)
        return -1;
    return ds_buf_put_i64(b, v);
}

int ds_json_kv_bool(ds_buf *b, int *first, const char *key, int v)
{
    if (ds_json_key(b, first, key) < 0)
        return -1;
    return ds_buf_puts(b, v ? "true" : "false");
}

int ds_json_str_array(ds_buf *b, const char *const *v, size_t n)
{
    int rc = ds_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++)
        rc |= (i ? ds_buf_putc(b, ',') : 0) | ds_json_str(b, v[i]);
    return rc | ds_buf_putc(b, ']');
}
