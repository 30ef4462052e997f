/* buf.h - growable byte buffer with a named cap.  A failed append frees
 * the buffer and returns -1; the caller reports the error. */
#ifndef DS_BUF_H
#define DS_BUF_H
#include <stddef.h>

typedef struct ds_buf {
    char *data;  /* always NUL-terminated when non-NULL */
    size_t len, cap, max;
} ds_buf;

void ds_buf_init(ds_buf *b, size_t max);
void ds_buf_free(ds_buf *b);
void ds_buf_clear(ds_buf *b); /* keeps the memory */
int ds_buf_append(ds_buf *b, const void *p, size_t n);
int ds_buf_puts(ds_buf *b, const char *s);
int ds_buf_putc(ds_buf *b, char c);
int ds_buf_printf(ds_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes room for one more element in a malloc'd array of n elements:
 * doubles *cap (from `first`) when full.  Returns 0, or -1 on overflow or
 * out of memory (the array is left as it was). */
int ds_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first);
#endif
