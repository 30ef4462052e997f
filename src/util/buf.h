/* buf.h - growable byte buffer with a named cap.  A failed append frees
 * the buffer and returns -1; the caller reports the error. */
#ifndef DS_BUF_H
#define DS_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ds_buf {
    char *data;  /* always NUL-terminated when non-NULL */
    size_t len, cap, max;
} ds_buf;

void ds_buf_init(ds_buf *b, size_t max);
void ds_buf_free(ds_buf *b);
void ds_buf_clear(ds_buf *b); /* keeps the memory */
int ds_buf_append_slow(ds_buf *b, const void *p, size_t n);

/* Appends with room to spare are inline: the writers of the NDJSON answers
 * call these once or more per token. */
static inline int ds_buf_append(ds_buf *b, const void *p, size_t n)
{
    if (b->data && n < b->cap - b->len) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
    }
    return ds_buf_append_slow(b, p, n);
}

static inline int ds_buf_puts(ds_buf *b, const char *s)
{
    return ds_buf_append(b, s, strlen(s));
}

static inline int ds_buf_putc(ds_buf *b, char c)
{
    if (b->data && b->len + 1 < b->cap) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return 0;
    }
    return ds_buf_append_slow(b, &c, 1);
}
int ds_buf_printf(ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Makes room for n more bytes and returns where they go (NULL, buffer
 * freed, beyond the cap); ds_buf_commit then counts the bytes written. */
char *ds_buf_reserve(ds_buf *b, size_t n);
void ds_buf_commit(ds_buf *b, size_t n);
/* Decimal text of v. */
int ds_buf_put_i64(ds_buf *b, int64_t v);

/* Makes room for one more element in a malloc'd array of n elements:
 * doubles *cap (from `first`) when full.  Returns 0, or -1 on overflow or
 * out of memory (the array is left as it was). */
int ds_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first);
#endif
