/* buf.c - see buf.h. */
#include "config.h"
#include "util/buf.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ds_buf_init(ds_buf *b, size_t max)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void ds_buf_free(ds_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void ds_buf_clear(ds_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int grow(ds_buf *b, size_t need)
{
    if (need > b->max || need + 1 < need) {
        ds_buf_free(b);
        return -1;
    }
    if (need + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    if (cap > b->max + 1)
        cap = b->max + 1; /* cap never exceeds max + 1: the inline appends rely on it */
    while (cap < need + 1)
        cap = cap > b->max / 2 ? b->max + 1 : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        ds_buf_free(b);
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

int ds_buf_append_slow(ds_buf *b, const void *p, size_t n)
{
    if (n > b->max - b->len || grow(b, b->len + n) < 0) {
        ds_buf_free(b);
        return -1;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

char *ds_buf_reserve(ds_buf *b, size_t n)
{
    if (n > b->max - b->len || grow(b, b->len + n) < 0) {
        ds_buf_free(b);
        return NULL;
    }
    return b->data + b->len;
}

void ds_buf_commit(ds_buf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

int ds_buf_put_i64(ds_buf *b, int64_t v)
{
    char tmp[24], *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    return ds_buf_append(b, p, (size_t)(e - p));
}

int ds_buf_printf(ds_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        ds_buf_free(b);
        return -1;
    }
    if ((size_t)n < sizeof small)
        return ds_buf_append(b, small, (size_t)n);
    if ((size_t)n > b->max - b->len || grow(b, b->len + (size_t)n) < 0) {
        ds_buf_free(b);
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int ds_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : first;
    if (nc < *cap || nc > SIZE_MAX / elem)
        return -1;
    void *na = realloc(*arr, nc * elem);
    if (!na)
        return -1;
    *arr = na;
    *cap = nc;
    return 0;
}
