/* arena.c - see arena.h.  Blocks are chained; large requests get their own. */
#include "config.h"
#include "util/arena.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE (64 * 1024)
#define ALIGN 16

struct block {
    struct block *next;
    size_t size, used;
    _Alignas(ALIGN) unsigned char data[];
};

struct ds_arena {
    struct block *head;  /* current block, newest first */
    struct block *first; /* the block made by ds_arena_new, kept by reset */
    size_t cap, total;   /* total = bytes of all blocks */
};

static struct block *block_new(ds_arena *a, size_t size)
{
    if (a->cap && (size > a->cap || a->total > a->cap - size))
        return NULL;
    struct block *b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = 0;
    b->next = NULL;
    a->total += size;
    return b;
}

ds_arena *ds_arena_new(size_t cap)
{
    ds_arena *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->cap = cap;
    a->head = a->first = block_new(a, BLOCK_SIZE);
    if (!a->head) {
        free(a);
        return NULL;
    }
    return a;
}

void ds_arena_free(ds_arena *a)
{
    if (!a)
        return;
    struct block *b = a->head;
    while (b) {
        struct block *n = b->next;
        free(b);
        b = n;
    }
    free(a);
}

void ds_arena_reset(ds_arena *a)
{
    /* Keep the block made by ds_arena_new: a large private block may sit
     * anywhere in the chain (even at its tail) and must not be kept. */
    struct block *b = a->head, *first = a->first;
    while (b) {
        struct block *n = b->next;
        if (b != first)
            free(b);
        b = n;
    }
    a->head = first;
    first->used = 0;
    first->next = NULL;
    a->total = first->size;
}

void *ds_arena_alloc(ds_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    struct block *b = a->head;
    if (b->size - b->used < n) {
        size_t size = n > BLOCK_SIZE / 4 ? n : BLOCK_SIZE;
        struct block *nb = block_new(a, size);
        if (!nb)
            return NULL;
        if (size == n && b->size - b->used > 0) {
            /* a large private block goes behind the current one so the
             * current block's free tail stays usable */
            nb->next = b->next;
            b->next = nb;
            nb->used = n;
            return nb->data;
        }
        nb->next = b;
        a->head = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *ds_arena_strndup(ds_arena *a, const char *s, size_t n)
{
    char *p = ds_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *ds_arena_strdup(ds_arena *a, const char *s)
{
    return ds_arena_strndup(a, s, strlen(s));
}

char *ds_arena_printf(ds_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = ds_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t ds_arena_used(const ds_arena *a)
{
    return a->total;
}
