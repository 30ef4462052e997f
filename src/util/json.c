/* json.c - see json.h. */
#include "config.h"
#include "util/json.h"
#include <inttypes.h>
#include <string.h>

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

static int put_u(ds_buf *b, uint32_t u)
{
    return ds_buf_printf(b, "\\u%04x", (unsigned)u);
}

int ds_json_strn(ds_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (ds_buf_putc(b, '"') < 0)
        return -1;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && s[run] >= 0x20 && s[run] < 0x7F && s[run] != '"' && s[run] != '\\')
            run++;
        if (run > i && ds_buf_append(b, s + i, run - i) < 0)
            return -1;
        i = run;
        if (i >= n)
            break;
        unsigned char c = s[i];
        int rc;
        switch (c) {
        case '"': rc = ds_buf_append(b, "\\\"", 2); i++; break;
        case '\\': rc = ds_buf_append(b, "\\\\", 2); i++; break;
        case '\n': rc = ds_buf_append(b, "\\n", 2); i++; break;
        case '\r': rc = ds_buf_append(b, "\\r", 2); i++; break;
        case '\t': rc = ds_buf_append(b, "\\t", 2); i++; break;
        case '\b': rc = ds_buf_append(b, "\\b", 2); i++; break;
        case '\f': rc = ds_buf_append(b, "\\f", 2); i++; break;
        default:
            if (c < 0x80) {
                rc = put_u(b, c);
                i++;
            } else {
                uint32_t cp;
                size_t len = utf8_next(s + i, n - i, &cp);
                if (!len) {
                    cp = 0xFFFD;
                    len = 1;
                }
                i += len;
                if (cp >= 0x10000) {
                    cp -= 0x10000;
                    rc = put_u(b, 0xD800 + (cp >> 10));
                    if (rc == 0)
                        rc = put_u(b, 0xDC00 + (cp & 0x3FF));
                } else {
                    rc = put_u(b, cp);
                }
            }
        }
        if (rc < 0)
            return -1;
    }
    return ds_buf_putc(b, '"');
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
    return ds_buf_printf(b, "%" PRId64, v);
}

int ds_json_kv_bool(ds_buf *b, int *first, const char *key, int v)
{
    if (ds_json_key(b, first, key) < 0)
        return -1;
    return ds_buf_puts(b, v ? "true" : "false");
}
