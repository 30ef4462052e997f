/* arena.c - see arena.h.  Blocks are chained; large requests get their own. */
#include "config.h"
#include "util/arena.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK_SIZE (64 * 1024)
#define BIG_BLOCK (4u * 1024 * 1024) /* blocks double up to this */
#define ALIGN 16

struct block {
    struct block *next;
    size_t size, used;
    size_t mapped; /* length of the mapping when ds_big_alloc made it, else 0 */
    _Alignas(ALIGN) unsigned char data[];
};

struct ds_arena {
    struct block *head;  /* current block, newest first */
    struct block *first; /* the block made by ds_arena_new, kept by reset */
    size_t cap, total;   /* total = bytes of all blocks */
};

/* Large allocations (a snapshot's commit tail, its key set) are made of
 * 2 MiB-aligned anonymous mappings marked MADV_HUGEPAGE: replaying a
 * 300,000-file table touches ~80 MB, and with 4 KiB pages a fifth of the
 * replay went to page faults and TLB misses.  Under AddressSanitizer they
 * stay malloc'd so that every byte keeps its redzones. */
#define HUGE_ALIGN ((size_t)2 * 1024 * 1024)
#if defined(__SANITIZE_ADDRESS__)
#define BIG_MAPS 0
#else
#define BIG_MAPS 1
#endif

void *ds_big_alloc(size_t n, size_t *mapped)
{
    *mapped = 0;
    if (!BIG_MAPS || n < HUGE_ALIGN || n > SIZE_MAX - 2 * HUGE_ALIGN)
        return calloc(1, n ? n : 1);
    size_t len = (n + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
    unsigned char *m = mmap(NULL, len + HUGE_ALIGN, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uintptr_t start = ((uintptr_t)m + HUGE_ALIGN - 1) & ~(uintptr_t)(HUGE_ALIGN - 1);
    size_t head = (size_t)(start - (uintptr_t)m), tail = HUGE_ALIGN - head;
    if (head)
        munmap(m, head);
    if (tail)
        munmap((unsigned char *)start + len, tail);
#ifdef MADV_HUGEPAGE
    madvise((void *)start, len, MADV_HUGEPAGE); /* a hint: failure is harmless */
#endif
    *mapped = len;
    return (void *)start; /* anonymous mappings are zero-filled */
}

void ds_big_free(void *p, size_t mapped)
{
    if (!p)
        return;
    if (mapped)
        munmap(p, mapped);
    else
        free(p);
}

static struct block *block_new(ds_arena *a, size_t size)
{
    /* a block that will be a mapping fills whole 2 MiB pages */
    if (BIG_MAPS && size >= HUGE_ALIGN && size <= SIZE_MAX - 2 * HUGE_ALIGN)
        size = ((size + sizeof(struct block) + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1)) -
               sizeof(struct block);
    if (a->cap && (size > a->cap || a->total > a->cap - size))
        return NULL;
    size_t mapped = 0;
    struct block *b;
    if (size >= HUGE_ALIGN)
        b = ds_big_alloc(sizeof *b + size, &mapped);
    else
        b = malloc(sizeof *b + size);
    if (!b)
        return NULL;
    b->size = size;
    b->used = 0;
    b->next = NULL;
    b->mapped = mapped;
    a->total += size;
    return b;
}

static void block_free(struct block *b)
{
    if (b->mapped)
        munmap(b, b->mapped);
    else
        free(b);
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
        block_free(b);
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
            block_free(b);
        b = n;
    }
    a->head = first;
    first->used = 0;
    first->next = NULL;
    a->total = first->size;
}

void ds_arena_reset_compact(ds_arena *a)
{
    size_t used = 0;
    for (struct block *b = a->head; b; b = b->next)
        used += b->used;
    size_t first_size = a->first->size;
    ds_arena_reset(a);
    if (used <= first_size || (a->cap && used > a->cap))
        return;
    /* one block as large as the last round needed, so the next round of
     * the same shape allocates nothing */
    size_t keep_total = a->total;
    a->total = 0;
    struct block *nb = block_new(a, used + used / 8);
    if (!nb) {
        a->total = keep_total;
        return;
    }
    block_free(a->first);
    a->head = a->first = nb;
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
        /* regular blocks double with the arena (64 KiB up to 4 MiB), so a
         * large arena is a few large blocks; a cap keeps them small */
        size_t grow = a->total < BIG_BLOCK ? a->total : BIG_BLOCK;
        if (grow < BLOCK_SIZE || (a->cap && grow > (a->cap - a->total) / 2))
            grow = BLOCK_SIZE;
        size_t size = n > grow / 4 ? n : grow;
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
