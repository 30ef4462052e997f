/* jscan.h - a strict, zero-copy JSON scanner for Delta log lines.
 *
 * Commit files can hold lines of many megabytes with hundreds of
 * thousands of actions; building a DOM for each would dominate replay.
 * The scanner validates as it goes and hands out spans into the caller's
 * buffer; only the fields replay needs are decoded. */
#ifndef DS_JSCAN_H
#define DS_JSCAN_H
#include "util/arena.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define JS_MAX_DEPTH 64

typedef struct js_span {
    const char *p, *end; /* [p, end) */
} js_span;

typedef struct js_iter {
    const char *p, *end;
    int first;
} js_iter;

/* Skips one complete, valid JSON value starting at p (leading whitespace
 * allowed); returns the position after it, or NULL when invalid. */
const char *ds_js_value_end(const char *p, const char *end, int depth);
static inline const char *ds_js_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Object iteration over a span holding an object.  The iterators trust
 * their input: only use them on text that ds_js_value_end has accepted (as
 * ds_parse_action does for each whole line); they then skip values without
 * validating them again. */
int ds_js_obj_begin(js_iter *it, js_span obj);
/* 1: key and val set; 0: end of object; -1: malformed. key is the raw
 * string content between the quotes. */
int ds_js_obj_next(js_iter *it, js_span *key, js_span *val);
/* Array iteration: same contract, no key. */
int ds_js_arr_begin(js_iter *it, js_span arr);
int ds_js_arr_next(js_iter *it, js_span *val);

/* 1 when the raw key equals lit (keys with escapes are decoded first).
 * Inline: parse loops compare every key with a run of literals.  A key
 * with escapes is longer than what it decodes to, so only a longer key
 * needs decoding. */
int ds_js_key_is_escaped(js_span key, const char *lit);
static inline int ds_js_key_is(js_span key, const char *lit)
{
    size_t n = (size_t)(key.end - key.p), l = strlen(lit);
    if (n == l)
        return memcmp(key.p, lit, n) == 0;
    return n > l && (key.p[0] == lit[0] || key.p[0] == '\\') && ds_js_key_is_escaped(key, lit);
}
int ds_js_is_null(js_span v);
int ds_js_is_string(js_span v);
int ds_js_is_object(js_span v);
int ds_js_is_array(js_span v);
/* Decodes a string value (with quotes) into UTF-8; NULL when not a valid
 * string.  *len gets the byte length (the result is also NUL-terminated;
 * a string holding \u0000 is refused). */
char *ds_js_str(js_span v, ds_arena *a, size_t *len);
/* Integer value (no fraction or exponent) within int64: 0, else -1. */
int ds_js_i64(js_span v, int64_t *out);
int ds_js_bool(js_span v, int *out);
#endif
