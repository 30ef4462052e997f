/* jscan.c - see jscan.h. */
#include "config.h"
#include "delta/jscan.h"
#include "util/text.h"
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif


/* 1 for the bytes a string scan must stop at: '"', '\\' and controls. */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

static const char *string_end(const char *p, const char *end)
{
    /* p at the opening quote */
    p++;
    while (p < end) {
#ifdef __SSE2__
        /* sixteen bytes at a time up to the first quote, backslash or
         * control byte (c <= 0x1f exactly when max(c, 0x1f) == 0x1f) */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      ctl = _mm_set1_epi8(0x1f);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
                                     _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
            int bits = _mm_movemask_epi8(m);
            if (bits) {
                p += __builtin_ctz((unsigned)bits);
                break;
            }
            p += 16;
        }
#endif
        while (p < end && !str_stop[(unsigned char)*p])
            p++;
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            return p + 1;
        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            if (p + 1 >= end)
                return NULL;
            char e = p[1];
            if (e == 'u') {
                if (p + 6 > end)
                    return NULL;
                for (int i = 2; i < 6; i++) {
                    char h = p[i];
                    if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F')))
                        return NULL;
                }
                p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == '\0')
                return NULL;
            p += 2;
            continue;
        }
        p++;
    }
    return NULL;
}

static const char *number_end(const char *p, const char *end)
{
    const char *s = p;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return NULL;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return NULL;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p > s ? p : NULL;
}

const char *ds_js_value_end(const char *p, const char *end, int depth)
{
    p = ds_js_skip_ws(p, end);
    if (p >= end || depth > JS_MAX_DEPTH)
        return NULL;
    switch (*p) {
    case '"':
        return string_end(p, end);
    case '{':
    case '[': {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = ds_js_skip_ws(p + 1, end);
        if (p < end && *p == close)
            return p + 1;
        for (;;) {
            if (obj) {
                p = ds_js_skip_ws(p, end);
                if (p >= end || *p != '"')
                    return NULL;
                p = string_end(p, end);
                if (!p)
                    return NULL;
                p = ds_js_skip_ws(p, end);
                if (p >= end || *p != ':')
                    return NULL;
                p++;
            }
            p = ds_js_value_end(p, end, depth + 1);
            if (!p)
                return NULL;
            p = ds_js_skip_ws(p, end);
            if (p >= end)
                return NULL;
            if (*p == close)
                return p + 1;
            if (*p != ',')
                return NULL;
            p++;
        }
    }
    case 't':
        return end - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return end - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return end - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return number_end(p, end);
    }
}

/* Bytes that end a scalar, and bytes a container scan must look at. */
static const unsigned char scalar_stop[256] = {
    [','] = 1, ['}'] = 1, [']'] = 1, [' '] = 1, ['\n'] = 1, ['\t'] = 1, ['\r'] = 1,
};
static const unsigned char struct_stop[256] = {
    ['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1,
};

/* Skips one value of text already validated by ds_js_value_end: strings
 * by their closing quote, containers by bracket depth.  This runs over
 * every key and value of every log line, so the scans are table driven
 * and strings are searched with memchr. */
static const char *skip_trusted(const char *p, const char *end)
{
    int depth = 0;
    do {
        char c = *p;
        if (c == '"') {
            p++;
            for (;;) {
                const char *q = memchr(p, '"', (size_t)(end - p));
                if (!q)
                    return NULL;
                const char *b = q;
                while (b > p && b[-1] == '\\')
                    b--;
                p = q + 1;
                if (((q - b) & 1) == 0)
                    break; /* an even run of backslashes: the quote ends it */
            }
        } else if (c == '{' || c == '[') {
            depth++;
            p++;
        } else if (c == '}' || c == ']') {
            depth--;
            p++;
        } else if (depth == 0) {
            /* a scalar at top level: up to the next delimiter */
            while (p < end && !scalar_stop[(unsigned char)*p])
                p++;
            return p;
        } else {
            p++;
        }
        if (depth > 0)
            while (p < end && !struct_stop[(unsigned char)*p])
                p++;
    } while (depth > 0 && p < end);
    return depth == 0 ? p : NULL;
}

static int iter_begin(js_iter *it, js_span s, char open)
{
    const char *p = ds_js_skip_ws(s.p, s.end);
    if (p >= s.end || *p != open)
        return -1;
    it->p = p + 1;
    it->end = s.end;
    it->first = 1;
    return 0;
}

int ds_js_obj_begin(js_iter *it, js_span obj)
{
    return iter_begin(it, obj, '{');
}

int ds_js_arr_begin(js_iter *it, js_span arr)
{
    return iter_begin(it, arr, '[');
}

static int iter_sep(js_iter *it, char close)
{
    const char *p = ds_js_skip_ws(it->p, it->end);
    if (p >= it->end)
        return -1;
    if (*p == close) {
        it->p = p + 1;
        return 0;
    }
    if (!it->first) {
        if (*p != ',')
            return -1;
        p = ds_js_skip_ws(p + 1, it->end);
    }
    it->first = 0;
    it->p = p;
    return 1;
}

int ds_js_obj_next(js_iter *it, js_span *key, js_span *val)
{
    int r = iter_sep(it, '}');
    if (r <= 0)
        return r;
    const char *p = it->p;
    if (p >= it->end || *p != '"')
        return -1;
    const char *ke = skip_trusted(p, it->end);
    if (!ke)
        return -1;
    key->p = p + 1;
    key->end = ke - 1;
    p = ds_js_skip_ws(ke, it->end);
    if (p >= it->end || *p != ':')
        return -1;
    p = ds_js_skip_ws(p + 1, it->end);
    const char *ve = p < it->end ? skip_trusted(p, it->end) : NULL;
    if (!ve)
        return -1;
    val->p = p;
    val->end = ve;
    it->p = ve;
    return 1;
}

int ds_js_arr_next(js_iter *it, js_span *val)
{
    int r = iter_sep(it, ']');
    if (r <= 0)
        return r;
    const char *p = it->p;
    const char *ve = p < it->end ? skip_trusted(p, it->end) : NULL;
    if (!ve)
        return -1;
    val->p = p;
    val->end = ve;
    it->p = ve;
    return 1;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= c - '0';
        else if (c >= 'a' && c <= 'f')
            v |= c - 'a' + 10;
        else
            v |= c - 'A' + 10;
    }
    return v;
}

/* Decodes the content of a validated string (between quotes) into out,
 * which has room for (end - p) bytes; returns length or -1. */
static long decode(const char *p, const char *end, char *out)
{
    size_t o = 0;
    while (p < end) {
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        char e = p[1];
        p += 2;
        switch (e) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            unsigned cp = (unsigned)hex4(p);
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return -1;
                unsigned lo = (unsigned)hex4(p + 2);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            if (cp == 0)
                return -1;
            if (cp < 0x80) {
                out[o++] = (char)cp;
            } else if (cp < 0x800) {
                out[o++] = (char)(0xC0 | (cp >> 6));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out[o++] = (char)(0xE0 | (cp >> 12));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            } else {
                out[o++] = (char)(0xF0 | (cp >> 18));
                out[o++] = (char)(0x80 | ((cp >> 12) & 0x3F));
                out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[o++] = (char)(0x80 | (cp & 0x3F));
            }
            break;
        }
        default:
            return -1;
        }
    }
    return (long)o;
}

int ds_js_key_is_escaped(js_span key, const char *lit)
{
    size_t n = (size_t)(key.end - key.p);
    if (!memchr(key.p, '\\', n))
        return strlen(lit) == n && memcmp(key.p, lit, n) == 0;
    char tmp[256];
    if (n >= sizeof tmp)
        return 0;
    long l = decode(key.p, key.end, tmp);
    return l >= 0 && strlen(lit) == (size_t)l && memcmp(tmp, lit, (size_t)l) == 0;
}

int ds_js_is_null(js_span v)
{
    return v.end - v.p == 4 && memcmp(v.p, "null", 4) == 0;
}

int ds_js_is_string(js_span v)
{
    return v.p < v.end && *v.p == '"';
}

int ds_js_is_object(js_span v)
{
    return v.p < v.end && *v.p == '{';
}

int ds_js_is_array(js_span v)
{
    return v.p < v.end && *v.p == '[';
}

char *ds_js_str(js_span v, ds_arena *a, size_t *len)
{
    if (!ds_js_is_string(v) || v.end - v.p < 2)
        return NULL;
    const char *p = v.p + 1, *e = v.end - 1;
    size_t n = (size_t)(e - p);
    char *out = ds_arena_alloc(a, n + 1);
    if (!out)
        return NULL;
    long l;
    if (!memchr(p, '\\', n)) {
        memcpy(out, p, n);
        l = (long)n;
    } else if ((l = decode(p, e, out)) < 0) {
        return NULL;
    }
    out[l] = '\0';
    if (len)
        *len = (size_t)l;
    return out;
}

int ds_js_i64(js_span v, int64_t *out)
{
    char tmp[24];
    size_t n = (size_t)(v.end - v.p);
    if (n == 0 || n >= sizeof tmp)
        return -1;
    memcpy(tmp, v.p, n);
    tmp[n] = '\0';
    return ds_parse_i64(tmp, INT64_MIN, INT64_MAX, out);
}

int ds_js_bool(js_span v, int *out)
{
    if (v.end - v.p == 4 && memcmp(v.p, "true", 4) == 0) {
        *out = 1;
        return 0;
    }
    if (v.end - v.p == 5 && memcmp(v.p, "false", 5) == 0) {
        *out = 0;
        return 0;
    }
    return -1;
}
