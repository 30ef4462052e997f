/* arena.h - request-scoped bump allocator with a hard cap. */
#ifndef DS_ARENA_H
#define DS_ARENA_H
#include <stddef.h>

typedef struct ds_arena ds_arena;

/* cap: most bytes the arena may hold in total (0 = no cap). */
ds_arena *ds_arena_new(size_t cap);
void ds_arena_free(ds_arena *a);
/* Frees every block but the first; all earlier pointers become invalid. */
void ds_arena_reset(ds_arena *a);
/* A reset for arenas that are filled the same way again and again (one
 * batch after another): when the last round spread over several blocks,
 * they are replaced by one block that holds it all (with an eighth to
 * spare), which later rounds reuse instead of mapping fresh memory. */
void ds_arena_reset_compact(ds_arena *a);
/* NULL when the cap is reached or memory is exhausted. */
void *ds_arena_alloc(ds_arena *a, size_t n);
char *ds_arena_strndup(ds_arena *a, const char *s, size_t n);
char *ds_arena_strdup(ds_arena *a, const char *s);
char *ds_arena_printf(ds_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t ds_arena_used(const ds_arena *a);

/* Zeroed memory for large arrays: from n >= 2 MiB a 2 MiB-aligned mapping
 * marked for huge pages, else calloc.  *mapped records which (pass it to
 * ds_big_free). */
void *ds_big_alloc(size_t n, size_t *mapped);
void ds_big_free(void *p, size_t mapped);
#endif
